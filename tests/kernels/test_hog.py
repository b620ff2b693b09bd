"""kernels.hog: the features against a plain-numpy reference of the same math."""

from __future__ import annotations

import cv2
import numba
import numpy as np
import pytest

from livedigits.kernels.hog import CELL_SIDE, N_BINS, N_FEATURES, hog

# Under NUMBA_DISABLE_JIT=1 the kernels run as plain Python: a few cells only then.
heavy = pytest.mark.skipif(bool(numba.config.DISABLE_JIT), reason="too slow without the JIT")

PIXELS_PER_CELL = 4
BLOCK = 2
TOLERANCE = 1e-4  # the contract; float32 and a polynomial arctangent measure ~3e-6


def hog_reference(cells: np.ndarray) -> np.ndarray:
    """(N, 20, 20) -> (N, 512) in float64, by the definition.

    Centred gradients with edge pixels repeated; signed orientation in [0, 2 pi),
    each pixel's magnitude split linearly between the two nearest of 8 bins
    (bin b centred on (b + 1/2) 2 pi / 8) and bilinearly between the four
    nearest 4x4-pixel histogram cells (shares outside the 5x5 grid dropped);
    per 2x2-cell block, the 32 values divided by their sum + 1e-6, square-rooted.
    """
    n = len(cells)
    x = np.pad(cells.astype(np.float64), ((0, 0), (1, 1), (1, 1)), mode="edge")
    gx = x[:, 1:-1, 2:] - x[:, 1:-1, :-2]
    gy = x[:, 2:, 1:-1] - x[:, :-2, 1:-1]
    magnitude = np.hypot(gx, gy)
    position = np.mod(np.arctan2(gy, gx), 2 * np.pi) / (2 * np.pi / N_BINS) - 0.5
    lower = np.floor(position)
    upper_share = position - lower
    lower = lower.astype(np.int64) % N_BINS
    upper = (lower + 1) % N_BINS
    votes = np.stack([magnitude * ((lower == b) * (1 - upper_share) + (upper == b) * upper_share)
                      for b in range(N_BINS)], axis=1)  # (N, bins, 20, 20)

    n_cells = CELL_SIDE // PIXELS_PER_CELL
    centre = (np.arange(CELL_SIDE) + 0.5) / PIXELS_PER_CELL - 0.5  # in histogram cells
    pool = np.maximum(0, 1 - np.abs(centre[None, :] - np.arange(n_cells)[:, None]))  # (5, 20)
    hist = np.einsum("jr,nbrc,ic->njib", pool, votes, pool)  # (N, 5, 5, bins)

    blocks = []
    for row in range(n_cells - BLOCK + 1):
        for col in range(n_cells - BLOCK + 1):
            block = hist[:, row:row + BLOCK, col:col + BLOCK].reshape(n, -1)
            blocks.append(np.sqrt(block / (block.sum(axis=1, keepdims=True) + 1e-6)))
    return np.concatenate(blocks, axis=1)


