"""Shared fixtures: a private model cache per test session, held-out digits, pages."""

from __future__ import annotations

import os

import numpy as np
import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Models built by the tests go to a cache of their own, not the user's."""
    if "LIVEDIGITS_CACHE" not in os.environ:
        os.environ["LIVEDIGITS_CACHE"] = str(tmp_path_factory.getbasetemp() / "cache")
    yield


@pytest.fixture(scope="session")
def holdout_recognizer():
    """A recognizer whose model never saw digits.png's held-out tenth."""
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.model import ModelParams

    return Recognizer.load(params=ModelParams(holdout=True))


@pytest.fixture
def holdout_everywhere(monkeypatch, holdout_recognizer):
    """Every ``Recognizer.load`` (the commands', the bench's) gives the model that never
    saw the held-out digits the tests draw, built once a session."""
    from livedigits.recognize import recognizer

    monkeypatch.setattr(recognizer.Recognizer, "load",
                        classmethod(lambda cls, *a, **k: cls(holdout_recognizer.model)))


@pytest.fixture(scope="session")
def heldout():
    from livedigits.synthetic.synth import heldout_cells

    return heldout_cells()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
