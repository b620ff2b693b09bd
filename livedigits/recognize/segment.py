"""Image -> candidate digit boxes and normalised 20x20 cells, at any scale.

One code path from 640x480 webcam frames (digits ~14-40 px tall) to 300-dpi
scans (digits 60-150 px): everything is measured relative to the image size or
to the digits found, never set by a scale flag.

Steps: darkness relative to a local paper estimate (uneven light, shadows and
coloured paper cancel out); hysteresis threshold (faint printed text and
show-through stay below the strong-ink test); connected components; rejection of
specks, rules, page edges and dark surrounds; merging of one digit's strokes;
normalisation of each digit into a cell as MNIST's are made.

``find_candidates`` does everything up to the boxes (plus a cheap signature of each
candidate's patch); ``cut_cells`` normalises the cells of the candidates asked for
(compiled, ``kernels.cut``), so
the live loop cuts only digits that are new or changed; ``segment`` does both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from livedigits.recognize.rules import rule_lengths, split_rules
from livedigits.recognize.sheet import find_sheet
from livedigits.training.cells import CELL

MAX_SIDE = 4000  # larger images are segmented at this size at most; boxes map back
LOOK_SIDE = 1600  # larger images are first read at this size, to measure the digits
LEAST_HEIGHT = 24  # px: digits this tall at the first look are read there
WORK_HEIGHT = 32  # px: smaller ones are read again at the scale that makes them this tall
DIGIT_BOX = 14.3  # longer side of a digit in a cell (MNIST: 20 of 28 px)
CENTRE = 9.86  # mean centre of mass of digits.png's cells, rows and columns
WORK_SIDE = 56  # digits are cleaned up at this size before the final resize
STROKE = 1.8 * WORK_SIDE / DIGIT_BOX  # MNIST's stroke width at that size, px
SMALL_DIGIT = 24  # digits at most this many px long keep their gray levels
SIGNATURE_SIDE = 5  # a candidate's signature is its darkness at this many px square
_SQUARE = np.ones((3, 3), np.uint8)  # 8-neighbourhood structuring element


def to_gray(image: np.ndarray) -> np.ndarray:
    """Darkest-relative gray: (H, W) uint8 from gray, BGR or BGRA (alpha over white)."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        from livedigits.imageio import flatten_alpha

        image = flatten_alpha(image)  # in bands of rows: memory is the output plus a band
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def darkness(gray: np.ndarray, paper: np.ndarray | None = None) -> np.ndarray:
    """How much darker than the paper around it each pixel is.

    Parameters
    ----------
    gray : (H, W) uint8
    paper : (H, W) uint8 paper estimate (when not given, ``sheet.find_sheet``'s, which
        also turns light writing dark)

    Returns
    -------
    (H, W) uint8, 255 * (1 - pixel / paper): 0 on paper, ~180-230 on black ink.
    """
    if paper is None:
        sheet = find_sheet(gray)
        gray, paper = sheet.gray, sheet.paper
    return cv2.bitwise_not(cv2.divide(gray, paper, scale=255))


