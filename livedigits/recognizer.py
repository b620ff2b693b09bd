"""The public API: ``Recognizer.recognize(image) -> list[Detection]``.

Joins segmentation, the HOG and k-NN kernels and the reading-order layout.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from livedigits.model import Model, ModelParams

log = logging.getLogger(__name__)

UNSURE_BELOW = 0.6  # vote share under which a digit is shown as "?"
NOT_A_DIGIT_BELOW = 0.55  # nearest-neighbour cosine under which a blob is not a digit


@dataclass(frozen=True)
class Detection:
    """One digit: box in the input image's pixels, the digit and its vote share (0..1)."""

    x: int
    y: int
    w: int
    h: int
    digit: int
    confidence: float

    def to_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h,
                "digit": self.digit, "confidence": round(self.confidence, 4)}


@dataclass
class Reading:
    """Everything recognised in one image, in reading order."""

    detections: list[Detection]
    lines: list[list[int]]
    text: str
    cells: np.ndarray  # (N, 20, 20) uint8, for the debug view
    ink: np.ndarray | None = None


class Recognizer:
    """Handwritten-digit recognizer: a fitted model plus the pipeline around it."""

    def __init__(self, model: Model, *, min_confidence: float = UNSURE_BELOW) -> None:
        self.model = model
        self.min_confidence = min_confidence

    @classmethod
    def load(
        cls,
        profile: str | Path | None = None,
        *,
        model_path: str | Path | None = None,
        params: ModelParams | None = None,
    ) -> Recognizer:
        """The default model (built from digits.png on first use and cached).

        ``profile`` names a handwriting profile (``calibration/NAME.npz``) or is a
        path to one; ``model_path`` loads a model file written by ``livedigits train``.
        """
        from livedigits.model import load_cached

        if model_path is not None:
            return cls(Model.load(Path(model_path)))
        profile_path = None
        if profile is not None:
            from livedigits.profiles import resolve_profile

            profile_path = resolve_profile(profile)
        return cls(load_cached(params, profile=profile_path))

    def warmup(self) -> None:
        """Compile (or load from cache) every kernel on tiny inputs."""
        from livedigits.kernels.hog import hog

        cells = np.zeros((2, 20, 20), np.uint8)
        cells[:, 5:15, 9:11] = 255
        hog(cells, parallel=False)
        hog(np.repeat(cells, 150, axis=0), parallel=True)
        self.classify(cells)

    def _neighbours(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from livedigits.kernels.knn import knn_search, knn_vote
        from livedigits.model import describe

        features = describe(cells, self.model.projection)
        k = min(self.model.params.k, len(self.model.labels))
        indices, sims = knn_search(features, self.model.features, k)
        digits, confidences = knn_vote(indices, sims, self.model.labels, 10)
        return digits, confidences, sims[:, 0]

    def classify(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Classify cells in digits.png's form.

        Parameters
        ----------
        cells : (N, 20, 20) uint8, white digit on black, centred as MNIST's

        Returns
        -------
        digits : (N,) int32
        confidences : (N,) float32, the winning vote share in [0, 1]
        """
        from livedigits.cells import deskew

        cells = np.asarray(cells)
        if cells.ndim != 3 or cells.shape[1:] != (20, 20):
            raise ValueError(f"cells must have shape (N, 20, 20), got {cells.shape}")
        if len(cells) == 0:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        digits, confidences, _ = self._neighbours(deskew(np.ascontiguousarray(cells, np.uint8)))
        return digits, confidences

    def read(self, image: np.ndarray) -> Reading:
        """Recognise every digit of a gray/BGR/BGRA image; see ``recognize``."""
        from livedigits.layout import arrange
        from livedigits.segment import cut_cells, find_candidates
        from livedigits.split import Splitter

        found = find_candidates(image)
        cells = cut_cells(found)
        if len(cells) == 0:
            return Reading([], [], "", cells, found.ink)
        digits, confidences, nearest = self._neighbours(cells)
        split = Splitter(self._neighbours)(found, (confidences, nearest))
        if split is not found:  # touching digits were split: read the new set
            found, cells = split, cut_cells(split)
            digits, confidences, nearest = self._neighbours(cells)
        keep = nearest >= NOT_A_DIGIT_BELOW
        boxes = found.boxes[keep]
        digits, confidences, cells = digits[keep], confidences[keep], cells[keep]
        order, lines, text = arrange(boxes, digits, confidences, self.min_confidence)
        detections = [
            Detection(int(boxes[i, 0]), int(boxes[i, 1]), int(boxes[i, 2]), int(boxes[i, 3]),
                      int(digits[i]), float(confidences[i]))
            for i in order
        ]
        return Reading(detections, lines, text, cells[order], found.ink)

    def recognize(self, image: np.ndarray) -> list[Detection]:
        """Detections in reading order.

        Parameters
        ----------
        image : (H, W) or (H, W, 3) BGR or (H, W, 4) BGRA uint8 (uint16 accepted)

        Returns
        -------
        list of Detection, boxes in the input image's pixels
        """
        return self.read(image).detections
