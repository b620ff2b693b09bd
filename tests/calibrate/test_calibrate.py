"""Calibration: the printed sheet, reading filled sheets (photographed and rows), profiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from livedigits.calibrate.printable import box_rects, render_sheet
from livedigits.calibrate.profile import save_profile
from livedigits.calibrate.rows_reader import parse_order, read_rows
from livedigits.calibrate.sheet_reader import find_markers, read_sheet
from livedigits.cli.root import app
from livedigits.errors import LivedigitsError
from livedigits.synthetic.synth import digit_sprite

runner = CliRunner()
INK_BGR = np.array([120, 45, 25], np.float32)  # blue ballpoint


@pytest.fixture(autouse=True)
def _calibration_dir(tmp_path, monkeypatch):
    """Profiles go to a private folder, never into the repository's calibration/."""
    monkeypatch.setenv("LIVEDIGITS_CALIBRATION", str(tmp_path / "calibration"))


def _ink_on(page: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """Gray (H, W) uint8 paper with ink coverage (H, W) float 0..1 drawn in blue: BGR."""
    alpha = ink[:, :, None] * 0.92
    return page[:, :, None].astype(np.float32) * (1 - alpha) + INK_BGR * alpha


def filled_sheet(heldout, rng, *, fill: float = 0.7, scribbles: int = 2):
    """The printed sheet with held-out digits in some boxes, and scribbles in others.

    Returns ``(page (3508, 2480, 3) float32 BGR, counts (10,) digits per row,
    cells_used (N,) indices into heldout, in reading order)``.
    """
    cells, labels = heldout
    page = render_sheet()
    ink = np.zeros(page.shape, np.float32)
    counts = np.zeros(10, int)
    used = []
    rects = box_rects()
    scribble_at = {(int(r), int(c)) for r, c in zip(rng.integers(0, 10, scribbles),
                                                    rng.integers(0, 10, scribbles), strict=True)}
    for row in range(10):
        pool = np.flatnonzero(labels == row)
        for col in range(10):
            x, y, w, h = (int(v) for v in rects[row, col])
            if (row, col) in scribble_at:
                for _ in range(14):  # dense zig-zag hatching
                    p0 = (x + int(rng.integers(30, 60)), y + int(rng.integers(30, h - 30)))
                    p1 = (x + w - int(rng.integers(30, 60)), y + int(rng.integers(30, h - 30)))
                    cv2.line(ink, p0, p1, 1.0, 14)
                continue
            if rng.random() > fill:
                continue
            k = int(rng.choice(pool))
            height = int(rng.integers(95, 135))
            sprite = digit_sprite(cells[k], height, float(rng.uniform(0.06, 0.12)))
            sh, sw = sprite.shape
            top = y + int(rng.integers(35, max(36, h - sh - 34)))
            left = x + int(rng.integers(35, max(36, w - sw - 34)))
            region = ink[top:top + sh, left:left + sw]
            np.maximum(region, sprite, out=region)
            counts[row] += 1
            used.append(k)
    return _ink_on(page, ink), counts, np.array(used)


def photograph(page: np.ndarray, rng, *, size=(1280, 720), hide_corner: int | None = None,
               jitter: float = 0.06) -> np.ndarray:
    """A 720p photo of a page on a desk: perspective, uneven light, blur, noise, JPEG.

    page : (H, W, 3) float32 BGR; returns (720, 1280, 3) uint8 BGR.
    """
    width, height = size
    ph, pw = page.shape[:2]
    page_h = 0.9 * height
    page_w = page_h * pw / ph
    cx, cy = width / 2 + rng.uniform(-80, 80), height / 2
    target = np.float32([[cx - page_w / 2, cy - page_h / 2], [cx + page_w / 2, cy - page_h / 2],
                         [cx + page_w / 2, cy + page_h / 2], [cx - page_w / 2, cy + page_h / 2]])
    target += rng.uniform(-jitter, jitter, (4, 2)).astype(np.float32) * page_h
    # Shrink with area averaging first so the warp does not alias thin strokes.
    factor = 2 * page_h / ph
    small = cv2.resize(page, (round(pw * factor), round(ph * factor)),
                       interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    source = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    matrix = cv2.getPerspectiveTransform(source, target)
    desk = np.full((height, width, 3), (70, 90, 110), np.float32)
    photo = cv2.warpPerspective(small, matrix, (width, height), dst=desk,
                                borderMode=cv2.BORDER_TRANSPARENT)
    if hide_corner is not None:
        x, y = target[hide_corner]
        cv2.circle(photo, (int(x), int(y)), int(0.12 * page_h), (60, 80, 100), -1)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1.0 - 0.35 * np.clip(np.hypot(xx - rng.uniform(0, width), yy) / width, 0, 1)
    photo = cv2.GaussianBlur(photo * light[:, :, None], (0, 0), 0.8)
    photo = np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    _, data = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def rows_sheet(heldout, rng, *, order="1234567890", width=1700, height=2200):
    """A marker-less page: one slanted handwritten row per digit of ``order``.

    Returns ``(image (H, W, 3) uint8, counts {digit: n})``.
    """
    cells, labels = heldout
    paper = np.full((height, width), 245, np.uint8)
    ink = np.zeros((height, width), np.float32)
    counts: dict[int, int] = {}
    pitch = (height - 200) // len(order)
    for r, ch in enumerate(order):
        digit = int(ch)
        pool = np.flatnonzero(labels == digit)
        slope = rng.uniform(-0.06, 0.06)
        n = int(rng.integers(6, 13))
        x = 100 + int(rng.integers(0, 60))
        base = 130 + r * pitch
        for _ in range(n):
            sprite = digit_sprite(cells[int(rng.choice(pool))], int(rng.integers(60, 80)),
                                   float(rng.uniform(0.06, 0.12)))
            sh, sw = sprite.shape
            top = int(base + slope * (x - 100) + rng.uniform(-6, 6))
            if x + sw > width - 60:
                break
            region = ink[top:top + sh, x:x + sw]
            np.maximum(region, sprite, out=region)
            counts[digit] = counts.get(digit, 0) + 1
            x += sw + int(rng.integers(25, 70))
    page = _ink_on(paper, ink)
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(
        corners, corners + rng.uniform(-25, 25, (4, 2)).astype(np.float32))
    page = cv2.warpPerspective(page, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    page = cv2.GaussianBlur(page, (0, 0), 0.8)
    return np.clip(page + rng.normal(0, 2, page.shape), 0, 255).astype(np.uint8), counts


@pytest.fixture(scope="module")
def photo_case(heldout):
    rng = np.random.default_rng(5)
    page, counts, used = filled_sheet(heldout, rng)
    return photograph(page, rng), counts, used


def test_sheet_command_writes_png_and_pdf(tmp_path):
    result = runner.invoke(app, ["calibrate", "sheet", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    png = cv2.imread(str(tmp_path / "calibration_sheet.png"), cv2.IMREAD_GRAYSCALE)
    assert png.shape == (3508, 2480)
    assert sorted(find_markers(png)) == [0, 1, 2, 3]
    pdf = (tmp_path / "calibration_sheet.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 595.200 841.920]" in pdf  # A4 in points
    # Every xref entry points at its object.
    start = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    entries = re.findall(rb"(\d{10}) 00000 n", pdf[start:])
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj".encode())


def test_committed_sheet_is_current():
    """calibration/calibration_sheet.png is what `calibrate sheet` draws today."""
    from pathlib import Path

    committed = Path(__file__).resolve().parents[2] / "calibration" / "calibration_sheet.png"
    image = cv2.imread(str(committed), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    assert np.array_equal(image, render_sheet())


def test_photographed_sheet_reads_every_filled_box(photo_case, holdout_recognizer):
    photo, counts, used = photo_case
    reading = read_sheet(photo)
    assert reading.per_digit() == {str(d): int(counts[d]) for d in range(10)}
    assert reading.scribbled == 2
    assert reading.empty == 100 - counts.sum() - 2
    # The cells are digits.png-form digits: the default model reads them as their labels.
    digits, _ = holdout_recognizer.classify(reading.cells)
    assert np.mean(digits == reading.labels) >= 0.9


def test_twelve_bit_images_keep_their_contrast(photo_case, heldout):
    """A 12-bit image (values up to 4095, in a 16-bit container) reads as its 8-bit self:
    it is scaled by its brightest value, not shifted down by 8 bits (which leaves 0-15)."""
    photo, counts, _ = photo_case
    deep = ((photo.astype(np.uint32) * 4095 + 127) // 255).astype(np.uint16)
    assert deep.dtype == np.uint16 and int(deep.max()) <= 4095
    reading = read_sheet(deep)
    assert reading.per_digit() == {str(d): int(counts[d]) for d in range(10)}
    image, rows_counts = rows_sheet(heldout, np.random.default_rng(3))
    rows = read_rows(((image.astype(np.uint32) * 4095 + 127) // 255).astype(np.uint16))
    assert rows.per_digit() == {str(d): rows_counts[d] for d in range(10)}


def test_read_command_writes_profile_and_contact(photo_case, tmp_path, monkeypatch):
    photo, counts, _ = photo_case
    path = tmp_path / "photo.jpg"
    cv2.imwrite(str(path), photo)
    result = runner.invoke(app, ["calibrate", "read", str(path), "--profile", "alice", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out == {"profile": "alice", "samples": int(counts.sum()),
                   "per_digit": {str(d): int(counts[d]) for d in range(10)}, "schema": 1}
    from livedigits.training.profiles import load_profile, resolve_profile

    cells, labels = load_profile(resolve_profile("alice"))
    assert cells.shape == (counts.sum(), 20, 20) and np.array_equal(np.bincount(labels), counts)
    assert (tmp_path / "calibration" / "alice_contact.png").is_file()

    # An existing profile is kept without --force, replaced with it.
    before = (tmp_path / "calibration" / "alice.npz").read_bytes()
    again = runner.invoke(app, ["calibrate", "read", str(path), "--profile", "alice"])
    assert again.exit_code == 1 and "--force" in again.output
    assert (tmp_path / "calibration" / "alice.npz").read_bytes() == before
    forced = runner.invoke(app, ["calibrate", "read", str(path), "--profile", "alice",
                                 "--force"])
    assert forced.exit_code == 0, forced.output
    assert not list((tmp_path / "calibration").glob(".*tmp"))


def test_three_markers_are_enough_two_are_not(heldout):
    rng = np.random.default_rng(11)
    page, counts, _ = filled_sheet(heldout, rng, fill=0.5, scribbles=0)
    one_hidden = photograph(page, np.random.default_rng(1), hide_corner=1)
    reading = read_sheet(one_hidden)
    assert reading.per_digit() == {str(d): int(counts[d]) for d in range(10)}
    assert "top-right" in reading.notes[0]
    two_hidden = one_hidden.copy()
    h, w = two_hidden.shape[:2]
    two_hidden[h // 2:, : w // 2] = (60, 80, 100)  # the bottom-left corner too
    with pytest.raises(LivedigitsError, match="missing: top-right, bottom-left"):
        read_sheet(two_hidden)


def test_rows_sheet_reads_all_digits_with_labels(heldout, holdout_recognizer):
    image, counts = rows_sheet(heldout, np.random.default_rng(3))
    reading = read_rows(image)
    assert reading.per_digit() == {str(d): counts[d] for d in range(10)}
    digits, _ = holdout_recognizer.classify(reading.cells)
    assert np.mean(digits == reading.labels) >= 0.9


def test_rows_sheet_with_its_own_order_and_too_few_rows(heldout):
    image, counts = rows_sheet(heldout, np.random.default_rng(4), order="9876543210")
    reading = read_rows(image, "9876543210")
    assert reading.per_digit() == {str(d): counts[d] for d in range(10)}
    short, _ = rows_sheet(heldout, np.random.default_rng(4), order="12345")
    with pytest.raises(LivedigitsError, match="found 5 rows"):
        read_rows(short)
    with pytest.raises(LivedigitsError, match="--order"):
        parse_order("1123")


def test_bad_inputs(tmp_path, heldout):
    rows_image, _ = rows_sheet(heldout, np.random.default_rng(2))
    no_markers = tmp_path / "rows.png"
    cv2.imwrite(str(no_markers), rows_image)
    result = runner.invoke(app, ["calibrate", "read", str(no_markers), "--profile", "bob"])
    assert result.exit_code == 1
    assert "no calibration markers" in result.output and "--layout rows" in result.output

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), photograph(render_sheet().astype(np.float32)[:, :, None]
                                       .repeat(3, axis=2), np.random.default_rng(0)))
    result = runner.invoke(app, ["calibrate", "read", str(blank), "--profile", "bob"])
    assert result.exit_code == 1 and "blank sheet" in result.output

    white = tmp_path / "white.png"
    cv2.imwrite(str(white), np.full((600, 800), 250, np.uint8))
    result = runner.invoke(app, ["calibrate", "read", str(white), "--profile", "bob",
                                 "--layout", "rows"])
    assert result.exit_code == 1 and "blank sheet" in result.output

    for name in (".hidden", "", "a b"):
        result = runner.invoke(app, ["calibrate", "read", str(no_markers), "--profile", name])
        assert result.exit_code == 1 and "not allowed" in result.output, name
    for path in ("../evil", "a/b"):  # a path names the file itself: it must be a .npz
        result = runner.invoke(app, ["calibrate", "read", str(no_markers), "--profile", path])
        assert result.exit_code == 1 and "ends in .npz" in result.output, path
    assert not (tmp_path / "calibration").exists()

    missing = runner.invoke(app, ["calibrate", "read", str(tmp_path / "nope.png"),
                                  "--profile", "bob"])
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_report_before_and_after(heldout, tmp_path):
    """Before/after accuracies by cross-validation over a rows sheet's profile."""
    image, _ = rows_sheet(heldout, np.random.default_rng(8))
    reading = read_rows(image)
    save_profile("carol", reading)
    result = runner.invoke(app, ["calibrate", "report", "carol", "--json", "--folds", "3"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["samples"] == len(reading.labels) and out["folds"] == 3
    assert 0.8 <= out["before"] <= 1 and 0.8 <= out["after"] <= 1
    text = runner.invoke(app, ["calibrate", "report", "carol", "--folds", "3"])
    assert text.exit_code == 0 and "accuracy before" in text.output


def test_live_reads_a_sheet_held_still_before_the_camera(photo_case, tmp_path):
    """`live --calibrate NAME`: a filled sheet shown steadily is read into a profile."""
    import subprocess
    import sys

    photo, counts = photo_case[0], photo_case[1]
    video = tmp_path / "sheet.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
                             (photo.shape[1], photo.shape[0]))
    rng = np.random.default_rng(4)
    blank = np.full_like(photo, 235)
    for i in range(45):  # 1 s of an empty desk, then 3.5 s of the sheet held still
        frame = blank if i < 10 else photo
        noisy = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
        writer.write(noisy)
    writer.release()
    env = dict(__import__("os").environ, LIVEDIGITS_CALIBRATION=str(tmp_path / "cal"))
    done = subprocess.run(
        [sys.executable, "-m", "livedigits", "live", "--source", str(video), "--no-window",
         "--calibrate", "alice"], capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr
    assert "profile alice saved" in done.stderr
    with np.load(tmp_path / "cal" / "alice.npz", allow_pickle=False) as data:
        assert len(data["labels"]) == int(np.sum(counts))


def test_profiles_live_in_a_per_user_folder(heldout, tmp_path, monkeypatch):
    """Written by name from one folder, found by name from another; a PATH.npz is written
    and read as given (not PATH.npz.npz); `calibrate list` shows what exists."""
    from livedigits import paths
    from livedigits.training.profiles import resolve_profile

    monkeypatch.delenv("LIVEDIGITS_CALIBRATION")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder = paths.calibration_dir()
    assert folder == tmp_path / "data" / "livedigits" / "profiles"
    image, _ = rows_sheet(heldout, np.random.default_rng(8))
    reading = read_rows(image)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    monkeypatch.chdir(tmp_path / "one")
    save_profile("dora", reading)
    monkeypatch.chdir(tmp_path / "two")
    assert resolve_profile("dora") == folder / "dora.npz"
    assert (folder / "dora_contact.png").is_file()
    path, _contact = save_profile("bob.npz", reading)
    assert path == Path("bob.npz") and Path("bob.npz").is_file()
    assert Path("bob_contact.png").is_file() and not list(Path().glob("*.npz.npz"))
    assert resolve_profile("bob.npz") == Path("bob.npz")
    Path("calibration").mkdir()  # where earlier versions wrote profiles
    save_profile("calibration/old.npz", reading)
    assert resolve_profile("old") == Path("calibration/old.npz")
    (folder / "broken.npz").write_bytes(b"not a zip")
    listed = runner.invoke(app, ["calibrate", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    entries = {e["profile"]: e for e in map(json.loads, listed.stdout.splitlines())}
    assert sorted(entries) == ["broken", "dora", "old"]
    assert entries["dora"]["samples"] == len(reading.labels)
    assert entries["dora"]["path"] == str(folder / "dora.npz") and "error" in entries["broken"]
    text = runner.invoke(app, ["calibrate", "list"])
    assert text.exit_code == 0 and f"profiles folder: {folder}" in text.output
    monkeypatch.setenv("LIVEDIGITS_CALIBRATION", str(tmp_path / "env"))
    assert paths.calibration_dir() == tmp_path / "env"
    with pytest.raises(LivedigitsError, match="no such handwriting profile"):
        resolve_profile("old")  # $LIVEDIGITS_CALIBRATION alone is searched
    empty = runner.invoke(app, ["calibrate", "list"])
    assert empty.exit_code == 0 and "no handwriting profiles yet" in empty.output
