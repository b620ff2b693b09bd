"""livedigits: live handwritten-digit recognition with Numba HOG + k-nearest neighbours.

    from livedigits import Recognizer
    recognizer = Recognizer.load()
    detections = recognizer.recognize(image)   # image: (H, W) or (H, W, 3) uint8, or a path
    text = recognizer.read(image).text         # numbers by lines, as `livedigits image` prints

Heavy modules (numba, cv2) load on first use, so importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Detection", "LivedigitsError", "Reading", "Recognizer", "__version__"]

if TYPE_CHECKING:
    from livedigits.errors import LivedigitsError
    from livedigits.recognize.recognizer import Detection, Reading, Recognizer


def __getattr__(name: str) -> Any:
    if name in ("Recognizer", "Detection", "Reading"):
        from livedigits.recognize import recognizer

        return getattr(recognizer, name)
    if name == "LivedigitsError":
        from livedigits.errors import LivedigitsError

        return LivedigitsError
    raise AttributeError(f"module 'livedigits' has no attribute {name!r}")
