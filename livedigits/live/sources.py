"""``open_source(spec)``: what ``--source`` names, opened as the right ``FrameSource``.

A camera index or device path and a stream URL become a ``LiveSource`` (read on a thread
of its own, newest frame only, reconnecting); a video file a ``VideoFileSource``; an image
file or glob an ``ImageFilesSource`` (files are read frame by frame, none skipped).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from livedigits.errors import LivedigitsError
from livedigits.imageio import read_image
from livedigits.live.capture import (
    CaptureSettings,
    backend_id,
    camera_hint,
    open_capture,
    quiet_opencv,
)
from livedigits.live.file_sources import VIDEO_SUFFIXES, ImageFilesSource, VideoFileSource
from livedigits.live.frames import FrameSource
from livedigits.live.live_source import LiveSource

STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")


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
    backend_id(settings.backend)  # an unknown backend fails before anything opens
    text = spec.strip()
    if text.isdigit() or text.startswith("/dev/"):
        target: int | str = int(text) if text.isdigit() else text
        label = f"camera {text}"
        if isinstance(target, str) and not os.path.exists(target):
            raise LivedigitsError(f"{target}: no such device. {camera_hint()}")
        tried = f"{label} via backend {settings.backend}"
        quiet_opencv()  # our message says what was tried and what to do
        return LiveSource(lambda: open_capture(target, settings), name=tried,
                          lost_after_failures=lost_after_failures, frozen_after=frozen_after,
                          failure_hint=camera_hint())
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

    try:
        read_image(path)
    except LivedigitsError:
        return VideoFileSource(path, loop=loop)  # an odd suffix may still be a video
    return ImageFilesSource([path], name=text, loop=loop)
