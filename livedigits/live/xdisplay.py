"""A connection of our own to the X server, through Xlib and ctypes (no extra package).

``XDisplay`` gives the size of the screen, our window's ids, the pointer, a blank cursor,
and the screen saver and DPMS switched off: a kiosk often runs with no window manager,
where nobody else sizes the window or keeps the screen awake.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from collections.abc import Sequence

log = logging.getLogger(__name__)


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
