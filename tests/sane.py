"""Helpers for tests that drive real SANE: a private config enabling its pretend scanners.

``sane_config(folder)`` writes a ``dll.conf`` listing SANE's ``pnm`` backend (a
device that "scans" a PNM file and simulates faults) and its ``test`` backend (a
frontend tester with a 10-sheet document feeder). Both ship compiled in Debian's
``libsane1`` and need no config file of their own. Tests point ``SANE_CONFIG_DIR``
at the folder, so the user's scanners are never touched.

``feeder_script(folder, pages, jam_at)`` writes a ``scanimage`` stand-in for a
multi-sheet feeder of different pages: SANE's pnm device gives one page per
``sane_open``, so the stand-in scans each sheet with a real ``scanimage -d pnm:0``
run and produces the jam on sheet ``jam_at`` with the device's own
``--status-jammed``, speaking to its caller as one ``scanimage --batch`` run does.

``stuck_at_exit_script(folder)`` writes a ``scanimage`` stand-in that runs the real
one, passes on all it prints, and then never exits, as ``scanimage`` sometimes does
when a backend's reader thread leaves it stuck while unloading the backend.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import cv2
import numpy as np

SCANIMAGE = shutil.which("scanimage")


def sane_config(folder: Path, backends: tuple[str, ...] = ("pnm", "test")) -> Path:
    """A SANE config folder whose ``dll.conf`` enables only ``backends``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dll.conf").write_text("".join(f"{b}\n" for b in backends))
    return folder


def write_pnm(path: Path, image: np.ndarray) -> Path:
    """Save ``image`` as binary PGM (gray) or PPM (BGR) for the pnm device."""
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cannot write {path}")
    return Path(path)


_FEEDER = '''#!{python}
"""A feeder of several sheets, each scanned by real scanimage through SANE's pnm device."""
import os, re, subprocess, sys

real, sheets, jam_at = {real!r}, {sheets!r}, {jam_at!r}
args = sys.argv[1:]
if "-f" in args or "-L" in args:
    os.execv(real, [real] + args)
pattern = next(a.split("=", 1)[1] for a in args if a.startswith("--batch="))
passed = [a for a in args if not a.startswith(("--batch", "--filename=", "-d", "pnm:"))
          and a != "--progress"]
count = next((int(a.split("=", 1)[1]) for a in args if a.startswith("--batch-count=")), None)
page = 0
for page, sheet in enumerate(sheets, 1):
    if count is not None and page > count:
        break
    sys.stderr.write(f"Scanning page {{page}}\\n")
    sys.stderr.flush()
    extra = ["--status-jammed=yes"] if page == jam_at else []
    target = pattern % page
    done = subprocess.run([real, "-d", "pnm:0", f"--filename={{sheet}}", *passed, *extra,
                           "-o", target + ".part"], stderr=subprocess.PIPE, text=True)
    sys.stderr.write(done.stderr)
    if done.returncode:
        if os.path.exists(target + ".part"):
            os.unlink(target + ".part")
        sys.stderr.write(f"Batch terminated, {{page - 1}} pages scanned\\n")
        sys.exit(done.returncode)
    os.rename(target + ".part", target)
    sys.stderr.write(f"Scanned page {{page}}. (scanner status = 5)\\n")
    print(target, flush=True)
sys.stderr.write("scanimage: sane_start: Document feeder out of documents\\n")
sys.stderr.write(f"Batch terminated, {{page}} pages scanned\\n")
'''


def feeder_script(folder: Path, sheets: list[Path], jam_at: int | None = None) -> Path:
    """Write ``folder/scanimage`` (see the module docstring); put ``folder`` first on PATH."""
    return _executable(Path(folder) / "scanimage", _FEEDER.format(
        python=sys.executable, real=SCANIMAGE, sheets=[str(s) for s in sheets], jam_at=jam_at))


_STUCK_AT_EXIT = '''#!{python}
"""Real scanimage, then a hang at exit, as when unloading a backend deadlocks."""
import subprocess, sys, time

done = subprocess.run([{real!r}] + sys.argv[1:])
time.sleep(3600)
sys.exit(done.returncode)
'''


def stuck_at_exit_script(folder: Path) -> Path:
    """Write ``folder/scanimage`` (see the module docstring); put ``folder`` first on PATH."""
    return _executable(Path(folder) / "scanimage", _STUCK_AT_EXIT.format(
        python=sys.executable, real=SCANIMAGE))


def _executable(script: Path, text: str) -> Path:
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(text)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def env_with(path_first: Path | None = None, config: Path | None = None) -> dict:
    """A copy of the environment with ``path_first`` before PATH and SANE_CONFIG_DIR set."""
    env = dict(os.environ)
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    if config is not None:
        env["SANE_CONFIG_DIR"] = str(config)
    return env
