"""Calibration sheets and handwriting profiles.

A printed sheet (A4, 300 dpi) carries four ArUco markers (DICT_4X4_50, ids 0-3
clockwise from the top left), a name line and a grid of boxes: ten rows, one per
digit 0-9 labelled at the left, ten boxes a row. A photo or scan of a filled
sheet is rectified by the homography from the markers' corners to the sheet's
own coordinates and each box's digit becomes a cell in digits.png's form.

A marker-less "rows" sheet (one digit per handwritten row, rows in a given
order, any number per row, rows possibly slanted) is read through the
segmenter's candidates, grouped into rows by fitted lines.

A profile is ``NAME.npz`` in the per-user profiles folder (``paths.calibration_dir``)
or any ``PATH.npz``: ``cells`` (N, 20, 20) uint8 (not
deskewed: ``fit.fit`` deskews), ``labels`` (N,) int32, ``format_version``.
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.training.cells import CELL

log = logging.getLogger(__name__)

# The sheet, in pixels at 300 dpi (A4 is 210 x 297 mm).
DPI = 300
PAGE_W, PAGE_H = 2480, 3508
MARKER = 200  # marker side, px (17 mm), quiet zone of paper around it
MARKER_INSET = 110  # from the page edge to the marker
MARKER_IDS = (0, 1, 2, 3)  # top-left, top-right, bottom-right, bottom-left
CORNER_NAMES = ("top-left", "top-right", "bottom-right", "bottom-left")
GRID_ROWS = GRID_COLS = 10
BOX = 190  # box side, px
BOX_PITCH_X = 200
BOX_PITCH_Y = 262
GRID_X = 360  # left edge of the first box
GRID_Y = 560  # top edge of the first row
BOX_LINE = 3  # px, light gray
BOX_GRAY = 150

READ_SCALE = 0.5  # a photographed sheet is rectified to this fraction of 300 dpi
INSET = 0.12  # of a box's side, cut off each edge so printed lines stay out
INK = 41  # darkness (of 255) that counts as ink (segment.WEAK)
STRONG = 77  # a box holds a digit only when its ink reaches this darkness
MIN_INK = 0.004  # share of a box's inside that must be ink for a digit
SCRIBBLE_COVER = 0.55  # ink covering more than this share of a box: a scribble
SCRIBBLE_BLOBS = 4  # this many large blobs in a box: a scribble
DEFAULT_ORDER = "1234567890"


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


# --------------------------------------------------------------------------- the sheet


def marker_corners() -> np.ndarray:
    """Corners of markers 0-3 on the sheet: (4, 4, 2) float32 px at 300 dpi.

    Per marker, in ArUco's order: top-left, top-right, bottom-right, bottom-left.
    """
    lo, hi_x, hi_y = MARKER_INSET, PAGE_W - MARKER_INSET - MARKER, PAGE_H - MARKER_INSET - MARKER
    origins = [(lo, lo), (hi_x, lo), (hi_x, hi_y), (lo, hi_y)]
    square = np.float32([[0, 0], [MARKER, 0], [MARKER, MARKER], [0, MARKER]])
    return np.stack([square + np.float32(o) for o in origins])


def box_rects() -> np.ndarray:
    """Boxes of the grid: (10, 10, 4) int32 x, y, w, h at 300 dpi; row r is digit r."""
    rows, cols = np.mgrid[0:GRID_ROWS, 0:GRID_COLS]
    x = GRID_X + cols * BOX_PITCH_X
    y = GRID_Y + rows * BOX_PITCH_Y
    side = np.full_like(x, BOX)
    return np.stack([x, y, side, side], axis=-1).astype(np.int32)


def render_sheet() -> np.ndarray:
    """The printable sheet: (3508, 2480) uint8 gray, white paper, A4 at 300 dpi."""
    page = np.full((PAGE_H, PAGE_W), 255, np.uint8)
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    for marker_id, corners in zip(MARKER_IDS, marker_corners(), strict=True):
        x, y = (int(v) for v in corners[0])
        page[y:y + MARKER, x:x + MARKER] = cv2.aruco.generateImageMarker(
            dictionary, marker_id, MARKER)
    font = cv2.FONT_HERSHEY_SIMPLEX
    left = MARKER_INSET + MARKER + 60
    cv2.putText(page, "livedigits handwriting calibration", (left, 190), font, 2.0, 0, 4,
                cv2.LINE_AA)
    cv2.putText(page, "Name:", (left, 330), font, 1.6, 0, 3, cv2.LINE_AA)
    cv2.line(page, (left + 180, 335), (PAGE_W - left, 335), 0, 3)
    cv2.putText(page, "Write each row's digit in its boxes as you usually do, one digit a box, "
                "inside the lines.", (GRID_X - 200, 440), font, 1.05, 60, 2, cv2.LINE_AA)
    cv2.putText(page, "Leave boxes empty if you like; scribble over a mistake. Keep the four "
                "corner squares visible.", (GRID_X - 200, 490), font, 1.05, 60, 2, cv2.LINE_AA)
    for row, rects in enumerate(box_rects()):
        for x, y, w, h in rects:
            cv2.rectangle(page, (int(x), int(y)), (int(x + w - 1), int(y + h - 1)), BOX_GRAY,
                          BOX_LINE)
        x, y = int(rects[0, 0]), int(rects[0, 1])
        (tw, th), _ = cv2.getTextSize(str(row), font, 3.0, 6)
        cv2.putText(page, str(row), (x - 70 - tw, y + (BOX + th) // 2), font, 3.0, 0, 6,
                    cv2.LINE_AA)
    cv2.putText(page, "Then: livedigits calibrate read PHOTO --profile NAME",
                (left, PAGE_H - MARKER_INSET - MARKER // 2), font, 1.05, 60, 2, cv2.LINE_AA)
    return page


def pdf_from_gray(image: np.ndarray, *, dpi: float = DPI) -> bytes:
    """A one-page PDF showing a gray image at ``dpi``: the page is the image's size.

    Parameters
    ----------
    image : (H, W) uint8 gray

    The image is a Flate-compressed 8-bit DeviceGray XObject painted over the
    whole page; no other resources are needed.
    """
    image = np.ascontiguousarray(image, np.uint8)
    if image.ndim != 2:
        raise ValueError(f"pdf_from_gray needs a (H, W) image, got {image.shape}")
    h, w = image.shape
    page_w, page_h = w * 72.0 / dpi, h * 72.0 / dpi
    pixels = zlib.compress(image.tobytes(), 9)
    content = f"q {page_w:.3f} 0 0 {page_h:.3f} 0 0 cm /Im0 Do Q\n".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w:.3f} {page_h:.3f}] "
         "/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>").encode(),
        (f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray "
         f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(pixels)} >>\nstream\n"
         ).encode() + pixels + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"endstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
              "%%EOF\n".encode())
    return out.getvalue()


def write_sheet(out_dir: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write ``calibration_sheet.png`` and ``calibration_sheet.pdf`` into ``out_dir``
    (created when missing); existing files are kept (LivedigitsError) unless ``force``."""
    from livedigits.atomic import write_bytes_atomic
    from livedigits.imageio import encode_png
    from livedigits.outputs import check_new_file

    out_dir = Path(out_dir)
    for name in ("calibration_sheet.png", "calibration_sheet.pdf"):
        check_new_file(out_dir / name, force=force)
    page = render_sheet()
    png = write_bytes_atomic(out_dir / "calibration_sheet.png", encode_png(page))
    pdf = write_bytes_atomic(out_dir / "calibration_sheet.pdf", pdf_from_gray(page))
    return png, pdf


