"""How much each annotator's Task 2 F1 moves when the reference under its style moves.

Every style program edits its reference's output and is searched anew on it, so a
better reference only helps Task 2 if the search's choices do not swing between
references. For each world and seed this fits the product twice, once per reference
(``--stack``: 0 today's one LightGBM, 2 the stacked reference of
``train --reference-stack 2``), and on each fits every annotator's style again with
each number of search folds (``--min-folds``: ``1`` is leave one video out, the
search before issue 22's change; ``4`` today's
:data:`ethostyle.models.program.folds.MIN_FOLDS`). It writes one JSON line per
world, seed, reference and fold count: Task 2 F1, each annotator's F1 and program.

Run::

    OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python benchmarks/style_stability.py \
        --world novel --seed 1 --min-folds 1 --min-folds 4 --out stability.jsonl

then ``--summary stability.jsonl`` prints, per fold count, the mean Task 2 F1 on each
reference and the spread of each annotator's change between the two references.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from ethostyle.metrics import task2_score
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.program import folds as search_folds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import WORLDS, _world  # a sibling script, not a package


def run(world: str, seed: int, stacks: list[int], folds: list[int], out: Path) -> None:
    """Fit the product per reference, its styles per fold count; append JSON lines."""
    sim = _world(world, seed)
    truth = {s.id: s.labels for s in sim.test}
    annotators = {s.id: s.annotator_id for s in sim.test}
    others = [a for a in sim.train.annotators if a != 0]
    default = search_folds.MIN_FOLDS
    for stack in stacks:
        start = time.perf_counter()
        model = StyleTransferModel(seed=seed, reference_stack=stack).fit(sim.train)
        fit_s = time.perf_counter() - start
        for k in folds:
            # The search reads its fold count from the module: set it for this fit only.
            search_folds.MIN_FOLDS = k
            try:
                start = time.perf_counter()
                model.adapt(sim.train.filter(others))
                adapt_s = time.perf_counter() - start
            finally:
                search_folds.MIN_FOLDS = default
            score = task2_score(truth, predict_dataset(model, sim.test).labels, annotators)
            row = {
                "world": world,
                "seed": seed,
                "stack": stack,
                "min_folds": k,
                "task2": score.f1,
                "per_annotator": {str(a): s.f1 for a, s in score.per_annotator.items()},
                "programs": {
                    str(a): [repr(e.key) for e in model.program_for(a).own_edits] for a in others
                },
                "fit_s": fit_s,
                "adapt_s": adapt_s,
            }
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(world, seed, f"stack {stack}", f"folds {k}", f"{score.f1:.4f}", flush=True)


def summary(path: Path) -> str:
    """Per fold count: mean Task 2 F1 per reference, and each annotator's change."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    lines = [
        "| folds | world-seeds | Task 2, stack 0 | Task 2, stack 2 | annotators' change "
        "(stack 2 minus 0): mean, SD, min, max |",
        "|---|---|---|---|---|",
    ]
    for k in sorted({r["min_folds"] for r in rows}):
        by = {(r["world"], r["seed"], r["stack"]): r for r in rows if r["min_folds"] == k}
        points = sorted({(w, s) for w, s, _ in by if (w, s, 0) in by and (w, s, 2) in by})
        if not points:
            continue
        t0 = np.mean([by[(*p, 0)]["task2"] for p in points])
        t2 = np.mean([by[(*p, 2)]["task2"] for p in points])
        change = np.array(
            [
                by[(*p, 2)]["per_annotator"][a] - by[(*p, 0)]["per_annotator"][a]
                for p in points
                for a in by[(*p, 0)]["per_annotator"]
                if a != "0"
            ]
        )
        lines.append(
            f"| {k} | {len(points)} | {t0:.4f} | {t2:.4f} | {change.mean():+.4f}, "
            f"{change.std():.4f}, {change.min():+.3f}, {change.max():+.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", action="append", choices=WORLDS)
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--stack", type=int, action="append")
    parser.add_argument("--min-folds", type=int, action="append")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--summary", type=Path, help="Print the table of a results file.")
    args = parser.parse_args()
    if args.summary:
        print(summary(args.summary))
        return
    if not (args.world and args.out):
        parser.error("give --world and --out (or --summary FILE)")
    warnings.simplefilter("ignore")
    for world in args.world:
        for seed in args.seed or [0]:
            run(world, seed, args.stack or [0, 2], args.min_folds or [1, 4], args.out)


if __name__ == "__main__":
    main()
