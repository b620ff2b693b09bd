"""Kiosk mode: one full-screen picture on a bare display, legible from across a room.

Three parts, each usable alone:

- ``XDisplay``: a connection of our own to the X server (Xlib through ctypes, no extra
  package): the size of the screen, our window's ids, the pointer, a blank cursor, and
  the screen saver and DPMS switched off. A kiosk often runs with no window manager,
  where nobody else sizes the window or keeps the screen awake.
- ``kiosk_view``: the picture at the screen's own size: the frame fitted in, boxes and
  numbers sized from the screen with a dark halo, the text read in a large banner, an
  optional event title, the attract screen (what to do, with a drawn example) when no
  sheet has been seen for a while, and a full-screen "reconnecting" state.
- ``Health``: a periodic one-line account of the run (frames, fps, reconnects, memory,
  longest gap between frames) for the log of a run that lasts for days.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from livedigits.recognize.recognizer import Detection

log = logging.getLogger(__name__)
health_log = logging.getLogger("livedigits.health")

CURSOR_STILL_SECONDS = 3.0  # the pointer hides after this long without moving
ATTRACT_SECONDS = 8.0  # no digits for this long: the attract screen
HEALTH_SECONDS = 86400.0  # one health line a day unless told otherwise
STALL_SECONDS = 30.0  # no new picture for this long from a working source: give up

# -- the X display -------------------------------------------------------------------------

_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


@_ERROR_HANDLER
def _ignore_x_error(_display: int, _event: int) -> int:
    # Xlib's default handler ends the process on any error (a window gone meanwhile).
    return 0


class _MonitorInfo(ctypes.Structure):
    """Xrandr's XRRMonitorInfo."""

    _fields_ = [("name", ctypes.c_ulong), ("primary", ctypes.c_int),
                ("automatic", ctypes.c_int), ("noutput", ctypes.c_int),
                ("x", ctypes.c_int), ("y", ctypes.c_int),
                ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("mwidth", ctypes.c_int), ("mheight", ctypes.c_int),
                ("outputs", ctypes.c_void_p)]


def _load(name: str, fallback: str) -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library(name) or fallback)


