"""Handwriting drawn with a round pen: digits.png cells and script letters as ink sprites.

A digit cell (or a Hershey script word) is scaled, slanted and turned a little,
thinned to its centre line and drawn again along it with a round pen of the
wanted width. Small or thin writing is drawn on a finer grid (up to 8x) and
area-downsampled, so sub-pixel pens come out faint and gray as they do in photos.
Sprites are (h, w) float32 ink coverage 0..1, cropped to their ink.
"""

from __future__ import annotations

import cv2
import numpy as np

from livedigits.training.pen import centre_lines

_SCRIPT_FACES = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)


def _fine_factor(height: int, stroke: float) -> int:
    """Supersampling factor: ~4x for small digits, less for big ones, enough for the pen."""
    fine = int(np.clip(np.ceil(120 / height), 1, 4))
    return max(fine, min(8, int(np.ceil(2.4 / max(stroke, 0.1)))))


def _pen_coverage(line: np.ndarray, radius: float, fine: int) -> np.ndarray:
    """Round-pen ink along a fine centre line, area-downsampled by ``fine``.

    line : (H, W) uint8 0/1, H and W multiples of ``fine``; radius in fine pixels.
    Returns (H // fine, W // fine) float32 coverage 0..1.
    """
    dist = cv2.distanceTransform((line == 0).astype(np.uint8), cv2.DIST_L2,
                                 cv2.DIST_MASK_PRECISE)
    cover = np.clip(radius + 0.5 - dist, 0, 1).astype(np.float32)
    h, w = line.shape
    return cv2.resize(cover, (w // fine, h // fine), interpolation=cv2.INTER_AREA)


def _rotate_shear(angle: float, shear: float, size: tuple[int, int]
                  ) -> tuple[np.ndarray, tuple[int, int]]:
    """A 2x3 rotation+shear about the centre of a (w, h) image, and the output size."""
    w, h = size
    a = np.deg2rad(angle)
    lin = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.array(
        [[1.0, np.tan(np.deg2rad(shear))], [0.0, 1.0]])
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64) - [w / 2, h / 2]
    mapped = corners @ lin.T
    lo, hi = mapped.min(0), mapped.max(0)
    out = (int(np.ceil(hi[0] - lo[0])) + 2, int(np.ceil(hi[1] - lo[1])) + 2)
    offset = np.array([out[0] / 2, out[1] / 2]) - lin @ np.array([w / 2, h / 2])
    return np.hstack([lin, offset[:, None]]).astype(np.float32), out


def _finish_sprite(line: np.ndarray, stroke: float, fine: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Pen ink (h, w) float32 0..1 along a fine centre line, cropped to its ink."""
    pad = int(np.ceil(stroke * fine / 2)) + fine
    line = np.pad(line, pad)
    h, w = line.shape
    line = np.pad(line, ((0, (-h) % fine), (0, (-w) % fine)))
    sprite = _pen_coverage(line, stroke * fine / 2, fine)
    # Pressure: ink darkens and fades along the stroke.
    field = rng.uniform(0.78, 1.0, (3, 3)).astype(np.float32)
    sprite *= cv2.resize(field, sprite.shape[::-1], interpolation=cv2.INTER_CUBIC).clip(0.7, 1)
    ys, xs = np.nonzero(sprite > 0.08)
    if len(ys) == 0:
        return np.zeros((1, 1), np.float32)
    return sprite[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _centre_line(mask: np.ndarray) -> np.ndarray:
    """``pen.centre_lines`` of one (H, W) bool mask: (H, W) uint8 0/1."""
    import numba

    # One small mask: starting the thread pool costs more than the thinning.
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return centre_lines(mask[None])[0]
    finally:
        numba.set_num_threads(threads)


def digit_ink(cell: np.ndarray, height: int, stroke: float,
               rng: np.random.Generator) -> np.ndarray:
    """A digits.png cell redrawn ``height`` px tall with a round pen ``stroke`` px wide.

    cell : (20, 20) uint8, white digit on black. Returns (h, w) float32 ink coverage
    0..1 (h close to ``height``), slanted and turned a little as handwriting is.
    """
    ys, xs = np.nonzero(cell > 30)
    crop = cell[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    fine = _fine_factor(height, stroke)
    factor = height * fine / crop.shape[0]
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(height * fine)))
    angle, shear = rng.normal(0, 3), rng.normal(0, 6)
    for _ in range(2):
        big = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
        matrix, out = _rotate_shear(angle, shear, size)
        big = cv2.warpAffine(big, matrix, out, flags=cv2.INTER_LINEAR)
        line = _centre_line(np.pad(big > 0.5, 2))
        # The centre line ends inside MNIST's bold strokes: grow the digit until the
        # line plus the pen is ``height`` tall.
        rows = np.flatnonzero(line.any(axis=1))
        drawn = (rows[-1] - rows[0] + 1 + stroke * fine) if len(rows) else height * fine
        grow = height * fine / drawn
        if abs(grow - 1) < 0.04:
            break
        size = (max(1, round(size[0] * grow)), max(1, round(size[1] * grow)))
    return _finish_sprite(line, stroke, fine, rng)


def script_ink(text: str, height: int, stroke: float, rng: np.random.Generator) -> np.ndarray:
    """Handwriting-like letters (a Hershey script face, each letter jittered) drawn
    with the same round pen as the digits: (h, w) float32 coverage 0..1, capitals
    ``height`` px tall."""
    face = _SCRIPT_FACES[int(rng.integers(len(_SCRIPT_FACES)))]
    fine = _fine_factor(height, stroke)
    (_, cap), _ = cv2.getTextSize("H", face, 1.0, 1)
    scale = height * fine / cap
    margin = int(height * fine * 0.6)
    # Drawn bold and thinned back to one centre line: the script faces draw some
    # strokes as two close lines, which the pen would otherwise write twice.
    bold = max(2, round(0.1 * height * fine))
    letters = []
    for ch in text:
        (cw, _), _ = cv2.getTextSize(ch, face, scale, 1)
        canvas = np.zeros((int(height * fine * 2.2), cw + 2 * margin), np.uint8)
        s = scale * rng.uniform(0.9, 1.1)
        cv2.putText(canvas, ch, (margin, int(height * fine * 1.4)), face, s, 1, bold,
                    cv2.LINE_8)
        matrix, out = _rotate_shear(rng.normal(0, 4), rng.normal(0, 5),
                                     canvas.shape[::-1])
        turned = cv2.warpAffine(canvas, matrix, out, flags=cv2.INTER_NEAREST)
        # Turning grows the canvas about its centre: crop back to the drawn size.
        left, top = (out[0] - canvas.shape[1]) // 2, (out[1] - canvas.shape[0]) // 2
        turned = turned[top:top + canvas.shape[0], left:left + canvas.shape[1]]
        dy = int(rng.normal(0, 0.05) * height * fine)
        letters.append((turned, cw, dy))
    total_w = sum(cw for _, cw, _ in letters) + 4 * margin
    total_h = max(t.shape[0] for t, _, _ in letters) + 2 * margin
    line = np.zeros((total_h, total_w), np.uint8)
    x = margin
    for turned, cw, dy in letters:
        th, tw = turned.shape
        y = margin + dy
        region = line[y:y + th, x - margin // 2:x - margin // 2 + tw]
        np.maximum(region, turned[:region.shape[0], :region.shape[1]], out=region)
        x += int(cw * rng.uniform(0.95, 1.1))
    return _finish_sprite(_centre_line(np.pad(line > 0, 1))[1:-1, 1:-1], stroke, fine, rng)
