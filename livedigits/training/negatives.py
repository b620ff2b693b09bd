"""What is not a digit: rendered examples of the marks on real sheets that the
segmenter cuts and that are no handwritten digit.

Each example is drawn as a darkness patch (ink on nothing, masked to its strokes, as
``normalise.patch_of`` cuts a component) and normalised with ``normalise.normalise``, so
it is a cell in the very form the pipeline feeds the classifier. The kinds:

- ``printed``: printed letters and punctuation in every Hershey face, upright and
  italic, several weights;
- ``printed_digit``: printed digits in the same faces (print is not handwriting);
- ``script``: small handwritten-style letters (Hershey script faces), jittered and
  redrawn with a round pen;
- ``pair``: two printed glyphs touching or nearly, cut as one blob (bold print runs
  letters and digits together: "No", "14", "er");
- ``line``: straight lines and pieces of them, within FLAT (15) degrees of level;
- ``corner``: box corners (L shapes in four orientations);
- ``side``: box sides with the stubs of their neighbours, and long rules;
- ``crossing``: T and + crossings of grid lines;
- ``grid``: pieces of grids, crossings with stubs;
- ``dash``: dashes, underlines, equals signs;
- ``bracket``: round, square and angle brackets, braces;
- ``bar``: a thick bar (a pen lying on the page), within FLAT degrees of level;
- ``blob``: filled blobs and smudges.

Left out on purpose, because a hand writes them as digits: a lone straight stroke
steeper than FLAT degrees (deskewing turns it upright: a 1), the letters O, o, l and I, and the
script letters that are digit shapes (O, o, l, I, S, s, Z, z, q, g, b).
"""

from __future__ import annotations

import string

import cv2
import numpy as np

from livedigits.training.cells import FINE, draw_strokes, ink_patch, patch_cell, redraw_with_pen

KINDS = ("printed", "printed_digit", "script", "pair", "line", "corner", "side", "crossing",
         "grid", "dash", "bracket", "bar", "blob")
#: Marks are drawn at most this tall: ``normalise`` resizes every larger patch to
#: WORK_SIDE (56) px before it looks at it, so drawing them larger costs time only.
DRAWN_UP_TO = 60.0
#: Degrees from level at most of the ``line`` and ``bar`` examples: deskewing turns any
#: straight stroke upright, and one steeper than this comes out a short 1.
FLAT = 15.0
#: Share of the training negatives each kind gets (printed text is the commonest).
WEIGHTS = {"printed": 3.0, "printed_digit": 1.5, "script": 2.0, "pair": 0.5}

PRINT_FACES = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
               cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
               cv2.FONT_HERSHEY_COMPLEX_SMALL)
SCRIPT_FACES = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
_DIGIT_LIKE = set("OolI|/\\!ijJ")  # straight strokes and rings: 1s and 0s once cut
PRINTED = [c for c in string.ascii_letters + "#$%&*+/?@\\^~!" if c not in _DIGIT_LIKE]
SCRIPT = [c for c in string.ascii_letters if c not in set("OolISsZzqgb")]


