"""Run a command in a child process and measure its wall time and peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

_WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=float(TIMEOUT))
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                  "seconds": time.perf_counter() - start, "peak_mb": peak}))
"""


@dataclass
class Measured:
    """A finished command: exit status, output, wall seconds and peak resident MB (the
    largest of the command and its descendants, from getrusage)."""

    rc: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_measured(args: list[str], *, timeout: float = 120.0, **kwargs) -> Measured:
    """Run ``args`` under a fresh wrapper process so the peak is the command's alone."""
    wrapper = _WRAPPER.replace("TIMEOUT", repr(timeout))
    done = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True,
                          text=True, timeout=timeout + 30, check=True, **kwargs)
    return Measured(**json.loads(done.stdout))


def livedigits(*args: str) -> list[str]:
    """The argument list running ``livedigits ARGS`` with this interpreter."""
    return [sys.executable, "-m", "livedigits", *args]
