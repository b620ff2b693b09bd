"""The watched folder: files appearing while it runs, half-written files, restarts."""

from __future__ import annotations

import json
import threading
import time

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from livedigits.cli.root import app
from livedigits.errors import LivedigitsError
from livedigits.pages.page import process_file
from livedigits.pages.watch import STATE_NAME, FolderWatcher, looks_complete
from livedigits.synthetic.synth import render_page

FAST = {"poll": 0.05, "settle": 0.25}


@pytest.fixture(scope="module")
def pngs(tmp_path_factory):
    """Encoded PNG bytes of three different rendered sheets."""
    blobs = []
    for i in range(3):
        page = render_page(np.random.default_rng(70 + i), width=640, height=420,
                           digit_height=40, n_digits=18)
        ok, data = cv2.imencode(".png", page.image)
        assert ok
        blobs.append(data.tobytes())
    return blobs


def _drop(path, data: bytes) -> None:
    """Write a file the way a scanner's share would: straight in, not atomically."""
    with open(path, "wb") as handle:
        handle.write(data)


class Running:
    """A watcher on a thread, collecting what it yields until stopped."""

    def __init__(self, watcher: FolderWatcher, **run_args) -> None:
        self.items: list = []
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=lambda: self.items.extend(watcher.run(stop=self.stop, **run_args)))
        self.thread.start()

    def wait_for(self, n: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.items) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.items) >= n, self.items

    def finish(self) -> list:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()
        return self.items


def test_files_appearing_while_running(tmp_path, pngs, holdout_recognizer):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox / "before.png", pngs[0])  # there before the watcher starts: not skipped
    (inbox / "notes.txt").write_text("not an image")
    running = Running(FolderWatcher(inbox, holdout_recognizer, **FAST))
    running.wait_for(1)
    _drop(inbox / "later.png", pngs[1])
    running.wait_for(2)
    time.sleep(0.6)  # its own overlay/plain images beside the files must not be read
    items = running.finish()
    assert [i.path.name for i in items] == ["before.png", "later.png"]
    assert all(i.error is None for i in items)
    for item in items:
        assert (inbox / f"{item.path.stem}_overlay.png").exists()
        assert (inbox / f"{item.path.stem}_digits.png").exists()
        reference = process_file(holdout_recognizer, item.path, out_dir=None)
        assert item.result["detections"] == reference["detections"]
        assert len(reference["detections"]) >= 10


