"""Render the slow training parts the package ships into ``livedigits/data/``: the default
model's (``default-parts.npz``) and the held-out model's (``holdout-parts.npz``, the model
``livedigits demo`` and the tests read with, which leaves digits.png's held-out tenth out).

Run after any change to the training recipe (``build.RECIPE``), the digit styles, the
not-a-digit examples, the augmentation or digits.png:

    python scripts/build_default_parts.py

It renders each set from scratch (about 20 s each), writes it, then checks that the model
fitted from the written file equals, array for array, the one fitted with every part
rendered afresh, and exits 1 if not. That model, once checked, is shipped too, under its
cache file name (``livedigits/data/model-<key>.npz``), so that a first run reads it instead
of fitting it (about 4 s of HOG before the kernels are compiled); the models of older
recipes are removed. ``--models-only`` fits the models from the parts already written.
``tests/training/test_model.py`` fails while a shipped file's recipe, digits.png hash or
parameters are not the current ones.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def main(argv: list[str]) -> int:
    from livedigits.training import parts
    from livedigits.training.build import (
        SHIPPED_MODELS,
        build_default,
        model_file_name,
        render_parts,
        source_hash,
    )
    from livedigits.training.model import ModelParams

    models_only = "--models-only" in argv
    failed = 0
    shipped_models = set()
    for params, target in ((ModelParams(), parts.SHIPPED),
                           (ModelParams(holdout=True), parts.SHIPPED_HOLDOUT)):
        start = time.perf_counter()
        if not models_only:
            written = render_parts(params).save(target)
            print(f"wrote {written} ({written.stat().st_size / 1e6:.2f} MB) "
                  f"in {time.perf_counter() - start:.1f} s")
        parts.shipped.cache_clear()
        from_file = build_default(params)
        fresh = build_default(params, shipped=False)
        same = all(np.array_equal(getattr(from_file, name), getattr(fresh, name))
                   for name in ("projection", "features", "labels"))
        print(f"{target.name}: the model fitted from the file equals a fresh build" if same
              else f"MISMATCH: the model fitted from {target.name} differs from a fresh build")
        failed += not same
        if same:  # only a model checked against a fresh build is shipped
            model_path = SHIPPED_MODELS / model_file_name(params, source_hash())
            from_file.save(model_path, compressed=True)
            shipped_models.add(model_path.name)
            print(f"wrote {model_path} ({model_path.stat().st_size / 1e6:.2f} MB)")
    for old in SHIPPED_MODELS.glob("model-*.npz"):
        if old.name not in shipped_models:
            old.unlink()
            print(f"removed {old}, a model of another recipe")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