def _merge_strokes(stats: np.ndarray, typical: float) -> tuple[np.ndarray, np.ndarray]:
    """Group component indices that are strokes of one digit.

    Returns ``(group, boxes)``: group (N,) int64, the group of each row of ``stats``
    (groups numbered in the order of their first member), and boxes (G, 4) int64,
    each group's joint box ``x0, y0, x1, y1``.

    Two components join when their boxes overlap along x by most of the narrower
    one and are vertically close, and the joined box stays digit-sized; two
    pieces each too short to be a digit join when together they make one (a
    stroke cut by a rule, a broken pen line; a wide digit may be as wide as 1.3
    times its height); a short stroke joins a digit it nearly touches (a 7's or
    a 5's detached bar). See ``kernels.strokes.merge_strokes``.
    """
    from livedigits.kernels.strokes import merge_strokes

    n = len(stats)
    box = np.empty((n, 4), np.int64)
    box[:, :2] = stats[:, :2]
    box[:, 2:] = stats[:, :2].astype(np.int64) + stats[:, 2:4]
    if n == 0:
        return np.zeros(0, np.int64), box
    # Far bigger than a digit (a pen lying on the sheet, a shadow): no digit's stroke,
    # and it must not swallow the digits it overlaps.
    huge = _far_too_big(stats[:, 2], stats[:, 3], typical)
    order = np.argsort(box[:, 0], kind="stable").astype(np.int64)
    reach = max(2.0, 0.2 * typical)  # farthest gap any rule below bridges
    parent = np.empty(n, np.int64)
    merge_strokes(box, huge, order, float(typical), reach, parent)
    roots, first, inverse = np.unique(parent, return_index=True, return_inverse=True)
    by_first = np.argsort(first, kind="stable")
    rank = np.empty(len(roots), np.int64)
    rank[by_first] = np.arange(len(roots))
    return rank[inverse.ravel()], box[roots[by_first]]


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary (h, w) uint8 mask, px (area over half the outline)."""
    area = int(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    inner = cv2.erode(mask, _SQUARE, borderType=cv2.BORDER_CONSTANT,
                      borderValue=0)
    outline = area - int(np.count_nonzero(inner))
    return 2.0 * area / max(outline, 1)


def normalise(patch: np.ndarray) -> np.ndarray:
    """One digit's darkness patch -> a (20, 20) uint8 cell in digits.png's form.

    Parameters
    ----------
    patch : (h, w) uint8 darkness, zero outside the digit's strokes.

    A small digit keeps its gray levels (stretched). A larger one is resized so
    its longer side is WORK_SIDE px, thresholded, and its strokes thickened or
    thinned to MNIST's width at that size. Either is then area-resized to
    DIGIT_BOX px and placed with its centre of mass where digits.png's are.

    The pipeline cuts its cells with ``normalise_all`` (``kernels.cut``, the same
    steps compiled, many cells a call); this is their reference, and what the
    training examples drawn by ``styles`` and ``negatives`` are cut with.
    """
    patch = np.ascontiguousarray(patch, np.uint8)
    h, w = patch.shape
    peak = int(patch.max())
    if peak == 0:
        return np.zeros((CELL, CELL), np.uint8)
    if max(h, w) <= SMALL_DIGIT:
        # Too few pixels to clean up a stroke: keep the gray levels, stretched.
        table = np.clip(np.arange(256, dtype=np.float32) * (510.0 / peak) - 153, 0, 255)
        return _place(cv2.LUT(patch, table.astype(np.uint8)))
    factor = WORK_SIDE / max(h, w)
    work = cv2.resize(patch, (max(1, round(w * factor)), max(1, round(h * factor))),
                      interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    _, mask = cv2.threshold(work, 0.35 * peak, 255, cv2.THRESH_BINARY)
    pad = 8
    mask = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    grow = int(round(STROKE - _stroke_width(mask)))
    if grow >= 1:
        mask = cv2.dilate(mask, _ellipse(grow + 1))
    elif grow <= -2:
        thinner = cv2.erode(mask, _ellipse(-grow))
        if cv2.countNonZero(thinner) > 0.25 * cv2.countNonZero(mask):
            mask = thinner
    return _place(mask)


_ELLIPSES: dict[int, np.ndarray] = {}


def _ellipse(size: int) -> np.ndarray:
    if size not in _ELLIPSES:
        _ELLIPSES[size] = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return _ELLIPSES[size]


_ELLIPSE_TABLE: list[np.ndarray] = []


def _ellipse_table(largest: int = 48) -> np.ndarray:
    """(largest + 1,) * 3 uint8: element ``s`` is ``_ellipse(s)`` in its top-left corner."""
    if not _ELLIPSE_TABLE:
        table = np.zeros((largest + 1, largest + 1, largest + 1), np.uint8)
        for size in range(1, largest + 1):
            table[size, :size, :size] = _ellipse(size)
        _ELLIPSE_TABLE.append(table)
    return _ELLIPSE_TABLE[0]


def _place(ink: np.ndarray) -> np.ndarray:
    """(h, w) uint8 ink -> (20, 20) uint8 cell: cropped, scaled to DIGIT_BOX, centred by mass."""
    # uint8 input keeps boundingRect and moments in raster mode (a float (n, 2) array
    # would be read as a point list, and a "1" can be 2 px wide).
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return np.zeros((CELL, CELL), np.uint8)
    factor = DIGIT_BOX / max(h, w)
    nh, nw = max(1, round(h * factor)), max(1, round(w * factor))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    small = cv2.resize(ink[y:y + h, x:x + w], (nw, nh), interpolation=interp)
    m = cv2.moments(small)
    if m["m00"] <= 0:
        return np.zeros((CELL, CELL), np.uint8)
    shift = np.float32([[1, 0, CENTRE - m["m10"] / m["m00"]],
                        [0, 1, CENTRE - m["m01"] / m["m00"]]])
    return cv2.warpAffine(small, shift, (CELL, CELL), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _typical_height(stats: np.ndarray) -> float:
    """Digit scale: the median height of the taller blobs that are not rules or lines."""
    heights = stats[:, 3].astype(np.float32)
    widths = stats[:, 2].astype(np.float32)
    shaped = heights[(widths <= 8 * heights) & (heights <= 15 * widths)]
    if len(shaped) == 0:
        shaped = heights
    return float(np.median(shaped[shaped >= 0.5 * np.percentile(shaped, 90)]))


def _far_too_big(bw, bh, typical: float):
    """Too big for a digit, or for a row of touching digits (one digit tall, however wide).
    ``bw``, ``bh`` px, numbers or arrays alike."""
    return (bh > 3 * typical) | ((bw > 3 * typical) & (bh > 1.5 * typical))


def _is_digit_shaped(bw: np.ndarray, bh: np.ndarray, typical: float) -> np.ndarray:
    """(N,) bool of boxes (N,) wide by (N,) tall, px: False for specks, dashes, underlines,
    ruled lines and things far bigger than the digits, relative to the digit scale."""
    bw = np.asarray(bw, np.float64)
    bh = np.asarray(bh, np.float64)
    return ~((bh < 6) & (bw < 6)
             | (bh < 0.35 * typical) & (bw < 0.6 * typical)  # specks, dots, stray marks
             | (bh < 0.25 * typical)  # underlines, dashes
             # a hairline's broken piece, a tick: a 1 stands nearly a digit tall
             | (bh < SHORT_TICK * typical) & (bw <= 0.25 * bh)
             | _far_too_big(bw, bh, typical)  # a pen lying on the sheet, a hand, a shadow
             | (bw > 8 * bh) | (bh > 2.5 * typical) & (bh > 12 * bw))  # ruled lines


def _components(mask: np.ndarray, values: np.ndarray):
    """8-connected components of a 0/1 uint8 mask.

    Returns ``(count, labels, stats, peak)``: labels (H, W) int32, stats (count, 5)
    int32 as OpenCV's, peak (count,) uint8 the largest of ``values`` under each.
    """
    from livedigits.kernels.components import stats_and_peaks

    count, labels = cv2.connectedComponents(mask, connectivity=8, ltype=cv2.CV_32S)
    stats, peak = stats_and_peaks(labels, values, count)
    return count, labels, stats, peak


def _capped_by_rules(labels: np.ndarray, stats: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """(count,) bool: components that are straight pieces between rules -- thin, straight and
    meeting the removed rules ``lines`` (H, W) 0/1 uint8 at both ends of their length
    (a form box's side between its top and bottom line, a table cell's border).

    A digit written in a box meets its lines at one end if at all; one filling the
    box from line to line is seldom a thin straight piece. The teeth of comb fields
    (``_comb_teeth``), which stand on a rule at one end only, are included.
    """
    count = len(stats)
    near = cv2.dilate(lines, _SQUARE, iterations=2)
    ys, xs = np.nonzero(near & (labels > 0).view(np.uint8))
    which = labels[ys, xs]
    x0, y0 = stats[which, 0], stats[which, 1]
    x1, y1 = x0 + stats[which, 2], y0 + stats[which, 3]

    def hit(at_end: np.ndarray) -> np.ndarray:
        return np.bincount(which[at_end], minlength=count) > 0

    # Straight: as thin across as a printed line, along the whole piece.
    tall = stats[:, 2] <= np.maximum(4, 0.2 * stats[:, 3])
    wide = stats[:, 3] <= np.maximum(4, 0.2 * stats[:, 2])
    top, bottom = hit(ys <= y0 + 2), hit(ys >= y1 - 3)
    both = (tall & top & bottom) | (wide & hit(xs <= x0 + 2) & hit(xs >= x1 - 3))
    return both | _comb_teeth(stats, tall & (top ^ bottom), bottom)


def _continuing_rules(stats: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """(count,) bool: straight pieces that carry on a removed rule along their length --
    an upright piece with the rules' upright pixels just above or below it in its own
    columns, a level one with level rule pixels just left or right in its own rows: a
    grid line's piece that the rule search lost (where digits or a crossing broke it).

    Only rule pixels running the same way count: the level rule a 1 stands on, or a
    box's side beside a digit, is no continuation of it.
    """
    out = np.zeros(len(stats), bool)
    x, y, w, h = (stats[:, k].astype(np.int64) for k in range(4))
    # As thin as a printed rule: a digit's stroke along a grid line is thicker.
    upright = (w <= np.maximum(3, 0.12 * h)) & (h >= 4)
    level = (h <= np.maximum(3, 0.12 * w)) & (w >= 4)
    upright[0] = level[0] = False  # the background
    if upright.any():  # the rules' upright pixels just above or below
        table = cv2.integral(cv2.morphologyEx(lines, cv2.MORPH_OPEN,
                                              np.ones((RULE_RUN, 1), np.uint8)))
        gap = np.maximum(3, h // 2)
        out |= upright & (_any_inside(table, x, y - gap, x + w, y)
                          | _any_inside(table, x, y + h, x + w, y + h + gap))
    if level.any():  # the level ones just left or right
        table = cv2.integral(cv2.morphologyEx(lines, cv2.MORPH_OPEN,
                                              np.ones((1, RULE_RUN), np.uint8)))
        gap = np.maximum(3, w // 2)
        out |= level & (_any_inside(table, x - gap, y, x, y + h)
                        | _any_inside(table, x + w, y, x + w + gap, y + h))
    return out


def _any_inside(table: np.ndarray, x0, y0, x1, y1) -> np.ndarray:
    """(N,) bool: whether the pixels counted by ``table`` (cv2.integral of an (H, W) 0/1
    map) hold any in each box ``[x0, x1) x [y0, y1)`` (N each), clipped to the map."""
    height, width = table.shape[0] - 1, table.shape[1] - 1
    x0, x1 = np.clip(x0, 0, width), np.clip(x1, 0, width)
    y0, y1 = np.clip(y0, 0, height), np.clip(y1, 0, height)
    return (table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]) > 0


RULE_RUN = 15  # px of a rule's pixels in one direction that make them a rule's, not a crossing's


def _comb_teeth(stats: np.ndarray, standing: np.ndarray, on_bottom: np.ndarray) -> np.ndarray:
    """(count,) bool: the teeth of a comb form field -- upright pieces ``standing`` on a
    rule at one end (at their bottom where ``on_bottom``), COMB_TEETH or more of them
    ending on one row with one height, as printed ticks do (handwritten 1s on a line
    vary in height)."""
    out = np.zeros(len(stats), bool)
    which = np.flatnonzero(standing)
    if len(which) < COMB_TEETH:
        return out
    heights = stats[which, 3].astype(np.float64)
    ends = np.where(on_bottom[which], stats[which, 1] + stats[which, 3], stats[which, 1])
    alike = ((np.abs(ends[:, None] - ends[None, :]) <= 3)
             & (np.abs(heights[:, None] - heights[None, :]) <= 0.08 * heights[:, None] + 1)
             & (on_bottom[which][:, None] == on_bottom[which][None, :]))
    out[which[alike.sum(axis=1) >= COMB_TEETH]] = True
    return out


def _touching(region: np.ndarray, boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(N,) bool: which boxes (N, 4) ``x0, y0, x1, y1`` in an image of ``shape`` meet the
    small (h, w) bool map ``region`` (the map's cells under each box, rounded outwards)."""
    sh, sw = region.shape
    table = cv2.integral(region.view(np.uint8))  # (sh + 1, sw + 1) int32
    fy, fx = sh / shape[0], sw / shape[1]
    return _any_inside(table, (boxes[:, 0] * fx).astype(np.intp),
                       (boxes[:, 1] * fy).astype(np.intp),
                       np.ceil(boxes[:, 2] * fx).astype(np.intp) + 1,
                       np.ceil(boxes[:, 3] * fy).astype(np.intp) + 1)


