"""Ink: how much darker than the paper each pixel is, and how dark the writing is.

``darkness`` measures each pixel against a local paper estimate (uneven light,
shadows and coloured paper cancel out); ``writing_level`` finds the darkness of
the page's handwriting, which sets the thresholds ``segment`` takes ink apart
with; ``components`` labels a mask's pieces, with the darkest value under each.
"""

from __future__ import annotations

import cv2
import numpy as np

from livedigits.imageio import flatten_alpha
from livedigits.recognize.sheet import find_sheet

SQUARE = np.ones((3, 3), np.uint8)  # 8-neighbourhood structuring element
LEVEL_SUPPORT = 3  # marks that must share a darkness for it to be the writing's level
GRAIN_OVER = 1.5  # of a threshold: the darkness its marks must reach to be writing
# A faint pen among bold print: when FAINT_POPULATION of the marks at least (those
# FAINT_INKED times the first threshold, not the paper's grain) are under FAINT_BELOW of
# the writing's level, they are writing of their own, and FAINT_QUANTILE of their
# darkest values is the darkness nearly all of them reach.
FAINT_INKED = 2.5
FAINT_BELOW = 0.5
FAINT_POPULATION = 0.25
FAINT_QUANTILE = 0.1
FAINT_WIDE = 1.5
FAINT_TALL = 0.6  # of the writing's marks' median height: a faint mark this tall may be a digit


