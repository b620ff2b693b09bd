from dataclasses import replace

import numpy as np
import pytest

from livedigits.errors import LivedigitsError
from livedigits.training.cells import deskew
from livedigits.training.fit import fit
from livedigits.training.model import FORMAT_VERSION, Model, ModelParams


@pytest.fixture(scope="module")
def small_model(heldout):
    cells, labels = heldout
    return fit(cells, labels, ModelParams(augment_copies=0, dims=32))


def test_one_nn_on_a_training_cell_returns_its_label(small_model, heldout):
    from livedigits.recognize.recognizer import Recognizer

    cells, labels = heldout
    one_nn = Model(small_model.projection, small_model.features, small_model.labels,
                   ModelParams(augment_copies=0, dims=32, k=1))
    digits, confidences = Recognizer(one_nn).classify(cells)
    assert (digits == labels).all()
    assert np.allclose(confidences, 1.0)


def test_save_load_round_trip(small_model, tmp_path):
    path = small_model.save(tmp_path / "m.npz")
    loaded = Model.load(path)
    assert np.array_equal(loaded.features, small_model.features)
    assert np.array_equal(loaded.labels, small_model.labels)
    assert loaded.params == small_model.params


def test_damaged_file_is_a_clear_error(small_model, tmp_path):
    path = small_model.save(tmp_path / "m.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LivedigitsError, match="not a livedigits model"):
        Model.load(path)
    text = tmp_path / "t.npz"
    text.write_text("hello")
    with pytest.raises(LivedigitsError, match="not a livedigits model"):
        Model.load(text)
    with pytest.raises(LivedigitsError, match="no such model"):
        Model.load(tmp_path / "missing.npz")


def test_pickled_object_arrays_are_refused_without_running_code(tmp_path):
    marker = tmp_path / "ran"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.npz"
    np.savez(path, format_version=np.int32(FORMAT_VERSION), params=np.array("{}"),
             source=np.array(""), projection=np.array([Boom()], dtype=object),
             features=np.zeros((1, 2), np.float32), labels=np.zeros(1, np.int32))
    with pytest.raises(LivedigitsError):
        Model.load(path)
    assert not marker.exists()


def test_wrong_version_and_shapes(small_model, tmp_path):
    path = tmp_path / "v.npz"
    np.savez(path, format_version=np.int32(99), params=np.array("{}"), source=np.array(""),
             projection=small_model.projection, features=small_model.features,
             labels=small_model.labels)
    with pytest.raises(LivedigitsError, match="format 99"):
        Model.load(path)
    np.savez(path, format_version=np.int32(FORMAT_VERSION),
             params=np.array(small_model.params.to_json()),
             source=np.array(""), projection=small_model.projection,
             features=small_model.features[:, :5], labels=small_model.labels)
    with pytest.raises(LivedigitsError, match="inconsistent"):
        Model.load(path)


def test_default_model_is_cached(tmp_path, monkeypatch):
    from livedigits.training.build import load_cached

    monkeypatch.setenv("LIVEDIGITS_CACHE", str(tmp_path))
    params = ModelParams(augment_copies=0, dims=16)
    first = load_cached(params)
    files = list((tmp_path / "models").glob("model-*.npz"))
    assert len(files) == 1
    second = load_cached(params)
    assert np.array_equal(first.features, second.features)
    # A damaged cache file is rebuilt, not fatal.
    files[0].write_bytes(b"junk")
    third = load_cached(params)
    assert np.array_equal(first.features, third.features)


@pytest.mark.parametrize("params", ['[1]', '"text"', '{"k": 0}', '{"k": "5"}', '{"dims": 3}'])
def test_bad_parameters_in_a_model_file_are_a_clear_error(small_model, tmp_path, params):
    # Regression: a params field that was valid JSON but not an object crashed with a
    # traceback, and bad values loaded silently, failing later inside classify.
    path = tmp_path / "p.npz"
    raw = {"augment_copies": 0, "dims": 32, "k": 5, "holdout": False, "seed": 0,
           "profile_weight": 4}
    import json

    value = json.loads(params)
    text = json.dumps({**raw, **value}) if isinstance(value, dict) else params
    np.savez(path, format_version=np.int32(FORMAT_VERSION), params=np.array(text),
             source=np.array(""), projection=small_model.projection,
             features=small_model.features, labels=small_model.labels)
    with pytest.raises(LivedigitsError, match="p.npz"):
        Model.load(path)


def test_reject_rows_come_after_the_digits_and_check(heldout):
    from livedigits.training.model import REJECT
    from livedigits.training.negatives import render_all

    cells, labels = heldout
    negative_cells, kinds = render_all(5, np.random.default_rng(0))
    model = fit(cells, labels, ModelParams(augment_copies=0, dims=32),
                negatives=(negative_cells, kinds))
    n = model.still_rows  # then the smeared copies, digits first again
    assert model.labels.max() == REJECT
    assert (model.labels[: n - len(negative_cells)] < REJECT).all()
    assert (model.labels[n - len(negative_cells):n] == REJECT).all()
    model.check()
    only_rejects = Model(model.projection, model.features[-3:], model.labels[-3:],
                         model.params)
    with pytest.raises(LivedigitsError, match="inconsistent"):
        only_rejects.check()


def test_a_format_1_file_without_reject_class_still_loads(small_model, tmp_path):
    path = tmp_path / "old.npz"
    old_params = {"augment_copies": 0, "dims": 32, "k": 5, "holdout": False, "seed": 0,
                  "profile_weight": 10}
    import json

    np.savez(path, format_version=np.int32(1), params=np.array(json.dumps(old_params)),
             source=np.array(""), projection=small_model.projection,
             features=small_model.features, labels=small_model.labels)
    loaded = Model.load(path)
    assert loaded.params.negatives == ModelParams().negatives
    assert np.array_equal(loaded.labels, small_model.labels)


def test_default_model_has_a_reject_class_and_the_styles(holdout_recognizer):
    from livedigits.training.model import REJECT

    labels = holdout_recognizer.model.labels
    assert (labels == REJECT).sum() >= 3000
    assert (labels < REJECT).sum() >= 4500 * 4


def test_shipped_parts_are_for_this_recipe_digits_png_and_the_default_parameters():
    # Fails when the recipe, digits.png or the defaults change and the shipped file is
    # not rebuilt (scripts/build_default_parts.py): it would be ignored, and every
    # first run would render the parts again (20 s).
    from livedigits.paths import digits_png
    from livedigits.training import parts
    from livedigits.training.build import RECIPE, sheet_hash

    for holdout, path, n_sheet in ((False, parts.SHIPPED, 5000),
                                   (True, parts.SHIPPED_HOLDOUT, 4500)):
        found = parts.load(path)
        assert found.recipe == RECIPE
        assert found.sheet == sheet_hash(digits_png())
        assert found.params == ModelParams(holdout=holdout)
        assert parts.shipped(holdout) is found or parts.shipped(holdout) is not None
        n_digits = n_sheet + len(found.style_cells)
        assert found.augmented.shape == (ModelParams().augment_copies * n_digits, 20, 20)


def test_shipped_models_are_what_the_shipped_parts_fit(monkeypatch, tmp_path):
    # Fails when the recipe, digits.png, the defaults or the fit change and the shipped
    # models are not rebuilt (scripts/build_default_parts.py): a first run would fit
    # its model again (4 s of HOG before the kernels are compiled), or read a stale one.
    from livedigits.training import build as build_module

    monkeypatch.setenv("LIVEDIGITS_CACHE", str(tmp_path))
    for params in (ModelParams(), ModelParams(holdout=True)):
        name = build_module.model_file_name(params, build_module.source_hash())
        assert (build_module.SHIPPED_MODELS / name).is_file(), name
        fitted = build_module.build_default(params)
        with monkeypatch.context() as patched:
            patched.setattr(build_module, "build_default", _no_build)
            shipped = build_module.load_cached(params)
        for field in ("projection", "labels"):
            assert np.array_equal(getattr(shipped, field), getattr(fitted, field)), field
        # The features are HOG times the projection, a BLAS product: its last bits follow
        # the BLAS build and the CPU's code path (2e-7 apart seen); a stale model's are
        # different values altogether.
        assert np.allclose(shipped.features, fitted.features, rtol=1e-5, atol=1e-5)
        assert shipped.params == params and shipped.source == fitted.source
    assert not list(tmp_path.rglob("*.npz"))  # read from the package, not copied


def _no_build(*args, **kwargs):
    raise AssertionError("the model was built, not read")


def test_a_damaged_shipped_model_is_rebuilt_with_a_warning(monkeypatch, tmp_path, caplog):
    import logging

    from livedigits.training import build as build_module

    params = ModelParams(augment_copies=1, negatives=2, styles=1, dims=16)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / build_module.model_file_name(params, build_module.source_hash())
     ).write_bytes(b"junk")
    monkeypatch.setattr(build_module, "SHIPPED_MODELS", shipped)
    monkeypatch.setenv("LIVEDIGITS_CACHE", str(tmp_path / "cache"))
    with caplog.at_level(logging.WARNING, logger="livedigits.training.build"):
        model = build_module.load_cached(params)
    assert model.params == params and len(model.labels) > 5000
    assert any("damaged shipped model" in r.getMessage() for r in caplog.records)


