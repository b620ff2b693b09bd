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