WEAK = 16  # darkness (of 255) that counts as ink at all, on clean paper
STRONG_MIN = 28  # a digit's darkest pixel reaches at least this, on clean paper
# On noisy or blotchy paper both rise with the noise: the median darkness of the
# smoothed picture (nearly all paper) times these.
WEAK_PER_NOISE = 3.0
STRONG_PER_NOISE = 5.0
STRONG_SHARE = 0.45  # of the writing's level: a digit reaches this somewhere
WEAK_SHARE = 0.25  # of the writing's level: a digit's strokes stay above this
SHORT_TICK = 0.6  # thin upright pieces shorter than this many digit heights are no 1s
COMB_TEETH = 3  # alike upright pieces on one rule that make a comb form field
BOX_SIDE = 0.8  # a straight piece between rules this many digit heights tall is a box's side
# Marks this dark are writing whatever else the page holds (bold print sets a level its
# pencilled entries would not reach); faint print and show-through stay below.
STRONG_ENOUGH = 64
WEAK_ENOUGH = 50
LEVEL_SUPPORT = 3  # marks that must share a darkness for it to be the writing's level


@dataclass
class Candidates:
    """Candidate digits found in one image, before their cells are cut.

    Attributes
    ----------
    boxes : (N, 4) int32, x, y, w, h in the input image's pixels, top to bottom
    signatures : (N, SIGNATURE_SIDE**2) float32, each candidate's darkness area-resized
        to SIGNATURE_SIDE x SIGNATURE_SIDE and scaled to sum 1 (compared by
        ``track.signature_change``); worked out on first use (only the live loop's
        reuse of classifications needs them) when built with None
    ink : (H', W') uint8 0/1 mask of ink at working scale (for the debug view)
    scale : float, working pixels per input pixel
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

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def signatures(self) -> np.ndarray:
        if self.known_signatures is None:
            self.known_signatures = _signatures(self.dark, self.extents)
        return self.known_signatures


def _signatures(dark: np.ndarray, extents: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Each box's darkness summed over a SIGNATURE_SIDE-square grid, scaled to sum 1.

    Parameters
    ----------
    dark : (H, W) uint8 darkness
    extents : N boxes (x0, y0, x1, y1) in ``dark``'s pixels

    Returns
    -------
    (N, SIGNATURE_SIDE**2) float32, rows summing to 1 (0 for a box without ink)
    """
    # One integral image and a few lookups for all boxes at once: a resize per box cost
    # more than everything else the live loop does for an unchanged digit. The whole box
    # counts, neighbours' ink included, so that any change inside it shows. Grid lines
    # fall between pixels; the integral is bilinear inside a pixel, so interpolating it
    # weighs split pixels by area, as INTER_AREA does. int32 sums are exact and half the
    # memory of float64, which is kept for images where they could overflow.
    wide = dark.size * 255 >= 2**31
    table = cv2.integral(dark, sdepth=cv2.CV_64F if wide else cv2.CV_32S)
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


