"""The output policy every command follows: folders are created when missing, an
existing file is replaced only with ``--force``, links and special files never."""

from __future__ import annotations

from pathlib import Path

from livedigits.atomic import check_target
from livedigits.errors import LivedigitsError


def check_new_file(path: str | Path, *, force: bool = False) -> Path:
    """``path`` if a command may write it: missing, or an existing regular file with
    ``force``. Raises LivedigitsError naming the file and ``--force`` otherwise (a
    link, folder or special file: UnsafeTarget, even with ``force``)."""
    path = Path(path)
    check_target(path)
    if path.exists() and not force:
        raise LivedigitsError(f"{path} exists; pass --force to replace it, or give another "
                              "name")
    return path
