"""The k-NN search's scanning kernels: every train row against a batch of queries,
each query keeping its k best in an insertion list.

Shapes as in ``kernels.knn``: queries (Q, D) and train (M, D) float32 rows of unit
length; top-k lists ``top_s`` (Q, k) float32 similarities and ``top_i`` (Q, k) int32
rows, best first.

Notes
-----
Every dot product is computed (no index structure); each query keeps its k best
in an insertion list whose k-th similarity is a threshold, so almost every
candidate is rejected by a single compare.

Two dot-product kernels, because Numba runs LLVM's loop vectorizer but not its
SLP vectorizer, so only an innermost loop becomes SIMD:

- ``_scan_lanes`` (batches of ``FEW_QUERIES`` or more) puts queries in the SIMD
  lanes. The batch is transposed once per call into blocks of (D, lanes)
  floats of at most ``LANE_BLOCK_BYTES``, which stay in L2; for a register
  block of 4 train rows x 4 dimensions, each load of 16 queries' values feeds
  16 multiply-adds. Each train value loaded serves a whole block of queries, so
  the train set needs no L2 tiling (at D = 64, tiles of 1k-4k rows gained nothing).
  A vectorised max over the lanes decides whether any list needs an insertion.
- ``_scan_rows`` (smaller batches, single queries) is the textbook micro-kernel,
  4 queries x 4 train rows with dimensions in the SIMD lanes. Its horizontal
  sum per dot product costs about as much as the products at D = 64, which is
  why large batches use the other kernel (1.5x faster there).

In parallel the train set is split into chunks when there are fewer query
blocks than threads, and each chunk's lists are merged in train order. Rows
reach a list in increasing index order and only a strictly better similarity
displaces an entry, so ties go to the lower train index, serially and in
parallel alike. Equal rows get bit-identical similarities: every row passes
through the same register-block code (a last, partial block of 4 rows repeats
its final row instead of running a separate tail loop).

``fastmath`` reassociates the sums: similarities can differ from numpy's in the
last bits (about 1e-7). Non-finite inputs give unspecified results.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

FEW_QUERIES = 12  # smaller batches use _scan_rows; twice as many when D > 128
PARALLEL_MIN_WORK = 1 << 21  # multiply-adds (Q * M * D), about 50 us on one thread
LANE_BLOCK_BYTES = 256 * 1024
ROW_TILE_BYTES = 256 * 1024  # train rows _scan_rows offers every query before moving on
_LANE_WIDTH = 16  # float32 lanes of an AVX-512 register
_MAX_LANES = 256
JIT_OPTIONS = dict(cache=True, fastmath=True, nogil=True, error_model="numpy")

_WORST = np.float32(-3.0e38)  # below any similarity: an empty slot of a top-k list
_NEVER = np.float32(3.0e38)  # threshold of a padding lane: nothing gets in


@njit(**JIT_OPTIONS)
def _reset(top_s, top_i):
    """Empty the (Q, k) top-k lists."""
    top_s[:] = _WORST
    top_i[:] = -1


@njit(**JIT_OPTIONS)
def _push(top_s, top_i, q, k, s, j):
    """Insert similarity ``s`` of train row ``j`` into row ``q`` of the top-k
    lists; the caller has checked that ``s`` beats the k-th entry. Returns the
    new k-th similarity, the row's next threshold."""
    p = k - 1
    while p > 0 and top_s[q, p - 1] < s:
        top_s[q, p] = top_s[q, p - 1]
        top_i[q, p] = top_i[q, p - 1]
        p -= 1
    top_s[q, p] = s
    top_i[q, p] = j
    return top_s[q, k - 1]


