"""How many videos must a lab label? Task 2 F1 against the number of training videos.

Simulates a world where annotators 1-5 each labelled six training videos, then,
for 1, 2, 4 and all 6 videos per annotator, writes a training file with annotator
0's videos plus the first N videos of each other annotator, and runs
the real commands a user would::

    ethostyle train SUBSET.npy --out MODEL
    ethostyle predict MODEL test.npy --out SUBMISSION.npy
    ethostyle evaluate SUBMISSION.npy test.npy test_labels.npy --json SCORE.json

The score is read from ``evaluate``'s JSON output. The row for 0 videos is the
style-blind reference (``predict --style 0``). Run::

    .venv/bin/python benchmarks/learning_curve.py [--out DIR] [--seed 0]

and paste the printed Markdown table into ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from ethostyle.data import Dataset
from ethostyle.io import save_train_npy
from ethostyle.simulate import PRESETS, simulate, write_simulation

_VIDEOS = (1, 2, 4, 6)
_PRESET = replace(
    PRESETS["calms21-task2-like"],
    name="learning-curve",
    description="calms21-task2-like with six training videos per annotator 1-5.",
    train_sequences=(30, 6, 6, 6, 6, 6),
)


def _cli(*args: str) -> None:
    """Run one ``ethostyle`` command; stop with its message if it fails."""
    exe = Path(sys.executable).with_name("ethostyle")
    done = subprocess.run([str(exe), *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"ethostyle {' '.join(args)} failed:\n{done.stderr}")


def _score(model: Path, paths: dict[str, Path], stem: Path, *options: str) -> dict:
    """``predict`` the test file with ``model`` (and ``options``), then ``evaluate`` it."""
    submission, score = stem.with_suffix(".npy"), stem.with_suffix(".json")
    _cli("predict", str(model), str(paths["test"]), "--out", str(submission), *options)
    _cli(
        "evaluate",
        str(submission),
        str(paths["test"]),
        str(paths["test_labels"]),
        "--json",
        str(score),
    )
    return json.loads(score.read_text())


def main() -> None:
    """Run the learning curve and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Work folder (default: temp).")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="ethostyle-curve-"))
    sim = simulate(_PRESET, seed=args.seed)
    paths = write_simulation(sim, work / "data")
    rows = []
    for n in _VIDEOS:
        keep = [s for s in sim.train if s.annotator_id == 0 or int(s.id.rsplit("-", 1)[1]) < n]
        subset = work / f"train_{n}.npy"
        save_train_npy(Dataset(keep), subset)
        model = work / f"model_{n}"
        _cli("train", str(subset), "--out", str(model), "--seed", str(args.seed))
        if n == _VIDEOS[0]:  # the style-blind reference: no video of the annotator used
            rows.append((0, _score(model, paths, work / "blind", "--style", "0")))
            print(f"0 videos (style-blind): Task 2 F1 {rows[-1][1]['f1']:.3f}", flush=True)
        rows.append((n, _score(model, paths, work / f"videos_{n}")))
        print(f"{n} video(s): Task 2 F1 {rows[-1][1]['f1']:.3f}", flush=True)
    annotators = sorted(k for k in rows[0][1]["per_annotator"] if k != "0")
    print(
        "\n| videos per annotator | Task 2 F1 | "
        + " | ".join(f"ann. {a}" for a in annotators)
        + " |"
    )
    print("|" + "---|" * (2 + len(annotators)))
    for n, result in rows:
        cells = " | ".join(f"{result['per_annotator'][a]['f1']:.3f}" for a in annotators)
        print(f"| {n} | **{result['f1']:.3f}** | {cells} |")
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
