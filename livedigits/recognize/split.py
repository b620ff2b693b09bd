"""Touching digits: a wide blob that reads better as two digits than as one is split.

Two digits written close enough to touch are one connected blob, so the
segmenter finds one candidate. Widths alone cannot tell them from one wide
digit (a 0, a 4, a sprawling 2), so the classifier decides: a wide candidate
that is not close to any training digit as a whole (two digits side by side
look like none) is cut at a few of its least-inked columns, and the best cut
is kept when both pieces are confident digits, each nearer to a training digit
than the whole was. A blob ALWAYS_WIDE times as wide as tall or wider (and not small)
is tried even when it reads as a sure digit: few single digits are that wide, and touching ones
often read as one (a 6 and a 7 as a 0). A wide blob the classifier says is not a
digit (two digits side by side often look like none) is always tried, and its
pieces need only be confident digits. A blob under CUT_SMALL_AMONG_DIGITS px is cut
only where it stands in a row of digits: at that size a printed or written word's
pieces read as digits as well as a pair's do. Digits written one on the other (a
descender on the next line's digit) are one blob TALL digit heights tall and narrow: it
is cut at its least-inked rows or halfway, and stays cut when both pieces read as digits
about a digit tall, neither a 1 (a tall digit's tail reads as one). In the live loop,
decisions are remembered from frame to frame for candidates that did not change, so a
steady sheet costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from livedigits.recognize.layout import among_digits, centres_within, in_a_line_of_print
from livedigits.recognize.normalise import cut_cells
from livedigits.recognize.segment import SAME_BELOW, Candidates, signature_change
from livedigits.training.cells import deskew

#: (cells (K, 20, 20) uint8, deskewed) -> digits (K,), confidences (K,), nearest training
#: digit's cosine (K,); a confidence of 0 says the cell is not a digit at all
Neighbours = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
#: what the caller knows of every candidate: confidences (N,) (0: not a digit), nearest
#: training digit's cosine (N,), share of the vote for "not a digit" (N,)
Known = tuple[np.ndarray, np.ndarray, np.ndarray]
#: what was read around the candidates before: boxes (M, 4) x, y, w, h in the input's
#: pixels and whether each is a digit (M,) bool (the live loop's previous frame)
Context = tuple[np.ndarray, np.ndarray]

WIDE = 0.85  # a candidate at least this wide for its height may be two digits
LOW = 0.6  # and at least this tall, in typical digit heights
SMALLEST = 12  # px at working scale: smaller blobs' pieces are too coarse to trust
SPLIT_BELOW = 0.975  # whole's nearest-neighbour cosine under which it may be two digits
SPLIT_BELOW_IF_SURE = 0.97  # the same for a whole that is a confident digit (>= SURE)
GAIN = 0.005  # each piece's nearest cosine beats the whole's by at least this
GAIN_IF_SURE = 0.01  # or by this when the whole is a confident digit (vote share >= SURE)
SURE = 0.95
PIECE_HEIGHT = 0.7  # each piece at least this share of the blob's height
PIECE_CONFIDENCE = 0.8  # each piece's vote share
CUTS = 3  # least-inked columns tried per blob
ROUNDS = 3  # a blob is cut at most this many times (four touching digits)
ALWAYS_WIDE = 1.15  # a blob this wide for its height is tried as digits however it reads
PAIR_WIDE = 1.0  # a blob the classifier calls no digit is tried as a pair from this wide
ROW_PITCH = 0.8  # a row of touching digits holds about one per this many heights of width
AGAIN_WIDE = 1.5  # a piece read as no digit but this wide for its height may be two
CUT_SMALL_AMONG_DIGITS = 25  # px at working scale: a smaller blob is cut only among digits
LETTERISH = 0.5  # a neighbour with this share of the vote for "not a digit" is no digit there
RECHECKS = 2  # frames on which a small blob's cut is read whole again
KEEP_FRAMES = 5  # a decision not needed for this many frames is forgotten
TALL = 1.6  # a blob this many digit heights tall is tried as two digits, one on the other,
TALL_WIDE = 0.3  # when at least this wide for its height (a tall 1 is no pair)
TALL_NARROW = 0.5  # and at most this wide (one digit written large is wider)
STACKED_PIECE = 0.35  # each of its pieces at least this share of its height
STACKED_HEIGHT = 0.8  # and this many digit heights tall
STACKED_CONFIDENCE = 0.6  # each piece's vote share
STACKED_LOSS = 0.015  # and each piece's nearest cosine at most this under the whole's


@dataclass
class _Decision:
    box: np.ndarray  # (4,) x, y, w, h in the input's pixels
    signature: np.ndarray  # (D,) float32
    cuts: tuple[float, ...]  # cut columns as shares of the candidate's width; () one digit
    idle: int = 0  # frames since it was last needed
    checked: int = 0  # times a small blob's cut was read whole again and stood
    rows: tuple[float, ...] = ()  # cut rows as shares of its height (digits one on the other)


class Splitter:
    """Splits touching digits in ``Candidates``; see the module docstring.

    With ``remember`` (the live loop), decisions on unchanged candidates carry
    over from the previous frame.
    """

    def __init__(self, neighbours: Neighbours, *, remember: bool = False) -> None:
        self.neighbours = neighbours
        self.remember = remember
        self._last: list[_Decision] = []

    def __call__(self, found: Candidates, known: Known | None = None,
                 context: Context | None = None) -> Candidates:
        """``found`` with each touching pair replaced by its two digits, top to bottom.

        ``known`` is (confidences (N,), nearest cosines (N,), reject shares (N,)) of
        every candidate when the caller has classified them already; otherwise wide
        ones are classified here, and whether a small one stands among digits is
        judged from ``context`` (boxes (M, 4) and is-a-digit (M,) of what the previous
        frame read); without either, small ones are left whole.
        """
        if len(found) == 0 or found.labels is None:
            self._age(set())
            return found
        heights = np.array([e[3] - e[1] for e in found.extents], np.float64)
        widths = np.array([e[2] - e[0] for e in found.extents], np.float64)
        typical = float(np.median(heights))
        # Touching digits are one blob: strokes joined by the segmenter stay joined.
        single = np.array([len(m) == 1 for m in found.members])
        sized = single & (heights >= LOW * typical) & (heights >= SMALLEST)
        wide = np.flatnonzero(sized & (widths >= WIDE * heights))
        # A decision made when a candidate was wide holds while its box is nearly wide,
        # so that a width jittering across the line does not decide it again.
        nearly = np.flatnonzero(sized & (widths >= (WIDE - 0.1) * heights))
        # Digits written one on the other (a line's descender on the next line's digit),
        # twice as tall as the digits read (print's glyphs left out of their height).
        digit_height = _digit_height(found, known, context)
        tall = np.flatnonzero(single & (heights >= TALL * digit_height) & (heights >= SMALLEST)
                              & (widths >= TALL_WIDE * heights)
                              & (widths <= TALL_NARROW * heights))
        cuts: dict[int, tuple[float, ...]] = {}
        rows: dict[int, tuple[float, ...]] = {}
        used: set[int] = set()
        recalled: dict[int, int] = {}
        checked: dict[int, int] = {}
        if self.remember and self._last and (len(nearly) or len(tall)):
            recalled = self._recall(found, np.concatenate([nearly, tall]))
            cuts.update({k: self._last[j].cuts for k, j in recalled.items()})
            rows.update({k: self._last[j].rows for k, j in recalled.items()})
            used = set(recalled.values())
            checked = {k: self._last[j].checked for k, j in recalled.items()}
            # A small blob's cut made on a frame it read badly (blurred) does not outlive
            # it: on the next RECHECKS frames it is read whole again, and left whole when
            # it is a clear digit.
            again = [k for k, cut in cuts.items()
                     if cut and heights[k] < CUT_SMALL_AMONG_DIGITS and checked[k] < RECHECKS]
            if again:
                _, sure, whole = self.neighbours(cut_cells(found, again))
                for k, s, c in zip(again, whole.tolist(), sure.tolist(), strict=True):
                    checked[k] += 1
                    if not _doubtful(s, c):
                        cuts[k] = ()
        cuts.update(self._decide(found, [k for k in wide.tolist() if k not in cuts], known,
                                 context))
        rows.update(self._decide_stacked(found, [k for k in tall.tolist() if k not in rows],
                                         known, digit_height))
        if self.remember:  # this frame's decisions, and recent ones not needed this frame
            # A decision recalled follows its blob, but keeps the size it was made at:
            # renewed with each frame's, a blob widening slowly was never decided again.
            made_at = {k: self._last[j].box[2:] for k, j in recalled.items()}
            self._age(used)
            self._last[:0] = [
                _Decision(np.concatenate([found.boxes[k][:2], made_at.get(k, found.boxes[k][2:])]),
                          found.signatures[k].copy(), cuts.get(k, ()), checked=checked.get(k, 0),
                          rows=rows.get(k, ()))
                for k in {**cuts, **rows}]
        chosen = {k: cut for k, cut in cuts.items() if cut}
        stacked = {k: cut for k, cut in rows.items() if cut}
        return _apply(found, chosen, stacked) if chosen or stacked else found

    def _age(self, used: set[int]) -> None:
        """Drop the decisions ``used`` this frame (renewed by the caller) and those idle
        for KEEP_FRAMES frames; the rest grow a frame older."""
        self._last = [replace(d, idle=d.idle + 1) for j, d in enumerate(self._last)
                      if j not in used and d.idle + 1 < KEEP_FRAMES]

    def _recall(self, found: Candidates, which: np.ndarray) -> dict[int, int]:
        """Candidates of ``which`` that have not changed -> their remembered decision's index."""
        boxes = found.boxes[which].astype(np.float64)[:, None, :]  # (W, 1, 4)
        last = np.array([d.box for d in self._last], np.float64)[None]  # (1, L, 4)
        size_ok = (np.abs(boxes[..., 2:] - last[..., 2:])
                   <= np.maximum(2, 0.1 * last[..., 2:])).all(axis=2)
        shift = np.abs((boxes[..., :2] + boxes[..., 2:] / 2) - (last[..., :2] + last[..., 2:] / 2))
        near = (shift <= 0.5 * last[..., 2:]).all(axis=2)
        ok = size_ok & near
        out: dict[int, int] = {}
        rows, cols = np.nonzero(ok)
        if len(rows):
            mine = found.signatures[which[rows]]
            theirs = np.stack([self._last[c].signature for c in cols.tolist()])
            same = signature_change(mine, theirs) < SAME_BELOW
            for r, c in zip(rows[same].tolist(), cols[same].tolist(), strict=True):
                out.setdefault(int(which[r]), c)
        return out

    def _decide(self, found: Candidates, which: list[int], known: Known | None,
                context: Context | None) -> dict[int, tuple[float, ...]]:
        """The cuts (shares of width) for each candidate in ``which``; () for one digit.

        A piece left wide and doubtful after a cut is tried again, ROUNDS times at most.
        A small blob that cannot be judged among digits is left out (left whole, and
        not remembered as decided: the next frame may know more).
        """
        which = self._among_digits(found, which, known, context)
        columns: dict[int, list[int]] = {k: [] for k in which}
        if which:
            if known is None:
                _, sure, whole = self.neighbours(cut_cells(found, which))
            else:
                sure, whole = np.asarray(known[0])[which], np.asarray(known[1])[which]
            sure_of = dict(zip(which, sure.tolist(), strict=True))
            # (candidate, extent of the blob or piece, the gain its pieces need)
            # A blob that is no digit is tried only when wide enough for two: one digit's
            # width that the classifier turns down (a 5 like a printed S) is no pair.
            pending = [(k, found.extents[k], _needed(s, c, _always_tried(found.extents[k])))
                       for k, c, s in zip(which, sure, whole, strict=True)
                       if (_doubtful(s, c) or _always_tried(found.extents[k]))
                       and (c > 0 or _aspect(found.extents[k]) >= PAIR_WIDE)]
            if known is not None:  # a word in a line of print is no pair of digits
                in_print = in_a_line_of_print(found.boxes, np.asarray(known[0]))
                pending = [p for p in pending if sure_of[p[0]] > 0 or not in_print[p[0]]]
            for _ in range(ROUNDS):
                pending = self._cut_once(found, pending, columns)
                if not pending:
                    break
        out = {}
        for k, cut in columns.items():
            x0, _, x1, _ = found.extents[k]
            out[k] = tuple(sorted((c - x0) / (x1 - x0) for c in cut))
        return out

    def _decide_stacked(self, found: Candidates, which: list[int], known: Known | None,
                        digit_height: float) -> dict[int, tuple[float, ...]]:
        """The cut rows (shares of height) of each tall candidate in ``which``; () for one
        digit. However it reads (few digits stand twice as tall as the rest), a tall blob
        is cut at its least-inked rows, and the best cut is kept when both pieces are
        confident digits of a digit's height (STACKED_HEIGHT), each nearly as near to a training
        digit as the whole was (STACKED_LOSS), and neither is a 1."""
        from livedigits.recognize.normalise import normalise_all

        if not which:
            return {}
        if known is None:
            _, _, whole = self.neighbours(cut_cells(found, which))
        else:
            whole = np.asarray(known[1])[which]
        tries, extents, members = [], [], []
        for k, s in zip(which, whole.tolist(), strict=True):
            for row, pieces in _row_cuts(found, found.extents[k], found.members[k]):
                if all(p[3] - p[1] >= STACKED_HEIGHT * digit_height for p in pieces):
                    tries.append((k, row, s - STACKED_LOSS))
                    extents.extend(pieces)
                    members.extend([found.members[k]] * 2)
        out: dict[int, tuple[float, ...]] = {k: () for k in which}
        if not tries:
            return out
        cells = normalise_all(found.dark, found.labels, extents, members)
        digits, confidences, nearest = self.neighbours(deskew(cells))
        digits = digits.reshape(-1, 2)
        confidences, nearest = confidences.reshape(-1, 2), nearest.reshape(-1, 2)
        best: dict[int, float] = {}
        for t, (k, row, needed) in enumerate(tries):
            # A tall digit's stem or tail, cut off, reads as a 1 (a 9 as a 0 on a 1).
            if not ((confidences[t] >= STACKED_CONFIDENCE) & (nearest[t] >= needed)).all() \
                    or (digits[t] == 1).any():
                continue
            score = float(np.prod(confidences[t] * nearest[t]))
            if score > best.get(k, -1.0):
                best[k] = score
                _, y0, _, y1 = found.extents[k]
                out[k] = ((row - y0) / (y1 - y0),)
        return out

    def _among_digits(self, found: Candidates, which: list[int], known: Known | None,
                      context: Context | None) -> list[int]:
        """``which`` without the blobs under CUT_SMALL_AMONG_DIGITS px that do not stand
        in a row of digits (``layout.among_digits``), judged from what is ``known`` of
        every candidate or else from the ``context`` (the previous frame's readings,
        those within a blob's box left out: the blob itself or its pieces); without
        either every small blob is left out. At that size the pieces of a printed or
        written word read as digits as well as those of touching digits do."""
        small = [k for k in which if found.extents[k][3] - found.extents[k][1]
                 < CUT_SMALL_AMONG_DIGITS]
        if not small:
            return which
        if known is not None:
            digits = (np.asarray(known[0]) > 0) & (np.asarray(known[2]) < LETTERISH)
            ok = among_digits(found.boxes, digits, small)
        elif context is not None and len(context[0]):
            boxes = np.asarray(context[0], np.float64).reshape(-1, 4)
            blobs = found.boxes[small].astype(np.float64)
            inside = centres_within(boxes, blobs).any(axis=1)
            around = np.concatenate([blobs, boxes[~inside]])
            digits = np.concatenate([np.zeros(len(small), bool),
                                     np.asarray(context[1], bool)[~inside]])
            ok = among_digits(around, digits, np.arange(len(small)),
                              counted=np.arange(len(around)) >= len(small))
        else:
            ok = np.zeros(len(small), bool)
        dropped = {k for k, fine in zip(small, ok.tolist(), strict=True) if not fine}
        return [k for k in which if k not in dropped]

    def _cut_once(self, found: Candidates, pending: list, columns: dict[int, list[int]]) -> list:
        """Cut each pending blob where it reads best as two digits; returns wide doubtful pieces."""
        from livedigits.recognize.normalise import normalise_all

        tries, extents, members = [], [], []
        for k, extent, needed in pending:
            for column, pieces in _cuts(found, extent, found.members[k]):
                tries.append((k, extent, needed, column, pieces))
                extents.extend(pieces)
                members.extend([found.members[k]] * len(pieces))
        if not tries:
            return []
        cells = normalise_all(found.dark, found.labels, extents, members)
        _, confidences, nearest = self.neighbours(deskew(cells))
        confidences = confidences.reshape(-1, 2)
        nearest = nearest.reshape(-1, 2)
        best: dict[tuple, tuple] = {}
        for t, (k, extent, needed, column, pieces) in enumerate(tries):
            digit = (confidences[t] >= PIECE_CONFIDENCE) & (nearest[t] >= needed)
            # A piece that is no digit but wide enough for two more is cut again later
            # (a row of touching digits is halved first).
            more = np.array([confidences[t][j] <= 0 and
                             p[2] - p[0] >= AGAIN_WIDE * (p[3] - p[1])
                             for j, p in enumerate(pieces)])
            if not (digit | more).all():
                continue
            score = float(np.prod(np.where(digit, confidences[t] * nearest[t], 0.25)))
            key = (k, extent)
            if key not in best or score > best[key][0]:
                best[key] = (score, column, pieces, nearest[t], confidences[t])
        again = []
        for (k, extent), (_, column, pieces, near, sure) in best.items():
            columns[k].append(extent[0] + column)
            for piece, s, c in zip(pieces, near, sure, strict=True):
                w, h = piece[2] - piece[0], piece[3] - piece[1]
                if w >= WIDE * h and (_doubtful(s, c) or _always_tried(piece)):
                    again.append((k, piece, _needed(s, c, _always_tried(piece))))
        return again