def _xlib() -> ctypes.CDLL:
    xlib = _load("X11", "libX11.so.6")
    display, window, ulong = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong
    pint, pwin = ctypes.POINTER(ctypes.c_int), ctypes.POINTER(window)
    signatures = {
        "XOpenDisplay": (display, [ctypes.c_char_p]),
        "XCloseDisplay": (ctypes.c_int, [display]),
        "XDefaultScreen": (ctypes.c_int, [display]),
        "XDisplayWidth": (ctypes.c_int, [display, ctypes.c_int]),
        "XDisplayHeight": (ctypes.c_int, [display, ctypes.c_int]),
        "XRootWindow": (window, [display, ctypes.c_int]),
        "XQueryTree": (ctypes.c_int, [display, window, pwin, pwin,
                                      ctypes.POINTER(pwin), ctypes.POINTER(ctypes.c_uint)]),
        "XFetchName": (ctypes.c_int, [display, window, ctypes.POINTER(ctypes.c_char_p)]),
        "XFree": (ctypes.c_int, [ctypes.c_void_p]),
        "XQueryPointer": (ctypes.c_int, [display, window, pwin, pwin, pint, pint, pint, pint,
                                         ctypes.POINTER(ctypes.c_uint)]),
        "XCreateBitmapFromData": (ulong, [display, window, ctypes.c_char_p, ctypes.c_uint,
                                          ctypes.c_uint]),
        "XCreatePixmapCursor": (ulong, [display, ulong, ulong, ctypes.c_void_p,
                                        ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]),
        "XFreePixmap": (ctypes.c_int, [display, ulong]),
        "XDefineCursor": (ctypes.c_int, [display, window, ulong]),
        "XUndefineCursor": (ctypes.c_int, [display, window]),
        "XSetScreenSaver": (ctypes.c_int, [display, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                           ctypes.c_int]),
        "XGetScreenSaver": (ctypes.c_int, [display, pint, pint, pint, pint]),
        "XFlush": (ctypes.c_int, [display]),
        "XSync": (ctypes.c_int, [display, ctypes.c_int]),
        "XSetErrorHandler": (ctypes.c_void_p, [_ERROR_HANDLER]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(xlib, name)
        function.restype, function.argtypes = restype, argtypes
    return xlib


class _XColor(ctypes.Structure):
    _fields_ = [("pixel", ctypes.c_ulong), ("red", ctypes.c_ushort),
                ("green", ctypes.c_ushort), ("blue", ctypes.c_ushort),
                ("flags", ctypes.c_char), ("pad", ctypes.c_char)]


class XDisplay:
    """Our own connection to an X server (``DISPLAY`` unless named).

    Raises OSError when libX11 is missing or the display cannot be opened. Use from one
    thread only (the display thread).
    """

    def __init__(self, name: str | None = None) -> None:
        self._x = _xlib()
        self._x.XSetErrorHandler(_ignore_x_error)
        self.name = name if name is not None else os.environ.get("DISPLAY", "")
        self._display = self._x.XOpenDisplay(self.name.encode() if self.name else None)
        if not self._display:
            raise OSError(f"cannot open the X display {self.name!r}")
        self._screen = self._x.XDefaultScreen(self._display)
        self.root = self._x.XRootWindow(self._display, self._screen)
        self._blank = 0

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        if self._display:
            self._x.XCloseDisplay(self._display)
            self._display = None

    def __enter__(self) -> XDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def screen_rect(self) -> tuple[int, int, int, int]:
        """(x, y, width, height) in pixels of the primary monitor, else the whole screen."""
        monitors = self._monitors()
        if monitors:
            primary = next((m for m in monitors if m[4]), monitors[0])
            return primary[:4]
        return (0, 0, self._x.XDisplayWidth(self._display, self._screen),
                self._x.XDisplayHeight(self._display, self._screen))

    def _monitors(self) -> list[tuple[int, int, int, int, bool]]:
        try:
            xrandr = _load("Xrandr", "libXrandr.so.2")
            get = xrandr.XRRGetMonitors
        except (OSError, AttributeError):
            return []  # no Xrandr 1.5: the screen is the monitor
        get.restype = ctypes.POINTER(_MonitorInfo)
        get.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int,
                        ctypes.POINTER(ctypes.c_int)]
        count = ctypes.c_int(0)
        found = get(self._display, self.root, 1, ctypes.byref(count))
        if not found:
            return []
        try:
            return [(found[k].x, found[k].y, found[k].width, found[k].height,
                     bool(found[k].primary)) for k in range(count.value)
                    if found[k].width > 0 and found[k].height > 0]
        finally:
            xrandr.XRRFreeMonitors.argtypes = [ctypes.c_void_p]
            xrandr.XRRFreeMonitors(found)

    def windows_named(self, title: str) -> list[int]:
        """Ids of the windows whose WM_NAME is ``title`` (a toolkit may make several)."""
        out = []
        stack = [self.root]
        while stack:
            window = stack.pop()
            name = ctypes.c_char_p()
            if window != self.root and self._x.XFetchName(self._display, window,
                                                          ctypes.byref(name)):
                if name.value is not None and name.value.decode(errors="replace") == title:
                    out.append(window)
                self._x.XFree(name)
            root, parent = ctypes.c_ulong(), ctypes.c_ulong()
            children = ctypes.POINTER(ctypes.c_ulong)()
            n = ctypes.c_uint()
            if self._x.XQueryTree(self._display, window, ctypes.byref(root),
                                  ctypes.byref(parent), ctypes.byref(children), ctypes.byref(n)):
                stack.extend(children[k] for k in range(n.value))
                if children:
                    self._x.XFree(children)
        return out

    def pointer(self) -> tuple[int, int]:
        """Where the mouse pointer is on the screen, pixels."""
        root, child = ctypes.c_ulong(), ctypes.c_ulong()
        rx, ry, wx, wy = (ctypes.c_int() for _ in range(4))
        mask = ctypes.c_uint()
        self._x.XQueryPointer(self._display, self.root, ctypes.byref(root), ctypes.byref(child),
                              ctypes.byref(rx), ctypes.byref(ry), ctypes.byref(wx),
                              ctypes.byref(wy), ctypes.byref(mask))
        return rx.value, ry.value

    def set_cursor_hidden(self, windows: Sequence[int], hidden: bool) -> None:
        """Give ``windows`` a blank cursor, or their default one back."""
        if hidden and not self._blank:
            bits = ctypes.create_string_buffer(1)
            pixmap = self._x.XCreateBitmapFromData(self._display, self.root, bits, 1, 1)
            black = _XColor()
            self._blank = self._x.XCreatePixmapCursor(self._display, pixmap, pixmap,
                                                      ctypes.byref(black), ctypes.byref(black),
                                                      0, 0)
            self._x.XFreePixmap(self._display, pixmap)
        for window in windows:
            if hidden:
                self._x.XDefineCursor(self._display, window, self._blank)
            else:
                self._x.XUndefineCursor(self._display, window)
        self._x.XFlush(self._display)

    def keep_awake(self) -> list[str]:
        """Switch the screen saver and DPMS power saving off; what was switched off."""
        done = []
        timeout, interval, blanking, exposures = (ctypes.c_int() for _ in range(4))
        self._x.XGetScreenSaver(self._display, ctypes.byref(timeout), ctypes.byref(interval),
                                ctypes.byref(blanking), ctypes.byref(exposures))
        if timeout.value != 0:
            self._x.XSetScreenSaver(self._display, 0, interval.value, blanking.value,
                                    exposures.value)
            done.append(f"screen saver (was {timeout.value} s)")
        try:
            xext = _load("Xext", "libXext.so.6")
            dummy_a, dummy_b = ctypes.c_int(), ctypes.c_int()
            xext.DPMSQueryExtension.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                                                ctypes.POINTER(ctypes.c_int)]
            xext.DPMSCapable.argtypes = [ctypes.c_void_p]
            xext.DPMSDisable.argtypes = [ctypes.c_void_p]
            if (xext.DPMSQueryExtension(self._display, ctypes.byref(dummy_a),
                                        ctypes.byref(dummy_b))
                    and xext.DPMSCapable(self._display)):
                xext.DPMSDisable(self._display)
                done.append("DPMS")
        except (OSError, AttributeError):
            pass  # no libXext: nothing more to switch off
        self._x.XSync(self._display, 0)
        return done

    def screen_saver_timeout(self) -> int:
        """The screen saver's timeout, s (0: off)."""
        values = [ctypes.c_int() for _ in range(4)]
        self._x.XGetScreenSaver(self._display, *(ctypes.byref(v) for v in values))
        return values[0].value


