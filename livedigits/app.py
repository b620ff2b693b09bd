"""The live loop: frames in, tracked digits drawn and shown, keys, saving; headless too.

Display and keys stay on the main thread (Qt wants it so); frames come from a source's
own thread; saved files are written by a background writer. ``Pipeline.process`` is the
pure part (frame -> tracked detections) and is what the headless mode and the tests run.
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
from livedigits.memory import reuse_freed_memory
from livedigits.recognizer import Detection, Recognizer
from livedigits.sources import FrameSource
from livedigits.split import Splitter
from livedigits.track import TrackedFrame, Tracker, recognizer_classifier

log = logging.getLogger(__name__)

KEY_HELP = ("s  save overlay, plain image, frame and JSON",
            "space  freeze / unfreeze",
            "f  fullscreen",
            "d  debug view (ink and 20x20 cells)",
            "h  this help",
            "q / Esc  quit")
MESSAGE_SECONDS = 4.0
KIOSK_IDLE_HELP = 8.0  # seconds without digits before kiosk mode shows the key help


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
        return json.dumps({"frame": self.index, "ms": round(self.ms, 3),
                           "detections": [d.to_dict() for d in self.detections]})


class Pipeline:
    """Find a frame's candidates, track them, and cut and classify only new or changed ones."""

    def __init__(self, recognizer: Recognizer, tracker: Tracker | None = None) -> None:
        self.recognizer = recognizer
        self.tracker = tracker or Tracker(min_confidence=recognizer.min_confidence)
        self._classify = recognizer_classifier(recognizer)
        self._split = Splitter(recognizer._neighbours, remember=True)

    def process(self, image: np.ndarray, index: int = 0) -> Result:
        """Read one (H, W, 3) uint8 BGR frame."""
        from livedigits.segment import cut_cells, find_candidates

        start = time.perf_counter()
        found = self._split(find_candidates(image))
        # Cells are cut only for candidates the tracker cannot vouch for (new or changed).
        tracked = self.tracker.update(found.boxes, lambda which: cut_cells(found, which),
                                      self._classify, signatures=found.signatures)
        ms = 1000 * (time.perf_counter() - start)
        return Result(index, image, tracked, found.ink, found.scale, ms)


# -- saving --------------------------------------------------------------------------------


def _save_problem(directory: Path, exc: OSError | None = None) -> str:
    """A one-line HUD message for a save directory that cannot take files."""
    if exc is None:
        if not directory.exists():
            return f"cannot save: {directory} does not exist (create it or use --save-dir)"
        return f"cannot save: {directory} is not a folder"
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"cannot save: {directory} is full"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot save: {directory} is read-only"
    if code == errno.ENOENT:
        return f"cannot save: {directory} does not exist (create it or use --save-dir)"
    return f"cannot save to {directory}: {exc.strerror or exc}"


@dataclass
class SaveJob:
    image: np.ndarray
    detections: list[Detection]
    text: str
    index: int
    stamp: float = field(default_factory=time.time)


class Saver:
    """Writes snapshots on a background thread, atomically, never overwriting.

    Each snapshot is four files in ``directory``: ``STEM_overlay.png``,
    ``STEM_digits.png`` (numbers on white), ``STEM_frame.png`` (the raw frame) and
    ``STEM.json`` (the detections), STEM being ``livedigits-YYYYmmdd-HHMMSS-mmm``.
    Outcomes arrive as one-line messages from ``poll()``; a failing directory never
    stops the caller.
    """

    def __init__(self, directory: Path, *, min_confidence: float = 0.6,
                 write: Callable[[Path, bytes], Path] | None = None) -> None:
        from livedigits.atomic import write_bytes_atomic

        self.directory = Path(directory)
        self.min_confidence = min_confidence
        self._write = write or (lambda path, data: write_bytes_atomic(path, data,
                                                                      overwrite=False))
        self._jobs: queue.Queue[SaveJob | None] = queue.Queue(maxsize=4)
        self._messages: queue.Queue[str] = queue.Queue()
        self.count = 0  # snapshots written
        self.last: list[Path] = []  # files of the latest one
        self._thread = threading.Thread(target=self._run, name="saver", daemon=True)
        self._thread.start()

    def submit(self, job: SaveJob) -> bool:
        """Queue a snapshot; False (and a message) if the writer is still busy."""
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            self._messages.put("still saving the previous snapshots; try again")
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
                self._messages.put(_save_problem(self.directory, exc))
                log.warning("%s", _save_problem(self.directory, exc))
                continue
            except Exception as exc:  # a writer thread must outlive any one snapshot
                log.exception("saving failed")
                self._messages.put(f"cannot save: {exc}")
                continue
            if paths is None:
                self._messages.put(_save_problem(self.directory))
                continue
            self.count += 1
            self.last = paths
            stem = paths[-1].stem  # the JSON's name is the snapshot's name
            self._messages.put(f"saved {stem} ({len(paths)} files) in {self.directory}")

    def _save(self, job: SaveJob) -> list[Path] | None:
        from livedigits.imageio import encode_png
        from livedigits.render import overlay, plain

        if not self.directory.is_dir():
            return None
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


