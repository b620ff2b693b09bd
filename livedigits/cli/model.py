"""``livedigits train`` and ``eval``: build a model file, score one on digits.png's held-out
tenth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from livedigits.cli.options import (
    ModelFile,
    Profile,
)
from livedigits.errors import LivedigitsError
from livedigits.records import json_line, stamped


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
