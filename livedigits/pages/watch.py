"""A watched folder: read each new image once, when it is completely written.

For scanners that save to a network share. A file counts as complete when its
size and modification time have not changed for ``settle`` seconds across at
least two polls and, for PNG and JPEG, its end marker is there (a writer that
pauses mid-file is waited for, up to ``give_up`` seconds). A state file records
every file handled (path, size, mtime) and every result written, so a restarted
watcher neither reads a file twice nor skips one that arrived while it was down;
it is rewritten atomically after each file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from livedigits.errors import LivedigitsError
from livedigits.imageio import IMAGE_SUFFIXES
from livedigits.limits import regular_file
from livedigits.pages.page import process_file

log = logging.getLogger(__name__)

STATE_NAME = ".livedigits-watch.json"
# What save_renderings names its files (``STEM_overlay.png``, ``STEM_digits-2.png``).
_OUTPUT_STEM = re.compile(r".+_(overlay|digits)(-\d+)?")
STATE_VERSION = 1
MAX_STATE_BYTES = 256 << 20  # ~2 million files handled


@dataclass
class WatchItem:
    """One file handled: its ``image --json`` result (with overlay/digits paths) or an error."""

    path: Path
    result: dict | None = None
    error: str | None = None


@dataclass
class _Seen:
    signature: tuple[int, int]  # (size, mtime_ns)
    since: float  # monotonic time the signature was first seen


def looks_complete(path: Path) -> bool:
    """Whether a PNG or JPEG file ends with its end marker (other formats: True).

    PNG ends with the IEND chunk; JPEG with EOI (``FF D9``), possibly followed by
    padding that some writers add.
    """
    suffix = path.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        return True
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 64))
            tail = handle.read()
    except OSError:
        return False
    if suffix == ".png":
        return tail.endswith(b"IEND\xaeB`\x82")
    return tail.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")


class FolderWatcher:
    """Poll ``folder`` and read each new, completely written image with ``recognizer``.

    Results (``STEM_overlay.png``, ``STEM_digits.png``) go to ``out_dir``, or beside
    each file when it is None. The state file is ``STATE_NAME`` in ``out_dir`` (or
    the folder) unless ``state_path`` is given.
    """

    def __init__(self, folder: Path, recognizer, *, out_dir: Path | None = None,
                 state_path: Path | None = None, poll: float = 0.5, settle: float = 1.0,
                 give_up: float = 30.0) -> None:
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise LivedigitsError(f"{folder}: not a folder to watch")
        self.recognizer = recognizer
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.state_path = Path(state_path) if state_path else (
            (self.out_dir or self.folder) / STATE_NAME)
        self.poll = poll
        self.settle = settle
        self.give_up = give_up
        self._seen: dict[str, _Seen] = {}
        self._warned: set[str] = set()
        # Results written beside the inputs are never inputs, even those a watcher
        # killed between writing them and saving its state did not record.
        self._outputs_here = self.out_dir is None or \
            os.path.realpath(self.out_dir) == str(self.folder)
        self._done, self._outputs = self._load_state()
        self.last_change = time.monotonic()

    def _load_state(self) -> tuple[dict[str, list[int]], set[str]]:
        if self.state_path.exists() or self.state_path.is_symlink():
            regular_file(self.state_path, "watch state file")
            if self.state_path.stat().st_size > MAX_STATE_BYTES:
                raise LivedigitsError(f"{self.state_path}: over {MAX_STATE_BYTES >> 20} MB, not "
                                      "a watch state file; move it away to start afresh")
        try:
            raw = self.state_path.read_bytes()
        except FileNotFoundError:
            return {}, set()
        except OSError as exc:
            raise LivedigitsError(f"{self.state_path}: cannot read the watch state "
                                  f"({exc.strerror})") from None
        try:
            state = json.loads(raw)
            if state.get("version") != STATE_VERSION:
                raise ValueError("version")
            done = {str(k): [int(v[0]), int(v[1])] for k, v in state["done"].items()}
            outputs = {str(p) for p in state["outputs"]}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            raise LivedigitsError(f"{self.state_path}: damaged watch state file; move it away "
                                  "to start afresh (every image in the folder is then read "
                                  "again)") from None
        return done, outputs

    def _save_state(self) -> None:
        from livedigits.atomic import write_bytes_atomic

        state = {"version": STATE_VERSION, "folder": str(self.folder),
                 "done": self._done, "outputs": sorted(self._outputs)}
        try:
            write_bytes_atomic(self.state_path, json.dumps(state, indent=1).encode())
        except OSError as exc:
            raise LivedigitsError(f"{self.state_path}: cannot write the watch state "
                                  f"({exc.strerror}); stopping so no file is read twice") from None

    def is_done(self, path: Path) -> bool:
        """Whether ``path`` (as it is now) was already handled."""
        try:
            st = path.stat()
        except OSError:
            return False
        return self._done.get(os.path.abspath(path)) == [st.st_size, st.st_mtime_ns]

    def ready(self) -> list[Path]:
        """One poll: the files now completely written and not yet handled, oldest first."""
        now = time.monotonic()
        found = []
        try:
            entries = list(os.scandir(self.folder))
        except OSError as exc:
            raise LivedigitsError(f"{self.folder}: cannot list the folder ({exc.strerror})"
                                  ) from None
        present = set()
        for entry in entries:
            name = entry.name
            if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            key = os.path.join(self.folder, name)
            if key in self._outputs or (self._outputs_here
                                        and _OUTPUT_STEM.fullmatch(Path(name).stem)):
                continue
            try:
                if not entry.is_file():
                    continue
                st = entry.stat()
            except OSError:
                continue
            present.add(key)
            signature = (st.st_size, st.st_mtime_ns)
            if self._done.get(key) == list(signature):
                continue
            seen = self._seen.get(key)
            if seen is None or seen.signature != signature:
                self._seen[key] = _Seen(signature, now)
                self.last_change = now
                continue
            if now - seen.since < self.settle:
                continue
            if st.st_size == 0:
                if key not in self._warned:
                    self._warned.add(key)
                    log.warning("%s: empty file (0 bytes); it is read once something is "
                                "written into it", key)
                continue
            if not looks_complete(Path(key)) and now - seen.since < self.give_up:
                continue
            found.append((st.st_mtime_ns, name, Path(key)))
        for key in set(self._seen) - present:
            del self._seen[key]
        return [path for _, _, path in sorted(found)]

    def process(self, path: Path) -> WatchItem:
        """Read one file, write its results, remember it; errors are returned, not raised."""
        try:
            st = path.stat()
        except OSError as exc:
            return WatchItem(path, error=f"{path}: vanished before it was read ({exc.strerror})")
        item = WatchItem(path)
        try:
            item.result = process_file(self.recognizer, path,
                                       out_dir=self.out_dir or path.parent)
        except LivedigitsError as exc:
            item.error = str(exc)
        if item.result:
            for kind in ("overlay", "digits"):
                if kind in item.result:
                    self._outputs.add(os.path.abspath(item.result[kind]))
        key = os.path.abspath(path)
        self._done[key] = [st.st_size, st.st_mtime_ns]
        self._seen.pop(key, None)
        self._save_state()
        return item

    def run(self, *, max_files: int | None = None, idle_exit: float | None = None,
            stop: threading.Event | None = None) -> Iterator[WatchItem]:
        """Handle files as they become ready until ``stop`` is set, ``max_files`` were
        handled, or nothing changed in the folder for ``idle_exit`` seconds.
        """
        stop = stop or threading.Event()
        handled = 0
        self.last_change = time.monotonic()
        while not stop.is_set():
            for path in self.ready():
                yield self.process(path)
                handled += 1
                self.last_change = time.monotonic()
                if max_files is not None and handled >= max_files:
                    return
                if stop.is_set():
                    return
            if idle_exit is not None and time.monotonic() - self.last_change >= idle_exit:
                return
            stop.wait(self.poll)
