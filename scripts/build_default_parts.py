"""Render the default model's slow training parts into ``livedigits/data/default-parts.npz``.

Run after any change to the training recipe (``build.RECIPE``), the digit styles, the
not-a-digit examples, the augmentation or digits.png:

    python scripts/build_default_parts.py

It renders the parts from scratch (about 20 s), writes them, then checks that the
default model fitted from the written file equals, array for array, the one fitted
with every part rendered afresh, and exits 1 if not. ``tests/test_model.py`` fails
while the shipped file's recipe, digits.png hash or parameters are not the current ones.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def main() -> int:
    from livedigits.training import parts
    from livedigits.training.build import build_default, render_parts
    from livedigits.training.model import ModelParams

    start = time.perf_counter()
    rendered = render_parts(ModelParams())
    written = rendered.save(parts.SHIPPED)
    print(f"wrote {written} ({written.stat().st_size / 1e6:.2f} MB) "
          f"in {time.perf_counter() - start:.1f} s")
    parts.shipped.cache_clear()
    from_file = build_default(ModelParams())
    fresh = build_default(ModelParams(), shipped=False)
    same = all(np.array_equal(getattr(from_file, name), getattr(fresh, name))
               for name in ("projection", "features", "labels"))
    print("the model fitted from the file equals a fresh build" if same else
          "MISMATCH: the model fitted from the file differs from a fresh build")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
