"""The JSON records livedigits writes (DESIGN.md section 3), stamped and dumped in one place.

Every ``--json`` line, results-file line and snapshot record carries ``schema``; an image
that gave no reading has an error record naming it: ``{"image", "error", ..., "schema"}``.
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
