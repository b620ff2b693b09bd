"""``livedigits bench``: accuracy and speed, each beside a baseline from the same run.

Each row carries its figure as a number with its unit, and, where the issues set one,
its bar (``bar`` and ``bar_op``, ">=" or "<=") and whether the figure meets it (``ok``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

from livedigits.paths import digits_png
from livedigits.recognize.recognizer import Recognizer
from livedigits.training.fit import describe
from livedigits.training.model import ModelParams


def _best_rate(fn, items: int, repeat: int) -> float:
    """Items per second of ``fn()``, best of ``repeat`` runs after one warm-up."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return items / best


def _median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def _live_ms(recognizer: Recognizer, frames: int) -> tuple[list[float], dict]:
    """Ms of each frame of the live pipeline (tracker, classifications kept for unchanged
    digits) on ``livedigits demo``'s hand-held 1280x720 footage of 100 digits, the frames
    rendered beforehand; and the counts of ``synth.score`` over them."""
    from livedigits.live.demo_source import DemoSource
    from livedigits.live.pipeline import Pipeline
    from livedigits.synthetic.synth import score

    source = DemoSource(width=1280, height=720, n_digits=100, frames=frames, seed=0)
    images = [source.render(i) for i in range(frames)]
    pipeline = Pipeline(recognizer)
    times, total = [], {"n": 0, "found": 0, "correct": 0, "fp": 0}
    for index, image in enumerate(images):
        start = time.perf_counter()
        detections = pipeline.process(image, index).detections
        times.append(1000 * (time.perf_counter() - start))
        got = score(*source.truth(index), detections)
        total = {key: total[key] + got[key] for key in total}
    return times, total


def _sample_hog(cells: np.ndarray) -> np.ndarray:
    """OpenCV's digits sample features: 16 signed bins in 4 quadrants, Hellinger (64-d)."""
    x = cells.astype(np.float32)
    gx = np.zeros_like(x)
    gy = np.zeros_like(x)
    gx[:, :, 1:-1] = x[:, :, 2:] - x[:, :, :-2]
    gy[:, 1:-1, :] = x[:, 2:, :] - x[:, :-2, :]
    mag = np.hypot(gx, gy)
    bins = np.minimum((16 * np.mod(np.arctan2(gy, gx), 2 * np.pi) / (2 * np.pi)).astype(int), 15)
    feats = []
    for rows in (slice(0, 10), slice(10, 20)):
        for cols in (slice(0, 10), slice(10, 20)):
            b = bins[:, rows, cols].reshape(len(x), -1)
            m = mag[:, rows, cols].reshape(len(x), -1)
            hist = np.zeros((len(x), 16), np.float32)
            np.add.at(hist, (np.repeat(np.arange(len(x)), b.shape[1]), b.ravel()), m.ravel())
            feats.append(hist)
    f = np.concatenate(feats, axis=1)
    f /= f.sum(axis=1, keepdims=True) + 1e-7
    f = np.sqrt(f)
    return f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-7)


def row(what: str, value: float, unit: str, *, baseline: float | None = None,
         bar: float | None = None, bar_op: str | None = None, note: str = "") -> dict:
    ok = None
    if bar is not None:
        ok = bool(value >= bar) if bar_op == ">=" else bool(value <= bar)
    return {"what": what, "value": float(value), "unit": unit,
            "baseline": None if baseline is None else float(baseline),
            "bar": bar, "bar_op": bar_op, "ok": ok, "note": note}


def format_value(value: float | None, unit: str) -> str:
    """A row's figure as the table prints it: ``98.6%``, ``412,345``, ``7.9``, ``0.118``."""
    if value is None:
        return ""
    if unit == "%":
        return f"{value:.1f}%"
    if unit.endswith("/s"):
        return f"{value:,.0f}"
    if unit == "s":
        return f"{value:.3f}"
    return f"{value:.1f}"


def missed_bars(rows: list[dict]) -> list[dict]:
    """The rows whose figure misses its bar."""
    return [r for r in rows if r.get("ok") is False]


