"""Printed figures repeat exactly: a font draws every 5 alike, a hand never thrice over.

A sudoku's givens or a form's printed numbers that the not-a-digit examples let through
read as digits, and beside them stand copies of the same glyph at the same size. A
candidate read as a digit that has REPEATS others of its digit as alike (cosine of
their features at least ALIKE) and as large (height within SAME_HEIGHT, width within
SAME_WIDTH, or a pixel) among all the candidates -- those voted down as print included
-- is print. One writer's repeated digits vary more in size: on a real page of one hand,
a digit written three or four times ranged 7-25% in height, and none had two such twins.
A 1 is one straight stroke and a small 0 an oval in any hand: handwritten ones are as
alike as printed ones, so they are left out (printed 1s and 0s stay for the not-a-digit
examples to vote down).

A font also sets a line's figures at one height on one baseline (``printed_runs``):
three or more such glyphs on the baseline of a printed word are print.
"""

from __future__ import annotations

import numpy as np

from livedigits.recognize.layout import edge_components, estimate_skew, inside_a_word

ALIKE = 0.99  # features' cosine of two copies of one printed glyph
SAME_HEIGHT = 0.03  # share of the height by which copies of one glyph may differ
SAME_WIDTH = 0.05  # and of the width
REPEATS = 2  # copies beside a candidate that make it print
#: Digits every hand writes alike: a 1 is one straight stroke, a small 0 an oval.
UNLIKE_IN_PRINT = (0, 1)


