"""Handwriting calibration: printable sheets, reading them back into profiles, reports, and a sheet
held up to the camera.
"""