def _writing_level(half: np.ndarray, weak_min: float) -> float:
    """The writing's own darkness (of 255) in ``half`` (h, w) uint8, the smoothed
    darkness at a reduced size, or 0 when nothing there could be writing.

    What is darker than a threshold is taken apart into components; those that
    could be written marks count -- a few pixels tall at least, not a rule's or
    an edge's length, not a large area (a pen lying on the sheet, a hand, a
    shadow) -- each with its darkest value, weighted by its area, and the level
    there is the 90th percentile of that: most of the darkest tenth of the
    marks. Thresholds double from ``weak_min``: digits touching squared paper's
    grid, or joined by faint print, come apart at one of them. The level is the
    highest found among at least ``LEVEL_SUPPORT`` marks, so a page's many faint
    printed glyphs do not outweigh its handwriting, and a fine pen's page and a
    marker's page are judged by one rule.
    """
    h, w = half.shape
    level, threshold = 0.0, weak_min
    least = None
    while threshold < 250:
        _, marks = cv2.threshold(half, threshold, 1, cv2.THRESH_BINARY)
        count, _, stats, peak = _components(marks, half)
        stats, peak = stats[1:], peak[1:].astype(np.float64)
        area = stats[:, 4].astype(np.float64)
        bw, bh = stats[:, 2], stats[:, 3]
        plausible = ((np.maximum(bw, bh) >= 2)
                     & ~((bw > w / 4) & (bh < bw / 4))  # rules, a page's edge
                     & ~((bh > h / 3) & (bw < bh / 4))
                     & (bw <= 0.6 * w) & (bh <= 0.8 * h)
                     & ~((area > 0.01 * h * w) & (area > 0.6 * bw * bh)))  # a pen, a shadow
        found = int(plausible.sum())
        if least is None and found:  # a page of one digit has one mark, of course
            least = min(found, max(LEVEL_SUPPORT, 0.02 * found))
        if least is None:  # all joined up (digits on a ruled page's lines): go darker
            threshold *= 2
            continue
        if found < least or found == 0:
            break
        peak, area = peak[plausible], area[plausible]
        order = np.argsort(peak)
        cumulative = np.cumsum(area[order])
        at = float(peak[order][np.searchsorted(cumulative, 0.9 * cumulative[-1])])
        level = max(level, at)
        threshold *= 2
    return level


