"""End to end on synthetic sheets drawn from digits.png's held-out digits.

Three sizes, as a 640x480 webcam, a 720p webcam and a 300-dpi scan see them;
each page carries faint printed text, noise, uneven light and a slight
perspective. The model used never saw these digits.
"""

import cv2
import numpy as np
import pytest

from livedigits.synthetic.synth import heldout_cells, render_page, score

SIZES = [
    # (digit height px, page width, page height, least share read right)
    # Measured on these 500 digits: 97.8%, 97.4% and 98.0%; the bar sits a little lower
    # to absorb float differences between machines.
    (15, 640, 480, 0.965),
    (35, 1280, 720, 0.965),
    (90, 2480, 1754, 0.965),
]


def _read_pages(recognizer, digit_height, width, height, *, pen):
    """Five pages, each of 100 different held-out digits: every one of them once."""
    cells, labels = heldout_cells()
    order = np.random.default_rng(100).permutation(len(cells))
    total = {"n": 0, "found": 0, "correct": 0, "fp": 0}
    for seed, part in enumerate(np.array_split(order, 5), start=100):
        page = render_page(np.random.default_rng(seed), width=width, height=height,
                           digit_height=digit_height, n_digits=100, blur=0.0, pen=pen,
                           cells=(cells[part], labels[part]))
        result = score(page.boxes, page.digits, recognizer.recognize(page.image))
        for key in total:
            total[key] += result[key]
    return total


@pytest.mark.parametrize("digit_height,width,height,bar", SIZES)
def test_sheet_read_at_each_size(holdout_recognizer, digit_height, width, height, bar):
    """MNIST's own strokes, as digits.png holds them."""
    total = _read_pages(holdout_recognizer, digit_height, width, height, pen=None)
    assert total["n"] == 500
    assert total["fp"] == 0, total
    assert total["correct"] >= bar * total["n"], total


@pytest.mark.parametrize("digit_height,width,height", [(35, 1280, 720), (90, 2480, 1754)])
def test_pen_written_sheet(holdout_recognizer, digit_height, width, height):
    """The same digits redrawn with even-width pens (fine liner to marker).

    Redrawing along a centre line turns a few of MNIST's bold digits into other
    shapes (an 8 whose loops are both filled), so the bar is lower: measured 97.8%
    at 35 px and 96.8% at 90 px.
    """
    total = _read_pages(holdout_recognizer, digit_height, width, height, pen=(0.05, 0.14))
    assert total["found"] >= 0.99 * total["n"], total
    assert total["fp"] <= 3, total
    assert total["correct"] >= 0.95 * total["n"], total


def test_blank_pages_give_nothing(holdout_recognizer):
    blank = np.full((480, 640, 3), 245, np.uint8)
    assert holdout_recognizer.recognize(blank) == []


@pytest.mark.xfail(strict=True, reason="a page of faint gray print and nothing else is as "
                   "dark as a far-away fine pen; its small printed figures are read")
def test_a_page_of_faint_print_alone_gives_nothing(holdout_recognizer):
    page = render_page(np.random.default_rng(5), width=1280, height=720, digit_height=35,
                       n_digits=0)
    assert holdout_recognizer.recognize(page.image) == []


def test_dark_surround_and_ruled_lines_are_not_digits(holdout_recognizer):
    import cv2

    page = render_page(np.random.default_rng(9), width=1000, height=700, digit_height=40,
                       n_digits=30, perspective=0.0, faint_text=False)
    image = page.image.copy()
    # Ruled paper: a rule under each row of digits (which touch it) and a margin line.
    for y in range(20 + 40, 700, 76):
        cv2.line(image, (0, y), (999, y), (150, 150, 150), 2)
    cv2.line(image, (12, 0), (12, 699), (120, 120, 220), 2)
    framed = np.full((900, 1300, 3), 35, np.uint8)  # a dark desk around the page
    framed[100:800, 150:1150] = image
    boxes = page.boxes + np.array([150, 100, 0, 0])
    result = score(boxes, page.digits, holdout_recognizer.recognize(framed))
    assert result["fp"] == 0, result
    assert result["correct"] >= 0.9 * result["n"], result


def test_reading_order_text(holdout_recognizer):
    page = render_page(np.random.default_rng(3), width=1280, height=720, digit_height=40,
                       n_digits=40, faint_text=False, perspective=0.0)
    reading = holdout_recognizer.read(page.image)
    lines = reading.text.split("\n")
    assert len(lines) >= 2
    ys = [d.y for d in reading.detections]
    # Detections come line by line: each line's first box is below the previous line's.
    firsts = [reading.detections[line[0]].y for line in reading.lines]
    assert firsts == sorted(firsts) and len(ys) == len(reading.detections)


