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
    centre_y = boxes[:, 1] + boxes[:, 3] / 2
    lines: list[dict] = []
    for i in np.argsort(centre_y, kind="stable"):
        h = boxes[i, 3]
        best = None
        for line in lines:
            if abs(centre_y[i] - line["cy"]) <= 0.5 * max(line["h"], h):
                best = line
                break
        if best is None:
            lines.append({"cy": centre_y[i], "h": h, "members": [int(i)]})
        else:
            best["members"].append(int(i))
            n = len(best["members"])
            best["cy"] += (centre_y[i] - best["cy"]) / n
            best["h"] += (h - best["h"]) / n
    lines.sort(key=lambda line: line["cy"])
    return [sorted(line["members"], key=lambda i: boxes[i, 0]) for line in lines]


def text_of(boxes: np.ndarray, symbols: list[str], lines: list[list[int]]) -> str:
    """The text read: numbers on a line separated by a space, lines by a newline."""
    out = []
    boxes = np.asarray(boxes, np.float64)
    for line in lines:
        if not line:
            continue
        height = float(np.median(boxes[line, 3]))
        words = [symbols[line[0]]]
        for prev, cur in zip(line, line[1:], strict=False):
            gap = boxes[cur, 0] - (boxes[prev, 0] + boxes[prev, 2])
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
    digits, others = b[is_digit], b[~is_digit]  # (D, 4) against (O, 4)
    h = digits[:, 3:4]
    line = np.abs((others[None, :, 1] + others[None, :, 3] / 2)
                  - (digits[:, 1:2] + h / 2)) <= 0.5 * h
    left, right = digits[:, 0:1], digits[:, 0:1] + digits[:, 2:3]
    their_left, their_right = others[None, :, 0], others[None, :, 0] + others[None, :, 2]
    before = line & (their_right <= left + 0.2 * h) & (left - their_right <= WORD_GAP * h)
    after = line & (their_left >= right - 0.2 * h) & (their_left - right <= WORD_GAP * h)
    out[is_digit] = before.any(axis=1) & after.any(axis=1)
    return out
