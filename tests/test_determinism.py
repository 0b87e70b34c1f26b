"""Determinism: the same data, seed and options give bit-identical models and predictions.

Each run is a separate ``ethostyle`` process with its own string-hash seed
(``PYTHONHASHSEED``), so nothing may depend on the order of a set or a dict of
strings, and LightGBM runs on two threads, so nothing may depend on how its work
was split between them.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ethostyle import io
from ethostyle.data import Dataset
from support import CLI, SUBPROCESS_ENV

pytestmark = pytest.mark.slow


def _ethostyle(*args: object, hash_seed: int) -> None:
    env = {**SUBPROCESS_ENV, "PYTHONHASHSEED": str(hash_seed), "OMP_NUM_THREADS": "2"}
    done = subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def data(tiny, tmp_path_factory) -> tuple[Path, Path]:
    """A small train file (reference videos enough for a held-out set; two styles), a test file."""
    root = tmp_path_factory.mktemp("determinism")
    picks = [s for s in tiny.train if s.annotator_id == 0][:4]
    picks += [s for s in tiny.train if s.annotator_id in (1, 2)]
    train = Dataset(replace(s, keypoints=s.keypoints[:300], labels=s.labels[:300]) for s in picks)
    test = tiny.test.select(tiny.test.ids[::2])
    return io.save_train_npy(train, root / "train.npy"), io.save_test_npy(test, root / "test.npy")


def test_same_data_and_seed_give_bit_identical_models_and_predictions(tmp_path, data):
    train, test = data
    runs = []
    for run, hash_seed in enumerate((1, 2)):
        model, out = tmp_path / f"model{run}", tmp_path / f"out{run}"
        _ethostyle("train", train, "--out", model, "--seed", 3, hash_seed=hash_seed)
        _ethostyle(
            "predict",
            model,
            test,
            "--out",
            out / "submission.npy",
            "--probabilities",
            out / "proba.npz",
            "--bouts",
            out / "bouts.csv",
            hash_seed=hash_seed,
        )
        runs.append((_files(model), _files(out)))
    (model_a, out_a), (model_b, out_b) = runs
    assert sorted(model_a) == sorted(model_b)
    for name in model_a:
        assert model_a[name] == model_b[name], f"{name} differs between two identical runs"
    for name in out_a:
        assert out_a[name] == out_b[name], f"{name} differs between two identical runs"
    # the predictions are not trivially constant, and the seed does matter
    labels = np.concatenate(list(io.load_submission(tmp_path / "out0" / "submission.npy").values()))
    assert len(np.unique(labels)) > 1
    _ethostyle("train", train, "--out", tmp_path / "other", "--seed", 4, hash_seed=1)
    assert _files(tmp_path / "other")["reference.lgb.txt"] != model_a["reference.lgb.txt"]


_TCN_RUN = r"""
import json, sys
from dataclasses import replace
from ethostyle.data import Dataset
from ethostyle.io import load_train_npy
from ethostyle.models.tcn import TCNStyleTransfer
train = load_train_npy(sys.argv[1])
model = TCNStyleTransfer(
    seed=3, epochs=2.0, style_epochs=4.0, channels=8, dilations=(1, 2), style_blocks=1,
    window=128, batch_size=8, num_threads=2,
).fit(train)
config = model.save(sys.argv[2])
with open(sys.argv[2] + "/config.json", "w") as fh:
    json.dump(config, fh, sort_keys=True)
"""


def test_torch_model_is_bit_identical_across_processes(tiny, tmp_path):
    pytest.importorskip("torch")  # the torch extra; installed with the test extra
    picks = [s for s in tiny.train if s.annotator_id == 0][:4]
    picks += [s for s in tiny.train if s.annotator_id == 1]
    train = io.save_train_npy(Dataset(picks), tmp_path / "train.npy")
    runs = []
    for hash_seed in (5, 6):
        folder = tmp_path / f"tcn{hash_seed}"
        folder.mkdir()
        env = {**SUBPROCESS_ENV, "PYTHONHASHSEED": str(hash_seed)}
        done = subprocess.run(
            [sys.executable, "-c", _TCN_RUN, str(train), str(folder)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        runs.append(_files(folder))
    assert sorted(runs[0]) == sorted(runs[1]) and len(runs[0]) >= 2
    for name in runs[0]:
        assert runs[0][name] == runs[1][name], f"{name} differs between two identical runs"
