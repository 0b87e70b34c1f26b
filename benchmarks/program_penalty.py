"""How large a held-out gain noise buys a style program, and how large real rules gain.

Sets :data:`ethostyle.models.program.DEFAULT_PENALTY`. Per seed:

1. a LightGBM reference (``REFERENCE_PARAMS``, the windowed features) is trained on
   12 simulated annotator-0 videos of 200 s (the busy ``tiny`` behaviour);
2. it predicts 22 other videos of 300 s; 6 labelled by annotator 0 fit the
   reference program (penalty 0.002), 16 form 8 pairs of two videos of one annotator;
3. *null*: each pair labelled again by annotator 0's rules (its own lapses and
   jitter) -> the best first edit's pooled held-out gain (penalty 0), three label
   draws per pair;
4. *planted*: each pair labelled with one known rule -> the first edit's gain.

Run: ``python benchmarks/program_penalty.py --seeds 0 1 2`` (about 3 min per seed on
2 cores). Prints one line per seed and case with the eight pairs' gains.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ethostyle.bouts import bout_table
from ethostyle.features import sequence_features
from ethostyle.models.boosted import REFERENCE_PARAMS
from ethostyle.models.gbdt import GBDTClassifier
from ethostyle.models.program import fit_program
from ethostyle.simulate.behaviour import simulate_world
from ethostyle.simulate.presets import PRESETS
from ethostyle.simulate.styles import STYLES, PerBehavior, label_with_style

R = STYLES[0]


def _relabel_short(c: int, frames: int, to: int):
    def transform(y, x, names):
        b = bout_table(y)
        new = b.label.copy()
        new[(new == c) & (b.length < frames)] = to
        return np.repeat(new, b.length).astype(np.int8)

    return transform


def _exclude(c: int, feature: str, value: float):
    def transform(y, x, names):
        out = y.copy()
        out[(y == c) & (x[:, names.index(feature)] < value)] = 3
        return out

    return transform


CASES = {
    "null": (R, None),
    "onset attack -24": (R.replace(onset_shift_frames=PerBehavior(attack=-24)), None),
    "offset investigation +36": (
        R.replace(offset_shift_frames=PerBehavior(investigation=36)),
        None,
    ),
    "merge investigation 60": (R.replace(merge_gap_frames=PerBehavior(5, 60, 10)), None),
    "attack < 30 -> investigation": (R, _relabel_short(0, 30, 1)),
    "no face sniffing (nose-nose < 20 px)": (R, _exclude(1, "r_nose-i_nose_px", 20.0)),
    **{f"built-in style {k}": (STYLES[k], None) for k in range(1, 6)},
}


def run(seed: int) -> None:
    """Train a reference on one seed's world and print the null and planted gains."""
    params = PRESETS["tiny"].behaviour

    def world(i: int, n: int):
        return simulate_world(n, seed=[seed, i], params=params)

    t0 = time.perf_counter()
    xs, ys = [], []
    for i in range(12):
        w = world(i, 6000)
        x, names = sequence_features(w.to_sequence(0, None))
        xs.append(x[::2])
        ys.append(label_with_style(w, R, seed=[seed, i, 0])[::2])
    model = GBDTClassifier(**{**REFERENCE_PARAMS, "frame_step": 1}, seed=0)
    model.fit(np.concatenate(xs), np.concatenate(ys).astype(np.int64))
    base = [j for j, n in enumerate(names) if "@" not in n]
    base_names = [names[j] for j in base]
    worlds, probas, feats = {}, {}, {}
    for i in range(100, 122):
        worlds[i] = world(i, 9000)
        x, _ = sequence_features(worlds[i].to_sequence(0, None))
        probas[i] = model.predict_proba(x)
        feats[i] = x[:, base]

    def video(i: int, style, transform, tag: int):
        y = label_with_style(worlds[i], style, seed=[seed, i, tag])
        if transform is not None:
            y = transform(y, feats[i], base_names)
        return probas[i], feats[i], y

    ref = [video(i, R, None, 0) for i in range(100, 106)]
    reference = fit_program(ref, base_names, penalty=0.002)
    print(f"seed {seed}: reference ready in {time.perf_counter() - t0:.0f} s; program {reference}")
    for name, (style, transform) in CASES.items():
        tags = (5, 6, 7) if name == "null" else (5,)
        gains, firsts = [], []
        for tag in tags:
            for j in range(8):
                pair = [video(106 + 2 * j + k, style, transform, tag) for k in (0, 1)]
                p = fit_program(pair, base_names, start=reference, penalty=0.0, max_edits=1)
                own = p.own_edits
                gains.append(own[0].gain if own else 0.0)
                firsts.append(f"{own[0].kind}:{own[0].behavior_name}" if own else "-")
        print(
            f"seed {seed} {name}: max {max(gains):.4f}, gains {np.round(gains, 4).tolist()}, "
            f"first edits {sorted(set(firsts))}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    for seed in parser.parse_args().seeds:
        run(seed)


if __name__ == "__main__":
    main()
