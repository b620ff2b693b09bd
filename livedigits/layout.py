"""Reading order and text: boxes -> lines -> numbers.

Digits whose vertical centres lie within half a digit height of a line's
centre belong to that line; on a line, digits closer than ``NUMBER_GAP`` digit
heights form one number.
"""

from __future__ import annotations

import numpy as np

NUMBER_GAP = 0.6  # horizontal gap, in digit heights, that still joins digits into a number


def reading_order(boxes: np.ndarray) -> list[list[int]]:
    """Indices of ``boxes`` (N, 4: x, y, w, h) grouped into lines, top to bottom, left to right."""
    if len(boxes) == 0:
        return []
    boxes = np.asarray(boxes, np.float64)
    centre = boxes[:, 1] + boxes[:, 3] / 2
    # Plain floats: this loop runs over boxes and lines, numpy scalars cost 10x more.
    centre_y, heights, lefts = centre.tolist(), boxes[:, 3].tolist(), boxes[:, 0].tolist()
    lines: list[dict] = []
    for i in np.argsort(centre, kind="stable").tolist():
        h = heights[i]
        best = None
        for line in lines:
            if abs(centre_y[i] - line["cy"]) <= 0.5 * max(line["h"], h):
                best = line
                break
        if best is None:
            lines.append({"cy": centre_y[i], "h": h, "members": [i]})
        else:
            best["members"].append(i)
            n = len(best["members"])
            best["cy"] += (centre_y[i] - best["cy"]) / n
            best["h"] += (h - best["h"]) / n
    lines.sort(key=lambda line: line["cy"])
    return [sorted(line["members"], key=lefts.__getitem__) for line in lines]


def text_of(boxes: np.ndarray, symbols: list[str], lines: list[list[int]]) -> str:
    """The text read: numbers on a line separated by a space, lines by a newline."""
    out = []
    boxes = np.asarray(boxes, np.float64)
    lefts, rights = boxes[:, 0].tolist(), (boxes[:, 0] + boxes[:, 2]).tolist()
    for line in lines:
        if not line:
            continue
        height = float(np.median(boxes[line, 3]))
        words = [symbols[line[0]]]
        for prev, cur in zip(line, line[1:], strict=False):
            gap = lefts[cur] - rights[prev]
            if gap > NUMBER_GAP * height:
                words.append(" ")
            words.append(symbols[cur])
        out.append("".join(words))
    return "\n".join(out)


def arrange(boxes: np.ndarray, digits, confidences,
            min_confidence: float) -> tuple[list[int], list[list[int]], str]:
    """Put detections in reading order and read their text.

    Parameters
    ----------
    boxes : (N, 4) x, y, w, h; digits, confidences : N each
    min_confidence : below it a digit reads as ``?``

    Returns
    -------
    order : indices of the detections in reading order
    lines : lines as positions in ``order`` (0..N-1), top to bottom
    text : numbers separated by spaces, lines by newlines
    """
    lines = reading_order(boxes)
    order = [i for line in lines for i in line]
    position = {old: new for new, old in enumerate(order)}
    lines = [[position[i] for i in line] for line in lines]
    symbols = ["?" if confidences[i] < min_confidence else str(int(digits[i])) for i in order]
    ordered = np.asarray(boxes)[order] if order else np.asarray(boxes)
    return order, lines, text_of(ordered, symbols, lines)


WORD_GAP = 0.35  # heights between the letters of one word
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


def inside_a_word(boxes: np.ndarray, is_digit: np.ndarray) -> np.ndarray:
    """(N,) bool: candidates read as digits with a turned-down neighbour close on each side
    on their line (gaps under WORD_GAP heights, centres within half a height): an ``o`` or
    an ``l`` inside a written or printed word. ``boxes`` (N, 4) x, y, w, h; ``is_digit``
    (N,) bool."""
    is_digit = np.asarray(is_digit, bool)
    out = np.zeros(len(boxes), bool)
    if (~is_digit).sum() < 2 or not is_digit.any():
        return out
    b = boxes.astype(np.float64)
    line, before, after, h = _line_gaps(b[is_digit], b[~is_digit])
    left = line & (before >= -0.2 * h) & (before <= WORD_GAP * h)
    right = line & (after >= -0.2 * h) & (after <= WORD_GAP * h)
    out[is_digit] = left.any(axis=1) & right.any(axis=1)
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
