"""One image file in, its reading and its overlay/plain images out."""

from __future__ import annotations

from pathlib import Path

from livedigits.errors import LivedigitsError
from livedigits.imageio import decode_file, encode_png, to_bgr8
from livedigits.recognize.recognizer import Recognizer
from livedigits.records import image_record


class TemporaryFailure(LivedigitsError):
    """A failure a rerun may not meet (a full disk, an I/O error while saving, a lost
    cluster): a batch marks its line ``"temporary": true`` and tries it again."""


def save_renderings(image, reading, stem: str, out_dir: Path, min_confidence: float, *,
                    overwrite: bool = False) -> dict:
    """Write ``STEM_overlay.png`` and ``STEM_digits.png`` into ``out_dir`` atomically.

    Existing files are never replaced (a taken name gets ``-1``, ``-2``, ..., one
    suffix for the pair even with other processes saving into the folder at the same
    time) unless ``overwrite`` (a batch's retried image must leave the same files).
    Both or neither: when one cannot be written the other is removed.
    Returns ``{"overlay": path, "digits": path}``; raises TemporaryFailure naming the
    folder when writing fails.
    """
    import cv2

    from livedigits.atomic import claim_together, write_bytes_atomic
    from livedigits.render import overlay, plain

    names = [out_dir / f"{stem}_overlay.png", out_dir / f"{stem}_digits.png"]
    try:
        bgr = to_bgr8(image)
        data = [encode_png(overlay(bgr, reading.detections, min_confidence=min_confidence)),
                encode_png(plain(bgr.shape, reading.detections, min_confidence=min_confidence))]
    except (LivedigitsError, MemoryError, cv2.error):
        raise LivedigitsError(f"{names[0]}: the overlay and plain image cannot be drawn or "
                              "encoded (more than the memory available holds?)") from None
    del bgr
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if not overwrite:
            names = claim_together(names)
        made = [] if overwrite else list(names)  # ours to remove if the pair fails
        try:
            for name, blob in zip(names, data, strict=True):
                write_bytes_atomic(name, blob)
                if overwrite:
                    made.append(name)
        except BaseException:
            for name in made:
                name.unlink(missing_ok=True)
            raise
    except LivedigitsError:
        raise  # a link or special file in the way: not temporary
    except OSError as exc:
        raise TemporaryFailure(f"{out_dir}: cannot write results ({exc.strerror or exc})"
                               ) from None
    return {"overlay": str(names[0]), "digits": str(names[1])}


def read_pixels(recognizer: Recognizer, image, name: Path | str):
    """``recognizer.read(image)``, with running out of memory (numpy's MemoryError,
    OpenCV's allocation errors) a LivedigitsError naming ``name``."""
    import cv2

    try:
        return recognizer.read(image)
    except MemoryError:
        raise LivedigitsError(f"{name}: too large to process in memory") from None
    except cv2.error as exc:
        text = str(exc).lower()
        what = ("too large to process in memory" if "memory" in text or "alloc" in text
                else f"OpenCV failed on it ({exc.err})")
        raise LivedigitsError(f"{name}: {what}") from None


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
    Raises LivedigitsError naming the file when it cannot be read; when only the
    renderings cannot be written, the error carries the reading as ``.reading``.
    """
    decoded = decode_file(path)
    image = decoded.image
    reading = read_pixels(recognizer, image, path)
    width, height = decoded.size
    result = image_record(path if name is None else name, (height, width), reading)
    if decoded.scale != 1.0:  # read reduced: boxes in the file's own pixels
        result["detections"] = [_scaled(d, 1.0 / decoded.scale) for d in result["detections"]]
    if out_dir is not None:
        try:
            result.update(save_renderings(image, reading, stem or Path(path).stem,
                                          Path(out_dir), recognizer.min_confidence,
                                          overwrite=overwrite))
        except LivedigitsError as exc:
            exc.reading = result  # read, only not drawn: the caller can still show it
            raise
    return result
