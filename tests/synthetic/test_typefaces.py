"""TrueType print for the synthetic scenes (``typefaces``, ``clutter.truetype_print``)."""

from __future__ import annotations

import numpy as np
import pytest

from livedigits.synthetic import clutter
from livedigits.synthetic.wild import render_scene
from livedigits.typefaces import draw_text, scene_faces

faces = scene_faces()
needs_faces = pytest.mark.skipif(not faces, reason="no DejaVu TrueType files (or OpenCV < 5)")


@needs_faces
def test_text_is_drawn_with_the_capital_height_asked_for():
    for face in faces:
        ink, baseline = draw_text("H", face, 40)
        rows = np.flatnonzero(ink.max(axis=1) > 127)
        assert abs(len(rows) - 40) <= 2, (face.name, len(rows))
        assert abs(baseline - (rows[-1] + 1)) <= 1, face.name  # H sits on the baseline
        low, _ = draw_text("g", face, 40)
        assert low.shape[0] > 0.6 * 40  # a descender reaches below it


@needs_faces
def test_truetype_print_changes_the_print_and_only_within_it():
    def scene():
        return render_scene(np.random.default_rng(3), width=640, height=480, digit_height=24,
                            n_digits=8, clutter=("text", "form"))

    before = scene()
    with clutter.truetype_print() as added:
        assert added == faces
        inside = scene()
    after = scene()
    assert np.array_equal(before.image, after.image)
    assert not np.array_equal(before.image, inside.image)
    assert len(inside.boxes) > 0
