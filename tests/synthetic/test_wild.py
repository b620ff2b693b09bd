"""Recognition in the wild: the situations real photos and webcam footage bring.

Scenes come from ``livedigits.synthetic.wild`` (a sheet on a desk, fine pens far away, fat
markers, forms, sudoku grids, light on dark, big phone photos); each test below
failed before the sheet was found first and the writing measured on its own marks.
"""

import cv2
import numpy as np
import pytest

from livedigits.synthetic.synth import render_page, score
from livedigits.synthetic.wild import render_scene


def _total(recognizer, scenes) -> dict:
    total = {"n": 0, "found": 0, "correct": 0, "fp": 0}
    for scene in scenes:
        got = score(scene.boxes, scene.digits, recognizer.recognize(scene.image))
        for key in total:
            total[key] += got[key]
    return total


@pytest.mark.parametrize("width,height,digit_height,stroke", [
    (640, 480, 18, 0.6),  # a webcam's frame of a ballpoint page: strokes under a pixel
    (1280, 720, 34, 1.0),
])
def test_fine_pen_on_a_sheet_lying_on_a_desk(holdout_recognizer, width, height, digit_height,
                                             stroke):
    scenes = [render_scene(np.random.default_rng([70, digit_height, k]), width=width,
                           height=height, digit_height=digit_height, n_digits=30,
                           stroke=stroke, ink_level=95, desk=0.35, rotation_deg=3,
                           blur=0.9, falloff=0.4, jpeg_quality=65) for k in range(3)]
    total = _total(holdout_recognizer, scenes)
    assert total["n"] >= 80
    assert total["found"] >= 0.95 * total["n"], total
    assert total["correct"] >= 0.88 * total["n"], total
    assert total["fp"] <= 2, total


@pytest.mark.parametrize("clutter", [("text",), ("sudoku",)])
def test_a_fine_pen_beside_bold_print_keeps_its_strokes_whole(holdout_recognizer, clutter):
    # The print sets the page's ink levels; at its weak level a 1 px pen's digits broke
    # into pieces read as 1s (14 and 21 of 90 read right), and now keep their own.
    scenes = [render_scene(np.random.default_rng(k), width=640, height=480, digit_height=24,
                           n_digits=30, stroke=1.0, ink_level=95, desk=0.2, clutter=clutter)
              for k in range(3)]
    total = _total(holdout_recognizer, scenes)
    assert total["n"] >= 80
    assert total["correct"] >= 0.6 * total["n"], total
    assert total["fp"] <= 0.15 * total["n"], total


def test_a_faint_pen_the_weak_level_cuts_into_is_regrown_whole_beside_a_sudoku(
        holdout_recognizer):
    # A sudoku's bold givens set the weak level at its cap (50); a faint pen's digits peak
    # at 45-75 there, so that level left one piece of each or none, and a mark of fewer
    # than two pieces was not regrown at its own darkness: 90 of 153 read right before.
    scenes = [render_scene(np.random.default_rng([k, 31]), width=1280, height=720,
                           digit_height=30, n_digits=30, clutter=("sudoku",), stroke=1.0,
                           desk=0.35, blur=0.95, falloff=0.25) for k in range(5)]
    total = _total(holdout_recognizer, scenes)
    assert total["n"] == 153
    assert total["correct"] >= 100, total
    assert total["fp"] <= 2, total


def test_a_faint_pen_far_lighter_than_the_bold_print_beside_it_is_read(holdout_recognizer):
    # A sudoku's and a form's bold print set the writing's level (~230); a 0.8 px pen on
    # a dim page peaks at 45-75, under the thresholds' caps (64 and 50) that level
    # gives: 103 of 240 read right. The pen's own marks now set thresholds it reaches.
    scenes = [render_scene(np.random.default_rng([73, k]), width=1280, height=720,
                           digit_height=20, n_digits=60, stroke=0.8, ink_level=105,
                           desk=0.3, blur=0.9, falloff=0.2, jpeg_quality=65, exposure=0.75,
                           clutter=("sudoku", "form")) for k in range(4)]
    total = _total(holdout_recognizer, scenes)
    assert total["n"] == 240
    assert total["correct"] >= 165, total
    assert total["fp"] <= 16, total


