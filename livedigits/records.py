"""The JSON records livedigits writes (DESIGN.md section 3), built, stamped and dumped here.

An image's reading (``image --json``, ``scan``, ``watch``, a batch's results file), an image
that gave no reading (``{"image", "error", ..., "schema"}``), a live frame (``live --json``)
and a live snapshot's ``.json``. Every record carries ``schema``. ``detections`` are the
``Detection.to_dict()`` of each, in reading order.
"""

from __future__ import annotations

import json

JSON_SCHEMA = 1  # the "schema" of every --json record; raised when a key changes meaning


def stamped(record: dict) -> dict:
    """``record`` with the ``schema`` key every JSON record ends with."""
    return record | {"schema": JSON_SCHEMA}


def error_record(image: str, error: str, **extra: object) -> dict:
    """The record of an image that gave no reading; ``extra`` keys (``temporary``) follow
    ``error``."""
    return stamped({"image": image, "error": error, **extra})


def json_line(record: dict | list) -> str:
    """``record`` (already stamped) as one line of JSON, non-ASCII text kept as it is."""
    return json.dumps(record, ensure_ascii=False)


def image_record(image: object, shape: tuple[int, ...], reading) -> dict:
    """The ``image --json`` object of a ``Reading`` of an (H, W, ...) image named ``image``
    (stamped when written)."""
    return {"image": str(image), "width": int(shape[1]), "height": int(shape[0]),
            "text": reading.text, "detections": [d.to_dict() for d in reading.detections]}


def frame_record(index: int, ms: float, detections: list) -> dict:
    """A live frame's record: ``{"frame", "ms", "detections", "schema"}``."""
    return stamped({"frame": index, "ms": round(ms, 3),
                    "detections": [d.to_dict() for d in detections]})


def snapshot_record(index: int, when: str, shape: tuple[int, ...], text: str,
                    detections: list, images: dict) -> dict:
    """A live snapshot's ``.json``: the frame, its local time (ISO 8601, seconds), its size,
    the text, the detections and the names of the images saved with it."""
    return stamped({"frame": index, "time": when, "width": int(shape[1]),
                    "height": int(shape[0]), "text": text,
                    "detections": [d.to_dict() for d in detections], "images": images})
