"""Live only: digits followed across frames, labels voted over time, no flicker.

Each frame's candidate boxes are matched to the tracks of the frames before (overlap of
the box with the track's predicted box -- moved as the whole sheet last moved,
``motion.SheetMotion`` -- then centre distance for fast moves). A candidate much
shorter than its track is a piece of the digit: no vote, no track. A matched
candidate whose box size and raw-patch signature (a 5x5 area-resize of its darkness) are
nearly those its track's cell was cut from keeps that cell and classification without
being cut at all, so a steady sheet costs neither normalisation nor k-NN work. The rest
are cut; of those, a cell that barely differs from its track's still keeps the
classification; new and changed cells are classified together in one batch. A track's
label is the vote of its recent observations weighted by confidence, with a margin
before it changes; a track missing from a frame or two keeps its box, moving with
the sheet. The lines of the text keep their grouping while the same digits are in view.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from livedigits.live.motion import SheetMotion, covered, iou_matrix, pieces
from livedigits.recognize.layout import SteadySkew, arrange, reading_order
from livedigits.recognize.printed import printed_digits
from livedigits.recognize.recognizer import DOUBTFUL_FROM, REJECT_FROM, Detection
from livedigits.recognize.segment import SAME_BELOW, signature_change
from livedigits.training.model import REJECT

NOT_A_DIGIT = REJECT  # vote class of a blob that is not a digit (the model's reject label)
COVERED_BY_SEEN = 0.5  # a coasting box over this share of a box seen now is not shown,
OVERSIZED = 1.3  # when taller or wider than this many typical digit heights
PARTIAL = 0.7  # a candidate under this share of its track's height is a piece of it
# Frames the print found among the tracks in view holds while the same tracks are in
# view with the same readings (print is told by the tracks' layout, which the sheet's
# motion keeps): looked for again at least this often.
PRINT_EVERY = 3
FRAME_IN_DIGITS = 8  # a frame this many digit heights tall and wide is a view of a sheet
#: (N, 20, 20) uint8 cells -> digits (N,), confidences (N,), is-a-digit (N,) bool, and
#: optionally the not-a-digit examples' share of the vote (N,) float: a cell that is no
#: digit and from REJECT_FROM is letter-like, a digit from DOUBTFUL_FROM doubtful (or
#: letter-like flags (N,) bool, which say nothing of doubtful digits), for
#: ``layout.inside_a_word``'s ``letters`` and ``doubtful`` (without it no figure is
#: taken for a word's);
#: and the cells' features (N, F) float32 (``printed.printed_repeats``; without them no
#: figure is taken for print by its copies)
Classify = Callable[[np.ndarray], tuple[np.ndarray, ...]]
#: (K,) int candidate indices -> (K, 20, 20) uint8 their cells
Cutter = Callable[[np.ndarray], np.ndarray]


def cut_by_the_edge(boxes: np.ndarray, shape: tuple[int, int],
                    digit_height: float | None = None) -> np.ndarray:
    """(N,) bool: boxes (N, 4) x, y, w, h touching the border of a frame of ``shape``
    (H, W) many digits tall and wide (FRAME_IN_DIGITS, digits ``digit_height`` px tall,
    by default the boxes' median height): a digit coming into view or leaving it, part
    of it out of the picture, which cannot be read yet."""
    boxes = np.asarray(boxes).reshape(-1, 4)
    height, width = shape
    if len(boxes) == 0:
        return np.zeros(0, bool)
    digit = float(np.median(boxes[:, 3])) if digit_height is None else digit_height
    if min(height, width) < FRAME_IN_DIGITS * digit:
        return np.zeros(len(boxes), bool)
    return (boxes[:, 0] <= 0) | (boxes[:, 1] <= 0) | (boxes[:, 0] + boxes[:, 2] >= width) \
        | (boxes[:, 1] + boxes[:, 3] >= height)


def cell_change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How different paired cells are: sum |a - b| over the larger ink total, per pair.

    Parameters
    ----------
    a, b : (N, 20, 20) uint8

    Returns
    -------
    (N,) float64, 0 for identical cells, up to 2 for cells with no ink in common
    """
    a32 = a.reshape(len(a), -1).astype(np.int32)
    b32 = b.reshape(len(b), -1).astype(np.int32)
    diff = np.abs(a32 - b32).sum(axis=1)
    ink = np.maximum(a32.sum(axis=1), b32.sum(axis=1))
    return diff / np.maximum(ink, 1)


@dataclass
class Track:
    """One digit followed across frames."""

    id: int
    box: np.ndarray  # (4,) float64 x, y, w, h, last seen (or predicted)
    cell: np.ndarray  # (20, 20) uint8, the cell last classified
    observation: tuple[int, float]  # (class, confidence) of that classification
    reused: int = 0  # frames its observation has been kept without classifying again
    votes: deque = field(default_factory=deque)  # recent classifications (class, confidence)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    label: int = NOT_A_DIGIT
    confidence: float = 0.0
    missed: int = 0
    seen: int = 0
    hits: deque = field(default_factory=deque)  # recent frames: matched (True) or not
    letter: bool = False  # its last classification: no digit, voted down as a letter is
    doubtful: bool = False  # or a digit with much of the vote for not a digit
    signature: np.ndarray | None = None  # (D,) float32 of the raw patch the cell was cut from
    cut_size: np.ndarray | None = None  # (2,) w, h of the box the cell was cut from
    features: np.ndarray | None = None  # (F,) float32 of its cell, when the classifier gives them
    best: int = 0  # the best digit of its last classification, a digit or not

    def steady(self, window: int) -> bool:
        """Matched in at least half of its recent frames (flickering blobs are not)."""
        recent = list(self.hits)[-window:]
        return 2 * sum(recent) >= len(recent)


@dataclass
class TrackedFrame:
    """What the tracker shows for one frame, in reading order.

    detections : smoothed detections (coasting tracks included)
    track_ids : (N,) the track of each detection
    cells : (N, 20, 20) uint8, the cell each label was read from
    text : the numbers, as in ``image --json``'s ``"text"``
    classified : cells sent to the classifier this frame
    reused : candidates whose earlier classification was kept
    cut : candidates whose cells were cut (all of them when cells come ready-made)
    """

    detections: list[Detection]
    track_ids: list[int]
    cells: np.ndarray
    text: str
    classified: int
    reused: int
    cut: int


class Tracker:
    """Match candidates to tracks, classify only new or changed cells, vote labels.

    Parameters
    ----------
    min_confidence : voted confidence under which a digit shows as ``?``
    history : observations a label is voted over
    max_missed : frames a track survives without a match
    min_iou : overlap with the predicted box that matches at once
    reuse_below : ``cell_change`` under which a cell is not classified again
    same_below : ``signature_change`` under which a candidate is not even cut again
    same_size : relative change of box width or height (2 px at least) allowed for that
    switch_margin : factor by which another label's vote must beat the shown one
    max_reuse : frames a digit's classification is kept at most before it is made again
        (None: while its cell stays the same). Only classifications made vote, a kept
        one does not vote again each frame: a first reading on a poor frame would
        otherwise fill the history and never be outvoted (measured on the demo's
        footage, seed 2: 94.1% read right live against 96.8% frame by frame; 96.7%
        with the re-checks), and one re-check on a blurred frame is one vote only.
    max_reuse_rejected : the same for a blob voted no digit: a blurred frame's verdict
        must not hide a digit for long; and for a digit read unsure (under
        ``min_confidence``): kept for ``max_reuse`` frames, a 9 read as 0 at 0.50 on a
        sheet's first, blurred frame stood for 19 frames of the demo's footage (seed 0)
        that read it 9 each, as every digit there came due at once
    """

    def __init__(self, *, min_confidence: float = 0.6, history: int = 8, max_missed: int = 2,
                 min_iou: float = 0.3, reuse_below: float = 0.25,
                 switch_margin: float = 1.3, same_below: float = SAME_BELOW,
                 same_size: float = 0.06, max_reuse: int | None = 10,
                 max_reuse_rejected: int = 2) -> None:
        self.min_confidence = min_confidence
        self.history = history
        self.max_missed = max_missed
        self.min_iou = min_iou
        self.reuse_below = reuse_below
        self.switch_margin = switch_margin
        self.same_below = same_below
        self.same_size = same_size
        self.max_reuse = max_reuse
        self.max_reuse_rejected = max_reuse_rejected
        self.tracks: list[Track] = []
        self._next_id = 0
        self._motion = SheetMotion()  # the sheet's last move, every track's prediction
        self._lines: tuple[frozenset, list[list[int]]] | None = None  # track ids by line
        # The print among the tracks in view: (their ids and readings, print ids, frames).
        self._printed: tuple[tuple, set[int], int] | None = None
        self._view: tuple[int, int] | None = None  # the frame's (H, W), when given

        self._skew = SteadySkew()  # the lines' direction, steady across frames

    def readings(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the tracks seen last frame are predicted now, and which are digits:
        boxes (M, 4) float64 x, y, w, h and (M,) bool (a letter or other mark: False)."""
        seen = [t for t in self.tracks if t.missed == 0]
        if not seen:
            return np.zeros((0, 4)), np.zeros(0, bool)
        return self._predicted(seen), \
            np.array([t.label != NOT_A_DIGIT and not t.letter for t in seen])

    @property
    def motion(self) -> np.ndarray | None:
        """(2, 3) float64: the sheet's last frame-to-frame motion, or None (not known)."""
        return self._motion.matrix

    def _predicted(self, tracks: list[Track]) -> np.ndarray:
        """(N, 4) float64: where ``tracks`` should be this frame -- moved as the sheet
        last moved, or by their own velocity before the sheet's motion is known."""
        boxes = np.array([t.box for t in tracks], np.float64).reshape(-1, 4)
        if self._motion.matrix is not None:
            return self._motion.move(boxes)
        if len(boxes):
            boxes[:, :2] += np.array([t.velocity for t in tracks])
        return boxes

    def reset(self) -> None:
        """Forget every track (after a camera reconnect or a source change)."""
        self.tracks = []
        self._skew = SteadySkew()
        self._motion.reset()
        self._lines = None
        self._printed = None

    def _match(self, boxes: np.ndarray, predicted: np.ndarray) -> list[int]:
        """Track index matched to each box, or -1; ``predicted`` (M, 4) the tracks' boxes
        this frame (``_predicted``)."""
        n = len(boxes)
        match = [-1] * n
        if n == 0 or not self.tracks:
            return match
        iou = iou_matrix(boxes, predicted)
        rows, cols = np.nonzero(iou >= self.min_iou)
        taken: set[int] = set()
        for k in np.argsort(-iou[rows, cols], kind="stable"):
            i, j = int(rows[k]), int(cols[k])
            if match[i] < 0 and j not in taken:
                match[i] = j
                taken.add(j)
        # Fast moves: a free box and a free track whose centres are close and sizes alike.
        free_boxes = [i for i in range(n) if match[i] < 0]
        free_tracks = [j for j in range(len(self.tracks)) if j not in taken]
        if free_boxes and free_tracks:
            b = boxes[free_boxes].astype(np.float64)
            p = predicted[free_tracks]
            bc = b[:, :2] + b[:, 2:] / 2
            pc = p[:, :2] + p[:, 2:] / 2
            dist = np.hypot(bc[:, None, 0] - pc[None, :, 0], bc[:, None, 1] - pc[None, :, 1])
            size = np.maximum(b[:, None, 3], p[None, :, 3])
            ratio = b[:, None, 3] / np.maximum(p[None, :, 3], 1)
            ok = (dist < 0.6 * size) & (ratio > 0.6) & (ratio < 1.6)
            rows, cols = np.nonzero(ok)
            for k in np.argsort(dist[rows, cols], kind="stable"):
                i, j = free_boxes[int(rows[k])], free_tracks[int(cols[k])]
                if match[i] < 0 and j not in taken:
                    match[i] = j
                    taken.add(j)
        return match

    def _partial(self, boxes: np.ndarray, match: list[int], predicted: np.ndarray
                 ) -> tuple[np.ndarray, set[int]]:
        """``motion.pieces`` of the tracks (N,) bool, and the tracks seen so in part."""
        if not len(boxes) or not self.tracks:
            return np.zeros(len(boxes), bool), set()
        match_of = np.asarray(match, np.intp)
        partial = pieces(boxes, predicted, match_of, PARTIAL, OVERSIZED)
        return partial, {int(match_of[i]) for i in np.flatnonzero(partial) if match_of[i] >= 0}

    def _fresh_enough(self, match: list[int], matched: np.ndarray, n: int) -> np.ndarray:
        """(n,) bool: matched candidates whose track's classification may be kept.

        One kept for its bound of frames (``max_reuse``, or ``max_reuse_rejected`` for
        no digit and for a digit read unsure) is made again, changed or not; of each sort
        at most one track in its bound a frame (the longest kept first), so that a sheet
        seen steadily is checked again a few blobs a frame, never all in one frame. A
        track whose last classification disagreed with its label is classified again
        every frame until one agrees (or the label changes): a rewritten digit is not
        left to a vote every ``max_reuse`` frames.
        """
        fresh_enough = np.zeros(n, bool)
        if not len(matched):
            return fresh_enough
        held = [self.tracks[match[i]] for i in matched]
        doubted = np.array([t.observation[0] != t.label for t in held])
        rejected = np.array([t.observation[0] == NOT_A_DIGIT for t in held])
        unsure = ~rejected & np.array([t.observation[1] < self.min_confidence for t in held])
        reused = np.array([t.reused for t in held])
        keep = np.ones(len(matched), bool)
        for sort, bound in ((rejected, self.max_reuse_rejected),
                            (unsure, self.max_reuse_rejected),
                            (~rejected & ~unsure, self.max_reuse)):
            if bound is None:
                continue
            stale = np.flatnonzero(sort & (reused >= bound))
            budget = -(-len(matched) // bound)
            keep[stale[np.argsort(-reused[stale], kind="stable")][:budget]] = False
        fresh_enough[matched] = keep & ~doubted
        return fresh_enough

    def update(self, boxes: np.ndarray, cells: np.ndarray | Cutter, classify: Classify, *,
               signatures: np.ndarray | None = None,
               view: tuple[int, int] | None = None) -> TrackedFrame:
        """Advance one frame.

        Parameters
        ----------
        boxes : (N, 4) int x, y, w, h of this frame's candidates
        cells : (N, 20, 20) uint8 their normalised cells, or a ``Cutter`` that makes the
            cells of the candidates it is given; it is called once, with the candidates
            that cannot keep their track's cell
        classify : called once with the (K, 20, 20) cells that need classifying
        signatures : (N, D) float32 cheap fingerprints of the raw candidates, each
            summing to 1 (``segment.Candidates.signatures``). A matched candidate whose
            box size and signature are nearly its track's keeps the track's cell and
            classification without being cut at all.
        view : (H, W) of the frame: a track not seen whose box crosses its border (a
            digit leaving the view, ``cut_by_the_edge``) is not shown

        Returns
        -------
        TrackedFrame
        """
        boxes = np.asarray(boxes).reshape(-1, 4)
        self._view = view
        predicted = self._predicted(self.tracks)
        match = self._match(boxes, predicted)
        partial, held = self._partial(boxes, match, predicted)
        if partial.any():  # pieces of tracked digits: no vote, no track of their own
            keep = np.flatnonzero(~partial)
            boxes, match = boxes[keep], [match[i] for i in keep]
            if signatures is not None:
                signatures = np.asarray(signatures).reshape(len(partial), -1)[keep]
            if callable(cells):
                whole_cells = cells
                cells = lambda which: whole_cells(keep[np.asarray(which, np.intp)])  # noqa: E731
            else:
                cells = np.asarray(cells).reshape(-1, 20, 20)[keep]
        n = len(boxes)
        matched = np.flatnonzero(np.asarray(match, np.intp) >= 0) if n else np.zeros(0, np.intp)
        fresh_enough = self._fresh_enough(match, matched, n)
        same = np.zeros(n, bool)  # unchanged since its track's cell was cut: nothing to do
        if signatures is not None and len(matched):
            signatures = np.asarray(signatures, np.float32).reshape(n, -1)
            tracks = [self.tracks[match[i]] for i in matched]
            known = np.array([t.signature is not None for t in tracks])
            if known.any():
                rows = matched[known]
                refs = np.stack([t.signature for t, k in zip(tracks, known, strict=True) if k])
                sizes = np.stack([t.cut_size for t, k in zip(tracks, known, strict=True) if k])
                size_ok = (np.abs(boxes[rows, 2:] - sizes)
                           <= np.maximum(2, self.same_size * sizes)).all(axis=1)
                same[rows] = size_ok & (signature_change(signatures[rows], refs)
                                        < self.same_below) & fresh_enough[rows]
        cut = np.flatnonzero(~same)
        if callable(cells):
            cut_cells = np.asarray(cells(cut), np.uint8).reshape(-1, 20, 20)
        else:
            cut_cells = np.asarray(cells, np.uint8).reshape(-1, 20, 20)[cut]
        position = {int(i): k for k, i in enumerate(cut)}  # candidate -> row of cut_cells
        reuse = same.copy()
        cut_matched = [int(i) for i in cut if match[i] >= 0]
        if cut_matched:
            refs = np.stack([self.tracks[match[i]].cell for i in cut_matched])
            rows = [position[i] for i in cut_matched]
            reuse[cut_matched] = (cell_change(cut_cells[rows], refs) < self.reuse_below) \
                & fresh_enough[cut_matched]
        todo = np.flatnonzero(~reuse)
        if len(todo):
            judged = classify(np.ascontiguousarray(cut_cells[[position[int(i)] for i in todo]]))
            digits, confidences, is_digit = judged[:3]
            given = np.asarray(judged[3] if len(judged) > 3 else np.zeros(len(todo), bool))
            # Flags (bool) say letter-like only; shares say doubtful digits too.
            shares = np.where(given, 1.0, 0.0) if given.dtype == bool else given.astype(np.float64)
            doubts = given.dtype != bool
            fresh = {int(i): (int(d) if ok else NOT_A_DIGIT, float(c))
                     for i, d, c, ok in zip(todo, digits, confidences, is_digit, strict=True)}
            # (letter-like, doubtful) of each
            letter_like = {int(i): (not ok and x >= REJECT_FROM,
                                    doubts and bool(ok) and x >= DOUBTFUL_FROM)
                           for i, x, ok in zip(todo, shares.tolist(), is_digit, strict=True)}
            rows = judged[4] if len(judged) > 4 else [None] * len(todo)
            described = {int(i): (f, int(d)) for i, f, d in zip(todo, rows, digits, strict=True)}
        else:
            fresh, letter_like, described = {}, {}, {}

        seen: set[int] = set()
        new_tracks: list[Track] = []
        box64 = boxes.astype(np.float64)
        if len(matched):  # velocities of all matched tracks at once
            was = [self.tracks[match[i]] for i in matched]
            before = np.array([t.box for t in was])
            step = ((box64[matched, :2] + box64[matched, 2:] / 2)
                    - (before[:, :2] + before[:, 2:] / 2))
            missed = np.array([t.missed for t in was], np.float64)[:, None]
            velocity = 0.5 * np.array([t.velocity for t in was]) + 0.5 * step / (missed + 1)
            for track, v in zip(was, velocity, strict=True):
                track.velocity = v
            self._motion.update(before[:, :2] + before[:, 2:] / 2,
                                box64[matched, :2] + box64[matched, 2:] / 2,
                                float(np.median(box64[matched, 3])))
        for i in range(n):
            box = box64[i]
            j = match[i]
            if j >= 0:
                track = self.tracks[j]
                seen.add(j)
                track.box = box
                track.missed = 0
            else:
                track = Track(self._next_id, box, cut_cells[position[i]], fresh[i])
                self._next_id += 1
                new_tracks.append(track)
            if i in fresh:
                track.cell, track.observation = cut_cells[position[i]], fresh[i]
                track.letter, track.doubtful = letter_like[i]
                track.features, track.best = described[i]
                track.reused = 0
            else:
                track.reused += 1
            if signatures is not None and not same[i]:
                track.signature, track.cut_size = signatures[i], boxes[i, 2:].astype(np.float64)
            self._hit(track, True)
            if i in fresh:  # a kept classification is not a new observation: no vote
                self._vote(track, track.observation)
        survivors, coasting = [], []
        for j, track in enumerate(self.tracks):
            if j in seen:
                survivors.append(track)
            elif j in held:  # seen in part: in view, where the sheet took it
                track.missed = 0
                self._hit(track, True)
                coasting.append(track)
                survivors.append(track)
            elif track.missed < self.max_missed:
                track.missed += 1
                self._hit(track, False)
                coasting.append(track)
                survivors.append(track)
        for track, box in zip(coasting, self._predicted(coasting), strict=True):
            track.box = box  # a box not seen moves with the sheet
        self.tracks = survivors + new_tracks
        return self._output(len(todo), n - len(todo), len(cut))

    def _hit(self, track: Track, matched: bool) -> None:
        track.hits.append(matched)
        while len(track.hits) > self.history:
            track.hits.popleft()

    def _vote(self, track: Track, observation: tuple[int, float]) -> None:
        track.votes.append(observation)
        track.seen += 1
        dropped = None
        while len(track.votes) > self.history:
            dropped = track.votes.popleft()
        if dropped == observation and track.seen > 2:
            return  # the same vote in as out: the tally, so the label, stands (most frames)
        score = np.zeros(NOT_A_DIGIT + 1)
        for cls, conf in track.votes:
            score[cls] += max(conf, 0.05)
        best = int(np.argmax(score))
        if track.seen > 1 and best != track.label and \
                score[best] < self.switch_margin * score[track.label]:
            best = track.label  # not convincingly beaten: keep what is shown
        track.label = best
        track.confidence = float(score[best] / len(track.votes))

    def _print_held(self, in_view: list[Track]) -> set[int]:
        """``_print_in_view``, worked out again when the tracks in view or their readings
        change, and every PRINT_EVERY frames."""
        key = tuple((t.id, t.label, t.best, t.letter, t.doubtful) for t in in_view)
        if self._printed is not None and self._printed[0] == key \
                and self._printed[2] < PRINT_EVERY - 1:
            self._printed = (key, self._printed[1], self._printed[2] + 1)
        else:
            self._printed = (key, self._print_in_view(in_view), 0)
        return self._printed[1]

    @staticmethod
    def _print_in_view(in_view: list[Track]) -> set[int]:
        """Ids of the tracks in view read as digits that are print
        (``printed.printed_digits``, the letters as the glyphs known to be print; the
        word rule only when a track is a letter)."""
        letters = np.array([t.letter for t in in_view])
        features = np.stack([t.features for t in in_view]) \
            if all(t.features is not None for t in in_view) else None
        printed = printed_digits(np.array([t.box for t in in_view]),
                                 np.array([t.label != NOT_A_DIGIT for t in in_view]),
                                 letters, features, np.array([t.best for t in in_view]),
                                 words=bool(letters.any()),
                                 doubtful=np.array([t.doubtful for t in in_view]))
        return {t.id for t, p in zip(in_view, printed, strict=True) if p}

    def _output(self, classified: int, reused: int, cut: int) -> TrackedFrame:
        # A missed track keeps its box only if it is steady: a blob seen one frame in
        # three (a page edge, a shadow) must not be promoted to a permanent digit.
        shown = [t for t in self.tracks if t.label != NOT_A_DIGIT
                 and (t.missed == 0 or t.steady(self.history))]
        in_view = [t for t in self.tracks if t.missed == 0]
        coasting = [t for t in shown if t.missed]
        if coasting and (in_view or self._view is not None):
            old = np.array([t.box for t in coasting])
            hidden = np.zeros(len(coasting), bool)
            if in_view:
                # A blob of touching digits seen whole in earlier frames and now as its
                # digits: its box, larger than a digit, would stand over them.
                seen = np.array([t.box for t in in_view])
                digit = float(np.median(seen[:, 3]))
                hidden = covered(old, seen, COVERED_BY_SEEN) & \
                    ((old[:, 3] > OVERSIZED * digit) | (old[:, 2] > OVERSIZED * digit))
            if self._view is not None:  # leaving the view: it cannot be read any more
                hidden |= cut_by_the_edge(old, self._view,
                                          float(np.median((seen if in_view else old)[:, 3])))
            gone = {t.id for t, h in zip(coasting, hidden, strict=True) if h}
            shown = [t for t in shown if t.id not in gone]
        # Figures in a printed word ("Page 14"), copies of one printed glyph and runs
        # of print get no box, as Recognizer.read gives none.
        if shown and in_view:
            dropped = self._print_held(in_view)
            shown = [t for t in shown if t.id not in dropped]
        if not shown:
            return TrackedFrame([], [], np.zeros((0, 20, 20), np.uint8), "", classified, reused,
                                cut)
        boxes = np.array([t.box for t in shown])
        boxes = np.round(boxes).astype(np.int32)
        angle = self._skew(boxes)
        # The same digits in view keep their lines (and the work of finding them).
        ids = [t.id for t in shown]
        if self._lines is None or self._lines[0] != frozenset(ids):
            grouped = reading_order(boxes, angle)
            self._lines = (frozenset(ids), [[ids[i] for i in line] for line in grouped])
        at = {track_id: i for i, track_id in enumerate(ids)}
        order, _, text = arrange(boxes, [t.label for t in shown],
                                 [min(1.0, t.confidence) for t in shown], self.min_confidence,
                                 angle=angle,
                                 grouped=[[at[k] for k in line] for line in self._lines[1]])
        ordered = [shown[i] for i in order]
        detections = [Detection(x, y, w, h, t.label, min(1.0, t.confidence))
                      for (x, y, w, h), t in zip(boxes[order].tolist(), ordered, strict=True)]
        return TrackedFrame(detections, [t.id for t in ordered],
                            np.stack([t.cell for t in ordered]), text, classified, reused, cut)
