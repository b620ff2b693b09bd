"""Every frame source behind one interface: cameras, video files, streams, image globs, demo.

``open_source(spec)`` returns a ``FrameSource``; ``source.read(timeout)`` gives the next
``Frame`` (or ``None`` when a live source has nothing new yet) and ``source.finished`` says
when a file source is exhausted. Iterating a source yields its frames until the end.

Files (videos, image globs) are read frame by frame, none skipped. Cameras and streams are
read on a thread of their own that keeps only the newest frame (a one-slot buffer), so the
picture never lags behind the world; that thread opens the device, releases it, and
reconnects with backoff after repeated failed reads or a frozen picture.

Every frame carries a ``scene`` number that changes wherever the picture jumps instead of
moving on: each file of an image glob, a camera back after a reconnect, a looping video
restarting. Whatever follows objects from frame to frame (the live tracker) starts afresh
when it changes.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from livedigits.errors import LivedigitsError

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv",
                  ".flv", ".mjpeg", ".mjpg", ".gif", ".ts", ".y4m"}
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
BACKENDS = ("any", "v4l2", "dshow", "msmf", "avfoundation", "gstreamer", "ffmpeg")
LOST_MESSAGE = "camera lost \u2014 reconnecting"


@dataclass
class Frame:
    """One frame: ``image`` (H, W, 3) uint8 BGR, its index in the source, capture time (s).

    ``scene`` is the same for consecutive frames of one unbroken view and changes where the
    picture jumps (a new file, a reconnect, a video's restart).
    """

    index: int
    image: np.ndarray
    time: float = field(default_factory=time.monotonic)
    scene: int = 0


@dataclass(frozen=True)
class CaptureSettings:
    """What to ask a camera for; zero/None leaves the driver's default."""

    width: int = 0
    height: int = 0
    fps: float = 0.0
    fourcc: str | None = None
    backend: str = "any"


class FrameSource:
    """Base of every source: ``read``, ``finished``, ``status``, ``mode``, ``close``."""

    live = False  # True: stale frames are dropped (cameras, streams)
    name = "source"

    def __init__(self) -> None:
        self.finished = False
        self.status = "ok"  # or LOST_MESSAGE while a live source reconnects
        self.mode = ""  # the mode obtained, e.g. "1280x720 @ 30 fps MJPG"
        self.fps = 0.0  # frames per second the source reports (0: unknown)
        self.failure: str | None = None  # why a source stopped for good (then finished)

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame; ``None`` if nothing new arrived within ``timeout`` or at the end."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __iter__(self) -> Iterator[Frame]:
        while not self.finished:
            frame = self.read(timeout=0.5)
            if frame is not None:
                yield frame

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _backend_id(name: str) -> int:
    import cv2

    table = {"any": cv2.CAP_ANY, "v4l2": cv2.CAP_V4L2, "dshow": cv2.CAP_DSHOW,
             "msmf": cv2.CAP_MSMF, "avfoundation": cv2.CAP_AVFOUNDATION,
             "gstreamer": cv2.CAP_GSTREAMER, "ffmpeg": cv2.CAP_FFMPEG}
    key = name.lower()
    if key not in table:
        raise LivedigitsError(f"unknown --backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return table[key]


def _fourcc_text(value: float) -> str:
    code = int(value)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() and text.strip() else ""


def describe_mode(capture: Any) -> str:
    """The mode a cv2.VideoCapture actually delivers, e.g. ``"1280x720 @ 30 fps MJPG"``."""
    import cv2

    w = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    h = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = capture.get(cv2.CAP_PROP_FPS)
    fourcc = _fourcc_text(capture.get(cv2.CAP_PROP_FOURCC))
    text = f"{w}x{h}"
    if fps and fps > 0:
        text += f" @ {fps:.3g} fps"
    return f"{text} {fourcc}".strip()


def open_capture(target: int | str, settings: CaptureSettings) -> Any:
    """A cv2.VideoCapture on ``target`` with the requested mode applied (may not be opened)."""
    import cv2

    capture = cv2.VideoCapture(target, _backend_id(settings.backend))
    if not capture.isOpened():
        return capture
    # FOURCC first: many UVC cameras only offer 720p and above as MJPG.
    if settings.fourcc:
        capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*settings.fourcc[:4].ljust(4)))
    if settings.width:
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, settings.width)
    if settings.height:
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, settings.height)
    if settings.fps:
        capture.set(cv2.CAP_PROP_FPS, settings.fps)
    # One buffered frame at most where the backend honours it: lower latency.
    capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return capture