def render(kind: str, n: int, rng: np.random.Generator, *,
           heights: tuple[float, float] = (14, 90)) -> np.ndarray:
    """``n`` cells of one kind of non-digit.

    Parameters
    ----------
    kind : one of ``KINDS``
    n : number of cells
    rng : the randomness (a held-out set uses another seed)
    heights : range of the mark's size in px before normalisation (small marks keep
        gray levels in ``normalise``, large ones are cleaned up)

    Returns
    -------
    (n, 20, 20) uint8 cells in digits.png's form, not deskewed
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    draw = _DRAWERS[kind]
    out = np.zeros((n, 20, 20), np.uint8)
    for i in range(n):
        height = float(np.exp(rng.uniform(np.log(heights[0]), np.log(heights[1]))))
        for _ in range(5):  # a rare empty drawing is drawn again
            cell = patch_cell(ink_patch(draw(rng, min(height, DRAWN_UP_TO)), rng))
            if cell.any():
                out[i] = cell
                break
    return out


def render_all(n: int, rng: np.random.Generator, *,
               heights: tuple[float, float] = (14, 90)) -> tuple[np.ndarray, np.ndarray]:
    """About ``n`` cells per unit of ``WEIGHTS`` of every kind.

    Returns
    -------
    cells : (M, 20, 20) uint8, not deskewed
    kinds : (M,) int32, index into ``KINDS``
    """
    cells, kinds = [], []
    for k, kind in enumerate(KINDS):
        count = round(n * WEIGHTS.get(kind, 1.0))
        cells.append(render(kind, count, rng, heights=heights))
        kinds.append(np.full(count, k, np.int32))
    return np.concatenate(cells), np.concatenate(kinds)


def _glyph(rng: np.random.Generator, text: str, face: int, height: float,
           thickness: int) -> np.ndarray:
    """(h, w) float32 coverage at FINE x size of ``text`` printed ``height`` px tall."""
    (w, h), base = cv2.getTextSize(text, face, 1.0, thickness)
    scale = FINE * height / max(h + base, 1)
    (w, h), base = cv2.getTextSize(text, face, scale, thickness * FINE)
    pad = 4 * FINE + thickness * FINE
    canvas = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
    cv2.putText(canvas, text, (pad, pad + h), face, scale, 255, thickness * FINE, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255


def _printed(rng: np.random.Generator, height: float, alphabet: list[str]) -> np.ndarray:
    face = int(rng.choice(PRINT_FACES)) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    return _glyph(rng, str(rng.choice(alphabet)), face, height, int(rng.integers(1, 4)))


def _printed_letter(rng: np.random.Generator, height: float) -> np.ndarray:
    return _printed(rng, height, PRINTED)


def _printed_digit(rng: np.random.Generator, height: float) -> np.ndarray:
    return _printed(rng, height, list(string.digits))


def _script(rng: np.random.Generator, height: float) -> np.ndarray:
    face = int(rng.choice(SCRIPT_FACES)) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    glyph = _glyph(rng, str(rng.choice(SCRIPT)), face, height, 1)
    h, w = glyph.shape
    angle = rng.uniform(-10, 10)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[0, 1] += rng.uniform(-0.25, 0.25)
    matrix[0, 0] *= rng.uniform(0.8, 1.2)
    glyph = cv2.warpAffine(glyph, matrix, (w, h), flags=cv2.INTER_LINEAR)
    return redraw_with_pen(glyph, FINE * height * rng.uniform(0.05, 0.14))


#: Glyphs run together in ``pair``: no narrow ones, which joined to another glyph look
#: like one digit with a stroke more (a 4's bar, a 7's foot), and no rings, which two
#: by two look like a handwritten 00 whose halves touch.
PAIR_GLYPHS = [c for c in string.ascii_letters + string.digits
               if c not in set("1lIijJftr0Oo")]


def _pair(rng: np.random.Generator, height: float) -> np.ndarray:
    """Two printed glyphs run together (any face, bold: thickness 2-4 at FINE size)."""
    face = int(rng.choice(PRINT_FACES)) | (cv2.FONT_ITALIC if rng.random() < 0.2 else 0)
    text = "".join(rng.choice(PAIR_GLYPHS, 2))
    return _glyph(rng, text, face, height, int(rng.integers(2, 5)))


def _jitter(points: list, rng: np.random.Generator, amount: float) -> np.ndarray:
    p = np.asarray(points, np.float64)
    return p + rng.normal(0, amount, p.shape)


def _rotated(strokes: list[np.ndarray], degrees: float) -> list[np.ndarray]:
    a = np.deg2rad(degrees)
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return [s @ turn.T for s in strokes]


def _pen(rng: np.random.Generator, height: float) -> float:
    return max(1.0, height * rng.uniform(0.03, 0.12))


def _line(rng: np.random.Generator, height: float) -> np.ndarray:
    angle = rng.uniform(-FLAT, FLAT)
    stroke = np.array([[0.0, 0.0], [height * rng.uniform(1.0, 4.0), 0.0]])
    return draw_strokes(_rotated([stroke], angle), _pen(rng, height))


def _corner(rng: np.random.Generator, height: float) -> np.ndarray:
    a, b = height * rng.uniform(0.5, 1.5, 2)
    quarter = int(rng.integers(0, 4))
    if quarter == 1:  # a top-right corner (a bar, a stem down): a long stem is a 7's
        a = min(a, 0.6 * b)
    stroke = _jitter([[a, 0.0], [0.0, 0.0], [0.0, b]], rng, 0.01 * height)
    return draw_strokes(_rotated([stroke], 90 * quarter + rng.uniform(-5, 5)),
                        _pen(rng, height))


def _side(rng: np.random.Generator, height: float) -> np.ndarray:
    length = height * rng.uniform(1.0, 3.0)
    # Stubs of at least a fifth of the side: with less the side is a 1 once cut.
    stub = length * rng.uniform(0.2, 0.5)
    kind = int(rng.integers(0, 3))
    if kind == 0:  # a side and both its corners' stubs: [ shape
        strokes = [np.array([[stub, 0.0], [0.0, 0.0], [0.0, length], [stub, length]])]
    elif kind == 1:  # a side with the stubs of the boxes beside it: a ladder's rail
        strokes = [np.array([[0.0, 0.0], [0.0, length]]),
                   np.array([[-stub, 0.0], [stub, 0.0]]),
                   np.array([[-stub, length], [stub, length]])]
    else:  # a long rule with a stub
        at = length * rng.uniform(0, 1)
        strokes = [np.array([[0.0, 0.0], [0.0, length]]),
                   np.array([[0.0, at], [stub * rng.choice([-1, 1]), at]])]
    quarter = 90 * int(rng.integers(0, 4)) + rng.uniform(-4, 4)
    return draw_strokes(_rotated(strokes, quarter), _pen(rng, height))


def _crossing(rng: np.random.Generator, height: float) -> np.ndarray:
    arms = height * rng.uniform(0.3, 1.0, 4)
    if rng.random() < 0.5:  # a T: one arm missing
        arms[int(rng.integers(0, 4))] = 0
    strokes = [np.array([[-arms[0], 0.0], [arms[1], 0.0]]),
               np.array([[0.0, -arms[2]], [0.0, arms[3]]])]
    strokes = [s for s in strokes if np.ptp(s) > 0]
    return draw_strokes(_rotated(strokes, rng.uniform(-6, 6)), _pen(rng, height))


def _grid(rng: np.random.Generator, height: float) -> np.ndarray:
    step = height * rng.uniform(0.4, 1.0)
    rows, cols = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    stub = step * rng.uniform(0.2, 0.6)
    strokes = []
    for r in range(rows + 1 if rows > 1 else 1):
        y = r * step
        strokes.append(np.array([[-stub, y], [(cols - 1) * step + stub, y]]))
    for c in range(cols + 1 if cols > 1 else 1):
        x = c * step
        strokes.append(np.array([[x, -stub], [x, max(rows - 1, 0) * step + stub]]))
    strokes = [_jitter(s, rng, 0.01 * height) for s in strokes]
    return draw_strokes(_rotated(strokes, rng.uniform(-6, 6)), _pen(rng, height))


def _dash(rng: np.random.Generator, height: float) -> np.ndarray:
    length = height * rng.uniform(0.4, 3.0)
    strokes = [np.array([[0.0, 0.0], [length, 0.0]])]
    if rng.random() < 0.3:  # an equals sign
        strokes.append(strokes[0] + [0.0, height * rng.uniform(0.2, 0.4)])
    return draw_strokes(_rotated(strokes, rng.uniform(-8, 8)),
                        max(1.0, height * rng.uniform(0.05, 0.25)))


def _bracket(rng: np.random.Generator, height: float) -> np.ndarray:
    kind = int(rng.integers(0, 4))
    w = height * rng.uniform(0.15, 0.35)
    if kind == 0:  # round
        w *= 1.4
        t = np.linspace(-1.1, 1.1, 16)
        stroke = np.stack([w * (1 - np.cos(t)) * 1.5, height * 0.5 * np.sin(t) / np.sin(1.1)], 1)
        strokes = [stroke]
    elif kind == 1:  # square
        strokes = [np.array([[w, 0.0], [0.0, 0.0], [0.0, height], [w, height]])]
    elif kind == 2:  # angle
        strokes = [np.array([[w * 2, 0.0], [0.0, height * 0.4], [w * 2, height * 0.8]])]
    else:  # brace
        h = height
        strokes = [np.array([[w, 0], [w * 0.5, 0.05 * h], [w * 0.5, 0.42 * h], [0, 0.5 * h],
                             [w * 0.5, 0.58 * h], [w * 0.5, 0.95 * h], [w, h]], np.float64)]
    if rng.random() < 0.5:
        strokes = [s * [-1, 1] for s in strokes]
    strokes = [_jitter(s, rng, 0.01 * height) for s in strokes]
    return draw_strokes(_rotated(strokes, rng.uniform(-8, 8)), _pen(rng, height))


def _bar(rng: np.random.Generator, height: float) -> np.ndarray:
    length = height * rng.uniform(2.0, 6.0)
    stroke = np.array([[0.0, 0.0], [length, 0.0]])
    return draw_strokes(_rotated([stroke], rng.uniform(-FLAT, FLAT)),
                        height * rng.uniform(0.3, 0.8))


def _blob(rng: np.random.Generator, height: float) -> np.ndarray:
    n = int(rng.integers(5, 10))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = height * 0.5 * rng.uniform(0.5, 1.0, n)
    aspect = rng.uniform(0.4, 1.0)
    points = np.stack([radii * np.cos(angles), aspect * radii * np.sin(angles)], 1)
    points -= points.min(axis=0)
    side = np.ceil(points.max(axis=0)).astype(int) + 2
    canvas = np.zeros((FINE * side[1], FINE * side[0]), np.uint8)
    cv2.fillPoly(canvas, [np.round((points + 1) * FINE * 16).astype(np.int32)], 255,
                 cv2.LINE_AA, 4)
    return canvas.astype(np.float32) / 255


_DRAWERS = {"printed": _printed_letter, "printed_digit": _printed_digit, "script": _script,
            "pair": _pair,
            "line": _line, "corner": _corner, "side": _side, "crossing": _crossing,
            "grid": _grid, "dash": _dash, "bracket": _bracket, "bar": _bar, "blob": _blob}
