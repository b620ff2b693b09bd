"""Checks on files from outside before they are read: kind of file, array sizes, JSON depth.

Everything here reads at most a few kilobytes of a file (headers, directory
entries), so a hostile or damaged file is refused before it costs memory or time:
a FIFO or device is never opened for reading, an ``.npz`` member is judged by its
``.npy`` header and the decompressed size its zip entry states (``zipfile`` never
inflates more than that), nested JSON by a scan of its brackets.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError

MAX_MODEL_ROWS = 400_000  # training vectors; the default model has ~28,000
MAX_MODEL_BYTES = 256 << 20  # decompressed, all members; the default model is ~7.5 MB
MAX_PROFILE_CELLS = 2_000  # twenty filled calibration sheets
MAX_PROFILE_BYTES = 8 << 20
MAX_PARAMS_CHARS = 4_096
MAX_JSON_DEPTH = 4
MAX_MEMBERS = 16


@dataclass(frozen=True)
class ArraySpec:
    """What one ``.npz`` member may be: dtype kinds (``"u"``, ``"i"``, ``"f"``, ``"U"``),
    the number of dimensions and the most elements."""

    kinds: str
    ndim: int
    max_count: int


def regular_file(path: str | Path, what: str) -> Path:
    """``path`` if it names a regular file (links to one are fine), else LivedigitsError.

    ``what`` names the file's role in the message (``"model file"``, ``"list"``).
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise LivedigitsError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise LivedigitsError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise LivedigitsError(f"{path}: not a regular file (a device, FIFO or socket); "
                              f"give a {what} saved on disk")
    return path


def check_npz(path: Path, specs: dict[str, ArraySpec], *, max_bytes: int, what: str,
              hint: str) -> dict[str, tuple[int, ...]]:
    """Check an ``.npz`` file's members against ``specs`` without loading any array.

    Every name in ``specs`` must be there with an allowed dtype (never object),
    ``ndim`` dimensions and at most ``max_count`` elements; all members together
    at most ``max_bytes`` decompressed. Returns each checked member's shape.
    Raises LivedigitsError ``"{path}: not a {what} (...); {hint}"``.
    """
    regular_file(path, what)

    def refuse(reason: str) -> LivedigitsError:
        return LivedigitsError(f"{path}: not a {what} ({reason}); {hint}")

    shapes: dict[str, tuple[int, ...]] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise refuse(f"{len(members)} members")
            total = sum(m.file_size for m in members)
            if total > max_bytes:
                raise refuse(f"{total / 2**20:.0f} MB unpacked, over the {max_bytes >> 20} MB "
                             "limit")
            named = {m.filename: m for m in members}
            for name, spec in specs.items():
                member = named.get(f"{name}.npy")
                if member is None:
                    raise refuse(f"no {name!r} array")
                with archive.open(member) as stream:
                    version = np.lib.format.read_magic(stream)
                    if version == (1, 0):
                        shape, _fortran, dtype = np.lib.format.read_array_header_1_0(stream)
                    elif version in ((2, 0), (3, 0)):
                        shape, _fortran, dtype = np.lib.format.read_array_header_2_0(stream)
                    else:
                        raise refuse(f"{name}: .npy version {version}")
                count = int(np.prod(shape, dtype=np.float64))
                if dtype.hasobject or dtype.kind not in spec.kinds:
                    raise refuse(f"{name} has dtype {dtype}")
                if len(shape) != spec.ndim:
                    raise refuse(f"{name} has shape {shape}")
                if count > spec.max_count:
                    raise refuse(f"{name} has {count:,} elements, over the limit of "
                                 f"{spec.max_count:,}")
                if member.file_size < count * dtype.itemsize:
                    raise refuse(f"{name} is shorter than its header says")
                shapes[name] = tuple(int(n) for n in shape)
    except LivedigitsError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, NotImplementedError,
            RuntimeError) as exc:
        raise refuse(type(exc).__name__) from None
    return shapes


def json_depth(text: str) -> int:
    """How deeply ``[`` and ``{`` nest in the JSON text ``text`` (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


MODEL_HINT = "rebuild it with `livedigits train`"
MODEL_SPECS = {
    "format_version": ArraySpec("iu", 0, 1),
    "params": ArraySpec("U", 0, 1),
    "source": ArraySpec("U", 0, 1),
    "projection": ArraySpec("f", 2, 512 * 512),
    "features": ArraySpec("f", 2, MAX_MODEL_ROWS * 512),
    "labels": ArraySpec("iu", 1, MAX_MODEL_ROWS),
}


def check_model_file(path: str | Path) -> None:
    """Refuse a model file that is not a regular file, has arrays of the wrong kind or
    size, or params JSON over ``MAX_PARAMS_CHARS`` or nested over ``MAX_JSON_DEPTH``."""
    path = Path(path)
    if not path.exists():
        raise LivedigitsError(f"{path}: no such model file")
    check_npz(path, MODEL_SPECS, max_bytes=MAX_MODEL_BYTES, what="livedigits model",
              hint=MODEL_HINT)
    try:
        with zipfile.ZipFile(path) as archive, archive.open("params.npy") as stream:
            params = str(np.lib.format.read_array(stream, allow_pickle=False))
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise LivedigitsError(f"{path}: not a livedigits model ({type(exc).__name__}); "
                              f"{MODEL_HINT}") from None
    if len(params) > MAX_PARAMS_CHARS or json_depth(params) > MAX_JSON_DEPTH:
        raise LivedigitsError(f"{path}: not a livedigits model (its parameters are "
                              f"{len(params):,} characters nested {json_depth(params)} deep); "
                              f"{MODEL_HINT}")


PROFILE_HINT = "make it again with `livedigits calibrate read SHEET --profile NAME`"
PROFILE_SPECS = {
    "format_version": ArraySpec("iu", 0, 1),
    "cells": ArraySpec("u", 3, MAX_PROFILE_BYTES),
    "labels": ArraySpec("iu", 1, MAX_PROFILE_CELLS),
}


def check_profile_file(path: str | Path) -> int:
    """Refuse a profile file that is not a regular ``.npz`` of at most
    ``MAX_PROFILE_CELLS`` uint8 (N, 20, 20) cells with N labels; returns N."""
    path = Path(path)
    shapes = check_npz(path, PROFILE_SPECS, max_bytes=MAX_PROFILE_BYTES,
                       what="handwriting profile", hint=PROFILE_HINT)
    cells, labels = shapes["cells"], shapes["labels"]
    if cells[1:] != (20, 20) or labels != (cells[0],):
        raise LivedigitsError(f"{path}: not a handwriting profile (cells {cells}, labels "
                              f"{labels}); {PROFILE_HINT}")
    if cells[0] > MAX_PROFILE_CELLS:
        raise LivedigitsError(f"{path}: the profile holds {cells[0]:,} cells, over the limit "
                              f"of {MAX_PROFILE_CELLS:,} (twenty filled sheets); make it "
                              "from fewer sheets")
    if cells[0] == 0:
        raise LivedigitsError(f"{path}: the profile holds no cells; {PROFILE_HINT}")
    return cells[0]
