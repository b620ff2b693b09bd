"""How much a handwriting profile helps: accuracy before and after, by cross-validation.

``profile_report`` is what ``livedigits calibrate report`` prints: the writer's
accuracy with a model from digits.png alone, and with the profile's other folds
added, over the profile's own cells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from livedigits.errors import LivedigitsError
from livedigits.paths import digits_png
from livedigits.recognize.recognizer import Recognizer
from livedigits.training.fit import fit
from livedigits.training.model import ModelParams
from livedigits.training.profiles import load_profile, resolve_profile


def profile_report(profile: str | Path, *, folds: int = 5, seed: int = 0) -> dict:
    """A writer's accuracy before and after calibration, by k-fold cross-validation.

    "before" classifies every profile cell with a model from digits.png alone;
    "after" classifies each fold with a model from digits.png plus the other
    folds' cells. Both models use one augmented copy per digit (faster to fit
    than the default three; the figures are comparable with each other).

    Returns ``{"profile", "samples", "folds", "before", "after", "per_digit":
    {"0": {"n", "before", "after"}, ...}}``, accuracies in [0, 1].
    """
    from livedigits.training.cells import load_sheet

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
