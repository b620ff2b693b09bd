"""A real OpenCV window under Xvfb: `livedigits live` on a video, keys sent with xdotool."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from tests import x11
from tests.videos import moving_sheet_video

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                       reason="needs Xvfb and xdotool"),
]


@pytest.fixture
def xvfb():
    """A private Xvfb server on a free display number; yields ``":N"``."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24", "-nolisten",
         "tcp"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _xdotool(display: str, *args: str, timeout: float = 30) -> str:
    done = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _start_live(display: str, video: Path, model: Path, saves: Path, cwd: Path):
    """``livedigits live`` on ``video`` in a window on ``display``; returns the process."""
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "livedigits", "live", "--source", str(video),
         "--save-dir", str(saves), "--model", str(model)],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _window_of(display: str) -> str:
    """The live window's id, once it is shown."""
    found = _xdotool(display, "search", "--sync", "--onlyvisible", "--name", "^livedigits$",
                     timeout=60)
    return found.split()[0]


def test_window_save_key_then_quit(tmp_path, xvfb, holdout_recognizer):
    video = moving_sheet_video(tmp_path / "video.mp4", frames=40, width=640, height=480,
                               n_digits=30, digit_height=30, seed=4)
    model = holdout_recognizer.model.save(tmp_path / "holdout.npz")
    saves = tmp_path / "saves"
    saves.mkdir()
    (saves / "earlier.png").write_bytes(b"not ours")
    before = set(saves.iterdir())
    started = time.time()
    app = _start_live(xvfb, video.path, model, saves, tmp_path)
    try:
        window = _window_of(xvfb)
        time.sleep(0.5)  # a few frames in, so the save shows digits
        for key in ("h", "d", "f", "space", "space", "f", "d", "h"):  # every view, and back
            _xdotool(xvfb, "key", "--window", window, key)
            time.sleep(0.1)
        assert app.poll() is None, app.communicate()[1]
        _xdotool(xvfb, "key", "--window", window, "s")
        assert _wait_for(lambda: len(set(saves.iterdir()) - before) >= 4, 15), \
            sorted(p.name for p in saves.iterdir())
        _xdotool(xvfb, "key", "--window", window, "q")
        out, err = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err
    new = sorted(set(saves.iterdir()) - before)
    stem = next(p.stem for p in new if p.suffix == ".json")
    assert stem.startswith("livedigits-")
    assert sorted(p.name for p in new) == sorted(
        [f"{stem}.json", f"{stem}_digits.png", f"{stem}_frame.png", f"{stem}_overlay.png"])
    assert (saves / "earlier.png").read_bytes() == b"not ours"
    for path in new:
        assert path.stat().st_mtime >= started - 1
        if path.suffix == ".png":
            image = cv2.imread(str(path))
            assert image is not None and image.shape == (480, 640, 3)
    record = json.loads(next(p for p in new if p.suffix == ".json").read_text())
    assert record["width"] == 640 and record["detections"], record
    assert all(set(d) == {"x", "y", "w", "h", "digit", "confidence"}
               for d in record["detections"])


def test_close_button_quits(tmp_path, xvfb, holdout_recognizer):
    """WM_DELETE_WINDOW, what a window manager sends on a close click, quits with exit 0."""
    try:
        x11.load_xlib()
    except OSError as exc:
        pytest.skip(f"cannot load libX11: {exc}")
    video = moving_sheet_video(tmp_path / "video.mp4", frames=10, width=320, height=240,
                               n_digits=8, digit_height=30, seed=5)
    model = holdout_recognizer.model.save(tmp_path / "holdout.npz")
    app = _start_live(xvfb, video.path, model, tmp_path, tmp_path)
    try:
        window = _window_of(xvfb)
        time.sleep(0.3)  # a few frames in (at the video's end the window stays open)
        assert app.poll() is None, app.communicate()[1]
        x11.close_window(xvfb, int(window))
        try:
            _, err = app.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("livedigits live ignored WM_DELETE_WINDOW (still running after 10 s)")
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err
    assert "Traceback" not in err, err
