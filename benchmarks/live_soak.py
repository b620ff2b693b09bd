"""Soak test of `livedigits live`: memory and frames over a long headless run.

Renders a webcam-like 1280x720 video of a moving sheet of 100 held-out digits
(benchmarks/live_video.py's render_video, MJPG), then runs the real command
`livedigits live --source VIDEO --loop --no-window --json --model HELDOUT` as a
child process for --seconds, the video restarting at its end. Every --interval
seconds samples the child's resident memory (VmRSS in /proc/PID/status); counts
the frames it processed from its JSON lines. Reports RSS at 1 min and at the end,
the growth per minute after the first minute (least-squares slope), frames
processed, and whether the growth stays under --max-growth. Times count from the
child's start, so the first minute includes startup (model load, kernel warm-up).
Linux only (/proc).

    python benchmarks/live_soak.py [--seconds 600] [--interval 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

WARMUP_S = 60.0


def _render_video(path: Path, *, frames: int, seed: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from live_video import render_video

    render_video(path, frames=frames, pen=None, seed=seed)


def _status_mib(pid: int) -> tuple[float, float] | None:
    """The process's (VmRSS, VmHWM) in MiB, or None once it is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) / 1024  # kB
    except (FileNotFoundError, ProcessLookupError):
        return None
    if "VmRSS" not in values:
        return None  # a zombie has no memory lines
    return values["VmRSS"], values.get("VmHWM", values["VmRSS"])


class _Counter:
    """Reads the child's JSON lines on a thread: frames counted and their ms kept."""

    def __init__(self, stream) -> None:
        self.frames = 0
        self.other = 0
        self.ms: list[float] = []
        self._stream = stream
        self._thread = threading.Thread(target=self._run, name="json-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for line in self._stream:
            try:
                record = json.loads(line)
            except ValueError:
                self.other += 1
                continue
            if isinstance(record, dict) and "frame" in record:
                self.ms.append(float(record.get("ms", "nan")))
                self.frames += 1
            else:
                self.other += 1

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


def _stop(proc: subprocess.Popen) -> None:
    """Ctrl-C the child (the CLI exits cleanly on it), harder if it does not go."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def soak(seconds: float, interval: float, frames: int, seed: int) -> dict:
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.model import ModelParams

    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "sheet.avi"
        model = Path(folder) / "heldout-model.npz"
        _render_video(video, frames=frames, seed=seed)
        Recognizer.load(params=ModelParams(holdout=True)).model.save(model)
        command = [sys.executable, "-m", "livedigits", "live", "--source", str(video),
                   "--loop", "--no-window", "--json", "--model", str(model)]
        errors = Path(folder) / "stderr.txt"
        with open(errors, "w") as err:
            started = time.monotonic()
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True,
                                    bufsize=1, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
        counter = _Counter(proc.stdout)
        samples: list[tuple[float, float, int]] = []  # (s since start, RSS MiB, frames)
        peak = 0.0
        died = False
        try:
            due = started
            while True:
                due += interval
                time.sleep(max(0.0, due - time.monotonic()))
                now = time.monotonic() - started
                status = _status_mib(proc.pid)
                if status is None or proc.poll() is not None:
                    died = True
                    break
                samples.append((now, status[0], counter.frames))
                peak = max(peak, status[1])
                if now >= seconds:
                    break
        finally:
            _stop(proc)
            counter.join(10)
        stderr_tail = errors.read_text(errors="replace").strip().splitlines()[-5:]
    return _report(command, seconds, samples, peak, counter, died, proc.returncode,
                   stderr_tail)


def _report(command: list[str], seconds: float, samples: list, peak: float,
            counter: _Counter, died: bool, returncode: int | None,
            stderr_tail: list[str]) -> dict:
    t = np.array([s[0] for s in samples], np.float64)
    rss = np.array([s[1] for s in samples], np.float64)
    nan = float("nan")
    at_1min = float(rss[np.argmin(np.abs(t - WARMUP_S))]) if len(t) and t[-1] >= WARMUP_S \
        else nan
    after = t >= WARMUP_S
    slope = float(np.polyfit(t[after] / 60, rss[after], 1)[0]) if after.sum() >= 2 else nan
    elapsed = float(t[-1]) if len(t) else 0.0
    ms = np.array(counter.ms[1:], np.float64)
    return {
        "command": " ".join(["livedigits", *command[3:]]),
        "seconds": elapsed,
        "samples_taken": len(samples),
        "frames": counter.frames,
        "fps": counter.frames / elapsed if elapsed else nan,
        "median_ms": float(np.median(ms)) if len(ms) else nan,
        "rss_start_mib": float(rss[0]) if len(rss) else nan,
        "rss_1min_mib": at_1min,
        "rss_end_mib": float(rss[-1]) if len(rss) else nan,
        "rss_peak_mib": peak,
        "growth_mib_per_min": slope,
        "finished": not died and elapsed >= seconds,
        "returncode": returncode,
        "stderr_tail": stderr_tail,
        "samples": [[round(s[0], 1), round(s[1], 2), s[2]] for s in samples],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--interval", type=float, default=5.0,
                        help="seconds between RSS samples")
    parser.add_argument("--frames", type=int, default=150,
                        help="frames in the looped video (15 fps)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--max-growth", type=float, default=1.0,
                        help="bar: MiB per minute of RSS growth after the first minute")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").is_file():
        print("live_soak: needs Linux's /proc", file=sys.stderr)
        return 2
    r = soak(args.seconds, args.interval, args.frames, args.seed)
    r["max_growth_mib_per_min"] = args.max_growth
    r["ok"] = bool(r["finished"] and r["growth_mib_per_min"] < args.max_growth)
    if args.json:
        print(json.dumps({k: None if isinstance(v, float) and np.isnan(v) else v
                          for k, v in r.items()}))
    else:
        print(r["command"])
        print(f"{'ran':<28}{r['seconds']:>10.0f} s")
        print(f"{'frames processed':<28}{r['frames']:>10d}   ({r['fps']:.1f} fps, "
              f"median {r['median_ms']:.1f} ms)")
        print(f"{'RSS at start (1st sample)':<28}{r['rss_start_mib']:>10.1f} MiB")
        print(f"{'RSS at 1 min':<28}{r['rss_1min_mib']:>10.1f} MiB")
        print(f"{'RSS at end':<28}{r['rss_end_mib']:>10.1f} MiB")
        print(f"{'RSS peak (VmHWM)':<28}{r['rss_peak_mib']:>10.1f} MiB")
        print(f"{'growth after 1 min':<28}{r['growth_mib_per_min']:>10.3f} MiB/min  "
              f"(least squares, {r['samples_taken']} samples)")
        verdict = "PASS" if r["ok"] else "FAIL"
        print(f"bar: growth < {args.max_growth:g} MiB/min after the first minute: {verdict}")
    if not r["finished"]:
        print(f"live_soak: the live process ended early (exit {r['returncode']}):",
              *r["stderr_tail"], sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
