"""Batch recognition: many image files to a resumable JSON Lines results file.

The parent process finds the inputs, skips those already in the results file,
hands the rest to worker processes (or to a Dask cluster) a bounded number at a
time and appends each result line as it comes back, flushed, so a crash loses at
most the images in flight. Workers only read images and return JSON lines; the
parent alone writes the results file.

The parts live beside this run: ``batch_inputs`` (finding the files),
``batch_results`` (the results file), ``batch_pool`` and ``batch_dask`` (the workers).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from livedigits.errors import LivedigitsError
from livedigits.pages.batch_dask import run_dask
from livedigits.pages.batch_inputs import Job, collect_inputs, not_inside, plan_tasks
from livedigits.pages.batch_pool import default_workers, run_local
from livedigits.pages.batch_results import ResultsFile, check_outputs, write_csv

if TYPE_CHECKING:
    from livedigits.recognize.recognizer import Recognizer


@dataclass
class Summary:
    """What one batch run did; ``seconds`` is the wall time of the recognition part."""

    total: int
    skipped: int = 0
    done: int = 0
    errors: int = 0
    earlier_errors: int = 0  # skipped images whose line in the results file is an error
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


class Progress:
    """A one-line progress bar on a terminal (count, rate, ETA); silent elsewhere."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled
        self.done = self.errors = 0
        self.start = time.perf_counter()
        self._shown = 0.0

    def update(self, error: bool) -> None:
        self.done += 1
        self.errors += error
        now = time.perf_counter()
        if self.enabled and (now - self._shown >= 0.1 or self.done == self.total):
            self._shown = now
            self.stream.write("\r" + self.line(now) + "\x1b[K")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 24
        filled = width * self.done // max(1, self.total)
        errors = f"  {self.errors} errors" if self.errors else ""
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate:.1f} img/s ETA {_clock(left)}{errors}")

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def run_batch(
    inputs: Sequence[str],
    *,
    out: Path,
    recognizer: Recognizer,
    workers: int | None = None,
    overlays: Path | None = None,
    csv_path: Path | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    stream: TextIO | None = None,
    force: bool = False,
    retry_failed: bool = False,
) -> Summary:
    """Read every image named by ``inputs`` not yet in ``out``; append a line for each.

    ``workers`` local processes (default: every core; 0: this process), or the Dask
    cluster at ``scheduler``. ``progress`` (default: when ``stream`` is a terminal) draws
    a progress bar on ``stream`` (default stderr). With ``csv_path`` the whole results
    file is also written as a flat table at the end (an existing file that is not such a
    table is replaced only with ``force``). Images whose last line is a temporary
    failure are read again, with ``retry_failed`` every failed one.
    """
    stream = stream or sys.stderr
    check_outputs(out, csv_path, force=force)
    images = collect_inputs(inputs)
    if overlays is not None:
        images = not_inside(images, Path(overlays))
    if not images:
        raise LivedigitsError("no image files found in " + " ".join(map(str, inputs)))
    with ResultsFile(out, retry_failed=retry_failed) as results:
        keys = [os.path.realpath(image) for image in images]
        tasks = [task for task, key in zip(plan_tasks(images), keys, strict=True)
                 if key not in results.done_paths]
        summary = Summary(total=len(images), skipped=len(images) - len(tasks),
                          earlier_errors=len(results.failed_paths.intersection(keys)))
        out_dir = str(Path(overlays).resolve()) if overlays is not None else None
        if progress is None:
            progress = stream.isatty()
        bar = Progress(len(tasks), stream, progress)

        def emit(line: str) -> None:
            results.append(line)
            error = '"error"' in line and "error" in json.loads(line)
            summary.done += 1
            summary.errors += error
            bar.update(error)

        start = time.perf_counter()
        try:
            if not tasks:
                pass
            elif scheduler:
                run_dask(Job(tasks, emit, recognizer, out_dir), scheduler=scheduler)
            else:
                count = default_workers() if workers is None else workers
                run_local(Job(tasks, emit, recognizer, out_dir),
                          workers=min(count, len(tasks)))
        finally:
            summary.seconds = time.perf_counter() - start
            bar.close()
    if csv_path is not None:
        write_csv(out, csv_path)
    return summary
