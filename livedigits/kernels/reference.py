"""Plain-numpy versions of the kernels' math: the baselines ``livedigits bench`` measures,
the code that stands in for a kernel not compiled yet, and the twins the tests check
every kernel against.

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


def deskew_numpy(cells: np.ndarray) -> np.ndarray:
    """Same shear as ``kernels.deskew.deskew_cells``: (N, S, S) uint8 -> (N, S, S) uint8.

    Each cell is sheared along its rows by ``mu11 / mu02`` (central moments, in
    float64) about row ``S / 2``, sampled linearly with zero outside and rounded
    half up; blank cells and cells with ``|mu02| < 0.01`` are copied.
    """
    x = cells.astype(np.float64)
    side = x.shape[-1]
    index = np.arange(side, dtype=np.float64)
    mass = x.sum(axis=(1, 2))
    blank = mass <= 0
    mass = np.where(blank, 1.0, mass)
    d_row = index - ((x.sum(axis=2) @ index) / mass)[:, None]  # (N, S)
    d_col = index - ((x.sum(axis=1) @ index) / mass)[:, None]
    mu02 = np.einsum("nrc,nr,nr->n", x, d_row, d_row)
    mu11 = np.einsum("nrc,nr,nc->n", x, d_row, d_col)
    copied = blank | (np.abs(mu02) < 1e-2)
    skew = np.where(copied, 0.0, mu11 / np.where(copied, 1.0, mu02))
    # The source column of each output pixel: (N, rows, columns).
    source = index[None, None, :] + skew[:, None, None] * (index - side / 2)[None, :, None]
    left = np.floor(source).astype(np.int64)
    share = source - left

    def sample(column: np.ndarray) -> np.ndarray:
        inside = (column >= 0) & (column < side)
        taken = np.take_along_axis(x, np.clip(column, 0, side - 1), axis=2)
        return np.where(inside, taken, 0.0)

    a, b = sample(left), sample(left + 1)
    sheared = np.clip(a + (b - a) * share + 0.5, 0, 255).astype(np.uint8)
    return np.where(copied[:, None, None], cells, sheared)


def thin_numpy(masks: np.ndarray) -> np.ndarray:
    """Same centre lines as ``kernels.thinning.thin``: (H, W) or (N, H, W), nonzero =
    ink -> same shape uint8 0/1.

    Zhang & Suen's two sub-iterations, each deciding every interior pixel of every
    mask at once from the image as it stood, until a pass over both removes nothing.
    """
    masks = np.asarray(masks)
    image = (masks != 0).astype(np.uint8).reshape((-1,) + masks.shape[-2:])
    centre = image[:, 1:-1, 1:-1]
    changed = True
    while changed:
        changed = False
        for step in range(2):
            p = image.astype(np.int32)
            # P2..P9 clockwise from the pixel above, as in the paper.
            n2, n3, n4, n5 = p[:, :-2, 1:-1], p[:, :-2, 2:], p[:, 1:-1, 2:], p[:, 2:, 2:]
            n6, n7, n8, n9 = p[:, 2:, 1:-1], p[:, 2:, :-2], p[:, 1:-1, :-2], p[:, :-2, :-2]
            ring = [n2, n3, n4, n5, n6, n7, n8, n9]
            count = sum(ring)
            transitions = sum((ring[i] == 0) & (ring[(i + 1) % 8] == 1) for i in range(8))
            if step == 0:
                kept = (n2 * n4 * n6 != 0) | (n4 * n6 * n8 != 0)
            else:
                kept = (n2 * n4 * n8 != 0) | (n2 * n6 * n8 != 0)
            removed = ((p[:, 1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6)
                       & (transitions == 1) & ~kept)
            if removed.any():
                centre[removed] = 0
                changed = True
    return image.reshape(masks.shape)


def stats_and_peaks_numpy(labels: np.ndarray, values: np.ndarray,
                          count: int) -> tuple[np.ndarray, np.ndarray]:
    """Same as ``kernels.components.stats_and_peaks``: (H, W) labels in [0, count) and
    (H, W) uint8 values -> (count, 5) int32 ``x, y, w, h, area`` and (count,) uint8 peaks,
    the background's (label 0) row zero."""
    rows, cols = np.nonzero(labels)
    which = labels[rows, cols].astype(np.intp)
    area = np.bincount(which, minlength=count)[:count]
    x0 = np.full(count, labels.shape[1], np.int64)
    y0 = np.full(count, labels.shape[0], np.int64)
    x1 = np.full(count, -1, np.int64)
    y1 = np.full(count, -1, np.int64)
    peak = np.zeros(count, np.uint8)
    np.minimum.at(x0, which, cols)
    np.minimum.at(y0, which, rows)
    np.maximum.at(x1, which, cols)
    np.maximum.at(y1, which, rows)
    np.maximum.at(peak, which, values[rows, cols])
    seen = area > 0
    stats = np.zeros((count, 5), np.int32)
    stats[seen, 0], stats[seen, 1] = x0[seen], y0[seen]
    stats[seen, 2], stats[seen, 3] = x1[seen] - x0[seen] + 1, y1[seen] - y0[seen] + 1
    stats[:, 4] = area
    return stats, peak


