"""Atomic, never-overwriting file writes."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from livedigits.errors import LivedigitsError


class UnsafeTarget(LivedigitsError, OSError):
    """A write refused because its target is a symbolic link or a special file.

    Both a LivedigitsError (its message says what to do) and an OSError, so callers
    that report failed writes (disk full, no permission) report this one too.
    """

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(errno.EEXIST, f"is {what}; livedigits writes only regular files, "
                                       "never through a link: give another name", str(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def check_target(path: Path) -> None:
    """Raise UnsafeTarget when ``path`` is a symbolic link, a device, FIFO or socket
    (a missing path or a regular file is fine)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError:
        return  # the write itself reports it
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeTarget(path, "a symbolic link")
    if stat.S_ISDIR(info.st_mode):
        raise UnsafeTarget(path, "a folder")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeTarget(path, "a device, FIFO or socket")


def write_bytes_atomic(path: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    With ``overwrite=False`` an existing file is never replaced: the data goes to
    ``name-1.ext``, ``name-2.ext``, ... instead. Returns the path written. A target
    that is a symbolic link or a special file is never written through or replaced
    (UnsafeTarget); missing folders are created.
    """
    path = Path(path)
    if overwrite:
        check_target(path)
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


def claim_together(paths: list[Path]) -> list[Path]:
    """Claim ``numbered(path, N)`` for every path with one N, as empty files created
    exclusively, so that files that belong together keep one suffix even when other
    processes save into the same folder at the same time. Write them with
    ``write_bytes_atomic(..., overwrite=True)``; remove them if that fails."""
    n = free_number(paths)
    while True:
        claimed: list[Path] = []
        try:
            for path in paths:
                target = numbered(path, n)
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
                claimed.append(target)
            return claimed
        except FileExistsError:
            for target in claimed:
                target.unlink()
            n += 1


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


def reread_umask() -> int:
    """Read the process umask again, for a process that changed it since importing this."""
    global _UMASK
    _UMASK = None
    return _umask()


_umask()  # read while importing, before any saver thread starts


def write_npz_atomic(path: Path, arrays: dict, *, compressed: bool = False) -> Path:
    """Write ``arrays`` (name -> ndarray) as an ``.npz`` file, atomically (see
    ``write_bytes_atomic``); ``compressed`` deflates them. Returns the path written."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return write_bytes_atomic(Path(path), buffer.getvalue())