def screen_rect(display: str | None = None) -> tuple[int, int, int, int] | None:
    """(x, y, width, height) of the display's primary monitor, or None if it cannot be read."""
    try:
        with XDisplay(display) as x:
            return x.screen_rect()
    except OSError as exc:
        log.info("screen size unknown: %s", exc)
        return None


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


# -- the picture ---------------------------------------------------------------------------

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREEN = (60, 220, 60)
ORANGE = (0, 160, 255)
YELLOW = (60, 230, 255)
INK = (120, 40, 20)


FONT_SCALE_STEP = 1 / 16


def font_scale(scale: float) -> float:
    """``scale`` rounded down to a sixteenth (at least one).

    OpenCV 5's text renderer keeps what it prepares for each font scale it meets, for
    good (100,000 distinct scales: +10.7 MiB resident, getTextSize alike): text sized
    from measurements must not bring a new scale every frame for days. On a ladder of
    sixteenths a screen's text uses a few hundred scales at most, each 3% from the next.
    """
    return max(FONT_SCALE_STEP, int(scale / FONT_SCALE_STEP) * FONT_SCALE_STEP)


def _fit_scale(text: str, font: int, height: float, width: float, weight: int) -> float:
    """The font scale at which ``text`` is ``height`` px tall, shrunk to fit ``width`` px."""
    import cv2

    (tw, th), _ = cv2.getTextSize(text, font, 1.0, weight)
    return font_scale(max(0.1, min(height / max(th, 1), width / max(tw, 1))))


