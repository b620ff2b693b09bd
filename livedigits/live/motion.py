"""Where tracks go: the sheet's motion from frame to frame, and how boxes overlap.

A hand-held camera moves the whole sheet at once: shifted, turned and zoomed
together, so one similarity (rotation, uniform scale, shift) fitted to the tracks
matched between two frames predicts every digit better than each track's own
velocity does (a new track has none, a coasting one drifts). Fitted with RANSAC,
so digits matched wrongly or written while filmed do not bend it.
"""

from __future__ import annotations

import cv2
import numpy as np

from livedigits.recognize.layout import centres_within

LEAST_MATCHES = 4  # matched tracks needed to fit a similarity; fewer: their median shift
TOLERANCE = 0.25  # RANSAC's inlier distance, in digit heights


class SheetMotion:
    """The last frame-to-frame similarity of the sheet, assumed to continue.

    ``matrix`` is the (2, 3) float64 map of frame ``t - 1`` pixels to frame ``t``'s,
    or None before any frame pair was matched (then each track's velocity stands in).
    """

    def __init__(self) -> None:
        self.matrix: np.ndarray | None = None

    def reset(self) -> None:
        self.matrix = None

    def update(self, before: np.ndarray, after: np.ndarray, digit_height: float) -> None:
        """Fit the motion to (M, 2) centres ``before`` and ``after`` (px) of the tracks
        matched this frame; with fewer than LEAST_MATCHES their median shift, with none the
        last motion is kept."""
        before = np.asarray(before, np.float64).reshape(-1, 2)
        after = np.asarray(after, np.float64).reshape(-1, 2)
        if len(before) == 0:
            return
        if len(before) >= LEAST_MATCHES:
            matrix, _ = cv2.estimateAffinePartial2D(
                before, after, method=cv2.RANSAC,
                ransacReprojThreshold=max(1.0, TOLERANCE * digit_height))
            if matrix is not None and np.isfinite(matrix).all():
                self.matrix = matrix
                return
        shift = np.median(after - before, axis=0)
        self.matrix = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])

    def move(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) float64 boxes x, y, w, h carried one frame on by the motion: centres
        mapped, sizes scaled by its zoom. Unchanged before any motion is known."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        if self.matrix is None or len(boxes) == 0:
            return boxes.copy()
        centres = boxes[:, :2] + boxes[:, 2:] / 2
        moved = centres @ self.matrix[:, :2].T + self.matrix[:, 2]
        zoom = float(np.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))
        sizes = boxes[:, 2:] * zoom
        return np.concatenate([moved - sizes / 2, sizes], axis=1)


def _intersections(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersection areas (N, M) of every pair of boxes ``a`` (N, 4) and ``b`` (M, 4)
    (x, y, w, h), and the areas (N, 1) of ``a`` and (M,) of ``b``; float64."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    ax0, ay0 = a[:, 0:1], a[:, 1:2]
    ax1, ay1 = ax0 + a[:, 2:3], ay0 + a[:, 3:4]
    bx0, by0 = b[:, 0], b[:, 1]
    bx1, by1 = bx0 + b[:, 2], by0 + b[:, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    return iw * ih, a[:, 2:3] * a[:, 3:4], b[:, 2] * b[:, 3]


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box pair.

    Parameters
    ----------
    a : (N, 4) boxes x, y, w, h
    b : (M, 4) boxes x, y, w, h

    Returns
    -------
    (N, M) float64 in [0, 1]
    """
    inter, area_a, area_b = _intersections(a, b)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def covered(a: np.ndarray, b: np.ndarray, share: float) -> np.ndarray:
    """(N,) bool: boxes ``a`` (N, 4) of which some box of ``b`` (M, 4) overlaps at
    least ``share`` of the smaller of the two (x, y, w, h)."""
    inter, area_a, area_b = _intersections(a, b)
    smaller = np.minimum(area_a, area_b[None, :])
    return (inter >= share * np.maximum(smaller, 1e-9)).any(axis=1)


def pieces(boxes: np.ndarray, tracks: np.ndarray, match: np.ndarray, share: float,
           oversized: float) -> np.ndarray:
    """(N,) bool: candidates ``boxes`` (N, 4) that are pieces of a tracked digit -- under
    ``share`` of the height of the track box (``tracks`` (M, 4), where the tracks are
    predicted) they matched (``match`` (N,), -1 for none), or when unmatched of one
    holding their centre. A track over ``oversized`` typical track heights tall
    (touching digits) has digits for pieces, not fragments."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    whole = tracks[:, 3] <= oversized * float(np.median(tracks[:, 3]))
    out = np.zeros(len(b), bool)
    # A matched candidate is judged against its own track only: no (N, M) comparison
    # for the many that matched.
    matched = np.flatnonzero(match >= 0)
    own = match[matched]
    out[matched] = (b[matched, 3] < share * tracks[own, 3]) & whole[own]
    free = np.flatnonzero(match < 0)
    if len(free):
        inside = centres_within(b[free], tracks)
        short = b[free, 3:4] < share * tracks[None, :, 3]
        out[free] = (short & whole[None, :] & inside).any(axis=1)
    return out
