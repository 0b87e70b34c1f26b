"""Do the labels stay the same? A check for refactors that must not change behaviour.

``write DIR`` fits every model family on the ``tiny`` and ``calms21-task2-like`` presets
(seed 0), saves each model directory and its labels of the test split, and the labels the
old-layout directories of ``tests/data/models_v1`` give. Run it with the code *before* the
change (a worktree of the old commit on ``PYTHONPATH``).

``check DIR``, with the code *after* the change, (1) loads the saved model directories
and labels again, (2) fits each family again (unless ``--no-refit``) and labels again,
(3) labels with ``tests/data/models_v1``, and prints IDENTICAL or how many sequences and
frames differ for each; it exits 1 if any differ.

Usage::

    git worktree add /tmp/before <old-commit>
    PYTHONPATH=/tmp/before/src .venv/bin/python benchmarks/label_snapshot.py write /tmp/snap
    .venv/bin/python benchmarks/label_snapshot.py check /tmp/snap [--presets tiny] \\
        [--families gbdt] [--no-refit]

Writing both presets for every family took 35 min on 2 busy cores (the ensemble on
``calms21-task2-like`` most of it); ``--presets tiny --families gbdt`` takes seconds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import ethostyle
from ethostyle.models import make_model
from ethostyle.models.store import load_model, save_model
from ethostyle.simulate import simulate

_REPO = Path(__file__).resolve().parents[1]


def _compare(snapshot: Path, name: str, labels: dict[str, np.ndarray]) -> bool:
    """Print whether ``labels`` equal the snapshot's ``name``; True when they do."""
    saved = np.load(snapshot / f"{name}.npz")
    differ = [k for k in saved.files if not np.array_equal(saved[k], labels[k])]
    frames = sum(int((saved[k] != labels[k]).sum()) for k in differ)
    said = f"DIFFER in {len(differ)} sequences, {frames} frames" if differ else "IDENTICAL"
    print(f"{name}: {said}", flush=True)
    return not differ


def _families(
    snapshot: Path, mode: str, presets: list[str], families: list[str], refit: bool
) -> bool:
    same = True
    for preset in presets:
        sim = simulate(preset, seed=0)
        for family in families:
            name, start = f"{preset}-{family}", time.time()
            if mode == "write":
                model = make_model(family, seed=0).fit(sim.train)
                save_model(model, snapshot / name)
                np.savez(snapshot / f"{name}.npz", **model.predict(sim.test))
                print(f"{name}: written in {time.time() - start:.0f} s", flush=True)
                continue
            print("loaded directory:", end=" ")
            same &= _compare(snapshot, name, load_model(snapshot / name).predict(sim.test))
            if refit:
                model = make_model(family, seed=0).fit(sim.train)
                print(f"fitted again ({time.time() - start:.0f} s):", end=" ")
                same &= _compare(snapshot, name, model.predict(sim.test))
    return same


def _old_layout(snapshot: Path, mode: str) -> bool:
    same, test = True, simulate("tiny", seed=0).test
    for directory in sorted((_REPO / "tests/data/models_v1").iterdir()):
        if directory.is_dir():
            name, labels = f"models_v1-{directory.name}", load_model(directory).predict(test)
            if mode == "write":
                np.savez(snapshot / f"{name}.npz", **labels)
            else:
                same &= _compare(snapshot, name, labels)
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["write", "check"])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--presets", nargs="*", default=["tiny", "calms21-task2-like"])
    parser.add_argument("--families", nargs="*", default=["gbdt", "tcn", "ensemble"])
    parser.add_argument("--no-refit", action="store_true", help="Only load the saved models.")
    args = parser.parse_args()
    args.snapshot.mkdir(parents=True, exist_ok=True)
    print("ethostyle from", ethostyle.__file__, flush=True)
    same = _families(args.snapshot, args.mode, args.presets, args.families, not args.no_refit)
    if "tiny" in args.presets:
        same &= _old_layout(args.snapshot, args.mode)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
