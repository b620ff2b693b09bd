"""Centre lines of digit masks, for redrawing digits with an even-width pen.

MNIST's strokes swell and thin; ballpoints and markers do not. Redrawing a digit
along its centre line with a round pen gives the pen's look. Thinning alone
loses loops that MNIST's bold writers filled in (a 6 or 9 whose loop is a
blob thins to a line, and reads as a 1), so a blob much wider than the digit's
stroke is drawn as the ring around it instead: the loop its writer drew.
"""

from __future__ import annotations

import cv2
import numpy as np

from livedigits.kernels.thinning import thin

#: A blob is a filled loop when its half-width reaches this many stroke half-widths.
FILLED_LOOP = 2.2


def centre_lines(masks: np.ndarray) -> np.ndarray:
    """One-pixel centre lines of (N, H, W) bool masks: (N, H, W) uint8 0/1.

    Filled loops (see the module docstring) come back as rings.
    """
    lines = thin(np.pad(masks, ((0, 0), (1, 1), (1, 1))))[:, 1:-1, 1:-1]
    for mask, line in zip(masks, lines, strict=True):
        _ring_filled_loops(mask, line)
    return lines


def _disk(radius: float) -> np.ndarray:
    r = max(1, round(radius))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _ring_filled_loops(mask: np.ndarray, line: np.ndarray) -> None:
    """Replace the centre line inside filled loops of ``mask`` (H, W) by rings, in place."""
    ink = mask.astype(np.uint8)
    dist = cv2.distanceTransform(np.pad(ink, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    on_line = dist[line > 0]
    if on_line.size == 0:
        return
    # The 30th percentile along the centre line: the stroke, not its blobs.
    half_width = float(np.percentile(on_line, 30))
    if half_width <= 0 or dist.max() < FILLED_LOOP * half_width:
        return
    core = (dist > 0.85 * FILLED_LOOP * half_width).astype(np.uint8)
    blob = cv2.dilate(core, _disk(2 * half_width)) & ink
    inner = cv2.erode(blob, _disk(half_width))
    ring = inner - cv2.erode(inner, np.ones((3, 3), np.uint8))
    line[cv2.erode(blob, _disk(0.5 * half_width)) > 0] = 0
    np.maximum(line, ring, out=line)
