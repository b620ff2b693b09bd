"""Synthetic "in the wild" pictures: a handwritten sheet photographed on a desk.

``synth.render_page`` draws a clean page filling the frame; real photos and webcam
footage show much more, and this module renders it: ``render_scene`` lays a sheet
on a desk (``world.compose``) and shoots it (``camera.camera``); ``random_scene``
draws every condition at random; ``render_video`` films a hand-held camera
wandering over a sheet into an MJPG file.

The paper may be plain, ruled or squared, and the camera's exposure dim or clipping.

The digits are digits.png's held-out cells redrawn along their centre lines with
a round pen, so the truth (box and label of every handwritten digit, and nothing
else) is known. Printed digits and letters are never in the truth.

Coordinates: truth boxes are ``(x, y, w, h)`` in frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from livedigits.synthetic.camera import camera, light_field, wholly_inside
from livedigits.synthetic.clutter import CLUTTER
from livedigits.synthetic.synth import Page, warp_boxes
from livedigits.synthetic.world import compose, hand_held_world

__all__ = ["Scene", "random_scene", "render_scene", "render_video"]


@dataclass
class Scene(Page):
    """A ``Page`` that also knows where the sheet lies: ``sheet`` (4, 2) float32, its
    corners in frame pixels (top-left, top-right, bottom-right, bottom-left of the
    paper; they may lie outside the frame)."""

    sheet: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))


def render_scene(
    rng: np.random.Generator,
    *,
    width: int = 1280, height: int = 720,  # px, of the picture the camera takes
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
    size_spread: float = 0.0,
    small_zeros: float = 0.0,
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
    size_spread : how much the writer's digits differ in height within the sheet: each
        is ``digit_height`` times a log-normal factor of this sigma (kept to 0.35-2.5),
        standing on its line; 0 for the usual 0.88-1.1. At 0.4 nine in ten are within
        0.5-1.9 times the height.
    small_zeros : the share of the 0s after a number's first digit that are written a
        third to a half as tall as the digits, standing on the line ("100", "20").

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
                     shadow=shadow, desk_kind=desk_kind, blue=blue, paper=paper,
                     size_spread=size_spread, small_zeros=small_zeros)
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
    smears: list[tuple[float, float]] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Write a hand-held MJPG video of a sheet on a desk; returns its per-frame truth.

    The camera wanders (up to ``max_step`` px a frame, turning up to
    ``max_rotation_deg`` and zooming by up to ``scale_change`` in all), the optics'
    blur varies from frame to frame within ``blur`` (sigma range, px) with motion
    blur along fast moves, the light's brightest spot drifts, and each frame is
    noised and JPEG-compressed by the MJPG codec (``jpeg_quality`` is its target).
    ``desk`` is the share of the first frame the desk covers. A ``smears`` list
    gets each frame's motion smear appended, (dx, dy) in frame pixels.

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
            if smears is not None:
                smears.append((float(vel[0]), float(vel[1])))
            boxes = warp_boxes(world.boxes, matrix) if len(world.boxes) else world.boxes
            keep = wholly_inside(boxes, width, height)
            truth.append((np.round(boxes[keep]).astype(np.int32).reshape(-1, 4),
                          world.digits[keep]))
    finally:
        writer.release()
    return truth
