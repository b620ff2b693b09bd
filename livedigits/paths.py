"""Where livedigits finds its data and keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path

from livedigits.errors import LivedigitsError

PACKAGE_DIR = Path(__file__).resolve().parent


def digits_png() -> Path:
    """Path of the training sheet: inside the installed package, else the source tree's root."""
    for candidate in (PACKAGE_DIR / "data" / "digits.png", PACKAGE_DIR.parent / "digits.png"):
        if candidate.is_file():
            return candidate

    raise LivedigitsError(
        "digits.png not found inside the package or beside it; reinstall livedigits "
        "(pip install --force-reinstall livedigits) or run from the source tree"
    )


def cache_dir() -> Path:
    """User cache folder: ``$LIVEDIGITS_CACHE``, else the platform's (``platformdirs``;
    on Linux ``$XDG_CACHE_HOME/livedigits``, ``~/.cache/livedigits``)."""
    explicit = os.environ.get("LIVEDIGITS_CACHE")
    if explicit:
        return Path(explicit)
    try:
        import platformdirs
    except ImportError:  # installed without its dependencies: the XDG layout
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "livedigits"
    return Path(platformdirs.user_cache_dir("livedigits", appauthor=False))


LEGACY_CALIBRATION = Path("calibration")  # where profiles were written before: ./calibration


def calibration_dir() -> Path:
    """Folder where handwriting profiles are written: ``$LIVEDIGITS_CALIBRATION``, else
    the per-user data folder (``platformdirs``; on Linux
    ``~/.local/share/livedigits/profiles``), the same from every working folder."""
    explicit = os.environ.get("LIVEDIGITS_CALIBRATION")
    if explicit:
        return Path(explicit)
    try:
        import platformdirs
    except ImportError:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "livedigits" / "profiles"
    return Path(platformdirs.user_data_dir("livedigits", appauthor=False)) / "profiles"


def profile_dirs() -> list[Path]:
    """Folders searched for a profile given by name, in order: ``calibration_dir()``,
    then (unless ``$LIVEDIGITS_CALIBRATION`` is set) ``./calibration``, where earlier
    versions wrote profiles."""
    folders = [calibration_dir()]
    if not os.environ.get("LIVEDIGITS_CALIBRATION") and LEGACY_CALIBRATION.is_dir():
        folders.append(LEGACY_CALIBRATION)
    return folders
