"""Kiosk mode's upkeep: the window kept over the screen, the pointer hidden, health lines.

- ``KioskWindow``: an OpenCV window covering the monitor (placed by hand where no window
  manager does it), the pointer hidden while still (``CursorHider``), the screen kept
  awake; through ``livedigits.live.xdisplay``.
- ``Health``: a periodic one-line account of the run (frames, fps, reconnects, memory,
  longest gap between frames) for the log of a run that lasts for days.

The picture itself is ``livedigits.live.kiosk_picture``.
"""

from __future__ import annotations

import logging
import time

from livedigits.live.xdisplay import XDisplay

log = logging.getLogger(__name__)
health_log = logging.getLogger("livedigits.health")

CURSOR_STILL_SECONDS = 3.0  # the pointer hides after this long without moving
ATTRACT_SECONDS = 8.0  # no digits for this long: the attract screen
HEALTH_SECONDS = 86400.0  # one health line a day unless told otherwise
STALL_SECONDS = 30.0  # no new picture for this long from a working source: give up


class CursorHider:
    """Hides the pointer over our windows once it has been still for ``after`` seconds."""

    def __init__(self, x: XDisplay, title: str, *, after: float = CURSOR_STILL_SECONDS) -> None:
        self._x = x
        self._title = title
        self._after = after
        self._where: tuple[int, int] | None = None
        self._since = time.monotonic()
        self.hidden = False

    def poll(self, now: float) -> None:
        """Look at the pointer; call about once a second from the display thread."""
        where = self._x.pointer()
        if where != self._where:
            self._where, self._since = where, now
            if self.hidden:
                self._x.set_cursor_hidden(self._x.windows_named(self._title), False)
                self.hidden = False
        elif now - self._since >= self._after:
            # Set again each time: a toolkit may give its window a cursor of its own.
            self._x.set_cursor_hidden(self._x.windows_named(self._title), True)
            self.hidden = True


class KioskWindow:
    """Keeps an OpenCV window covering the screen, the pointer hidden, the screen awake.

    With a window manager the fullscreen property does it; with none (a bare X server,
    the usual kiosk set-up) nobody sizes the window, so it is moved to the monitor's
    corner and sized to it, and checked again each second. ``size`` is the picture
    size to draw, (width, height) px: the monitor's, or None where it cannot be read.
    """

    RETRIES = 5  # placements tried before leaving the window to a window manager

    def __init__(self, title: str, *, cursor_after: float = CURSOR_STILL_SECONDS) -> None:
        self.title = title
        self.rect: tuple[int, int, int, int] | None = None
        self._x: XDisplay | None = None
        self._cursor: CursorHider | None = None
        self._next_check = 0.0
        self._placed = 0
        try:
            self._x = XDisplay()
            self.rect = self._x.screen_rect()
            self._cursor = CursorHider(self._x, title, after=cursor_after)
        except OSError as exc:
            log.warning("kiosk: cannot read the screen size (%s); leaving the window's size "
                        "to the window manager", exc)

    @property
    def size(self) -> tuple[int, int] | None:
        return None if self.rect is None else (self.rect[2], self.rect[3])

    def open(self) -> None:
        """After ``cv2.namedWindow``: fullscreen, placed, and the screen kept awake."""
        import cv2

        cv2.setWindowProperty(self.title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        self._place()
        if self._x is not None:
            off = self._x.keep_awake()
            if off:
                log.warning("kiosk: switched off %s so the screen stays on", " and ".join(off))

    def _place(self) -> None:
        import cv2

        if self.rect is None:
            return
        x, y, w, h = self.rect
        cv2.moveWindow(self.title, x, y)
        cv2.resizeWindow(self.title, w, h)
        self._placed += 1

    def poll(self, now: float) -> None:
        """Once a second: put the window back over the screen if it is not, hide the pointer."""
        import cv2

        if now < self._next_check:
            return
        self._next_check = now + 1.0
        if self.rect is not None and self._placed < self.RETRIES:
            try:
                shown = tuple(cv2.getWindowImageRect(self.title))
            except cv2.error:
                shown = None
            if shown is not None and shown != self.rect:
                log.info("kiosk: window at %s, moving it to %s", shown, self.rect)
                self._place()
        if self._cursor is not None:
            self._cursor.poll(now)

    def close(self) -> None:
        if self._x is not None:
            self._x.close()
            self._x = None


def rss_mib() -> float:
    """This process's resident memory, MiB (0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Health:
    """Counts frames and gaps; every ``every`` seconds gives one line for the log.

    ``shown(now)`` is called for each new picture shown; ``line(now, ...)`` returns the
    health line when one is due (None otherwise) and starts the next period.
    """

    def __init__(self, every: float = HEALTH_SECONDS, *, start: float | None = None) -> None:
        self.every = every
        self.start = time.monotonic() if start is None else start
        self._period_start = self.start
        self._due = self.start + every
        self.frames = 0
        self._period_frames = 0
        self._last: float | None = None
        self.longest_gap = 0.0  # s between two pictures, this period

    def shown(self, now: float) -> None:
        """A new picture reached the screen at ``now`` (monotonic s)."""
        if self._last is not None:
            self.longest_gap = max(self.longest_gap, now - self._last)
        self._last = now
        self.frames += 1
        self._period_frames += 1

    def pause(self) -> None:
        """No picture is expected (frozen, camera lost): the next gap starts afresh."""
        self._last = None

    def line(self, now: float, *, processed: int, reconnects: int) -> str | None:
        """The health line if one is due at ``now``; resets the period's figures."""
        if now < self._due:
            return None
        period = max(now - self._period_start, 1e-9)
        up = int(now - self.start)
        days, rest = divmod(up, 86400)
        clock = time.strftime("%H:%M:%S", time.gmtime(rest))
        text = (f"health: up {days}d {clock}, {self.frames} frames shown "
                f"({self._period_frames / period:.1f} fps), {processed} processed, "
                f"{reconnects} reconnects, rss {rss_mib():.1f} MiB, longest gap "
                f"{self.longest_gap:.2f} s")
        self._period_start = now
        self._period_frames = 0
        self.longest_gap = 0.0
        while self._due <= now:
            self._due += self.every
        return text
