"""The live loop in a window: capture, processing and display threads, keys, kiosk upkeep.

Capture, processing and display each run on a thread of their own, joined by one-slot
newest-item boxes (``livedigits.live.handoff``): the window repaints and reads keys at
its own pace whatever processing takes, and a video plays at its own speed. Display and
keys stay on the main thread (Qt wants it so); saved files are written by a background
writer (``livedigits.live.saver``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque

from livedigits.errors import LivedigitsError
from livedigits.live.display import qt_font_dir
from livedigits.live.frames import Frame, FrameSource
from livedigits.live.handoff import Slot, Worker
from livedigits.live.hud import Hud, attract_due, compose
from livedigits.live.kiosk import Health, KioskWindow, health_log
from livedigits.live.pipeline import Pipeline, Result
from livedigits.live.saver import SaveJob, Saver
from livedigits.live.session import LiveConfig, Timing, add_score, frame_time, run_summary

log = logging.getLogger(__name__)


REPAINT_MS = 15  # the window's pace: keys are read and the picture redrawn ~60 times a second
JOIN_SECONDS = 10.0
#: Seconds after which an unchanged picture is drawn again, so that a paint the window
#: system lost (the window mapped or resized after it) is made good within a second.
REDRAW_S = 1.0


class WindowRun:
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
        self.times = Timing()
        self.score: dict | None = None
        self.read = 0  # frames the capture thread handed on
        self.play_started: float | None = None
        self.play_ended: float | None = None  # when the file ran out (monotonic s)
        self.keys: deque[int] = deque()
        self.hud = Hud(fullscreen=config.fullscreen or config.kiosk)
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
                self.score = add_score(self.score, config, result)
                if watcher is not None:
                    message = watcher.feed(frame.image, frame_time(self.source, frame))
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
        return run_summary(self.times, shown, self.saver, self.score)

    def _open_window(self, first: Result) -> None:
        import cv2

        title = self.config.title
        if self.config.kiosk:
            # The picture is drawn at the screen's size: nothing to keep the ratio of.
            flags = cv2.WINDOW_NORMAL | cv2.WINDOW_FREERATIO | cv2.WINDOW_GUI_NORMAL
        else:
            flags = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_EXPANDED
        qt_font_dir()
        try:
            cv2.namedWindow(title, flags)
        except cv2.error as exc:
            raise LivedigitsError(f"cannot open a window ({exc.err}): run with --no-window"
                                  ) from None
        if self.config.kiosk:
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
        painted_at = 0.0
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
                     attract_due(hud, config, now),
                     int(now - hud.lost_since) if hud.lost_since else 0)
            if state != painted or now - painted_at >= REDRAW_S:
                size = self.kiosk.size if self.kiosk is not None else None
                cv2.imshow(title, compose(shown, hud, source, config, min_conf, size))
                screen = _screen_name(state, config)
                if screen != self._screen:
                    log.info("showing the %s", screen)
                    self._screen = screen
                painted, painted_at = state, now
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
