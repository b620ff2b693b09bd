"""``livedigits calibrate sheet|read|report``: handwriting profiles.

Only typer, the standard library and livedigits.cli.options are imported here; cv2,
numba and numpy load inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from livedigits.cli.options import JsonFlag
from livedigits.records import json_line, stamped

app = typer.Typer(
    help="Calibration sheets and personal handwriting profiles.\n\n"
         "Print the sheet (`livedigits calibrate sheet`), fill it in, photograph or scan it, "
         "then `livedigits calibrate read PHOTO --profile NAME`, and use the profile with "
         "`--profile NAME` on image, live and scan. Profiles are kept in a per-user folder "
         "($LIVEDIGITS_CALIBRATION overrides it; `livedigits calibrate list` shows it), so "
         "a name works from any folder; --profile PATH.npz reads or writes that file.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command()
def sheet(
    out: Annotated[Path, typer.Option("--out", "-O", file_okay=False,
                                      help="Folder for calibration_sheet.png and .pdf.")
                   ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Replace existing sheet files.")
                     ] = False,
) -> None:
    """Write the printable calibration sheet: A4, PNG at 300 dpi and PDF.

    Ten rows of ten boxes, one row per digit 0-9, a name line and four corner markers
    that let `calibrate read` find the page in a photo at any angle. Print at 100%.
    The folder is created when missing; existing sheet files are kept unless --force.
    """
    from livedigits.calibrate.printable import write_sheet
    from livedigits.errors import LivedigitsError

    try:
        png, pdf = write_sheet(out, force=force)
    except OSError as exc:
        raise LivedigitsError(f"{out}: cannot write ({exc.strerror})") from None
    typer.echo(f"wrote {png} and {pdf}")


@app.command()
def read(
    file: Annotated[Path, typer.Argument(help="Photo or scan of the filled sheet.",
                                         show_default=False)],
    profile: Annotated[str, typer.Option("--profile", help="Name of the profile to write "
                                                           "(into the profiles folder), or "
                                                           "a PATH.npz to write.",
                                         show_default=False)],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")
                           ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing profile.")
                     ] = False,
    layout: Annotated[str, typer.Option(
        "--layout", help="sheet: the printed sheet with markers; rows: a plain page of "
                         "handwritten rows, one digit per row.")] = "sheet",
    order: Annotated[str, typer.Option(
        "--order", help="With --layout rows: the rows' digits, top row first.")
    ] = "1234567890",
) -> None:
    """Read a filled calibration sheet into a handwriting profile.

    Writes NAME.npz (the cells and their labels) in the profiles folder, or the
    PATH.npz given, and NAME_contact.png beside it (every cell read, with its label,
    for you to check). Empty and scribbled boxes are skipped. An existing profile is
    kept unless --force.

    Example: livedigits calibrate read photo.jpg --profile alice
    """
    from livedigits.calibrate.profile import read_file, save_profile
    from livedigits.training.profiles import profile_target

    if layout not in ("sheet", "rows"):
        raise typer.BadParameter("use sheet or rows", param_hint="--layout")
    profile_target(profile)  # a bad name fails before the photo is read
    reading = read_file(file, layout=layout, order=order)
    path, contact = save_profile(profile, reading, force=force)
    per_digit = reading.per_digit()
    if json_output:
        typer.echo(json_line(stamped({"profile": profile, "samples": len(reading.labels),
                                      "per_digit": per_digit})))
        return
    for note in reading.notes:
        typer.echo(f"livedigits: {note}", err=True)
    skipped = ""
    if layout == "sheet":
        skipped = f" ({reading.empty} empty and {reading.scribbled} scribbled boxes skipped)"
    typer.echo(f"read {len(reading.labels)} digits{skipped}: "
               + " ".join(f"{d}:{k}" for d, k in per_digit.items()))
    typer.echo(f"wrote {path}; check the cells in {contact}")


@app.command(name="list")
def list_(json_output: JsonFlag = False) -> None:
    """The handwriting profiles there are: name, digits per class, file.

    Profiles given by name are looked up in the profiles folder
    ($LIVEDIGITS_CALIBRATION, else a per-user data folder), then in ./calibration,
    where earlier versions wrote them.
    """
    from livedigits.paths import calibration_dir
    from livedigits.training.profiles import list_profiles

    found = list_profiles()
    if json_output:
        for entry in found:
            typer.echo(json_line(stamped(entry)))
        return
    if not found:
        typer.echo(f"no handwriting profiles yet in {calibration_dir()}; make one with "
                   "`livedigits calibrate read PHOTO --profile NAME`")
        return
    typer.echo(f"profiles folder: {calibration_dir()}")
    width = max(len(e["profile"]) for e in found)
    for entry in found:
        if "error" in entry:
            typer.echo(f"{entry['profile']:<{width}}  damaged: {entry['error']}")
            continue
        counts = " ".join(f"{d}:{n}" for d, n in entry["per_digit"].items())
        typer.echo(f"{entry['profile']:<{width}}  {entry['samples']:>4} digits ({counts})  "
                   f"{entry['path']}")


@app.command()
def report(
    name: Annotated[str, typer.Argument(help="Profile name or .npz path.", show_default=False)],
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds.")] = 5,
    json_output: JsonFlag = False,
) -> None:
    """A writer's accuracy before and after calibration.

    Before: a model from digits.png alone reads every cell of the profile. After: the
    profile's cells are split into folds, and each fold is read by a model from
    digits.png plus the other folds. Both models are fitted with one augmented copy
    per digit to keep this quick, so figures may differ slightly from the default model.
    """
    from livedigits.calibrate.report import profile_report

    result = profile_report(name, folds=folds)
    if json_output:
        typer.echo(json_line(stamped(result)))
        return
    typer.echo(f"profile {name}: {result['samples']} samples, {result['folds']}-fold "
               "cross-validation (models with 1 augmented copy per digit)")
    typer.echo(f"accuracy before: {result['before'] * 100:.1f}%   "
               f"after: {result['after'] * 100:.1f}%")
    typer.echo("digit      n   before    after")
    for digit, row in result["per_digit"].items():
        if row["n"]:
            typer.echo(f"{digit:>5}  {row['n']:>5}  {row['before'] * 100:6.1f}%  "
                       f"{row['after'] * 100:6.1f}%")
