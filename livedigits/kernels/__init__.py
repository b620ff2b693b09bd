"""Numba kernels: batch in, batch out, no Python objects inside.

Each kernel module imports only numpy and numba. Importing this package first
points Numba's on-disk cache at a writable folder when the package's own folder
is read-only (an installed wheel), so compiled kernels are reused across runs,
and reports every kernel that has to be compiled (a first run, or a kernel
changed since it was cached) on the ``livedigits.kernels`` logger, at the
default level: a first run otherwise sits silent while it compiles.
"""

import glob
import logging
import os
import subprocess
import sys
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


def compile_knn_elsewhere() -> subprocess.Popen | None:
    """Start compiling the k-NN kernels in a second process when they are not cached.

    Numba compiles one kernel at a time in a process, and a first run's compiling is
    CPU-bound: a second process on a second core compiles the k-NN kernels (``knn``,
    about 10 s of the first run's compiling) into the shared cache while this one
    compiles the others. Returns the process (``wait_for`` it before the first
    k-NN search, which then loads the kernels from the cache), or None when they are
    cached already, no core is idle (load average above the cores less one) or no
    process could be started.
    """
    # Only with a core to spare: on a busy machine (measured at a load of 7 on 2 cores)
    # the second process competed for the same core and the first run took 25% longer.
    if os.getloadavg()[0] > (os.cpu_count() or 1) - 1:
        return None
    folder = numba_cache_dir()
    if any(glob.glob(os.path.join(folder, pattern, "knn.vote-*.nbi"))
           for pattern in ("", "*")):
        return None
    code = "from livedigits.kernels.knn import warmup; warmup()"
    try:
        process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as exc:
        log.info("cannot start a second process to compile in (%s)", exc)
        return None
    log.warning("compiling kernels.knn in a second process...")
    return process


def wait_for(process: subprocess.Popen | None, timeout: float = 300.0) -> None:
    """Wait for ``compile_knn_elsewhere``'s process (None: nothing to wait for); one
    that fails or hangs is stopped, and the kernels compile here as they are needed."""
    if process is None:
        return
    start = time.perf_counter()
    try:
        status = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        status = "timed out"
    if status != 0:
        log.info("the second process did not compile kernels.knn (%s)", status)
    else:
        log.info("waited %.1f s for kernels.knn", time.perf_counter() - start)


#: Seconds a first ``livedigits image`` spends compiling on a 2-vCPU machine: 35-37 s of
#: CPU measured on a loaded one, the k-NN kernels' 10-14 s of it in a second process.
FIRST_RUN_SECONDS = 30


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