Extent = tuple[int, int, int, int]


def _aspect(extent: Extent) -> float:
    """Width over height of an extent (x0, y0, x1, y1)."""
    return (extent[2] - extent[0]) / max(1, extent[3] - extent[1])


def _always_tried(extent: Extent) -> bool:
    """Whether a blob or piece is wide enough to be tried as digits however it reads:
    ALWAYS_WIDE for its height, and not under CUT_SMALL_AMONG_DIGITS px (where a
    word's pieces read as digits as well as a pair's do)."""
    return _aspect(extent) >= ALWAYS_WIDE and extent[3] - extent[1] >= CUT_SMALL_AMONG_DIGITS


def _doubtful(nearest: float, confidence: float) -> bool:
    """Whether a wide blob read this way may be two digits (always, when it is not a
    digit: confidence 0)."""
    return confidence <= 0 or \
        nearest < (SPLIT_BELOW_IF_SURE if confidence >= SURE else SPLIT_BELOW)


def _needed(nearest: float, confidence: float, wide: bool = False) -> float:
    """The nearest cosine each piece must reach to beat a blob read this way (any,
    when the blob is not a digit). A ``wide`` blob (``_always_tried``) is seldom one
    digit, however surely it reads: its pieces need only the smaller GAIN."""
    if confidence <= 0:
        return 0.0
    return float(nearest) + (GAIN_IF_SURE if confidence >= SURE and not wide else GAIN)


