"""Printed lines of ruled and squared paper (and table borders), removed from an ink mask.

A rule is far longer than any digit stroke, straight, and thin, but on a sheet
held before a camera it is seldom exactly level: a tilt of a few degrees breaks
it into short runs along any one pixel row. So rules are found in two steps:

1. *Where*: at a lower resolution (blocks of ``f`` x ``f`` pixels, any ink
   counts), the mask is sheared by a few slopes in turn; in each sheared copy,
   thickened by a block across, an opening with a long straight kernel keeps
   only structures that run on for a rule's length. Digits, however they join
   each other, do not.
2. *Which pixels*: along each stretch of what was found (bands of neighbouring
   rules may have merged), the ink's offsets from the band's line are counted;
   each sharp peak is a rule, refitted as a straight line (robustly: a digit's
   strokes touching it are outliers). It is kept when it is thin, runs along
   most of the stretch and has paper on both sides (a dark desk's edge has
   not); the pixels within its own thickness of the line are the rule's.

Where a digit's stroke crosses a rule, ink on both sides of it bridges the gap
again, so the digit stays whole while the rule goes.
"""

from __future__ import annotations

import cv2
import numpy as np

SLOPES = (-0.16, -0.08, 0.0, 0.08, 0.16)  # shears tried; +-0.04 between them is tolerated
SHEAR_SLACK = 0.04  # half the step between SLOPES: a band's line strays no farther
MERGED_BAND = 0.2  # of the picture's height: a band this tall is many rules merged
STRETCH = 480  # px: a rule is fitted piece by piece this long (paper bends)
BLOCK_TARGET = 24  # low-resolution blocks along the shortest rule
TILT_SLACK = 0.05  # a refitted rule's slope stays this close to its band's
FLANK_SHARE = 0.4  # at most this share of a rule's columns has ink just beside it
GAP = 10  # px: a faint rule's breaks this long are bridged


