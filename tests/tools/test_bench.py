"""`livedigits bench`: rows as numbers with their bars, and the exit status when one misses."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from livedigits.cli.root import app
from livedigits.tools import bench

runner = CliRunner()


def _rows(frame_ms: float) -> list[dict]:
    return [
        bench.row("held-out accuracy (500 digits)", 98.6, "%", baseline=96.0, note="n"),
        bench.row("HOG cells/s, 1 thread", 412_345.0, "cells/s", baseline=4_000.0,
                   bar=300_000, bar_op=">=", note="bar >= 300,000"),
        bench.row("ms per 1280x720 frame, sheet on a desk (end to end)", frame_ms, "ms",
                   bar=15, bar_op="<=", note="bar <= 15"),
    ]


def test_rows_know_their_bars():
    accuracy, hog, frame = _rows(22.5)
    assert accuracy["ok"] is None and accuracy["bar"] is None
    assert hog["ok"] is True and frame["ok"] is False
    assert bench.missed_bars(_rows(22.5)) == [frame]
    assert bench.missed_bars(_rows(15.0)) == []  # on the bar is within it
    assert bench.format_value(98.6, "%") == "98.6%"
    assert bench.format_value(412_345.0, "cells/s") == "412,345"
    assert bench.format_value(0.1184, "s") == "0.118"
    assert bench.format_value(None, "ms") == ""


@pytest.mark.parametrize(("frame_ms", "code"), [(9.5, 0), (22.5, 1)])
def test_bench_exits_non_zero_when_a_bar_is_missed(monkeypatch, frame_ms, code):
    monkeypatch.setattr(bench, "run_bench", lambda quick=False: _rows(frame_ms))
    result = runner.invoke(app, ["bench", "--quick"])
    assert result.exit_code == code, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["what", "livedigits", "baseline"]
    assert "98.6%" in lines[1] and "96.0%" in lines[1] and "412,345" in lines[2]
    if code:
        assert lines[-1].startswith("bars missed: ms per 1280x720 frame, sheet on a desk")
        assert "22.5" in lines[-1]
    else:
        assert lines[-1] == "bars missed: none"


def test_bench_json_gives_numbers(monkeypatch):
    monkeypatch.setattr(bench, "run_bench", lambda quick=False: _rows(22.5))
    result = runner.invoke(app, ["bench", "--quick", "--json"])
    assert result.exit_code == 1, result.output
    rows = json.loads(result.stdout.splitlines()[0])
    assert rows[0]["value"] == 98.6 and rows[0]["unit"] == "%" and rows[0]["baseline"] == 96.0
    assert rows[2] | {"note": ""} == {
        "what": "ms per 1280x720 frame, sheet on a desk (end to end)", "value": 22.5,
        "unit": "ms", "baseline": None, "bar": 15, "bar_op": "<=", "ok": False, "note": "",
        "schema": 1}


@pytest.mark.usefixtures("holdout_everywhere")  # both of bench's models: built once
def test_quick_bench_measures_every_row_as_a_number():
    rows = bench.run_bench(quick=True)
    names = [r["what"] for r in rows]
    assert "ms per 1280x720 frame (end to end)" in names
    assert "ms per 1280x720 frame, sheet on a desk (end to end)" in names
    for r in rows:
        assert isinstance(r["value"], float) and r["value"] > 0, r
        assert isinstance(r["unit"], str) and r["unit"]
        if r["bar"] is None:
            assert r["ok"] is None
        else:
            assert r["bar_op"] in (">=", "<=")
            assert r["ok"] == (r["value"] >= r["bar"] if r["bar_op"] == ">="
                               else r["value"] <= r["bar"])
    desk = rows[names.index("ms per 1280x720 frame, sheet on a desk (end to end)")]
    assert desk["bar"] == 15 and "100 digits" in desk["note"]
    json.dumps(rows)  # every field serialises


def test_live_rows_time_the_demos_footage_through_the_live_pipeline(holdout_recognizer):
    times, got = bench._live_ms(holdout_recognizer, 3)
    assert len(times) == 3 and all(t > 0 for t in times)
    assert got["n"] >= 3 * 90  # 100 digits, nearly all wholly in view
    assert got["correct"] >= 0.9 * got["n"] and got["fp"] <= 3, got
