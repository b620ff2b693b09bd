"""The kiosk's full-screen picture, legible from across a room.

``kiosk_view`` draws at the screen's own size: the frame fitted in, boxes and numbers
sized from the screen with a dark halo, the text read in a large banner, an optional
event title, the attract screen (what to do, with a drawn example) when no sheet has
been seen for a while, and a full-screen "reconnecting" state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from livedigits.recognize.recognizer import Detection

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREEN = (60, 220, 60)
ORANGE = (0, 160, 255)
YELLOW = (60, 230, 255)
INK = (120, 40, 20)


FONT_SCALE_STEP = 1 / 16


def font_scale(scale: float) -> float:
    """``scale`` rounded down to a sixteenth (at least one).

    OpenCV 5's text renderer keeps what it prepares for each font scale it meets, for
    good (100,000 distinct scales: +10.7 MiB resident, getTextSize alike): text sized
    from measurements must not bring a new scale every frame for days. On a ladder of
    sixteenths a screen's text uses a few hundred scales at most, each 3% from the next.
    """
    return max(FONT_SCALE_STEP, int(scale / FONT_SCALE_STEP) * FONT_SCALE_STEP)


def _fit_scale(text: str, font: int, height: float, width: float, weight: int) -> float:
    """The font scale at which ``text`` is ``height`` px tall, shrunk to fit ``width`` px."""
    import cv2

    (tw, th), _ = cv2.getTextSize(text, font, 1.0, weight)
    return font_scale(max(0.1, min(height / max(th, 1), width / max(tw, 1))))


def _halo_text(image: np.ndarray, text: str, origin: tuple[int, int], scale: float,
               colour: tuple[int, int, int], *, font: int | None = None) -> None:
    """Text with a dark outline that reads on any background; origin is the baseline left."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX if font is None else font
    scale = font_scale(scale)
    weight = max(2, round(scale * 2.2))
    # The halo is the text's own shape grown by a few pixels (a thicker stroke is not an
    # outline with every OpenCV's text renderer).
    radius = max(2, round(scale * 1.6))
    (tw, th), base = cv2.getTextSize(text, font, scale, weight)
    pad = radius + weight + 2
    x0, y0 = max(0, origin[0] - pad), max(0, origin[1] - th - pad)
    x1 = min(image.shape[1], origin[0] + tw + pad)
    y1 = min(image.shape[0], origin[1] + base + pad)
    if x1 > x0 and y1 > y0:
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.putText(mask, text, (origin[0] - x0, origin[1] - y0), font, scale, 255, weight,
                    cv2.LINE_AA)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        image[y0:y1, x0:x1][cv2.dilate(mask, kernel) > 0] = BLACK
    cv2.putText(image, text, origin, font, scale, colour, weight, cv2.LINE_AA)


