"""A first run from empty caches: `livedigits image` reads a sheet without rendering the
model's training set, says what it compiles, and the next run starts warm."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

# Bounds with margin for a 2-core machine shared with other work. Measured there: a
# first run 5-6 s of CPU, 9 s wall at a load of 3 (the reference code reading; before it,
# compiling took 36-39 s of CPU); a warm run 1.1 s of CPU, 1.7 s wall. Rendering the
# training set again would add 20 s of CPU, compiling the reading kernels 20-30 s.
COLD_CPU_BOUND = 20.0
COLD_WALL_BOUND = 40.0
WARM_BOUND = 6.0


def _run(args: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float, float]:
    """The finished command, its wall time and its CPU time (with its own children), s."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "livedigits", *args], env=env,
                          capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return done, wall, cpu


@pytest.mark.slow
def test_first_run_from_empty_caches_then_a_warm_one(tmp_path):
    from livedigits.synthetic.synth import render_page

    page = render_page(np.random.default_rng(5), width=640, height=360, digit_height=36,
                       n_digits=12, pen=None)
    sheet = tmp_path / "sheet.png"
    cv2.imwrite(str(sheet), page.image)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"),
               NUMBA_CACHE_DIR=str(tmp_path / "cache" / "numba"))
    env.pop("LIVEDIGITS_CACHE", None)
    args = ["image", str(sheet), "--json", "--no-images"]

    cold, cold_s, cold_cpu = _run(args, env)
    assert cold.returncode == 0, cold.stderr
    # The training parts come from the package: nothing is rendered; the reference code
    # reads while the kernels compile in the background, and that is said.
    assert "rendering" not in cold.stderr, cold.stderr
    assert "compile in the background" in cold.stderr, cold.stderr
    read = sorted(d["digit"] for d in json.loads(cold.stdout)["detections"])
    assert read == sorted(page.digits.tolist()), (read, page.digits)
    _wait_for_warming(env["NUMBA_CACHE_DIR"])
    # The model is the one the package ships: none was built, none is cached.
    assert not list((tmp_path / "cache").rglob("model-*.npz"))

    warm, warm_s, warm_cpu = _run(args, env)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout == cold.stdout
    assert "compiling" not in warm.stderr, warm.stderr
    print(f"first run {cold_s:.1f} s ({cold_cpu:.1f} s CPU), "
          f"warm run {warm_s:.2f} s ({warm_cpu:.2f} s CPU)")
    assert cold_cpu <= COLD_CPU_BOUND, cold.stderr
    assert cold_s <= COLD_WALL_BOUND, cold.stderr
    assert warm_s <= WARM_BOUND, warm.stderr


def _wait_for_warming(cache: str, timeout: float = 240.0) -> None:
    """Until ``livedigits.tools.warm`` (detached) has let go of the cache's lock."""
    import fcntl

    path = os.path.join(cache, "livedigits-warm.lock")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except OSError:
                    pass
        time.sleep(0.5)
    raise AssertionError("the kernels' background compile did not finish")


def test_reference_code_stands_in_for_an_uncompiled_kernel_only_when_allowed(monkeypatch):
    """A kernel never compiled, nor cached, runs at once when references are not allowed
    (library use); allowed, the caller is told to use the reference and the background
    compile is started once."""
    from numba import njit

    from livedigits import kernels

    @njit(cache=False)
    def double(x):
        return 2 * x

    started = []
    monkeypatch.setattr(kernels, "warm_elsewhere", lambda: started.append(1))
    kernels.recheck()
    kernels.allow_references(False)
    assert kernels.ready(double, 3)
    kernels.allow_references(True)
    try:
        before = kernels.references_used()
        assert not kernels.ready(double, 3)
        assert kernels.references_used() == before + 1 and started
        assert double(3) == 6  # compiled here now: ready from then on
        kernels.recheck()
        assert kernels.ready(double, 3)
    finally:
        kernels.allow_references(False)


@pytest.mark.slow
def test_first_demo_from_empty_caches_draws_and_reads_without_compiling_first(tmp_path):
    """The demo's model is the shipped one, and its sheet is drawn, its first frames
    read, with the numpy twins of the kernels not yet compiled: nothing compiles
    first (the deskew kernel did while the model was fitted from its 25,000 cells)."""
    import re

    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"),
               NUMBA_CACHE_DIR=str(tmp_path / "cache" / "numba"))
    env.pop("LIVEDIGITS_CACHE", None)
    try:
        done, wall, cpu = _run(["demo", "--no-window", "--frames", "2", "--json"], env)
    finally:
        _stop_warming(env["NUMBA_CACHE_DIR"])
    assert done.returncode == 0, done.stderr
    assert "rendering" not in done.stderr and "augmenting" not in done.stderr, done.stderr
    assert re.findall(r"compiling kernels\.(\w+)", done.stderr) == [], done.stderr
    frames = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(frames) == 2 and all(len(f["detections"]) >= 50 for f in frames)
    print(f"first demo run: 2 frames in {wall:.1f} s ({cpu:.1f} s CPU)")


def _stop_warming(cache: str) -> None:
    """End the detached background compile a first run started for ``cache`` (it would
    otherwise go on compiling for half a minute beside the other tests)."""
    import signal
    from pathlib import Path

    wanted = f"NUMBA_CACHE_DIR={cache}".encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if wanted in (proc / "environ").read_bytes().split(b"\0") and \
                    b"livedigits.tools.warm" in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGTERM)
        except (OSError, ValueError):
            continue


def test_a_cached_kernel_found_ready_is_read_from_disk_once():
    """``kernels.ready`` loads a kernel it finds in Numba's cache into the kernel, so
    the first call does not read it from disk a second time (it did, 0.1-0.2 s of
    every warm start)."""
    from livedigits.kernels.hog import POOL_TARGET, POOL_WEIGHT, hog_serial

    cells = np.zeros((2, 20, 20), np.uint8)
    out = np.empty((2, 512), np.float32)
    hog_serial(cells, out, POOL_TARGET, POOL_WEIGHT)  # compiled into the cache, if not yet
    probe = (
        "import numpy as np\n"
        "from livedigits import kernels\n"
        "from livedigits.kernels.hog import POOL_TARGET, POOL_WEIGHT, hog_serial\n"
        "kernels.allow_references(True)\n"
        "cells = np.zeros((2, 20, 20), np.uint8)\n"
        "out = np.empty((2, 512), np.float32)\n"
        "args = (cells, out, POOL_TARGET, POOL_WEIGHT)\n"
        "assert kernels.ready(hog_serial, *args)\n"
        "loaded = len(hog_serial.overloads)\n"
        "hog_serial(*args)\n"
        "print(loaded, sum(hog_serial._cache_hits.values()))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    loaded, second_reads = map(int, done.stdout.split())
    assert loaded == 1 and second_reads == 0, done.stdout
