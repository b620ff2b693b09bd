"""Dask workers of a batch: the tasks read on a Dask distributed cluster.

The model is sent once to every worker; tasks have fixed keys and are pure, so
the scheduler may rerun those of a lost worker. A lost scheduler ends the run
with a one-line error, the images not read left for a rerun.

Dask is imported where it is used.
"""

from __future__ import annotations

import hashlib
import logging
import time
from contextlib import suppress
from itertools import islice
from typing import TYPE_CHECKING

from livedigits.errors import LivedigitsError
from livedigits.pages.batch_inputs import Job, Task
from livedigits.pages.batch_pool import one_thread, read_one
from livedigits.recognize.recognizer import Recognizer
from livedigits.records import json_line, stamped

if TYPE_CHECKING:
    from livedigits.training.model import Model

log = logging.getLogger(__name__)


DASK_HINT = "--scheduler needs Dask distributed: pip install 'livedigits[dask]'"
DASK_TIMEOUT = 20.0  # s to connect, and for a lost scheduler to come back
DASK_POLL = 1.0  # s between looks at the client's connection while waiting

_DASK_RECOGNIZERS: dict[str, Recognizer] = {}


def _dask_work(task: Task, model: Model, token: str, min_confidence: float,
               out_dir: str | None) -> str:
    """A Dask task: pure (same inputs, same line and files), so a retry is harmless."""
    one_thread()
    recognizer = _DASK_RECOGNIZERS.get(token)
    if recognizer is None:
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


def run_dask(job: Job, *, scheduler: str, window: int | None = None) -> None:
    """Read ``job``'s tasks on the Dask cluster at ``scheduler``; ``emit`` lines as they
    complete.

    Workers read the images (and write overlays) at the tasks' absolute paths, so these
    must be on storage every worker sees. The model is sent once to every worker. Tasks
    have fixed keys and no side effects but idempotent files, so the scheduler may rerun
    those of a lost worker; an image whose task cannot finish (e.g. it kills every
    worker that tries) gets an error line.
    """
    tasks, emit, recognizer, out_dir = job.tasks, job.emit, job.recognizer, job.out_dir
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
            waiting = False
            for future in finished:
                line = dask_line(future, owner[future], client)
                if line is None and client.status == "running":
                    # Lost with its worker after it was done (or its result with the
                    # connection): the scheduler computes it again; wait for it.
                    pending.add(future)
                    waiting = True
                    continue
                if line is None:  # cancelled with the scheduler gone: left for a rerun
                    lost_since = lost_since or time.monotonic()
                    continue
                owner.pop(future)
                future.release()
                emit(line)
                following = next(todo, None)
                if following is not None:
                    pending.add(submit(following))
            if waiting:
                time.sleep(DASK_POLL / 20)  # a future lost this instant may still say done
        if pending or owner:
            left = len(owner) + sum(1 for _ in todo)
            raise LivedigitsError(
                f"{scheduler}: lost the Dask scheduler; {left} images were not read and are "
                "left for a rerun (the ones read are in the results file): start the "
                "scheduler again and run the same command")
    finally:
        client.close()



def dask_line(future, task: Task, client) -> str | None:
    """The result line of a finished Dask future; None when it was cancelled because
    the scheduler is gone, when its result could not be fetched because the connection
    closed, or when it is no longer done (lost with the worker that held its result: the
    scheduler computes it again). Nothing is written for those, so a rerun, or the
    caller's next wait, reads them."""
    if future.status not in ("finished", "error", "cancelled"):
        return None
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
    return json_line(stamped(line))
