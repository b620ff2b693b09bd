"""Fitting a model: training cells -> HOG features, the projection they are compared in, labels.

``fit`` deskews and describes its cells (digits.png's, augmented copies, a
profile's, and examples of what is not a digit, labelled ``REJECT``) and fits
the projection on them (``fit_projection``); ``describe`` gives any deskewed
cells' features in that space.
"""

from __future__ import annotations

import numpy as np

from livedigits.training.model import REJECT, Model, ModelParams

WIDE_DIMS = 256  # principal directions kept before whitening
WITHIN_RIDGE = 0.2  # added to the within-class scatter, times its mean variance


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
    # What a moving camera smears: the augmented digits and the negatives.
    smearable = [(parts[1], part_labels[1])] if params.augment_copies else []
    if negatives is not None and len(negatives[0]):
        smearable.append((parts[-1], part_labels[-1]))
    train = deskew(np.concatenate(parts))
    classes = np.concatenate(part_labels).astype(np.int32)  # REJECT + kind for negatives
    # One thread: the same numbers as the parallel kernel (measured), 0.2 s more for
    # 25,000 cells, and no 4 s first compile of the parallel kernel.
    raw = hog(train, parallel=False)
    drawn = np.sqrt((raw * raw).sum(axis=1)) > 1e-6  # blank cells have no direction
    raw, classes = raw[drawn], classes[drawn]
    if projection is None:
        projection = fit_projection(raw, classes, params.dims)
    features, train_labels = _projected_rows(raw, classes, projection)
    if params.smear <= 0 or not smearable:
        return Model(projection, features, train_labels, params, source)
    smeared, smeared_labels = _smeared_rows(smearable, params, projection)
    return Model(projection, np.concatenate([features, smeared]),
                 np.concatenate([train_labels, smeared_labels]), params, source,
                 still_rows=len(features))


def _projected_rows(raw: np.ndarray, classes: np.ndarray, projection: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Training rows from (M, 512) HOG vectors and their classes (M,) (REJECT + kind for
    negatives): the (M', dims) float32 unit rows of those that project to a direction,
    and their (M',) int32 labels, every kind of negative as REJECT."""
    reduced = raw @ projection
    norms = np.sqrt((reduced * reduced).sum(axis=1, keepdims=True))
    keep = norms[:, 0] > 1e-6
    features = np.ascontiguousarray(reduced[keep] / norms[keep], np.float32)
    return features, np.minimum(classes[keep], REJECT).astype(np.int32)


SMEAR_SEED = 3  # second word of the seed that picks and smears the video rows


def _smeared_rows(smearable: list[tuple[np.ndarray, np.ndarray]], params: ModelParams,
                  projection: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features (S, dims) float32 and labels (S,) int32 of smeared copies of a
    ``params.smear`` share of each (cells (N, 20, 20) uint8, classes (N,)) part: what a
    camera moving during the exposure sees of them (``cells.smear_some``). The projection
    was fitted without them, so a still image's comparisons are unchanged."""
    from livedigits.kernels.hog import hog
    from livedigits.training.cells import deskew, smear_some

    rng = np.random.default_rng([params.seed, SMEAR_SEED])
    cells, classes = [], []
    for part, part_classes in smearable:
        picked = rng.random(len(part)) < params.smear
        cells.append(smear_some(part[picked].copy(), rng, 1.0))
        classes.append(np.asarray(part_classes)[picked])
    features, labels = _projected_rows(hog(deskew(np.concatenate(cells)), parallel=False),
                                       np.concatenate(classes), projection)
    # Digits first, as among the still rows.
    order = np.argsort(labels == REJECT, kind="stable")
    return features[order], labels[order]
