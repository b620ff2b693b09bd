"""What both live loops share: a run's settings, its tallies and its summary.

``LiveConfig`` is how ``livedigits.live.loop.run`` behaves (the ``live`` command's
options); ``Timing`` counts frames and keeps recent processing times (ms); the demo's
score is summed over frames against the truth it drew.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from livedigits.calibrate.live import SheetWatcher
from livedigits.live.frames import FrameSource
from livedigits.live.kiosk import ATTRACT_SECONDS, HEALTH_SECONDS, STALL_SECONDS
from livedigits.live.pipeline import Result
from livedigits.live.saver import Saver


@dataclass
class LiveConfig:
    """How ``run`` behaves (the ``live`` command's options)."""

    window: bool = True
    json: bool = False
    max_frames: int | None = None
    save_dir: Path = Path(".")
    save_every: int = 0
    fullscreen: bool = False
    kiosk: bool = False
    mirror: bool = False
    title: str = "livedigits"
    pace_files: bool = True  # in a window, play a video at its own frame rate
    truth: Callable[[int], tuple[np.ndarray, np.ndarray]] | None = None  # demo: score frames
    calibrate: str | None = None  # watch for a calibration sheet, read it into this profile
    calibrate_force: bool = False
    # kiosk mode (livedigits.live.kiosk): event title, attract screen, health lines, stall limit
    event_title: str = ""
    attract_after: float = ATTRACT_SECONDS  # s without digits before the attract screen
    health_every: float = HEALTH_SECONDS  # s between health lines in the log
    stall_limit: float = STALL_SECONDS  # s without a new picture from a working source: exit 1

    def sheet_watcher(self):
        """A SheetWatcher for ``calibrate``, or None."""
        if self.calibrate is None:
            return None

        return SheetWatcher(self.calibrate, force=self.calibrate_force)


class Timing:
    """Frames processed and the recent processing times (bounded: runs last for days)."""
    def __init__(self, keep: int = 3000) -> None:
        self.count = 0
        self.recent: deque[float] = deque(maxlen=keep)

    def add(self, ms: float) -> None:
        self.count += 1
        self.recent.append(ms)

    def median(self) -> float:
        return float(np.median(self.recent)) if self.recent else 0.0


def run_summary(times: Timing, last: Result | None, saver: Saver,
                score: dict | None) -> dict:
    summary = {"frames": times.count, "median_ms": times.median(),
               "text": last.text if last else "", "saved": saver.count}
    if score is not None:
        summary["score"] = score
    return summary


def add_score(total: dict | None, config: LiveConfig, result: Result) -> dict | None:
    if config.truth is None:
        return total
    from livedigits.synthetic.synth import score

    boxes, digits = config.truth(result.index)
    got = score(boxes, digits, result.detections)
    total = total or {"n": 0, "found": 0, "correct": 0, "fp": 0}
    return {k: total[k] + got[k] for k in total}


def frame_time(source: FrameSource, frame) -> float:
    """When a frame was taken, s: the clock for cameras, the video's own time for files."""
    if source.live or source.fps <= 0:
        return time.monotonic()
    return frame.index / source.fps
