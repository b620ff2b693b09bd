import numpy as np
import pytest

from livedigits.recognize.layout import reading_order, text_of


def test_lines_and_numbers():
    # Two lines: "12 3" then "45"; boxes given out of order, slightly wavy.
    boxes = np.array([
        [300, 12, 20, 30],   # 3
        [100, 10, 20, 30],   # 1
        [125, 14, 20, 30],   # 2 (close to 1: same number)
        [100, 80, 20, 30],   # 4
        [126, 78, 20, 30],   # 5
    ])
    symbols = ["3", "1", "2", "4", "5"]
    lines = reading_order(boxes)
    assert lines == [[1, 2, 0], [3, 4]]
    assert text_of(boxes, symbols, lines) == "12 3\n45"


def test_empty():
    assert reading_order(np.zeros((0, 4))) == []
    assert text_of(np.zeros((0, 4)), [], []) == ""


def test_a_letter_inside_a_word_is_not_a_digit():
    from livedigits.recognize.layout import inside_a_word

    # "T o t" with the o read as a 0 between two turned-down letters; "5 kg": the 5 has
    # letters on one side only, a word space away; "12 A": the A a word space away.
    boxes = np.array([[100, 50, 20, 30], [124, 58, 16, 22], [144, 50, 14, 30],
                      [100, 150, 18, 30], [130, 150, 18, 30], [152, 150, 18, 30],
                      [100, 250, 18, 30], [122, 250, 18, 30], [152, 250, 20, 30]], np.int32)
    is_digit = np.array([False, True, False, True, False, False, True, True, False])
    assert inside_a_word(boxes, is_digit).tolist() == [False, True, False, False, False,
                                                       False, False, False, False]


def test_doubtful_digits_beside_print_are_letters_of_its_word():
    """'Total' in a print face the not-a-digit examples lack: only the T is turned down,
    the t and the a are read as digits the examples hold much of the vote against
    (doubtful), the o and the l as sure digits; all four are the word's. A written
    number read doubtfully throughout, with no print beside it, stays a number."""
    from livedigits.recognize.layout import inside_a_word

    total = [[100, 50, 20, 30], [122, 58, 18, 22], [142, 52, 12, 28], [156, 58, 18, 22],
             [176, 50, 8, 30]]  # T o t a l
    number = [[100, 150, 18, 30], [120, 150, 18, 30], [140, 150, 18, 30]]  # 5 7 3
    boxes = np.array(total + number, np.int32)
    is_digit = np.array([False, True, True, True, True, True, True, True])
    doubtful = np.array([False, False, True, True, False, True, True, True])
    assert not inside_a_word(boxes, is_digit, ~is_digit)[1:5].all()  # the o's one side is a t
    words = inside_a_word(boxes, is_digit, ~is_digit, doubtful)
    assert words.tolist() == [False, True, True, True, True, False, False, False]
    # The same number beside a turned-down mark that no letter voted down (a smudge):
    # still a number.
    smudge = np.array(total + number + [[162, 150, 20, 30]], np.int32)
    is_digit = np.append(is_digit, False)
    letters = np.append(~is_digit[:-1], False)
    words = inside_a_word(smudge, is_digit, letters, np.append(doubtful, False))
    assert not words[5:8].any()


def test_a_capital_in_a_forms_boxes_is_a_letter_of_its_word():
    """'GUSTAV' written in a form's boxes, a letter a box apart (gaps of 0.5-0.7 heights):
    the U, T and V turned down, the S and the A read as sure digits (both in the word),
    the G as a 0 the not-a-digit examples hold most of the vote for. With the S and
    the A counted as the word's letters, the G is one too; a handwritten number
    written in such boxes after the same label, read doubtfully, stays a number."""
    from livedigits.recognize.layout import inside_a_word

    # As a photo of a form shows them: a box 78 px wide, letters 50-59 px tall.
    gustav = [[956, 81, 38, 58], [1036, 77, 42, 56], [1106, 77, 48, 50], [1181, 78, 56, 59],
              [1250, 73, 52, 59], [1327, 70, 44, 59]]
    label = [[700, 95, 30, 42], [735, 95, 30, 42], [770, 95, 30, 42]]  # "...me:" printed
    number = [[x, y + 220, w, h] for x, y, w, h in label + gustav]
    boxes = np.array(label + gustav + number, np.int32)
    is_digit = np.array([False] * 3 + [True, False, True, False, True, False]
                        + [False] * 3 + [True] * 6)
    doubtful = np.array([False] * 3 + [True] + [False] * 5 + [False] * 3 + [True] * 6)
    words = inside_a_word(boxes, is_digit, ~is_digit, doubtful)
    assert words[3:9].tolist() == [True, False, True, False, True, False]
    assert not words[12:].any()


