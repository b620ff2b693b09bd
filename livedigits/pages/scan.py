"""Scanner capture through SANE's ``scanimage``: pages scanned, saved and handed on.

Every scan, single page or feeder batch, runs one ``scanimage --batch`` process
that writes raw PNM pages into a private folder inside the output folder and
names each page on stdout once it is complete (``--batch-print``). Each page is
saved as PNG under its final, never-overwriting name before anyone sees it, so
a jam, a hang or an interrupt later in the batch loses nothing already scanned.

The devices and the command line are in ``scan_devices``, the wording of faults
in ``scan_faults``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.imageio import encode_png, read_image
from livedigits.pages.scan_devices import ScanSettings, scanimage_command, scanimage_path
from livedigits.pages.scan_faults import fault_message, kept_note, last_status

log = logging.getLogger(__name__)

EXIT_GRACE = 5.0  # seconds scanimage may take to exit once it has said "Batch terminated"


def page_name(stamp: str, index: int) -> str:
    """``scan-YYYYmmdd-HHMMSS-NNN.png``: sortable, one run's pages together."""
    return f"scan-{stamp}-{index:03d}.png"


@dataclass
class ScannedPage:
    """A page as saved: ``path`` of its PNG and its pixels, ``image`` (H, W) or (H, W, 3)
    uint8 (uint16 for 16-bit scans), exactly what reading the PNG back gives."""

    path: Path
    image: np.ndarray


def process_page(recognizer, page: ScannedPage, out_dir: Path) -> dict:
    """What ``batch.process_file`` gives for ``page.path``, from the pixels in memory.

    Returns the ``image --json`` object plus the ``overlay``/``digits`` paths written
    into ``out_dir``; raises LivedigitsError naming the page.
    """
    from livedigits.pages.page import read_pixels, save_renderings
    from livedigits.records import image_record

    reading = read_pixels(recognizer, page.image, page.path)
    result = image_record(page.path, page.image.shape, reading)
    result.update(save_renderings(page.image, reading, page.path.stem, Path(out_dir),
                                  recognizer.min_confidence))
    return result


def _keep(raw: Path, target: Path) -> ScannedPage:
    """Save the raw PNM page ``raw`` as PNG at ``target`` (or ``name-N.png``, never replacing
    a file) and remove ``raw``. A page OpenCV cannot decode is kept as it came, beside."""
    from livedigits.atomic import write_bytes_atomic

    try:
        image = read_image(raw)
    except LivedigitsError:
        kept = write_bytes_atomic(target.with_suffix(".pnm"), raw.read_bytes(), overwrite=False)
        raw.unlink()
        raise LivedigitsError(f"{kept}: the scanner sent a page that cannot be decoded; "
                              "it was kept as it came") from None
    try:
        saved = write_bytes_atomic(target, encode_png(image), overwrite=False)
    except OSError as exc:
        raise LivedigitsError(f"{target.parent}: cannot save the scanned page "
                              f"({exc.strerror}); it is still in {raw}") from None
    raw.unlink()
    return ScannedPage(saved, image)


def _pump(stream, kind: str, events: queue.Queue, activity: list[float]) -> None:
    """Forward a pipe's lines (split at CR or LF) as ``(kind, line)`` events."""
    pending = b""
    last = b""
    fd = stream.fileno()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = re.split(rb"[\r\n]", pending)
        if len(pending) > 65536:  # no line is this long: garbage, dropped
            pending = b""
        for line in lines:
            if line.strip() and line != last:
                # Only a line that differs from the one before counts as progress: a
                # backend repeating "Progress: 37.5%" forever is hung all the same.
                activity[0] = time.monotonic()
                last = line
                events.put((kind, line.decode("utf-8", "replace")))
    if pending.strip():
        events.put((kind, pending.decode("utf-8", "replace")))
    events.put((kind, None))


