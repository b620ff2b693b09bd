"""Where the writing surface is: the sheet (or board) in a frame, its polarity and its light.

A webcam frame or a phone photo of a sheet nearly always shows the desk around
it. Everything downstream measures ink against paper, so the desk, the page's
edge and anything joined to the frame's border must be left out of every
statistic and every candidate. This module finds them at a small analysis size
(the image's longer side ``ANALYSIS_SIDE`` px), by geometry and connectivity:

1. *Polarity*: thin structures darker than their surround (pen on paper) or
   lighter (chalk on a board, a white pen on black card) -- whichever gives the
   larger black-hat or top-hat response. Light writing is inverted, so the rest
   of the pipeline always sees dark ink on a light surface.
2. *Light*: the paper's bright envelope (a max filter wider than strokes), and a
   smooth quadratic model of the paper's illumination fitted to it robustly
   (light falls off across a frame by half and more).
3. *Paper*: pixels whose envelope is within ``PAPER_SHARE`` of the modelled
   paper light, closed over the strokes; dark regions enclosed by paper are
   writing (a fat marker's junctions, a filled loop) and count as paper; dark
   regions joined to the frame's border are desk. A band of
   ``EDGE_BAND`` analysis pixels along the paper's boundary is left out too: the
   paper model is invalid next to the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

ANALYSIS_SIDE = 160  # the paper estimate is made on an image this large
POLARITY_SIDE = 320  # polarity is judged at this size (thin strokes still show)
ENVELOPE = 7  # max filter over strokes at ANALYSIS_SIDE, px
PAPER_SHARE = 0.72  # an envelope this much of the modelled paper light is paper
SHADOW_SHARE = 0.45  # darker envelope than this share of the light is ink, not shadow
LIGHT_WRITING = 0.42  # mean place between local dark and bright under which writing is light
CONTRAST = 16  # gray levels of local contrast that show writing or edges
EDGE_BAND = 1  # analysis px along the paper's boundary left out
_SQUARE = np.ones((3, 3), np.uint8)


@dataclass
class Sheet:
    """The writing surface of one (H, W) gray image.

    Attributes
    ----------
    gray : (H, W) uint8, the image with light writing inverted (ink always darker)
    paper : (H, W) uint8 >= 16, the paper's brightness estimate under every pixel
    valid : (h, w) bool at analysis size, paper away from its edge; None when the
        paper fills the whole frame (no desk in view)
    inverted : bool, the writing was lighter than its surface
    levels : (noise, writing, faint writing) darkness of 255 the segmenter measured on
        the frame the sheet was looked for on (the paper's median and
        ``ink.writing_level``'s two), carried on with the sheet; None until measured
    """

    gray: np.ndarray
    paper: np.ndarray
    valid: np.ndarray | None
    inverted: bool
    light: np.ndarray | None = None  # (h, w) uint8 at analysis size, ``paper`` before resizing
    levels: tuple[float, float, float] | None = None

    def valid_mask(self) -> np.ndarray | None:
        """(H, W) uint8 0/255 of ``valid`` at the image's size, or None when all is valid."""
        if self.valid is None:
            return None
        h, w = self.gray.shape
        # Linear, then halved: the boundary follows the page's edge, not the analysis grid.
        big = cv2.resize(self.valid.astype(np.uint8) * 255, (w, h), interpolation=cv2.INTER_LINEAR)
        return cv2.threshold(big, 127, 255, cv2.THRESH_BINARY)[1]


def _resize_side(gray: np.ndarray, side: int) -> np.ndarray:
    h, w = gray.shape
    factor = side / max(h, w)
    if factor >= 1:
        return gray
    return cv2.resize(gray, (max(1, round(w * factor)), max(1, round(h * factor))),
                      interpolation=cv2.INTER_AREA)


def light_writing(gray: np.ndarray) -> bool:
    """Whether the writing on (H, W) uint8 ``gray`` is lighter than its surface.

    Wherever the picture has local contrast (a window about 3% of the side, wider
    than strokes), each pixel's place between the window's darkest and brightest
    value is taken: writing covers a small share of the surface it is on, so
    around dark ink most pixels sit near the bright end, around chalk near the
    dark end. A page's edge or a desk's grain puts as many pixels at either end.
    """
    return _light_writing_at(_resize_side(gray, POLARITY_SIDE))


def _light_writing_at(small: np.ndarray) -> bool:
    """``light_writing`` of the picture already at POLARITY_SIDE (or smaller)."""
    size = max(5, round(max(small.shape) / 36)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    high = cv2.dilate(small, kernel).astype(np.float32)
    low = cv2.erode(small, kernel).astype(np.float32)
    span = high - low
    busy = span > CONTRAST
    if busy.sum() < 0.002 * small.size:
        return False
    place = (small.astype(np.float32)[busy] - low[busy]) / span[busy]
    return float(place.mean()) < LIGHT_WRITING


@lru_cache(maxsize=8)
def _quadratic_terms(h: int, w: int) -> np.ndarray:
    """(h*w, 6) float64 design matrix of 1, x, y, x^2, xy, y^2 over an h x w grid (unit
    square); frames of one size share it (read only)."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    xs = xs.ravel() / max(w - 1, 1) - 0.5
    ys = ys.ravel() / max(h - 1, 1) - 0.5
    terms = np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], axis=1)
    terms.flags.writeable = False
    return terms


FIT_SIDE = 40  # the light's model is fitted on the envelope at this size


def _paper_light(envelope: np.ndarray) -> np.ndarray:
    """A smooth (h, w) float64 model of the paper's light from its bright envelope (h, w).

    A quadratic surface fitted (on a FIT_SIDE copy) to the envelope's bright part,
    refitted twice on the pixels near it: the desk and dark objects are outliers.
    """
    h, w = envelope.shape
    coarse = _resize_side(envelope, FIT_SIDE)
    terms = _quadratic_terms(*coarse.shape)
    values = coarse.ravel().astype(np.float64)
    bright = float(np.percentile(values, 90))
    use = values >= 0.6 * bright
    coef = np.zeros(6)
    coef[0] = bright
    for _ in range(3):
        if use.sum() < 12:
            break
        picked = terms[use]
        coef = np.linalg.solve(picked.T @ picked + 1e-6 * np.eye(6), picked.T @ values[use])
        model = terms @ coef
        use = (values >= 0.85 * model) & (values <= 1.15 * model)
    model = (_quadratic_terms(h, w) @ coef).reshape(h, w)
    # Never brighter than the paper shows anywhere (a quadratic can overshoot a corner).
    return np.clip(model, 0.5 * bright, float(envelope.max()))


def _fill_enclosed(paper: np.ndarray) -> np.ndarray:
    """(h, w) bool ``paper`` with every non-paper region that does not reach the border filled."""
    other = (~paper).view(np.uint8)
    count, labels = cv2.connectedComponents(other, connectivity=4)
    if count <= 1:
        return paper
    border = np.zeros(count, bool)
    border[labels[0]] = border[labels[-1]] = True
    border[labels[:, 0]] = border[labels[:, -1]] = True
    border[0] = True  # label 0 is paper itself
    return ~border[labels] | paper


def find_sheet(gray: np.ndarray) -> Sheet:
    """The writing surface of a (H, W) uint8 gray image; see the module's docstring."""
    look = _resize_side(gray, POLARITY_SIDE)
    inverted = _light_writing_at(look)
    if inverted:
        gray = cv2.bitwise_not(gray)
        look = cv2.bitwise_not(look)
    h, w = gray.shape
    # From the polarity picture: one pass over the full image's pixels, not two.
    small = _resize_side(look, ANALYSIS_SIDE)
    if small is gray:
        small = gray.copy()
    box = cv2.getStructuringElement(cv2.MORPH_RECT, (ENVELOPE, ENVELOPE))
    envelope = cv2.dilate(small, box)
    light = _paper_light(envelope)
    paper = small >= PAPER_SHARE * light
    # Close the paper over strokes darker than it (closing keeps the desk's edge in place).
    # Padded by replication: a strip of desk along the frame's border stays desk.
    pad = ENVELOPE
    closed = cv2.morphologyEx(
        cv2.copyMakeBorder(paper.view(np.uint8), pad, pad, pad, pad, cv2.BORDER_REPLICATE),
        cv2.MORPH_CLOSE, box)
    paper = _fill_enclosed(closed[pad:-pad, pad:-pad].astype(bool))
    valid = None
    if not paper.all():
        inner = cv2.erode(paper.view(np.uint8), _SQUARE, iterations=EDGE_BAND,
                          borderType=cv2.BORDER_CONSTANT, borderValue=1)
        valid = inner.astype(bool)
    # Brightness under the writing: the envelope (it follows shadows), except where the
    # envelope is far darker than paper -- a fat stroke wider than the filter, the desk --
    # where the modelled light stands in.
    estimate = np.where(envelope >= SHADOW_SHARE * light, envelope, light)
    # Floor at 16 before upscaling: interpolating values >= 16 stays >= 16.
    estimate = np.maximum(cv2.blur(np.clip(estimate, 0, 255).astype(np.uint8), (9, 9)), 16)
    return Sheet(gray, cv2.resize(estimate, (w, h), interpolation=cv2.INTER_LINEAR), valid,
                 inverted, estimate)


def moved_sheet(previous: Sheet, gray: np.ndarray, matrix: np.ndarray) -> Sheet | None:
    """``previous``'s sheet carried onto the next frame, (H, W) uint8 ``gray``, by the
    (2, 3) map ``matrix`` of the sheet's motion in frame pixels: its paper light and
    valid region warped at analysis size, its polarity and ink levels kept (the live loop
    looks for the sheet afresh only every few frames). None when ``previous`` is of
    another size."""
    h, w = gray.shape
    if previous.light is None or previous.gray.shape != gray.shape:
        return None
    small_h, small_w = previous.light.shape
    factor = np.array([[small_w / w, 0.0], [0.0, small_h / h]])
    # The same motion in analysis pixels: scale down, move, scale up.
    linear = factor @ matrix[:, :2] @ np.linalg.inv(factor)
    shift = factor @ matrix[:, 2]
    small = np.hstack([linear, shift[:, None]])
    light = cv2.warpAffine(previous.light, small, (small_w, small_h), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
    valid = None
    if previous.valid is not None:
        moved = cv2.warpAffine(previous.valid.view(np.uint8), small, (small_w, small_h),
                               flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
        # One analysis pixel more of the page's edge left out: the motion is a prediction.
        valid = cv2.erode(moved, _SQUARE, borderType=cv2.BORDER_CONSTANT,
                          borderValue=1).astype(bool)
    if previous.inverted:
        gray = cv2.bitwise_not(gray)
    return Sheet(gray, cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR), valid,
                 previous.inverted, light, previous.levels)