def test_printed_figures_beside_letters_are_part_of_the_word():
    """'Page 14 Sign' in print: the figures stand at letter spacing from letters on a
    line of letters; the token '12A' goes as a whole. A row of handwritten digits with
    one digit the classifier voted down keeps its digits."""
    from livedigits.recognize.layout import inside_a_word

    h = 30
    page = [[100 + 22 * k, 50, 20, h] for k in range(4)]  # P a g e
    figures = [[196, 50, 18, h], [218, 50, 18, h]]  # 1 4, a word space after the e
    sign = [[244 + 22 * k, 50, 20, h] for k in range(4)]  # S i g n, close after the 4
    token = [[100, 150, 18, h], [122, 150, 18, h], [144, 150, 20, h], [300, 150, 20, h],
             [330, 150, 20, h]]  # 1 2 A, then two more letters along the line
    row = [[100 + 24 * k, 250, 18, h] for k in range(8)]  # handwritten digits
    boxes = np.array(page + figures + sign + token + row, np.int32)
    is_digit = np.array([False] * 4 + [True] * 2 + [False] * 4
                        + [True, True, False, False, False] + [True] * 8)
    is_digit[len(page + figures + sign + token) + 3] = False  # one digit voted down
    words = inside_a_word(boxes, is_digit, letters=~is_digit)
    assert words[4:6].all()  # 1 4
    assert words[10:12].all()  # 1 2 of 12A
    assert not words[15:].any()  # the handwritten row


def test_a_word_in_a_line_of_print_is_not_tried_as_digits():
    from livedigits.recognize.layout import in_a_line_of_print

    # A printed line: five blobs turned down side by side; below, one turned-down blob
    # (two touching digits) among digits read with confidence.
    boxes = np.array([[100 + 36 * k, 50, 34, 30] for k in range(5)]
                     + [[100 + 36 * k, 150, 34, 30] for k in range(5)], np.int32)
    confidences = np.array([0, 0, 0, 0, 0, 1.0, 0.9, 0, 1.0, 0.95])
    lines = in_a_line_of_print(boxes, confidences)
    assert lines[:5].all()
    assert not lines[5:].any()
    # Far apart on the line, turned-down blobs are not one line of print.
    apart = boxes[:5].copy()
    apart[:, 0] = 100 + 200 * np.arange(5)
    assert not in_a_line_of_print(apart, np.zeros(5)).any()



# A sheet of 10 handwritten rows of 10 digits, numbers of 1-4 digits, a degree or two of
# tilt, then turned as a whole: the layout must find the rows along their own direction.
ROW_PATTERNS = [(3, 2, 4, 1), (1, 1, 2, 1, 1, 4), (4, 4, 2), (2, 2, 2, 2, 2), (5, 5),
                (1, 3, 3, 3), (2, 1, 4, 3), (10,), (3, 3, 4), (1, 2, 3, 4)]


def _rows_layout(rng, height=40, sizes=None):
    """Boxes (100, 4) float of the digits' ink, unturned, and their rows (100,); ``sizes``
    (100, 2) gives each digit's width and height (drawn at random when None)."""
    if sizes is None:
        sizes = np.stack([height * rng.uniform(0.35, 0.75, 100),
                          height * rng.uniform(0.85, 1.1, 100)], 1)
    boxes, rows = [], []
    for row, pattern in enumerate(ROW_PATTERNS):
        x = 60 + float(rng.uniform(0, 20))
        for k, length in enumerate(pattern):
            if k:
                x += height * rng.uniform(1.0, 1.6)
            for d in range(length):
                if d:
                    x += height * rng.uniform(0.15, 0.3)
                w, h = sizes[len(boxes)]
                top = 60 + row * 1.9 * height + rng.uniform(0, max(1.0, 1.1 * height - h))
                boxes.append((x, top, w, h))
                rows.append(row)
                x += w
    return np.array(boxes), np.array(rows)


