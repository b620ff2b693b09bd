"""Files read frame by frame, none skipped: video files, and still images one frame each."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.imageio import read_image
from livedigits.live.capture import describe_mode
from livedigits.live.frames import Frame, FrameSource, as_bgr

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv",
                  ".flv", ".mjpeg", ".mjpg", ".gif", ".ts", ".y4m"}


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
        frame = Frame(self._index, as_bgr(image), scene=self._scene)
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
        frame = Frame(self._index, as_bgr(image), scene=self._index)
        self._index += 1
        return frame