def _as_bgr(image: np.ndarray) -> np.ndarray:
    from livedigits.imageio import to_bgr8

    return np.ascontiguousarray(to_bgr8(image))


class VideoFileSource(FrameSource):
    """A video file read frame by frame, none skipped; ``loop`` restarts it at the end."""

    def __init__(self, path: str | Path, *, loop: bool = False) -> None:
        super().__init__()
        import cv2

        self.path = Path(path)
        self.name = str(path)
        self.loop = loop
        if not self.path.is_file():
            raise LivedigitsError(f"{path}: no such video file")
        self._capture = cv2.VideoCapture(str(self.path), cv2.CAP_ANY)
        ok, first = (self._capture.read() if self._capture.isOpened() else (False, None))
        if not ok or first is None:
            self._capture.release()
            raise LivedigitsError(
                f"{path}: not a readable video (damaged, empty or a codec this OpenCV build "
                "lacks; try converting it to MJPG .avi or H.264 .mp4)")
        self._pending: np.ndarray | None = first
        self._index = 0
        self._scene = 0
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.mode = describe_mode(self._capture)

    def read(self, timeout: float | None = None) -> Frame | None:
        if self.finished:
            return None
        if self._pending is not None:
            image, self._pending = self._pending, None
        else:
            ok, image = self._capture.read()
            if (not ok or image is None) and self.loop:
                import cv2

                self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = self._capture.read()
                self._scene += 1  # the sheet jumps back to where it was at the start
            if not ok or image is None:
                self.failure = self._ended_early()
                self.finished = True
                self.close()
                return None
        frame = Frame(self._index, _as_bgr(image), scene=self._scene)
        self._index += 1
        return frame

    def _ended_early(self) -> str | None:
        """The message for a file that stops before the frame count its container
        states (damaged or cut short), or None when it ran to its end."""
        import cv2

        expected = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if expected <= 0 or expected - self._index <= max(1, expected // 100):
            return None
        return (f"{self.path}: the video ended at frame {self._index} of the {expected} it "
                "says it has (damaged or cut short there); the frames before it were read")

    def close(self) -> None:
        self._capture.release()


class ImageFilesSource(FrameSource):
    """Still images (a glob or a list of paths), one frame each, in name order.

    Each file is a scene of its own: nothing read on one carries over to the next.
    """

    def __init__(self, paths: list[Path], *, name: str = "images", loop: bool = False) -> None:
        super().__init__()
        if not paths:
            raise LivedigitsError(f"{name}: no image files match")
        self.paths = paths
        self.name = name
        self.loop = loop
        self._next = 0
        self._index = 0
        self.skipped: dict[Path, str] = {}  # files that could not be read, and why

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next readable file as a frame; a file that cannot be read is reported
        (once) and skipped; None at the end (``failure`` set when none was readable)."""
        from livedigits.imageio import read_image

        for _attempt in range(len(self.paths) + 1):
            if self._next >= len(self.paths):
                if not self.loop or len(self.skipped) == len(self.paths):
                    self.finished = True
                    if len(self.skipped) == len(self.paths):
                        self.failure = (f"{self.name}: none of the {len(self.paths)} files "
                                        f"could be read ({next(iter(self.skipped.values()))})")
                    return None
                self._next = 0
            path = self.paths[self._next]
            self._next += 1
            try:
                image = read_image(path)
                break
            except LivedigitsError as exc:
                if path not in self.skipped:
                    log.warning("%s; skipped", exc)
                self.skipped[path] = str(exc)
        else:
            return None
        self.mode = f"{image.shape[1]}x{image.shape[0]} {path.name}"
        frame = Frame(self._index, _as_bgr(image), scene=self._index)
        self._index += 1
        return frame


class LiveSource(FrameSource):
    """A camera or stream read on its own thread; only the newest frame is kept.

    Parameters
    ----------
    opener : callable returning an object with cv2.VideoCapture's ``isOpened``, ``read``,
        ``release`` (and ``get``); called on the reading thread, again on each reconnect.
    name : what the user asked for, for messages
    lost_after_failures : consecutive failed reads that count as a lost camera
    frozen_after : seconds of identical pictures that count as a lost camera (None: never)
    backoff : first and longest wait between reconnect attempts, seconds
    open_timeout : how long the first open and read may take before failing

    Raises LivedigitsError at once when the first open or read fails.
    """

    live = True

    def __init__(
        self,
        opener: Callable[[], Any],
        *,
        name: str = "camera",
        lost_after_failures: int = 30,
        frozen_after: float | None = 5.0,
        backoff: tuple[float, float] = (0.5, 5.0),
        open_timeout: float = 10.0,
        failure_hint: str = "",
    ) -> None:
        super().__init__()
        self.name = name
        self._opener = opener
        self._lost_after = lost_after_failures
        self._frozen_after = frozen_after
        self._backoff = backoff
        self._stop = threading.Event()
        self._started = threading.Event()
        self._new = threading.Condition()
        self._latest: Frame | None = None
        self._delivered = -1
        self._count = 0
        self._scene = 0
        self._error: str | None = None
        self.reconnects = 0  # times the camera came back
        self.losses = 0  # times it was lost
        self._thread = threading.Thread(target=self._run, name=f"capture {name}", daemon=True)
        self._thread.start()
        if not self._started.wait(open_timeout):
            self.close()
            raise LivedigitsError(f"{name}: no picture within {open_timeout:.0f} s. {failure_hint}"
                                  .strip())
        if self._error is not None:
            self._thread.join(timeout=2.0)
            raise LivedigitsError(f"{self._error}. {failure_hint}".strip())

    def _open(self) -> Any | None:
        try:
            capture = self._opener()
        except Exception as exc:  # a driver or backend error means "not opened"
            log.debug("opening %s failed: %s", self.name, exc)
            return None
        if capture is None or not capture.isOpened():
            if capture is not None:
                capture.release()
            return None
        return capture

    def _run(self) -> None:
        capture = self._open()
        if capture is None:
            self._error = f"cannot open {self.name}"
            self._started.set()
            return
        ok, image = capture.read()
        if not ok or image is None:
            capture.release()
            self._error = f"{self.name}: opened but delivers no picture (busy or not a camera?)"
            self._started.set()
            return
        try:
            self.mode = describe_mode(capture)
        except Exception:  # fake or odd captures may not answer get()
            self.mode = f"{image.shape[1]}x{image.shape[0]}"
        self._publish(image)
        self._started.set()
        try:
            self._loop(capture)
        except Exception as exc:  # a bug or a broken driver: say so and end, never hang
            log.debug("%s: capture thread failed", self.name, exc_info=True)
            self.failure = f"{self.name}: capture stopped ({type(exc).__name__}: {exc})"
            with self._new:
                self.finished = True
                self._new.notify_all()
        finally:
            # Whoever holds the device releases it: this thread.
            if self._capture_ref is not None:
                self._capture_ref.release()

    _capture_ref: Any = None

    def _loop(self, capture: Any) -> None:
        self._capture_ref = capture
        failures = 0
        last_sig: bytes | None = None
        same_since = time.monotonic()
        while not self._stop.is_set():
            ok, image = _read(self._capture_ref)
            now = time.monotonic()
            why = ""  # why the camera counts as lost
            if not ok or image is None:
                failures += 1
                if failures >= self._lost_after:
                    why = f"no picture in {failures} reads"
                else:
                    self._stop.wait(0.01)
            else:
                failures = 0
                sig = _signature(image)
                if sig != last_sig:
                    last_sig, same_since = sig, now
                elif self._frozen_after is not None and now - same_since > self._frozen_after:
                    why = f"picture frozen for {now - same_since:.1f} s"
                if not why:
                    self._publish(image)
            if why:
                log.warning("%s: %s (%s)", self.name, LOST_MESSAGE, why)
                self.losses += 1
                self._capture_ref.release()
                self._capture_ref = None
                self._reconnect(frozen=last_sig if why.startswith("picture frozen") else None)
                failures, last_sig, same_since = 0, None, time.monotonic()
                if self._capture_ref is None:
                    return

    def _reconnect(self, frozen: bytes | None = None) -> None:
        """Retry opening with doubling waits until it works or the source is closed.

        ``frozen``: the signature of the picture that froze; reopened, a camera still
        showing it is still lost.
        """
        self.status = LOST_MESSAGE
        lost_at = time.monotonic()
        wait = self._backoff[0]
        while not self._stop.is_set():
            log.debug("%s: reopening", self.name)
            capture = self._open()
            if capture is not None:
                ok, image = self._first_picture(capture, frozen)
                if ok:
                    self._capture_ref = capture
                    self.reconnects += 1
                    self._scene += 1  # the camera or the sheet may have moved meanwhile
                    self.status = "ok"
                    log.warning("%s: back after %.1f s", self.name, time.monotonic() - lost_at)
                    self._publish(image)
                    return
                capture.release()
            self._stop.wait(wait)
            wait = min(self._backoff[1], wait * 2)

    def _first_picture(self, capture: Any, frozen: bytes | None) -> tuple[bool, Any]:
        """A reopened camera's first picture; (False, None) if it gives none, or only the
        ``frozen`` one for as long as it took to call it frozen."""
        ok, image = _read(capture)
        if not ok or image is None:
            return False, None
        if frozen is None:
            return True, image
        until = time.monotonic() + (self._frozen_after or 0.0)
        while _signature(image) == frozen:
            if time.monotonic() > until or self._stop.is_set():
                return False, None
            ok, image = _read(capture)
            if not ok or image is None:
                return False, None
        return True, image

    def _publish(self, image: np.ndarray) -> None:
        frame = Frame(self._count, _as_bgr(image), scene=self._scene)
        self._count += 1
        with self._new:
            self._latest = frame
            self._new.notify_all()

    def read(self, timeout: float | None = None) -> Frame | None:
        """The newest frame not yet delivered; older ones are dropped."""
        with self._new:
            if self.finished:
                return None
            fresh = self._latest is not None and self._latest.index != self._delivered
            if not fresh and not self.finished:
                self._new.wait_for(
                    lambda: self.finished or (self._latest is not None
                                              and self._latest.index != self._delivered),
                    timeout)
            frame = self._latest
            if self.finished or frame is None or frame.index == self._delivered:
                return None
            self._delivered = frame.index
            return frame

    def close(self) -> None:
        self._stop.set()
        with self._new:
            self.finished = True
            self._new.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5.0)


def _read(capture: Any) -> tuple[bool, Any]:
    """``capture.read()``, an exception from the driver counting as a failed read."""
    try:
        return capture.read()
    except Exception as exc:  # backends raise cv2.error on a device gone mid-read
        log.debug("read failed: %s", exc)
        return False, None


def _signature(image: np.ndarray) -> bytes:
    """A cheap fingerprint of a frame: a sparse pixel sample (sensor noise changes it)."""
    return image[::37, ::29].tobytes()


class DemoSource(FrameSource):
    """A sheet of handwritten digits (digits.png's held-out ones) on a desk, filmed by hand.

    The desk, the sheet and its pen-written digits are rendered once at start
    (``wild.compose``); each frame is shot as a hand-held webcam shoots
    (``handheld.HandHeldPath``): swaying by up to 8 px a frame, turning by up to 6
    degrees, zooming by 8%, blur drawn per frame, moves smeared, the light falling
    off by 45% towards a drifting spot, sensor noise, JPEG at quality 60-70.
    ``truth(frame)`` gives the boxes and digits wholly in view, for scoring.
    """

    DESK = 0.3  # share of the view the desk covers
    FALLOFF = 0.45  # the light's fall-off across the view
    NOISE = 3.0  # sensor noise, gray levels

    def __init__(self, *, width: int = 1280, height: int = 720, n_digits: int = 60,
                 frames: int | None = None, seed: int = 0, paced: bool = False,
                 fps: float = 30.0, cells: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        super().__init__()
        from livedigits.synthetic.handheld import HandHeldPath
        from livedigits.synthetic.world import hand_held_world

        self.name = "demo"
        self.width, self.height = width, height
        self.frames = frames
        self.paced = paced
        self.fps = fps
        rng = np.random.default_rng(seed)
        world = hand_held_world(rng, width, height, digit_height=max(24, height // 20),
                                n_digits=n_digits, stroke=None, ink_level=None,
                                desk=self.DESK, cells=cells)
        self._world = np.clip(world.image, 0, 255).astype(np.uint8)
        self.boxes, self.digits = world.boxes, world.digits
        world_h, world_w = world.image.shape[:2]
        self.path = HandHeldPath(rng, (world_w, world_h), (width, height), fps=fps)
        self._seed = seed
        # Sensor noise as (added, taken) uint8 pairs, a few reused in turn: frames are
        # made in uint8 throughout (about 15 ms a 720p frame; in float, 60 ms).
        self._noise = []
        for _ in range(4):
            grain = rng.normal(0, self.NOISE, (height, width, 3))
            self._noise.append((np.clip(grain, 0, 255).astype(np.uint8),
                                np.clip(-grain, 0, 255).astype(np.uint8)))
        self._index = 0
        self._next_time = time.monotonic()
        self.mode = f"{width}x{height} @ {fps:.0f} fps (rendered)"

    def homography(self, index: int) -> np.ndarray:
        """(3, 3) float64 map from world pixels to frame pixels at frame ``index``."""
        return self.path.shot(index).matrix

    def render(self, index: int) -> np.ndarray:
        """Frame ``index``: (height, width, 3) uint8 BGR."""
        import cv2

        from livedigits.synthetic.camera import light_field, motion_kernel

        shot = self.path.shot(index)
        size = (self.width, self.height)
        view = cv2.warpPerspective(self._world, shot.matrix, size, flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT)
        light = light_field(None, self.width, self.height, self.FALLOFF, shot.light_centre)
        lit = np.empty_like(view)
        cv2.multiply(view, cv2.merge([np.rint(255 * light).astype(np.uint8)] * 3), lit,
                     scale=1 / 255)
        kernel = motion_kernel(shot.motion)
        if kernel is not None:  # smeared along the move
            lit = cv2.filter2D(lit, -1, kernel)
        lit = cv2.GaussianBlur(lit, (0, 0), shot.blur)
        added, taken = self._noise[index % len(self._noise)]
        cv2.subtract(cv2.add(lit, added), taken, lit)
        _, data = cv2.imencode(".jpg", lit, [cv2.IMWRITE_JPEG_QUALITY, shot.jpeg_quality])
        return cv2.imdecode(data, cv2.IMREAD_COLOR)

    def truth(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (N, 4) int32 in frame ``index``'s pixels and digits (N,) int32 of the
        digits wholly in view."""
        from livedigits.synthetic.camera import wholly_inside
        from livedigits.synthetic.synth import warp_boxes

        boxes = warp_boxes(self.boxes.astype(np.float32), self.homography(index))
        keep = wholly_inside(boxes, self.width, self.height)
        return np.round(boxes[keep]).astype(np.int32).reshape(-1, 4), self.digits[keep]

    def read(self, timeout: float | None = None) -> Frame | None:
        if self.frames is not None and self._index >= self.frames:
            self.finished = True
            return None
        if self.paced:
            delay = self._next_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_time = max(self._next_time + 1.0 / self.fps, time.monotonic() - 0.5)
        frame = Frame(self._index, self.render(self._index))
        self._index += 1
        return frame


def _camera_hint() -> str:
    hint = ("Check the camera is plugged in and not in use by another program; pick a "
            "camera, video file or URL with --source, list cameras with `livedigits cameras`, "
            "or try `livedigits demo` (no camera needed)")
    if _is_macos():
        hint += ("; on macOS allow camera access for your terminal in System Settings > "
                 "Privacy & Security > Camera")
    return hint + "."


def open_source(
    spec: str,
    settings: CaptureSettings | None = None,
    *,
    loop: bool = False,
    lost_after_failures: int = 30,
    frozen_after: float | None = 5.0,
) -> FrameSource:
    """Open what ``--source`` names.

    ``spec``: a camera index (``0``), a device path (``/dev/video2``,
    ``/dev/v4l/by-id/...``), a stream URL (rtsp/http/...), a video file, or an image
    file or glob (``scans/*.png``). Raises LivedigitsError with what was tried and
    what to do when it cannot be opened.
    """
    settings = settings or CaptureSettings()
    _backend_id(settings.backend)  # an unknown backend fails before anything opens
    text = spec.strip()
    if text.isdigit() or text.startswith("/dev/"):
        target: int | str = int(text) if text.isdigit() else text
        label = f"camera {text}"
        if isinstance(target, str) and not os.path.exists(target):
            raise LivedigitsError(f"{target}: no such device. {_camera_hint()}")
        tried = f"{label} via backend {settings.backend}"
        _quiet_opencv()  # our message says what was tried and what to do
        return LiveSource(lambda: open_capture(target, settings), name=tried,
                          lost_after_failures=lost_after_failures, frozen_after=frozen_after,
                          failure_hint=_camera_hint())
    if text.lower().startswith(STREAM_SCHEMES):
        return LiveSource(lambda: open_capture(text, settings), name=text,
                          lost_after_failures=lost_after_failures, frozen_after=frozen_after,
                          failure_hint="Check the URL and that the stream is reachable.")
    if any(ch in text for ch in "*?["):
        paths = sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True)
                       if Path(p).is_file())
        return ImageFilesSource(paths, name=text, loop=loop)
    path = Path(os.path.expanduser(text))
    if not path.exists():
        raise LivedigitsError(f"{text}: no such file, camera index or URL")
    if path.is_dir():
        raise LivedigitsError(f"{text}: is a directory; use a glob such as '{text}/*.png'")
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return VideoFileSource(path, loop=loop)
    from livedigits.imageio import read_image

    try:
        read_image(path)
    except LivedigitsError:
        return VideoFileSource(path, loop=loop)  # an odd suffix may still be a video
    return ImageFilesSource([path], name=text, loop=loop)


