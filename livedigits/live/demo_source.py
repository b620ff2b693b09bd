"""The demo source: a rendered sheet of handwritten digits on a desk, filmed by hand."""

from __future__ import annotations

import time

import numpy as np

from livedigits.live.frames import Frame, FrameSource
from livedigits.synthetic.handheld import HandHeldPath


class DemoSource(FrameSource):
    """A sheet of handwritten digits (digits.png's held-out ones) on a desk, filmed by hand.

    The desk, the sheet and its pen-written digits are rendered once at start
    (``world.compose``); each frame is shot as a hand-held webcam shoots
    (``handheld.HandHeldPath``): swaying by up to 8 px a frame, turning by up to 6
    degrees, zooming by 8%, blur drawn per frame, moves smeared, the light falling
    off by 45% towards a drifting spot, sensor noise, JPEG at quality 60-70.
    ``truth(frame)`` gives the boxes and digits wholly in view, for scoring.
    """

    DESK = 0.3  # share of the view the desk covers
    FALLOFF = 0.45  # the light's fall-off across the view
    NOISE = 3.0  # sensor noise, gray levels

    def __init__(self, *, width: int = 1280, height: int = 720, n_digits: int = 60,
                 frames: int | None = None, seed: int = 0, paced: bool = False,
                 fps: float = 30.0, cells: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        super().__init__()
        from livedigits.synthetic.world import hand_held_world

        self.name = "demo"
        self.width, self.height = width, height
        self.frames = frames
        self.paced = paced
        self.fps = fps
        rng = np.random.default_rng(seed)
        world = hand_held_world(rng, width, height, digit_height=max(24, height // 20),
                                n_digits=n_digits, stroke=None, ink_level=None,
                                desk=self.DESK, cells=cells)
        self._world = np.clip(world.image, 0, 255).astype(np.uint8)
        self.boxes, self.digits = world.boxes, world.digits
        world_h, world_w = world.image.shape[:2]
        self.path = HandHeldPath(rng, (world_w, world_h), (width, height), fps=fps)
        self._seed = seed
        # Sensor noise as (added, taken) uint8 pairs, a few reused in turn: frames are
        # made in uint8 throughout (about 15 ms a 720p frame; in float, 60 ms).
        self._noise = []
        for _ in range(4):
            grain = rng.normal(0, self.NOISE, (height, width, 3))
            self._noise.append((np.clip(grain, 0, 255).astype(np.uint8),
                                np.clip(-grain, 0, 255).astype(np.uint8)))
        self._index = 0
        self._next_time = time.monotonic()
        self.mode = f"{width}x{height} @ {fps:.0f} fps (rendered)"

    def homography(self, index: int) -> np.ndarray:
        """(3, 3) float64 map from world pixels to frame pixels at frame ``index``."""
        return self.path.shot(index).matrix

    def render(self, index: int) -> np.ndarray:
        """Frame ``index``: (height, width, 3) uint8 BGR."""
        import cv2

        from livedigits.synthetic.camera import light_field, motion_kernel

        shot = self.path.shot(index)
        size = (self.width, self.height)
        view = cv2.warpPerspective(self._world, shot.matrix, size, flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT)
        light = light_field(None, self.width, self.height, self.FALLOFF, shot.light_centre)
        lit = np.empty_like(view)
        cv2.multiply(view, cv2.merge([np.rint(255 * light).astype(np.uint8)] * 3), lit,
                     scale=1 / 255)
        kernel = motion_kernel(shot.motion)
        if kernel is not None:  # smeared along the move
            lit = cv2.filter2D(lit, -1, kernel)
        lit = cv2.GaussianBlur(lit, (0, 0), shot.blur)
        added, taken = self._noise[index % len(self._noise)]
        cv2.subtract(cv2.add(lit, added), taken, lit)
        _, data = cv2.imencode(".jpg", lit, [cv2.IMWRITE_JPEG_QUALITY, shot.jpeg_quality])
        return cv2.imdecode(data, cv2.IMREAD_COLOR)

    def truth(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (N, 4) int32 in frame ``index``'s pixels and digits (N,) int32 of the
        digits wholly in view."""
        from livedigits.synthetic.camera import wholly_inside
        from livedigits.synthetic.synth import warp_boxes

        boxes = warp_boxes(self.boxes.astype(np.float32), self.homography(index))
        keep = wholly_inside(boxes, self.width, self.height)
        return np.round(boxes[keep]).astype(np.int32).reshape(-1, 4), self.digits[keep]

    def read(self, timeout: float | None = None) -> Frame | None:
        if self.frames is not None and self._index >= self.frames:
            self.finished = True
            return None
        if self.paced:
            delay = self._next_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_time = max(self._next_time + 1.0 / self.fps, time.monotonic() - 0.5)
        frame = Frame(self._index, self.render(self._index))
        self._index += 1
        return frame
