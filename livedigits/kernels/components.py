"""Per-component reductions over a label image, in one pass."""

from __future__ import annotations

import numpy as np
from numba import njit

from livedigits.kernels import ready

_RUN = 16  # pixels of a row component_stats tests for background at once


@njit(cache=True, nogil=True)
def component_stats(labels, values, count, boxes, peak):
    """Bounding boxes, areas and peak values of labelled components.

    labels : (H, W) int32 in [0, count); values : (H, W) uint8.
    boxes : (count, 5) int32 out, rows ``x, y, w, h, area`` as OpenCV's stats;
    peak : (count,) uint8 out, the largest value under each label.
    Label 0, the background, is skipped: its row stays zero.
    """
    h, w = labels.shape
    for i in range(count):
        boxes[i, 0] = w
        boxes[i, 1] = h
        boxes[i, 2] = -1
        boxes[i, 3] = -1
        boxes[i, 4] = 0
        peak[i] = 0
    whole = w - w % _RUN
    for r in range(h):
        row = labels[r]
        start = 0
        while start < w:
            end = start + _RUN
            if end <= whole:
                # The background is by far the most pixels: a run of it is passed over at
                # once (the OR of a run is one SIMD reduction).
                seen = 0
                for c in range(start, end):
                    seen |= row[c]
                if seen == 0:
                    start = end
                    continue
            else:
                end = w
            for c in range(start, end):
                label = row[c]
                if label == 0:
                    continue
                if c < boxes[label, 0]:
                    boxes[label, 0] = c
                if c > boxes[label, 2]:
                    boxes[label, 2] = c
                if r < boxes[label, 1]:
                    boxes[label, 1] = r
                boxes[label, 3] = r  # rows arrive in order: the last one seen is the lowest
                boxes[label, 4] += 1
                v = values[r, c]
                if v > peak[label]:
                    peak[label] = v
            start = end
    for i in range(count):
        if boxes[i, 4] == 0:
            boxes[i, 0] = 0
            boxes[i, 1] = 0
            boxes[i, 2] = 0
            boxes[i, 3] = 0
        else:
            boxes[i, 2] = boxes[i, 2] - boxes[i, 0] + 1
            boxes[i, 3] = boxes[i, 3] - boxes[i, 1] + 1


def stats_and_peaks(labels: np.ndarray, values: np.ndarray,
                    count: int) -> tuple[np.ndarray, np.ndarray]:
    """``(stats, peak)`` of ``count`` labels: (count, 5) int32 x, y, w, h, area and (count,) uint8.

    Same stats as ``cv2.connectedComponentsWithStats`` gives (but none for the
    background, label 0, whose row is zero), computed together
    with each component's largest ``values`` (H, W) uint8 in one pass (OpenCV's own
    stats pass costs several times its labelling).
    """
    boxes = np.empty((count, 5), np.int32)
    peak = np.empty(count, np.uint8)
    args = (np.ascontiguousarray(labels, np.int32), np.ascontiguousarray(values, np.uint8),
            count, boxes, peak)
    if not ready(component_stats, *args):  # a first run's first frames
        from livedigits.kernels.reference import stats_and_peaks_numpy

        return stats_and_peaks_numpy(args[0], args[1], count)
    component_stats(*args)
    return boxes, peak


@njit(cache=True, nogil=True)
def owned_ink_and_edges(labels, owner, boxes, area, edge):
    """Ink and edge pixels of groups of components, each within its box.

    labels : (H, W) int32 component labels; owner : (count,) int32, the group of each
    label (-1: none), ``count`` above every label (not checked); boxes : (G, 4) int64
    ``x0, y0, x1, y1`` (exclusive ends), group g's box. area : (G,) int64 out, pixels
    of g's components inside its box; edge : (G,) int64 out, those of them with a
    4-neighbour that is not g's (or off the image).
    """
    h, w = labels.shape
    for g in range(boxes.shape[0]):
        a = 0
        e = 0
        for r in range(max(0, boxes[g, 1]), min(h, boxes[g, 3])):
            for c in range(max(0, boxes[g, 0]), min(w, boxes[g, 2])):
                if owner[labels[r, c]] != g:
                    continue
                a += 1
                if r == 0 or r == h - 1 or c == 0 or c == w - 1 \
                        or owner[labels[r - 1, c]] != g or owner[labels[r + 1, c]] != g \
                        or owner[labels[r, c - 1]] != g or owner[labels[r, c + 1]] != g:
                    e += 1
        area[g] = a
        edge[g] = e


def stroke_widths(labels: np.ndarray, owner: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Mean stroke width, px, of each group of components (``owned_ink_and_edges``'s
    arguments; ``owner`` must cover every label): twice its ink over its edge pixels,
    as a stroke of width s and length L has s * L pixels and 2 * L on its edges.

    Returns (G,) float64, at least 2 (every pixel of a hairline is an edge one, so 1 and
    2 px strokes measure alike); inf for a group with no ink in its box.
    """
    boxes = np.ascontiguousarray(boxes, np.int64).reshape(-1, 4)
    area = np.zeros(len(boxes), np.int64)
    edge = np.zeros(len(boxes), np.int64)
    args = (np.ascontiguousarray(labels, np.int32), np.ascontiguousarray(owner, np.int32),
            boxes, area, edge)
    if len(boxes) == 0:
        return np.zeros(0, np.float64)
    if not ready(owned_ink_and_edges, *args):
        from livedigits.kernels.reference import owned_ink_and_edges_numpy

        area, edge = owned_ink_and_edges_numpy(*args[:3])
    else:
        owned_ink_and_edges(*args)
    return np.where(area > 0, 2 * area / np.maximum(edge, 1), np.inf)
