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
"""

from __future__ import annotations

import numpy as np

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
