"""Numba kernels: batch in, batch out, no Python objects inside.

Each kernel module imports only numpy and numba. Importing this package first
points Numba's on-disk cache at a writable folder when the package's own folder
is read-only (an installed wheel), so compiled kernels are reused across runs.
"""

import os


def _configure_numba_cache() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    if os.access(here, os.W_OK):
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(base, "livedigits", "numba")


_configure_numba_cache()
