"""Batch throughput with 1 vs 2 worker processes, and memory over a long batch.

    python benchmarks/batch_scaling.py [--pages 400] [--repeats 3] [--long 10000]

Part 1 reads ``--pages`` synthetic 1280x720 pages (100 digits each) with 1 worker and
with 2, alternating, ``--repeats`` times, and prints pages/s of each run: "steady" from
the first result to the last (pool start-up and kernel loading excluded) and "wall"
including them. The bar: 2 workers >= 1.7x 1 worker on a 2-core machine. Other load on
the machine lowers the ratio, hence the repeats (the best of each is compared).

Part 2 (``--long N``, 0 to skip) reads N small pages (hard links to 400 files, so that
the batch sees N distinct images) with 2 workers and prints the resident memory of the
parent and of the workers every tenth of the way: flat means no growth with N.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from livedigits.pages.batch_inputs import Job, plan_tasks
from livedigits.pages.batch_pool import run_local
from livedigits.recognize.recognizer import Recognizer
from livedigits.synthetic.synth import heldout_cells, render_page


def make_pages(folder: Path, count: int, width: int, height: int, digits: int) -> list[str]:
    """``count`` seeded PNG pages in ``folder`` (reused when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    cells = heldout_cells()
    paths = []
    for i in range(count):
        path = folder / f"page{i:05d}.png"
        if not path.exists():
            page = render_page(rng, width=width, height=height, digit_height=height // 18,
                               n_digits=digits, cells=cells, pen=None)
            cv2.imwrite(str(path), page.image)
        paths.append(str(path))
    return paths


def timed_run(paths: list[str], recognizer: Recognizer, workers: int,
              on_line=None) -> tuple[float, float]:
    """(steady pages/s, wall pages/s) of one batch over ``paths``."""
    stamps: list[float] = []

    def emit(line: str) -> None:
        stamps.append(time.perf_counter())
        if on_line is not None:
            on_line(len(stamps))

    start = time.perf_counter()
    run_local(Job(plan_tasks(paths), emit, recognizer), workers=workers)
    wall = len(paths) / (stamps[-1] - start)
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    return steady, wall


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir())
                        / "livedigits-batch-bench")
    args = parser.parse_args()

    recognizer = Recognizer.load()
    print(f"cores: {len(os.sched_getaffinity(0))}, load average: "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    paths = make_pages(args.dir / "hd", args.pages, 1280, 720, 100)
    best = {1: 0.0, 2: 0.0}
    for repeat in range(args.repeats):
        for workers in (1, 2):
            steady, wall = timed_run(paths, recognizer, workers)
            best[workers] = max(best[workers], steady)
            print(f"run {repeat + 1}, {workers} worker(s): {steady:6.1f} pages/s steady, "
                  f"{wall:6.1f} pages/s wall", flush=True)
    ratio = best[2] / best[1]
    print(f"best steady: 1 worker {best[1]:.1f} pages/s, 2 workers {best[2]:.1f} pages/s, "
          f"ratio {ratio:.2f}x (bar >= 1.7x): {'PASS' if ratio >= 1.7 else 'FAIL'}")

    if args.long:
        small = make_pages(args.dir / "small", 400, 320, 240, 10)
        links = args.dir / f"long{args.long}"
        links.mkdir(exist_ok=True)
        many = []
        for i in range(args.long):
            link = links / f"p{i:06d}.png"
            if not link.exists():
                os.link(small[i % len(small)], link)
            many.append(str(link))
        me = os.getpid()
        step = max(1, args.long // 10)
        samples: list[tuple[int, float, float]] = []

        def sample(done: int) -> None:
            if done % step == 0:
                workers_mb = sum(rss_mb(c) for c in children(me)
                                 if "livedigits" in _cmdline(c) or "multiprocessing" in
                                 _cmdline(c))
                samples.append((done, rss_mb(me), workers_mb))

        steady, _ = timed_run(many, recognizer, 2, on_line=sample)
        print(f"long run: {args.long} pages, {steady:.1f} pages/s with 2 workers")
        print("   done  parent MB  workers MB")
        for done, parent, workers_mb in samples:
            print(f"{done:7d}  {parent:9.1f}  {workers_mb:10.1f}")
        growth = samples[-1][1] - samples[0][1]
        print(f"parent growth from the first tenth to the end: {growth:+.1f} MB")
    sys.stdout.flush()


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as raw:
            return raw.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


if __name__ == "__main__":
    main()
