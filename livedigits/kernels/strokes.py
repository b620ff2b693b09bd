"""Grouping of connected components that are strokes of one digit (see segment.py)."""

from __future__ import annotations

import numpy as np
from numba import njit

from livedigits.kernels import ready


@njit(cache=True, nogil=True)
def _root(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True, nogil=True)
def merge_strokes(box, huge, whole, order, typical, reach, parent):
    """Union components whose boxes say they are strokes of one digit.

    box : (N, 4) int64 ``x0, y0, x1, y1``, updated in place: a group's root row
        ends holding the group's joint box;
    huge : (N,) bool, components far bigger than a digit, which join nothing;
    whole : (N,) bool, small components shaped as a whole digit is (a 0 written
        small), updated in place: no short stroke to attach; a group is not;
    order : (N,) int64, the components by ``x0`` (ties by index);
    typical : float, the digits' typical height in px;
    reach : float, the farthest gap along x that a pair is looked at across, px;
    parent : (N,) int64 out, union-find parents (``_root`` gives each one's group).

    The rules, in px of the two groups' current boxes: *stacked* (overlap along x
    at least half the narrower, vertical gap at most 0.3 of the taller, joint
    height at most 1.45 typical or the taller); *pieces* (both short, the joint
    box digit-sized, barely apart); *attached* (a short stroke nearly touching,
    unless it is ``whole``).
    """
    n = len(order)
    for i in range(n):
        parent[i] = i
    for a_pos in range(n):
        a = order[a_pos]
        for b_pos in range(a_pos + 1, n):
            b = order[b_pos]
            if box[b, 0] >= box[a, 2] + reach:
                break
            if huge[a] or huge[b]:
                continue
            ra = _root(parent, a)
            rb = _root(parent, b)
            if ra == rb:
                continue
            overlap = min(box[ra, 2], box[rb, 2]) - max(box[ra, 0], box[rb, 0])
            narrower = min(box[ra, 2] - box[ra, 0], box[rb, 2] - box[rb, 0])
            gap = max(box[ra, 1], box[rb, 1]) - min(box[ra, 3], box[rb, 3])
            height = max(box[ra, 3], box[rb, 3]) - min(box[ra, 1], box[rb, 1])
            taller = max(box[ra, 3] - box[ra, 1], box[rb, 3] - box[rb, 1])
            width = max(box[ra, 2], box[rb, 2]) - min(box[ra, 0], box[rb, 0])
            stacked = (overlap >= 0.5 * narrower and gap <= 0.3 * taller
                       and height <= 1.45 * max(typical, taller))
            # Pieces whose boxes cross may be a little taller.
            short = 0.85 if gap < 0 and overlap > 0 else 0.75
            pieces = (taller < short * typical and height <= 1.2 * typical
                      and width <= 1.3 * max(typical, height)
                      and max(gap, -overlap) <= max(2.0, 0.15 * typical))
            height_a = box[ra, 3] - box[ra, 1]
            height_b = box[rb, 3] - box[rb, 1]
            shorter = min(height_a, height_b)
            short_whole = whole[ra] if height_a < height_b else whole[rb]
            attached = (shorter < 0.5 * typical and not short_whole
                        and max(gap, -overlap) <= reach
                        and height <= 1.3 * typical and width <= 1.2 * typical)
            if stacked or pieces or attached:
                parent[rb] = ra
                whole[ra] = False
                x0 = min(box[ra, 0], box[rb, 0])
                y0 = min(box[ra, 1], box[rb, 1])
                x1 = max(box[ra, 2], box[rb, 2])
                y1 = max(box[ra, 3], box[rb, 3])
                box[ra, 0] = x0
                box[ra, 1] = y0
                box[ra, 2] = x1
                box[ra, 3] = y1
    for i in range(n):
        parent[i] = _root(parent, i)


def join_strokes(box: np.ndarray, huge: np.ndarray, typical: float, reach: float,
                 whole: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``merge_strokes`` over (N, 4) int64 boxes ``x0, y0, x1, y1`` (components ``huge``
    (N,) bool join nothing, components ``whole`` (N,) bool, none when None, are no
    short stroke to attach): ``(parent, box)``, each component's group root (N,) int64
    and the boxes as the kernel leaves them. While the kernel is not compiled on a first
    run, its Python twin (``reference.merge_strokes_python``) answers the same."""
    order = np.argsort(box[:, 0], kind="stable").astype(np.int64)
    parent = np.empty(len(box), np.int64)
    whole = np.zeros(len(box), np.bool_) if whole is None else \
        np.array(whole, np.bool_).reshape(len(box))
    if not ready(merge_strokes, box, huge, whole, order, typical, reach, parent):
        from livedigits.kernels.reference import merge_strokes_python

        return merge_strokes_python(box, huge, typical, reach, whole)
    merge_strokes(box, huge, whole, order, typical, reach, parent)
    return parent, box
