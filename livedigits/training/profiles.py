"""Handwriting profiles: a writer's own labelled cells, kept as ``NAME.npz`` in the
per-user profiles folder (``paths.calibration_dir``) or at any ``PATH.npz``.

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
from livedigits.paths import calibration_dir, profile_dirs

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


def is_path(profile: str | Path) -> bool:
    """Whether ``--profile`` names a file (``PATH.npz`` or with a slash), not a name."""
    text = str(profile)
    return text.endswith(".npz") or "/" in text or "\\" in text


def resolve_profile(profile: str | Path) -> Path:
    """Path of a profile given by name (looked up in ``paths.profile_dirs()``) or by path,
    checked (``limits.check_profile_file``) but not loaded."""
    if is_path(profile):
        path = Path(profile)
    else:
        name = check_name(str(profile))
        folders = profile_dirs()
        path = next((f / f"{name}.npz" for f in folders if (f / f"{name}.npz").exists()),
                    folders[0] / f"{name}.npz")
    if not path.exists():
        raise LivedigitsError(
            f"{path}: no such handwriting profile; make one with "
            "`livedigits calibrate read SHEET --profile NAME` (`livedigits calibrate list` "
            "shows those there are)"
        )
    check_profile_file(path)
    return path


def profile_target(profile: str) -> tuple[Path, Path]:
    """Where ``calibrate read --profile PROFILE`` writes: the profile ``.npz`` and its
    contact sheet (``NAME_contact.png`` beside it). A name goes into
    ``paths.calibration_dir()``; a ``PATH.npz`` is used as it is."""
    if is_path(profile):
        path = Path(profile)
        if path.suffix != ".npz":
            raise LivedigitsError(f"{profile}: a profile file ends in .npz, e.g. "
                                  f"--profile {path.with_suffix('.npz')}")
    else:
        path = calibration_dir() / f"{check_name(profile)}.npz"
    return path, path.with_name(f"{path.stem}_contact.png")


def list_profiles() -> list[dict]:
    """Every profile in ``paths.profile_dirs()``: ``{"profile", "path", "samples",
    "per_digit"}`` (``"error"`` instead of the counts for a file that is not one); a
    name found in two folders is listed as the first (the one ``--profile NAME`` uses)."""
    found: list[dict] = []
    names: set[str] = set()
    for folder in profile_dirs():
        try:
            paths = sorted(p for p in folder.glob("*.npz") if not p.name.startswith("."))
        except OSError:
            continue
        for path in paths:
            if path.stem in names:
                continue
            names.add(path.stem)
            entry: dict = {"profile": path.stem, "path": str(path)}
            try:
                _cells, labels = load_profile(path)
            except LivedigitsError as exc:
                entry["error"] = str(exc)
            else:
                counts = np.bincount(labels, minlength=10)
                entry.update(samples=int(len(labels)),
                             per_digit={str(d): int(counts[d]) for d in range(10)})
            found.append(entry)
    return found


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
