"""The Python API: what it accepts, what it refuses and how it says so."""

from __future__ import annotations

import numpy as np
import pytest

from livedigits import LivedigitsError, Recognizer
from livedigits.synthetic.synth import render_page


@pytest.fixture(scope="module")
def page():
    return render_page(np.random.default_rng(4), width=480, height=240, digit_height=36,
                       n_digits=12, faint_text=False, perspective=0.0)


@pytest.mark.parametrize("image, error, words", [
    (None, TypeError, "image is None (cv2.imread returns None"),
    ([[0, 255], [255, 0]], TypeError, "got list"),
    (b"\x89PNG", TypeError, "image is bytes"),
    (np.zeros((0, 0), np.uint8), ValueError, "image is empty (shape (0, 0))"),
    (np.zeros((10, 0, 3), np.uint8), ValueError, "image is empty"),
    (np.zeros(100, np.uint8), ValueError, "got (100,)"),
    (np.zeros((10, 10, 2), np.uint8), ValueError, "got (10, 10, 2)"),
    (np.zeros((2, 10, 10, 3), np.uint8), ValueError, "got (2, 10, 10, 3)"),
    (np.zeros((10, 10), np.int64), TypeError, "got int64"),
    (np.zeros((10, 10), bool), TypeError, "got bool"),
    (np.full((10, 10), 200.0), ValueError, "values in [0, 1], got 200..200"),
])
def test_what_is_not_an_image_is_refused_naming_it(holdout_recognizer, image, error, words):
    with pytest.raises(error) as raised:
        holdout_recognizer.recognize(image)
    assert words in str(raised.value)
    with pytest.raises(error):
        holdout_recognizer.read(image)


def test_a_path_reads_as_its_image_does(holdout_recognizer, page, tmp_path):
    import cv2

    path = tmp_path / "page.png"
    cv2.imwrite(str(path), page.image)
    from_array = holdout_recognizer.recognize(page.image)
    assert len(from_array) >= 10
    assert holdout_recognizer.recognize(str(path)) == from_array
    assert holdout_recognizer.read(path).text == holdout_recognizer.read(page.image).text
    with pytest.raises(LivedigitsError, match="missing.png: no such file"):
        holdout_recognizer.recognize(tmp_path / "missing.png")


def test_other_forms_of_one_image_read_alike(holdout_recognizer, page):
    import cv2

    gray = cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
    expected = holdout_recognizer.read(gray).text
    assert holdout_recognizer.read(gray[:, :, None]).text == expected
    assert holdout_recognizer.read(gray.astype(np.float32) / 255).text == expected
    assert holdout_recognizer.read(np.asfortranarray(gray)).text == expected
    # Anything exposing the array interface (a PIL image does) is taken as its array.
    assert holdout_recognizer.read(_ArrayLike(gray)).text == expected


class _ArrayLike:
    def __init__(self, array):
        self.__array_interface__ = array.__array_interface__
        self._keep = array


def test_tiny_images_read_as_no_digits(holdout_recognizer):
    for shape in [(1, 1), (3, 2), (1, 500), (20, 20, 3)]:
        assert holdout_recognizer.recognize(np.full(shape, 255, np.uint8)) == []


def test_load_takes_min_confidence_and_checks_it(holdout_recognizer, page):
    from livedigits.training.model import ModelParams

    strict = Recognizer.load(params=ModelParams(holdout=True), min_confidence=1.0)
    assert strict.min_confidence == 1.0
    assert strict.model is not None
    unsure = {i for i, d in enumerate(strict.recognize(page.image)) if d.confidence < 1.0}
    text = strict.read(page.image).text.replace(" ", "").replace("\n", "")
    assert {i for i, c in enumerate(text) if c == "?"} == unsure
    for wrong, error in [(1.5, ValueError), (-0.1, ValueError), ("0.5", TypeError),
                         (None, TypeError)]:
        with pytest.raises(error, match="min_confidence"):
            Recognizer.load(min_confidence=wrong)
    with pytest.raises(TypeError, match="profile must be a str or Path, got int"):
        Recognizer.load(3)


def test_reprs_say_what_they_hold(holdout_recognizer, page):
    assert repr(holdout_recognizer).startswith("Recognizer(default model, ")
    assert "min_confidence=0.6" in repr(holdout_recognizer)
    reading = holdout_recognizer.read(page.image)
    assert repr(reading) == (f"Reading(text={reading.text!r}, {len(reading.detections)} "
                             f"detections, {len(reading.lines)} lines)")
    d = reading.detections[0]
    assert repr(d) == (f"Detection(x={d.x}, y={d.y}, w={d.w}, h={d.h}, digit={d.digit}, "
                       f"confidence={d.confidence:.3f})")


def test_the_package_is_typed():
    from importlib.resources import files

    assert files("livedigits").joinpath("py.typed").is_file()
