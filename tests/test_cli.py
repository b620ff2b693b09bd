import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from livedigits.cli.root import app
from livedigits.synthetic.synth import render_page

runner = CliRunner()


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """A 720p page of held-out digits, saved as PNG, with its truth."""
    folder = tmp_path_factory.mktemp("sheet")
    page = render_page(np.random.default_rng(21), width=1280, height=720, digit_height=40,
                       n_digits=30, blur=0.0)
    path = folder / "sheet one.png"
    cv2.imwrite(str(path), page.image)
    return path, page


@pytest.fixture(autouse=True)
def _holdout_model(holdout_everywhere):
    """Commands use the model that never saw the held-out digits."""


def test_version_and_help():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("livedigits ")
    result = runner.invoke(app, ["-h"])
    assert result.exit_code == 0, result.output
    assert "image" in result.output and "bench" in result.output


def test_help_in_a_real_process_is_quick_and_lazy():
    code = ("import sys, runpy; sys.argv=['livedigits', '--help']\n"
            "try:\n    runpy.run_module('livedigits', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "assert 'numba' not in sys.modules and 'cv2' not in sys.modules, 'heavy import'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
    done = subprocess.run([sys.executable, "-m", "livedigits", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "livedigits" in done.stdout


def test_image_json_contract(sheet, tmp_path):
    path, page = sheet
    result = runner.invoke(app, ["image", str(path), "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["image"] == str(path)
    assert (obj["width"], obj["height"]) == (1280, 720)
    assert isinstance(obj["text"], str) and obj["text"]
    for d in obj["detections"]:
        assert set(d) == {"x", "y", "w", "h", "digit", "confidence"}
        assert all(isinstance(d[k], int) for k in "xywh") and 0 <= d["digit"] <= 9
        assert 0.0 <= d["confidence"] <= 1.0
    from livedigits.recognize.recognizer import Detection
    from livedigits.synthetic.synth import score

    found = score(page.boxes, page.digits, [Detection(**d) for d in obj["detections"]])
    assert found["correct"] >= 0.95 * found["n"] and found["fp"] == 0
    digits_in_text = obj["text"].replace(" ", "").replace("\n", "").replace("?", "0")
    assert len(digits_in_text) == len(obj["detections"])
    overlay = cv2.imread(str(tmp_path / "sheet one_overlay.png"))
    plain = cv2.imread(str(tmp_path / "sheet one_digits.png"))
    assert overlay.shape == page.image.shape and plain.shape == page.image.shape
    assert (plain == 255).mean() > 0.9  # white page with the numbers
    # Green boxes drawn on the overlay.
    green = (overlay[:, :, 1] > 150) & (overlay[:, :, 0] < 80) & (overlay[:, :, 2] < 80)
    assert green.sum() > 100


def test_outputs_never_overwrite(sheet, tmp_path):
    path, _ = sheet
    for _ in range(2):
        result = runner.invoke(app, ["image", str(path), "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["sheet one_digits-1.png", "sheet one_digits.png",
                     "sheet one_overlay-1.png", "sheet one_overlay.png"]


def test_text_output(sheet, tmp_path):
    path, page = sheet
    result = runner.invoke(app, ["image", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sum(ch.isdigit() or ch == "?" for ch in result.stdout) >= 0.9 * len(page.digits)


def _bad_inputs(folder, sheet_path):
    png = cv2.imencode(".png", cv2.imread(str(sheet_path)))[1].tobytes()
    jpg = cv2.imencode(".jpg", cv2.imread(str(sheet_path)))[1].tobytes()
    files = {
        "missing": folder / "does-not-exist.png",
        "directory": folder / "adir",
        "empty": folder / "empty.png",
        "truncated png": folder / "trunc.png",
        "truncated jpeg": folder / "trunc.jpg",
        "text as png": folder / "notes.png",
    }
    files["directory"].mkdir()
    files["empty"].write_bytes(b"")
    files["truncated png"].write_bytes(png[:200])
    files["truncated jpeg"].write_bytes(jpg[:300])
    files["text as png"].write_text("this is not an image\n")
    return files


def test_bad_inputs_each_get_one_line_and_others_still_run(sheet, tmp_path):
    path, _ = sheet
    bad = _bad_inputs(tmp_path, path)
    args = ["image", "--json", "--out", str(tmp_path / "out")]
    args += [str(p) for p in bad.values()] + [str(path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    objs = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(objs) == len(bad) + 1
    assert all("error" in o for o in objs[:-1])
    assert "detections" in objs[-1] and objs[-1]["detections"]
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == len(bad)
    for line, p in zip(errors, bad.values(), strict=True):
        assert str(p) in line and "Traceback" not in line


def test_odd_but_valid_images(tmp_path, sheet):
    path, page = sheet
    bgr = cv2.imread(str(path))
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    cases = {
        "gray.png": gray,
        "rgba.png": cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA),
        "deep.png": gray.astype(np.uint16) * 257,
        "tiny.png": np.full((1, 1), 255, np.uint8),
        "zażółć ünïcödé name.png": bgr,
    }
    for name, image in cases.items():
        ok, data = cv2.imencode(".png", image)
        (tmp_path / name).write_bytes(data.tobytes())
    result = runner.invoke(app, ["image", "--json", "--out", str(tmp_path / "o")]
                           + [str(tmp_path / n) for n in cases])
    assert result.exit_code == 0, result.output
    objs = {json.loads(line)["image"]: json.loads(line) for line in result.stdout.splitlines()
            if line.startswith("{")}
    assert objs[str(tmp_path / "tiny.png")]["detections"] == []
    for name in ("gray.png", "rgba.png", "deep.png", "zażółć ünïcödé name.png"):
        assert len(objs[str(tmp_path / name)]["detections"]) >= 0.9 * len(page.digits), name


def test_huge_image_is_scaled_for_segmentation_with_boxes_in_original_pixels(tmp_path):
    page = render_page(np.random.default_rng(8), width=1500, height=1500, digit_height=60,
                       n_digits=12, faint_text=False, perspective=0.0, blur=0.0)
    big = cv2.resize(page.image, (12000, 12000), interpolation=cv2.INTER_NEAREST)
    path = tmp_path / "huge.png"
    cv2.imwrite(str(path), big, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    result = runner.invoke(app, ["image", "--json", "--no-images", str(path)])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout.strip().splitlines()[-1])
    assert (obj["width"], obj["height"]) == (12000, 12000)
    from livedigits.recognize.recognizer import Detection
    from livedigits.synthetic.synth import score

    found = score(page.boxes * 8, page.digits, [Detection(**d) for d in obj["detections"]])
    assert found["found"] >= 11 and found["fp"] == 0, found


def test_damaged_model_file_is_a_clear_error(tmp_path, sheet, monkeypatch):
    from livedigits.recognize import recognizer

    monkeypatch.undo()  # use the real Recognizer.load
    model = tmp_path / "bad.npz"
    model.write_bytes(b"PK\x03\x04 not really a zip")
    result = runner.invoke(app, ["image", "--model", str(model), str(sheet[0])])
    assert result.exit_code == 1
    assert "bad.npz" in result.stderr and "Traceback" not in result.output
    assert recognizer  # the module stays importable


def test_twelve_bit_image_gives_a_visible_overlay(tmp_path, sheet):
    # Regression: 16-bit containers were cut to 8 bits by dropping the low byte, so
    # 12-bit data (max 4095) made an almost black overlay while digits were still read.
    path, page = sheet
    gray = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)
    deep = (gray.astype(np.uint16) * 16)  # 12-bit range
    cv2.imwrite(str(tmp_path / "deep12.png"), deep)
    result = runner.invoke(app, ["image", str(tmp_path / "deep12.png"), "--out",
                                 str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    overlay = cv2.imread(str(tmp_path / "o" / "deep12_overlay.png"), cv2.IMREAD_GRAYSCALE)
    assert np.median(overlay) > 200  # the paper stays white


def test_overlay_and_plain_image_keep_one_suffix(sheet, tmp_path):
    # Regression: with only STEM_overlay.png taken, the new pair came out as
    # STEM_overlay-1.png beside an unrelated STEM_digits.png.
    path, _ = sheet
    (tmp_path / "sheet one_overlay.png").write_bytes(b"an older overlay")
    result = runner.invoke(app, ["image", str(path), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout.strip().splitlines()[-1])
    assert obj["overlay"].endswith("sheet one_overlay-1.png")
    assert obj["digits"].endswith("sheet one_digits-1.png")
    assert (tmp_path / "sheet one_overlay.png").read_bytes() == b"an older overlay"
    assert not (tmp_path / "sheet one_digits.png").exists()


def test_every_json_record_carries_a_schema(sheet, tmp_path):
    path, _ = sheet
    done = runner.invoke(app, ["image", str(path), str(tmp_path / "none.png"), "--json",
                               "--no-images"])
    read, error = (json.loads(line) for line in done.stdout.splitlines())
    assert read["schema"] == error["schema"] == 1
    assert list(read)[:5] == ["image", "width", "height", "text", "detections"]


def test_eval_refuses_a_model_that_saw_the_digits_it_scores(holdout_recognizer, tmp_path):
    from dataclasses import replace

    model = holdout_recognizer.model
    fair = model.save(tmp_path / "fair.npz")
    seen = replace(model, params=replace(model.params, holdout=False)).save(tmp_path / "seen.npz")
    done = runner.invoke(app, ["eval", "--model", str(seen)])
    assert done.exit_code == 1
    assert "seen.npz: this model was trained on digits.png's held-out tenth" in done.stderr
    assert "--allow-seen" in done.stderr and not done.stdout
    done = runner.invoke(app, ["eval", "--model", str(seen), "--allow-seen"])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("accuracy on seen digits: ") and "warning" in done.stderr
    done = runner.invoke(app, ["eval", "--model", str(seen), "--allow-seen", "--json"])
    report = json.loads(done.stdout)
    assert report["seen"] is True and report["schema"] == 1 and report["n"] == 500
    done = runner.invoke(app, ["eval", "--model", str(fair), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["seen"] is False


def test_doctor_records_carry_the_schema():
    from livedigits.tools.doctor import Check

    assert Check("OK", "display", ":0").to_dict() == {"level": "OK", "what": "display",
                                                      "detail": ":0", "schema": 1}


def test_loudness_flags_are_taken_after_the_command_too():
    from livedigits.cli.style import hoist_loudness

    assert hoist_loudness(["image", "a.png", "-v", "--json"]) == ["-v", "image", "a.png",
                                                                  "--json"]
    assert hoist_loudness(["-q", "scan", "--quiet"]) == ["-q", "--quiet", "scan"]
    assert hoist_loudness(["image", "--", "-v"]) == ["image", "--", "-v"]  # a file named -v
    done = runner.invoke(app, ["image", "x.png", "-q", "-v"])
    assert done.exit_code == 2 and "--quiet and --verbose" in done.stderr


def test_verbose_shows_stages_and_quiet_leaves_only_results(tmp_path, holdout_recognizer):
    model = holdout_recognizer.model.save(tmp_path / "model.npz")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((120, 160), 255, np.uint8))
    base = [sys.executable, "-m", "livedigits", "image", str(blank), "--no-images",
            "--model", str(model)]
    loud = subprocess.run(base + ["-v"], capture_output=True, text=True, timeout=120)
    assert loud.returncode == 0, loud.stderr
    assert "livedigits: model: Recognizer(model file" in loud.stderr
    assert "blank.png: 160x120, 0 digits on 0 lines, read in " in loud.stderr
    assert "(no digits found)" in loud.stderr
    quiet = subprocess.run(base + ["-q"], capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_opencv_and_ffmpeg_messages_stay_off_stderr():
    # A stream URL nobody serves: FFmpeg logs "[tcp @ 0x...] Connection refused" itself.
    done = subprocess.run([sys.executable, "-m", "livedigits", "live", "--source",
                           "rtsp://127.0.0.1:9/none", "--no-window", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines == ["livedigits: cannot open rtsp://127.0.0.1:9/none. Check the URL and that "
                     "the stream is reachable."], done.stderr


COMMANDS = [["image"], ["train"], ["eval"], ["bench"], ["scan"], ["live"], ["demo"],
            ["cameras"], ["doctor"], ["batch"], ["calibrate", "read"], ["calibrate", "sheet"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_texts_read_plainly(command):
    done = runner.invoke(app, [*command, "--help"])
    assert done.exit_code == 0, done.output
    assert "<list[" not in done.output and "{" not in done.output.splitlines()[0]
    if command[0] in ("eval", "bench", "live", "demo", "cameras", "doctor"):
        assert "one object per image" not in done.output  # each says what it prints


def test_usage_lines_and_completion():
    assert runner.invoke(app, ["image", "-h"]).output.startswith(
        "Usage: livedigits image [OPTIONS] FILE...\n")
    assert runner.invoke(app, ["batch", "-h"]).output.startswith(
        "Usage: livedigits batch [OPTIONS] INPUTS...\n")
    assert "--install-completion" in runner.invoke(app, ["--help"]).output


def test_cameras_without_a_camera_fail_alike_in_text_and_json(monkeypatch):
    from livedigits.live import capture

    monkeypatch.setattr(capture, "list_cameras", lambda backend="any": [])
    text = runner.invoke(app, ["cameras"])
    as_json = runner.invoke(app, ["cameras", "--json"])
    assert text.exit_code == as_json.exit_code == 1
    assert as_json.stdout == "" and "no camera found" in as_json.stderr


def test_demo_without_a_reachable_display_says_which_and_runs_headless():
    import os

    env = dict(os.environ, DISPLAY=":49", QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, "-m", "livedigits", "demo", "--frames", "1",
                           "--digits", "10"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "no window (cannot reach the X display :49); running headless" in done.stderr


def test_a_reading_whose_images_cannot_be_written_is_still_printed(sheet, tmp_path,
                                                                    monkeypatch):
    """A full disk under --out: the text is printed, the failure named, exit 1."""
    from livedigits.pages import page as batch

    def full(*args, **kwargs):
        raise batch.TemporaryFailure(f"{tmp_path}: cannot write results (No space left on "
                                     "device)")

    monkeypatch.setattr(batch, "save_renderings", full)
    path, page = sheet
    result = CliRunner().invoke(app, ["image", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert result.stdout.strip().splitlines(), result.stdout
    read = sorted(int(c) for c in result.stdout if c.isdigit())
    assert read == sorted(page.digits.tolist())
    as_json = CliRunner().invoke(app, ["image", str(path), "--out", str(tmp_path), "--json"])
    assert as_json.exit_code == 1
    assert len(json.loads(as_json.stdout)["detections"]) == len(page.digits)


def test_one_boundary_turns_a_library_error_into_its_message_and_status_1(tmp_path):
    """``clistyle.RootGroup`` prints a LivedigitsError from any command, in a nested group
    too, as one line and exits 1: commands raise it and need no handler of their own."""
    import typer

    from livedigits.cli.style import RootGroup
    from livedigits.errors import LivedigitsError

    def broken(where: str):
        def command() -> None:
            typer.echo("started")
            raise LivedigitsError(f"{where}: what went wrong; what to do")
        return command

    root, inner = typer.Typer(cls=RootGroup), typer.Typer()
    root.command(name="top")(broken("top"))
    inner.command(name="deep")(broken("deep"))
    root.add_typer(inner, name="group")
    for args, where in ((["top"], "top"), (["group", "deep"], "deep")):
        done = runner.invoke(root, args)
        assert (done.exit_code, done.stdout) == (1, "started\n"), done.output
        assert done.stderr == f"livedigits: {where}: what went wrong; what to do\n"
    # The real commands, through the tests' runner and through the console script.
    for args, message in (
            (["calibrate", "sheet", "--out", "/proc/none"],
             "livedigits: /proc/none: cannot write (No such file or directory)\n"),
            (["eval", "--model", str(tmp_path / "none.npz")],
             f"livedigits: {tmp_path / 'none.npz'}: no such model file\n"),
            (["kiosk", "install", "--unit-dir", str(tmp_path / "file.txt" / "units")],
             None)):
        if message is None:
            (tmp_path / "file.txt").write_text("a file, not a folder")
        done = runner.invoke(app, args)
        assert done.exit_code == 1 and done.stdout == "", done.output
        assert done.stderr.startswith("livedigits: ") and done.stderr.count("\n") == 1
        assert message is None or done.stderr == message
    done = subprocess.run([sys.executable, "-m", "livedigits", "calibrate", "report",
                           str(tmp_path / "nobody.npz")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"livedigits: {tmp_path / 'nobody.npz'}")
    assert done.stderr.count("\n") == 1, done.stderr


OUT_COMMANDS = [(["image"], ["a.png"]), (["train"], []), (["scan"], []),
                (["batch"], ["scans/"]), (["calibrate", "sheet"], [])]


def _parsed(names: list[str], args: list[str]) -> dict:
    """The parameters ``livedigits NAMES... ARGS...`` gives its command, parsed only."""
    import typer

    command = typer.main.get_command(app)
    for name in names:
        command = command.commands[name]
    return command.make_context(names[-1], args).params


@pytest.mark.parametrize(("names", "args"), OUT_COMMANDS,
                         ids=[" ".join(names) for names, _ in OUT_COMMANDS])
def test_out_is_capital_o_in_every_command(names, args, tmp_path):
    assert _parsed(names, [*args, "-O", str(tmp_path / "o")])["out"] == tmp_path / "o"
    help_text = runner.invoke(app, [*names, "-h"]).output
    assert "-O, --out" in help_text, help_text
    # -o is shown only where it is scan's --option (SANE's options).
    shown = [line for line in help_text.splitlines() if line.strip().startswith("-o")]
    assert len(shown) == (names == ["scan"]) and all("--option" in line for line in shown)


@pytest.mark.parametrize(("names", "args"), OUT_COMMANDS[1::2], ids=["train", "batch"])
def test_out_keeps_its_old_short_name_in_train_and_batch(names, args, tmp_path):
    assert _parsed(names, [*args, "-o", str(tmp_path / "r")])["out"] == tmp_path / "r"
    if names == ["batch"]:  # a missing --out's message names the shown names only
        done = runner.invoke(app, [*names, *args])
        assert done.exit_code == 2
        assert "Missing option '--out' / '-O'." in done.stderr, done.stderr
