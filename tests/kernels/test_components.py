"""kernels.components and its numpy twin: OpenCV's stats with each component's peak."""

import cv2
import numpy as np
import pytest

from livedigits.kernels.components import stats_and_peaks
from livedigits.kernels.reference import stats_and_peaks_numpy

BOTH = pytest.mark.parametrize("stats_and_peaks", [stats_and_peaks, stats_and_peaks_numpy],
                               ids=["kernel", "numpy"])


@BOTH
def test_stats_match_opencv_and_peaks_match_numpy(stats_and_peaks):
    rng = np.random.default_rng(3)
    mask = (rng.random((120, 200)) > 0.7).astype(np.uint8)
    mask[10:40, 50:52] = 1
    values = rng.integers(0, 256, mask.shape).astype(np.uint8)
    count, labels, expected, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    stats, peak = stats_and_peaks(labels, values, count)
    assert np.array_equal(stats[1:], expected[1:])
    assert stats[0].tolist() == [0, 0, 0, 0, 0]  # the background is skipped
    for label in range(1, count):
        assert peak[label] == values[labels == label].max()


@BOTH
def test_labels_with_no_pixels_get_empty_boxes(stats_and_peaks):
    labels = np.zeros((4, 4), np.int32)
    labels[1, 1] = 2
    stats, peak = stats_and_peaks(labels, np.full((4, 4), 9, np.uint8), 3)
    assert stats[1].tolist() == [0, 0, 0, 0, 0]
    assert stats[2].tolist() == [1, 1, 1, 1, 1] and peak[2] == 9


def test_owned_ink_and_edges_kernel_matches_its_twin():
    from livedigits.kernels.components import owned_ink_and_edges
    from livedigits.kernels.reference import owned_ink_and_edges_numpy

    rng = np.random.default_rng(4)
    mask = (rng.random((90, 140)) > 0.6).astype(np.uint8)
    count, labels = cv2.connectedComponents(mask, connectivity=8, ltype=cv2.CV_32S)
    # Every label in a group or none; those in the top-left corner in group 2.
    owner = rng.integers(-1, 2, count).astype(np.int32)
    owner[np.unique(labels[:15, :15])] = 2
    owner[0] = -1
    # Boxes inside, across the image's edge and empty.
    boxes = np.array([[0, 0, 140, 90], [30, 20, 70, 60], [-5, -5, 20, 20], [10, 10, 10, 30]],
                     np.int64)
    area = np.zeros(len(boxes), np.int64)
    edge = np.zeros(len(boxes), np.int64)
    owned_ink_and_edges(labels, owner, boxes, area, edge)
    want_area, want_edge = owned_ink_and_edges_numpy(labels, owner, boxes)
    assert area.tolist() == want_area.tolist() and edge.tolist() == want_edge.tolist()
    assert area[3] == 0 and (edge <= area).all() and (area[:3] > 0).all()
    assert (edge < area).any()  # some pixels inside a group's ink


@pytest.mark.parametrize("width", [2, 3, 5, 8])
def test_stroke_width_of_a_drawn_ring_and_bar_is_their_pen(width):
    from livedigits.kernels.components import stroke_widths

    mask = np.zeros((200, 300), np.uint8)
    cv2.circle(mask, (70, 100), 50, 1, width)
    cv2.line(mask, (180, 40), (260, 160), 1, width)
    count, labels = cv2.connectedComponents(mask, connectivity=8, ltype=cv2.CV_32S)
    assert count == 3
    owner = np.full(3, -1, np.int32)
    owner[labels[100, 20 - width // 2: 20 + width].max()] = 0  # the ring's left side
    owner[labels[:, 150:].max()] = 1  # the bar
    boxes = np.array([[0, 0, 150, 200], [150, 0, 300, 200]])
    measured = stroke_widths(labels, owner, boxes)
    # The pen's width as drawn: ink over the length of the centre line.
    drawn = np.array([mask[:, :150].sum() / (2 * np.pi * 50),
                      mask[:, 150:].sum() / np.hypot(80, 120)])
    assert np.all(np.abs(measured - drawn) <= 0.2 * drawn), (measured, drawn)
    dot = np.zeros((40, 40), np.uint8)
    cv2.circle(dot, (20, 20), 8, 1, -1)  # a blot: about two of its "strokes" across
    _, dot_labels = cv2.connectedComponents(dot, connectivity=8, ltype=cv2.CV_32S)
    blot = stroke_widths(dot_labels, np.array([-1, 0], np.int32), np.array([[0, 0, 40, 40]]))
    assert 17 / blot[0] < 3
    nothing = stroke_widths(dot_labels, np.array([-1, 0], np.int32), np.array([[0, 0, 5, 5]]))
    assert nothing[0] == np.inf  # no ink in the box: no width to measure


@pytest.mark.parametrize("width", [16, 37, 203])
def test_sparse_ink_at_the_ends_of_runs_and_rows(width):
    """The kernel passes over runs of background 16 px at a time: marks on a run's first
    and last pixel, and in a row's ragged end, all count."""
    rng = np.random.default_rng(width)
    mask = np.zeros((30, width), np.uint8)
    for c in {0, 15, 16, 31, 32, width - 2, width - 1} & set(range(width)):
        mask[rng.integers(0, 30), c] = 1
    mask[5:9, width - 3:] = 1
    values = rng.integers(0, 256, mask.shape).astype(np.uint8)
    count, labels, expected, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    stats, peak = stats_and_peaks(labels, values, count)
    assert np.array_equal(stats[1:], expected[1:])
    for label in range(1, count):
        assert peak[label] == values[labels == label].max()