def test_shipped_parts_are_what_rendering_gives_now():
    # The rendering code changed without the file being rebuilt: caught for the styles
    # (all of them) and the first not-a-digit kind (its first cells).
    from livedigits.training import negatives, parts, styles
    from livedigits.training.build import NEGATIVES_SEED, STYLES_SEED

    found = parts.shipped()
    p = found.params
    style_cells, style_digits, _ = styles.render_all(
        p.styles, np.random.default_rng([p.seed, STYLES_SEED]))
    assert np.array_equal(found.style_cells, style_cells)
    assert np.array_equal(found.style_digits, style_digits)
    first = negatives.render(negatives.KINDS[0], 40,
                             np.random.default_rng([p.seed, NEGATIVES_SEED]))
    assert np.array_equal(found.negative_cells[:40], first)
    assert (found.negative_kinds[:40] == 0).all()


def test_a_model_from_rendered_parts_equals_one_rendered_in_full(monkeypatch, tmp_path,
                                                                 heldout):
    # The augmentation, the generator's state after it and the projection taken from
    # the parts give the very model a full build gives, with a profile's cells too.
    from livedigits.training import build as build_module
    from livedigits.training import parts
    from livedigits.training.profiles import PROFILE_FORMAT

    profile = tmp_path / "hand.npz"
    np.savez(profile, format_version=np.int32(PROFILE_FORMAT), cells=heldout[0][::25],
             labels=heldout[1][::25])
    params = ModelParams(augment_copies=1, negatives=3, styles=2, dims=16, profile_weight=3)
    rendered = build_module.render_parts(params)
    path = rendered.save(tmp_path / "parts.npz")
    monkeypatch.setattr(parts, "shipped", lambda holdout=False: parts.load(path))
    for hand in (None, profile):
        quick = build_module.build_default(params, profile=hand)
        full = build_module.build_default(params, profile=hand, shipped=False)
        for name in ("projection", "features", "labels"):
            assert np.array_equal(getattr(quick, name), getattr(full, name)), (hand, name)


