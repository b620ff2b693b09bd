"""The results file of a batch: JSON Lines, read back to resume, appended line by line.

``ResultsFile`` locks the file for one writer, reads the images already done,
repairs what a crash left (a partial last line, lines that are not result lines)
and appends each result line flushed. ``check_outputs`` refuses a wrong ``--out``
or ``--csv`` before anything is written; ``write_csv`` turns the file into a flat
table.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from livedigits.atomic import check_target
from livedigits.errors import LivedigitsError

log = logging.getLogger(__name__)


MAX_LINE = 4 << 20  # bytes; a longer "line" is not a result line
CSV_HEADER = "file,text,count,mean_confidence,error"


class ResultsFile:
    """The JSON Lines results file, locked for one writer, appended line by line.

    Opening it reads the images already done (``done``: their ``image`` values;
    ``done_paths``: the same resolved), cuts off a trailing partial line left by a
    crash and drops lines that are not result lines (the file is rewritten
    atomically without them). A file that is not a results file (an existing file
    whose first line is not a result line, a link, a device, a FIFO) is refused
    before anything is written.
    """

    def __init__(self, path: Path, *, retry_failed: bool = False) -> None:
        self.path = Path(path)
        self.retry_failed = retry_failed
        _check_results_target(self.path)
        try:
            if self.path.parent != Path(""):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = _open_append(self.path)
        except OSError as exc:
            raise LivedigitsError(f"{self.path}: cannot write ({exc.strerror})") from None
        try:
            _lock(self._handle, self.path)
            self.failed: set[str] = set()  # images whose last line is an error
            self.temporary: set[str] = set()  # ... an error a rerun may not meet
            self.done = self._scan_and_repair()
            self.done -= self.temporary | (self.failed if retry_failed else set())
            self.done_paths = {os.path.realpath(image) for image in self.done}
            self.failed_paths = {os.path.realpath(image) for image in self.failed & self.done}
        except BaseException:
            self._handle.close()
            raise

    def _scan_and_repair(self) -> set[str]:
        done: set[str] = set()
        good: list[bytes] = []
        dropped: list[int] = []
        partial = False
        size = os.fstat(self._handle.fileno()).st_size
        with open(self.path, "rb") as reader:
            for number, raw in enumerate(_lines(reader), 1):
                if not raw.endswith(b"\n") and reader.tell() >= size:
                    log.warning("%s: cutting off a partial last line (%d bytes) left by an "
                                "interrupted run", self.path, len(raw))
                    partial = True
                    break
                image, failed = _image_of(raw)
                if image is None:
                    if raw.strip():
                        dropped.append(number)
                    continue
                good.append(raw)
                done.add(image)
                if failed:
                    self.failed.add(image)
                else:
                    self.failed.discard(image)
                if failed == "temporary":
                    self.temporary.add(image)
                else:
                    self.temporary.discard(image)
        if dropped:
            shown = ", ".join(map(str, dropped[:5])) + (", ..." if len(dropped) > 5 else "")
            log.warning("%s: dropping %d line(s) that are not result lines (line %s)",
                        self.path, len(dropped), shown)
            self._rewrite(b"".join(good))
        elif partial:
            os.ftruncate(self._handle.fileno(), sum(map(len, good)))
        return done

    def _rewrite(self, data: bytes) -> None:
        """Replace the file by ``data`` atomically and hold the lock on the new one."""
        from livedigits.atomic import write_bytes_atomic

        try:
            write_bytes_atomic(self.path, data)
        except OSError as exc:
            raise LivedigitsError(f"{self.path}: cannot rewrite ({exc.strerror})") from None
        self._handle.close()
        self._handle = _open_append(self.path)
        _lock(self._handle, self.path)

    def append(self, line: str) -> None:
        """Write one result line and flush it to the operating system."""
        try:
            self._handle.write(line.encode("utf-8") + b"\n")
            self._handle.flush()
        except OSError as exc:
            raise LivedigitsError(f"{self.path}: cannot write ({exc.strerror}); the images "
                                  "read so far are kept, rerun the same command to go "
                                  "on") from None

    def close(self) -> None:
        with suppress(OSError):  # append() has reported a failure already
            self._handle.close()

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lines(reader: io.BufferedReader) -> Iterator[bytes]:
    """The lines of ``reader``, each at most ``MAX_LINE`` bytes (the rest of a longer
    line is skipped and the line given as ``b"?\\n"``, never a result line)."""
    while True:
        raw = reader.readline(MAX_LINE)
        if not raw:
            return
        if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = reader.readline(MAX_LINE)
            yield b"?\n"
            continue
        yield raw


def _check_results_target(path: Path) -> None:
    """Refuse ``path`` as a results file unless it is missing, empty or a results file."""
    hint = "give a new file name for --out (a results file is JSON Lines, one image a line)"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise LivedigitsError(f"{path}: is a symbolic link; {hint}, or the file it points to")
    if stat.S_ISDIR(info.st_mode):
        raise LivedigitsError(f"{path}: is a folder; {hint}")
    if not stat.S_ISREG(info.st_mode):
        raise LivedigitsError(f"{path}: not a regular file (a device, FIFO or socket); {hint}")
    if info.st_size == 0:
        return
    try:
        with open(path, "rb") as reader:
            first = reader.readline(MAX_LINE)
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read ({exc.strerror})") from None
    image, _failed = _image_of(first)
    partial = not first.endswith(b"\n") and first.startswith(b'{"image": ')
    if image is None and not partial:
        raise LivedigitsError(f"{path}: exists and is not a livedigits results file (its first "
                              f"line is not a result line); it was left as it is; {hint}")


def _open_append(path: Path) -> io.BufferedWriter:
    """``path`` opened for appending, never through a link, only as a regular file."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LivedigitsError(f"{path}: not a regular file; give a new file name for --out")
    return os.fdopen(fd, "ab")


