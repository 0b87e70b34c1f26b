"""The stacked reference (``StyleTransferModel(reference_stack=k)``): fit, save, load, refuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ethostyle.compare.motifs import motif_ids
from ethostyle.errors import ModelParameterError
from ethostyle.features import KEY_FEATURES, compute_features
from ethostyle.io import load_submission, save_test_npy, save_train_npy
from ethostyle.models import check_training_options
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.boosted.reference import reference_features
from ethostyle.models.boosted.stacked import (
    StackedReference,
    fit_stacked,
    key_columns,
    second_stage_inputs,
)
from ethostyle.models.manifest import read_manifest
from ethostyle.models.store import load_model, save_model
from support import SMALL_PARAMS, assert_clean_error, assert_success, invoke


def test_a_stacked_reference_labels_alike_after_saving_and_loading(tiny, tmp_path: Path):
    model = StyleTransferModel(**SMALL_PARAMS, reference_stack=2, motifs=False).fit(tiny.train)
    assert isinstance(model.reference_, StackedReference) and len(model.reference_.first) == 2
    assert any("@step" in n for n in model.feature_names_)  # its models also see steps
    before = predict_dataset(model, tiny.test).labels
    manifest = read_manifest(save_model(model, tmp_path / "m"))
    assert {"reference_fold0.lgb.txt", "reference_second.lgb.txt"} <= set(manifest["files"])
    after = predict_dataset(load_model(tmp_path / "m"), tiny.test).labels
    assert before.keys() == after.keys()
    for sid in before:
        np.testing.assert_array_equal(before[sid], after[sid])


@pytest.mark.parametrize(
    "folds, unlabelled, match", [(1, False, "one first-stage"), (2, True, "self-train")]
)
def test_a_stacked_reference_of_one_fold_or_beside_unlabelled_videos_is_refused(
    tiny, folds, unlabelled, match
):
    model = StyleTransferModel(**SMALL_PARAMS, reference_stack=folds)
    extra = tiny.test.without_labels() if unlabelled else None
    with pytest.raises(ModelParameterError, match=match):
        model.fit(tiny.train, unlabelled=extra)


def test_a_stacked_reference_is_not_boosted_on_a_dask_cluster(tiny):
    from ethostyle.distributed import DaskGBDTClassifier

    # What fit_on_cluster fits: refused before any work, naming what to drop.
    model = StyleTransferModel(reference_estimator=DaskGBDTClassifier, reference_stack=2)
    with pytest.raises(ModelParameterError, match="reference_estimator=DaskGBDTClassifier"):
        model.fit(tiny.train)
    with pytest.raises(ModelParameterError, match="cannot be used with --scheduler"):
        check_training_options("gbdt", unlabelled=False, on_cluster=True, reference_stack=2)


@pytest.mark.parametrize(
    "family, folds, unlabelled, match",
    [
        ("gbdt", 2, True, r"--reference-stack 2 cannot be used with --unlabelled: .* drop"),
        ("gbdt", 1, False, "needs 2 or more fold models"),
        ("gbdt", -1, False, "needs 2 or more fold models"),
        ("tcn", 2, False, "a reference of the 'gbdt' or 'ensemble' model"),
    ],
)
def test_training_options_a_stacked_reference_cannot_go_with_are_refused(
    family, folds, unlabelled, match
):
    with pytest.raises(ModelParameterError, match=match):
        check_training_options(
            family, unlabelled=unlabelled, on_cluster=False, reference_stack=folds
        )
    check_training_options("ensemble", unlabelled=False, on_cluster=False, reference_stack=3)


def test_train_reference_stack_then_adapt_and_predict_on_the_command_line(tiny, tmp_path):
    task1 = save_train_npy(tiny.train.filter([0]), tmp_path / "task1.npy")
    task2 = save_train_npy(tiny.train.filter([1, 2]), tmp_path / "task2.npy")
    test = save_test_npy(tiny.test.filter([0, 1]), tmp_path / "test.npy")
    refused = invoke(
        "train", task1, "--out", tmp_path / "x", "--reference-stack", 2, "--unlabelled", test
    )
    assert_clean_error(refused, "--reference-stack 2 cannot be used with --unlabelled")
    assert not (tmp_path / "x").exists()  # before any work
    trained = assert_success(
        invoke("train", task1, "--out", tmp_path / "m1", "--reference-stack", 2)
    )
    assert "its model (stacked, 2 folds)" in trained
    assert read_manifest(tmp_path / "m1")["config"]["params"]["reference_stack"] == 2
    assert_success(invoke("adapt", tmp_path / "m1", task2, "--out", tmp_path / "m2"))
    adapted = load_model(tmp_path / "m2")
    assert isinstance(adapted.reference_, StackedReference) and adapted.annotators_ == [0, 1, 2]
    ours = tiny.test.filter([0])  # the reference's labels are the trained model's
    before, after = load_model(tmp_path / "m1").predict(ours), adapted.predict(ours)
    assert all(np.array_equal(before[sid], after[sid]) for sid in ours.ids)
    assert_success(invoke("predict", tmp_path / "m2", test, "--out", tmp_path / "sub.npy"))
    written, expected = (
        load_submission(tmp_path / "sub.npy"),
        adapted.predict(tiny.test.filter([0, 1])),
    )
    assert written.keys() == expected.keys()
    assert all(np.array_equal(written[sid], expected[sid]) for sid in expected)


def test_the_second_stage_reads_the_probabilities_their_context_and_the_key_columns():
    names = ["other_feature", *KEY_FEATURES, f"{KEY_FEATURES[0]}@step5", "other_feature@step5"]
    columns = key_columns(names)
    assert [names[i] for i in columns] == [*KEY_FEATURES, f"{KEY_FEATURES[0]}@step5"]
    proba = np.tile([[0.7, 0.1, 0.1, 0.1]], (90, 1)).astype(np.float32)
    key = np.arange(90 * len(columns), dtype=np.float32).reshape(90, -1)
    inputs = second_stage_inputs(proba, key)
    np.testing.assert_array_equal(inputs[:, :4], proba)  # the probabilities first
    np.testing.assert_array_equal(inputs[:, -len(columns) :], key)  # the key columns last
    assert inputs.dtype == np.float32 and np.isfinite(inputs).all()


def test_every_reference_video_gets_probabilities_from_models_that_never_learned_from_it(tiny):
    model = StyleTransferModel(**SMALL_PARAMS, motifs=False)
    ref_ids = [s.id for s in tiny.train if s.annotator_id == 0]
    table = compute_features(tiny.train.filter([0]), describe=reference_features)
    labels = np.concatenate([s.labels for s in tiny.train.filter([0])]).astype(np.int64)
    reference, out_of_fold = fit_stacked(
        model._new_reference,
        table,
        labels,
        ref_ids,
        folds=2,
        seed=0,
        stride=6,
        feature_names=[n.replace("@", "__") for n in table.names],
    )
    assert sorted(out_of_fold) == sorted(ref_ids)
    learned = []
    for sid in ref_ids:
        proba = out_of_fold[sid]
        assert proba.shape == (table.rows(sid).stop - table.rows(sid).start, 4)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        learned.append(np.allclose(proba, reference.predict_proba(table.values[table.rows(sid)])))
    assert not any(learned)  # the final reference learned from every video; these did not


def test_the_motifs_of_a_stacked_model_are_assigned_on_its_own_features(tiny):
    # compare reads every frame's motif; a stacked reference's features include steps.
    model = StyleTransferModel(**SMALL_PARAMS, reference_stack=2).fit(tiny.train)
    assert model.motifs_ is not None
    videos = tiny.test.filter([0])
    ids = motif_ids(model, videos)
    assert sorted(ids) == sorted(videos.ids)
    assert all(ids[s.id].shape == (s.n_frames,) for s in videos)
