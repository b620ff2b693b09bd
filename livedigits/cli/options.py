"""Command-line options and helpers shared by several commands, declared once.

Only typer and the standard library are imported here, so command modules that
use these stay cheap to import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

OutDir = Annotated[
    Path, typer.Option("--out", "-O", help="Folder for the overlay and plain images.",
                       file_okay=False)
]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON Lines (one object per image) instead of text.")
]
MinConfidence = Annotated[
    float,
    typer.Option("--min-confidence", min=0.0, max=1.0,
                 help="Vote share under which a digit counts as unsure: '?' in the text, "
                      "an orange box in the overlay."),
]
Profile = Annotated[
    str | None,
    typer.Option("--profile", help="Handwriting profile to add to the model: a name in the "
                                   "profiles folder (`livedigits calibrate list`) or a "
                                   "PATH.npz."),
]
ModelFile = Annotated[
    Path | None,
    typer.Option("--model", help="Model file written by `livedigits train` (default: the "
                                 "built-in model, cached)."),
]


def load_recognizer(profile: str | None, model: Path | None, min_confidence: float = 0.6,
                    *, quick_start: bool = True):
    """The Recognizer for a command's --profile/--model/--min-confidence options.

    With ``quick_start`` (a command reading in this process) kernels not compiled for
    this machine yet are stood in for by reference code while they compile in the
    background (``kernels.ready``); ``batch``, whose workers read, compiles them.
    """
    from livedigits.kernels import allow_references
    from livedigits.pages.memory import reuse_freed_memory
    from livedigits.recognize.recognizer import Recognizer

    allow_references(quick_start)
    reuse_freed_memory()  # commands that load a recognizer go on to process many images
    recognizer = Recognizer.load(profile, model_path=model)
    recognizer.min_confidence = min_confidence
    return recognizer
