"""Each kernel against its plain-numpy twin in ``livedigits.kernels.reference`` (which also stands
in for a kernel not compiled yet), on random inputs and on digits.png's cells."""

import cv2
import numpy as np
import pytest

from livedigits.kernels.deskew import deskew_cells
from livedigits.kernels.hog import hog
from livedigits.kernels.knn import knn_search, knn_vote
from livedigits.kernels.reference import (
    deskew_numpy,
    hog_numpy,
    knn_numpy,
    knn_vote_numpy,
    merge_strokes_python,
    thin_numpy,
)
from livedigits.kernels.strokes import merge_strokes
from livedigits.kernels.thinning import thin
from livedigits.paths import digits_png
from livedigits.training.cells import load_sheet


@pytest.fixture(scope="module")
def sheet_cells() -> np.ndarray:
    """Every 17th cell of digits.png: (295, 20, 20) uint8, all ten digits."""
    cells, _, _ = load_sheet(digits_png())
    return np.ascontiguousarray(cells[::17])


def odd_cells(rng: np.random.Generator, n: int) -> np.ndarray:
    """(3n + 5, 20, 20) uint8: noise, sparse two-level cells, thresholded blobs, and
    the edge cases (blank, one pixel, one row, one column, two far corners)."""
    noise = rng.integers(0, 256, (n, 20, 20), dtype=np.uint8)
    sparse = (rng.random((n, 20, 20)) < 0.15).astype(np.uint8) * 255
    blur = np.stack([cv2.GaussianBlur(c, (0, 0), 2.0) for c in noise])
    blobs = np.where(blur > np.median(blur), blur, 0).astype(np.uint8)
    edge = np.zeros((5, 20, 20), np.uint8)
    edge[1, 7, 12] = 200
    edge[2, 4, 2:18] = 255
    edge[3, 3:17, 9] = 255
    edge[4, 0, 0] = edge[4, 19, 19] = 255
    return np.concatenate([noise, sparse, blobs, edge])


def test_hog_reference_is_the_kernels_features(sheet_cells):
    rng = np.random.default_rng(11)
    cells = np.concatenate([sheet_cells, odd_cells(rng, 40)])
    ours = hog_numpy(cells, chunk=64)  # several chunks
    assert ours.dtype == np.float32 and ours.shape == (len(cells), 512)
    for parallel in (False, True):
        # float32 and the kernel's polynomial arctangent: ~3e-6 measured.
        np.testing.assert_allclose(ours, hog(cells, parallel=parallel), rtol=0, atol=1e-5)


def test_deskew_reference_is_the_kernels_shear(sheet_cells):
    rng = np.random.default_rng(12)
    cells = np.concatenate([sheet_cells, odd_cells(rng, 60)])
    kernel = np.empty_like(cells)
    deskew_cells(cells, kernel)
    ours = deskew_numpy(cells)
    assert ours.dtype == np.uint8 and ours.shape == cells.shape
    # Both round v + 0.5 down from float64 samples: the same grey level everywhere.
    np.testing.assert_array_equal(ours, kernel)
    assert not np.array_equal(ours, cells)  # the shear did move pixels


def test_thinning_reference_is_the_kernels_centre_lines(sheet_cells):
    rng = np.random.default_rng(13)
    # digits.png's cells at 4x, as the pen redraw thins them, with a blank margin.
    big = np.stack([cv2.resize(c, (80, 80), interpolation=cv2.INTER_CUBIC)
                    for c in sheet_cells[::8]]) > 127
    big = np.pad(big, ((0, 0), (1, 1), (1, 1)))
    # Random blobs touching the border (whose pixels are never removed), odd shapes.
    noise = rng.random((12, 37, 51)).astype(np.float32)
    blobs = np.stack([cv2.GaussianBlur(m, (0, 0), 3.0) for m in noise]) > 0.5
    sparse = rng.random((12, 37, 51)) < 0.45
    for masks in (big, blobs, sparse, blobs[0]):
        ours = thin_numpy(masks)
        kernel = thin(masks)
        assert ours.dtype == np.uint8 and ours.shape == masks.shape
        np.testing.assert_array_equal(ours, kernel)
    assert thin_numpy(big).sum() < 0.5 * big.sum()  # lines, not the masks


