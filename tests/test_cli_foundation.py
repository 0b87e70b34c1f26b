"""Tests of the ``simulate``, ``validate`` and ``evaluate`` commands, and of ``evaluate``
against an independent scorer on a data set written with plain numpy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score

from ethostyle import io
from support import run, touch

LAST_LINE = re.compile(r"task2_f1=(\S+) task2_precision=(\S+)")


def assert_one_error(result, *fragments: str) -> None:
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("error:") == 1
    message = " ".join(result.stderr.split())  # rich wraps long lines
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    result = run("simulate", "--preset", "tiny", "--out", out, "--seed", 1)
    assert result.exit_code == 0, result.output
    return out


def test_simulate_writes_the_four_files(sim_dir) -> None:
    names = ("train.npy", "test.npy", "test_labels.npy", "sample_submission.npy")
    assert all((sim_dir / n).is_file() for n in names)
    train, test = io.load_train_npy(sim_dir / "train.npy"), io.load_test_npy(sim_dir / "test.npy")
    assert train.is_labelled and not any(s.labels is not None for s in test)
    assert train.annotators == test.annotators == list(range(6))
    io.attach_labels(test, io.load_labels(sim_dir / "test_labels.npy"))
    sample = io.load_submission(sim_dir / "sample_submission.npy")
    io.validate_submission(sample, test)
    assert all((v == 3).all() for v in sample.values())


def test_validate_good_files(sim_dir) -> None:
    for name, kind in (("train.npy", "train"), ("test.npy", "test"), ("test_labels.npy", "labels")):
        result = run("validate", sim_dir / name)
        assert result.exit_code == 0, result.output
        assert f"{kind} file" in result.stdout and "no problems found" in result.stdout
    result = run("validate", sim_dir / "sample_submission.npy", "--test", sim_dir / "test.npy")
    assert result.exit_code == 0 and "submission file" in result.stdout


def test_validate_bad_files_exit_1_with_one_message(sim_dir, tmp_path) -> None:
    whole = (sim_dir / "train.npy").read_bytes()
    truncated = tmp_path / "train.npy"
    truncated.write_bytes(whole[: len(whole) // 2])
    assert_one_error(run("validate", truncated), str(truncated), "truncated or corrupt")
    missing = tmp_path / "missing.json"
    assert_one_error(run("validate", missing), str(missing), "no such file")

    short = tmp_path / "short.npy"
    np.save(
        short,
        {"s1": {"keypoints": np.ones((5, 2, 2, 7)), "annotations": [3] * 4, "annotator_id": 2}},
        allow_pickle=True,
    )
    result = run("validate", short)
    assert_one_error(result, f"{short}: 1 problem(s) found")
    assert "sequence 's1': 4 labels for 5 frames" in " ".join(result.stdout.split())

    marker = tmp_path / "ran"
    hostile = tmp_path / "hostile.npy"
    np.save(hostile, {"s1": {"keypoints": touch(marker), "annotator_id": 0}}, allow_pickle=True)
    assert_one_error(run("validate", hostile), str(hostile), "never runs code")
    assert not marker.exists()


def test_validate_counts_every_sequence_of_the_file_the_bad_ones_too(sim_dir, tmp_path) -> None:
    test = io.load_test_npy(sim_dir / "test.npy")
    sequences = {s.id: {"keypoints": s.keypoints, "annotator_id": s.annotator_id} for s in test}
    bad = list(sequences)[3]
    sequences[bad]["keypoints"] = np.full_like(sequences[bad]["keypoints"], np.nan)
    path = tmp_path / "test.npy"
    np.save(path, {"sequences": sequences}, allow_pickle=True)
    report = io.find_problems(path)
    assert (report.n_sequences, report.n_unreadable) == (len(test), 1)
    result = run("validate", path)
    assert_one_error(result, f"{path}: 1 problem(s) found")
    assert (
        f"{len(test)} sequence(s), 1 of them unreadable (listed below); "
        f"{test.n_frames - test[bad].n_frames} frame(s) in the other {len(test) - 1}"
    ) in " ".join(result.stdout.split())


def test_evaluate_prints_the_score_last_and_writes_json(sim_dir, tmp_path) -> None:
    out = tmp_path / "score.json"
    args = (sim_dir / "test_labels.npy", sim_dir / "test.npy", sim_dir / "test_labels.npy")
    result = run("evaluate", *args, "--json", out)
    assert result.exit_code == 0, result.output
    f1, precision = map(float, LAST_LINE.fullmatch(result.stdout.strip().splitlines()[-1]).groups())
    assert f1 == precision == 1.0  # the truth scored against itself
    data = json.loads(out.read_text())
    assert data["f1"] == 1.0 and sorted(data["per_annotator"]) == [str(a) for a in range(6)]
    assert data["per_annotator"]["0"]["scored"] is False

    sample = run("evaluate", sim_dir / "sample_submission.npy", *args[1:])
    f1, precision = map(float, LAST_LINE.fullmatch(sample.stdout.strip().splitlines()[-1]).groups())
    assert f1 == precision == 0.0  # every frame `other` finds no behaviour


def test_evaluate_refuses_mismatched_files(sim_dir, tmp_path) -> None:
    test = io.load_test_npy(sim_dir / "test.npy")
    labels = io.load_labels(sim_dir / "test_labels.npy")
    first = test.ids[0]
    wrong = io.save_labels_npy({**labels, first: labels[first][:-1]}, tmp_path / "labels.npy")
    result = run("evaluate", sim_dir / "sample_submission.npy", sim_dir / "test.npy", wrong)
    assert_one_error(result, f"{wrong}, sequence {first!r}: 899 labels for 900 frames")
    assert "task2_f1" not in result.stdout

    partial = {k: v for k, v in labels.items() if k != test.filter([3]).ids[0]}
    result = run(
        "evaluate",
        sim_dir / "sample_submission.npy",
        sim_dir / "test.npy",
        io.save_labels_npy(partial, tmp_path / "partial.npy"),
    )
    assert_one_error(result, "no labels for 1 scored test sequence(s)")

    # sequences of unscored annotators (here 0) may go without labels, as in the challenge
    unscored = {k: v for k, v in labels.items() if k not in test.filter([0]).ids}
    result = run(
        "evaluate",
        sim_dir / "test_labels.npy",
        sim_dir / "test.npy",
        io.save_labels_npy(unscored, tmp_path / "unscored.npy"),
    )
    assert result.exit_code == 0 and result.stdout.strip().endswith("task2_precision=1.000000")


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "only-one-file.npy"],
        ["simulate"],  # --out is required
        ["simulate", "--out", "x", "--seed", "many"],
        ["validate", "a.npy", "--bogus"],
    ],
)
def test_usage_errors_exit_2(args) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_unknown_preset_exits_1(tmp_path) -> None:
    assert_one_error(
        run("simulate", "--preset", "huge", "--out", tmp_path), "unknown simulation preset"
    )
    assert not any(tmp_path.iterdir())


def test_installed_command_reports_bad_input_without_traceback(tmp_path) -> None:
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"\x93NUMPY not really")
    command = Path(sys.executable).with_name("ethostyle")
    done = subprocess.run(
        [str(command), "validate", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.count("error:") == 1
    assert str(bad) in " ".join(done.stderr.split())


# ---------------------------------------------------------------------------- independent scorer


def test_evaluate_matches_sklearn_on_files_written_with_plain_numpy(tmp_path) -> None:
    """Write the MABe 2021 layout with numpy alone and score it with sklearn alone."""
    rng = np.random.default_rng(42)
    test, truth, submission = {}, {}, {}
    # annotators 0 and 9 are in the test file but not scored; 1-5 are
    for i, annotator in enumerate([0, 1, 1, 2, 3, 4, 5, 5, 9]):
        n = int(rng.integers(50, 400))
        sid = f"seq{i:02d}"
        test[sid] = {
            "keypoints": rng.uniform(0, 500, (n, 2, 2, 7)),
            "annotator_id": annotator,
        }
        y = rng.choice(4, n, p=[0.1, 0.3, 0.1, 0.5])
        truth[sid] = y.tolist()  # plain lists, as the challenge's files hold
        noisy = np.where(rng.random(n) < 0.35, rng.integers(0, 4, n), y)
        submission[sid] = noisy.astype(np.int64)
    paths = {}
    for name, obj in (("test", test), ("labels", truth), ("submission", submission)):
        paths[name] = tmp_path / f"{name}.npy"
        np.save(paths[name], obj, allow_pickle=True)

    result = run("evaluate", paths["submission"], paths["test"], paths["labels"])
    assert result.exit_code == 0, result.output
    f1, precision = map(float, LAST_LINE.fullmatch(result.stdout.strip().splitlines()[-1]).groups())

    scored = [sid for sid in test if 1 <= test[sid]["annotator_id"] <= 5]
    y_true = np.concatenate([truth[sid] for sid in scored])
    y_pred = np.concatenate([submission[sid] for sid in scored])
    kw = {"labels": [0, 1, 2], "average": "macro"}
    assert f1 == pytest.approx(f1_score(y_true, y_pred, **kw), abs=1e-6)
    assert precision == pytest.approx(precision_score(y_true, y_pred, **kw), abs=1e-6)
    # including the unscored annotators would give another number
    everything = np.concatenate(list(map(np.asarray, truth.values())))
    all_pred = np.concatenate(list(submission.values()))
    assert abs(f1_score(everything, all_pred, **kw) - f1) > 1e-6
