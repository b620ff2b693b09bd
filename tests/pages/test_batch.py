"""``livedigits batch``: inputs, pool vs one process, resume after SIGKILL, errors, CSV, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from livedigits.cli.root import app
from livedigits.errors import LivedigitsError
from livedigits.pages.batch import run_batch
from livedigits.pages.batch_dask import DASK_HINT, run_dask
from livedigits.pages.batch_inputs import Job, collect_inputs, plan_tasks
from livedigits.pages.batch_pool import run_local
from livedigits.pages.batch_results import ResultsFile

N_PAGES = 300


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    """N_PAGES small seeded pages in two folders (same names in both) plus a broken file."""
    from livedigits.synthetic.synth import heldout_cells, render_page

    root = tmp_path_factory.mktemp("pages")
    rng = np.random.default_rng(6)
    cells = heldout_cells()
    for folder in ("a", "b/deep"):
        (root / folder).mkdir(parents=True)
    for i in range(N_PAGES):
        page = render_page(rng, width=320, height=240, digit_height=24, n_digits=10,
                           cells=cells, pen=None)  # MNIST strokes: fast to draw
        folder = "a" if i % 2 else "b/deep"
        cv2.imwrite(str(root / folder / f"{i // 2:04d}.png"), page.image)
    (root / "a" / "broken.png").write_bytes(b"not an image")
    (root / "a" / "notes.md").write_text("not an image either")
    return root


@pytest.fixture(scope="module")
def model_file(holdout_recognizer, tmp_path_factory) -> Path:
    return holdout_recognizer.model.save(tmp_path_factory.mktemp("model") / "model.npz")


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def keyed(path: Path) -> dict[str, dict]:
    objects = lines_of(path)
    by_image = {o["image"]: o for o in objects}
    assert len(by_image) == len(objects), "an image has more than one line"
    return by_image


@pytest.fixture(scope="module")
def reference(pages, holdout_recognizer, tmp_path_factory) -> dict[str, dict]:
    """Results read in this process, one image after the other."""
    out = tmp_path_factory.mktemp("ref") / "results.jsonl"
    summary = run_batch([str(pages)], out=out, recognizer=holdout_recognizer, workers=0,
                        progress=False)
    assert summary.done == N_PAGES + 1 and summary.errors == 1
    return keyed(out)


def test_inputs_folders_globs_and_lists(pages, tmp_path):
    folder = collect_inputs([str(pages)])
    assert len(folder) == N_PAGES + 1 and not any(p.endswith(".md") for p in folder)
    assert folder == sorted(folder)
    globbed = collect_inputs([str(pages / "**" / "000*.png")])
    assert len(globbed) == 2 * 10
    listed = tmp_path / "list.txt"
    rel = os.path.relpath(pages / "a" / "0001.png", tmp_path)
    listed.write_text(f"# a comment\n\n{rel}\n{pages / 'b'}\n")
    from_list = collect_inputs([f"@{listed}"])
    assert from_list[0] == str(pages / "a" / "0001.png")
    assert len(from_list) == 1 + N_PAGES // 2
    assert collect_inputs([str(listed)]) == from_list  # a .txt is a list without the @
    # duplicates (the same file twice) collapse; a missing file stays, for its error line
    both = collect_inputs([str(pages / "a"), str(pages / "a" / "0001.png"), "nope.png"])
    assert len(both) == N_PAGES // 2 + 2 and both[-1] == "nope.png"
    stems = {t.stem for t in plan_tasks(folder)}
    assert len(stems) == len(folder)  # a/0001.png and b/deep/0001.png get distinct overlays


def test_pool_matches_one_process(pages, holdout_recognizer, reference, tmp_path):
    out = tmp_path / "results.jsonl"
    summary = run_batch([str(pages)], out=out, recognizer=holdout_recognizer, workers=2,
                        progress=False)
    assert summary.done == N_PAGES + 1 and summary.errors == 1
    assert keyed(out) == reference
    error = reference[str(pages / "a" / "broken.png")]
    assert set(error) == {"image", "error", "schema"} and "not a readable image" in error["error"]
    again = run_batch([str(pages)], out=out, recognizer=holdout_recognizer, workers=2,
                      progress=False)
    assert again.done == 0 and again.skipped == N_PAGES + 1
    # Regression: a rerun over a results file holding an error line reported no failure.
    assert again.earlier_errors == 1
    assert len(lines_of(out)) == N_PAGES + 1


def test_resume_after_sigkill(pages, model_file, reference, tmp_path):
    """SIGKILL mid-batch, a torn last line, a rerun: every image exactly once."""
    out = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "livedigits", "batch", str(pages), "--out", str(out),
               "--workers", "2", "--model", str(model_file)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= 25:
                break
            time.sleep(0.005)
        assert process.poll() is None, "the batch ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
        # the workers notice the parent is gone and leave on their own
        gone = time.monotonic() + 15
        while time.monotonic() < gone and _group_alive(process.pid):
            time.sleep(0.05)
        assert not _group_alive(process.pid), "worker processes outlived the killed batch"
    finally:
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
    before = lines_of(out)
    assert 25 <= len(before) < N_PAGES + 1
    with open(out, "ab") as handle:  # as if killed halfway through writing a line
        handle.write(b'{"image": "' + str(pages).encode() + b'/a/0099.png", "width": 3')
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert f"{len(before)} already done" in done.stderr
    assert keyed(out) == reference  # one line an image, the torn line gone
    assert out.read_bytes().endswith(b"}\n")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_cli_errors_csv_and_overlays(pages, model_file, tmp_path):
    listed = tmp_path / "some.txt"
    listed.write_text(f"{pages / 'a' / '0001.png'}\n{pages / 'b' / 'deep' / '0001.png'}\n"
                      f"{pages / 'a' / 'broken.png'}\n{tmp_path / 'missing.png'}\n")
    out, table, shots = tmp_path / "r.jsonl", tmp_path / "r.csv", tmp_path / "shots"
    result = CliRunner().invoke(app, [
        "batch", f"@{listed}", "--out", str(out), "--csv", str(table), "--overlays",
        str(shots), "--workers", "0", "--model", str(model_file)])
    assert result.exit_code == 1, result.output  # two files could not be read
    assert "4 images read" in result.output and "2 failed" in result.output
    objects = lines_of(out)
    assert [("error" in o) for o in objects] == [False, False, True, True]
    assert "no such file" in objects[3]["error"]
    written = sorted(p.name for p in shots.iterdir())
    assert len(written) == 4 and objects[0]["overlay"] != objects[1]["overlay"]  # same stem
    assert all(Path(o[k]).is_file() for o in objects[:2] for k in ("overlay", "digits"))
    import csv

    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [r["file"] for r in rows] == [o["image"] for o in objects]
    first = objects[0]
    confidences = [d["confidence"] for d in first["detections"]]
    assert rows[0]["text"] == first["text"] and int(rows[0]["count"]) == len(confidences)
    assert float(rows[0]["mean_confidence"]) == pytest.approx(np.mean(confidences), abs=1e-4)
    assert rows[2]["error"] and rows[2]["count"] == ""


class Deadly:
    """A task whose path kills the worker process that reads it (a crash in native code)."""

    def __init__(self, task, parent: int) -> None:
        self.image, self.stem, self._path, self._parent = task.image, task.stem, task.path, parent

    @property
    def path(self) -> str:
        if os.getpid() != self._parent:
            os._exit(3)
        return self._path


def test_a_worker_dying_costs_only_its_image(pages, holdout_recognizer, reference):
    tasks = plan_tasks(collect_inputs([str(pages / "a" / f"{i:04d}.png") for i in range(7)]))
    tasks[3] = Deadly(tasks[3], os.getpid())
    lines: list[str] = []
    run_local(Job(tasks, lines.append, holdout_recognizer), workers=2)
    got = {o["image"]: o for o in map(json.loads, lines)}
    assert len(lines) == len(got) == 7
    assert "worker process died" in got.pop(tasks[3].image)["error"]
    assert got == {k: reference[k] for k in got}


def test_results_file_is_locked_and_repaired(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_bytes(b'{"image": "x.png", "text": ""}\nnot json\n{"image": "y.png", "te')
    with ResultsFile(out) as results:
        assert results.done == {"x.png"}
        assert out.read_bytes() == b'{"image": "x.png", "text": ""}\n'  # "not json" dropped
        with pytest.raises(LivedigitsError, match="another batch"):
            ResultsFile(out)


def test_no_inputs_and_no_dask(holdout_recognizer, tmp_path, monkeypatch):
    with pytest.raises(LivedigitsError, match="no image files"):
        run_batch([str(tmp_path / "*.png")], out=tmp_path / "r.jsonl",
                  recognizer=holdout_recognizer, workers=0)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(LivedigitsError) as raised:
        run_dask(Job([], print, holdout_recognizer), scheduler="tcp://127.0.0.1:1")
    assert str(raised.value) == DASK_HINT and "pip install 'livedigits[dask]'" in DASK_HINT


def test_help_lists_batch():
    done = subprocess.run([sys.executable, "-m", "livedigits", "batch", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--scheduler" in done.stdout


# ---------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as local:
        yield local


def test_dask_matches_local(pages, holdout_recognizer, reference, cluster, tmp_path):
    out = tmp_path / "results.jsonl"
    summary = run_batch([str(pages)], out=out, recognizer=holdout_recognizer,
                        scheduler=cluster.scheduler_address, progress=False)
    assert summary.done == N_PAGES + 1
    assert keyed(out) == reference


def test_dask_worker_killed_mid_run_loses_nothing(pages, holdout_recognizer, reference,
                                                   cluster, tmp_path):
    from distributed import Client

    out = tmp_path / "results.jsonl"
    with Client(cluster.scheduler_address) as client:
        pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    killed = threading.Event()

    def kill_when_running() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if out.exists() and out.read_bytes().count(b"\n") >= 25:
                os.kill(victim, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_when_running, daemon=True)
    killer.start()
    summary = run_batch([str(pages)], out=out, recognizer=holdout_recognizer,
                        scheduler=cluster.scheduler_address, progress=False)
    killer.join()
    assert killed.is_set()
    assert summary.done == N_PAGES + 1
    assert keyed(out) == reference


# ---- hostile and unlucky outputs ------------------------------------------------------------


@pytest.fixture(scope="module")
def two_pages(tmp_path_factory) -> Path:
    from livedigits.synthetic.synth import render_page

    root = tmp_path_factory.mktemp("two") / "in"
    root.mkdir()
    for i in range(2):
        page = render_page(np.random.default_rng(70 + i), width=320, height=240,
                           digit_height=36, n_digits=5)
        cv2.imwrite(str(root / f"p{i}.png"), page.image)
    return root


def test_out_on_a_device_fails_fast_in_little_memory(two_pages, tmp_path):
    """The bar: `batch --out /dev/zero` is a one-line error within 5 s under 500 MB."""
    from peak import livedigits, run_measured

    for device in ("/dev/zero", "/dev/stdout"):
        done = run_measured(livedigits("batch", str(two_pages), "--out", device), timeout=30)
        assert done.rc == 1, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert device in done.stderr and "give a new file name for --out" in done.stderr
        assert done.seconds < 5 and done.peak_mb < 500, (done.seconds, done.peak_mb)
        print(f"batch --out {device}: {done.seconds:.2f} s, peak {done.peak_mb:.0f} MB")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = CliRunner().invoke(app, ["batch", str(two_pages), "--out", str(fifo)])
    assert result.exit_code == 1 and "not a regular file" in result.output
    listed = tmp_path / "list-fifo"
    os.mkfifo(listed)
    with pytest.raises(LivedigitsError, match="not a regular file"):
        collect_inputs([f"@{listed}"])


def test_out_that_is_not_a_results_file_is_left_byte_identical(two_pages, tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_bytes(b"name,amount\nrent,900\nfood,310")
    link = tmp_path / "link.jsonl"
    link.symlink_to(tmp_path / "elsewhere.jsonl")
    runner = CliRunner()
    for out in (notes, link):
        result = runner.invoke(app, ["batch", str(two_pages), "--out", str(out)])
        assert result.exit_code == 1, result.output
        assert str(out) in result.output
    assert notes.read_bytes() == b"name,amount\nrent,900\nfood,310"
    assert link.is_symlink() and not (tmp_path / "elsewhere.jsonl").exists()
    same = tmp_path / "r.jsonl"
    result = runner.invoke(app, ["batch", str(two_pages), "--out", str(same), "--csv",
                                 str(same)])
    assert result.exit_code == 1 and "the same file" in result.output
    assert not same.exists()


def test_resume_keys_by_resolved_path_and_skips_own_outputs(two_pages, holdout_recognizer,
                                                             tmp_path, monkeypatch):
    """`in/x.png` then `$PWD/in/x.png` is one image; overlays written inside the input
    tree are never read back as inputs; corrupt lines are dropped on the next run."""
    import shutil

    tree = tmp_path / "in"
    shutil.copytree(two_pages, tree)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r.jsonl"
    first = run_batch(["in/p0.png"], out=out, recognizer=holdout_recognizer, workers=0)
    assert first.done == 1
    again = run_batch([str(tree / "p0.png"), "./in/../in/p0.png"], out=out,
                      recognizer=holdout_recognizer, workers=0)
    assert again.done == 0 and again.skipped == 1
    with open(out, "ab") as handle:
        handle.write(b"garbage in the middle\n")
    for _ in range(3):
        run_batch([str(tree)], out=out, recognizer=holdout_recognizer, workers=0,
                  overlays=tree / "overlays")
    lines = out.read_bytes().splitlines()
    assert b"garbage in the middle" not in lines
    images = [json.loads(line)["image"] for line in lines]
    assert len(images) == 2 and not any("overlay" in image for image in images), images
    # p0 was read without --overlays; p1 once, its overlay never read back
    (written,) = (tree / "overlays").glob("*_overlay.png")
    assert written.name.startswith("p1-") and json.loads(lines[-1])["overlay"] == str(written)


def test_temporary_failures_are_retried_and_retry_failed_retries_the_rest(
        two_pages, holdout_recognizer, tmp_path):
    import shutil

    tree = tmp_path / "in"
    shutil.copytree(two_pages, tree)
    (tree / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the overlays folder should go")
    out = tmp_path / "r.jsonl"
    first = run_batch([str(tree)], out=out, recognizer=holdout_recognizer, workers=0,
                      overlays=blocker / "overlays")
    assert first.errors == 3
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sum(bool(line.get("temporary")) for line in lines) == 2  # the two pages
    blocker.unlink()  # the disk has room again
    second = run_batch([str(tree)], out=out, recognizer=holdout_recognizer, workers=0,
                       overlays=blocker / "overlays")
    assert second.done == 2 and second.errors == 0 and second.earlier_errors == 1
    third = run_batch([str(tree)], out=out, recognizer=holdout_recognizer, workers=0,
                      retry_failed=True)
    assert third.done == 1 and third.errors == 1 and third.skipped == 2


def test_batches_sharing_an_overlays_folder_keep_their_own(tmp_path, holdout_recognizer):
    import shutil

    from livedigits.synthetic.synth import render_page

    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        page = render_page(np.random.default_rng(len(name) * 7 + ord(name[0])), width=320,
                           height=240, digit_height=36, n_digits=5)
        cv2.imwrite(str(tmp_path / name / "page.png"), page.image)
    shared = tmp_path / "overlays"
    for name in ("one", "two"):
        run_batch([str(tmp_path / name)], out=tmp_path / f"{name}.jsonl",
                  recognizer=holdout_recognizer, workers=0, overlays=shared)
    overlays = {name: json.loads((tmp_path / f"{name}.jsonl").read_text())["overlay"]
                for name in ("one", "two")}
    assert overlays["one"] != overlays["two"]
    assert len(list(shared.glob("page-*_overlay.png"))) == 2
    shutil.rmtree(shared)
    # the same image named two ways writes one pair
    run_batch([str(tmp_path / "one" / "page.png")], out=tmp_path / "a.jsonl",
              recognizer=holdout_recognizer, workers=0, overlays=shared)
    run_batch([os.path.relpath(tmp_path / "one" / "page.png")], out=tmp_path / "b.jsonl",
              recognizer=holdout_recognizer, workers=0, overlays=shared)
    assert len(list(shared.glob("*_overlay.png"))) == 1


def test_overlay_pairs_keep_one_suffix_and_leave_no_orphan(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from livedigits import atomic
    from livedigits.pages.page import TemporaryFailure, save_renderings
    from livedigits.recognize.recognizer import Reading

    names = [tmp_path / "p_overlay.png", tmp_path / "p_digits.png"]
    (tmp_path / "p_digits.png").write_bytes(b"taken")
    with ThreadPoolExecutor(8) as pool:
        claims = list(pool.map(lambda _: atomic.claim_together(names), range(24)))
    suffixes = [(a.stem.removeprefix("p_overlay"), b.stem.removeprefix("p_digits"))
                for a, b in claims]
    assert all(a == b for a, b in suffixes) and len(set(suffixes)) == 24
    assert "" not in {a for a, _ in suffixes}  # p_digits.png was taken: never paired

    image = np.full((40, 60, 3), 255, np.uint8)
    reading = Reading(detections=[], lines=[], text="", cells=np.zeros((0, 20, 20), np.uint8))
    real = atomic.write_bytes_atomic
    calls = []

    def second_fails(path, data, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data, **kwargs)

    monkeypatch.setattr(atomic, "write_bytes_atomic", second_fails)
    out = tmp_path / "out"
    with pytest.raises(TemporaryFailure, match="No space left on device"):
        save_renderings(image, reading, "q", out, 0.6)
    assert list(out.iterdir()) == []  # neither the overlay nor an empty placeholder


def test_dask_scheduler_lost_mid_run_fails_cleanly_marking_nothing(pages, holdout_recognizer,
                                                                   tmp_path, monkeypatch):
    """A killed scheduler: the run ends within its timeout with a one-line error, no image
    is marked failed for good, and the images not read are left for a rerun."""
    pytest.importorskip("distributed")
    import socket

    from livedigits.pages import batch_dask

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                  "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", ":0"], **quiet)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                              **quiet)
    out = tmp_path / "results.jsonl"
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=60)
        monkeypatch.setattr(batch_dask, "DASK_TIMEOUT", 4.0)
        killed_at: list[float] = []

        def kill_when_running() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if out.exists() and out.read_bytes().count(b"\n") >= 10:
                    scheduler.kill()
                    killed_at.append(time.monotonic())
                    return
                time.sleep(0.01)

        killer = threading.Thread(target=kill_when_running, daemon=True)
        killer.start()
        with pytest.raises(LivedigitsError, match="lost the Dask scheduler") as raised:
            run_batch([str(pages)], out=out, recognizer=holdout_recognizer,
                      scheduler=address, progress=False)
        ended_at = time.monotonic()
        killer.join()
    finally:
        for process in (scheduler, worker):
            process.kill()
            process.wait(10)
    assert scheduler.returncode is not None and "left for a rerun" in str(raised.value)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert 10 <= len(lines) < N_PAGES + 1
    for_good = [line for line in lines if "error" in line and not line.get("temporary")
                and not line["image"].endswith("broken.png")]
    assert for_good == []
    assert ended_at - killed_at[0] < 4.0 + 15, ended_at - killed_at[0]  # no hang
    print(f"scheduler lost: the batch ended {ended_at - killed_at[0]:.1f} s after the kill, "
          f"{len(lines)} lines kept")


def test_a_result_lost_with_the_connection_is_left_for_a_rerun():
    """The scheduler dies between a task finishing and its result being fetched: the
    fetch raises CommClosedError; the image is left for a rerun, not a crash."""
    from distributed.comm.core import CommClosedError

    from livedigits.pages.batch_dask import dask_line
    from livedigits.pages.batch_inputs import Task

    class FinishedButUnreachable:
        status = "finished"

        def result(self, timeout=None):
            raise CommClosedError("in <TCP (closed) ConnectionPool.gather>: reset by peer")

    class Gone:
        status = "closed"

    task = Task("a.png", "/pages/a.png", "a")
    assert dask_line(FinishedButUnreachable(), task, Gone()) is None


def test_a_result_lost_with_its_worker_after_it_was_done_is_waited_for():
    """Regression: a worker killed just after its task finished takes the result with it;
    the future, seen done a moment before, is no longer done (the scheduler computes it
    again), and it got a "could not read it (NoneType)" error line instead of its
    reading."""
    from livedigits.pages.batch_dask import dask_line
    from livedigits.pages.batch_inputs import Task

    class LostWithItsWorker:
        status = "lost"

        def exception(self, timeout=None):
            return None

    class Running:
        status = "running"

    assert dask_line(LostWithItsWorker(), Task("a.png", "/pages/a.png", "a"), Running()) is None


def test_an_image_gone_since_it_was_listed_is_a_temporary_failure(tmp_path, holdout_recognizer):
    """Deleted (or moved away) between the listing and the reading: a rerun may find it
    again, so its line is marked temporary; a damaged file stays a failure for good."""
    from livedigits.pages.batch_inputs import Task
    from livedigits.pages.batch_pool import read_one

    gone = json.loads(read_one(holdout_recognizer, Task("gone.png", str(tmp_path / "gone.png"),
                                                        "gone"), None))
    assert "error" in gone and gone.get("temporary") is True
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    bad = json.loads(read_one(holdout_recognizer, Task("damaged.png", str(damaged), "damaged"),
                              None))
    assert "error" in bad and "temporary" not in bad