def find_candidates(image: np.ndarray) -> Candidates:
    """Find candidate digits in a gray, BGR or BGRA image, without cutting their cells.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) uint8 (16-bit images are scaled to 8 bits)

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
    them ``WORK_HEIGHT`` px tall (up to full size, or ``MAX_SIDE``).
    """
    from livedigits.imageio import to_uint8

    gray = to_gray(to_uint8(image))
    side = max(gray.shape)
    full = min(1.0, MAX_SIDE / side)
    if side <= LOOK_SIDE:
        return _find_at(gray, full)
    look = LOOK_SIDE / side
    found = _find_at(gray, look)
    if len(found) == 0:
        return found
    height = float(np.median(found.boxes[:, 3]))  # input pixels
    if height * look >= LEAST_HEIGHT:
        return found
    again = min(full, WORK_HEIGHT / height)
    return found if again <= 1.2 * look else _find_at(gray, again)


def _find_at(gray: np.ndarray, scale: float) -> Candidates:
    """``find_candidates`` on (H, W) uint8 ``gray`` resized by ``scale`` (<= 1)."""
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

    sheet = find_sheet(gray)
    dark = darkness(sheet.gray, sheet.paper)
    valid = sheet.valid_mask()
    if valid is not None:
        dark = cv2.multiply(dark, valid)  # the desk and the page's edge hold no ink
    # Thresholds see a smoothed copy (noise); cells are cut from the sharp one.
    smooth = cv2.GaussianBlur(dark, (3, 3), 0)
    # The paper's noise, from the median darkness of the sheet (nearly all paper).
    half = np.ascontiguousarray(smooth[::2, ::2])
    half_valid = None if valid is None else np.ascontiguousarray(valid[::2, ::2])
    histogram = cv2.calcHist([half], [0], half_valid, [256], [0, 256]).ravel()
    noise = float(np.searchsorted(np.cumsum(histogram), 0.5 * histogram.sum()))
    weak_min = max(WEAK, WEAK_PER_NOISE * noise)
    strong_min = max(STRONG_MIN, STRONG_PER_NOISE * noise)
    # Marks are counted at quarter size, each block keeping its darkest pixel, so that
    # no stroke's peak falls between the samples.
    quarter = np.ascontiguousarray(cv2.dilate(half, _SQUARE[:2, :2], anchor=(0, 0))[::2, ::2])
    strong_level = _writing_level(quarter, weak_min)
    if strong_level <= 0:
        return empty
    strong = max(strong_min, min(STRONG_SHARE * strong_level, STRONG_ENOUGH))
    # Faint print touching a digit would join it at a lower threshold.
    weak_level = max(weak_min, min(WEAK_SHARE * strong_level, WEAK_ENOUGH))
    _, weak = cv2.threshold(smooth, weak_level, 1, cv2.THRESH_BINARY)
    count, labels, stats, peak = _components(weak, dark)
    across, down = rule_lengths(h, w)
    capped = None
    if (stats[1:, 2] >= across).any() or (stats[1:, 3] >= down).any():
        # Only when something is long enough to be a rule.
        weak, lines = split_rules(weak)
        count, labels, stats, peak = _components(weak, dark)
        capped = _capped_by_rules(labels, stats, lines)
        continuing = _continuing_rules(stats, lines)
    if count <= 1:
        return empty
    peak = peak.astype(np.float32)

    min_side = max(4, 0.008 * max(h, w))
    area = stats[:, 4]
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
        typical = _typical_height(stats[keep[is_strong]])
    else:
        # The sides of form boxes and table cells: pieces between rules as tall as a
        # digit (squared paper's squares cut digits into shorter ones).
        sides = capped[keep]
        core = is_strong & ~sides
        typical = _typical_height(stats[keep[core if core.any() else is_strong]])
        sides &= stats[keep, 3] >= BOX_SIDE * typical
        sides |= continuing[keep]  # a rule's own broken piece, however short
        keep, is_strong = keep[~sides], is_strong[~sides]
        if not is_strong.any():
            return empty
    kept = stats[keep]
    group, joint = _merge_strokes(kept, typical)
    bw, bh = joint[:, 2] - joint[:, 0], joint[:, 3] - joint[:, 1]
    # Whole blobs must reach strong ink: faint print stays out.
    fine = np.bincount(group, weights=is_strong, minlength=len(joint)) > 0
    fine &= _is_digit_shaped(bw, bh, typical)
    if sheet.valid is not None:  # a sheet's edge against the desk is not ink
        fine &= ~_touching(~sheet.valid, joint, (h, w))
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
                      extents, [members[k] for k in order])