@dataclass
class CameraInfo:
    """A camera that opened: what it is called and the modes it accepted."""

    source: str
    mode: str
    modes: list[str]


PROBE_MODES = ((640, 480), (1280, 720), (1920, 1080))


def camera_candidates(max_index: int = 8) -> list[str]:
    """Device paths (Linux ``/dev/video*``) or else indexes 0..max_index-1 to probe."""
    devices = sorted(glob.glob("/dev/video*"), key=lambda p: (len(p), p))
    if devices:
        return devices
    if os.name == "posix" and os.path.isdir("/dev") and not _is_macos():
        return []
    return [str(i) for i in range(max_index)]


def _is_macos() -> bool:
    return hasattr(os, "uname") and os.uname().sysname == "Darwin"


def list_cameras(*, backend: str = "any", max_index: int = 8,
                 probe_modes: bool = True) -> list[CameraInfo]:
    """Open each candidate camera, read a frame, and report the modes it accepts."""
    import cv2

    _quiet_opencv()
    found = []
    for candidate in camera_candidates(max_index):
        target: int | str = int(candidate) if candidate.isdigit() else candidate
        capture = open_capture(target, CaptureSettings(backend=backend))
        try:
            if not capture.isOpened():
                continue
            ok, _ = capture.read()
            if not ok:
                continue
            mode = describe_mode(capture)
            modes = []
            if probe_modes:
                for w, h in PROBE_MODES:
                    capture.set(cv2.CAP_PROP_FRAME_WIDTH, w)
                    capture.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
                    got = describe_mode(capture)
                    if got.startswith(f"{w}x{h}") and got not in modes:
                        modes.append(got)
            found.append(CameraInfo(candidate, mode, modes))
        finally:
            capture.release()
    return found


def _quiet_opencv() -> None:
    """Keep OpenCV's own warnings about absent devices off the terminal (unless -vv)."""
    import cv2

    if log.isEnabledFor(logging.DEBUG):
        return
    with contextlib.suppress(AttributeError):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