def _ink(found: Candidates, extent: Extent, members: list[int]) -> np.ndarray:
    """(h, w) bool: the strokes of components ``members`` within ``extent``."""
    x0, y0, x1, y1 = extent
    return np.isin(found.labels[y0:y1, x0:x1], members)


def _between(found: Candidates, extent: Extent, members: list[int],
             columns: list[int], *, across: bool = False) -> list[Extent]:
    """Ink-tight extents of the strips of ``extent`` between ``columns`` (relative), skipping
    empty ones; with ``across``, between those rows instead."""
    x0, y0, x1, y1 = extent
    ink = _ink(found, extent, members)
    if across:  # rows as columns: the strips are cut the same way, then turned back
        ink = ink.T
    edges = [0, *columns, ink.shape[1]]
    out = []
    for a, b in zip(edges, edges[1:], strict=False):
        part = ink[:, a:b]
        rows = np.flatnonzero(part.any(axis=1))
        if len(rows) == 0:
            continue
        cols = np.flatnonzero(part.any(axis=0))
        if across:
            out.append((x0 + int(rows[0]), y0 + a + int(cols[0]),
                        x0 + int(rows[-1]) + 1, y0 + a + int(cols[-1]) + 1))
        else:
            out.append((x0 + a + int(cols[0]), y0 + int(rows[0]),
                        x0 + a + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1))
    return out


