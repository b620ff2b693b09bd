"""Process-level memory tuning for loops over images."""

from __future__ import annotations

import sys


def reuse_freed_memory() -> None:
    """Make glibc's malloc keep freed frame-sized arrays for reuse (Linux only).

    Each frame allocates and frees several arrays of megabytes (darkness, labels,
    integral, ...). By default glibc may serve them with fresh ``mmap``s and give them
    back on ``free``, so every frame page-faults them in again: ~4 ms of a 720p frame,
    and run to run the same video took 7 or 10 ms depending on the heap's history.
    Kept on the heap they are reused; memory stays flat at its high-water mark.
    Called by the commands that process many images (live, image, scan, bench),
    never by the library on its own.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return  # not glibc (musl): nothing to tune
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's ceiling for this setting
    mallopt(m_trim_threshold, 256 << 20)