@njit(**JIT_OPTIONS)
def _scan_rows(queries, train, k, top_s, top_i, t_lo, t_hi):
    """Offer train rows [t_lo, t_hi) to every query's top-k list.

    queries (Q, D), train (M, D); top_s, top_i (Q, k). Register blocks of
    4 queries x 4 train rows, dimensions in the SIMD lanes; the last block of
    train rows repeats row ``t_hi - 1`` and offers each row once. The rows go by
    in tiles of ``ROW_TILE_BYTES``, each offered to every query before the next,
    so a batch reads the train set from memory once, not once per 4 queries.
    """
    n_q, dim = queries.shape
    last = t_hi - 1
    tile = max(4, ROW_TILE_BYTES // (4 * dim) // 4 * 4)
    for tile_lo in range(t_lo, t_hi, tile):
        _scan_rows_tile(queries, train, k, top_s, top_i, tile_lo,
                        min(tile_lo + tile, t_hi), last)


@njit(**JIT_OPTIONS)
def _scan_rows_tile(queries, train, k, top_s, top_i, t_lo, t_hi, last):
    """``_scan_rows`` over the tile of train rows [t_lo, t_hi), every query; rows past
    ``last`` are read as row ``last``."""
    n_q, dim = queries.shape
    q4 = n_q - n_q % 4
    for q in range(0, q4, 4):
        th0 = top_s[q, k - 1]
        th1 = top_s[q + 1, k - 1]
        th2 = top_s[q + 2, k - 1]
        th3 = top_s[q + 3, k - 1]
        for j in range(t_lo, t_hi, 4):
            j1 = min(j + 1, last)
            j2 = min(j + 2, last)
            j3 = min(j + 3, last)
            s00 = s01 = s02 = s03 = np.float32(0)
            s10 = s11 = s12 = s13 = np.float32(0)
            s20 = s21 = s22 = s23 = np.float32(0)
            s30 = s31 = s32 = s33 = np.float32(0)
            for d in range(dim):
                a0 = queries[q, d]
                a1 = queries[q + 1, d]
                a2 = queries[q + 2, d]
                a3 = queries[q + 3, d]
                b0 = train[j, d]
                b1 = train[j1, d]
                b2 = train[j2, d]
                b3 = train[j3, d]
                s00 += a0 * b0
                s01 += a0 * b1
                s02 += a0 * b2
                s03 += a0 * b3
                s10 += a1 * b0
                s11 += a1 * b1
                s12 += a1 * b2
                s13 += a1 * b3
                s20 += a2 * b0
                s21 += a2 * b1
                s22 += a2 * b2
                s23 += a2 * b3
                s30 += a3 * b0
                s31 += a3 * b1
                s32 += a3 * b2
                s33 += a3 * b3
            if s00 > th0:
                th0 = _push(top_s, top_i, q, k, s00, j)
            if s01 > th0 and j1 > j:
                th0 = _push(top_s, top_i, q, k, s01, j1)
            if s02 > th0 and j2 > j1:
                th0 = _push(top_s, top_i, q, k, s02, j2)
            if s03 > th0 and j3 > j2:
                th0 = _push(top_s, top_i, q, k, s03, j3)
            if s10 > th1:
                th1 = _push(top_s, top_i, q + 1, k, s10, j)
            if s11 > th1 and j1 > j:
                th1 = _push(top_s, top_i, q + 1, k, s11, j1)
            if s12 > th1 and j2 > j1:
                th1 = _push(top_s, top_i, q + 1, k, s12, j2)
            if s13 > th1 and j3 > j2:
                th1 = _push(top_s, top_i, q + 1, k, s13, j3)
            if s20 > th2:
                th2 = _push(top_s, top_i, q + 2, k, s20, j)
            if s21 > th2 and j1 > j:
                th2 = _push(top_s, top_i, q + 2, k, s21, j1)
            if s22 > th2 and j2 > j1:
                th2 = _push(top_s, top_i, q + 2, k, s22, j2)
            if s23 > th2 and j3 > j2:
                th2 = _push(top_s, top_i, q + 2, k, s23, j3)
            if s30 > th3:
                th3 = _push(top_s, top_i, q + 3, k, s30, j)
            if s31 > th3 and j1 > j:
                th3 = _push(top_s, top_i, q + 3, k, s31, j1)
            if s32 > th3 and j2 > j1:
                th3 = _push(top_s, top_i, q + 3, k, s32, j2)
            if s33 > th3 and j3 > j2:
                th3 = _push(top_s, top_i, q + 3, k, s33, j3)
    for q in range(q4, n_q):
        th = top_s[q, k - 1]
        for j in range(t_lo, t_hi, 4):
            j1 = min(j + 1, last)
            j2 = min(j + 2, last)
            j3 = min(j + 3, last)
            s0 = s1 = s2 = s3 = np.float32(0)
            for d in range(dim):
                a = queries[q, d]
                s0 += a * train[j, d]
                s1 += a * train[j1, d]
                s2 += a * train[j2, d]
                s3 += a * train[j3, d]
            if s0 > th:
                th = _push(top_s, top_i, q, k, s0, j)
            if s1 > th and j1 > j:
                th = _push(top_s, top_i, q, k, s1, j1)
            if s2 > th and j2 > j1:
                th = _push(top_s, top_i, q, k, s2, j2)
            if s3 > th and j3 > j2:
                th = _push(top_s, top_i, q, k, s3, j3)


@njit(**JIT_OPTIONS)
def _scan_lanes(block, train, k, top_s, top_i, thr, acc, q0, n_real, t_lo, t_hi):
    """Offer train rows [t_lo, t_hi) to the top-k lists of one block of queries.

    block (D, L): queries ``q0 .. q0 + n_real - 1`` transposed, one per SIMD
    lane, zero-padded to L lanes; thr (L,): each lane's threshold (``_NEVER``
    on padding); acc (4, >= L) scratch; top_s, top_i (Q, k). Register blocks of
    4 train rows x 4 dimensions, queries in the SIMD lanes; the last block of
    train rows repeats row ``t_hi - 1`` and offers each row once.
    """
    dim, n_lanes = block.shape
    d4 = dim - dim % 4
    last = t_hi - 1
    for j in range(t_lo, t_hi, 4):
        j1 = min(j + 1, last)
        j2 = min(j + 2, last)
        j3 = min(j + 3, last)
        for r in range(4):
            for q in range(n_lanes):
                acc[r, q] = 0
        for d in range(0, d4, 4):
            x00 = train[j, d]
            x01 = train[j, d + 1]
            x02 = train[j, d + 2]
            x03 = train[j, d + 3]
            x10 = train[j1, d]
            x11 = train[j1, d + 1]
            x12 = train[j1, d + 2]
            x13 = train[j1, d + 3]
            x20 = train[j2, d]
            x21 = train[j2, d + 1]
            x22 = train[j2, d + 2]
            x23 = train[j2, d + 3]
            x30 = train[j3, d]
            x31 = train[j3, d + 1]
            x32 = train[j3, d + 2]
            x33 = train[j3, d + 3]
            for q in range(n_lanes):
                y0 = block[d, q]
                y1 = block[d + 1, q]
                y2 = block[d + 2, q]
                y3 = block[d + 3, q]
                acc[0, q] += x00 * y0 + x01 * y1 + x02 * y2 + x03 * y3
                acc[1, q] += x10 * y0 + x11 * y1 + x12 * y2 + x13 * y3
                acc[2, q] += x20 * y0 + x21 * y1 + x22 * y2 + x23 * y3
                acc[3, q] += x30 * y0 + x31 * y1 + x32 * y2 + x33 * y3
        for d in range(d4, dim):
            x0 = train[j, d]
            x1 = train[j1, d]
            x2 = train[j2, d]
            x3 = train[j3, d]
            for q in range(n_lanes):
                y = block[d, q]
                acc[0, q] += x0 * y
                acc[1, q] += x1 * y
                acc[2, q] += x2 * y
                acc[3, q] += x3 * y
        hits = 0
        for q in range(n_lanes):
            best = max(max(acc[0, q], acc[1, q]), max(acc[2, q], acc[3, q]))
            hits += best > thr[q]
        if hits:
            for q in range(n_real):
                for r in range(4):
                    if acc[r, q] > thr[q] and j + r < t_hi:
                        thr[q] = _push(top_s, top_i, q0 + q, k, acc[r, q], j + r)


@njit(**JIT_OPTIONS)
def _transpose_blocks(queries, n_lanes, n_chunks):
    """Queries (Q, D) as (n_blocks, D, n_lanes) zero-padded blocks, and the
    thresholds (n_chunks, n_blocks, n_lanes) of empty lists."""
    n_q, dim = queries.shape
    n_blocks = (n_q + n_lanes - 1) // n_lanes
    blocks = np.zeros((n_blocks, dim, n_lanes), np.float32)
    thr = np.full((n_chunks, n_blocks, n_lanes), _NEVER, np.float32)
    for q in range(n_q):
        b = q // n_lanes
        lane = q - b * n_lanes
        for d in range(dim):
            blocks[b, d, lane] = queries[q, d]
        for c in range(n_chunks):
            thr[c, b, lane] = _WORST
    return blocks, thr


@njit(**JIT_OPTIONS)
def search_serial(queries, train, k, n_lanes, top_s, top_i):
    """Top-k of (Q, D) ``queries`` over (M, D) ``train`` into (Q, k) ``top_s``,
    ``top_i``, on the calling thread; ``n_lanes`` 0 selects ``_scan_rows``."""
    n_q = queries.shape[0]
    n_train = train.shape[0]
    _reset(top_s, top_i)
    if n_lanes == 0:
        _scan_rows(queries, train, k, top_s, top_i, 0, n_train)
        return
    blocks, thr = _transpose_blocks(queries, n_lanes, 1)
    acc = np.empty((4, n_lanes), np.float32)
    for b in range(blocks.shape[0]):
        q0 = b * n_lanes
        n_real = min(n_lanes, n_q - q0)
        _scan_lanes(blocks[b], train, k, top_s, top_i, thr[0, b], acc, q0, n_real, 0, n_train)


@njit(**JIT_OPTIONS)
def _parallel_scratch(queries, k, n_lanes, n_chunks):
    """For ``search_parallel``: query blocks and thresholds as ``_transpose_blocks``
    makes them (one unused block when ``n_lanes`` is 0), ``acc`` (n_tasks, 4,
    lanes + 16) and empty top-k lists ``part_s``, ``part_i`` (n_chunks, Q, k)."""
    n_q = queries.shape[0]
    lanes = n_lanes if n_lanes > 0 else n_q
    blocks, thr = _transpose_blocks(queries, lanes, n_chunks)
    # 16 spare floats (64 bytes) per row: no two tasks write to one cache line.
    acc = np.empty((blocks.shape[0] * n_chunks, 4, lanes + _LANE_WIDTH), np.float32)
    part_s = np.full((n_chunks, n_q, k), _WORST, np.float32)
    part_i = np.full((n_chunks, n_q, k), -1, np.int32)
    return blocks, thr, acc, part_s, part_i


@njit(**JIT_OPTIONS)
def _parallel_task(queries, train, k, n_lanes, n_chunks, blocks, thr, acc, part_s, part_i,
                   task):
    """Task ``task`` of ``search_parallel``: one query block over one train chunk."""
    n_q = queries.shape[0]
    n_train = train.shape[0]
    chunk = ((n_train + n_chunks - 1) // n_chunks + 3) // 4 * 4
    b = task // n_chunks
    c = task - b * n_chunks
    t_lo = min(n_train, c * chunk)
    t_hi = min(n_train, t_lo + chunk)
    if n_lanes == 0:
        _scan_rows(queries, train, k, part_s[c], part_i[c], t_lo, t_hi)
    else:
        q0 = b * n_lanes
        _scan_lanes(blocks[b], train, k, part_s[c], part_i[c], thr[c, b], acc[task],
                    q0, min(n_lanes, n_q - q0), t_lo, t_hi)


@njit(**JIT_OPTIONS)
def _merge(part_s, part_i, top_s, top_i):
    """Merge the sorted (n_chunks, Q, k) lists ``part_s``, ``part_i``, chunk by
    chunk, into (Q, k) ``top_s``, ``top_i``."""
    n_chunks, n_q, k = part_s.shape
    _reset(top_s, top_i)
    for q in range(n_q):
        th = _WORST
        for c in range(n_chunks):
            for p in range(k):
                s = part_s[c, q, p]
                if s <= th:
                    break
                th = _push(top_s, top_i, q, k, s, part_i[c, q, p])


@njit(parallel=True, **JIT_OPTIONS)
def search_parallel(queries, train, k, n_lanes, n_chunks, top_s, top_i):
    """As ``search_serial`` on Numba's threads: the train set in ``n_chunks``
    chunks, one task per (query block, chunk), the chunks' lists merged after."""
    blocks, thr, acc, part_s, part_i = _parallel_scratch(queries, k, n_lanes, n_chunks)
    for task in prange(blocks.shape[0] * n_chunks):
        _parallel_task(queries, train, k, n_lanes, n_chunks, blocks, thr, acc, part_s, part_i,
                       task)
    _merge(part_s, part_i, top_s, top_i)


def lanes_for(n_queries: int, dim: int) -> int:
    """SIMD lanes per query block for ``_scan_lanes`` (0: use ``_scan_rows``):
    blocks of equal size, a multiple of 16, within ``LANE_BLOCK_BYTES``."""
    if n_queries < (FEW_QUERIES if dim <= 128 else 2 * FEW_QUERIES):
        return 0
    cap = LANE_BLOCK_BYTES // (4 * dim) // _LANE_WIDTH * _LANE_WIDTH
    cap = min(_MAX_LANES, max(3 * _LANE_WIDTH, cap))
    n_blocks = -(-n_queries // cap)
    per_block = -(-n_queries // n_blocks)
    return -(-per_block // _LANE_WIDTH) * _LANE_WIDTH
