"""The live loop: frames in, tracked digits drawn and shown, keys, saving; headless too.

In a window, capture, processing and display each run on a thread of their own, joined
by one-slot newest-item boxes (``livedigits.live.handoff``): the window repaints and reads
keys at its own pace whatever processing takes, and a video plays at its own speed.
Display and keys stay on the main thread (Qt wants it so); saved files are written by a
background writer. Headless, every frame is processed in order on the calling thread.
``Pipeline.process`` is the pure part (frame -> tracked detections).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.live.handoff import Slot, Worker
from livedigits.live.kiosk import ATTRACT_SECONDS, HEALTH_SECONDS, STALL_SECONDS
from livedigits.live.sources import Frame, FrameSource
from livedigits.live.track import TrackedFrame, Tracker, recognizer_classifier
from livedigits.pages.memory import reuse_freed_memory
from livedigits.recognize.recognizer import Detection, Recognizer
from livedigits.recognize.split import Splitter

log = logging.getLogger(__name__)

KEY_HELP = ("s  save overlay, plain image, frame and JSON",
            "space  freeze / unfreeze",
            "f  fullscreen",
            "d  debug view (ink and 20x20 cells)",
            "h  this help",
            "q / Esc  quit")
MESSAGE_SECONDS = 4.0


@dataclass
class Result:
    """One processed frame.

    image : (H, W, 3) uint8 BGR frame that was read
    tracked : the tracker's output (smoothed detections in reading order)
    ink : (H', W') uint8 binarised image at working scale
    scale : working pixels per frame pixel
    ms : processing time, milliseconds
    """

    index: int
    image: np.ndarray
    tracked: TrackedFrame
    ink: np.ndarray
    scale: float
    ms: float

    @property
    def detections(self) -> list[Detection]:
        return self.tracked.detections

    @property
    def text(self) -> str:
        return self.tracked.text

    def json_line(self) -> str:
        """DESIGN.md's live object: ``{"frame": i, "ms": ..., "detections": [...]}``."""
        from livedigits.pages.formats import JSON_SCHEMA

        return json.dumps({"frame": self.index, "ms": round(self.ms, 3),
                           "detections": [d.to_dict() for d in self.detections],
                           "schema": JSON_SCHEMA})


class Pipeline:
    """Find a frame's candidates, track them, and cut and classify only new or changed ones."""

    def __init__(self, recognizer: Recognizer, tracker: Tracker | None = None) -> None:
        self.recognizer = recognizer
        self.tracker = tracker or Tracker(min_confidence=recognizer.min_confidence)
        self._classify = recognizer_classifier(recognizer)
        self._split = Splitter(recognizer.neighbours, remember=True)

    def process(self, image: np.ndarray, index: int = 0) -> Result:
        """Read one (H, W, 3) uint8 BGR frame."""
        from livedigits.recognize.normalise import cut_cells
        from livedigits.recognize.segment import find_candidates

        start = time.perf_counter()
        found = self._split(find_candidates(image))
        # Cells are cut only for candidates the tracker cannot vouch for (new or changed).
        tracked = self.tracker.update(found.boxes, lambda which: cut_cells(found, which),
                                      self._classify, signatures=found.signatures)
        ms = 1000 * (time.perf_counter() - start)
        return Result(index, image, tracked, found.ink, found.scale, ms)


# -- saving --------------------------------------------------------------------------------


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
        from livedigits.imageio import encode_png
        from livedigits.render import overlay, plain

        self.directory.mkdir(parents=True, exist_ok=True)  # removed since the start?
        local = time.localtime(job.stamp)
        stem = (time.strftime("livedigits-%Y%m%d-%H%M%S", local)
                + f"-{int(job.stamp * 1000) % 1000:03d}")
        base = self.directory / stem
        record = {"frame": job.index, "time": time.strftime("%Y-%m-%dT%H:%M:%S", local),
                  "width": int(job.image.shape[1]), "height": int(job.image.shape[0]),
                  "text": job.text, "detections": [d.to_dict() for d in job.detections]}
        written = [
            self._write(base.with_name(stem + "_overlay.png"), encode_png(
                overlay(job.image, job.detections, min_confidence=self.min_confidence))),
            self._write(base.with_name(stem + "_digits.png"), encode_png(
                plain(job.image.shape, job.detections, min_confidence=self.min_confidence))),
            self._write(base.with_name(stem + "_frame.png"), encode_png(job.image)),
        ]
        record["images"] = {"overlay": written[0].name, "digits": written[1].name,
                            "frame": written[2].name}
        from livedigits.pages.formats import JSON_SCHEMA

        record["schema"] = JSON_SCHEMA
        written.append(self._write(base.with_name(stem + ".json"),
                                   (json.dumps(record, indent=1) + "\n").encode()))
        return written


