"""How much of the Task 2 gap the style programs close, and how much any program could.

Per simulated world (``default``, ``heldout``, ``novel``: the worlds of
``benchmarks/accuracy.py``) and seed, one :class:`StyleTransferModel` is fitted on
the training videos and reused for every row. Rows (Task 2 F1 over annotators 1-5,
and per annotator; ``ann 0`` is annotator 0's test videos, outside the score):

- ``A style-blind``: the reference's style for every test video;
- ``B style-transfer``: the product, each video in its annotator's style;
- ``C same-annotator-again``: each test video labelled a second time by its own
  annotator's rules from the hidden truth (label seed = seed + 1, as
  ``accuracy.py``'s ``label_rows``): how far two passes of one annotator agree;
- ``D reference vs annotator 0``: the style-blind labels scored against annotator
  0's labels of the same test videos (label seed = seed), i.e. how well the
  reference learned its own annotator; ``D ceiling``: two passes of annotator 0
  (label seeds seed and seed + 1) against each other. In these two rows a column
  ``ann a`` is annotator ``a``'s test videos, not annotator ``a``'s labels;
- ``E program search in-sample``: :func:`fit_program` started from the
  reference's program and fitted on the annotator's *test* videos (the
  reference's probabilities, as at prediction), scored on them: the ceiling of
  the program space given the reference's probabilities, as far as the search
  reaches it;
- ``E* best program known``: per annotator the best, on the test videos, of B's
  labels, E, the simulator's true rules (:meth:`AnnotatorStyle.rules` stated as
  edits on the reference's program) and those rules refined by an in-sample
  search.

Each world's table ends with the share of the gap from A to C that B, E and E*
close. A, B and C are the rows of ``accuracy.py`` for the same world and seed.

Run::

    .venv/bin/python benchmarks/style_ceiling.py --world default --world heldout --world novel

(about 2-3 minutes per world and seed on 2 cores). It prints Markdown tables.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from ethostyle.data import Dataset
from ethostyle.features import sequence_features
from ethostyle.metrics import Task2Score, task2_score
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.program import (
    INCLUDE_WINDOW,
    Condition,
    Edit,
    StyleProgram,
    fit_program,
)
from ethostyle.simulate import AnnotatorStyle, Simulation, label_with_style

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import WORLDS, _world, label_rows

#: The annotators whose styles are measured (those the challenge scores).
STYLED_ANNOTATORS: tuple[int, ...] = (1, 2, 3, 4, 5)
#: Table columns: the scored annotators, then the reference annotator's videos.
COLUMNS: tuple[int, ...] = (*STYLED_ANNOTATORS, 0)
#: Penalty of the search that refines the true rules (low: let it adjust them freely).
TRUTH_SEARCH_PENALTY = 0.002
#: Margin (log units) of a true ``priority`` rule stated as an edit.
TRUTH_PRIORITY_MARGIN = 1.0

ROW_A = "A style-blind (reference style for every video)"
ROW_B = "B style-transfer (product)"
ROW_C = "C same-annotator-again (label seed + 1)"
ROW_D = "D reference vs annotator-0 labels of these videos"
ROW_D_CEILING = "D ceiling: annotator-0 pass vs pass"
ROW_E = "E program search on the test videos (in-sample)"
ROW_E_STAR = "E* best program known (B, E, true rules, true rules + search)"
#: The rows whose share of the gap from A to C is reported.
GAP_ROWS: dict[str, str] = {"B": ROW_B, "E": ROW_E, "E*": ROW_E_STAR}

Labels = dict[str, np.ndarray]
Inputs = dict[str, tuple[np.ndarray, np.ndarray]]


def reference_inputs(model: StyleTransferModel, dataset: Dataset) -> Inputs:
    """The reference's probabilities and the pose features of each sequence.

    Parameters
    ----------
    model : StyleTransferModel
        The fitted model.
    dataset : Dataset
        The sequences.

    Returns
    -------
    dict of str to (numpy.ndarray, numpy.ndarray)
        Sequence id to ``(frames, 4)`` reference probabilities (what every style
        program labels at prediction) and ``(frames, features)`` features in the
        order of ``model.feature_names_``.
    """
    ref = model.reference_annotator
    out = {}
    for seq in dataset:
        logp = model.log_proba_in_styles(seq, [ref])[ref]
        out[seq.id] = (np.exp(logp), sequence_features(seq)[0])
    return out


def truth_program(
    style: AnnotatorStyle, reference: AnnotatorStyle, base: StyleProgram
) -> StyleProgram:
    """The simulator's true rules of a style, as edits appended to the reference's program.

    Parameters
    ----------
    style : AnnotatorStyle
        The annotator's simulated style.
    reference : AnnotatorStyle
        The reference annotator's style (the rules are the differences from it).
    base : StyleProgram
        The reference's learned program; its edits are kept and marked inherited.

    Returns
    -------
    StyleProgram
        ``base`` plus one edit per rule that edits can state: lapses, jitter and
        slips (``noise``) and definitions over a hidden state no pose rule states
        (an empty ``rule``) are left out; an ``include_when`` gets the search's
        window :data:`INCLUDE_WINDOW`, a ``priority`` the margin
        :data:`TRUTH_PRIORITY_MARGIN`.
    """
    edits = []
    for r in style.rules(reference):
        kind = r["kind"]
        if kind == "noise" or (kind in ("exclude_when", "include_when") and not r["rule"]):
            continue
        if kind in ("exclude_when", "include_when"):
            rule = tuple(Condition(c["feature"], c["op"], c["value"]) for c in r["rule"])
            window = {"frames": INCLUDE_WINDOW} if kind == "include_when" else {}
            edits.append(Edit(kind, r["behavior"], rule=rule, **window))
        elif kind == "priority":
            edits.append(Edit(kind, r["behavior"], over=r["over"], bias=TRUTH_PRIORITY_MARGIN))
        elif kind == "relabel_short":
            edits.append(
                Edit(kind, r["behavior"], frames=int(r["frames"]), to_behavior=r["to_behavior"])
            )
        else:  # onset_shift, offset_shift, merge_gap, min_bout
            edits.append(Edit(kind, r["behavior"], frames=int(r["frames"])))
    return StyleProgram(base.smooth, (*base.edits, *edits), inherited=len(base.edits))


def fit_in_sample(
    inputs: Inputs,
    dataset: Dataset,
    names: list[str],
    start: StyleProgram,
    penalty: float | None = None,
) -> StyleProgram:
    """Search a program on the sequences' own labels (in-sample: a ceiling, not a model).

    Parameters
    ----------
    inputs : dict of str to (numpy.ndarray, numpy.ndarray)
        :func:`reference_inputs` of at least these sequences.
    dataset : Dataset
        One annotator's labelled sequences.
    names : list of str
        The feature names.
    start : StyleProgram
        Where the search starts.
    penalty : float, optional
        Smallest gain an edit must bring; default that of :func:`fit_program`.

    Returns
    -------
    StyleProgram
        The fitted program.
    """
    videos = [(*inputs[s.id], s.labels.astype(np.int64)) for s in dataset]
    kwargs = {} if penalty is None else {"penalty": penalty}
    return fit_program(videos, names, start=start, **kwargs)


def apply_programs(
    programs: Mapping[int, StyleProgram],
    inputs: Inputs,
    dataset: Dataset,
    names: list[str],
    fallback: Labels,
) -> Labels:
    """Label each sequence with its annotator's program (``fallback`` for the others).

    Parameters
    ----------
    programs : mapping of int to StyleProgram
        Annotator id to program (none with a ``residual`` edit).
    inputs : dict of str to (numpy.ndarray, numpy.ndarray)
        :func:`reference_inputs` of the sequences of these annotators.
    dataset : Dataset
        The sequences.
    names : list of str
        The feature names.
    fallback : dict of str to numpy.ndarray
        Labels of the sequences of annotators without a program.

    Returns
    -------
    dict of str to numpy.ndarray
        Sequence id to labels.
    """
    out = dict(fallback)
    for seq in dataset:
        program = programs.get(seq.annotator_id)
        if program is not None:
            out[seq.id] = program.apply(*inputs[seq.id], names)
    return out


def best_per_annotator(
    candidates: Mapping[str, Labels],
    score: Callable[[Labels], Task2Score],
    dataset: Dataset,
) -> tuple[Labels, dict[int, str]]:
    """Per styled annotator, the candidate labels that score best on its own videos.

    Parameters
    ----------
    candidates : mapping of str to dict of str to numpy.ndarray
        Candidate name to labels of every sequence.
    score : callable
        Labels to :class:`Task2Score` against the test labels.
    dataset : Dataset
        The sequences.

    Returns
    -------
    labels : dict of str to numpy.ndarray
        Each sequence labelled by its annotator's best candidate (the first
        candidate's labels for annotators not in :data:`STYLED_ANNOTATORS`).
    source : dict of int to str
        Annotator id to the name of its best candidate.
    """
    scores = {name: score(labels) for name, labels in candidates.items()}
    source = {
        a: max(scores, key=lambda name, a=a: scores[name].per_annotator[a].f1)
        for a in STYLED_ANNOTATORS
    }
    first = next(iter(candidates.values()))
    labels = {
        s.id: candidates[source[s.annotator_id]][s.id] if s.annotator_id in source else first[s.id]
        for s in dataset
    }
    return labels, source


def run(world: str, seed: int) -> dict[str, object]:
    """Fit the product once on one world and seed; score every row.

    Parameters
    ----------
    world : {"default", "heldout", "novel"}
        The simulated world (see ``benchmarks/accuracy.py``).
    seed : int
        Its seed (the model's seed too).

    Returns
    -------
    dict
        ``scores`` (row name to :class:`Task2Score`), ``source`` (annotator id to
        the candidate E* takes), ``n_train`` (training videos per styled
        annotator) and ``timings`` (seconds).
    """
    started = time.perf_counter()
    sim: Simulation = _world(world, seed)
    test = sim.test
    truth = {s.id: s.labels for s in test}
    annotators = {s.id: s.annotator_id for s in test}

    def score(labels: Labels, against: Labels = truth) -> Task2Score:
        """Task 2 score of ``labels`` against ``against`` (default: the test labels)."""
        return task2_score(against, labels, annotators)

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    model = StyleTransferModel(seed=seed).fit(sim.train)
    timings["style-transfer fit"] = time.perf_counter() - t0
    ref = model.reference_annotator
    names = model.feature_names_
    blind = predict_dataset(model, test, style=ref).labels
    styled = predict_dataset(model, test).labels
    rows: dict[str, Task2Score] = {ROW_A: score(blind), ROW_B: score(styled)}
    rows[ROW_C] = label_rows(sim, seed)["same-annotator-again"]
    passes = [
        {s.id: label_with_style(sim.worlds[s.id], sim.styles[ref], seed=k) for s in test}
        for k in (seed, seed + 1)
    ]
    rows[ROW_D] = score(blind, passes[0])
    rows[ROW_D_CEILING] = score(passes[1], passes[0])

    t0 = time.perf_counter()
    inputs = reference_inputs(model, test.filter(STYLED_ANNOTATORS))
    own = {a: test.filter([a]) for a in STYLED_ANNOTATORS}
    searched = {
        a: fit_in_sample(inputs, own[a], names, model.reference_program_) for a in STYLED_ANNOTATORS
    }
    in_sample = apply_programs(searched, inputs, test, names, blind)
    rows[ROW_E] = score(in_sample)
    true_rules = {
        a: truth_program(sim.styles[a], sim.styles[ref], model.reference_program_)
        for a in STYLED_ANNOTATORS
    }
    refined = {
        a: fit_in_sample(inputs, own[a], names, true_rules[a], TRUTH_SEARCH_PENALTY)
        for a in STYLED_ANNOTATORS
    }
    candidates = {
        "B": styled,
        "E": in_sample,
        "true rules": apply_programs(true_rules, inputs, test, names, blind),
        "true rules + search": apply_programs(refined, inputs, test, names, blind),
    }
    best, source = best_per_annotator(candidates, score, test)
    rows[ROW_E_STAR] = score(best)
    timings["in-sample searches"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    n_train = {a: sum(s.annotator_id == a for s in sim.train) for a in STYLED_ANNOTATORS}
    return {"scores": rows, "source": source, "n_train": n_train, "timings": timings}


def gap_shares(scores: Mapping[str, Task2Score]) -> dict[str, float]:
    """Share of the gap from A (style-blind) to C (same-annotator-again) each row closes.

    Parameters
    ----------
    scores : mapping of str to Task2Score
        The rows of :func:`run`.

    Returns
    -------
    dict of str to float
        ``"B"``, ``"E"``, ``"E*"`` to ``(row - A) / (C - A)`` of the Task 2 F1.
    """
    a, c = scores[ROW_A].f1, scores[ROW_C].f1
    return {key: (scores[row].f1 - a) / (c - a) for key, row in GAP_ROWS.items()}


def markdown(title: str, result: Mapping[str, object]) -> str:
    """One world and seed: a table of the rows, the gap closed, E*'s sources, timings.

    Parameters
    ----------
    title : str
        The table's heading, e.g. ``"default, seed 0"``.
    result : mapping
        The output of :func:`run`.

    Returns
    -------
    str
        Markdown.
    """
    scores = result["scores"]
    n_train = ", ".join(str(v) for v in result["n_train"].values())
    lines = [
        f"### {title} (training videos of annotators 1-5: {n_train})",
        "",
        "| row | Task 2 F1 | " + " | ".join(f"ann {a}" for a in COLUMNS) + " |",
        "|" + "---|" * (2 + len(COLUMNS)),
    ]
    for name, score in scores.items():
        cells = " | ".join(f"{score.per_annotator[a].f1:.3f}" for a in COLUMNS)
        lines.append(f"| {name} | **{score.f1:.3f}** | {cells} |")
    shares = gap_shares(scores)
    lines += [
        "",
        "gap from A to C closed: "
        + ", ".join(f"{key} {100 * v:.0f} %" for key, v in shares.items()),
        "E* per annotator from: "
        + ", ".join(f"{a}: {name}" for a, name in result["source"].items()),
        "timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in result["timings"].items()),
    ]
    return "\n".join(lines)


def summary(world: str, seeds: list[int], results: list[Mapping[str, object]]) -> str:
    """Several seeds of one world: each row's Task 2 F1 per seed and mean, and the gap closed.

    Parameters
    ----------
    world : str
        The world.
    seeds : list of int
        The seeds, in the order of ``results``.
    results : list of mapping
        The outputs of :func:`run`.

    Returns
    -------
    str
        Markdown.
    """
    lines = [
        f"### {world}, {len(seeds)} seeds",
        "",
        "| row | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |",
        "|" + "---|" * (len(seeds) + 2),
    ]
    for name in results[0]["scores"]:
        f1 = np.array([r["scores"][name].f1 for r in results])
        cells = " | ".join(f"{v:.3f}" for v in f1)
        lines.append(f"| {name} | {cells} | **{f1.mean():.3f}** |")
    for key in GAP_ROWS:
        share = np.array([gap_shares(r["scores"])[key] for r in results])
        cells = " | ".join(f"{100 * v:.0f} %" for v in share)
        lines.append(
            f"| gap from A to C closed by {key} | {cells} | **{100 * share.mean():.0f} %** |"
        )
    return "\n".join(lines)


def main() -> None:
    """Command-line entry: run the chosen worlds and seeds and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--world",
        action="append",
        choices=WORLDS,
        help="Simulated world (repeat for several; default all three).",
    )
    parser.add_argument(
        "--seed",
        type=int,
        action="append",
        help="Seed of the world and the model (repeat for several; default 0). With "
        "several seeds a summary table per world follows.",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    seeds = args.seed or [0]
    for world in args.world or ["default", "heldout", "novel"]:
        results = []
        for seed in seeds:
            results.append(run(world, seed))
            print(markdown(f"{world}, seed {seed}", results[-1]) + "\n", flush=True)
        if len(seeds) > 1:
            print(summary(world, seeds, results) + "\n", flush=True)


if __name__ == "__main__":
    main()
