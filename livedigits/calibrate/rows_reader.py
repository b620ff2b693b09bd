"""Reading a marker-less calibration sheet of handwritten rows, one digit a row.

The rows come in a given order (``--order``), hold any number of digits each and
may slant; the digits are the segmenter's candidates, grouped into rows by
fitted lines.
"""

from __future__ import annotations

import numpy as np

from livedigits.calibrate.sheet_reader import SheetReading
from livedigits.errors import LivedigitsError
from livedigits.recognize.normalise import normalise, patch_of
from livedigits.recognize.segment import find_candidates

DEFAULT_ORDER = "1234567890"


def parse_order(order: str) -> list[int]:
    """Digits of an ``--order`` string such as ``1234567890``, each at most once."""
    if not order or not order.isdigit() or len(set(order)) != len(order):
        raise LivedigitsError(
            f"--order {order!r}: give each row's digit once, top row first, e.g. 1234567890"
        )
    return [int(c) for c in order]


def group_rows(centres: np.ndarray, height: float) -> list[np.ndarray]:
    """Group digit centres into handwritten rows, top to bottom.

    Parameters
    ----------
    centres : (N, 2) float x, y of each digit's box centre, px
    height : typical digit height, px

    Returns
    -------
    One index array per row, each sorted left to right.

    The page's slant is the slope that makes the rows' projected heights
    tightest; the rows are then the clusters of projected heights split at gaps
    over half a digit, and each is refined by a line fitted through its own
    centres (rows may slant differently).
    """
    x, y = centres[:, 0].astype(np.float64), centres[:, 1].astype(np.float64)

    def clusters(slope: float) -> list[np.ndarray]:
        projected = y - slope * x
        order = np.argsort(projected)
        cuts = np.flatnonzero(np.diff(projected[order]) > 0.5 * height) + 1
        return np.split(order, cuts)

    def spread(groups: list[np.ndarray], slope: float) -> float:
        projected = y - slope * x
        return float(sum(((projected[g] - projected[g].mean()) ** 2).sum() for g in groups))

    slopes = np.linspace(-0.35, 0.35, 141)
    best = min(slopes, key=lambda s: spread(clusters(s), s))
    groups = clusters(best)
    for _ in range(3):
        lines = []
        for g in groups:
            if len(g) >= 2 and np.ptp(x[g]) > height:
                slope, offset = np.polyfit(x[g], y[g], 1)
            else:
                slope, offset = best, float(np.mean(y[g] - best * x[g]))
            lines.append((slope, offset))
        predicted = np.stack([s * x + o for s, o in lines], axis=1)  # (N, rows)
        nearest = np.argmin(np.abs(predicted - y[:, None]), axis=1)
        regrouped = [np.flatnonzero(nearest == r) for r in range(len(lines))]
        regrouped = [g for g in regrouped if len(g)]
        if len(regrouped) == len(groups) and all(
                np.array_equal(a, b) for a, b in zip(regrouped, groups, strict=True)):
            break
        groups = regrouped
    middle = float(np.median(x))
    groups.sort(key=lambda g: float(np.mean(y[g] + best * (middle - x[g]))))
    return [g[np.argsort(x[g])] for g in groups]


def _pieces(extents: list[tuple[int, int, int, int]], row: list[int],
            height: float) -> list[list[int]]:
    """Candidates of one row (indices, left to right) grouped into digits.

    With one digit a row and digits written apart, two candidates overlapping
    along x by a quarter of the narrower one are pieces of one digit the
    segmenter left apart (a 5's bar, a broken stroke); a piece far smaller than
    a digit (both sides under half the row's typical ``height``, px) joins its
    neighbour when it nearly touches it, and is dropped as a speck otherwise.
    """
    groups: list[list[int]] = []
    for k in row:
        x0, _, x1, _ = extents[k]
        if groups:
            last = groups[-1]
            right = max(extents[j][2] for j in last)
            left = min(extents[j][0] for j in last)
            if right - x0 >= 0.25 * min(x1 - x0, right - left):
                last.append(k)
                continue
        groups.append([k])

    def small(group: list[int]) -> bool:
        x0 = min(extents[j][0] for j in group)
        x1 = max(extents[j][2] for j in group)
        y0 = min(extents[j][1] for j in group)
        y1 = max(extents[j][3] for j in group)
        return x1 - x0 < 0.5 * height and y1 - y0 < 0.5 * height

    def gap(a: list[int], b: list[int]) -> float:
        return min(extents[j][0] for j in b) - max(extents[j][2] for j in a)

    digits = [group for group in groups if not small(group)]
    for i, group in enumerate(groups):
        if not small(group):
            continue
        before = groups[i - 1] if i > 0 and not small(groups[i - 1]) else None
        after = groups[i + 1] if i + 1 < len(groups) and not small(groups[i + 1]) else None
        near = [(gap(before, group), before)] if before else []
        near += [(gap(group, after), after)] if after else []
        near = [(g, owner) for g, owner in near if g <= 0.25 * height]
        if near:
            min(near, key=lambda item: item[0])[1].extend(group)
    return digits


def read_rows(image: np.ndarray, order: str = DEFAULT_ORDER) -> SheetReading:
    """Read a marker-less sheet of handwritten rows, one digit a row.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) uint8 or uint16 (deeper images scaled by
        ``imageio.to_uint8`` in ``find_candidates``)
    order : the rows' digits, top row first

    Raises LivedigitsError when no digits are found or the rows found are not
    as many as ``order`` has digits.
    """
    digits = parse_order(order)
    found = find_candidates(image)
    if len(found) == 0:
        raise LivedigitsError("blank sheet: no handwritten digits found")
    boxes = found.boxes.astype(np.float64)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    height = float(np.median(boxes[:, 3]))
    rows = group_rows(centres, height)
    if len(rows) != len(digits):
        sizes = ", ".join(str(len(r)) for r in rows)
        raise LivedigitsError(
            f"found {len(rows)} rows of digits (with {sizes} digits), but --order {order} "
            f"needs {len(digits)}: write one row per digit, or give the rows' digits with "
            "--order"
        )
    cells, labels, rects, positions = [], [], [], []
    for digit, row in zip(digits, rows, strict=True):
        for position, group in enumerate(_pieces(found.extents, row.tolist(),
                                                 height * found.scale)):
            x0 = min(found.extents[k][0] for k in group)
            y0 = min(found.extents[k][1] for k in group)
            x1 = max(found.extents[k][2] for k in group)
            y1 = max(found.extents[k][3] for k in group)
            parts = [m for k in group for m in found.members[k]]
            cells.append(normalise(patch_of(found, (x0, y0, x1, y1), parts)))
            labels.append(digit)
            rects.append((x0, y0, x1 - x0, y1 - y0))
            positions.append(position)
    boxes = np.round(np.array(rects, np.float64) / found.scale).astype(np.int32)
    return SheetReading(np.stack(cells), np.array(labels, np.int32), boxes=boxes,
                        positions=np.array(positions, np.int32))
