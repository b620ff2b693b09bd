"""Zhang & Suen thinning of binary masks to connected one-pixel centre lines.

References
----------
T. Y. Zhang and C. Y. Suen, "A fast parallel algorithm for thinning digital
patterns", Communications of the ACM 27(3), 1984.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from livedigits.kernels import ready


@njit(cache=True, nogil=True)
def _thin_one(image, marks):
    """Thin one (H, W) 0/1 uint8 mask in place; ``marks`` is same-shape scratch."""
    h, w = image.shape
    changed = True
    while changed:
        changed = False
        for step in range(2):
            marks[:] = 0
            for r in range(1, h - 1):
                for c in range(1, w - 1):
                    if image[r, c] == 0:
                        continue
                    n2 = image[r - 1, c]
                    n3 = image[r - 1, c + 1]
                    n4 = image[r, c + 1]
                    n5 = image[r + 1, c + 1]
                    n6 = image[r + 1, c]
                    n7 = image[r + 1, c - 1]
                    n8 = image[r, c - 1]
                    n9 = image[r - 1, c - 1]
                    count = n2 + n3 + n4 + n5 + n6 + n7 + n8 + n9
                    if count < 2 or count > 6:
                        continue
                    # int(): uncompiled, numpy bools would add up as a logical or
                    transitions = (int(n2 == 0 and n3 == 1) + int(n3 == 0 and n4 == 1)
                                   + int(n4 == 0 and n5 == 1) + int(n5 == 0 and n6 == 1)
                                   + int(n6 == 0 and n7 == 1) + int(n7 == 0 and n8 == 1)
                                   + int(n8 == 0 and n9 == 1) + int(n9 == 0 and n2 == 1))
                    if transitions != 1:
                        continue
                    if step == 0:
                        if n2 * n4 * n6 != 0 or n4 * n6 * n8 != 0:
                            continue
                    elif n2 * n4 * n8 != 0 or n2 * n6 * n8 != 0:
                        continue
                    marks[r, c] = 1
            for r in range(h):
                for c in range(w):
                    if marks[r, c]:
                        image[r, c] = 0
                        changed = True


@njit(cache=True, nogil=True, parallel=True)
def _thin_batch(masks):
    for i in prange(masks.shape[0]):
        marks = np.empty_like(masks[i])
        _thin_one(masks[i], marks)


def thin(masks: np.ndarray) -> np.ndarray:
    """Centre lines of binary masks.

    Parameters
    ----------
    masks : (H, W) or (N, H, W) array, nonzero = ink

    Returns
    -------
    Same shape, uint8 0/1: one-pixel-wide, connected centre lines (pixels on
    the array's border are never removed, so leave a blank margin).
    """
    masks = np.asarray(masks)
    batch = (masks != 0).astype(np.uint8).reshape((-1,) + masks.shape[-2:])
    if not ready(_thin_batch, batch):  # a first run's demo sheet: not worth 3-4 s of compiling
        from livedigits.kernels.reference import thin_numpy

        return thin_numpy(masks)
    _thin_batch(batch)
    return batch.reshape(masks.shape)
