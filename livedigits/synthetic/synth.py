"""Synthetic handwritten pages drawn from digits.png's held-out digits.

Used by the demo, the benchmark and the tests: a white (or lit, tinted) page,
optional faint printed text behind, digits placed in rows and numbers, then a
slight perspective, blur, noise and JPEG. The truth is kept for every digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from livedigits.paths import digits_png
from livedigits.training.cells import load_sheet
from livedigits.training.pen import centre_lines

INK = (110, 40, 20)  # dark blue ballpoint, BGR
RULE = (190, 175, 150)  # light blue-gray printed lines of school paper, BGR


@dataclass
class Page:
    """A rendered page and its truth.

    image : (H, W, 3) uint8 BGR
    boxes : (N, 4) int32 x, y, w, h of each digit's ink, in image pixels
    digits : (N,) int32
    """

    image: np.ndarray
    boxes: np.ndarray
    digits: np.ndarray
    text_lines: list[str] = field(default_factory=list)


def heldout_cells() -> tuple[np.ndarray, np.ndarray]:
    """digits.png's held-out cells (500, 20, 20) uint8 and their labels (500,)."""
    cells, labels, holdout = load_sheet(digits_png())
    return cells[holdout], labels[holdout]


def digit_sprite(cell: np.ndarray, height: int, pen: float | None = None) -> np.ndarray:
    """A cell's digit drawn ``height`` px tall: (h, w) float32 ink coverage 0..1.

    ``pen`` None keeps MNIST's own strokes (soft, often bold); a number redraws
    the digit's centre line with a round pen that wide, as a fraction of the
    height (a fine pen ~0.05, a marker ~0.15), anti-aliased.
    """
    ys, xs = np.nonzero(cell > 30)
    crop = cell[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    factor = height / crop.shape[0]
    size = (max(1, round(crop.shape[1] * factor)), max(1, height))
    if pen is None:
        sprite = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
        # Sharpen MNIST's soft edges into a stroke.
        return np.clip((sprite - 0.25) * 2.0, 0, 1)
    fine = 4  # draw at 4x, then area-resize: anti-aliased edges
    big = cv2.resize(crop, (size[0] * fine, size[1] * fine), interpolation=cv2.INTER_CUBIC)
    line = centre_lines((big > 0.5)[None])[0]
    width = max(2, round(pen * height * fine))
    stroke = cv2.dilate(line, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    return cv2.resize(stroke.astype(np.float32), size, interpolation=cv2.INTER_AREA)


def _faint_text(page: np.ndarray, rng: np.random.Generator, line_height: int) -> None:
    h, w = page.shape[:2]
    words = ["Iteration", "Sample", "Estimated", "Deviation", "TimeOut", "answer", "1.00",
             "3.63", "-2.48", "Use delta", "8.99", "value", "0.125"]
    scale = line_height / 30.0
    y = line_height
    while y < h:
        x = int(rng.integers(0, max(1, w // 8)))
        line = " ".join(rng.choice(words, 6))
        shade = int(rng.integers(200, 228))
        cv2.putText(page, line, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (shade,) * 3,
                    max(1, round(scale)), cv2.LINE_AA)
        y += line_height


def _print_rules(page: np.ndarray, kind: str, digit_height: int) -> None:
    """Print school paper's lines on ``page`` (H, W, 3): ``"ruled"`` (a line under each
    row of digits, a margin line) or ``"squared"`` (a grid, squares 0.75 of a digit)."""
    h, w = page.shape[:2]
    width = max(1, round(digit_height / 30))
    if kind == "ruled":
        margin = max(4, digit_height // 2)
        for y in range(margin + digit_height, h, int(digit_height * 1.9)):
            cv2.line(page, (0, y), (w - 1, y), RULE, width, cv2.LINE_AA)
        cv2.line(page, (margin // 2, 0), (margin // 2, h - 1), (120, 120, 220), width,
                 cv2.LINE_AA)
    elif kind == "squared":
        step = max(6, round(0.75 * digit_height))
        for y in range(step // 2, h, step):
            cv2.line(page, (0, y), (w - 1, y), RULE, width, cv2.LINE_AA)
        for x in range(step // 2, w, step):
            cv2.line(page, (x, 0), (x, h - 1), RULE, width, cv2.LINE_AA)
    elif kind != "plain":
        raise ValueError(f"paper must be plain, ruled or squared, got {kind!r}")


def render_page(
    rng: np.random.Generator,
    *,
    width: int = 1280,
    height: int = 720,
    digit_height: int = 40,
    n_digits: int = 100,
    cells: tuple[np.ndarray, np.ndarray] | None = None,
    faint_text: bool = True,
    perspective: float = 0.02,
    uneven_light: float = 0.25,
    blur: float = 0.6,
    noise: float = 3.0,
    jpeg_quality: int | None = None,
    pen: tuple[float, float] | None = (0.05, 0.14),
    touch: tuple[float, float] | None = None,
    paper: str = "plain",
) -> Page:
    """Render up to ``n_digits`` held-out digits in rows of numbers on a page.

    The digits are drawn without replacement (a page shows each source digit
    at most once until all have been used).

    Each digit is redrawn with a round pen of random width in the ``pen`` range
    (a fraction of its height); ``pen=None`` keeps MNIST's own strokes.

    Digits within a number stand ``digit_height * 0.25`` apart, numbers
    ``digit_height * 1.2``; rows ``digit_height * 1.9`` apart. With ``touch``
    the digits of a number overlap instead, by a share of ``digit_height`` in
    that range (at most half the previous digit's width), so that most touch.
    ``paper`` is ``"plain"``, ``"ruled"`` or ``"squared"`` school paper.
    """
    source_cells, source_labels = cells if cells is not None else heldout_cells()
    page = np.full((height, width, 3), 250, np.uint8)
    _print_rules(page, paper, digit_height)
    if faint_text:
        _faint_text(page, rng, max(12, digit_height // 2))
    ink = np.zeros((height, width), np.float32)
    order = rng.permutation(len(source_cells))
    boxes, digits = [], []
    margin = max(4, digit_height // 2)
    y = margin
    while y + digit_height + margin <= height and len(digits) < n_digits:
        x = margin + int(rng.integers(0, digit_height))
        while len(digits) < n_digits:
            length = int(rng.integers(1, 5))
            placed = 0
            for _ in range(length):
                k = int(order[len(digits) % len(order)])
                h = int(round(digit_height * rng.uniform(0.85, 1.1)))
                pen_width = None if pen is None else rng.uniform(*pen)
                sprite = digit_sprite(source_cells[k], h, pen_width)
                sh, sw = sprite.shape
                if x + sw + margin > width:
                    break
                top = y + int(rng.integers(0, max(1, digit_height - sh + 1)))
                region = ink[top:top + sh, x:x + sw]
                np.maximum(region, sprite, out=region)
                boxes.append((x, top, sw, sh))
                digits.append(int(source_labels[k]))
                if touch is None:
                    x += sw + max(2, int(digit_height * rng.uniform(0.15, 0.3)))
                else:
                    x += sw - min(sw // 2, int(digit_height * rng.uniform(*touch)))
                placed += 1
                if len(digits) >= n_digits:
                    break
            if placed < length or x + digit_height + margin > width:
                break
            x += int(digit_height * rng.uniform(0.9, 1.5))
        y += int(digit_height * 1.9)
    colour = np.array(INK, np.float32)
    alpha = ink[:, :, None] * 0.92
    page = (page.astype(np.float32) * (1 - alpha) + colour * alpha)

    if uneven_light:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / max(width, height)
        page *= (1.0 - uneven_light * np.clip(dist, 0, 1))[:, :, None]
    page = np.clip(page, 0, 255).astype(np.uint8)

    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    boxes_arr = np.array(boxes, np.float32).reshape(-1, 4)
    if perspective:
        jitter = rng.uniform(-perspective, perspective, (4, 2)) * [width, height]
        matrix = cv2.getPerspectiveTransform(corners, (corners + jitter).astype(np.float32))
        page = cv2.warpPerspective(page, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
        boxes_arr = warp_boxes(boxes_arr, matrix)
    if blur:
        page = cv2.GaussianBlur(page, (0, 0), blur)
    if noise:
        page = np.clip(page + rng.normal(0, noise, page.shape), 0, 255).astype(np.uint8)
    if jpeg_quality:
        ok, data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        page = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return Page(page, np.round(boxes_arr).astype(np.int32), np.array(digits, np.int32))


def warp_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Bounding boxes (N, 4) of the boxes' corners mapped by a 3x3 homography."""
    if len(boxes) == 0:
        return boxes
    x, y, w, h = boxes.T
    pts = np.stack([np.stack([x, y], 1), np.stack([x + w, y], 1),
                    np.stack([x + w, y + h], 1), np.stack([x, y + h], 1)], 1)
    mapped = cv2.perspectiveTransform(pts.reshape(-1, 1, 2), matrix).reshape(-1, 4, 2)
    lo = mapped.min(axis=1)
    hi = mapped.max(axis=1)
    return np.concatenate([lo, hi - lo], axis=1)


def score(boxes: np.ndarray, digits: np.ndarray, detections: list) -> dict:
    """Match detections to truth as ../tools/score.py does (truth centre inside the box).

    Returns ``{"n", "found", "correct", "fp"}``.
    """
    used: set[int] = set()
    found = correct = fp = 0
    centres = boxes[:, :2] + boxes[:, 2:] / 2 if len(boxes) else np.zeros((0, 2))
    for d in detections:
        hit = None
        for i, (cx, cy) in enumerate(centres):
            if i not in used and d.x <= cx <= d.x + d.w and d.y <= cy <= d.y + d.h:
                hit = i
                break
        if hit is None:
            fp += 1
            continue
        used.add(hit)
        found += 1
        correct += int(d.digit == digits[hit])
    return {"n": len(boxes), "found": found, "correct": correct, "fp": fp}
