"""Atomic, never-overwriting file writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    With ``overwrite=False`` an existing file is never replaced: the data goes to
    ``name-1.ext``, ``name-2.ext``, ... instead. Returns the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp makes the file private (0600); saved results are ordinary files.
        os.chmod(tmp, 0o666 & ~_umask())
        if overwrite:
            os.replace(tmp, path)
            return path
        n = 0
        while not _claim(tmp, numbered(path, n)):
            n += 1
        return numbered(path, n)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def numbered(path: Path, n: int) -> Path:
    """``path`` itself for ``n == 0``, else ``name-N.ext`` beside it."""
    path = Path(path)
    return path if n == 0 else path.with_name(f"{path.stem}-{n}{path.suffix}")


def free_number(paths: list[Path]) -> int:
    """The smallest N for which every ``numbered(path, N)`` is free, so files that
    belong together (an overlay and its plain image) keep one suffix."""
    n = 0
    while any(numbered(p, n).exists() for p in paths):
        n += 1
    return n


def _claim(tmp: str, target: Path) -> bool:
    """Move the finished ``tmp`` to ``target`` unless ``target`` exists; False if it does.

    A hard link claims the name atomically; where links are not supported (FAT,
    exFAT, some network and FUSE file systems) the name is claimed with an
    exclusive create and the data renamed over that empty placeholder.
    """
    try:
        os.link(tmp, target)
    except FileExistsError:
        return False
    except OSError:
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        os.replace(tmp, target)
        return True
    os.unlink(tmp)
    return True


def _umask() -> int:
    """The process umask (read by setting and restoring it: keep this off hot paths)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0)
        os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None


_umask()  # read while importing, before any saver thread starts
