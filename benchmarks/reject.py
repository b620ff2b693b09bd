"""The reject class and the digit styles, measured on held-out renderings.

Builds models that never saw digits.png's held-out tenth (``ModelParams(holdout=True)``)
and reports, for each:

a. accuracy on digits.png's held-out tenth (``Recognizer.classify``), and the share
   of those cells the model says are not digits;
b. the share of held-out handwritten digits wrongly rejected on pen-written pages
   (``synth.render_page``, the digits redrawn with a round pen, read end to end:
   found, read right, and how many of the candidates on a digit were rejected);
c. the share of held-out negatives accepted as digits, per kind
   (``negatives.render``, other seeds and sizes than training's);
d. accuracy on each digit style MNIST lacks (``styles.render``, other seeds).

``--compare`` adds the model without negatives and styles (today's recipe before the
reject class) beside the default one.

    python benchmarks/reject.py [--pages 6] [--per-kind 400] [--compare] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

HELD_OUT_SEED = 9001  # training renders with (seed, 1) and (seed, 2)
HELD_OUT_HEIGHTS = (16, 110)  # training draws 14..90 px


def digits_png(recognizer) -> dict:
    from livedigits.synthetic.synth import heldout_cells

    cells, labels = heldout_cells()
    digits, _, ok = recognizer.assess(cells)
    return {"n": len(labels), "accuracy": float((digits == labels).mean()),
            "rejected": float((~ok).mean()),
            "rejected_by_digit": np.bincount(labels[~ok], minlength=10).tolist()}


def pages(recognizer, n_pages: int) -> dict:
    """Pen-written held-out digits on pages: candidates on a digit that are rejected,
    and the end-to-end score."""
    from livedigits.recognize.normalise import cut_cells
    from livedigits.recognize.segment import find_candidates
    from livedigits.synthetic.synth import render_page, score

    total = {"n": 0, "found": 0, "correct": 0, "fp": 0}
    on_digit = rejected = 0
    for seed in range(n_pages):
        page = render_page(np.random.default_rng([HELD_OUT_SEED, seed]), width=1280,
                           height=720, digit_height=int(28 + 8 * (seed % 4)), n_digits=100)
        got = score(page.boxes, page.digits, recognizer.recognize(page.image))
        total = {k: total[k] + got[k] for k in total}
        found = find_candidates(page.image)
        if len(found) == 0:
            continue
        judged = recognizer.judge(cut_cells(found))
        centres = page.boxes[:, :2] + page.boxes[:, 2:] / 2
        for box, ok in zip(found.boxes, judged.is_digit, strict=True):
            x, y, w, h = box
            inside = ((centres[:, 0] >= x) & (centres[:, 0] <= x + w)
                      & (centres[:, 1] >= y) & (centres[:, 1] <= y + h))
            if inside.sum() == 1:  # a candidate on one digit (not a merged pair)
                on_digit += 1
                rejected += int(not ok)
    n = max(total["n"], 1)
    return {**total, "found_share": total["found"] / n, "correct_share": total["correct"] / n,
            "candidates_on_a_digit": on_digit, "rejected": rejected / max(on_digit, 1)}


def negatives(recognizer, per_kind: int) -> dict:
    from livedigits.training import negatives as kinds

    rng = np.random.default_rng([HELD_OUT_SEED, 2])
    out = {}
    for kind in kinds.KINDS:
        cells = kinds.render(kind, per_kind, rng, heights=HELD_OUT_HEIGHTS)
        _, _, ok = recognizer.assess(cells)
        out[kind] = float(ok.mean())
    out["all"] = float(np.mean(list(out.values())))
    return out


def styles(recognizer, per_style: int) -> dict:
    from livedigits.training import styles as written

    rng = np.random.default_rng([HELD_OUT_SEED, 1])
    out = {}
    for style, digit in written.STYLES.items():
        cells = written.render(style, per_style, rng, heights=HELD_OUT_HEIGHTS)
        digits, _, ok = recognizer.assess(cells)
        out[style] = {"read_right": float((digits == digit).mean()),
                      "kept_and_right": float(((digits == digit) & ok).mean())}
    return out


def measure(params, n_pages: int, per_kind: int) -> dict:
    from livedigits.recognize.recognizer import Recognizer
    from livedigits.training.build import build_default

    start = time.perf_counter()
    recognizer = Recognizer(build_default(params))
    built = time.perf_counter() - start
    return {"params": json.loads(params.to_json()), "build_s": round(built, 1),
            "rows": len(recognizer.model.labels),
            "digits_png": digits_png(recognizer), "pages": pages(recognizer, n_pages),
            "negatives_accepted": negatives(recognizer, per_kind),
            "styles": styles(recognizer, per_kind // 2)}


def _print(name: str, result: dict) -> None:
    d, p = result["digits_png"], result["pages"]
    print(f"== {name}: {result['rows']} training rows, built in {result['build_s']} s")
    print(f"a. digits.png held-out: accuracy {d['accuracy']:.1%}, rejected {d['rejected']:.1%}"
          f" (by digit {d['rejected_by_digit']})")
    print(f"b. pen pages: {p['n']} digits, found {p['found_share']:.1%}, read right "
          f"{p['correct_share']:.1%}, {p['fp']} false positives; candidates on a digit "
          f"rejected {p['rejected']:.2%} of {p['candidates_on_a_digit']}")
    print("c. negatives accepted as digits: " + ", ".join(
        f"{k} {v:.1%}" for k, v in result["negatives_accepted"].items()))
    print("d. styles read right (kept and right): " + ", ".join(
        f"{k} {v['read_right']:.0%} ({v['kept_and_right']:.0%})"
        for k, v in result["styles"].items()))


def main(argv: list[str]) -> int:
    from livedigits.training.model import ModelParams

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6, help="pen-written pages to read")
    parser.add_argument("--per-kind", type=int, default=400,
                        help="held-out negatives per kind (half as many per style)")
    parser.add_argument("--negatives", type=int, default=None,
                        help="ModelParams.negatives (default: the default's)")
    parser.add_argument("--styles", type=int, default=None,
                        help="ModelParams.styles (default: the default's)")
    parser.add_argument("--compare", action="store_true",
                        help="also measure the model without negatives and styles")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    chosen = {k: v for k, v in (("negatives", args.negatives), ("styles", args.styles))
              if v is not None}
    models = {"default": ModelParams(holdout=True, **chosen)}
    if args.compare:
        models = {"without negatives and styles": ModelParams(holdout=True, negatives=0,
                                                              styles=0), **models}
    results = {name: measure(params, args.pages, args.per_kind)
               for name, params in models.items()}
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for name, result in results.items():
            _print(name, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
