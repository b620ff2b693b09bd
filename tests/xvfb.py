"""A private Xvfb server for the window tests: ``with private_display("1600x900"): ...``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def private_display(screen: str = "1280x1024") -> Iterator[str]:
    """Start Xvfb on a free display number with one ``screen`` (WIDTHxHEIGHT, 24 bits),
    no window manager and no TCP; yields ``":N"``, stops the server after."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{screen}x24", "-nolisten",
         "tcp"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)