def _least_inked(counts: np.ndarray, lo: int, hi: int, spacing: float) -> list[int]:
    """Up to CUTS lines in ``[lo, hi)`` with the least ink in ``counts`` (ink pixels per
    column or row, smoothed over three), each more than ``spacing`` from the others."""
    profile = np.convolve(counts.astype(np.float64), np.ones(3) / 3, mode="same")
    picked: list[int] = []
    for line in sorted(range(lo, hi), key=lambda c: (profile[c], c)):
        if all(abs(line - p) > spacing for p in picked):
            picked.append(line)
            if len(picked) == CUTS:
                break
    return picked


def _cuts(found: Candidates, extent: Extent, members: list[int]) -> list[tuple[int, list]]:
    """(column, two pieces) at up to CUTS least-inked columns of the middle half of
    ``extent`` (a blob, or a piece of one), and at its even divisions by the number of
    digits it may hold; each piece must be at least PIECE_HEIGHT of its height."""
    ink = _ink(found, extent, members)
    height, width = ink.shape
    lo, hi = int(0.25 * width), max(int(0.25 * width) + 1, int(0.75 * width))
    spacing = max(2.0, 0.08 * width)
    picked = _least_inked(ink.sum(axis=0), lo, hi, spacing)
    # A row of touching round digits is least inked through their middles, not between
    # them: the even divisions of a blob several digits wide are tried too.
    count = min(round(width / (ROW_PITCH * height)), ROUNDS + 1)  # one digit: no division
    for j in range(1, count):
        column = int(round(width * j / count))
        if lo <= column < hi and all(abs(column - p) > spacing for p in picked):
            picked.append(column)
    out = []
    for column in picked:
        pieces = _between(found, extent, members, [column])
        if len(pieces) == 2 and all(p[3] - p[1] >= PIECE_HEIGHT * height for p in pieces):
            out.append((column, pieces))
    return out


