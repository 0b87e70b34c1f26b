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
``--grouped`` adds a row whose vocabulary is found within each of the reference
annotator's behaviours (``MotifVocabulary.fit(groups=...)``; the unlabelled pose is
in no group), every style fitted again on the same reference with it; the edits
listed are then those of that row.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import numpy as np
from accuracy import WORLDS, _world

from ethostyle.data import VOCABULARY
from ethostyle.features import compute_features
from ethostyle.metrics import Task2Score, task2_score
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.motifs import MotifVocabulary
from ethostyle.progress import NULL_PROGRESS


def _row(name: str, score: Task2Score) -> str:
    cells = " | ".join(f"{v.f1:.4f}" for _, v in sorted(score.per_annotator.items()))
    return f"| {name} | **{score.f1:.4f}** | {cells} |"


def _grouped(model: StyleTransferModel, train, unlabelled) -> StyleTransferModel:
    """A copy of ``model`` whose styles are fitted again with a grouped vocabulary."""
    table = compute_features(train)
    labels = np.concatenate([s.labels for s in train]).astype(np.int64)
    groups = np.where(table.annotators == model.reference_annotator, labels, -1)
    blocks, group_blocks = [table.values], [groups]
    if unlabelled is not None:
        extra = compute_features(unlabelled)
        blocks.append(extra.values)
        group_blocks.append(np.full(len(extra.values), -1))
    vocab = MotifVocabulary.fit(blocks, table.names, groups=group_blocks, seed=model.seed)
    out = copy.copy(model)
    out.styles_ = {}
    out.motifs_ = vocab.with_labels(vocab.assign(table.values), labels, table.annotators)
    out._fit_styles(train, table, NULL_PROGRESS)
    return out


def run(
    world: str, seed: int, unlabelled: bool, grouped: bool = False, plain_row: bool = True
) -> list[str]:
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
    plain = None
    if plain_row:
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
    if plain is not None:
        without = predict_dataset(plain, test).labels
        lines.append(_row("without motifs", task2_score(truth, without, who)))
    lines.append(_row("with motifs", task2_score(truth, predict_dataset(model, test).labels, who)))
    if grouped:
        model = _grouped(model, sim.train, test.without_labels() if unlabelled else None)
        groups = model.motifs_.motif_groups
        lines.append(
            _row(
                "with grouped motifs", task2_score(truth, predict_dataset(model, test).labels, who)
            )
        )
        lines.append(
            "\ngrouped: "
            + ", ".join(f"{c} {int((groups == i).sum())}" for i, c in enumerate(VOCABULARY))
            + " motifs"
        )
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
    parser.add_argument("--grouped", action="store_true")
    parser.add_argument("--no-plain", action="store_true", help="skip the row without motifs")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for world in args.world:
        for seed in args.seed or [0]:
            lines = run(world, seed, args.unlabelled, args.grouped, not args.no_plain)
            print("\n".join(lines) + "\n", flush=True)


if __name__ == "__main__":
    main()
