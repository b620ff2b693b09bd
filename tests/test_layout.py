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