def _stop(process: subprocess.Popen) -> None:
    """Ask scanimage to cancel (SIGTERM), then kill its process group if it does not go;
    helpers it started in its group are stopped too, even after it exited."""
    if process.poll() is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # none left: fine
            os.killpg(process.pid, signal.SIGTERM)
        return
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def scan_pages(settings: ScanSettings, out_dir: Path, *, stamp: str | None = None
               ) -> Iterator[ScannedPage]:
    """Scan and yield each page, saved as PNG, as soon as the page is complete.

    Pages go to ``out_dir/scan-STAMP-NNN.png`` (never replacing a file). While the
    caller works on a page, the scanner goes on with the next. After the last page
    raises LivedigitsError for any fault (jam, cover open, empty feeder, busy,
    hang after ``settings.timeout`` seconds of silence, ...); every page yielded
    before stays saved, and the message says which page failed.
    """
    out_dir = Path(out_dir)
    stamp = stamp or datetime.now().strftime("%Y%m%d-%H%M%S")
    scanimage_path()  # fail with the install hint before touching the output folder
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".livedigits-scan-", dir=out_dir))
    except OSError as exc:
        raise LivedigitsError(f"{out_dir}: cannot write pages there ({exc.strerror})") from None
    work = Path(os.path.realpath(work))  # pages are recognised by their resolved folder
    cmd = scanimage_command(settings, work / "page-%d.pnm")
    log.info("running %s", " ".join(cmd))
    try:
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise LivedigitsError(f"cannot run {cmd[0]} ({exc.strerror})") from None
    events: queue.Queue = queue.Queue()
    activity = [time.monotonic()]
    pumps = [threading.Thread(target=_pump, args=(s, k, events, activity), daemon=True)
             for s, k in ((process.stdout, "page"), (process.stderr, "say"))]
    for pump in pumps:
        pump.start()
    messages: list[str] = []
    pending: list[Path] = []
    foreign: list[str] = []  # names scanimage printed that are not pages of this run
    saved = 0
    open_pipes = 2
    hung = False
    ended_at = None  # when scanimage said "Batch terminated": all that is left is its exit
    try:
        while open_pipes:
            try:
                kind, line = events.get(timeout=0.2)
            except queue.Empty:
                if ended_at is not None and time.monotonic() - ended_at > EXIT_GRACE:
                    break
                if time.monotonic() - activity[0] > settings.timeout:
                    hung = True
                    break
                continue
            if line is None:
                open_pipes -= 1
            elif kind == "page":
                _add_page(line, work, pending, foreign)
            elif not line.startswith("Progress:"):
                messages.append(line)
                log.debug("scanimage: %s", line)
                if line.startswith("Batch terminated"):
                    ended_at = time.monotonic()
            while pending:
                saved += 1
                yield _keep(pending.pop(0), out_dir / page_name(stamp, saved))
        if not hung:
            try:
                process.wait(EXIT_GRACE if ended_at is not None else settings.timeout)
            except subprocess.TimeoutExpired:
                hung = ended_at is None
        _stop(process)
        for pump in pumps:
            pump.join(1.0)
        _drain_pages(events, work, pending, foreign)  # named after the last look at the queue
        while pending:
            saved += 1
            yield _keep(pending.pop(0), out_dir / page_name(stamp, saved))
        if hung:
            raise LivedigitsError(
                f"{settings.device}: no response from the scanner for {settings.timeout:g} s "
                f"at page {saved + 1}; scanimage was stopped{kept_note(saved)}; switch the "
                "scanner off and on (or check its connection) and scan again, or raise --timeout")
        returncode = process.returncode
        if ended_at is not None and returncode < 0:
            returncode = last_status(messages)  # stopped while stuck at exit, its work done
        error = fault_message(settings.device, returncode, messages,
                              batch=settings.batch, saved=saved)
        if foreign and not saved:
            error = (f"{settings.device}: scanimage named {len(foreign)} file(s) outside its "
                     f"work folder (first: {foreign[0][:120]!r}); they were left alone and no "
                     "page was saved; check which program `scanimage` is on PATH")
        if error:
            raise LivedigitsError(error)
        if foreign:
            log.warning("scanimage named %d file(s) outside its work folder (first: %r); "
                        "they were left alone", len(foreign), foreign[0][:120])
    finally:
        _stop(process)
        _drain_pages(events, work, pending, foreign)
        for left in pending:  # the caller stopped early: keep what was scanned anyway
            if left.exists():
                saved += 1
                try:
                    _keep(left, out_dir / page_name(stamp, saved))
                except LivedigitsError as exc:
                    log.warning("%s", exc)
        if not any(work.glob("*.pnm")):  # only scanimage's unfinished .part files are left
            shutil.rmtree(work, ignore_errors=True)


_PAGE_NAME = re.compile(r"page-\d{1,6}\.pnm")


def _drain_pages(events: queue.Queue, work: Path, pending: list[Path], foreign: list[str]) -> None:
    """Take every page scanimage has named so far off ``events``, without waiting."""
    while True:
        try:
            kind, line = events.get_nowait()
        except queue.Empty:
            return
        if kind == "page" and line:
            _add_page(line, work, pending, foreign)


def _add_page(line: str, work: Path, pending: list[Path], foreign: list[str]) -> None:
    """Queue the page ``line`` names if it is one of this run's: a ``page-N.pnm`` regular
    file (not a link) directly inside ``work`` (resolved); anything else goes to ``foreign``
    and is never read, moved or deleted."""
    page = _page_path(line, work)
    if page is None:
        if len(foreign) < 100:
            foreign.append(line.strip())
        log.debug("scanimage named %r, not a page of this run; ignored", line.strip()[:200])
    elif page not in pending:
        pending.append(page)


def _page_path(line: str, work: Path) -> Path | None:
    """The page ``line`` names inside the resolved folder ``work``, or None."""
    text = line.strip()
    if "\x00" in text or len(text) > 4096:
        return None
    name = os.path.basename(text)
    if not _PAGE_NAME.fullmatch(name):
        return None
    folder = os.path.dirname(text)
    if folder:
        try:
            if os.path.realpath(os.path.join(os.getcwd(), folder)) != str(work):
                return None
        except (OSError, ValueError):
            return None
    page = work / name
    try:
        info = os.lstat(page)
    except OSError:
        return None
    return page if stat.S_ISREG(info.st_mode) else None
