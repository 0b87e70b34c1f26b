"""Train once, adapt many times: a reference-only model learns other annotators' styles later."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ethostyle.cli import app
from ethostyle.data import Dataset
from ethostyle.errors import DataFormatError, ModelFormatError, ModelParameterError
from ethostyle.io import save_train_npy
from ethostyle.models import check_training_options, train_model
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.manifest import read_manifest

SMALL = {"reference_params": {"n_estimators": 20}, "style_params": {"n_estimators": 10}}


@pytest.fixture(scope="module")
def reference_only(tiny) -> StyleTransferModel:
    return train_model(tiny.train.filter([0]), **SMALL).model


def test_a_model_trained_in_python_records_its_training_data(tiny, tmp_path) -> None:
    task1 = tiny.train.filter([0])
    trained = train_model(task1, family="gbdt", files=["task1.npy"], **SMALL, device="cuda")
    assert type(trained.model) is StyleTransferModel  # the device is the neural model's
    manifest = read_manifest(trained.save(tmp_path / "m"))
    recorded = dict(manifest["training_data"])
    assert 80 < recorded.pop("body_length_px") < 120  # the simulator's mice: about 100 px
    assert recorded == {
        "files": ["task1.npy"],
        "sequences": len(task1),
        "frames": task1.n_frames,
        "annotators": [0],
    }
    assert "unlabelled_data" not in manifest and trained.self_training == ()


@pytest.mark.parametrize(
    ("family", "unlabelled", "on_cluster", "message"),
    [
        ("forest", False, False, "unknown model family 'forest'"),
        ("tcn", False, True, "--scheduler trains the 'gbdt' model only"),
        ("ensemble", False, True, "--scheduler trains the 'gbdt' model only"),
        ("tcn", True, False, "--unlabelled self-trains the 'gbdt' model on this machine only"),
        ("gbdt", True, True, "--unlabelled self-trains the 'gbdt' model on this machine only"),
    ],
)
def test_options_that_do_not_go_together_are_refused_before_any_work(
    family, unlabelled, on_cluster, message
) -> None:
    with pytest.raises(ModelParameterError, match=message):
        check_training_options(family, unlabelled=unlabelled, on_cluster=on_cluster)


def test_the_checks_pass_for_options_that_go_together() -> None:
    check_training_options("gbdt", unlabelled=True, on_cluster=False)
    check_training_options("gbdt", unlabelled=False, on_cluster=True)
    check_training_options("ensemble", unlabelled=False, on_cluster=False)


def _labels(model: StyleTransferModel, dataset: Dataset) -> dict[str, np.ndarray]:
    return predict_dataset(model, dataset).labels


def test_a_reference_only_model_labels_everything_in_the_reference_style(
    tiny, reference_only
) -> None:
    assert reference_only.annotators_ == [0]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        styled = _labels(reference_only, tiny.test)
        as_reference = predict_dataset(reference_only, tiny.test, style=0).labels
    for sid in styled:
        np.testing.assert_array_equal(styled[sid], as_reference[sid])


def test_adapting_equals_training_on_both_files_and_keeps_the_reference(
    tiny, reference_only
) -> None:
    import copy

    # Without motifs: a reference-only model's motifs are those of the reference's pose
    # alone, a model trained on both files has those of all the pose.
    adapted = copy.deepcopy(reference_only).set_params(motifs=False)
    adapted.adapt(tiny.train.filter([1, 2, 3, 4, 5]))
    assert adapted.annotators_ == [0, 1, 2, 3, 4, 5]
    together = StyleTransferModel(**SMALL, motifs=False).fit(tiny.train)
    for sid, labels in _labels(together, tiny.test).items():
        np.testing.assert_array_equal(_labels(adapted, tiny.test.select([sid]))[sid], labels)
    reference_before = predict_dataset(reference_only, tiny.test, style=0).labels
    reference_after = predict_dataset(adapted, tiny.test, style=0).labels
    for sid in reference_before:
        np.testing.assert_array_equal(reference_before[sid], reference_after[sid])


def test_adapting_an_annotator_again_replaces_its_style_with_one_warning(
    tiny, reference_only
) -> None:
    import copy

    model = copy.deepcopy(reference_only).adapt(tiny.train.filter([1]))
    with pytest.warns(UserWarning, match=r"annotator\(s\) \[1\] already have a style") as seen:
        model.adapt(tiny.train.filter([1, 2]))
    assert len([w for w in seen if "already have a style" in str(w.message)]) == 1
    assert model.annotators_ == [0, 1, 2]


def test_adapt_refuses_data_it_cannot_read(tiny, reference_only) -> None:
    import copy

    other_vocabulary = Dataset(tiny.train.filter([1]), ["chase", "sniff", "mount", "other"])
    with pytest.raises(DataFormatError, match="classes are"):
        copy.deepcopy(reference_only).adapt(other_vocabulary)
    with pytest.raises(DataFormatError, match="only the reference annotator"):
        copy.deepcopy(reference_only).adapt(tiny.train.filter([0]))
    from_another_version = copy.deepcopy(reference_only)
    from_another_version.feature_names_ = [f"old_{n}" for n in reference_only.feature_names_]
    with pytest.raises(ModelFormatError):
        from_another_version.adapt(tiny.train.filter([1]))


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_the_challenge_route_on_the_command_line(tiny, tmp_path: Path) -> None:
    task1 = save_train_npy(tiny.train.filter([0]), tmp_path / "task1.npy")
    task2 = save_train_npy(tiny.train.filter([1, 2]), tmp_path / "task2.npy")
    wrong = _invoke("train", task2, "--out", tmp_path / "m")
    assert wrong.exit_code == 1 and "ethostyle adapt" in wrong.output
    clash = _invoke("train", task1, task1, "--out", tmp_path / "m")
    assert clash.exit_code == 1 and "is also in" in clash.output
    assert _invoke("train", task1, "--out", tmp_path / "m1").exit_code == 0
    adapted = _invoke("adapt", tmp_path / "m1", task2, "--out", tmp_path / "m2")
    assert adapted.exit_code == 0, adapted.output
    assert "wrote model" in adapted.output
