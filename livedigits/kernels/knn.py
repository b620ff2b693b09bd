"""k nearest neighbours by cosine similarity, and a distance-weighted vote.

``knn_search`` finds each query's k most similar train rows by dot product;
``knn_vote`` turns them into a class and a confidence. Shapes and dtypes:

queries : (Q, D) float32, rows of unit length
train : (M, D) float32, rows of unit length
indices : (Q, k) int32, rows of ``train``, most similar first
similarities : (Q, k) float32, dot products (cosines) in [-1, 1], best first
train_labels : (M,) int32, classes in [0, n_classes)
labels : (Q,) int32; confidences : (Q,) float32 in [0, 1]

Each kernel compiles on its first call for the argument types it is given (or loads
from Numba's cache), so a command compiles only the ways of searching it uses. While
they are not compiled a command that allows it searches with ``reference.knn_numpy``
(``kernels.ready``).

The scanning kernels and how they use the SIMD lanes are described in
``kernels.knn_scan``.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit

from livedigits.kernels import ready
from livedigits.kernels.knn_scan import (
    FEW_QUERIES,
    JIT_OPTIONS,
    PARALLEL_MIN_WORK,
    lanes_for,
    search_parallel,
    search_serial,
)


def _as_matrix(name: str, a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows, D), got shape {a.shape}")
    if a.dtype.kind not in "fiub":
        raise ValueError(f"{name} must hold real numbers, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32)


def knn_search(
    queries: np.ndarray, train: np.ndarray, k: int, *, parallel: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar train rows of each query, by dot product.

    Parameters
    ----------
    queries : (Q, D) float32 ndarray
        Query vectors of unit length (the caller normalises); other real
        dtypes are converted.
    train : (M, D) float32 ndarray
        Training vectors of unit length.
    k : int
        Neighbours per query, ``1 <= k <= M``.
    parallel : bool, optional
        Use Numba's threads; by default only when the search takes
        ``PARALLEL_MIN_WORK`` multiply-adds (Q * M * D) or more. Waking the
        threads costs about 5 us; a busy machine can make a thread wait for a
        whole scheduler slice (milliseconds), so pass False from a loop that
        shares the cores with other busy threads.

    Returns
    -------
    indices : (Q, k) int32 ndarray
        Rows of ``train``, most similar first; ties go to the lower index.
    similarities : (Q, k) float32 ndarray
        The matching dot products (cosines), in non-increasing order.

    Raises
    ------
    ValueError
        On arrays that are not 2-D or not real, different D, D = 0, or ``k``
        outside ``1 .. M``.
    """
    queries = _as_matrix("queries", queries)
    train = _as_matrix("train", train)
    n_q, dim = queries.shape
    n_train = train.shape[0]
    if train.shape[1] != dim:
        raise ValueError(
            f"queries and train must have the same number of columns D, "
            f"got {dim} and {train.shape[1]}")
    if dim == 0:
        raise ValueError("queries and train must have at least one column (D >= 1)")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an integer, got {k!r}")
    k = int(k)
    if not 1 <= k <= n_train:
        raise ValueError(f"k must be between 1 and the number of train rows {n_train}, got {k}")
    indices = np.empty((n_q, k), np.int32)
    similarities = np.empty((n_q, k), np.float32)
    if n_q == 0:
        return indices, similarities
    n_lanes = lanes_for(n_q, dim)
    if parallel is None:
        parallel = n_q * n_train * dim >= PARALLEL_MIN_WORK
    n_threads = get_num_threads() if parallel else 1
    if n_threads > 1:
        n_blocks = 1 if n_lanes == 0 else -(-n_q // n_lanes)
        # Split the train set so the tasks (blocks x chunks) share evenly among the threads.
        n_chunks = max(1, min(n_threads // int(np.gcd(n_blocks, n_threads)), n_train // 64))
        args = (queries, train, k, n_lanes, n_chunks, similarities, indices)
        kernel = search_parallel
    else:
        args = (queries, train, k, n_lanes, similarities, indices)
        kernel = search_serial
    if not ready(kernel, *args):
        from livedigits.kernels.reference import knn_numpy

        return knn_numpy(queries, train, k)
    kernel(*args)
    return indices, similarities


@njit(**JIT_OPTIONS)
def vote(indices, similarities, train_labels, power, votes, labels, confidences):
    """Weighted vote of (Q, k) neighbours into (Q,) ``labels`` and
    ``confidences``; ``votes`` (n_classes,) float32 scratch."""
    n_q, k = indices.shape
    for q in range(n_q):
        votes[:] = 0
        total = np.float32(0)
        for p in range(k):
            w = max(similarities[q, p], np.float32(0)) ** power
            votes[train_labels[indices[q, p]]] += w
            total += w
        winner = train_labels[indices[q, 0]]
        for p in range(1, k):
            label = train_labels[indices[q, p]]
            if votes[label] > votes[winner]:
                winner = label
        labels[q] = winner
        confidences[q] = min(votes[winner] / total, np.float32(1)) if total > 0 else 0


def knn_vote(
    indices: np.ndarray,
    similarities: np.ndarray,
    train_labels: np.ndarray,
    n_classes: int,
    *,
    power: float = 4.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Distance-weighted vote of each query's neighbours.

    Parameters
    ----------
    indices : (Q, k) integer ndarray
        Neighbours' rows of the train set, nearest first (``knn_search``'s).
    similarities : (Q, k) float ndarray
        Their similarities to the query.
    train_labels : (M,) integer ndarray
        Class of each train row, in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes.
    power : float, optional
        Each neighbour votes ``max(similarity, 0) ** power`` for its class.

    Returns
    -------
    labels : (Q,) int32 ndarray
        Class with the most votes; a tie goes to the class of the nearest
        neighbour among the tied ones (also when every weight is 0).
    confidences : (Q,) float32 ndarray
        The winner's share of the votes, in [0, 1]; 0 when every weight is 0.

    Raises
    ------
    ValueError
        On mismatched shapes, ``k = 0``, an index outside the train set, a
        neighbour's label outside ``0 .. n_classes - 1`` or a ``power`` that is
        not > 0.
    """
    indices = np.asarray(indices)
    similarities = np.asarray(similarities)
    train_labels = np.asarray(train_labels)
    if indices.ndim != 2 or indices.dtype.kind not in "iu":
        raise ValueError(
            f"indices must be a 2-D integer array (Q, k), got {indices.dtype} {indices.shape}")
    if similarities.shape != indices.shape or similarities.dtype.kind not in "fiu":
        raise ValueError(
            f"similarities must be a real array shaped like indices {indices.shape}, "
            f"got {similarities.dtype} {similarities.shape}")
    if indices.shape[1] == 0:
        raise ValueError("indices must hold at least one neighbour per query (k >= 1)")
    if train_labels.ndim != 1 or train_labels.dtype.kind not in "iu":
        raise ValueError(
            f"train_labels must be a 1-D integer array (M,), got "
            f"{train_labels.dtype} {train_labels.shape}")
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) \
            or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    if not power > 0:
        raise ValueError(f"power must be > 0, got {power!r}")
    n_train = len(train_labels)
    if indices.size and (indices.min() < 0 or indices.max() >= n_train):
        raise ValueError(
            f"indices must be rows of the train set, 0 .. {n_train - 1}, got values "
            f"{indices.min()} .. {indices.max()}")
    voters = train_labels[indices]  # only the neighbours' labels are read: check those
    if voters.size and (voters.min() < 0 or voters.max() >= n_classes):
        raise ValueError(
            f"train_labels must be in 0 .. {n_classes - 1}, got values "
            f"{voters.min()} .. {voters.max()} among the neighbours")
    n_q = indices.shape[0]
    labels = np.empty(n_q, np.int32)
    confidences = np.empty(n_q, np.float32)
    if n_q:
        args = (np.ascontiguousarray(indices, dtype=np.int32),
                np.ascontiguousarray(similarities, dtype=np.float32),
                np.ascontiguousarray(train_labels, dtype=np.int32),
                np.float32(power), np.empty(int(n_classes), np.float32), labels, confidences)
        if not ready(vote, *args):
            from livedigits.kernels.reference import knn_vote_numpy

            return knn_vote_numpy(*args[:4], int(n_classes))
        vote(*args)
    return labels, confidences


def warmup() -> None:
    """Run every kernel once on tiny inputs (compiling them or loading them from
    Numba's cache), which also starts Numba's thread pool."""
    rng = np.random.default_rng(0)
    train = rng.standard_normal((70, 8)).astype(np.float32)
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    for n_q in (1, 2 * FEW_QUERIES):
        for parallel in (False, True):
            indices, sims = knn_search(train[:n_q], train, 3, parallel=parallel)
    knn_vote(indices, sims, np.arange(70, dtype=np.int32) % 10, 10)
