"""Batch recognition: many image files to a resumable JSON Lines results file.

The parent process finds the inputs, skips those already in the results file,
hands the rest to worker processes (or to a Dask cluster) a bounded number at a
time and appends each result line as it comes back, flushed, so a crash loses at
most the images in flight. Workers only read images and return JSON lines; the
parent alone writes the results file.

Heavy modules (cv2, numba, dask) are imported where they are used.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import logging
import os
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from livedigits.errors import LivedigitsError
from livedigits.pages.formats import JSON_SCHEMA

if TYPE_CHECKING:
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.model import Model

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".bmp", ".dib",
    ".pnm", ".pbm", ".pgm", ".ppm", ".webp", ".jp2",
})
DASK_HINT = "--scheduler needs Dask distributed: pip install 'livedigits[dask]'"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Task:
    """One image to read: ``image`` is its key in the results, ``path`` where to read it."""

    image: str
    path: str
    stem: str


@dataclass
class Summary:
    """What one batch run did; ``seconds`` is the wall time of the recognition part."""

    total: int
    skipped: int = 0
    done: int = 0
    errors: int = 0
    earlier_errors: int = 0  # skipped images whose line in the results file is an error
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


# ---------------------------------------------------------------------------- inputs


def collect_inputs(inputs: Iterable[str]) -> list[str]:
    """Image paths named by ``inputs``, in order, without duplicates.

    An input is a folder (searched recursively for image extensions, sorted), a glob
    pattern (``**`` recursive), a list file (``@list.txt``, or any ``.txt`` file: one
    path, folder or glob a line, relative to the list's folder; blank lines and ``#``
    comments skipped) or a file path. A file that does not exist is kept, so that it
    gets an ``"error"`` result line as ``image`` gives it.
    """
    found: list[str] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        path = os.path.normpath(path)
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            found.append(path)

    for item in inputs:
        item = str(item)
        if item.startswith("@") or (item.lower().endswith(".txt") and os.path.isfile(item)):
            list_file = Path(item[1:] if item.startswith("@") else item)
            for entry in _read_list(list_file):
                for path in _expand(os.path.join(list_file.parent, entry)):
                    add(path)
        else:
            for path in _expand(item):
                add(path)
    return found


def _read_list(list_file: Path) -> list[str]:
    from livedigits.limits import regular_file

    regular_file(list_file, "list of paths")
    if list_file.stat().st_size > MAX_LIST:
        raise LivedigitsError(f"{list_file}: over {MAX_LIST >> 20} MB, too large for a list of "
                              "paths")
    try:
        text = list_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise LivedigitsError(f"{list_file}: cannot read the list ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise LivedigitsError(f"{list_file}: not a text list of paths (UTF-8)") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _expand(item: str) -> list[str]:
    """One input (folder, glob or file) as image paths."""
    if os.path.isdir(item):
        paths = sorted(
            os.path.join(root, name)
            for root, _dirs, names in os.walk(item)
            for name in names
            if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
        )
        if not paths:
            log.warning("%s: no image files in this folder", item)
        return paths
    if _GLOB_CHARS & set(item) and not os.path.exists(item):
        paths = sorted(p for p in glob.glob(item, recursive=True) if os.path.isfile(p))
        if not paths:
            log.warning("%s: matched no files", item)
        return paths
    return [item]


def _not_inside(images: list[str], folder: Path) -> list[str]:
    """``images`` without those inside ``folder`` (a batch's own outputs, never inputs)."""
    root = os.path.realpath(folder)
    kept = [p for p in images
            if os.path.commonpath([root, os.path.realpath(p)]) != root]
    if len(kept) < len(images):
        log.info("%s: %d files inside the --overlays folder skipped (outputs, not inputs)",
                 folder, len(images) - len(kept))
    return kept


def plan_tasks(images: Sequence[str]) -> list[Task]:
    """Tasks for ``images``, each with an overlay stem unique to its input: the file's
    stem and a short hash of its resolved path (``page-3f2a9c1d``).

    So overlay names are the same on every run (a retried image rewrites its own), and
    neither ``a/1.png`` beside ``b/1.png`` nor two batches sharing one ``--overlays``
    folder overwrite each other's.
    """
    tasks = []
    for image in images:
        digest = hashlib.sha1(os.path.realpath(image).encode("utf-8", "surrogateescape"))
        stem = f"{Path(image).stem}-{digest.hexdigest()[:8]}"
        tasks.append(Task(image=image, path=os.path.abspath(image), stem=stem))
    return tasks


# ---------------------------------------------------------------------------- results file


MAX_LINE = 4 << 20  # bytes; a longer "line" is not a result line
MAX_LIST = 64 << 20  # bytes of a list file


class ResultsFile:
    """The JSON Lines results file, locked for one writer, appended line by line.

    Opening it reads the images already done (``done``: their ``image`` values;
    ``done_paths``: the same resolved), cuts off a trailing partial line left by a
    crash and drops lines that are not result lines (the file is rewritten
    atomically without them). A file that is not a results file (an existing file
    whose first line is not a result line, a link, a device, a FIFO) is refused
    before anything is written.
    """

    def __init__(self, path: Path, *, retry_failed: bool = False) -> None:
        self.path = Path(path)
        self.retry_failed = retry_failed
        _check_results_target(self.path)
        try:
            if self.path.parent != Path(""):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = _open_append(self.path)
        except OSError as exc:
            raise LivedigitsError(f"{self.path}: cannot write ({exc.strerror})") from None
        try:
            _lock(self._handle, self.path)
            self.failed: set[str] = set()  # images whose last line is an error
            self.temporary: set[str] = set()  # ... an error a rerun may not meet
            self.done = self._scan_and_repair()
            self.done -= self.temporary | (self.failed if retry_failed else set())
            self.done_paths = {os.path.realpath(image) for image in self.done}
            self.failed_paths = {os.path.realpath(image) for image in self.failed & self.done}
        except BaseException:
            self._handle.close()
            raise

    def _scan_and_repair(self) -> set[str]:
        done: set[str] = set()
        good: list[bytes] = []
        dropped: list[int] = []
        partial = False
        size = os.fstat(self._handle.fileno()).st_size
        with open(self.path, "rb") as reader:
            for number, raw in enumerate(_lines(reader), 1):
                if not raw.endswith(b"\n") and reader.tell() >= size:
                    log.warning("%s: cutting off a partial last line (%d bytes) left by an "
                                "interrupted run", self.path, len(raw))
                    partial = True
                    break
                image, failed = _image_of(raw)
                if image is None:
                    if raw.strip():
                        dropped.append(number)
                    continue
                good.append(raw)
                done.add(image)
                if failed:
                    self.failed.add(image)
                else:
                    self.failed.discard(image)
                if failed == "temporary":
                    self.temporary.add(image)
                else:
                    self.temporary.discard(image)
        if dropped:
            shown = ", ".join(map(str, dropped[:5])) + (", ..." if len(dropped) > 5 else "")
            log.warning("%s: dropping %d line(s) that are not result lines (line %s)",
                        self.path, len(dropped), shown)
            self._rewrite(b"".join(good))
        elif partial:
            os.ftruncate(self._handle.fileno(), sum(map(len, good)))
        return done

    def _rewrite(self, data: bytes) -> None:
        """Replace the file by ``data`` atomically and hold the lock on the new one."""
        from livedigits.atomic import write_bytes_atomic

        try:
            write_bytes_atomic(self.path, data)
        except OSError as exc:
            raise LivedigitsError(f"{self.path}: cannot rewrite ({exc.strerror})") from None
        self._handle.close()
        self._handle = _open_append(self.path)
        _lock(self._handle, self.path)

    def append(self, line: str) -> None:
        """Write one result line and flush it to the operating system."""
        try:
            self._handle.write(line.encode("utf-8") + b"\n")
            self._handle.flush()
        except OSError as exc:
            raise LivedigitsError(f"{self.path}: cannot write ({exc.strerror}); the images "
                                  "read so far are kept, rerun the same command to go "
                                  "on") from None

    def close(self) -> None:
        with suppress(OSError):  # append() has reported a failure already
            self._handle.close()

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lines(reader: io.BufferedReader) -> Iterator[bytes]:
    """The lines of ``reader``, each at most ``MAX_LINE`` bytes (the rest of a longer
    line is skipped and the line given as ``b"?\\n"``, never a result line)."""
    while True:
        raw = reader.readline(MAX_LINE)
        if not raw:
            return
        if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = reader.readline(MAX_LINE)
            yield b"?\n"
            continue
        yield raw


def _check_results_target(path: Path) -> None:
    """Refuse ``path`` as a results file unless it is missing, empty or a results file."""
    hint = "give a new file name for --out (a results file is JSON Lines, one image a line)"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise LivedigitsError(f"{path}: is a symbolic link; {hint}, or the file it points to")
    if stat.S_ISDIR(info.st_mode):
        raise LivedigitsError(f"{path}: is a folder; {hint}")
    if not stat.S_ISREG(info.st_mode):
        raise LivedigitsError(f"{path}: not a regular file (a device, FIFO or socket); {hint}")
    if info.st_size == 0:
        return
    try:
        with open(path, "rb") as reader:
            first = reader.readline(MAX_LINE)
    except OSError as exc:
        raise LivedigitsError(f"{path}: cannot read ({exc.strerror})") from None
    image, _failed = _image_of(first)
    partial = not first.endswith(b"\n") and first.startswith(b'{"image": ')
    if image is None and not partial:
        raise LivedigitsError(f"{path}: exists and is not a livedigits results file (its first "
                              f"line is not a result line); it was left as it is; {hint}")


def _open_append(path: Path) -> io.BufferedWriter:
    """``path`` opened for appending, never through a link, only as a regular file."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LivedigitsError(f"{path}: not a regular file; give a new file name for --out")
    return os.fdopen(fd, "ab")


def _lock(handle: io.BufferedWriter, path: Path) -> None:
    """Refuse a second batch writing the same results file at the same time."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise LivedigitsError(f"{path}: another batch is writing to this results file") from None


def _image_of(raw: bytes) -> tuple[str | None, bool | str]:
    """The image a result line is about (None: not a result line), and whether it failed
    (``"temporary"`` for a failure a rerun tries again)."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return None, False
    image = obj.get("image") if isinstance(obj, dict) else None
    if not isinstance(image, str):
        return None, False
    if "error" in obj and obj.get("temporary") is True:
        return image, "temporary"
    return image, "error" in obj


def read_results(path: Path) -> dict[str, dict]:
    """Every complete result line of a results file, keyed by image (the last one wins)."""
    results: dict[str, dict] = {}
    with open(path, "rb") as reader:
        for raw in _lines(reader):
            if not raw.endswith(b"\n"):
                break
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("image"), str):
                results[obj["image"]] = obj
    return results


def write_csv(results: Path, csv_path: Path) -> Path:
    """Write a flat table of a results file: file, text, count, mean_confidence, error.

    Written atomically; ``text`` keeps its line breaks (quoted, as CSV allows).
    """
    from livedigits.atomic import write_bytes_atomic

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER.split(","))
    for image, obj in read_results(results).items():
        if "error" in obj:
            writer.writerow([image, "", "", "", obj["error"]])
            continue
        confidences = [d["confidence"] for d in obj.get("detections", [])]
        mean = f"{sum(confidences) / len(confidences):.4f}" if confidences else ""
        writer.writerow([image, obj.get("text", ""), len(confidences), mean, ""])
    try:
        return write_bytes_atomic(Path(csv_path), buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise LivedigitsError(f"{csv_path}: cannot write ({exc.strerror})") from None


# ---------------------------------------------------------------------------- one image


def read_one(recognizer: Recognizer, task: Task, out_dir: str | None) -> str:
    """The result line (``image --json`` form) for one task; never raises.

    A file that cannot be read, or any failure inside, gives ``{"image", "error"}``;
    one that is gone since it was listed, or a failure a rerun may not meet, is marked
    ``"temporary": true`` (a rerun tries it again).
    With ``out_dir`` the overlay and plain image are written there under the task's
    stem, replacing earlier ones atomically, so a retried task leaves the same files.
    """
    from livedigits.pages.page import TemporaryFailure, process_file

    try:
        result = process_file(recognizer, Path(task.path),
                              out_dir=None if out_dir is None else Path(out_dir),
                              name=task.image, stem=task.stem, overwrite=True)
    except TemporaryFailure as exc:
        result = {"image": task.image, "error": str(exc), "temporary": True}
    except LivedigitsError as exc:
        result = {"image": task.image, "error": str(exc)}
        if not os.path.lexists(task.path):  # gone since it was listed: may be back
            result["temporary"] = True
    except Exception as exc:  # one bad image must not stop the batch
        log.exception("%s: failed", task.image)
        result = {"image": task.image, "error": f"{task.path}: {type(exc).__name__}: {exc}"}
    return json.dumps(result | {"schema": JSON_SCHEMA}, ensure_ascii=False)


def _one_thread() -> None:
    """Kernels on one thread: the batch's parallelism is one image per worker."""
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(1)  # thread-local in Numba: call on the working thread
    else:
        os.environ["NUMBA_NUM_THREADS"] = "1"
    import cv2

    cv2.setNumThreads(1)


# ---------------------------------------------------------------------------- local pool

_WORKER: dict = {}


def _init_worker(model: Model, min_confidence: float, out_dir: str | None) -> None:
    """Worker process start: one-thread kernels, the parent's model, compiled kernels."""
    import signal

    _one_thread()  # before numba is imported in this process
    _exit_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from livedigits.recognize.recognizer import Recognizer

    recognizer = Recognizer(model, min_confidence=min_confidence)
    recognizer.warmup()
    _WORKER.update(recognizer=recognizer, out_dir=out_dir)


def _exit_with_parent() -> None:
    """End this worker when the parent dies: a killed batch must not leave workers behind.

    (Idle pool workers wait on a queue whose write end they hold too, so they would
    never see the parent go.)
    """
    import multiprocessing
    import threading
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="livedigits-parent-watch", daemon=True).start()


