"""The "in the wild" scene generator: its truth, its conditions, its determinism."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from livedigits.kernels.thinning import thin
from livedigits.synthetic.clutter import CLUTTER
from livedigits.synthetic.wild import random_scene, render_scene, render_video

SMALL = {"width": 640, "height": 480}
CLEAN = {"blur": 0.0, "falloff": 0.0, "jpeg_quality": None, "noise": 0.0}


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)


def _sheet_mask(scene, shrink: int = 0) -> np.ndarray:
    """(H, W) bool: inside the sheet's quadrilateral, eroded by ``shrink`` px."""
    mask = np.zeros(scene.image.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(scene.sheet).astype(np.int32), 1)
    if shrink:
        mask = cv2.erode(mask, np.ones((3, 3), np.uint8), iterations=shrink)
    return mask > 0


def _box_mask(shape, boxes, pad: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for x, y, w, h in boxes:
        mask[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad] = True
    return mask


@pytest.mark.parametrize("kwargs", [
    {"desk": 0.45, "rotation_deg": 4.0, "perspective": 0.05},
    {"desk": 0.2, "rotation_deg": -3.0, "clutter": ("table", "form", "text")},
    {"scan_border": True, "clutter": ("sudoku",)},
])
def test_truth_boxes_lie_inside_the_sheet_and_on_paper(kwargs):
    scene = render_scene(np.random.default_rng(3), **SMALL, digit_height=20, n_digits=40,
                         **kwargs)
    assert len(scene.boxes) >= 20
    assert scene.boxes.dtype == np.int32 and scene.boxes.shape == (len(scene.digits), 4)
    quad = scene.sheet.reshape(-1, 1, 2)
    for x, y, w, h in scene.boxes:
        assert x >= 0 and y >= 0 and x + w <= 640 and y + h <= 480
        for corner in ((x, y), (x + w, y), (x + w, y + h), (x, y + h)):
            assert cv2.pointPolygonTest(quad, (float(corner[0]), float(corner[1])), False) >= 0
    # What surrounds each digit is paper, not desk: bright.
    gray = _gray(scene.image)
    ring = _box_mask(gray.shape, scene.boxes, 3) & ~_box_mask(gray.shape, scene.boxes, 1)
    assert np.median(gray[ring]) > 150


@pytest.mark.parametrize("desk", [0.18, 0.3, 0.48])
def test_desk_covers_the_requested_share(desk):
    scene = render_scene(np.random.default_rng(int(desk * 100)), **SMALL, desk=desk,
                         desk_kind="dark", n_digits=10, rotation_deg=3.0, **CLEAN)
    dark = _gray(scene.image) < 140  # a dark desk, white paper
    assert abs(dark.mean() - desk) <= 0.05, dark.mean()
    assert abs((~_sheet_mask(scene)).mean() - desk) <= 0.05


def _one_digit(stroke: float, digit_height: int, seed: int = 0):
    scene = render_scene(np.random.default_rng(seed), **SMALL, digit_height=digit_height,
                         n_digits=1, stroke=stroke, ink_level=30, blue=False,
                         perspective=0.0, desk=0.2, **CLEAN)
    x, y, w, h = scene.boxes[0]
    crop = _gray(scene.image)[y - 4:y + h + 4, x - 4:x + w + 4]
    paper = float(np.median(crop))
    coverage = np.clip((paper - crop) / (paper - 30.0), 0, 1)
    return coverage


@pytest.mark.parametrize("stroke", [3.0, 5.0, 8.0])
def test_thick_stroke_width_matches_the_pen(stroke):
    widths = []
    for seed in range(3):
        # Measured at 4x (the coverage interpolated) so that whole pixels do not round it.
        coverage = cv2.resize(_one_digit(stroke, 80, seed), None, fx=4, fy=4,
                              interpolation=cv2.INTER_LINEAR)
        ink = np.pad((coverage > 0.5).astype(np.uint8), 1)
        dist = cv2.distanceTransform(ink, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        line = thin(ink) > 0
        # At a stroke's centre the distance to the paper is half its width plus half a px.
        widths.append((2 * float(np.median(dist[line])) - 1) / 4)
    assert abs(np.median(widths) - stroke) <= max(1.0, 0.2 * stroke), widths


@pytest.mark.parametrize("stroke", [0.6, 1.0])
def test_thin_stroke_carries_the_ink_of_its_width(stroke):
    """Sub-pixel pens: ink per px of centre line (area / length) is the pen's width,
    and the stroke is faint (never fully covers a pixel when narrower than one)."""
    widths = []
    for seed in range(3):
        coverage = _one_digit(stroke, 30, seed)
        line = thin(np.pad(coverage > 0.25 * min(1.0, stroke), 1))[1:-1, 1:-1] > 0
        widths.append(coverage.sum() / (line.sum() * 1.08))  # 1.08: diagonal steps
    assert abs(np.median(widths) - stroke) <= 0.3 * stroke, widths
    if stroke < 1:
        assert np.percentile(_one_digit(stroke, 30), 99.5) < 0.9


def test_ink_level_is_the_darkest_gray_on_white_paper():
    scene = render_scene(np.random.default_rng(5), **SMALL, digit_height=40, n_digits=12,
                         stroke=4.0, ink_level=100, blue=False, **CLEAN)
    gray = _gray(scene.image)
    darkest = [gray[y:y + h, x:x + w].min() for x, y, w, h in scene.boxes]
    assert 85 <= np.median(darkest) <= 115


def test_light_polarity_gives_ink_lighter_than_the_surface():
    scene = render_scene(np.random.default_rng(9), **SMALL, digit_height=30, n_digits=30,
                         polarity="light", stroke=3.0, **CLEAN)
    gray = _gray(scene.image)
    inside = _sheet_mask(scene, shrink=5)
    ink = _box_mask(gray.shape, scene.boxes, 0)
    surface = float(np.median(gray[inside & ~_box_mask(gray.shape, scene.boxes, 4)]))
    brightest = [np.percentile(gray[y:y + h, x:x + w], 98) for x, y, w, h in scene.boxes]
    assert 25 <= surface <= 70
    assert np.median(brightest) > surface + 80
    assert np.median(gray[ink]) > surface  # on average a box is lighter than the board


@pytest.mark.parametrize("kind", CLUTTER)
def test_each_clutter_kind_adds_ink_outside_the_truth(kind):
    def stray_ink(clutter):
        scene = render_scene(np.random.default_rng(11), **SMALL, digit_height=22,
                             n_digits=15, clutter=clutter, desk=0.2, stroke=2.0, **CLEAN)
        gray = _gray(scene.image)
        where = _sheet_mask(scene, shrink=6) & ~_box_mask(gray.shape, scene.boxes, 2)
        paper = float(np.median(gray[where]))
        return int((np.abs(gray - paper) > 50)[where].sum())

    plain, cluttered = stray_ink(()), stray_ink((kind,))
    assert plain < 200
    assert cluttered > plain + 300, (plain, cluttered)


def test_the_same_seed_gives_the_same_scene():
    kwargs = {**SMALL, "clutter": ("text", "letters", "pen"), "n_digits": 20}
    one = render_scene(np.random.default_rng(42), **kwargs)
    two = render_scene(np.random.default_rng(42), **kwargs)
    other = render_scene(np.random.default_rng(43), **kwargs)
    assert np.array_equal(one.image, two.image)
    assert np.array_equal(one.boxes, two.boxes) and np.array_equal(one.digits, two.digits)
    assert not np.array_equal(one.image, other.image)


def test_random_scenes_vary_and_keep_their_truth_in_frame():
    shapes, counts = set(), []
    for seed in range(4):
        scene = random_scene(np.random.default_rng(seed), width=640, height=480,
                             digit_height=int(18 + 8 * seed))
        h, w = scene.image.shape[:2]
        shapes.add((w, h))
        counts.append(len(scene.digits))
        x, y, bw, bh = scene.boxes.T
        assert (x >= 0).all() and (y >= 0).all() and (x + bw <= w).all() and (y + bh <= h).all()
        assert set(scene.digits.tolist()) <= set(range(10))
    assert shapes == {(640, 480)}
    assert min(counts) >= 4


def test_video_frames_and_truth(tmp_path):
    path = tmp_path / "hand.avi"
    truth = render_video(np.random.default_rng(2), path, frames=8, n_digits=20)
    assert len(truth) == 8
    capture = cv2.VideoCapture(str(path))
    read = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        read.append(frame)
    capture.release()
    assert len(read) == 8 and read[0].shape == (480, 640, 3)
    for boxes, digits in truth:
        assert boxes.dtype == np.int32 and boxes.shape == (len(digits), 4) and len(digits) > 5
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 0] + boxes[:, 2] <= 640).all()
    # The camera moves: the same digit is somewhere else a few frames later.
    assert not np.array_equal(truth[0][0][:3], truth[-1][0][:3])


