"""Speed and memory of ``ethostyle train`` and ``ethostyle predict`` on simulated data.

Targets (2 CPU cores): ``train`` on 200,000 frames in under 3 minutes; ``predict``
end to end (load, features, models, decode, write) at 50,000 frames/s or more;
peak memory under 4 GB at 1 million frames.

Each figure is a whole process, run as a user runs it (the ``ethostyle`` console
script, or ``python -c`` for the features alone), repeated; the median is reported
with its min and max. Beside it stands a *reference* measured in the same run on
the same file, so that figures can be compared across machines and days
(README.md explains both):

* time reference: a process that loads the file with ``np.load`` and makes one
  plain numpy pass over every sequence's keypoints (the 49 resident-intruder
  distances and their 31-frame moving mean): the least any pose pipeline does;
* memory reference: the peak resident memory of that same process (the file held
  in memory once).

A run's CPU time (user + system) is reported too: on a shared machine it moves far
less than wall time, and CPU seconds within a wall-time target mean the target is
met even on one idle core. The load average around each run is recorded.

``--only stack`` also times the stacked reference (``train --reference-stack 2``, an
option; issue 22): its ``train`` and ``predict`` as the rows ``train_stack`` and
``predict_stack``, with the same ratios to the numpy pass, and to the default's figures
where those were measured in the same run.

Usage::

    .venv/bin/python benchmarks/bench_speed.py                   # everything, 3 repeats
    .venv/bin/python benchmarks/bench_speed.py --only predict --repeats 5
    .venv/bin/python benchmarks/bench_speed.py --only train --only predict --only stack
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

TRAIN_TARGET_S = 180.0
PREDICT_TARGET_FPS = 50_000.0
MEMORY_TARGET_BYTES = 4e9

#: The reference: one plain numpy pass over a file's keypoints, in its own process.
#: ``allow_pickle`` is safe here only because the file is the one this script wrote.
_REFERENCE_PASS = r"""
import sys
import numpy as np
from scipy.ndimage import uniform_filter1d
data = np.load(sys.argv[1], allow_pickle=True).item()
seqs = data["sequences"] if "sequences" in data else data  # train / flat test layout
total = 0.0
for seq in seqs.values():
    kp = np.asarray(seq["keypoints"], dtype=np.float32)
    d = np.hypot(kp[:, 0, 0, :, None] - kp[:, 1, 0, None, :],
                 kp[:, 0, 1, :, None] - kp[:, 1, 1, None, :]).reshape(len(kp), -1)
    total += float(uniform_filter1d(d, 31, axis=0).sum())
print(total)
"""

#: The pose features (and their temporal context) of every sequence, nothing else.
_FEATURES_PASS = r"""
import sys
from ethostyle.features import sequence_features
from ethostyle.io import load
for seq in load(sys.argv[1]):
    sequence_features(seq)
