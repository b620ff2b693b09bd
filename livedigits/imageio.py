"""Reading and writing images with one-line errors that name the file."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.imageheader import read_header, with_orientation
from livedigits.limits import regular_file

# The files read as images wherever a folder is listed (batch folders, watched folders).
IMAGE_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".bmp", ".dib",
    ".pnm", ".pbm", ".pgm", ".ppm", ".webp", ".jp2",
})
MAX_PIXELS = 150_000_000  # a larger image is refused (JPEG: read reduced) before decoding
MAX_FILE_BYTES = 1 << 30  # an image file larger than this is refused unread
_REDUCED = ((2, "IMREAD_REDUCED_{}_2"), (4, "IMREAD_REDUCED_{}_4"), (8, "IMREAD_REDUCED_{}_8"))

os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))  # formats not parsed here


@dataclass
class Decoded:
    """An image as read: ``image`` upright (as viewers show it), ``scale`` what its
    pixels are of the file's (1.0, or 1/2, 1/4, 1/8 for a large JPEG read reduced) and
    ``size`` the upright ``(width, height)`` of the file itself."""

    image: np.ndarray
    scale: float
    size: tuple[int, int]


def read_image(path: str | Path, *, max_pixels: int | None = None) -> np.ndarray:
    """Decode an image file upright: (H, W) gray, (H, W, 3) BGR (alpha composited on
    white), uint8 or uint16; a JPEG over ``max_pixels`` (default ``MAX_PIXELS``) read
    reduced (``decode_file`` says by how much).

    Raises LivedigitsError naming the file for anything that is not a readable image,
    and for one over ``max_pixels`` pixels that cannot be read reduced.
    """
    return decode_file(path, max_pixels=max_pixels).image


def decode_file(path: str | Path, *, max_pixels: int | None = None) -> Decoded:
    """``read_image`` with the scale and the file's own size (see Decoded).

    The size is read from the header before decoding: over ``max_pixels`` a JPEG is
    decoded at 1/2, 1/4 or 1/8 (libjpeg scales while decoding, so the full size is
    never in memory), anything else refused with a message naming size and limit. The
    EXIF orientation (JPEG, TIFF, PNG eXIf) is applied; non-finite float pixels are
    treated as missing (paper).
    """
    import cv2


    max_pixels = MAX_PIXELS if max_pixels is None else max_pixels
    path = Path(path)
    if not path.exists():
        raise LivedigitsError(f"{path}: no such file")
    if path.is_dir():
        raise LivedigitsError(f"{path}: is a directory; pass the image files inside it")
    regular_file(path, "image file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read ({exc.strerror})") from None
    if size == 0:
        raise LivedigitsError(f"{path}: empty file")
    if size > MAX_FILE_BYTES:
        raise LivedigitsError(f"{path}: {size / 2**20:.0f} MB, over the "
                              f"{MAX_FILE_BYTES >> 20} MB limit for an image file")
    try:
        data = np.fromfile(str(path), np.uint8)
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read ({exc.strerror})") from None
    header = read_header(memoryview(data))
    flags, scale = cv2.IMREAD_UNCHANGED, 1.0
    if header is not None and header.pixels > max_pixels:
        over = (f"{path}: {header.width}x{header.height} pixels "
                f"({header.pixels / 1e6:.0f} MP) is over the {max_pixels / 1e6:.0f} MP limit")
        if header.kind != "jpeg":
            raise LivedigitsError(f"{over}; scale it down (300 dpi is plenty) and try again")
        for factor, name in _REDUCED:
            if header.pixels / factor**2 <= max_pixels:
                colour = "GRAYSCALE" if header.channels == 1 else "COLOR"
                flags, scale = getattr(cv2, name.format(colour)), 1.0 / factor
                break
        else:
            raise LivedigitsError(f"{over}, even at 1/8; scale it down and try again")
    try:
        image = cv2.imdecode(data, flags)
    except cv2.error:
        image = None
    del data
    if image is None or image.size == 0:
        if header is not None and header.pixels > 10_000_000:
            raise LivedigitsError(f"{path}: cannot be decoded ({header.width}x{header.height} "
                                  "pixels: damaged, or more than the memory available holds)")
        raise LivedigitsError(
            f"{path}: not a readable image (damaged, truncated or not PNG/JPEG/TIFF/BMP/PNM)"
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise LivedigitsError(f"{path}: unsupported image layout {image.shape}")
    if image.dtype not in (np.uint8, np.uint16):
        image = _float_to_uint8(image)
    if image.ndim == 3 and image.shape[2] == 4:
        image = flatten_alpha(image)
    if flags == cv2.IMREAD_UNCHANGED and header is not None and header.orientation != 1 \
            and not decoder_turns(header.kind):
        # IMREAD_UNCHANGED keeps the stored orientation (the reduced reads apply it)
        image = upright(image, header.orientation)
    width, height = image.shape[1], image.shape[0]
    if scale != 1.0 and header is not None:
        turned = header.orientation >= 5
        width, height = (header.height, header.width) if turned else (header.width,
                                                                      header.height)
    return Decoded(image, scale, (int(width), int(height)))


@functools.cache
def decoder_turns(kind: str) -> bool:
    """Whether OpenCV's decoder for ``kind`` (``"jpeg"``, ``"png"``, ``"tiff"``) applies
    the EXIF orientation itself even with IMREAD_UNCHANGED (OpenCV 5's TIFF decoder
    does, its JPEG and PNG decoders do not): found out once, on a 2x1 image."""
    import cv2


    suffix = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif"}.get(kind)
    if suffix is None:
        return False
    ok, data = cv2.imencode(suffix, np.zeros((1, 2), np.uint8))
    probe = cv2.imdecode(np.frombuffer(with_orientation(data.tobytes(), 6), np.uint8),
                         cv2.IMREAD_UNCHANGED) if ok else None
    return probe is not None and probe.shape[:2] == (2, 1)


def upright(image: np.ndarray, orientation: int) -> np.ndarray:
    """``image`` as stored turned as EXIF ``orientation`` (1-8) says viewers show it
    (the same turns as OpenCV's IMREAD_COLOR applies)."""
    import cv2

    if orientation in (5, 6, 7, 8):
        image = cv2.transpose(image)
    flip = {2: 1, 3: -1, 4: 0, 6: 1, 7: -1, 8: 0}.get(orientation)
    return image if flip is None else cv2.flip(image, flip)


def _float_to_uint8(image: np.ndarray) -> np.ndarray:
    """A float (or other) image as uint8, its brightest finite value 255; NaN and
    infinite pixels take the image's median (missing samples, not ink or glare)."""
    image = image.astype(np.float32, copy=False)
    finite = np.isfinite(image)
    if not finite.all():
        fill = float(np.median(image[finite])) if finite.any() else 0.0
        image = np.where(finite, image, np.float32(fill))
    image = np.clip(image, 0, None)
    peak = float(image.max()) or 1.0
    return (image * (255.0 / peak)).astype(np.uint8)


def flatten_alpha(image: np.ndarray) -> np.ndarray:
    """(H, W, 4) BGRA uint8 or uint16 composited over white as (H, W, 3), in bands of
    rows with integer arithmetic, so memory is the output plus a band."""
    top = 65535 if image.dtype == np.uint16 else 255
    out = np.empty(image.shape[:2] + (3,), image.dtype)
    rows = max(1, (1 << 22) // max(1, image.shape[1]))
    for start in range(0, image.shape[0], rows):
        band = image[start:start + rows].astype(np.uint32 if top == 65535 else np.uint16)
        alpha = band[:, :, 3:4]
        out[start:start + rows] = (band[:, :, :3] * alpha + top * (top - alpha) + top // 2) // top
    return out


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
        return flatten_alpha(image)
    return image


def encode_png(image: np.ndarray) -> bytes:
    import cv2

    try:
        ok, data = cv2.imencode(".png", image)
    except cv2.error:
        ok = False
    if not ok:
        raise LivedigitsError("cannot encode image as PNG")
    return data.tobytes()
