import cv2
import numpy as np

from livedigits.paths import digits_png
from livedigits.training.cells import augment, deskew, load_sheet


def test_sheet_layout_matches_opencv_sample():
    cells, labels, holdout = load_sheet(digits_png())
    assert cells.shape == (5000, 20, 20) and cells.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    assert holdout.sum() == 500
    assert np.bincount(labels[holdout]).tolist() == [50] * 10
    # White digit on black: borders dark, some bright ink in every cell.
    assert cells[:, 0, :].mean() < 5 and (cells.max(axis=(1, 2)) > 120).all()
    sheet = cv2.imread(str(digits_png()), cv2.IMREAD_UNCHANGED)
    assert sheet.shape == (1000, 2000) and sheet.dtype == np.uint8


def test_deskew_straightens_a_slanted_stroke():
    cell = np.zeros((1, 20, 20), np.uint8)
    for r in range(3, 17):
        c = 6 + (r - 3) * 8 // 14
        cell[0, r, c:c + 2] = 255
    straight = deskew(cell)[0].astype(np.float64)
    ys, xs = np.nonzero(straight > 100)
    # After deskew the stroke's column no longer drifts with the row.
    slope = np.polyfit(ys, xs, 1)[0]
    assert abs(slope) < 0.1, slope
    ys0, xs0 = np.nonzero(cell[0] > 100)
    assert abs(np.polyfit(ys0, xs0, 1)[0]) > 0.4


def test_deskew_keeps_blank_and_upright_cells():
    blank = np.zeros((2, 20, 20), np.uint8)
    assert not deskew(blank).any()
    upright = np.zeros((1, 20, 20), np.uint8)
    upright[0, 3:17, 9:11] = 255
    assert np.array_equal(deskew(upright), upright)


def test_augment_is_seeded_and_keeps_ink(heldout):
    cells = heldout[0][:40]
    a = augment(cells, 2, np.random.default_rng(0))
    b = augment(cells, 2, np.random.default_rng(0))
    assert a.shape == (80, 20, 20) and np.array_equal(a, b)
    ink_ratio = a.reshape(2, 40, -1).sum(axis=2) / cells.reshape(40, -1).sum(axis=1)
    assert 0.4 < float(np.median(ink_ratio)) < 2.0


def test_augment_when_no_copy_is_redrawn_with_a_pen():
    """Regression: a single profile cell whose copy drew no pen redraw crashed
    (``np.stack`` of nothing) when a profile's model was built."""
    from livedigits.synthetic.synth import heldout_cells

    cells, _ = heldout_cells()
    for seed in range(5):
        out = augment(cells[:1], 1, np.random.default_rng(seed))
        assert out.shape == (1, 20, 20) and out.dtype == np.uint8 and out.any()


def test_a_smeared_copy_is_drawn_out_along_the_motion_and_normalised_again(heldout):
    """A smear across the digit (horizontal) makes the cut digit wider for its height;
    the smeared cell is cut and scaled as the segmenter's cells are (longer side 14 px)."""
    from livedigits.training.cells import _smear, smear_some

    cells, labels = heldout
    ones = cells[labels == 1][:20]
    n = len(ones)
    flat = _smear(ones, np.full(n, 18.0), np.full(n, 5.0), np.zeros(n))

    def aspect(cell):
        x, y, w, h = cv2.boundingRect((cell > 64).astype(np.uint8))
        return w / h, max(w, h)

    before = np.array([aspect(c) for c in ones])
    after = np.array([aspect(c) for c in flat])
    assert np.median(after[:, 0]) > np.median(before[:, 0]) + 0.08
    assert (np.abs(after[:, 1] - 14) <= 2).all()
    untouched = ones.copy()
    assert np.array_equal(smear_some(untouched, np.random.default_rng(0), 0.0), ones)
    some = smear_some(ones.copy(), np.random.default_rng(0), 0.5)
    changed = (some != ones).any(axis=(1, 2)).mean()
    assert 0.2 <= changed <= 0.8
