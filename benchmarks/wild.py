"""Handwritten digits photographed "in the wild": sheets on desks, thin pens, clutter.

Renders a fixed-seed set of scenes per family with ``livedigits.synthetic.wild`` (held-out
digits of digits.png redrawn with a pen, on a sheet lying on a desk, under
perspective, falling-off light, blur, sensor noise and JPEG) and reads each with
``Recognizer.recognize`` on one thread. The model leaves the held-out digits out
of training unless ``--default-model`` is given. Prints, per family: digits,
found, read right, false positives (in all and per image), median and slowest ms
per image; then all families together and the bars.

With ``--truetype-print`` the scenes' print is also set in the machine's TrueType faces
(DejaVu Sans, Serif and Mono), which the not-a-digit examples are never drawn in: print
as real sheets have it rather than in OpenCV's built-in faces.

With ``--video`` it renders a 640x480 hand-held video of a sheet on a desk
instead and reads it two ways: every frame on its own (``recognize``, no tracker)
and as ``livedigits live --source VIDEO`` does (the live pipeline).

    python benchmarks/wild.py [--seed 0] [--quick] [--video] [--truetype-print] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

BARS = {"correct": 0.93, "fp_per_200": 10, "slowest_s": 1.5,
        "video_correct": 0.90, "video_found": 0.97, "video_fp_per_frame": 0.5}


def _desk_thin(rng, *, width, height, digit_height, stroke, n_digits):
    """A thin ballpoint (ink 80-110) on a sheet with 18-48% of desk in view."""
    from livedigits.synthetic.wild import render_scene

    return render_scene(rng, width=width, height=height, digit_height=digit_height,
                        n_digits=n_digits, stroke=stroke, ink_level=rng.uniform(80, 110),
                        desk=rng.uniform(0.18, 0.48), rotation_deg=rng.uniform(-4, 4),
                        perspective=rng.uniform(0, 0.04), blur=rng.uniform(0.6, 1.1),
                        falloff=rng.uniform(0.1, 0.45), jpeg_quality=int(rng.integers(60, 71)),
                        shadow=_shadow(rng))


def _shadow(rng):
    """A soft shadow across the page in about a third of the scenes."""
    return rng.uniform(0.1, 0.3) if rng.random() < 0.35 else None


def _typical(rng, clutter=(), **kwargs):
    """A 1280x720 webcam view of a sheet with ballpoint or felt-tip digits."""
    from livedigits.synthetic.wild import render_scene

    height = kwargs.pop("digit_height", int(rng.integers(26, 36)))
    params = {"width": 1280, "height": 720, "digit_height": height, "n_digits": 30,
              "stroke": rng.uniform(1.0, 2.5), "desk": rng.uniform(0.18, 0.4),
              "rotation_deg": rng.uniform(-3, 3), "perspective": rng.uniform(0, 0.04),
              "blur": rng.uniform(0.6, 1.1), "falloff": rng.uniform(0.1, 0.45),
              "jpeg_quality": int(rng.integers(60, 71)), "clutter": clutter,
              "shadow": _shadow(rng)}
    params.update(kwargs)
    return render_scene(rng, **params)


def _marker(rng, i):
    """Four 250 px digits in 25 px marker strokes; every third a 4032x3024 photo."""
    from livedigits.synthetic.wild import render_scene

    width, height = (4032, 3024) if i % 3 == 2 else (1600, 1200)
    return render_scene(rng, width=width, height=height, digit_height=250, n_digits=4,
                        stroke=25, ink_level=rng.uniform(20, 40), desk=rng.uniform(0.18, 0.3),
                        rotation_deg=rng.uniform(-3, 3), blur=rng.uniform(0.6, 1.1),
                        falloff=rng.uniform(0.1, 0.4), jpeg_quality=int(rng.integers(60, 71)),
                        shadow=_shadow(rng))


def _big_photo(rng, i):
    """A 4032x3024 phone photo of a sheet on a desk, digits 40-120 px tall."""
    from livedigits.synthetic.wild import render_scene

    height = int(rng.uniform(40, 120))
    return render_scene(rng, width=4032, height=3024, digit_height=height,
                        n_digits=int(rng.integers(40, 61)),
                        stroke=height * rng.uniform(0.03, 0.08), ink_level=rng.uniform(30, 100),
                        desk=rng.uniform(0.18, 0.48), rotation_deg=rng.uniform(-4, 4),
                        perspective=rng.uniform(0, 0.04), blur=rng.uniform(0.6, 1.1),
                        falloff=rng.uniform(0.1, 0.45), jpeg_quality=int(rng.integers(60, 71)),
                        clutter=("text",) if i % 2 else (), shadow=_shadow(rng))


#: name -> (images by default, images with --quick, scene maker (rng, i) -> Scene)
FAMILIES = {
    "desk-thin-18": (6, 2, lambda rng, i: _desk_thin(
        rng, width=640, height=480, digit_height=18, stroke=0.6, n_digits=30)),
    "desk-thin-34": (3, 1, lambda rng, i: _desk_thin(
        rng, width=1280, height=720, digit_height=34, stroke=1.0, n_digits=40)),
    "marker-250": (3, 2, _marker),
    "form": (4, 1, lambda rng, i: _typical(rng, ("form",), n_digits=24)),
    "sudoku": (4, 1, lambda rng, i: _typical(rng, ("sudoku",), digit_height=30)),
    "text": (4, 1, lambda rng, i: _typical(rng, ("text",))),
    "letters": (4, 1, lambda rng, i: _typical(rng, ("letters",))),
    "light-on-dark": (3, 1, lambda rng, i: _typical(
        rng, polarity="light", stroke=rng.uniform(2.0, 4.0), ink_level=rng.uniform(180, 230))),
    "big-photo": (2, 1, _big_photo),
    "random": (20, 3, lambda rng, i: _random(rng)),
    "mixed-sizes": (4, 1, lambda rng, i: _typical(
        rng, digit_height=int(rng.integers(34, 48)), size_spread=0.4, small_zeros=0.6)),
}


def _random(rng):
    """``random_scene``: every condition at random, all at once."""
    from livedigits.synthetic.wild import random_scene

    return random_scene(rng)


def _recognizer(default_model: bool):
    """The recognizer on one thread, compiled and warmed up."""
    import numba

    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.model import ModelParams

    numba.set_num_threads(1)
    recognizer = Recognizer.load() if default_model else \
        Recognizer.load(params=ModelParams(holdout=True))
    recognizer.warmup()
    # One untimed scene, so that no kernel compiles inside a timed image.
    from livedigits.synthetic.wild import render_scene

    recognizer.recognize(render_scene(np.random.default_rng(12345), width=640, height=480,
                                      digit_height=24, n_digits=10, clutter=("text",)).image)
    return recognizer


def measure_family(name: str, recognizer, *, seed: int, quick: bool,
                   per_image: bool = False) -> dict:
    """Counts over one family's scenes: images, digits ``n``, ``found``, ``correct``,
    ``fp``, and per-image ``ms`` (list of float). ``per_image`` prints a line a scene."""
    from livedigits.synthetic.synth import score

    count, quick_count, make = FAMILIES[name]
    index = list(FAMILIES).index(name)
    total = {"images": 0, "n": 0, "found": 0, "correct": 0, "fp": 0, "ms": []}
    for i in range(quick_count if quick else count):
        scene = make(np.random.default_rng([seed, index, i]), i)
        start = time.perf_counter()
        detections = recognizer.recognize(scene.image)
        total["ms"].append(1000 * (time.perf_counter() - start))
        got = score(scene.boxes, scene.digits, detections)
        total["images"] += 1
        for key in ("n", "found", "correct", "fp"):
            total[key] += got[key]
        if per_image:
            h, w = scene.image.shape[:2]
            size = int(np.median(scene.boxes[:, 3])) if len(scene.boxes) else 0
            print(f"  {name} #{i}: {w}x{h}, digits {got['n']} (~{size} px), found "
                  f"{got['found']}, correct {got['correct']}, fp {got['fp']}, "
                  f"{total['ms'][-1]:.0f} ms", file=sys.stderr)
    return total


def _summary(total: dict) -> dict:
    """Shares and per-image figures from summed counts."""
    n = max(total["n"], 1)
    ms = total["ms"] or [float("nan")]
    return {"images": total["images"], "digits": total["n"], "found": total["found"] / n,
            "correct": total["correct"] / n, "fp": total["fp"],
            "fp_per_image": total["fp"] / max(total["images"], 1),
            "median_ms": float(np.median(ms)), "max_ms": float(np.max(ms))}


def measure_video(recognizer, *, seed: int, frames: int) -> dict:
    """Per-frame shares over a 640x480 hand-held video, read two ways: each frame on
    its own (``recognize``) and as ``livedigits live`` reads a video (the live
    pipeline: tracker, votes, classifications kept for unchanged digits).

    Returns ``{"frames", "digits_per_frame", "per_frame": {...}, "live": {...},
    "by_smear": [...]}``, the two ways each with ``correct``, ``found``,
    ``fp_per_frame`` and ``median_ms``; ``by_smear`` the same shares a way for
    the frames in each band of motion smear (``SMEAR_BANDS``, px), ``{"band",
    "frames", "per_frame", "live"}``.
    """
    import cv2

    from livedigits.live.pipeline import Pipeline
    from livedigits.synthetic.synth import score
    from livedigits.synthetic.wild import render_video

    ways = ("per_frame", "live")
    totals = {way: {"n": 0, "found": 0, "correct": 0, "fp": 0, "ms": []} for way in ways}
    pipeline = Pipeline(recognizer)
    count = 0
    smears: list[tuple[float, float]] = []
    per_frame: list[dict] = []  # one {way: score} a frame
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hand-held.avi"
        truth = render_video(np.random.default_rng([seed, 99]), path, frames=frames,
                             smears=smears)
        capture = cv2.VideoCapture(str(path))
        try:
            for index, (boxes, digits) in enumerate(truth):
                ok, image = capture.read()
                if not ok:
                    break
                count += 1
                per_frame.append({})
                for way in ways:
                    start = time.perf_counter()
                    detections = recognizer.recognize(image) if way == "per_frame" else \
                        pipeline.process(image, index).detections
                    totals[way]["ms"].append(1000 * (time.perf_counter() - start))
                    got = score(boxes, digits, detections)
                    per_frame[-1][way] = got
                    for key in ("n", "found", "correct", "fp"):
                        totals[way][key] += got[key]
        finally:
            capture.release()
    out = {"frames": count, "digits_per_frame": totals["live"]["n"] / max(count, 1)}
    for way, total in totals.items():
        n = max(total["n"], 1)
        out[way] = {"correct": total["correct"] / n, "found": total["found"] / n,
                    "fp_per_frame": total["fp"] / max(count, 1),
                    "median_ms": float(np.median(total["ms"])) if total["ms"] else float("nan")}
    out["by_smear"] = _by_smear(per_frame, np.hypot(*np.array(smears[:count]).T)
                                if count else np.zeros(0), ways)
    return out


SMEAR_BANDS = ((0, 2), (2, 4), (4, 6), (6, float("inf")))


def _by_smear(per_frame: list[dict], lengths: np.ndarray, ways: tuple[str, ...]) -> list:
    """Shares found and correct per way over the frames whose motion smear
    (``lengths``, (F,) px) falls in each of ``SMEAR_BANDS``; empty bands left out."""
    rows = []
    for low, high in SMEAR_BANDS:
        chosen = [got for got, length in zip(per_frame, lengths, strict=True)
                  if low <= length < high]
        if not chosen:
            continue
        row = {"band": [low, high], "frames": len(chosen)}
        for way in ways:
            n = max(sum(got[way]["n"] for got in chosen), 1)
            row[way] = {"found": sum(got[way]["found"] for got in chosen) / n,
                        "correct": sum(got[way]["correct"] for got in chosen) / n}
        rows.append(row)
    return rows


def _verdict(met: dict) -> str:
    """``met``, or ``missed:`` and the names of the bars missed."""
    missed = [name for name, ok in met.items() if not ok]
    return "missed: " + ", ".join(missed) if missed else "met"


def _bars_text() -> str:
    """The bars, as the issue states them."""
    return (f"bars: >= {BARS['correct']:.0%} correct overall, <= {BARS['fp_per_200']} false "
            f"positives in all over ~200 digits, slowest image <= {BARS['slowest_s']} s on "
            f"one thread; video >= {BARS['video_correct']:.0%} correct, "
            f">= {BARS['video_found']:.0%} found, <= {BARS['video_fp_per_frame']} FP a frame")


def main(argv: list[str]) -> int:
    """Parse ``argv``, measure, print the table (or JSON); returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the whole scene set")
    parser.add_argument("--quick", action="store_true", help="fewer scenes (~30 s)")
    parser.add_argument("--video", action="store_true",
                        help="a hand-held 640x480 video, read frame by frame and live")
    parser.add_argument("--frames", type=int, default=None,
                        help="video frames (default 60, 20 with --quick)")
    parser.add_argument("--family", action="append", choices=list(FAMILIES),
                        help="only these families (repeatable)")
    parser.add_argument("--default-model", action="store_true",
                        help="the default model, trained on the held-out digits too")
    parser.add_argument("--per-image", action="store_true",
                        help="also a line per scene (on stderr)")
    parser.add_argument("--truetype-print", action="store_true",
                        help="set the scenes' print in the machine's TrueType faces too "
                             "(DejaVu; faces the not-a-digit examples are never drawn in)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    recognizer = _recognizer(args.default_model)
    if args.truetype_print:
        from livedigits.synthetic.clutter import truetype_print

        with truetype_print() as faces:
            if not faces:
                print("wild.py: no TrueType faces here (DejaVu under /usr/share/fonts, "
                      "OpenCV 5); install fonts-dejavu-core", file=sys.stderr)
                return 2
            return _measure(args, recognizer)
    return _measure(args, recognizer)


def _measure(args: argparse.Namespace, recognizer) -> int:
    """The measurements ``args`` ask for, printed; returns the exit status."""

    if args.video:
        frames = args.frames or (20 if args.quick else 60)
        result = measure_video(recognizer, seed=args.seed, frames=frames)
        met = {way: {"correct": r["correct"] >= BARS["video_correct"],
                     "found": r["found"] >= BARS["video_found"],
                     "fp_per_frame": r["fp_per_frame"] <= BARS["video_fp_per_frame"]}
               for way, r in ((w, result[w]) for w in ("per_frame", "live"))}
        if args.json:
            print(json.dumps({"video": result, "bars": BARS, "met": met}))
            return 0
        print(f"{'640x480 video':<16}{'frames':>7}{'digits/f':>9}{'found':>8}{'correct':>9}"
              f"{'fp/frame':>9}{'med ms':>8}  bars")
        for way, label in (("per_frame", "each frame"), ("live", "live")):
            r = result[way]
            print(f"{label:<16}{result['frames']:>7}{result['digits_per_frame']:>9.1f}"
                  f"{r['found']:>8.1%}{r['correct']:>9.1%}{r['fp_per_frame']:>9.2f}"
                  f"{r['median_ms']:>8.1f}  {_verdict(met[way])}")
        print("by motion smear (px a frame): correct each frame / live")
        for row in result["by_smear"]:
            low, high = row["band"]
            band = f"{low:g}-{high:g} px" if high != float("inf") else f">= {low:g} px"
            print(f"  {band:<10}{row['frames']:>4} frames  {row['per_frame']['correct']:>6.1%}"
                  f" / {row['live']['correct']:.1%}")
        print(_bars_text())
        return 0

    names = args.family or list(FAMILIES)
    totals = {name: measure_family(name, recognizer, seed=args.seed, quick=args.quick,
                                   per_image=args.per_image)
              for name in names}
    everything = {"images": 0, "n": 0, "found": 0, "correct": 0, "fp": 0, "ms": []}
    for total in totals.values():
        for key, value in total.items():
            everything[key] = everything[key] + value
    rows = {name: _summary(total) for name, total in totals.items()}
    overall = _summary(everything)
    overall["fp_per_200"] = 200 * everything["fp"] / max(everything["n"], 1)
    met = {"correct": overall["correct"] >= BARS["correct"],
           "fp_per_200": overall["fp_per_200"] <= BARS["fp_per_200"],
           "slowest_s": overall["max_ms"] / 1000 <= BARS["slowest_s"]}
    if args.json:
        print(json.dumps({"families": rows, "all": overall, "bars": BARS, "met": met}))
        return 0
    print(f"{'family':<16}{'images':>7}{'digits':>7}{'found':>8}{'correct':>9}{'fp':>5}"
          f"{'fp/img':>8}{'med ms':>8}{'max ms':>8}")
    for name, r in [*rows.items(), ("all families", overall)]:
        if name == "all families":
            print("-" * 76)
        print(f"{name:<16}{r['images']:>7}{r['digits']:>7}{r['found']:>8.1%}"
              f"{r['correct']:>9.1%}{r['fp']:>5}{r['fp_per_image']:>8.2f}"
              f"{r['median_ms']:>8.0f}{r['max_ms']:>8.0f}")
    print(f"all families: {overall['correct']:.1%} correct, {overall['fp_per_200']:.1f} false "
          f"positives per 200 digits, slowest image {overall['max_ms'] / 1000:.2f} s; bars "
          f"{_verdict(met)}")
    print(_bars_text())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
