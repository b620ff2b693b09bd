"""Printed figures told from handwriting by their exact repeats."""

import numpy as np

from livedigits.recognize.printed import printed_repeats


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_three_copies_of_one_glyph_at_one_size_are_print_and_a_hands_are_not():
    rng = np.random.default_rng(0)
    glyph = rng.standard_normal(64)
    # Three copies of a printed 5 (the features all but equal, the same size), three 5s
    # written by hand (alike, but not alike enough and of three sizes), and three 1s.
    features = _unit(np.stack([glyph + 0.01 * rng.standard_normal(64) for _ in range(3)]
                              + [glyph + 0.4 * rng.standard_normal(64) for _ in range(3)]
                              + [glyph + 0.01 * rng.standard_normal(64) for _ in range(3)]))
    boxes = np.array([[10, 10, 20, 30], [40, 10, 20, 30], [70, 10, 21, 30],
                      [10, 60, 20, 30], [40, 60, 22, 33], [70, 60, 19, 27],
                      [10, 110, 6, 30], [40, 110, 6, 30], [70, 110, 6, 30]])
    digits = np.array([5, 5, 5, 5, 5, 5, 1, 1, 1])
    out = printed_repeats(boxes, features, digits, np.ones(9, bool))
    assert out.tolist() == [True] * 3 + [False] * 6


def test_copies_voted_down_count_and_sizes_must_agree():
    rng = np.random.default_rng(1)
    glyph = rng.standard_normal(64)
    features = _unit(np.stack([glyph + 0.01 * rng.standard_normal(64) for _ in range(4)]))
    digits = np.full(4, 3)
    # One copy let through as a digit, three voted down beside it: it is print.
    boxes = np.array([[0, 0, 20, 30], [30, 0, 20, 30], [60, 0, 20, 31], [90, 0, 20, 30]])
    assert printed_repeats(boxes, features, digits,
                           np.array([True, False, False, False])).tolist() == [True] + [False] * 3
    # The same glyphs at sizes 10% apart are no copies.
    sized = np.array([[0, 0, 20, 30], [30, 0, 22, 33], [60, 0, 24, 36], [90, 0, 26, 40]])
    assert not printed_repeats(sized, features, digits, np.ones(4, bool)).any()


def test_a_small_sudokus_printed_givens_get_no_box(holdout_recognizer):
    """Regression: a 640x480 frame of 16 px writing beside a sudoku gave 30 false
    digits, most of them the grid's printed givens that the not-a-digit examples let
    through; each has copies of itself at its own size beside it."""
    from livedigits.synthetic.synth import score
    from livedigits.synthetic.wild import random_scene

    scene = random_scene(np.random.default_rng([0, 9, 12]))
    got = score(scene.boxes, scene.digits, holdout_recognizer.recognize(scene.image))
    assert got["fp"] <= 15 and got["correct"] >= 40, got


def test_a_run_of_one_height_on_one_baseline_is_print_only_beside_print():
    from livedigits.recognize.printed import printed_runs

    # "Total 1385": five letters (voted down as print) and four figures of one height
    # on their baseline; then four handwritten digits of one height on a line of their
    # own, and four beside a printed label but of four heights.
    letters = [[10 + 22 * k, 10, 18, 30] for k in range(5)]
    figures = [[130 + 22 * k, 10, 18, 30] for k in range(4)]
    written = [[10 + 30 * k, 80, 20, 30] for k in range(4)]
    label = [[10 + 22 * k, 150, 18, 30] for k in range(3)]
    varied = [[80 + 24 * k, 146 - 3 * k, 20, 34 + 3 * k] for k in range(4)]
    boxes = np.array(letters + figures + written + label + varied)
    printy = np.array([True] * 5 + [False] * 8 + [True] * 3 + [False] * 4)
    out = printed_runs(boxes, printy, ~printy)
    assert out.tolist() == [False] * 5 + [True] * 4 + [False] * 11
    # Without a printed glyph on its baseline, the same figures are handwriting.
    assert not printed_runs(boxes[5:13], np.zeros(8, bool), np.ones(8, bool)).any()


def test_round_figures_overshooting_flat_ones_are_one_run():
    """Regression: a font draws a 0 or a 2 a little taller than a flat-topped 7 or 1 (its
    curves overshoot the lines), 66 px against 63 on a 4032x3024 photo: '2022' after
    printed letters was no run, its four figures read as digits."""
    from livedigits.recognize.printed import printed_runs

    letters = [[10 + 46 * k, 10, 40, 63] for k in range(4)]
    figures = [[200 + 50 * k, 10 - (h - 63) // 2, 43, h] for k, h in enumerate((66, 63, 63, 66))]
    boxes = np.array(letters + figures)
    printy = np.array([True] * 4 + [False] * 4)
    assert printed_runs(boxes, printy, ~printy, 0.0).tolist() == [False] * 4 + [True] * 4


def test_figures_printed_in_truetype_get_no_box_and_the_handwriting_beside_them_does(
        holdout_recognizer, heldout):
    """Regression: figures printed in TrueType faces the not-a-digit examples are never
    drawn in ("Total 1385", a date) were read as digits, 84 of them in these ten faces
    (17 now): in a run of one height on one baseline with printed letters they are print."""
    import pytest

    from livedigits.synthetic.synth import digit_sprite
    from livedigits.typefaces import draw_text, scene_faces

    faces = scene_faces()
    if not faces:
        pytest.skip("no DejaVu TrueType files (or OpenCV < 5)")
    cells, labels = heldout
    picks = np.arange(8) * 43
    print_read = 0
    for face in faces:
        page = np.full((400, 900), 235, np.float32)
        for row, text in enumerate(["Invoice 2024 Total 1385",
                                    "Sum 6728 Ref 3590 Date 24.07.2019"]):
            ink = draw_text(text, face, 30)[0][:, :860] / 255.0
            y = 40 + 90 * row
            page[y:y + ink.shape[0], 20:20 + ink.shape[1]] *= 1 - ink * 0.87
        x = 60
        for i in picks:
            sprite = digit_sprite(cells[i], 44)
            window = page[300:300 + sprite.shape[0], x:x + sprite.shape[1]]
            window[:] = window * (1 - sprite) + 40 * sprite
            x += sprite.shape[1] + 40
        found = holdout_recognizer.read(page.astype(np.uint8)).detections
        print_read += sum(d.y < 280 for d in found)
        assert [d.digit for d in found if d.y >= 280] == labels[picks].tolist(), face.name
    assert print_read <= 25, print_read  # 17 in the ten DejaVu faces, most in Mono


def test_a_tilted_printed_line_is_one_run_along_its_slope():
    """Regression: on a photo's tilted line the bottoms step ~10% of a height from glyph to
    glyph, so the printed figures after a printed word were no run; along the lines'
    direction they are."""
    from livedigits.recognize.printed import printed_runs

    step = 3.0  # px the line falls from one glyph to the next, 26 px apart
    boxes = np.array([[20 + 26 * k, 40 + step * k, 20, 30] for k in range(8)])
    printy = np.array([True] * 3 + [False] * 5)
    angle = float(np.degrees(np.arctan(step / 26)))
    assert not printed_runs(boxes, printy, ~printy, 0.0).any()  # bottoms compared level
    assert printed_runs(boxes, printy, ~printy, angle).tolist() == [False] * 3 + [True] * 5