def _turn_boxes(boxes, degrees, about):
    """Axis-aligned boxes of ``boxes`` turned by ``degrees`` about ``about`` (x, y)."""
    theta = np.radians(degrees)
    c, s = np.cos(theta), np.sin(theta)
    centre = boxes[:, :2] + boxes[:, 2:] / 2 - about
    turned = np.stack([centre[:, 0] * c - centre[:, 1] * s,
                       centre[:, 0] * s + centre[:, 1] * c], 1) + about
    size = np.stack([boxes[:, 2] * abs(c) + boxes[:, 3] * abs(s),
                     boxes[:, 2] * abs(s) + boxes[:, 3] * abs(c)], 1)
    return np.concatenate([turned - size / 2, size], 1)


def _word_lengths(text):
    return [tuple(len(word) for word in line.split(" ")) for line in text.split("\n")]


@pytest.mark.parametrize("turn", [0.0, 10.0, 15.0, -10.0, -15.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tilted_rows_are_read_along_their_direction(turn, seed):
    from livedigits.recognize.layout import arrange, estimate_skew

    rng = np.random.default_rng(seed)
    boxes, rows = _rows_layout(rng)
    tilt = float(rng.uniform(1.0, 2.0)) * rng.choice([-1, 1])
    boxes = _turn_boxes(boxes, tilt + turn, np.array([500.0, 400.0]))
    shuffle = rng.permutation(len(boxes))
    boxes, rows = boxes[shuffle], rows[shuffle]
    assert abs(estimate_skew(boxes) - (tilt + turn)) < 1.5
    order, lines, text = arrange(np.round(boxes), np.zeros(100, int), np.ones(100), 0.6)
    assert len(lines) == 10, text
    assert [sorted(set(rows[order][line].tolist())) for line in lines] == \
        [[row] for row in range(10)]
    assert _word_lengths(text) == ROW_PATTERNS


def test_scattered_digits_keep_a_level_reading():
    from livedigits.recognize.layout import estimate_skew, reading_order

    # Digits far apart (a form, a scattered sheet): no pairs to vote, no skew.
    boxes = np.array([[100, 100, 30, 50], [400, 118, 30, 50], [700, 92, 30, 50],
                      [250, 300, 30, 50], [600, 318, 30, 50]])
    assert estimate_skew(boxes) == 0.0
    assert reading_order(boxes) == [[0, 1, 2], [3, 4]]


def _rows_sheet(rng, cells, turn, height=40):
    """A white page with ``_rows_layout``'s digits drawn in ink from held-out cells, tilted
    a degree or two and turned by ``turn`` degrees on a canvas large enough to hold it.
    Returns the (H, W, 3) uint8 image, the digits (100,) and their rows (100,)."""
    import cv2

    from livedigits.synthetic.synth import digit_sprite

    source, labels = cells
    picks = rng.choice(len(source), 100, replace=False)
    sprites = []
    for k in picks.tolist():
        sprite = digit_sprite(source[k], int(height * rng.uniform(0.85, 1.1)),
                               float(rng.uniform(0.06, 0.12)))
        ys, xs = np.nonzero(sprite > 0.5)  # the ink, as the reader sees it: gaps are ink's
        sprites.append(sprite[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
    boxes, rows = _rows_layout(rng, height, np.array([s.shape[::-1] for s in sprites]))
    ink = np.zeros((int(boxes[:, 1].max()) + 2 * height, int(boxes[:, 0].max()) + 2 * height),
                   np.float32)
    for (x, y, _, _), sprite in zip(boxes.astype(int).tolist(), sprites, strict=True):
        region = ink[y:y + sprite.shape[0], x:x + sprite.shape[1]]
        np.maximum(region, sprite, out=region)
    angle = turn + float(rng.uniform(1.0, 2.0)) * rng.choice([-1, 1])
    side = int(np.hypot(*ink.shape)) + 40
    matrix = cv2.getRotationMatrix2D((ink.shape[1] / 2, ink.shape[0] / 2), -angle, 1.0)
    matrix[:, 2] += [(side - ink.shape[1]) / 2, (side - ink.shape[0]) / 2]
    ink = cv2.warpAffine(ink, matrix, (side, side), flags=cv2.INTER_LINEAR)
    page = 245 - (ink[:, :, None] * np.array([135, 205, 225], np.float32) * 0.92)
    return np.clip(page, 0, 255).astype(np.uint8), labels[picks], rows


@pytest.mark.parametrize("turn", [0.0, 10.0, 15.0])
def test_a_tilted_ten_row_sheet_reads_as_ten_lines(turn, holdout_recognizer, heldout):
    """The bar: a 10-row sheet with a degree or two of tilt reads as 10 lines, also turned
    by 10 and 15 degrees, each line one row, its numbers as written."""
    image, digits, rows = _rows_sheet(np.random.default_rng(7), heldout, turn)
    reading = holdout_recognizer.read(image)
    from difflib import SequenceMatcher

    lines = reading.text.split("\n")
    assert len(lines) == 10, reading.text
    for row, line in enumerate(lines):  # each line is its row (a digit missed or misread)
        written = "".join(map(str, digits[rows == row].tolist()))
        assert SequenceMatcher(None, line.replace(" ", ""), written).ratio() >= 0.8, \
            (row, reading.text)
    numbers = sum(a == b for a, b in zip(_word_lengths(reading.text), ROW_PATTERNS,
                                         strict=True))
    assert numbers >= 8, reading.text  # the numbers as written, where no digit was missed


def test_a_stream_keeps_its_direction_through_jitter():
    from livedigits.recognize.layout import SteadySkew, estimate_skew

    rng = np.random.default_rng(5)
    boxes, _ = _rows_layout(rng)
    steady = SteadySkew(every=1)
    turned = _turn_boxes(boxes, 10.0, np.array([500.0, 400.0]))
    # The first frames of a turned sheet: the direction is taken after three of them.
    assert [round(steady(turned)) for _ in range(3)] == [0, 0, 10]
    for _ in range(5):  # jitter of a fraction of a degree: the direction in use stays
        jittered = _turn_boxes(boxes, 10.0 + rng.uniform(-0.8, 0.8), np.array([500.0, 400.0]))
        assert steady(jittered) == pytest.approx(estimate_skew(turned))
    # One stray frame does not turn it; a page turned for good does.
    level = _turn_boxes(boxes, 0.0, np.array([500.0, 400.0]))
    assert round(steady(level)) == 10 and round(steady(turned)) == 10
    assert [round(steady(level)) for _ in range(3)] == [10, 10, 0]


def test_a_stream_looks_at_its_direction_every_few_frames():
    from livedigits.recognize.layout import SteadySkew

    rng = np.random.default_rng(6)
    boxes, _ = _rows_layout(rng)
    turned = _turn_boxes(boxes, 10.0, np.array([500.0, 400.0]))
    steady = SteadySkew(every=4)
    # Looked at on frames 1, 5 and 9: the third look takes the new direction.
    angles = [round(steady(turned)) for _ in range(9)]
    assert angles == [0] * 8 + [10]


def test_a_digit_like_capital_among_letters_in_boxes_is_a_letter():
    """'MAHLER' written in a form's boxes (half a height apart) with the A read as a
    digit; below, a student number in the same boxes with one digit voted down."""
    from livedigits.recognize.layout import inside_a_word

    h = 30
    name = [[100 + 35 * k, 50, 20, h] for k in range(6)]
    number = [[100 + 35 * k, 150, 20, h] for k in range(6)]
    boxes = np.array(name + number, np.int32)
    is_digit = np.array([False, True, False, False, False, False] + [True] * 6)
    is_digit[8] = False
    words = inside_a_word(boxes, is_digit, letters=~is_digit)
    assert words.tolist() == [False, True] + [False] * 10