"""

#: Functions whose cumulative time splits a profiled command into its stages.
_TRAIN_STAGES = {
    "load train file": ("ethostyle/io/dispatch.py", "load"),
    "pose features": ("ethostyle/features/__init__.py", "compute_features"),
    "reference model": ("ethostyle/models/boosted/reference.py", "fit_reference"),
    "style models": ("ethostyle/models/boosted/style.py", "fit_style"),
    "LightGBM training (all models)": ("lightgbm/engine.py", "train"),
    "LightGBM predict (all models)": ("ethostyle/models/gbdt.py", "predict_raw"),
    "style program search (all models)": ("ethostyle/models/program/search.py", "fit_program"),
    "save model": ("ethostyle/models/store.py", "save_model"),
}
_PREDICT_STAGES = {
    "load test file": ("ethostyle/io/dispatch.py", "load"),
    "load model": ("ethostyle/models/store.py", "load_model"),
    "pose features": ("ethostyle/features/__init__.py", "sequence_features"),
    "LightGBM predict (reference + styles)": ("ethostyle/models/gbdt.py", "predict_raw"),
    "probability context (stage 2)": ("ethostyle/models/boosted/context.py", "probability_context"),
    "style programs": ("ethostyle/models/program/pipeline.py", "execute"),
    "write submission": ("ethostyle/io/submission.py", "save_submission"),
}


@dataclass(frozen=True)
class Run:
    """One timed child process."""

    wall_s: float
    cpu_s: float
    peak_bytes: int
    load_avg: float


@dataclass(frozen=True)
class Summary:
    """Median (and spread) of repeated runs."""

    wall_s: float
    wall_min_s: float
    wall_max_s: float
    cpu_s: float
    peak_bytes: int
    load_avg: float
    repeats: int


def run_child(cmd: list[str], log: Path) -> Run:
    """Run ``cmd`` to completion; return its wall time, CPU time and own peak memory."""
    load_before = os.getloadavg()[0]
    with open(log, "ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would keep the largest
        # peak of every child so far. ru_maxrss is in KiB on Linux.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with exit code {proc.returncode}; see {log}")
    load = (load_before + os.getloadavg()[0]) / 2
    return Run(wall, usage.ru_utime + usage.ru_stime, int(usage.ru_maxrss) * 1024, load)


def repeat(cmd: list[str], log: Path, repeats: int) -> Summary:
    """Run ``cmd`` ``repeats`` times; the median resists one slow run on a shared machine."""
    runs = [run_child(cmd, log) for _ in range(repeats)]
    walls = [r.wall_s for r in runs]
    return Summary(
        wall_s=statistics.median(walls),
        wall_min_s=min(walls),
        wall_max_s=max(walls),
        cpu_s=statistics.median(r.cpu_s for r in runs),
        peak_bytes=int(statistics.median(r.peak_bytes for r in runs)),
        load_avg=statistics.median(r.load_avg for r in runs),
        repeats=len(runs),
    )


def _trim(sequences: list[Any], n_frames: int) -> list[Any]:
    """The first sequences holding exactly ``n_frames`` frames (the last one cut)."""
    out, left = [], n_frames
    for seq in sequences:
        if left <= 0:
            break
        if seq.n_frames > left:
            labels = None if seq.labels is None else seq.labels[:left]
            seq = replace(seq, keypoints=seq.keypoints[:left], labels=labels)
        out.append(seq)
        left -= seq.n_frames
    if left > 0:
        raise ValueError(f"simulation too small: {left} frames short of {n_frames}")
    return out


def make_data(workdir: Path, train_frames: int, test_frames: int, seed: int) -> None:
    """Simulate and write ``train.npy`` and ``test.npy`` of exactly the sizes asked for.

    The train split keeps the CalMS21 Task 2 make-up (annotators 1-5 with 1-3 videos
    each, the rest annotator 0); the test split interleaves videos of every
    annotator. Runs in a child process of its own (see :func:`main`).
    """
    import numpy as np

    from ethostyle.data import Dataset
    from ethostyle.io import save_test_npy, save_train_npy
    from ethostyle.simulate import PRESETS, simulate

    workdir.mkdir(parents=True, exist_ok=True)
    base = PRESETS["calms21-task2-like"]
    # Enough videos of the preset's lengths (3,600-7,200 frames) to cut the sizes from.
    n_test = int(np.ceil(test_frames / min(base.test_frames) / 6))
    n_ref = int(np.ceil(train_frames / min(base.reference_train_frames)))
    preset = replace(
        base,
        name="bench",
        train_sequences=(n_ref, *base.train_sequences[1:]),
        test_sequences=(n_test,) * 6,
        shared_sequences=0,
    )
    sim = simulate(preset, seed=seed)
    others = [s for s in sim.train if s.annotator_id != 0]
    ref = _trim(
        [s for s in sim.train if s.annotator_id == 0],
        train_frames - sum(s.n_frames for s in others),
    )
    test = sorted(sim.test, key=lambda s: (s.id.rsplit("-", 1)[-1], s.annotator_id))
    save_train_npy(Dataset([*ref, *others]), workdir / "train.npy")
    save_test_npy(Dataset(_trim(test, test_frames)), workdir / "test.npy")


def _ethostyle(*args: str) -> list[str]:
    """The ``ethostyle`` console script installed beside this Python."""
    return [str(Path(sys.executable).with_name("ethostyle")), *args]


def stage_shares(cmd: list[str], stages: dict[str, tuple[str, str]], workdir: Path) -> dict:
    """Share of one cProfile'd run of ``cmd`` spent in each stage (cumulative time)."""
    profile = workdir / "stages.prof"
    run_child([sys.executable, "-m", "cProfile", "-o", str(profile), *cmd], workdir / "bench.log")
    stats = pstats.Stats(str(profile)).stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _, ct, _) in stats.values())
    shares = {"profiled_s": total}
    for stage, (file_end, func) in stages.items():
        shares[stage] = (
            sum(
                ct
                for (path, _, name), (_, _, _, ct, _) in stats.items()
                if name == func and path.endswith(file_end)
            )
            / total
        )
    return shares


