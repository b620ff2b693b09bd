"""A real OpenCV window under Xvfb: `livedigits live` on a video, keys sent with xdotool."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import pytest

from tests import x11
from tests.videos import moving_sheet_video

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                       reason="needs Xvfb and xdotool"),
]


@pytest.fixture
def xvfb():
    """A private Xvfb server on a free display number; yields ``":N"``."""
    from tests.xvfb import private_display

    with private_display("1280x1024") as display:
        yield display


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


class _Lines:
    """A child's stderr read on a thread, each line kept with the monotonic time it arrived.

    CLOCK_MONOTONIC is the machine's, so these times compare with the test's own.
    """

    def __init__(self, stream) -> None:
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, pattern: str, timeout: float, after: float = 0.0):
        """(arrival time, match) of the first line from ``after`` on matching ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            for arrived, line in list(self.lines):
                found = re.search(pattern, line)
                if found and arrived >= after:
                    return arrived, found
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)

    def text(self) -> str:
        self._thread.join(timeout=10)
        return "\n".join(line for _, line in self.lines)


def _start_live(display: str, video: Path, model: Path, saves: Path, cwd: Path, *,
                seconds_a_frame: float | None = None, fail_after: int = 0,
                verbose: bool = True):
    """``livedigits live`` on ``video`` in a window on ``display``; returns the process.

    With ``seconds_a_frame`` the recognizer takes that long a frame (tests/slow_live.py).
    """
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    command = [sys.executable, "-m", "livedigits"]
    if seconds_a_frame is not None or fail_after:
        command = [sys.executable, "-m", "tests.slow_live", str(seconds_a_frame or 0.0),
                   str(fail_after)]
    if verbose:
        command.append("-v")  # each key and the end of the video are logged
    command += ["live", "--source", str(video), "--save-dir", str(saves), "--model", str(model)]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _window_of(display: str) -> str:
    """The live window's id, once it is shown."""
    found = _xdotool(display, "search", "--sync", "--onlyvisible", "--name", "^livedigits$",
                     timeout=60)
    return found.split()[0]


