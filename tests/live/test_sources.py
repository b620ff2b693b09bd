"""Frame sources: files frame by frame, newest-frame cameras, reconnects, clear errors."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from livedigits.errors import LivedigitsError
from livedigits.live.demo_source import DemoSource
from livedigits.live.file_sources import ImageFilesSource, VideoFileSource
from livedigits.live.frames import LOST_MESSAGE
from livedigits.live.live_source import LiveSource
from livedigits.live.sources import open_source


def _numbered_video(path, n: int, fourcc: str = "MJPG") -> None:
    """Frame k is a flat gray of level 10 + 20 k: decodable, tells frames apart."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (96, 64))
    assert writer.isOpened()
    for k in range(n):
        writer.write(np.full((64, 96, 3), 10 + 20 * k, np.uint8))
    writer.release()


@pytest.mark.parametrize(("suffix", "fourcc"), [(".avi", "MJPG"), (".mp4", "mp4v")])
def test_video_file_is_read_frame_by_frame_none_skipped(tmp_path, suffix, fourcc):
    path = tmp_path / f"numbered{suffix}"
    _numbered_video(path, 12, fourcc)
    source = open_source(str(path))
    assert isinstance(source, VideoFileSource) and not source.live
    time.sleep(0.2)  # a file source must not drop frames while the consumer is slow
    frames = list(source)
    assert [f.index for f in frames] == list(range(12))
    assert {f.scene for f in frames} == {0}  # one unbroken view
    levels = [int(np.median(f.image)) for f in frames]
    assert all(abs(level - (10 + 20 * k)) <= 6 for k, level in enumerate(levels)), levels
    assert frames[0].image.shape == (64, 96, 3) and frames[0].image.dtype == np.uint8
    assert source.finished and source.read() is None
    assert source.mode.startswith("96x64")


def test_looping_video_restarts(tmp_path):
    path = tmp_path / "loop.avi"
    _numbered_video(path, 3)
    source = open_source(str(path), loop=True)
    got = [source.read() for _ in range(7)]
    assert [f.index for f in got] == list(range(7))
    assert [f.scene for f in got] == [0, 0, 0, 1, 1, 1, 2]  # each restart is a jump
    assert abs(int(np.median(got[3].image)) - 10) <= 6  # frame 3 is the first again
    source.close()


def test_unreadable_or_missing_video_is_a_clear_error(tmp_path):
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage" * 50)
    with pytest.raises(LivedigitsError, match="not a readable video"):
        open_source(str(broken))
    with pytest.raises(LivedigitsError, match="no such file"):
        open_source(str(tmp_path / "missing.mp4"))
    with pytest.raises(LivedigitsError, match="no such device"):
        open_source("/dev/video-not-there")
    with pytest.raises(LivedigitsError, match="backend"):
        open_source("0", __import__("livedigits.live.capture").live.capture.CaptureSettings(
            backend="nonsense"))


def test_image_glob_in_name_order(tmp_path):
    for k in (2, 0, 1):
        cv2.imwrite(str(tmp_path / f"page{k}.png"), np.full((40, 50), 50 * (k + 1), np.uint8))
    source = open_source(str(tmp_path / "page*.png"))
    assert isinstance(source, ImageFilesSource)
    frames = list(source)
    assert [int(f.image[0, 0, 0]) for f in frames] == [50, 100, 150]
    assert len({f.scene for f in frames}) == 3  # each file read on its own
    assert frames[0].image.shape == (40, 50, 3)
    with pytest.raises(LivedigitsError, match="no image files"):
        open_source(str(tmp_path / "nothing*.png"))