def _lock(handle: io.BufferedWriter, path: Path) -> None:
    """Refuse a second batch writing the same results file at the same time."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise LivedigitsError(f"{path}: another batch is writing to this results file") from None


def _image_of(raw: bytes) -> tuple[str | None, bool | str]:
    """The image a result line is about (None: not a result line), and whether it failed
    (``"temporary"`` for a failure a rerun tries again)."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return None, False
    image = obj.get("image") if isinstance(obj, dict) else None
    if not isinstance(image, str):
        return None, False
    if "error" in obj and obj.get("temporary") is True:
        return image, "temporary"
    return image, "error" in obj


def read_results(path: Path) -> dict[str, dict]:
    """Every complete result line of a results file, keyed by image (the last one wins)."""
    results: dict[str, dict] = {}
    with open(path, "rb") as reader:
        for raw in _lines(reader):
            if not raw.endswith(b"\n"):
                break
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("image"), str):
                results[obj["image"]] = obj
    return results


def write_csv(results: Path, csv_path: Path) -> Path:
    """Write a flat table of a results file: file, text, count, mean_confidence, error.

    Written atomically; ``text`` keeps its line breaks (quoted, as CSV allows).
    """
    from livedigits.atomic import write_bytes_atomic

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER.split(","))
    for image, obj in read_results(results).items():
        if "error" in obj:
            writer.writerow([image, "", "", "", obj["error"]])
            continue
        confidences = [d["confidence"] for d in obj.get("detections", [])]
        mean = f"{sum(confidences) / len(confidences):.4f}" if confidences else ""
        writer.writerow([image, obj.get("text", ""), len(confidences), mean, ""])
    try:
        return write_bytes_atomic(Path(csv_path), buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise LivedigitsError(f"{csv_path}: cannot write ({exc.strerror})") from None


def check_outputs(out: Path, csv_path: Path | None = None, *, force: bool = False) -> None:
    """Refuse a results file ``out`` that is not one (see ResultsFile) or is also the
    ``csv_path`` table, and an existing ``csv_path`` that is not a table an earlier batch
    wrote (unless ``force``), before anything is read or written."""
    if csv_path is not None and os.path.realpath(csv_path) == os.path.realpath(out):
        raise LivedigitsError(f"{csv_path}: --csv and --out name the same file; give the "
                              "table a name of its own")
    _check_results_target(Path(out))
    if csv_path is not None:
        check_target(Path(csv_path))
        if not force and os.path.exists(csv_path) and os.path.getsize(csv_path):
            with open(csv_path, "rb") as reader:
                first = reader.readline(256).rstrip(b"\r\n")
            if first != CSV_HEADER.encode():
                raise LivedigitsError(f"{csv_path} exists and is not a table a batch wrote; "
                                      "pass --force to replace it, or give another --csv")
