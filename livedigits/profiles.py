"""Handwriting profiles: a writer's own labelled cells, kept as ``calibration/NAME.npz``.

A profile file holds ``cells`` (N, 20, 20) uint8 in digits.png's form, ``labels``
(N,) int, and ``format_version``; it is read with ``allow_pickle=False``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.limits import check_profile_file

PROFILE_FORMAT = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(name: str) -> str:
    """A profile name is letters, digits, '_', '-', '.' (no path characters)."""
    if not _NAME.match(name) or ".." in name:
        raise LivedigitsError(
            f"profile name {name!r} is not allowed: use letters, digits, '_', '-' or '.' "
            "(no slashes), e.g. --profile alice"
        )
    return name


def resolve_profile(profile: str | Path) -> Path:
    """Path of a profile given by name (looked up in the calibration folder) or by path."""
    from livedigits.paths import calibration_dir

    text = str(profile)
    if text.endswith(".npz") or "/" in text or "\\" in text:
        path = Path(text)
    else:
        path = calibration_dir() / f"{check_name(text)}.npz"
    if not path.exists():
        raise LivedigitsError(
            f"{path}: no such handwriting profile; make one with "
            "`livedigits calibrate read SHEET --profile NAME`"
        )
    check_profile_file(path)
    return path


def load_profile(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Cells (N, 20, 20) uint8 and labels (N,) int32 of a profile file.

    The file is checked first (``limits.check_profile_file``: a regular file of at
    most ``MAX_PROFILE_CELLS`` cells), so a hostile file costs no memory.
    """
    check_profile_file(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            version = int(data["format_version"])
            if data["cells"].dtype != np.uint8:
                raise TypeError("cells are not uint8")
            cells = np.ascontiguousarray(data["cells"], np.uint8)
            labels = np.ascontiguousarray(data["labels"], np.int32)
    except FileNotFoundError:
        raise LivedigitsError(f"{path}: no such profile") from None
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
        raise LivedigitsError(f"{path}: not a handwriting profile ({type(exc).__name__})") from None
    if version != PROFILE_FORMAT:
        raise LivedigitsError(f"{path}: profile format {version}, expected {PROFILE_FORMAT}")
    if (cells.ndim != 3 or cells.shape[1:] != (20, 20) or labels.shape != (len(cells),)
            or (len(labels) and (labels.min() < 0 or labels.max() > 9))):
        raise LivedigitsError(f"{path}: profile arrays are malformed")
    return cells, labels
