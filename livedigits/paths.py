"""Where livedigits finds its data and keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def digits_png() -> Path:
    """Path of the training sheet: inside the installed package, else the source tree's root."""
    for candidate in (PACKAGE_DIR / "data" / "digits.png", PACKAGE_DIR.parent / "digits.png"):
        if candidate.is_file():
            return candidate
    from livedigits.errors import LivedigitsError

    raise LivedigitsError(
        "digits.png not found inside the package or beside it; reinstall livedigits "
        "(pip install --force-reinstall livedigits) or run from the source tree"
    )


def cache_dir() -> Path:
    """User cache folder (``$LIVEDIGITS_CACHE``, else ``$XDG_CACHE_HOME/livedigits``)."""
    explicit = os.environ.get("LIVEDIGITS_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "livedigits"


def calibration_dir() -> Path:
    """Folder of handwriting profiles (``$LIVEDIGITS_CALIBRATION``, else ./calibration)."""
    return Path(os.environ.get("LIVEDIGITS_CALIBRATION", "calibration"))
