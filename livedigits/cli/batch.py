"""``livedigits batch``: folders of images to a resumable JSON Lines file, on all cores.

Only typer, the standard library and livedigits.cli.options are imported at module
level, so ``livedigits --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from livedigits.cli.options import MinConfidence, ModelFile, Profile, load_recognizer


def batch(
    inputs: Annotated[list[str], typer.Argument(
        metavar="INPUTS...", show_default=False,
        help="Folders (searched recursively for images), glob patterns ('scans/**/*.png') "
             "or list files (@list.txt or a .txt file: one path a line).")],
    out: Annotated[Path, typer.Option(
        "--out", "-O", "-o", dir_okay=False, show_default=False,
        help="Results file, JSON Lines (one `image --json` object a line), appended to.")],
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=0, show_default=False,
        help="Worker processes [default: one per core]; 0 reads in this process.")] = None,
    overlays: Annotated[Path | None, typer.Option(
        "--overlays", file_okay=False,
        help="Also write each image's STEM_overlay.png and STEM_digits.png here.")] = None,
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", dir_okay=False,
        help="Also write the results as a table: file, text, count, mean_confidence, "
             "error.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="tcp://HOST:PORT",
        help="Run on this Dask distributed cluster instead of local processes; the "
             "images (and --overlays) must be on a path every worker sees. Needs "
             "pip install 'livedigits[dask]'.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing --csv file that is not a table a batch "
                        "wrote.")] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Read again the images whose line in --out is an error "
                               "(temporary failures, e.g. a full disk, are always read "
                               "again).")] = False,
    min_confidence: MinConfidence = 0.6,
    profile: Profile = None,
    model: ModelFile = None,
) -> None:
    """Read the handwritten digits in many image files, on every core or on a cluster.

    Writes one line per image to --out as `image --json` prints it (completion order),
    each line flushed as it is done; an image that cannot be read gets a line with
    "error" and the batch goes on (exit status 1 at the end). Rerunning the same command
    skips the images already in --out, so an interrupted batch resumes where it stopped.
    A progress bar with rate and ETA is drawn when stderr is a terminal.

    Examples: livedigits batch scans/ --out results.jsonl --csv results.csv;
    livedigits batch 'forms/**/*.jpg' @more.txt --out r.jsonl --workers 4;
    livedigits batch /shared/scans --out r.jsonl --scheduler tcp://10.0.0.5:8786
    """
    from livedigits.pages.batch import run_batch
    from livedigits.pages.batch_results import check_outputs

    check_outputs(out, csv_file, force=force)  # before the model loads: fail fast
    # Builds the cache once; the workers read, with kernels compiled.
    recognizer = load_recognizer(profile, model, min_confidence, quick_start=False)
    summary = run_batch(inputs, out=out, recognizer=recognizer, workers=workers,
                        overlays=overlays, csv_path=csv_file, scheduler=scheduler,
                        force=force, retry_failed=retry_failed)
    skipped = f", {summary.skipped} already done" if summary.skipped else ""
    errors = f", {summary.errors} failed" if summary.errors else ""
    if summary.earlier_errors:
        errors += (f", {summary.earlier_errors} failed in an earlier run (their lines in "
                   f"{out} say why; --retry-failed tries them again)")
    typer.echo(f"livedigits: {summary.done} images read in {summary.seconds:.1f} s "
               f"({summary.rate:.1f} img/s){skipped}{errors} -> {out}", err=True)
    if summary.errors or summary.earlier_errors:
        raise typer.Exit(1)
