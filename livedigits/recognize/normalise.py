"""Candidates -> (20, 20) uint8 cells in digits.png's form, normalised as MNIST's are made.

``cut_cells`` cuts and deskews the cells of the candidates asked for, so that
the live loop cuts only digits that are new or changed; ``normalise_all`` does
the cutting for many candidates in one compiled pass (``kernels.cut``), and
``normalise`` is its reference for one digit's patch, written with OpenCV calls;
``patch_of`` is one candidate's darkness without its neighbours' strokes.
"""

from __future__ import annotations

import cv2
import numpy as np

from livedigits.recognize.ink import SQUARE
from livedigits.recognize.segment import Candidates
from livedigits.training.cells import CELL, deskew

DIGIT_BOX = 14.3  # longer side of a digit in a cell (MNIST: 20 of 28 px)
CENTRE = 9.86  # mean centre of mass of digits.png's cells, rows and columns
WORK_SIDE = 56  # digits are cleaned up at this size before the final resize
STROKE = 1.8 * WORK_SIDE / DIGIT_BOX  # MNIST's stroke width at that size, px
SMALL_DIGIT = 24  # digits at most this many px long keep their gray levels


def patch_of(found: Candidates, extent: tuple[int, int, int, int],
             labels: list[int]) -> np.ndarray:
    """Darkness (h, w) uint8 of the components ``labels`` inside ``extent`` (x0, y0, x1, y1),
    zero elsewhere: one digit's patch, without its neighbours' strokes."""
    x0, y0, x1, y1 = extent
    region = found.labels[y0:y1, x0:x1]
    inside = region == labels[0]
    for label in labels[1:]:
        inside |= region == label
    return found.dark[y0:y1, x0:x1] * inside.view(np.uint8)


def cut_cells(found: Candidates, which: np.ndarray | None = None) -> np.ndarray:
    """Cut, normalise and deskew the cells of some candidates.

    Parameters
    ----------
    found : Candidates from ``find_candidates``
    which : (K,) int indices into ``found.boxes`` (all of them when None)

    Returns
    -------
    (K, 20, 20) uint8 cells in digits.png's form, deskewed, in ``which``'s order.
    """
    indices = range(len(found)) if which is None else np.asarray(which, np.intp).tolist()
    extents = [found.extents[k] for k in indices]
    if not extents:
        return np.zeros((0, CELL, CELL), np.uint8)
    return deskew(normalise_all(found.dark, found.labels, extents,
                                [found.members[k] for k in indices]))


def normalise_all(dark: np.ndarray, labels: np.ndarray,
                  extents: list[tuple[int, int, int, int]],
                  members: list[list[int]]) -> np.ndarray:
    """``normalise(patch_of(...))`` of many candidates in one compiled pass.

    Parameters
    ----------
    dark : (H, W) uint8 darkness; labels : (H, W) int32 component labels
    extents : N boxes (x0, y0, x1, y1) in their pixels
    members : N lists of the component labels that make each candidate

    Returns
    -------
    (N, 20, 20) uint8 cells, not deskewed (``kernels.cut``; ``normalise`` is its reference)
    """
    from livedigits.kernels import ready
    from livedigits.kernels.cut import cut_batch

    n = len(extents)
    out = np.zeros((n, CELL, CELL), np.uint8)
    if n == 0:
        return out
    counts = np.fromiter((len(m) for m in members), np.int64, n)
    start = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    flat = np.fromiter((label for m in members for label in m), np.int32, int(start[-1]))
    args = (np.ascontiguousarray(dark, np.uint8), np.ascontiguousarray(labels, np.int32),
            np.asarray(extents, np.int64).reshape(n, 4), flat, start, SMALL_DIGIT,
            float(WORK_SIDE), float(STROKE), float(DIGIT_BOX), float(CENTRE), _ellipse_table(),
            out)
    if not ready(cut_batch, *args):  # not compiled yet: the reference, cell by cell
        view = Candidates(np.zeros((0, 4), np.int32), np.zeros((0, 0), np.float32), dark, 1.0,
                          dark, labels)
        for i, (extent, parts) in enumerate(zip(extents, members, strict=True)):
            out[i] = normalise(patch_of(view, extent, parts))
        return out
    cut_batch(*args)
    return out


