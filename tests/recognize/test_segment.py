import cv2
import numpy as np
import pytest

from livedigits.recognize.ink import darkness
from livedigits.recognize.normalise import CENTRE, normalise
from livedigits.recognize.segment import find_candidates


def test_thin_tall_one_normalises_to_a_centred_stroke():
    # Regression: a "1" two pixels wide once came out as an empty cell, because
    # cv2.moments read the (14, 2) array as a contour.
    patch = np.zeros((65, 8), np.float32)
    patch[2:63, 3:5] = 180
    cell = normalise(patch)
    assert cell.max() > 200
    mass = cell.astype(np.float64)
    cy = (mass.sum(axis=1) @ np.arange(20)) / mass.sum()
    cx = (mass.sum(axis=0) @ np.arange(20)) / mass.sum()
    assert abs(cy - CENTRE) < 0.6 and abs(cx - CENTRE) < 0.6
    ys, _ = np.nonzero(cell > 60)
    assert 12 <= ys.max() - ys.min() + 1 <= 16  # long side ~14 px, like MNIST's


@pytest.mark.parametrize("height", [14, 30, 80, 150])
def test_normalised_cells_have_mnist_size_at_any_scale(height):
    patch = np.zeros((height + 10, height + 10), np.float32)
    cv2.circle(patch, (height // 2 + 5, height // 2 + 5), height // 2,
               200, max(1, height // 15))
    cell = normalise(patch)
    ys, xs = np.nonzero(cell > 60)
    assert 12 <= ys.max() - ys.min() + 1 <= 16
    assert 12 <= xs.max() - xs.min() + 1 <= 16
    ink = cell.astype(np.float64).sum() / 255
    assert 20 < ink < 90  # stroke width normalised: neither hairline nor blob


def test_darkness_cancels_uneven_light():
    yy, xx = np.mgrid[0:400, 0:600]
    paper = (250 - 120 * xx / 600).astype(np.uint8)  # bright left, dim right
    gray = paper.copy()
    gray[100:110, 50:150] = (paper[100:110, 50:150] * 0.3).astype(np.uint8)
    gray[100:110, 450:550] = (paper[100:110, 450:550] * 0.3).astype(np.uint8)
    dark = darkness(gray)
    assert dark[:50].max() < 30  # paper, both bright and dim
    left, right = dark[102:108, 60:140].mean(), dark[102:108, 460:540].mean()
    assert abs(left - right) < 20 and left > 150


def test_faint_print_is_not_a_candidate_but_ink_is():
    image = np.full((300, 600), 250, np.uint8)
    cv2.putText(image, "1.00 3.63 8.99", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 215, 2)
    cv2.putText(image, "7", (300, 250), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 40, 5)
    found = find_candidates(image)
    assert len(found.boxes) == 1
    x, y, w, h = found.boxes[0]
    assert 280 < x < 340 and y > 150


def test_boxes_map_back_from_downscaled_huge_images():
    image = np.full((6000, 5000), 250, np.uint8)
    cv2.rectangle(image, (2000, 3000), (2040, 3300), 30, -1)
    found = find_candidates(image)
    assert found.scale < 1.0
    assert len(found.boxes) == 1
    x, y, w, h = found.boxes[0]
    slack = 1 / found.scale + 1  # a pixel at the working scale, in the input's pixels
    assert abs(x - 2000) <= slack and abs(y - 3000) <= slack and abs(h - 301) <= 2 * slack


def test_degenerate_images():
    assert len(find_candidates(np.zeros((1, 1), np.uint8)).boxes) == 0
    assert len(find_candidates(np.zeros((5, 300, 3), np.uint8)).boxes) == 0
    assert len(find_candidates(np.full((100, 100), 255, np.uint8)).boxes) == 0
    assert len(find_candidates(np.zeros((100, 100), np.uint8)).boxes) == 0


def _sheet():
    from livedigits.synthetic.synth import render_page

    return render_page(np.random.default_rng(9), width=640, height=400, digit_height=30,
                       n_digits=30).image


def test_cut_cells_of_some_candidates_are_those_of_all():
    from livedigits.recognize.normalise import cut_cells

    found = find_candidates(_sheet())
    assert len(found) >= 25
    every = cut_cells(found)
    some = np.array([len(found) - 1, 3, 0])
    np.testing.assert_array_equal(cut_cells(found, some), every[some])
    assert cut_cells(found, np.zeros(0, np.intp)).shape == (0, 20, 20)


def test_signatures_match_an_area_resize_of_each_box():
    from livedigits.recognize.ink import darkness, to_gray
    from livedigits.recognize.segment import SIGNATURE_SIDE, find_candidates

    image = _sheet()
    found = find_candidates(image)
    dark = darkness(to_gray(image))
    side = SIGNATURE_SIDE
    assert found.signatures.shape == (len(found), side * side)
    assert found.signatures.dtype == np.float32
    for k, (x0, y0, x1, y1) in enumerate(found.extents):
        patch = dark[y0:y1, x0:x1].astype(np.float64)
        # Area resize by hand: each grid cell's sum, split pixels weighed by their share.
        rows = np.clip(np.arange(y1 - y0)[None, :] + 1 - np.linspace(0, y1 - y0, side + 1)[:, None],
                       0, 1)
        cols = np.clip(np.arange(x1 - x0)[None, :] + 1 - np.linspace(0, x1 - x0, side + 1)[:, None],
                       0, 1)
        row_w, col_w = rows[:-1] - rows[1:], cols[:-1] - cols[1:]
        expected = (row_w @ patch @ col_w.T).ravel()
        expected /= expected.sum()
        np.testing.assert_allclose(found.signatures[k], expected, atol=1e-5)


def test_hairline_pen_digits_are_found_at_webcam_size(holdout_recognizer):
    """Regression: strokes under a pixel wide lost their peak to the 3x3 smoothing
    and fell below the strong-ink test, so small fine-pen digits went missing."""
    from livedigits.synthetic.synth import render_page, score

    page = render_page(np.random.default_rng(31), width=640, height=480, digit_height=16,
                       n_digits=60, pen=(0.045, 0.05), blur=0.0, faint_text=False)
    result = score(page.boxes, page.digits, holdout_recognizer.recognize(page.image))
    assert result["found"] >= 0.97 * result["n"], result
    assert result["fp"] == 0, result


def test_hairline_along_the_picture_edge_is_not_a_one():
    image = np.full((300, 500), 250, np.uint8)
    image[40:80, 0] = 20  # a scanner's border, broken into a short piece
    cv2.putText(image, "4", (200, 200), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 40, 4)
    found = find_candidates(image)
    assert len(found.boxes) == 1 and found.boxes[0][0] > 150


@pytest.mark.parametrize("stem_end, bowl", [
    (220, (9, (394, 200, 444, 239))),  # a flat bowl, 0.66 typical heights
    (216, (12, (394, 202, 443, 243))),  # a round bowl crossing the bar's box, 0.83
])
def test_a_wide_digit_broken_in_two_is_one_candidate(stem_end, bowl):
    """A wide 5 whose pen skipped: a bar and a bowl, each too short to be a digit.

    Together they are about 1.4 typical heights wide, but no wider than 1.3
    times their joint height: one digit, not two.
    """
    bowl_height, (left, top, right, bottom) = bowl
    page = np.full((300, 600), 245, np.uint8)
    for k in range(6):  # ordinary digits 35 px tall set the typical height
        x = 20 + 45 * k
        cv2.line(page, (x + 10, 40), (x + 10, 72), 30, 3)
        cv2.ellipse(page, (x + 12, 150), (9, 15), 0, 0, 360, 30, 3)
    top_y = 202 if stem_end == 220 else 205
    cv2.line(page, (397, top_y), (422, top_y - 1), 30, 3)  # the bar
    cv2.line(page, (397, top_y), (395, stem_end), 30, 3)  # its stem
    cv2.ellipse(page, (427, 228), (14 if bowl_height == 9 else 13, bowl_height), 0, -150, 130,
                30, 3)  # the bowl
    inside = [tuple(b) for b in find_candidates(page).boxes if b[0] >= 380]
    assert len(inside) == 1, inside
    x, y, w, h = inside[0]
    assert x <= left and x + w >= right and y <= top and y + h >= bottom


def test_group_strokes_groups_one_digits_strokes_only():
    """Stats rows (x, y, w, h, area) at a typical digit height of 40 px."""
    from livedigits.recognize.segment import group_strokes

    stats = np.array([
        [10, 10, 20, 18, 100],   # 0: an 8's top loop
        [9, 29, 22, 20, 120],    # 1: its bottom loop, just below
        [60, 12, 20, 38, 150],   # 2: a 5's body
        [64, 4, 18, 6, 40],      # 3: its detached bar, 2 px above
        [120, 10, 22, 40, 160],  # 4: a 1 beside, apart from everything
        [0, 45, 400, 200, 9000], # 5: a pen lying across, far bigger than a digit
    ], np.int32)
    group, joint = group_strokes(stats, 40.0)
    assert group.tolist() == [0, 0, 1, 1, 2, 3]  # numbered by their first member
    boxes = {tuple(np.flatnonzero(group == g)): tuple(joint[g]) for g in range(len(joint))}
    assert boxes[(0, 1)] == (9, 10, 31, 49) and boxes[(2, 3)] == (60, 4, 82, 50)


def test_bgra_is_flattened_over_white_in_integers():
    """Transparent pixels are white paper, opaque black ink stays black; no float copy of
    a large BGRA image is made (imageio.flatten_alpha works in bands of rows)."""
    from livedigits.recognize.ink import to_gray

    image = np.zeros((3, 3, 4), np.uint8)
    image[0, 0, 3] = 255  # opaque black
    image[1, 1, 3] = 128  # half transparent black
    gray = to_gray(image)
    assert gray[0, 0] == 0 and gray[2, 2] == 255 and 120 <= gray[1, 1] <= 135


def test_small_zeros_beside_tall_digits_are_read_and_blots_are_not(holdout_recognizer):
    """Regression: zeros written a third as tall as the digits beside them (a marker's
    "100") were dropped as specks, the speck test being relative to the digit height
    alone; a blot of their size, about two of its strokes across, still is one."""
    from livedigits.synthetic.handwriting import digit_ink
    from livedigits.synthetic.synth import heldout_cells

    cells, labels = heldout_cells()
    rng = np.random.default_rng(2)
    ink = np.zeros((160, 1000), np.float32)
    zeros, x = [], 20
    for tall, small in zip(np.flatnonzero(labels == 4)[:4], np.flatnonzero(labels == 0)[:4],
                           strict=True):
        for k, height in ((tall, 54), (small, 17), (small + 1, 17)):
            sprite = digit_ink(cells[k], height, 3.0, rng)
            h, w = sprite.shape
            y = 100 - h
            np.maximum(ink[y:y + h, x:x + w], sprite, out=ink[y:y + h, x:x + w])
            if height == 17:
                zeros.append((x + w / 2, y + h / 2))
            x += w + 18
    for cx in (900, 950):  # blots as big as the zeros
        cv2.circle(ink, (cx, 90), 8, 1.0, -1)
    image = np.clip(235 - 200 * ink, 0, 255).astype(np.uint8)
    found = holdout_recognizer.recognize(image)
    read = {(round(cx), round(cy)): [d.digit for d in found
                                     if d.x <= cx <= d.x + d.w and d.y <= cy <= d.y + d.h]
            for cx, cy in zeros}
    assert all(digits == [0] for digits in read.values()), read
    assert not [d for d in found if d.x > 880], found


def _small_zeros_after_sevens(rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """Ink (150, 900) float32 of six 54 px 7s, each with an 18 px 0 close after it (a
    3 px pen), and the zeros' centres."""
    from livedigits.synthetic.handwriting import digit_ink
    from livedigits.synthetic.synth import heldout_cells

    cells, labels = heldout_cells()
    ink = np.zeros((150, 900), np.float32)
    zeros, x = [], 20
    for n, tall in enumerate(np.flatnonzero(labels == 7)[:6]):
        first = digit_ink(cells[tall], 54, 3.0, rng)
        second = digit_ink(cells[np.flatnonzero(labels == 0)[n]], 18, 3.0, rng)
        for sprite, gap in ((first, 2), (second, 60)):
            h, w = sprite.shape
            y = 110 - h
            np.maximum(ink[y:y + h, x:x + w], sprite, out=ink[y:y + h, x:x + w])
            x += w + gap
        zeros.append((x - 60 - second.shape[1] // 2, 110 - second.shape[0] // 2))
    return ink, zeros


def _read_at(found: list, points: list) -> list:
    return [[d.digit for d in found if d.x <= cx <= d.x + d.w and d.y <= cy <= d.y + d.h]
            for cx, cy in points]


def test_a_small_zero_close_after_a_tall_digit_is_not_taken_for_its_stroke(
        holdout_recognizer):
    """Regression: a 0 written a third as tall and close after a 7 (or a 1: "10") was
    one candidate with it, the 0 joined as a short stroke joins a digit (a 5's bar),
    and the pair was read as one digit; also when the digits stand on a ruled line."""
    ink, zeros = _small_zeros_after_sevens(np.random.default_rng(6))
    image = np.clip(235 - 200 * ink, 0, 255).astype(np.uint8)
    found = holdout_recognizer.recognize(image)
    assert _read_at(found, zeros) == [[0]] * len(zeros), found
    assert len(found) == 2 * len(zeros), found
    ruled = image.copy()
    ruled[110:112, :] = 120  # a printed rule the digits stand on
    found = holdout_recognizer.recognize(ruled)
    assert _read_at(found, zeros) == [[0]] * len(zeros), found


def test_small_flicks_and_ticks_beside_tall_digits_are_no_digits(holdout_recognizer):
    """Thin marks as small as specks (a flick, a check mark, an arc) are as many of
    their strokes long as a digit written small, but none is closed round a hole."""
    ink, zeros = _small_zeros_after_sevens(np.random.default_rng(6))
    ink[:, 340:] = 0  # three 7s with their 0s are left
    marks = np.zeros_like(ink)
    for k, x in enumerate(range(420, 890, 30)):
        if k % 3 == 0:
            cv2.line(marks, (x, 108), (x + 12, 94), 1.0, 2)  # a flick
        elif k % 3 == 1:
            cv2.polylines(marks, [np.array([[x, 101], [x + 3, 107], [x + 11, 94]])], False,
                          1.0, 2)  # a check mark
        else:
            cv2.ellipse(marks, (x + 7, 101), (6, 6), 0, 45, 315, 1.0, 2)  # a C, open
    image = np.clip(235 - 200 * np.maximum(ink, marks), 0, 255).astype(np.uint8)
    found = holdout_recognizer.recognize(image)
    assert not [d for d in found if d.x >= 400], found
    assert _read_at(found, [z for z in zeros if z[0] < 340]) == [[0]] * 3, found


def test_a_row_of_boxes_loses_its_sides_even_where_its_rules_stop_short():
    from livedigits.recognize.segment import without_box_sides

    ink = np.zeros((150, 500), np.uint8)
    lines = np.zeros_like(ink)
    lines[40:42, 106:402] = 1  # the top and bottom rules, found from x=106 on only
    lines[90:92, 106:402] = 1
    ink |= lines
    for x in range(100, 401, 50):
        ink[40:92, x:x + 2] = 1  # the boxes' sides, the first beyond the rules' ends
    cv2.ellipse(ink, (124, 66), (12, 18), 0, 0, 360, 1, 2)  # a 0 touching the first side
    rest, sides = without_box_sides(ink, lines)
    assert sides[45:88, 100:102].all()  # the first side too
    assert not rest[45:88, 100:102].any()
    assert sides[45:88, 250:252].all()
    assert rest[50:80, 112:137].sum() >= 0.9 * ink[50:80, 112:137].sum()  # the 0 kept