def _finish(app, timeout: float = 30) -> None:
    """Wait up to ``timeout`` s for the process to end; kill it if it does not."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        app.wait(timeout=timeout)
    if app.poll() is None:
        app.kill()
        app.wait()


KEY_LINES = {"h": "key h: help", "d": "key d: debug view", "f": "key f: fullscreen",
             "space": "key space: ", "s": "key s: snapshot", "q": "key q: quit"}


def test_window_keys_save_in_a_new_folder_then_quit(tmp_path, xvfb, holdout_recognizer):
    video = moving_sheet_video(tmp_path / "video.mp4", frames=40, width=640, height=480,
                               n_digits=30, digit_height=30, seed=4)
    model = holdout_recognizer.model.save(tmp_path / "holdout.npz")
    saves = tmp_path / "new" / "nested" / "folder"  # created by the run, parents too
    started = time.time()
    app = _start_live(xvfb, video.path, model, saves, tmp_path)
    log = _Lines(app.stderr)
    try:
        window = _window_of(xvfb)
        time.sleep(0.5)  # a few frames in, so the save shows digits
        keys = ("h", "d", "f", "space", "space", "f", "d", "h")  # every view, and back
        for key in keys:
            _xdotool(xvfb, "key", "--window", window, key)
            time.sleep(0.1)
        assert app.poll() is None, log.text()
        _xdotool(xvfb, "key", "--window", window, "s")
        assert _wait_for(lambda: saves.is_dir() and len(list(saves.iterdir())) >= 4, 15), \
            log.text()
        _xdotool(xvfb, "key", "--window", window, "q")
        _finish(app)
    finally:
        _finish(app, 0)
    err = log.text()
    assert app.returncode == 0, err
    acted = [line.split("key ", 1)[1].split(":")[0] for line in err.splitlines()
             if re.match(r"livedigits: key \w+: ", line)]
    assert acted == [*keys, "s", "q"], err  # every key, in the order pressed
    new = sorted(saves.iterdir())
    stem = next(p.stem for p in new if p.suffix == ".json")
    assert stem.startswith("livedigits-")
    assert sorted(p.name for p in new) == sorted(
        [f"{stem}.json", f"{stem}_digits.png", f"{stem}_frame.png", f"{stem}_overlay.png"])
    for path in new:
        assert path.stat().st_mtime >= started - 1
        if path.suffix == ".png":
            image = cv2.imread(str(path))
            assert image is not None and image.shape == (480, 640, 3)
    record = json.loads(next(p for p in new if p.suffix == ".json").read_text())
    assert record["width"] == 640 and record["detections"], record
    assert all(set(d) == {"x", "y", "w", "h", "digit", "confidence"}
               for d in record["detections"])


def test_slow_recognizer_keys_on_time_video_at_its_speed(tmp_path, xvfb, holdout_recognizer):
    """200 ms a frame: keys 50 ms apart both act at once, a 3 s video takes 3 s."""
    fps, frames = 15.0, 45
    video = moving_sheet_video(tmp_path / "video.avi", frames=frames, width=640, height=480,
                               n_digits=20, digit_height=30, fps=fps, seed=6)
    model = holdout_recognizer.model.save(tmp_path / "holdout.npz")
    app = _start_live(xvfb, video.path, model, tmp_path, tmp_path, seconds_a_frame=0.2)
    log = _Lines(app.stderr)
    try:
        window = _window_of(xvfb)
        seen = time.monotonic()
        time.sleep(0.3)
        late = {}
        for key in ("h", "d"):
            sent = time.monotonic()
            _xdotool(xvfb, "key", "--window", window, key)
            got = log.wait_for(KEY_LINES[key], 2.0, after=sent)
            late[key] = None if got is None else got[0] - sent
            time.sleep(max(0.0, 0.05 - (time.monotonic() - sent)))
        end = log.wait_for(r"after ([\d.]+) s: (\d+) frames read, (\d+) processed", 20)
        assert end is not None, log.text()
        _xdotool(xvfb, "key", "--window", window, "q")
        _finish(app)
    finally:
        _finish(app, 0)
    err = log.text()
    assert app.returncode == 0, err
    assert None not in late.values(), (late, err)  # neither key was lost
    assert max(late.values()) < 0.3, late
    duration = frames / fps
    played, read, processed = float(end[1][1]), int(end[1][2]), int(end[1][3])
    assert read == frames, err
    assert duration - 0.2 <= played <= duration + 0.6, err
    assert end[0] - seen <= duration + 1.0  # as the test's own clock saw it
    assert 0.6 * duration / 0.2 <= processed < 0.5 * frames, err  # frames skipped, kept up


def test_processing_fault_is_one_line_and_exit_1(tmp_path, xvfb, holdout_recognizer):
    video = moving_sheet_video(tmp_path / "video.avi", frames=30, width=320, height=240,
                               n_digits=8, digit_height=30, seed=7)
    model = holdout_recognizer.model.save(tmp_path / "holdout.npz")
    app = _start_live(xvfb, video.path, model, tmp_path, tmp_path, fail_after=3,
                      verbose=False)
    log = _Lines(app.stderr)
    try:
        app.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("livedigits live hung after a fault in processing")
    finally:
        _finish(app, 0)
    err = log.text()
    assert app.returncode == 1, err
    lines = [line for line in err.splitlines() if "simulated fault" in line]
    assert len(lines) == 1, err
    assert re.fullmatch(r"livedigits: processing stopped: RuntimeError: simulated fault on "
                        r"frame \d+ \(run with -vv for the traceback\)", lines[0]), err
    assert "Traceback" not in err and "second line" not in err, err


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
    log = _Lines(app.stderr)
    try:
        window = _window_of(xvfb)
        time.sleep(0.3)  # a few frames in (at the video's end the window stays open)
        assert app.poll() is None, log.text()
        x11.close_window(xvfb, int(window))
        try:
            app.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("livedigits live ignored WM_DELETE_WINDOW (still running after 10 s)")
    finally:
        _finish(app, 0)
    err = log.text()
    assert app.returncode == 0, err
    assert "Traceback" not in err, err
