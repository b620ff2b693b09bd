"""``livedigits`` reading a pretend camera that fails or freezes on a schedule, for the kiosk tests.

    python -m tests.flaky_camera VIDEO FAIL_FROM FAIL_FOR FREEZE_FROM FREEZE_FOR [ARGS...]

``--source camera`` on the command line then opens a camera that plays VIDEO (looping)
at its frame rate, as a webcam delivers frames, through the real ``LiveSource`` (its
thread, its loss detection, its reconnects). Times count in seconds from the first open:
from FAIL_FROM for FAIL_FOR seconds it is unplugged (reads fail, opening fails); from
FREEZE_FROM for FREEZE_FOR seconds it delivers one identical picture (0 for: never).
"""

from __future__ import annotations

import sys
import time


class Schedule:
    """When the pretend camera is unplugged or frozen, in seconds from its first open."""

    def __init__(self, fail_from: float, fail_for: float, freeze_from: float,
                 freeze_for: float) -> None:
        self.fail = (fail_from, fail_from + fail_for)
        self.freeze = (freeze_from, freeze_from + freeze_for)
        self.start: float | None = None

    def now(self) -> float:
        if self.start is None:
            self.start = time.monotonic()
        return time.monotonic() - self.start

    def unplugged(self) -> bool:
        t = self.now()
        return self.fail[0] <= t < self.fail[1]

    def frozen(self) -> bool:
        t = self.now()
        return self.freeze[0] <= t < self.freeze[1]


class PretendCamera:
    """cv2.VideoCapture's ``isOpened``/``read``/``release``/``get`` over a looping video."""

    def __init__(self, video: str, schedule: Schedule) -> None:
        import cv2

        self._schedule = schedule
        self._capture = cv2.VideoCapture(video)
        self._fps = self._capture.get(cv2.CAP_PROP_FPS) or 15.0
        self._opened = not schedule.unplugged() and self._capture.isOpened()
        self._next = time.monotonic()
        self._held = None

    def isOpened(self) -> bool:  # noqa: N802 (cv2's name)
        return self._opened

    def get(self, prop: int) -> float:
        return self._capture.get(prop)

    def read(self):
        import cv2

        if self._schedule.unplugged():
            time.sleep(0.01)
            return False, None
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next = max(self._next + 1.0 / self._fps, time.monotonic() - 0.5)
        if self._schedule.frozen() and self._held is not None:
            return True, self._held.copy()
        ok, image = self._capture.read()
        if not ok:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
        self._held = image
        return ok, image

    def release(self) -> None:
        self._capture.release()


def install(video: str, schedule: Schedule) -> None:
    """Make ``--source camera`` open a LiveSource over PretendCamera."""
    from livedigits.live import live_source, sources

    original = sources.open_source

    def open_source(spec, settings=None, *, loop=False, lost_after_failures=30,
                    frozen_after=5.0):
        if spec != "camera":
            return original(spec, settings, loop=loop, lost_after_failures=lost_after_failures,
                            frozen_after=frozen_after)
        return live_source.LiveSource(lambda: PretendCamera(video, schedule), name="camera",
                                      lost_after_failures=lost_after_failures,
                                      frozen_after=frozen_after, backoff=(0.2, 0.5))

    sources.open_source = open_source


def main(argv: list[str]) -> None:
    install(argv[0], Schedule(*(float(a) for a in argv[1:5])))
    from livedigits.cli.root import main as cli_main

    sys.argv = ["livedigits", *argv[5:]]
    cli_main()


if __name__ == "__main__":
    main(sys.argv[1:])
