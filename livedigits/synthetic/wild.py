"""Synthetic "in the wild" scenes: a handwritten sheet photographed on a desk.

``synth.render_page`` draws a clean page filling the frame; real photos and webcam
footage show much more, and this module draws it: the sheet is a quadrilateral on a
textured desk (or a scanner's dark border, or a chalk board), rotated and in
perspective, with a soft shadow along an edge; the pen is thin (sub-pixel strokes
come out faint and gray) or a fat marker; light falls off across the frame; the
camera blurs, adds sensor noise and compresses to JPEG. Clutter that is not a
handwritten digit shares the sheet: printed text (with printed numbers), ruled
tables, form boxes, sudoku grids, handwritten letters and a pen lying on the page.

The paper may be plain, ruled or squared, and the camera's exposure dim or clipping.

The digits are digits.png's held-out cells redrawn along their centre lines with
a round pen, so the truth (box and label of every handwritten digit, and nothing
else) is known. Printed digits and letters are never in the truth.

Coordinates: the sheet is drawn flat on its own canvas at about the frame's
scale, then mapped into the frame by a homography; truth boxes are the mapped
boxes' bounding boxes, ``(x, y, w, h)`` in frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from livedigits.synthetic.synth import RULE, Page, heldout_cells, warp_boxes
from livedigits.training.pen import centre_lines

__all__ = ["CLUTTER", "Scene", "random_scene", "render_scene", "render_video"]

#: Clutter kinds ``render_scene`` understands.
CLUTTER = ("text", "table", "form", "sudoku", "letters", "pen")

_PRINT_FACES = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
                cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN,
                cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC,
                cv2.FONT_HERSHEY_COMPLEX | cv2.FONT_ITALIC)
_SCRIPT_FACES = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
_WORDS = ("Name", "Date", "Total", "Invoice", "Page", "Notes", "Sample", "Result", "Class",
          "Room", "Item", "Amount", "Signature", "Order", "Price", "per", "and", "the",
          "Exercise", "Answer", "Subtotal", "Tel.", "Ref.", "Week")
_HEADERS = ("Item", "Qty", "Price", "Date", "No.", "Total", "Code", "Score", "Day", "Units")
_LABELS = ("Account no.", "Postcode", "Date of birth", "Phone", "Member ID", "Amount",
           "Year", "Ref.")
_HAND_WORDS = ("kg", "cm", "Nr", "x", "km", "Total", "ab", "Sum", "Bo", "OK", "Lg", "Zoe",
               "sl", "Mo", "Tu", "Feb", "Jan", "Ig", "SOS", "Bl", "m", "h", "Q", "A", "Ex")


@dataclass
class Scene(Page):
    """A ``Page`` that also knows where the sheet lies: ``sheet`` (4, 2) float32, its
    corners in frame pixels (top-left, top-right, bottom-right, bottom-left of the
    paper; they may lie outside the frame)."""

    sheet: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))


@dataclass
class _Sheet:
    """The flat sheet being drawn, in canvas pixels.

    hand : (h, w) float32 handwritten ink coverage 0..1 (digits and letters)
    printed : (h, w) uint8 printed ink coverage 0..255 (text, rules, grids)
    occupied : (h, w) uint8, nonzero where something is drawn or reserved
    valid : (h, w) bool, where writing may go (on paper, in the frame, off the edges)
    """

    hand: np.ndarray
    printed: np.ndarray
    occupied: np.ndarray
    valid: np.ndarray
    stroke: float
    digit_height: int
    cells: np.ndarray
    labels: np.ndarray
    order: np.ndarray
    boxes: list
    digits: list
    rule_pitch: int = 0  # ruled paper: px between the rules (0: none)
    rule_phase: int = 0  # canvas y of a rule, modulo the pitch

    def free(self, x: int, y: int, w: int, h: int) -> bool:
        """True when the box lies in the valid area and touches nothing drawn."""
        if x < 0 or y < 0 or x + w > self.valid.shape[1] or y + h > self.valid.shape[0]:
            return False
        return bool(self.valid[y:y + h, x:x + w].all()
                    and not self.occupied[y:y + h, x:x + w].any())

    def reserve(self, x: int, y: int, w: int, h: int, pad: int = 0) -> None:
        """Mark the box, grown by ``pad`` px, as taken."""
        self.occupied[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad] = 1

    def find(self, rng: np.random.Generator, w: int, h: int, tries: int = 200):
        """A random free top-left corner for a w x h box, or None."""
        hh, ww = self.valid.shape
        if w >= ww or h >= hh:
            return None
        for _ in range(tries):
            x = int(rng.integers(0, ww - w))
            y = int(rng.integers(0, hh - h))
            if self.free(x, y, w, h):
                return x, y
        return None

    def next_cell(self) -> int:
        """Index of the next source cell: each is used once before any repeats."""
        return int(self.order[len(self.digits) % len(self.order)])


# --- pen strokes -------------------------------------------------------------------


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


def _digit_ink(cell: np.ndarray, height: int, stroke: float,
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


def _script_ink(text: str, height: int, stroke: float, rng: np.random.Generator) -> np.ndarray:
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


def _paste(sheet: _Sheet, sprite: np.ndarray, x: int, y: int) -> None:
    """Add a (h, w) float32 coverage sprite to ``sheet.hand`` with its top-left at (x, y)."""
    sh, sw = sprite.shape
    region = sheet.hand[y:y + sh, x:x + sw]
    np.maximum(region, sprite[:region.shape[0], :region.shape[1]], out=region)


def _place_digit(sheet: _Sheet, rng: np.random.Generator, x: int | None, y: int | None,
                 height: int | None = None, check: bool = True, within: int | None = None
                 ) -> tuple[int, int] | None:
    """Draw the next held-out digit with its top-left at (x, y) (None: anywhere free);
    returns its (w, h), or None (nothing drawn) when ``check`` and the place is not
    free. With ``within`` (a width in px) x is the digit's centre and a digit wider
    than ``within`` is not drawn."""
    k = sheet.next_cell()
    h = height or int(round(sheet.digit_height * rng.uniform(0.88, 1.1)))
    sprite = _digit_ink(sheet.cells[k], h, sheet.stroke * rng.uniform(0.92, 1.08), rng)
    sh, sw = sprite.shape
    pad = max(1, int(0.12 * sheet.digit_height))
    if within is not None:
        if sw > within:
            return None
        x -= sw // 2
    if x is None:  # anywhere free
        spot = sheet.find(rng, sw + 2 * pad, sh + 2 * pad, tries=300)
        if spot is None:
            return None
        x, y = spot[0] + pad, spot[1] + pad
    if check and not sheet.free(x - pad, y - pad, sw + 2 * pad, sh + 2 * pad):
        return None
    if x < 0 or y < 0 or x + sw > sheet.hand.shape[1] or y + sh > sheet.hand.shape[0]:
        return None
    _paste(sheet, sprite, x, y)
    sheet.reserve(x, y, sw, sh, pad)
    sheet.boxes.append((x, y, sw, sh))
    sheet.digits.append(int(sheet.labels[k]))
    return sw, sh


# --- printed things ----------------------------------------------------------------


def _print_scale(face: int, cap_height: float) -> float:
    """The Hershey font scale giving capitals ``cap_height`` px tall."""
    (_, h), _ = cv2.getTextSize("H", face, 1.0, 1)
    return cap_height / h


def _print(sheet: _Sheet, text: str, x: int, y_base: int, face: int, cap: float,
           weight: float = 1.0) -> tuple[int, int]:
    """Print ``text`` with its baseline at y_base; returns its (w, h) incl. descenders."""
    scale = _print_scale(face, cap)
    thick = max(1, round(weight * cap / 14))
    cv2.putText(sheet.printed, text, (x, y_base), face, scale, 255, thick, cv2.LINE_AA)
    (w, h), base = cv2.getTextSize(text, face, scale, thick)
    return w, h + base


def _text_line(rng: np.random.Generator) -> str:
    """A printed line: words, "No. 12", dates, prices and page numbers."""
    parts = []
    for _ in range(int(rng.integers(2, 7))):
        r = rng.random()
        if r < 0.55:
            parts.append(str(rng.choice(_WORDS)))
        elif r < 0.7:
            parts.append(f"No. {int(rng.integers(1, 99))}")
        elif r < 0.82:
            parts.append(f"{int(rng.integers(1, 29)):02d}.{int(rng.integers(1, 13)):02d}."
                         f"{int(rng.integers(2019, 2027))}")
        elif r < 0.92:
            parts.append(f"{rng.uniform(0, 999):.2f}")
        else:
            parts.append(f"Page {int(rng.integers(1, 40))}")
    return " ".join(parts)


def _add_text(sheet: _Sheet, rng: np.random.Generator) -> None:
    """Printed lines (words, "No. 12", dates, prices, page numbers) in several faces."""
    area = sheet.valid.sum()
    dh = sheet.digit_height
    n_lines = int(np.clip(area / (dh * dh * 60), 2, 9))
    for _ in range(n_lines):
        face = _PRINT_FACES[int(rng.integers(len(_PRINT_FACES)))]
        cap = dh * rng.uniform(0.45, 1.1)
        text = _text_line(rng)
        scale = _print_scale(face, cap)
        thick = max(1, round(cap / 14))
        (w, h), base = cv2.getTextSize(text, face, scale, thick)
        while w > sheet.valid.shape[1] * 0.9 and " " in text:
            text = text.rsplit(" ", 1)[0]
            (w, h), base = cv2.getTextSize(text, face, scale, thick)
        spot = sheet.find(rng, w + 4, h + base + 4)
        if spot is None:
            continue
        x, y = spot
        _print(sheet, text, x + 2, y + 2 + h, face, cap)
        sheet.reserve(x, y, w + 4, h + base + 4, int(0.3 * dh))
        if rng.random() < 0.3 and sheet.free(x + w + dh // 2, y, 3 * dh, dh + 4):
            # A handwritten answer after a printed prompt.
            _place_digit(sheet, rng, x + w + dh // 2, y + 2)


def _add_table(sheet: _Sheet, rng: np.random.Generator) -> None:
    """A ruled table: printed header row, handwritten numbers in the body cells."""
    dh = sheet.digit_height
    n_rows, n_cols = int(rng.integers(3, 8)), int(rng.integers(2, 6))
    hh, ww = sheet.valid.shape
    row_h = int(dh * rng.uniform(1.5, 2.0))
    col_w = int(dh * rng.uniform(2.6, 3.6))
    shrink = min(1.0, 0.8 * ww / (n_cols * col_w), 0.8 * hh / ((n_rows + 1) * row_h))
    if shrink < 0.5:
        return
    row_h, col_w, inner = int(row_h * shrink), int(col_w * shrink), int(dh * shrink)
    tw, th = n_cols * col_w, (n_rows + 1) * row_h
    spot = sheet.find(rng, tw + 4, th + 4)
    if spot is None:
        return
    x0, y0 = spot[0] + 2, spot[1] + 2
    sheet.reserve(x0 - 2, y0 - 2, tw + 4, th + 4)
    thick = max(1, round(inner / 25))
    for r in range(n_rows + 2):
        w_line = thick * (2 if r in (0, 1) else 1)
        cv2.line(sheet.printed, (x0, y0 + r * row_h), (x0 + tw, y0 + r * row_h), 255, w_line,
                 cv2.LINE_AA)
    for c in range(n_cols + 1):
        cv2.line(sheet.printed, (x0 + c * col_w, y0), (x0 + c * col_w, y0 + th), 255, thick,
                 cv2.LINE_AA)
    face = _PRINT_FACES[int(rng.integers(len(_PRINT_FACES)))]
    for c in range(n_cols):
        label = str(rng.choice(_HEADERS))
        cap = 0.45 * row_h
        while cv2.getTextSize(label, face, _print_scale(face, cap), 1)[0][0] > col_w - 6:
            cap *= 0.85
        _print(sheet, label, x0 + c * col_w + 4, y0 + int(0.7 * row_h), face, cap)
    for r in range(1, n_rows + 1):
        for c in range(n_cols):
            if rng.random() < 0.25:
                continue
            x = x0 + c * col_w + int(rng.uniform(0.1, 0.3) * col_w)
            top = y0 + r * row_h + int(rng.uniform(0.12, 0.22) * row_h)
            h = int(0.68 * row_h * rng.uniform(0.9, 1.05))
            for _ in range(int(rng.integers(1, 4))):
                room = x0 + (c + 1) * col_w - x - thick - 2
                placed = _place_digit(sheet, rng, x, top, h, check=False) \
                    if room > 0.75 * h else None
                if placed is None:
                    break
                # a digit wider than the room is taken back out of the cell
                if x + placed[0] > x0 + (c + 1) * col_w - thick - 1:
                    _undo_last(sheet)
                    break
                x += placed[0] + max(2, int(0.2 * h))


def _undo_last(sheet: _Sheet) -> None:
    """Take the last digit placed back out of the truth and off the sheet."""
    x, y, w, h = sheet.boxes.pop()
    sheet.digits.pop()
    sheet.hand[y:y + h, x:x + w] = 0


def _add_form(sheet: _Sheet, rng: np.random.Generator) -> None:
    """Rows of printed comb boxes, a printed label before each, one handwritten digit
    a box, some boxes left empty."""
    dh = sheet.digit_height
    for _ in range(int(rng.integers(2, 5))):
        n_boxes = int(rng.integers(4, 11))
        box_h = int(dh * rng.uniform(1.35, 1.6))
        box_w = int(box_h * rng.uniform(0.75, 1.0))
        face = _PRINT_FACES[int(rng.integers(len(_PRINT_FACES)))]
        label = str(rng.choice(_LABELS))
        cap = dh * rng.uniform(0.4, 0.7)
        (lw, lh), _ = cv2.getTextSize(label, face, _print_scale(face, cap), 1)
        gap = int(0.5 * dh)
        total = lw + gap + n_boxes * box_w
        spot = sheet.find(rng, total + 6, box_h + 6)
        if spot is None:
            continue
        x, y = spot[0] + 3, spot[1] + 3
        sheet.reserve(x - 3, y - 3, total + 6, box_h + 6)
        _print(sheet, label, x, y + box_h // 2 + lh // 2, face, cap)
        bx = x + lw + gap
        thick = max(1, round(dh / 25))
        for b in range(n_boxes + 1):
            cv2.line(sheet.printed, (bx + b * box_w, y), (bx + b * box_w, y + box_h), 255,
                     thick, cv2.LINE_AA)
        cv2.line(sheet.printed, (bx, y + box_h), (bx + n_boxes * box_w, y + box_h), 255,
                 thick, cv2.LINE_AA)
        if rng.random() < 0.6:
            cv2.line(sheet.printed, (bx, y), (bx + n_boxes * box_w, y), 255, thick,
                     cv2.LINE_AA)
        filled = int(rng.integers(max(1, n_boxes // 2), n_boxes + 1))
        for b in range(filled):
            h = int(box_h * rng.uniform(0.62, 0.8))
            for _ in range(4):  # a digit too wide for its box is written smaller
                cx = bx + b * box_w + box_w // 2 + int(rng.normal(0, 0.04) * box_w)
                top = y + (box_h - h) // 2 + int(rng.normal(0, 0.05) * box_h)
                if _place_digit(sheet, rng, cx, top, h, check=False,
                                within=box_w - 2 * thick - 2) is not None:
                    break
                h = int(h * 0.88)


def _add_sudoku(sheet: _Sheet, rng: np.random.Generator) -> None:
    """A 9x9 grid (thick lines every 3 cells), printed givens, handwritten entries."""
    dh = sheet.digit_height
    hh, ww = sheet.valid.shape
    cell = int(dh * rng.uniform(1.4, 1.8))
    cell = min(cell, int(0.9 * min(hh, ww) / 9))
    if cell < 12:
        return
    side = 9 * cell
    spot = sheet.find(rng, side + 6, side + 6, tries=400)
    if spot is None:
        return
    x0, y0 = spot[0] + 3, spot[1] + 3
    sheet.reserve(x0 - 3, y0 - 3, side + 6, side + 6)
    thin = max(1, round(cell / 40))
    for i in range(10):
        t = thin * 3 if i % 3 == 0 else thin
        cv2.line(sheet.printed, (x0, y0 + i * cell), (x0 + side, y0 + i * cell), 255, t,
                 cv2.LINE_AA)
        cv2.line(sheet.printed, (x0 + i * cell, y0), (x0 + i * cell, y0 + side), 255, t,
                 cv2.LINE_AA)
    face = _PRINT_FACES[int(rng.integers(4))]
    for r in range(9):
        for c in range(9):
            roll = rng.random()
            if roll < 0.3:
                digit = str(int(rng.integers(1, 10)))
                cap = 0.55 * cell
                (w, _), _ = cv2.getTextSize(digit, face, _print_scale(face, cap), 1)
                _print(sheet, digit, x0 + c * cell + (cell - w) // 2,
                       y0 + r * cell + int(0.78 * cell), face, cap, weight=1.4)
            elif roll < 0.65:
                h = int(cell * rng.uniform(0.55, 0.7))
                top = y0 + r * cell + (cell - h) // 2 + int(rng.normal(0, 0.04) * cell)
                centre = x0 + c * cell + cell // 2 + int(rng.normal(0, 0.05) * cell)
                _place_digit(sheet, rng, centre, top, h, check=False,
                             within=cell - 6 * thin)


def _add_letters(sheet: _Sheet, rng: np.random.Generator, count: int) -> None:
    """Handwritten words and capitals (same pen as the digits), not in the truth."""
    dh = sheet.digit_height
    for _ in range(count):
        word = str(rng.choice(_HAND_WORDS))
        sprite = _script_ink(word, int(dh * rng.uniform(0.8, 1.05)), sheet.stroke, rng)
        sh, sw = sprite.shape
        spot = sheet.find(rng, sw + dh // 2, sh + dh // 2, tries=60)
        if spot is None:
            continue
        x, y = spot[0] + dh // 4, spot[1] + dh // 4
        _paste(sheet, sprite, x, y)
        sheet.reserve(x, y, sw, sh, int(0.2 * dh))


def _pen_polygon(rng: np.random.Generator, size: tuple[int, int]):
    """A pen lying on the sheet: (4, 2) float32 body corners in canvas pixels, its
    width in px and its BGR colour."""
    ww, hh = size
    length = rng.uniform(0.45, 0.7) * min(ww, hh * 1.6)
    width = max(6.0, length * rng.uniform(0.055, 0.075))
    angle = rng.uniform(0, np.pi)
    centre = np.array([rng.uniform(0.2, 0.8) * ww, rng.uniform(0.2, 0.8) * hh])
    along = np.array([np.cos(angle), np.sin(angle)]) * length / 2
    across = np.array([-np.sin(angle), np.cos(angle)]) * width / 2
    corners = np.array([centre - along - across, centre + along - across,
                        centre + along + across, centre - along + across], np.float32)
    colour = [(150, 60, 20), (30, 30, 30), (40, 40, 170), (200, 200, 200),
              (60, 140, 40)][int(rng.integers(5))]
    return corners, width, colour


# --- the scene around the sheet ------------------------------------------------------


def _noise_field(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]
                 ) -> np.ndarray:
    """Smooth noise (H, W) float32, about -1..1, with ``cells`` (rows, cols) blobs."""
    small = rng.standard_normal(cells).astype(np.float32)
    return cv2.resize(small, shape[::-1], interpolation=cv2.INTER_CUBIC)


def _desk(rng: np.random.Generator, width: int, height: int, kind: str) -> np.ndarray:
    """A desk (or wall, or scanner lid) texture: (height, width, 3) float32 BGR."""
    base = {"wood": (45, 85, 135), "gray": (118, 120, 122), "dark": (38, 40, 46),
            "wall": (170, 185, 195), "scanner": (22, 22, 24)}[kind]
    base = np.array(base, np.float32) * rng.uniform(0.8, 1.15)
    # The texture is made at up to 1280 px wide and scaled: its grain is a share of
    # the frame, as when a bigger sensor sees the same desk.
    shrink = max(1.0, width / 1280)
    small_w, small_h = int(round(width / shrink)), int(round(height / shrink))
    shade = 1 + _noise_field(rng, (small_h, small_w), (4, 6)) * 0.06
    if kind == "wood":
        # Grain: streaks along one direction, fine across it.
        angle = rng.uniform(-0.3, 0.3) + (np.pi / 2 if rng.random() < 0.5 else 0.0)
        yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
        across = -np.sin(angle) * xx + np.cos(angle) * yy
        along = np.cos(angle) * xx + np.sin(angle) * yy
        wobble = _noise_field(rng, (small_h, small_w), (3, 3)) * 12
        grain = np.sin((across + wobble + 0.02 * along) * 2 * np.pi / rng.uniform(7, 16))
        grain += 0.5 * np.sin((across + 1.7 * wobble) * 2 * np.pi / rng.uniform(2.5, 4))
        shade *= 1 + 0.07 * grain
    grain_sigma = {"wood": 4.0, "gray": 5.0, "dark": 3.0, "wall": 3.0, "scanner": 1.5}[kind]
    speckle = rng.normal(0, grain_sigma / max(base.mean(), 1), (small_h, small_w))
    shade += cv2.GaussianBlur(speckle.astype(np.float32), (0, 0), 0.8)
    if shrink > 1:
        shade = cv2.resize(shade, (width, height), interpolation=cv2.INTER_LINEAR)
    return shade[:, :, None] * base


def _sheet_quad(rng: np.random.Generator, width: int, height: int, desk: float,
                perspective: float, rotation_deg: float, scan_border: bool) -> np.ndarray:
    """The sheet's corners in the frame, (4, 2) float32, TL TR BR BL, such that the
    sheet covers ``1 - desk`` of the frame."""
    frame = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    if scan_border:
        bands = rng.uniform(0.004, 0.025, 4) * [width, height, width, height]
        quad = np.float32([[bands[0], bands[1]], [width - bands[2], bands[1]],
                           [width - bands[2], height - bands[3]],
                           [bands[0], height - bands[3]]])
        angle = np.deg2rad(rotation_deg)
        centre = quad.mean(0)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        return ((quad - centre) @ rot.T + centre).astype(np.float32)
    frame_aspect = width / height
    aspect = rng.uniform(min(frame_aspect, 1.414) * 0.85, max(frame_aspect, 1.414))
    if rng.random() < 0.25:
        aspect = 1 / 1.414  # portrait sheet in a landscape frame
    centre = np.array([width, height]) * (0.5 + rng.uniform(-0.08, 0.08, 2))
    angle = np.deg2rad(rotation_deg)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    unit = np.array([[-aspect, -1], [aspect, -1], [aspect, 1], [-aspect, 1]]) / 2
    jitter = rng.uniform(-perspective, perspective, (4, 2)) * [aspect, 1]
    shape = (unit + jitter) @ rot.T
    target = (1.0 - desk) * width * height

    def covered(scale: float) -> float:
        """Frame px the sheet covers at this scale."""
        quad = (shape * scale + centre).astype(np.float32)
        area, _ = cv2.intersectConvexConvex(quad, frame)
        return area

    lo, hi = 1.0, 6.0 * max(width, height)
    for _ in range(50):
        mid = (lo + hi) / 2
        if covered(mid) < target:
            lo = mid
        else:
            hi = mid
    return (shape * hi + centre).astype(np.float32)


def _canvas_for(quad: np.ndarray, width: int, height: int):
    """The sheet's flat size and the homography from a canvas covering only the part
    of it seen in the frame: (canvas (w, h), (3, 3) canvas->frame, (x0, y0) offset)."""
    sheet_w = float(np.hypot(*(quad[1] - quad[0])) + np.hypot(*(quad[2] - quad[3]))) / 2
    sheet_h = float(np.hypot(*(quad[3] - quad[0])) + np.hypot(*(quad[2] - quad[1]))) / 2
    rect = np.float32([[0, 0], [sheet_w, 0], [sheet_w, sheet_h], [0, sheet_h]])
    to_frame = cv2.getPerspectiveTransform(rect, quad)
    frame = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    seen = cv2.perspectiveTransform(frame[None], np.linalg.inv(to_frame))[0]
    _, overlap = cv2.intersectConvexConvex(rect, seen.astype(np.float32))
    overlap = overlap.reshape(-1, 2)
    x0, y0 = np.floor(overlap.min(0)).astype(int) - 1
    x1, y1 = np.ceil(overlap.max(0)).astype(int) + 1
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(int(np.ceil(sheet_w)), x1), min(int(np.ceil(sheet_h)), y1)
    shift = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64)
    return (sheet_w, sheet_h), (x1 - x0, y1 - y0), to_frame @ shift, (x0, y0)


def _ink_colour(level: float, surface: float, peak: float, blue: bool, light: bool
                ) -> np.ndarray:
    """BGR float32 ink such that a stroke whose coverage peaks at ``peak`` reaches the
    gray ``level`` on a surface of gray ``surface`` (as dark as black or as light as
    white allow)."""
    if light:
        gray = min(255.0, surface + (level - surface) / peak)
        colour = np.array([gray - 6, gray, gray + 2], np.float32)  # chalk, a little warm
    else:
        gray = max(0.0, surface - (surface - level) / peak)
        colour = np.array([gray + 55, gray - 4, gray - 30] if blue else [gray] * 3,
                          np.float32)
        colour += gray - float(colour @ [0.114, 0.587, 0.299])
    return np.clip(colour, 0, 255)


def light_field(rng: np.random.Generator | None, width: int, height: int, falloff: float,
                centre: tuple[float, float] | None = None) -> np.ndarray:
    """Illumination (height, width) float32 in [1 - falloff, 1]: a gradient plus a
    vignette, the brightest spot at ``centre`` (frame pixels) or, drawn from ``rng``,
    random."""
    if falloff <= 0:
        return np.ones((height, width), np.float32)
    scale = max(1, max(width, height) // 256)  # smooth: compute small, resize
    h, w = max(2, height // scale), max(2, width // scale)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy = yy * height / h
    xx = xx * width / w
    if centre is None:
        centre = (rng.uniform(-0.2, 1.2) * width, rng.uniform(-0.2, 1.2) * height)
    diag = np.hypot(width, height)
    gradient = np.hypot(xx - centre[0], yy - centre[1]) / diag
    vignette = ((xx - width / 2) ** 2 + (yy - height / 2) ** 2) / (diag / 2) ** 2
    field = 0.65 * gradient + 0.35 * vignette
    field /= max(float(field.max()), 1e-6)
    small = 1.0 - falloff * field
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def motion_kernel(motion: tuple[float, float]) -> np.ndarray | None:
    """The smear of a view that moved ``motion`` (dx, dy) px during the exposure: an
    (s, s) float32 line kernel summing to 1, or None for a move under 1.5 px."""
    length = float(np.hypot(*motion))
    if length < 1.5:
        return None
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = motion[0] / length * length / 2, motion[1] / length * length / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1,
             cv2.LINE_AA)
    return kernel / kernel.sum()


def wholly_inside(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N,) bool: which boxes (N, 4) x, y, w, h lie wholly inside a width x height view."""
    return (boxes[:, 0] >= 0) & (boxes[:, 1] >= 0) & \
        (boxes[:, 0] + boxes[:, 2] <= width) & (boxes[:, 1] + boxes[:, 3] <= height)


