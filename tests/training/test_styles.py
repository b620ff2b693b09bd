"""Digit styles MNIST lacks: the continental 1, the crossed 7 and others read right."""

from __future__ import annotations

import numpy as np
import pytest

from livedigits.training import styles


@pytest.mark.parametrize("style", ["1_flag_foot", "1_flag", "7_crossed", "7_serif", "3_flat",
                                   "4_open"])
def test_styles_rendered_with_another_seed_read_right(holdout_recognizer, style):
    digit = styles.STYLES[style]
    cells = styles.render(style, 60, np.random.default_rng([777, len(style)]),
                          heights=(16, 110))
    digits, _, ok = holdout_recognizer.assess(cells)
    assert ((digits == digit) & ok).mean() >= 0.9, (style, np.bincount(digits, minlength=10))


def test_a_continental_one_and_a_crossed_seven_on_a_page_read_1_and_7(holdout_recognizer):
    import cv2

    from livedigits.training.cells import draw_strokes

    rng = np.random.default_rng(31)
    page = np.full((160, 400, 3), 245, np.uint8)
    ink = np.zeros(page.shape[:2], np.float32)
    for x, style in ((40, "1_flag_foot"), (140, "1_flag"), (240, "7_crossed")):
        strokes = [s * 60 for s in styles.style_strokes(style, rng)]
        drawn = cv2.resize(draw_strokes(strokes, 5.0), None, fx=0.25, fy=0.25,
                           interpolation=cv2.INTER_AREA)
        h, w = drawn.shape
        np.maximum(ink[40:40 + h, x:x + w], drawn, out=ink[40:40 + h, x:x + w])
    page = (page * (1 - 0.9 * ink[:, :, None]) + 0.9 * ink[:, :, None] * 30).astype(np.uint8)
    got = holdout_recognizer.recognize(page)
    assert [d.digit for d in got] == [1, 1, 7], got


def test_render_all_labels_each_style():
    cells, digits, which = styles.render_all(3, np.random.default_rng(0))
    assert cells.shape == (3 * len(styles.STYLES), 20, 20)
    assert list(digits[::3]) == list(styles.STYLES.values())
    assert list(which[::3]) == list(range(len(styles.STYLES)))
    with pytest.raises(ValueError, match="style must be one of"):
        styles.render("8_fancy", 1, np.random.default_rng(0))
