"""Image -> candidate digit boxes, at any scale.

One code path from 640x480 webcam frames (digits ~14-40 px tall) to 300-dpi
scans (digits 60-150 px): everything is measured relative to the image size or
to the digits found, never set by a scale flag.

Steps: darkness relative to a local paper estimate (``ink``); hysteresis
threshold (faint printed text and show-through stay below the strong-ink test);
connected components; rejection of specks, rules, page edges and dark surrounds
(``filters``); merging of one digit's strokes.

``find_candidates`` does everything up to the boxes (plus a cheap signature of each
candidate's patch); ``normalise.cut_cells`` normalises the cells of the candidates
asked for, so the live loop cuts only digits that are new or changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from livedigits.imageio import to_uint8
from livedigits.recognize.filters import (
    capped_by_rules,
    continuing_rules,
    far_too_big,
    is_digit_shaped,
    speck_sized,
    straight_pieces,
    touching,
    typical_height,
)
from livedigits.recognize.ink import (
    FAINT_TALL,
    SQUARE,
    components,
    darkness,
    to_gray,
    writing_level,
)
from livedigits.recognize.rules import rule_lengths, split_rules
from livedigits.recognize.sheet import Sheet, find_sheet, moved_sheet
from livedigits.recognize.small_digits import closed_groups, short_closed_components

MAX_SIDE = 4000  # larger images are segmented at this size at most; boxes map back
LOOK_SIDE = 1600  # larger images are first read at this size, to measure the digits
LEAST_HEIGHT = 24  # px: digits this tall at the first look are read there
WORK_HEIGHT = 32  # px: smaller ones are read again at the scale that makes them this tall
SIGNATURE_SIDE = 5  # a candidate's signature is its darkness at this many px square
SAME_BELOW = 0.12  # signature change under which a candidate is the one seen before: not cut,
#                   classified or split-decided again (a blur or light change stays below it)

WEAK = 16  # darkness (of 255) that counts as ink at all, on clean paper
STRONG_MIN = 28  # a digit's darkest pixel reaches at least this, on clean paper
# On noisy or blotchy paper both rise with the noise: the median darkness of the
# smoothed picture (nearly all paper) times these.
WEAK_PER_NOISE = 3.0
STRONG_PER_NOISE = 5.0
STRONG_SHARE = 0.45  # of the writing's level: a digit reaches this somewhere
WEAK_SHARE = 0.25  # of the writing's level: a digit's strokes stay above this
# Marks this dark are writing whatever else the page holds (bold print sets a level its
# pencilled entries would not reach); faint print and show-through stay below.
STRONG_ENOUGH = 64
WEAK_ENOUGH = 50
SMALL_MARK = 4  # px at working scale: a strong mark this tall may be a digit seen small
SMALLEST_DIGIT = 12  # px of the input: smaller marks are no digit to look closer for
SMALL_MARKS_MIN = 8  # so many small marks, more than the candidates, call for a closer look
BOX_SIDE = 0.8  # a straight piece between rules this many digit heights tall is a box's side
SIDE_RUN = 9  # px: an upright run at least this long may be a box's side
# A mark reaching FAINT_SEED of the strong level is writing whose strokes stay above
# FAINT_SHARE of its own darkest: a faint pen on a page whose bold print set the levels
# keeps its strokes whole instead of breaking at the print's weak level.
FAINT_SEED = 0.8
FAINT_SHARE = 0.45
FAINT_BROKEN = 0.1  # of the marks so faint: the page's weak level is not theirs
# A faint pen beside bold print (``ink.faint_level``): its digits reach FAINT_STRONG of the
# darkness nearly all its marks reach, and their strokes stay above FAINT_WEAK of it.
FAINT_STRONG = 0.8
FAINT_WEAK = 0.7


@dataclass
class Candidates:
    """Candidate digits found in one image, before their cells are cut.

    Attributes
    ----------
    boxes : (N, 4) int32, x, y, w, h in the input image's pixels, top to bottom
    signatures : (N, SIGNATURE_SIDE**2) float32, each candidate's darkness area-resized
        to SIGNATURE_SIDE x SIGNATURE_SIDE and scaled to sum 1 (compared by
        ``signature_change``); worked out on first use (only the live loop's
        reuse of classifications needs them) when built with None
    ink : (H', W') uint8 0/1 mask of ink at working scale (for the debug view)
    scale : float, working pixels per input pixel
    small_marks : (count, median height in working px) of the strong marks too small
        to be candidates at this scale (``find_candidates`` looks closer for them)
    """

    boxes: np.ndarray
    known_signatures: np.ndarray | None
    ink: np.ndarray
    scale: float
    # What cut_cells needs, at working scale, one entry per candidate (in boxes' order).
    dark: np.ndarray | None = None  # (H', W') uint8 darkness
    labels: np.ndarray | None = None  # (H', W') int32 component labels
    extents: list[tuple[int, int, int, int]] = field(default_factory=list)  # x0, y0, x1, y1
    members: list[list[int]] = field(default_factory=list)  # component labels of each
    sheet: Sheet | None = None  # the writing surface found (or carried on), at working scale
    # Strong marks too small to be candidates at this scale: how many, and their median
    # height in working px (a first look at a big photo of small writing sees these).
    small_marks: tuple[int, float] = (0, 0.0)
    # (H' + 1, W' + 1) cv2.integral of ``dark``, made with the first signatures and kept
    # by copies (``split`` replaces the boxes of touching digits by their pieces').
    integral: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def signatures(self) -> np.ndarray:
        if self.known_signatures is None:
            if self.integral is None:
                self.integral = _integral(self.dark)
            self.known_signatures = _signatures(self.integral, self.extents)
        return self.known_signatures


def _integral(dark: np.ndarray) -> np.ndarray:
    """(H + 1, W + 1) cv2.integral of (H, W) uint8 ``dark``: int32, whose sums are exact
    and half the memory of float64, which is kept for images where they could overflow."""
    wide = dark.size * 255 >= 2**31
    return cv2.integral(dark, sdepth=cv2.CV_64F if wide else cv2.CV_32S)


def _signatures(table: np.ndarray, extents: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Each box's darkness summed over a SIGNATURE_SIDE-square grid, scaled to sum 1.

    Parameters
    ----------
    table : (H + 1, W + 1) ``_integral`` of the (H, W) darkness
    extents : N boxes (x0, y0, x1, y1) in the darkness's pixels

    Returns
    -------
    (N, SIGNATURE_SIDE**2) float32, rows summing to 1 (0 for a box without ink)
    """
    # One integral image and a few lookups for all boxes at once: a resize per box cost
    # more than everything else the live loop does for an unchanged digit. The whole box
    # counts, neighbours' ink included, so that any change inside it shows. Grid lines
    # fall between pixels; the integral is bilinear inside a pixel, so interpolating it
    # weighs split pixels by area, as INTER_AREA does.
    box = np.asarray(extents, np.float64).reshape(-1, 4)
    steps = np.arange(SIGNATURE_SIDE + 1) / SIGNATURE_SIDE
    cols = box[:, 0:1] + steps * (box[:, 2:3] - box[:, 0:1])  # (N, SIDE + 1)
    rows = box[:, 1:2] + steps * (box[:, 3:4] - box[:, 1:2])
    col0 = np.minimum(cols.astype(np.intp), table.shape[1] - 2)
    row0 = np.minimum(rows.astype(np.intp), table.shape[0] - 2)
    fx = (cols - col0)[:, None, :]
    fy = (rows - row0)[:, :, None]
    r0, c0 = row0[:, :, None], col0[:, None, :]
    corners = [table[r0 + dy, c0 + dx].astype(np.float64) for dy in (0, 1) for dx in (0, 1)]
    top = corners[0] * (1 - fx) + corners[1] * fx
    bottom = corners[2] * (1 - fx) + corners[3] * fx
    corner = top * (1 - fy) + bottom * fy
    sums = corner[:, 1:, 1:] - corner[:, :-1, 1:] - corner[:, 1:, :-1] + corner[:, :-1, :-1]
    sums = sums.reshape(len(box), -1)
    return (sums / np.maximum(sums.sum(axis=1, keepdims=True), 1.0)).astype(np.float32)


