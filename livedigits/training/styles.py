"""Ways of writing digits that MNIST's American writers seldom use, drawn as pen strokes.

Each style is a few polylines in a unit box (x right, y down, the digit 1 tall),
whose control points are jittered, then slanted, rotated, squeezed, scaled and drawn
with a round pen, cut as a cell with ``normalise.normalise`` as the pipeline cuts one.
The styles:

- ``1_flag_foot``, ``1_flag``: the continental 1, a long flag (and a foot);
- ``7_crossed``, ``7_serif``: the 7 with a bar through its stem (and a serif);
- ``3_flat``: the flat-topped 3, a straight top bar and a lower bowl;
- ``4_open``, ``4_closed``: the 4 with an open top, and the closed printed-style 4;
- ``9_straight``: the 9 with a straight stem;
- ``2_loop``: the 2 with a loop at its foot.
"""

from __future__ import annotations

import numpy as np

from livedigits.training.cells import draw_strokes, ink_patch, patch_cell

STYLES = {"1_flag_foot": 1, "1_flag": 1, "7_crossed": 7, "7_serif": 7, "3_flat": 3,
          "4_open": 4, "4_closed": 4, "9_straight": 9, "2_loop": 2}


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float,
         n: int = 12) -> np.ndarray:
    """Points of an elliptic arc, angles in degrees (0 = right, 90 = down)."""
    t = np.deg2rad(np.linspace(start, stop, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def style_strokes(style: str, rng: np.random.Generator) -> list[np.ndarray]:
    """The style's polylines in the unit box, with their proportions varied."""
    u = rng.uniform
    if style in ("1_flag_foot", "1_flag"):
        top, drop = u(0.0, 0.05), u(0.2, 0.45)
        strokes = [np.array([[0.5 - u(0.2, 0.35), top + drop], [0.5, top], [0.5, 1.0]])]
        if style == "1_flag_foot":
            half = u(0.18, 0.3)
            strokes.append(np.array([[0.5 - half, 1.0], [0.5 + half, 1.0]]))
        return strokes
    if style in ("7_crossed", "7_serif"):
        left, right, foot = u(0.1, 0.2), u(0.8, 0.9), u(0.35, 0.5)
        line = [[left, 0.0], [right, 0.0], [foot, 1.0]]
        if style == "7_serif":
            line.insert(0, [left - u(0, 0.05), u(0.12, 0.25)])
        at = u(0.45, 0.6)
        stem_x = right + (foot - right) * at
        half = u(0.15, 0.28)
        strokes = [np.array(line)]
        if style == "7_crossed" or rng.random() < 0.5:
            strokes.append(np.array([[stem_x - half, at], [stem_x + half, at]]))
        return strokes
    if style == "3_flat":
        left, right = u(0.15, 0.25), u(0.75, 0.85)
        joint = np.array([u(0.35, 0.5), u(0.35, 0.45)])
        r = (1.0 - joint[1]) / 2
        bowl = _arc(0.5, joint[1] + r, u(0.28, 0.34), r, -110, 140)
        bowl[0] = joint
        return [np.array([[left, 0.0], [right, 0.0], joint]), bowl]
    if style == "4_open":
        bar = u(0.55, 0.68)
        stem = u(0.6, 0.72)
        return [np.array([[u(0.15, 0.3), 0.0], [u(0.1, 0.2), bar], [u(0.85, 0.95), bar]]),
                np.array([[stem + u(-0.03, 0.03), u(0.05, 0.3)], [stem, 1.0]])]
    if style == "4_closed":
        bar = u(0.6, 0.7)
        stem = u(0.6, 0.7)
        return [np.array([[stem, 0.0], [u(0.05, 0.15), bar], [u(0.85, 0.95), bar]]),
                np.array([[stem, 0.0], [stem, 1.0]])]
    if style == "9_straight":
        r = u(0.2, 0.26)
        cx, cy = 0.5 - u(0.0, 0.08), r + 0.02
        loop = _arc(cx, cy, r, r, 0, 360, 16)
        return [loop, np.array([[cx + r, cy], [cx + r + u(-0.03, 0.02), 1.0]])]
    if style == "2_loop":
        top = _arc(0.5, 0.27, 0.3, 0.25, 190, 360 + 20, 10)
        loop = _arc(0.28, 0.88, 0.1, 0.09, -60, 260, 10)
        foot = np.array([[0.2, 0.92], [u(0.8, 0.9), u(0.9, 1.0)]])
        return [np.concatenate([top, [[0.3, 0.8]], loop]), foot]
    raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")


def render(style: str, n: int, rng: np.random.Generator, *,
           heights: tuple[float, float] = (18, 90)) -> np.ndarray:
    """``n`` cells of one style.

    Digits are drawn at most 60 px tall (``normalise`` resizes larger ones to 56 px
    first). Control points move by about 3% of the height, the digit is slanted (shear
    -0.1 .. 0.35), turned by +-8 degrees, squeezed to 0.8 .. 1.15 of its width, drawn
    with a pen of 5% .. 14% of its height and cut as the segmenter cuts.

    Returns
    -------
    (n, 20, 20) uint8 cells in digits.png's form, not deskewed
    """
    out = np.zeros((n, 20, 20), np.uint8)
    for i in range(n):
        height = min(60.0, float(np.exp(rng.uniform(np.log(heights[0]), np.log(heights[1])))))
        strokes = [s + rng.normal(0, 0.03, s.shape) for s in style_strokes(style, rng)]
        a = np.deg2rad(rng.uniform(-8, 8))
        shear, squeeze = rng.uniform(-0.1, 0.35), rng.uniform(0.8, 1.15)
        linear = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ \
            np.array([[squeeze, -shear], [0.0, 1.0]]) * height
        pen = max(1.0, height * rng.uniform(0.05, 0.14))
        coverage = draw_strokes([s @ linear.T for s in strokes], pen)
        out[i] = patch_cell(ink_patch(coverage, rng))
    return out


def render_all(n: int, rng: np.random.Generator, *,
               heights: tuple[float, float] = (18, 90)) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """``n`` cells of every style.

    Returns
    -------
    cells : (M, 20, 20) uint8, not deskewed
    digits : (M,) int32, the digit each style writes
    styles : (M,) int32, index into ``list(STYLES)``
    """
    cells = [render(style, n, rng, heights=heights) for style in STYLES]
    digits = np.repeat(np.array(list(STYLES.values()), np.int32), n)
    which = np.repeat(np.arange(len(STYLES), dtype=np.int32), n)
    return np.concatenate(cells), digits, which
