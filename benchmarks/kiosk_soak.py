"""Soak test of the kiosk: memory and frame stalls over a long `livedigits live --kiosk --loop`.

Starts a private Xvfb (--screen, default 1600x900, no window manager), renders a
webcam-like 1280x720 video of a moving sheet of 100 held-out digits
(benchmarks/live_video.py's render_video, MJPG), and runs the real command

    livedigits live --kiosk --loop --source VIDEO --model HELDOUT --health-every H

as a child process for --seconds. Checks the kiosk window covers the screen
(xdotool getwindowgeometry), samples the child's resident memory (VmRSS in
/proc/PID/status) every --interval seconds, and reads the health lines it logs every
H seconds: frames shown, and the longest gap between two pictures reaching the screen
in each period (a stall). Reports the RSS growth per hour after --warmup seconds
(least-squares slope, and end minus start of that stretch) and the longest gap; bars:
growth < 1 MiB/h, no gap over 1 s. Linux only (/proc).

    nice python benchmarks/kiosk_soak.py [--seconds 1800] [--interval 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_soak import _render_video, _status_mib, _stop  # noqa: E402

HEALTH = re.compile(r"health: .*?(\d+) frames shown \(([\d.]+) fps\), (\d+) processed, "
                    r"(\d+) reconnects, rss ([\d.]+) MiB, longest gap ([\d.]+) s")


class _Health:
    """Reads the child's stderr on a thread, keeping its health lines and the rest's tail."""

    def __init__(self, stream, started: float) -> None:
        self.lines: list[dict] = []
        self.tail: list[str] = []
        self._started = started
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream) -> None:
        for line in stream:
            found = HEALTH.search(line)
            if found is None:
                self.tail = [*self.tail[-9:], line.rstrip()]
                continue
            shown, fps, processed, reconnects, rss, gap = found.groups()
            self.lines.append({"t": time.monotonic() - self._started, "shown": int(shown),
                               "fps": float(fps), "processed": int(processed),
                               "reconnects": int(reconnects), "rss": float(rss),
                               "gap": float(gap), "load": os.getloadavg()[0]})

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


def _xvfb(screen: str):
    """A private Xvfb; (process, ":N")."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                               f"{screen}x24", "-nolisten", "tcp"], pass_fds=(write_fd,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        raise RuntimeError("Xvfb did not report its display")
    return server, f":{number}"


def _window_geometry(display: str) -> str:
    """``WxH at X,Y`` of the kiosk window, or why it could not be read."""
    if not shutil.which("xdotool"):
        return "(no xdotool)"
    done = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name",
                           "^livedigits$", "getwindowgeometry"],
                          env={**os.environ, "DISPLAY": display}, capture_output=True,
                          text=True, timeout=120)
    position = re.search(r"Position: (\d+),(\d+)", done.stdout)
    size = re.search(r"Geometry: (\d+x\d+)", done.stdout)
    if not (position and size):
        return f"(not found: {done.stderr.strip()})"
    return f"{size.group(1)} at {position.group(1)},{position.group(2)}"


def soak(seconds: float, interval: float, frames: int, seed: int, screen: str,
         health_every: float, warmup: float) -> dict:
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.model import ModelParams

    server, display = _xvfb(screen)
    try:
        with tempfile.TemporaryDirectory() as folder:
            video = Path(folder) / "sheet.avi"
            model = Path(folder) / "heldout-model.npz"
            _render_video(video, frames=frames, seed=seed)
            Recognizer.load(params=ModelParams(holdout=True)).model.save(model)
            command = [sys.executable, "-m", "livedigits", "live", "--kiosk", "--loop",
                       "--source", str(video), "--model", str(model), "--save-dir", folder,
                       "--health-every", str(health_every)]
            env = {**os.environ, "DISPLAY": display, "NUMBA_NUM_THREADS": "1"}
            env.pop("WAYLAND_DISPLAY", None)
            env.pop("QT_QPA_PLATFORM", None)
            started = time.monotonic()
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, env=env, cwd=folder)
            health = _Health(proc.stderr, started)
            samples: list[tuple[float, float, float]] = []  # (s, RSS MiB, load average)
            died = False
            try:
                geometry = _window_geometry(display)
                due = started
                while True:
                    due += interval
                    time.sleep(max(0.0, due - time.monotonic()))
                    now = time.monotonic() - started
                    status = _status_mib(proc.pid)
                    if status is None or proc.poll() is not None:
                        died = True
                        break
                    samples.append((now, status[0], os.getloadavg()[0]))
                    if now >= seconds:
                        break
            finally:
                _stop(proc)
                health.join(10)
    finally:
        server.terminate()
        server.wait(10)
    return _report(command, screen, geometry, samples, health, died, proc.returncode,
                   seconds, warmup)