def test_scan_border_is_a_thin_dark_band_round_a_full_page():
    scene = render_scene(np.random.default_rng(8), **SMALL, scan_border=True, n_digits=20,
                         **CLEAN)
    gray = _gray(scene.image)
    page = _sheet_mask(scene)
    assert 0.9 <= page.mean() < 1.0
    edges = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    assert np.median(edges) < 60
    assert np.median(gray[page]) > 180


def test_bad_conditions_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="clutter"):
        render_scene(rng, **SMALL, clutter=("graffiti",))
    with pytest.raises(ValueError, match="polarity"):
        render_scene(rng, **SMALL, polarity="grey")
    with pytest.raises(ValueError, match="desk"):
        render_scene(rng, **SMALL, desk=1.2)


@pytest.mark.parametrize("paper", ["ruled", "squared"])
def test_school_paper_prints_its_lines_and_keeps_the_digits(paper):
    kwargs = {**SMALL, **CLEAN, "n_digits": 20, "perspective": 0.0}
    plain = render_scene(np.random.default_rng(6), **kwargs)
    lined = render_scene(np.random.default_rng(6), paper=paper, **kwargs)
    assert len(lined.digits) == 20

    def faint_lines(scene):
        gray = _gray(scene.image)
        where = _sheet_mask(scene, shrink=6) & ~_box_mask(gray.shape, scene.boxes, 2)
        rows = np.nanmedian(np.where(where, gray, np.nan)[where.any(axis=1)], axis=1)
        return float(np.std(rows))  # rules make some rows darker than the rest

    assert faint_lines(lined) > 2 * faint_lines(plain) + 1