def merge_strokes_python(boxes: np.ndarray, huge: np.ndarray, typical: float,
                         reach: float, whole: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Same groups as ``kernels.strokes.merge_strokes``, in plain Python over sets.

    Parameters
    ----------
    boxes : (N, 4) int ``x0, y0, x1, y1`` in px, not changed
    huge : (N,) bool, components that join nothing
    typical, reach : the digits' typical height and the farthest gap looked across, px
    whole : (N,) bool, small components shaped as a whole digit, which no short stroke
        attaches while they are alone (none when None); not changed

    Returns
    -------
    root : (N,) int64, each component's group root (the kernel's ``parent`` at its end)
    rows : (N, 4) int64, the kernel's ``box`` at its end: a root's row the joint box of
        its group's members, the row of a component that was absorbed the joint box
        its group had then.

    Components are visited by ``x0`` (ties by index); each looks at the later ones
    until one starts ``reach`` px past its row's right edge, and a pair's groups join
    (the later group into the earlier's root) when their joint boxes pass
    ``_strokes_of_one_digit``.
    """
    original = [tuple(int(v) for v in box) for box in boxes]
    n = len(original)
    order = sorted(range(n), key=lambda i: (original[i][0], i))
    root = list(range(n))
    members = {i: {i} for i in range(n)}
    rows = [list(box) for box in original]
    alone_whole = [False] * n if whole is None else [bool(v) for v in whole]
    for a_pos, a in enumerate(order):
        for b in order[a_pos + 1:]:
            if rows[b][0] >= rows[a][2] + reach:
                break
            if huge[a] or huge[b] or root[a] == root[b]:
                continue
            keep, absorbed = root[a], root[b]
            first, second = rows[keep], rows[absorbed]
            short = keep if first[3] - first[1] < second[3] - second[1] else absorbed
            if not _strokes_of_one_digit(first, second, typical, reach, alone_whole[short]):
                continue
            alone_whole[keep] = False
            for m in members.pop(absorbed):
                root[m] = keep
                members[keep].add(m)
            group = [original[m] for m in members[keep]]
            rows[keep] = [min(g[0] for g in group), min(g[1] for g in group),
                          max(g[2] for g in group), max(g[3] for g in group)]
    return np.array(root, np.int64), np.array(rows, np.int64).reshape(n, 4)


def _strokes_of_one_digit(first: list[int], second: list[int], typical: float,
                          reach: float, short_whole: bool = False) -> bool:
    """Whether two groups' boxes ``[x0, y0, x1, y1]`` (px) are strokes of one digit:
    stacked, two short pieces making one digit, or a short stroke attached (not when
    the shorter group is a lone ``whole`` component)."""
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = first, second
    overlap_x = min(ax1, bx1) - max(ax0, bx0)  # negative: a gap along x
    gap_y = max(ay0, by0) - min(ay1, by1)  # negative: an overlap along y
    width = max(ax1, bx1) - min(ax0, bx0)
    height = max(ay1, by1) - min(ay0, by0)
    narrower = min(ax1 - ax0, bx1 - bx0)
    taller = max(ay1 - ay0, by1 - by0)
    shorter = min(ay1 - ay0, by1 - by0)
    apart = max(gap_y, -overlap_x)
    if (overlap_x >= 0.5 * narrower and gap_y <= 0.3 * taller
            and height <= 1.45 * max(typical, taller)):
        return True
    crossing = gap_y < 0 and overlap_x > 0
    if (taller < (0.85 if crossing else 0.75) * typical and height <= 1.2 * typical
            and width <= 1.3 * max(typical, height) and apart <= max(2.0, 0.15 * typical)):
        return True
    return (shorter < 0.5 * typical and not short_whole and apart <= reach
            and height <= 1.3 * typical and width <= 1.2 * typical)


def owned_ink_and_edges_numpy(labels: np.ndarray, owner: np.ndarray, boxes: np.ndarray
                              ) -> tuple[np.ndarray, np.ndarray]:
    """Same as ``kernels.components.owned_ink_and_edges``: (G,) int64 ink and edge
    pixels of each group of components within its box."""
    h, w = labels.shape
    area = np.zeros(len(boxes), np.int64)
    edge = np.zeros(len(boxes), np.int64)
    padded = np.pad(owner[labels], 1, constant_values=-1)
    for g, (x0, y0, x1, y1) in enumerate(np.asarray(boxes, np.int64).tolist()):
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        mine = padded[y0:y1 + 2, x0:x1 + 2] == g
        core = mine[1:-1, 1:-1]
        inner = core & mine[:-2, 1:-1] & mine[2:, 1:-1] & mine[1:-1, :-2] & mine[1:-1, 2:]
        area[g] = int(core.sum())
        edge[g] = int(core.sum() - inner.sum())
    return area, edge
