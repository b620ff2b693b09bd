import numpy as np

from livedigits.layout import reading_order, text_of


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
    from livedigits.layout import inside_a_word

    # "T o t" with the o read as a 0 between two turned-down letters; "5 kg": the 5 has
    # letters on one side only; "12A": digits beside digits.
    boxes = np.array([[100, 50, 20, 30], [124, 58, 16, 22], [144, 50, 14, 30],
                      [100, 150, 18, 30], [130, 150, 18, 30], [152, 150, 18, 30],
                      [100, 250, 18, 30], [122, 250, 18, 30], [144, 250, 20, 30]], np.int32)
    is_digit = np.array([False, True, False, True, False, False, True, True, False])
    assert inside_a_word(boxes, is_digit).tolist() == [False, True, False, False, False,
                                                       False, False, False, False]


def test_a_word_in_a_line_of_print_is_not_tried_as_digits():
    from livedigits.layout import in_a_line_of_print

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

