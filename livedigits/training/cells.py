"""Digit cells in digits.png's form: loading the sheet, deskewing, augmenting.

A cell is a (20, 20) uint8 image, white digit on black, the digit scaled so its
longer side is about 14 px and centred by mass, as MNIST's 28x28 digits are once
scaled to 20x20.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from livedigits.errors import LivedigitsError

CELL = 20
ROWS, COLUMNS = 50, 100
PER_DIGIT = 500
HOLDOUT_COLUMNS = 10  # the last tenth of every row is held out for evaluation


def load_sheet(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells of a digits.png-style sheet.

    Returns
    -------
    cells : (5000, 20, 20) uint8
    labels : (5000,) int32, digit ``d`` in rows ``5d..5d+4``
    holdout : (5000,) bool, True for the cells in the last 10 columns
    """
    sheet = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if sheet is None or sheet.shape != (ROWS * CELL, COLUMNS * CELL):
        raise LivedigitsError(
            f"{path}: not a 2000x1000 digits sheet; rebuild it with scripts/make_digits_png.py"
        )
    cells = sheet.reshape(ROWS, CELL, COLUMNS, CELL).transpose(0, 2, 1, 3).reshape(-1, CELL, CELL)
    labels = np.repeat(np.arange(10, dtype=np.int32), PER_DIGIT)
    columns = np.tile(np.arange(COLUMNS), ROWS)
    holdout = columns >= COLUMNS - HOLDOUT_COLUMNS
    return np.ascontiguousarray(cells), labels, holdout


def deskew(cells: np.ndarray) -> np.ndarray:
    """Undo the slant of each cell from its second-order moments.

    Parameters
    ----------
    cells : (N, 20, 20) uint8

    Returns
    -------
    (N, 20, 20) uint8, each cell sheared horizontally about its centre row so
    that its mass has no covariance between rows and columns.
    """
    from livedigits.kernels import ready
    from livedigits.kernels.deskew import deskew_cells

    cells = np.ascontiguousarray(cells, np.uint8)
    out = np.empty_like(cells)
    if not len(cells):
        return out
    if not ready(deskew_cells, cells, out):
        from livedigits.kernels.reference import deskew_numpy

        return deskew_numpy(cells)
    deskew_cells(cells, out)
    return out


# How far the augmentation moves digits.png's cells towards a page under a camera.
ROTATION_DEG = 8.0  # +-: a sheet turned, or a slant deskewing leaves, this far
SCALE = 0.08  # +-: digits fill MNIST's 14 px box this much more or less once cut
SHEAR = 0.15  # +-: a sheet seen at an angle shears its digits this much
SHIFT_PX = 0.8  # +-: a real cut's centre of mass is off by this much
PEN_SHARE = 0.4  # the copies redrawn with an even-width pen, as ballpoints and markers write
SMEAR_HEIGHTS = (16, 30)  # px: the digit heights the smear is drawn at (small digits blur most)
SMEAR_PX = (1.5, 5.0)  # px of motion during the exposure, at that height


def augment(cells: np.ndarray, copies: int, rng: np.random.Generator) -> np.ndarray:
    """Distorted copies of ``cells`` bridging MNIST to real pens and cameras.

    Each copy gets a random rotation (+-``ROTATION_DEG``), scale (1 +- ``SCALE``),
    horizontal shear (+-``SHEAR``) and shift (+-``SHIFT_PX`` pixels); a third of
    the copies get thinner and a third thicker strokes (eroded or dilated at 4x
    resolution). A ``PEN_SHARE`` of the copies is
    redrawn along the digit's centre line with a round pen of even width, as
    ballpoints and markers write (MNIST's strokes swell and thin). Smeared copies
    for video are added by ``fit`` (``smear_some``).

    Parameters
    ----------
    cells : (N, 20, 20) uint8

    Returns
    -------
    (copies * N, 20, 20) uint8, copy ``j`` of cell ``i`` at index ``j * N + i``.
    """
    n = len(cells)
    out = np.empty((copies * n, CELL, CELL), np.uint8)
    centre = np.array([(CELL - 1) / 2, (CELL - 1) / 2])
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for j in range(copies):
        angles = np.deg2rad(rng.uniform(-ROTATION_DEG, ROTATION_DEG, n))
        scales = 1 + rng.uniform(-SCALE, SCALE, n)
        shears = rng.uniform(-SHEAR, SHEAR, n)
        shifts = rng.uniform(-SHIFT_PX, SHIFT_PX, (n, 2))
        strokes = rng.integers(-1, 2, n)
        for i in range(n):
            cos, sin = np.cos(angles[i]), np.sin(angles[i])
            linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, shears[i]], [0, 1]])
            linear *= scales[i]
            offset = centre - linear @ centre + shifts[i]
            matrix = np.hstack([linear, offset[:, None]]).astype(np.float32)
            warped = cv2.warpAffine(cells[i], matrix, (CELL, CELL), flags=cv2.INTER_LINEAR)
            if strokes[i]:
                big = cv2.resize(warped, (4 * CELL, 4 * CELL), interpolation=cv2.INTER_LINEAR)
                big = cv2.dilate(big, kernel) if strokes[i] > 0 else cv2.erode(big, kernel)
                warped = cv2.resize(big, (CELL, CELL), interpolation=cv2.INTER_AREA)
            out[j * n + i] = warped
    if PEN_SHARE > 0:
        picked = np.flatnonzero(rng.random(len(out)) < PEN_SHARE)
        widths = rng.integers(5, 11, len(picked))
        if len(picked):
            out[picked] = _redraw_with_pen(out[picked], widths)
    return out


