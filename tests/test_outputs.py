"""One output policy: folders created when missing, nothing replaced without --force."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from livedigits.cli.root import app
from livedigits.errors import LivedigitsError
from livedigits.outputs import check_new_file

runner = CliRunner()


def test_check_new_file(tmp_path):
    assert check_new_file(tmp_path / "new" / "m.npz") == tmp_path / "new" / "m.npz"
    kept = tmp_path / "m.npz"
    kept.write_bytes(b"model")
    with pytest.raises(LivedigitsError, match="exists; pass --force"):
        check_new_file(kept)
    assert check_new_file(kept, force=True) == kept
    link = tmp_path / "link.npz"
    link.symlink_to(kept)
    with pytest.raises(LivedigitsError, match="symbolic link"):
        check_new_file(link, force=True)


def test_train_out_keeps_an_existing_model_and_creates_folders(tmp_path):
    existing = tmp_path / "m.npz"
    existing.write_bytes(b"an earlier model")
    refused = runner.invoke(app, ["train", "--out", str(existing), "--augment-copies", "0"])
    assert refused.exit_code == 1 and "--force" in refused.output
    assert existing.read_bytes() == b"an earlier model"
    fresh = tmp_path / "new" / "deeper" / "m.npz"
    made = runner.invoke(app, ["train", "--out", str(fresh), "--augment-copies", "0"])
    assert made.exit_code == 0, made.output
    assert fresh.is_file()
    forced = runner.invoke(app, ["train", "--out", str(existing), "--augment-copies", "0",
                                 "--force"])
    assert forced.exit_code == 0, forced.output
    assert existing.read_bytes() == fresh.read_bytes()  # the same build, replaced


def test_calibration_sheet_is_kept_without_force(tmp_path):
    out = tmp_path / "sheets" / "new"
    assert runner.invoke(app, ["calibrate", "sheet", "--out", str(out)]).exit_code == 0
    png = (out / "calibration_sheet.png").read_bytes()
    (out / "calibration_sheet.png").write_bytes(b"my own drawing")
    again = runner.invoke(app, ["calibrate", "sheet", "--out", str(out)])
    assert again.exit_code == 1 and "calibration_sheet.png exists" in again.output
    assert (out / "calibration_sheet.png").read_bytes() == b"my own drawing"
    forced = runner.invoke(app, ["calibrate", "sheet", "--out", str(out), "--force"])
    assert forced.exit_code == 0 and (out / "calibration_sheet.png").read_bytes() == png


def test_batch_csv_replaces_only_its_own_tables(tmp_path, holdout_recognizer):
    import cv2
    import numpy as np

    from livedigits.pages.batch import run_batch

    image = tmp_path / "p.png"
    cv2.imwrite(str(image), np.full((60, 80), 255, np.uint8))
    out, table = tmp_path / "r.jsonl", tmp_path / "t.csv"
    run_batch([str(image)], out=out, csv_path=table, recognizer=holdout_recognizer,
              workers=0)
    run_batch([str(image)], out=out, csv_path=table, recognizer=holdout_recognizer,
              workers=0)  # a rerun rewrites the table it wrote
    assert table.read_text().startswith("file,text,count,mean_confidence,error\n")
    table.write_text("name,amount\nrent,900\n")
    with pytest.raises(LivedigitsError, match="not a table a batch wrote; pass --force"):
        run_batch([str(image)], out=out, csv_path=table, recognizer=holdout_recognizer,
                  workers=0)
    assert table.read_text() == "name,amount\nrent,900\n"
    run_batch([str(image)], out=out, csv_path=table, recognizer=holdout_recognizer,
              workers=0, force=True)
    assert table.read_text().startswith("file,text")
