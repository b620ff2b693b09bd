"""Making a handwriting profile: a sheet file read by its layout, saved with a contact sheet.

The contact sheet shows every cell read, with its label, for a person to check.

A profile is ``NAME.npz`` in the per-user profiles folder (``paths.calibration_dir``)
or any ``PATH.npz``: ``cells`` (N, 20, 20) uint8 (not
deskewed: ``fit.fit`` deskews), ``labels`` (N,) int32, ``format_version``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from livedigits.calibrate.rows_reader import DEFAULT_ORDER, read_rows
from livedigits.calibrate.sheet_reader import SheetReading, read_sheet
from livedigits.errors import LivedigitsError
from livedigits.imageio import encode_png, read_image
from livedigits.training.cells import CELL
from livedigits.training.profiles import PROFILE_FORMAT, profile_target


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
    from livedigits.atomic import write_bytes_atomic, write_npz_atomic

    path, contact = profile_target(name)
    if path.exists() and not force:
        raise LivedigitsError(f"{path} exists; pass --force to replace it, or choose another "
                              "--profile name")
    try:
        write_bytes_atomic(contact, encode_png(contact_sheet(reading.cells, reading.labels)))
        write_npz_atomic(path, dict(format_version=np.int32(PROFILE_FORMAT),
                                    cells=np.ascontiguousarray(reading.cells, np.uint8),
                                    labels=np.ascontiguousarray(reading.labels, np.int32)),
                         compressed=True)
    except OSError as exc:
        raise LivedigitsError(f"{path.parent}: cannot write the profile ({exc.strerror})"
                              ) from None
    return path, contact


def read_file(path: Path, *, layout: str = "sheet", order: str = DEFAULT_ORDER) -> SheetReading:
    """Read a calibration sheet file: ``layout`` "sheet" (printed, markers) or "rows"."""
    image = read_image(path)
    try:
        if layout == "rows":
            return read_rows(image, order)
        if layout == "sheet":
            return read_sheet(image)
    except LivedigitsError as exc:
        raise LivedigitsError(f"{path}: {exc}") from None
    raise LivedigitsError(f"unknown layout {layout!r}: use sheet or rows")