def stack_rows(
    results: dict[str, Any],
    train_cmd: list[str],
    predict_cmd: list[str],
    references: dict[str, Summary],
    log: Path,
    repeats: tuple[int, int],
    test_frames: int,
) -> None:
    """Time the stacked reference's ``train`` and ``predict`` into ``results``.

    Ratios to the numpy pass of each file (``references``), and to the default
    model's row of the same run where there is one (``vs_default``).
    """
    train = repeat(train_cmd, log, repeats[0])
    predict = repeat(predict_cmd, log, repeats[1])
    rows = {"train_stack": (train, "train", None), "predict_stack": (predict, "test", test_frames)}
    for name, (summary, split, frames) in rows.items():
        ref = references[split]
        row = {
            **asdict(summary),
            "wall_vs_reference": summary.wall_s / ref.wall_s,
            "cpu_vs_reference": summary.cpu_s / ref.cpu_s,
            "peak_vs_reference": summary.peak_bytes / ref.peak_bytes,
        }
        if frames:
            row["frames_per_s"] = frames / summary.wall_s
            row["frames_per_cpu_s"] = frames / summary.cpu_s
        default = results.get(name.removesuffix("_stack"))
        if isinstance(default, dict):
            row["wall_vs_default"] = summary.wall_s / default["wall_s"]
            row["cpu_vs_default"] = summary.cpu_s / default["cpu_s"]
        results[name] = row


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print its figures as JSON (and write them with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "es-bench")
    parser.add_argument("--train-frames", type=int, default=200_000)
    parser.add_argument("--test-frames", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--train-repeats", type=int, help="Repeats of train alone (default: --repeats)."
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--only", choices=("train", "predict", "features", "stages", "stack"), action="append"
    )
    parser.add_argument(
        "--stack-folds", type=int, default=2, help="--reference-stack of the 'stack' rows."
    )
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--make-data", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make_data:
        make_data(args.workdir, args.train_frames, args.test_frames, args.seed)
        return 0
    only = set(args.only or ("train", "predict", "features", "stages"))

    # This process imports no numpy and simulates nothing: a child's peak memory
    # counts what its parent held when it was forked, so the parent stays small.
    log = args.workdir / "bench.log"
    paths = {"train": args.workdir / "train.npy", "test": args.workdir / "test.npy"}
    stamp = args.workdir / "data.json"
    meta = {"train_frames": args.train_frames, "test_frames": args.test_frames, "seed": args.seed}
    if not (stamp.exists() and json.loads(stamp.read_text()) == meta):
        args.workdir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, __file__, "--make-data", "--workdir", str(args.workdir)]
        cmd += ["--train-frames", str(args.train_frames), "--test-frames", str(args.test_frames)]
        run_child([*cmd, "--seed", str(args.seed)], log)
        stamp.write_text(json.dumps(meta))
    model_dir = args.workdir / "model"
    train_cmd = _ethostyle("train", str(paths["train"]), "--out", str(model_dir))
    predict_cmd = _ethostyle(
        "predict", str(model_dir), str(paths["test"]), "--out", str(args.workdir / "sub.npy")
    )
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "date": _dt.date.today().isoformat(),
        "train_frames": args.train_frames,
        "test_frames": args.test_frames,
    }

    measured: dict[str, Summary] = {}

    def reference(split: str) -> Summary:
        if split in measured:
            return measured[split]
        cmd = [sys.executable, "-c", _REFERENCE_PASS, str(paths[split])]
        summary = measured[split] = repeat(cmd, log, args.repeats)
        results[f"reference_{split}"] = asdict(summary)
        return summary

    if "train" in only:
        ref = reference("train")
        train = repeat(train_cmd, log, args.train_repeats or args.repeats)
        results["train"] = {
            **asdict(train),
            "target_s": TRAIN_TARGET_S,
            "wall_vs_reference": train.wall_s / ref.wall_s,
            "cpu_vs_reference": train.cpu_s / ref.cpu_s,
            "peak_vs_reference": train.peak_bytes / ref.peak_bytes,
        }
    if only & {"predict", "features"}:
        ref = reference("test")
    if only & {"predict", "stages"} and not (model_dir / "model.json").exists():
        run_child(train_cmd, log)
    if "predict" in only:
        predict = repeat(predict_cmd, log, args.repeats)
        results["predict"] = {
            **asdict(predict),
            "frames_per_s": args.test_frames / predict.wall_s,
            "frames_per_cpu_s": args.test_frames / predict.cpu_s,
            "target_frames_per_s": PREDICT_TARGET_FPS,
            "target_peak_bytes": MEMORY_TARGET_BYTES,
            "wall_vs_reference": predict.wall_s / ref.wall_s,
            "cpu_vs_reference": predict.cpu_s / ref.cpu_s,
            "peak_vs_reference": predict.peak_bytes / ref.peak_bytes,
        }
    if "features" in only:
        cmd = [sys.executable, "-c", _FEATURES_PASS, str(paths["test"])]
        features = repeat(cmd, log, args.repeats)
        results["features"] = {
            **asdict(features),
            "frames_per_s": args.test_frames / features.wall_s,
            "frames_per_cpu_s": args.test_frames / features.cpu_s,
            "wall_vs_reference": features.wall_s / ref.wall_s,
            "cpu_vs_reference": features.cpu_s / ref.cpu_s,
        }
    if "stack" in only:
        stack_dir = args.workdir / "model-stack"
        folds = str(args.stack_folds)
        stack_train = _ethostyle("train", str(paths["train"]), "--out", str(stack_dir))
        stack_predict = _ethostyle(
            "predict", str(stack_dir), str(paths["test"]), "--out", str(args.workdir / "s.npy")
        )
        references = {split: reference(split) for split in ("train", "test")}
        repeats = (args.train_repeats or args.repeats, args.repeats)
        stack_rows(
            results,
            [*stack_train, "--reference-stack", folds],
            stack_predict,
            references,
            log,
            repeats,
            args.test_frames,
        )
    if "stages" in only:
        results["train_stage_shares"] = stage_shares(train_cmd, _TRAIN_STAGES, args.workdir)
        results["predict_stage_shares"] = stage_shares(predict_cmd, _PREDICT_STAGES, args.workdir)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
