"""kernels.knn and kernels.knn_scan: search and vote against plain-numpy references."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from livedigits.kernels import knn, knn_scan
from livedigits.kernels.knn import knn_search, knn_vote

# Under NUMBA_DISABLE_JIT=1 the kernels run as plain Python: only small cases then.
heavy = pytest.mark.skipif(bool(numba.config.DISABLE_JIT), reason="too slow without the JIT")


def unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def reference_search(queries: np.ndarray, train: np.ndarray, k: int):
    """Brute force in float64: most similar first, ties to the lower train index."""
    sims = queries.astype(np.float64) @ train.astype(np.float64).T
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(sims, order, axis=1)


def reference_vote(indices, sims, train_labels, n_classes, power=4.0):
    """Per query: votes max(s, 0) ** power; ties to the class met first in neighbour order."""
    labels, confidences = [], []
    for row_i, row_s in zip(indices, sims, strict=True):
        votes = np.zeros(n_classes)
        for i, s in zip(row_i, row_s, strict=True):
            votes[train_labels[i]] += max(float(s), 0.0) ** power
        best = votes.max()
        labels.append(next(train_labels[i] for i in row_i if votes[train_labels[i]] == best))
        confidences.append(best / votes.sum() if votes.sum() > 0 else 0.0)
    return np.array(labels), np.array(confidences)


# (Q, M, D, k). Q and M mostly not multiples of 4; the kernel for small batches
# (``_scan_rows``) runs below 12 queries, or 24 when D > 128, the other above; it
# goes through the train set in tiles of 1024 rows at D = 64 (128 at D = 512).
SMALL_SHAPES = [
    (1, 1, 1, 1),
    (5, 9, 1, 9),  # D = 1: every similarity is +1 or -1, the order is all ties
    (3, 10, 64, 1),
    (6, 11, 64, 11),
    (2, 7, 5, 3),
    (4, 6, 512, 2),
]
SHAPES = SMALL_SHAPES + [
    pytest.param(*shape, marks=heavy)
    for shape in [
        (7, 103, 64, 103),  # k = M
        (9, 50, 512, 5),
        (33, 257, 64, 5),  # queries in SIMD lanes, Q not a multiple of 16
        (20, 130, 512, 9),  # D > 128 keeps the small-batch kernel up to 23 queries
        (7, 2503, 64, 5),  # small batch, three tiles of train rows, the last partial
        (5, 1030, 512, 8),  # small batch, nine tiles at D = 512
        (13, 3001, 64, 5),  # queries in SIMD lanes, one block of 16
        (70, 1001, 64, 7),
        (300, 299, 64, 3),  # two blocks of queries
        (150, 97, 512, 97),  # two blocks at D = 512, k = M
        (130, 2050, 33, 4),  # D not a multiple of 4
        (40, 66, 2, 66),  # D = 2, k = M
    ]
]


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize(("n_q", "n_train", "dim", "k"), SHAPES)
def test_search_matches_reference(n_q, n_train, dim, k, parallel):
    rng = np.random.default_rng(n_q * 7919 + n_train * 31 + dim)
    queries, train = unit_rows(rng, n_q, dim), unit_rows(rng, n_train, dim)
    indices, sims = knn_search(queries, train, k, parallel=parallel)
    want_indices, want_sims = reference_search(queries, train, k)
    assert indices.dtype == np.int32 and indices.shape == (n_q, k)
    assert sims.dtype == np.float32 and sims.shape == (n_q, k)
    np.testing.assert_array_equal(indices, want_indices)
    np.testing.assert_allclose(sims, want_sims, rtol=0, atol=1e-5)


@pytest.mark.parametrize("n_lanes", [0, 16])
@pytest.mark.parametrize("n_chunks", [1, 2, 3, 7])
def test_parallel_kernel_agrees_with_serial(n_lanes, n_chunks):
    """The threaded kernel, called directly so it splits the train set even on one thread."""
    rng = np.random.default_rng(n_chunks)
    queries, train = unit_rows(rng, 37, 24), unit_rows(rng, 203, 24)
    k = 6
    serial_s, serial_i = np.empty((37, k), np.float32), np.empty((37, k), np.int32)
    knn_scan.search_serial(queries, train, k, n_lanes, serial_s, serial_i)
    par_s, par_i = np.empty_like(serial_s), np.empty_like(serial_i)
    knn_scan.search_parallel(queries, train, k, n_lanes, n_chunks, par_s, par_i)
    np.testing.assert_array_equal(par_i, serial_i)
    np.testing.assert_array_equal(par_s, serial_s)
    np.testing.assert_array_equal(serial_i, reference_search(queries, train, k)[0])


@pytest.mark.parametrize("n_q", [1, 3, 40, 200])
def test_training_row_is_its_own_nearest_neighbour(n_q):
    rng = np.random.default_rng(5)
    train = unit_rows(rng, 301, 64)
    rows = rng.choice(len(train), n_q, replace=False)
    indices, sims = knn_search(train[rows], train, 1)
    np.testing.assert_array_equal(indices[:, 0], rows)
    np.testing.assert_allclose(sims[:, 0], 1, atol=1e-5)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("n_q", [5, 50])
def test_ties_go_to_the_lower_index(n_q, parallel):
    """Each train row three times (some copies in the last, partial block of 4)."""
    rng = np.random.default_rng(8)
    base = unit_rows(rng, 11, 64)
    train = np.repeat(base, 3, axis=0)
    rows = np.arange(n_q) % len(base)
    indices, sims = knn_search(base[rows], train, 4, parallel=parallel)
    np.testing.assert_array_equal(indices[:, :3], 3 * rows[:, None] + np.arange(3))
    assert (sims[:, 0] == sims[:, 1]).all() and (sims[:, 1] == sims[:, 2]).all()
    assert (sims[:, 3] < sims[:, 2]).all()


@pytest.mark.parametrize("n_q", [1, 6])
def test_ties_across_tiles_go_to_the_lower_index(n_q):
    """Equal rows on both sides of a tile boundary of the small-batch kernel (1024 rows
    at D = 64) and in its last, partial block."""
    rng = np.random.default_rng(9)
    train = unit_rows(rng, 2051, 64)
    copies = [1022, 1023, 1024, 1025, 2049, 2050]
    train[copies] = train[5]
    queries = np.repeat(train[5:6], n_q, axis=0)
    indices, sims = knn_search(queries, train, 7, parallel=False)
    np.testing.assert_array_equal(indices, np.tile([5, *copies], (n_q, 1)))
    assert (sims == sims[:, :1]).all()


@pytest.mark.parametrize("n_chunks", [2, 4, 9])
def test_ties_across_chunks_go_to_the_lower_index(n_chunks):
    train = np.zeros((29, 3), np.float32)
    train[:, 0] = 1  # all rows equal: the top-k must be rows 0 .. k-1
    top_s, top_i = np.empty((2, 10), np.float32), np.empty((2, 10), np.int32)
    knn_scan.search_parallel(train[:2], train, 10, 0, n_chunks, top_s, top_i)
    np.testing.assert_array_equal(top_i, np.tile(np.arange(10), (2, 1)))


@heavy
def test_results_are_sorted_and_distinct():
    rng = np.random.default_rng(11)
    queries, train = unit_rows(rng, 64, 16), unit_rows(rng, 500, 16)
    indices, sims = knn_search(queries, train, 50)
    assert (np.diff(sims, axis=1) <= 0).all()
    assert all(len(set(row)) == 50 for row in indices.tolist())


def test_inputs_are_converted():
    rng = np.random.default_rng(12)
    queries, train = unit_rows(rng, 9, 10), unit_rows(rng, 40, 10)
    want = knn_search(queries, train, 3)
    read_only = train.copy()
    read_only.flags.writeable = False
    for q, t in [
        (queries, read_only),
        (queries.astype(np.float64), train.astype(np.float64)),
        (np.asfortranarray(queries), train[::-1][::-1]),
        (queries.tolist(), np.repeat(train, 2, axis=1)[:, ::2]),
    ]:
        got = knn_search(q, t, np.int64(3))
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_allclose(got[1], want[1], atol=1e-6)


def test_empty_batch():
    indices, sims = knn_search(np.empty((0, 4), np.float32), np.eye(4, dtype=np.float32), 2)
    assert indices.shape == sims.shape == (0, 2)


@pytest.mark.parametrize(
    ("queries", "train", "k", "message"),
    [
        (np.ones(4), np.eye(4), 1, "queries must be a 2-D array"),
        (np.ones((1, 4)), np.ones((2, 2, 4)), 1, "train must be a 2-D array"),
        (np.ones((1, 3)), np.eye(4), 1, "same number of columns D, got 3 and 4"),
        (np.ones((1, 0)), np.ones((3, 0)), 1, "at least one column"),
        (np.ones((1, 4)), np.eye(4), 0, "k must be between 1 and the number of train rows 4"),
        (np.ones((1, 4)), np.eye(4), 5, "got 5"),
        (np.ones((1, 4)), np.ones((0, 4)), 1, "number of train rows 0"),
        (np.ones((1, 4)), np.eye(4), 2.0, "k must be an integer"),
        (np.ones((1, 4)), np.eye(4), True, "k must be an integer"),
        (np.ones((1, 4)), np.eye(4, dtype=complex), 1, "train must hold real numbers"),
        (np.array([["a", "b"]]), np.eye(2), 1, "queries must hold real numbers"),
    ],
)
def test_search_rejects_bad_input(queries, train, k, message):
    with pytest.raises(ValueError, match=message):
        knn_search(queries, train, k)


def vote1(sims, classes, **kwargs):
    """Vote of one query whose neighbours are train rows 0, 1, ... with ``classes``."""
    n = len(sims)
    labels, conf = knn_vote(np.arange(n)[None], np.array([sims], np.float32),
                            np.array(classes), 10, **kwargs)
    assert labels.dtype == np.int32 and conf.dtype == np.float32
    return int(labels[0]), float(conf[0])


def test_vote_weights_are_similarity_to_the_fourth():
    # 0.9 ** 4 = 0.6561 beats 0.8 ** 4 + 0.7 ** 4 = 0.6497.
    label, conf = vote1([0.9, 0.8, 0.7], [1, 2, 2])
    assert label == 1
    assert conf == pytest.approx(0.6561 / (0.6561 + 0.6497), abs=1e-6)
    label, conf = vote1([0.9, 0.85, 0.8], [1, 2, 2])
    assert label == 2


def test_vote_power_is_a_parameter():
    label, conf = vote1([0.9, 0.8, 0.7], [1, 2, 2], power=1.0)
    assert label == 2 and conf == pytest.approx(1.5 / 2.4, abs=1e-6)


def test_vote_tie_goes_to_the_nearest_class():
    assert vote1([0.5, 0.5], [7, 4])[0] == 7
    assert vote1([0.5, 0.5], [4, 7])[0] == 4
    # Classes 1 and 2 tie (2 x 0.8 ** 4 each) above class 0; class 1's neighbour comes first.
    label, conf = vote1([0.9, 0.8, 0.8, 0.8, 0.8], [0, 1, 2, 2, 1])
    assert label == 1 and conf == pytest.approx(0.8192 / (0.6561 + 2 * 0.8192), abs=1e-6)


def test_vote_ignores_negative_similarities():
    assert vote1([0.5, -0.9, -0.95], [3, 5, 5]) == (3, 1.0)


def test_vote_with_all_weights_zero():
    assert vote1([0.0, -0.2, -0.3], [6, 2, 2]) == (6, 0.0)


def test_vote_matches_reference():
    rng = np.random.default_rng(13)
    train_labels = rng.integers(0, 10, 300).astype(np.int32)
    train_labels.flags.writeable = False
    indices = np.stack([rng.choice(300, 7, replace=False) for _ in range(200)])
    sims = -np.sort(-rng.uniform(-0.3, 1, (200, 7)), axis=1).astype(np.float32)
    labels, conf = knn_vote(indices, sims, train_labels, 10)
    want_labels, want_conf = reference_vote(indices, sims, train_labels, 10)
    np.testing.assert_array_equal(labels, want_labels)
    np.testing.assert_allclose(conf, want_conf, atol=1e-5)
    assert ((conf >= 0) & (conf <= 1)).all()


def test_vote_of_an_empty_batch():
    labels, conf = knn_vote(np.empty((0, 3), np.int32), np.empty((0, 3), np.float32),
                            np.zeros(5, np.int32), 10)
    assert labels.shape == conf.shape == (0,)


@pytest.mark.parametrize(
    ("indices", "sims", "train_labels", "n_classes", "power", "message"),
    [
        (np.zeros(3, int), np.zeros(3), np.zeros(5, int), 10, 4.0, "indices must be a 2-D"),
        (np.zeros((1, 3)), np.zeros((1, 3)), np.zeros(5, int), 10, 4.0, "integer array"),
        (np.zeros((1, 3), int), np.zeros((1, 2)), np.zeros(5, int), 10, 4.0, "shaped like"),
        (np.zeros((1, 0), int), np.zeros((1, 0)), np.zeros(5, int), 10, 4.0, "k >= 1"),
        (np.zeros((1, 3), int), np.zeros((1, 3)), np.zeros((5, 1), int), 10, 4.0,
         "train_labels must be a 1-D integer"),
        (np.zeros((1, 3), int), np.zeros((1, 3)), np.zeros(5), 10, 4.0, "train_labels must"),
        (np.full((1, 3), 5), np.zeros((1, 3)), np.zeros(5, int), 10, 4.0, r"0 \.\. 4"),
        (np.full((1, 3), -1), np.zeros((1, 3)), np.zeros(5, int), 10, 4.0, "rows of the train"),
        (np.zeros((1, 3), int), np.zeros((1, 3)), np.full(5, 10), 10, 4.0, r"in 0 \.\. 9"),
        (np.zeros((1, 3), int), np.zeros((1, 3)), np.full(5, -1), 10, 4.0, "train_labels"),
        (np.zeros((1, 3), int), np.zeros((1, 3)), np.zeros(5, int), 0, 4.0, "n_classes"),
        (np.zeros((1, 3), int), np.zeros((1, 3)), np.zeros(5, int), 10, 0.0, "power must be"),
        (np.zeros((1, 3), int), np.zeros((1, 3)), np.zeros(5, int), 10, np.nan, "power must"),
    ],
)
def test_vote_rejects_bad_input(indices, sims, train_labels, n_classes, power, message):
    with pytest.raises(ValueError, match=message):
        knn_vote(indices, sims, train_labels, n_classes, power=power)


def test_warmup_runs():
    knn.warmup()
