"""``livedigits scan``: pages from a SANE scanner or a watched folder, read like ``image``.

Only typer, the standard library and livedigits.cli.options are imported at module
level, so ``livedigits --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from livedigits.cli.options import JsonFlag, MinConfidence, ModelFile, Profile, load_recognizer
from livedigits.records import error_record, json_line, stamped

ScanOut = Annotated[
    Path | None,
    typer.Option("--out", "-O", file_okay=False,
                 help="Folder for the scanned pages (PNG), overlays and plain images "
                      "[default: the current folder; with --watch: beside each file]."),
]


def scan(
    device: Annotated[str | None, typer.Option(
        "--device", "-d", help="SANE device name, e.g. pnm:0 or airscan:e0:... "
                               "[default: the only or first scanner; see --list].")] = None,
    resolution: Annotated[int, typer.Option(min=25, max=4800, help="Dots per inch.")] = 300,
    mode: Annotated[str | None, typer.Option(
        help="Colour mode as the scanner names it, e.g. Gray, Color.")] = None,
    source: Annotated[str | None, typer.Option(
        help="Paper source as the scanner names it, e.g. ADF, Flatbed.")] = None,
    batch: Annotated[bool, typer.Option(
        "--batch", help="Scan every page in the feeder; the feeder running out ends it.")] = False,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", metavar="NAME=VALUE",
        help="Backend option passed on to SANE as --NAME=VALUE (repeatable), "
             "e.g. -o filename=page.pnm.")] = None,
    out: ScanOut = None,
    json_output: JsonFlag = False,
    list_devices: Annotated[bool, typer.Option(
        "--list", help="List the scanners SANE sees and exit.")] = False,
    show: Annotated[bool, typer.Option(
        "--show", help="Show each page's overlay in a window (a key closes the last).")] = False,
    watch: Annotated[Path | None, typer.Option(
        "--watch", file_okay=False, exists=True,
        help="Instead of scanning, read each new image that appears in this folder "
             "(for scanners that save to a share); runs until Ctrl-C.")] = None,
    timeout: Annotated[float, typer.Option(
        min=1.0, help="Seconds without any sign of life from the scanner before the scan "
                      "is stopped as hung.")] = 60.0,
    max_files: Annotated[int | None, typer.Option(
        min=1, help="With --watch: stop after this many files.")] = None,
    idle_exit: Annotated[float | None, typer.Option(
        min=0.0, help="With --watch: stop after this many seconds with nothing new.")] = None,
    min_confidence: MinConfidence = 0.6,
    profile: Profile = None,
    model: ModelFile = None,
) -> None:
    """Scan pages through SANE and read their handwritten digits, as `image` does.

    Each page is saved as scan-DATE-TIME-NNN.png in --out (never overwriting), with
    its _overlay.png and _digits.png; the numbers read are printed per page (with
    --json, one object per page as `image --json` prints, "image" being the saved
    page). With --batch every sheet in the feeder is scanned; a jam, an open cover or
    a hung scanner stops the scan with an error naming the page, and the pages
    scanned before it are kept and read.

    Examples: livedigits scan --list;  livedigits scan --source ADF --batch --out scans/;
    livedigits scan --device pnm:0 -o filename=page.pnm;  livedigits scan --watch /srv/scans
    """
    from livedigits.errors import LivedigitsError

    if list_devices:
        _print_devices(json_output)
        return
    options = _parse_options(option or [])
    if show:  # before any page is scanned: a missing display would abort in Qt
        from livedigits.live.display import gui_problem

        problem = gui_problem()
        if problem:
            reason = problem.partition(": run with")[0]
            raise LivedigitsError(f"--show needs a window: {reason}; scan without --show, "
                                  "or set DISPLAY to a reachable X display")
    if watch is not None:
        _run_watch(watch, out, json_output, show, max_files, idle_exit,
                   load_recognizer(profile, model, min_confidence))
        return
    from livedigits.pages.scan_devices import ScanSettings, default_device
    from livedigits.pages.scan_devices import list_devices as find

    name = device or default_device(find()).name
    settings = ScanSettings(device=name, resolution=resolution, mode=mode, source=source,
                            batch=batch, options=options, timeout=timeout)
    recognizer = load_recognizer(profile, model, min_confidence)
    _run_scan(settings, out or Path("."), json_output, show, recognizer)


def _parse_options(items: list[str]) -> list[tuple[str, str]]:
    from livedigits.pages.scan_devices import parse_option

    return [parse_option(item) for item in items]


def _print_devices(json_output: bool) -> None:
    from livedigits.errors import LivedigitsError
    from livedigits.pages.scan_devices import NO_DEVICE_HINT, list_devices

    devices = list_devices()
    if not devices:
        raise LivedigitsError(NO_DEVICE_HINT)
    for d in devices:
        typer.echo(json_line(stamped(d.to_dict())) if json_output
                   else d.describe())


def _echo_result(result: dict, json_output: bool, header: bool) -> None:
    if json_output:
        typer.echo(json_line(stamped(result)))
        return
    if header:
        typer.echo(f"== {result['image']}")
    typer.echo(result["text"])


def _run_scan(settings, out: Path, json_output: bool, show: bool, recognizer) -> None:
    """Scan, reading each page while the scanner goes on with the next."""
    from livedigits.errors import LivedigitsError
    from livedigits.pages.scan import process_page, scan_pages

    viewer = _Viewer() if show else None
    failed = 0
    pages = scan_pages(settings, out)
    try:
        for page in _terminate_as_interrupt(pages):
            try:
                result = process_page(recognizer, page, out)
            except LivedigitsError as exc:  # the page is saved; report it and go on
                failed += 1
                typer.echo(f"livedigits: {exc}", err=True)
                if json_output:
                    typer.echo(json_line(error_record(str(page.path), str(exc))))
                continue
            _echo_result(result, json_output, header=settings.batch)
            if viewer:
                viewer.show(result)
    finally:
        pages.close()  # scanimage stopped, finished pages kept, even on SIGTERM or Ctrl-C
        if viewer:
            viewer.close()
    if failed:
        raise typer.Exit(1)


def _terminate_as_interrupt(items):
    """Iterate ``items`` with SIGTERM raising KeyboardInterrupt (as Ctrl-C does), so that
    a service manager stopping a scan still runs the clean-up: scanimage and its helpers
    stopped, scanned pages kept."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield from items
        return

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield from items
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_watch(folder: Path, out: Path | None, json_output: bool, show: bool,
               max_files: int | None, idle_exit: float | None, recognizer) -> None:
    from livedigits.pages.watch import FolderWatcher

    watcher = FolderWatcher(folder, recognizer, out_dir=out)
    viewer = _Viewer() if show else None
    failed = 0
    try:
        for item in watcher.run(max_files=max_files, idle_exit=idle_exit):
            if item.error:
                failed += 1
                typer.echo(f"livedigits: {item.error}", err=True)
                if json_output:
                    typer.echo(json_line(error_record(str(item.path), item.error)))
                continue
            _echo_result(item.result, json_output, header=True)
            if viewer:
                viewer.show(item.result)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a watch ends; the state file is already up to date
    finally:
        if viewer:
            viewer.close()
    if failed:
        raise typer.Exit(1)


class _Viewer:
    """One OpenCV window showing the latest page's overlay."""

    title = "livedigits scan"

    def show(self, result: dict) -> None:
        import cv2

        image = cv2.imread(result.get("overlay") or result["image"], cv2.IMREAD_COLOR)
        if image is None:
            return
        scale = min(1.0, 1000 / max(image.shape[:2]))
        if scale < 1.0:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        cv2.imshow(self.title, image)
        cv2.waitKey(1)

    def close(self) -> None:
        import cv2

        try:
            while cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1:
                if cv2.waitKey(100) != -1:
                    break
        except cv2.error:
            pass
        cv2.destroyAllWindows()
