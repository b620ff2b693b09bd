"""The frame and the interface every frame source offers: ``read``, ``finished``, ``close``.

``source.read(timeout)`` gives the next ``Frame`` (or ``None`` when a live source has
nothing new yet) and ``source.finished`` says when a file source is exhausted. Iterating a
source yields its frames until the end.

Every frame carries a ``scene`` number that changes wherever the picture jumps instead of
moving on: each file of an image glob, a camera back after a reconnect, a looping video
restarting. Whatever follows objects from frame to frame (the live tracker) starts afresh
when it changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from livedigits.imageio import to_bgr8

LOST_MESSAGE = "camera lost \u2014 reconnecting"


@dataclass
class Frame:
    """One frame: ``image`` (H, W, 3) uint8 BGR, its index in the source, capture time (s).

    ``scene`` is the same for consecutive frames of one unbroken view and changes where the
    picture jumps (a new file, a reconnect, a video's restart).
    """

    index: int
    image: np.ndarray
    time: float = field(default_factory=time.monotonic)
    scene: int = 0


class FrameSource:
    """Base of every source: ``read``, ``finished``, ``status``, ``mode``, ``close``."""

    live = False  # True: stale frames are dropped (cameras, streams)
    name = "source"

    def __init__(self) -> None:
        self.finished = False
        self.status = "ok"  # or LOST_MESSAGE while a live source reconnects
        self.mode = ""  # the mode obtained, e.g. "1280x720 @ 30 fps MJPG"
        self.fps = 0.0  # frames per second the source reports (0: unknown)
        self.failure: str | None = None  # why a source stopped for good (then finished)

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame; ``None`` if nothing new arrived within ``timeout`` or at the end."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __iter__(self) -> Iterator[Frame]:
        while not self.finished:
            frame = self.read(timeout=0.5)
            if frame is not None:
                yield frame

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Any image read, as a C-contiguous (H, W, 3) uint8 BGR array."""
    return np.ascontiguousarray(to_bgr8(image))
