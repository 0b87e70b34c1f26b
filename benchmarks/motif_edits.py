"""Task 2 F1 with and without motif edits, one reference for every row (issue 21).

Per world (those of ``benchmarks/accuracy.py``, the sub-behaviour worlds included) and
seed, one :class:`StyleTransferModel` is fitted with its motif vocabulary (the
product default) and scored; then, per row asked for, every style is fitted again on
the same reference and scored:

``without``
    no vocabulary (no motif edit can be chosen);
``flat``
    the product: the model as fitted (motifs over every frame, one penalty δ for
    every edit);
``evidence``
    the product's vocabulary, motif edits' penalty scaled by the bouts they rest on
    (``selection.EVIDENCE_SCALE_TRIED``);
``grouped``
    motifs found within each of the reference annotator's behaviours
    (``MotifVocabulary.fit(groups=...)``), penalty scaled as in ``evidence``;
``near``
    as ``grouped``, with the reference's ``other`` split into frames within 5 s of a
    bout of a behaviour and the rest (``reference_groups``);
``unlabelled``
    motifs over every frame of the training videos *and* of the test videos' pose
    (unlabelled, as ``--unlabelled`` gives it; only the vocabulary sees it here),
    penalty scaled as in ``evidence``.

Rows: style-blind (the reference for everyone), then those asked for, each followed
by the motif edits it chose (held-out gains, the motifs in words).

Run::

    nice -n 5 .venv/bin/python benchmarks/motif_edits.py --world subs-design --seed 0 \\
        --rows flat,evidence,grouped

About 2 minutes for the model and 1 minute per row on 2 idle cores.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import numpy as np
from accuracy import WORLDS, _world

from ethostyle.features import compute_features
from ethostyle.metrics import Task2Score, task2_score
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.program import selection
from ethostyle.motifs import MotifVocabulary
from ethostyle.motifs.mixture import reference_groups
from ethostyle.progress import NULL_PROGRESS

ROWS = ("without", "flat", "evidence", "grouped", "near", "unlabelled")
# The window (frames) of the ``near`` row: 5 s, the widest include_motif window.
_NEAR = 150


def _row(name: str, score: Task2Score) -> str:
    cells = " | ".join(f"{v.f1:.4f}" for _, v in sorted(score.per_annotator.items()))
    return f"| {name} | **{score.f1:.4f}** | {cells} |"


def _vocabulary(row: str, model: StyleTransferModel, sim, table) -> MotifVocabulary | None:
    """The vocabulary of a row (None: no motifs), its labelled frames counted."""
    if row == "without":
        return None
    if row in ("flat", "evidence"):
        return model.motifs_
    labels = np.concatenate([s.labels for s in sim.train]).astype(np.int64)
    if row in ("grouped", "near"):
        groups = np.where(table.annotators == model.reference_annotator, labels, -1)
        if row == "near":
            seg_start = np.zeros(len(labels), bool)
            seg_start[table.offsets[:-1]] = True
            groups = reference_groups(groups, seg_start, _NEAR)
        vocab = MotifVocabulary.fit([table.values], table.names, groups=[groups], seed=model.seed)
    else:
        extra = compute_features(sim.test.without_labels()).values
        vocab = MotifVocabulary.fit([table.values, extra], table.names, seed=model.seed)
    return vocab.with_labels(vocab.assign(table.values), labels, table.annotators)


def _refitted(row: str, model: StyleTransferModel, sim, table) -> StyleTransferModel:
    """A copy of ``model`` whose styles are fitted again as the row says."""
    if row == "flat":
        return model
    out = copy.copy(model)
    out.styles_ = {}
    out.motifs_ = _vocabulary(row, model, sim, table)
    scale = selection.EVIDENCE_SCALE
    if row != "without":
        selection.EVIDENCE_SCALE = selection.EVIDENCE_SCALE_TRIED
    try:
        out._fit_styles(sim.train, table, NULL_PROGRESS)
    finally:
        selection.EVIDENCE_SCALE = scale
    return out


def run(world: str, seed: int, rows: list[str]) -> list[str]:
    """The Markdown lines of one world and seed."""
    sim = _world(world, seed)
    test = sim.test
    truth = {s.id: s.labels for s in test}
    who = {s.id: s.annotator_id for s in test}
    started = time.perf_counter()
    model = StyleTransferModel(seed=seed).fit(sim.train)
    fitted = time.perf_counter() - started
    vocab = model.motifs_
    lines = [
        f"### {world}, seed {seed}",
        "",
        f"{sim.train.n_frames} training frames; fit {fitted:.0f} s; "
        + ("no motifs" if vocab is None else f"{vocab.n_motifs} motifs"),
        "",
        "| row | Task 2 F1 | " + " | ".join(f"ann {a}" for a in sorted(set(who.values()))) + " |",
        "|---|---|" + "---|" * len(set(who.values())),
    ]
    blind = predict_dataset(model, test, style=model.reference_annotator).labels
    lines.append(_row("style-blind", task2_score(truth, blind, who)))
    table = compute_features(sim.train)
    notes = []
    for row in rows:
        styled = _refitted(row, model, sim, table)
        lines.append(_row(row, task2_score(truth, predict_dataset(styled, test).labels, who)))
        for r in styled.style_records():
            if r["kind"].endswith("_motif"):
                to = f" -> {r['to_behavior']}" if "to_behavior" in r else ""
                notes.append(
                    f"- {row}, annotator {r['annotator']}: {r['kind']} {r['behavior']}{to}, "
                    f"motif {r['motif']} (window {r.get('frames', '-')}), gain "
                    f"{r['gain']:+.4f}: {r['motif_description']}"
                )
    return [*lines, "", *notes]


def main() -> None:
    """Command-line entry: print one Markdown table per world and seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", action="append", required=True, choices=WORLDS)
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--rows", default="without,flat", help=f"comma-separated of {ROWS}")
    args = parser.parse_args()
    rows = args.rows.split(",")
    if any(r not in ROWS for r in rows):
        parser.error(f"--rows takes {', '.join(ROWS)}")
    warnings.simplefilter("ignore")
    for world in args.world:
        for seed in args.seed or [0]:
            print("\n".join(run(world, seed, rows)) + "\n", flush=True)


if __name__ == "__main__":
    main()