def _labels_big(image: np.ndarray, detections: list[Detection], min_confidence: float) -> None:
    """Kiosk labels: boxes and numbers as tall as the digits, drawn in place."""
    import cv2

    for d in detections:
        unsure = d.confidence < min_confidence
        colour = (0, 140, 255) if unsure else (0, 200, 0)
        cv2.rectangle(image, (d.x, d.y), (d.x + d.w - 1, d.y + d.h - 1), colour, 2)
        label = "?" if unsure else str(d.digit)
        scale = max(0.6, 0.9 * d.h / 22.0)
        weight = max(2, round(scale * 2.2))
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, weight)
        y = d.y - 6 if d.y - 6 - th >= 0 else d.y + d.h + th + 6
        cv2.putText(image, label, (d.x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                    weight + 4, cv2.LINE_AA)
        cv2.putText(image, label, (d.x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (200, 0, 0),
                    weight, cv2.LINE_AA)


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

    def sheet_watcher(self):
        """A SheetWatcher for ``calibrate``, or None."""
        if self.calibrate is None:
            return None
        from livedigits.live_calibrate import SheetWatcher

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
            min_confidence: float) -> np.ndarray:
    """The picture shown: frame (or debug view) with labels, HUD, banner and messages."""
    import cv2

    from livedigits.render import overlay

    detections = result.detections
    w = result.image.shape[1]
    if config.mirror:
        detections = [Detection(w - d.x - d.w, d.y, d.w, d.h, d.digit, d.confidence)
                      for d in detections]
    if hud.debug:
        view = debug_view(result)
        if config.mirror:
            view = cv2.flip(view, 1)
    else:
        frame = cv2.flip(result.image, 1) if config.mirror else result.image
        if config.kiosk:
            view = frame.copy()
            _labels_big(view, detections, min_confidence)
        else:
            view = overlay(frame, detections, min_confidence=min_confidence)
    scale = max(0.45, view.shape[0] / 1100)
    status = f"{hud.fps:4.1f} fps  {hud.ms:5.1f} ms  {len(detections)} digits"
    if hud.frozen:
        status += "  FROZEN (space)"
    below_hud = 8
    if not config.kiosk or hud.debug:
        below_hud = _panel(view, [status, f"{source.name}: {source.mode}"[:90], "h: keys"],
                           (8, 8), scale=scale) + 6
    banner = " / ".join(line for line in result.text.splitlines() if line)
    if banner:
        big = scale * (2.2 if config.kiosk else 1.2)
        text = banner if len(banner) <= 60 else banner[:57] + "..."
        _panel(view, [text], (0, view.shape[0] - int(60 * big) - 8), scale=big,
               colour=(255, 255, 0))
    now = time.monotonic()
    show_help = hud.help or (config.kiosk and now - hud.last_digits_time > KIOSK_IDLE_HELP)
    if show_help:
        _panel(view, list(KEY_HELP), (view.shape[1] // 2 - int(260 * scale),
                                      view.shape[0] // 4), scale=scale * 1.2)
    if source.status != "ok":
        _panel(view, [source.status], (view.shape[1] // 6, view.shape[0] // 2), scale=scale * 2,
               colour=(0, 0, 255), background=(255, 255, 255))
    if hud.message and now < hud.message_until:
        _panel(view, [hud.message], (8, below_hud), scale=scale,
               colour=(0, 255, 255))
    return view


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
            return _run_window(source, pipeline, saver, config)
        return _run_headless(source, pipeline, saver, config, out or sys.stdout)
    finally:
        saver.close()
        source.close()
        for message in saver.poll():
            log.warning("%s", message)


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
    from livedigits.synth import score

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
    status = "ok"
    score = None
    last_text = None
    watcher = config.sheet_watcher()
    for frame in source:
        if source.status != status:
            status = source.status
            print(f"livedigits: {status if status != 'ok' else 'camera back'}",
                  file=sys.stderr)
            pipeline.tracker.reset()
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
        for message in saver.poll():
            print(f"livedigits: {message}", file=sys.stderr)
        if config.max_frames is not None and times.count >= config.max_frames:
            break
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


def _run_window(source: FrameSource, pipeline: Pipeline, saver: Saver,
                config: LiveConfig) -> dict:
    import cv2

    title = config.title
    flags = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO
    flags |= cv2.WINDOW_GUI_NORMAL if config.kiosk else cv2.WINDOW_GUI_EXPANDED
    hud = _Hud(fullscreen=config.fullscreen or config.kiosk)
    times = _Timing()
    min_conf = pipeline.recognizer.min_confidence
    score = None
    watcher = config.sheet_watcher()

    frame = None
    while frame is None and not source.finished:
        frame = source.read(timeout=0.5)
    if frame is None:
        raise LivedigitsError(f"{source.name}: no frames")
    result = pipeline.process(frame.image, frame.index)
    times.add(result.ms)
    score = _add_score(score, config, result)

    _qt_font_dir()
    try:
        cv2.namedWindow(title, flags)
    except cv2.error as exc:
        raise LivedigitsError(f"cannot open a window ({exc.err}): run with --no-window") from None
    if hud.fullscreen:
        cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
    else:
        h, w = frame.image.shape[:2]
        cv2.resizeWindow(title, min(w, 1600), min(h, 900))
    started = time.monotonic()
    next_due = started
    status = source.status
    try:
        while True:
            if not hud.frozen and not source.finished and \
                    (config.max_frames is None or times.count < config.max_frames):
                wait = 0.0 if not source.live else 0.01
                now = time.monotonic()
                if not source.live and config.pace_files and source.fps > 0 and now < next_due:
                    frame = None
                else:
                    frame = source.read(timeout=wait)
                if frame is not None:
                    next_due = max(next_due + 1.0 / max(source.fps, 1e-3), now - 0.1)
                    result = pipeline.process(frame.image, frame.index)
                    times.add(result.ms)
                    score = _add_score(score, config, result)
                    hud.tick(result.ms)
                    if watcher is not None:
                        message = watcher.feed(frame.image, _frame_time(source, frame))
                        if message:
                            hud.say(message)
                    if result.detections:
                        hud.last_digits_time = time.monotonic()
                    if config.save_every and times.count % config.save_every == 0:
                        saver.submit(SaveJob(frame.image, result.detections, result.text,
                                             frame.index))
            if source.status != status:
                if source.status != "ok":
                    pipeline.tracker.reset()  # the sheet may have moved while it was lost
                status = source.status
            for message in saver.poll():
                hud.say(message)
            if source.finished and not hud.message:
                hud.say("end of video: q quits")
            cv2.imshow(title, compose(result, hud, source, config, min_conf))
            key = cv2.waitKey(1 if not source.finished else 30) & 0xFF
            if key in (ord("q"), 27):
                break
            if key == ord("s"):
                if saver.submit(SaveJob(result.image, result.detections, result.text,
                                        result.index)):
                    hud.say(f"saving to {config.save_dir} ...")
            elif key == ord(" "):
                hud.frozen = not hud.frozen
            elif key == ord("f"):
                hud.fullscreen = not hud.fullscreen
                cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN,
                                      cv2.WINDOW_FULLSCREEN if hud.fullscreen
                                      else cv2.WINDOW_NORMAL)
            elif key == ord("d"):
                hud.debug = not hud.debug
            elif key == ord("h"):
                hud.help = not hud.help
            if not _window_open(title):
                break  # the close button
            if config.max_frames is not None and times.count >= config.max_frames:
                break
    finally:
        if _window_open(title):
            cv2.destroyWindow(title)
            cv2.waitKey(1)
    return _summary(times, result, saver, score)


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
