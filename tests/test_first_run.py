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
# first run 36-39 s of CPU (kernels.cut's compile 15-25 s of it, kernels.knn's 10-14 s),
# 25-62 s wall as the load varied; a warm run 1.3-1.6 s of CPU. Rendering the training
# set again would add 20 s of CPU, a warm start that compiles anything several seconds.
COLD_CPU_BOUND = 60.0
COLD_WALL_BOUND = 120.0
WARM_BOUND = 4.0


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
    from livedigits.synth import render_page

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
    # The training parts come from the package: nothing is rendered; the compiling is said.
    assert "rendering" not in cold.stderr, cold.stderr
    assert "compiling the kernels" in cold.stderr, cold.stderr
    assert list((tmp_path / "cache" / "livedigits" / "models").glob("model-*.npz"))
    read = sorted(d["digit"] for d in json.loads(cold.stdout)["detections"])
    assert read == sorted(page.digits.tolist()), (read, page.digits)

    warm, warm_s, warm_cpu = _run(args, env)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout == cold.stdout
    assert "compiling" not in warm.stderr, warm.stderr
    print(f"first run {cold_s:.1f} s ({cold_cpu:.1f} s CPU), "
          f"warm run {warm_s:.2f} s ({warm_cpu:.2f} s CPU)")
    assert cold_cpu <= COLD_CPU_BOUND, cold.stderr
    assert cold_s <= COLD_WALL_BOUND, cold.stderr
    assert warm_s <= WARM_BOUND, warm.stderr


def test_no_second_process_when_the_knn_kernels_are_cached_or_no_core_is_idle(
        tmp_path, monkeypatch):
    from livedigits import kernels

    monkeypatch.setattr(kernels.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(kernels.os, "cpu_count", lambda: 2)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    (tmp_path / "kernels_0").mkdir()
    (tmp_path / "kernels_0" / "knn.vote-450.py311.nbi").write_bytes(b"")
    assert kernels.compile_knn_elsewhere() is None
    started = []
    monkeypatch.setattr(kernels.subprocess, "Popen", lambda *a, **k: started.append(a))
    (tmp_path / "kernels_0" / "knn.vote-450.py311.nbi").unlink()
    monkeypatch.setattr(kernels.os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert kernels.compile_knn_elsewhere() is None and not started
    monkeypatch.setattr(kernels.os, "getloadavg", lambda: (0.2, 0.1, 0.1))
    kernels.compile_knn_elsewhere()
    assert len(started) == 1
