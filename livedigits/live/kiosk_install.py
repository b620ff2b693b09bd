"""Starting a kiosk at login and restarting it when it fails: a systemd user unit and an
XDG autostart entry. Standard library only (the ``kiosk`` command imports this).

The unit runs ``livedigits live --kiosk`` with ``Restart=on-failure``: livedigits exits
with status 1 on an unrecoverable error (the window closed, a source that stopped for
good or gives no new picture), and systemd starts it again after ``RestartSec``, with no
limit on the number of restarts. ``WantedBy=default.target`` starts it at login; until
the X display is up the start fails and is retried. Screen blanking and DPMS are
switched off by the kiosk itself once its window is open (nothing else to install).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from livedigits.errors import LivedigitsError

UNIT_NAME = "livedigits-kiosk.service"
AUTOSTART_NAME = "livedigits-kiosk.desktop"
RESTART_SECONDS = 5
_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def config_home() -> Path:
    """``$XDG_CONFIG_HOME``, else ``~/.config``."""
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".config"


def _systemd_word(word: str) -> str:
    """One ExecStart argument, quoted and escaped as systemd.service(5) reads it."""
    quoted = word if word and _PLAIN.fullmatch(word) else (
        '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return quoted.replace("%", "%%").replace("$", "$$")


def _desktop_word(word: str) -> str:
    """One Exec argument as the Desktop Entry Specification quotes it."""
    if word and _PLAIN.fullmatch(word) and "%" not in word:
        return word
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in word)
    return '"' + escaped.replace("%", "%%") + '"'


@dataclass
class KioskSetup:
    """What the kiosk runs and where: the ``live`` command line and its environment."""

    source: str = "0"
    title: str = ""
    display: str = ""
    save_dir: Path | None = None
    extra: list[str] = field(default_factory=list)  # more ``live`` options, as given
    python: str = sys.executable

    def command(self) -> list[str]:
        """The ``livedigits live --kiosk ...`` argument list the unit runs."""
        words = [self.python, "-m", "livedigits", "live", "--kiosk", "--source", self.source]
        if self.title:
            words += ["--title", self.title]
        if self.save_dir is not None:
            words += ["--save-dir", str(self.save_dir)]
        return words + list(self.extra)

    def environment(self) -> dict[str, str]:
        """DISPLAY (and XAUTHORITY when there is one) for a unit started outside X."""
        env = {"DISPLAY": self.display or os.environ.get("DISPLAY", "") or ":0",
               "PYTHONUNBUFFERED": "1"}
        auth = os.environ.get("XAUTHORITY") or str(Path.home() / ".Xauthority")
        if Path(auth).is_file():
            env["XAUTHORITY"] = auth
        return env


def unit_text(setup: KioskSetup) -> str:
    """The systemd user unit (``livedigits-kiosk.service``) for ``setup``."""
    env = "".join(f"Environment={_systemd_word(f'{k}={v}')}\n"
                  for k, v in setup.environment().items())
    working = setup.save_dir or Path.home()
    return (
        "[Unit]\n"
        "Description=livedigits kiosk: handwritten digits read live on screen\n"
        "After=graphical-session.target\n"
        "# Retry for as long as it takes (the display may come up late).\n"
        "StartLimitIntervalSec=0\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"{env}"
        f"WorkingDirectory={_systemd_word(str(working))}\n"
        f"ExecStart={' '.join(_systemd_word(w) for w in setup.command())}\n"
        "# livedigits exits 1 on an unrecoverable error (window closed, camera gone for\n"
        "# good, no new picture); q or Esc on the keyboard quits with 0 and stays down.\n"
        "Restart=on-failure\n"
        f"RestartSec={RESTART_SECONDS}\n"
        "# The kiosk switches screen blanking and DPMS off itself once its window is open.\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def autostart_text(setup: KioskSetup, *, systemctl: str | None = None) -> str:
    """The XDG autostart entry: starts the unit (restarts included) at a desktop login.

    Without systemd (``systemctl`` None and none on PATH) it runs the kiosk directly, and
    nothing restarts it.
    """
    systemctl = systemctl or shutil.which("systemctl")
    words = [systemctl, "--user", "start", UNIT_NAME] if systemctl else setup.command()
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=livedigits kiosk\n"
        "Comment=Handwritten digits read live on screen\n"
        f"Exec={' '.join(_desktop_word(w) for w in words)}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def install(setup: KioskSetup, *, unit_dir: Path | None = None,
            autostart_dir: Path | None = None, autostart: bool = False,
            force: bool = False) -> list[Path]:
    """Write the unit (and the autostart entry); the paths written.

    Raises LivedigitsError naming the file when one exists already (unless ``force``)
    or cannot be written.
    """
    from livedigits.atomic import write_bytes_atomic

    unit_dir = unit_dir or config_home() / "systemd" / "user"
    targets = [(unit_dir / UNIT_NAME, unit_text(setup))]
    if autostart:
        folder = autostart_dir or config_home() / "autostart"
        targets.append((folder / AUTOSTART_NAME, autostart_text(setup)))
    for path, _ in targets:
        if path.exists() and not force:
            raise LivedigitsError(f"{path} exists already: add --force to replace it")
    written = []
    for path, text in targets:
        try:
            written.append(write_bytes_atomic(path, text.encode(), overwrite=True))
        except OSError as exc:
            raise LivedigitsError(f"cannot write {path}: {exc.strerror or exc}") from None
    return written
