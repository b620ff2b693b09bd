"""Live recognition: frame sources, the per-frame pipeline, tracking, the window and headless
loops, and kiosk mode.
"""
