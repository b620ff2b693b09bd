"""Snapshots of the live view: overlay, plain digits, raw frame and JSON, written in the background.

``Saver`` takes ``SaveJob``s from the loops and writes each as four new files, atomically,
never overwriting; a save folder that cannot take files is reported, never fatal.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livedigits.imageio import encode_png
from livedigits.recognize.recognizer import Detection
from livedigits.records import snapshot_record

log = logging.getLogger(__name__)


def _save_problem(directory: Path, exc: OSError) -> str:
    """A one-line HUD message for a save directory that cannot take files."""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"cannot save: {directory} is full"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot save: {directory} is read-only (pick another --save-dir)"
    if code in (errno.EEXIST, errno.ENOTDIR):
        return f"cannot save: {directory} is not a folder (pick another --save-dir)"
    if code == errno.ENOENT:
        return f"cannot save: {directory} cannot be created (pick another --save-dir)"
    return f"cannot save to {directory}: {exc.strerror or exc}"


def prepare_save_dir(directory: Path) -> str | None:
    """Create ``directory`` (with its parents) if missing; why it cannot take files, or None."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _save_problem(directory, exc)
    if not os.access(directory, os.W_OK | os.X_OK):
        return _save_problem(directory, OSError(errno.EACCES, "not writable"))
    return None


@dataclass
class SaveJob:
    image: np.ndarray
    detections: list[Detection]
    text: str
    index: int
    stamp: float = field(default_factory=time.time)


#: Snapshots waiting to be written at most (each holds its frame: ~90 MB at 1280x720): a
#: burst of key presses is saved whole, a writer that cannot keep up says so.
SAVE_QUEUE = 32


class Saver:
    """Writes snapshots on a background thread, atomically, never overwriting.

    Each snapshot is four files in ``directory``: ``STEM_overlay.png``,
    ``STEM_digits.png`` (numbers on white), ``STEM_frame.png`` (the raw frame) and
    ``STEM.json`` (the detections), STEM being ``livedigits-YYYYmmdd-HHMMSS-mmm``.
    The directory is created (with its parents) at once and again before each snapshot
    if it went missing. Outcomes are logged when they happen and arrive as one-line
    messages from ``poll()``; ``problem`` holds why the directory cannot take files
    (None once a snapshot is written). A failing directory never stops the caller.
    """

    def __init__(self, directory: Path, *, min_confidence: float = 0.6,
                 write: Callable[[Path, bytes], Path] | None = None) -> None:
        from livedigits.atomic import write_bytes_atomic

        self.directory = Path(directory)
        self.min_confidence = min_confidence
        self._write = write or (lambda path, data: write_bytes_atomic(path, data,
                                                                      overwrite=False))
        self._jobs: queue.Queue[SaveJob | None] = queue.Queue(maxsize=SAVE_QUEUE)
        self._messages: queue.Queue[str] = queue.Queue()
        self.count = 0  # snapshots written
        self.last: list[Path] = []  # files of the latest one
        self.problem: str | None = None
        problem = prepare_save_dir(self.directory)
        if problem:
            self._fail(problem)
        self._thread = threading.Thread(target=self._run, name="saver", daemon=True)
        self._thread.start()

    def _fail(self, message: str) -> None:
        self.problem = message
        log.warning("%s", message)
        self._messages.put(message)

    def submit(self, job: SaveJob) -> bool:
        """Queue a snapshot; False (and a message) if the writer is still busy."""
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            message = (f"still saving the previous {SAVE_QUEUE} snapshots: this one is not "
                       "saved; try again")
            log.warning("%s", message)
            self._messages.put(message)
            return False
        return True

    def poll(self) -> list[str]:
        """Messages about finished or failed saves since the last call."""
        out = []
        while True:
            try:
                out.append(self._messages.get_nowait())
            except queue.Empty:
                return out

    def close(self, timeout: float = 10.0) -> None:
        """Finish queued snapshots, then stop the writer."""
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                paths = self._save(job)
            except OSError as exc:
                self._fail(_save_problem(self.directory, exc))
                continue
            except Exception as exc:  # a writer thread must outlive any one snapshot
                log.debug("saving failed", exc_info=True)
                self._fail(f"cannot save: {exc}")
                continue
            self.count += 1
            self.last = paths
            self.problem = None
            stem = paths[-1].stem  # the JSON's name is the snapshot's name
            message = f"saved {stem} ({len(paths)} files) in {self.directory}"
            log.info("%s", message)
            self._messages.put(message)

    def _save(self, job: SaveJob) -> list[Path]:
        from livedigits.render import overlay, plain

        self.directory.mkdir(parents=True, exist_ok=True)  # removed since the start?
        local = time.localtime(job.stamp)
        stem = (time.strftime("livedigits-%Y%m%d-%H%M%S", local)
                + f"-{int(job.stamp * 1000) % 1000:03d}")
        base = self.directory / stem
        written = [
            self._write(base.with_name(stem + "_overlay.png"), encode_png(
                overlay(job.image, job.detections, min_confidence=self.min_confidence))),
            self._write(base.with_name(stem + "_digits.png"), encode_png(
                plain(job.image.shape, job.detections, min_confidence=self.min_confidence))),
            self._write(base.with_name(stem + "_frame.png"), encode_png(job.image)),
        ]
        record = snapshot_record(
            job.index, time.strftime("%Y-%m-%dT%H:%M:%S", local), job.image.shape, job.text,
            job.detections, {"overlay": written[0].name, "digits": written[1].name,
                             "frame": written[2].name})
        written.append(self._write(base.with_name(stem + ".json"),
                                   (json.dumps(record, indent=1) + "\n").encode()))
        return written
