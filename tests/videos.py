"""Test videos: a sheet of held-out digits moving before a pretend webcam, with its truth.

The sheet is drawn by ``synth.render_page`` (digits.png's held-out digits, faint printed
text, uneven light); each frame moves it along a smooth path with a slight rotation and
tilt, blurs it, adds sensor noise, and the MJPG codec compresses it as JPEG, as cheap
webcams do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from livedigits.synthetic.synth import render_page

FOURCC = "MJPG"  # writes and reads back with this OpenCV build (checked in test_sources)


@dataclass
class Video:
    """A written video and, for each frame, the digits' boxes (N, 4) and labels (N,)."""

    path: Path
    boxes: list[np.ndarray]
    digits: np.ndarray
    fps: float


def _homography(t: float, sheet: tuple[int, int], frame: tuple[int, int],
                drift: float) -> np.ndarray:
    sw, sh = sheet
    fw, fh = frame
    cx = fw / 2 + drift * fw * np.sin(2 * np.pi * t / 3.0)
    cy = fh / 2 + 0.6 * drift * fh * np.cos(2 * np.pi * t / 4.0)
    angle = 0.03 * np.sin(2 * np.pi * t / 5.0)
    c, s = np.cos(angle), np.sin(angle)
    half = np.array([[-sw, -sh], [sw, -sh], [sw, sh], [-sw, sh]], np.float64) / 2
    placed = np.stack([c * half[:, 0] - s * half[:, 1] + cx,
                       s * half[:, 0] + c * half[:, 1] + cy], 1)
    placed[0, 1] += 0.01 * sh * np.sin(t)  # a little keystone that comes and goes
    placed[1, 1] -= 0.01 * sh * np.sin(t)
    src = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    return cv2.getPerspectiveTransform(src, placed.astype(np.float32))


def warp_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    x, y, w, h = boxes.astype(np.float64).T
    corners = np.stack([np.stack([x, y], 1), np.stack([x + w, y], 1),
                        np.stack([x + w, y + h], 1), np.stack([x, y + h], 1)], 1)
    mapped = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), matrix).reshape(-1, 4, 2)
    lo, hi = mapped.min(axis=1), mapped.max(axis=1)
    return np.round(np.concatenate([lo, hi - lo], 1)).astype(np.int32)


def moving_sheet_video(
    path: Path,
    *,
    frames: int = 30,
    width: int = 1280,
    height: int = 720,
    n_digits: int = 100,
    digit_height: int = 34,
    fps: float = 15.0,
    drift: float = 0.02,
    seed: int = 0,
    noise: float = 3.0,
    blur: float = 0.7,
    desk: bool = False,
    touch: tuple[float, float] | None = None,
) -> Video:
    """Write an MJPG video of a moving sheet; returns its per-frame truth.

    The sheet fills the picture (a close-up); with ``desk`` its edges show against a
    dark desk.
    """
    border = cv2.BORDER_CONSTANT if desk else cv2.BORDER_REPLICATE
    rng = np.random.default_rng(seed)
    sheet_w, sheet_h = int(width * 0.86), int(height * 0.86)
    page = render_page(rng, width=sheet_w, height=sheet_h, digit_height=digit_height,
                       n_digits=n_digits, perspective=0.0, uneven_light=0.25, blur=0.0,
                       noise=0.0, touch=touch)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*FOURCC), fps, (width, height))
    assert writer.isOpened(), f"cannot write {path}"
    truth = []
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    try:
        for i in range(frames):
            matrix = _homography(i / fps, (sheet_w, sheet_h), (width, height), drift)
            frame = cv2.warpPerspective(page.image, matrix, (width, height),
                                        flags=cv2.INTER_LINEAR, borderMode=border,
                                        borderValue=(70, 80, 90)).astype(np.float32)
            light = 1.0 - 0.18 * (xx / width) * (0.6 + 0.4 * np.sin(i / 7.0)) - 0.08 * yy / height
            frame *= light[:, :, None]
            if blur:
                frame = cv2.GaussianBlur(frame, (0, 0), blur)
            frame += rng.normal(0, noise, (height, width, 1)).astype(np.float32)
            writer.write(np.clip(frame, 0, 255).astype(np.uint8))
            truth.append(warp_boxes(page.boxes, matrix))
    finally:
        writer.release()
    return Video(Path(path), truth, page.digits, fps)


def flicker(tracks: list[dict[int, int]]) -> tuple[int, int]:
    """Label changes between consecutive frames of the same truth digit.

    ``tracks[f]`` maps a truth digit's index to the label shown for it in frame f.
    Returns (changes, comparisons).
    """
    changes = comparisons = 0
    for before, after in zip(tracks, tracks[1:], strict=False):
        for k, label in after.items():
            if k in before:
                comparisons += 1
                changes += int(before[k] != label)
    return changes, comparisons


def match_truth(boxes: np.ndarray, detections: list[dict]) -> dict[int, int]:
    """Truth index -> detected digit, a truth digit matching the box holding its centre."""
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    out: dict[int, int] = {}
    for d in detections:
        inside = np.flatnonzero((centres[:, 0] >= d["x"]) & (centres[:, 0] <= d["x"] + d["w"])
                                & (centres[:, 1] >= d["y"]) & (centres[:, 1] <= d["y"] + d["h"]))
        for k in inside:
            if int(k) not in out:
                out[int(k)] = int(d["digit"])
                break
    return out
