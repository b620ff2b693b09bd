"""Whether a window can open here: OpenCV's GUI, the display, and Qt's fonts.

``gui_problem`` says why not (with what to do), for the commands that open windows and
for ``livedigits doctor``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from livedigits.errors import LivedigitsError


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


def require_gui() -> None:
    """Raise LivedigitsError with ``gui_problem``'s message when no window can open here."""
    problem = gui_problem()
    if problem:
        raise LivedigitsError(problem)


def qt_font_dir() -> None:
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