# -- drawing -------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    """Hershey fonts draw ASCII only."""
    return text.replace("\u2014", "-").encode("ascii", "replace").decode()


def _panel(image: np.ndarray, lines: list[str], origin: tuple[int, int], *, scale: float,
           colour: tuple[int, int, int] = (255, 255, 255),
           background: tuple[int, int, int] = (0, 0, 0)) -> int:
    """Text lines on a darkened box, drawn in place; origin is the box's top-left.

    Returns the y just below the box.
    """
    import cv2

    if not lines:
        return origin[1]
    font = cv2.FONT_HERSHEY_SIMPLEX
    weight = max(1, round(scale * 2))
    sizes = [cv2.getTextSize(_ascii(t), font, scale, weight)[0] for t in lines]
    line_h = max(s[1] for s in sizes) + int(12 * scale) + 4
    width = max(s[0] for s in sizes) + 16
    x0, y0 = origin
    x1 = min(image.shape[1], x0 + width)
    y1 = min(image.shape[0], y0 + line_h * len(lines) + 8)
    region = image[y0:y1, x0:x1]
    region[:] = (region * 0.35 + np.array(background, np.float32) * 0.65).astype(np.uint8)
    for k, text in enumerate(lines):
        cv2.putText(image, _ascii(text), (x0 + 8, y0 + 4 + line_h * (k + 1) - int(6 * scale)),
                    font, scale, colour, weight, cv2.LINE_AA)
    return y1


