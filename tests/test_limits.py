"""Hostile model and profile files: refused from their headers, before they cost memory."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest
from peak import livedigits, run_measured

from livedigits.errors import LivedigitsError
from livedigits.limits import (
    MAX_MODEL_BYTES,
    check_model_file,
    check_profile_file,
    json_depth,
    regular_file,
)
from livedigits.training.model import Model
from livedigits.training.profiles import load_profile, resolve_profile


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _header(shape: tuple[int, ...], dtype: str) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _model_members(**override: bytes) -> dict[str, bytes]:
    rng = np.random.default_rng(3)
    members = {
        "format_version": _npy(np.int32(2)),
        "params": _npy(np.array(json.dumps({"dims": 8, "k": 1}))),
        "source": _npy(np.array("test")),
        "projection": _npy(rng.random((512, 8), np.float32)),
        "features": _npy(rng.random((30, 8), np.float32)),
        "labels": _npy(np.arange(30, dtype=np.int32) % 10),
    }
    members.update(override)
    return members


def _write_npz(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)


def test_a_small_real_model_passes(tmp_path):
    path = tmp_path / "m.npz"
    _write_npz(path, _model_members())
    check_model_file(path)


def test_zip_bomb_model_is_refused_unread(tmp_path):
    """300 MB of zeros that pack into ~300 KB: refused from the zip entry's stated size."""
    path = tmp_path / "bomb.npz"
    members = _model_members()
    del members["features"]
    _write_npz(path, members)
    rows = (MAX_MODEL_BYTES // (8 * 4)) + 1000
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("features.npy", "w", force_zip64=True) as stream:
        stream.write(_header((rows, 8), "<f4"))
        for _ in range(rows * 32 // len(zeros) + 1):
            stream.write(zeros)
    assert path.stat().st_size < 2 << 20
    with pytest.raises(LivedigitsError, match="unpacked, over the 256 MB limit"):
        Model.load(path)


def test_huge_array_header_is_refused(tmp_path):
    """An array header claiming 233 TiB with a few bytes behind it: refused, no
    _ArrayMemoryError."""
    path = tmp_path / "huge.npz"
    _write_npz(path, _model_members(features=_header((8_000_000_000_000, 8), "<f4")))
    with pytest.raises(LivedigitsError, match="elements, over the limit"):
        Model.load(path)


@pytest.mark.parametrize("params", ["[" * 50_000 + "]" * 50_000, '{"a": [[[[[1]]]]]}'])
def test_deep_params_json_is_refused(tmp_path, params):
    path = tmp_path / "deep.npz"
    _write_npz(path, _model_members(params=_npy(np.array(params))))
    with pytest.raises(LivedigitsError, match="parameters are"):
        Model.load(path)


def test_object_arrays_and_wrong_dtypes_are_refused(tmp_path):
    path = tmp_path / "obj.npz"
    _write_npz(path, _model_members(labels=_header((30,), "|O")))
    with pytest.raises(LivedigitsError, match="dtype object"):
        Model.load(path)


def test_json_depth():
    assert json_depth('{"a": "[[[", "b": [1, {"c": 2}]}') == 3
    assert json_depth('"\\"[["') == 0


def test_fifo_and_device_are_never_opened(tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)  # opening it for reading would wait forever for a writer
    for path in (fifo, "/dev/zero"):
        with pytest.raises(LivedigitsError, match="not a regular file"):
            Model.load(path)
        with pytest.raises(LivedigitsError, match="not a regular file"):
            load_profile(path)
    with pytest.raises(LivedigitsError, match="is a folder"):
        regular_file(tmp_path, "list")


def _profile(path, cells: np.ndarray, labels: np.ndarray) -> None:
    np.savez_compressed(path, format_version=np.int32(1), cells=cells, labels=labels)


def test_profile_checks(tmp_path):
    rng = np.random.default_rng(5)
    good = tmp_path / "good.npz"
    _profile(good, rng.integers(0, 255, (40, 20, 20), np.uint8), np.arange(40) % 10)
    assert check_profile_file(good) == 40
    assert load_profile(good)[0].shape == (40, 20, 20)
    empty = tmp_path / "empty.npz"
    _profile(empty, np.zeros((0, 20, 20), np.uint8), np.zeros(0, np.int32))
    with pytest.raises(LivedigitsError, match="holds no cells"):
        resolve_profile(empty)
    floats = tmp_path / "nan.npz"
    cells = np.zeros((10, 20, 20), np.float32)
    cells[0, 0, 0] = np.nan
    _profile(floats, cells, np.arange(10))
    with pytest.raises(LivedigitsError, match="dtype float32"):
        resolve_profile(floats)


def test_100k_cell_profile_is_refused_fast(tmp_path):
    """The bar: a 100,000-cell profile is refused within 30 s and 2 GB."""
    import cv2

    from livedigits.synthetic.synth import render_page

    big = tmp_path / "big.npz"
    cells = np.zeros((100_000, 20, 20), np.uint8)
    cells[:, 5:15, 9:11] = 255
    _profile(big, cells, np.arange(100_000, dtype=np.int32) % 10)
    assert big.stat().st_size < 1 << 20
    sheet = tmp_path / "sheet.png"
    cv2.imwrite(str(sheet), render_page(np.random.default_rng(2), width=400, height=300,
                                        digit_height=40, n_digits=6).image)
    done = run_measured(livedigits("image", str(sheet), "--profile", str(big), "--no-images"))
    assert done.rc == 1, done.stderr
    assert "big.npz: not a handwriting profile" in done.stderr
    assert "over the 8 MB limit" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.seconds < 30 and done.peak_mb < 2048, (done.seconds, done.peak_mb)
    print(f"100k-cell profile: refused in {done.seconds:.1f} s, peak {done.peak_mb:.0f} MB")