def _work(task: Task) -> str:
    return read_one(_WORKER["recognizer"], task, _WORKER["out_dir"])


def run_local(
    tasks: Sequence[Task],
    emit: Callable[[str], None],
    *,
    recognizer: Recognizer,
    out_dir: str | None,
    workers: int,
    window: int | None = None,
) -> None:
    """Read ``tasks`` on ``workers`` processes (0: in this process), ``emit`` each line.

    At most ``window`` tasks are in flight (default 4 per worker), so memory stays flat
    however many images there are. A worker that dies (a crash inside a native library)
    does not stop the batch: the images it may have held are retried one at a time, and
    one that kills a worker on its own gets an error line.
    """
    if workers <= 0:
        for task in tasks:
            emit(read_one(recognizer, task, out_dir))
        return
    with _single_threaded_children():
        _run_pool(tasks, emit, recognizer=recognizer, out_dir=out_dir, workers=workers,
                  window=window or 4 * workers)


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    """Spawned workers start with one BLAS/OpenMP thread each.

    These libraries read their thread count once, when numpy loads, which in a spawned
    worker happens before any code of ours runs; so it goes through the environment the
    workers inherit. (Numba's count is set by the worker itself: changing it here could
    clash with threads this process has already started.)
    """
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(_THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "VECLIB_MAXIMUM_THREADS")


