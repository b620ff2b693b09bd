"""Held-out accuracy on digits.png with a confusion matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from livedigits.paths import digits_png
from livedigits.recognize.recognizer import Recognizer
from livedigits.training.model import ModelParams


def heldout_report(model_path: Path | None = None) -> dict:
    """Classify digits.png's held-out tenth.

    Without ``model_path`` the model is the default one built without the
    held-out cells. Returns ``{"n", "correct", "accuracy", "confusion"}``, the
    confusion a 10x10 list of lists (rows: true digit, columns: predicted).
    """
    from livedigits.training.cells import load_sheet

    cells, labels, holdout = load_sheet(digits_png())
    if model_path is not None:
        recognizer = Recognizer.load(model_path=model_path)
    else:
        recognizer = Recognizer.load(params=ModelParams(holdout=True))
    digits, _ = recognizer.classify(cells[holdout])
    truth = labels[holdout]
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (truth, digits), 1)
    correct = int((digits == truth).sum())
    return {"n": int(len(truth)), "correct": correct, "accuracy": correct / len(truth),
            "confusion": confusion.tolist()}