def random_cells(seed: int, n: int) -> np.ndarray:
    """Noise, and sparse two-level cells full of ties: zero, axis-aligned, diagonal gradients."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (n, CELL_SIDE, CELL_SIDE), dtype=np.uint8)
    sparse = (rng.random((n, CELL_SIDE, CELL_SIDE)) < 0.2).astype(np.uint8) * 255
    return np.concatenate([noise, sparse])


def drawn_cells(seed: int, n: int) -> np.ndarray:
    """Anti-aliased and hard-edged strokes, arcs and rings, some running off the cell."""
    rng = np.random.default_rng(seed)
    cells = np.zeros((n, CELL_SIDE, CELL_SIDE), np.uint8)
    for cell in cells:
        for _ in range(rng.integers(1, 4)):
            kind = rng.integers(0, 3)
            thickness = int(rng.integers(1, 4))
            colour = int(rng.integers(60, 256))
            line_type = cv2.LINE_AA if rng.random() < 0.5 else cv2.LINE_8
            if kind == 0:
                p, q = rng.integers(-4, CELL_SIDE + 4, (2, 2))
                cv2.line(cell, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), colour,
                         thickness, line_type)
            elif kind == 1:
                centre = tuple(int(v) for v in rng.integers(0, CELL_SIDE, 2))
                cv2.circle(cell, centre, int(rng.integers(2, 12)), colour, thickness, line_type)
            else:
                centre = tuple(int(v) for v in rng.integers(4, CELL_SIDE - 4, 2))
                axes = tuple(int(v) for v in rng.integers(2, 9, 2))
                start = int(rng.integers(0, 360))
                cv2.ellipse(cell, centre, axes, int(rng.integers(0, 180)), start,
                            start + int(rng.integers(60, 300)), colour, thickness, line_type)
    return cells


@heavy
@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("n_each", [1, 63, 150, 300])  # 2, 126, 300, 600 cells: 64 per pass
def test_random_cells_match_reference(n_each, parallel):
    cells = random_cells(n_each, n_each)
    got = hog(cells, parallel=parallel)
    assert got.dtype == np.float32 and got.shape == (2 * n_each, N_FEATURES)
    np.testing.assert_allclose(got, hog_reference(cells), rtol=0, atol=TOLERANCE)


@heavy
@pytest.mark.parametrize("parallel", [False, True])
def test_drawn_cells_match_reference(parallel):
    cells = drawn_cells(7, 200)
    np.testing.assert_allclose(hog(cells, parallel=parallel), hog_reference(cells),
                               rtol=0, atol=TOLERANCE)


@heavy
def test_serial_and_parallel_agree_and_a_cell_ignores_its_batch():
    cells = np.concatenate([drawn_cells(3, 140), random_cells(3, 70)])
    serial = hog(cells, parallel=False)
    np.testing.assert_array_equal(hog(cells, parallel=True), serial)
    for i in (0, 63, 64, 209):
        np.testing.assert_array_equal(hog(cells[i:i + 1])[0], serial[i])


def test_blank_cell_gives_zeros():
    cells = np.zeros((3, CELL_SIDE, CELL_SIDE), np.uint8)
    cells[1] = 200  # flat: no gradient either
    cells[2, 4:16, 9:12] = 255
    got = hog(cells)
    assert not got[:2].any()
    assert got[2].any()


@heavy
def test_only_flat_cells_give_zeros():
    cells = drawn_cells(11, 100)
    cells[::7] = 0
    cells[3::7] = 90
    flat = cells.min(axis=(1, 2)) == cells.max(axis=(1, 2))
    got = hog(cells, parallel=True)
    assert flat.sum() >= 28
    assert not got[flat].any()
    assert got[~flat].any(axis=1).all()


@pytest.mark.parametrize(
    ("dark", "bins"),
    [
        ((slice(None), slice(0, 10)), (7, 0)),  # bright right half: gradient along +x, 0 rad
        ((slice(0, 10), slice(None)), (1, 2)),  # bright bottom half: along +y (down), pi / 2
        ((slice(None), slice(10, None)), (3, 4)),  # bright left half: pi
    ],
)
def test_a_straight_edge_votes_evenly_into_the_two_bins_around_its_angle(dark, bins):
    cell = np.full((1, CELL_SIDE, CELL_SIDE), 255, np.uint8)
    cell[0][dark] = 0
    got = hog(cell).reshape(16, 4, N_BINS)
    others = [b for b in range(N_BINS) if b not in bins]
    assert not got[:, :, others].any()
    np.testing.assert_array_equal(got[:, :, bins[0]], got[:, :, bins[1]])
    assert got[:, :, bins[0]].any()


def test_one_cell_gives_512_features():
    cell = np.zeros((1, CELL_SIDE, CELL_SIDE), np.uint8)
    cv2.circle(cell[0], (10, 10), 6, 255, 2)
    got = hog(cell)
    assert N_FEATURES == 512
    assert got.shape == (1, 512) and got.dtype == np.float32


def test_empty_batch():
    got = hog(np.zeros((0, CELL_SIDE, CELL_SIDE), np.uint8))
    assert got.shape == (0, N_FEATURES) and got.dtype == np.float32


@heavy
def test_values_are_finite_in_unit_interval_and_blocks_have_unit_l1():
    got = hog(np.concatenate([random_cells(5, 50), drawn_cells(5, 100)]))
    assert np.isfinite(got).all()
    assert got.min() >= 0 and got.max() <= 1
    squares = (got.astype(np.float64) ** 2).reshape(len(got), 16, 4 * N_BINS).sum(axis=2)
    assert (squares <= 1 + 1e-5).all()
    assert (squares[squares > 0] > 1 - 1e-3).all()  # the 1e-6 in the divisor only


@heavy
def test_non_contiguous_and_other_integer_input():
    cells = drawn_cells(9, 40)
    want = hog(cells)
    np.testing.assert_array_equal(hog(np.ascontiguousarray(cells[:, ::-1])[:, ::-1]), want)
    np.testing.assert_array_equal(hog(cells.astype(np.int64)), want)


@pytest.mark.parametrize(
    "shape",
    [(CELL_SIDE, CELL_SIDE), (2, CELL_SIDE, CELL_SIDE + 4), (2, CELL_SIDE + 4, CELL_SIDE),
     (2, 16, 16), (2, 28, 28), (1, 2, CELL_SIDE, CELL_SIDE), (2, CELL_SIDE * CELL_SIDE)],
)
def test_wrong_shape_raises(shape):
    with pytest.raises(ValueError, match=r"\(N, 20, 20\)"):
        hog(np.zeros(shape, np.uint8))