def debug_view(result: Result) -> np.ndarray:
    """The binarised image with boxes, each digit's normalised 20x20 cell beside its box.

    Returns
    -------
    (H, W, 3) uint8 BGR at the frame's size
    """
    import cv2

    h, w = result.image.shape[:2]
    ink = result.ink
    if ink.shape[:2] != (h, w):
        ink = cv2.resize(ink, (w, h), interpolation=cv2.INTER_NEAREST)
    view = cv2.cvtColor(ink * 127, cv2.COLOR_GRAY2BGR)  # ink is a 0/1 mask
    for d, cell in zip(result.detections, result.tracked.cells, strict=True):
        cv2.rectangle(view, (d.x, d.y), (d.x + d.w - 1, d.y + d.h - 1), (0, 200, 0), 1)
        side = max(20, d.h)
        big = cv2.resize(cell, (side, side), interpolation=cv2.INTER_NEAREST)
        x0 = d.x + d.w + 2
        y0 = d.y
        x1, y1 = min(w, x0 + side), min(h, y0 + side)
        if x1 > x0 and y1 > y0:
            patch = cv2.cvtColor(big[:y1 - y0, :x1 - x0], cv2.COLOR_GRAY2BGR)
            patch[:, :, 0] = np.maximum(patch[:, :, 0], 60)  # blue tint: a cell, not ink
            view[y0:y1, x0:x1] = patch
        cv2.putText(view, str(d.digit), (d.x, max(12, d.y - 3)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5, (0, 200, 255), 1, cv2.LINE_AA)
    return view


@dataclass
class LiveConfig:
    """How ``run`` behaves (the ``live`` command's options)."""

    window: bool = True
    json: bool = False
    max_frames: int | None = None
    save_dir: Path = Path(".")
    save_every: int = 0
    fullscreen: bool = False
    kiosk: bool = False
    mirror: bool = False
    title: str = "livedigits"
    pace_files: bool = True  # in a window, play a video at its own frame rate
    truth: Callable[[int], tuple[np.ndarray, np.ndarray]] | None = None  # demo: score frames
    calibrate: str | None = None  # watch for a calibration sheet, read it into this profile
    calibrate_force: bool = False
    # kiosk mode (livedigits.live.kiosk): event title, attract screen, health lines, stall limit
    event_title: str = ""
    attract_after: float = ATTRACT_SECONDS  # s without digits before the attract screen
    health_every: float = HEALTH_SECONDS  # s between health lines in the log
    stall_limit: float = STALL_SECONDS  # s without a new picture from a working source: exit 1

    def sheet_watcher(self):
        """A SheetWatcher for ``calibrate``, or None."""
        if self.calibrate is None:
            return None
        from livedigits.calibrate.live import SheetWatcher

        return SheetWatcher(self.calibrate, force=self.calibrate_force)


@dataclass
class _Hud:
    fps: float = 0.0
    ms: float = 0.0
    last_time: float = 0.0
    message: str = ""
    message_until: float = 0.0
    frozen: bool = False
    debug: bool = False
    help: bool = False
    fullscreen: bool = False
    save_problem: str | None = None  # shown for as long as the save folder cannot take files
    lost_since: float = 0.0  # when the source was lost (monotonic s), 0 while it works
    last_digits_time: float = field(default_factory=time.monotonic)

    def tick(self, ms: float) -> None:
        now = time.monotonic()
        if self.last_time:
            interval = now - self.last_time
            rate = 1.0 / max(interval, 1e-6)
            self.fps = rate if self.fps == 0 else 0.9 * self.fps + 0.1 * rate
        self.last_time = now
        self.ms = ms if self.ms == 0 else 0.9 * self.ms + 0.1 * ms

    def say(self, message: str) -> None:
        self.message = message
        self.message_until = time.monotonic() + MESSAGE_SECONDS


def compose(result: Result, hud: _Hud, source: FrameSource, config: LiveConfig,
            min_confidence: float, size: tuple[int, int] | None = None) -> np.ndarray:
    """The picture shown: frame (or debug view) with labels, HUD, banner and messages.

    In kiosk mode (debug view off) the picture is ``livedigits.live.kiosk.kiosk_view`` at
    ``size`` (width, height: the screen's; the frame's own when None).
    """
    import cv2

    from livedigits.render import overlay

    detections = result.detections
    w = result.image.shape[1]
    if config.mirror:
        detections = [Detection(w - d.x - d.w, d.y, d.w, d.h, d.digit, d.confidence)
                      for d in detections]
    if config.kiosk and not hud.debug:
        return _kiosk_picture(result, detections, hud, source, config, min_confidence, size)
    if hud.debug:
        view = debug_view(result)
        if config.mirror:
            view = cv2.flip(view, 1)
    else:
        frame = cv2.flip(result.image, 1) if config.mirror else result.image
        view = overlay(frame, detections, min_confidence=min_confidence)
    scale = max(0.45, view.shape[0] / 1100)
    status = f"{hud.fps:4.1f} fps  {hud.ms:5.1f} ms  {len(detections)} digits"
    if hud.frozen:
        status += "  FROZEN (space)"
    below_hud = _panel(view, [status, f"{source.name}: {source.mode}"[:90], "h: keys"],
                       (8, 8), scale=scale) + 6
    banner = " / ".join(line for line in result.text.splitlines() if line)
    if banner:
        big = scale * 1.2
        text = banner if len(banner) <= 60 else banner[:57] + "..."
        _panel(view, [text], (0, view.shape[0] - int(60 * big) - 8), scale=big,
               colour=(255, 255, 0))
    now = time.monotonic()
    if hud.help:
        _panel(view, list(KEY_HELP), (view.shape[1] // 2 - int(260 * scale),
                                      view.shape[0] // 4), scale=scale * 1.2)
    if source.status != "ok":
        _panel(view, [source.status], (view.shape[1] // 6, view.shape[0] // 2), scale=scale * 2,
               colour=(0, 0, 255), background=(255, 255, 255))
    _notes(view, hud, now, (8, below_hud), scale)
    return view


def _notes(view: np.ndarray, hud: _Hud, now: float, origin: tuple[int, int],
           scale: float) -> None:
    notes = [hud.message] if hud.message and now < hud.message_until else []
    if hud.save_problem and hud.save_problem not in notes:
        notes.append(hud.save_problem)
    if notes:
        _panel(view, notes, origin, scale=scale, colour=(0, 255, 255))


def _kiosk_picture(result: Result, detections: list[Detection], hud: _Hud,
                   source: FrameSource, config: LiveConfig, min_confidence: float,
                   size: tuple[int, int] | None) -> np.ndarray:
    """Kiosk mode's picture: livedigits.live.kiosk's full-screen view, plus help and notes."""
    import cv2

    from livedigits.live.kiosk import KioskState, kiosk_view

    frame = cv2.flip(result.image, 1) if config.mirror else result.image
    if size is None:
        size = (frame.shape[1], frame.shape[0])
    now = time.monotonic()
    state = KioskState(title=config.event_title, attract=_attract_due(hud, config, now),
                       status=source.status,
                       lost_seconds=now - hud.lost_since if hud.lost_since else 0.0)
    view = kiosk_view(frame, detections, result.text, size, state,
                      min_confidence=min_confidence)
    scale = max(0.45, view.shape[0] / 1100)
    if hud.help:
        _panel(view, list(KEY_HELP), (view.shape[1] // 2 - int(260 * scale),
                                      view.shape[0] // 4), scale=scale * 1.2)
    _notes(view, hud, now, (8, 8 + view.shape[0] // 12 if config.event_title else 8), scale)
    return view


def _attract_due(hud: _Hud, config: LiveConfig, now: float) -> bool:
    """Kiosk mode: no digits seen for ``config.attract_after`` seconds."""
    return config.kiosk and now - hud.last_digits_time > config.attract_after


# -- running -------------------------------------------------------------------------------


def _x_display_reachable(display: str) -> bool:
    """Whether a local X display (``:N``) has a socket we can connect to."""
    import socket

    if not display.startswith(":"):
        return True  # remote or unusual forms: let the GUI library decide
    number = display[1:].split(".")[0]
    path = f"/tmp/.X11-unix/X{number}"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(path)
        return True
    except OSError:
        return False


def gui_problem() -> str | None:
    """Why no window can open here (a message with what to do), or None."""
    import cv2

    info = cv2.getBuildInformation()
    gui_line = next((line for line in info.splitlines() if line.strip().startswith("GUI:")), "")
    if "NONE" in gui_line.upper():
        return ("this OpenCV has no GUI support (opencv-python-headless installed?): run with "
                "--no-window, or `pip uninstall opencv-python-headless` and reinstall "
                "opencv-python")
    if sys.platform.startswith("linux"):
        platform = os.environ.get("QT_QPA_PLATFORM", "")
        if platform.startswith(("offscreen", "vnc", "eglfs", "linuxfb", "minimal")):
            return None
        display = os.environ.get("DISPLAY", "")
        if not display and not os.environ.get("WAYLAND_DISPLAY"):
            return ("no display found (DISPLAY is not set): run with --no-window "
                    "(add --json for machine-readable output)")
        if display and not os.environ.get("WAYLAND_DISPLAY") and \
                not _x_display_reachable(display):
            return (f"cannot reach the X display {display}: run with --no-window, or fix "
                    "DISPLAY")
    return None


def run(source: FrameSource, recognizer: Recognizer, config: LiveConfig, *,
        out: TextIO | None = None) -> dict:
    """Run the live loop on ``source`` until it ends, ``max_frames``, or the user quits.

    Returns a summary: ``{"frames", "median_ms", "text", "saved"}`` (plus ``"score"``
    summed over frames when ``config.truth`` is given).
    """
    if config.window:
        problem = gui_problem()
        if problem:
            raise LivedigitsError(problem)
    reuse_freed_memory()
    recognizer.warmup()
    pipeline = Pipeline(recognizer)
    saver = Saver(config.save_dir, min_confidence=recognizer.min_confidence)
    try:
        if config.window:
            return _WindowRun(source, pipeline, saver, config).run()
        return _run_headless(source, pipeline, saver, config, out or sys.stdout)
    finally:
        saver.close()
        source.close()


class _Timing:
    """Frames processed and the recent processing times (bounded: runs last for days)."""

    def __init__(self, keep: int = 3000) -> None:
        self.count = 0
        self.recent: deque[float] = deque(maxlen=keep)

    def add(self, ms: float) -> None:
        self.count += 1
        self.recent.append(ms)

    def median(self) -> float:
        return float(np.median(self.recent)) if self.recent else 0.0


def _summary(times: _Timing, last: Result | None, saver: Saver, score: dict | None) -> dict:
    summary = {"frames": times.count, "median_ms": times.median(),
               "text": last.text if last else "", "saved": saver.count}
    if score is not None:
        summary["score"] = score
    return summary


def _add_score(total: dict | None, config: LiveConfig, result: Result) -> dict | None:
    if config.truth is None:
        return total
    from livedigits.synthetic.synth import score

    boxes, digits = config.truth(result.index)
    got = score(boxes, digits, result.detections)
    total = total or {"n": 0, "found": 0, "correct": 0, "fp": 0}
    return {k: total[k] + got[k] for k in total}


def _frame_time(source: FrameSource, frame) -> float:
    """When a frame was taken, s: the clock for cameras, the video's own time for files."""
    if source.live or source.fps <= 0:
        return time.monotonic()
    return frame.index / source.fps


def _run_headless(source: FrameSource, pipeline: Pipeline, saver: Saver, config: LiveConfig,
                  out: TextIO) -> dict:
    times = _Timing()
    last: Result | None = None
    scene = None
    score = None
    last_text = None
    watcher = config.sheet_watcher()
    for frame in source:  # a live source logs its losses and returns itself
        if frame.scene != scene:
            if scene is not None:
                pipeline.tracker.reset()  # a new file, or the camera back after a loss
            scene = frame.scene
        result = pipeline.process(frame.image, frame.index)
        times.add(result.ms)
        last = result
        if watcher is not None:
            message = watcher.feed(frame.image, _frame_time(source, frame))
            if message:
                print(f"livedigits: {message}", file=sys.stderr)
        score = _add_score(score, config, result)
        if config.json:
            out.write(result.json_line() + "\n")
            out.flush()
        elif result.text != last_text:
            reading = result.text.replace("\n", " / ") or "(no digits)"
            out.write(f"frame {result.index}: {reading}\n")
            out.flush()
        last_text = result.text
        if config.save_every and times.count % config.save_every == 0:
            saver.submit(SaveJob(frame.image, result.detections, result.text, frame.index))
        if config.max_frames is not None and times.count >= config.max_frames:
            break
    if source.failure:
        raise LivedigitsError(source.failure)
    skipped = getattr(source, "skipped", None)
    if skipped:  # each was reported as it was skipped; the run still failed for them
        raise LivedigitsError(f"{len(skipped)} of the files could not be read and were "
                              f"skipped (first: {next(iter(skipped))})")
    return _summary(times, last, saver, score)


def _qt_font_dir() -> None:
    """Point Qt at system fonts when OpenCV's wheel ships none (else it warns on stderr)."""
    import cv2

    # cv2 itself points QT_QPA_FONTDIR at its own qt/fonts, which recent wheels lack.
    current = os.environ.get("QT_QPA_FONTDIR")
    if not sys.platform.startswith("linux") or (current and Path(current).is_dir()):
        return
    if current is None and (Path(cv2.__file__).parent / "qt" / "fonts").is_dir():
        return
    for candidate in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/TTF",
                      "/usr/share/fonts/dejavu", "/usr/share/fonts"):
        if Path(candidate).is_dir():
            os.environ["QT_QPA_FONTDIR"] = candidate
            return


REPAINT_MS = 15  # the window's pace: keys are read and the picture redrawn ~60 times a second
JOIN_SECONDS = 10.0


class _WindowRun:
    """The live loop in a window: capture, processing and display on threads of their own.

    capture thread ──Slot[Frame]──> processing thread ──Slot[Result]──> display (main thread)

    Each hand-off is a one-slot box keeping only the newest item, so no stage waits on a
    slower one. The capture thread plays a video file at its own speed (frame k is handed
    on at k / fps seconds after the window opened) and hands on every frame of a file
    without a frame rate (image globs); processing takes the newest frame whenever it is
    free, so it skips frames while behind. The display shows the newest result's overlay
    on that result's own frame, repaints and reads keys every ``REPAINT_MS``, and acts on
    every key in the order pressed.
    """

    def __init__(self, source: FrameSource, pipeline: Pipeline, saver: Saver,
                 config: LiveConfig) -> None:
        self.source = source
        self.pipeline = pipeline
        self.saver = saver
        self.config = config
        self.frames: Slot[Frame] = Slot()
        self.results: Slot[Result] = Slot()
        self.stop = threading.Event()
        self.playing = threading.Event()  # cleared while frozen: a video pauses
        self.playing.set()
        self.shown = threading.Event()  # the window is open: the video's clock starts
        self.notes: queue.SimpleQueue[str] = queue.SimpleQueue()  # for the HUD
        self.times = _Timing()
        self.score: dict | None = None
        self.read = 0  # frames the capture thread handed on
        self.play_started: float | None = None
        self.play_ended: float | None = None  # when the file ran out (monotonic s)
        self.keys: deque[int] = deque()
        self.hud = _Hud(fullscreen=config.fullscreen or config.kiosk)
        self.kiosk = None  # livedigits.live.kiosk.KioskWindow in kiosk mode
        self.health = None  # livedigits.live.kiosk.Health in kiosk mode

    # -- capture thread ------------------------------------------------------------------

    def _capture(self) -> None:
        source = self.source
        paced = not source.live and self.config.pace_files and source.fps > 0
        every = not source.live and not paced  # a file without a clock: none skipped
        clock: float | None = None  # monotonic time at which the video's time 0 is due
        try:
            while not self.stop.is_set():
                if not self.playing.is_set():
                    paused = time.monotonic()
                    while not self.playing.wait(0.05):
                        if self.stop.is_set():
                            return
                    if clock is not None:
                        clock += time.monotonic() - paused
                    continue
                if every and not self.frames.wait_empty(0.1):
                    continue
                frame = source.read(timeout=0.1)
                if frame is None:
                    if source.failure:
                        raise LivedigitsError(source.failure)
                    if source.finished:
                        self.play_ended = time.monotonic()
                        return
                    continue
                if paced:
                    at = frame.index / source.fps
                    if clock is None:
                        self.frames.put(frame)
                        self.read += 1
                        while not self.shown.wait(0.05):  # the first frame opens the window
                            if self.stop.is_set():
                                return
                        clock = self.play_started = time.monotonic() - at
                        continue
                    delay = clock + at - time.monotonic()
                    if delay > 0 and self.stop.wait(delay):
                        return
                elif self.play_started is None:
                    self.play_started = time.monotonic()
                self.frames.put(frame)
                self.read += 1
        finally:
            self.frames.close()

    # -- processing thread ---------------------------------------------------------------

    def _process(self) -> None:
        config = self.config
        watcher = config.sheet_watcher()
        scene = None
        try:
            while not self.stop.is_set():
                frame = self.frames.take(timeout=0.1)
                if frame is None:
                    if self.frames.exhausted:
                        return
                    continue
                if frame.scene != scene:
                    if scene is not None:
                        self.pipeline.tracker.reset()  # a new file, or a camera back
                    scene = frame.scene
                result = self.pipeline.process(frame.image, frame.index)
                self.times.add(result.ms)
                self.score = _add_score(self.score, config, result)
                if watcher is not None:
                    message = watcher.feed(frame.image, _frame_time(self.source, frame))
                    if message:
                        self.notes.put(message)
                if config.save_every and self.times.count % config.save_every == 0:
                    self.saver.submit(SaveJob(frame.image, result.detections, result.text,
                                              frame.index))
                self.results.put(result)
                if config.max_frames is not None and self.times.count >= config.max_frames:
                    return
        finally:
            self.results.close()

    # -- display (main thread) -----------------------------------------------------------

    def run(self) -> dict:
        """Start the threads, show results until the user quits; the summary of ``run``."""
        workers = [Worker(self._capture, "capture").start(),
                   Worker(self._process, "processing").start()]
        shown: Result | None = None
        try:
            while shown is None:
                for worker in workers:
                    worker.check()
                shown = self.results.take(timeout=0.1)
                if shown is None and self.results.exhausted:
                    raise LivedigitsError(f"{self.source.name}: no frames")
            self._open_window(shown)
            self.shown.set()
            shown = self._show(shown, workers)
        finally:
            self.stop.set()
            self.playing.set()
            self.frames.close()
            self.results.close()
            for worker in workers:
                if not worker.join(JOIN_SECONDS):
                    log.warning("the %s thread did not stop within %.0f s", worker.name,
                                JOIN_SECONDS)
            _close_window(self.config.title)
            if self.kiosk is not None:
                self.kiosk.close()
        return _summary(self.times, shown, self.saver, self.score)

    def _open_window(self, first: Result) -> None:
        import cv2

        title = self.config.title
        if self.config.kiosk:
            # The picture is drawn at the screen's size: nothing to keep the ratio of.
            flags = cv2.WINDOW_NORMAL | cv2.WINDOW_FREERATIO | cv2.WINDOW_GUI_NORMAL
        else:
            flags = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_EXPANDED
        _qt_font_dir()
        try:
            cv2.namedWindow(title, flags)
        except cv2.error as exc:
            raise LivedigitsError(f"cannot open a window ({exc.err}): run with --no-window"
                                  ) from None
        if self.config.kiosk:
            from livedigits.live.kiosk import Health, KioskWindow

            self.kiosk = KioskWindow(title)
            self.kiosk.open()
            self.health = Health(self.config.health_every)
        elif self.hud.fullscreen:
            cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        else:
            h, w = first.image.shape[:2]
            cv2.resizeWindow(title, min(w, 1600), min(h, 900))

    def _show(self, shown: Result, workers: list[Worker]) -> Result:
        """Repaint and read keys until quit; returns the result shown last."""
        import cv2

        config, hud, source = self.config, self.hud, self.source
        min_conf = self.pipeline.recognizer.min_confidence
        title = config.title
        painted = None
        fresh = True
        shown_count = 0  # results shown so far: a new one needs a repaint
        ended = False
        while True:
            for worker in workers:
                worker.check()
            if not hud.frozen:
                result = self.results.take(timeout=0)
                if result is not None:
                    shown, fresh = result, True
            if fresh:
                shown_count += 1
                hud.tick(shown.ms)
                if shown.detections:
                    hud.last_digits_time = time.monotonic()
                if self.health is not None:
                    self.health.shown(time.monotonic())
                fresh = False
            self._watch_source()
            while not self.notes.empty():
                hud.say(self.notes.get())
            for message in self.saver.poll():
                hud.say(message)
            hud.save_problem = self.saver.problem
            if self.results.exhausted:
                if config.max_frames is not None and self.times.count >= config.max_frames:
                    break
                if source.finished and not ended:
                    ended = True
                    self._log_end()
                if source.finished and not (hud.message and time.monotonic()
                                            < hud.message_until):
                    hud.say("end of video: q quits" if source.fps > 0 else "last image: q quits")
            now = time.monotonic()
            if self.kiosk is not None:
                self._kiosk_tick(now, shown_count)
            state = (shown_count, hud.frozen, hud.debug, hud.help, hud.save_problem,
                     hud.message if now < hud.message_until else "", source.status,
                     _attract_due(hud, config, now),
                     int(now - hud.lost_since) if hud.lost_since else 0)
            if state != painted:
                size = self.kiosk.size if self.kiosk is not None else None
                cv2.imshow(title, compose(shown, hud, source, config, min_conf, size))
                screen = _screen_name(state, config)
                if screen != self._screen:
                    log.info("showing the %s", screen)
                    self._screen = screen
                painted = state
            key = cv2.waitKey(REPAINT_MS)
            if key != -1 and key & 0xFF != 0xFF:
                self.keys.append(key & 0xFF)
            while self.keys:
                if self._act(self.keys.popleft(), shown):
                    return shown
            if not _window_open(title):
                if config.kiosk:
                    # Unattended, a closed window is an accident: a supervisor restarts us.
                    raise LivedigitsError("the kiosk window was closed (q or Esc quits); "
                                          "exiting with status 1")
                break  # the close button
        return shown

    def _watch_source(self) -> None:
        """The HUD's clock of a lost source (which logs its losses and returns itself)."""
        hud, source = self.hud, self.source
        lost = source.status != "ok"
        if lost and not hud.lost_since:
            hud.lost_since = time.monotonic()
            if self.health is not None:
                self.health.pause()
        elif not lost and hud.lost_since:
            hud.lost_since = 0.0
            self._last_new = time.monotonic()

    _last_new = 0.0  # when the display last got a new result (monotonic s)
    _screen = ""  # what the display shows, in words (for the log)
    _last_count = -1

    def _kiosk_tick(self, now: float, shown_count: int) -> None:
        """Kiosk upkeep: window placement, pointer, health line, stall watchdog."""
        from livedigits.live.kiosk import health_log

        self.kiosk.poll(now)
        reconnects = getattr(self.source, "reconnects", 0)
        line = self.health.line(now, processed=self.times.count, reconnects=reconnects)
        if line:
            health_log.info("%s", line)
        if shown_count != self._last_count or self._last_new == 0.0:
            self._last_count, self._last_new = shown_count, now
            return
        idle = (self.hud.frozen or self.hud.lost_since or self.source.finished
                or self.results.exhausted)
        if idle:
            self._last_new = now
            if self.hud.frozen and self.health is not None:
                self.health.pause()
        elif now - self._last_new > self.config.stall_limit:
            raise LivedigitsError(
                f"{self.source.name}: no new picture for {now - self._last_new:.0f} s; "
                "exiting with status 1 so that a supervisor restarts livedigits")

    def _act(self, key: int, shown: Result) -> bool:
        """Do what ``key`` asks; True to quit."""
        import cv2

        hud = self.hud
        if key in (ord("q"), 27):
            log.info("key %s: quit", "q" if key == ord("q") else "Esc")
            return True
        if key == ord("s"):
            if self.saver.submit(SaveJob(shown.image, shown.detections, shown.text,
                                         shown.index)):
                hud.say(f"saving to {self.config.save_dir} ...")
            log.info("key s: snapshot of frame %d", shown.index)
        elif key == ord(" "):
            hud.frozen = not hud.frozen
            if hud.frozen:
                self.playing.clear()
            else:
                self.playing.set()
            log.info("key space: %s", "frozen" if hud.frozen else "running")
        elif key == ord("f"):
            hud.fullscreen = not hud.fullscreen
            cv2.setWindowProperty(self.config.title, cv2.WND_PROP_FULLSCREEN,
                                  cv2.WINDOW_FULLSCREEN if hud.fullscreen
                                  else cv2.WINDOW_NORMAL)
            log.info("key f: fullscreen %s", "on" if hud.fullscreen else "off")
        elif key == ord("d"):
            hud.debug = not hud.debug
            log.info("key d: debug view %s", "on" if hud.debug else "off")
        elif key == ord("h"):
            hud.help = not hud.help
            log.info("key h: help %s", "shown" if hud.help else "hidden")
        return False

    def _log_end(self) -> None:
        played = (self.play_ended or time.monotonic()) - (self.play_started or time.monotonic())
        log.info("end of %s after %.2f s: %d frames read, %d processed", self.source.name,
                 played, self.read, self.times.count)


def _screen_name(state: tuple, config: LiveConfig) -> str:
    """What the display shows, in words, for the log: the picture, attract or reconnecting."""
    if state[6] != "ok":
        return "reconnecting"
    if state[7]:
        return "attract screen"
    return "kiosk picture" if config.kiosk else "picture"


def _close_window(title: str) -> None:
    import cv2

    if _window_open(title):
        cv2.destroyWindow(title)
        cv2.waitKey(1)


def _window_open(title: str) -> bool:
    """Whether the window is still shown; False once its close button was used.

    OpenCV's Qt backend frees its GUI state when the last window closes; after
    that every window call raises instead of answering, which means closed too.
    """
    import cv2

    try:
        return cv2.getWindowProperty(title, cv2.WND_PROP_VISIBLE) >= 1
    except cv2.error:
        return False
