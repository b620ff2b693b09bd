"""One image file in, its reading and its overlay/plain images out."""

from __future__ import annotations

from pathlib import Path

from livedigits.errors import LivedigitsError
from livedigits.recognizer import Recognizer


def reading_dict(path: Path | str, image_shape: tuple[int, ...], reading) -> dict:
    """The ``image --json`` object (DESIGN.md section 3) for one reading."""
    return {
        "image": str(path),
        "width": int(image_shape[1]),
        "height": int(image_shape[0]),
        "text": reading.text,
        "detections": [d.to_dict() for d in reading.detections],
    }


def save_renderings(image, reading, stem: str, out_dir: Path, min_confidence: float, *,
                    overwrite: bool = False) -> dict:
    """Write ``STEM_overlay.png`` and ``STEM_digits.png`` into ``out_dir`` atomically.

    Existing files are never replaced (a taken name gets ``-1``, ``-2``, ...) unless
    ``overwrite`` (a batch's retried image must leave the same files).
    Returns ``{"overlay": path, "digits": path}`` of what was written.
    """
    from livedigits.atomic import free_number, numbered, write_bytes_atomic
    from livedigits.imageio import encode_png, to_bgr8
    from livedigits.render import overlay, plain

    bgr = to_bgr8(image)
    names = [out_dir / f"{stem}_overlay.png", out_dir / f"{stem}_digits.png"]
    if not overwrite:  # one suffix for the pair, even if only one of them was taken
        number = free_number(names)
        names = [numbered(name, number) for name in names]
    try:
        over = write_bytes_atomic(
            names[0],
            encode_png(overlay(bgr, reading.detections, min_confidence=min_confidence)),
            overwrite=overwrite)
        flat = write_bytes_atomic(
            names[1],
            encode_png(plain(bgr.shape, reading.detections, min_confidence=min_confidence)),
            overwrite=overwrite)
    except OSError as exc:
        raise LivedigitsError(f"{out_dir}: cannot write results ({exc.strerror or exc})") from None
    return {"overlay": str(over), "digits": str(flat)}


def _scaled(detection: dict, factor: float) -> dict:
    """A detection dict with its box multiplied by ``factor``."""
    return {**detection, **{key: int(round(detection[key] * factor))
                            for key in ("x", "y", "w", "h")}}


def process_file(recognizer: Recognizer, path: Path, *, out_dir: Path | None,
                 name: str | None = None, stem: str | None = None,
                 overwrite: bool = False) -> dict:
    """Read one image file; with ``out_dir`` also write its overlay and plain image.

    ``name`` is the ``"image"`` value (default: ``path``), ``stem`` the renderings'
    file stem (default: the file's), ``overwrite`` as in ``save_renderings``.
    Returns the ``image --json`` object, plus ``overlay``/``digits`` paths when written.
    Raises LivedigitsError naming the file when it cannot be read.
    """
    from livedigits.imageio import decode_file

    decoded = decode_file(path)
    image = decoded.image
    try:
        reading = recognizer.read(image)
    except MemoryError:
        raise LivedigitsError(f"{path}: too large to process in memory") from None
    width, height = decoded.size
    result = reading_dict(path if name is None else name, (height, width), reading)
    if decoded.scale != 1.0:  # read reduced: boxes in the file's own pixels
        result["detections"] = [_scaled(d, 1.0 / decoded.scale) for d in result["detections"]]
    if out_dir is not None:
        result.update(save_renderings(image, reading, stem or Path(path).stem, Path(out_dir),
                                      recognizer.min_confidence, overwrite=overwrite))
    return result
