"""``livedigits scan`` against real SANE: its pnm and test backends in a private config."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest
from sane import SCANIMAGE, feeder_script, sane_config, stuck_at_exit_script, write_pnm
from typer.testing import CliRunner

from livedigits.cli.root import app
from livedigits.errors import LivedigitsError
from livedigits.pages.scan import scan_pages
from livedigits.pages.scan_devices import Device, ScanSettings, default_device, parse_option
from livedigits.pages.scan_faults import STATUS_BUSY, fault_message
from livedigits.synthetic.synth import render_page

runner = CliRunner()
_no_sane = pytest.mark.skipif(SCANIMAGE is None, reason="scanimage (sane-utils) not installed")


def needs_sane(test):
    """Mark a test as driving SANE's scanimage; skip it where that is not installed."""
    return pytest.mark.sane(_no_sane(test))


@pytest.fixture(autouse=True)
def _holdout_model(holdout_everywhere):
    """Commands use the model that never saw the held-out digits."""


@pytest.fixture
def sane(tmp_path, monkeypatch):
    """SANE_CONFIG_DIR pointing at a private config with the pnm and test backends only."""
    config = sane_config(tmp_path / "sane.d")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(config))
    return config


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    """Three different rendered sheets as PPM/PGM files the pnm device can scan."""
    folder = tmp_path_factory.mktemp("sheets")
    paths = []
    for i in range(3):
        page = render_page(np.random.default_rng(40 + i), width=900, height=640,
                           digit_height=44, n_digits=30)
        image = page.image if i != 1 else cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
        paths.append(write_pnm(folder / f"sheet{i}.{'pgm' if i == 1 else 'ppm'}", image))
    return paths


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _pages(folder) -> list:
    return sorted(p for p in folder.glob("scan-*.png")
                  if not p.stem.endswith(("_overlay", "_digits")))


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args])


# ---- pure parts ---------------------------------------------------------------------------

def test_parse_option():
    assert parse_option("filename=/tmp/a=b.pnm") == ("filename", "/tmp/a=b.pnm")
    assert parse_option("--status-jammed=yes") == ("status-jammed", "yes")
    for bad in ("filename", "=x", "a b=c", "-=1"):
        with pytest.raises(LivedigitsError, match="NAME=VALUE"):
            parse_option(bad)


def test_default_device_prefers_airscan_twin():
    escl = Device("escl:https://10.0.0.5:443", "Canon", "MF743C", "flatbed scanner")
    air = Device("airscan:e0:Canon MF743C", "Canon", "MF743C", "ip scanner")
    usb = Device("genesys:libusb:001:004", "Canon", "LiDE 220", "flatbed scanner")
    assert default_device([escl, air]) == air
    assert default_device([escl, usb]) == escl  # no airscan twin: first one wins
    assert default_device([usb]) == usb
    with pytest.raises(LivedigitsError, match="scanner` group"):
        default_device([])


def test_fault_messages_name_device_and_action():
    busy = fault_message("hp:usb", STATUS_BUSY,
                         ["scanimage: open of device hp:usb failed: Device busy"],
                         batch=False, saved=0)
    assert busy.startswith("hp:usb: ") and "busy" in busy and "\n" not in busy
    end = fault_message("x:0", 0, ["scanimage: sane_start: Document feeder out of documents"],
                        batch=True, saved=4)
    assert end is None  # the feeder running out after pages is the normal end
    jam = fault_message("x:0", 6, ["scanimage: sane_read: Document feeder jammed"],
                        batch=True, saved=2)
    assert "page 3" in jam and "pages 1-2 were saved" in jam


# ---- real SANE -----------------------------------------------------------------------------

@needs_sane
def test_list_devices(sane):
    result = _scan("--list")
    assert result.exit_code == 0, result.output
    assert "pnm:0" in result.output and "test:0" in result.output
    result = _scan("--list", "--json")
    assert {"pnm:0", "test:1"} <= {d["device"] for d in _json_lines(result.output)}


