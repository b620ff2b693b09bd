"""Moment-based deskewing of batches of 20x20 cells."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _copy(cell, out):
    """``out[:, :] = cell`` for two (20, 20) arrays, as loops.

    Numba compiles an array-to-array assignment with its broadcasting checks and
    their error messages (string building): 4 s of a 5 s first compile here.
    """
    side = cell.shape[0]
    for r in range(side):
        for c in range(side):
            out[r, c] = cell[r, c]


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def deskew_cells(cells, out):
    """Shear each (20, 20) uint8 cell of ``cells`` (N, 20, 20) upright into ``out``.

    The shear is the cell's ``mu11 / mu02`` (second-order central moments), about
    the centre row, so the mass of the result has no row/column covariance;
    pixels are sampled linearly along rows, zero outside. Cells with
    ``|mu02| < 0.01`` are copied.
    """
    n, side, _ = cells.shape
    half = np.float64(side) / 2
    for i in range(n):
        cell = cells[i]
        mass = 0.0
        sum_r = 0.0
        sum_c = 0.0
        for r in range(side):
            for c in range(side):
                v = np.float64(cell[r, c])
                mass += v
                sum_r += v * r
                sum_c += v * c
        if mass <= 0:
            _copy(cell, out[i])
            continue
        mean_r = sum_r / mass
        mean_c = sum_c / mass
        mu02 = 0.0
        mu11 = 0.0
        for r in range(side):
            dr = r - mean_r
            for c in range(side):
                v = np.float64(cell[r, c])
                mu02 += v * dr * dr
                mu11 += v * dr * (c - mean_c)
        if abs(mu02) < 1e-2:
            _copy(cell, out[i])
            continue
        skew = mu11 / mu02
        for r in range(side):
            offset = skew * (r - half)
            for c in range(side):
                x = c + offset
                x0 = np.int64(np.floor(x))
                f = x - x0
                a = np.float64(cell[r, x0]) if 0 <= x0 < side else 0.0
                b = np.float64(cell[r, x0 + 1]) if 0 <= x0 + 1 < side else 0.0
                v = a + (b - a) * f
                out[i, r, c] = np.uint8(min(255.0, max(0.0, v + 0.5)))
