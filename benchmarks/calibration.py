"""Calibration on a writer's "rows" sheet: reading it, and a half-sheet profile's effect.

Issue 5's bars, on a marker-less rows sheet (one handwritten row per digit, rows
in ``--order``, about ten a row): (a) ``rows_reader.read_rows`` returns every digit
with its row's label; (b) with a profile made from half of the sheet, the other
half is read (as ``livedigits image`` reads it) >= 98% right with no false positive.

Per sheet: read it with ``read_rows`` (digits found against ``--per-row`` times
the rows, per-row counts), then split every row by position: even positions are
half A, odd ones half B. For A -> B, half A's cells become a profile (saved with
``save_profile`` into a temporary calibration folder, never the repository's),
half A's boxes are painted over with the paper's own colour, and the image left,
holding only half B, is read from a PNG by ``batch.process_file`` (the code
``livedigits image`` runs) with the model alone ("before") and with the profile
("after"); detections are scored against half B's boxes and row labels with
``synth.score``. B -> A is the swap. The models leave digits.png's held-out tenth
out (``ModelParams(holdout=True)``) so synthetic test digits were never trained on.

Without FILE a SYNTHETIC writer is measured: a rows sheet of digits.png's
held-out digits, 10 a row, each redrawn with one pen width, one slant and one
width, slightly slanted rows, a mild keystone, blur and noise; ``--seed`` picks
the writer (several seeds: several writers). By default every digit is a
different held-out digit (other MNIST writers' shapes: only the pen, slant and
width are this writer's, and normalising and deskewing remove most of that);
``--shapes K`` gives the writer K shapes of each digit, every digit written one
of them slightly warped, as a person's digits recur. The rendered truth also
checks bar (a) digit by digit.

    python benchmarks/calibration.py [FILE ...] [--order 1234567890] [--per-row 10]
                                     [--seed 0 1 2] [--shapes K] [--out DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

INK_BGR = np.array([120, 45, 25], np.float32)  # blue ballpoint
CORRECT_BAR = 0.98


# --------------------------------------------------------------------------- a synthetic writer


def writer_style(rng: np.random.Generator) -> dict:
    """One writer's habits: pen width (of the digit height), slant (shear), width, height."""
    return {"pen": float(rng.uniform(0.06, 0.11)), "slant": float(rng.uniform(-0.1, 0.35)),
            "width": float(rng.uniform(0.85, 1.15)), "height": int(rng.integers(62, 78))}


def _styled_sprite(cell: np.ndarray, style: dict, rng: np.random.Generator) -> np.ndarray:
    """A held-out cell drawn in the writer's style: (h, w) float32 ink coverage 0..1."""
    from livedigits.synthetic.synth import digit_sprite

    height = int(round(style["height"] * rng.uniform(0.95, 1.05)))
    sprite = digit_sprite(cell, height, style["pen"])
    sh, sw = sprite.shape
    sprite = cv2.resize(sprite, (max(1, round(sw * style["width"])), sh),
                        interpolation=cv2.INTER_AREA)
    sh, sw = sprite.shape
    slant = style["slant"] + rng.uniform(-0.04, 0.04)  # x moves right by slant per px up
    extra = int(np.ceil(abs(slant) * sh))
    matrix = np.float32([[1, -slant, max(slant, 0) * sh], [0, 1, 0]])
    return cv2.warpAffine(sprite, matrix, (sw + extra, sh), flags=cv2.INTER_LINEAR)


def _variant(cell: np.ndarray, rng: np.random.Generator, amount: float = 0.05) -> np.ndarray:
    """Another writing of the same digit: ``cell`` at 4x, smoothly warped by up to
    ``amount`` of its side and turned/scaled a little; (80, 80) uint8."""
    side = 4 * cell.shape[0]
    big = cv2.resize(cell, (side, side), interpolation=cv2.INTER_CUBIC)
    field = []
    for _ in range(2):
        noise = cv2.GaussianBlur(rng.uniform(-1, 1, (side, side)).astype(np.float32),
                                 (0, 0), side / 8)
        field.append(noise / max(float(np.abs(noise).max()), 1e-6) * amount * side)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    matrix = cv2.getRotationMatrix2D((side / 2, side / 2), rng.uniform(-4, 4),
                                     rng.uniform(0.95, 1.05))
    moved = cv2.remap(big, xx + field[0], yy + field[1], cv2.INTER_LINEAR)
    return cv2.warpAffine(moved, matrix, (side, side), flags=cv2.INTER_LINEAR)


