"""The public API: ``Recognizer.recognize(image) -> list[Detection]``.

Joins segmentation, the HOG and k-NN kernels and the reading-order layout.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from livedigits.imageio import read_image
from livedigits.recognize.layout import arrange
from livedigits.recognize.printed import printed_digits
from livedigits.training.build import load_cached
from livedigits.training.fit import describe
from livedigits.training.model import N_CLASSES, REJECT, Model, ModelParams
from livedigits.training.profiles import resolve_profile

if TYPE_CHECKING:
    from livedigits.recognize.segment import Candidates

log = logging.getLogger(__name__)

UNSURE_BELOW = 0.6  # vote share under which a digit is shown as "?"
NOT_A_DIGIT_BELOW = 0.55  # nearest training digit's cosine under which a blob is not a digit
REJECT_FROM = 0.9  # share of the vote for "not a digit" from which a blob is not a digit
DOUBTFUL_FROM = 0.5  # such a share from which a digit counts as print beside print


def is_digit(reject_share: np.ndarray, nearest_digit: np.ndarray) -> np.ndarray:
    """The one rule for "is this cell a digit", used by reading, tracking and splitting.

    Parameters
    ----------
    reject_share : (N,) float, share of the k neighbours' vote for REJECT
    nearest_digit : (N,) float, cosine to the nearest training digit

    Returns
    -------
    (N,) bool: the not-a-digit examples do not hold REJECT_FROM of the vote, and
    some training digit is at least NOT_A_DIGIT_BELOW near (a blob unlike anything
    trained on is no digit either).
    """
    return (np.asarray(reject_share) < REJECT_FROM) & \
        (np.asarray(nearest_digit) >= NOT_A_DIGIT_BELOW)


@dataclass(frozen=True)
class Judgement:
    """What the classifier says about N deskewed cells.

    digits : (N,) int32, the best digit 0..9 (also for a cell that is not a digit)
    confidences : (N,) float32 in [0, 1], a digit's share of the digits' vote; for a
        cell that is not a digit, its best digit's share of the whole vote
    nearest : (N,) float32, cosine to the nearest training digit
    reject_share : (N,) float32, the vote's share for "not a digit"
    is_digit : (N,) bool, ``is_digit(reject_share, nearest)``
    features : (N, D) float32, the cells' unit feature rows the search compared
    """

    digits: np.ndarray
    confidences: np.ndarray
    nearest: np.ndarray
    reject_share: np.ndarray
    is_digit: np.ndarray
    features: np.ndarray


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

    def __repr__(self) -> str:
        return (f"Detection(x={self.x}, y={self.y}, w={self.w}, h={self.h}, "
                f"digit={self.digit}, confidence={self.confidence:.3f})")


@dataclass
class Reading:
    """Everything recognised in one image, in reading order."""

    detections: list[Detection]
    lines: list[list[int]]  # positions in ``detections``, first line first
    text: str
    cells: np.ndarray  # (N, 20, 20) uint8, for the debug view
    ink: np.ndarray | None = None

    def __repr__(self) -> str:
        return (f"Reading(text={self.text!r}, {len(self.detections)} detections, "
                f"{len(self.lines)} lines)")


class Recognizer:
    """Handwritten-digit recognizer: a fitted model plus the pipeline around it."""

    def __init__(self, model: Model, *, min_confidence: float = UNSURE_BELOW,
                 video: bool = False) -> None:
        self.model = model
        self.min_confidence = _checked_confidence(min_confidence)
        #: Compare with the model's smeared rows too (``Model.still_rows``): for the
        #: frames of a moving camera. A still image is compared with the still rows only.
        self.video = video
        self._digits_cache: tuple | None = None
        self._origin = "model"  # what it was loaded from, for repr

    def for_video(self) -> Recognizer:
        """The same recognizer for video frames (``video``), sharing the model."""
        twin = Recognizer(self.model, min_confidence=self.min_confidence, video=True)
        twin._origin = self._origin
        return twin

    def _rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The training features (M', D) and labels (M',) this recognizer compares
        with: all of them for video, else the model's still rows (views, no copy)."""
        still = self.model.still_rows
        if self.video or still is None:
            return self.model.features, self.model.labels
        return self.model.features[:still], self.model.labels[:still]

    def __repr__(self) -> str:
        return (f"Recognizer({self._origin}, {len(self.model.labels)} training rows, "
                f"k={self.model.params.k}, min_confidence={self.min_confidence:g})")

    @classmethod
    def load(
        cls,
        profile: str | Path | None = None,
        *,
        model_path: str | Path | None = None,
        params: ModelParams | None = None,
        min_confidence: float = UNSURE_BELOW,
    ) -> Recognizer:
        """The default model (built from digits.png on first use and cached).

        ``profile`` names a handwriting profile (``calibration/NAME.npz``) or is a
        path to one; ``model_path`` loads a model file written by ``livedigits train``;
        ``min_confidence`` (0..1) is the vote share under which ``read`` shows a digit
        as ``?``. A missing or damaged profile or model file raises LivedigitsError.
        """
        min_confidence = _checked_confidence(min_confidence)
        for name, value in (("profile", profile), ("model_path", model_path)):
            if value is not None and not isinstance(value, (str, Path)):
                raise TypeError(f"{name} must be a str or Path, got {type(value).__name__}")
        if model_path is not None:
            recognizer = cls(Model.load(Path(model_path)), min_confidence=min_confidence)
            recognizer._origin = f"model file {str(model_path)!r}"
            return recognizer
        profile_path = None
        if profile is not None:
            profile_path = resolve_profile(profile)
        recognizer = cls(load_cached(params, profile=profile_path),
                         min_confidence=min_confidence)
        recognizer._origin = "default model" if profile is None else f"profile {str(profile)!r}"
        return recognizer

    def warmup(self) -> None:
        """Compile (or load from cache) every kernel on tiny inputs."""
        from livedigits.kernels.hog import hog

        cells = np.zeros((2, 20, 20), np.uint8)
        cells[:, 5:15, 9:11] = 255
        hog(cells, parallel=False)
        hog(np.repeat(cells, 150, axis=0), parallel=True)
        self.classify(cells)

    def _digit_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The training rows that are digits (a view when they come first, as ``fit``
        puts them) and their labels."""
        if self._digits_cache is None or self._digits_cache[0] is not self.model.features \
                or self._digits_cache[3] != self.video:
            features, labels = self._rows()
            n = int(np.count_nonzero(labels < REJECT))
            if (labels[:n] < REJECT).all():
                rows, row_labels = features[:n], labels[:n]
            else:
                rows = np.ascontiguousarray(features[labels < REJECT])
                row_labels = labels[labels < REJECT]
            self._digits_cache = (self.model.features, rows, row_labels, self.video)
        return self._digits_cache[1], self._digits_cache[2]

    def judge(self, cells: np.ndarray) -> Judgement:
        """Classify deskewed (N, 20, 20) uint8 cells (``normalise.cut_cells``'s).

        One k-NN search over every training row, digits and not-a-digit examples;
        the weighted vote over the 11 classes gives the reject share and, among the
        digits, the best digit. Cells whose k neighbours are all not-a-digit
        examples get their best digit and nearest digit from a second search over
        the digit rows only.
        """
        from livedigits.kernels.knn import knn_search, knn_vote

        features = describe(cells, self.model.projection)
        train, labels = self._rows()
        k = min(self.model.params.k, len(labels))
        indices, sims = knn_search(features, train, k)
        voters = labels[indices]
        weights = np.maximum(sims, 0) ** 4  # knn_vote's weights (power 4)
        total = weights.sum(axis=1)
        digit_weight = np.where(voters < REJECT, weights, 0).sum(axis=1)
        reject_share = np.where(total > 0, 1 - digit_weight / np.maximum(total, 1e-30), 0)
        # The best digit: the vote with the reject neighbours' weights left out.
        digit_sims = np.where(voters < REJECT, sims, 0).astype(np.float32)
        digits, shares = knn_vote(indices, digit_sims, labels, N_CLASSES)
        of_all = shares * np.where(total > 0, digit_weight / np.maximum(total, 1e-30), 0)
        nearest = np.where(voters < REJECT, sims, -1).max(axis=1)
        alone = np.flatnonzero(digits == REJECT)  # no digit among the neighbours
        if len(alone):
            rows, row_labels = self._digit_rows()
            k_digits = min(k, len(row_labels))
            near_i, near_s = knn_search(features[alone], rows, k_digits)
            digits[alone], _ = knn_vote(near_i, near_s, row_labels, REJECT)
            nearest[alone] = near_s[:, 0]
            shares[alone] = of_all[alone] = 0
        reject_share = reject_share.astype(np.float32)
        nearest = nearest.astype(np.float32)
        ok = is_digit(reject_share, nearest)
        # A digit's confidence is its share among the digits' votes, as without a reject
        # class; a cell that is not a digit gets its best digit's share of the whole vote.
        confidences = np.where(ok, shares, of_all).astype(np.float32)
        return Judgement(digits.astype(np.int32), confidences, nearest, reject_share, ok,
                         features)

    def neighbours(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``split.Neighbours``: digits, confidences (0 for a cell that is not a digit)
        and nearest digit cosines of deskewed cells."""
        judged = self.judge(cells)
        return judged.digits, np.where(judged.is_digit, judged.confidences, 0), judged.nearest

    def classify(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Classify cells in digits.png's form.

        Parameters
        ----------
        cells : (N, 20, 20) uint8, white digit on black, centred as MNIST's

        Returns
        -------
        digits : (N,) int32, 0..9
        confidences : (N,) float32 in [0, 1], the digit's share of the vote of the
            k nearest training digits

        A cell that is not a digit still gets its best digit, with that digit's share
        of the whole vote (the not-a-digit examples' share, at least REJECT_FROM,
        counts against it, so it is low, and 0 when every neighbour is one);
        ``assess`` says which cells are digits.
        """
        judged = self.assess(cells)
        return judged[0], judged[1]

    def assess(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As ``classify``, plus whether each cell is a digit at all.

        Returns
        -------
        digits : (N,) int32, 0..9
        confidences : (N,) float32, as ``classify``'s
        is_digit : (N,) bool, False for printed text, box sides, grid crossings,
            letters and other marks (``is_digit``)
        """
        from livedigits.training.cells import deskew

        cells = np.asarray(cells)
        if cells.ndim != 3 or cells.shape[1:] != (20, 20):
            raise ValueError(f"cells must have shape (N, 20, 20), got {cells.shape}")
        if len(cells) == 0:
            return np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, bool)
        judged = self.judge(deskew(np.ascontiguousarray(cells, np.uint8)))
        return judged.digits, judged.confidences, judged.is_digit

    def read(self, image: np.ndarray | str | Path) -> Reading:
        """Recognise every digit of an image and read its text.

        Parameters
        ----------
        image : (H, W) gray, (H, W, 3) BGR or (H, W, 4) BGRA array, uint8 or uint16
            (float in [0, 1] accepted), or the path of an image file (read upright)

        Returns
        -------
        Reading: ``detections`` in reading order (boxes in the image's pixels),
        ``lines`` (positions in ``detections``, first line first), ``text`` (digits
        close together form a number, numbers on a line are separated by a space,
        lines by a newline, a digit under ``min_confidence`` is ``?``) and ``cells``
        (N, 20, 20) uint8, the normalised cells read.

        Raises TypeError or ValueError for what is not an image (None, a list, an
        empty or 1-D array, an unsupported dtype) and LivedigitsError naming a file
        that cannot be read.
        """
        from livedigits.recognize.normalise import cut_cells
        from livedigits.recognize.segment import find_candidates
        from livedigits.recognize.split import Splitter

        found = find_candidates(as_image(image))
        cells = cut_cells(found)
        if len(cells) == 0:
            return Reading([], [], "", cells, found.ink)
        judged = self.judge(cells)
        sure = np.where(judged.is_digit, judged.confidences, 0)
        split = Splitter(self.neighbours)(found, (sure, judged.nearest, judged.reject_share))
        if split is not found:  # touching digits were split: read the pieces
            cells, judged = self._judge_pieces(found, cells, judged, split)
            found = split
        keep = judged.is_digit & ~printed_digits(
            found.boxes, judged.is_digit, judged.reject_share >= REJECT_FROM,
            judged.features, judged.digits,
            doubtful=judged.is_digit & (judged.reject_share >= DOUBTFUL_FROM))
        digits, confidences = judged.digits, judged.confidences
        boxes = found.boxes[keep]
        digits, confidences, cells = digits[keep], confidences[keep], cells[keep]
        order, lines, text = arrange(boxes, digits, confidences, self.min_confidence)
        detections = [
            Detection(int(boxes[i, 0]), int(boxes[i, 1]), int(boxes[i, 2]), int(boxes[i, 3]),
                      int(digits[i]), float(confidences[i]))
            for i in order
        ]
        return Reading(detections, lines, text, cells[order], found.ink)

    def _judge_pieces(self, found: Candidates, cells: np.ndarray, judged: Judgement,
                      split: Candidates) -> tuple[np.ndarray, Judgement]:
        """Cells (N', 20, 20) and judgement of ``split`` (``found`` with some blobs cut
        into pieces): the candidates left whole keep theirs, only the pieces are cut
        and judged."""
        from livedigits.recognize.normalise import cut_cells

        before = {(extent, tuple(group)): i for i, (extent, group)
                  in enumerate(zip(found.extents, found.members, strict=True))}
        source = np.array([before.get((extent, tuple(group)), -1) for extent, group
                           in zip(split.extents, split.members, strict=True)], np.intp)
        kept, pieces = np.flatnonzero(source >= 0), np.flatnonzero(source < 0)
        piece_cells = cut_cells(split, pieces)
        piece_judged = self.judge(piece_cells)

        def merged(old: np.ndarray, new: np.ndarray) -> np.ndarray:
            out = np.empty((len(source), *old.shape[1:]), old.dtype)
            out[kept] = old[source[kept]]
            out[pieces] = new
            return out

        return merged(cells, piece_cells), Judgement(
            *(merged(getattr(judged, name), getattr(piece_judged, name))
              for name in ("digits", "confidences", "nearest", "reject_share", "is_digit",
                           "features")))

    def recognize(self, image: np.ndarray | str | Path) -> list[Detection]:
        """Detections in reading order.

        Parameters
        ----------
        image : (H, W) or (H, W, 3) BGR or (H, W, 4) BGRA uint8 (uint16, float in
            [0, 1] accepted), or the path of an image file; as ``read``'s

        Returns
        -------
        list of Detection, boxes in the input image's pixels
        """
        return self.read(image).detections


def _checked_confidence(value: float) -> float:
    """``value`` as a float in [0, 1]; TypeError or ValueError naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"min_confidence must be a number in [0, 1], "
                        f"got {type(value).__name__}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"min_confidence must be in [0, 1], got {value!r}")
    return float(value)


def as_image(image: object) -> np.ndarray:
    """An image argument of the public API as an array ``find_candidates`` takes.

    Accepts a path (``str`` or ``os.PathLike``, read upright with ``imageio.read_image``),
    a numpy array or anything with ``__array_interface__`` (a PIL image): (H, W),
    (H, W, 1), (H, W, 3) or (H, W, 4), uint8 or uint16, or float with values in [0, 1].
    Raises TypeError for other types and dtypes, ValueError for other shapes, an empty
    image and float values out of range; each message says what was passed.
    """
    import os

    if image is None:
        raise TypeError("image is None (cv2.imread returns None for a file it cannot "
                        "read): pass an image array or the path of an image file")
    if isinstance(image, (str, os.PathLike)):
        return read_image(image)
    if isinstance(image, bytes):
        raise TypeError("image is bytes: decode it first (cv2.imdecode) or pass a path")
    if not isinstance(image, np.ndarray):
        if not hasattr(image, "__array_interface__") and not hasattr(image, "__array__"):
            raise TypeError(f"image must be a numpy array or a path, "
                            f"got {type(image).__name__}")
        image = np.asarray(image)
    if image.size == 0:
        raise ValueError(f"image is empty (shape {image.shape})")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"image must have shape (H, W), (H, W, 3) or (H, W, 4), "
                         f"got {image.shape}")
    if image.dtype in (np.uint8, np.uint16):
        return image
    if image.dtype.kind == "f":
        finite = image[np.isfinite(image)]
        if finite.size == 0 or finite.min() < 0 or finite.max() > 1:
            raise ValueError("a float image must hold values in [0, 1], got "
                             + (f"{finite.min():g}..{finite.max():g}" if finite.size
                                else "no finite value"))
        image = np.nan_to_num(image, nan=1.0, posinf=1.0, neginf=0.0)  # missing: paper
        return np.round(image * 255).astype(np.uint8)
    raise TypeError(f"image must be uint8 or uint16 (or float in [0, 1]), got {image.dtype}")
