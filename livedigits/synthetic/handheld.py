"""A camera held by hand over a sheet on a desk, frame by frame: the demo's footage.

Every frame is a function of its index alone (so that any frame's truth can be
asked for at any time, and an endless demo keeps no history): the camera sways on
a slow drift, a quicker swing and a tremor, a sum of sines whose speed is capped
at ``max_step`` px a frame; it turns by up to ``max_rotation_deg`` and zooms by up
to ``scale_change`` in all; the optics' blur is drawn afresh each frame, moves
smear the picture along them, the light's brightest spot drifts, and each frame
gets sensor noise and JPEG compression at a quality drawn per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shot:
    """How one frame is taken.

    matrix : (3, 3) float64 homography from world pixels to frame pixels
    motion : (dx, dy) px the view moved since the frame before (motion blur)
    blur : float, the optics' Gaussian sigma, px
    light_centre : (x, y) frame px of the light's brightest spot
    jpeg_quality : int, the compression's quality (0-100)
    """

    matrix: np.ndarray
    motion: tuple[float, float]
    blur: float
    light_centre: tuple[float, float]
    jpeg_quality: int


# Periods of the sway's three parts (s) and their shares of its reach.
SWAY_PERIODS = ((4.0, 8.0), (1.0, 2.0), (0.2, 0.4))
SWAY_SHARES = (0.65, 0.3, 0.05)


class HandHeldPath:
    """The shots of a hand-held camera over a world, by frame index.

    Parameters
    ----------
    rng : draws the path's frequencies and phases, and ``seed`` for the per-frame draws
    world_size, frame_size : (width, height) px
    fps : frames a second (the path's periods are in seconds)
    max_step : px a frame the view may move at most
    max_rotation_deg, scale_change : the turn's amplitude and the zoom's whole range
    blur : (low, high) sigma range, px, drawn per frame
    jpeg_quality : (low, high) range drawn per frame
    reach : share of the frame's size the view wanders from the world's middle
    """

    def __init__(self, rng: np.random.Generator, world_size: tuple[int, int],
                 frame_size: tuple[int, int], *, fps: float = 30.0, max_step: float = 8.0,
                 max_rotation_deg: float = 6.0, scale_change: float = 0.08,
                 blur: tuple[float, float] = (0.6, 1.1),
                 jpeg_quality: tuple[int, int] = (60, 70), reach: float = 0.06) -> None:
        self.world_size, self.frame_size = world_size, frame_size
        self.max_rotation = np.deg2rad(max_rotation_deg)
        self.scale_change = scale_change
        self.blur, self.jpeg_quality = blur, jpeg_quality
        self.seed = int(rng.integers(2**31))
        # (part, axis) angular speeds (rad a frame), phases and amplitudes (px)
        periods = np.array([[rng.uniform(*p) for _ in range(2)] for p in SWAY_PERIODS]) * fps
        self._omega = 2 * np.pi / periods
        self._phase = rng.uniform(0, 2 * np.pi, self._omega.shape)
        amplitude = np.array(SWAY_SHARES)[:, None] * reach * np.array(frame_size, np.float64)
        # The fastest the sum can move along an axis is sum(A * omega): capped per axis.
        fastest = (amplitude * self._omega).sum(axis=0)
        amplitude *= np.minimum(1.0, max_step / np.sqrt(2) / fastest)[None, :]
        self._amplitude = amplitude
        self._turn = (rng.uniform(3.0, 6.0) * fps, rng.uniform(0, 2 * np.pi))
        self._zoom = (rng.uniform(2.5, 5.0) * fps, rng.uniform(0, 2 * np.pi))
        self._light = (rng.uniform(0, 2 * np.pi), rng.uniform(15, 30) * fps / 15)

    def offset(self, index: float) -> np.ndarray:
        """(2,) px: where the view's centre is from the world's middle at ``index``."""
        return (self._amplitude * np.sin(self._omega * index + self._phase)).sum(axis=0)

    def shot(self, index: int) -> Shot:
        """The shot of frame ``index`` (>= 0)."""
        world_w, world_h = self.world_size
        width, height = self.frame_size
        pos = self.offset(index)
        motion = pos - self.offset(index - 1)
        angle = self.max_rotation * np.sin(2 * np.pi * index / self._turn[0] + self._turn[1])
        scale = 1 + self.scale_change / 2 * np.sin(2 * np.pi * index / self._zoom[0]
                                                   + self._zoom[1])
        c, s = np.cos(angle) * scale, np.sin(angle) * scale
        cx, cy = world_w / 2 + pos[0], world_h / 2 + pos[1]
        # world -> frame: centre on (cx, cy), turn and zoom, then to the frame's middle
        matrix = np.array([[c, s, width / 2 - c * cx - s * cy],
                           [-s, c, height / 2 + s * cx - c * cy],
                           [0.0, 0.0, 1.0]])
        phase, slow = self._light
        centre = (width * (0.5 + 0.6 * np.sin(index / slow + phase)),
                  height * (0.3 + 0.5 * np.cos(index / (1.35 * slow) + phase)))
        draws = np.random.default_rng([self.seed, index])
        return Shot(matrix, (float(motion[0]), float(motion[1])),
                    float(draws.uniform(*self.blur)), centre,
                    int(draws.integers(self.jpeg_quality[0], self.jpeg_quality[1] + 1)))