def run_bench(*, quick: bool = False) -> list[dict]:
    """Run every measurement; returns rows ``{"what", "value", "unit", "baseline",
    "bar", "bar_op", "ok", "note"}`` (``value``, ``baseline`` and ``bar`` numbers or
    None; ``ok`` None for a row without a bar)."""
    import numba

    from livedigits.kernels.hog import hog
    from livedigits.kernels.knn import knn_search
    from livedigits.kernels.reference import hog_numpy, knn_numpy
    from livedigits.synthetic.synth import render_page, score
    from livedigits.synthetic.wild import render_scene
    from livedigits.training.cells import deskew, load_sheet

    repeat = 3 if quick else 7
    numba.set_num_threads(1)
    rows = []

    cells, labels, holdout = load_sheet(digits_png())
    held = Recognizer.load(params=ModelParams(holdout=True))
    digits, _ = held.classify(cells[holdout])
    accuracy = float((digits == labels[holdout]).mean())
    train_f = _sample_hog(deskew(cells[~holdout]))
    test_f = _sample_hog(deskew(cells[holdout]))
    idx, _ = knn_numpy(test_f, train_f, 5)
    votes = np.zeros((len(test_f), 10))
    np.add.at(votes, (np.repeat(np.arange(len(test_f)), 5), labels[~holdout][idx].ravel()), 1)
    base_acc = float((votes.argmax(axis=1) == labels[holdout]).mean())
    rows.append(row("held-out accuracy (500 digits)", accuracy * 100, "%",
                     baseline=base_acc * 100,
                     note="baseline: OpenCV sample HOG (64-d) + 5-NN"))

    batch = np.ascontiguousarray(np.concatenate([cells] * (1 if quick else 4)))
    hog_rate = _best_rate(lambda: hog(batch, parallel=False), len(batch), repeat)
    chunk = batch[:2048]
    numpy_rate = _best_rate(
        lambda: [hog_numpy(chunk[i:i + 128]) for i in range(0, len(chunk), 128)],
        len(chunk), 2)
    rows.append(row("HOG cells/s, 1 thread", hog_rate, "cells/s", baseline=numpy_rate,
                     bar=300_000, bar_op=">=",
                     note="bar >= 300,000; baseline: numpy, chunks of 128"))

    default = Recognizer.load()
    model = default.model
    queries = describe(deskew(cells[holdout][:100]), model.projection)
    k = model.params.k
    knn_rate = _best_rate(lambda: knn_search(queries, model.features, k, parallel=False),
                          len(queries), repeat * 3)
    blas_rate = _best_rate(lambda: knn_numpy(queries, model.features, k), len(queries),
                           repeat * 3)
    note = f"bar >= 10,000; model {len(model.labels)} x {model.features.shape[1]}; " \
           "baseline: numpy BLAS + argpartition"
    if os.environ.get("OPENBLAS_CORETYPE"):
        note += f" (OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']})"
    rows.append(row("k-NN queries/s, 1 thread, batches of 100", knn_rate, "queries/s",
                     baseline=blas_rate, bar=10_000, bar_op=">=", note=note))

    rng = np.random.default_rng(7)
    frame = render_page(rng, width=1280, height=720, digit_height=36, n_digits=100)
    frame_ms = _median_ms(lambda: default.recognize(frame.image), repeat * 3)
    found = score(frame.boxes, frame.digits, default.recognize(frame.image))
    rows.append(row("ms per 1280x720 frame (end to end)", frame_ms, "ms", bar=15,
                     bar_op="<=",
                     note=f"bar <= 15; {found['n']} digits, {found['correct']} read right, "
                          f"{found['fp']} false positives"))

    # The same frame size as a webcam sees a sheet: desk around it, a thin pen.
    scene = render_scene(rng, width=1280, height=720, desk=0.3, digit_height=28,
                         n_digits=100, stroke=1.0, ink_level=95)
    desk_ms = _median_ms(lambda: default.recognize(scene.image), repeat * 3)
    found = score(scene.boxes, scene.digits, default.recognize(scene.image))
    rows.append(row("ms per 1280x720 frame, sheet on a desk (end to end)", desk_ms, "ms",
                     bar=15, bar_op="<=",
                     note=f"bar <= 15; {found['n']} digits, 1 px pen, 30% desk; "
                          f"{found['correct']} read right, {found['fp']} false positives"))

    # Live: the demo's hand-held footage (desk in view) through the live pipeline.
    times, got = _live_ms(held, 30 if quick else 90)
    note = (f"{len(times)} frames of 100 digits, 30% desk, hand-held; "
            f"{100 * got['correct'] / max(got['n'], 1):.1f}% read right, "
            f"{got['fp'] / len(times):.2f} false positives a frame")
    rows.append(row("ms per 1280x720 hand-held frame, live (median)",
                    float(np.median(times)), "ms", bar=15, bar_op="<=",
                    note="bar <= 15; " + note))
    rows.append(row("ms per 1280x720 hand-held frame, live (99th percentile)",
                    float(np.percentile(times, 99)), "ms", bar=30, bar_op="<=",
                    note="bar <= 30; the same frames"))

    page = render_page(rng, width=2480, height=3508, digit_height=110, n_digits=120)
    page_ms = _median_ms(lambda: default.recognize(page.image), max(2, repeat // 2))
    found = score(page.boxes, page.digits, default.recognize(page.image))
    rows.append(row("s per A4 300-dpi page (end to end)", page_ms / 1000, "s", bar=0.3,
                     bar_op="<=",
                     note=f"bar <= 0.3; {found['n']} digits, {found['correct']} read right, "
                          f"{found['fp']} false positives"))

    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "livedigits", "--help"], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    rows.append(row("s for `livedigits --help`", min(times), "s", bar=0.3, bar_op="<=",
                     note="bar <= 0.3"))
    return rows
