"""Printed lines of school paper found and removed from an ink mask, tilted or not."""

import cv2
import numpy as np
import pytest

from livedigits.recognize.rules import without_rules


def _mask(h=400, w=800):
    return np.zeros((h, w), np.uint8)


@pytest.mark.parametrize("tilt", [0.0, 0.03, -0.06, 0.12])
def test_tilted_rules_go_and_a_digit_across_them_stays(tilt):
    ink = _mask()
    for y in range(40, 400, 60):  # rules 2 px thick, tilted
        cv2.line(ink, (0, y), (799, int(round(y + tilt * 799))), 1, 2)
    digit = _mask()
    cv2.ellipse(digit, (300, 100 + int(tilt * 300)), (14, 24), 0, 0, 360, 1, 3)  # a 0 on a rule
    cv2.line(digit, (500, 150 + int(tilt * 500)), (505, 200 + int(tilt * 500)), 1, 3)  # a 1
    out = without_rules(ink | digit)
    assert (out & (1 - digit)).sum() <= 0.02 * ink.sum()  # (almost) no rule left
    assert (out & digit).sum() >= 0.97 * digit.sum()  # the digits kept whole


def test_the_edge_of_a_dark_desk_is_no_rule():
    ink = _mask()
    ink[:120] = 1  # a desk above a tilted sheet's edge
    cv2.fillPoly(ink, [np.array([[0, 120], [799, 150], [799, 0], [0, 0]], np.int32)], 1)
    digit = _mask()
    cv2.line(digit, (400, 160), (404, 210), 1, 3)
    out = without_rules(ink | digit)
    assert (out & digit).sum() == digit.sum()
    assert (out & ink).sum() >= 0.98 * ink.sum()


def test_plain_page_is_unchanged():
    ink = _mask()
    for x in range(40, 760, 50):
        cv2.putText(ink, "7", (x, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 1, 3)
    assert np.array_equal(without_rules(ink), ink)
