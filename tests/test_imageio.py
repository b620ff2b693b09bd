"""Reading image files: pixel budget from the header, EXIF orientation, alpha, NaN pixels."""

from __future__ import annotations

import json
import struct
import zlib

import cv2
import numpy as np
import pytest
from peak import livedigits, run_measured
from typer.testing import CliRunner

from livedigits import imageio
from livedigits.cli.root import app
from livedigits.errors import LivedigitsError
from livedigits.imageheader import read_header
from livedigits.imageio import decode_file, flatten_alpha, read_image, upright
from livedigits.synthetic.synth import render_page

runner = CliRunner()


@pytest.fixture(autouse=True)
def _holdout_model(holdout_everywhere):
    """Commands use the model that never saw the held-out digits."""


@pytest.fixture(scope="module")
def sheet() -> np.ndarray:
    return render_page(np.random.default_rng(21), width=900, height=640, digit_height=48,
                       n_digits=24).image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _blank_png(path, width: int, height: int, *, channels: int, depth: int = 8) -> None:
    """A PNG of white (opaque) rows, compressed as it is written: a few hundred KB that
    decode to width * height * channels bytes."""
    color = {1: 0, 4: 6}[channels]
    row = b"\x00" + b"\xff" * ((width * channels * depth + 7) // 8)
    packer = zlib.compressobj(1)
    body = [packer.compress(row * 64) for _ in range(height // 64)]
    body += [packer.compress(row * (height % 64)), packer.flush()]
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color,
                                                   0, 0, 0))
                     + _chunk(b"IDAT", b"".join(body)) + _chunk(b"IEND", b""))


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_png_bomb_and_huge_rgba_then_a_real_sheet(tmp_path, sheet, holdout_recognizer):
    """The bar: a 30000x30000 PNG bomb and a 12000x12000 RGBA PNG, each followed by a real
    sheet: the bomb refused from its header, the RGBA read, the sheet read, peak memory
    under 2 GB."""
    bomb, rgba, page = tmp_path / "bomb.png", tmp_path / "rgba.png", tmp_path / "sheet.png"
    _blank_png(bomb, 30000, 30000, channels=1, depth=1)
    _blank_png(rgba, 12000, 12000, channels=4)
    cv2.imwrite(str(page), sheet)
    model = holdout_recognizer.model.save(tmp_path / "model.npz")  # the model runner uses
    assert bomb.stat().st_size < 1 << 20 and rgba.stat().st_size < 4 << 20
    direct = _json_lines(runner.invoke(app, ["image", str(page), "--json", "--no-images"]
                                       ).output)[0]
    assert len(direct["detections"]) >= 15
    for big in (bomb, rgba):
        done = run_measured(livedigits("image", str(big), str(page), "--json", "--out",
                                       str(tmp_path / "out"), "--model", str(model)))
        first, read = _json_lines(done.stdout)
        if big == bomb:
            assert done.rc == 1, done.stderr
            assert "30000x30000 pixels (900 MP) is over the 150 MP limit" in first["error"]
        else:  # 144 MP: read, its alpha composited in bands of rows
            assert done.rc == 0, done.stderr
            assert (first["width"], first["height"]) == (12000, 12000)
        assert read["detections"] == direct["detections"] and read["text"] == direct["text"]
        assert done.peak_mb < 2048, done.peak_mb
        print(f"image {big.name} + sheet: peak {done.peak_mb:.0f} MB in {done.seconds:.1f} s")


