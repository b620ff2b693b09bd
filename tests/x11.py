"""Just enough Xlib, through ctypes, to do what a window manager does for a close button."""

from __future__ import annotations

import ctypes
import ctypes.util

CLIENT_MESSAGE = 33  # X.h: ClientMessage
NO_EVENT_MASK = 0


class XClientMessageEvent(ctypes.Structure):
    """Xlib's XClientMessageEvent; ctypes applies the LP64 padding (data starts at byte 56)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),  # the union's ``long l[5]`` member
    ]


class XEvent(ctypes.Union):
    """Xlib's XEvent: any event, padded to 24 longs as XSendEvent expects."""

    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_long * 24)]


class XErrorEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("resourceid", ctypes.c_ulong),
        ("serial", ctypes.c_ulong),
        ("error_code", ctypes.c_ubyte),
        ("request_code", ctypes.c_ubyte),
        ("minor_code", ctypes.c_ubyte),
    ]


ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(XErrorEvent))


def load_xlib() -> ctypes.CDLL:
    """libX11 with the signatures used here; OSError if it cannot be loaded."""
    xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    display, window, atom = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong
    signatures = {
        "XOpenDisplay": (display, [ctypes.c_char_p]),
        "XCloseDisplay": (ctypes.c_int, [display]),
        "XInternAtom": (atom, [display, ctypes.c_char_p, ctypes.c_int]),
        "XQueryTree": (ctypes.c_int, [display, window, ctypes.POINTER(window),
                                      ctypes.POINTER(window),
                                      ctypes.POINTER(ctypes.POINTER(window)),
                                      ctypes.POINTER(ctypes.c_uint)]),
        "XGetWMProtocols": (ctypes.c_int, [display, window,
                                           ctypes.POINTER(ctypes.POINTER(atom)),
                                           ctypes.POINTER(ctypes.c_int)]),
        "XSendEvent": (ctypes.c_int, [display, window, ctypes.c_int, ctypes.c_long,
                                      ctypes.POINTER(XEvent)]),
        "XFlush": (ctypes.c_int, [display]),
        "XSync": (ctypes.c_int, [display, ctypes.c_int]),
        "XFree": (ctypes.c_int, [ctypes.c_void_p]),
        "XSetErrorHandler": (ERROR_HANDLER, [ERROR_HANDLER]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(xlib, name)
        function.restype, function.argtypes = restype, argtypes
    return xlib


def _protocols(xlib: ctypes.CDLL, display: int, window: int) -> set[int]:
    """The atoms in a window's WM_PROTOCOLS (empty if it has none)."""
    atoms = ctypes.POINTER(ctypes.c_ulong)()
    count = ctypes.c_int()
    if not xlib.XGetWMProtocols(display, window, ctypes.byref(atoms), ctypes.byref(count)):
        return set()
    try:
        return {atoms[k] for k in range(count.value)}
    finally:
        xlib.XFree(atoms)


def _parent(xlib: ctypes.CDLL, display: int, window: int) -> tuple[int, int]:
    """A window's (root, parent)."""
    root, parent = ctypes.c_ulong(), ctypes.c_ulong()
    children = ctypes.POINTER(ctypes.c_ulong)()
    count = ctypes.c_uint()
    if not xlib.XQueryTree(display, window, ctypes.byref(root), ctypes.byref(parent),
                           ctypes.byref(children), ctypes.byref(count)):
        raise RuntimeError(f"XQueryTree failed for window {window:#x}")
    if children:
        xlib.XFree(children)
    return root.value, parent.value


def close_window(display: str, window_id: int) -> None:
    """Click ``window_id``'s close button, as a window manager would.

    Sends a WM_PROTOCOLS / WM_DELETE_WINDOW ClientMessage to the first window, from
    ``window_id`` up towards the root, that lists WM_DELETE_WINDOW in its WM_PROTOCOLS
    (the client's top-level window). X errors raise RuntimeError instead of ending the
    process, as Xlib's default handler would.
    """
    xlib = load_xlib()
    errors: list[int] = []

    def on_error(_display: int, event: ctypes.POINTER(XErrorEvent)) -> int:
        errors.append(event.contents.error_code)
        return 0

    handler = ERROR_HANDLER(on_error)
    previous = xlib.XSetErrorHandler(handler)
    connection = xlib.XOpenDisplay(display.encode())
    try:
        if not connection:
            raise RuntimeError(f"cannot open X display {display}")
        wm_protocols = xlib.XInternAtom(connection, b"WM_PROTOCOLS", False)
        wm_delete = xlib.XInternAtom(connection, b"WM_DELETE_WINDOW", False)
        target = window_id
        while wm_delete not in _protocols(xlib, connection, target):
            root, parent = _parent(xlib, connection, target)
            if errors or target == root or parent in (0, root):
                raise RuntimeError(f"no window from {window_id:#x} up takes WM_DELETE_WINDOW")
            target = parent
        event = XEvent()
        message = event.xclient
        message.type = CLIENT_MESSAGE
        message.send_event = True
        message.display = connection
        message.window = target
        message.message_type = wm_protocols
        message.format = 32
        message.data[0] = wm_delete
        message.data[1] = 0  # CurrentTime
        if not xlib.XSendEvent(connection, target, False, NO_EVENT_MASK, ctypes.byref(event)):
            raise RuntimeError("XSendEvent could not convert the event")
        xlib.XFlush(connection)
        xlib.XSync(connection, False)  # a round trip, so any X error shows up here
        if errors:
            raise RuntimeError(f"X error {errors[0]} sending WM_DELETE_WINDOW")
    finally:
        if connection:
            xlib.XCloseDisplay(connection)
        xlib.XSetErrorHandler(previous)
