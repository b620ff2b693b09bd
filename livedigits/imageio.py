"""Reading and writing images with one-line errors that name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError

MAX_PIXELS = 400_000_000  # beyond this a file is refused rather than decoded


def read_image(path: str | Path) -> np.ndarray:
    """Decode an image file as-is: (H, W), (H, W, 3) BGR or (H, W, 4) BGRA, uint8 or uint16.

    Raises LivedigitsError naming the file for anything that is not a readable image.
    """
    import cv2

    path = Path(path)
    if not path.exists():
        raise LivedigitsError(f"{path}: no such file")
    if path.is_dir():
        raise LivedigitsError(f"{path}: is a directory; pass the image files inside it")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read ({exc.strerror})") from None
    if size == 0:
        raise LivedigitsError(f"{path}: empty file")
    try:
        data = np.fromfile(str(path), np.uint8)
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        raise LivedigitsError(
            f"{path}: not a readable image (damaged, truncated or not PNG/JPEG/TIFF/BMP/PNM)"
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise LivedigitsError(f"{path}: unsupported image layout {image.shape}")
    if image.dtype not in (np.uint8, np.uint16):
        image = np.clip(image, 0, None)
        peak = float(image.max()) or 1.0
        image = (image.astype(np.float32) * (255.0 / peak)).astype(np.uint8)
    return image


def to_uint8(image: np.ndarray) -> np.ndarray:
    """8 bits per channel: deeper images scaled so their brightest value is 255.

    Scaling by the maximum rather than dropping the low byte keeps 10- and 12-bit
    data (stored in 16-bit containers) visible and readable.
    """
    if image.dtype == np.uint8:
        return image
    peak = max(float(image.max()), 1.0)
    return (image.astype(np.float32) * (255.0 / peak)).astype(np.uint8)


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Any image read_image returns as (H, W, 3) uint8 BGR (alpha composited on white)."""
    import cv2

    image = to_uint8(image)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255
        return (image[:, :, :3].astype(np.float32) * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return image


def encode_png(image: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise LivedigitsError("cannot encode image as PNG")
    return data.tobytes()
