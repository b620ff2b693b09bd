"""Hand-offs between the live loop's threads: a one-slot newest-item box and a worker thread.

A ``Slot`` holds at most one item; putting a new one replaces an item nobody took (it
is dropped and counted, never queued), so a slow consumer always gets the newest item
and never falls behind. A ``Worker`` runs a function on its own thread and keeps the
exception that ended it, for the thread that waits on it to raise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from livedigits.errors import LivedigitsError

log = logging.getLogger(__name__)

T = TypeVar("T")


class Slot(Generic[T]):
    """A one-slot box: ``put`` replaces an item not yet taken, ``take`` waits for one.

    ``close`` says no more items will come: ``take`` still returns the item left in the
    box, then ``None`` at once. ``dropped`` counts items replaced before anyone took them.
    """

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._item: T | None = None
        self._full = False
        self.closed = False
        self.dropped = 0

    def put(self, item: T) -> None:
        """Leave ``item`` in the box, dropping the one there if it was not taken."""
        with self._ready:
            if self._full:
                self.dropped += 1
            self._item, self._full = item, True
            self._ready.notify_all()

    def take(self, timeout: float | None = None) -> T | None:
        """The item in the box (emptying it), waiting up to ``timeout`` s; None if none came."""
        with self._ready:
            if not self._ready.wait_for(lambda: self._full or self.closed, timeout):
                return None
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            self._ready.notify_all()
            return item

    def wait_empty(self, timeout: float | None = None) -> bool:
        """Wait until the item in the box was taken (or the box closed); True if it is empty."""
        with self._ready:
            self._ready.wait_for(lambda: not self._full or self.closed, timeout)
            return not self._full

    @property
    def exhausted(self) -> bool:
        """Closed and empty: nothing will come out any more."""
        with self._ready:
            return self.closed and not self._full

    def close(self) -> None:
        """No more items; wakes every waiter."""
        with self._ready:
            self.closed = True
            self._ready.notify_all()


class Worker:
    """``target()`` on a daemon thread; the exception that ended it is kept in ``error``."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        self.name = name
        self.error: BaseException | None = None
        self._target = target
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._target()
        except BaseException as exc:  # handed to the waiting thread, which raises it
            log.debug("%s thread failed", self.name, exc_info=True)
            self.error = exc

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it did within ``timeout`` s."""
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def check(self) -> None:
        """Raise what ended the thread, as a LivedigitsError with a one-line message."""
        exc = self.error
        if exc is None:
            return
        if isinstance(exc, LivedigitsError):
            raise exc
        detail = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
        raise LivedigitsError(f"{self.name} stopped: {what} (run with -vv for the traceback)"
                              ) from exc
