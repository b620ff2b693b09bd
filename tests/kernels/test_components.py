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