def test_tilted_sheet_on_a_desk_has_no_edge_digits(holdout_recognizer):
    """Regression: the corners of a tilted sheet's edge against a dark desk read as 1s."""
    import cv2

    page = render_page(np.random.default_rng(11), width=1100, height=620, digit_height=34,
                       n_digits=60, blur=0.0)
    matrix = cv2.getRotationMatrix2D((550, 310), 1.5, 1.0)
    matrix[:, 2] += (90, 50)
    frame = cv2.warpAffine(page.image, matrix, (1280, 720), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(70, 80, 90))
    frame = cv2.GaussianBlur(frame, (0, 0), 0.7)
    corners = np.stack([page.boxes[:, :2], page.boxes[:, :2] + page.boxes[:, 2:]], 1)
    mapped = cv2.transform(corners.reshape(-1, 1, 2).astype(np.float32), matrix)
    mapped = mapped.reshape(-1, 2, 2)
    boxes = np.concatenate([mapped.min(1), mapped.max(1) - mapped.min(1)], 1)
    result = score(boxes, page.digits, holdout_recognizer.recognize(frame))
    assert result["fp"] == 0, result
    assert result["found"] >= 0.98 * result["n"], result


@pytest.mark.parametrize("height,contrast,blur,bar", [
    (25, 0.5, 0.0, 0.95),  # found: 58% under fixed darkness floors, now 98%
    (25, 1.0, 1.8, 0.95),  # 72%, now 97%
    (35, 0.5, 1.2, 0.70),  # 21%, now 75%
])
def test_faint_and_blurred_pen_digits_are_found(holdout_recognizer, height, contrast, blur,
                                                bar):
    """Thin pen strokes half as dark as usual, soft focus, or both, as webcams see them."""
    cells, labels = heldout_cells()
    order = np.random.default_rng(100).permutation(len(cells))
    total = {"n": 0, "found": 0, "correct": 0, "fp": 0}
    for seed, part in enumerate(np.array_split(order, 5)[:2], start=100):
        page = render_page(np.random.default_rng(seed), digit_height=height, n_digits=100,
                           pen=(0.04, 0.1), cells=(cells[part], labels[part]))
        image = 250 - (250 - page.image.astype(np.float32)) * contrast
        if blur:
            image = cv2.GaussianBlur(image, (0, 0), blur)
        image = np.clip(image, 0, 255).astype(np.uint8)
        got = score(page.boxes, page.digits, holdout_recognizer.recognize(image))
        total = {k: total[k] + got[k] for k in total}
    assert total["found"] >= bar * total["n"], total
    assert total["correct"] >= 0.9 * total["found"], total
    assert total["fp"] <= 2, total


def test_a_pen_lying_on_the_sheet_hides_no_digit_and_is_none(holdout_recognizer):
    """A pen across the page once joined every digit it overlapped into one blob (lost);
    on its own it was read as a 1."""
    cells, labels = heldout_cells()
    order = np.random.default_rng(100).permutation(len(cells))
    total = {"n": 0, "found": 0, "correct": 0, "fp": 0}
    for seed, part in enumerate(np.array_split(order, 5)[:2], start=100):
        page = render_page(np.random.default_rng(seed), digit_height=35, n_digits=100,
                           cells=(cells[part], labels[part]))
        image = page.image.copy()
        covered = np.zeros(image.shape[:2], np.uint8)
        ends = [(600, 60), (760, 660)] if seed == 100 else [(300, 500), (700, 120)]
        for target in (image, covered):
            cv2.line(target, *ends, (40, 40, 40) if target is image else 1, 14, cv2.LINE_AA)
        clear = np.array([not covered[y:y + h, x:x + w].any() for x, y, w, h in page.boxes])
        got = score(page.boxes[clear], page.digits[clear],
                    holdout_recognizer.recognize(image))
        total = {k: total[k] + got[k] for k in total}
    assert total["found"] >= 0.98 * total["n"], total
    assert total["fp"] <= 1, total


@pytest.mark.parametrize("paper,digit_height,bar", [
    ("ruled", 36, 0.99),
    ("ruled", 60, 0.98),  # found 85% when only exactly level rules were removed
    ("squared", 36, 0.99),
    ("squared", 60, 0.97),  # found 17% then
])
def test_ruled_and_squared_paper_under_perspective(holdout_recognizer, paper, digit_height,
                                                   bar):
    """School paper's printed lines, tilted a little by the camera, are no digits and
    cut none."""
    total = {"n": 0, "found": 0, "correct": 0, "fp": 0}
    for seed in range(2):
        page = render_page(np.random.default_rng(seed), width=1280, height=720,
                           digit_height=digit_height, n_digits=100, paper=paper,
                           perspective=0.03)
        got = score(page.boxes, page.digits, holdout_recognizer.recognize(page.image))
        total = {k: total[k] + got[k] for k in total}
    assert total["found"] >= bar * total["n"], total
    assert total["correct"] >= 0.9 * total["n"], total
    assert total["fp"] <= 0.04 * total["n"], total  # a stroke along a line may break
