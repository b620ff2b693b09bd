"""The printable calibration sheet: its layout, drawn at 300 dpi, written as PNG and PDF.

The sheet (A4, 300 dpi) carries four ArUco markers (DICT_4X4_50, ids 0-3
clockwise from the top left), a name line and a grid of boxes: ten rows, one per
digit 0-9 labelled at the left, ten boxes a row. The constants below place them,
in pixels at 300 dpi; ``sheet_reader`` finds them again in a photo.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import cv2
import numpy as np

from livedigits.imageio import encode_png
from livedigits.outputs import check_new_file

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

    out_dir = Path(out_dir)
    for name in ("calibration_sheet.png", "calibration_sheet.pdf"):
        check_new_file(out_dir / name, force=force)
    page = render_sheet()
    png = write_bytes_atomic(out_dir / "calibration_sheet.png", encode_png(page))
    pdf = write_bytes_atomic(out_dir / "calibration_sheet.pdf", pdf_from_gray(page))
    return png, pdf
