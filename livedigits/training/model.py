"""The classifier's data: training features, labels and the projection that made them.

A model is fitted from digits.png (plus, optionally, a handwriting profile's
cells), the digit styles MNIST lacks (``styles.py``) and examples of what is not a
digit (``negatives.py``, label ``REJECT``), saved as an ``.npz`` (no pickle) and
cached in the user's cache folder, keyed by a hash of its inputs and parameters.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.training import parts
from livedigits.training.parts import Parts

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: labels may be REJECT (not a digit)
READS_FORMATS = (1, 2)  # a format-1 file is a model without a reject class
# Bumped whenever the training recipe (augmentation, features) changes, so that
# cached models built by an older recipe are rebuilt rather than reused.
RECIPE = 17
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
        the digit rows come first
    params : ModelParams
    source : str, hash of the inputs it was built from
    """

    projection: np.ndarray
    features: np.ndarray
    labels: np.ndarray
    params: ModelParams = field(default_factory=ModelParams)
    source: str = ""

    def save(self, path: Path) -> Path:
        """Write the model as an ``.npz`` atomically; returns the path."""
        import io

        from livedigits.atomic import write_bytes_atomic

        buffer = io.BytesIO()
        np.savez(
            buffer,
            format_version=np.int32(FORMAT_VERSION),
            params=np.array(self.params.to_json()),
            source=np.array(self.source),
            projection=self.projection,
            features=self.features,
            labels=self.labels,
        )
        return write_bytes_atomic(Path(path), buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> Model:
        """Read a model file; a missing, damaged or foreign file is a LivedigitsError."""
        path = Path(path)
        from livedigits.limits import check_model_file

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
        )
        if not ok:
            raise LivedigitsError(
                "model arrays are inconsistent; rebuild it with `livedigits train`"
            )


def describe(cells: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """Reduced, unit-length HOG features of deskewed cells.

    Parameters
    ----------
    cells : (N, 20, 20) uint8, already deskewed
    projection : (512, D) float32

    Returns
    -------
    (N, D) float32, rows of unit length (zero rows stay zero)
    """
    from livedigits.kernels.hog import hog

    return np.ascontiguousarray(_unit_rows(hog(cells) @ projection, 1e-6), np.float32)


WIDE_DIMS = 256  # principal directions kept before whitening
WITHIN_RIDGE = 0.2  # added to the within-class scatter, times its mean variance


def fit_projection(features: np.ndarray, labels: np.ndarray, dims: int) -> np.ndarray:
    """The (512, dims) float32 map from HOG vectors to the space the search compares in.

    Three steps, each measured on pen-written held-out digits (live_video's frames):

    1. the top ``WIDE_DIMS`` principal directions of the *uncentred* features (the
       search compares directions, and an uncentred basis keeps the angles);
    2. whitening of the within-class scatter there (regularised by ``WITHIN_RIDGE``
       times its mean variance): directions in which one digit's own samples vary
       widely (stroke width, slant left by deskewing) count less, directions that
       tell digits apart count more; a learned metric, as in Mahalanobis k-NN;
    3. the top ``dims`` uncentred principal directions of the whitened vectors.

    Pen digits misread: 104 -> 74 of 3,000 (plain 64-d PCA -> this), MNIST strokes
    22 -> 17 of 1,000, with the same 64 dims and search cost.

    Parameters
    ----------
    features : (M, 512) float32 HOG vectors of the training cells
    labels : (M,) int digits
    """
    wide = _principal_directions(features, min(max(WIDE_DIMS, dims), features.shape[1]))
    reduced = _unit_rows(features @ wide, 1e-12)
    whiten = _within_class_whitening(reduced, labels, WITHIN_RIDGE)
    projected = wide @ whiten
    final = _principal_directions(_unit_rows(features @ projected, 1e-12), dims)
    return np.ascontiguousarray(projected @ final, np.float32)


def _principal_directions(features: np.ndarray, dims: int) -> np.ndarray:
    """Top ``dims`` right singular vectors of the uncentred (M, D) features, (D, dims)."""
    gram = features.T.astype(np.float64) @ features.astype(np.float64)
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1][:dims]
    return vectors[:, order]


def _within_class_whitening(features: np.ndarray, labels: np.ndarray, ridge: float
                            ) -> np.ndarray:
    """(D, D) symmetric map making the ridge-regularised within-class scatter the identity."""
    centred = features.copy()
    for digit in np.unique(labels):
        members = labels == digit
        centred[members] -= features[members].mean(axis=0)
    scatter = centred.T @ centred / max(len(features), 1)
    dims = scatter.shape[0]
    scatter += ridge * np.trace(scatter) / dims * np.eye(dims)
    values, vectors = np.linalg.eigh(scatter)
    return (vectors / np.sqrt(values)) @ vectors.T


def _unit_rows(features: np.ndarray, floor: float) -> np.ndarray:
    """(N, D) rows scaled to unit length; rows shorter than ``floor`` are divided by it."""
    norms = np.sqrt((features * features).sum(axis=1, keepdims=True))
    return features / np.maximum(norms, floor)