def to_gray(image: np.ndarray) -> np.ndarray:
    """Darkest-relative gray: (H, W) uint8 from gray, BGR or BGRA (alpha over white)."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        image = flatten_alpha(image)  # in bands of rows: memory is the output plus a band
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def darkness(gray: np.ndarray, paper: np.ndarray | None = None) -> np.ndarray:
    """How much darker than the paper around it each pixel is.

    Parameters
    ----------
    gray : (H, W) uint8
    paper : (H, W) uint8 paper estimate (when not given, ``sheet.find_sheet``'s, which
        also turns light writing dark)

    Returns
    -------
    (H, W) uint8, 255 * (1 - pixel / paper): 0 on paper, ~180-230 on black ink.
    """
    if paper is None:
        sheet = find_sheet(gray)
        gray, paper = sheet.gray, sheet.paper
    return cv2.bitwise_not(cv2.divide(gray, paper, scale=255))


def components(mask: np.ndarray, values: np.ndarray):
    """8-connected components of a 0/1 uint8 mask.

    Returns ``(count, labels, stats, peak)``: labels (H, W) int32, stats (count, 5)
    int32 as OpenCV's, peak (count,) uint8 the largest of ``values`` under each.
    """
    from livedigits.kernels.components import stats_and_peaks

    count, labels = cv2.connectedComponents(mask, connectivity=8, ltype=cv2.CV_32S)
    stats, peak = stats_and_peaks(labels, values, count)
    return count, labels, stats, peak


def writing_level(half: np.ndarray, weak_min: float) -> tuple[float, float]:
    """The writing's own darkness (of 255) in ``half`` (h, w) uint8, the smoothed
    darkness at a reduced size, or 0 when nothing there could be writing; and the
    darkness of a faint writing beside it (``faint_level``), or 0.

    What is darker than a threshold is taken apart into components; those that
    could be written marks count -- a few pixels tall at least, not a rule's or
    an edge's length, not a large area (a pen lying on the sheet, a hand, a
    shadow) -- each with its darkest value, weighted by its area, and the level
    there is the 90th percentile of that: most of the darkest tenth of the
    marks. Thresholds double from ``weak_min``: digits touching squared paper's
    grid, or joined by faint print, come apart at one of them; the first to count is
    one whose marks reach GRAIN_OVER times it (below, all the writing is joined up
    still, by squared paper's grid, and only the paper's grain stands apart). The
    level is the highest found among at least ``LEVEL_SUPPORT`` marks, so a page's many faint
    printed glyphs do not outweigh its handwriting, and a fine pen's page and a
    marker's page are judged by one rule. A page of bold print (a sudoku's givens, a
    table's headings) and a faint pen has two writings, and the print's level would
    leave the pen under both thresholds: ``faint_level`` finds the pen's among the
    marks at the first threshold.
    """
    h, w = half.shape
    level, threshold = 0.0, weak_min
    least = None
    while threshold < 250:
        _, marks = cv2.threshold(half, threshold, 1, cv2.THRESH_BINARY)
        count, _, stats, peak = components(marks, half)
        stats, peak = stats[1:], peak[1:].astype(np.float64)
        area = stats[:, 4].astype(np.float64)
        bw, bh = stats[:, 2], stats[:, 3]
        plausible = ((np.maximum(bw, bh) >= 2)
                     & ~((bw > w / 4) & (bh < bw / 4))  # rules, a page's edge
                     & ~((bh > h / 3) & (bw < bh / 4))
                     & (bw <= 0.6 * w) & (bh <= 0.8 * h)
                     & ~((area > 0.01 * h * w) & (area > 0.6 * bw * bh)))  # a pen, a shadow
        found = int(plausible.sum())
        peak, area = peak[plausible], area[plausible]
        at = _top_tenth(peak, area) if found else 0.0
        # Marks hardly darker than the threshold are the paper's grain: what is writing
        # there is joined up still.
        if least is None and found and at >= GRAIN_OVER * threshold:
            # A page of one digit has one mark, of course.
            least = min(found, max(LEVEL_SUPPORT, 0.02 * found))
            first = peak, bw[plausible], bh[plausible]
            first_threshold = threshold
        if least is None:  # all joined up (digits on a ruled page's lines): go darker
            threshold *= 2
            continue
        if found < least or found == 0:
            break
        level = max(level, at)
        # How tall the writing's marks are where they come apart most, lines and grids
        # left out.
        mark_w, mark_h = bw[plausible], bh[plausible]
        marks = (peak >= FAINT_BELOW * at) & (4 * mark_w >= mark_h) & (4 * mark_h >= mark_w)
        tall = float(np.median(mark_h[marks])) if marks.any() else 0.0
        threshold *= 2
    if least is None or level <= 0:
        return level, 0.0
    return level, faint_level(*first, level, tall, first_threshold)


def _top_tenth(peak: np.ndarray, area: np.ndarray) -> float:
    """The darkness (N,) ``peak`` that marks of (N,) ``area`` px reach over a tenth of
    their area: the 90th percentile of their darkest values, weighted by area."""
    order = np.argsort(peak)
    cumulative = np.cumsum(area[order])
    return float(peak[order][np.searchsorted(cumulative, 0.9 * cumulative[-1])])


def faint_level(peak: np.ndarray, width: np.ndarray, height: np.ndarray, level: float,
                tall: float, threshold: float) -> float:
    """The darkness (of 255) a faint writing reaches beside writing of ``level``, or 0
    when there is none: ``peak`` (N,) float64 the darkest value of each plausible
    mark at the first ``threshold`` that found writing, ``width`` and ``height`` (N,)
    its box's sides, ``tall`` the writing's marks' median height where they came apart
    most. Only marks no wider than FAINT_WIDE times their height count (a digit, not a
    word of faint print run together), none shorter than FAINT_TALL of ``tall`` in the
    median (faint print's letters beside handwriting), and none under FAINT_INKED times
    ``threshold`` (squared paper's grid in pieces, the paper's grain)."""
    shaped = width <= FAINT_WIDE * height
    peak, height = peak[shaped], height[shaped]
    inked = peak >= FAINT_INKED * threshold
    faint = inked & (peak < FAINT_BELOW * level)
    if faint.sum() < max(LEVEL_SUPPORT, FAINT_POPULATION * inked.sum()):
        return 0.0
    if np.median(height[faint]) < FAINT_TALL * tall:
        return 0.0
    faint = np.sort(peak[faint])
    return float(faint[int(FAINT_QUANTILE * (len(faint) - 1))])