def test_faint_level_is_that_of_a_faint_writing_beside_bold_print_only():
    from livedigits.recognize.ink import faint_level

    rng = np.random.default_rng(5)

    def level(*peaks, wide=False, tall=6.0, threshold=16.0):
        peak = np.concatenate(peaks)
        height = np.full(len(peak), 6)
        return faint_level(peak, 3 * height if wide else height, height, 229.0, tall,
                           threshold)

    bold, pen = rng.uniform(190, 230, 20), rng.uniform(45, 75, 30)
    assert 45 <= level(bold, pen) <= 55  # nearly all of the pen's marks reach it
    assert level(bold) == 0  # bold print alone
    # A few faint marks (print's specks, a faint label) are no writing of their own,
    assert level(bold, pen[:4]) == 0
    # nor is the paper's grain just over the weakest threshold,
    assert level(bold, rng.uniform(17, 35, 30)) == 0
    # nor squared paper's grid in pieces just over the first threshold that found writing,
    assert level(bold, rng.uniform(45, 58, 300), threshold=42.0) == 0
    # nor faint print: its letters run together into words three times as wide as tall,
    assert level(bold, pen, wide=True) == 0
    # or stand apart, half as tall as the writing's marks.
    assert level(bold, pen, tall=12.0) == 0


def test_a_sudoku_on_tilted_squared_paper_beside_a_form_keeps_its_digits(holdout_recognizer):
    # One of wild.py's random scenes: squared paper, a sudoku grid, a form and print, tilted
    # 3.5 degrees under perspective. The squared paper's rules merged into bands whose
    # middle fitted slopes of 0.3-0.6, where no rule was then looked for: 8 of 31 found.
    # Then 16: the grid joins the whole page up at the weakest threshold, where only the
    # paper's grain (darkness 18-21) stood apart, and set the writing's level at 20.
    from livedigits.synthetic.wild import random_scene

    scene = random_scene(np.random.default_rng([1, 9, 3]))
    assert scene.image.shape[:2] == (1080, 1920) and len(scene.boxes) == 31
    total = _total(holdout_recognizer, [scene])
    assert total["found"] >= 26, total
    assert total["fp"] <= 5, total


@pytest.mark.parametrize("polarity", ["dark", "light"])
def test_digits_touching_a_form_boxs_sides_are_cut_off_them(holdout_recognizer, polarity):
    # A digit touching its box's side was one blob with it, judged no digit or misread
    # (78 of 96 read right in both polarities); the sides now come off first.
    light = {"polarity": "light", "ink_level": 210} if polarity == "light" else {}
    scenes = [render_scene(np.random.default_rng([72, k]), width=1280, height=720,
                           digit_height=30, n_digits=24, stroke=2.0, desk=0.25,
                           rotation_deg=2.0, blur=0.8, jpeg_quality=65, clutter=("form",),
                           **light) for k in range(4)]
    total = _total(holdout_recognizer, scenes)
    assert total["n"] == 96
    assert total["correct"] >= 0.86 * total["n"], total
    assert total["fp"] <= 6, total


def test_a_fine_pens_lone_1s_are_not_taken_for_lines(holdout_recognizer):
    """Deskewing turns any straight stroke upright: line and bar examples steeper than
    15 degrees had become short 1s, and voted thin 1s down (before: 114 of 120 found)."""
    from livedigits.synthetic.synth import heldout_cells

    cells, labels = heldout_cells()
    ones = (cells[labels == 1], labels[labels == 1])
    scenes = [render_scene(np.random.default_rng([77, k]), width=640, height=480,
                           digit_height=18, n_digits=30, stroke=0.7, ink_level=95, desk=0.35,
                           rotation_deg=5, blur=0.9, jpeg_quality=65, cells=ones)
              for k in range(4)]
    total = _total(holdout_recognizer, scenes)
    assert total["n"] == 120 and total["correct"] >= 118 and total["fp"] == 0, total