def printed_repeats(boxes: np.ndarray, features: np.ndarray, digits: np.ndarray,
                    is_digit: np.ndarray) -> np.ndarray:
    """(N,) bool: candidates read as digits that are copies of one printed glyph.

    Parameters
    ----------
    boxes : (N, 4) x, y, w, h of every candidate
    features : (N, D) float32 unit rows, the model's features of their cells
    digits : (N,) int, the best digit of each (also of those that are no digit)
    is_digit : (N,) bool, the candidates read as digits
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    digits = np.asarray(digits)
    is_digit = np.asarray(is_digit, bool)
    out = np.zeros(len(boxes), bool)
    for digit in np.unique(digits[is_digit]).tolist():  # at most ten digits
        if digit in UNLIKE_IN_PRINT:
            continue
        group = np.flatnonzero(digits == digit)
        if len(group) <= REPEATS:
            continue
        w, h = boxes[group, 2], boxes[group, 3]
        alike = (features[group] @ features[group].T >= ALIKE) \
            & (np.abs(h[:, None] - h[None, :]) <= np.maximum(1.0, SAME_HEIGHT * h[:, None])) \
            & (np.abs(w[:, None] - w[None, :]) <= np.maximum(1.0, SAME_WIDTH * w[:, None]))
        np.fill_diagonal(alike, False)
        out[group] = alike.sum(axis=1) >= REPEATS
    return out & is_digit


# A font sets a line's glyphs on one baseline at one height; a hand does not.
RUN_GAP = 0.8  # heights between neighbours in a run of printed glyphs
RUN_HEIGHT = 0.06  # share of the height by which a run's glyphs may differ (round ones overshoot)
RUN_BASELINE = 0.08  # and their bottoms
RUN_MIN = 3  # glyphs in a run that may be taken for print
SEED_GAP = 0.8  # heights between neighbours on one printed baseline
SEED_BASELINE = 0.05  # share of the height by which their bottoms may differ
_BLOCK = 512  # rows of the pairwise comparison at a time (memory bounded by 512 x N)


def _pairs(b: np.ndarray, centre: np.ndarray, bottom: np.ndarray, rows: slice
           ) -> tuple[np.ndarray, np.ndarray]:
    """Neighbours of boxes ``b[rows]`` among all ``b`` (N, 4) float64 x, y, w, h, whose
    centres' and bottoms' rows (N,) float64 are measured across the lines.

    Returns ``(linked, on_baseline)``: (R, N) bool each. Linked: one line (centres within
    half the taller's height), at most RUN_GAP heights apart (overlapping by at most
    0.2), heights within RUN_HEIGHT and bottoms within RUN_BASELINE of the taller's.
    On one baseline: at most SEED_GAP heights apart on one line, bottoms within
    SEED_BASELINE.
    """
    r = b[rows]
    h = np.maximum(r[:, None, 3], b[None, :, 3])
    apart = np.maximum(b[None, :, 0] - (r[:, None, 0] + r[:, None, 2]),
                       r[:, None, 0] - (b[None, :, 0] + b[None, :, 2]))
    line = (np.abs(centre[rows, None] - centre[None, :]) <= 0.5 * h) & (apart >= -0.2 * h)
    line[np.arange(len(r)), np.arange(len(b))[rows]] = False
    low = np.abs(bottom[rows, None] - bottom[None, :])
    linked = line & (apart <= RUN_GAP * h) \
        & (np.abs(r[:, None, 3] - b[None, :, 3]) <= np.maximum(1.0, RUN_HEIGHT * h)) \
        & (low <= np.maximum(1.0, RUN_BASELINE * h))
    on_baseline = line & (apart <= SEED_GAP * h) & (low <= np.maximum(1.0, SEED_BASELINE * h))
    return linked, on_baseline


def printed_runs(boxes: np.ndarray, printy: np.ndarray, is_digit: np.ndarray,
                 angle: float | None = None) -> np.ndarray:
    """(N,) bool: candidates read as digits that stand in a run of printed glyphs.

    A run: RUN_MIN candidates or more, each at most RUN_GAP heights from the next on its
    line, of one height (within RUN_HEIGHT) on one baseline (bottoms within
    RUN_BASELINE) -- a printed date, a page number, a table's row of figures. It is
    print when one of its glyphs is (``printy``: voted down as print, or in a printed
    word, or a copy of a printed glyph) or stands on one baseline with one: a chain
    of glyphs, each at most SEED_GAP heights from the next with bottoms within
    SEED_BASELINE, leads from it to a glyph known to be print. The letters of "Total"
    make the figures after it print, though its ``l`` reads as a 1. A run of handwritten
    digits alone is left alone: MNIST's hands write digits of one height too, and a font
    is told by its letters.

    Parameters
    ----------
    boxes : (N, 4) x, y, w, h of every candidate
    printy : (N,) bool, the candidates known to be print
    is_digit : (N,) bool, the candidates read as digits
    angle : degrees, the direction of the lines, along which bottoms are compared;
        None: ``layout.estimate_skew`` of the boxes, worked out only where print and
        digits are
    """
    is_digit = np.asarray(is_digit, bool)
    printy = np.asarray(printy, bool)
    n = len(is_digit)
    if not is_digit.any() or not printy.any() or n < RUN_MIN:
        return np.zeros(n, bool)
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if angle is None:
        angle = estimate_skew(b)
    level = np.tan(np.radians(angle)) * (b[:, 0] + b[:, 2] / 2)  # how far a line fell
    centre, bottom = b[:, 1] + b[:, 3] / 2 - level, b[:, 1] + b[:, 3] - level
    links, bases = [], []
    for start in range(0, n, _BLOCK):
        rows = slice(start, min(n, start + _BLOCK))
        linked, on_baseline = _pairs(b, centre, bottom, rows)
        links.append(np.nonzero(linked) + np.array([[start], [0]]))
        bases.append(np.nonzero(on_baseline) + np.array([[start], [0]]))
    run = edge_components(n, *np.concatenate(links, axis=1))
    base = edge_components(n, *np.concatenate(bases, axis=1))
    on_print = np.bincount(base, weights=printy, minlength=n) > 0
    seeded_by = on_print[base]
    size = np.bincount(run, minlength=n)
    seeded = np.bincount(run, weights=seeded_by, minlength=n) > 0
    return is_digit & (size[run] >= RUN_MIN) & seeded[run]


def printed_digits(boxes: np.ndarray, is_digit: np.ndarray, printy: np.ndarray,
                   features: np.ndarray | None, digits: np.ndarray, *,
                   words: bool = True, doubtful: np.ndarray | None = None) -> np.ndarray:
    """(N,) bool: candidates read as digits that are print, by the three rules in
    turn: in a printed word (``layout.inside_a_word``, skipped when ``words`` is
    False), copies of one printed glyph (``printed_repeats``, skipped when
    ``features`` is None) and in a run of print (``printed_runs``, seeded by
    ``printy`` and the glyphs the first two rules found).

    Parameters
    ----------
    boxes : (N, 4) x, y, w, h of every candidate
    is_digit : (N,) bool, the candidates read as digits
    printy : (N,) bool, the candidates known to be print (voted down as print)
    features : (N, D) float32 unit rows of their cells, or None
    digits : (N,) int, the best digit of each
    doubtful : (N,) bool, digits much voted for as not a digit (``layout.inside_a_word``)
    """
    is_digit = np.asarray(is_digit, bool)
    printy = np.asarray(printy, bool)
    none = np.zeros(len(is_digit), bool)
    word = inside_a_word(boxes, is_digit, printy, doubtful) if words else none
    keep = is_digit & ~word
    copies = none if features is None else printed_repeats(boxes, features, digits, keep)
    keep &= ~copies
    keep &= ~printed_runs(boxes, printy | word | copies, keep)
    return is_digit & ~keep
