"""``livedigits bench`` and ``doctor``: what the recognizer reaches on this machine, and what
on it stops livedigits working."""

from __future__ import annotations

from typing import Annotated

import typer

from livedigits.records import json_line, stamped


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


def doctor(
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print JSON Lines, one object per check: level, what, detail.")
    ] = False,
) -> None:
    """Check this machine: OpenCV GUI, display, Numba cache, cameras, scanners.

    Each line says OK, or what is wrong and how to fix it. Exit status 1 when something
    livedigits cannot work without is broken.
    """
    from livedigits.tools.doctor import run_checks

    checks = run_checks()
    if json_output:
        for check in checks:
            typer.echo(json_line(check.to_dict()))
    else:
        width = max(len(c.what) for c in checks)
        for check in checks:
            typer.echo(f"{check.level:<4}  {check.what:<{width}}  {check.detail}")
    if any(c.level == "FAIL" for c in checks):
        raise typer.Exit(1)
