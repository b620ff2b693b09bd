"""Speed of ``kernels.knn.knn_search`` against plain numpy (BLAS matmul + argpartition).

Usage::

    python benchmarks/knn_speed.py [--quick] [--threads 1 2]

Each thread count runs in a fresh process with ``NUMBA_NUM_THREADS`` and the
BLAS thread variables set before numpy and numba load, so both libraries get
the same number of threads. Train and query rows are random unit vectors,
k = 5. Figures are the best of repeated calls after a warm-up call, with the
median in brackets; batch time is the latency of one call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
K = 5
# (train rows M, dimensions D, queries per call Q)
CASES = [
    (20_000, 64, 100),
    (25_000, 64, 100),
    (20_000, 64, 1000),
    (20_000, 64, 1),
    (5_000, 512, 100),
    (5_000, 512, 1),
]


def _numpy_knn(queries, train, k):
    import numpy as np

    sims = queries @ train.T
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    part_sims = np.take_along_axis(sims, part, axis=1)
    order = np.argsort(-part_sims, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_sims, order, axis=1)


def _times(fn, budget_s: float, min_runs: int) -> list[float]:
    fn()  # warm-up: compile or load from cache, fault pages in
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < budget_s:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def _measure(threads: int, quick: bool) -> list[dict]:
    """One thread count, in this process: rows for the table."""
    sys.path.insert(0, str(REPO))
    import numba
    import numpy as np

    from livedigits.kernels.knn import knn_search

    rng = np.random.default_rng(0)
    budget, min_runs = (0.2, 3) if quick else (1.0, 10)
    rows = []
    for n_train, dim, n_q in CASES:
        train = rng.standard_normal((n_train, dim)).astype(np.float32)
        train /= np.linalg.norm(train, axis=1, keepdims=True)
        queries = rng.standard_normal((n_q, dim)).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        ours = _times(partial(knn_search, queries, train, K, parallel=threads > 1),
                      budget, min_runs)
        blas = _times(partial(_numpy_knn, queries, train, K), budget, min_runs)
        same = (knn_search(queries, train, K)[0] == _numpy_knn(queries, train, K)[0]).all(axis=1)
        rows.append({"threads": numba.get_num_threads(), "M": n_train, "D": dim, "Q": n_q,
                     "ours": ours, "numpy": blas, "same": float(same.mean())})
    return rows


def _rate(n_q: int, times: list[float]) -> str:
    best, median = min(times), sorted(times)[len(times) // 2]
    return f"{n_q / best:>9,.0f} ({n_q / median:>9,.0f})"


def _latency(times: list[float]) -> str:
    best, median = min(times), sorted(times)[len(times) // 2]
    return f"{best * 1e3:8.3f} ({median * 1e3:8.3f})"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing runs")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts to measure (default: 1 2)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        json.dump(_measure(args.child, args.quick), sys.stdout)
        return

    rows = []
    for threads in args.threads:
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        cmd = [sys.executable, __file__, "--child", str(threads)] + ["--quick"] * args.quick
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"measuring with {threads} thread(s) failed:\n{done.stderr}")
        rows += json.loads(done.stdout)

    import numba
    import numpy as np

    print(f"k-NN search, k = {K}, random unit vectors; {_cpu_name()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}, numba {numba.__version__}")
    if os.environ.get("OPENBLAS_CORETYPE"):
        print(f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} (pins OpenBLAS's kernels)")
    print("queries/s and ms per call: best (median); numpy = matmul + argpartition + sort of k\n")
    header = (f"{'threads':>7}  {'M x D':>12}  {'Q':>5}  {'knn_search q/s':>21}  "
              f"{'numpy q/s':>21}  {'knn_search ms/call':>19}  {'numpy ms/call':>19}  same top-k")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['threads']:>7}  {r['M']:>6} x {r['D']:<3}  {r['Q']:>5}  "
              f"{_rate(r['Q'], r['ours'])}  {_rate(r['Q'], r['numpy'])}  "
              f"{_latency(r['ours'])}  {_latency(r['numpy'])}  {r['same']:5.1%}")


if __name__ == "__main__":
    main()
