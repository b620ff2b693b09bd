"""Reading a calibration sheet held up to the camera, once it is steady."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from livedigits.errors import LivedigitsError

CHECK_EVERY_S = 0.2  # look for markers this often (detection costs a few ms)
STEADY_FOR_S = 1.0  # the markers must stay put this long
STEADY_PX = 3.0  # ... moving no more than this between looks (in frame pixels)


@dataclass
class SheetWatcher:
    """Feed it frames; when all four markers of a calibration sheet hold still for
    STEADY_FOR_S, it reads the sheet and writes the profile ``name``.

    ``feed`` returns a one-line message for the HUD when something happened
    (sheet seen, profile saved, sheet unreadable), else None. After a profile is
    saved the watcher is ``done`` and ignores further frames.
    """

    name: str
    force: bool = False
    done: bool = False
    _last_check: float = -1e9
    _steady_since: float | None = None
    _corners: np.ndarray | None = None
    _failures: set[str] = field(default_factory=set)

    def feed(self, image: np.ndarray, now: float | None = None) -> str | None:
        """Look at one (H, W, 3) uint8 BGR frame taken at ``now`` seconds; a message, or None.

        ``now`` defaults to the monotonic clock (a camera); for a video file pass the
        frame's own time, so steadiness is judged in the video's time.
        """
        if self.done:
            return None
        now = time.monotonic() if now is None else now
        if now - self._last_check < CHECK_EVERY_S:
            return None
        self._last_check = now
        from livedigits.calibrate.profile import save_profile
        from livedigits.calibrate.sheet_reader import find_markers, read_sheet
        from livedigits.recognize.ink import to_gray

        markers = find_markers(to_gray(image))
        if len(markers) < 4:
            self._steady_since, self._corners = None, None
            return None
        corners = np.concatenate([markers[i] for i in sorted(markers)])
        moved = (np.inf if self._corners is None
                 else float(np.abs(corners - self._corners).max()))
        self._corners = corners
        if moved > STEADY_PX:
            first = self._steady_since is None
            self._steady_since = now
            return "calibration sheet seen: hold it still" if first else None
        if now - self._steady_since < STEADY_FOR_S:
            return None
        try:
            reading = read_sheet(image)
            npz, _ = save_profile(self.name, reading, force=self.force)
        except LivedigitsError as exc:
            self._steady_since, self._corners = None, None
            message = str(exc)
            if message in self._failures:
                return None
            self._failures.add(message)
            return f"calibration: {message}"
        self.done = True
        return f"profile {self.name} saved: {len(reading.labels)} digits in {npz}"
