"""Speed-up of ``predict_files`` from 1 to 2 Dask workers (and on one machine, for reference).

Several simulated test files are labelled three ways with the same model: on this
machine without Dask, then on a local Dask cluster of 1 and of 2 worker processes
(one thread each, so each worker is one core). The cluster is started before the
clock starts; every timed run includes reading the inputs, shipping the model and
the poses to the workers, and writing every output. Each setting is repeated and
the best time kept (the least disturbed by other work on the machine); the load
average is printed beside the numbers, since a busy machine shrinks the speed-up.
The outputs of every run are checked to be identical.

Usage::

    .venv/bin/python benchmarks/bench_dask.py                # 6 files, 3 repeats
    .venv/bin/python benchmarks/bench_dask.py --files 8 --repeats 5 --json out.json
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster

from ethostyle.distributed import predict_files
from ethostyle.io import save_test_npy
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.store import save_model
from ethostyle.simulate import simulate

#: The benchmark model: the default model's shape with fewer boosting rounds, one thread.
MODEL = {"n_estimators": 100, "num_threads": 1}


def _inputs(folder: Path, n_files: int) -> list[Path]:
    """``n_files`` test files of 12 simulated 30-s videos each (10,800 frames)."""
    return [
        save_test_npy(simulate("tiny", seed=100 + i).test.without_labels(), folder / f"f{i}.npy")
        for i in range(n_files)
    ]


def _timed(run, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Run the benchmark and print (and optionally save) the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6, help="input files (10,800 frames each)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per setting (best kept)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sim = simulate("tiny", seed=0)
        model = StyleTransferModel(reference_params=MODEL, style_params=MODEL, tune_decoding=False)
        model_dir = save_model(model.fit(sim.train), root / "model")
        files = _inputs(root, args.files)
        frames = args.files * 10_800
        out = {"here": root / "here"}
        predict_files(model_dir, files[:1], root / "warm")  # imports and caches warmed up
        seconds = {
            "here": _timed(lambda: predict_files(model_dir, files, out["here"]), args.repeats)
        }
        for workers in (1, 2):
            name = f"{workers} worker{'s' * (workers > 1)}"
            out[name] = root / name
            with (
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,
            ):
                predict_files(model_dir, files[:1], root / "warm", client)  # workers load once
                seconds[name] = _timed(
                    lambda c=client, o=out[name]: predict_files(model_dir, files, o, c),
                    args.repeats,
                )
        for name in out:
            for f in sorted(out["here"].iterdir()):
                assert filecmp.cmp(f, out[name] / f.name, shallow=False), (name, f.name)

    load = os.getloadavg()[0]
    result = {
        "frames": frames,
        "files": args.files,
        "cpu_cores": os.cpu_count(),
        "load_average_1min": round(load, 2),
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "frames_per_second": {k: round(frames / v) for k, v in seconds.items()},
        "speedup_1_to_2_workers": round(seconds["1 worker"] / seconds["2 workers"], 2),
    }
    for name, value in seconds.items():
        print(f"{name:>10}: {value:7.2f} s  {frames / value:9.0f} frames/s")
    print(
        f"speed-up from 1 to 2 workers: {result['speedup_1_to_2_workers']}x "
        f"({os.cpu_count()} cores, load average {load:.1f}); outputs identical"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
