"""Clutter sharing the sheet with the handwritten digits: print, grids, letters, a pen.

The families: printed text (with printed numbers), ruled tables, form boxes,
sudoku grids, handwritten letters and a pen lying on the page.

Each ``add_*`` draws one family on a ``Sheet`` (canvas pixels). Digits written in
tables, forms and sudoku grids are handwritten and go into the truth; printed
digits, letters and the pen never do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import cv2
import numpy as np

from livedigits.synthetic.handwriting import script_ink
from livedigits.synthetic.sheet import Sheet, paste, place_digit
from livedigits.typefaces import Face, draw_text, scene_faces

#: Clutter kinds ``render_scene`` understands.
CLUTTER = ("text", "table", "form", "sudoku", "letters", "pen")

_PRINT_FACES = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
                cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN,
                cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC,
                cv2.FONT_HERSHEY_COMPLEX | cv2.FONT_ITALIC)
_WORDS = ("Name", "Date", "Total", "Invoice", "Page", "Notes", "Sample", "Result", "Class",
          "Room", "Item", "Amount", "Signature", "Order", "Price", "per", "and", "the",
          "Exercise", "Answer", "Subtotal", "Tel.", "Ref.", "Week")
_HEADERS = ("Item", "Qty", "Price", "Date", "No.", "Total", "Code", "Score", "Day", "Units")
_LABELS = ("Account no.", "Postcode", "Date of birth", "Phone", "Member ID", "Amount",
           "Year", "Ref.")
_HAND_WORDS = ("kg", "cm", "Nr", "x", "km", "Total", "ab", "Sum", "Bo", "OK", "Lg", "Zoe",
               "sl", "Mo", "Tu", "Feb", "Jan", "Ig", "SOS", "Bl", "m", "h", "Q", "A", "Ex")


# --- printed things ----------------------------------------------------------------

#: TrueType faces the print is set in besides the built-in ones (``truetype_print``).
_TRUETYPE: list[Face] = []


@contextmanager
def truetype_print() -> Iterator[tuple[Face, ...]]:
    """Within it, scenes' print is set in the machine's TrueType faces too
    (``typefaces.scene_faces``, faces the not-a-digit examples are never drawn in), one
    face drawn at random among them and the built-in ones. Yields the faces added
    (none on a machine without them)."""
    added = scene_faces()
    _TRUETYPE.extend(added)
    try:
        yield added
    finally:
        del _TRUETYPE[len(_TRUETYPE) - len(added):]


def _pick_face(rng: np.random.Generator, built_in: tuple[int, ...],
               upright: bool = False) -> int | Face:
    """One of the built-in ``built_in`` faces, or with ``truetype_print`` of those and
    the TrueType faces (``upright``: no italic or oblique cut)."""
    faces = list(built_in) + [f for f in _TRUETYPE if not upright or not any(
        cut in f.name for cut in ("Italic", "Oblique"))]
    return faces[int(rng.integers(len(faces)))]


def _print_scale(face: int, cap_height: float) -> float:
    """The Hershey font scale giving capitals ``cap_height`` px tall."""
    (_, h), _ = cv2.getTextSize("H", face, 1.0, 1)
    return cap_height / h


def _text_size(text: str, face: int | Face, cap: float, thick: int
               ) -> tuple[tuple[int, int], int]:
    """``cv2.getTextSize``'s ``((w, h), baseline)`` of ``text`` with capitals ``cap`` px
    tall: h above the baseline, baseline the depth below it."""
    if isinstance(face, Face):
        ink, baseline = draw_text(text, face, cap)
        return (ink.shape[1], baseline), ink.shape[0] - baseline
    return cv2.getTextSize(text, face, _print_scale(face, cap), thick)


def _print(sheet: Sheet, text: str, x: int, y_base: int, face: int | Face, cap: float,
           weight: float = 1.0) -> None:
    """Print ``text`` with its baseline at y_base."""
    if isinstance(face, Face):
        ink, baseline = draw_text(text, face, cap)
        y = y_base - baseline
        hh, ww = sheet.printed.shape
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(ww, x + ink.shape[1]), min(hh, y + ink.shape[0])
        if x1 > x0 and y1 > y0:
            region = sheet.printed[y0:y1, x0:x1]
            np.maximum(region, ink[y0 - y:y1 - y, x0 - x:x1 - x], out=region)
        return
    scale = _print_scale(face, cap)
    thick = max(1, round(weight * cap / 14))
    cv2.putText(sheet.printed, text, (x, y_base), face, scale, 255, thick, cv2.LINE_AA)


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


def add_text(sheet: Sheet, rng: np.random.Generator) -> None:
    """Printed lines (words, "No. 12", dates, prices, page numbers) in several faces."""
    area = sheet.valid.sum()
    dh = sheet.digit_height
    n_lines = int(np.clip(area / (dh * dh * 60), 2, 9))
    for _ in range(n_lines):
        face = _pick_face(rng, _PRINT_FACES)
        cap = dh * rng.uniform(0.45, 1.1)
        text = _text_line(rng)
        thick = max(1, round(cap / 14))
        (w, h), base = _text_size(text, face, cap, thick)
        while w > sheet.valid.shape[1] * 0.9 and " " in text:
            text = text.rsplit(" ", 1)[0]
            (w, h), base = _text_size(text, face, cap, thick)
        spot = sheet.find(rng, w + 4, h + base + 4)
        if spot is None:
            continue
        x, y = spot
        _print(sheet, text, x + 2, y + 2 + h, face, cap)
        sheet.reserve(x, y, w + 4, h + base + 4, int(0.3 * dh))
        if rng.random() < 0.3 and sheet.free(x + w + dh // 2, y, 3 * dh, dh + 4):
            # A handwritten answer after a printed prompt.
            place_digit(sheet, rng, x + w + dh // 2, y + 2)


def add_table(sheet: Sheet, rng: np.random.Generator) -> None:
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
    face = _pick_face(rng, _PRINT_FACES)
    for c in range(n_cols):
        label = str(rng.choice(_HEADERS))
        cap = 0.45 * row_h
        # A TrueType face is drawn 2 px in size at least: its width stops shrinking there.
        while _text_size(label, face, cap, 1)[0][0] > col_w - 6 and (
                cap > 2 or not isinstance(face, Face)):
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
                placed = place_digit(sheet, rng, x, top, h, check=False) \
                    if room > 0.75 * h else None
                if placed is None:
                    break
                # a digit wider than the room is taken back out of the cell
                if x + placed[0] > x0 + (c + 1) * col_w - thick - 1:
                    _undo_last(sheet)
                    break
                x += placed[0] + max(2, int(0.2 * h))


def _undo_last(sheet: Sheet) -> None:
    """Take the last digit placed back out of the truth and off the sheet."""
    x, y, w, h = sheet.boxes.pop()
    sheet.digits.pop()
    sheet.hand[y:y + h, x:x + w] = 0


def add_form(sheet: Sheet, rng: np.random.Generator) -> None:
    """Rows of printed comb boxes, a printed label before each, one handwritten digit
    a box, some boxes left empty."""
    dh = sheet.digit_height
    for _ in range(int(rng.integers(2, 5))):
        n_boxes = int(rng.integers(4, 11))
        box_h = int(dh * rng.uniform(1.35, 1.6))
        box_w = int(box_h * rng.uniform(0.75, 1.0))
        face = _pick_face(rng, _PRINT_FACES)
        label = str(rng.choice(_LABELS))
        cap = dh * rng.uniform(0.4, 0.7)
        (lw, lh), _ = _text_size(label, face, cap, 1)
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
                if place_digit(sheet, rng, cx, top, h, check=False,
                                within=box_w - 2 * thick - 2) is not None:
                    break
                h = int(h * 0.88)


def add_sudoku(sheet: Sheet, rng: np.random.Generator) -> None:
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
    face = _pick_face(rng, _PRINT_FACES[:4], upright=True)
    for r in range(9):
        for c in range(9):
            roll = rng.random()
            if roll < 0.3:
                digit = str(int(rng.integers(1, 10)))
                cap = 0.55 * cell
                (w, _), _ = _text_size(digit, face, cap, 1)
                _print(sheet, digit, x0 + c * cell + (cell - w) // 2,
                       y0 + r * cell + int(0.78 * cell), face, cap, weight=1.4)
            elif roll < 0.65:
                h = int(cell * rng.uniform(0.55, 0.7))
                top = y0 + r * cell + (cell - h) // 2 + int(rng.normal(0, 0.04) * cell)
                centre = x0 + c * cell + cell // 2 + int(rng.normal(0, 0.05) * cell)
                place_digit(sheet, rng, centre, top, h, check=False,
                             within=cell - 6 * thin)


def add_letters(sheet: Sheet, rng: np.random.Generator, count: int) -> None:
    """Handwritten words and capitals (same pen as the digits), not in the truth."""
    dh = sheet.digit_height
    for _ in range(count):
        word = str(rng.choice(_HAND_WORDS))
        sprite = script_ink(word, int(dh * rng.uniform(0.8, 1.05)), sheet.stroke, rng)
        sh, sw = sprite.shape
        spot = sheet.find(rng, sw + dh // 2, sh + dh // 2, tries=60)
        if spot is None:
            continue
        x, y = spot[0] + dh // 4, spot[1] + dh // 4
        paste(sheet, sprite, x, y)
        sheet.reserve(x, y, sw, sh, int(0.2 * dh))


def pen_polygon(rng: np.random.Generator, size: tuple[int, int]):
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


def draw_pen(scene: np.ndarray, pen, to_frame: np.ndarray) -> None:
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