def normalise(patch: np.ndarray) -> np.ndarray:
    """One digit's darkness patch -> a (20, 20) uint8 cell in digits.png's form.

    Parameters
    ----------
    patch : (h, w) uint8 darkness, zero outside the digit's strokes.

    A small digit keeps its gray levels (stretched). A larger one is resized so
    its longer side is WORK_SIDE px, thresholded, and its strokes thickened or
    thinned to MNIST's width at that size. Either is then area-resized to
    DIGIT_BOX px and placed with its centre of mass where digits.png's are.

    The pipeline cuts its cells with ``normalise_all`` (``kernels.cut``, the same
    steps compiled, many cells a call); this is their reference, and what the
    training examples drawn by ``styles`` and ``negatives`` are cut with.
    """
    patch = np.ascontiguousarray(patch, np.uint8)
    h, w = patch.shape
    peak = int(patch.max())
    if peak == 0:
        return np.zeros((CELL, CELL), np.uint8)
    if max(h, w) <= SMALL_DIGIT:
        # Too few pixels to clean up a stroke: keep the gray levels, stretched.
        table = np.clip(np.arange(256, dtype=np.float32) * (510.0 / peak) - 153, 0, 255)
        return _place(cv2.LUT(patch, table.astype(np.uint8)))
    factor = WORK_SIDE / max(h, w)
    work = cv2.resize(patch, (max(1, round(w * factor)), max(1, round(h * factor))),
                      interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    _, mask = cv2.threshold(work, 0.35 * peak, 255, cv2.THRESH_BINARY)
    pad = 8
    mask = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    grow = int(round(STROKE - stroke_width(mask)))
    if grow >= 1:
        mask = cv2.dilate(mask, ellipse(grow + 1))
    elif grow <= -2:
        thinner = cv2.erode(mask, ellipse(-grow))
        if cv2.countNonZero(thinner) > 0.25 * cv2.countNonZero(mask):
            mask = thinner
    return _place(mask)


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary (h, w) uint8 mask, px (area over half the outline)."""
    area = int(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    inner = cv2.erode(mask, SQUARE, borderType=cv2.BORDER_CONSTANT,
                      borderValue=0)
    outline = area - int(np.count_nonzero(inner))
    return 2.0 * area / max(outline, 1)


_ELLIPSES: dict[int, np.ndarray] = {}


def ellipse(size: int) -> np.ndarray:
    if size not in _ELLIPSES:
        _ELLIPSES[size] = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return _ELLIPSES[size]


_ELLIPSE_TABLE: list[np.ndarray] = []


def _ellipse_table(largest: int = 48) -> np.ndarray:
    """(largest + 1,) * 3 uint8: element ``s`` is ``ellipse(s)`` in its top-left corner."""
    if not _ELLIPSE_TABLE:
        table = np.zeros((largest + 1, largest + 1, largest + 1), np.uint8)
        for size in range(1, largest + 1):
            table[size, :size, :size] = ellipse(size)
        _ELLIPSE_TABLE.append(table)
    return _ELLIPSE_TABLE[0]


def _place(ink: np.ndarray) -> np.ndarray:
    """(h, w) uint8 ink -> (20, 20) uint8 cell: cropped, scaled to DIGIT_BOX, centred by mass."""
    # uint8 input keeps boundingRect and moments in raster mode (a float (n, 2) array
    # would be read as a point list, and a "1" can be 2 px wide).
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return np.zeros((CELL, CELL), np.uint8)
    factor = DIGIT_BOX / max(h, w)
    nh, nw = max(1, round(h * factor)), max(1, round(w * factor))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    small = cv2.resize(ink[y:y + h, x:x + w], (nw, nh), interpolation=interp)
    m = cv2.moments(small)
    if m["m00"] <= 0:
        return np.zeros((CELL, CELL), np.uint8)
    shift = np.float32([[1, 0, CENTRE - m["m10"] / m["m00"]],
                        [0, 1, CENTRE - m["m01"] / m["m00"]]])
    return cv2.warpAffine(small, shift, (CELL, CELL), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
