"""Kiosk mode: the full-screen picture, health lines, a camera that fails or freezes, the
window on a bare X server (Xvfb 1600x900, no window manager), and the installed unit."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from livedigits.errors import LivedigitsError
from livedigits.live.kiosk import Health
from livedigits.live.kiosk_picture import KioskState, kiosk_view
from livedigits.recognize.recognizer import Detection
from tests import x11
from tests.live.test_live_window import _finish, _Lines, _wait_for, _xdotool
from tests.videos import moving_sheet_video
from tests.x11_screen import Screen

ROOT = Path(__file__).resolve().parents[2]
SCREEN = (1600, 900)
needs_x = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                             reason="needs Xvfb and xdotool")

# -- the picture ---------------------------------------------------------------------------


def _frame() -> np.ndarray:
    frame = np.full((480, 640, 3), 200, np.uint8)
    frame[100:112, 300:308] = 30  # a small "digit": 12 px tall on a 480 px frame
    return frame


def _yellow(view: np.ndarray) -> np.ndarray:
    """Where the numbers' colour (BGR 60, 230, 255) is drawn."""
    b, g, r = (view[:, :, k].astype(int) for k in range(3))
    return (r > 220) & (g > 200) & (b < 120)


def test_numbers_are_sized_from_the_screen_not_the_frame():
    small = Detection(300, 100, 8, 12, 7, 1.0)
    view = kiosk_view(_frame(), [small], "7", SCREEN, KioskState())
    assert view.shape == (900, 1600, 3) and view.dtype == np.uint8
    rows = np.flatnonzero(_yellow(view).any(axis=1))
    assert rows.size, "no number drawn"
    # 12 px on a 480 px frame is 22 px on the screen; the number is at least 900 / 18 tall.
    assert rows.max() - rows.min() + 1 >= 0.9 * 900 / 18
    # The halo: dark pixels right around the number's strokes.
    ys, xs = np.nonzero(_yellow(view))
    ring = view[max(0, ys.min() - 4):ys.max() + 5, max(0, xs.min() - 4):xs.max() + 5]
    assert (ring.max(axis=2) < 40).sum() > 50


