"""Building the model from its inputs, and caching it in the user's cache folder.

A model is fitted from digits.png (plus, optionally, a handwriting profile's
cells), the digit styles MNIST lacks (``styles.py``) and examples of what is not a
digit (``negatives.py``), taken from the parts the package ships (``parts.py``)
where they match and rendered otherwise; it is cached keyed by a hash of its
inputs, the recipe and its parameters.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.paths import PACKAGE_DIR, cache_dir, digits_png
from livedigits.training import parts
from livedigits.training.fit import fit
from livedigits.training.model import FORMAT_VERSION, Model, ModelParams
from livedigits.training.parts import Parts
from livedigits.training.profiles import load_profile

log = logging.getLogger(__name__)

# Bumped whenever the training recipe (augmentation, features) changes, so that
# cached models built by an older recipe are rebuilt rather than reused.
RECIPE = 19

# Second words of the rendering seeds: the training renderings of styles and negatives;
# held-out sets (benchmarks/reject.py, the tests) use other ones.
STYLES_SEED = 1
NEGATIVES_SEED = 2

# Seconds a cell, measured on one core of a 2-vCPU machine (render_all of 4,650
# negatives: 11 s; augment of 15,405 cells: 4.6 s): the estimates the progress shows.
NEGATIVE_SECONDS = 2.4e-3
AUGMENT_SECONDS = 0.3e-3


def sheet_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def source_hash(profile: Path | None = None) -> str:
    """What a model is built from: digits.png's hash, and the profile file's if any."""
    key = sheet_hash(digits_png())
    return key if profile is None else f"{key}-{sheet_hash(profile)}"


def cache_key(params: ModelParams, source: str) -> str:
    """Cache file key for a model of ``params`` built from ``source`` (``source_hash``)."""
    parts = [str(FORMAT_VERSION), str(RECIPE), source, params.to_json()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


#: Where the package ships built models, under their cache file names: the default
#: model's and the held-out model's (``scripts/build_default_parts.py`` writes them).
SHIPPED_MODELS = PACKAGE_DIR / "data"


def model_file_name(params: ModelParams, source: str) -> str:
    """The file name of the model for ``params`` built from ``source``, in the user cache
    and among the shipped models alike."""
    return f"model-{cache_key(params, source)}.npz"


def load_cached(params: ModelParams | None = None, *, profile: Path | None = None) -> Model:
    """The model for ``params`` (and profile): from the user cache, else the one the
    package ships for exactly these inputs, else built (and cached) on first use."""
    params = params or ModelParams()
    source = source_hash(profile)
    name = model_file_name(params, source)
    path = cache_dir() / "models" / name
    if path.is_file():
        try:
            return Model.load(path)
        except LivedigitsError as exc:
            log.warning("rebuilding damaged cached model: %s", exc)
    shipped_model = SHIPPED_MODELS / name
    if profile is None and shipped_model.is_file():
        try:
            return Model.load(shipped_model)
        except LivedigitsError as exc:
            log.warning("ignoring damaged shipped model (%s); reinstall livedigits", exc)
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


def build_default(params: ModelParams | None = None, *, profile: Path | None = None,
                  source: str | None = None, shipped: bool = True) -> Model:
    """Fit the model from digits.png (and a profile file), without the cache.

    ``source`` is ``source_hash(profile)`` when the caller has it already. With
    ``shipped`` the parts of the training set that the package ships
    (``parts.shipped``) and that these parameters share are taken from there
    instead of being rendered again: the same cells, so the same model.
    """
    params = params or ModelParams()
    inputs = _training_inputs(params, profile, parts.shipped(params.holdout) if shipped else None)
    del inputs["styles"]
    return fit(inputs.pop("cells"), inputs.pop("labels"), params, **inputs,
               source=source or source_hash(profile))


def render_parts(params: ModelParams | None = None) -> Parts:
    """Render the slow parts of the training set for ``params`` (no profile) and fit
    the projection on them: what ``scripts/build_default_parts.py`` ships."""
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


@contextmanager
def _stage(what: str, seconds: float) -> Iterator[None]:
    """Log a slow stage of a model build at the default level, with its estimate,
    and how long it took once done (at info level)."""
    log.warning("model: %s (about %.0f s)...", what, max(seconds, 1))
    start = time.perf_counter()
    yield
    log.info("model: %s took %.1f s", what, time.perf_counter() - start)
