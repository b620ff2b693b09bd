"""Speed of ``kernels.knn.knn_search`` against plain numpy (BLAS matmul + argpartition).

Usage::

    python benchmarks/knn_speed.py [--quick] [--threads 1 2]

Train and query rows are random unit vectors, k = 5. Each library and thread
count is timed in a fresh process whose ``NUMBA_NUM_THREADS`` or BLAS thread
variables are set before numpy and numba load: a process that alternates Numba's
and OpenBLAS's thread pools makes both spin against each other. Figures are the
best of repeated calls after a warm-up call, with the median in brackets; the
time per call is the latency of a batch (of one query, for Q = 1).
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


def _data(n_train: int, dim: int, n_q: int):
    import numpy as np

    rng = np.random.default_rng(n_train + dim + n_q)
    train = rng.standard_normal((n_train, dim)).astype(np.float32)
    queries = rng.standard_normal((n_q, dim)).astype(np.float32)
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return queries, train


def numpy_knn(queries, train, k):
    """The plain numpy search: (Q, k) indices and similarities, most similar first."""
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


def _measure(library: str, threads: int, quick: bool) -> list[dict]:
    """Time one library in this process; for ``ours``, also compare with numpy."""
    import numpy as np

    budget, min_runs = (0.2, 3) if quick else (1.0, 10)
    rows = []
    if library == "numpy":
        for case in CASES:
            queries, train = _data(*case)
            rows.append({
                "numpy": _times(partial(numpy_knn, queries, train, K), budget, min_runs),
                "matmul": _times(partial(np.matmul, queries, train.T), budget, min_runs)})
        return rows

    sys.path.insert(0, str(REPO))
    from livedigits.kernels.knn import knn_search

    found = []
    for case in CASES:
        queries, train = _data(*case)
        search = partial(knn_search, queries, train, K, parallel=threads > 1)
        rows.append({"ours": _times(search, budget, min_runs)})
        found.append(search()[0])
    for row, case, indices in zip(rows, CASES, found, strict=True):
        same = indices == numpy_knn(*_data(*case), K)[0]  # after the timing: BLAS spins
        row["same"] = float(same.all(axis=1).mean())
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


def _run_child(library: str, threads: int, quick: bool) -> list[dict]:
    numba_threads, blas_threads = (threads, 1) if library == "ours" else (1, threads)
    env = dict(os.environ, NUMBA_NUM_THREADS=str(numba_threads),
               OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS=str(blas_threads),
               MKL_NUM_THREADS=str(blas_threads))
    cmd = [sys.executable, __file__, "--child", library, "--threads", str(threads)]
    done = subprocess.run(cmd + ["--quick"] * quick, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        sys.exit(f"timing {library} with {threads} thread(s) failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing runs")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts to measure (default: 1 2)")
    parser.add_argument("--child", choices=["ours", "numpy"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        json.dump(_measure(args.child, args.threads[0], args.quick), sys.stdout)
        return

    import numba
    import numpy as np

    print(f"k-NN search, k = {K}, random unit vectors; {_cpu_name()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}, numba {numba.__version__}")
    if os.environ.get("OPENBLAS_CORETYPE"):
        print(f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} (pins OpenBLAS's kernels)")
    print("queries/s and ms per call: best (median). numpy: matmul + argpartition + sort of the"
          " k; matmul: the BLAS product alone, for scale; same: rows equal to numpy's top-k\n")
    header = (f"{'threads':>7}  {'M x D':>12}  {'Q':>5}  {'knn_search q/s':>21}  "
              f"{'numpy q/s':>21}  {'matmul q/s':>21}  {'knn_search ms/call':>19}  "
              f"{'numpy ms/call':>19}  same")
    print(header)
    print("-" * len(header))
    for threads in args.threads:
        ours = _run_child("ours", threads, args.quick)
        blas = _run_child("numpy", threads, args.quick)
        for (n_train, dim, n_q), a, b in zip(CASES, ours, blas, strict=True):
            print(f"{threads:>7}  {n_train:>6} x {dim:<3}  {n_q:>5}  "
                  f"{_rate(n_q, a['ours'])}  {_rate(n_q, b['numpy'])}  "
                  f"{_rate(n_q, b['matmul'])}  {_latency(a['ours'])}  "
                  f"{_latency(b['numpy'])}  {a['same']:.0%}", flush=True)


if __name__ == "__main__":
    main()
