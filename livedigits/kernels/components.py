"""Per-component reductions over a label image."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def component_max(labels, values, count, out):
    """Largest value under each label.

    labels : (H, W) int32 in [0, count); values : (H, W) uint8;
    out : (count,) uint8, zeroed by the caller.
    """
    h, w = labels.shape
    for r in range(h):
        for c in range(w):
            label = labels[r, c]
            v = values[r, c]
            if v > out[label]:
                out[label] = v


def peaks(labels: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """(count,) uint8: the largest of ``values`` (H, W) uint8 under each of ``count`` labels."""
    out = np.zeros(count, np.uint8)
    component_max(np.ascontiguousarray(labels, np.int32),
                  np.ascontiguousarray(values, np.uint8), count, out)
    return out