def smear_some(cells: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """(N, 20, 20) cells, a ``share`` of them (picked at random) smeared in place as a
    camera that moved ``SMEAR_PX`` px during the exposure sees them (``_smear``);
    returns ``cells``."""
    if share <= 0:
        return cells
    picked = np.flatnonzero(rng.random(len(cells)) < share)
    heights = rng.uniform(*SMEAR_HEIGHTS, len(picked))
    lengths = rng.uniform(*SMEAR_PX, len(picked))
    angles = rng.uniform(0, np.pi, len(picked))
    cells[picked] = _smear(cells[picked], heights, lengths, angles)
    return cells


def _smear(cells: np.ndarray, heights: np.ndarray, lengths: np.ndarray,
           angles: np.ndarray) -> np.ndarray:
    """(N, 20, 20) cells as a moving camera sees them: each drawn ``heights`` (N,) px
    tall, smeared along a line ``lengths`` (N,) px long at ``angles`` (N,) radians,
    softened, cut where the segmenter's threshold would cut it and normalised again."""
    from livedigits.recognize.normalise import DIGIT_BOX, normalise
    from livedigits.synthetic.camera import motion_kernel

    out = np.empty_like(cells)
    for i, cell in enumerate(cells):
        side = max(CELL, round(CELL * heights[i] / DIGIT_BOX))
        big = cv2.resize(cell.astype(np.float32), (side, side), interpolation=cv2.INTER_LINEAR)
        big = np.pad(big, int(np.ceil(lengths[i])) + 2)
        kernel = motion_kernel((lengths[i] * np.cos(angles[i]), lengths[i] * np.sin(angles[i])))
        if kernel is not None:
            big = cv2.filter2D(big, -1, kernel)
        big = cv2.GaussianBlur(big, (0, 0), 0.7)
        peak = float(big.max())
        if peak <= 0:
            out[i] = cell
            continue
        big[big < 0.3 * peak] = 0
        ys, xs = np.nonzero(big)
        big = big[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        out[i] = normalise(np.clip(big * (255 / peak), 0, 255).astype(np.uint8))
    return out


def _redraw_with_pen(cells: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """(N, 20, 20) cells redrawn along their centre lines, pens ``widths`` (N,) px at 4x."""
    from livedigits.training.pen import centre_lines

    big = np.stack([cv2.resize(c, (4 * CELL, 4 * CELL), interpolation=cv2.INTER_CUBIC)
                    for c in cells]) > 127
    lines = centre_lines(big)
    out = np.empty_like(cells)
    for i, (line, width) in enumerate(zip(lines, widths, strict=True)):
        pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(width), int(width)))
        stroke = cv2.dilate(line, pen).astype(np.float32) * 255
        out[i] = cv2.resize(stroke, (CELL, CELL), interpolation=cv2.INTER_AREA)
    return out


FINE = 4  # strokes and glyphs are drawn at this many times their size, then area-resized


def draw_strokes(strokes: list[np.ndarray], pen: float) -> np.ndarray:
    """Polylines drawn with a round pen: (h, w) float32 ink coverage 0..1 at FINE x size.

    Parameters
    ----------
    strokes : list of (P, 2) float arrays, points (x, y) in px of the final patch
    pen : pen width in px of the final patch
    """
    points = np.concatenate(strokes)
    margin = pen + 2
    origin = points.min(axis=0) - margin
    w, h = np.ceil(points.max(axis=0) + margin - origin).astype(int)
    canvas = np.zeros((FINE * max(h, 1), FINE * max(w, 1)), np.uint8)
    width = max(1, round(pen * FINE))
    for stroke in strokes:
        fine = np.round((stroke - origin) * FINE * 16).astype(np.int32)  # 4 fractional bits
        cv2.polylines(canvas, [fine.reshape(-1, 1, 2)], False, 255, width, cv2.LINE_AA, 4)
    return canvas.astype(np.float32) / 255


def ink_patch(coverage: np.ndarray, rng: np.random.Generator, *, blur: float = 0.7,
              fine: int = FINE) -> np.ndarray:
    """Ink coverage drawn at ``fine`` x size -> a darkness patch as the segmenter cuts one.

    The coverage (h, w) float32 0..1 is cropped to its ink, area-resized to 1/``fine``,
    blurred by up to ``blur`` px (a camera's softness), given a random darkness and
    masked to its strokes (a component's patch is zero outside them).

    Returns
    -------
    (h', w') uint8 darkness, or a (0, 0) array when no ink is left.
    """
    ys, xs = np.nonzero(coverage > 0.05)
    if len(ys) == 0:
        return np.zeros((0, 0), np.uint8)
    crop = coverage[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    size = (max(1, round(crop.shape[1] / fine)), max(1, round(crop.shape[0] / fine)))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    small = np.pad(small, 2)
    sigma = rng.uniform(0, blur)
    if sigma > 0.2:
        small = cv2.GaussianBlur(small, (0, 0), sigma)
    small *= rng.uniform(110, 255)
    peak = small.max()
    small[small < 0.3 * peak] = 0
    return np.clip(small + 0.5, 0, 255).astype(np.uint8)


def patch_cell(patch: np.ndarray) -> np.ndarray:
    """A darkness patch -> (20, 20) uint8 cell, normalised as the segmenter normalises."""
    from livedigits.recognize.normalise import normalise

    if patch.size == 0:
        return np.zeros((CELL, CELL), np.uint8)
    return normalise(patch)


def redraw_with_pen(coverage: np.ndarray, pen: float) -> np.ndarray:
    """(h, w) float32 coverage redrawn along its centre line with a round pen ``pen`` px
    wide (same scale): a printed glyph as a ballpoint would write it."""
    from livedigits.training.pen import centre_lines

    line = centre_lines((coverage > 0.5)[None])[0]
    width = max(2, round(pen))
    stroke = cv2.dilate(line, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    return stroke.astype(np.float32)