def test_large_jpeg_is_read_reduced_with_boxes_in_its_own_pixels(tmp_path, sheet,
                                                                  monkeypatch):
    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), cv2.resize(sheet, (1800, 1280)), [cv2.IMWRITE_JPEG_QUALITY, 95])
    full = _json_lines(runner.invoke(app, ["image", str(photo), "--json", "--no-images"]
                                     ).output)[0]
    monkeypatch.setattr(imageio, "MAX_PIXELS", 1800 * 1280 // 3)
    decoded = decode_file(photo)
    assert decoded.scale == 0.5 and decoded.image.shape[:2] == (640, 900)
    assert decoded.size == (1800, 1280)
    reduced = _json_lines(runner.invoke(app, ["image", str(photo), "--json", "--no-images"]
                                        ).output)[0]
    assert (reduced["width"], reduced["height"]) == (1800, 1280)
    assert len(reduced["detections"]) == len(full["detections"]) >= 15
    same = 0
    for a, b in zip(reduced["detections"], full["detections"], strict=True):
        assert abs(a["x"] - b["x"]) <= 6 and abs(a["h"] - b["h"]) <= 8, (a, b)
        same += a["digit"] == b["digit"]
    assert same >= 0.9 * len(full["detections"])
    monkeypatch.setattr(imageio, "MAX_PIXELS", 1800 * 1280 // 100)
    with pytest.raises(LivedigitsError, match="even at 1/8"):
        read_image(photo)


def _with_orientation(jpeg: bytes, orientation: int) -> bytes:
    """``jpeg`` with an APP1 Exif segment carrying only the Orientation tag."""
    tiff = (b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
            + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0))
    body = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def test_exif_rotated_phone_jpeg_reads_upright(tmp_path, sheet):
    """A phone JPEG stored sideways with Orientation 6 (or 8) reads as the upright sheet,
    with upright width and height; OpenCV's IMREAD_COLOR turns it the same way, while
    IMREAD_UNCHANGED (what was used) leaves it sideways."""
    upright_file = tmp_path / "upright.jpg"
    cv2.imwrite(str(upright_file), sheet, [cv2.IMWRITE_JPEG_QUALITY, 95])
    want = _json_lines(runner.invoke(app, ["image", str(upright_file), "--json",
                                           "--no-images"]).output)[0]
    assert len(want["detections"]) >= 15
    for orientation, stored in ((6, cv2.ROTATE_90_COUNTERCLOCKWISE),
                                (8, cv2.ROTATE_90_CLOCKWISE), (3, cv2.ROTATE_180)):
        ok, data = cv2.imencode(".jpg", cv2.rotate(sheet, stored),
                                [cv2.IMWRITE_JPEG_QUALITY, 95])
        phone = tmp_path / f"phone{orientation}.jpg"
        phone.write_bytes(_with_orientation(data.tobytes(), orientation))
        assert read_header(phone.read_bytes()).orientation == orientation
        ours = read_image(phone)
        assert ours.shape == sheet.shape
        assert np.array_equal(ours, cv2.imread(str(phone), cv2.IMREAD_COLOR))
        assert cv2.imread(str(phone), cv2.IMREAD_UNCHANGED).shape[:2] != sheet.shape[:2] \
            or orientation == 3
        got = _json_lines(runner.invoke(app, ["image", str(phone), "--json", "--no-images"]
                                        ).output)[0]
        assert (got["width"], got["height"]) == (want["width"], want["height"])
        assert got["text"] == want["text"]


def test_upright_matches_every_exif_orientation():
    stored = np.arange(12, dtype=np.uint8).reshape(3, 4)
    # What a viewer shows for each orientation, written out by hand.
    shown = {1: stored, 2: stored[:, ::-1], 3: stored[::-1, ::-1], 4: stored[::-1],
             5: stored.T, 6: stored.T[:, ::-1], 7: stored.T[::-1, ::-1], 8: stored.T[::-1]}
    for orientation, want in shown.items():
        assert np.array_equal(upright(stored, orientation), want), orientation


def test_nan_pixel_in_a_float_tiff_reads_the_same_digits(tmp_path, sheet):
    """The bar: one NaN (or Inf) pixel in a float TIFF reads the same digits as without."""
    gray = cv2.cvtColor(sheet, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255
    clean, spoilt = tmp_path / "clean.tif", tmp_path / "nan.tif"
    assert cv2.imwrite(str(clean), gray)
    for bad in (np.nan, np.inf):
        gray_bad = gray.copy()
        gray_bad[100, 200] = bad
        assert cv2.imwrite(str(spoilt), gray_bad)
        assert np.isnan(cv2.imread(str(spoilt), cv2.IMREAD_UNCHANGED)).any() or bad == np.inf
        results = [_json_lines(runner.invoke(app, ["image", str(p), "--json", "--no-images"]
                                             ).output)[0] for p in (clean, spoilt)]
        assert len(results[0]["detections"]) >= 15
        assert results[1]["text"] == results[0]["text"]
        assert results[1]["detections"] == results[0]["detections"]


def test_alpha_is_composited_over_white_in_integers():
    rng = np.random.default_rng(4)
    bgra = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
    alpha = bgra[:, :, 3:4].astype(np.float64) / 255
    want = np.round(bgra[:, :, :3] * alpha + 255 * (1 - alpha))
    assert np.abs(flatten_alpha(bgra).astype(int) - want).max() <= 1
    deep = (bgra.astype(np.uint16) * 257)
    assert np.abs(flatten_alpha(deep).astype(int) - want * 257).max() <= 257


def test_headers_match_what_opencv_decodes(tmp_path):
    image = np.random.default_rng(8).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    for suffix in (".png", ".jpg", ".tif", ".bmp", ".ppm", ".pgm", ".webp"):
        data = cv2.imencode(suffix, image if suffix != ".pgm" else image[:, :, 0])[1].tobytes()
        header = read_header(data)
        assert header is not None and (header.width, header.height) == (53, 37), suffix
        assert header.orientation == 1
    assert read_header(b"not an image") is None
    assert read_header(b"\x89PNG\r\n\x1a\n\x00") is None  # truncated


def test_special_files_are_not_images(tmp_path):
    import os

    fifo = tmp_path / "scan.png"
    os.mkfifo(fifo)
    with pytest.raises(LivedigitsError, match="not a regular file"):
        read_image(fifo)


def test_running_out_of_memory_is_a_line_naming_the_file(tmp_path, sheet, holdout_recognizer,
                                                         monkeypatch):
    """What OpenCV and numpy raise when memory runs out becomes a LivedigitsError naming
    the file (not a cv2.error traceback that stops the files after it)."""
    from livedigits import render
    from livedigits.pages.page import process_file

    page = tmp_path / "page.png"
    cv2.imwrite(str(page), sheet)

    def no_memory(*_args, **_kwargs):
        raise cv2.error("OpenCV(5.0.0) alloc.cpp:73: error: (-4:Insufficient memory) "
                        "Failed to allocate 576000000 bytes in function 'OutOfMemoryError'")

    monkeypatch.setattr(type(holdout_recognizer), "read", no_memory)
    with pytest.raises(LivedigitsError, match="page.png: too large to process in memory"):
        process_file(holdout_recognizer, page, out_dir=None)
    monkeypatch.undo()
    monkeypatch.setattr(render, "overlay", no_memory)
    with pytest.raises(LivedigitsError, match="page_overlay.png: the overlay and plain image "
                                              "cannot be drawn"):
        process_file(holdout_recognizer, page, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg"])
def test_orientation_applied_once_whatever_the_decoder_does(tmp_path, suffix):
    """OpenCV 5's TIFF decoder turns the picture itself even with IMREAD_UNCHANGED, its
    PNG and JPEG decoders do not: either way the picture is turned exactly once."""
    from livedigits.imageheader import with_orientation

    stored = np.zeros((40, 60), np.uint8)
    stored[:10, :20] = 255  # a white block in the stored top-left corner
    data = cv2.imencode(suffix, stored)[1].tobytes()
    for orientation in (3, 6, 8):
        path = tmp_path / f"o{orientation}{suffix}"
        path.write_bytes(with_orientation(data, orientation))
        assert read_header(path.read_bytes()).orientation == orientation
        got = read_image(path)
        if got.ndim == 3:
            got = got[:, :, 0]
        # Orientation 6 is shown turned 90 degrees clockwise, 8 anticlockwise, 3 by 180.
        want = {3: np.rot90(stored, 2), 6: np.rot90(stored, -1), 8: np.rot90(stored, 1)}
        assert got.shape == want[orientation].shape, (orientation, got.shape)
        assert np.abs(got.astype(int) - want[orientation]).mean() < 8, orientation
