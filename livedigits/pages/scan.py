"""Scanner capture through SANE's ``scanimage``: device discovery, pages, faults.

Every scan, single page or feeder batch, runs one ``scanimage --batch`` process
that writes raw PNM pages into a private folder inside the output folder and
names each page on stdout once it is complete (``--batch-print``). Each page is
saved as PNG under its final, never-overwriting name before anyone sees it, so
a jam, a hang or an interrupt later in the batch loses nothing already scanned.

scanimage is asked for PNM, not PNG: its libpng encoding takes ~2 s for an A4
300-dpi page, OpenCV's ~0.15 s. Its exit status is the SANE status of the call
that failed and its stderr the wording; both are turned into one-line errors
that name the device and say what to do.
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0  # seconds without a byte from scanimage before it counts as hung
LIST_TIMEOUT = 30.0  # network discovery (airscan/escl) can take several seconds
EXIT_GRACE = 5.0  # seconds scanimage may take to exit once it has said "Batch terminated"
INSTALL_HINT = ("scanimage not found: install SANE's command-line tools "
                "(Debian/Ubuntu: sudo apt install sane-utils)")
NO_DEVICE_HINT = ("no scanner found: check it is plugged in (or on the network) and switched on, "
                  "that `scanimage -L` lists it, and that you may use it (add yourself to the "
                  "`scanner` group, then log in again)")

# SANE_Status values; scanimage exits with the status of the call that failed.
STATUS_BUSY, STATUS_INVAL, STATUS_EOF, STATUS_JAMMED = 3, 4, 5, 6
STATUS_NO_DOCS, STATUS_COVER_OPEN, STATUS_IO_ERROR = 7, 8, 9
STATUS_NO_MEM, STATUS_ACCESS_DENIED = 10, 11

# What scanimage prints for each fault (sane_strstatus), for when the exit status is not enough.
_FAULT_WORDS = {
    STATUS_BUSY: "Device busy",
    STATUS_JAMMED: "Document feeder jammed",
    STATUS_NO_DOCS: "Document feeder out of documents",
    STATUS_COVER_OPEN: "Scanner cover is open",
    STATUS_IO_ERROR: "Error during device I/O",
    STATUS_NO_MEM: "Out of memory",
    STATUS_ACCESS_DENIED: "Access to resource has been denied",
}


@dataclass(frozen=True)
class Device:
    """One scanner as ``scanimage -f`` describes it."""

    name: str
    vendor: str = ""
    model: str = ""
    kind: str = ""

    def describe(self) -> str:
        """``name  vendor model (kind)`` for listings."""
        label = " ".join(p for p in (self.vendor, self.model) if p)
        return f"{self.name}  {label} ({self.kind})" if self.kind else f"{self.name}  {label}"

    def to_dict(self) -> dict:
        return {"device": self.name, "vendor": self.vendor, "model": self.model,
                "type": self.kind}


@dataclass
class ScanSettings:
    """What to ask ``scanimage`` for.

    ``options`` are ``(name, value)`` pairs passed on as ``--name=value``.
    ``timeout`` is seconds without any output from ``scanimage`` (progress
    included) after which the backend counts as hung and is stopped.
    """

    device: str
    resolution: int | None = 300
    mode: str | None = None
    source: str | None = None
    batch: bool = False
    options: Sequence[tuple[str, str]] = field(default_factory=tuple)
    timeout: float = DEFAULT_TIMEOUT


def scanimage_path() -> str:
    """The ``scanimage`` executable; LivedigitsError with an install hint when missing."""
    found = shutil.which("scanimage")
    if found is None:
        raise LivedigitsError(INSTALL_HINT)
    return found


def parse_option(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` (a leading ``--`` is allowed) as ``(name, value)``."""
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("-")
    if not sep or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise LivedigitsError(f"backend option {text!r} is not NAME=VALUE "
                              "(for example -o filename=page.pnm)")
    return name, value


