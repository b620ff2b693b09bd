"""``livedigits doctor``: what on this machine stops livedigits working, and the fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from livedigits.live.display import gui_problem
from livedigits.paths import cache_dir
from livedigits.records import stamped


@dataclass
class Check:
    """One line of the report: ``level`` is OK, WARN (works, but...) or FAIL."""

    level: str
    what: str
    detail: str

    def to_dict(self) -> dict:
        """The ``doctor --json`` record (with the JSON records' ``schema``)."""
        return stamped({"level": self.level, "what": self.what, "detail": self.detail})


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check_opencv_gui() -> Check:
    """cv2 built with a GUI, and no headless wheel shadowing the GUI one."""
    import cv2

    gui = next((line.split(":", 1)[1].strip() for line in cv2.getBuildInformation().splitlines()
                if line.strip().startswith("GUI:")), "")
    headless = [n for n in ("opencv-python-headless", "opencv-contrib-python-headless")
                if _installed(n)]
    full = [n for n in ("opencv-python", "opencv-contrib-python") if _installed(n)]
    if not gui or gui.upper() == "NONE":
        fix = ("pip uninstall -y " + " ".join(headless + full)
               + " && pip install opencv-python") if headless else "pip install opencv-python"
        return Check("FAIL", "OpenCV GUI",
                     f"cv2 {cv2.__version__} has no GUI (windows cannot open); fix: {fix}; "
                     "or use --no-window")
    if headless and full:
        return Check("WARN", "OpenCV GUI",
                     f"{gui} in cv2 {cv2.__version__}, but {', '.join(headless)} is installed "
                     f"beside {', '.join(full)} and may shadow it after an upgrade; fix: "
                     f"pip uninstall -y {' '.join(headless)} && pip install --force-reinstall "
                     f"{full[0]}")
    return Check("OK", "OpenCV GUI", f"{gui} in cv2 {cv2.__version__}")


def check_display() -> Check:
    """A display the window can open on: DISPLAY / WAYLAND_DISPLAY / QT_QPA_PLATFORM."""
    if not sys.platform.startswith("linux"):
        return Check("OK", "display", f"{sys.platform}: native windows")

    platform = os.environ.get("QT_QPA_PLATFORM", "")
    problem = gui_problem()
    where = ", ".join(f"{k}={os.environ[k]}" for k in ("DISPLAY", "WAYLAND_DISPLAY",
                                                       "QT_QPA_PLATFORM") if os.environ.get(k))
    if problem:
        return Check("WARN", "display", f"{problem}; or start one (e.g. Xvfb :99 & "
                                        "export DISPLAY=:99)")
    if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY") and \
            platform != "wayland":
        return Check("WARN", "display", f"{where}: OpenCV's Qt may need XWayland or "
                                        "QT_QPA_PLATFORM=wayland")
    # Qt aborts the whole process when its platform plugin fails, so try it in a child.
    code = ("import cv2, numpy as np; cv2.namedWindow('doctor'); "
            "cv2.imshow('doctor', np.zeros((8, 8, 3), np.uint8)); cv2.waitKey(1); "
            "cv2.destroyAllWindows(); cv2.waitKey(1)")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=20)
    except subprocess.TimeoutExpired:
        return Check("WARN", "display", f"{where}: opening a test window hung")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1][:160]
        return Check("WARN", "display",
                     f"{where}: a test window failed ({last}); fix the Qt platform "
                     "(QT_QPA_PLATFORM=xcb, install libxcb-xinerama0) or use --no-window")
    return Check("OK", "display", f"{where}: a test window opened")


def _not_writable(folder: Path) -> str | None:
    """Why a file cannot be created in ``folder`` (made if missing), or None if it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def check_numba_cache() -> Check:
    """Where Numba caches compiled kernels, and that it is writable."""
    import livedigits.kernels  # noqa: F401 - points NUMBA_CACHE_DIR somewhere writable

    explicit = os.environ.get("NUMBA_CACHE_DIR")
    folder = Path(explicit) if explicit else Path(livedigits.kernels.__file__).parent
    label = "NUMBA_CACHE_DIR" if explicit else "package folder"
    problem = _not_writable(folder)
    if problem:
        return Check("FAIL", "Numba cache",
                     f"{folder} ({label}) is not writable ({problem}): kernels would be "
                     "compiled on every start (~5 s); fix: export NUMBA_CACHE_DIR="
                     "~/.cache/livedigits/numba")
    return Check("OK", "Numba cache", f"{folder} ({label}) is writable")


def check_model_cache() -> Check:
    """The model cache folder is writable (else the model is rebuilt on every start)."""
    folder = cache_dir()
    problem = _not_writable(folder)
    if problem:
        return Check("WARN", "model cache",
                     f"{folder} not writable ({problem}); set LIVEDIGITS_CACHE to a "
                     "writable folder")
    return Check("OK", "model cache", f"{folder} is writable")


def check_cameras() -> Check:
    """Cameras that open and deliver a picture."""
    from livedigits.live.capture import camera_candidates, list_cameras

    found = list_cameras(probe_modes=False)
    if not found:
        tried = ", ".join(camera_candidates()) or "no /dev/video* devices"
        return Check("WARN", "cameras",
                     f"none found (tried: {tried}); plug one in (and close other programs "
                     "using it), or use `livedigits demo` / `livedigits live --source FILE`")
    listed = "; ".join(f"{c.source} {c.mode}" for c in found)
    return Check("OK", "cameras", listed)


def check_sane() -> list[Check]:
    """``scanimage`` on PATH, and the scanners SANE finds."""
    exe = shutil.which("scanimage")
    if exe is None:
        return [Check("WARN", "scanimage",
                      "not found: `livedigits scan` needs SANE; fix: apt install sane-utils "
                      "(macOS: brew install sane-backends)")]
    checks = [Check("OK", "scanimage", exe)]
    try:
        done = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return [*checks, Check("WARN", "SANE devices", "`scanimage -L` hung for 30 s")]
    devices = [line for line in done.stdout.splitlines() if line.startswith("device ")]
    if not devices:
        return [*checks, Check("WARN", "SANE devices",
                               "none found; connect and power the scanner, check `scanimage "
                               "-L` and your user's scanner group")]
    names = "; ".join(line.split("`", 1)[-1].split("'", 1)[0] for line in devices)
    return [*checks, Check("OK", "SANE devices", names)]


def run_checks() -> list[Check]:
    """Every check, in the order shown."""
    return [check_opencv_gui(), check_display(), check_numba_cache(), check_model_cache(),
            check_cameras(), *check_sane()]
