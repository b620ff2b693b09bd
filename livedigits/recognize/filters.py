"""Candidate filters: which components and joined boxes are no digit.

All relative to the digit scale (``typical_height``): specks, dashes, ruled
lines and things far bigger than a digit (``is_digit_shaped``, ``far_too_big``);
the pieces a rule search leaves -- a form box's sides, a comb field's teeth, a
grid line's broken piece (``capped_by_rules``, ``continuing_rules``); and boxes
on the sheet's edge against the desk (``touching``).
"""

from __future__ import annotations

import cv2
import numpy as np

from livedigits.recognize.ink import SQUARE

SHORT_TICK = 0.6  # thin upright pieces shorter than this many digit heights are no 1s
COMB_TEETH = 3  # alike upright pieces on one rule that make a comb form field
RULE_RUN = 15  # px of a rule's pixels in one direction that make them a rule's, not a crossing's


def typical_height(stats: np.ndarray) -> float:
    """Digit scale: the median height of the taller blobs that are not rules or lines."""
    heights = stats[:, 3].astype(np.float32)
    widths = stats[:, 2].astype(np.float32)
    shaped = heights[(widths <= 8 * heights) & (heights <= 15 * widths)]
    if len(shaped) == 0:
        shaped = heights
    return float(np.median(shaped[shaped >= 0.5 * np.percentile(shaped, 90)]))


def far_too_big(bw, bh, typical: float):
    """Too big for a digit, or for a row of touching digits (one digit tall, however wide).
    ``bw``, ``bh`` px, numbers or arrays alike."""
    return (bh > 3 * typical) | ((bw > 3 * typical) & (bh > 1.5 * typical))


def speck_sized(bw: np.ndarray, bh: np.ndarray, typical: float) -> np.ndarray:
    """(N,) bool of boxes (N,) wide by (N,) tall, px: as small for the digit scale as
    specks, dots and stray marks are (and a small digit among big ones: see
    ``is_digit_shaped``'s ``small_digit``) but not as flat as a dash."""
    bw = np.asarray(bw, np.float64)
    bh = np.asarray(bh, np.float64)
    return (bh < 0.35 * typical) & (bw < 0.6 * typical) & (bh >= 0.25 * typical)


def is_digit_shaped(bw: np.ndarray, bh: np.ndarray, typical: float,
                    small_digit: np.ndarray | None = None) -> np.ndarray:
    """(N,) bool of boxes (N,) wide by (N,) tall, px: False for specks, dashes, underlines,
    ruled lines and things far bigger than the digits, relative to the digit scale.

    ``small_digit`` (N,) bool marks the blobs shaped as a digit written small
    (``small_digits.closed_small_shapes``): a ``speck_sized`` one of them is a digit
    (a 0 written small beside tall digits), not a speck.
    """
    bw = np.asarray(bw, np.float64)
    bh = np.asarray(bh, np.float64)
    speck = speck_sized(bw, bh, typical)
    if small_digit is not None:
        speck &= ~np.asarray(small_digit, bool)
    return ~((bh < 6) & (bw < 6)
             | speck  # specks, dots, stray marks
             | (bh < 0.25 * typical)  # underlines, dashes
             # a hairline's broken piece, a tick: a 1 stands nearly a digit tall
             | (bh < SHORT_TICK * typical) & (bw <= 0.25 * bh)
             | far_too_big(bw, bh, typical)  # a pen lying on the sheet, a hand, a shadow
             | (bw > 8 * bh) | (bh > 2.5 * typical) & (bh > 12 * bw))  # ruled lines