def list_devices(*, timeout: float = LIST_TIMEOUT) -> list[Device]:
    """The scanners SANE sees, in its order (``scanimage -f``)."""
    exe = scanimage_path()
    try:
        done = subprocess.run([exe, "-f", "%d\t%v\t%m\t%t%n"], capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise LivedigitsError(f"looking for scanners took over {timeout:g} s and was stopped; "
                              "run `scanimage -L` to see which backend hangs") from None
    devices = []
    for line in done.stdout.splitlines():
        parts = line.split("\t")
        if parts[0].strip():
            parts += [""] * (4 - len(parts))
            devices.append(Device(*(p.strip() for p in parts[:4])))
    return devices


def _model_key(device: Device) -> str:
    return re.sub(r"[^a-z0-9]", "", f"{device.vendor}{device.model}".lower())


def default_device(devices: Sequence[Device]) -> Device:
    """The only or first device; a network scanner seen as both ``airscan:`` and ``escl:``
    counts once, as its ``airscan:`` entry (that backend copes better with its quirks).
    """
    if not devices:
        raise LivedigitsError(NO_DEVICE_HINT)
    airscan = [_model_key(d) for d in devices if d.name.startswith("airscan:")]

    def twin(device: Device) -> bool:
        key = _model_key(device)
        return bool(key) and any(key in other or other in key for other in airscan if other)

    for device in devices:
        if device.name.startswith("escl:") and twin(device):
            continue
        return device
    return devices[0]


def scanimage_command(settings: ScanSettings, pattern: Path) -> list[str]:
    """The ``scanimage`` argument list that writes each page to ``pattern`` (``%d`` = page)."""
    cmd = [scanimage_path(), "-d", settings.device, "--format=pnm", f"--batch={pattern}",
           "--batch-print", "--progress"]
    if not settings.batch:
        cmd.append("--batch-count=1")
    if settings.resolution:
        cmd.append(f"--resolution={settings.resolution}")
    if settings.mode:
        cmd.append(f"--mode={settings.mode}")
    if settings.source:
        cmd.append(f"--source={settings.source}")
    cmd += [f"--{name}={value}" for name, value in settings.options]
    return cmd


def _last_status(messages: Sequence[str]) -> int:
    """The exit status scanimage would have given, from its last "Scanned page N. (scanner
    status = S)" line: 0 when the page ended normally (S = EOF), else S."""
    for line in reversed(messages):
        found = re.search(r"scanner status = (\d+)", line)
        if found:
            status = int(found.group(1))
            return 0 if status == STATUS_EOF else status
    return 1


def _status_of(returncode: int, messages: Sequence[str]) -> int | None:
    """The SANE fault status of a finished run, from its words first, else its exit status."""
    text = "\n".join(messages)
    for status, words in _FAULT_WORDS.items():
        if words.lower() in text.lower():
            return status
    return returncode if returncode in _FAULT_WORDS else None


def fault_message(device: str, returncode: int, messages: Sequence[str], *,
                  batch: bool, saved: int) -> str | None:
    """The one-line error for a ``scanimage`` run, or None when it ended normally.

    ``messages`` are scanimage's stderr lines (progress removed); ``saved`` is how
    many pages were kept. With ``batch``, the feeder running out (or the backend
    reporting the end of its pages) after at least one page is the normal end.
    """
    status = _status_of(returncode, messages)
    page = saved + 1
    kept = _kept_note(saved)
    where = f" at page {page}" if batch or saved else ""
    if status == STATUS_NO_DOCS:
        if saved:
            return None
        return f"{device}: the document feeder is empty; load the sheets and scan again"
    if status == STATUS_JAMMED:
        again = (f"put page {page} and the rest back and scan again" if batch or saved
                 else "scan again")
        return f"{device}: paper jammed in the feeder{where}{kept}; clear the jam, {again}"
    if status == STATUS_COVER_OPEN:
        return f"{device}: the scanner cover is open{where}{kept}; close it and scan again"
    if status == STATUS_BUSY:
        return (f"{device}: the scanner is busy (another program is using it){kept}; "
                "wait for it to finish or close it, then scan again")
    if status == STATUS_ACCESS_DENIED:
        return (f"{device}: access denied{kept}; check you may use the scanner (add yourself "
                "to the `scanner` group and log in again) or its password")
    if status == STATUS_IO_ERROR:
        return (f"{device}: input/output error talking to the scanner{where}{kept}; check "
                "its cable or network connection and power, then scan again")
    if status == STATUS_NO_MEM:
        return f"{device}: the scanner ran out of memory{where}{kept}; try a lower --resolution"
    text = "\n".join(messages)
    if returncode == STATUS_EOF and saved and "sane_start" in text:
        return None  # the backend has no more pages to give: the end of the batch
    if returncode == 0:
        if saved:
            return None
        return (f"{device}: the scanner gave no page; check the paper is in place "
                "(and --source, e.g. ADF for the feeder)")
    detail = _last_words(messages)
    if "open of device" in text:
        return (f"{device}: cannot open the scanner ({detail}); see `livedigits scan --list` "
                "or `scanimage -L` for the device names, and check permissions (the `scanner` "
                "group)")
    if "unrecognized option" in text or "unknown option" in text:
        return (f"{device}: {detail}; see `scanimage -d {device} --help` for the options this "
                "scanner has")
    return f"{device}: scan failed{where}{kept} ({detail}); check the scanner and scan again"


def _kept_note(saved: int) -> str:
    if saved == 0:
        return ""
    return " (page 1 was saved)" if saved == 1 else f" (pages 1-{saved} were saved)"


def _last_words(messages: Sequence[str]) -> str:
    for line in reversed(messages):
        line = line.strip()
        if line and not line.startswith(("Scanning", "Scanned", "Batch terminated")):
            return line.removeprefix("scanimage: ")
    return "no message from scanimage"


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
    from livedigits.pages.page import read_pixels, reading_dict, save_renderings

    reading = read_pixels(recognizer, page.image, page.path)
    result = reading_dict(page.path, page.image.shape, reading)
    result.update(save_renderings(page.image, reading, page.path.stem, Path(out_dir),
                                  recognizer.min_confidence))
    return result


def _keep(raw: Path, target: Path) -> ScannedPage:
    """Save the raw PNM page ``raw`` as PNG at ``target`` (or ``name-N.png``, never replacing
    a file) and remove ``raw``. A page OpenCV cannot decode is kept as it came, beside."""
    from livedigits.atomic import write_bytes_atomic
    from livedigits.imageio import encode_png, read_image

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
                f"at page {saved + 1}; scanimage was stopped{_kept_note(saved)}; switch the "
                "scanner off and on (or check its connection) and scan again, or raise --timeout")
        returncode = process.returncode
        if ended_at is not None and returncode < 0:
            returncode = _last_status(messages)  # stopped while stuck at exit, its work done
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
