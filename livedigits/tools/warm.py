"""``python -m livedigits.tools.warm``: compile every kernel reading takes into Numba's cache.

Started detached by ``kernels.warm_elsewhere`` when a command finds a kernel it
needs uncompiled (a first run): the command reads with the reference code
meanwhile, and this process compiles the kernels for the very argument types
reading uses -- by reading a small rendered page with the default model, plus the
stroke width of a small blob, the k-NN search's three ways (one query, a batch on
one thread, a batch on all of them) and the parallel HOG a live loop uses.
One at a time: a second one finds the lock taken and exits.
"""

from __future__ import annotations

import os


def main() -> int:
    """Compile (or load) every kernel; returns the exit status (0 also when another
    process is doing it already)."""
    import fcntl

    from livedigits.kernels import numba_cache_dir

    folder = numba_cache_dir()
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "livedigits-warm.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0
        _compile_everything()
    return 0


def _compile_everything() -> None:
    import numba
    import numpy as np

    from livedigits.kernels.components import stroke_widths
    from livedigits.kernels.knn import knn_search
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.synthetic.synth import render_page

    recognizer = Recognizer.load()
    recognizer.warmup()
    page = render_page(np.random.default_rng(0), width=480, height=320, digit_height=30,
                       n_digits=12, pen=None)
    recognizer.recognize(page.image)
    # Kernels a page needs only now and then: a small 0 among tall digits.
    labels = np.zeros((8, 8), np.int32)
    labels[2:6, 2:6] = 1
    stroke_widths(labels, np.array([-1, 0], np.int32), np.array([[0, 0, 8, 8]]))
    model = recognizer.model
    queries = model.features[:64]
    k = model.params.k
    knn_search(queries[:1], model.features, k, parallel=False)
    knn_search(queries, model.features, k, parallel=False)
    if numba.config.NUMBA_NUM_THREADS > 1:
        knn_search(queries, model.features, k, parallel=True)


if __name__ == "__main__":
    raise SystemExit(main())
