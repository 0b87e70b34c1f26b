"""Annotator 0's own test F1 of the reference model: today's videos against three times as many.

The reference caps every style (``benchmarks/style_ceiling.py``), so issue 22 asks for a
reference that reaches, from the annotator-0 training videos a world has, what today's
reaches with three times as many. For each world (``benchmarks/accuracy.py``'s ``_world``)
and seed this simulates that world with annotator 0's training videos tripled (each video's
random stream does not depend on how many there are, so the first third are the world's
own videos) and trains the reference-only model on

- ``1x``: the world's own annotator-0 training videos, with the ``--variant`` chosen;
- ``3x``: three times as many (today's reference, ``--variant baseline``; with ``--three-x``).

Each is scored on annotator 0's test videos (macro F1 of attack, investigation and mount, as
Task 2 scores an annotator). Only annotator 0's videos are simulated.

Run::

    nice -n 5 .venv/bin/python benchmarks/reference_curve.py --three-x
    nice -n 5 .venv/bin/python benchmarks/reference_curve.py --variant NAME --world novel --seed 1
    nice -n 5 .venv/bin/python benchmarks/reference_curve.py --variant NAME \
        --point default:0 --point heldout:1 --point novel:1

It prints one line per world, seed and training size (F1 and fit time), then the mean F1
per world. ``--list`` names the variants (``benchmarks/reference_variants.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from accuracy import _HELDOUT_PRESET, _HELDOUT_STYLES, _NOVEL_PRESET, _NOVEL_STYLES
from reference_variants import VARIANTS

from ethostyle.metrics import task2_score
from ethostyle.simulate import PRESETS, STYLES, simulate

WORLDS = ("default", "heldout", "novel")
#: How many times annotator 0's training videos the large point has.
TIMES = 3


def annotator0_world(world: str, seed: int, times: int = TIMES):
    """``accuracy._world``'s world with annotator 0 only, its training videos ``times``-fold.

    The same seeds as ``accuracy._world``: its first training videos, and its test videos,
    are the world's own.
    """
    preset, styles, world_seed = {
        "default": (PRESETS["calms21-task2-like"], STYLES, seed),
        "heldout": (_HELDOUT_PRESET, _HELDOUT_STYLES, seed + 1000),
        "novel": (_NOVEL_PRESET, _NOVEL_STYLES, seed + 2000),
    }[world]
    n_train = preset.count("train", 0)
    big = replace(
        preset,
        train_sequences=(n_train * times,),
        test_sequences=(preset.count("test", 0),),
        shared_sequences=0,
    )
    return simulate(big, seed=world_seed, styles={0: styles[0]}), n_train


def score(
    world: str, seed: int, variant: str, sizes: list[int]
) -> list[tuple[int, float, float, float]]:
    """Annotator 0's test F1, fit seconds and fit-and-label seconds of ``variant`` at each
    training size."""
    sim, n_train = annotator0_world(world, seed, max(sizes))
    test = sim.test
    truth = {s.id: s.labels for s in test}
    scored_as = dict.fromkeys(truth, 1)  # Task 2 skips annotator 0: score it as one
    out = []
    for times in sizes:
        train = sim.train.select(sim.train.ids[: n_train * times])
        start = time.perf_counter()
        predict = VARIANTS[variant if times == 1 else "baseline"](train, seed)
        seconds = time.perf_counter() - start
        labels = predict(test)
        total = time.perf_counter() - start
        f1 = task2_score(truth, labels, scored_as).f1
        out.append((times, f1, seconds, total))
    return out


def main() -> None:
    """Command-line entry: one line per world, seed and size; then the means."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", action="append", choices=WORLDS)
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--variant", default="baseline", help="what the 1x reference is")
    parser.add_argument(
        "--point", action="append", help="WORLD:SEED (repeatable) instead of --world/--seed"
    )
    parser.add_argument("--three-x", action="store_true", help="also today's reference at 3x")
    parser.add_argument("--list", action="store_true", help="list the variants and stop")
    args = parser.parse_args()
    if args.list:
        for name, fn in VARIANTS.items():
            print(f"{name}: {(fn.__doc__ or '').strip().splitlines()[0]}")
        return
    warnings.simplefilter("ignore")
    sizes = [1, TIMES] if args.three_x else [1]
    results: dict[tuple[str, int], list[float]] = {}
    points = [(w, int(s)) for w, s in (p.split(":") for p in args.point or [])] or [
        (world, seed) for world in args.world or WORLDS for seed in args.seed or [0, 1, 2]
    ]
    for world, seed in points:
        for times, f1, seconds, total in score(world, seed, args.variant, sizes):
            name = args.variant if times == 1 else "baseline"
            results.setdefault((world, times), []).append(f1)
            print(
                f"{world} seed {seed} {times}x {name}: annotator-0 test F1 {f1:.4f} "
                f"(fit {seconds:.0f} s, label {total - seconds:.1f} s)",
                flush=True,
            )
    for (world, times), f1 in results.items():
        print(f"mean {world} {times}x: {np.mean(f1):.4f} over {len(f1)} seed(s)")


if __name__ == "__main__":
    main()
