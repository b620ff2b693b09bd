"""Cameras through OpenCV: capture settings, opening a device in a mode, listing cameras.

``open_capture`` gives a cv2.VideoCapture with the requested size, rate and FOURCC applied;
``describe_mode`` says what it actually delivers; ``list_cameras`` probes the devices.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
from dataclasses import dataclass
from typing import Any

from livedigits.errors import LivedigitsError

log = logging.getLogger(__name__)

BACKENDS = ("any", "v4l2", "dshow", "msmf", "avfoundation", "gstreamer", "ffmpeg")


@dataclass(frozen=True)
class CaptureSettings:
    """What to ask a camera for; zero/None leaves the driver's default."""

    width: int = 0
    height: int = 0
    fps: float = 0.0
    fourcc: str | None = None
    backend: str = "any"


def backend_id(name: str) -> int:
    """The cv2.CAP_* id of a ``--backend`` name; LivedigitsError for an unknown one."""
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

    capture = cv2.VideoCapture(target, backend_id(settings.backend))
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


def quiet_opencv() -> None:
    """Keep OpenCV's own warnings about absent devices off the terminal (unless -vv)."""
    import cv2

    if log.isEnabledFor(logging.DEBUG):
        return
    with contextlib.suppress(AttributeError):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def camera_hint() -> str:
    """What to check and try when a camera does not open (ends with a full stop)."""
    hint = ("Check the camera is plugged in and not in use by another program; pick a "
            "camera, video file or URL with --source, list cameras with `livedigits cameras`, "
            "or try `livedigits demo` (no camera needed)")
    if _is_macos():
        hint += ("; on macOS allow camera access for your terminal in System Settings > "
                 "Privacy & Security > Camera")
    return hint + "."


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

    quiet_opencv()
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
