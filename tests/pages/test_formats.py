"""`image --format tsv|hocr`: tesseract's TSV and hOCR, made from the --json object."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from livedigits.cli.root import app
from livedigits.pages.formats import TSV_HEADER, hocr_head, hocr_page, structure, tsv_rows
from livedigits.synthetic.synth import render_page

runner = CliRunner()

RESULT = {"image": 'a "b".png', "width": 300, "height": 200, "text": "12 3\n4?",
          "detections": [{"x": 10, "y": 10, "w": 20, "h": 30, "digit": 1, "confidence": 1.0},
                         {"x": 34, "y": 12, "w": 20, "h": 30, "digit": 2, "confidence": 0.9},
                         {"x": 100, "y": 11, "w": 20, "h": 30, "digit": 3, "confidence": 1.0},
                         {"x": 10, "y": 80, "w": 20, "h": 30, "digit": 4, "confidence": 1.0},
                         {"x": 34, "y": 82, "w": 22, "h": 31, "digit": 7, "confidence": 0.4}]}


def test_lines_and_numbers_come_from_the_text():
    assert structure(RESULT) == [[[0, 1], [2]], [[3, 4]]]
    assert structure({"text": "", "detections": []}) == []
    with pytest.raises(ValueError, match="2 symbols for 1 detections"):
        structure({"text": "12", "detections": [RESULT["detections"][0]]})


def test_tsv_is_tesseracts():
    rows = [row.split("\t") for row in tsv_rows(RESULT, 3)]
    assert all(len(row) == len(TSV_HEADER.split("\t")) == 12 for row in rows)
    assert [row[0] for row in rows] == ["1", "2", "3", "4", "5", "5", "4", "5"]
    assert {row[1] for row in rows} == {"3"}
    assert rows[0][6:] == ["0", "0", "300", "200", "-1", ""]
    words = [row for row in rows if row[0] == "5"]
    assert [(w[4], w[5], w[11]) for w in words] == [("1", "1", "12"), ("1", "2", "3"),
                                                    ("2", "1", "4?")]
    assert words[0][6:11] == ["10", "10", "44", "32", "90.000000"]  # union box, lowest conf
    assert words[2][10] == "40.000000"


def test_hocr_is_well_formed_with_each_digits_box():
    document = hocr_head() + hocr_page(RESULT, 1) + " </body>\n</html>\n"
    root = ET.fromstring(document)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    page = root.find(".//h:div[@class='ocr_page']", ns)
    assert page.get("title") == 'image "a "b".png"; bbox 0 0 300 200; ppageno 0'
    lines = page.findall(".//h:span[@class='ocr_line']", ns)
    assert len(lines) == 2
    words = page.findall(".//h:span[@class='ocrx_word']", ns)
    assert ["".join(w.itertext()) for w in words] == ["12", "3", "4?"]
    assert words[0].get("title") == "bbox 10 10 54 42; x_wconf 90"
    chars = page.findall(".//h:span[@class='ocrx_cinfo']", ns)
    assert chars[4].get("title") == "x_bboxes 34 82 56 113; x_conf 40.0"


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    page = render_page(np.random.default_rng(9), width=640, height=360, digit_height=36,
                       n_digits=20, faint_text=False, perspective=0.0)
    path = folder / "page.png"
    cv2.imwrite(str(path), page.image)
    return path


@pytest.fixture(autouse=True)
def _holdout_model(holdout_everywhere):
    """Commands use the model that never saw the held-out digits."""


def test_image_formats_agree_with_json(sheet, tmp_path):
    missing = tmp_path / "missing.png"
    done = runner.invoke(app, ["image", str(sheet), "--no-images", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    same = runner.invoke(app, ["image", str(sheet), "--no-images", "--format", "json"])
    assert same.stdout == done.stdout

    tsv = runner.invoke(app, ["image", str(sheet), str(missing), "--no-images", "-f", "tsv"])
    assert tsv.exit_code == 1 and "missing.png: no such file" in tsv.stderr
    rows = [row.split("\t") for row in tsv.stdout.splitlines()]
    assert rows[0] == TSV_HEADER.split("\t")
    lines: dict[str, list[str]] = {}
    for row in rows[1:]:
        if row[0] == "5":
            lines.setdefault(row[4], []).append(row[11])
    assert "\n".join(" ".join(words) for words in lines.values()) == result["text"]

    hocr = runner.invoke(app, ["image", str(sheet), str(missing), "--no-images", "-f", "hocr"])
    assert hocr.exit_code == 1
    root = ET.fromstring(hocr.stdout)  # a whole document, the unreadable file left out
    chars = root.findall(".//{http://www.w3.org/1999/xhtml}span[@class='ocrx_cinfo']")
    assert len(chars) == len(result["detections"])


def test_json_and_another_format_is_a_usage_error(sheet):
    done = runner.invoke(app, ["image", str(sheet), "--json", "--format", "hocr"])
    assert done.exit_code == 2
    assert "--json and --format hocr" in done.stderr