def patch_of(found: Candidates, extent: tuple[int, int, int, int],
             labels: list[int]) -> np.ndarray:
    """Darkness (h, w) uint8 of the components ``labels`` inside ``extent`` (x0, y0, x1, y1),
    zero elsewhere: one digit's patch, without its neighbours' strokes."""
    x0, y0, x1, y1 = extent
    region = found.labels[y0:y1, x0:x1]
    inside = region == labels[0]
    for label in labels[1:]:
        inside |= region == label
    return found.dark[y0:y1, x0:x1] * inside.view(np.uint8)


def cut_cells(found: Candidates, which: np.ndarray | None = None) -> np.ndarray:
    """Cut, normalise and deskew the cells of some candidates.

    Parameters
    ----------
    found : Candidates from ``find_candidates``
    which : (K,) int indices into ``found.boxes`` (all of them when None)

    Returns
    -------
    (K, 20, 20) uint8 cells in digits.png's form, deskewed, in ``which``'s order.
    """
    from livedigits.training.cells import deskew

    indices = range(len(found)) if which is None else np.asarray(which, np.intp).tolist()
    extents = [found.extents[k] for k in indices]
    if not extents:
        return np.zeros((0, CELL, CELL), np.uint8)
    return deskew(normalise_all(found.dark, found.labels, extents,
                                [found.members[k] for k in indices]))