def _halo_text(image: np.ndarray, text: str, origin: tuple[int, int], scale: float,
               colour: tuple[int, int, int], *, font: int | None = None) -> None:
    """Text with a dark outline that reads on any background; origin is the baseline left."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX if font is None else font
    scale = font_scale(scale)
    weight = max(2, round(scale * 2.2))
    # The halo is the text's own shape grown by a few pixels (a thicker stroke is not an
    # outline with every OpenCV's text renderer).
    radius = max(2, round(scale * 1.6))
    (tw, th), base = cv2.getTextSize(text, font, scale, weight)
    pad = radius + weight + 2
    x0, y0 = max(0, origin[0] - pad), max(0, origin[1] - th - pad)
    x1 = min(image.shape[1], origin[0] + tw + pad)
    y1 = min(image.shape[0], origin[1] + base + pad)
    if x1 > x0 and y1 > y0:
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.putText(mask, text, (origin[0] - x0, origin[1] - y0), font, scale, 255, weight,
                    cv2.LINE_AA)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        image[y0:y1, x0:x1][cv2.dilate(mask, kernel) > 0] = BLACK
    cv2.putText(image, text, origin, font, scale, colour, weight, cv2.LINE_AA)


def _centred(image: np.ndarray, text: str, y: int, height: float, colour: tuple[int, int, int],
             *, width: float | None = None, font: int | None = None) -> int:
    """``text`` centred on the baseline ``y``, ``height`` px tall; returns its left x."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX if font is None else font
    w = image.shape[1]
    scale = _fit_scale(text, font, height, width or 0.92 * w, max(2, round(height / 12)))
    weight = max(2, round(scale * 2.2))
    (tw, _), _ = cv2.getTextSize(text, font, scale, weight)
    x = (w - tw) // 2
    _halo_text(image, text, (x, y), scale, colour, font=font)
    return x


def _darken(region: np.ndarray, keep: float) -> None:
    region[:] = (region.astype(np.float32) * keep).astype(np.uint8)


def _fit_frame(frame: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float, int, int]:
    """``frame`` scaled to fit ``size`` (width, height) on black: (view, scale, x0, y0)."""
    import cv2

    width, height = size
    fh, fw = frame.shape[:2]
    scale = min(width / fw, height / fh)
    nw, nh = max(1, round(fw * scale)), max(1, round(fh * scale))
    view = np.zeros((height, width, 3), np.uint8)
    x0, y0 = (width - nw) // 2, (height - nh) // 2
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    view[y0:y0 + nh, x0:x0 + nw] = cv2.resize(frame, (nw, nh), interpolation=interpolation)
    return view, scale, x0, y0