def test_banner_attract_and_reconnecting_screens():
    frame = _frame()
    d = Detection(300, 100, 8, 12, 7, 1.0)
    plain = kiosk_view(frame, [d], "", SCREEN, KioskState())
    banner = kiosk_view(frame, [d], "7 42", SCREEN, KioskState())
    band = slice(900 - 900 // 9, 900)
    # The banner darkens the bottom ninth and writes the text in white across it.
    assert banner[band].mean() < 0.6 * plain[band].mean()
    assert (banner[band].min(axis=2) > 240).sum() > 2000
    attract = kiosk_view(frame, [d], "7", SCREEN, KioskState(attract=True))
    white_text = (attract.min(axis=2) > 240).sum()
    assert white_text > 20000  # big type and the example card
    card = attract[450:650, 700:900]  # the drawn example card sits mid-screen
    assert (card.min(axis=2) > 225).mean() > 0.3
    titled = kiosk_view(frame, [d], "7", SCREEN, KioskState(title="Open day"))
    assert titled[:900 // 13].mean() < plain[:900 // 13].mean()
    lost = kiosk_view(frame, [d], "7", SCREEN,
                      KioskState(status="camera lost \u2014 reconnecting", lost_seconds=3))
    assert np.abs(lost[450, 20].astype(int) - (20, 20, 150)).max() <= 2  # the red band
    assert not _yellow(lost).any()  # no stale numbers while the camera is away


def test_health_line_is_due_each_period_with_its_figures():
    health = Health(10.0, start=100.0)
    assert health.line(105.0, processed=0, reconnects=0) is None
    for t in np.arange(100.0, 110.0, 0.1):
        health.shown(float(t))
    health.shown(111.5)  # a 1.6 s stall
    line = health.line(112.0, processed=95, reconnects=2)
    assert line is not None
    found = re.search(r"up 0d 00:00:12, 101 frames shown \(([\d.]+) fps\), 95 processed, "
                      r"2 reconnects, rss ([\d.]+) MiB, longest gap ([\d.]+) s", line)
    assert found, line
    assert float(found.group(1)) == pytest.approx(101 / 12, abs=0.05)
    assert float(found.group(2)) > 10  # this process's real memory
    assert float(found.group(3)) == pytest.approx(1.6, abs=0.01)
    assert health.line(115.0, processed=95, reconnects=2) is None  # next one at 120
    health.pause()  # camera lost: the wait for its return is not a stall
    health.shown(119.0)
    later = health.line(120.0, processed=96, reconnects=2)
    assert "longest gap 0.00 s" in later and "102 frames shown" in later


# -- sources that fail ---------------------------------------------------------------------


class _BrokenCamera:
    """Delivers a few frames, then something that is not a picture (a driver's bug)."""

    def __init__(self) -> None:
        self.reads = 0

    def isOpened(self) -> bool:  # noqa: N802
        return True

    def read(self):
        self.reads += 1
        if self.reads > 5:
            return True, object()
        time.sleep(0.02)
        return True, np.full((48, 64, 3), self.reads * 10, np.uint8)

    def release(self) -> None:
        pass


def test_a_capture_thread_that_breaks_ends_the_run_with_an_error(holdout_recognizer):
    import threading

    from livedigits.live.live_source import LiveSource
    from livedigits.live.loop import run
    from livedigits.live.session import LiveConfig

    source = LiveSource(_BrokenCamera, name="camera 9", frozen_after=None)
    raised: list[BaseException] = []

    def headless() -> None:
        with open(os.devnull, "w") as out:
            try:
                run(source, holdout_recognizer, LiveConfig(window=False), out=out)
            except LivedigitsError as exc:
                raised.append(exc)

    runner = threading.Thread(target=headless, daemon=True)
    runner.start()
    runner.join(30)
    assert not runner.is_alive(), "the run hangs waiting for frames that never come"
    assert raised and re.match(r"camera 9: capture stopped \(TypeError", str(raised[0]))


class _Source:
    """Just enough of a FrameSource for the display's upkeep."""

    name = "camera 3"
    status = "ok"
    finished = False
    reconnects = 0


class _Window:
    def poll(self, now: float) -> None:
        pass


def test_a_source_with_no_new_picture_for_the_stall_limit_ends_the_kiosk():
    from livedigits.live.session import LiveConfig
    from livedigits.live.window import WindowRun

    source = _Source()
    run = WindowRun(source, None, None, LiveConfig(kiosk=True, stall_limit=2.0))
    run.kiosk, run.health = _Window(), Health(1000.0, start=0.0)
    run._kiosk_tick(100.0, 1)
    run._kiosk_tick(101.9, 1)  # within the limit
    source.status = "camera lost \u2014 reconnecting"
    run.hud.lost_since = 102.0
    run._kiosk_tick(110.0, 1)  # lost: waiting for the camera is no stall
    source.status, run.hud.lost_since = "ok", 0.0
    run._kiosk_tick(111.0, 1)
    run.hud.frozen = True
    run._kiosk_tick(115.0, 1)  # frozen by the space key
    run.hud.frozen = False
    run._kiosk_tick(116.0, 2)  # a new picture
    with pytest.raises(LivedigitsError, match=r"camera 3: no new picture for 2 s; exiting "
                                              r"with status 1"):
        run._kiosk_tick(118.1, 2)


def _flaky(video: Path, schedule: tuple[float, float, float, float], *args: str,
           display: str | None = None, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    if display:
        env["DISPLAY"] = display
    command = [sys.executable, "-m", "tests.flaky_camera", str(video),
               *(str(s) for s in schedule), "-v", "live", "--source", "camera", *args]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_frozen_camera_is_detected_and_reconnected(tmp_path, holdout_recognizer):
    video = moving_sheet_video(tmp_path / "video.avi", frames=30, width=320, height=240,
                               n_digits=8, digit_height=24, seed=5)
    model = holdout_recognizer.model.save(tmp_path / "holdout.npz")
    # Frozen from 1.5 s to 4 s; frames identical for 1 s count as a lost camera.
    app = _flaky(video.path, (0, 0, 1.5, 2.5), "--no-window", "--json", "--max-frames", "75",
                 "--frozen-after", "1", "--model", str(model), cwd=tmp_path)
    try:
        out, err = app.communicate(timeout=90)
    finally:
        _finish(app, 0)
    assert app.returncode == 0, err
    lost = re.search(r"camera: camera lost \u2014 reconnecting \(picture frozen for 1\.\d s\)",
                     err)
    assert lost, err
    back = re.compile(r"camera: back after ([\d.]+) s").search(err, lost.end())
    assert back, err
    frames = [json.loads(line)["frame"] for line in out.splitlines()]
    assert len(frames) == 75


# -- the window on a bare X server ---------------------------------------------------------


@pytest.fixture
def bare_x():
    """A private Xvfb at 1600x900 with no window manager; yields ``":N"``."""
    from tests.xvfb import private_display

    with private_display("1600x900") as display:
        yield display


def _kiosk_window(display: str) -> str:
    found = _xdotool(display, "search", "--sync", "--onlyvisible", "--name", "^livedigits$",
                     timeout=60)
    return found.split()[0]


def _red_band(shot: np.ndarray) -> bool:
    """Whether the screen shows the reconnecting state's red band: 40 rows or more of its
    colour down one of five columns across the screen, wherever the band stands (one pixel
    at the screen's middle row, looked at before, missed it in about one run in five; the
    left edge alone once in a loaded run)."""
    columns = np.linspace(20, shot.shape[1] - 21, 5).astype(int)
    strips = shot[:, columns].astype(int)  # (H, 5, 3)
    inside = (np.abs(strips - (20, 20, 150)).max(axis=2) <= 3).sum(axis=0)
    return bool((inside >= 40).any())


def _band_or_shot(screen, folder) -> bool:
    """``_red_band`` of a grab of ``screen``, the grab kept in ``folder`` as last-screen.png
    (to see what the screen showed when the band was not found)."""
    import cv2

    shot = screen.grab()
    cv2.imwrite(str(folder / "last-screen.png"), shot)
    return _red_band(shot)


def _geometry(display: str, window: str) -> tuple[str, str]:
    text = _xdotool(display, "getwindowgeometry", window)
    return (re.search(r"Position: (\S+)", text).group(1),
            re.search(r"Geometry: (\S+)", text).group(1))


@pytest.mark.gui
@needs_x
def test_kiosk_window_covers_a_bare_screen_hides_the_pointer(tmp_path, bare_x,
                                                              holdout_recognizer):
    video = moving_sheet_video(tmp_path / "video.avi", frames=30, width=640, height=480,
                               n_digits=12, digit_height=30, seed=4)
    model = holdout_recognizer.model.save(tmp_path / "holdout.npz")
    with Screen(bare_x) as screen:
        assert screen.screen_saver_timeout() > 0  # Xvfb's default: blank after 600 s
    env = {**os.environ, "DISPLAY": bare_x}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    app = subprocess.Popen([sys.executable, "-m", "livedigits", "-v", "live", "--kiosk",
                            "--loop", "--source", str(video.path), "--model", str(model),
                            "--title", "Open day", "--health-every", "1"],
                           env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    log = _Lines(app.stderr)
    try:
        window = _kiosk_window(bare_x)
        assert _wait_for(lambda: _geometry(bare_x, window) == ("0,0", "1600x900"), 10), \
            (_geometry(bare_x, window), log.text())
        with Screen(bare_x) as screen:
            assert _wait_for(lambda: screen.screen_saver_timeout() == 0, 5), log.text()
            # The picture fills the screen: the fitted frame in the middle, the title's
            # band along the top, black bars beside a 4:3 frame on a 16:9 screen.
            assert _wait_for(lambda: screen.grab()[450, 600:1000].mean() > 60, 10), log.text()
            shot = screen.grab()
            assert shot.shape == (900, 1600, 3)
            assert shot[450, :150].max() < 30 and shot[450, -150:].max() < 30
            assert (shot[:900 // 13].min(axis=2) > 240).sum() > 500  # the title, in white
            _xdotool(bare_x, "mousemove", "800", "450")
            assert _wait_for(lambda: screen.cursor_alpha().max() == 0, 8), log.text()
            _xdotool(bare_x, "mousemove", "500", "300")
            assert _wait_for(lambda: screen.cursor_alpha().max() > 0, 3), log.text()
            assert _wait_for(lambda: screen.cursor_alpha().max() == 0, 8), log.text()
        assert app.poll() is None, log.text()
        # The soak in short (benchmarks/kiosk_soak.py runs it for 30 minutes): a looping
        # video keeps reaching the screen, no gap of a second, memory flat.
        health = [re.search(r"(\d+) frames shown .* rss ([\d.]+) MiB, longest gap ([\d.]+) s",
                            line) for _, line in list(log.lines)]
        health = [(int(h[1]), float(h[2]), float(h[3])) for h in health if h]
        assert len(health) >= 5, log.text()
        settled = health[2:]  # the first seconds include the window's start
        assert all(b[0] - a[0] >= 5 for a, b in zip(settled[:-1], settled[1:], strict=True)), health
        assert max(h[2] for h in settled) < 1.0, health
        assert settled[-1][1] - settled[0][1] < 8.0, health
        x11.close_window(bare_x, int(window))  # by accident: a supervisor should restart
        _finish(app)
    finally:
        _finish(app, 0)
    err = log.text()
    assert app.returncode == 1, err
    assert "the kiosk window was closed" in err.splitlines()[-1], err


@pytest.mark.gui
@needs_x
def test_camera_unplugged_for_8_s_shows_reconnecting_and_resumes(tmp_path, bare_x,
                                                                 holdout_recognizer):
    video = moving_sheet_video(tmp_path / "video.avi", frames=30, width=640, height=480,
                               n_digits=12, digit_height=30, seed=7)
    model = holdout_recognizer.model.save(tmp_path / "holdout.npz")
    # Unplugged long enough (8 s) for the band to be seen under a loaded machine: at 3 s and
    # 5 s the camera could be back before the test had seen the screen. Unplugged 6 s in,
    # once the picture is on the screen: in two full-suite runs unplugged 2 s in, the
    # screen stayed black through the whole reconnect although the app showed it.
    app = _flaky(video.path, (6.0, 8.0, 0, 0), "--kiosk", "--health-every", "1", "--model",
                 str(model), display=bare_x, cwd=tmp_path)
    log = _Lines(app.stderr)
    try:
        window = _kiosk_window(bare_x)
        with Screen(bare_x) as screen:
            assert _wait_for(lambda: screen.grab()[450, 600:1000].mean() > 60, 20), \
                "the picture never reached the screen\n" + log.text()
        lost = log.wait_for(r"camera: camera lost \u2014 reconnecting", 30)
        assert lost, log.text()
        assert log.wait_for("showing the reconnecting", 5), log.text()
        with Screen(bare_x) as screen:
            assert _wait_for(lambda: _band_or_shot(screen, tmp_path), 6), \
                f"no red band on the screen (last grab: {tmp_path / 'last-screen.png'})\n" \
                + log.text()
        back = log.wait_for(r"camera: back after ([\d.]+) s", 20)
        assert back, log.text()
        assert 6.0 <= float(back[1].group(1)) <= 11.0
        health = log.wait_for(r"(\d+) frames shown .* 1 reconnects", 10, after=back[0] + 1.5)
        assert health, log.text()
        before = log.wait_for(r"(\d+) frames shown", 0, after=back[0] - 0.01)
        assert int(health[1].group(1)) > int(before[1].group(1)) + 5  # frames again
        with Screen(bare_x) as screen:
            assert not _red_band(screen.grab())
        assert app.poll() is None, log.text()  # the same process throughout
        _xdotool(bare_x, "key", "--window", window, "q")
        _finish(app)
    finally:
        _finish(app, 0)
    assert app.returncode == 0, log.text()


# -- installing ----------------------------------------------------------------------------


def test_install_writes_a_unit_that_restarts_on_failure(tmp_path):
    from livedigits.cli.root import app

    runner = CliRunner()
    units, autostart = tmp_path / "units", tmp_path / "autostart"
    args = ["kiosk", "install", "--source", "/dev/video2", "--title", "Open day 100% $HOME",
            "--unit-dir", str(units), "--autostart", "--autostart-dir", str(autostart),
            "--save-dir", str(tmp_path / "snaps"), "--", "--fourcc", "MJPG"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    unit = (units / "livedigits-kiosk.service").read_text()
    assert "Restart=on-failure\n" in unit and "WantedBy=default.target\n" in unit
    assert "StartLimitIntervalSec=0\n" in unit
    exec_line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_line == (f"ExecStart={sys.executable} -m livedigits live --kiosk --source "
                         f'/dev/video2 --title "Open day 100%% $$HOME" --save-dir '
                         f"{tmp_path / 'snaps'} --fourcc MJPG")
    assert re.search(r"^Environment=DISPLAY=\S+$", unit, re.M)
    entry = (autostart / "livedigits-kiosk.desktop").read_text()
    assert entry.startswith("[Desktop Entry]\n") and "\nType=Application\n" in entry
    assert re.search(r"^Exec=.*(livedigits-kiosk\.service|--kiosk)", entry, re.M)
    # An existing unit is not replaced unless asked.
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "exists already: add --force" in again.output
    forced = runner.invoke(app, [*args[:-3], "--force"])
    assert forced.exit_code == 0, forced.output
    # A unit live would refuse to start is not written (it would restart for ever).
    bad = runner.invoke(app, [*args[:-3], "--force", "--max-frames", "0"])
    assert bad.exit_code == 2 and "--max-frames" in bad.output
    assert "--max-frames" not in (units / "livedigits-kiosk.service").read_text()
    if shutil.which("systemd-analyze"):
        done = subprocess.run(["systemd-analyze", "verify",
                               str(units / "livedigits-kiosk.service")],
                              capture_output=True, text=True, timeout=60)
        problems = [line for line in done.stderr.splitlines() if "livedigits-kiosk" in line]
        assert done.returncode == 0 and not problems, done.stderr


def test_the_unit_runs_what_it_says(tmp_path):
    """The ExecStart line, unquoted as systemd does, is a command line live accepts."""
    import shlex

    from livedigits.live.kiosk_install import KioskSetup, unit_text

    setup = KioskSetup(source="0", title='say "cheese" \\o/', extra=["--loop"])
    line = next(x for x in unit_text(setup).splitlines() if x.startswith("ExecStart="))
    words = shlex.split(line.removeprefix("ExecStart=").replace("%%", "%"))
    assert words == setup.command()
    assert words[words.index("--title") + 1] == 'say "cheese" \\o/'


def test_text_uses_a_bounded_ladder_of_font_scales(monkeypatch):
    """OpenCV keeps data for every font scale it draws: a days-long kiosk must not bring
    a new one each frame (100,000 distinct scales cost ~10 MiB for good)."""
    import cv2

    from livedigits.live.kiosk_picture import FONT_SCALE_STEP, font_scale

    rng = np.random.default_rng(1)
    for scale in rng.uniform(0.05, 8.0, 1000):
        assert scale - FONT_SCALE_STEP < font_scale(scale) <= max(scale, FONT_SCALE_STEP)
    seen: set[float] = set()
    real = cv2.putText

    def put_text(image, text, origin, font, scale, *args):
        seen.add(float(scale))
        return real(image, text, origin, font, scale, *args)

    monkeypatch.setattr(cv2, "putText", put_text)
    frame = _frame()
    for k in range(200):  # boxes and texts of every size, screens of many sizes
        height = 8 + 0.37 * k
        size = (1200 + 3 * k, 700 + 2 * k)
        d = Detection(300, 100, 8, round(height), 7, 1.0)
        kiosk_view(frame, [d], " ".join(["123"] * (1 + k % 9)), size,
                   KioskState(title="Open day", attract=k % 3 == 0))
    assert len(seen) <= 150, len(seen)  # without the ladder: 447
