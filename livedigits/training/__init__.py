"""The classifier's data: digits.png's cells, augmentation and pen redraw, rendered negatives and
styles, profiles and the model file.
"""
