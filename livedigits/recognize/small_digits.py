"""Digits written small beside big ones: closed shapes a few of their own strokes across.

A digit a third as tall as its neighbours (the 0s of a "100" written small) is as small
for the digit scale as the specks, dots and detached strokes the segmenter drops
(``filters.is_digit_shaped``) or joins to the digit beside them (``segment.group_strokes``).
What tells it apart is its shape, measured in its own stroke width
(``kernels.components.stroke_widths``): at least SMALL_DIGIT_STROKES strokes along its
longer side and two across the other, and closed round a hole. A dot or a blot is two
strokes each way and solid; a flick, a check mark or a piece of a 4 has no hole; a 5's
bar is one stroke across. A shape a removed rule runs through may be its neighbour's
fragment (squared paper cuts digits into pieces), so it is none either.
"""

from __future__ import annotations

import cv2
import numpy as np

SMALL_DIGIT_STROKES = 3.0  # strokes along the longer side of a digit written small
LOOKED_AT_MOST = 64  # shapes looked at for holes in one image (the tallest first)
RULE_MARGIN = 2  # px: a rule within this of a shape's box edge only touches it


def strokes_across(bw: np.ndarray, bh: np.ndarray, stroke: np.ndarray) -> np.ndarray:
    """(N,) bool: blobs (N,) wide by (N,) tall, px, SMALL_DIGIT_STROKES of their own
    strokes (``stroke`` (N,) px) along the longer side and two across the other."""
    bw = np.asarray(bw, np.float64)
    bh = np.asarray(bh, np.float64)
    stroke = np.asarray(stroke, np.float64)
    return (np.maximum(bw, bh) >= SMALL_DIGIT_STROKES * stroke) & \
        (np.minimum(bw, bh) >= 2 * stroke)


def closed_small_shapes(labels: np.ndarray, owner: np.ndarray, boxes: np.ndarray,
                        lines: np.ndarray | None = None) -> np.ndarray:
    """(G,) bool: which groups of components are shaped as a digit written small.

    labels : (H, W) int32 component labels; owner : (count,) int32, the group of each
    label (-1: none), ``count`` above every label; boxes : (G, 4) ``x0, y0, x1, y1``
    (exclusive ends), each group's box; lines : (H, W) 0/1 uint8 rules the rule
    search removed, or None.
    """
    from livedigits.kernels.components import stroke_widths

    boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
    out = np.zeros(len(boxes), bool)
    if len(boxes) == 0:
        return out
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    shaped = np.flatnonzero(strokes_across(bw, bh, stroke_widths(labels, owner, boxes)))
    shaped = shaped[np.argsort(-bh[shaped], kind="stable")][:LOOKED_AT_MOST]
    for g in shaped.tolist():
        x0, y0, x1, y1 = (int(v) for v in boxes[g])
        if lines is not None and lines[y0 + RULE_MARGIN:y1 - RULE_MARGIN,
                                       x0 + RULE_MARGIN:x1 - RULE_MARGIN].any():
            continue
        flooded = np.pad((owner[labels[y0:y1, x0:x1]] == g).view(np.uint8), 1)
        cv2.floodFill(flooded, None, (0, 0), 1)  # 4-connected: a diagonal gap still closes
        out[g] = bool((flooded == 0).any())
    return out


def short_closed_components(labels: np.ndarray, count: int, keep: np.ndarray,
                            stats: np.ndarray, typical: float,
                            lines: np.ndarray | None = None) -> np.ndarray:
    """(K,) bool: which components ``keep`` (K,) of ``labels`` (``count`` labels, stats
    ``stats`` (K, 5) ``x, y, w, h, area``) are short for the digit scale, as a stroke
    joined to the digit beside it is, yet ``closed_small_shapes``."""
    out = np.zeros(len(keep), bool)
    short = np.flatnonzero((stats[:, 3] < 0.5 * typical) & (stats[:, 3] >= 0.25 * typical))
    if len(short):
        owner = np.full(count, -1, np.int32)
        owner[keep[short]] = np.arange(len(short), dtype=np.int32)
        x, y, w, h = (stats[short, k].astype(np.int64) for k in range(4))
        out[short] = closed_small_shapes(labels, owner, np.stack([x, y, x + w, y + h], 1),
                                         lines)
    return out


def closed_groups(labels: np.ndarray, count: int, keep: np.ndarray, group: np.ndarray,
                  boxes: np.ndarray, which: np.ndarray,
                  lines: np.ndarray | None = None) -> np.ndarray:
    """(G,) bool: which of the groups ``which`` (indices) of components ``keep`` (``group``
    (K,) of each; boxes (G, 4) ``x0, y0, x1, y1``) are ``closed_small_shapes``; the other
    groups False."""
    out = np.zeros(len(boxes), bool)
    which = np.asarray(which, np.intp)
    if len(which):
        slot = np.full(len(boxes), -1, np.int32)
        slot[which] = np.arange(len(which), dtype=np.int32)
        owner = np.full(count, -1, np.int32)
        owner[keep] = slot[group]
        out[which] = closed_small_shapes(labels, owner, boxes[which], lines)
    return out