def fit(
    cells: np.ndarray,
    labels: np.ndarray,
    params: ModelParams,
    *,
    extra_cells: np.ndarray | None = None,
    extra_labels: np.ndarray | None = None,
    negatives: tuple[np.ndarray, np.ndarray] | None = None,
    source: str = "",
    augmented: tuple[np.ndarray, dict] | None = None,
    projection: np.ndarray | None = None,
) -> Model:
    """Fit a model from raw cells (not deskewed) and their labels.

    Parameters
    ----------
    cells : (N, 20, 20) uint8, digits.png's form
    labels : (N,) int
    extra_cells, extra_labels : a handwriting profile's cells, weighted by
        ``params.profile_weight`` augmented copies each.
    negatives : cells (R, 20, 20) uint8 that are not digits and their kinds (R,) int
        (``negatives.render_all``); they are labelled REJECT, after the digits. The
        projection's within-class whitening sees each kind as a class of its own
        (printed letters and grid crossings have nothing in common).
    augmented : ``augment(cells, params.augment_copies, rng)`` made earlier from
        ``default_rng(params.seed)`` (``(copies * N, 20, 20)`` uint8) and the generator's
        state after it (``bit_generator.state``), used instead of augmenting again.
    projection : (512, dims) float32 fitted earlier on this very training set, used
        instead of fitting it again.
    """
    from livedigits.kernels.hog import hog
    from livedigits.training.cells import augment, deskew

    rng = np.random.default_rng(params.seed)
    parts = [cells]
    part_labels = [labels]
    if params.augment_copies:
        if augmented is None:
            parts.append(augment(cells, params.augment_copies, rng))
        else:
            parts.append(augmented[0])
            rng.bit_generator.state = augmented[1]
        part_labels.append(np.tile(labels, params.augment_copies))
    if extra_cells is not None and len(extra_cells):
        parts.append(extra_cells)
        part_labels.append(extra_labels)
        if params.profile_weight > 1:
            parts.append(augment(extra_cells, params.profile_weight - 1, rng))
            part_labels.append(np.tile(extra_labels, params.profile_weight - 1))
    if negatives is not None and len(negatives[0]):
        parts.append(negatives[0])
        part_labels.append(REJECT + np.asarray(negatives[1]))
    train = deskew(np.concatenate(parts))
    classes = np.concatenate(part_labels).astype(np.int32)  # REJECT + kind for negatives
    # One thread: the same numbers as the parallel kernel (measured), 0.2 s more for
    # 25,000 cells, and no 4 s first compile of the parallel kernel.
    raw = hog(train, parallel=False)
    drawn = np.sqrt((raw * raw).sum(axis=1)) > 1e-6  # blank cells have no direction
    raw, classes = raw[drawn], classes[drawn]
    if projection is None:
        projection = fit_projection(raw, classes, params.dims)
    reduced = raw @ projection
    norms = np.sqrt((reduced * reduced).sum(axis=1, keepdims=True))
    keep = norms[:, 0] > 1e-6
    features = np.ascontiguousarray(reduced[keep] / norms[keep], np.float32)
    train_labels = np.minimum(classes[keep], REJECT).astype(np.int32)
    return Model(projection, features, train_labels, params, source)


def sheet_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def source_hash(profile: Path | None = None) -> str:
    """What a model is built from: digits.png's hash, and the profile file's if any."""
    from livedigits.paths import digits_png

    key = sheet_hash(digits_png())
    return key if profile is None else f"{key}-{sheet_hash(profile)}"


def build_default(params: ModelParams | None = None, *, profile: Path | None = None,
                  source: str | None = None, shipped: bool = True) -> Model:
    """Fit the model from digits.png (and a profile file), without the cache.

    ``source`` is ``source_hash(profile)`` when the caller has it already. With
    ``shipped`` the parts of the training set that the package ships
    (``parts.shipped``) and that these parameters share are taken from there
    instead of being rendered again: the same cells, so the same model.
    """
    params = params or ModelParams()
    inputs = _training_inputs(params, profile, parts.shipped() if shipped else None)
    del inputs["styles"]
    return fit(inputs.pop("cells"), inputs.pop("labels"), params, **inputs,
               source=source or source_hash(profile))


def render_parts(params: ModelParams | None = None) -> Parts:
    """Render the slow parts of the training set for ``params`` (no profile) and fit
    the projection on them: what ``scripts/build_default_parts.py`` ships."""
    from livedigits.paths import digits_png

    params = params or ModelParams()
    inputs = _training_inputs(params, None, None)
    model = fit(inputs["cells"], inputs["labels"], params, negatives=inputs["negatives"],
                augmented=inputs["augmented"])
    empty = np.zeros((0, 20, 20), np.uint8)
    style_cells, style_digits = inputs["styles"] or (empty, np.zeros(0, np.int32))
    negative_cells, negative_kinds = inputs["negatives"] or (empty, np.zeros(0, np.int32))
    augmented, state = inputs["augmented"] or (empty, {})
    return Parts(params=params, sheet=sheet_hash(digits_png()), recipe=RECIPE,
                 style_cells=style_cells, style_digits=style_digits,
                 negative_cells=negative_cells, negative_kinds=negative_kinds,
                 augmented=augmented, rng_state=state, projection=model.projection)


