"""Drawing results: the overlay (boxes and numbers on the image) and the plain image."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from livedigits.recognize.recognizer import Detection

BOX = (0, 200, 0)  # green, BGR
NUMBER = (255, 0, 0)  # blue
UNSURE = (0, 140, 255)  # orange: below --min-confidence
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _font_scale(height_px: float) -> float:
    """cv2 font scale whose digits are about ``height_px`` tall."""
    return max(0.3, height_px / 22.0)


def overlay(image: np.ndarray, detections: Sequence[Detection], *,
            min_confidence: float = 0.6) -> np.ndarray:
    """Boxes and numbers drawn on a copy of ``image``.

    Parameters
    ----------
    image : (H, W, 3) uint8 BGR
    detections : boxes in the image's pixels

    Returns
    -------
    (H, W, 3) uint8 BGR: a green box per digit with its number in blue above it;
    a digit under ``min_confidence`` gets an orange box and ``?`` beside the number.
    Boxes are drawn just outside the digit's box, so they never cover its strokes.
    """
    out = image.copy()
    scale_ref = max(image.shape[:2]) / 1000.0
    thickness = max(1, round(2 * scale_ref))
    pad = thickness // 2 + 1  # cv2 centres the line on the rectangle: keep it off the ink
    for d in detections:
        unsure = d.confidence < min_confidence
        colour = UNSURE if unsure else BOX
        cv2.rectangle(out, (d.x - pad, d.y - pad), (d.x + d.w - 1 + pad, d.y + d.h - 1 + pad),
                      colour, thickness)
        label = f"{d.digit}?" if unsure else str(d.digit)
        size = max(12.0, 0.45 * d.h)
        scale = _font_scale(size)
        weight = max(1, round(scale * 1.6))
        (tw, th), _ = cv2.getTextSize(label, FONT, scale, weight)
        ty = d.y - 4 if d.y - 4 - th >= 0 else min(image.shape[0] - 2, d.y + d.h + th + 4)
        cv2.putText(out, label, (d.x, ty), FONT, scale, UNSURE if unsure else NUMBER, weight,
                    cv2.LINE_AA)
    return out


def plain(shape: tuple[int, ...], detections: Sequence[Detection], *,
          min_confidence: float = 0.6) -> np.ndarray:
    """The numbers alone, in black on white, where they stood.

    Parameters
    ----------
    shape : (H, W, ...) of the source image

    Returns
    -------
    (H, W, 3) uint8 BGR white page; a digit under ``min_confidence`` shows its best
    guess in orange with a smaller orange ``?`` after it.
    """
    h, w = shape[:2]
    out = np.full((h, w, 3), 255, np.uint8)
    for d in detections:
        unsure = d.confidence < min_confidence
        label = str(d.digit)
        scale = _font_scale(0.8 * d.h)
        weight = max(1, round(scale * 2))
        (tw, th), _ = cv2.getTextSize(label, FONT, scale, weight)
        x = d.x + (d.w - tw) // 2
        y = d.y + (d.h + th) // 2
        colour = UNSURE if unsure else (0, 0, 0)
        cv2.putText(out, label, (x, y), FONT, scale, colour, weight, cv2.LINE_AA)
        if unsure:  # the mark: a half-size '?' at the digit's top right
            small = max(0.3, scale / 2)
            cv2.putText(out, "?", (x + tw + max(1, weight // 2), y - th // 2), FONT, small,
                        UNSURE, max(1, weight // 2), cv2.LINE_AA)
    return out
