"""Batch inputs: the image files a batch is given, in order, and one task for each.

An input is a folder, a glob pattern, a list file or a file path
(``collect_inputs``); each image becomes a ``Task`` whose overlay stem is unique
to its resolved path (``plan_tasks``).
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from livedigits.errors import LivedigitsError
from livedigits.imageio import IMAGE_SUFFIXES
from livedigits.limits import regular_file

if TYPE_CHECKING:
    from livedigits.recognize.recognizer import Recognizer

log = logging.getLogger(__name__)


_GLOB_CHARS = frozenset("*?[")
MAX_LIST = 64 << 20  # bytes of a list file


@dataclass(frozen=True)
class Task:
    """One image to read: ``image`` is its key in the results, ``path`` where to read it."""

    image: str
    path: str
    stem: str


@dataclass(frozen=True)
class Job:
    """A batch's work as its runners take it (``batch_pool.run_local``,
    ``batch_dask.run_dask``): ``tasks`` read with ``recognizer``, each one's result line
    handed to ``emit`` as it completes, overlays written into ``out_dir`` (None: none)."""
    tasks: Sequence[Task]
    emit: Callable[[str], None]
    recognizer: Recognizer
    out_dir: str | None = None


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
            if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES
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


def not_inside(images: list[str], folder: Path) -> list[str]:
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
