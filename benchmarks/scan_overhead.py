"""Overhead of ``livedigits scan`` over ``livedigits image`` on the same page.

Scans one rendered A4 300-dpi sheet through SANE's pnm device (a private
SANE_CONFIG_DIR, so no real scanner is touched) and times, interleaved, median
of N runs, in one process with the model loaded once:

- scanner: ``scanimage -d pnm:0 --format=pnm`` to a file (the scanner's own time: the
           raw transfer, no encoding);
- image:   ``batch.process_file`` on the page as PNG (what ``livedigits image`` does);
- scan:    ``scan.scan_pages`` + ``scan.process_page`` (what ``livedigits scan`` does);
- by hand: ``scanimage --format=png`` then ``process_file`` (scanning to PNG first).

The overhead is ``scan - (scanner + image)``; the bar is <= 10% of ``image``.

    python benchmarks/scan_overhead.py [--repeats 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import cv2
    import numpy as np

    from livedigits.pages.page import process_file
    from livedigits.pages.scan import process_page, scan_pages
    from livedigits.pages.scan_devices import ScanSettings
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.synthetic.synth import render_page

    exe = shutil.which("scanimage")
    if exe is None:
        print("scanimage not found (apt install sane-utils)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="scan-overhead-"))
    try:
        (work / "sane.d").mkdir()
        (work / "sane.d" / "dll.conf").write_text("pnm\n")
        os.environ["SANE_CONFIG_DIR"] = str(work / "sane.d")
        page = render_page(np.random.default_rng(5), width=2480, height=3508,
                           digit_height=90, n_digits=200)
        sheet = work / "sheet.pgm"
        cv2.imwrite(str(sheet), cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY))
        recognizer = Recognizer.load()
        recognizer.warmup()
        settings = ScanSettings(device="pnm:0", options=[("filename", str(sheet))])
        scanned = work / "scanned.png"

        def scanimage(fmt: str, target: Path) -> None:
            target.unlink(missing_ok=True)
            subprocess.run([exe, "-d", "pnm:0", f"--filename={sheet}", "--resolution=300",
                            f"--format={fmt}", "-o", str(target)], check=True)

        def scanner() -> None:
            scanimage("pnm", work / "raw.pnm")

        def image() -> None:
            process_file(recognizer, scanned, out_dir=work / "image")

        def by_hand() -> None:
            scanimage("png", scanned)
            process_file(recognizer, scanned, out_dir=work / "image")

        def scan() -> None:
            for page in scan_pages(settings, work / "scan"):
                process_page(recognizer, page, work / "scan")

        runs = {"scanner": scanner, "image": image, "scan": scan, "by_hand": by_hand}
        timings: dict[str, list[float]] = {name: [] for name in runs}
        scanimage("png", scanned)
        for run in runs.values():  # warm caches once
            run()
        for _ in range(args.repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                timings[name].append((time.perf_counter() - start) * 1000)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ms = {name: statistics.median(values) for name, values in timings.items()}
    overhead = ms["scan"] - ms["scanner"] - ms["image"]
    report = {
        "page": "2480x3508 gray, 300 dpi, 200 digits",
        "repeats": args.repeats,
        "scanner_ms": round(ms["scanner"], 1),
        "image_ms": round(ms["image"], 1),
        "scan_ms": round(ms["scan"], 1),
        "by_hand_ms": round(ms["by_hand"], 1),
        "overhead_ms": round(overhead, 1),
        "overhead_pct_of_image": round(100 * overhead / ms["image"], 1),
        "bar": "overhead <= 10% of image",
        "ok": overhead <= 0.10 * ms["image"],
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>22}: {value}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