def normalise_all(dark: np.ndarray, labels: np.ndarray,
                  extents: list[tuple[int, int, int, int]],
                  members: list[list[int]]) -> np.ndarray:
    """``normalise(patch_of(...))`` of many candidates in one compiled pass.

    Parameters
    ----------
    dark : (H, W) uint8 darkness; labels : (H, W) int32 component labels
    extents : N boxes (x0, y0, x1, y1) in their pixels
    members : N lists of the component labels that make each candidate

    Returns
    -------
    (N, 20, 20) uint8 cells, not deskewed (``kernels.cut``; ``normalise`` is its reference)
    """
    from livedigits.kernels import ready
    from livedigits.kernels.cut import cut_batch

    n = len(extents)
    out = np.zeros((n, CELL, CELL), np.uint8)
    if n == 0:
        return out
    counts = np.fromiter((len(m) for m in members), np.int64, n)
    start = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    flat = np.fromiter((label for m in members for label in m), np.int32, int(start[-1]))
    args = (np.ascontiguousarray(dark, np.uint8), np.ascontiguousarray(labels, np.int32),
            np.asarray(extents, np.int64).reshape(n, 4), flat, start, SMALL_DIGIT,
            float(WORK_SIDE), float(STROKE), float(DIGIT_BOX), float(CENTRE), _ellipse_table(),
            out)
    if not ready(cut_batch, *args):  # not compiled yet: the reference, cell by cell
        view = Candidates(np.zeros((0, 4), np.int32), np.zeros((0, 0), np.float32), dark, 1.0,
                          dark, labels)
        for i, (extent, parts) in enumerate(zip(extents, members, strict=True)):
            out[i] = normalise(patch_of(view, extent, parts))
        return out
    cut_batch(*args)
    return out
