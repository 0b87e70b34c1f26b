"""Peak memory of ``ethostyle predict`` on a test file of 5 million frames.

Target (issue 5, item 6): under 6 GB, because ``predict`` works one sequence at a
time; only the poses, the labels and the probabilities of the whole file are held.

The test file is built from the "tiny" simulation's test videos, joined end to end
into five-minute sequences (9,000 frames, as long as CalMS21's longer videos) until
5,000,000 frames are reached; a model is trained on the "tiny" training set with the
default settings (as ``ethostyle train`` does). Then ``ethostyle predict`` runs as a
separate process, writing the submission, the probabilities and the bouts, and its
peak resident memory is read from ``resource.getrusage(RUSAGE_CHILDREN)`` of a small
parent process whose only child it is. Beside it, the same figure for a *reference*
process that only loads the file with ``numpy.load`` (the file held once in memory)
shows how much of the peak is the input itself.

Usage::

    .venv/bin/python benchmarks/bench_memory_5m.py               # 5,000,000 frames
    .venv/bin/python benchmarks/bench_memory_5m.py --frames 500000 --keep /tmp/m5

Prints one line per figure and a final ``peak_rss_gb=<value>`` line; exits 1 if the
peak is over ``--limit-gb`` (default 6).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ethostyle.data import Dataset, Sequence
from ethostyle.io import save_test_npy
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.store import save_model
from ethostyle.simulate import simulate

SEQUENCE_FRAMES = 9_000  # five minutes at 30 Hz

# Runs a command as the only child of a fresh Python and prints the child's peak
# resident memory (ru_maxrss is in kB on Linux) and CPU seconds as JSON.
_MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "peak_kb": usage.ru_maxrss,
                  "cpu_s": usage.ru_utime + usage.ru_stime,
                  "wall_s": time.perf_counter() - start, "stderr": done.stderr[-2000:]}))
"""

_REFERENCE = r"""
import sys, numpy as np
data = np.load(sys.argv[1], allow_pickle=True).item()  # our own file: trusted
print(sum(len(v["keypoints"]) for v in data.values()))
"""


def build_test_file(n_frames: int, path: Path) -> int:
    """Write a test.npy of at least ``n_frames`` frames; return the exact count."""
    videos = list(simulate("tiny", seed=1).test)
    sequences = []
    total, index = 0, 0
    while total < n_frames:
        parts = [videos[(index + k) % len(videos)].keypoints for k in range(len(videos))]
        keypoints = np.concatenate(parts)[:SEQUENCE_FRAMES]
        annotator = index % 6
        sequences.append(Sequence(f"long-{index:05d}", keypoints, annotator))
        total += len(keypoints)
        index += 1
    save_test_npy(Dataset(sequences), path)
    return total


def measure(command: list[str]) -> dict[str, object]:
    """Peak RSS and CPU time of ``command`` run as its own process."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> int:
    """Build the data, train, measure ``ethostyle predict``; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=5_000_000)
    parser.add_argument("--limit-gb", type=float, default=6.0)
    parser.add_argument("--keep", type=Path, help="Folder to keep the files in.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ethostyle-mem-"))
    folder.mkdir(parents=True, exist_ok=True)

    test = folder / "test.npy"
    started = time.perf_counter()
    n_frames = build_test_file(args.frames, test)
    print(
        f"test file: {n_frames} frames, {test.stat().st_size / 1e9:.2f} GB on disk "
        f"({time.perf_counter() - started:.0f} s to build)"
    )
    model = folder / "model"
    if not (model / "model.json").exists():
        save_model(StyleTransferModel(seed=0).fit(simulate("tiny", seed=0).train), model)

    reference = measure([sys.executable, "-c", _REFERENCE, str(test)])
    predict = measure(
        [
            str(Path(sys.executable).with_name("ethostyle")),
            "predict",
            str(model),
            str(test),
            "--out",
            str(folder / "submission.npy"),
            "--probabilities",
            str(folder / "proba.npz"),
            "--bouts",
            str(folder / "bouts.csv"),
        ]
    )
    if predict["rc"] != 0:
        print(predict["stderr"], file=sys.stderr)
        return 1
    peak_gb = predict["peak_kb"] * 1024 / 1e9
    print(
        f"reference (numpy.load of the file): peak RSS {reference['peak_kb'] * 1024 / 1e9:.2f} GB"
    )
    print(
        f"ethostyle predict: peak RSS {peak_gb:.2f} GB, {predict['wall_s']:.0f} s wall, "
        f"{predict['cpu_s']:.0f} s CPU, {n_frames / predict['wall_s']:.0f} frames/s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"peak_rss_gb={peak_gb:.3f} limit_gb={args.limit_gb}")
    return 0 if peak_gb < args.limit_gb else 1


if __name__ == "__main__":
    sys.exit(main())