def _report(command: list[str], screen: str, geometry: str, samples: list, health: _Health,
            died: bool, returncode: int | None, seconds: float, warmup: float) -> dict:
    nan = float("nan")
    t = np.array([s[0] for s in samples], np.float64)
    rss = np.array([s[1] for s in samples], np.float64)
    after = t >= warmup
    slope = float(np.polyfit(t[after] / 3600, rss[after], 1)[0]) if after.sum() >= 3 else nan
    span = float(t[after][-1] - t[after][0]) if after.sum() >= 2 else 0.0
    end_minus_start = (float(rss[after][-1] - rss[after][0]) * 3600 / span) if span else nan
    lines = health.lines
    gaps = [h["gap"] for h in lines if h["t"] >= warmup]
    elapsed = float(t[-1]) if len(t) else 0.0
    last = lines[-1] if lines else {}
    return {
        "command": " ".join(["livedigits", *command[3:]]),
        "screen": screen,
        "window": geometry,
        "seconds": elapsed,
        "samples_taken": len(samples),
        "health_lines": len(lines),
        "frames_shown": last.get("shown", 0),
        "frames_processed": last.get("processed", 0),
        "fps": last.get("shown", 0) / last["t"] if lines else nan,
        "reconnects": last.get("reconnects", 0),
        "rss_start_mib": float(rss[0]) if len(rss) else nan,
        "rss_after_warmup_mib": float(rss[after][0]) if after.any() else nan,
        "rss_end_mib": float(rss[-1]) if len(rss) else nan,
        "growth_mib_per_hour": slope,
        "growth_end_minus_start_mib_per_hour": end_minus_start,
        "longest_gap_s": max(gaps) if gaps else nan,
        "longest_gap_first_period_s": lines[0]["gap"] if lines else nan,
        "finished": not died and elapsed >= seconds,
        "returncode": returncode,
        "stderr_tail": health.tail,
        "slow_periods": [[round(h["t"]), h["gap"], round(h["load"], 2)] for h in lines
                         if h["gap"] > 0.5],
        "rss_every_5_min": [[round(a), round(b, 2)] for a, b, _ in samples
                            if round(a) % 300 < 10],
        "load_median": float(np.median([c for _, _, c in samples])) if samples else nan,
        "health": lines,
        "samples": [[round(a, 1), round(b, 2), round(c, 2)] for a, b, c in samples],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1800.0)
    parser.add_argument("--interval", type=float, default=10.0,
                        help="seconds between RSS samples")
    parser.add_argument("--health-every", type=float, default=30.0,
                        help="seconds between the kiosk's health lines")
    parser.add_argument("--warmup", type=float, default=300.0,
                        help="seconds left out of the growth and stall figures (start-up, "
                             "heap settling)")
    parser.add_argument("--frames", type=int, default=150,
                        help="frames in the looped video (15 fps)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--screen", default="1600x900")
    parser.add_argument("--max-growth", type=float, default=1.0, help="bar: MiB per hour")
    parser.add_argument("--max-gap", type=float, default=1.0, help="bar: s between pictures")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the full record (JSON) here")
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").is_file() or not shutil.which("Xvfb"):
        print("kiosk_soak: needs Linux's /proc and Xvfb", file=sys.stderr)
        return 2
    r = soak(args.seconds, args.interval, args.frames, args.seed, args.screen,
             args.health_every, min(args.warmup, args.seconds / 2))
    w, h = args.screen.split("x")
    r["window_ok"] = r["window"] == f"{w}x{h} at 0,0"
    r["ok"] = bool(r["finished"] and r["window_ok"]
                   and r["growth_mib_per_hour"] < args.max_growth
                   and r["longest_gap_s"] <= args.max_gap)
    record = json.dumps({k: None if isinstance(v, float) and np.isnan(v) else v
                         for k, v in r.items()})
    if args.out:
        args.out.write_text(record + "\n")
    if args.json:
        print(record)
    else:
        print(r["command"])
        print(f"{'screen / kiosk window':<34}{r['screen']} / {r['window']}")
        print(f"{'ran':<34}{r['seconds']:>10.0f} s")
        print(f"{'frames shown / processed':<34}{r['frames_shown']:>10d} / "
              f"{r['frames_processed']}  ({r['fps']:.1f} fps)")
        print(f"{'RSS start / after warm-up / end':<34}{r['rss_start_mib']:>10.1f} / "
              f"{r['rss_after_warmup_mib']:.1f} / {r['rss_end_mib']:.1f} MiB")
        print(f"{'growth after warm-up':<34}{r['growth_mib_per_hour']:>10.3f} MiB/h  "
              f"(least squares; end minus start "
              f"{r['growth_end_minus_start_mib_per_hour']:.3f} MiB/h)")
        print(f"{'longest gap between pictures':<34}{r['longest_gap_s']:>10.3f} s  "
              f"({r['health_lines']} health lines; first period "
              f"{r['longest_gap_first_period_s']:.3f} s)")
        print(f"{'RSS every 5 minutes':<34}"
              + ", ".join(f"{t // 60:.0f} min {m:.1f}" for t, m in r["rss_every_5_min"]))
        print(f"{'periods with a gap over 0.5 s':<34}"
              + (", ".join(f"at {t} s: {g:.2f} s (load {a:.1f})"
                           for t, g, a in r["slow_periods"]) or "none")
              + f"  (median load average {r['load_median']:.1f} on {os.cpu_count()} cores)")
        print(f"bars: window {args.screen} at 0,0, growth < {args.max_growth:g} MiB/h, "
              f"gaps <= {args.max_gap:g} s: {'PASS' if r['ok'] else 'FAIL'}")
    if not r["finished"]:
        print(f"kiosk_soak: the kiosk ended early (exit {r['returncode']}):",
              *r["stderr_tail"], sep="\n  ", file=sys.stderr)
        return 1
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