def _digit_height(found: Candidates, known: Known | None, context: Context | None) -> float:
    """The median height, px at working scale, of the candidates ``known`` to be digits
    when ``known`` is given, else of the ``context``'s digits (input px, scaled); inf when
    the one given holds no digit (no blob is then taken for digits one on the other)."""
    if known is not None:
        digits = np.flatnonzero(np.asarray(known[0]) > 0)
        if len(digits):
            return float(np.median([found.extents[k][3] - found.extents[k][1] for k in digits]))
    elif context is not None and np.asarray(context[1], bool).any():
        boxes = np.asarray(context[0], np.float64).reshape(-1, 4)
        return float(np.median(boxes[np.asarray(context[1], bool), 3])) * found.scale
    return float("inf")


def _row_cuts(found: Candidates, extent: Extent, members: list[int]
              ) -> list[tuple[int, list]]:
    """(row, two pieces) at up to CUTS least-inked rows of the middle of a tall ``extent``
    (absolute rows), each piece at least STACKED_PIECE of its height."""
    ink = _ink(found, extent, members)
    height = ink.shape[0]
    lo, hi = int(0.3 * height), max(int(0.3 * height) + 1, int(0.7 * height))
    spacing = max(2.0, 0.08 * height)
    picked = _least_inked(ink.sum(axis=1), lo, hi, spacing)
    # Two digits of one height, one on the other, meet about halfway, where the one's
    # bottom and the other's top are ink.
    middle = height // 2
    if all(abs(middle - p) > spacing for p in picked):
        picked.append(middle)
    out = []
    for row in picked:
        pieces = _between(found, extent, members, [row], across=True)
        if len(pieces) == 2 and all(p[3] - p[1] >= STACKED_PIECE * height for p in pieces):
            out.append((extent[1] + row, pieces))
    return out