@needs_sane
def test_scan_gives_same_detections_as_image(sane, sheets, tmp_path):
    """The bar: a sheet through SANE's pnm device reads exactly as `image` reads the file."""
    out = tmp_path / "out"
    for sheet in sheets[:2]:  # colour (PPM) and gray (PGM)
        scanned = _scan("--device", "pnm:0", "-o", f"filename={sheet}", "--out", str(out),
                        "--json")
        assert scanned.exit_code == 0, scanned.output
        direct = runner.invoke(app, ["image", str(sheet), "--json", "--out",
                                     str(tmp_path / "direct")])
        assert direct.exit_code == 0, direct.output
        (page,), (ref,) = _json_lines(scanned.output), _json_lines(direct.output)
        assert len(ref["detections"]) >= 20
        assert page["detections"] == ref["detections"]
        assert page["text"] == ref["text"]
        assert (page["width"], page["height"]) == (ref["width"], ref["height"])
        saved = cv2.imread(page["image"], cv2.IMREAD_UNCHANGED)
        original = cv2.imread(str(sheet), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(saved, original)
        assert os.path.exists(page["overlay"]) and os.path.exists(page["digits"])
    assert len(_pages(out)) == 2
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no work folder left


@needs_sane
def test_text_output_and_default_device(tmp_path, monkeypatch, sheets):
    config = sane_config(tmp_path / "sane.d", backends=("pnm",))
    monkeypatch.setenv("SANE_CONFIG_DIR", str(config))
    result = _scan("-o", f"filename={sheets[0]}", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    reference = runner.invoke(app, ["image", str(sheets[0]), "--no-images"])
    assert result.output == reference.output
    assert len(_pages(tmp_path)) == 1


@needs_sane
def test_pages_never_overwrite(sane, sheets, tmp_path):
    settings = ScanSettings(device="pnm:0", options=[("filename", str(sheets[0]))])
    first = list(scan_pages(settings, tmp_path, stamp="same"))
    second = list(scan_pages(settings, tmp_path, stamp="same"))
    assert [p.path.name for p in first + second] == ["scan-same-001.png", "scan-same-001-1.png"]
    assert np.array_equal(cv2.imread(str(second[0].path), cv2.IMREAD_UNCHANGED),
                          second[0].image)


@needs_sane
@pytest.mark.parametrize(("status", "words"), [
    ("status-jammed", "jammed"),
    ("status-coveropen", "cover is open"),
    ("status-nodocs", "feeder is empty"),
    ("status-ioerror", "input/output error"),
    ("status-accessdenied", "scanner` group"),
])
def test_device_faults(sane, sheets, tmp_path, status, words):
    out = tmp_path / "out"
    result = _scan("--device", "pnm:0", "-o", f"filename={sheets[0]}", "-o", f"{status}=yes",
                   "--out", str(out))
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith("livedigits: pnm:0: ") and words in message, message
    assert "\n" not in message and "Traceback" not in result.output
    assert list(out.iterdir()) == []  # no half page, no work folder


@needs_sane
def test_empty_feeder_at_start_of_batch(sane, sheets, tmp_path):
    result = _scan("--device", "pnm:0", "--batch", "-o", f"filename={sheets[0]}",
                   "-o", "status-nodocs=yes", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "feeder is empty" in result.stderr and "load the sheets" in result.stderr


@needs_sane
def test_unknown_device_and_option(sane, sheets, tmp_path):
    result = _scan("--device", "pnm:7", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "pnm:7: cannot open the scanner" in result.stderr and "--list" in result.stderr
    result = _scan("--device", "pnm:0", "--mode", "Gray", "-o", f"filename={sheets[0]}",
                   "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "--mode" in result.stderr and "scanimage -d pnm:0 --help" in result.stderr


@needs_sane
def test_no_scanner(tmp_path, monkeypatch):
    config = sane_config(tmp_path / "sane.d", backends=())
    monkeypatch.setenv("SANE_CONFIG_DIR", str(config))
    for args in ([], ["--list"]):
        result = _scan(*args, "--out", str(tmp_path))
        assert result.exit_code == 1
        assert "no scanner found" in result.stderr and "scanimage -L" in result.stderr
        assert "`scanner` group" in result.stderr


def test_no_scanimage(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    for args in (["--list"], ["--device", "pnm:0"]):
        result = _scan(*args, "--out", str(tmp_path / "out"))
        assert result.exit_code == 1
        assert "apt install sane-utils" in result.stderr, result.stderr
        assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@needs_sane
def test_feeder_batch_of_test_backend(sane, tmp_path):
    """SANE's test device: a real 10-sheet feeder, Gray mode, ADF source; running out ends it."""
    result = _scan("--device", "test:0", "--source", "Automatic Document Feeder",
                   "--mode", "Gray", "--resolution", "30", "--batch", "--json",
                   "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = _json_lines(result.output)
    assert len(lines) == 10 and len(_pages(tmp_path)) == 10
    assert all(os.path.exists(line["overlay"]) for line in lines)


@needs_sane
def test_jam_mid_batch_keeps_finished_pages(sane, sheets, tmp_path, monkeypatch):
    """Sheets 1-2 scan, sheet 3 jams (the pnm device's own JAMMED status): both pages are
    saved and read like `image` reads them, and the error names page 3."""
    stand_in = feeder_script(tmp_path / "bin", sheets, jam_at=3)
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")
    result = _scan("--device", "pnm:0", "--batch", "--json", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "jammed" in result.stderr and "page 3" in result.stderr
    assert "pages 1-2 were saved" in result.stderr
    pages = _json_lines(result.stdout)
    assert [os.path.basename(p["image"])[-7:] for p in pages] == ["001.png", "002.png"]
    for page, sheet in zip(pages, sheets, strict=False):
        reference = _json_lines(runner.invoke(app, ["image", str(sheet), "--json",
                                                    "--no-images"]).output)[0]
        assert page["detections"] == reference["detections"]
        assert np.array_equal(cv2.imread(page["image"], cv2.IMREAD_UNCHANGED),
                              cv2.imread(str(sheet), cv2.IMREAD_UNCHANGED))
    assert len(_pages(tmp_path / "out")) == 2


@needs_sane
def test_hanging_backend_is_stopped(sane, tmp_path):
    """The pnm device blocks opening a FIFO nobody writes: a hung backend."""
    fifo = tmp_path / "never.pnm"
    os.mkfifo(fifo)
    start = time.monotonic()
    result = _scan("--device", "pnm:0", "-o", f"filename={fifo}", "--timeout", "1.5",
                   "--out", str(tmp_path / "out"))
    took = time.monotonic() - start
    assert result.exit_code == 1
    assert "no response from the scanner for 1.5 s" in result.stderr
    assert took < 12, took
    # nothing is left reading the FIFO: opening it for writing finds no reader
    with pytest.raises(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@needs_sane
def test_stopping_early_keeps_scanned_pages(sane, tmp_path):
    settings = ScanSettings(device="test:0", resolution=30, batch=True,
                            source="Automatic Document Feeder",
                            options=[("read-delay", "yes"), ("read-delay-duration", "20000")])
    pages = scan_pages(settings, tmp_path, stamp="early")
    first = next(pages)
    time.sleep(0.5)  # the scanner goes on meanwhile
    pages.close()
    kept = _pages(tmp_path)
    assert first.path in kept and len(kept) >= 1
    assert all(cv2.imread(str(p)) is not None for p in kept)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@needs_sane
def test_processing_overlaps_scanning(sane, tmp_path):
    """The next sheet is being scanned while the caller still works on the previous one."""
    settings = ScanSettings(device="test:0", resolution=30, batch=True,
                            source="Automatic Document Feeder")
    seen = []
    for page in scan_pages(settings, tmp_path, stamp="overlap"):
        seen.append(page)
        if len(seen) == 1:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and len(list(tmp_path.rglob("page-*"))) < 3:
                threading.Event().wait(0.05)
            assert len(list(tmp_path.rglob("page-*"))) >= 3  # later pages already scanned
    assert len(seen) == 10


@pytest.fixture
def xvfb():
    """A private Xvfb display, ``":N"``."""
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("needs Xvfb and xdotool")
    from tests.xvfb import private_display

    with private_display("1024x768") as display:
        yield display


@needs_sane
@pytest.mark.gui
def test_show_opens_a_window(sane, sheets, tmp_path, xvfb, holdout_recognizer):
    model = holdout_recognizer.model.save(tmp_path / "model.npz")
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb"}
    scan = subprocess.Popen(
        [sys.executable, "-m", "livedigits", "scan", "--device", "pnm:0", "-o",
         f"filename={sheets[0]}", "--show", "--model", str(model), "--out",
         str(tmp_path / "out")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name",
                                "^livedigits scan$"], env=env, capture_output=True, text=True,
                               timeout=60)
        window = found.stdout.split()[0]
        assert scan.poll() is None  # the window stays until a key
        # A key pressed while the window is still busy drawing can be lost on a loaded
        # machine: press it again until the scan ends (30 s at most).
        for _ in range(15):
            subprocess.run(["xdotool", "key", "--window", window, "q"], env=env, timeout=10)
            try:
                out, err = scan.communicate(timeout=2)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            out, err = scan.communicate(timeout=1)
    finally:
        if scan.poll() is None:
            scan.kill()
    assert scan.returncode == 0, err
    assert out.strip() and len(_pages(tmp_path / "out")) == 1


@needs_sane
def test_device_busy(sane, tmp_path):
    """SANE's test device returning DEVICE_BUSY, as a scanner in use by another program does."""
    result = _scan("--device", "test:0", "--resolution", "30", "-o",
                   "read-return-value=SANE_STATUS_DEVICE_BUSY", "--out", str(tmp_path))
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith("livedigits: test:0: the scanner is busy"), message
    assert "\n" not in message and not _pages(tmp_path)


@needs_sane
def test_scanimage_stuck_at_exit(sane, tmp_path, monkeypatch):
    """scanimage prints its fault and "Batch terminated" but then never exits (seen with
    SANE's test backend about once in a hundred busy runs): the fault it printed is
    reported soon, not a hang after --timeout."""
    stand_in = stuck_at_exit_script(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")
    start = time.monotonic()
    result = _scan("--device", "test:0", "--resolution", "30", "-o",
                   "read-return-value=SANE_STATUS_DEVICE_BUSY", "--timeout", "40",
                   "--out", str(tmp_path / "out"))
    took = time.monotonic() - start
    assert result.exit_code == 1
    assert result.stderr.startswith("livedigits: test:0: the scanner is busy"), result.stderr
    assert took < 20, took


@needs_sane
def test_page_kept_when_scanimage_is_stuck_at_exit(sane, tmp_path, monkeypatch):
    """A normal scan whose scanimage hangs after "Batch terminated": the page is read."""
    stand_in = stuck_at_exit_script(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")
    result = _scan("--device", "test:0", "--resolution", "30", "--timeout", "40", "--json",
                   "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert len(_json_lines(result.stdout)) == 1 and len(_pages(tmp_path / "out")) == 1


# ---- files that are not ours ------------------------------------------------------------

_NAMES_OTHERS = '''#!{python}
"""A scanimage that names other files as its pages and writes none."""
import os, sys
out = sys.stdout.buffer
for line in {lines!r}:
    out.write(line + b"\\n")
out.flush()
sys.exit(0)
'''


def _stand_in(folder, lines: list[bytes]):
    from sane import _executable

    return _executable(folder / "scanimage", _NAMES_OTHERS.format(python=sys.executable,
                                                                  lines=lines))


def test_pages_named_outside_the_work_folder_are_left_alone(tmp_path, monkeypatch):
    """The bar: a stand-in printing absolute paths of other files leaves them untouched,
    exits 1 with one line, and leaves no work folder behind."""
    decoys = tmp_path / "decoys"
    decoys.mkdir()
    important = decoys / "important.png"
    cv2.imwrite(str(important), np.full((40, 60), 255, np.uint8))
    notes = decoys / "notes.txt"
    notes.write_text("keep me\n")
    page_named = decoys / "page-1.pnm"  # the right name in the wrong folder
    write_pnm(page_named, np.full((40, 60), 255, np.uint8))
    before = {p: p.read_bytes() for p in (important, notes, page_named)}
    lines = [str(p).encode() for p in before] + [b"../decoys/page-1.pnm"]
    stand_in = _stand_in(tmp_path / "bin", lines)
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "out"
    result = _scan("--device", "pnm:0", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "outside its work folder" in result.output and "left alone" in result.output
    assert {p: p.read_bytes() for p in before} == before
    assert not list(out.iterdir())


def test_binary_garbage_from_scanimage_is_one_line(tmp_path, monkeypatch):
    stand_in = _stand_in(tmp_path / "bin", [bytes(range(1, 256)) * 40, b"\xff" * 5000])
    monkeypatch.setenv("PATH", f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "out"
    result = _scan("--device", "pnm:0", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output
    assert not list(out.iterdir())


# ---- stopping and hanging -----------------------------------------------------------------

_SLOW_FEEDER = '''#!{python}
"""A feeder that scans page 1, starts a helper, then takes forever over page 2."""
import os, re, subprocess, sys, time
pattern = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--batch="))
page = pattern.replace("%d", "1")
with open({sheet!r}, "rb") as src, open(page + ".part", "wb") as dst:
    dst.write(src.read())
os.rename(page + ".part", page)
helper = subprocess.Popen(["sleep", "600"])
with open({pids!r}, "w") as f:
    f.write(f"{{os.getpid()}} {{helper.pid}}")
print(page, flush=True)
print("Scanning page 2", file=sys.stderr, flush=True)
time.sleep(600)
'''

_REPEATS_PROGRESS = '''#!{python}
"""A backend that is stuck but keeps printing the same progress line."""
import sys, time
while True:
    sys.stderr.write("Progress: 37.5%\\r")
    sys.stderr.flush()
    time.sleep(0.05)
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie has exited already
        return handle.read().split(") ")[1][0] != "Z"


def test_sigterm_stops_scanimage_and_its_helpers_and_keeps_pages(tmp_path, sheets):
    from sane import _executable

    pids = tmp_path / "pids"
    _executable(tmp_path / "bin" / "scanimage", _SLOW_FEEDER.format(
        python=sys.executable, sheet=str(sheets[0]), pids=str(pids)))
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "out"
    scan = subprocess.Popen([sys.executable, "-m", "livedigits", "scan", "--device", "pnm:0",
                             "--batch", "--out", str(out), "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = scan.stdout.readline()  # page 1 read: page 2 is "scanning"
        assert json.loads(first)["image"].endswith("-001.png"), first
        scanner, helper = map(int, pids.read_text().split())
        scan.send_signal(signal.SIGTERM)
        scan.wait(20)
    finally:
        if scan.poll() is None:
            scan.kill()
    assert scan.returncode != 0
    deadline = time.monotonic() + 10
    while (_alive(scanner) or _alive(helper)) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in (scanner, helper) if _alive(pid)]
    for pid in left:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left
    assert len(_pages(out)) == 1
    assert not [p for p in out.iterdir() if p.name.startswith(".livedigits-scan-")]


def test_repeated_progress_line_is_not_progress(tmp_path, monkeypatch):
    from sane import _executable

    _executable(tmp_path / "bin" / "scanimage", _REPEATS_PROGRESS.format(python=sys.executable))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    start = time.monotonic()
    settings = ScanSettings(device="pnm:0", timeout=1.5)
    with pytest.raises(LivedigitsError, match="no response from the scanner for 1.5 s"):
        list(scan_pages(settings, tmp_path / "out"))
    assert time.monotonic() - start < 12


def test_show_without_a_display_is_a_one_line_error_before_scanning(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run([sys.executable, "-m", "livedigits", "scan", "--show",
                           "--device", "pnm:0", "--out", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--show needs a window" in lines[0], done.stderr
    assert not list(tmp_path.iterdir())  # nothing scanned
