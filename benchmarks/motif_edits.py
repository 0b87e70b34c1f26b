"""Task 2 F1 with and without motif edits, one reference for both (issue 21).

Per world (those of ``benchmarks/accuracy.py``, the sub-behaviour worlds included) and
seed, one :class:`StyleTransferModel` is fitted with its motif vocabulary (the
product default) and scored; then every style is fitted again on the same reference
without the vocabulary (no motif edit can be chosen) and scored. Rows: style-blind
(the reference for everyone), without motifs, with motifs; then the motif edits the
model chose, with their held-out gains and the motifs in words.

Run::

    nice -n 5 .venv/bin/python benchmarks/motif_edits.py --world subs-design --seed 0

(``--unlabelled`` also gives the test videos' pose as unlabelled videos, to the
vocabulary and to self-training). About 5 minutes per world and seed on 2 idle cores.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

from accuracy import WORLDS, _world

from ethostyle.features import compute_features
from ethostyle.metrics import Task2Score, task2_score
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.progress import NULL_PROGRESS


def _row(name: str, score: Task2Score) -> str:
    cells = " | ".join(f"{v.f1:.4f}" for _, v in sorted(score.per_annotator.items()))
    return f"| {name} | **{score.f1:.4f}** | {cells} |"


def run(world: str, seed: int, unlabelled: bool) -> list[str]:
    """The Markdown lines of one world and seed."""
    sim = _world(world, seed)
    test = sim.test
    truth = {s.id: s.labels for s in test}
    who = {s.id: s.annotator_id for s in test}
    started = time.perf_counter()
    model = StyleTransferModel(seed=seed).fit(
        sim.train, unlabelled=test.without_labels() if unlabelled else None
    )
    fitted = time.perf_counter() - started
    plain = copy.copy(model)
    plain.styles_, plain.motifs_ = {}, None
    plain._fit_styles(sim.train, compute_features(sim.train), NULL_PROGRESS)
    vocab = model.motifs_
    annotators = sorted(set(who.values()))
    lines = [
        f"### {world}, seed {seed}{' (test videos as --unlabelled)' if unlabelled else ''}",
        "",
        f"{sim.train.n_frames} training frames; fit {fitted:.0f} s; "
        + (
            "no motifs"
            if vocab is None
            else f"{vocab.n_motifs} motifs (BIC per frame "
            + ", ".join(f"{k}: {v:.2f}" for k, v in vocab.bic.items())
            + ")"
        ),
        "",
        "| row | Task 2 F1 | " + " | ".join(f"ann {a}" for a in annotators) + " |",
        "|---|---|" + "---|" * len(annotators),
    ]
    blind = predict_dataset(model, test, style=model.reference_annotator).labels
    lines.append(_row("style-blind", task2_score(truth, blind, who)))
    lines.append(
        _row("without motifs", task2_score(truth, predict_dataset(plain, test).labels, who))
    )
    lines.append(_row("with motifs", task2_score(truth, predict_dataset(model, test).labels, who)))
    lines.append("")
    for r in model.style_records():
        if r["kind"].endswith("_motif"):
            to = f" -> {r['to_behavior']}" if "to_behavior" in r else ""
            lines.append(
                f"- annotator {r['annotator']}: {r['kind']} {r['behavior']}{to}, motif "
                f"{r['motif']} (window {r.get('frames', '-')}), gain {r['gain']:+.4f}: "
                f"{r['motif_description']}"
            )
    return lines


def main() -> None:
    """Command-line entry: print one Markdown table per world and seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", action="append", required=True, choices=WORLDS)
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--unlabelled", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for world in args.world:
        for seed in args.seed or [0]:
            print("\n".join(run(world, seed, args.unlabelled)) + "\n", flush=True)


if __name__ == "__main__":
    main()
