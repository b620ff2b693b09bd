"""``livedigits image``: read the digits in image files and print them as text, JSON, TSV
or hOCR."""

from __future__ import annotations

import logging
import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from livedigits.cli.options import (
    JsonFlag,
    MinConfidence,
    ModelFile,
    OutDir,
    Profile,
    load_recognizer,
)
from livedigits.errors import LivedigitsError
from livedigits.pages import formats
from livedigits.records import error_record, json_line, stamped

log = logging.getLogger("livedigits")


class ImageFormat(str, Enum):
    """What ``image`` prints."""

    text = "text"
    json = "json"
    tsv = "tsv"
    hocr = "hocr"


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
