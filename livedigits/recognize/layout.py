"""Reading order and text: boxes -> lines -> numbers, along the writing's own direction.

The skew of the rows is estimated from the digit centres: pairs of near centres in a
cone around the horizontal vote for their direction, and the densest direction, when
clearly denser than the level one, is the direction of the lines. In coordinates
turned by it, ``u`` along the lines and ``v`` across them, each digit is linked to its
nearest neighbour on either side whose centre lies within half a digit height across;
the chains so linked are one line where they stand one after the other at the same
``v``. On a line, digits closer than ``NUMBER_GAP`` digit heights along it form one
number. Everything works on all boxes at once (sorted windows, no loop over pairs).
"""

from __future__ import annotations

import numpy as np

NUMBER_GAP = 0.6  # gap along the line, in digit heights, that still joins digits into a number
MAX_TILT = 20.0  # degrees: the steepest line direction looked for (pages tilted up to 15)
PAIR_CONE = 30.0  # degrees around the line direction a neighbour pair may point
SKEW_REACH = 6.0  # centre distance, in digit heights, of a pair that votes for the skew
MIN_PAIRS = 3  # sharp votes by which a skew must beat the level reading to be used
LINK_REACH = 3.0  # gap along the line, in digit heights, over which neighbours are chained


def _window_pairs(a: np.ndarray, b: np.ndarray, radius: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs ``(i, j)`` with ``|a[i] - b[j]| <= radius`` (``a`` (M,), ``b`` (N,)
    float64), found through ``b`` sorted: time follows the pairs, not M * N."""
    order = np.argsort(b, kind="stable")
    ranked = b[order]
    lo = np.searchsorted(ranked, a - radius, "left")
    hi = np.searchsorted(ranked, a + radius, "right")
    counts = hi - lo
    i = np.repeat(np.arange(len(a)), counts)
    offsets = np.cumsum(counts) - counts
    j = order[lo[i] + np.arange(len(i)) - offsets[i]]
    return i, j


def _near_pairs(centres: np.ndarray, heights: np.ndarray, reach: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)``, i != j, whose centres lie within ``reach`` times the taller
    one's height in both coordinates. ``centres`` (N, 2) float64, ``heights`` (N,)."""
    i, j = _window_pairs(centres[:, 1], centres[:, 1], reach * float(heights.max()))
    scale = reach * np.maximum(heights[i], heights[j])
    keep = (i != j) & (np.abs(centres[i, 0] - centres[j, 0]) <= scale) & \
        (np.abs(centres[i, 1] - centres[j, 1]) <= scale)
    return i[keep], j[keep]


def _nearest_per_row(i: np.ndarray, j: np.ndarray, cost: np.ndarray, n: int) -> np.ndarray:
    """(n,) int: for each index, the ``j`` of its cheapest pair, -1 where it has none."""
    out = np.full(n, -1, np.int64)
    if len(i):
        order = np.lexsort((cost, i))
        first = np.ones(len(order), bool)
        first[1:] = i[order][1:] != i[order][:-1]
        out[i[order][first]] = j[order][first]
    return out


def estimate_skew(boxes: np.ndarray) -> float:
    """The direction of the lines of writing, in degrees (positive: lines fall to the right
    in image coordinates, y down), from boxes (N, 4) x, y, w, h; 0 when the pairs do
    not clearly agree on another (a scattered page, a single line of few digits).

    A Hough-like vote: every pair of centres within SKEW_REACH heights and PAIR_CONE
    degrees of the horizontal votes for its direction, blurred by how far a quarter of a
    digit height across the line turns it at that distance (far pairs on one line vote
    sharply, near ones and pairs across lines broadly); the densest direction wins
    where it is clearly denser than the level one.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(boxes) < 2:
        return 0.0
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    heights = np.maximum(boxes[:, 3], 1.0)
    i, j = _near_pairs(centres, heights, SKEW_REACH)
    once = i < j
    i, j = i[once], j[once]
    d = centres[j] - centres[i]
    dist = np.hypot(d[:, 0], d[:, 1])
    tall = np.maximum(heights[i], heights[j])
    angle = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    angle = (angle + 90.0) % 180.0 - 90.0  # a pair's direction, either way round
    ok = (np.abs(angle) <= PAIR_CONE) & (dist <= SKEW_REACH * tall) & (dist > 0)
    if ok.sum() < MIN_PAIRS:
        return 0.0
    votes = angle[ok]
    spread = np.degrees(np.arctan(0.25 * tall[ok] / dist[ok]))
    # Votes in classes of blur 0.5, 1, 2, 4, 8 degrees, each histogram (quarter degrees)
    # smoothed by its own unit-mass Gaussian: the sum is the density of directions.
    blur = np.clip(np.round(np.log2(np.maximum(spread, 0.5) / 0.5)), 0, 4).astype(int)
    n_bins = int(8 * PAIR_CONE)
    density = np.zeros(n_bins)
    # Quarter-degree bins of [-PAIR_CONE, PAIR_CONE] (the last one closed, as np.histogram's).
    bin_of = np.minimum(((votes + PAIR_CONE) * (n_bins / (2 * PAIR_CONE))).astype(np.intp),
                        n_bins - 1)
    for k in np.unique(blur).tolist():
        counts = np.bincount(bin_of[blur == k], minlength=n_bins)
        sigma = 0.5 * 2 ** k / 0.25  # in bins
        taps = np.arange(-int(3 * sigma), int(3 * sigma) + 1)
        kernel = np.exp(-0.5 * (taps / sigma) ** 2)
        density += np.convolve(counts, kernel / kernel.sum(), "same")
    bins = -PAIR_CONE + 0.25 * (np.arange(n_bins) + 0.5)
    inside = np.abs(bins) <= MAX_TILT
    best = int(np.argmax(np.where(inside, density, -1.0)))
    mode = float(bins[best])
    level = density[n_bins // 2 - 1:n_bins // 2 + 1].mean()  # at 0 degrees
    # A level reading unless the tilt is clearly better supported: by more than the peaks
    # of MIN_PAIRS of the sharpest votes (a scattered page's few pairs vote at random).
    sharpest = 1.0 / (np.sqrt(2 * np.pi) * 0.5 / 0.25)
    if density[best] - level < MIN_PAIRS * sharpest:
        return 0.0
    return mode



class SteadySkew:
    """The lines' direction of a live stream: ``estimate_skew`` of the frames' boxes,
    changed only when it stays more than ``step`` degrees from the one in use for
    ``frames`` looks in a row, so lines do not regroup with every frame's jitter."""

    def __init__(self, step: float = 1.0, frames: int = 3, every: int = 4) -> None:
        self.step, self.frames, self.every = step, frames, every
        self.angle = 0.0
        self._pending: list[float] = []
        self._calls = 0

    def __call__(self, boxes: np.ndarray) -> float:
        """The direction in degrees to read boxes (N, 4) x, y, w, h with. The boxes are
        looked at every ``every``-th frame (a sheet's tilt changes slowly; estimating it
        costs about as much as the reading order itself)."""
        self._calls += 1
        if (self._calls - 1) % self.every:
            return self.angle
        estimate = estimate_skew(boxes)
        if abs(estimate - self.angle) <= self.step:
            self._pending = []
            return self.angle
        self._pending.append(estimate)
        if len(self._pending) >= self.frames:
            self.angle = float(np.median(self._pending))
            self._pending = []
        return self.angle


def _turned(boxes: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres of boxes (N, 4) in coordinates turned by ``angle`` degrees: ``u`` along the
    lines, ``v`` across them (down), and the heights; all (N,) float64."""
    theta = np.radians(angle)
    cx = boxes[:, 0] + boxes[:, 2] / 2
    cy = boxes[:, 1] + boxes[:, 3] / 2
    u = cx * np.cos(theta) + cy * np.sin(theta)
    v = cy * np.cos(theta) - cx * np.sin(theta)
    return u, v, np.maximum(boxes[:, 3], 1.0)


def edge_components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """(n,) int labels of the connected components of the undirected edges ``(i, j)``:
    the smallest index in each component."""
    labels = np.arange(n)
    if len(i) == 0:
        return labels
    while True:
        low = labels.copy()
        np.minimum.at(low, i, labels[j])
        np.minimum.at(low, j, labels[i])
        low = low[low]  # pointer jumping: long chains settle in a few rounds
        if np.array_equal(low, labels):
            return labels
        labels = low


def _chains(u: np.ndarray, v: np.ndarray, heights: np.ndarray, widths: np.ndarray,
            centres: np.ndarray) -> np.ndarray:
    """(N,) chain labels: each digit linked to its nearest neighbour on either side along
    the line (centres within half the taller height across, gap under LINK_REACH heights)."""
    n = len(u)
    i, j = _near_pairs(centres, heights, LINK_REACH + 1.5)
    du, dv = u[j] - u[i], np.abs(v[j] - v[i])
    tall = np.maximum(heights[i], heights[j])
    gap = np.abs(du) - (widths[i] + widths[j]) / 2
    ok = (dv <= 0.5 * tall) & (gap <= LINK_REACH * tall)
    cost = np.abs(du) + 2.0 * dv
    ends = []
    for side in (du > 0, du < 0):
        pick = ok & side
        nearest = _nearest_per_row(i[pick], j[pick], cost[pick], n)
        has = np.flatnonzero(nearest >= 0)
        ends.append((has, nearest[has]))
    a = np.concatenate([ends[0][0], ends[1][0]])
    b = np.concatenate([ends[0][1], ends[1][1]])
    return edge_components(n, a, b)


def _join_chains(chain: np.ndarray, u: np.ndarray, v: np.ndarray, heights: np.ndarray,
                 widths: np.ndarray) -> np.ndarray:
    """(N,) line labels: chains that stand one after the other along the line, the first's
    last digit and the second's first within half the taller height across, are one line."""
    names, of = np.unique(chain, return_inverse=True)
    count = len(names)
    if count < 2:
        return of
    # Each chain's first and last digit along the line (u sorted within chains).
    order = np.lexsort((u, of))
    starts = np.searchsorted(of[order], np.arange(count))
    stops = np.append(starts[1:], len(order)) - 1
    first, last = order[starts], order[stops]
    height = _group_median(heights[order], starts)
    begin, end = u[first] - widths[first] / 2, u[last] + widths[last] / 2
    a, b = _window_pairs(v[last], v[first], 0.5 * float(height.max()))
    tall = np.maximum(height[a], height[b])
    keep = (begin[b] >= end[a] - 0.25 * tall) & (np.abs(v[first][b] - v[last][a]) <= 0.5 * tall)
    joined = edge_components(count, a[keep], b[keep])
    return joined[of]


def _group_median(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Median of each run ``values[starts[k]:starts[k + 1]]`` (runs sorted by group)."""
    groups = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    order = np.lexsort((values, groups))
    sizes = np.diff(np.append(starts, len(values)))
    low = starts + (sizes - 1) // 2
    high = starts + sizes // 2
    ranked = values[order]
    return (ranked[low] + ranked[high]) / 2


def reading_order(boxes: np.ndarray, angle: float | None = None) -> list[list[int]]:
    """Indices of ``boxes`` (N, 4: x, y, w, h) grouped into lines, first line first, each
    in writing order, along the lines' direction ``angle`` (degrees, ``estimate_skew``'s
    when None)."""
    if len(boxes) == 0:
        return []
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if angle is None:
        angle = estimate_skew(boxes)
    u, v, heights = _turned(boxes, angle)
    widths = boxes[:, 2]
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    joined = _join_chains(_chains(u, v, heights, widths, centres), u, v, heights, widths)
    _, line = np.unique(joined, return_inverse=True)
    count = int(line.max()) + 1
    level = np.bincount(line, weights=v, minlength=count) / np.bincount(line, minlength=count)
    rank = np.argsort(np.argsort(level, kind="stable"), kind="stable")
    order = np.lexsort((u, rank[line]))
    cuts = np.flatnonzero(np.diff(rank[line][order])) + 1
    return [part.tolist() for part in np.split(order, cuts)]


def text_of(boxes: np.ndarray, symbols: list[str], lines: list[list[int]],
            angle: float | None = None) -> str:
    """The text read: numbers on a line separated by a space, lines by a newline.

    Gaps are measured along the lines' direction ``angle`` (degrees, ``estimate_skew``'s
    of ``boxes`` when None): centre distance less the two boxes' half widths.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        return ""
    if angle is None:
        angle = estimate_skew(boxes)
    lines = [line for line in lines if len(line)]
    if not lines:
        return ""
    u, _, _ = _turned(boxes, angle)
    flat = np.concatenate([np.asarray(line, np.int64) for line in lines])
    sizes = np.array([len(line) for line in lines])
    starts = np.cumsum(sizes) - sizes
    height = np.repeat(_group_median(boxes[flat, 3], starts), sizes)
    half = boxes[flat, 2] / 2
    gap = np.zeros(len(flat))
    gap[1:] = (u[flat[1:]] - half[1:]) - (u[flat[:-1]] + half[:-1])
    spaced = gap > NUMBER_GAP * height
    spaced[starts] = False
    ends = np.zeros(len(flat), bool)
    ends[starts + sizes - 1] = True
    out, words = [], []
    for index, space, end in zip(flat.tolist(), spaced.tolist(), ends.tolist(), strict=True):
        if space:
            words.append(" ")
        words.append(symbols[index])
        if end:
            out.append("".join(words))
            words = []
    return "\n".join(out)


def arrange(boxes: np.ndarray, digits, confidences, min_confidence: float,
            angle: float | None = None, grouped: list[list[int]] | None = None
            ) -> tuple[list[int], list[list[int]], str]:
    """Put detections in reading order and read their text.

    Parameters
    ----------
    boxes : (N, 4) x, y, w, h; digits, confidences : N each
    min_confidence : below it a digit reads as ``?``
    angle : the lines' direction in degrees; estimated from the boxes when None
    grouped : ``reading_order(boxes, angle)`` when the caller has it already (the live
        loop keeps a steady sheet's lines)

    Returns
    -------
    order : indices of the detections in reading order
    lines : lines as positions in ``order`` (0..N-1), first line first
    text : numbers separated by spaces, lines by newlines
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if angle is None:
        angle = estimate_skew(boxes)
    lines = reading_order(boxes, angle) if grouped is None else grouped
    order = [i for line in lines for i in line]
    position = {old: new for new, old in enumerate(order)}
    lines = [[position[i] for i in line] for line in lines]
    symbols = ["?" if confidences[i] < min_confidence else str(int(digits[i])) for i in order]
    ordered = boxes[order] if order else boxes
    return order, lines, text_of(ordered, symbols, lines, angle)


WORD_GAP = 0.35  # heights between the letters of one word
GLYPH_SIZES = (0.5, 1.6)  # heights, of a digit's, that a letter beside it may have
PRINT_REACH = 3.0  # heights to either side over which a line is judged print or digits
LETTER_SPACING = 0.6  # heights between a word's letters where letters far outnumber digits
BOXED_SPACING = 0.8  # heights between the letters of a word in a form's boxes
DIGITS_REACH = 8.0  # heights to either side over which a blob is judged among digits
LINE_REACH = 1.5  # heights to either side within which a blob's neighbours share its line


def _line_gaps(rows: np.ndarray, others: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """How boxes ``others`` (O, 4) stand beside each of ``rows`` (R, 4), x, y, w, h float64.

    Returns ``(same_line, before, after, height)``: (R, O) bool, centres within half
    the row box's height; (R, O) float64, the gap from an other box's right end to the
    row box's left end, and from the row box's right end to an other box's left end
    (negative where they overlap); (R, 1) the row boxes' heights.
    """
    height = rows[:, 3:4]
    same_line = np.abs((others[None, :, 1] + others[None, :, 3] / 2)
                       - (rows[:, 1:2] + height / 2)) <= 0.5 * height
    before = rows[:, 0:1] - (others[None, :, 0] + others[None, :, 2])
    after = others[None, :, 0] - (rows[:, 0:1] + rows[:, 2:3])
    return same_line, before, after, height


def inside_a_word(boxes: np.ndarray, is_digit: np.ndarray,
                  letters: np.ndarray | None = None,
                  doubtful: np.ndarray | None = None) -> np.ndarray:
    """(N,) bool: candidates read as digits that stand in a word.

    Either a turned-down neighbour close on each side on their line (an ``o`` or an
    ``l`` between letters), or, on a line whose turned-down glyphs within PRINT_REACH
    heights are at least as many as its digits there, one close neighbour of a letter's
    size (GLYPH_SIZES of the candidate's height) that is one of ``letters`` -- the
    figures of a printed "Page 14" or "No. 15", a letter-like digit set against a
    letter -- and then the digits at letter spacing from those (the whole token). Where
    such glyphs are twice the digits and three at least, one within LETTER_SPACING
    heights suffices (a word in capitals or in a form's boxes, one letter digit-like;
    "5 kg" keeps its 5). Close: gaps under WORD_GAP heights, centres within half a
    height.

    Parameters
    ----------
    boxes : (N, 4) x, y, w, h
    is_digit : (N,) bool, the candidates read as digits
    letters : (N,) bool, the turned-down candidates that the not-a-digit examples voted
        down (not merely unlike every digit); all turned-down ones when None
    doubtful : (N,) bool, candidates read as digits that the not-a-digit examples hold
        much of the vote for: as neighbours they count as turned down (a print face's
        ``t`` and ``a`` beside its ``o`` and ``l``), and each is judged as a digit itself
    """
    is_digit = np.asarray(is_digit, bool)
    out = np.zeros(len(boxes), bool)
    if is_digit.all() or not is_digit.any():
        return out
    b = boxes.astype(np.float64)
    rows = np.flatnonzero(is_digit)
    line, before, after, h = _line_gaps(b[rows], b)
    itself = (np.arange(len(rows)), rows)
    line[itself] = False
    left = line & (before >= -0.2 * h) & (before <= WORD_GAP * h)
    right = line & (after >= -0.2 * h) & (after <= WORD_GAP * h)
    turned_down = ~is_digit[None, :]
    near = line & (np.maximum(before, after) <= PRINT_REACH * h)
    low, high = GLYPH_SIZES
    glyph = (b[None, :, 3] >= low * h) & (b[None, :, 3] <= high * h)
    letter_like = ~is_digit if letters is None else np.asarray(letters, bool) & ~is_digit
    if doubtful is not None:
        # Doubtful digits count as turned down only beside a letter of a letter's size: a
        # written number read doubtfully throughout, or beside a stray mark, is a number.
        print_near = (near & glyph & letter_like[None, :]).any(axis=1, keepdims=True)
        turned_down = turned_down | (np.asarray(doubtful, bool)[None, :] & print_near)
    letter = glyph & letter_like[None, :]
    # Among twice as many letters as digits, a digit a letter's spacing from one: a word
    # written in capitals or in a form's boxes, one of its letters digit-like.
    # A doubtful digit (a capital G read 0 at a fifth of the vote) reaches a form's
    # boxes' wider spacing.
    spacing = np.full((len(rows), 1), LETTER_SPACING)
    if doubtful is not None:
        spacing[np.asarray(doubtful, bool)[rows]] = BOXED_SPACING
    spaced = line & (((before >= -0.2 * h) & (before <= spacing * h))
                     | ((after >= -0.2 * h) & (after <= spacing * h)))
    # The digits of the same token go with it: "12A" is a word, not a 1.
    beside = (left | right)[:, rows]
    word = np.zeros(len(rows), bool)
    while True:
        # Digits found in a word count as its letters when their neighbours are judged
        # again (a form's "GUSTAV" whose S and A read 5 and 4 leaves its G no digit).
        worded = np.zeros(len(boxes), bool)
        worded[rows] = word
        down = turned_down | worded[None, :]
        more = (left & down).any(axis=1) & (right & down).any(axis=1)
        glyphs = (near & glyph & down).sum(axis=1)
        digits = (near & ~down).sum(axis=1)
        more |= (glyphs >= digits) & ((left | right) & letter).any(axis=1)
        more |= (glyphs >= np.maximum(2 * digits, 3)) & (spaced & letter).any(axis=1)
        more |= word
        while True:
            token = more | (beside & more[None, :]).any(axis=1)
            if (token == more).all():
                break
            more = token
        if (more == word).all():
            break
        word = more
    out[rows] = word
    return out


def in_a_line_of_print(boxes: np.ndarray, confidences: np.ndarray) -> np.ndarray:
    """(N,) bool: candidates the classifier turned down (confidence 0) whose neighbours on
    their line -- within LINE_REACH heights to either side, centres within half a height
    -- are mostly turned down too, at least two of them: a line of printed words or of
    written letters, not touching digits among digits. ``boxes`` (N, 4) x, y, w, h."""
    out = np.zeros(len(boxes), bool)
    rejected = np.flatnonzero(confidences <= 0)
    if len(rejected) < 3:
        return out
    b = boxes.astype(np.float64)
    line, before, after, h = _line_gaps(b[rejected], b)
    near = line & (np.maximum(before, after) <= LINE_REACH * h)
    near[np.arange(len(rejected)), rejected] = False
    turned_down = (near & (confidences <= 0)[None, :]).sum(axis=1)
    out[rejected] = (turned_down >= 2) & (turned_down >= near.sum(axis=1) - turned_down)
    return out


def among_digits(boxes: np.ndarray, is_digit: np.ndarray, which: np.ndarray,
                 counted: np.ndarray | None = None) -> np.ndarray:
    """(K,) bool: whether each candidate of ``which`` (K,) stands in a row of digits --
    its neighbours on its line within DIGITS_REACH heights to either side are digits,
    two at least and twice as many as the others. ``boxes`` (N, 4) x, y, w, h;
    ``is_digit`` (N,) bool; ``counted`` (N,) bool, the boxes that count as neighbours
    (all when None)."""
    which = np.asarray(which, np.intp)
    if len(which) == 0:
        return np.zeros(0, bool)
    b = boxes.astype(np.float64)
    line, before, after, h = _line_gaps(b[which], b)
    near = line & (np.maximum(before, after) <= DIGITS_REACH * h)
    near[np.arange(len(which)), which] = False
    if counted is not None:
        near &= np.asarray(counted, bool)[None, :]
    digits = (near & np.asarray(is_digit, bool)[None, :]).sum(axis=1)
    return (digits >= 2) & (digits >= 2 * (near.sum(axis=1) - digits))


def centres_within(boxes: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """(N, M) bool: whether the centre of each of ``boxes`` (N, 4) lies within each of
    ``regions`` (M, 4), edges included; both x, y, w, h."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    r = np.asarray(regions, np.float64).reshape(-1, 4)
    centres = b[:, None, :2] + b[:, None, 2:] / 2
    return ((centres >= r[None, :, :2]) & (centres <= r[None, :, :2] + r[None, :, 2:])).all(axis=2)
