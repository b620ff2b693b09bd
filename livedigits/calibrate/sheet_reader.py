"""Reading a photographed or scanned printed calibration sheet into cells, one a box.

The sheet is rectified by the homography from its markers' corners to the
sheet's own coordinates and each box's digit becomes a cell in digits.png's
form. ``SheetReading`` is what a sheet of either layout (this one, or
``rows_reader``'s) reads into.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from livedigits.calibrate.printable import (
    CORNER_NAMES,
    MARKER_IDS,
    PAGE_H,
    PAGE_W,
    box_rects,
    marker_corners,
)
from livedigits.errors import LivedigitsError
from livedigits.imageio import to_uint8
from livedigits.recognize.ink import darkness, to_gray
from livedigits.recognize.normalise import normalise

READ_SCALE = 0.5  # a photographed sheet is rectified to this fraction of 300 dpi
INSET = 0.12  # of a box's side, cut off each edge so printed lines stay out
INK = 41  # darkness (of 255) that counts as ink (segment.WEAK)
STRONG = 77  # a box holds a digit only when its ink reaches this darkness
MIN_INK = 0.004  # share of a box's inside that must be ink for a digit
SCRIBBLE_COVER = 0.55  # ink covering more than this share of a box: a scribble
SCRIBBLE_BLOBS = 4  # this many large blobs in a box: a scribble


@dataclass
class SheetReading:
    """Cells read from a calibration sheet.

    Attributes
    ----------
    cells : (N, 20, 20) uint8 in digits.png's form, not deskewed
    labels : (N,) int32 digits
    empty : int, boxes without ink (printed sheet only)
    scribbled : int, boxes skipped as scribbles
    notes : list of str, what a person may want to know (missing marker, ...)
    boxes : (N, 4) int32 x, y, w, h of each digit in the image (rows layout only)
    positions : (N,) int32 each digit's place in its row, from 0 (rows layout only)
    """

    cells: np.ndarray
    labels: np.ndarray
    empty: int = 0
    scribbled: int = 0
    notes: list[str] = field(default_factory=list)
    boxes: np.ndarray | None = None
    positions: np.ndarray | None = None

    def per_digit(self) -> dict[str, int]:
        """Samples per digit, ``{"0": k0, ..., "9": k9}``."""
        counts = np.bincount(self.labels, minlength=10) if len(self.labels) else np.zeros(10)
        return {str(d): int(counts[d]) for d in range(10)}


def find_markers(gray: np.ndarray) -> dict[int, np.ndarray]:
    """The sheet's markers found in a (H, W) uint8 image: id -> (4, 2) float32 corners."""
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    corners, ids, _ = detector.detectMarkers(gray)
    found: dict[int, np.ndarray] = {}
    if ids is None:
        return found
    for quad, marker_id in zip(corners, ids.ravel().tolist(), strict=True):
        if marker_id in MARKER_IDS and marker_id not in found:
            found[marker_id] = np.asarray(quad, np.float32).reshape(4, 2)
    return found


def rectify(gray: np.ndarray, markers: dict[int, np.ndarray]) -> np.ndarray:
    """The sheet seen in ``gray`` mapped to its own coordinates at READ_SCALE.

    Parameters
    ----------
    gray : (H, W) uint8
    markers : id -> (4, 2) corners in ``gray``, at least three of the sheet's ids

    Returns
    -------
    (round(3508 * READ_SCALE), round(2480 * READ_SCALE)) uint8 gray
    """
    reference = marker_corners()
    seen = np.concatenate([markers[i] for i in sorted(markers)])
    target = np.concatenate([reference[i] for i in sorted(markers)]) * READ_SCALE
    matrix, _ = cv2.findHomography(seen, target, 0)
    if matrix is None:
        raise LivedigitsError("the markers do not fit a flat page; photograph the sheet flat")
    size = (round(PAGE_W * READ_SCALE), round(PAGE_H * READ_SCALE))
    return cv2.warpPerspective(gray, matrix, size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def box_digit(dark: np.ndarray) -> tuple[str, np.ndarray | None]:
    """What one box holds: ``("empty"|"scribble"|"digit", cell or None)``.

    Parameters
    ----------
    dark : (h, w) uint8 darkness of the inside of one box (its lines cut off)

    Returns
    -------
    The verdict and, for a digit, its (20, 20) uint8 cell in digits.png's form.
    The digit is the largest ink component plus any other at least a tenth
    its size (a 5's bar, a broken stroke); specks are left out.
    """
    ink = (dark > INK).astype(np.uint8)
    area = dark.shape[0] * dark.shape[1]
    if int(dark.max()) < STRONG or int(ink.sum()) < MIN_INK * area:
        return "empty", None
    if ink.sum() > SCRIBBLE_COVER * area:
        return "scribble", None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    sizes = stats[1:, cv2.CC_STAT_AREA]
    largest = int(sizes.max())
    if largest < MIN_INK * area:
        return "empty", None
    if int((sizes >= 0.3 * largest).sum()) >= SCRIBBLE_BLOBS:
        return "scribble", None
    kept = np.flatnonzero(sizes >= 0.1 * largest) + 1
    mask = np.isin(labels, kept)
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    patch = dark[y0:y1, x0:x1] * mask[y0:y1, x0:x1].astype(np.uint8)
    return "digit", normalise(patch)


def read_sheet(image: np.ndarray) -> SheetReading:
    """Read a photographed or scanned printed calibration sheet.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) uint8 or uint16 (deeper images scaled by
        ``imageio.to_uint8``, so 10- and 12-bit data keep their contrast)

    Raises LivedigitsError when the markers are missing or too few are visible,
    or when no box holds a digit.
    """
    gray = to_gray(to_uint8(image))
    markers = find_markers(gray)
    if not markers:
        raise LivedigitsError(
            "no calibration markers found: is this the printed calibration sheet, with its "
            "four corner squares in view? For a marker-less sheet of handwritten rows use "
            "--layout rows"
        )
    missing = [CORNER_NAMES[i] for i in MARKER_IDS if i not in markers]
    if len(markers) < 3:
        raise LivedigitsError(
            f"only {len(markers)} of the sheet's 4 corner markers visible (missing: "
            f"{', '.join(missing)}); at least 3 are needed: photograph the whole sheet"
        )
    notes = [f"{missing[0]} marker hidden; read from the other three"] if missing else []
    dark = darkness(rectify(gray, markers))
    cells, labels = [], []
    empty = scribbled = 0
    for row, rects in enumerate(box_rects()):
        for x, y, w, h in rects.astype(np.float64) * READ_SCALE:
            dx, dy = INSET * w, INSET * h
            inside = dark[round(y + dy):round(y + h - dy), round(x + dx):round(x + w - dx)]
            verdict, cell = box_digit(inside)
            if verdict == "digit":
                cells.append(cell)
                labels.append(row)
            elif verdict == "empty":
                empty += 1
            else:
                scribbled += 1
    if not cells:
        raise LivedigitsError("blank sheet: no digit written in any box")
    return SheetReading(np.stack(cells), np.array(labels, np.int32), empty, scribbled, notes)