def _run_pool(tasks: Sequence[Task], emit: Callable[[str], None], *, recognizer: Recognizer,
              out_dir: str | None, workers: int, window: int) -> None:
    """run_local's pool: a bounded window of tasks, a new pool after a worker died."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = deque(tasks)
    suspects: deque[Task] = deque()
    broken_pools = succeeded = 0
    context = multiprocessing.get_context("spawn")  # fork is unsafe once kernel threads run
    while pending or suspects:
        pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker,
            initargs=(recognizer.model, recognizer.min_confidence, out_dir))
        in_flight: dict = {}
        alone = broken = False
        try:
            while (pending or suspects or in_flight) and not broken:
                if suspects:  # after a worker died: each suspect alone in the pool
                    if not in_flight:
                        task = suspects.popleft()
                        in_flight[pool.submit(_work, task)] = task
                        alone = True
                else:
                    alone = False
                    while pending and len(in_flight) < window:
                        task = pending.popleft()
                        in_flight[pool.submit(_work, task)] = task
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    error = future.exception()
                    if isinstance(error, BrokenProcessPool):
                        broken = True
                        continue
                    task = in_flight.pop(future)
                    if error is not None:  # e.g. a result that would not pickle
                        emit(json.dumps({"image": task.image, "error": f"{task.path}: "
                                         f"{type(error).__name__}: {error}",
                                         "schema": JSON_SCHEMA}))
                        continue
                    emit(future.result())
                    succeeded += 1
        except BrokenProcessPool:  # submit() on a pool that just broke
            broken = True
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if not broken:
            continue
        lost = list(in_flight.values())
        if alone and len(lost) == 1:
            task = lost[0]
            log.warning("%s: a worker process died reading this image", task.image)
            emit(json.dumps({"image": task.image,
                             "error": f"{task.path}: the worker process died reading it",
                             "schema": JSON_SCHEMA}))
        else:
            suspects.extend(lost)
        broken_pools += 1
        if broken_pools >= 3 and not succeeded:
            raise LivedigitsError("worker processes keep dying before reading any image; "
                                  "try --workers 0 to see the error")


# ---------------------------------------------------------------------------- Dask

_DASK_RECOGNIZERS: dict[str, Recognizer] = {}


def _dask_work(task: Task, model: Model, token: str, min_confidence: float,
               out_dir: str | None) -> str:
    """A Dask task: pure (same inputs, same line and files), so a retry is harmless."""
    _one_thread()
    recognizer = _DASK_RECOGNIZERS.get(token)
    if recognizer is None:
        from livedigits.recognize.recognizer import Recognizer

        recognizer = Recognizer(model, min_confidence=min_confidence)
        recognizer.warmup()
        _DASK_RECOGNIZERS[token] = recognizer
    return read_one(recognizer, task, out_dir)


def model_token(model: Model, min_confidence: float) -> str:
    """A short fingerprint of a model and threshold (names its recognizer on workers)."""
    digest = hashlib.sha256()
    for array in (model.projection, model.features, model.labels):
        digest.update(array.tobytes())
    digest.update(f"{model.params.to_json()}|{min_confidence}".encode())
    return digest.hexdigest()[:16]


def run_dask(
    tasks: Sequence[Task],
    emit: Callable[[str], None],
    *,
    recognizer: Recognizer,
    out_dir: str | None,
    scheduler: str,
    window: int | None = None,
) -> None:
    """Read ``tasks`` on the Dask cluster at ``scheduler``; ``emit`` lines as they complete.

    Workers read the images (and write overlays) at the tasks' absolute paths, so these
    must be on storage every worker sees. The model is sent once to every worker. Tasks
    have fixed keys and no side effects but idempotent files, so the scheduler may rerun
    those of a lost worker; an image whose task cannot finish (e.g. it kills every
    worker that tries) gets an error line.
    """
    try:
        from distributed import Client, wait
    except ImportError:
        raise LivedigitsError(DASK_HINT) from None
    try:
        client = Client(scheduler, timeout=f"{DASK_TIMEOUT:g}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise LivedigitsError(f"{scheduler}: cannot reach the Dask scheduler ({exc})") from None
    try:
        token = model_token(recognizer.model, recognizer.min_confidence)
        model = client.scatter(recognizer.model, broadcast=True, hash=False)
        threads = max(1, sum(client.nthreads().values()))
        window = window or 4 * threads + 8
        todo = iter(tasks)
        owner: dict = {}

        def submit(task: Task):
            key = "livedigits-" + hashlib.sha1(
                f"{token}|{task.image}|{task.path}|{task.stem}|{out_dir}".encode()).hexdigest()
            future = client.submit(_dask_work, task, model, token, recognizer.min_confidence,
                                   out_dir, key=key, pure=False)
            owner[future] = task
            return future

        pending = {submit(t) for t in islice(todo, window)}
        lost_since: float | None = None
        while pending:
            # raises when nothing is done yet (TimeoutError), or cancelled, comm closed
            with suppress(Exception):
                wait(pending, timeout=DASK_POLL, return_when="FIRST_COMPLETED")
            finished = {future for future in pending if future.done()}
            pending -= finished
            if client.status != "running":
                lost_since = lost_since or time.monotonic()
                if client.status in ("closing", "closed") or \
                        time.monotonic() - lost_since > DASK_TIMEOUT:
                    break
            else:
                lost_since = None
            for future in finished:
                line = _dask_line(future, owner[future], client)
                if line is None:  # cancelled with the scheduler gone: left for a rerun
                    lost_since = lost_since or time.monotonic()
                    continue
                owner.pop(future)
                future.release()
                emit(line)
                following = next(todo, None)
                if following is not None:
                    pending.add(submit(following))
        if pending or owner:
            left = len(owner) + sum(1 for _ in todo)
            raise LivedigitsError(
                f"{scheduler}: lost the Dask scheduler; {left} images were not read and are "
                "left for a rerun (the ones read are in the results file): start the "
                "scheduler again and run the same command")
    finally:
        client.close()


DASK_TIMEOUT = 20.0  # s to connect, and for a lost scheduler to come back
DASK_POLL = 1.0  # s between looks at the client's connection while waiting


def _dask_line(future, task: Task, client) -> str | None:
    """The result line of a finished Dask future; None when it was cancelled because
    the scheduler is gone, or its result could not be fetched because the connection
    closed (nothing is written for it, so a rerun reads it)."""
    if future.status == "finished":
        try:
            return future.result(timeout=DASK_TIMEOUT)
        except (OSError, TimeoutError):  # CommClosedError is an OSError
            return None
    if future.status == "cancelled" and client.status != "running":
        return None
    try:
        exc = future.exception()
    except Exception as raised:  # cancelled: exception() itself raises
        exc = raised
    name = type(exc).__name__
    log.warning("%s: the cluster could not read it: %s", task.image, exc)
    line = {"image": task.image, "error": f"{task.path}: the cluster could not read it ({name})"}
    if name != "KilledWorker":  # KilledWorker: the image itself kills the workers
        line["temporary"] = True
    return json.dumps(line | {"schema": JSON_SCHEMA})


# ---------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on a terminal (count, rate, ETA); silent elsewhere."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled
        self.done = self.errors = 0
        self.start = time.perf_counter()
        self._shown = 0.0

    def update(self, error: bool) -> None:
        self.done += 1
        self.errors += error
        now = time.perf_counter()
        if self.enabled and (now - self._shown >= 0.1 or self.done == self.total):
            self._shown = now
            self.stream.write("\r" + self.line(now) + "\x1b[K")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 24
        filled = width * self.done // max(1, self.total)
        errors = f"  {self.errors} errors" if self.errors else ""
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate:.1f} img/s ETA {_clock(left)}{errors}")

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


# ---------------------------------------------------------------------------- the batch


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


CSV_HEADER = "file,text,count,mean_confidence,error"


def check_outputs(out: Path, csv_path: Path | None = None, *, force: bool = False) -> None:
    """Refuse a results file ``out`` that is not one (see ResultsFile) or is also the
    ``csv_path`` table, and an existing ``csv_path`` that is not a table an earlier batch
    wrote (unless ``force``), before anything is read or written."""
    if csv_path is not None and os.path.realpath(csv_path) == os.path.realpath(out):
        raise LivedigitsError(f"{csv_path}: --csv and --out name the same file; give the "
                              "table a name of its own")
    _check_results_target(Path(out))
    if csv_path is not None:
        from livedigits.atomic import check_target

        check_target(Path(csv_path))
        if not force and os.path.exists(csv_path) and os.path.getsize(csv_path):
            with open(csv_path, "rb") as reader:
                first = reader.readline(256).rstrip(b"\r\n")
            if first != CSV_HEADER.encode():
                raise LivedigitsError(f"{csv_path} exists and is not a table a batch wrote; "
                                      "pass --force to replace it, or give another --csv")


def run_batch(
    inputs: Sequence[str],
    *,
    out: Path,
    recognizer: Recognizer,
    workers: int | None = None,
    overlays: Path | None = None,
    csv_path: Path | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    stream: TextIO | None = None,
    force: bool = False,
    retry_failed: bool = False,
) -> Summary:
    """Read every image named by ``inputs`` not yet in ``out``; append a line for each.

    ``workers`` local processes (default: every core; 0: this process), or the Dask
    cluster at ``scheduler``. ``progress`` (default: when ``stream`` is a terminal) draws
    a progress bar on ``stream`` (default stderr). With ``csv_path`` the whole results
    file is also written as a flat table at the end (an existing file that is not such a
    table is replaced only with ``force``). Images whose last line is a temporary
    failure are read again, with ``retry_failed`` every failed one.
    """
    stream = stream or sys.stderr
    check_outputs(out, csv_path, force=force)
    images = collect_inputs(inputs)
    if overlays is not None:
        images = _not_inside(images, Path(overlays))
    if not images:
        raise LivedigitsError("no image files found in " + " ".join(map(str, inputs)))
    with ResultsFile(out, retry_failed=retry_failed) as results:
        keys = [os.path.realpath(image) for image in images]
        tasks = [task for task, key in zip(plan_tasks(images), keys, strict=True)
                 if key not in results.done_paths]
        summary = Summary(total=len(images), skipped=len(images) - len(tasks),
                          earlier_errors=len(results.failed_paths.intersection(keys)))
        out_dir = str(Path(overlays).resolve()) if overlays is not None else None
        if progress is None:
            progress = stream.isatty()
        bar = Progress(len(tasks), stream, progress)

        def emit(line: str) -> None:
            results.append(line)
            error = '"error"' in line and "error" in json.loads(line)
            summary.done += 1
            summary.errors += error
            bar.update(error)

        start = time.perf_counter()
        try:
            if not tasks:
                pass
            elif scheduler:
                run_dask(tasks, emit, recognizer=recognizer, out_dir=out_dir,
                         scheduler=scheduler)
            else:
                count = default_workers() if workers is None else workers
                run_local(tasks, emit, recognizer=recognizer, out_dir=out_dir,
                          workers=min(count, len(tasks)))
        finally:
            summary.seconds = time.perf_counter() - start
            bar.close()
    if csv_path is not None:
        write_csv(out, csv_path)
    return summary
