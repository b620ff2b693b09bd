"""The ``livedigits`` command line's root: its options, every command group registered in
``--help``'s order, and the entry point. Each command lives in its group's module here:
parse, call the library, print.

Heavy modules (cv2, numba) are imported inside the commands that need them,
so ``livedigits --help`` and ``--version`` stay instant.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from livedigits import __version__
from livedigits.cli.style import RootGroup, configure_logging, quiet_native_logs

app = typer.Typer(
    name="livedigits",
    help=(
        "Live handwritten-digit recognition: point a webcam at a handwritten sheet, read "
        "photos and scans, or pages straight from a document scanner.\n\n"
        "Start with `livedigits demo` (no camera needed), then `livedigits live` with a "
        "webcam, or `livedigits image sheet.png`."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    cls=RootGroup,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"livedigits {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Print the version and exit.")
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, show_default=False,
                          help="Show the stages and their timings, and OpenCV's and FFmpeg's "
                               "own messages (-vv: debug). Before or after the command.")
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q",
                           help="Only results and errors: no warnings or notes on stderr.")
    ] = False,
) -> None:
    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose ask for opposite things; give one",
                                 param_hint="--quiet")
    configure_logging(verbose, quiet)
    quiet_native_logs(verbose)


from livedigits.cli import image as _image  # noqa: E402
from livedigits.cli import model as _model  # noqa: E402
from livedigits.cli import tools as _tools  # noqa: E402

app.command(name="image")(_image.image)
app.command(name="train")(_model.train)
app.command(name="eval")(_model.evaluate)
app.command(name="bench")(_tools.bench)


from livedigits.cli import scan as _scan  # noqa: E402

app.command(name="scan")(_scan.scan)


from livedigits.cli import live as _live  # noqa: E402

app.command(name="live")(_live.live)
app.command(name="demo")(_live.demo)
app.command(name="cameras")(_live.cameras)
app.command(name="doctor")(_tools.doctor)


from livedigits.cli import calibrate as _calibrate  # noqa: E402

app.add_typer(_calibrate.app, name="calibrate")

from livedigits.cli import kiosk as _kiosk  # noqa: E402

app.add_typer(_kiosk.app, name="kiosk")


from livedigits.cli import batch as _batch  # noqa: E402

app.command(name="batch")(_batch.batch)


def main() -> None:
    """Console-script entry point."""
    try:
        app()  # RootGroup turns a LivedigitsError into its message and exit status 1
    except KeyboardInterrupt:
        typer.echo("livedigits: interrupted", err=True)
        sys.exit(130)
