"""Plain-numpy versions of the kernels' math, the baselines ``livedigits bench`` measures.

Slow by design: they show what the Numba kernels buy, and document the math.
"""

from __future__ import annotations

import numpy as np

CELL_SIDE, PIXELS_PER_CELL, N_BINS = 20, 4, 8


def hog_numpy(cells: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Same features as ``kernels.hog.hog``: (N, 20, 20) uint8 -> (N, 512) float32.

    Each pixel's gradient magnitude votes into its two nearest orientation bins and,
    bilinearly, into the 2 x 2 nearest of the 5 x 5 histogram cells (a pooling matrix
    applied to each bin's votes from both sides), ``chunk`` cells at a time. Blocks of
    2 x 2 cells, L1-normalised and square-rooted.
    """
    n = len(cells)
    out = np.empty((n, 16 * 4 * N_BINS), np.float32)
    for start in range(0, n, chunk):
        out[start:start + chunk] = _hog_chunk(cells[start:start + chunk])
    return out


def _pool_taps() -> tuple[np.ndarray, np.ndarray]:
    """(2, 20) histogram row (or column) of each pixel row's two votes, and their weights;
    a vote outside the 5 x 5 grid goes to a spare row 5 with weight 0."""
    n_cells = CELL_SIDE // PIXELS_PER_CELL
    centre = (np.arange(CELL_SIDE) + 0.5) / PIXELS_PER_CELL - 0.5
    low = np.floor(centre).astype(np.int64)
    frac = (centre - low).astype(np.float32)
    target = np.stack([low, low + 1])
    weight = np.stack([1 - frac, frac])
    outside = (target < 0) | (target >= n_cells)
    target[outside] = n_cells
    weight[outside] = 0
    return target, weight


def _hog_chunk(cells: np.ndarray) -> np.ndarray:
    x = cells.astype(np.float32)
    n = len(x)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
    gx = padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]
    gy = padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), 2 * np.pi)
    position = angle / (2 * np.pi / N_BINS) - 0.5
    lower = np.floor(position).astype(np.int64)
    upper_share = (position - lower).astype(np.float32)
    lower %= N_BINS
    upper = (lower + 1) % N_BINS
    # Dense votes (n, 20, 20, bins): each pixel's two bins (never the same one) set.
    votes = np.zeros((n, CELL_SIDE, CELL_SIDE, N_BINS), np.float32)
    np.put_along_axis(votes, lower[..., None], (magnitude * (1 - upper_share))[..., None], -1)
    np.put_along_axis(votes, upper[..., None], (magnitude * upper_share)[..., None], -1)
    target, weight = _pool_taps()
    side = CELL_SIDE // PIXELS_PER_CELL + 1  # 6 with the spare row
    pool = np.zeros((side, CELL_SIDE), np.float32)  # (histogram row, pixel row)
    for tap in range(2):
        np.add.at(pool, (target[tap], np.arange(CELL_SIDE)), weight[tap])
    # Pooled along pixel rows, then columns, each one matrix product: (n, 6, 6, bins).
    by_row = votes.transpose(1, 0, 2, 3).reshape(CELL_SIDE, -1)  # (r, n * c * bins)
    rows = (pool @ by_row).reshape(side, n, CELL_SIDE, N_BINS)  # (j, n, c, bins)
    cols = rows.transpose(0, 1, 3, 2).reshape(-1, CELL_SIDE) @ pool.T  # (j * n * bins, i)
    hist = cols.reshape(side, n, N_BINS, side).transpose(1, 0, 3, 2)  # (n, j, i, bins)
    hist = hist[:, :side - 1, :side - 1]
    blocks = []
    n_cells = side - 1
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


def knn_vote_numpy(indices: np.ndarray, similarities: np.ndarray, train_labels: np.ndarray,
                   power: float, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Same vote as ``kernels.knn.knn_vote``: (Q, k) neighbours -> (Q,) int32 labels and
    float32 confidences. Each neighbour votes ``max(similarity, 0) ** power``; a tie goes
    to the tied class of the nearest neighbour."""
    n_q, k = indices.shape
    voters = train_labels[indices]  # (Q, k)
    weights = np.maximum(similarities, 0).astype(np.float32) ** np.float32(power)
    votes = np.zeros((n_q, n_classes), np.float32)
    np.add.at(votes, (np.repeat(np.arange(n_q), k), voters.ravel()), weights.ravel())
    total = weights.sum(axis=1)
    # The first neighbour whose class holds the most votes: nearest first breaks ties.
    of_voter = np.take_along_axis(votes, voters, axis=1)  # (Q, k)
    winner_at = np.argmax(of_voter >= of_voter.max(axis=1, keepdims=True), axis=1)
    labels = voters[np.arange(n_q), winner_at].astype(np.int32)
    best = votes[np.arange(n_q), labels]
    confidences = np.where(total > 0, np.minimum(best / np.maximum(total, 1e-30), 1), 0)
    return labels, confidences.astype(np.float32)
