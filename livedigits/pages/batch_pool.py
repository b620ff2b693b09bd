"""Local workers of a batch: each task read to its result line on a pool of processes.

``read_one`` turns one task into its result line and never raises (the Dask
workers use it too). ``run_local`` keeps a bounded window of tasks on spawned
worker processes with one-thread kernels, and goes on when a worker dies.

Heavy modules (cv2, numba) are imported where they are used.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from livedigits.errors import LivedigitsError
from livedigits.pages.batch_inputs import Job, Task
from livedigits.pages.page import TemporaryFailure, process_file
from livedigits.recognize.recognizer import Recognizer
from livedigits.records import error_record, json_line, stamped

if TYPE_CHECKING:
    from livedigits.training.model import Model

log = logging.getLogger(__name__)


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def read_one(recognizer: Recognizer, task: Task, out_dir: str | None) -> str:
    """The result line (``image --json`` form) for one task; never raises.

    A file that cannot be read, or any failure inside, gives ``{"image", "error"}``;
    one that is gone since it was listed, or a failure a rerun may not meet, is marked
    ``"temporary": true`` (a rerun tries it again).
    With ``out_dir`` the overlay and plain image are written there under the task's
    stem, replacing earlier ones atomically, so a retried task leaves the same files.
    """
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
    return json_line(stamped(result))


def one_thread() -> None:
    """Kernels on one thread: the batch's parallelism is one image per worker."""
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(1)  # thread-local in Numba: call on the working thread
    else:
        os.environ["NUMBA_NUM_THREADS"] = "1"
    import cv2

    cv2.setNumThreads(1)


_WORKER: dict = {}


def _init_worker(model: Model, min_confidence: float, out_dir: str | None) -> None:
    """Worker process start: one-thread kernels, the parent's model, compiled kernels."""
    import signal

    one_thread()  # before numba is imported in this process
    _exit_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

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


def run_local(job: Job, *, workers: int, window: int | None = None) -> None:
    """Read ``job``'s tasks on ``workers`` processes (0: in this process), ``emit`` each line.

    At most ``window`` tasks are in flight (default 4 per worker), so memory stays flat
    however many images there are. A worker that dies (a crash inside a native library)
    does not stop the batch: the images it may have held are retried one at a time, and
    one that kills a worker on its own gets an error line.
    """
    tasks, emit, recognizer, out_dir = job.tasks, job.emit, job.recognizer, job.out_dir
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
                        emit(json_line(error_record(
                            task.image, f"{task.path}: {type(error).__name__}: {error}")))
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
            emit(json_line(error_record(
                task.image, f"{task.path}: the worker process died reading it")))
        else:
            suspects.extend(lost)
        broken_pools += 1
        if broken_pools >= 3 and not succeeded:
            raise LivedigitsError("worker processes keep dying before reading any image; "
                                  "try --workers 0 to see the error")