def synthetic_rows_sheet(seed: int, order: str, per_row: int = 10, *, shapes: int = 0,
                         width: int = 1800, height: int = 2200
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """A rows sheet by one synthetic writer, drawn as tests/test_calibrate.py's rows_sheet.

    ``shapes`` 0: each row holds ``per_row`` different held-out digits (different
    MNIST writers' shapes, in this writer's pen, slant and width). ``shapes`` K: the
    writer has K shapes of each digit (held-out digits) and every digit written is
    one of them, warped a little (``_variant``), as a person's digits recur.

    Returns ``(image (H, W, 3) uint8 BGR, boxes (N, 4) int32 of each digit's ink in the
    image, digits (N,), style)``.
    """
    from livedigits.synthetic.synth import heldout_cells, warp_boxes

    cells, labels = heldout_cells()
    rng = np.random.default_rng(seed)
    style = writer_style(rng)
    style["shapes"] = shapes
    paper = np.full((height, width), 245, np.uint8)
    ink = np.zeros((height, width), np.float32)
    boxes, digits = [], []
    pitch = (height - 200) // len(order)
    for r, ch in enumerate(order):
        digit = int(ch)
        pool = np.flatnonzero(labels == digit)
        if shapes:
            own = rng.choice(pool, shapes, replace=False)
            written = [_variant(cells[k], rng) for k in rng.choice(own, per_row)]
        else:
            written = [cells[k] for k in rng.choice(pool, per_row, replace=False)]
        sprites = [_styled_sprite(cell, style, rng) for cell in written]
        room = width - 160 - sum(s.shape[1] for s in sprites)
        gaps = rng.uniform(25, 70, per_row)
        gaps *= min(1.0, room / gaps.sum())  # ten always fit
        slope = rng.uniform(-0.06, 0.06)
        x = 100 + int(rng.integers(0, 40))
        base = 130 + r * pitch
        for sprite, gap in zip(sprites, gaps, strict=True):
            sh, sw = sprite.shape
            top = int(base + slope * (x - 100) + rng.uniform(-6, 6))
            region = ink[top:top + sh, x:x + sw]
            np.maximum(region, sprite, out=region)
            ys, xs = np.nonzero(sprite > 0.05)
            boxes.append((x + xs.min(), top + ys.min(), np.ptp(xs) + 1, np.ptp(ys) + 1))
            digits.append(digit)
            x += sw + int(gap)
    alpha = ink[:, :, None] * 0.92
    page = paper[:, :, None].astype(np.float32) * (1 - alpha) + INK_BGR * alpha
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(
        corners, corners + rng.uniform(-25, 25, (4, 2)).astype(np.float32))
    page = cv2.warpPerspective(page, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    page = cv2.GaussianBlur(page, (0, 0), 0.8)
    image = np.clip(page + rng.normal(0, 2, page.shape), 0, 255).astype(np.uint8)
    truth = warp_boxes(np.array(boxes, np.float32), matrix)
    return image, np.round(truth).astype(np.int32), np.array(digits, np.int32), style


# --------------------------------------------------------------------------- reading


def check_reading(reading, boxes, order: str, per_row: int | None,
                  truth: tuple[np.ndarray, np.ndarray] | None) -> dict:
    """Bar (a): digits found against expected; with a synthetic truth, digit by digit."""
    counts = [int((reading.labels == int(ch)).sum()) for ch in order]
    out = {"found": len(reading.labels), "per_row": counts,
           "expected": None if per_row is None else per_row * len(order)}
    if per_row is not None:
        out["rows_off"] = [ch for ch, n in zip(order, counts, strict=True) if n != per_row]
    if truth is not None:  # each true digit inside exactly one read box, with its label
        true_boxes, true_digits = truth
        centres = true_boxes[:, :2] + true_boxes[:, 2:] / 2
        right = 0
        for (x, y, w, h), label in zip(boxes, reading.labels, strict=True):
            inside = np.flatnonzero((centres[:, 0] >= x) & (centres[:, 0] <= x + w)
                                    & (centres[:, 1] >= y) & (centres[:, 1] <= y + h))
            right += int(len(inside) == 1 and true_digits[inside[0]] == label)
        out["labels_right"] = right
        out["truth"] = len(true_digits)
    if per_row is None and truth is None:
        out["ok"] = None  # nothing to check against
    else:
        out["ok"] = (per_row is None or (out["found"] == out["expected"]
                                         and not out["rows_off"])) and (
            truth is None or out["labels_right"] == out["truth"] == out["found"])
    return out


# --------------------------------------------------------------------------- one half


def paint_over(image: np.ndarray, hide: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``image`` with the boxes ``hide`` (N, 4) painted in the paper's colour around them.

    The paper's colour is the image's median over a digit-high square (thin strokes
    are far from half of it), so uneven light stays; the boxes ``keep`` are never
    painted.
    """
    height = float(np.median(np.concatenate([hide, keep])[:, 3]))
    pad = max(2, round(0.08 * height))
    side = min(255, max(5, int(height) | 1))
    paper = cv2.medianBlur(image, side)
    mask = np.zeros(image.shape[:2], bool)
    for x, y, w, h in hide:
        mask[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad] = True
    for x, y, w, h in keep:
        mask[max(0, y - 1):y + h + 1, max(0, x - 1):x + w + 1] = False
    out = image.copy()
    out[mask] = paper[mask]
    return out


def read_half(recognizer, image: np.ndarray, path: Path, boxes: np.ndarray,
              digits: np.ndarray) -> dict:
    """Score what ``livedigits image`` reads in ``image`` (written to ``path``) against truth."""
    from livedigits.imageio import encode_png
    from livedigits.pages.page import process_file
    from livedigits.recognize.recognizer import Detection
    from livedigits.synthetic.synth import score

    path.write_bytes(encode_png(image))
    result = process_file(recognizer, path, out_dir=None)
    detections = [Detection(**d) for d in result["detections"]]
    scored = score(boxes, digits, detections)
    scored["unsure"] = sum(1 for d in detections if d.confidence < recognizer.min_confidence)
    scored["misread"] = misread(boxes, digits, detections)
    return scored


def misread(boxes: np.ndarray, digits: np.ndarray, detections: list) -> list[str]:
    """``"TRUE>READ"`` for each wrong detection, matched as ``synth.score`` matches."""
    used: set[int] = set()
    wrong = []
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    for d in detections:
        for i, (cx, cy) in enumerate(centres):
            if i not in used and d.x <= cx <= d.x + d.w and d.y <= cy <= d.y + d.h:
                used.add(i)
                if d.digit != digits[i]:
                    wrong.append(f"{digits[i]}>{d.digit}")
                break
    return sorted(wrong)


def measure_sheet(image: np.ndarray, order: str, per_row: int | None, base, folder: Path,
                  name: str, truth=None, out_dir: Path | None = None) -> dict:
    """Bar (a) and, for both splits of the sheet, before/after on the test half."""
    from livedigits.calibrate.profile import save_profile
    from livedigits.calibrate.rows_reader import read_rows
    from livedigits.calibrate.sheet_reader import SheetReading
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.build import build_default
    from livedigits.training.model import ModelParams

    reading = read_rows(image, order)
    boxes, positions = reading.boxes, reading.positions
    result = {"read": check_reading(reading, boxes, order, per_row, truth), "splits": {}}
    for profile_half, test_half, parity in (("A", "B", 0), ("B", "A", 1)):
        train = positions % 2 == parity
        test = ~train
        profile = SheetReading(reading.cells[train], reading.labels[train])
        label = f"{name}-{profile_half}".replace("/", "_")
        path, _ = save_profile(label, profile, force=True)
        after = Recognizer(build_default(ModelParams(holdout=True), profile=path))
        after.min_confidence = base.min_confidence
        half = paint_over(image, boxes[train], boxes[test])
        if out_dir is not None:
            cv2.imwrite(str(out_dir / f"{label}_test_{test_half}.png"), half)
        png = folder / f"{label}_test.png"
        split = {"profile": int(train.sum())}
        for when, recognizer in (("before", base), ("after", after)):
            split[when] = read_half(recognizer, half, png, boxes[test], reading.labels[test])
        result["splits"][f"{profile_half}->{test_half}"] = split
    return result


# --------------------------------------------------------------------------- report


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def print_table(results: list[dict]) -> None:
    for r in results:
        read = r["read"]
        expected = "?" if read["expected"] is None else read["expected"]
        per_row = " ".join(str(n) for n in read["per_row"])
        line = f"{r['sheet']}: read {read['found']}/{expected} digits (rows: {per_row})"
        if read.get("rows_off"):
            line += f" (rows off: {','.join(read['rows_off'])})"
        if "labels_right" in read:
            line += (f", {read['labels_right']}/{read['truth']} rendered digits matched by a "
                     "read box with their row's label")
        if "style" in r:
            s = r["style"]
            shapes = (f"{s['shapes']} shapes a digit, each warped" if s["shapes"]
                      else "every digit a different held-out digit")
            line += (f"\n  SYNTHETIC writer: pen {s['pen']:.3f}, slant {s['slant']:+.2f}, "
                     f"width x{s['width']:.2f}, height {s['height']} px; {shapes}")
        print(line)
        print(f"  {'':<13}{'before (no profile)':^27}{'':>3}{'after (half-sheet profile)':^27}")
        print(f"  {'split':<6}{'test n':>7}{'correct':>9}{'found':>7}{'fp':>4}"
              f"{'unsure':>7}{'':>3}{'correct':>9}{'found':>7}{'fp':>4}{'unsure':>7}"
              f"{'bar (b)':>9}  misread after (true>read)")
        for split, s in r["splits"].items():
            b, a = s["before"], s["after"]
            print(f"  {split:<6}{b['n']:>7}"
                  f"{_pct(b['correct'], b['n']):>9}{_pct(b['found'], b['n']):>7}{b['fp']:>4}"
                  f"{b['unsure']:>7}{'':>3}"
                  f"{_pct(a['correct'], a['n']):>9}{_pct(a['found'], a['n']):>7}{a['fp']:>4}"
                  f"{a['unsure']:>7}{'met' if s['bar_b'] else 'NOT met':>9}  "
                  f"{' '.join(a['misread']) or '-'}")
        bar_a = {True: "met", False: "NOT met", None: "unchecked (give --per-row)"}
        print(f"  bar (a) every digit read with its row's label: "
              f"{bar_a[r['bars']['a']]}; bar (b) after >= {CORRECT_BAR:.0%} "
              f"correct with 0 fp on both splits: {'met' if r['bars']['b'] else 'NOT met'}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE",
                        help="rows-sheet images (none: synthetic writers)")
    parser.add_argument("--order", default="1234567890", help="the rows' digits, top first")
    parser.add_argument("--per-row", type=int, default=None,
                        help="digits written in each row (synthetic sheets: 10)")
    parser.add_argument("--seed", type=int, nargs="+", default=[0],
                        help="synthetic writers to measure")
    parser.add_argument("--shapes", type=int, default=0,
                        help="synthetic writers: K shapes of each digit, each digit written "
                             "one of them slightly warped (0: every digit a different one)")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep each split's test image (half painted over) here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from livedigits.calibrate.rows_reader import parse_order
    from livedigits.errors import LivedigitsError
    from livedigits.imageio import read_image
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.model import ModelParams

    try:
        parse_order(args.order)
    except LivedigitsError as exc:
        parser.error(str(exc))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    base = Recognizer.load(params=ModelParams(holdout=True))
    results = []
    with tempfile.TemporaryDirectory() as folder:
        # Profiles go to a private calibration folder, never the repository's calibration/.
        os.environ["LIVEDIGITS_CALIBRATION"] = str(Path(folder) / "calibration")
        if args.files:
            sheets = [(str(path), lambda p=path: (read_image(p), None, None), args.per_row)
                      for path in args.files]
        else:
            per_row = args.per_row or 10
            sheets = [(f"synthetic seed {seed}",
                       lambda s=seed, n=per_row: synthetic_rows_sheet(
                           s, args.order, n, shapes=args.shapes),
                       per_row) for seed in args.seed]
        for name, load, per_row in sheets:
            try:
                image, true_boxes, true_digits, *style = load()
                truth = None if true_boxes is None else (true_boxes, true_digits)
                stem = Path(name).stem if args.files else f"synthetic{name.split()[-1]}"
                r = measure_sheet(image, args.order, per_row, base, Path(folder), stem,
                                  truth, args.out)
            except LivedigitsError as exc:
                text = str(exc) if str(exc).startswith(name) else f"{name}: {exc}"
                print(text, file=sys.stderr)
                results.append({"sheet": name, "error": text})
                continue
            r = {"sheet": name, "synthetic": not args.files, **r}
            if style and style[0] is not None:
                r["style"] = style[0]
            for s in r["splits"].values():
                after = s["after"]
                s["bar_b"] = bool(after["n"] and after["correct"] >= CORRECT_BAR * after["n"]
                                  and after["fp"] == 0)
            r["bars"] = {"a": r["read"]["ok"],
                         "b": all(s["bar_b"] for s in r["splits"].values())}
            results.append(r)
    if args.json:
        print(json.dumps({"synthetic": not args.files, "results": results}))
        return 0
    if not args.files:
        print("SYNTHETIC writers: rows sheets drawn from digits.png's held-out digits, "
              "not a real person's handwriting")
    print_table([r for r in results if "error" not in r])
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