def _training_inputs(params: ModelParams, profile: Path | None, ready: Parts | None) -> dict:
    """What ``fit`` is given for ``params``: ``cells`` and ``labels`` (digits.png's and
    the styles'), ``styles`` (cells, digits) or None, and ``fit``'s keyword inputs.

    Every part not taken from ``ready`` is rendered, with progress at the default log
    level (those parts take seconds).
    """
    from livedigits.paths import digits_png
    from livedigits.training.cells import load_sheet

    cells, labels, holdout = load_sheet(digits_png())
    if params.holdout:
        cells, labels = cells[~holdout], labels[~holdout]

    def shares(*names: str) -> bool:
        return ready is not None and all(getattr(ready.params, n) == getattr(params, n)
                                         for n in names)

    style_parts = None
    if params.styles:
        if shares("seed", "styles"):
            style_parts = (ready.style_cells, ready.style_digits)
        else:
            from livedigits.training import styles

            with _stage("rendering the digit styles MNIST lacks", 0.5):
                style_parts = styles.render_all(
                    params.styles, np.random.default_rng([params.seed, STYLES_SEED]))[:2]
        cells = np.concatenate([cells, style_parts[0]])
        labels = np.concatenate([labels, style_parts[1]])
    negatives = None
    if params.negatives:
        if shares("seed", "negatives"):
            negatives = (ready.negative_cells, ready.negative_kinds)
        else:
            from livedigits.training import negatives as kinds

            count = params.negatives * sum(kinds.WEIGHTS.get(k, 1.0) for k in kinds.KINDS)
            with _stage(f"rendering {count:.0f} examples of what is not a digit",
                        NEGATIVE_SECONDS * count):
                negatives = kinds.render_all(
                    params.negatives, np.random.default_rng([params.seed, NEGATIVES_SEED]))
    extra_cells = extra_labels = None
    if profile is not None:
        from livedigits.training.profiles import load_profile

        extra_cells, extra_labels = load_profile(profile)
    augmented = projection = None
    if params.augment_copies and shares("seed", "styles", "augment_copies", "holdout"):
        augmented = (ready.augmented, ready.rng_state)
        if profile is None and shares("negatives", "dims"):
            projection = ready.projection
    elif params.augment_copies:
        from livedigits.training.cells import augment

        # Done here, at the start of fit's own generator sequence, to show progress.
        with _stage(f"augmenting {len(cells)} digits {params.augment_copies} times",
                    AUGMENT_SECONDS * len(cells) * params.augment_copies):
            rng = np.random.default_rng(params.seed)
            augmented = (augment(cells, params.augment_copies, rng), rng.bit_generator.state)
    return dict(cells=cells, labels=labels, styles=style_parts, extra_cells=extra_cells,
                extra_labels=extra_labels, negatives=negatives, augmented=augmented,
                projection=projection)


# Seconds a cell, measured on one core of a 2-vCPU machine (render_all of 4,650
# negatives: 11 s; augment of 15,405 cells: 4.6 s): the estimates the progress shows.
NEGATIVE_SECONDS = 2.4e-3
AUGMENT_SECONDS = 0.3e-3


@contextmanager
def _stage(what: str, seconds: float) -> Iterator[None]:
    """Log a slow stage of a model build at the default level, with its estimate,
    and how long it took once done (at info level)."""
    log.warning("model: %s (about %.0f s)...", what, max(seconds, 1))
    start = time.perf_counter()
    yield
    log.info("model: %s took %.1f s", what, time.perf_counter() - start)


# Second words of the rendering seeds: the training renderings of styles and negatives;
# held-out sets (benchmarks/reject.py, the tests) use other ones.
STYLES_SEED = 1
NEGATIVES_SEED = 2


def cache_key(params: ModelParams, source: str) -> str:
    """Cache file key for a model of ``params`` built from ``source`` (``source_hash``)."""
    parts = [str(FORMAT_VERSION), str(RECIPE), source, params.to_json()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def load_cached(params: ModelParams | None = None, *, profile: Path | None = None) -> Model:
    """The model for ``params`` (and profile) from the user cache, built on first use."""
    from livedigits.paths import cache_dir

    params = params or ModelParams()
    source = source_hash(profile)
    path = cache_dir() / "models" / f"model-{cache_key(params, source)}.npz"
    if path.is_file():
        try:
            return Model.load(path)
        except LivedigitsError as exc:
            log.warning("rebuilding damaged cached model: %s", exc)
    from livedigits.kernels import references_used

    start = time.perf_counter()
    log.info("building the model from digits.png (first use); cached in %s", path.parent)
    before = references_used()
    model = build_default(params, profile=profile, source=source)
    log.info("model built in %.1f s", time.perf_counter() - start)
    if references_used() != before:
        # Features from the reference HOG (the kernel not compiled yet) equal the kernel's
        # to float rounding only: the model the next run builds with the kernel is cached.
        return model
    try:
        model.save(path)
    except OSError as exc:
        log.warning("cannot cache the model in %s: %s", path.parent, exc)
    return model
