"""One image in, digit detections out: the sheet, segmentation, rules, splitting, reading order and
the public Recognizer.
"""
