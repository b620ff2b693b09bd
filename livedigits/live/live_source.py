"""A camera or stream read on a thread of its own that keeps only the newest frame.

The one-slot buffer means the picture never lags behind the world; the thread opens the
device, releases it, and reconnects with backoff after repeated failed reads or a frozen
picture (a new ``scene`` each time it comes back).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.live.capture import describe_mode
from livedigits.live.frames import LOST_MESSAGE, Frame, FrameSource, as_bgr

log = logging.getLogger(__name__)


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
        frame = Frame(self._count, as_bgr(image), scene=self._scene)
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