def _page_boxes(cells: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, 4) int64 boxes ``x0, y0, x1, y1`` of the ink components of digits.png's cells
    put close together (neighbours 14-24 px apart) on three lines of a page."""
    page = np.zeros((3 * 24, 20 * len(cells) // 3 + 60), np.uint8)
    x = np.zeros(3, np.int64)
    for i, cell in enumerate(cells):
        line = i % 3
        top = 24 * line + int(rng.integers(0, 5))
        left = int(x[line])
        page[top:top + 20, left:left + 20] = np.maximum(page[top:top + 20, left:left + 20], cell)
        x[line] += int(rng.integers(14, 25))
    count, _, stats, _ = cv2.connectedComponentsWithStats((page > 100).astype(np.uint8), 8)
    stats = stats[1:].astype(np.int64)
    return np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2],
                            stats[:, 1] + stats[:, 3]])


def _random_boxes(rng: np.random.Generator, n: int, typical: float) -> np.ndarray:
    """(n, 4) int64 boxes: digit-sized ones, short strokes and bars, a few huge ones."""
    x0 = rng.integers(0, int(12 * typical), n)
    y0 = rng.integers(0, int(2 * typical), n)
    w = rng.integers(1, int(1.2 * typical), n)
    h = np.where(rng.random(n) < 0.5, rng.integers(1, int(0.6 * typical), n),
                 rng.integers(int(0.6 * typical), int(1.6 * typical), n))
    big = rng.random(n) < 0.05
    w[big] *= 8
    h[big] *= 6
    return np.column_stack([x0, y0, x0 + w, y0 + h]).astype(np.int64)


def _broken_digits(rng: np.random.Generator, n: int, typical: float) -> np.ndarray:
    """(3n, 4) int64 boxes: n digits a row, each cut in two pieces across or along
    (gaps and overlaps up to 0.3 typical), and a short bar near each one's top."""
    rows = []
    for i in range(n):
        height = rng.uniform(0.6, 1.4) * typical
        width = rng.uniform(0.3, 1.1) * height
        x0, y0 = 1.6 * typical * i + rng.uniform(0, 5), rng.uniform(0, 5)
        cut, gap = rng.uniform(0.2, 0.8), rng.uniform(-0.1, 0.3) * typical
        if rng.random() < 0.5:  # one piece above the other
            y_cut = y0 + cut * height
            rows += [(x0, y0, x0 + width, y_cut), (x0, y_cut + gap, x0 + width, y0 + height)]
        else:  # side by side
            x_cut = x0 + cut * width
            rows += [(x0, y0, x_cut, y0 + height), (x_cut + gap, y0, x0 + width, y0 + height)]
        bar = rng.uniform(0.1, 0.7) * typical
        bar_x = x0 + rng.uniform(-0.3, 0.8) * width
        bar_y = y0 - rng.uniform(0, 0.3) * typical - 0.1 * typical
        rows.append((bar_x, bar_y, bar_x + bar, bar_y + rng.uniform(0.05, 0.6) * typical))
    boxes = np.round(np.array(rows)).astype(np.int64) + int(typical)
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
    return boxes


def test_stroke_merging_reference_is_the_kernels_groups(sheet_cells):
    rng = np.random.default_rng(14)
    cases = [(_page_boxes(sheet_cells[:120], rng), 15.0)]
    cases += [(_random_boxes(rng, 60, typical), typical) for typical in (8.0, 25.0, 40.0) * 4]
    cases += [(_broken_digits(rng, 30, typical), typical) for typical in (12.0, 30.0, 50.0) * 4]
    cases.append((np.zeros((0, 4), np.int64), 20.0))
    merged = kept_apart = 0
    for boxes, typical in cases:
        size = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        huge = size > 4 * typical
        reach = max(2.0, 0.2 * typical)
        # Some short components are whole small digits, which nothing attaches.
        whole = ((boxes[:, 3] - boxes[:, 1]) < 0.5 * typical) & (rng.random(len(boxes)) < 0.5)
        roots = []
        for flags in (None, whole):
            root, rows = merge_strokes_python(boxes, huge, typical, reach, flags)
            roots.append(root)
            box = boxes.copy()
            order = np.argsort(box[:, 0], kind="stable").astype(np.int64)
            parent = np.empty(len(box), np.int64)
            kernel_flags = np.zeros(len(box), bool) if flags is None else flags.copy()
            merge_strokes(box, huge, kernel_flags, order, typical, reach, parent)
            np.testing.assert_array_equal(root, parent)
            np.testing.assert_array_equal(rows, box)
            merged += int((root != np.arange(len(root))).sum())
        kept_apart += int((roots[0] != roots[1]).sum())
    assert merged > 50  # the cases do exercise the joining rules
    assert kept_apart > 5  # and whole small digits are kept from some joins


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
