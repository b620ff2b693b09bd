"""The reference code that stands in for a kernel not compiled yet gives its results."""

import numpy as np

from livedigits.cells import load_sheet
from livedigits.kernels.hog import hog
from livedigits.kernels.knn import knn_search, knn_vote
from livedigits.paths import digits_png
from livedigits.reference import hog_numpy, knn_numpy, knn_vote_numpy


def test_hog_reference_is_the_kernels_features():
    cells, _, _ = load_sheet(digits_png())
    picked = np.ascontiguousarray(cells[::17])
    blank = np.zeros((1, 20, 20), np.uint8)
    ours = hog_numpy(np.concatenate([picked, blank]), chunk=64)  # several chunks
    kernel = hog(np.concatenate([picked, blank]), parallel=False)
    assert ours.dtype == np.float32 and ours.shape == kernel.shape
    np.testing.assert_allclose(ours, kernel, atol=1e-5)


def test_knn_references_find_and_vote_as_the_kernels():
    rng = np.random.default_rng(3)
    train = rng.standard_normal((500, 16)).astype(np.float32)
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    queries = rng.standard_normal((40, 16)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    labels = rng.integers(0, 4, 500).astype(np.int32)
    got_i, got_s = knn_numpy(queries, train, 7)
    want_i, want_s = knn_search(queries, train, 7, parallel=False)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_s, want_s, atol=1e-5)
    # Ties between classes go to the nearest neighbour's: equal weights everywhere.
    flat = np.ones_like(want_s)
    for sims in (want_s, flat):
        theirs = knn_vote(want_i, sims, labels, 4)
        ours = knn_vote_numpy(want_i, sims, labels, 4.0, 4)
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_allclose(ours[1], theirs[1], atol=1e-6)
