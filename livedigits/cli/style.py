"""How the command line parses and prints, beside what its commands do.

- A ``LivedigitsError`` out of any command is printed as ``livedigits: message`` on
  stderr and exits 1, here and nowhere else: commands let it rise.
- ``-v``/``-vv``/``-q`` are the root's options, yet work after the subcommand too
  (``livedigits image a.png -v``): the root group moves them to the front.
- ``--out`` is ``-O`` in every command; train's and batch's ``--out`` also take ``-o``,
  their short name before, but no longer show it (``QUIET_NAMES``): scan's ``-o`` is
  ``--option``, passed on to SANE.
- Usage lines read as Click's and most tools' do (``FILE...``, ``[NAME]``), and a list
  argument's type is its element's (``<path>``), where Typer's own style prints
  ``{files}...`` and ``<list[Path]>``.
- ``quiet_native_logs`` keeps OpenCV's and FFmpeg's own log lines (``[ WARN:0@...]``,
  ``[tcp @ 0x...] Connection refused``) off stderr unless ``-v``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Any, get_args

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from livedigits.errors import LivedigitsError

LOUDNESS = {"-v": 1, "--verbose": 1, "-vv": 2, "-vvv": 3, "-q": 0, "--quiet": 0}


def hoist_loudness(args: list[str]) -> list[str]:
    """``args`` with the verbosity flags (``-v``, ``-vv``, ``--verbose``, ``-q``,
    ``--quiet``) moved to the front, up to a ``--`` (after which nothing is an option)."""
    if "--" in args:
        stop = args.index("--")
        head, tail = args[:stop], args[stop:]
    else:
        head, tail = args, []
    flags = [a for a in head if a in LOUDNESS]
    return flags + [a for a in head if a not in LOUDNESS] + tail


class RootGroup(TyperGroup):
    """The ``livedigits`` group: verbosity flags are taken wherever they stand, and a
    ``LivedigitsError`` from any command (sub-groups' too) ends it with its message."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_loudness(list(args)))

    def invoke(self, ctx: Any) -> Any:
        # Every command runs inside this call, through ``livedigits`` and through the
        # tests' CliRunner alike (both go through the group's ``main``).
        try:
            return super().invoke(ctx)
        except LivedigitsError as exc:
            typer.echo(f"livedigits: {exc}", err=True)
            raise typer.Exit(1) from None


def _usage_name(self: TyperArgument) -> str:
    name = _help_name(self)
    return name if self.required else f"[{name}]"


def _display_type(self: TyperArgument, ctx: Any) -> str:
    desc = self.type_descriptor
    if desc.is_list and not desc.is_choice:
        (element,) = get_args(desc.annotation) or (str,)
        return f"<{self._bare_type(element).lower()}>"
    return _typer_display_type(self, ctx)


def _help_name(self: TyperArgument) -> str:
    name = (self.metavar or self.name or "").upper()
    return name + "..." if self.nargs != 1 and not name.endswith("...") else name


_typer_display_type = getattr(TyperArgument, "display_type", None)
if _typer_display_type is not None and hasattr(TyperArgument, "_usage_display_name"):
    # Typer >= 0.20's own help style; older ones print Click's, which these match.
    TyperArgument._usage_display_name = _usage_name
    TyperArgument.display_type = _display_type
    TyperArgument._rich_display_name = _help_name


#: Names an option still takes but shows neither in help nor in error messages, by the
#: option's long name.
QUIET_NAMES = {"--out": "-o"}


def _shown_names(names: list[str]) -> list[str]:
    quiet = {QUIET_NAMES[name] for name in names if name in QUIET_NAMES}
    return [name for name in names if name not in quiet]


def _quiet_names_unshown(method: Any) -> Any:
    """``method`` of an option, run with the option's quiet names out of its ``opts``."""
    def shown_only(self: TyperOption, *args: Any) -> Any:
        every = self.opts
        self.opts = _shown_names(every)
        try:
            return method(self, *args)
        finally:
            self.opts = every
    return shown_only


TyperOption.get_help_record = _quiet_names_unshown(TyperOption.get_help_record)
TyperOption.get_error_hint = _quiet_names_unshown(TyperOption.get_error_hint)


def configure_logging(verbose: int, quiet: bool) -> None:
    """Log level for ``-v`` (INFO: stages and timings), ``-vv`` (DEBUG) or ``-q``
    (errors only); records go to one stderr handler as ``livedigits: message``."""
    if quiet:
        level = logging.ERROR
    elif verbose:
        level = logging.INFO if verbose == 1 else logging.DEBUG
    else:
        level = logging.WARNING
    logging.basicConfig(format="livedigits: %(message)s", stream=sys.stderr)
    logging.getLogger("livedigits").setLevel(level)


def quiet_native_logs(verbose: int) -> None:
    """Silence OpenCV's and FFmpeg's own log lines unless ``verbose``; a value the user
    set in the environment is kept. Takes effect for cv2 imported after this call, and
    for OpenCV's level also when cv2 is already imported."""
    if verbose:
        return
    # livedigits reports every failure itself, in one line naming the source.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    cv2 = sys.modules.get("cv2")
    if cv2 is not None and os.environ["OPENCV_LOG_LEVEL"] == "SILENT":
        with contextlib.suppress(AttributeError, cv2.error):
            cv2.setLogLevel(0)  # cv2.utils.logging.LOG_LEVEL_SILENT