# --------------------------------------------------------------------------- reading boxes


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
    from livedigits.recognize.normalise import normalise

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
    image : (H, W) or (H, W, 3|4) uint8

    Raises LivedigitsError when the markers are missing or too few are visible,
    or when no box holds a digit.
    """
    from livedigits.recognize.ink import darkness, to_gray

    gray = to_gray(_to8(image))
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


def _to8(image: np.ndarray) -> np.ndarray:
    return (image >> 8).astype(np.uint8) if image.dtype == np.uint16 else image


# --------------------------------------------------------------------------- rows sheets


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
    image : (H, W) or (H, W, 3|4) uint8
    order : the rows' digits, top row first

    Raises LivedigitsError when no digits are found or the rows found are not
    as many as ``order`` has digits.
    """
    from livedigits.recognize.normalise import normalise, patch_of
    from livedigits.recognize.segment import find_candidates

    digits = parse_order(order)
    found = find_candidates(_to8(image))
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


# --------------------------------------------------------------------------- profiles


def contact_sheet(cells: np.ndarray, labels: np.ndarray, *, zoom: int = 3,
                  per_row: int = 20) -> np.ndarray:
    """A picture of every cell with its label, for a person to check.

    Parameters
    ----------
    cells : (N, 20, 20) uint8 in digits.png's form
    labels : (N,) int

    Returns
    -------
    (H, W, 3) uint8 BGR: one band per digit, its label at the left, its cells
    drawn dark on white, ``per_row`` a line.
    """
    side = CELL * zoom
    gap = 4
    label_w = 60
    bands = []
    for digit in range(10):
        mine = cells[labels == digit]
        lines = max(1, -(-len(mine) // per_row))
        band = np.full((lines * (side + gap) + gap, label_w + per_row * (side + gap) + gap, 3),
                       255, np.uint8)
        cv2.putText(band, str(digit), (12, gap + side - 14), cv2.FONT_HERSHEY_SIMPLEX, 1.4,
                    (0, 0, 200), 3, cv2.LINE_AA)
        for k, cell in enumerate(mine):
            top = gap + (k // per_row) * (side + gap)
            left = label_w + gap + (k % per_row) * (side + gap)
            big = cv2.resize(255 - cell, (side, side), interpolation=cv2.INTER_NEAREST)
            band[top:top + side, left:left + side] = big[:, :, None]
            cv2.rectangle(band, (left - 1, top - 1), (left + side, top + side), (200, 200, 200),
                          1)
            cv2.putText(band, str(digit), (left + 2, top + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                        (0, 0, 200), 1, cv2.LINE_AA)
        bands.append(band)
        bands.append(np.full((2, band.shape[1], 3), 180, np.uint8))
    return np.concatenate(bands[:-1])


def save_profile(name: str, reading: SheetReading, *, force: bool = False) -> tuple[Path, Path]:
    """Write the profile ``name`` (``NAME.npz`` in the profiles folder, or a
    ``PATH.npz`` as given) and its contact sheet ``NAME_contact.png`` beside it.

    An existing profile is kept unless ``force``. Both files are written
    through a temporary file and a rename, the profile last, so a profile is
    never half-written; missing folders are created. Returns the two paths.
    """
    from livedigits.atomic import write_bytes_atomic
    from livedigits.imageio import encode_png
    from livedigits.training.profiles import PROFILE_FORMAT, profile_target

    path, contact = profile_target(name)
    if path.exists() and not force:
        raise LivedigitsError(f"{path} exists; pass --force to replace it, or choose another "
                              "--profile name")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, format_version=np.int32(PROFILE_FORMAT),
                        cells=np.ascontiguousarray(reading.cells, np.uint8),
                        labels=np.ascontiguousarray(reading.labels, np.int32))
    try:
        write_bytes_atomic(contact, encode_png(contact_sheet(reading.cells, reading.labels)))
        write_bytes_atomic(path, buffer.getvalue())
    except OSError as exc:
        raise LivedigitsError(f"{path.parent}: cannot write the profile ({exc.strerror})"
                              ) from None
    return path, contact


def read_file(path: Path, *, layout: str = "sheet", order: str = DEFAULT_ORDER) -> SheetReading:
    """Read a calibration sheet file: ``layout`` "sheet" (printed, markers) or "rows"."""
    from livedigits.imageio import read_image

    image = read_image(path)
    try:
        if layout == "rows":
            return read_rows(image, order)
        if layout == "sheet":
            return read_sheet(image)
    except LivedigitsError as exc:
        raise LivedigitsError(f"{path}: {exc}") from None
    raise LivedigitsError(f"unknown layout {layout!r}: use sheet or rows")


# --------------------------------------------------------------------------- report


def profile_report(profile: str | Path, *, folds: int = 5, seed: int = 0) -> dict:
    """A writer's accuracy before and after calibration, by k-fold cross-validation.

    "before" classifies every profile cell with a model from digits.png alone;
    "after" classifies each fold with a model from digits.png plus the other
    folds' cells. Both models use one augmented copy per digit (faster to fit
    than the default three; the figures are comparable with each other).

    Returns ``{"profile", "samples", "folds", "before", "after", "per_digit":
    {"0": {"n", "before", "after"}, ...}}``, accuracies in [0, 1].
    """
    from livedigits.paths import digits_png
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.cells import load_sheet
    from livedigits.training.fit import fit
    from livedigits.training.model import ModelParams
    from livedigits.training.profiles import load_profile, resolve_profile

    path = resolve_profile(profile)
    cells, labels = load_profile(path)
    if len(cells) < 2:
        raise LivedigitsError(f"{path}: {len(cells)} samples; cross-validation needs at least 2")
    folds = max(2, min(folds, len(cells)))
    params = ModelParams(augment_copies=1)
    base_cells, base_labels, _ = load_sheet(digits_png())
    before_pred, _ = Recognizer(fit(base_cells, base_labels, params)).classify(cells)
    fold_of = np.random.default_rng(seed).permutation(len(cells)) % folds
    after_pred = np.empty(len(cells), np.int32)
    for k in range(folds):
        test = fold_of == k
        model = fit(base_cells, base_labels, params, extra_cells=cells[~test],
                    extra_labels=labels[~test])
        after_pred[test], _ = Recognizer(model).classify(cells[test])
    per_digit = {}
    for d in range(10):
        mine = labels == d
        n = int(mine.sum())
        per_digit[str(d)] = {
            "n": n,
            "before": float(np.mean(before_pred[mine] == d)) if n else None,
            "after": float(np.mean(after_pred[mine] == d)) if n else None,
        }
    return {
        "profile": str(profile),
        "samples": len(cells),
        "folds": folds,
        "before": float(np.mean(before_pred == labels)),
        "after": float(np.mean(after_pred == labels)),
        "per_digit": per_digit,
    }