def test_fat_marker_digits(holdout_recognizer):
    scenes = [render_scene(np.random.default_rng([71, k]), width=1600, height=1200,
                           digit_height=250, n_digits=4, stroke=25, ink_level=30, desk=0.2)
              for k in range(2)]
    total = _total(holdout_recognizer, scenes)
    assert total["found"] == total["n"] >= 6, total
    assert total["correct"] >= total["n"] - 1, total
    assert total["fp"] == 0, total


def test_light_writing_on_a_dark_board(holdout_recognizer):
    scenes = [render_scene(np.random.default_rng([72, k]), digit_height=32, n_digits=30,
                           polarity="light", stroke=3.0, ink_level=210) for k in range(2)]
    total = _total(holdout_recognizer, scenes)
    assert total["found"] >= 0.95 * total["n"], total
    assert total["fp"] <= 1, total


def test_form_boxes_sides_are_not_ones(holdout_recognizer):
    scenes = [render_scene(np.random.default_rng([73, k]), digit_height=30, n_digits=20,
                           stroke=1.8, clutter=("form",), desk=0.25) for k in range(3)]
    detections = [holdout_recognizer.recognize(s.image) for s in scenes]
    totals = [score(s.boxes, s.digits, d) for s, d in zip(scenes, detections, strict=True)]
    found = sum(t["found"] for t in totals)
    n = sum(t["n"] for t in totals)
    fp = sum(t["fp"] for t in totals)
    # Before: every empty box's sides were read as a row of 1s (dozens a form).
    assert fp <= 0.5 * n, totals
    assert found >= 0.7 * n, totals


def test_sudoku_grid_handwritten_entries_are_found(holdout_recognizer):
    scenes = [render_scene(np.random.default_rng([74, k]), digit_height=30, n_digits=30,
                           stroke=1.6, clutter=("sudoku",), desk=0.25) for k in range(2)]
    total = _total(holdout_recognizer, scenes)
    assert total["found"] >= 0.8 * total["n"], total
    assert total["fp"] <= 0.4 * total["n"], total


def test_broken_pieces_of_a_sudoku_grids_lines_are_not_ones(holdout_recognizer):
    """A grid line broken where digits and crossings meet it leaves hairline pieces a 1
    tall; they carry the rule on above or below, so they are no candidates (before: 2
    such false 1s over these 10 grids)."""
    thin_false_ones = 0
    for k in range(10):
        rng = np.random.default_rng([76, k])
        scene = render_scene(rng, digit_height=30, n_digits=30, stroke=rng.uniform(1.0, 2.5),
                             desk=0.25, blur=rng.uniform(0.6, 1.1), jpeg_quality=65,
                             clutter=("sudoku",))
        centres = scene.boxes[:, :2] + scene.boxes[:, 2:] / 2
        for d in holdout_recognizer.recognize(scene.image):
            inside = ((centres[:, 0] >= d.x) & (centres[:, 0] <= d.x + d.w)
                      & (centres[:, 1] >= d.y) & (centres[:, 1] <= d.y + d.h))
            thin_false_ones += int(not inside.any() and d.w <= 3)
    assert thin_false_ones == 0


def test_big_phone_photo_is_read_at_the_writings_scale(holdout_recognizer):
    import time

    scene = render_scene(np.random.default_rng(75), width=4032, height=3024, digit_height=90,
                         n_digits=40, stroke=5.0, ink_level=60, desk=0.3)
    holdout_recognizer.recognize(scene.image[:600, :800])  # compile outside the timing
    start = time.perf_counter()
    detections = holdout_recognizer.recognize(scene.image)
    seconds = time.perf_counter() - start
    total = score(scene.boxes, scene.digits, detections)
    assert total["found"] >= 0.95 * total["n"], total
    assert total["fp"] <= 1, total
    assert seconds < 3.0  # 0.06 s measured; before, ~0.35 s at full size, minutes with rules


