"""Predicting on a Dask cluster writes exactly what one machine writes."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, LocalCluster

from ethostyle.distributed import _chunks, connect, predict_dataset_on_cluster, predict_files
from ethostyle.errors import EthostyleError
from ethostyle.io import save_submission, save_test_npy, write_bouts_csv, write_probabilities
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel, UnknownAnnotatorWarning
from ethostyle.models.store import load_model, save_model
from support import run

#: Small and single-threaded: LightGBM's threads fight each other on a busy machine.
FAST = {"n_estimators": 20, "num_threads": 1}


@pytest.fixture(scope="module")
def model_dir(tiny, tmp_path_factory) -> Path:
    model = StyleTransferModel(reference_params=FAST, style_params=FAST, tune_decoding=False)
    return save_model(model.fit(tiny.train), tmp_path_factory.mktemp("m") / "model")


@pytest.fixture(scope="module")
def files(tiny, tmp_path_factory) -> list[Path]:
    """Three test files of two annotators each, and one of an annotator the model lacks."""
    d = tmp_path_factory.mktemp("in")
    paths = [save_test_npy(tiny.test.filter([a, a + 1]), d / f"part{a}.npy") for a in (0, 2, 4)]
    stranger = tiny.test.select(tiny.test.ids[:1])
    unknown = type(stranger)(s.with_annotator(9) for s in stranger)
    return [*paths, save_test_npy(unknown, d / "stranger.npy")]


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_sequences_are_grouped_into_tasks_of_about_the_frames_asked(tiny):
    chunks = _chunks(tiny.test, frames_per_task=2000)
    assert [s.id for c in chunks for s in c] == tiny.test.ids  # every sequence once, in order
    assert [sum(s.n_frames for s in c) for c in chunks] == [2700] * 4  # 900-frame videos


def test_predict_files_on_a_local_cluster_writes_the_same_files_as_one_machine(
    model_dir, files, client, tmp_path
):
    here, there = tmp_path / "here", tmp_path / "there"
    with pytest.warns(UnknownAnnotatorWarning, match="annotator 9"):
        local = predict_files(
            model_dir, files, here, probabilities_dir=here, bouts_dir=here, frames_per_task=1000
        )
    with pytest.warns(UnknownAnnotatorWarning, match="annotator 9"):
        predict_files(
            model_dir,
            files,
            there,
            client,
            probabilities_dir=there,
            bouts_dir=there,
            frames_per_task=1000,
        )
    names = sorted(p.name for p in here.iterdir())
    assert names == sorted(p.name for p in there.iterdir())
    assert len(names) == 3 * len(files)
    for name in names:
        assert filecmp.cmp(here / name, there / name, shallow=False), name
    # ... and they are what the single-machine `predict` path writes for each file.
    from ethostyle.io import load

    model = load_model(model_dir)
    first = local[0]
    result = predict_dataset(model, load(first.file))
    save_submission(result.labels, tmp_path / "s.npy")
    write_probabilities(result.proba, tmp_path / "p.npz")
    write_bouts_csv(result, tmp_path / "b.csv")
    assert filecmp.cmp(tmp_path / "s.npy", first.submission, shallow=False)
    assert filecmp.cmp(tmp_path / "p.npz", first.probabilities, shallow=False)
    assert filecmp.cmp(tmp_path / "b.csv", first.bouts, shallow=False)


def test_one_file_s_sequences_spread_over_the_cluster_give_the_same_predictions(
    tiny, model_dir, client
):
    data = tiny.test.without_labels()
    one = predict_dataset(load_model(model_dir), data)
    spread = predict_dataset_on_cluster(model_dir, data, client, style=3, frames_per_task=900)
    same_style = predict_dataset_on_cluster(model_dir, data, client, frames_per_task=900)
    assert list(same_style.labels) == data.ids
    for sid in data.ids:
        np.testing.assert_array_equal(same_style.labels[sid], one.labels[sid])
        np.testing.assert_array_equal(same_style.proba[sid], one.proba[sid])
    assert set(spread.styles.values()) == {3}


def test_predict_command_with_a_scheduler_writes_what_it_writes_without(
    model_dir, files, client, tmp_path
):
    address = client.scheduler.address
    outs = {}
    for name, extra in (("plain", []), ("dask", ["--scheduler", address])):
        outs[name] = tmp_path / name
        args = ["predict", str(model_dir), str(files[1]), "--out", str(outs[name] / "sub.npy")]
        args += ["--bouts", str(outs[name] / "bouts.csv"), *extra]
        result = run(*args)
        assert result.exit_code == 0, result.output
    for name in ("sub.npy", "bouts.csv"):
        assert filecmp.cmp(outs["plain"] / name, outs["dask"] / name, shallow=False)
    many = ["predict", str(model_dir), *map(str, files[:2]), "--out", str(tmp_path / "many")]
    result = run(*many, "--scheduler", address)
    assert result.exit_code == 0, result.output
    assert filecmp.cmp(
        outs["plain"] / "sub.npy", tmp_path / "many" / f"{files[1].stem}.submission.npy", False
    )


def test_inputs_with_the_same_name_are_refused_before_any_work(model_dir, files, tmp_path):
    twin = tmp_path / "other"
    twin.mkdir()
    copy = twin / files[0].name
    copy.write_bytes(files[0].read_bytes())
    with pytest.raises(EthostyleError, match="would overwrite each other"):
        predict_files(model_dir, [files[0], copy], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_malformed_local_scheduler_is_a_clear_error():
    with pytest.raises(EthostyleError, match="local:N"), connect("local:many"):
        pass


def test_the_reference_boosts_on_a_cluster_through_a_parameter_that_clones() -> None:
    from sklearn.base import clone

    from ethostyle.distributed import DaskGBDTClassifier, reference_boosting

    with reference_boosting(None) as boost:
        assert boost is None  # no scheduler: the boosted family's own default
    model = StyleTransferModel(reference_estimator=DaskGBDTClassifier, seed=2)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert twin.reference_estimator is DaskGBDTClassifier


@pytest.mark.slow
def test_a_model_trained_on_a_cluster_boosts_there_and_labels_like_one_trained_here(
    tiny, model_dir, tmp_path
):
    from ethostyle.distributed import fit_on_cluster
    from ethostyle.metrics import task2_score

    # LightGBM's network needs each worker in its own process.
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        model = fit_on_cluster(
            tiny.train, c, reference_params=FAST, style_params=FAST, tune_decoding=False
        )
    assert model.reference_.booster_.params["num_machines"] == 2  # really boosted on two
    assert model.reference_.client is None  # the fitted model keeps no link to the cluster
    here = load_model(model_dir)  # the same settings, trained on this machine
    test = tiny.test
    ours, theirs = model.predict(test), here.predict(test)
    agree = np.mean(np.concatenate([ours[i] == theirs[i] for i in test.ids]))
    truth = {s.id: s.labels for s in test}
    annotators = {s.id: s.annotator_id for s in test}
    f1_cluster = task2_score(truth, ours, annotators).f1
    f1_here = task2_score(truth, theirs, annotators).f1
    assert agree > 0.9, agree
    assert abs(f1_cluster - f1_here) < 0.03, (f1_cluster, f1_here)
    saved = load_model(save_model(model, tmp_path / "cluster_model"))
    for sid, labels in saved.predict(test).items():
        np.testing.assert_array_equal(labels, ours[sid])
