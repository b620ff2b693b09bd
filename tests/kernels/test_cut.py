"""The compiled cell cutter against its reference, ``normalise.normalise`` (OpenCV calls)."""

import cv2
import numpy as np
import pytest

from livedigits.kernels import cut
from livedigits.recognize import normalise, segment
from livedigits.synthetic.wild import render_scene


def _bits(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(h, w <= 128) 0/255 uint8 -> the kernel's two words a row."""
    padded = np.zeros((mask.shape[0], 128), bool)
    padded[:, :mask.shape[1]] = mask > 0
    weights = (np.uint64(1) << np.arange(64, dtype=np.uint64))
    lo = (padded[:, :64] * weights).sum(axis=1, dtype=np.uint64)
    hi = (padded[:, 64:] * weights).sum(axis=1, dtype=np.uint64)
    return lo, hi


def _unbits(lo: np.ndarray, hi: np.ndarray, w: int) -> np.ndarray:
    cols = np.arange(64, dtype=np.uint64)
    bits = np.concatenate([(lo[:, None] >> cols) & np.uint64(1),
                           (hi[:, None] >> cols) & np.uint64(1)], axis=1)
    return (bits[:, :w] * 255).astype(np.uint8)


@pytest.mark.parametrize("size", [2, 3, 4, 6, 9])
@pytest.mark.parametrize("width", [40, 72, 100])
def test_dilation_and_erosion_are_opencvs(size, width):
    rng = np.random.default_rng(size * width)
    mask = np.zeros((60, width), np.uint8)
    for _ in range(6):
        p0 = tuple(int(v) for v in rng.integers(0, (width, 60)))
        p1 = tuple(int(v) for v in rng.integers(0, (width, 60)))
        cv2.line(mask, p0, p1, 255, int(rng.integers(1, 9)))
    element = normalise.ellipse(size)
    lo, hi = _bits(mask)
    grown = _unbits(*cut.morph(lo, hi, width, element, True), width)
    thinned = _unbits(*cut.morph(lo, hi, width, element, False), width)
    np.testing.assert_array_equal(grown, cv2.dilate(mask, element))
    np.testing.assert_array_equal(thinned, cv2.erode(mask, element))


def test_stroke_width_is_the_references():
    mask = np.zeros((72, 72), np.uint8)
    cv2.putText(mask, "8", (14, 62), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 255, 3)
    lo, hi = _bits(mask)
    assert cut.stroke_width(lo, hi, 72) == pytest.approx(normalise.stroke_width(mask))


@pytest.mark.parametrize("resize", [cv2.INTER_AREA, cv2.INTER_LINEAR])
def test_resizes_follow_opencv_to_a_gray_level(resize):
    rng = np.random.default_rng(5)
    src = cv2.GaussianBlur((rng.random((47, 31)) * 255).astype(np.uint8), (5, 5), 0)
    size = (19, 29) if resize == cv2.INTER_AREA else (56, 83)
    ours = cut.to_levels(cut.resize(src.astype(np.float32), size[1], size[0]))
    theirs = cv2.resize(src, size, interpolation=resize)
    assert np.abs(ours.astype(int) - theirs).max() <= 1


def test_cells_agree_with_the_reference_and_read_the_same():
    """Fine pens, markers and small gray digits: the cells differ from OpenCV's by a
    rounding here and there, and the recognizer reads them alike."""
    from livedigits.recognize.recognizer import Recognizer

    rng = np.random.default_rng(11)
    ref, ours = [], []
    for height, stroke in ((18, 0.8), (30, 1.0), (60, 3.0), (100, 12.0)):
        scene = render_scene(rng, width=960, height=640, desk=0.2, digit_height=height,
                             n_digits=24, stroke=stroke, ink_level=90)
        found = segment.find_candidates(scene.image)
        assert len(found) >= 8
        ref += [normalise.normalise(normalise.patch_of(found, found.extents[k], found.members[k]))
                for k in range(len(found))]
        ours.append(normalise.normalise_all(found.dark, found.labels, found.extents,
                                            found.members))
    ref, ours = np.stack(ref), np.concatenate(ours)
    diff = np.abs(ref.astype(int) - ours.astype(int))
    assert diff.mean() < 0.2
    assert (diff.max(axis=(1, 2)) <= 2).mean() >= 0.7
    recognizer = Recognizer.load()
    from livedigits.training.cells import deskew

    a = recognizer.classify(deskew(ref))[0]
    b = recognizer.classify(deskew(ours))[0]
    assert (a == b).mean() >= 0.98
