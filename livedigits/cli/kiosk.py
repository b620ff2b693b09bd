"""``livedigits kiosk install``, and the kiosk options of ``livedigits live``.

Only typer, the standard library and livedigits.errors are imported here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from livedigits.errors import LivedigitsError

Title = Annotated[str, typer.Option(
    "--title", help="Kiosk: the event's title, shown along the top of the screen.")]
AttractAfter = Annotated[float, typer.Option(
    "--attract-after", min=1.0, metavar="SECONDS",
    help="Kiosk: show the attract screen (what to do) after this long without digits.")]
FrozenAfter = Annotated[float, typer.Option(
    "--frozen-after", min=0.0, metavar="SECONDS",
    help="A camera whose picture stays identical this long counts as lost and is "
         "reconnected (0: never).")]
HealthEvery = Annotated[float, typer.Option(
    "--health-every", min=0.1, metavar="SECONDS",
    help="Kiosk: a health line in the log this often (frames, fps, reconnects, memory).")]
StallLimit = Annotated[float, typer.Option(
    "--stall-limit", min=1.0, metavar="SECONDS",
    help="Kiosk: exit with status 1 when a working source gives no new picture this long.")]

app = typer.Typer(
    help="Run livedigits as a kiosk: full screen, started at login, restarted on failure.\n\n"
         "`livedigits kiosk install --source 0 --title 'Science fair'` writes a systemd user "
         "unit; `systemctl --user enable --now livedigits-kiosk` starts it.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def install(
    ctx: typer.Context,
    source: Annotated[str, typer.Option(
        "--source", "-s", help="What the kiosk reads: camera index, device, video, URL.")
    ] = "0",
    title: Title = "",
    display: Annotated[str, typer.Option(
        help="X display the kiosk shows on (default: $DISPLAY, else :0).")] = "",
    save_dir: Annotated[Path | None, typer.Option(
        "--save-dir", file_okay=False, help="Folder for snapshots (and the working "
                                            "folder); default: home.")] = None,
    autostart: Annotated[bool, typer.Option(
        "--autostart", help="Also write an XDG autostart entry that starts the unit at a "
                            "desktop login.")] = False,
    unit_dir: Annotated[Path | None, typer.Option(
        "--unit-dir", file_okay=False,
        help="Where the unit goes (default: ~/.config/systemd/user).")] = None,
    autostart_dir: Annotated[Path | None, typer.Option(
        "--autostart-dir", file_okay=False,
        help="Where the autostart entry goes (default: ~/.config/autostart).")] = None,
    enable: Annotated[bool, typer.Option(
        "--enable", help="Also run systemctl --user daemon-reload and enable --now.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace files already there.")
                     ] = False,
    print_only: Annotated[bool, typer.Option(
        "--print", help="Print the unit instead of writing it.")] = False,
) -> None:
    """Write a systemd user unit that runs `livedigits live --kiosk` and restarts it.

    The unit (livedigits-kiosk.service) starts at login, restarts 5 s after any exit
    with an error (window closed, camera gone for good, no new picture), without limit;
    q or Esc quits for good. The kiosk itself keeps the screen awake (screen saver and
    DPMS off). Options after the known ones go to `live` unchanged, e.g. `--loop`.

    Example: livedigits kiosk install --source 0 --title "Open day" --enable
    """
    from livedigits.live.kiosk_install import UNIT_NAME, KioskSetup, install, unit_text

    setup = KioskSetup(source=source, title=title, display=display,
                       save_dir=save_dir.resolve() if save_dir else None,
                       extra=list(ctx.args))
    _check_live_arguments(setup.command()[4:])
    if print_only:
        typer.echo(unit_text(setup), nl=False)
        return
    written = install(setup, unit_dir=unit_dir, autostart_dir=autostart_dir,
                      autostart=autostart, force=force)
    for path in written:
        typer.echo(f"wrote {path}")
    steps = [["systemctl", "--user", "daemon-reload"],
             ["systemctl", "--user", "enable", "--now", UNIT_NAME]]
    if not enable:
        typer.echo("start it now and at every login with:\n  "
                   + "\n  ".join(" ".join(step) for step in steps))
        if unit_dir is None:
            typer.echo("to start it at boot without anyone logging in: "
                       "sudo loginctl enable-linger $USER")
        return
    if not shutil.which("systemctl"):
        raise LivedigitsError("systemctl not found: start the kiosk another way (see README, "
                              "Kiosk)")
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            raise LivedigitsError(
                f"{' '.join(step)} failed: {done.stderr.strip() or done.returncode}")
    typer.echo(f"{UNIT_NAME} enabled and started")


def _check_live_arguments(arguments: list[str]) -> None:
    """Exit 2 with live's own message when ``arguments`` are not a valid ``live`` command
    line: a unit that cannot start would be restarted every few seconds for ever."""
    from livedigits.cli.root import app as cli_app

    live = typer.main.get_command(cli_app).commands["live"]
    try:
        live.make_context("live", list(arguments))
    except Exception as exc:  # the CLI library's usage errors (its own exception classes)
        if not hasattr(exc, "format_message"):
            raise
        typer.echo(f"livedigits: not a valid `live` command line for the kiosk, nothing "
                   f"written: {exc.format_message()}", err=True)
        raise typer.Exit(2) from None