def _centred(image: np.ndarray, text: str, y: int, height: float, colour: tuple[int, int, int],
             *, width: float | None = None, font: int | None = None) -> int:
    """``text`` centred on the baseline ``y``, ``height`` px tall; returns its left x."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX if font is None else font
    w = image.shape[1]
    scale = _fit_scale(text, font, height, width or 0.92 * w, max(2, round(height / 12)))
    weight = max(2, round(scale * 2.2))
    (tw, _), _ = cv2.getTextSize(text, font, scale, weight)
    x = (w - tw) // 2
    _halo_text(image, text, (x, y), scale, colour, font=font)
    return x


def _darken(region: np.ndarray, keep: float) -> None:
    region[:] = (region.astype(np.float32) * keep).astype(np.uint8)


def _fit_frame(frame: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float, int, int]:
    """``frame`` scaled to fit ``size`` (width, height) on black: (view, scale, x0, y0)."""
    import cv2

    width, height = size
    fh, fw = frame.shape[:2]
    scale = min(width / fw, height / fh)
    nw, nh = max(1, round(fw * scale)), max(1, round(fh * scale))
    view = np.zeros((height, width, 3), np.uint8)
    x0, y0 = (width - nw) // 2, (height - nh) // 2
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    view[y0:y0 + nh, x0:x0 + nw] = cv2.resize(frame, (nw, nh), interpolation=interpolation)
    return view, scale, x0, y0


def _labels(view: np.ndarray, detections: Sequence[Detection], scale: float, x0: int, y0: int,
            min_confidence: float) -> None:
    """Boxes and numbers in screen pixels: numbers at least an 18th of the screen tall."""
    import cv2

    screen_h = view.shape[0]
    line = max(2, screen_h // 300)
    smallest = screen_h / 18  # ~3 cm on a 40" screen: legible from three metres
    for d in detections:
        unsure = d.confidence < min_confidence
        x, y = round(x0 + d.x * scale), round(y0 + d.y * scale)
        w, h = max(1, round(d.w * scale)), max(1, round(d.h * scale))
        colour = ORANGE if unsure else GREEN
        cv2.rectangle(view, (x - 1, y - 1), (x + w, y + h), BLACK, line + 2, cv2.LINE_AA)
        cv2.rectangle(view, (x - 1, y - 1), (x + w, y + h), colour, line, cv2.LINE_AA)
        label = "?" if unsure else str(d.digit)
        size = max(smallest, 0.8 * h)
        font_scale = size / 22.0
        above = y - line - 4
        baseline = above if above - size >= 0 else y + h + round(size) + line + 4
        _halo_text(view, label, (x, baseline), font_scale, ORANGE if unsure else YELLOW)


def _banner(view: np.ndarray, text: str) -> None:
    """The text read, in white on a dark band along the bottom, a ninth of the screen tall."""
    h, w = view.shape[:2]
    band = max(40, h // 9)
    _darken(view[h - band:], 0.25)
    shown = text if len(text) <= 48 else text[:45] + "..."
    _centred(view, shown, h - band // 4, 0.58 * band, WHITE)


def _title(view: np.ndarray, title: str) -> int:
    """The event's title on a dark band along the top; returns the band's height."""
    h = view.shape[0]
    band = max(30, h // 13)
    _darken(view[:band], 0.3)
    _centred(view, title, band - band // 4, 0.55 * band, WHITE)
    return band


def _example(view: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    """A drawn example: a card with two handwritten digits, boxed and read as the app does."""
    import cv2

    cv2.rectangle(view, (x, y), (x + w, y + h), (235, 240, 240), -1, cv2.LINE_AA)
    cv2.rectangle(view, (x, y), (x + w, y + h), (150, 150, 150), 2, cv2.LINE_AA)
    digit_h = 0.45 * h
    script = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    scale = font_scale(digit_h / 22.0)
    weight = max(3, round(scale * 3))
    for k, digit in enumerate("27"):
        (tw, th), _ = cv2.getTextSize(digit, script, scale, weight)
        cx = x + w * (1 + 2 * k) // 4
        base = y + round(0.8 * h)
        left = cx - tw // 2
        cv2.putText(view, digit, (left, base), script, scale, INK, weight, cv2.LINE_AA)
        pad = max(4, th // 8)
        top = base - th - pad
        cv2.rectangle(view, (left - pad, top), (left + tw + pad, base + pad), GREEN,
                      max(2, h // 60), cv2.LINE_AA)
        _halo_text(view, digit, (left, top - pad), 0.8 * digit_h / 22.0, YELLOW)


def _attract(view: np.ndarray, top: int) -> None:
    """What to do, in big type, over the darkened picture, with a drawn example."""
    h, w = view.shape[:2]
    _darken(view[top:], 0.35)
    free = h - top
    line = free / 11
    _centred(view, "Write a number on paper", round(top + 2.0 * line), 1.1 * line, WHITE)
    _centred(view, "and hold it up to the camera", round(top + 3.6 * line), 1.1 * line,
             WHITE)
    card_h = round(4.6 * line)
    card_w = round(card_h * 1.5)
    _example(view, (w - card_w) // 2, round(top + 5.0 * line), card_w, card_h)
    _centred(view, "every digit gets a box and its number", round(top + 10.6 * line),
             0.55 * line, (210, 210, 210))


def _reconnecting(view: np.ndarray, status: str, seconds: float, top: int) -> None:
    """The picture dimmed, with a large note that the camera is being reconnected."""
    import cv2

    h, w = view.shape[:2]
    _darken(view[top:], 0.25)
    mid = top + (h - top) // 2
    band = max(60, h // 5)
    cv2.rectangle(view, (0, mid - band // 2), (w, mid + band // 2), (20, 20, 150), -1)
    _centred(view, ascii_only(status), mid + band // 8, 0.42 * band, WHITE)
    _centred(view, f"please wait ({seconds:.0f} s)", mid + band // 2 + band // 3,
             0.25 * band, (220, 220, 220))


def ascii_only(text: str) -> str:
    """Hershey fonts draw ASCII only."""
    return text.replace("\u2014", "-").encode("ascii", "replace").decode()


@dataclass
class KioskState:
    """What the kiosk picture shows besides the frame."""

    title: str = ""
    attract: bool = False  # no sheet seen for a while
    status: str = "ok"  # the source's status: anything but "ok" is a lost camera
    lost_seconds: float = 0.0


def kiosk_view(frame: np.ndarray, detections: Sequence[Detection], text: str,
               size: tuple[int, int], state: KioskState, *,
               min_confidence: float = 0.6) -> np.ndarray:
    """The kiosk picture at the screen's own ``size`` (width, height).

    frame : (H, W, 3) uint8 BGR, shown scaled to fit, centred on black
    detections : boxes in ``frame``'s pixels
    text : the text read, lines separated by newlines

    Returns (height, width, 3) uint8 BGR.
    """
    view, scale, x0, y0 = _fit_frame(frame, size)
    lost = state.status != "ok"
    top = _title(view, ascii_only(state.title)) if state.title else 0
    if not lost and not state.attract:  # over the title's band: the numbers matter more
        _labels(view, detections, scale, x0, y0, min_confidence)
    if lost:
        _reconnecting(view, state.status, state.lost_seconds, top)
    elif state.attract:
        _attract(view, top)
    else:
        banner = " / ".join(line for line in text.splitlines() if line)
        if banner:
            _banner(view, banner)
    return view
