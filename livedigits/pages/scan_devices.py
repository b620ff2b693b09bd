"""Scanners as SANE's ``scanimage`` sees them: device discovery, scan settings, the command.

``list_devices`` asks ``scanimage -f`` for the scanners and ``default_device``
picks one; ``ScanSettings`` is what to ask for and ``scanimage_command`` the
argument list that scans it. Pages are asked for as PNM, not PNG: scanimage's
libpng encoding takes ~2 s for an A4 300-dpi page, OpenCV's ~0.15 s.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from livedigits.errors import LivedigitsError

DEFAULT_TIMEOUT = 60.0  # seconds without a byte from scanimage before it counts as hung
LIST_TIMEOUT = 30.0  # network discovery (airscan/escl) can take several seconds
INSTALL_HINT = ("scanimage not found: install SANE's command-line tools "
                "(Debian/Ubuntu: sudo apt install sane-utils)")
NO_DEVICE_HINT = ("no scanner found: check it is plugged in (or on the network) and switched on, "
                  "that `scanimage -L` lists it, and that you may use it (add yourself to the "
                  "`scanner` group, then log in again)")


@dataclass(frozen=True)
class Device:
    """One scanner as ``scanimage -f`` describes it."""

    name: str
    vendor: str = ""
    model: str = ""
    kind: str = ""

    def describe(self) -> str:
        """``name  vendor model (kind)`` for listings."""
        label = " ".join(p for p in (self.vendor, self.model) if p)
        return f"{self.name}  {label} ({self.kind})" if self.kind else f"{self.name}  {label}"

    def to_dict(self) -> dict:
        return {"device": self.name, "vendor": self.vendor, "model": self.model,
                "type": self.kind}


@dataclass
class ScanSettings:
    """What to ask ``scanimage`` for.

    ``options`` are ``(name, value)`` pairs passed on as ``--name=value``.
    ``timeout`` is seconds without any output from ``scanimage`` (progress
    included) after which the backend counts as hung and is stopped.
    """

    device: str
    resolution: int | None = 300
    mode: str | None = None
    source: str | None = None
    batch: bool = False
    options: Sequence[tuple[str, str]] = field(default_factory=tuple)
    timeout: float = DEFAULT_TIMEOUT


def scanimage_path() -> str:
    """The ``scanimage`` executable; LivedigitsError with an install hint when missing."""
    found = shutil.which("scanimage")
    if found is None:
        raise LivedigitsError(INSTALL_HINT)
    return found


def parse_option(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` (a leading ``--`` is allowed) as ``(name, value)``."""
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("-")
    if not sep or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise LivedigitsError(f"backend option {text!r} is not NAME=VALUE "
                              "(for example -o filename=page.pnm)")
    return name, value


def list_devices(*, timeout: float = LIST_TIMEOUT) -> list[Device]:
    """The scanners SANE sees, in its order (``scanimage -f``)."""
    exe = scanimage_path()
    try:
        done = subprocess.run([exe, "-f", "%d\t%v\t%m\t%t%n"], capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise LivedigitsError(f"looking for scanners took over {timeout:g} s and was stopped; "
                              "run `scanimage -L` to see which backend hangs") from None
    devices = []
    for line in done.stdout.splitlines():
        parts = line.split("\t")
        if parts[0].strip():
            parts += [""] * (4 - len(parts))
            devices.append(Device(*(p.strip() for p in parts[:4])))
    return devices


def _model_key(device: Device) -> str:
    return re.sub(r"[^a-z0-9]", "", f"{device.vendor}{device.model}".lower())


def default_device(devices: Sequence[Device]) -> Device:
    """The only or first device; a network scanner seen as both ``airscan:`` and ``escl:``
    counts once, as its ``airscan:`` entry (that backend copes better with its quirks).
    """
    if not devices:
        raise LivedigitsError(NO_DEVICE_HINT)
    airscan = [_model_key(d) for d in devices if d.name.startswith("airscan:")]

    def twin(device: Device) -> bool:
        key = _model_key(device)
        return bool(key) and any(key in other or other in key for other in airscan if other)

    for device in devices:
        if device.name.startswith("escl:") and twin(device):
            continue
        return device
    return devices[0]


def scanimage_command(settings: ScanSettings, pattern: Path) -> list[str]:
    """The ``scanimage`` argument list that writes each page to ``pattern`` (``%d`` = page)."""
    cmd = [scanimage_path(), "-d", settings.device, "--format=pnm", f"--batch={pattern}",
           "--batch-print", "--progress"]
    if not settings.batch:
        cmd.append("--batch-count=1")
    if settings.resolution:
        cmd.append(f"--resolution={settings.resolution}")
    if settings.mode:
        cmd.append(f"--mode={settings.mode}")
    if settings.source:
        cmd.append(f"--source={settings.source}")
    cmd += [f"--{name}={value}" for name, value in settings.options]
    return cmd
