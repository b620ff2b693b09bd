"""Rendered pages and scenes: synthetic sheets, sheets on desks in the wild and hand-held camera
footage, for the demo, tests and benchmarks.
"""
