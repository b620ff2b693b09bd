"""The flat sheet being written on: its layers and free room, paper rules, handwritten numbers.

A ``Sheet`` is drawn in canvas pixels (the paper laid flat at about the frame's
scale); every handwritten digit placed on it adds its box ``(x, y, w, h)`` in
canvas pixels and its label to the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from livedigits.synthetic.handwriting import digit_ink


@dataclass
class Sheet:
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
    size_spread: float = 0.0  # sigma of each digit's log height factor (0: 0.88-1.1)
    small_zeros: float = 0.0  # share of the 0s after a number's first digit written small

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


def paste(sheet: Sheet, sprite: np.ndarray, x: int, y: int) -> None:
    """Add a (h, w) float32 coverage sprite to ``sheet.hand`` with its top-left at (x, y)."""
    sh, sw = sprite.shape
    region = sheet.hand[y:y + sh, x:x + sw]
    np.maximum(region, sprite[:region.shape[0], :region.shape[1]], out=region)


def place_digit(sheet: Sheet, rng: np.random.Generator, x: int | None, y: int | None,
                 height: int | None = None, check: bool = True, within: int | None = None
                 ) -> tuple[int, int] | None:
    """Draw the next held-out digit with its top-left at (x, y) (None: anywhere free);
    returns its (w, h), or None (nothing drawn) when ``check`` and the place is not
    free. With ``within`` (a width in px) x is the digit's centre and a digit wider
    than ``within`` is not drawn. On a sheet with ``size_spread`` (and no ``height``
    given) y is where a digit of the sheet's height would stand: a smaller or larger
    one stands on the same line."""
    k = sheet.next_cell()
    if height is None and sheet.size_spread > 0:
        # A writer whose digits differ in size: each stands on the line.
        height = int(round(sheet.digit_height * np.clip(
            np.exp(rng.normal(0, sheet.size_spread)), 0.35, 2.5)))
        if y is not None:
            y += sheet.digit_height - height
    h = height or int(round(sheet.digit_height * rng.uniform(0.88, 1.1)))
    sprite = digit_ink(sheet.cells[k], h, sheet.stroke * rng.uniform(0.92, 1.08), rng)
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
    paste(sheet, sprite, x, y)
    sheet.reserve(x, y, sw, sh, pad)
    sheet.boxes.append((x, y, sw, sh))
    sheet.digits.append(int(sheet.labels[k]))
    return sw, sh


def paper_rules(sheet: Sheet, rng: np.random.Generator, paper: str, offset: tuple[int, int]
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


def add_numbers(sheet: Sheet, rng: np.random.Generator, n_digits: int) -> None:
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
                for place in range(length):
                    top = y + int(rng.normal(0, 0.05) * dh)
                    small = None
                    if sheet.small_zeros > 0 and place > 0 and \
                            sheet.labels[sheet.next_cell()] == 0 and \
                            rng.random() < sheet.small_zeros:
                        # A 0 written a third to a half as tall, standing on the line.
                        small = int(round(dh * rng.uniform(0.33, 0.5)))
                        top += dh - small
                    got = place_digit(sheet, rng, x, top, height=small)
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
        if place_digit(sheet, rng, None, None) is None:
            break
