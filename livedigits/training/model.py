"""The model file: its parameters and arrays, checked, saved as an ``.npz`` (no pickle).

A model is the projection from HOG vectors to the space the k-NN search compares
in, the training set's features in that space and their labels: digits, or
``REJECT`` for the examples of what is not a digit. ``fit`` fits one; ``build``
builds the default one and caches it.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from livedigits.atomic import write_npz_atomic
from livedigits.errors import LivedigitsError
from livedigits.limits import check_model_file

FORMAT_VERSION = 2  # 2: labels may be REJECT (not a digit)
READS_FORMATS = (1, 2)  # a format-1 file is a model without a reject class
REJECT = 10  # label of the training rows that are not digits
N_CLASSES = REJECT + 1


@dataclass(frozen=True)
class ModelParams:
    """How a model is built; every field goes into the cache key and the saved file."""

    augment_copies: int = 3
    seed: int = 0
    dims: int = 64
    k: int = 5
    holdout: bool = False  # True: leave digits.png's held-out tenth out of training
    profile_weight: int = 10  # copies of each profile cell (augmented): 50 cells weigh 500
    negatives: int = 300  # non-digit cells per kind (negatives.WEIGHTS more for some); 0: none
    styles: int = 15  # cells of each digit style MNIST lacks (then augmented); 0: none
    smear: float = 0.3  # share of the augmented digits and negatives added smeared, for video

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class Model:
    """Fitted nearest-neighbour model.

    Attributes
    ----------
    projection : (512, dims) float32, HOG vector -> reduced vector
    features : (M, dims) float32 unit rows, the training set
    labels : (M,) int32 digits 0..9, or REJECT for a training row that is not a digit;
        the digit rows come first among the still rows, and again among the rest
    params : ModelParams
    source : str, hash of the inputs it was built from
    still_rows : int or None, the first rows, which a still image is compared with;
        the rows after them are copies smeared by a moving camera, which only video
        frames are compared with (``Recognizer.for_video``). None: every row is a still row.
    """

    projection: np.ndarray
    features: np.ndarray
    labels: np.ndarray
    params: ModelParams = field(default_factory=ModelParams)
    source: str = ""
    still_rows: int | None = None

    def save(self, path: Path, *, compressed: bool = False) -> Path:
        """Write the model as an ``.npz`` atomically (deflated with ``compressed``);
        returns the path."""
        extra = {} if self.still_rows is None else {"still_rows": np.int64(self.still_rows)}
        return write_npz_atomic(path, dict(
            **extra,
            format_version=np.int32(FORMAT_VERSION),
            params=np.array(self.params.to_json()),
            source=np.array(self.source),
            projection=self.projection,
            features=self.features,
            labels=self.labels,
        ), compressed=compressed)

    @classmethod
    def load(cls, path: Path) -> Model:
        """Read a model file; a missing, damaged or foreign file is a LivedigitsError."""
        path = Path(path)

        check_model_file(path)  # kind of file, array sizes and params depth, before loading
        try:
            with np.load(path, allow_pickle=False) as data:
                version = int(data["format_version"])
                if version not in READS_FORMATS:
                    raise LivedigitsError(
                        f"{path}: model format {version}, this livedigits reads format "
                        f"{FORMAT_VERSION}; rebuild it with `livedigits train --out {path}`"
                    )
                raw = json.loads(str(data["params"]))
                if not isinstance(raw, dict):
                    raise ValueError("params is not an object")
                params = ModelParams(**{k: v for k, v in raw.items()
                                        if k in ModelParams.__dataclass_fields__})
                model = cls(
                    projection=np.ascontiguousarray(data["projection"], np.float32),
                    features=np.ascontiguousarray(data["features"], np.float32),
                    labels=np.ascontiguousarray(data["labels"], np.int32),
                    params=params,
                    source=str(data["source"]),
                    still_rows=int(data["still_rows"]) if "still_rows" in data.files else None,
                )
        except LivedigitsError:
            raise
        except FileNotFoundError:
            raise LivedigitsError(f"{path}: no such model file") from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile,
                EOFError) as exc:
            raise LivedigitsError(
                f"{path}: not a livedigits model ({type(exc).__name__}); "
                "rebuild it with `livedigits train`"
            ) from None
        try:
            model.check()
        except LivedigitsError as exc:
            raise LivedigitsError(f"{path}: {exc}") from None
        return model

    def check(self) -> None:
        """Raise LivedigitsError unless the parameters and arrays fit together."""
        from livedigits.kernels.hog import N_FEATURES

        p = self.params
        if not all(isinstance(v, int) and not isinstance(v, bool)
                   for v in (p.augment_copies, p.seed, p.dims, p.k, p.profile_weight,
                             p.negatives, p.styles)) or \
                p.k < 1 or p.negatives < 0 or p.styles < 0 or \
                not isinstance(p.smear, (int, float)) or not 0 <= p.smear <= 1 or \
                p.dims != self.projection.shape[-1]:
            raise LivedigitsError(
                "model parameters are invalid; rebuild it with `livedigits train`"
            )
        ok = (
            self.projection.ndim == 2
            and self.projection.shape[0] == N_FEATURES
            and self.features.ndim == 2
            and self.features.shape[1] == self.projection.shape[1]
            and self.labels.shape == (self.features.shape[0],)
            and len(self.labels) >= 1
            and self.labels.min() >= 0
            and self.labels.max() <= REJECT
            and (self.labels < REJECT).any()
            and np.isfinite(self.features).all()
            and np.isfinite(self.projection).all()
            and (self.still_rows is None
                 or (1 <= self.still_rows <= len(self.labels)
                     and (self.labels[:self.still_rows] < REJECT).any()))
        )
        if not ok:
            raise LivedigitsError(
                "model arrays are inconsistent; rebuild it with `livedigits train`"
            )
