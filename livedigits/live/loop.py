"""The live loop's entry: ``run`` shows a window, or reads every frame headless.

In a window (``livedigits.live.window``), capture, processing and display each run on a
thread of their own. Headless, every frame is processed in order on the calling thread
and what is read is printed (text, or JSON Lines).
"""

from __future__ import annotations

import sys
from typing import TextIO

from livedigits.errors import LivedigitsError
from livedigits.live.display import require_gui
from livedigits.live.frames import FrameSource
from livedigits.live.pipeline import Pipeline, Result
from livedigits.live.saver import SaveJob, Saver
from livedigits.live.session import LiveConfig, Timing, add_score, frame_time, run_summary
from livedigits.live.window import WindowRun
from livedigits.pages.memory import reuse_freed_memory
from livedigits.recognize.recognizer import Recognizer


def run(source: FrameSource, recognizer: Recognizer, config: LiveConfig, *,
        out: TextIO | None = None) -> dict:
    """Run the live loop on ``source`` until it ends, ``max_frames``, or the user quits.

    Returns a summary: ``{"frames", "median_ms", "text", "saved"}`` (plus ``"score"``
    summed over frames when ``config.truth`` is given).
    """
    if config.window:
        require_gui()
    reuse_freed_memory()
    recognizer.warmup()
    pipeline = Pipeline(recognizer)
    saver = Saver(config.save_dir, min_confidence=recognizer.min_confidence)
    try:
        if config.window:
            return WindowRun(source, pipeline, saver, config).run()
        return _run_headless(source, pipeline, saver, config, out or sys.stdout)
    finally:
        saver.close()
        source.close()


def _run_headless(source: FrameSource, pipeline: Pipeline, saver: Saver, config: LiveConfig,
                  out: TextIO) -> dict:
    times = Timing()
    last: Result | None = None
    scene = None
    score = None
    last_text = None
    watcher = config.sheet_watcher()
    for frame in source:  # a live source logs its losses and returns itself
        if frame.scene != scene:
            if scene is not None:
                pipeline.tracker.reset()  # a new file, or the camera back after a loss
            scene = frame.scene
        result = pipeline.process(frame.image, frame.index)
        times.add(result.ms)
        last = result
        if watcher is not None:
            message = watcher.feed(frame.image, frame_time(source, frame))
            if message:
                print(f"livedigits: {message}", file=sys.stderr)
        score = add_score(score, config, result)
        if config.json:
            out.write(result.json_line() + "\n")
            out.flush()
        elif result.text != last_text:
            reading = result.text.replace("\n", " / ") or "(no digits)"
            out.write(f"frame {result.index}: {reading}\n")
            out.flush()
        last_text = result.text
        if config.save_every and times.count % config.save_every == 0:
            saver.submit(SaveJob(frame.image, result.detections, result.text, frame.index))
        if config.max_frames is not None and times.count >= config.max_frames:
            break
    if source.failure:
        raise LivedigitsError(source.failure)
    skipped = getattr(source, "skipped", None)
    if skipped:  # each was reported as it was skipped; the run still failed for them
        raise LivedigitsError(f"{len(skipped)} of the files could not be read and were "
                              f"skipped (first: {next(iter(skipped))})")
    return run_summary(times, last, saver, score)
