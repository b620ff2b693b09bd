"""``livedigits`` with a recognizer that takes a fixed time a frame, for the window tests.

    python -m tests.slow_live SECONDS FAIL_AFTER [livedigits arguments...]

Each frame is read for real, then the processing waits until SECONDS have passed since it
began (sleeping releases the GIL, as the Numba kernels and OpenCV do), so the live loop
sees a recognizer of exactly that speed. With FAIL_AFTER > 0 the processing raises
RuntimeError on the frame after that many, as a bug would.
"""

from __future__ import annotations

import sys
import time


def slow_down(seconds: float, fail_after: int = 0) -> None:
    """Make ``livedigits.live.pipeline.Pipeline.process`` take ``seconds`` a frame (at least).

    With ``fail_after`` > 0, the call after that many raises RuntimeError.
    """
    from livedigits.live import pipeline

    original = pipeline.Pipeline.process
    calls = [0]

    def process(self, image, index=0):
        calls[0] += 1
        if 0 < fail_after < calls[0]:
            raise RuntimeError(f"simulated fault on frame {index}\nsecond line")
        start = time.perf_counter()
        result = original(self, image, index)
        rest = seconds - (time.perf_counter() - start)
        if rest > 0:
            time.sleep(rest)
        result.ms = 1000 * (time.perf_counter() - start)
        return result

    pipeline.Pipeline.process = process


def main(argv: list[str]) -> None:
    """The command line with ``argv[0]`` s a frame, failing after ``argv[1]``, on ``argv[2:]``."""
    slow_down(float(argv[0]), int(argv[1]))
    from livedigits.cli.root import main as cli_main

    sys.argv = ["livedigits", *argv[2:]]
    cli_main()


if __name__ == "__main__":
    main(sys.argv[1:])
