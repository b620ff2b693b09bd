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
            if not self.modules and _references_allowed:
                log.warning("compiling the small kernels for this machine (first run only, "
                            "a few seconds; cached in %s)", numba_cache_dir())
            elif not self.modules:
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


# --- Reading before the kernels are compiled ----------------------------------------
#
# A first run would otherwise compile for half a minute before its first result. The
# commands that read images (``image``, ``live``, ``demo``, ``scan``) allow the plain
# numpy/OpenCV reference code to stand in for a kernel that is neither compiled in this
# process nor in Numba's cache, while a process of its own (``livedigits.tools.warm``)
# compiles every kernel into the cache, detached so that it finishes after a short
# command exits; a long one (``live``) switches to each kernel as soon as it is cached.
# Library use and tests never see references: kernels compile on first call, as always.

_references_allowed = False
_ready: set = set()
_checked: dict = {}  # kernel -> when it was last found uncompiled (time.monotonic())
_state = {"references": 0, "warming": None}
RECHECK_S = 2.0  # a kernel found uncompiled is looked for in the cache again after this


def allow_references(allowed: bool = True) -> None:
    """Let reference code stand in for kernels that would have to compile first."""
    global _references_allowed
    _references_allowed = allowed


def references_used() -> int:
    """How many times reference code stood in for a kernel in this process."""
    return _state["references"]


def recheck() -> None:
    """Forget which kernels were found compiled, or not, so that ``ready`` looks in this
    process and in Numba's cache again at its next call for each."""
    _ready.clear()
    _checked.clear()


def ready(dispatcher, *args) -> bool:
    """Whether ``dispatcher`` (a kernel) runs on ``args`` without compiling: True unless
    references are allowed and the kernel is neither compiled in this process nor in
    Numba's cache for these argument types. A False starts ``warm_elsewhere`` and
    counts a use of the reference code, which the caller then runs."""
    if not _references_allowed or dispatcher in _ready:
        return True
    now = time.monotonic()
    last = _checked.get(dispatcher)
    if last is None or now - last >= RECHECK_S:
        from numba.core.compiler_lock import global_compiler_lock

        types = tuple(dispatcher.typeof_pyval(a) for a in args)
        found = types in dispatcher.overloads
        if not found:
            with global_compiler_lock:
                found = _load_from_cache(dispatcher, types)
        if found:
            _ready.add(dispatcher)
            _checked.pop(dispatcher, None)
            return True
        _checked[dispatcher] = now
    warm_elsewhere()
    _state["references"] += 1
    return False


def _load_from_cache(dispatcher, types: tuple) -> bool:
    """Load ``dispatcher``'s compiled code for ``types`` from Numba's cache into the
    dispatcher, as its own first call would (``Dispatcher.compile``), so the code is
    read from disk once, not twice; False when the cache has none. Under the
    compiler lock."""
    compiled = dispatcher._cache.load_overload(types, dispatcher.targetctx)
    if compiled is None:
        return False
    if not compiled.objectmode:
        dispatcher.targetctx.insert_user_function(compiled.entry_point, compiled.fndesc,
                                                  [compiled.library])
    dispatcher.add_overload(compiled)
    return True


def warm_elsewhere() -> None:
    """Compile every kernel in a detached process (once a process; none while another
    holds the cache's lock), so that the next run, or this one later, finds them."""
    if _state["warming"] is not None:
        return
    _state["warming"] = False
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "livedigits.tools.warm"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        log.info("cannot start a process to compile the kernels in (%s)", exc)
        return
    _state["warming"] = process
    log.warning("the kernels are not compiled for this machine yet: reading with slower "
                "reference code while they compile in the background (first run only, "
                "about %d s; cached in %s)", FIRST_RUN_SECONDS, numba_cache_dir())


#: Seconds compiling every kernel takes on a 2-vCPU machine: 30-37 s of CPU measured on a
#: loaded one (the cell cutter's 7-15 s, the k-NN search's 5-10 s, HOG's 5-9 s).
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
