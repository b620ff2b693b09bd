"""The ``livedigits`` command line: parse, call the library, print.

Heavy modules (cv2, numba) are imported inside the commands that need them,
so ``livedigits --help`` and ``--version`` stay instant.
"""

from __future__ import annotations

import logging
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from livedigits import __version__
from livedigits.cli.options import (
    JsonFlag,
    MinConfidence,
    ModelFile,
    OutDir,
    Profile,
    load_recognizer,
)
from livedigits.cli.style import RootGroup, configure_logging, quiet_native_logs
from livedigits.errors import LivedigitsError
from livedigits.pages import formats
from livedigits.records import error_record, json_line, stamped

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

log = logging.getLogger("livedigits")



class ImageFormat(str, Enum):
    """What ``image`` prints."""

    text = "text"
    json = "json"
    tsv = "tsv"
    hocr = "hocr"

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


@app.command()
def image(
    files: Annotated[list[Path], typer.Argument(help="Image files (PNG, JPEG, TIFF, BMP, PNM).",
                                                metavar="FILE", show_default=False)],
    out: OutDir = Path("."),
    json_output: JsonFlag = False,
    min_confidence: MinConfidence = 0.6,
    profile: Profile = None,
    model: ModelFile = None,
    no_images: Annotated[bool, typer.Option("--no-images",
                                            help="Do not write overlay/plain images.")] = False,
    output_format: Annotated[
        ImageFormat, typer.Option("--format", "-f",
                          help="What to print: the text read, JSON Lines (as --json), "
                               "tesseract's TSV of boxes (a number is a word) or hOCR "
                               "(each digit's box as ocrx_cinfo).")] = ImageFormat.text,
) -> None:
    """Read the handwritten digits in image files.

    For each FILE writes STEM_overlay.png (green boxes, blue numbers) and STEM_digits.png
    (the numbers alone on white) into --out, and prints the numbers read: digits standing
    close together form one number, numbers are separated by spaces, lines by newlines,
    an unsure digit is '?'; a file with no digits prints "(no digits found)" on stderr.
    With --json (or --format json) prints one JSON object per file instead; --format tsv
    and --format hocr print what tesseract prints with those names, one page per file.
    A file that cannot be read is reported and skipped; the exit status is then 1.

    Example: livedigits image scan1.png photo.jpg --out results/ --json
    """
    from livedigits.pages.page import process_file

    output_format = ImageFormat(output_format).value
    if json_output and output_format not in ("text", "json"):
        raise typer.BadParameter(f"--json and --format {output_format} ask for two outputs; "
                                 "give one", param_hint="--format")
    if json_output:
        output_format = "json"
    start = time.perf_counter()
    recognizer = load_recognizer(profile, model, min_confidence)
    log.info("model: %r, ready in %.2f s", recognizer, time.perf_counter() - start)
    failed = 0
    if output_format == "tsv":
        typer.echo(formats.TSV_HEADER)
    elif output_format == "hocr":
        typer.echo(formats.hocr_head(), nl=False)
    for page, path in enumerate(files, 1):
        start = time.perf_counter()
        try:
            result = process_file(recognizer, path, out_dir=None if no_images else out)
            log.info("%s: %dx%d, %d digits on %d lines, read%s in %.0f ms", path,
                     result["width"], result["height"], len(result["detections"]),
                     len(result["text"].splitlines()), "" if no_images else " and drawn",
                     1000 * (time.perf_counter() - start))
        except LivedigitsError as exc:
            failed += 1
            result = getattr(exc, "reading", None)  # read, but its images not written
            typer.echo(f"livedigits: {exc}", err=True)
            if result is None:
                if output_format == "json":
                    typer.echo(json_line(error_record(str(path), str(exc))))
                continue
        if output_format == "json":
            typer.echo(json_line(stamped(result)))
        elif output_format == "tsv":
            typer.echo("\n".join(formats.tsv_rows(result, page)))
        elif output_format == "hocr":
            typer.echo(formats.hocr_page(result, page), nl=False)
        else:
            if len(files) > 1:
                typer.echo(f"== {path}")
            if result["detections"]:
                typer.echo(result["text"])
            elif log.isEnabledFor(logging.WARNING):  # a note, not with --quiet
                typer.echo(f"{path}: (no digits found)", err=True)
    if output_format == "hocr":
        typer.echo(formats.HOCR_TAIL, nl=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def train(
    out: Annotated[Path, typer.Option("--out", "-O", "-o", dir_okay=False,
                                      help="Where to write the model (.npz).")
                   ] = Path("livedigits-model.npz"),
    profile: Profile = None,
    augment_copies: Annotated[int, typer.Option(min=0, max=20,
                                                help="Distorted copies of each digit.")] = 3,
    dims: Annotated[int, typer.Option(min=8, max=512,
                                      help="Dimensions kept of the HOG vectors.")] = 64,
    k: Annotated[int, typer.Option(min=1, max=50, help="Neighbours that vote.")] = 5,
    holdout: Annotated[bool, typer.Option(help="Leave digits.png's held-out tenth out.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")
                     ] = False,
) -> None:
    """Build a model from digits.png (and a handwriting profile) and save it.

    The default model is built the same way on first use and cached, so this is only
    needed to ship or inspect a model file; load it with --model. Missing folders of
    --out are created; an existing file is kept unless --force.
    """
    from livedigits.outputs import check_new_file
    from livedigits.training.build import build_default
    from livedigits.training.model import ModelParams

    params = ModelParams(augment_copies=augment_copies, dims=dims, k=k, holdout=holdout)
    start = time.perf_counter()
    try:
        check_new_file(out, force=force)  # before the build, not after it
        profile_path = None
        if profile:
            from livedigits.training.profiles import resolve_profile

            profile_path = resolve_profile(profile)
        fitted = build_default(params, profile=profile_path)
        check_new_file(out, force=force)  # another program may have written it meanwhile
        written = fitted.save(out)
    except OSError as exc:
        raise LivedigitsError(f"{out}: cannot write ({exc.strerror})") from None
    typer.echo(f"wrote {written}: {len(fitted.labels)} training vectors x {dims} dims "
               f"in {time.perf_counter() - start:.1f} s")


@app.command(name="eval")
def evaluate(
    model: ModelFile = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object: n, correct, accuracy, confusion, "
                       "seen.")] = False,
    allow_seen: Annotated[bool, typer.Option(
        "--allow-seen", help="Score a model trained on the held-out digits anyway (the "
                             "figure then says nothing about new digits; marked so).")] = False,
) -> None:
    """Accuracy on digits.png's held-out tenth (the last 10 columns), with a confusion matrix.

    Without --model, evaluates a model built like the default one but without the
    held-out digits, so no digit is scored that the model was trained on. A --model
    trained on them (`livedigits train` without --holdout) is refused unless
    --allow-seen, which marks the figure as one on seen digits.
    """
    from livedigits.tools.evaluate import heldout_report

    seen = False
    if model is not None:
        from livedigits.training.model import Model

        seen = not Model.load(model).params.holdout
        if seen and not allow_seen:
            raise LivedigitsError(
                f"{model}: this model was trained on digits.png's held-out tenth, so its "
                "score would be on digits it has seen; build one with `livedigits train "
                "--holdout`, or pass --allow-seen to score it anyway")
    report = heldout_report(model)
    report["seen"] = seen
    if json_output:
        typer.echo(json_line(stamped(report)))
        return
    if seen:
        typer.echo("livedigits: warning: the model was trained on these digits; the accuracy "
                   "below is on seen digits, not a test", err=True)
    typer.echo(f"{'accuracy on seen digits' if seen else 'held-out accuracy'}: "
               f"{report['accuracy'] * 100:.2f}% "
               f"({report['correct']}/{report['n']})")
    typer.echo("confusion (rows: true digit, columns: predicted)")
    typer.echo("     " + "".join(f"{d:>5}" for d in range(10)))
    for d, row in enumerate(report["confusion"]):
        typer.echo(f"{d:>5}" + "".join(f"{v:>5}" for v in row))


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="Fewer repetitions.")] = False,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print one JSON array, an object per row: what, value, unit, "
                       "baseline, bar, bar_op, ok, note (numbers as numbers).")] = False,
) -> None:
    """Measure accuracy and speed, each beside a baseline measured in the same run.

    Accuracy on digits.png's held-out tenth; HOG cells/s and k-NN queries/s against a
    plain-numpy version of the same math; ms per 1280x720 frame with 100 digits, clean
    and with a sheet on a desk (thin pen), and per A4 300-dpi page; wall time of
    `livedigits --help`. Kernels run on one thread (NUMBA_NUM_THREADS=1 is set for this
    command unless already set). Exits 1 when a figure misses its bar.
    """
    from livedigits.pages.memory import reuse_freed_memory
    from livedigits.tools.bench import format_value, missed_bars, run_bench

    reuse_freed_memory()

    rows = run_bench(quick=quick)
    missed = missed_bars(rows)
    if json_output:
        typer.echo(json_line([stamped(row) for row in rows]))
    else:
        width = max(len(r["what"]) for r in rows)
        typer.echo(f"{'what':<{width}}  {'livedigits':>14}  {'baseline':>14}  bar / note")
        for r in rows:
            typer.echo(f"{r['what']:<{width}}  {format_value(r['value'], r['unit']):>14}  "
                       f"{format_value(r.get('baseline'), r['unit']):>14}  "
                       f"{r.get('note', '')}")
        listed = "; ".join(f"{r['what']} ({format_value(r['value'], r['unit'])}, bar "
                           f"{r['bar_op']} {format_value(r['bar'], r['unit'])})"
                           for r in missed)
        typer.echo(f"bars missed: {listed or 'none'}")
    if missed:
        raise typer.Exit(1)


from livedigits.cli import scan as _scan  # noqa: E402

app.command(name="scan")(_scan.scan)


from livedigits.cli import live as _live  # noqa: E402

app.command(name="live")(_live.live)
app.command(name="demo")(_live.demo)
app.command(name="cameras")(_live.cameras)
app.command(name="doctor")(_live.doctor)


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