def test_half_written_file_waits(tmp_path, pngs, holdout_recognizer):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    data = pngs[2]
    running = Running(FolderWatcher(inbox, holdout_recognizer, out_dir=out, **FAST))
    handle = open(inbox / "slow.png", "wb")  # noqa: SIM115 - written across pauses on purpose
    try:
        for part in range(4):  # growing: never stable across polls
            handle.write(data[part * len(data) // 8:(part + 1) * len(data) // 8])
            handle.flush()
            time.sleep(0.1)
        time.sleep(1.0)  # a writer pausing mid-file for longer than the settle time
        assert running.items == []
        handle.write(data[4 * len(data) // 8:])
    finally:
        handle.close()
    running.wait_for(1)
    time.sleep(0.4)
    (item,) = running.finish()
    assert item.error is None
    assert (item.result["width"], item.result["height"]) == (640, 420)
    assert item.result["detections"] == process_file(holdout_recognizer, inbox / "slow.png",
                                                     out_dir=None)["detections"]
    assert (out / "slow_overlay.png").exists() and (out / STATE_NAME).exists()


def test_restart_reads_none_twice_and_skips_none(tmp_path, pngs, holdout_recognizer):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    _drop(inbox / "a.png", pngs[0])
    _drop(inbox / "b.png", pngs[1])
    first = list(FolderWatcher(inbox, holdout_recognizer, out_dir=out, **FAST)
                 .run(max_files=2))
    assert sorted(i.path.name for i in first) == ["a.png", "b.png"]
    _drop(inbox / "c.png", pngs[2])  # arrives while no watcher runs
    state = json.loads((out / STATE_NAME).read_text())
    assert len(state["done"]) == 2
    second = list(FolderWatcher(inbox, holdout_recognizer, out_dir=out, **FAST)
                  .run(idle_exit=0.8))
    assert [i.path.name for i in second] == ["c.png"]
    third = list(FolderWatcher(inbox, holdout_recognizer, out_dir=out, **FAST)
                 .run(idle_exit=0.5))
    assert third == []
    assert sorted(p.name for p in out.glob("*_overlay.png")) == [
        "a_overlay.png", "b_overlay.png", "c_overlay.png"]


def test_broken_file_reported_once(tmp_path, holdout_recognizer):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox / "junk.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50)
    watcher = FolderWatcher(inbox, holdout_recognizer, give_up=0.5, **FAST)
    (item,) = list(watcher.run(idle_exit=1.2))
    assert item.error and "junk.png" in item.error
    assert list(FolderWatcher(inbox, holdout_recognizer, **FAST).run(idle_exit=0.6)) == []


def test_damaged_state_file(tmp_path, holdout_recognizer):
    (tmp_path / STATE_NAME).write_text("{not json")
    with pytest.raises(LivedigitsError, match="damaged watch state"):
        FolderWatcher(tmp_path, holdout_recognizer)


def test_looks_complete(tmp_path, pngs):
    whole, half = tmp_path / "whole.png", tmp_path / "half.png"
    whole.write_bytes(pngs[0])
    half.write_bytes(pngs[0][: len(pngs[0]) // 2])
    assert looks_complete(whole) and not looks_complete(half)
    ok, jpeg = cv2.imencode(".jpg", np.zeros((32, 32, 3), np.uint8))
    (tmp_path / "a.jpg").write_bytes(jpeg.tobytes() + b"\x00\x00")
    (tmp_path / "b.jpg").write_bytes(jpeg.tobytes()[:-40])
    assert looks_complete(tmp_path / "a.jpg") and not looks_complete(tmp_path / "b.jpg")


def test_cli_watch(tmp_path, pngs, monkeypatch, holdout_recognizer):
    from livedigits.recognize import recognizer

    monkeypatch.setattr(recognizer.Recognizer, "load",
                        classmethod(lambda cls, *a, **k: cls(holdout_recognizer.model)))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox / "page.png", pngs[0])
    result = CliRunner().invoke(app, ["scan", "--watch", str(inbox), "--max-files", "1",
                                      "--json", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.output.splitlines()]
    assert line["image"].endswith("page.png") and line["detections"]
    assert (tmp_path / "out" / "page_overlay.png").exists()


def test_outputs_left_by_a_killed_watcher_are_not_inputs(tmp_path, pngs, holdout_recognizer):
    """Killed after writing p's overlay and plain image but before saving its state, a
    watcher writing beside its inputs restarts and reads p again, never the outputs."""
    _drop(tmp_path / "p.png", pngs[0])
    for name in ("p_overlay.png", "p_digits.png", "p_overlay-1.png", "p_digits-1.png"):
        _drop(tmp_path / name, pngs[1])
    _drop(tmp_path / "my_overlay_notes.png", pngs[2])  # an input that only looks alike
    watcher = FolderWatcher(tmp_path, holdout_recognizer, **FAST)
    items = list(watcher.run(idle_exit=1.0))
    assert sorted(item.path.name for item in items) == ["my_overlay_notes.png", "p.png"]


def test_empty_file_is_reported_once_and_read_when_written(tmp_path, pngs, holdout_recognizer,
                                                           caplog):
    empty = tmp_path / "e.png"
    empty.touch()
    watcher = FolderWatcher(tmp_path, holdout_recognizer, **FAST)
    for _ in range(8):
        assert watcher.ready() == []
        time.sleep(0.05)
    warned = [r for r in caplog.records if "empty file (0 bytes)" in r.getMessage()]
    assert len(warned) == 1
    _drop(empty, pngs[0])
    items = list(watcher.run(idle_exit=1.0))
    assert [item.path.name for item in items] == ["e.png"] and items[0].result


def test_state_file_that_is_a_fifo_is_refused_not_read(tmp_path, holdout_recognizer):
    import os

    os.mkfifo(tmp_path / STATE_NAME)  # reading it would wait forever for a writer
    with pytest.raises(LivedigitsError, match="not a regular file"):
        FolderWatcher(tmp_path, holdout_recognizer, **FAST)


def test_every_image_kind_a_batch_reads_is_read_when_it_appears(tmp_path, holdout_recognizer):
    """A watched folder takes the same files as a batch folder: WebP too."""
    page = render_page(np.random.default_rng(75), width=480, height=320, digit_height=40,
                       n_digits=8)
    ok, data = cv2.imencode(".webp", page.image, [cv2.IMWRITE_WEBP_QUALITY, 101])
    assert ok
    _drop(tmp_path / "phone.webp", data.tobytes())
    items = list(FolderWatcher(tmp_path, holdout_recognizer, **FAST).run(max_files=1,
                                                                        idle_exit=2.0))
    assert [i.path.name for i in items] == ["phone.webp"]
    assert items[0].error is None and len(items[0].result["detections"]) >= 6