def rule_lengths(h: int, w: int) -> tuple[int, int]:
    """Shortest horizontal and vertical lines (px) taken for rules, not strokes."""
    return max(30, w // 10), max(30, h // 4)


def without_rules(ink: np.ndarray) -> np.ndarray:
    """``ink`` (H, W) 0/1 uint8 with long straight lines near level or upright removed."""
    return split_rules(ink)[0]


def split_rules(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """``ink`` (H, W) 0/1 uint8 split into the rest and the rules' own pixels (both
    (H, W) 0/1 uint8): long straight lines near level or upright, where no digit's
    stroke crosses them; and whether any upright rule was among them (squared paper,
    a grid, a table's columns)."""
    h, w = ink.shape
    upright = False
    removed = np.zeros_like(ink)
    reach = max(5, round(max(h, w) / 250))
    out = ink
    across, down = rule_lengths(h, w)
    for length, horizontal in ((across, True), (down, False)):
        lines = rule_pixels(ink if horizontal else ink.T, length)
        if lines is None:
            continue
        if not horizontal:
            lines = np.ascontiguousarray(lines.T)
            upright = True
        lines &= ink
        rest = out & (1 - lines)
        # Kernels reaching only to one side: ink within `reach` px before, and after.
        before = np.zeros((2 * reach + 1, 1) if horizontal else (1, 2 * reach + 1), np.uint8)
        after = before.copy()
        if horizontal:
            before[:reach + 1] = 1
            after[reach:] = 1
        else:
            before[:, :reach + 1] = 1
            after[:, reach:] = 1
        bridged = lines & cv2.dilate(rest, after) & cv2.dilate(rest, before)
        out = rest | bridged
        removed |= lines & (1 - bridged)
    return out, removed, upright


def rule_pixels(ink: np.ndarray, length: int) -> np.ndarray | None:
    """(H, W) 0/1 uint8 mask of the near-horizontal rules at least ``length`` px long in
    ``ink`` (H, W) 0/1 uint8, or None when there is none. Pass ``ink.T`` for upright ones."""
    h, w = ink.shape
    f = max(1, length // BLOCK_TARGET)
    thickest = max(3.0, max(h, w) / 300)  # px: a printed rule, not a row of strokes
    small_w, small_h = -(-w // f), -(-h // f)
    # Blocks of f x f px with any ink in them (a max filter anchored at each block's corner).
    block = cv2.getStructuringElement(cv2.MORPH_RECT, (f, f))
    small = np.ascontiguousarray(cv2.dilate(ink, block, anchor=(0, 0))[::f, ::f])
    run = max(8, length // f)
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3))
    along = cv2.getStructuringElement(cv2.MORPH_RECT, (run, 1))
    gaps = cv2.getStructuringElement(cv2.MORPH_RECT, (-(-GAP // f) + 1, 1))
    mask = np.zeros((h, w), np.uint8)
    for slope in SLOPES:
        # r' = r - slope * c + lift makes a rule of that slope level (nearest: no new ink).
        lift = max(0.0, slope) * small_w
        shear = np.float32([[1, 0, 0], [-slope, 1, lift]])
        tall = small_h + int(np.ceil(abs(slope) * small_w))
        level = cv2.warpAffine(small, shear, (small_w, tall), flags=cv2.INTER_NEAREST)
        level = cv2.morphologyEx(cv2.dilate(level, across), cv2.MORPH_CLOSE, gaps)
        level = cv2.morphologyEx(level, cv2.MORPH_OPEN, along)
        if not level.any():
            continue
        count, labels, stats, _ = cv2.connectedComponentsWithStats(level, connectivity=8)
        for k in range(1, count):
            c0, r0, bw, bh = (int(v) for v in stats[k, :4])
            pieces = max(1, round(bw * f / STRETCH))
            for piece in range(pieces):
                sc, end = c0 + piece * bw // pieces, c0 + (piece + 1) * bw // pieces
                band = labels[r0:r0 + bh, sc:end] == k
                filled = band.sum(axis=0)
                cols = np.flatnonzero(filled)
                if len(cols) < run // 2:
                    continue
                middle = (band * np.arange(bh)[:, None]).sum(axis=0)[cols] / filled[cols]
                tilt, at = _line_fit(cols.astype(np.float64), middle) or (0.0, middle[0])
                if abs(tilt) > SHEAR_SLACK and bh * f > MERGED_BAND * h:
                    # Rules of a squared page merged into one band: its middle is no
                    # line, but what survived this shear lies near its slope.
                    tilt, at = 0.0, float(middle.mean())
                # Back to full-resolution pixels: y = m * x + c over [x0, x1).
                m = tilt + slope
                c = f * (at + r0 - lift - tilt * sc) + 0.5 * (f - 1) * (1 - m)
                x0, x1 = (sc + int(cols[0])) * f, min(w, (sc + int(cols[-1]) + 1) * f)
                _mark_rules(ink, mask, x0, x1, m, c, 0.5 * bh * f + f, thickest)
    return mask if mask.any() else None


def _mark_rules(ink: np.ndarray, mask: np.ndarray, x0: int, x1: int, m: float, c: float,
                half: float, thickest: float) -> None:
    """Mark in ``mask`` the rules among the ink within ``half`` px of the line
    y = m * x + c over columns [x0, x1): each a sharp peak of the ink's offsets from
    that line, refitted, at most ``thickest`` px thick and running along most of the
    columns (digits written close together in a row are none)."""
    h = ink.shape[0]
    ends = (m * x0 + c, m * (x1 - 1) + c)
    y0, y1 = max(0, int(min(ends) - half)), min(h, int(np.ceil(max(ends) + half)) + 1)
    if y1 <= y0 or x1 <= x0:
        return
    ys, xs = np.nonzero(ink[y0:y1, x0:x1])
    xs = xs.astype(np.float64) + x0
    ys = ys.astype(np.float64) + y0
    off = ys - (m * xs + c)
    near = np.abs(off) <= half
    xs, ys, off = xs[near], ys[near], off[near]
    width = x1 - x0
    if len(xs) < 0.6 * width:
        return
    bins = int(np.ceil(half))
    counts = np.bincount(np.round(off).astype(np.intp) + bins, minlength=2 * bins + 1)
    smooth = np.convolve(counts, np.ones(3), mode="same")
    # Peaks: bins holding a rule's worth of ink, the first of any run of equal maxima.
    padded = np.concatenate([np.full(2, -1.0), smooth, np.full(2, -1.0)])
    left = np.maximum(padded[:-4], padded[1:-3])
    right = np.maximum(padded[3:-1], padded[4:])
    peaks = np.flatnonzero((smooth >= 0.6 * width) & (smooth > left) & (smooth >= right))
    if len(peaks) == 0:
        return
    # Each peak is refitted on the ink near it only: a band of squared paper's merged
    # rules holds dozens of peaks, and each of them sees its own neighbourhood.
    order = np.argsort(off, kind="stable")
    xs, ys, off = xs[order], ys[order], off[order]
    window = TILT_SLACK * width + 2 * thickest + 8  # px: how far the refitted line may go
    for peak in peaks.tolist():
        lo, hi = np.searchsorted(off, [peak - bins - window, peak - bins + window])
        px, py, poff = xs[lo:hi], ys[lo:hi], off[lo:hi]
        keep = np.abs(poff - (peak - bins)) <= 2.0
        for _ in range(3):  # refit on the points near the line: digits' strokes are outliers
            fitted = _line_fit(px[keep], py[keep])
            if fitted is None:
                break
            slope, offset = fitted
            residual = np.abs(py - (slope * px + offset))
            keep = residual <= max(1.5, 2.5 * float(np.median(residual[keep])))
        else:
            if abs(slope - m) <= TILT_SLACK and _stands_out(px, py, slope, offset, x0, width):
                _draw(mask, px[keep], residual[keep], slope, offset, x0, x1, width, thickest)


def _line_fit(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float] | None:
    """Least-squares line y = slope * x + offset through points (xs, ys) (K,) float64,
    or None when they do not fix one (fewer than two, or all in one column)."""
    if len(xs) < 2:
        return None
    mx, my = float(xs.mean()), float(ys.mean())
    dx = xs - mx
    spread = float(dx @ dx)
    if spread == 0:
        return None
    slope = float(dx @ (ys - my)) / spread
    return slope, my - slope * mx


def _stands_out(xs: np.ndarray, ys: np.ndarray, slope: float, offset: float, x0: int,
                width: int) -> bool:
    """Whether the line y = slope * x + offset has paper on both sides: few of the
    columns have ink 3-5 px above it, or below it (strokes crossing it are few; the
    edge of a dark desk or a shadow, all ink on one side, is no rule)."""
    side = ys - (slope * xs + offset)
    for flank in (side < 0, side > 0):
        band = flank & (np.abs(side) >= 3) & (np.abs(side) <= 5)
        inked = np.unique(xs[band].astype(np.intp) - x0)
        if len(inked) > FLANK_SHARE * width:
            return False
    return True


def _draw(mask: np.ndarray, xs: np.ndarray, residual: np.ndarray, slope: float,
          offset: float, x0: int, x1: int, width: int, thickest: float) -> None:
    """Mark the rule y = slope * x + offset over [x0, x1) in ``mask`` when the points
    ``xs`` (with their ``residual`` from it) make a thin line along most columns."""
    columns = np.bincount(xs.astype(np.intp) - x0, minlength=width)
    if np.count_nonzero(columns) < 0.6 * width:
        return
    thick = float(np.median(columns[columns > 0]))
    if thick > thickest or float(np.median(residual)) > max(1.0, 0.25 * thickest):
        return
    half = 0.5 * thick + 0.5
    span = np.arange(x0, x1, dtype=np.float64)
    centre = slope * span + offset
    h = mask.shape[0]
    for dy in range(-int(np.ceil(half)), int(np.ceil(half)) + 1):
        rows = np.round(centre + dy).astype(np.intp)
        ok = (np.abs(rows - centre) <= half) & (rows >= 0) & (rows < h)
        mask[rows[ok], span[ok].astype(np.intp)] = 1