class FakeCamera:
    """A capture delivering numbered frames; ``plan`` decides per read whether it fails.

    Shared ``log`` records opens and releases, so tests can check the device is freed.
    """

    def __init__(self, log: dict, *, fail_from: int | None = None, frozen: bool = False,
                 delay: float = 0.002) -> None:
        self.log = log
        self.fail_from = fail_from
        self.frozen = frozen
        self.delay = delay
        self.reads = 0
        self.thread_ids = log.setdefault("threads", set())
        log["opens"] = log.get("opens", 0) + 1

    def isOpened(self) -> bool:  # noqa: N802 - cv2.VideoCapture's spelling
        return True

    def read(self):
        self.thread_ids.add(threading.get_ident())
        time.sleep(self.delay)
        self.reads += 1
        if self.fail_from is not None and self.reads > self.fail_from:
            return False, None
        counter = self.log["counter"] = self.log.get("counter", 0) + (0 if self.frozen else 1)
        image = np.full((48, 64, 3), counter % 250, np.uint8)
        image[0, 0] = [counter % 256, counter // 256 % 256, 7]
        return True, image

    def release(self) -> None:
        self.thread_ids.add(threading.get_ident())
        self.log["releases"] = self.log.get("releases", 0) + 1


def test_live_source_keeps_only_the_newest_frame():
    log: dict = {}
    source = LiveSource(lambda: FakeCamera(log), name="fake", frozen_after=None)
    try:
        first = source.read(timeout=1.0)
        time.sleep(0.15)  # ~70 frames arrive meanwhile; only the newest is kept
        newest = source.read(timeout=1.0)
        assert newest.index - first.index > 10
        again = source.read(timeout=0.0)
        assert again is None or again.index > newest.index  # never an old frame twice
    finally:
        source.close()
    assert log["opens"] == log["releases"] == 1
    assert threading.get_ident() not in log["threads"]  # the reading thread owns the device
    assert source.finished and source.read(timeout=0.01) is None


def test_live_source_fails_fast_with_what_was_tried():
    with pytest.raises(LivedigitsError, match="cannot open camera 3.*livedigits cameras"):
        LiveSource(lambda: None, name="camera 3 via backend any",
                   failure_hint="list them with `livedigits cameras`")
    log: dict = {}
    start = time.monotonic()
    with pytest.raises(LivedigitsError, match="delivers no picture"):
        LiveSource(lambda: FakeCamera(log, fail_from=0), name="busy camera")
    assert time.monotonic() - start < 2.0
    assert log["releases"] == 1


def test_camera_lost_then_reconnected():
    log: dict = {}
    attempts = {"n": 0}

    def opener():
        attempts["n"] += 1
        if attempts["n"] == 1:
            return FakeCamera(log, fail_from=20)  # unplugged after 20 frames
        if attempts["n"] <= 3:
            return None  # still unplugged
        return FakeCamera(log)  # plugged back in

    source = LiveSource(opener, name="fake", lost_after_failures=5, frozen_after=None,
                        backoff=(0.02, 0.05))
    seen_lost = False
    indices = []
    scenes = []
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            frame = source.read(timeout=0.02)
            seen_lost |= source.status == LOST_MESSAGE
            if frame is not None:
                indices.append(frame.index)
                scenes.append(frame.scene)
            if source.reconnects and len(indices) > 30:
                break
    finally:
        source.close()
    assert seen_lost, "the loss was never reported"
    assert source.reconnects == 1 and source.status == "ok"
    assert attempts["n"] == 4
    assert indices == sorted(indices) and len(indices) > 30
    # Frames before the loss are one scene, frames after the reconnect another.
    assert scenes == sorted(scenes) and scenes[0] == 0 and scenes[-1] == 1
    assert log["opens"] == log["releases"] == 2


def test_frozen_picture_counts_as_lost():
    log: dict = {}
    made = []

    def opener():
        camera = FakeCamera(log, frozen=not made)
        made.append(camera)
        return camera

    source = LiveSource(opener, name="fake", frozen_after=0.2, backoff=(0.01, 0.02))
    try:
        deadline = time.monotonic() + 4
        while source.reconnects == 0 and time.monotonic() < deadline:
            source.read(timeout=0.05)
    finally:
        source.close()
    assert source.reconnects == 1 and len(made) == 2
    assert log["releases"] == 2


def test_demo_source_moves_and_knows_its_truth():
    source = DemoSource(width=320, height=240, n_digits=8, frames=3)
    frames = list(source)
    assert len(frames) == 3 and frames[0].image.shape == (240, 320, 3)
    boxes0, digits = source.truth(0)
    boxes2, _ = source.truth(40)
    assert boxes0.shape == (len(digits), 4) and not np.array_equal(boxes0, boxes2)


def test_demo_is_shot_as_a_hand_held_webcam_shoots_a_sheet_on_a_desk():
    source = DemoSource(width=640, height=360, n_digits=20, seed=3)
    shots = [source.path.shot(i) for i in range(300)]
    steps = np.array([np.hypot(*shot.motion) for shot in shots])
    angles = np.degrees([np.arctan2(shot.matrix[0, 1], shot.matrix[0, 0]) for shot in shots])
    scales = np.array([np.hypot(*shot.matrix[0, :2]) for shot in shots])
    blurs = np.array([shot.blur for shot in shots])
    assert steps.max() <= 8.0 and np.median(steps) >= 1.0  # it moves, within 8 px a frame
    assert 3.0 <= np.abs(angles).max() <= 6.0
    assert scales.max() / scales.min() - 1 <= 0.085
    assert blurs.min() >= 0.6 and blurs.max() <= 1.1 and blurs.std() > 0.1
    frame = source.render(0)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    boxes, digits = source.truth(0)
    x, y, w, h = boxes[0]
    paper = float(np.median(gray[y - h:y, x:x + w]))
    corner = float(np.median(gray[:12, :12]))
    assert corner < 0.8 * paper, (corner, paper)  # the desk is in view
    # Its truth follows it: the boxes move with the view.
    later, _ = source.truth(30)
    assert len(boxes) >= 15 and not np.array_equal(boxes[:len(later)], later[:len(boxes)])


def test_video_cut_short_says_so_and_live_exits_1(tmp_path):
    """A video that stops at frame 24 of the 48 its container states: the frames before are
    read, then a one-line error naming the file, and `live` exits 1."""
    import subprocess
    import sys

    whole = tmp_path / "whole.avi"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 10, (96, 64))
    rng = np.random.default_rng(9)
    for _ in range(48):  # noise: every frame takes its share of the file
        writer.write(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
    writer.release()
    data = whole.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[:len(data) // 2])
    source = open_source(str(cut))
    frames = list(source)
    assert 10 < len(frames) < 48
    assert "cut.avi: the video ended at frame" in source.failure and "of the 48" in source.failure
    assert open_source(str(whole)).failure is None
    done = subprocess.run([sys.executable, "-m", "livedigits", "live", "--source", str(cut),
                           "--no-window", "--json"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert len([line for line in done.stdout.splitlines() if line.startswith("{")]) == \
        len(frames)
    assert "of the 48 it says it has" in done.stderr.strip().splitlines()[-1]
    whole_run = subprocess.run([sys.executable, "-m", "livedigits", "live", "--source",
                                str(whole), "--no-window", "--json"], capture_output=True,
                               text=True, timeout=120)
    assert whole_run.returncode == 0, whole_run.stderr


def test_bad_file_in_an_image_glob_is_reported_and_skipped(tmp_path, caplog):
    for k in range(3):
        cv2.imwrite(str(tmp_path / f"page{k}.png"), np.full((40, 50), 50 * (k + 1), np.uint8))
    (tmp_path / "page1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    source = open_source(str(tmp_path / "page*.png"))
    frames = list(source)
    assert [int(f.image[0, 0, 0]) for f in frames] == [50, 150]
    assert list(source.skipped) == [tmp_path / "page1.png"] and source.failure is None
    assert any("page1.png" in r.getMessage() and "skipped" in r.getMessage()
               for r in caplog.records)
    from typer.testing import CliRunner

    from livedigits.cli.root import app

    result = CliRunner().invoke(app, ["live", "--source", str(tmp_path / "page*.png"),
                                      "--no-window", "--json"])
    assert result.exit_code == 1, result.output
    assert len([line for line in result.stdout.splitlines() if line.startswith("{")]) == 2
    assert "1 of the files could not be read" in result.output
    for k in (0, 2):
        (tmp_path / f"page{k}.png").write_bytes(b"")
    nothing = open_source(str(tmp_path / "page*.png"))
    assert list(nothing) == [] and "none of the 3 files could be read" in nothing.failure