def straight_pieces(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(upright, level)``, (N,) bool each: the rows of ``stats`` (N, >= 4; x, y, w, h)
    as thin across as a printed line along the whole piece (at most 4 px, or a fifth
    of its length), standing upright and lying level."""
    w, h = stats[:, 2], stats[:, 3]
    return w <= np.maximum(4, 0.2 * h), h <= np.maximum(4, 0.2 * w)


def capped_by_rules(labels: np.ndarray, stats: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """(count,) bool: components that are straight pieces between rules -- thin, straight and
    meeting the removed rules ``lines`` (H, W) 0/1 uint8 at both ends of their length
    (a form box's side between its top and bottom line, a table cell's border).

    A digit written in a box meets its lines at one end if at all; one filling the
    box from line to line is seldom a thin straight piece. The teeth of comb fields
    (``_comb_teeth``), which stand on a rule at one end only, are included.
    """
    count = len(stats)
    near = cv2.dilate(lines, SQUARE, iterations=2)
    ys, xs = np.nonzero(near & (labels > 0).view(np.uint8))
    which = labels[ys, xs]
    x0, y0 = stats[which, 0], stats[which, 1]
    x1, y1 = x0 + stats[which, 2], y0 + stats[which, 3]

    def hit(at_end: np.ndarray) -> np.ndarray:
        return np.bincount(which[at_end], minlength=count) > 0

    tall, wide = straight_pieces(stats)
    top, bottom = hit(ys <= y0 + 2), hit(ys >= y1 - 3)
    both = (tall & top & bottom) | (wide & hit(xs <= x0 + 2) & hit(xs >= x1 - 3))
    return both | _comb_teeth(stats, tall & (top ^ bottom), bottom)


def _comb_teeth(stats: np.ndarray, standing: np.ndarray, on_bottom: np.ndarray) -> np.ndarray:
    """(count,) bool: the teeth of a comb form field -- upright pieces ``standing`` on a
    rule at one end (at their bottom where ``on_bottom``), COMB_TEETH or more of them
    ending on one row with one height, as printed ticks do (handwritten 1s on a line
    vary in height)."""
    out = np.zeros(len(stats), bool)
    which = np.flatnonzero(standing)
    if len(which) < COMB_TEETH:
        return out
    heights = stats[which, 3].astype(np.float64)
    ends = np.where(on_bottom[which], stats[which, 1] + stats[which, 3], stats[which, 1])
    alike = ((np.abs(ends[:, None] - ends[None, :]) <= 3)
             & (np.abs(heights[:, None] - heights[None, :]) <= 0.08 * heights[:, None] + 1)
             & (on_bottom[which][:, None] == on_bottom[which][None, :]))
    out[which[alike.sum(axis=1) >= COMB_TEETH]] = True
    return out


def continuing_rules(stats: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """(count,) bool: straight pieces that carry on a removed rule along their length --
    an upright piece with the rules' upright pixels just above or below it in its own
    columns, a level one with level rule pixels just left or right in its own rows: a
    grid line's piece that the rule search lost (where digits or a crossing broke it).

    Only rule pixels running the same way count: the level rule a 1 stands on, or a
    box's side beside a digit, is no continuation of it.
    """
    out = np.zeros(len(stats), bool)
    x, y, w, h = (stats[:, k].astype(np.int64) for k in range(4))
    # As thin as a printed rule: a digit's stroke along a grid line is thicker.
    upright = (w <= np.maximum(3, 0.12 * h)) & (h >= 4)
    level = (h <= np.maximum(3, 0.12 * w)) & (w >= 4)
    upright[0] = level[0] = False  # the background
    if upright.any():  # the rules' upright pixels just above or below
        table = cv2.integral(cv2.morphologyEx(lines, cv2.MORPH_OPEN,
                                              np.ones((RULE_RUN, 1), np.uint8)))
        gap = np.maximum(3, h // 2)
        out |= upright & (_any_inside(table, x, y - gap, x + w, y)
                          | _any_inside(table, x, y + h, x + w, y + h + gap))
    if level.any():  # the level ones just left or right
        table = cv2.integral(cv2.morphologyEx(lines, cv2.MORPH_OPEN,
                                              np.ones((1, RULE_RUN), np.uint8)))
        gap = np.maximum(3, w // 2)
        out |= level & (_any_inside(table, x - gap, y, x, y + h)
                        | _any_inside(table, x + w, y, x + w + gap, y + h))
    return out


def _any_inside(table: np.ndarray, x0, y0, x1, y1) -> np.ndarray:
    """(N,) bool: whether the pixels counted by ``table`` (cv2.integral of an (H, W) 0/1
    map) hold any in each box ``[x0, x1) x [y0, y1)`` (N each), clipped to the map."""
    height, width = table.shape[0] - 1, table.shape[1] - 1
    x0, x1 = np.clip(x0, 0, width), np.clip(x1, 0, width)
    y0, y1 = np.clip(y0, 0, height), np.clip(y1, 0, height)
    return (table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]) > 0


def touching(region: np.ndarray, boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(N,) bool: which boxes (N, 4) ``x0, y0, x1, y1`` in an image of ``shape`` meet the
    small (h, w) bool map ``region`` (the map's cells under each box, rounded outwards)."""
    sh, sw = region.shape
    table = cv2.integral(region.view(np.uint8))  # (sh + 1, sw + 1) int32
    fy, fx = sh / shape[0], sw / shape[1]
    return _any_inside(table, (boxes[:, 0] * fx).astype(np.intp),
                       (boxes[:, 1] * fy).astype(np.intp),
                       np.ceil(boxes[:, 2] * fx).astype(np.intp) + 1,
                       np.ceil(boxes[:, 3] * fy).astype(np.intp) + 1)
