"""Plain-numpy versions of the kernels' math, the baselines ``livedigits bench`` measures.

Slow by design: they show what the Numba kernels buy, and document the math.
"""

from __future__ import annotations

import numpy as np

CELL_SIDE, PIXELS_PER_CELL, N_BINS = 20, 4, 8


def hog_numpy(cells: np.ndarray) -> np.ndarray:
    """Same features as ``kernels.hog.hog``: (N, 20, 20) uint8 -> (N, 512) float32."""
    x = cells.astype(np.float32)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
    gx = padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]
    gy = padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), 2 * np.pi)
    position = angle / (2 * np.pi / N_BINS) - 0.5
    lower = np.floor(position).astype(np.int64)
    upper_share = position - lower
    lower %= N_BINS
    upper = (lower + 1) % N_BINS
    n = len(cells)
    n_cells = CELL_SIDE // PIXELS_PER_CELL
    # Bilinear weights of pixel rows/columns into histogram rows/columns: (5, 20).
    centre = (np.arange(CELL_SIDE) + 0.5) / PIXELS_PER_CELL - 0.5
    low = np.floor(centre).astype(int)
    frac = centre - low
    pool = np.zeros((n_cells, CELL_SIDE), np.float32)
    for i in range(CELL_SIDE):
        if 0 <= low[i] < n_cells:
            pool[low[i], i] += 1 - frac[i]
        if low[i] + 1 < n_cells:
            pool[low[i] + 1, i] += frac[i]
    votes = np.zeros((n, N_BINS, CELL_SIDE, CELL_SIDE), np.float32)
    for b in range(N_BINS):
        votes[:, b] = (magnitude * (1 - upper_share) * (lower == b)
                       + magnitude * upper_share * (upper == b))
    hist = np.einsum("jr,nbrc,ic->njib", pool, votes, pool)  # (N, 5, 5, bins)
    blocks = []
    for row in range(n_cells - 1):
        for col in range(n_cells - 1):
            block = hist[:, row:row + 2, col:col + 2, :].reshape(n, -1)
            blocks.append(np.sqrt(block / (block.sum(axis=1, keepdims=True) + 1e-6)))
    return np.concatenate(blocks, axis=1).astype(np.float32)


def knn_numpy(queries: np.ndarray, train: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k by dot product with BLAS and argpartition: (Q, k) indices and similarities."""
    sims = queries @ train.T
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    part_sims = np.take_along_axis(sims, part, axis=1)
    order = np.argsort(-part_sims, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_sims, order, axis=1)
