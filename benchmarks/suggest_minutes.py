"""The minutes worth labelling: suggested stretches against random ones and a whole video.

On each simulated world (``benchmarks/accuracy.py``'s ``default``, ``heldout`` and
``novel``), every annotator 1-5 starts from ONE labelled video: its first training
video. The model (reference on annotator 0's training videos, a style per
annotator from that one video) then asks for more labels, and the simulator's
annotators label any stretch on request (from the hidden truth, with their own
rules, jitter and lapses), leaving the rest of the video unlabelled:

- ``suggested M``: the M minutes ``ethostyle suggest`` picks (20-s stretches);
- ``random M`` and ``random 2M``: M and twice M minutes of 20-s stretches drawn at
  random from the same videos (the target: suggested M reaches random 2M);
- ``second video``: the annotator's own second training video, labelled throughout.

The pool the stretches come from is every simulated video that is neither annotator
0's (the reference learned from those) nor a start video nor a test video: the
annotators' second training videos and a shared video. Each condition adapts the
start model (the reference is not retrained) on the start videos plus what was
labelled, and is scored by Task 2 F1 on the test videos of annotators 1-5.

To fit a shared 2-core machine the worlds are smaller than ``accuracy.py``'s (6
annotator-0 training videos, 2 test videos per annotator; videos as long, rules and
kinematics unchanged) and LightGBM is lighter (:data:`LIGHT`), the same for every
condition.

Run (4-5 minutes per world and seed on 2 shared cores, much longer when they are busy)::

    nice -n 5 .venv/bin/python benchmarks/suggest_minutes.py --world default \\
        --world heldout --world novel --seed 0 --seed 1 --seed 2 --minutes 1

It prints a Markdown table to paste into ``benchmarks/README.md``, and the rows as JSON
with ``--json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import _HELDOUT_PRESET, _HELDOUT_STYLES, _NOVEL_PRESET, _NOVEL_STYLES

from ethostyle.data import FPS, UNLABELLED, Dataset, Sequence
from ethostyle.metrics import task2_score
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.suggest import frame_scores, pick_stretches
from ethostyle.simulate import PRESETS, label_with_style, simulate

ANNOTATORS = (1, 2, 3, 4, 5)
STRETCH_S = 20.0
#: Lighter LightGBM settings than the product's (a shared 2-core machine): every condition
#: is fitted with the same, so the comparison between them holds.
LIGHT = {"reference_params": {"n_estimators": 60}, "style_params": {"n_estimators": 40}}
_BEGAN = time.perf_counter()


def _log(what: str) -> None:
    print(f"[{time.perf_counter() - _BEGAN:6.0f} s] {what}", file=sys.stderr, flush=True)


def _world(name: str, seed: int, reference_videos: int):
    """``benchmarks/accuracy.py``'s world, smaller: fewer annotator-0 and test videos.

    Every annotator 1-5 gets two training videos (the start video and a second
    one) and two test videos; one shared video. The videos are as long as the
    world's own, its kinematics and annotator rules unchanged.
    """
    counts = {
        "train_sequences": (reference_videos, 2),
        "test_sequences": (0, 2),
        "shared_sequences": 1,
    }
    if name == "default":
        return simulate(replace(PRESETS["calms21-task2-like"], **counts), seed=seed)
    if name == "novel":
        return simulate(replace(_NOVEL_PRESET, **counts), seed=seed + 2000, styles=_NOVEL_STYLES)
    return simulate(replace(_HELDOUT_PRESET, **counts), seed=seed + 1000, styles=_HELDOUT_STYLES)


def _pool(sim, starts: dict[int, str]) -> list[str]:
    """Videos labelling may be asked for: not annotator 0's, not a start, not a test video."""
    taken = set(starts.values())
    ids = [s.id for s in sim.train if s.annotator_id != 0 and s.id not in taken]
    return ids + [s.id for s in sim.shared[0]]


def _video(sim, vid: str, annotator: int, labels) -> Sequence:
    """Pool video ``vid`` as a sequence of ``annotator`` (its id made unique per annotator)."""
    return replace(sim.worlds[vid].to_sequence(annotator, labels), id=f"{vid}@a{annotator}")


def _pose_only(sim, ids: list[str], annotator: int) -> Dataset:
    """The pool's videos as unlabelled sequences of ``annotator``."""
    return Dataset(_video(sim, i, annotator, None) for i in ids)


def _labelled_stretches(sim, annotator: int, picks, seed: int) -> list[Sequence]:
    """The pool videos with ``annotator``'s labels on the picked stretches, unlabelled elsewhere."""
    by_video: dict[str, list[tuple[int, int]]] = {}
    for sid, start, stop in picks:
        by_video.setdefault(sid.split("@")[0], []).append((start, stop))
    out = []
    for vid, ranges in by_video.items():
        world = sim.worlds[vid]
        full = label_with_style(world, sim.styles[annotator], seed=seed * 1000 + annotator)
        labels = np.full(world.n_frames, UNLABELLED, np.int8)
        for start, stop in ranges:  # a loop over the few stretches
            labels[start:stop] = full[start:stop]
        out.append(_video(sim, vid, annotator, labels))
    return out


