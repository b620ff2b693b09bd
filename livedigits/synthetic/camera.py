"""The camera and its light: a light field, motion smear, blur, sensor noise and JPEG.

Works on frames in frame pixels: scenes (H, W, 3) float32 BGR in, uint8 BGR out.
"""

from __future__ import annotations

import cv2
import numpy as np


def light_field(rng: np.random.Generator | None, width: int, height: int, falloff: float,
                centre: tuple[float, float] | None = None) -> np.ndarray:
    """Illumination (height, width) float32 in [1 - falloff, 1]: a gradient plus a
    vignette, the brightest spot at ``centre`` (frame pixels) or, drawn from ``rng``,
    random."""
    if falloff <= 0:
        return np.ones((height, width), np.float32)
    scale = max(1, max(width, height) // 256)  # smooth: compute small, resize
    h, w = max(2, height // scale), max(2, width // scale)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy = yy * height / h
    xx = xx * width / w
    if centre is None:
        centre = (rng.uniform(-0.2, 1.2) * width, rng.uniform(-0.2, 1.2) * height)
    diag = np.hypot(width, height)
    gradient = np.hypot(xx - centre[0], yy - centre[1]) / diag
    vignette = ((xx - width / 2) ** 2 + (yy - height / 2) ** 2) / (diag / 2) ** 2
    field = 0.65 * gradient + 0.35 * vignette
    field /= max(float(field.max()), 1e-6)
    small = 1.0 - falloff * field
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def motion_kernel(motion: tuple[float, float]) -> np.ndarray | None:
    """The smear of a view that moved ``motion`` (dx, dy) px during the exposure: an
    (s, s) float32 line kernel summing to 1, or None for a move under 1.5 px."""
    length = float(np.hypot(*motion))
    if length < 1.5:
        return None
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = motion[0] / length * length / 2, motion[1] / length * length / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1,
             cv2.LINE_AA)
    return kernel / kernel.sum()


def wholly_inside(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N,) bool: which boxes (N, 4) x, y, w, h lie wholly inside a width x height view."""
    return (boxes[:, 0] >= 0) & (boxes[:, 1] >= 0) & \
        (boxes[:, 0] + boxes[:, 2] <= width) & (boxes[:, 1] + boxes[:, 3] <= height)


def camera(image: np.ndarray, rng: np.random.Generator, light: np.ndarray, blur: float,
            noise: float, jpeg_quality: int | None,
            motion: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Light, optics and sensor on a (H, W, 3) float32 scene: uint8 BGR (H, W, 3)."""
    image *= light[:, :, None]
    kernel = motion_kernel(motion)
    if kernel is not None:
        image = cv2.filter2D(image, -1, kernel)
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    if noise:
        # Shot noise grows in the dark; a little independent colour noise on top.
        cv2.setRNGSeed(int(rng.integers(2**31)))  # cv2's generator is much faster
        luma = np.empty(image.shape[:2], np.float32)
        cv2.randn(luma, 0.0, 1.0)
        luma *= noise * (1.6 - 0.6 * light)
        image += luma[:, :, None]
        colour = np.empty(image.shape, np.float32)
        cv2.randn(colour, 0.0, 0.4 * noise)
        image += colour
    out = np.clip(image, 0, 255).astype(np.uint8)
    if jpeg_quality:
        _, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        out = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return out