def camera(image: np.ndarray, rng: np.random.Generator, light: np.ndarray, blur: float,
            noise: float, jpeg_quality: int | None,
            motion: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Light, optics and sensor on a (H, W, 3) float32 scene: uint8 BGR (H, W, 3)."""
    image *= light[:, :, None]
    kernel = motion_kernel(motion)
    if kernel is not None:
        image = cv2.filter2D(image, -1, kernel)
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    if noise:
        # Shot noise grows in the dark; a little independent colour noise on top.
        cv2.setRNGSeed(int(rng.integers(2**31)))  # cv2's generator is much faster
        luma = np.empty(image.shape[:2], np.float32)
        cv2.randn(luma, 0.0, 1.0)
        luma *= noise * (1.6 - 0.6 * light)
        image += luma[:, :, None]
        colour = np.empty(image.shape, np.float32)
        cv2.randn(colour, 0.0, 0.4 * noise)
        image += colour
    out = np.clip(image, 0, 255).astype(np.uint8)
    if jpeg_quality:
        _, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        out = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return out


# --- scenes --------------------------------------------------------------------------


@dataclass
class World:
    """A scene before the camera: image (H, W, 3) float32 BGR, truth boxes (N, 4)
    float32 in its pixels, digits (N,) int32, and the sheet's corners (4, 2)."""

    image: np.ndarray
    boxes: np.ndarray
    digits: np.ndarray
    quad: np.ndarray


def compose(rng: np.random.Generator, *, width: int, height: int, digit_height: int,
             n_digits: int, stroke: float | None, ink_level: float | None, desk: float,
             clutter: tuple[str, ...], polarity: str, perspective: float,
             rotation_deg: float, cells, scan_border: bool, shadow: float | None,
             desk_kind: str | None, blue: bool | None, margin: int | None = None,
             paper: str = "plain") -> World:
    """The scene before the camera (see ``render_scene`` for the parameters); ``margin``
    is the px kept free of writing along the frame's edges (default half a digit)."""
    if polarity not in ("dark", "light"):
        raise ValueError(f"polarity must be 'dark' or 'light', got {polarity!r}")
    if paper not in ("plain", "ruled", "squared"):
        raise ValueError(f"paper must be plain, ruled or squared, got {paper!r}")
    unknown = set(clutter) - set(CLUTTER)
    if unknown:
        raise ValueError(f"unknown clutter {sorted(unknown)}; choose from {CLUTTER}")
    if not 0 <= desk < 1:
        raise ValueError(f"desk must be a share in [0, 1), got {desk}")
    light = polarity == "light"
    source_cells, source_labels = cells if cells is not None else heldout_cells()
    digit_height = int(digit_height)
    if stroke is None:
        stroke = max(0.6, digit_height * rng.uniform(0.03, 0.15))
    stroke = float(stroke)
    if ink_level is None:
        if light:
            ink_level = rng.uniform(180, 230)
        else:
            ink_level = rng.uniform(20, 40) if stroke >= 3 else rng.uniform(80, 110)
    if desk_kind is None:
        desk_kind = "scanner" if scan_border else str(
            rng.choice(["wall", "wood"] if light else ["wood", "gray", "dark"]))
    quad = _sheet_quad(rng, width, height, desk, perspective, rotation_deg, scan_border)
    (sheet_w, sheet_h), (cw, ch), to_frame, (ox, oy) = _canvas_for(quad, width, height)

    # Where writing may go: on the paper, off its edges, and inside the frame.
    edge = margin if margin is not None else max(4, int(0.5 * digit_height))
    inside = cv2.warpPerspective(np.full((height, width), 255, np.uint8),
                                 np.linalg.inv(to_frame), (cw, ch), flags=cv2.INTER_NEAREST)
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8), iterations=max(1, edge // 2))
    valid = inside > 0
    paper_edge = int(0.03 * min(sheet_w, sheet_h)) + edge
    yy = np.arange(ch)[:, None] + oy
    xx = np.arange(cw)[None, :] + ox
    valid &= (yy >= paper_edge) & (yy < sheet_h - paper_edge)
    valid &= (xx >= paper_edge) & (xx < sheet_w - paper_edge)

    sheet = _Sheet(hand=np.zeros((ch, cw), np.float32), printed=np.zeros((ch, cw), np.uint8),
                   occupied=np.zeros((ch, cw), np.uint8), valid=valid, stroke=stroke,
                   digit_height=digit_height, cells=source_cells, labels=source_labels,
                   order=rng.permutation(len(source_cells)), boxes=[], digits=[])
    rules = _rules(sheet, rng, paper, (ox, oy)) if paper != "plain" else None
    pen = None
    if "pen" in clutter:
        pen = _pen_polygon(rng, (cw, ch))
        reserve = np.zeros_like(sheet.occupied)
        cv2.fillConvexPoly(reserve, np.round(pen[0]).astype(np.int32), 1)
        sheet.occupied |= cv2.dilate(reserve, np.ones((3, 3), np.uint8),
                                     iterations=max(1, int(pen[1] / 2)))
    for kind, add in (("sudoku", _add_sudoku), ("table", _add_table), ("form", _add_form),
                      ("text", _add_text)):
        if kind in clutter:
            add(sheet, rng)
    _add_numbers(sheet, rng, n_digits)
    if "letters" in clutter:
        _add_letters(sheet, rng, max(3, n_digits // 3))

    # The sheet's colours.
    paper_gray = rng.uniform(35, 60) if light else rng.uniform(232, 252)
    tint = rng.normal(0, 2.5 if light else 3.0, 3) + ([-4, 4, -2] if light else [0, 0, 0])
    surface = np.empty((ch, cw, 3), np.float32)
    surface[:] = paper_gray + tint
    texture = _noise_field(rng, (ch, cw), (5, 7)) * (3.0 if light else 2.0)
    if light:
        # Chalk dust smeared by the eraser.
        texture += np.clip(_noise_field(rng, (ch, cw), (4, 5)), 0, None) * 10
    surface += texture[:, :, None]
    peak = min(1.0, stroke)
    ink = _ink_colour(ink_level, 255.0 if not light else paper_gray, peak,
                      blue if blue is not None else bool(rng.random() < 0.6), light)
    hand = sheet.hand
    if light:
        hand *= rng.uniform(0.55, 1.0, hand.shape).astype(np.float32)  # chalk grain
    if rules is not None:
        colour = np.array(RULE if not light else (150, 160, 150), np.float32)
        surface += (colour - surface) * (rules.astype(np.float32) / 255)[:, :, None]
    printed = sheet.printed.astype(np.float32) / 255
    toner = np.full(3, rng.uniform(200, 225) if light else rng.uniform(25, 55), np.float32)
    surface += (toner - surface) * printed[:, :, None]
    surface += (ink - surface) * hand[:, :, None]
    if shadow:
        # A soft shadow falling across the page from one of its edges.
        side = int(rng.integers(4))
        depth = rng.uniform(0.06, 0.2) * (sheet_h if side in (0, 2) else sheet_w)
        pos = {0: yy, 1: sheet_w - xx, 2: sheet_h - yy, 3: xx}[side].astype(np.float32)
        fade = 1 - shadow * np.exp(-np.clip(pos, 0, None) / depth)
        surface *= np.broadcast_to(fade, (ch, cw))[:, :, None]

    # Lay the sheet on the desk.
    scene = _desk(rng, width, height, desk_kind)
    cover = cv2.warpPerspective(np.ones((ch, cw), np.float32), to_frame, (width, height),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    if not scan_border:
        # The sheet's own soft shadow on the desk.
        offset = np.float32([[1, 0, rng.uniform(-1, 1) * digit_height * 0.15],
                             [0, 1, rng.uniform(0.2, 1) * digit_height * 0.15]])
        shrink = max(1, max(width, height) // 640)  # the shadow is soft: blur it small
        small = cv2.resize(cover, (width // shrink, height // shrink),
                           interpolation=cv2.INTER_AREA)
        offset[:, 2] /= shrink
        cast = cv2.warpAffine(small, offset, small.shape[::-1])
        cast = cv2.GaussianBlur(cast, (0, 0), max(1.0, 0.004 * max(width, height) / shrink))
        cast = cv2.resize(cast, (width, height), interpolation=cv2.INTER_LINEAR)
        scene *= (1 - 0.35 * cast)[:, :, None]
    flat = cv2.warpPerspective(surface, to_frame, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT)
    scene *= (1 - cover)[:, :, None]
    scene += flat  # the border is zero outside the sheet, so this is the blend
    if pen is not None:
        _draw_pen(scene, pen, to_frame)

    boxes = np.array(sheet.boxes, np.float32).reshape(-1, 4)
    boxes = warp_boxes(boxes, to_frame).astype(np.float32) if len(boxes) else boxes
    return World(scene, boxes, np.array(sheet.digits, np.int32), quad)


WORLD_SIZE = 1.3  # a hand-held view wanders over a world this many times its size each way


def hand_held_world(rng: np.random.Generator, width: int, height: int, *, digit_height: int,
                    n_digits: int, stroke: float | None, ink_level: float | None,
                    desk: float, clutter: tuple[str, ...] = (), cells=None) -> World:
    """A sheet on a desk for a hand-held camera's width x height view to wander over:
    WORLD_SIZE times the view each way, the desk ``desk`` of its view-sized middle,
    writing kept a digit from the edges."""
    world_w, world_h = int(width * WORLD_SIZE), int(height * WORLD_SIZE)
    share = 1 - (1 - desk) * (width * height) / (world_w * world_h)
    return compose(rng, width=world_w, height=world_h, digit_height=digit_height,
                   n_digits=n_digits, stroke=stroke, ink_level=ink_level, desk=share,
                   clutter=tuple(clutter), polarity="dark", perspective=0.02,
                   rotation_deg=rng.uniform(-3, 3), cells=cells, scan_border=False,
                   shadow=None, desk_kind=None, blue=None, margin=digit_height)


def _rules(sheet: _Sheet, rng: np.random.Generator, paper: str, offset: tuple[int, int]
           ) -> np.ndarray:
    """School paper's printed lines over the whole canvas: (h, w) uint8 coverage 0..255.

    ``"ruled"``: a rule every 1.3-2 digit heights (the digits are written on them:
    ``sheet.rule_pitch`` is set); ``"squared"``: a grid of squares 0.6-0.9 of a digit.
    ``offset`` is the canvas's (x, y) on the sheet, so the lines stay put on it.
    """
    hh, ww = sheet.valid.shape
    ox, oy = offset
    dh = sheet.digit_height
    layer = np.zeros((hh, ww), np.uint8)
    thick = max(1, round(dh / 30))
    if paper == "ruled":
        step = max(8, int(dh * rng.uniform(1.3, 2.0)))
        phase = int(rng.integers(step))
        for y in range((phase - oy) % step, hh, step):
            cv2.line(layer, (0, y), (ww - 1, y), 255, thick, cv2.LINE_AA)
        sheet.rule_pitch, sheet.rule_phase = step, (phase - oy) % step
    else:
        step = max(5, int(dh * rng.uniform(0.6, 0.9)))
        for y in range((-oy) % step, hh, step):
            cv2.line(layer, (0, y), (ww - 1, y), 255, thick, cv2.LINE_AA)
        for x in range((-ox) % step, ww, step):
            cv2.line(layer, (x, 0), (x, hh - 1), 255, thick, cv2.LINE_AA)
    return (layer * rng.uniform(0.45, 0.8)).astype(np.uint8)


def _add_numbers(sheet: _Sheet, rng: np.random.Generator, n_digits: int) -> None:
    """Numbers of 1-5 digits in loose lines over the free part of the sheet."""
    dh = sheet.digit_height
    hh, ww = sheet.valid.shape
    wanted = n_digits - len(sheet.digits)
    if wanted <= 0:
        return
    pitch = int(dh * rng.uniform(1.7, 2.3))
    start_y = int(rng.integers(0, max(1, pitch)))
    if sheet.rule_pitch:
        # On ruled paper the digits stand on the rules, every rule or every other one.
        pitch = sheet.rule_pitch * int(np.ceil(1.25 * dh / sheet.rule_pitch))
        start_y = (sheet.rule_phase - int(1.05 * dh)) % pitch
    placed = 0
    for sweep in range(3):
        # Spread what is still wanted over the room still free, lines in any order.
        free_area = float((sheet.valid & (sheet.occupied == 0)).sum())
        capacity = free_area / (pitch * dh * 0.95)
        skip = 0.0 if sweep == 2 else float(
            np.clip(1 - (wanted - placed) / max(capacity, 1), 0, 0.85))
        shift = 0 if sheet.rule_pitch else sweep * pitch // 3
        lines = np.arange((start_y + shift) % pitch, hh - dh, pitch)
        for y in rng.permutation(lines).tolist():
            y += int(rng.normal(0, 0.03 if sheet.rule_pitch else 0.08) * dh)
            x = int(rng.integers(0, max(1, 2 * dh)))
            while x + dh < ww and placed < wanted:
                if rng.random() < skip:
                    x += int(dh * rng.uniform(1.5, 6))
                    continue
                if not sheet.free(x, y, dh // 2, dh):
                    x += max(2, dh // 4)
                    continue
                length = int(rng.integers(1, 6))
                start = x
                for _ in range(length):
                    top = y + int(rng.normal(0, 0.05) * dh)
                    got = _place_digit(sheet, rng, x, top)
                    if got is None:
                        break
                    placed += 1
                    x += got[0] + max(2, int(dh * rng.uniform(0.12, 0.32)))
                    if placed >= wanted:
                        break
                x = max(x, start + dh // 4) + int(dh * rng.uniform(0.9, 1.6))
            if placed >= wanted:
                break
    # Big digits seldom fit the lines: put what is left wherever there is room.
    for _ in range(wanted - placed):
        if _place_digit(sheet, rng, None, None) is None:
            break


def _draw_pen(scene: np.ndarray, pen, to_frame: np.ndarray) -> None:
    """A pen (body, a highlight along it, a dark tip) and its shadow, drawn in place
    on the (H, W, 3) float32 scene."""
    corners, width, colour = pen
    body = cv2.perspectiveTransform(corners[None], to_frame)[0]
    x0, y0 = np.floor(body.min(0) - 3 * width).astype(int)
    x1, y1 = np.ceil(body.max(0) + 3 * width).astype(int)
    h, w = scene.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = scene[y0:y1, x0:x1]
    local = body - [x0, y0]
    mask = np.zeros(roi.shape[:2], np.uint8)
    shade = np.zeros_like(mask)
    cv2.fillConvexPoly(shade, np.round(local + [0.4 * width, 0.6 * width]).astype(np.int32),
                       255, cv2.LINE_AA)
    shrink = max(1, int(width // 8))  # a soft shadow: blur it small
    small = cv2.resize(shade, (max(1, shade.shape[1] // shrink), max(1, shade.shape[0] // shrink)),
                       interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    small = cv2.GaussianBlur(small, (0, 0), max(0.8, 0.5 * width / shrink))
    shade_f = cv2.resize(small, shade.shape[::-1], interpolation=cv2.INTER_LINEAR)
    roi *= (1 - 0.45 * shade_f)[:, :, None]
    cv2.fillConvexPoly(mask, np.round(local).astype(np.int32), 255, cv2.LINE_AA)
    alpha = mask.astype(np.float32)[:, :, None] / 255
    roi += (np.array(colour, np.float32) - roi) * alpha
    # A highlight along the barrel and a dark tip at one end.
    mid = (local[0] + local[3]) / 2, (local[1] + local[2]) / 2
    glint = np.zeros_like(mask)
    cv2.line(glint, tuple(np.round(mid[0] + (local[3] - local[0]) * 0.25).astype(int)),
             tuple(np.round(mid[1] + (local[2] - local[1]) * 0.25).astype(int)), 255,
             max(1, int(width / 6)), cv2.LINE_AA)
    roi += (255 - roi) * (glint.astype(np.float32) / 255 * 0.5)[:, :, None]
    tip = np.zeros_like(mask)
    end = np.array(mid[1]) + (np.array(mid[1]) - np.array(mid[0])) * 0.06
    cv2.fillConvexPoly(tip, np.round([local[1], end, local[2]]).astype(np.int32), 255,
                       cv2.LINE_AA)
    roi += (np.float32([20, 20, 20]) - roi) * (tip.astype(np.float32) / 255)[:, :, None]


def render_scene(
    rng: np.random.Generator,
    *,
    width: int = 1280,
    height: int = 720,
    digit_height: int = 30,
    n_digits: int = 60,
    stroke: float | None = None,
    ink_level: float | None = None,
    desk: float = 0.3,
    blur: float = 0.8,
    falloff: float = 0.45,
    jpeg_quality: int | None = 65,
    clutter: tuple[str, ...] = (),
    polarity: str = "dark",
    perspective: float = 0.03,
    rotation_deg: float = 0.0,
    cells: tuple[np.ndarray, np.ndarray] | None = None,
    scan_border: bool = False,
    shadow: float | None = None,
    noise: float = 3.0,
    desk_kind: str | None = None,
    blue: bool | None = None,
    paper: str = "plain",
    exposure: float = 1.0,
) -> Scene:
    """A photo of a handwritten sheet lying on a desk.

    Parameters
    ----------
    rng : numpy Generator; the same seed gives the same image.
    width, height : frame size in px.
    digit_height : handwritten digits' height in px (each varies by about +-10%);
        15-300 is the useful range.
    n_digits : handwritten digits wanted; fewer when they do not fit. Digits in
        tables, forms and sudoku grids count toward it.
    stroke : pen width in px (sub-pixel widths are drawn at 4x or more and area-
        downsampled, so they come out faint); None: 3-15% of ``digit_height``.
    ink_level : gray (0-255) the ink reaches where its stroke is most covered, on
        white paper before the camera blurs it (80-110: a ballpoint seen from afar,
        20-40: a marker; with ``polarity="light"`` the chalk's gray, 180-230). A
        stroke too thin to reach it with black ink stays lighter. None: by pen.
    desk : share of the frame not covered by the sheet (0 <= desk < 1).
    blur : Gaussian sigma of the optics in px (0.6-1.1 for webcams and phones).
    falloff : the light drops by up to this share across the frame (gradient and
        vignette); 0 for even light.
    jpeg_quality : JPEG quality of the output, None for none.
    clutter : any of ``CLUTTER``: "text", "table", "form", "sudoku", "letters", "pen".
    polarity : "dark" (ink on paper) or "light" (chalk on a dark board, gray 30-60).
    perspective : corner jitter of the sheet, a share of its height.
    rotation_deg : the sheet's rotation in the frame.
    cells : (cells (N, 20, 20) uint8, labels (N,)) to draw from; digits.png's
        held-out tenth by default. Each is used once before any repeats.
    scan_border : a scanner's picture: the page fills the frame but for a thin dark
        band along its sides (``desk`` is then ignored).
    shadow : darkening (0-1) of a soft shadow falling across the page from one
        edge; None or 0 for none.
    noise : sensor noise sigma in gray levels (higher where the light is low).
    desk_kind : "wood", "gray", "dark", "wall" or "scanner"; None picks one.
    blue : blue ink (else black); None picks (60% blue).
    paper : "plain", "ruled" (digits stand on the rules) or "squared" school paper.
    exposure : the camera's gain on the whole frame (below 1 dim, above 1 the paper
        clips to white).

    Returns
    -------
    Scene (a ``Page``) with ``image`` (height, width, 3) uint8 BGR, ``boxes`` (N, 4)
    int32 x, y, w, h of each handwritten digit's ink in frame pixels, ``digits`` (N,)
    int32, and ``sheet`` (4, 2) float32 the paper's corners. Printed digits, letters
    and the pen are not in the truth.
    """
    world = compose(rng, width=width, height=height, digit_height=digit_height,
                     n_digits=n_digits, stroke=stroke, ink_level=ink_level, desk=desk,
                     clutter=tuple(clutter), polarity=polarity, perspective=perspective,
                     rotation_deg=rotation_deg, cells=cells, scan_border=scan_border,
                     shadow=shadow, desk_kind=desk_kind, blue=blue, paper=paper)
    light = light_field(rng, width, height, falloff) * np.float32(exposure)
    image = camera(world.image, rng, light, blur, noise, jpeg_quality)
    return Scene(image, np.round(world.boxes).astype(np.int32).reshape(-1, 4), world.digits,
                 sheet=world.quad)


_SIZES = ((640, 480), (1280, 720), (1920, 1080), (1600, 1200), (4032, 3024))
_SIZE_WEIGHTS = (0.3, 0.3, 0.18, 0.12, 0.1)


def random_scene(rng: np.random.Generator, **overrides) -> Scene:
    """``render_scene`` with every condition drawn at random, all at once.

    Frame 640x480 up to 4032x3024 (one scene in ten); digit height 15 px up to a
    sixth of the frame (log-uniform, fat markers sometimes); stroke 3-15% of it
    (at least 0.6 px); ink 80-110 for thin pens, 20-40 for markers; desk 18-48%
    (a scanner's border one scene in fourteen); rotation up to 5 degrees,
    perspective up to 0.05; blur 0.6-1.1; light falling off up to 45%; JPEG 60-70;
    each clutter kind with chance 0.3; chalk on a dark board one scene in ten; ruled
    paper one scene in four, squared one in seven; exposure 0.7-1.1.
    Any ``render_scene`` keyword given in ``overrides`` is used as given (and the
    choices depending on it follow it). Returns a ``Scene`` as ``render_scene`` does.
    """
    p = dict(overrides)

    def pick(name, draw):
        """The override for ``name`` if given, else ``draw()``; kept in ``p``."""
        if name not in p:
            p[name] = draw()
        return p[name]

    if "width" not in p or "height" not in p:
        w, h = _SIZES[int(rng.choice(len(_SIZES), p=_SIZE_WEIGHTS))]
        p.setdefault("width", w)
        p.setdefault("height", h)
    width, height = p["width"], p["height"]
    top = max(16.0, min(300.0, height / 6))
    dh = pick("digit_height", lambda: int(round(np.exp(rng.uniform(np.log(15), np.log(top))))))
    stroke = pick("stroke", lambda: max(0.6, dh * rng.uniform(0.03, 0.15)))
    polarity = pick("polarity", lambda: "light" if rng.random() < 0.1 else "dark")
    if polarity == "light":
        pick("ink_level", lambda: rng.uniform(180, 230))
    elif stroke < 2:
        pick("ink_level", lambda: rng.uniform(80, 110))
    elif stroke < 4:
        pick("ink_level", lambda: rng.uniform(35, 90))
    else:
        pick("ink_level", lambda: rng.uniform(20, 40))
    pick("scan_border", lambda: bool(rng.random() < 1 / 14))
    pick("desk", lambda: rng.uniform(0.18, 0.48))
    pick("rotation_deg", lambda: rng.uniform(-5, 5) if not p["scan_border"]
         else rng.uniform(-0.6, 0.6))
    pick("perspective", lambda: rng.uniform(0, 0.05) if not p["scan_border"] else 0.0)
    pick("blur", lambda: rng.uniform(0.6, 1.1))
    pick("falloff", lambda: rng.uniform(0.0, 0.45))
    pick("jpeg_quality", lambda: int(rng.integers(60, 71)))
    pick("noise", lambda: rng.uniform(2.0, 5.0))
    pick("shadow", lambda: rng.uniform(0.1, 0.35) if rng.random() < 0.35 else None)
    pick("clutter", lambda: tuple(k for k in CLUTTER if rng.random() < 0.3))
    pick("paper", lambda: str(rng.choice(["plain", "ruled", "squared"], p=[0.6, 0.25, 0.15]))
         if polarity == "dark" else "plain")
    pick("exposure", lambda: rng.uniform(0.7, 1.1))
    area = width * height * (1 - p["desk"])
    pick("n_digits", lambda: int(np.clip(area / (dh * dh * 14), 4, 80)))
    return render_scene(rng, **p)


def render_video(
    rng: np.random.Generator,
    path: str | Path,
    *,
    frames: int = 60,
    width: int = 640,
    height: int = 480,
    digit_height: int = 18,
    n_digits: int = 40,
    stroke: float = 0.8,
    ink_level: float | None = None,
    desk: float = 0.35,
    fps: float = 15.0,
    max_step: float = 8.0,
    max_rotation_deg: float = 6.0,
    scale_change: float = 0.08,
    blur: tuple[float, float] = (0.6, 1.1),
    falloff: float = 0.35,
    jpeg_quality: int = 65,
    clutter: tuple[str, ...] = (),
    cells: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Write a hand-held MJPG video of a sheet on a desk; returns its per-frame truth.

    The camera wanders (up to ``max_step`` px a frame, turning up to
    ``max_rotation_deg`` and zooming by up to ``scale_change`` in all), the optics'
    blur varies from frame to frame within ``blur`` (sigma range, px) with motion
    blur along fast moves, the light's brightest spot drifts, and each frame is
    noised and JPEG-compressed by the MJPG codec (``jpeg_quality`` is its target).
    ``desk`` is the share of the first frame the desk covers.

    Returns
    -------
    One ``(boxes, digits)`` a frame: boxes (N_f, 4) int32 x, y, w, h in frame pixels
    and digits (N_f,) int32 of the handwritten digits wholly inside that frame.
    """
    world = hand_held_world(rng, width, height, digit_height=digit_height, n_digits=n_digits,
                            stroke=stroke, ink_level=ink_level, desk=desk, clutter=clutter,
                            cells=cells)
    world_h, world_w = world.image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"cannot write a video to {path}")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, jpeg_quality)
    truth = []
    pos = np.zeros(2)
    vel = np.zeros(2)
    phase = rng.uniform(0, 2 * np.pi, 4)
    period = rng.uniform(2.5, 5.0, 2) * fps
    limit = 0.06 * np.array([width, height])
    try:
        for i in range(frames):
            # Hand-held: a bounded random walk pulled back to the middle.
            vel = 0.85 * vel + rng.normal(0, 2.0, 2) - 0.02 * pos
            speed = np.hypot(*vel)
            if speed > max_step:
                vel *= max_step / speed
            pos = np.clip(pos + vel, -limit, limit)
            angle = np.deg2rad(max_rotation_deg * np.sin(2 * np.pi * i / period[0] + phase[0]))
            scale = 1 + scale_change / 2 * np.sin(2 * np.pi * i / period[1] + phase[1])
            c, s = np.cos(angle) * scale, np.sin(angle) * scale
            cx, cy = world_w / 2 + pos[0], world_h / 2 + pos[1]
            # world -> frame: centre on (cx, cy), turn and zoom, then to the frame middle
            matrix = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]]) @ np.array(
                [[1, 0, -cx], [0, 1, -cy], [0, 0, 1]])
            matrix = np.array([[1, 0, width / 2], [0, 1, height / 2], [0, 0, 1]]) @ matrix
            tilt = 0.00004 * np.sin(i / 9 + phase[2])
            matrix = np.array([[1, 0, 0], [0, 1, 0], [tilt, 0, 1]]) @ matrix
            frame = cv2.warpPerspective(world.image, matrix, (width, height),
                                        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            centre = (width * (0.5 + 0.6 * np.sin(i / 20 + phase[3])),
                      height * (0.3 + 0.5 * np.cos(i / 27 + phase[3])))
            light = light_field(rng, width, height, falloff, centre)
            sigma = rng.uniform(*blur)
            writer.write(camera(frame, rng, light, sigma, 3.0, None, motion=tuple(vel)))
            boxes = warp_boxes(world.boxes, matrix) if len(world.boxes) else world.boxes
            keep = wholly_inside(boxes, width, height)
            truth.append((np.round(boxes[keep]).astype(np.int32).reshape(-1, 4),
                          world.digits[keep]))
    finally:
        writer.release()
    return truth
