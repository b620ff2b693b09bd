"""What an X screen shows, through ctypes: its pixels, the pointer's image, the screen saver."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

Z_PIXMAP = 2
ALL_PLANES = 0xFFFFFFFF


class XImage(ctypes.Structure):
    """The first fields of Xlib's XImage (enough to read a ZPixmap)."""

    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.POINTER(ctypes.c_ubyte)),
                ("byte_order", ctypes.c_int), ("bitmap_unit", ctypes.c_int),
                ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
                ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
                ("bits_per_pixel", ctypes.c_int)]


class XFixesCursorImage(ctypes.Structure):
    _fields_ = [("x", ctypes.c_short), ("y", ctypes.c_short),
                ("width", ctypes.c_ushort), ("height", ctypes.c_ushort),
                ("xhot", ctypes.c_ushort), ("yhot", ctypes.c_ushort),
                ("cursor_serial", ctypes.c_ulong), ("pixels", ctypes.POINTER(ctypes.c_ulong))]


def _xlib() -> ctypes.CDLL:
    xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    xlib.XGetImage.restype = ctypes.POINTER(XImage)
    xlib.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                               ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    xlib.XFree.argtypes = [ctypes.c_void_p]
    xlib.XGetScreenSaver.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(ctypes.c_int)] * 4
    return xlib


class Screen:
    """A connection to ``display`` (":N") for looking at it."""

    def __init__(self, display: str) -> None:
        self._x = _xlib()
        self._display = self._x.XOpenDisplay(display.encode())
        if not self._display:
            raise RuntimeError(f"cannot open X display {display}")

    def close(self) -> None:
        self._x.XCloseDisplay(self._display)

    def __enter__(self) -> Screen:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def grab(self) -> np.ndarray:
        """The whole screen as (H, W, 3) uint8 BGR (a 24-bit TrueColor screen)."""
        root = self._x.XDefaultRootWindow(self._display)
        width, height = self._size(root)
        image = self._x.XGetImage(self._display, root, 0, 0, width, height, ALL_PLANES, Z_PIXMAP)
        if not image:
            raise RuntimeError("XGetImage failed")
        try:
            info = image.contents
            assert info.bits_per_pixel == 32, info.bits_per_pixel
            raw = np.ctypeslib.as_array(info.data, (info.height * info.bytes_per_line,))
            rows = raw.reshape(info.height, info.bytes_per_line)[:, :4 * info.width]
            return rows.reshape(info.height, info.width, 4)[:, :, :3].copy()
        finally:
            self._x.XFree(image.contents.data)
            self._x.XFree(image)

    def _size(self, root: int) -> tuple[int, int]:
        self._x.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self._x.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
        return (self._x.XDisplayWidth(self._display, 0), self._x.XDisplayHeight(self._display, 0))

    def cursor_alpha(self) -> np.ndarray:
        """The pointer's current image's alpha channel, (h, w) uint8 (XFixes)."""
        xfixes = ctypes.CDLL(ctypes.util.find_library("Xfixes") or "libXfixes.so.3")
        xfixes.XFixesQueryExtension.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                                                ctypes.POINTER(ctypes.c_int)]
        xfixes.XFixesQueryVersion.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                                              ctypes.POINTER(ctypes.c_int)]
        xfixes.XFixesGetCursorImage.restype = ctypes.POINTER(XFixesCursorImage)
        xfixes.XFixesGetCursorImage.argtypes = [ctypes.c_void_p]
        a, b = ctypes.c_int(), ctypes.c_int()
        if not xfixes.XFixesQueryExtension(self._display, ctypes.byref(a), ctypes.byref(b)):
            raise RuntimeError("no XFixes extension")
        major, minor = ctypes.c_int(4), ctypes.c_int(0)
        xfixes.XFixesQueryVersion(self._display, ctypes.byref(major), ctypes.byref(minor))
        image = xfixes.XFixesGetCursorImage(self._display)
        if not image:
            raise RuntimeError("XFixesGetCursorImage failed")
        try:
            info = image.contents
            pixels = np.ctypeslib.as_array(info.pixels, (info.height * info.width,))
            return ((pixels >> 24) & 0xFF).astype(np.uint8).reshape(info.height, info.width)
        finally:
            self._x.XFree(image)

    def screen_saver_timeout(self) -> int:
        """The screen saver's timeout, s (0: off)."""
        values = [ctypes.c_int() for _ in range(4)]
        self._x.XGetScreenSaver(self._display, *(ctypes.byref(v) for v in values))
        return values[0].value
