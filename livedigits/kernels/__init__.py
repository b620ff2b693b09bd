"""Numba kernels: batch in, batch out, no Python objects inside.

Each kernel module imports only numpy and numba. Importing this package first
points Numba's on-disk cache at a writable folder when the package's own folder
is read-only (an installed wheel), so compiled kernels are reused across runs,
and reports every kernel that has to be compiled (a first run, or a kernel
changed since it was cached) on the ``livedigits.kernels`` logger, at the
default level: a first run otherwise sits silent while it compiles.
"""

import logging
import os
import threading
import time

log = logging.getLogger(__name__)


def _configure_numba_cache() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    if os.access(here, os.W_OK):
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(base, "livedigits", "numba")


def numba_cache_dir() -> str:
    """Where Numba keeps the compiled kernels: ``$NUMBA_CACHE_DIR``, else the
    ``__pycache__`` folder beside the kernel modules."""
    return os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "__pycache__")


class _CompileReport:
    """Numba ``numba:compile`` listener: one line a kernel module as its first
    kernel compiles, and each kernel's compile time (info level).

    Numba fires the event only for a real compile, not for a kernel loaded from its
    cache, so a warm start prints nothing. Kernels compile one at a time (Numba's
    compiler lock), nested compiles (a kernel's callees) inside the outer one.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.started = 0.0
        self.modules: set[str] = set()
        self.total = 0.0
        self.lock = threading.Lock()

    def on_start(self, event) -> None:
        with self.lock:
            self.depth += 1
            if self.depth != 1:
                return
            self.started = time.perf_counter()
            module = _kernel_module(event)
            if module is None or module in self.modules:
                return
            if not self.modules:
                log.warning("compiling the kernels for this machine (first run only, about "
                            "%d s in all; cached in %s)", FIRST_RUN_SECONDS, numba_cache_dir())
            self.modules.add(module)
            log.warning("compiling kernels.%s...", module)

    def on_end(self, event) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth != 0:
                return
            took = time.perf_counter() - self.started
            self.total += took
            module = _kernel_module(event)
            if module is not None:
                name = getattr(event.data["dispatcher"].py_func, "__name__", "?")
                log.info("compiled kernels.%s.%s in %.1f s (%.1f s of compiling so far)",
                         module, name, took, self.total)


#: What a first ``livedigits image`` spends compiling on a 2-vCPU machine, s (measured).
FIRST_RUN_SECONDS = 25


def _kernel_module(event) -> str | None:
    """``knn`` for a kernel of ``livedigits.kernels.knn``, None for Numba's own."""
    dispatcher = event.data.get("dispatcher") if isinstance(event.data, dict) else None
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
    prefix = __name__ + "."
    return module[len(prefix):] if module.startswith(prefix) else None


def _install_compile_report() -> None:
    from numba.core import event

    report = _CompileReport()
    listener = type("_Listener", (event.Listener,), {
        "on_start": lambda self, ev: report.on_start(ev),
        "on_end": lambda self, ev: report.on_end(ev),
    })()
    event.register("numba:compile", listener)


_configure_numba_cache()
_install_compile_report()
