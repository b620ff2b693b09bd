"""The overlay and the plain image."""

from __future__ import annotations

import numpy as np

from livedigits.recognize.recognizer import Detection
from livedigits.render import UNSURE, overlay, plain


def _orange(image: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels near the unsure colour (anti-aliased edges included)."""
    diff = np.abs(image.astype(int) - np.array(UNSURE)).sum(axis=2)
    return diff < 60


def test_plain_shows_an_unsure_digits_guess_marked():
    sure = Detection(40, 40, 30, 50, 7, 0.95)
    unsure = Detection(140, 40, 30, 50, 3, 0.4)
    out = plain((140, 240, 3), [sure, unsure], min_confidence=0.6)
    left, right = out[:, :110], out[:, 110:]
    assert not _orange(left).any() and (left.min(axis=2) < 80).any()  # the 7 in black
    assert _orange(right).sum() > 100  # the 3 and its '?' in orange
    assert not (right.max(axis=2) < 80).any()  # nothing of it in black
    # The guess is drawn, not a bare '?': the same digit sure draws the same strokes.
    guessed = plain((140, 240, 3), [Detection(140, 40, 30, 50, 3, 1.0)])
    ink = guessed[:, 110:].min(axis=2) < 60
    assert _orange(right)[ink].mean() > 0.9


def test_overlay_boxes_leave_the_digits_strokes_visible():
    image = np.full((200, 300, 3), 255, np.uint8)
    image[50:110, 100:103] = 0  # a thin '1' whose box is its own ink
    image[50:110, 200:203] = 0
    out = overlay(image, [Detection(100, 50, 3, 60, 1, 0.9), Detection(200, 50, 3, 60, 1, 0.3)],
                  min_confidence=0.6)
    assert (out[50:110, 100:103] == 0).all()
    assert (out[50:110, 200:203] == 0).all()
    assert (out[49, 100] != 255).any()  # the box is drawn, just outside
    assert _orange(out[45:115, 195:210]).any()
