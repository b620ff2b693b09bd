"""The scene before the camera: a written sheet laid on a desk, in perspective.

``compose`` draws the sheet flat on its own canvas (paper, rules, handwriting,
clutter, ink colours, a shadow across it), maps it into the frame by a
homography onto a desk texture with the sheet's soft shadow, and maps the truth
boxes with it: ``(x, y, w, h)`` boxes' bounding boxes in frame pixels.
``hand_held_world`` is the larger world a hand-held camera wanders over.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from livedigits.synthetic.clutter import (
    CLUTTER,
    add_form,
    add_letters,
    add_sudoku,
    add_table,
    add_text,
    draw_pen,
    pen_polygon,
)
from livedigits.synthetic.sheet import Sheet, add_numbers, paper_rules
from livedigits.synthetic.synth import RULE, heldout_cells, warp_boxes


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
             paper: str = "plain", size_spread: float = 0.0,
             small_zeros: float = 0.0) -> World:
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

    sheet = Sheet(hand=np.zeros((ch, cw), np.float32), printed=np.zeros((ch, cw), np.uint8),
                   occupied=np.zeros((ch, cw), np.uint8), valid=valid, stroke=stroke,
                   digit_height=digit_height, cells=source_cells, labels=source_labels,
                   order=rng.permutation(len(source_cells)), boxes=[], digits=[],
                   size_spread=float(size_spread), small_zeros=float(small_zeros))
    rules = paper_rules(sheet, rng, paper, (ox, oy)) if paper != "plain" else None
    pen = None
    if "pen" in clutter:
        pen = pen_polygon(rng, (cw, ch))
        reserve = np.zeros_like(sheet.occupied)
        cv2.fillConvexPoly(reserve, np.round(pen[0]).astype(np.int32), 1)
        sheet.occupied |= cv2.dilate(reserve, np.ones((3, 3), np.uint8),
                                     iterations=max(1, int(pen[1] / 2)))
    for kind, add in (("sudoku", add_sudoku), ("table", add_table), ("form", add_form),
                      ("text", add_text)):
        if kind in clutter:
            add(sheet, rng)
    add_numbers(sheet, rng, n_digits)
    if "letters" in clutter:
        add_letters(sheet, rng, max(3, n_digits // 3))

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
        draw_pen(scene, pen, to_frame)

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
