"""The live per-frame step: find a frame's candidates, track them, classify the new ones.

``Pipeline.process`` is the pure part of the live loop (frame -> tracked detections);
``Result`` is one processed frame, as both loops hand it on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from livedigits.live.track import Classify, TrackedFrame, Tracker, cut_by_the_edge
from livedigits.recognize.normalise import cut_cells
from livedigits.recognize.recognizer import Detection, Recognizer
from livedigits.recognize.segment import find_candidates
from livedigits.recognize.sheet import Sheet
from livedigits.recognize.split import Splitter
from livedigits.records import frame_record, json_line

SHEET_EVERY = 3  # frames between two looks for the sheet; it is carried on between
CARRY_KEEPS = 0.85  # a carried sheet giving fewer of the last frame's candidates is looked for


@dataclass
class Result:
    """One processed frame.

    image : (H, W, 3) uint8 BGR frame that was read
    tracked : the tracker's output (smoothed detections in reading order)
    ink : (H', W') uint8 binarised image at working scale
    scale : working pixels per frame pixel
    ms : processing time, milliseconds
    """

    index: int
    image: np.ndarray
    tracked: TrackedFrame
    ink: np.ndarray
    scale: float
    ms: float

    @property
    def detections(self) -> list[Detection]:
        return self.tracked.detections

    @property
    def text(self) -> str:
        return self.tracked.text

    def json_line(self) -> str:
        """DESIGN.md's live object: ``{"frame": i, "ms": ..., "detections": [...]}``."""
        return json_line(frame_record(self.index, self.ms, self.detections))


class Pipeline:
    """Find a frame's candidates, track them, and cut and classify only new or changed ones."""

    def __init__(self, recognizer: Recognizer, tracker: Tracker | None = None) -> None:
        # Frames of a moving camera are compared with the model's smeared rows too.
        if hasattr(recognizer, "for_video"):
            recognizer = recognizer.for_video()
        self.recognizer = recognizer
        self.tracker = tracker or Tracker(min_confidence=recognizer.min_confidence)
        self._classify = recognizer_classifier(recognizer)
        self._split = Splitter(recognizer.neighbours, remember=True)
        self._sheet: Sheet | None = None  # the last frame's writing surface
        self._carried = 0  # frames it has been carried on since it was looked for
        self._count = 0  # candidates on the last frame

    def process(self, image: np.ndarray, index: int = 0) -> Result:
        """Read one (H, W, 3) uint8 BGR frame."""
        start = time.perf_counter()
        # The sheet is looked for afresh every SHEET_EVERY frames and carried on by its
        # motion in between (the desk's edge and the light move with it).
        carried = None
        if self._sheet is not None and self._carried < SHEET_EVERY - 1 \
                and self.tracker.motion is not None:
            carried = (self._sheet, self.tracker.motion)
        found = find_candidates(image, carried=carried)
        if carried is not None and len(found) < CARRY_KEEPS * self._count:
            # Carried wrong (a fast move, the light changing): look for it after all.
            carried, found = None, find_candidates(image)
        self._sheet, self._carried = found.sheet, (self._carried + 1 if carried else 0)
        self._count = len(found)
        # Whether a small blob stands among digits is judged from what the last frame read.
        found = self._split(found, context=self.tracker.readings())
        inside = np.flatnonzero(~cut_by_the_edge(found.boxes, image.shape[:2]))
        # Cells are cut only for candidates the tracker cannot vouch for (new or changed).
        tracked = self.tracker.update(found.boxes[inside],
                                      lambda which: cut_cells(found, inside[which]),
                                      self._classify, signatures=found.signatures[inside],
                                      view=image.shape[:2])
        ms = 1000 * (time.perf_counter() - start)
        return Result(index, image, tracked, found.ink, found.scale, ms)


def recognizer_classifier(recognizer) -> Classify:
    """A ``Classify`` from a Recognizer: k-NN votes plus its not-a-digit rule
    (``recognizer.is_digit``, as ``Recognizer.read`` applies it), the not-a-digit
    examples' share of each vote (letters and doubtful digits, for
    ``layout.inside_a_word``) and the cells' features (for ``printed.printed_repeats``).

    Cells must be ``normalise.cut_cells``'s (already deskewed), as ``Recognizer.read`` uses them.
    """

    def classify(cells: np.ndarray) -> tuple[np.ndarray, ...]:
        judged = recognizer.judge(cells)
        return (judged.digits, judged.confidences, judged.is_digit, judged.reject_share,
                judged.features)

    return classify
