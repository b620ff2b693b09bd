"""``livedigits live``, ``demo`` and ``cameras``.

Only typer, the standard library and livedigits.cli.options are imported here; cv2, numba
and numpy load inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from livedigits.cli.kiosk import AttractAfter, FrozenAfter, HealthEvery, StallLimit, Title
from livedigits.cli.options import (
    MinConfidence,
    ModelFile,
    Profile,
    load_recognizer,
)

NoWindow = Annotated[bool, typer.Option("--no-window",
                                        help="Run headless: print what is read, open no window.")]
MaxFrames = Annotated[int | None, typer.Option("--max-frames", min=1,
                                               help="Stop after this many processed frames.")]
SaveDir = Annotated[Path, typer.Option("--save-dir", file_okay=False,
                                       help="Folder for snapshots saved with `s` or "
                                            "--save-every.")]
SaveEvery = Annotated[int, typer.Option("--save-every", min=0,
                                        help="Also save a snapshot every N processed frames "
                                             "(0: never).")]
Fullscreen = Annotated[bool, typer.Option("--fullscreen", help="Start fullscreen.")]
Kiosk = Annotated[bool, typer.Option("--kiosk", help="Fullscreen without toolbar, large "
                                                     "numbers, the text in a banner.")]
Mirror = Annotated[bool, typer.Option("--mirror", help="Show the picture mirrored (front "
                                                       "cameras); digits are read unmirrored.")]
CalibrateAs = Annotated[str | None, typer.Option(
    "--calibrate", metavar="NAME",
    help="Also watch for a filled calibration sheet (livedigits calibrate sheet): held still "
         "before the camera for a second, it is read into the handwriting profile NAME.")]
ForceProfile = Annotated[bool, typer.Option(
    "--force", help="With --calibrate: replace an existing profile NAME.")]
FramesJson = Annotated[bool, typer.Option(
    "--json", help="Print JSON Lines, one object per processed frame: frame, ms, detections "
                   "(no window).")]


def live(
    source: Annotated[str, typer.Option(
        "--source", "-s",
        help="Camera index (0), device (/dev/video2), video file, stream URL (rtsp://, "
             "http://) or image glob ('scans/*.png').")] = "0",
    width: Annotated[int, typer.Option(min=0, help="Requested frame width (0: driver's).")] = 0,
    height: Annotated[int, typer.Option(min=0, help="Requested frame height.")] = 0,
    fps: Annotated[float, typer.Option(min=0, help="Requested frames per second.")] = 0.0,
    fourcc: Annotated[str | None, typer.Option(
        help="Pixel format to request, e.g. MJPG (many cameras need it for 720p).")] = None,
    backend: Annotated[str, typer.Option(
        help="Capture backend: any, v4l2, dshow, msmf, avfoundation, gstreamer, ffmpeg.")
    ] = "any",
    loop: Annotated[bool, typer.Option("--loop", help="Restart a video file at its end.")
                    ] = False,
    no_window: NoWindow = False,
    json_output: FramesJson = False,
    max_frames: MaxFrames = None,
    save_dir: SaveDir = Path("."),
    save_every: SaveEvery = 0,
    fullscreen: Fullscreen = False,
    kiosk: Kiosk = False,
    title: Title = "",
    attract_after: AttractAfter = 8.0,
    frozen_after: FrozenAfter = 5.0,
    health_every: HealthEvery = 86400.0,
    stall_limit: StallLimit = 30.0,
    mirror: Mirror = False,
    min_confidence: MinConfidence = 0.6,
    profile: Profile = None,
    model: ModelFile = None,
    calibrate: CalibrateAs = None,
    force: ForceProfile = False,
) -> None:
    """Recognise handwritten digits live from a camera, a video, a stream or images.

    Keys in the window: s save (overlay, plain image, raw frame and JSON, as new
    timestamped files in --save-dir), space freeze, f fullscreen, d debug view, h help,
    q or Esc quit; closing the window quits too.

    With --no-window --json prints one JSON object per processed frame:
    {"frame": i, "ms": processing_ms, "detections": [...]}; a video file is read frame
    by frame, none skipped, and the run ends at its end or after --max-frames.

    Example: livedigits live --source 0 --width 1280 --height 720 --fourcc MJPG
    """
    from livedigits.live.capture import CaptureSettings
    from livedigits.live.loop import run
    from livedigits.live.session import LiveConfig
    from livedigits.live.sources import open_source

    if json_output and not no_window:
        no_window = True  # JSON on stdout is for pipelines: no window
    config = LiveConfig(window=not no_window, json=json_output, max_frames=max_frames,
                        save_dir=save_dir, save_every=save_every, fullscreen=fullscreen,
                        kiosk=kiosk, mirror=mirror, calibrate=calibrate,
                        calibrate_force=force, event_title=title, attract_after=attract_after,
                        health_every=health_every, stall_limit=stall_limit)
    if kiosk:
        import logging

        logging.getLogger("livedigits.health").setLevel(logging.INFO)  # shown without -v
    if calibrate is not None:
        from livedigits.training.profiles import profile_target

        profile_target(calibrate)  # a name or a PATH.npz, checked before the camera opens
    if config.window:
        from livedigits.live.display import require_gui

        require_gui()
    recognizer = load_recognizer(profile, model, min_confidence)
    settings = CaptureSettings(width=width, height=height, fps=fps, fourcc=fourcc,
                               backend=backend)
    frames = open_source(source, settings, loop=loop, frozen_after=frozen_after or None)
    if frames.live and not json_output:
        typer.echo(f"livedigits: {frames.name}: {frames.mode}", err=True)
    summary = run(frames, recognizer, config)
    if not json_output and not config.window:
        typer.echo(f"{summary['frames']} frames, median {summary['median_ms']:.1f} ms "
                   "per frame", err=True)


def demo(
    frames: Annotated[int | None, typer.Option(
        "--frames", min=1, help="Frames to run (default: 90 headless, endless in a window).")
    ] = None,
    no_window: NoWindow = False,
    json_output: FramesJson = False,
    digits: Annotated[int, typer.Option("--digits", min=1, max=200,
                                        help="Digits on the sheet.")] = 60,
    seed: Annotated[int, typer.Option(help="Which sheet to draw.")] = 0,
    save_dir: SaveDir = Path("."),
    kiosk: Kiosk = False,
    min_confidence: MinConfidence = 0.6,
) -> None:
    """Try livedigits without a camera: a sheet of handwritten digits on a desk, filmed by hand.

    The sheet is drawn at run time in ballpoint from digits.png's held-out digits (digits
    the model never trained on) and laid on a desk; each frame is shot as a hand-held
    webcam shoots it: swaying up to 8 px a frame, turning up to 6 degrees, zooming, blur
    changing from frame to frame, uneven and moving light, sensor noise, JPEG. Shown in
    a window when a display is available, otherwise run headless, printing what it reads
    and how well (scored against what it drew).
    """
    from concurrent.futures import ThreadPoolExecutor

    from livedigits.kernels import allow_references
    from livedigits.live.demo_source import DemoSource
    from livedigits.live.display import gui_problem
    from livedigits.live.loop import run
    from livedigits.live.session import LiveConfig
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.model import ModelParams

    window = not (no_window or json_output)
    if window:
        problem = gui_problem()
        if problem:
            window = False
            # The reason only (the advice to run with --no-window is what happens here);
            # a display's own colon (":49") stays.
            reason = problem.partition(": run with")[0]
            typer.echo(f"livedigits: no window ({reason}); running headless", err=True)
    # A first run shows its first frames before compiling ends (kernels.ready).
    allow_references()
    if frames is None and not window:
        frames = 90
    # The sheet is drawn while the model loads (on a first run, while it is fitted).
    with ThreadPoolExecutor(1) as drawing:
        drawn = drawing.submit(DemoSource, n_digits=digits, frames=frames, seed=seed,
                               paced=window)
        # A model that never saw the held-out digits, so the figures mean something.
        recognizer = Recognizer.load(params=ModelParams(holdout=True))
        source = drawn.result()
    recognizer.min_confidence = min_confidence
    if not json_output:
        typer.echo(f"livedigits demo: a {source.width}x{source.height} camera view of a "
                   f"sheet with {len(source.digits)} handwritten digits (digits.png's "
                   "held-out part) on a desk, filmed by hand: swaying, turning, "
                   "blurred, unevenly lit, noisy, JPEG-compressed.")
        typer.echo(f"on the sheet: {_truth_text(source)}")
    config = LiveConfig(window=window, json=json_output, max_frames=frames,
                        save_dir=save_dir, kiosk=kiosk, title="livedigits demo",
                        truth=source.truth)
    summary = run(source, recognizer, config)
    if json_output:
        return
    score = summary.get("score") or {"n": 0, "found": 0, "correct": 0, "fp": 0}
    n = max(score["n"], 1)
    typer.echo(f"{summary['frames']} frames: {100 * score['correct'] / n:.1f}% of digits "
               f"read right, {100 * score['found'] / n:.1f}% found, "
               f"{score['fp'] / max(summary['frames'], 1):.2f} false positives a frame; "
               f"median {summary['median_ms']:.1f} ms per frame")
    typer.echo("next: `livedigits live` with a webcam, `livedigits image sheet.png` for "
               "a photo or scan, `livedigits doctor` if something does not work")


def _truth_text(source) -> str:
    """What the first frame shows, read as the recognizer reads (lines along the tilt)."""
    import numpy as np

    from livedigits.recognize.layout import arrange

    boxes, digits = source.truth(0)
    _, _, text = arrange(boxes, digits, np.ones(len(digits)), 0.0)
    return text.replace("\n", " / ")


def cameras(
    backend: Annotated[str, typer.Option(help="Capture backend to probe with.")] = "any",
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print JSON Lines, one object per camera: source, mode, modes.")
    ] = False,
) -> None:
    """List the cameras that open and deliver a picture, with the modes they accept.

    Exit status 1 when no camera is found, with --json too (which then prints nothing).
    """
    from livedigits.live.capture import camera_candidates, list_cameras
    from livedigits.records import json_line, stamped

    found = list_cameras(backend=backend)
    if json_output:
        for cam in found:
            typer.echo(json_line(stamped({"source": cam.source, "mode": cam.mode,
                                          "modes": cam.modes})))
        if not found:
            typer.echo("livedigits: no camera found", err=True)
            raise typer.Exit(1)
        return
    if not found:
        tried = ", ".join(camera_candidates()) or "no /dev/video* devices"
        typer.echo(f"no camera found (tried: {tried}); try `livedigits demo`, or a video "
                   "file or URL with `livedigits live --source`")
        raise typer.Exit(1)
    for cam in found:
        modes = ", ".join(cam.modes) if cam.modes else "?"
        typer.echo(f"{cam.source}: {cam.mode} (accepts: {modes})")
        typer.echo(f"    livedigits live --source {cam.source}")
