"""The machine's TrueType faces, to set a synthetic scene's print in.

Print on real sheets is set in TrueType faces, not in OpenCV's built-in ones, which are
the only faces the not-a-digit examples are drawn in: ``synthetic.clutter.truetype_print``
sets the scenes' print in these too (``benchmarks/wild.py --truetype-print``), so that a
benchmark can measure print in faces the model never saw. They are drawn through
OpenCV 5's ``cv2.FontFace`` from the DejaVu files a Debian machine has
(``SCENE_FILES``); without the files there are none.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

#: Where the machine's TrueType files are looked for, in this order.
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
             Path.home() / ".local/share/fonts")
SCENE_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
               "DejaVuSansCondensed.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
               "DejaVuSerif-Italic.ttf", "DejaVuSerifCondensed.ttf", "DejaVuSansMono.ttf",
               "DejaVuSansMono-Bold.ttf")
_MEASURE = 100  # px: the size a TrueType face's capital height is measured at


@dataclass(frozen=True)
class Face:
    """One TrueType face: its file's name without ``.ttf``, and the file."""

    name: str
    path: str


@lru_cache(maxsize=4)
def truetype_faces(names: tuple[str, ...]) -> tuple[Face, ...]:
    """The TrueType files among ``names`` that this machine has and OpenCV can draw
    (none before OpenCV 5), in ``names``' order."""
    if not hasattr(cv2, "FontFace"):
        return ()
    found = {}
    for folder in FONT_DIRS:
        if folder.is_dir():
            for path in sorted(folder.rglob("*.ttf")):
                found.setdefault(path.name, path)
    return tuple(Face(name.removesuffix(".ttf"), path=str(found[name]))
                 for name in names if name in found)


def scene_faces() -> tuple[Face, ...]:
    """The TrueType faces of ``SCENE_FILES`` this machine has."""
    return truetype_faces(SCENE_FILES)


@lru_cache(maxsize=64)
def _font(path: str):
    return cv2.FontFace(path)


@lru_cache(maxsize=64)
def _cap_ratio(path: str) -> float:
    """A TrueType face's capital height per px of font size."""
    canvas = np.zeros((2 * _MEASURE, _MEASURE), np.uint8)
    cv2.putText(canvas, "H", (4, int(1.5 * _MEASURE)), 255, _font(path), _MEASURE)
    rows = np.flatnonzero(canvas.any(axis=1))
    return (rows[-1] - rows[0] + 1) / _MEASURE if len(rows) else 0.7


def draw_text(text: str, face: Face, cap_height: float) -> tuple[np.ndarray, int]:
    """``text`` printed in ``face`` with capitals ``cap_height`` px tall, white on black.

    Returns ``(ink, baseline)``: ink (h, w) uint8 coverage 0..255 cropped to the ink
    (a 1 px margin), and the baseline's row in it.
    """
    size = max(2, round(cap_height / _cap_ratio(face.path)))
    font = _font(face.path)
    x, y, w, h = cv2.getTextSize((0, 0), text, (0, 0), font, size)
    pad = 2 + size // 4
    canvas = np.zeros((h + 2 * pad, w + 2 * pad), np.uint8)
    baseline = pad - y
    cv2.putText(canvas, text, (pad - x, baseline), 255, font, size)
    rows, cols = np.flatnonzero(canvas.any(axis=1)), np.flatnonzero(canvas.any(axis=0))
    if len(rows) == 0:
        return np.zeros((1, 1), np.uint8), 0
    top, left = max(0, rows[0] - 1), max(0, cols[0] - 1)
    ink = canvas[top:rows[-1] + 2, left:cols[-1] + 2]
    return np.ascontiguousarray(ink), baseline - top
