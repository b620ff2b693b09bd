"""Drawing the live window's picture: the HUD, key help, messages, kiosk labels, debug view.

``compose`` turns a ``Result`` and the HUD's state (``Hud``) into the (H, W, 3) uint8 BGR
picture shown; in kiosk mode the picture is ``livedigits.live.kiosk_picture.kiosk_view``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from livedigits.live.frames import FrameSource
from livedigits.live.kiosk_picture import KioskState, ascii_only, kiosk_view
from livedigits.live.pipeline import Result
from livedigits.live.session import LiveConfig
from livedigits.recognize.recognizer import Detection

KEY_HELP = ("s  save overlay, plain image, frame and JSON",
            "space  freeze / unfreeze",
            "f  fullscreen",
            "d  debug view (ink and 20x20 cells)",
            "h  this help",
            "q / Esc  quit")
MESSAGE_SECONDS = 4.0


def _panel(image: np.ndarray, lines: list[str], origin: tuple[int, int], *, scale: float,
           colour: tuple[int, int, int] = (255, 255, 255),
           background: tuple[int, int, int] = (0, 0, 0)) -> int:
    """Text lines on a darkened box, drawn in place; origin is the box's top-left.

    Returns the y just below the box.
    """
    import cv2

    if not lines:
        return origin[1]
    font = cv2.FONT_HERSHEY_SIMPLEX
    weight = max(1, round(scale * 2))
    sizes = [cv2.getTextSize(ascii_only(t), font, scale, weight)[0] for t in lines]
    line_h = max(s[1] for s in sizes) + int(12 * scale) + 4
    width = max(s[0] for s in sizes) + 16
    x0, y0 = origin
    x1 = min(image.shape[1], x0 + width)
    y1 = min(image.shape[0], y0 + line_h * len(lines) + 8)
    region = image[y0:y1, x0:x1]
    region[:] = (region * 0.35 + np.array(background, np.float32) * 0.65).astype(np.uint8)
    for k, text in enumerate(lines):
        cv2.putText(image, ascii_only(text), (x0 + 8, y0 + 4 + line_h * (k + 1) - int(6 * scale)),
                    font, scale, colour, weight, cv2.LINE_AA)
    return y1


def debug_view(result: Result) -> np.ndarray:
    """The binarised image with boxes, each digit's normalised 20x20 cell beside its box.

    Returns
    -------
    (H, W, 3) uint8 BGR at the frame's size
    """
    import cv2

    h, w = result.image.shape[:2]
    ink = result.ink
    if ink.shape[:2] != (h, w):
        ink = cv2.resize(ink, (w, h), interpolation=cv2.INTER_NEAREST)
    view = cv2.cvtColor(ink * 127, cv2.COLOR_GRAY2BGR)  # ink is a 0/1 mask
    for d, cell in zip(result.detections, result.tracked.cells, strict=True):
        cv2.rectangle(view, (d.x, d.y), (d.x + d.w - 1, d.y + d.h - 1), (0, 200, 0), 1)
        side = max(20, d.h)
        big = cv2.resize(cell, (side, side), interpolation=cv2.INTER_NEAREST)
        x0 = d.x + d.w + 2
        y0 = d.y
        x1, y1 = min(w, x0 + side), min(h, y0 + side)
        if x1 > x0 and y1 > y0:
            patch = cv2.cvtColor(big[:y1 - y0, :x1 - x0], cv2.COLOR_GRAY2BGR)
            patch[:, :, 0] = np.maximum(patch[:, :, 0], 60)  # blue tint: a cell, not ink
            view[y0:y1, x0:x1] = patch
        cv2.putText(view, str(d.digit), (d.x, max(12, d.y - 3)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5, (0, 200, 255), 1, cv2.LINE_AA)
    return view


@dataclass
class Hud:
    fps: float = 0.0
    ms: float = 0.0
    last_time: float = 0.0
    message: str = ""
    message_until: float = 0.0
    frozen: bool = False
    debug: bool = False
    help: bool = False
    fullscreen: bool = False
    save_problem: str | None = None  # shown for as long as the save folder cannot take files
    lost_since: float = 0.0  # when the source was lost (monotonic s), 0 while it works
    last_digits_time: float = field(default_factory=time.monotonic)

    def tick(self, ms: float) -> None:
        now = time.monotonic()
        if self.last_time:
            interval = now - self.last_time
            rate = 1.0 / max(interval, 1e-6)
            self.fps = rate if self.fps == 0 else 0.9 * self.fps + 0.1 * rate
        self.last_time = now
        self.ms = ms if self.ms == 0 else 0.9 * self.ms + 0.1 * ms

    def say(self, message: str) -> None:
        self.message = message
        self.message_until = time.monotonic() + MESSAGE_SECONDS


def compose(result: Result, hud: Hud, source: FrameSource, config: LiveConfig,
            min_confidence: float, size: tuple[int, int] | None = None) -> np.ndarray:
    """The picture shown: frame (or debug view) with labels, HUD, banner and messages.

    In kiosk mode (debug view off) the picture is
    ``livedigits.live.kiosk_picture.kiosk_view`` at ``size`` (width, height: the screen's;
    the frame's own when None).
    """
    import cv2

    from livedigits.render import overlay

    detections = result.detections
    w = result.image.shape[1]
    if config.mirror:
        detections = [Detection(w - d.x - d.w, d.y, d.w, d.h, d.digit, d.confidence)
                      for d in detections]
    if config.kiosk and not hud.debug:
        return _kiosk_picture(result, detections, hud, source, config, min_confidence, size)
    if hud.debug:
        view = debug_view(result)
        if config.mirror:
            view = cv2.flip(view, 1)
    else:
        frame = cv2.flip(result.image, 1) if config.mirror else result.image
        view = overlay(frame, detections, min_confidence=min_confidence)
    scale = max(0.45, view.shape[0] / 1100)
    status = f"{hud.fps:4.1f} fps  {hud.ms:5.1f} ms  {len(detections)} digits"
    if hud.frozen:
        status += "  FROZEN (space)"
    below_hud = _panel(view, [status, f"{source.name}: {source.mode}"[:90], "h: keys"],
                       (8, 8), scale=scale) + 6
    banner = " / ".join(line for line in result.text.splitlines() if line)
    if banner:
        big = scale * 1.2
        text = banner if len(banner) <= 60 else banner[:57] + "..."
        _panel(view, [text], (0, view.shape[0] - int(60 * big) - 8), scale=big,
               colour=(255, 255, 0))
    now = time.monotonic()
    if hud.help:
        _panel(view, list(KEY_HELP), (view.shape[1] // 2 - int(260 * scale),
                                      view.shape[0] // 4), scale=scale * 1.2)
    if source.status != "ok":
        _panel(view, [source.status], (view.shape[1] // 6, view.shape[0] // 2), scale=scale * 2,
               colour=(0, 0, 255), background=(255, 255, 255))
    _notes(view, hud, now, (8, below_hud), scale)
    return view


def _notes(view: np.ndarray, hud: Hud, now: float, origin: tuple[int, int],
           scale: float) -> None:
    notes = [hud.message] if hud.message and now < hud.message_until else []
    if hud.save_problem and hud.save_problem not in notes:
        notes.append(hud.save_problem)
    if notes:
        _panel(view, notes, origin, scale=scale, colour=(0, 255, 255))


def _kiosk_picture(result: Result, detections: list[Detection], hud: Hud,
                   source: FrameSource, config: LiveConfig, min_confidence: float,
                   size: tuple[int, int] | None) -> np.ndarray:
    """Kiosk mode's picture: livedigits.live.kiosk_picture's full-screen view, plus help and
    notes."""
    import cv2

    frame = cv2.flip(result.image, 1) if config.mirror else result.image
    if size is None:
        size = (frame.shape[1], frame.shape[0])
    now = time.monotonic()
    state = KioskState(title=config.event_title, attract=attract_due(hud, config, now),
                       status=source.status,
                       lost_seconds=now - hud.lost_since if hud.lost_since else 0.0)
    view = kiosk_view(frame, detections, result.text, size, state,
                      min_confidence=min_confidence)
    scale = max(0.45, view.shape[0] / 1100)
    if hud.help:
        _panel(view, list(KEY_HELP), (view.shape[1] // 2 - int(260 * scale),
                                      view.shape[0] // 4), scale=scale * 1.2)
    _notes(view, hud, now, (8, 8 + view.shape[0] // 12 if config.event_title else 8), scale)
    return view


def attract_due(hud: Hud, config: LiveConfig, now: float) -> bool:
    """Kiosk mode: no digits seen for ``config.attract_after`` seconds."""
    return config.kiosk and now - hud.last_digits_time > config.attract_after