def _apply(found: Candidates, cuts: dict[int, tuple[float, ...]],
           stacked: dict[int, tuple[float, ...]] | None = None) -> Candidates:
    """``found`` with candidates ``cuts`` (column shares) and ``stacked`` (row shares)
    replaced by their pieces, top to bottom."""
    extents, members = [], []
    stacked = stacked or {}
    for k, (extent, group) in enumerate(zip(found.extents, found.members, strict=True)):
        pieces = [extent]
        if k in stacked:
            height = extent[3] - extent[1]
            pieces = _between(found, extent, group, [int(round(f * height)) for f in stacked[k]],
                              across=True) or [extent]
        elif k in cuts:
            width = extent[2] - extent[0]
            pieces = _between(found, extent, group,
                              [int(round(f * width)) for f in cuts[k]]) or [extent]
        for piece in pieces:
            extents.append(piece)
            members.append(group)
    boxes = np.array([(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in extents], np.float64)
    if found.scale < 1.0:
        boxes = boxes / found.scale
    boxes = np.round(boxes).astype(np.int32)
    order = np.lexsort((boxes[:, 0], boxes[:, 1]))
    extents = [extents[i] for i in order]
    return replace(found, boxes=boxes[order], known_signatures=None,
                   extents=extents, members=[members[i] for i in order])