def test_small_writing_on_a_big_photo_beside_a_table_is_read(holdout_recognizer):
    """Regression: at the first look at a 12 MP photo, 23 px digits are specks under the
    smallest candidate; a printed table's cells were all that was found, their height
    passed for the writing's, and not one digit was read."""
    scene = render_scene(np.random.default_rng(41), width=4032, height=3024, digit_height=23,
                         n_digits=60, stroke=2.0, ink_level=70, desk=0.25,
                         clutter=("table",))
    total = score(scene.boxes, scene.digits, holdout_recognizer.recognize(scene.image))
    assert total["found"] >= 0.9 * total["n"], total
    assert total["correct"] >= 0.85 * total["n"] and total["fp"] <= 2, total


def test_a_dotted_line_on_a_big_photo_does_not_send_its_digits_to_a_closer_look(
        holdout_recognizer):
    """A dotted line's dots are many strong marks too small to be digits at the first
    look at a 12 MP photo; the photo was read again at their scale, which cost time and
    could lose digits the first look had read (the closer look now stands only when it
    finds far more)."""
    scene = render_scene(np.random.default_rng(43), width=4032, height=3024,
                         digit_height=130, n_digits=8, stroke=9.0, ink_level=40, desk=0.25)
    image = scene.image.copy()
    top = int(scene.boxes[:, 1].min()) - 60
    for x in range(int(scene.sheet[:, 0].min()) + 200, int(scene.sheet[:, 0].max()) - 200, 70):
        cv2.circle(image, (x, top), 9, (40, 40, 40), -1)
    total = score(scene.boxes, scene.digits, holdout_recognizer.recognize(image))
    assert total["correct"] >= total["n"] - 1 and total["fp"] == 0, total
    from livedigits.recognize.segment import LOOK_SIDE, find_candidates

    assert find_candidates(image).scale == pytest.approx(LOOK_SIDE / 4032)  # the first look


def test_a_desk_around_the_page_changes_nothing_on_it(holdout_recognizer):
    page = render_page(np.random.default_rng(76), width=960, height=640, digit_height=36,
                       n_digits=60, perspective=0.0)
    alone = holdout_recognizer.recognize(page.image)
    rng = np.random.default_rng(7)
    desk = np.clip(rng.normal(70, 12, (900, 1400, 3)), 0, 255).astype(np.uint8)
    desk = cv2.GaussianBlur(desk, (0, 0), 2)
    desk[130:770, 220:1180] = page.image
    framed = holdout_recognizer.recognize(desk)
    moved = [(d.x - 220, d.y - 130, d.w, d.h, d.digit) for d in framed]
    assert len(alone) >= 55
    assert sorted(d.digit for d in alone) == sorted(m[4] for m in moved)
    for d in alone:
        assert any(abs(d.x - x) <= 2 and abs(d.y - y) <= 2 and digit == d.digit
                   for x, y, _, _, digit in moved), d


@pytest.mark.parametrize("factor", [0.5, 2.0, 4.0])
def test_the_same_page_at_another_scale_reads_the_same(holdout_recognizer, factor):
    page = render_page(np.random.default_rng(77), width=1200, height=800, digit_height=60,
                       n_digits=40, perspective=0.0, blur=0.0)
    base = holdout_recognizer.recognize(page.image)
    scaled = cv2.resize(page.image, None, fx=factor, fy=factor,
                        interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)
    again = holdout_recognizer.recognize(scaled)
    assert len(base) >= 38 and abs(len(again) - len(base)) <= 1
    same = sum(any(abs(a.x / factor - d.x) <= 3 and abs(a.y / factor - d.y) <= 3
                   and a.digit == d.digit for a in again) for d in base)
    assert same >= len(base) - 2, (same, len(base))


def test_an_image_with_no_digits_says_so(tmp_path):
    from typer.testing import CliRunner

    from livedigits.cli.root import app

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((300, 400), 240, np.uint8))
    result = CliRunner().invoke(app, ["image", str(blank), "--no-images"])
    assert result.exit_code == 0, result.output
    assert "(no digits found)" in result.stderr
    assert result.stdout.strip() == ""
    json_run = CliRunner().invoke(app, ["image", str(blank), "--no-images", "--json"])
    assert json_run.exit_code == 0 and '"detections": []' in json_run.stdout
    assert "(no digits found)" not in json_run.stderr