def test_parts_for_other_parameters_are_not_used_and_rendering_shows_its_stages(
        monkeypatch, caplog):
    import logging

    from livedigits.training import build as build_module
    from livedigits.training import parts

    other = build_module.render_parts(
        ModelParams(augment_copies=1, negatives=2, styles=1, dims=16, seed=1))
    monkeypatch.setattr(parts, "shipped", lambda holdout=False: other)
    with caplog.at_level(logging.WARNING, logger="livedigits.training.build"):
        built = build_module.build_default(
            ModelParams(augment_copies=1, negatives=2, styles=1, dims=16))
    stages = [r.getMessage() for r in caplog.records if r.name == "livedigits.training.build"]
    # Every part is rendered again, and each stage says so with its estimate.
    for what in ("digit styles", "not a digit", "augmenting"):
        assert any(what in s and "about" in s for s in stages), (what, stages)
    assert not np.array_equal(built.projection, other.projection)


def test_damaged_parts_file_is_refused(tmp_path):
    from livedigits.training import parts

    path = tmp_path / "p.npz"
    path.write_bytes(b"junk")
    with pytest.raises(ValueError):
        parts.load(path)


def test_the_held_out_model_is_fitted_from_shipped_parts_without_rendering(caplog):
    # The demo's model (and the tests'): on a first run it is fitted in seconds from
    # holdout-parts.npz, not augmented again (which also compiled the thinning kernel).
    import logging

    from livedigits.training import build as build_module

    with caplog.at_level(logging.WARNING, logger="livedigits.training.build"):
        model = build_module.build_default(ModelParams(holdout=True))
    stages = [r.getMessage() for r in caplog.records if r.name == "livedigits.training.build"]
    assert stages == [], stages
    assert model.params.holdout and len(model.labels) > 20000


def test_smeared_rows_follow_the_still_rows_and_only_video_frames_meet_them(heldout, tmp_path):
    """A still image is compared with exactly the model a fit without smear gives; the
    live loop's recognizer (``for_video``) with the smeared copies too."""
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.negatives import render_all

    cells, labels = heldout
    negatives = render_all(5, np.random.default_rng(0))
    params = ModelParams(augment_copies=1, dims=32)
    model = fit(cells, labels, params, negatives=negatives)
    plain = fit(cells, labels, replace(params, smear=0.0), negatives=negatives)
    assert plain.still_rows is None
    assert model.still_rows == len(plain.labels) < len(model.labels)
    assert np.array_equal(model.features[:model.still_rows], plain.features)
    assert np.array_equal(model.projection, plain.projection)
    extra = model.labels[model.still_rows:]
    smearable = len(cells) + len(negatives[0])  # the augmented copy and the negatives
    assert 0.2 * smearable < len(extra) < 0.4 * smearable
    assert (np.diff((extra == 10).astype(int)) >= 0).all()  # digits first
    still, video = Recognizer(model), Recognizer(model).for_video()
    assert len(still._rows()[1]) == model.still_rows
    assert len(video._rows()[1]) == len(model.labels)
    probe = deskew(cells[:50])
    assert np.array_equal(still.classify(probe)[0], Recognizer(plain).classify(probe)[0])
    again = Model.load(model.save(tmp_path / "m.npz"))
    assert again.still_rows == model.still_rows


def test_the_digit_rows_follow_a_recognizer_turned_to_video(holdout_recognizer):
    """The digit rows (the second search of a cell no digit voted for) were cached once
    and kept the still rows after ``video`` was set."""
    from livedigits.recognize.recognizer import Recognizer

    recognizer = Recognizer(holdout_recognizer.model)
    still = len(recognizer._digit_rows()[1])
    recognizer.video = True
    video = len(recognizer._digit_rows()[1])
    assert still == int((recognizer.model.labels[:recognizer.model.still_rows] < 10).sum())
    assert video == int((recognizer.model.labels < 10).sum()) > still
