"""The reject class: marks that are not handwritten digits are not read as digits."""

from __future__ import annotations

import numpy as np
import pytest

from livedigits.training import negatives

HELD_OUT = (16, 110)  # px; training draws 14..90


def _held_out(kind: str, n: int, seed: int) -> np.ndarray:
    return negatives.render(kind, n, np.random.default_rng([4242, seed]), heights=HELD_OUT)


@pytest.mark.parametrize("kind", ["printed", "printed_digit", "pair", "side", "crossing", "grid",
                                  "corner", "script"])
def test_printed_glyphs_box_sides_and_grid_crossings_are_rejected(holdout_recognizer, kind):
    cells = _held_out(kind, 120, negatives.KINDS.index(kind))
    digits, confidences, ok = holdout_recognizer.assess(cells)
    assert ok.mean() <= 0.10, (kind, ok.mean())
    # classify keeps its contract for them: digits 0..9 and shares in [0, 1]
    assert digits.min() >= 0 and digits.max() <= 9
    assert (confidences >= 0).all() and (confidences <= 1).all()


def test_held_out_handwritten_digits_are_kept(holdout_recognizer, heldout):
    cells, labels = heldout
    digits, _, ok = holdout_recognizer.assess(cells)
    assert ok.mean() >= 0.99, np.bincount(labels[~ok], minlength=10)
    assert (digits == labels).mean() >= 0.986


def test_pen_written_digits_on_a_page_are_kept(holdout_recognizer):
    from livedigits.recognize.normalise import cut_cells
    from livedigits.recognize.segment import find_candidates
    from livedigits.synthetic.synth import render_page

    kept = on_digit = 0
    for seed in range(2):
        page = render_page(np.random.default_rng([4242, 100 + seed]), digit_height=32 + 8 * seed)
        found = find_candidates(page.image)
        judged = holdout_recognizer.judge(cut_cells(found))
        centres = page.boxes[:, :2] + page.boxes[:, 2:] / 2
        for (x, y, w, h), ok in zip(found.boxes, judged.is_digit, strict=True):
            inside = ((centres[:, 0] >= x) & (centres[:, 0] <= x + w)
                      & (centres[:, 1] >= y) & (centres[:, 1] <= y + h))
            if inside.sum() == 1:
                on_digit += 1
                kept += int(ok)
    assert on_digit >= 180
    assert kept >= 0.99 * on_digit, (kept, on_digit)


def test_a_page_of_printed_text_and_a_form_grid_gives_no_digit(holdout_recognizer):
    import cv2

    page = np.full((400, 900, 3), 245, np.uint8)
    rng = np.random.default_rng(17)
    for row in range(4):  # printed text, printed digits among it
        words = " ".join("".join(rng.choice(list("ABGKRXYZhkmnwx2479"), 5)) for _ in range(4))
        cv2.putText(page, words, (20, 50 + 40 * row), cv2.FONT_HERSHEY_DUPLEX, 1.0,
                    (30, 30, 30), 2, cv2.LINE_AA)
    for x in range(40, 880, 60):  # a row of form boxes
        cv2.rectangle(page, (x, 250), (x + 50, 320), (60, 60, 60), 2)
    detections = holdout_recognizer.recognize(page)
    assert len(detections) <= 4, detections


def test_every_kind_renders_cells_in_the_cell_form():
    for k, kind in enumerate(negatives.KINDS):
        cells = negatives.render(kind, 6, np.random.default_rng(k))
        assert cells.shape == (6, 20, 20) and cells.dtype == np.uint8
        assert (cells.reshape(6, -1).max(axis=1) > 100).all(), kind
    with pytest.raises(ValueError, match="kind must be one of"):
        negatives.render("nothing", 1, np.random.default_rng(0))