def signature_change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How different paired signatures are: half the sum of |a - b|, per pair.

    Parameters
    ----------
    a, b : (N, D) float32 signatures (each sums to 1)

    Returns
    -------
    (N,) float32 in [0, 1]: 0 for the same distribution of ink over the box, 1 for
    ink in disjoint places.
    """
    return 0.5 * np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).sum(axis=1)


def find_candidates(image: np.ndarray, *,
                    carried: tuple[Sheet, np.ndarray] | None = None) -> Candidates:
    """Find candidate digits in a gray, BGR or BGRA image, without cutting their cells.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) uint8 (16-bit images are scaled to 8 bits)
    carried : the previous frame's ``Candidates.sheet`` and the sheet's motion since, a
        (2, 3) map of frame pixels (the live loop): the sheet is carried on by it
        (``sheet.moved_sheet``) instead of being looked for again, when the image is
        read at full size

    Returns
    -------
    Candidates with boxes in the input's pixels, listed top to bottom; ``cut_cells``
    turns any of them into cells.

    Notes
    -----
    The work is done at a scale the writing sets, so that its cost follows the
    digits, not the pixels: an image larger than ``LOOK_SIDE`` is first read at
    that size; when its digits come out at least ``LEAST_HEIGHT`` px tall that
    reading stands, otherwise the image is read again at the scale that makes
    them ``WORK_HEIGHT`` px tall (up to full size, or ``MAX_SIDE``). When the first
    look sees more strong marks too small to be candidates than candidates (at
    least ``SMALL_MARKS_MIN``), the writing may be small: the image is read again at
    the scale that makes those marks ``WORK_HEIGHT`` px tall, and that reading stands
    when it finds twice the candidates and SMALL_MARKS_MIN more at least.
    """
    gray = to_gray(to_uint8(image))
    side = max(gray.shape)
    full = min(1.0, MAX_SIDE / side)
    if side <= LOOK_SIDE:
        sheet = None if carried is None else moved_sheet(carried[0], gray, carried[1])
        return _find_at(gray, full, sheet)
    look = LOOK_SIDE / side
    found = _find_at(gray, look)
    marks, mark_height = found.small_marks
    if marks >= SMALL_MARKS_MIN and marks > len(found):
        # Small writing on a big photo: at the first look its digits are specks, and
        # what is found (a table's cells, a grid) is no measure of them. The closer look
        # stands when it finds far more (a dotted line's dots are specks there too).
        again = min(full, WORK_HEIGHT * look / mark_height)
        closer = _find_at(gray, again, least=0.5 * mark_height * again / look)
        if len(closer) >= max(2 * len(found), len(found) + SMALL_MARKS_MIN):
            return closer
    if len(found) == 0:
        return found
    height = float(np.median(found.boxes[:, 3]))  # input pixels
    if height * look >= LEAST_HEIGHT:
        return found
    again = min(full, WORK_HEIGHT / height)
    return found if again <= 1.2 * look else _find_at(gray, again)


def _find_at(gray: np.ndarray, scale: float, sheet: Sheet | None = None,
             least: float | None = None) -> Candidates:
    """``find_candidates`` on (H, W) uint8 ``gray`` resized by ``scale`` (<= 1), on
    ``sheet`` when it is known already (``gray`` at full size); ``least`` is the
    smallest side, working px, a candidate may have (default: 0.8% of the image's
    longer side, at least 4)."""
    full_h, full_w = gray.shape
    if scale < 1.0:
        gray = cv2.resize(gray, (max(1, round(full_w * scale)), max(1, round(full_h * scale))),
                          interpolation=cv2.INTER_AREA)
    h, w = gray.shape
    empty = Candidates(np.zeros((0, 4), np.int32),
                       np.zeros((0, SIGNATURE_SIDE * SIGNATURE_SIDE), np.float32),
                       np.zeros((h, w), np.uint8), scale)
    if h < 8 or w < 8:
        return empty

    if sheet is None:
        sheet = find_sheet(gray)
    dark = darkness(sheet.gray, sheet.paper)
    valid = sheet.valid_mask()
    if valid is not None:
        dark = cv2.bitwise_and(dark, valid)  # the desk and the page's edge hold no ink
    # Thresholds see a smoothed copy (noise); cells are cut from the sharp one.
    smooth = cv2.GaussianBlur(dark, (3, 3), 0)
    if sheet.levels is None:  # a sheet carried on keeps the levels it was found with
        sheet = replace(sheet, levels=_levels(smooth, valid))
    noise, strong_level, faint = sheet.levels
    weak_min = _weak_min(noise)
    strong_min = max(STRONG_MIN, STRONG_PER_NOISE * noise)
    if strong_level <= 0:
        return empty
    strong = max(strong_min, min(STRONG_SHARE * strong_level, STRONG_ENOUGH))
    # Faint print touching a digit would join it at a lower threshold.
    weak_level = max(weak_min, min(WEAK_SHARE * strong_level, WEAK_ENOUGH))
    if faint > 0:  # a faint pen beside bold print: thresholds it reaches too
        strong = max(strong_min, min(strong, FAINT_STRONG * faint))
        weak_level = max(weak_min, min(weak_level, FAINT_WEAK * faint))
    _, weak = cv2.threshold(smooth, weak_level, 1, cv2.THRESH_BINARY)
    count, labels, stats, peak = components(weak, dark)
    if _fragmented(stats, peak, strong, weak_level):
        tall = stats[1:, 3][peak[1:] >= strong]
        weak = _regrown(smooth, labels, count, weak_min, weak_level, strong,
                        FAINT_TALL * float(np.median(tall)) if len(tall) else 0.0)
        count, labels, stats, peak = components(weak, dark)
    across, down = rule_lengths(h, w)
    capped = lines = None
    boxed = False
    if (stats[1:, 2] >= across).any() or (stats[1:, 3] >= down).any():
        # Only when something is long enough to be a rule.
        weak, lines, upright = split_rules(weak)
        boxed = lines.any() and not upright
        if boxed:
            # Form boxes and comb fields on plain paper; on squared paper and in grids
            # a digit's upright stroke may well run from one rule to the next.
            weak, side_pixels = without_box_sides(weak, lines)
            lines = lines | side_pixels  # the boxes' sides are their lines too
        count, labels, stats, peak = components(weak, dark)
        capped = capped_by_rules(labels, stats, lines)
        continuing = continuing_rules(stats, lines)
    if count <= 1:
        return empty
    peak = peak.astype(np.float32)

    min_side = max(4.0, 0.008 * max(h, w) if least is None else least)
    area = stats[:, 4]
    marks = (peak >= strong) & (np.maximum(stats[:, 2], stats[:, 3]) < min_side) \
        & (stats[:, 3] >= max(SMALL_MARK, SMALLEST_DIGIT * scale))
    marks[0] = False
    small_marks = (int(marks.sum()), float(np.median(stats[marks, 3])) if marks.any() else 0.0)
    empty = replace(empty, small_marks=small_marks)
    keep = np.flatnonzero(
        (peak >= 0.6 * strong)  # faint fragments may still complete a digit
        & ((stats[:, 3] >= min_side) | (stats[:, 2] >= min_side))
        & (stats[:, 2] <= 0.5 * w) & (stats[:, 3] <= 0.7 * h)  # page edges, dark surrounds
        & (area <= 0.05 * h * w)
    )
    keep = keep[keep > 0]
    if len(keep) == 0:
        return empty
    is_strong = peak[keep] >= strong
    if not is_strong.any():
        return empty
    if capped is None:
        typical = typical_height(stats[keep[is_strong]])
    else:
        # The sides of form boxes and table cells: pieces between rules as tall as a
        # digit (squared paper's squares cut digits into shorter ones).
        sides = capped[keep]
        core = is_strong & ~sides
        typical = typical_height(stats[keep[core if core.any() else is_strong]])
        # Between a box's sides, cut off, the pieces of its top and bottom lines.
        sides &= (stats[keep, 3] >= BOX_SIDE * typical) | (
            boxed & (stats[keep, 2] >= BOX_SIDE * typical) & straight_pieces(stats[keep])[1])
        sides |= continuing[keep]  # a rule's own broken piece, however short
        keep, is_strong = keep[~sides], is_strong[~sides]
        if not is_strong.any():
            return empty
    kept = stats[keep]
    # A 0 written small beside a 1 is no stroke of the 1 (``small_digits``).
    group, joint = group_strokes(kept, typical, short_closed_components(
        labels, count, keep, kept, typical, lines))
    bw, bh = joint[:, 2] - joint[:, 0], joint[:, 3] - joint[:, 1]
    # Whole blobs must reach strong ink: faint print stays out.
    fine = np.bincount(group, weights=is_strong, minlength=len(joint)) > 0
    small_digit = closed_groups(labels, count, keep, group, joint,
                                np.flatnonzero(fine & speck_sized(bw, bh, typical)), lines)
    fine &= is_digit_shaped(bw, bh, typical, small_digit)
    if sheet.valid is not None:  # a sheet's edge against the desk is not ink
        fine &= ~touching(~sheet.valid, joint, (h, w))
    # A hairline along the picture's edge: a scanner's or a page's border.
    fine &= ~((np.minimum(bw, bh) <= 3) & ((joint[:, 0] == 0) | (joint[:, 1] == 0)
                                          | (joint[:, 2] == w) | (joint[:, 3] == h)))
    if not fine.any():
        return empty
    by_group = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[by_group], np.arange(len(joint) + 1))
    labels_of = keep[by_group].tolist()
    picked = np.flatnonzero(fine)
    extents = [tuple(v) for v in joint[picked].tolist()]
    members = [labels_of[starts[g]:starts[g + 1]] for g in picked.tolist()]
    boxes_arr = np.array([(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in extents],
                         np.float64)
    if scale < 1.0:
        boxes_arr = boxes_arr / scale
    boxes_arr = np.round(boxes_arr).astype(np.int32)
    order = np.lexsort((boxes_arr[:, 0], boxes_arr[:, 1]))
    extents = [extents[k] for k in order]
    return Candidates(boxes_arr[order], None, weak, scale, dark, labels,
                      extents, [members[k] for k in order], sheet, small_marks)


def _levels(smooth: np.ndarray, valid: np.ndarray | None) -> tuple[float, float, float]:
    """``Sheet.levels`` of (H, W) uint8 smoothed darkness, ``valid`` (H, W) 0/255 uint8
    or None: the paper's noise, the median darkness of the sheet (nearly all paper), and
    the writing's level and a faint writing's beside it (``ink.writing_level``, 0 when
    nothing could be writing, or no faint writing)."""
    half = np.ascontiguousarray(smooth[::2, ::2])
    half_valid = None if valid is None else np.ascontiguousarray(valid[::2, ::2])
    histogram = cv2.calcHist([half], [0], half_valid, [256], [0, 256]).ravel()
    noise = float(np.searchsorted(np.cumsum(histogram), 0.5 * histogram.sum()))
    # Marks are counted at quarter size, each block keeping its darkest pixel, so that
    # no stroke's peak falls between the samples.
    quarter = np.ascontiguousarray(cv2.dilate(half, SQUARE[:2, :2], anchor=(0, 0))[::2, ::2])
    return (noise, *writing_level(quarter, _weak_min(noise)))


def _weak_min(noise: float) -> float:
    """The darkness (of 255) that counts as ink at all on paper of ``noise`` (its median
    darkness): WEAK on clean paper, rising with the noise."""
    return max(WEAK, WEAK_PER_NOISE * noise)


def without_box_sides(ink: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ink`` (H, W) 0/1 uint8 split into the rest and the sides of form boxes (both
    (H, W) 0/1 uint8): upright straight runs, SIDE_RUN px long at least, that meet
    the removed rules ``lines`` (H, W) 0/1 uint8 at both ends, or stand on one as a
    comb's teeth (``filters.capped_by_rules``), and a row's end sides (``_row_ends``).
    A digit touching a box's side is cut off it instead of being joined to it."""
    upright = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((SIDE_RUN, 1), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(upright, connectivity=8)
    if count <= 1:
        return ink, np.zeros_like(ink)
    side = capped_by_rules(labels, stats, lines)
    side[0] = False
    if not side.any():
        return ink, np.zeros_like(ink)
    side |= _row_ends(stats, side)
    # With its ragged edge: a tilted side's pixels the upright run leaves out.
    edge = cv2.dilate(side[labels].view(np.uint8), np.ones((1, 3), np.uint8)) & ink
    return ink & (1 - edge), edge


def _row_ends(stats: np.ndarray, side: np.ndarray) -> np.ndarray:
    """(count,) bool: upright runs (rows of ``stats``, OpenCV's (count, 5)) as tall as
    the box sides ``side`` (count,) bool found, ending on the same rows, and no
    farther from one of them than 1.5 times its height (a box's width): a row of
    boxes' first or last side, which its top and bottom rules may stop short of."""
    x, y, h = (stats[:, k].astype(np.float64) for k in (0, 1, 3))
    found = np.flatnonzero(side)
    thin = straight_pieces(stats)[0] & ~side
    thin[0] = False
    if len(found) < 2 or not thin.any():  # one side alone is no row of boxes
        return np.zeros(len(stats), bool)
    near = ((np.abs(y[:, None] - y[found]) <= 3)
            & (np.abs((y + h)[:, None] - (y + h)[found]) <= 3)
            & (np.abs(x[:, None] - x[found]) <= 1.5 * h[found]))
    return thin & near.any(axis=1)


def _fragmented(stats: np.ndarray, peak: np.ndarray, strong: float,
                weak_level: float) -> bool:
    """Whether the marks (rows of ``stats`` (N, 5) and ``peak`` (N,), label 0 the
    background) look like faint writing that ``weak_level`` breaks up: of those
    reaching FAINT_SEED of ``strong`` and at least 3 px tall, a tenth at least (and
    two) have FAINT_SHARE of their darkest below the weak level."""
    seed = (peak[1:] >= FAINT_SEED * strong) & (stats[1:, 3] >= 3)
    broken = int((seed & (FAINT_SHARE * peak[1:] < weak_level)).sum())
    return broken >= max(2, FAINT_BROKEN * int(seed.sum()))


def _regrown(smooth: np.ndarray, labels: np.ndarray, count: int, weak_min: float,
             weak_level: float, strong: float, least_height: float) -> np.ndarray:
    """The weak-ink mask (H, W) uint8 0/1 of ``smooth`` (H, W) uint8 darkness with a
    faint mark's own threshold. ``labels`` (H, W) int32 are the ``count`` components
    found at ``weak_level``; ``least_height`` (px) is FAINT_TALL of the strong marks'
    median height.

    A mark found at ``weak_min`` that reaches FAINT_SEED of ``strong`` and that the
    weak level breaks up -- two or more of its pieces in it, or FAINT_SHARE of its
    darkest under that level, at least ``least_height`` tall and no wider than twice
    its height (a faint pen's digit the level leaves one piece of, not a word or a
    letter of faint print) --
    keeps what is darker than FAINT_SHARE of its own darkest (but never less than the
    paper's noise, nor needs more than ``weak_level``); every other mark, whole already
    (a printed glyph), is cut at ``weak_level`` as before.
    """
    _, low = cv2.threshold(smooth, weak_min, 1, cv2.THRESH_BINARY)
    low_count, low_labels, low_stats, low_peak = components(low, smooth)
    inked = labels > 0
    pairs = np.unique(low_labels[inked].astype(np.int64) * count + labels[inked])
    pieces = np.bincount(pairs // count, minlength=low_count)
    share = FAINT_SHARE * low_peak.astype(np.float32)
    own = np.clip(share, weak_min, weak_level)
    # The weak level cuts into it, and it is no word of faint print (wider than twice its
    # height) nor a letter of it (under ``least_height``).
    cut = (share < weak_level) & (low_stats[:, 2] <= 2 * low_stats[:, 3]) \
        & (low_stats[:, 3] >= least_height)
    own[(low_peak < FAINT_SEED * strong) | ((pieces < 2) & ~cut)] = weak_level
    own[0] = 255  # the background
    return (smooth > own.astype(np.uint8)[low_labels]).view(np.uint8)


def group_strokes(stats: np.ndarray, typical: float, whole: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Group component indices that are strokes of one digit.

    Returns ``(group, boxes)``: group (N,) int64, the group of each row of ``stats``
    (groups numbered in the order of their first member), and boxes (G, 4) int64,
    each group's joint box ``x0, y0, x1, y1``.

    Two components join when their boxes overlap along x by most of the narrower
    one and are vertically close, and the joined box stays digit-sized; two
    pieces each too short to be a digit join when together they make one (a
    stroke cut by a rule, a broken pen line; a wide digit may be as wide as 1.3
    times its height); a short stroke joins a digit it nearly touches (a 7's or
    a 5's detached bar), unless it is one of ``whole`` (N,) bool, shaped as a digit
    written small is (``small_digits``). See ``kernels.strokes.merge_strokes``.
    """
    from livedigits.kernels.strokes import join_strokes

    n = len(stats)
    box = np.empty((n, 4), np.int64)
    box[:, :2] = stats[:, :2]
    box[:, 2:] = stats[:, :2].astype(np.int64) + stats[:, 2:4]
    if n == 0:
        return np.zeros(0, np.int64), box
    # Far bigger than a digit (a pen lying on the sheet, a shadow): no digit's stroke,
    # and it must not swallow the digits it overlaps.
    huge = far_too_big(stats[:, 2], stats[:, 3], typical)
    reach = max(2.0, 0.2 * typical)  # farthest gap any rule below bridges
    parent, box = join_strokes(box, huge, float(typical), reach, whole)
    roots, first, inverse = np.unique(parent, return_index=True, return_inverse=True)
    by_first = np.argsort(first, kind="stable")
    rank = np.empty(len(roots), np.int64)
    rank[by_first] = np.arange(len(roots))
    return rank[inverse.ravel()], box[roots[by_first]]
