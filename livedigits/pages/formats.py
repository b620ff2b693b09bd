"""Machine-readable text outputs of a reading, as OCR tools write them: tesseract's TSV
and hOCR (https://kba.github.io/hocr-spec/1.2/), beside ``image --json``'s JSON.

Both are made from the ``image --json`` object (DESIGN.md section 3): its ``text``
holds one symbol per detection, in reading order, with spaces between numbers and
newlines between lines, so lines and numbers (tesseract's "words") come from it.
Boxes are in the image's own pixels; confidences are percentages, as tesseract's.
"""

from __future__ import annotations

from html import escape

from livedigits import __version__

TSV_HEADER = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\t"
              "left\ttop\twidth\theight\tconf\ttext")


def structure(result: dict) -> list[list[list[int]]]:
    """Lines of words of detection indices, from ``result["text"]``.

    Raises ValueError when the text does not hold one symbol per detection.
    """
    lines: list[list[list[int]]] = [[[]]]
    index = 0
    for char in result["text"]:
        if char == "\n":
            lines.append([[]])
        elif char == " ":
            lines[-1].append([])
        else:
            lines[-1][-1].append(index)
            index += 1
    if index != len(result["detections"]):
        raise ValueError(f"text has {index} symbols for {len(result['detections'])} detections")
    return [[word for word in line if word] for line in lines if any(line)]


def _union(detections: list[dict], indices: list[int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the detections' boxes, right and bottom exclusive."""
    boxes = [detections[i] for i in indices]
    left, top = min(b["x"] for b in boxes), min(b["y"] for b in boxes)
    right = max(b["x"] + b["w"] for b in boxes)
    bottom = max(b["y"] + b["h"] for b in boxes)
    return left, top, right, bottom


def tsv_rows(result: dict, page: int) -> list[str]:
    """Tesseract's TSV rows (no header) for one image: the page, one block and paragraph,
    each line, and each number as a word with its lowest digit confidence (0..100)."""
    detections = result["detections"]
    lines = structure(result)
    symbols = [c for c in result["text"] if c not in " \n"]

    def row(level, block, par, line, word, box, conf, text=""):
        left, top, right, bottom = box
        return (f"{level}\t{page}\t{block}\t{par}\t{line}\t{word}\t{left}\t{top}\t"
                f"{right - left}\t{bottom - top}\t{conf}\t{text}")

    rows = [row(1, 0, 0, 0, 0, (0, 0, result["width"], result["height"]), -1)]
    if not lines:
        return rows
    everything = _union(detections, list(range(len(detections))))
    rows += [row(2, 1, 0, 0, 0, everything, -1), row(3, 1, 1, 0, 0, everything, -1)]
    for n, line in enumerate(lines, 1):
        rows.append(row(4, 1, 1, n, 0, _union(detections, sum(line, [])), -1))
        for k, word in enumerate(line, 1):
            conf = 100 * min(detections[i]["confidence"] for i in word)
            rows.append(row(5, 1, 1, n, k, _union(detections, word), f"{conf:.6f}",
                            "".join(symbols[i] for i in word)))
    return rows


HOCR_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title></title>
  <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
  <meta name='ocr-system' content='livedigits {version}' />
  <meta name='ocr-capabilities' content='ocr_page ocr_carea ocr_par ocr_line ocrx_word \
ocrp_wconf ocrx_cinfo'/>
 </head>
 <body>
"""
HOCR_TAIL = """ </body>
</html>
"""


def hocr_head() -> str:
    """The hOCR document's start, up to ``<body>``."""
    return HOCR_HEAD.format(version=__version__)


def _bbox(box: tuple[int, int, int, int]) -> str:
    return "bbox {} {} {} {}".format(*box)


def hocr_page(result: dict, page: int) -> str:
    """One ``ocr_page`` div (page numbers from 1), as tesseract writes it with character
    boxes on: a block and paragraph, lines, numbers as words (``x_wconf`` the lowest
    digit confidence, percent) and each digit an ``ocrx_cinfo`` with its box and
    confidence."""
    detections = result["detections"]
    lines = structure(result)
    symbols = [c for c in result["text"] if c not in " \n"]
    image = escape(str(result["image"]), quote=True)
    out = [f"  <div class='ocr_page' id='page_{page}' title='image \"{image}\"; "
           f"{_bbox((0, 0, result['width'], result['height']))}; ppageno {page - 1}'>"]
    if lines:
        everything = _bbox(_union(detections, list(range(len(detections)))))
        out.append(f"   <div class='ocr_carea' id='block_{page}_1' title=\"{everything}\">")
        out.append(f"    <p class='ocr_par' id='par_{page}_1' title=\"{everything}\">")
        word_id = 0
        for n, line in enumerate(lines, 1):
            box = _union(detections, sum(line, []))
            out.append(f"     <span class='ocr_line' id='line_{page}_{n}' title=\"{_bbox(box)}; "
                       f"baseline 0 0; x_size {box[3] - box[1]}; x_descenders 0; "
                       f"x_ascenders 0\">")
            for word in line:
                word_id += 1
                conf = round(100 * min(detections[i]["confidence"] for i in word))
                chars = "".join(
                    f"<span class='ocrx_cinfo' title='x_bboxes "
                    f"{d['x']} {d['y']} {d['x'] + d['w']} {d['y'] + d['h']}; "
                    f"x_conf {100 * d['confidence']:.1f}'>{escape(symbols[i])}</span>"
                    for i, d in ((i, detections[i]) for i in word))
                out.append(f"      <span class='ocrx_word' id='word_{page}_{word_id}' "
                           f"title='{_bbox(_union(detections, word))}; x_wconf {conf}'>"
                           f"{chars}</span>")
            out.append("     </span>")
        out.append("    </p>")
        out.append("   </div>")
    out.append("  </div>")
    return "\n".join(out) + "\n"