def test_size_spread_varies_the_digits_heights_and_keeps_them_on_their_lines():
    from livedigits.synthetic.sheet import Sheet, place_digit
    from livedigits.synthetic.synth import heldout_cells

    kwargs = dict(width=1280, height=720, digit_height=40, n_digits=40, desk=0.2, **CLEAN)
    even = render_scene(np.random.default_rng(8), **kwargs)
    mixed = render_scene(np.random.default_rng(8), size_spread=0.4, **kwargs)

    def spread(scene) -> float:
        heights = scene.boxes[:, 3].astype(np.float64)
        return float(np.percentile(heights, 90) / np.percentile(heights, 10))

    assert spread(even) < 1.35 and spread(mixed) > 1.6, (spread(even), spread(mixed))
    assert mixed.boxes[:, 3].min() >= 0.3 * 40 and mixed.boxes[:, 3].max() <= 2.6 * 40
    # Digits placed at one y stand on one line, whatever their heights: their bottoms
    # agree (within the pen's padding), their tops do not.
    cells, labels = heldout_cells()
    sheet = Sheet(hand=np.zeros((300, 2000), np.float32), printed=np.zeros((300, 2000), np.uint8),
                  occupied=np.zeros((300, 2000), np.uint8), valid=np.ones((300, 2000), bool),
                  stroke=3.0, digit_height=60, cells=cells, labels=labels,
                  order=np.arange(len(cells)), boxes=[], digits=[], size_spread=0.4)
    rng, x = np.random.default_rng(3), 10
    while x < 1800 and len(sheet.boxes) < 20:
        got = place_digit(sheet, rng, x, 100)
        x += (got[0] if got else 0) + 25
    boxes = np.array(sheet.boxes)
    bottoms, tops = boxes[:, 1] + boxes[:, 3], boxes[:, 1]
    assert len(boxes) >= 15 and np.ptp(boxes[:, 3]) >= 20, boxes
    assert np.ptp(bottoms) <= 12 < np.ptp(tops), (bottoms, tops)


def test_video_reports_each_frames_smear_as_the_move_of_the_view(tmp_path):
    smears = []
    truth = render_video(np.random.default_rng(2), tmp_path / "hand.avi", frames=10,
                         n_digits=20, smears=smears)
    plain = render_video(np.random.default_rng(2), tmp_path / "plain.avi", frames=10,
                         n_digits=20)
    assert len(smears) == 10
    # Asking for the smears changes nothing in the video's truth.
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(truth, plain, strict=True))
    # The smear is the move of the view: digits shift by about as much, frame to frame.
    errors = []
    for f in range(1, 10):
        # digits kept in both frames, matched by their place in the world's order
        before, after = truth[f - 1][0], truth[f][0]
        if len(before) != len(after):
            continue
        shift = np.median((after[:, :2] + after[:, 2:] / 2) -
                          (before[:, :2] + before[:, 2:] / 2), axis=0)
        errors.append(abs(np.hypot(*shift) - np.hypot(*smears[f])))
    assert len(errors) >= 4 and np.median(errors) < 1.5