def _labels(view: np.ndarray, detections: Sequence[Detection], scale: float, x0: int, y0: int,
            min_confidence: float) -> None:
    """Boxes and numbers in screen pixels: numbers at least an 18th of the screen tall."""
    import cv2

    screen_h = view.shape[0]
    line = max(2, screen_h // 300)
    smallest = screen_h / 18  # ~3 cm on a 40" screen: legible from three metres
    for d in detections:
        unsure = d.confidence < min_confidence
        x, y = round(x0 + d.x * scale), round(y0 + d.y * scale)
        w, h = max(1, round(d.w * scale)), max(1, round(d.h * scale))
        colour = ORANGE if unsure else GREEN
        cv2.rectangle(view, (x - 1, y - 1), (x + w, y + h), BLACK, line + 2, cv2.LINE_AA)
        cv2.rectangle(view, (x - 1, y - 1), (x + w, y + h), colour, line, cv2.LINE_AA)
        label = "?" if unsure else str(d.digit)
        size = max(smallest, 0.8 * h)
        font_scale = size / 22.0
        above = y - line - 4
        baseline = above if above - size >= 0 else y + h + round(size) + line + 4
        _halo_text(view, label, (x, baseline), font_scale, ORANGE if unsure else YELLOW)


def _banner(view: np.ndarray, text: str) -> None:
    """The text read, in white on a dark band along the bottom, a ninth of the screen tall."""
    h, w = view.shape[:2]
    band = max(40, h // 9)
    _darken(view[h - band:], 0.25)
    shown = text if len(text) <= 48 else text[:45] + "..."
    _centred(view, shown, h - band // 4, 0.58 * band, WHITE)


def _title(view: np.ndarray, title: str) -> int:
    """The event's title on a dark band along the top; returns the band's height."""
    h = view.shape[0]
    band = max(30, h // 13)
    _darken(view[:band], 0.3)
    _centred(view, title, band - band // 4, 0.55 * band, WHITE)
    return band


def _example(view: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    """A drawn example: a card with two handwritten digits, boxed and read as the app does."""
    import cv2

    cv2.rectangle(view, (x, y), (x + w, y + h), (235, 240, 240), -1, cv2.LINE_AA)
    cv2.rectangle(view, (x, y), (x + w, y + h), (150, 150, 150), 2, cv2.LINE_AA)
    digit_h = 0.45 * h
    script = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    scale = font_scale(digit_h / 22.0)
    weight = max(3, round(scale * 3))
    for k, digit in enumerate("27"):
        (tw, th), _ = cv2.getTextSize(digit, script, scale, weight)
        cx = x + w * (1 + 2 * k) // 4
        base = y + round(0.8 * h)
        left = cx - tw // 2
        cv2.putText(view, digit, (left, base), script, scale, INK, weight, cv2.LINE_AA)
        pad = max(4, th // 8)
        top = base - th - pad
        cv2.rectangle(view, (left - pad, top), (left + tw + pad, base + pad), GREEN,
                      max(2, h // 60), cv2.LINE_AA)
        _halo_text(view, digit, (left, top - pad), 0.8 * digit_h / 22.0, YELLOW)


def _attract(view: np.ndarray, top: int) -> None:
    """What to do, in big type, over the darkened picture, with a drawn example."""
    h, w = view.shape[:2]
    _darken(view[top:], 0.35)
    free = h - top
    line = free / 11
    _centred(view, "Write a number on paper", round(top + 2.0 * line), 1.1 * line, WHITE)
    _centred(view, "and hold it up to the camera", round(top + 3.6 * line), 1.1 * line,
             WHITE)
    card_h = round(4.6 * line)
    card_w = round(card_h * 1.5)
    _example(view, (w - card_w) // 2, round(top + 5.0 * line), card_w, card_h)
    _centred(view, "every digit gets a box and its number", round(top + 10.6 * line),
             0.55 * line, (210, 210, 210))


def _reconnecting(view: np.ndarray, status: str, seconds: float, top: int) -> None:
    """The picture dimmed, with a large note that the camera is being reconnected."""
    import cv2

    h, w = view.shape[:2]
    _darken(view[top:], 0.25)
    mid = top + (h - top) // 2
    band = max(60, h // 5)
    cv2.rectangle(view, (0, mid - band // 2), (w, mid + band // 2), (20, 20, 150), -1)
    _centred(view, _ascii(status), mid + band // 8, 0.42 * band, WHITE)
    _centred(view, f"please wait ({seconds:.0f} s)", mid + band // 2 + band // 3,
             0.25 * band, (220, 220, 220))


def _ascii(text: str) -> str:
    """Hershey fonts draw ASCII only."""
    return text.replace("\u2014", "-").encode("ascii", "replace").decode()


@dataclass
class KioskState:
    """What the kiosk picture shows besides the frame."""

    title: str = ""
    attract: bool = False  # no sheet seen for a while
    status: str = "ok"  # the source's status: anything but "ok" is a lost camera
    lost_seconds: float = 0.0


def kiosk_view(frame: np.ndarray, detections: Sequence[Detection], text: str,
               size: tuple[int, int], state: KioskState, *,
               min_confidence: float = 0.6) -> np.ndarray:
    """The kiosk picture at the screen's own ``size`` (width, height).

    frame : (H, W, 3) uint8 BGR, shown scaled to fit, centred on black
    detections : boxes in ``frame``'s pixels
    text : the text read, lines separated by newlines

    Returns (height, width, 3) uint8 BGR.
    """
    view, scale, x0, y0 = _fit_frame(frame, size)
    lost = state.status != "ok"
    top = _title(view, _ascii(state.title)) if state.title else 0
    if not lost and not state.attract:  # over the title's band: the numbers matter more
        _labels(view, detections, scale, x0, y0, min_confidence)
    if lost:
        _reconnecting(view, state.status, state.lost_seconds, top)
    elif state.attract:
        _attract(view, top)
    else:
        banner = " / ".join(line for line in text.splitlines() if line)
        if banner:
            _banner(view, banner)
    return view


# -- health --------------------------------------------------------------------------------


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