def _random_picks(pool: Dataset, k: int, length: int, rng) -> list[tuple[str, int, int]]:
    """``k`` random non-overlapping stretches: slots of ``length`` frames in a random order."""
    slots = [(s.id, j * length) for s in pool for j in range(s.n_frames // length)]
    order = rng.permutation(len(slots))[:k]
    return [(slots[i][0], slots[i][1], slots[i][1] + length) for i in order]


def _score(model, sim) -> dict[str, float]:
    test = Dataset(s for s in sim.test if s.annotator_id in ANNOTATORS)
    pred = predict_dataset(model, test.without_labels()).labels
    score = task2_score({s.id: s.labels for s in test}, pred, {s.id: s.annotator_id for s in test})
    return {
        "task2_f1": round(score.f1, 4),
        **{f"a{a}": round(score.per_annotator[a].f1, 4) for a in ANNOTATORS},
    }


def run(world: str, seed: int, minutes: list[float], reference_videos: int) -> list[dict]:
    """Every condition of one world and seed, as rows."""
    sim = _world(world, seed, reference_videos)
    starts = {a: f"sim-a{a}-train-000" for a in ANNOTATORS}
    reference = [s for s in sim.train if s.annotator_id == 0]
    start_videos = [sim.train[starts[a]] for a in ANNOTATORS]
    model = StyleTransferModel(**LIGHT, seed=seed).fit(Dataset([*reference, *start_videos]))
    _log(f"{world} {seed}: fitted the start model")
    pool_ids = _pool(sim, starts)
    length = round(STRETCH_S * FPS)
    most = max(max(minutes), 2 * max(minutes))
    n_most = round(most * 60 / STRETCH_S)
    rng = np.random.default_rng(seed)
    suggested, random_ = {}, {}
    for a in ANNOTATORS:  # the greedy picks for M minutes are the first ones for 2M
        pool = _pose_only(sim, pool_ids, a)
        scores = {s.id: frame_scores(model, s, a).total() for s in pool}
        suggested[a] = pick_stretches(scores, round(max(minutes) * 60 / STRETCH_S), length)
        random_[a] = _random_picks(pool, n_most, length, rng)
    _log(f"{world} {seed}: scored the pool")
    second = {a: f"sim-a{a}-train-001" for a in ANNOTATORS}  # its own second video

    def adapted(extra: dict[int, list]) -> dict[str, float]:
        data = Dataset([*start_videos, *(s for a in ANNOTATORS for s in extra[a])])
        fitted = copy.deepcopy(model).adapt(data)
        _log(f"{world} {seed}: adapted on {data.n_frames} frames")
        return _score(fitted, sim)

    rows = [{"condition": "start (one video)", "minutes": 0.0, **_score(model, sim)}]
    for m in minutes:
        k = round(m * 60 / STRETCH_S)
        for name, picks in (("suggested", suggested), ("random", random_)):
            extra = {a: _labelled_stretches(sim, a, picks[a][:k], seed) for a in ANNOTATORS}
            rows.append({"condition": f"{name} {m:g} min", "minutes": m, **adapted(extra)})
        k2 = 2 * k
        extra = {a: _labelled_stretches(sim, a, random_[a][:k2], seed) for a in ANNOTATORS}
        rows.append({"condition": f"random {2 * m:g} min", "minutes": 2 * m, **adapted(extra)})
    whole = {
        a: _labelled_stretches(
            sim, a, [(f"{second[a]}@a{a}", 0, sim.worlds[second[a]].n_frames)], seed
        )
        for a in ANNOTATORS
    }
    n_second = np.mean([sim.worlds[second[a]].n_frames for a in ANNOTATORS]) / FPS / 60
    rows.append({"condition": "second video", "minutes": round(n_second, 2), **adapted(whole)})
    return [{"world": world, "seed": seed, **r} for r in rows]


def _table(rows: list[dict]) -> str:
    worlds = list(dict.fromkeys(r["world"] for r in rows))
    conditions = list(dict.fromkeys(r["condition"] for r in rows))
    lines = [
        "| condition | minutes per annotator | " + " | ".join(worlds) + " |",
        "|---|---|" + "---|" * len(worlds),
    ]
    for c in conditions:
        mine = [r for r in rows if r["condition"] == c]
        cells = []
        for w in worlds:
            f1 = [r["task2_f1"] for r in mine if r["world"] == w]
            cells.append(f"{np.mean(f1):.3f} ± {np.std(f1):.3f}" if f1 else "")
        minutes = np.mean([r["minutes"] for r in mine])
        lines.append(f"| {c} | {minutes:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", action="append", choices=["default", "heldout", "novel"])
    parser.add_argument("--seed", action="append", type=int)
    parser.add_argument("--minutes", action="append", type=float)
    parser.add_argument(
        "--reference-videos", type=int, default=6, help="annotator-0 videos the reference uses"
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rows: list[dict] = []
    for world in args.world or ["default"]:
        for seed in args.seed or [0]:
            began = time.perf_counter()
            rows.extend(run(world, seed, args.minutes or [1.0], args.reference_videos))
            print(f"{world} seed {seed}: {time.perf_counter() - began:.0f} s", file=sys.stderr)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1))
    print(_table(rows))


if __name__ == "__main__":
    main()
