"""Digits on plain, ruled and squared school paper, seen with a camera's keystone.

Renders pages of 100 held-out digits (never trained on: the model used leaves
them out) on each kind of paper at three digit heights, each page under a
slight perspective, uneven light, blur and noise, and reads them as still
images. Prints digits found, read right and false positives per paper and size.

    python benchmarks/paper.py [--pages 4] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def measure(paper: str, digit_height: int, pages: int) -> dict:
    """Summed counts over ``pages`` pages, and the shares found and read right."""
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.synthetic.synth import render_page, score
    from livedigits.training.model import ModelParams

    recognizer = Recognizer.load(params=ModelParams(holdout=True))
    total = {"n": 0, "found": 0, "correct": 0, "fp": 0}
    for seed in range(pages):
        page = render_page(np.random.default_rng(seed), width=1280, height=720,
                           digit_height=digit_height, n_digits=100, paper=paper,
                           perspective=0.03)
        got = score(page.boxes, page.digits, recognizer.recognize(page.image))
        total = {k: total[k] + got[k] for k in total}
    n = max(total["n"], 1)
    return {**total, "found_share": total["found"] / n, "correct_share": total["correct"] / n}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4, help="pages per paper and size")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = [{"paper": paper, "digit_height": height, **measure(paper, height, args.pages)}
            for paper in ("plain", "ruled", "squared") for height in (22, 36, 60)]
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'paper':<9}{'height':>7}{'digits':>8}{'found':>8}{'correct':>9}{'fp':>5}")
    for r in rows:
        print(f"{r['paper']:<9}{r['digit_height']:>7}{r['n']:>8}{r['found_share']:>8.1%}"
              f"{r['correct_share']:>9.1%}{r['fp']:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
