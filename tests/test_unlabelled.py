"""Unlabelled videos put to use: self-training of the reference and of the residuals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from ethostyle.errors import DataFormatError, ModelFormatError
from ethostyle.io import save_test_npy, save_train_npy
from ethostyle.models import adapt_model
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.self_training import (
    PseudoLabels,
    SelfTrainingRecord,
    confident_labels,
    with_pseudo_labels,
)
from ethostyle.models.store import load_model, save_model
from support import SMALL_PARAMS, assert_clean_error, assert_success, invoke


def test_confident_labels_keep_only_frames_at_or_over_the_threshold() -> None:
    proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.05, 0.95], [0.89, 0.11]])
    rows, labels = confident_labels(proba, 0.9)
    assert rows.tolist() == [0, 2]
    assert labels.tolist() == [0, 1]
    with pytest.raises(ValueError, match="frames, classes"):
        confident_labels(np.ones(3))


def test_pseudo_labels_join_the_labelled_frames_at_their_weight() -> None:
    x, y = np.zeros((3, 2)), np.array([1, 1, 0])
    unlabelled = np.arange(8.0).reshape(4, 2)
    proba = np.array([[0.99, 0.01], [0.5, 0.5], [0.0, 1.0], [0.7, 0.3]])
    (joined_x,), joined_y, weights, n = with_pseudo_labels([x], y, [unlabelled], proba, weight=0.25)
    assert n == 2
    np.testing.assert_array_equal(joined_x[3:], unlabelled[[0, 2]])
    assert joined_y.tolist() == [1, 1, 0, 0, 1]
    assert weights.tolist() == [1, 1, 1, 0.25, 0.25]


@pytest.fixture(scope="module")
def self_trained(tiny) -> StyleTransferModel:
    return StyleTransferModel(**SMALL_PARAMS, residual_min_gain=-1).fit(
        tiny.train, unlabelled=tiny.test.without_labels()
    )


def test_self_training_refits_the_reference_on_its_confident_unlabelled_frames(
    tiny, self_trained
) -> None:
    taken = self_trained.self_training_.reference
    assert taken is not None and taken.unlabelled_frames == tiny.test.n_frames
    assert 0 < taken.pseudo_labelled_frames <= tiny.test.n_frames
    plain = StyleTransferModel(**SMALL_PARAMS, residual_min_gain=-1).fit(tiny.train)
    assert plain.self_training_ == SelfTrainingRecord() and not plain.self_training_
    with_unlabelled = predict_dataset(self_trained, tiny.test, style=0).proba
    without = predict_dataset(plain, tiny.test, style=0).proba
    assert any(not np.allclose(with_unlabelled[s], without[s]) for s in tiny.test.ids)
    again = StyleTransferModel(**SMALL_PARAMS, residual_min_gain=-1).fit(
        tiny.train, unlabelled=tiny.test.without_labels()
    )
    again_probabilities = predict_dataset(again, tiny.test, style=0).proba
    for sid in tiny.test.ids:
        np.testing.assert_array_equal(again_probabilities[sid], with_unlabelled[sid])


def test_a_residual_self_trains_on_its_own_annotators_unlabelled_videos(tiny, self_trained) -> None:
    record = self_trained.self_training_
    with_residual = [a for a, s in self_trained.styles_.items() if s.booster is not None]
    assert with_residual, "the test needs a style that keeps its residual"
    assert sorted(record.styles) == sorted(with_residual)
    for annotator in with_residual:
        own = sum(s.n_frames for s in tiny.test if s.annotator_id == annotator)
        assert record.styles[annotator].unlabelled_frames == own
        assert 0 < record.styles[annotator].pseudo_labelled_frames <= own


def test_the_record_survives_saving(tiny, self_trained, tmp_path: Path) -> None:
    save_model(self_trained, tmp_path / "m")
    assert load_model(tmp_path / "m").self_training_ == self_trained.self_training_
    manifest = json.loads((tmp_path / "m" / "model.json").read_text())
    assert set(manifest["config"]["self_training"]) == {"reference", "styles"}


def test_the_flat_record_of_older_model_directories_still_reads() -> None:
    older = {
        "reference_unlabelled_frames": 10800,
        "reference_pseudo_labelled_frames": 9694,
        "style_12_unlabelled_frames": 900,
        "style_12_pseudo_labelled_frames": 812,
    }
    record = SelfTrainingRecord.from_dict(older, "model.json: self_training")
    assert record == SelfTrainingRecord(PseudoLabels(10800, 9694), {12: PseudoLabels(900, 812)})
    assert SelfTrainingRecord.from_dict(record.to_dict(), "m") == record
    assert SelfTrainingRecord.from_dict({}, "m") == SelfTrainingRecord()
    with pytest.raises(ModelFormatError, match=r"self_training\.styles\.3\.unlabelled_frames"):
        bad = {"styles": {"3": {"unlabelled_frames": -1, "pseudo_labelled_frames": 0}}}
        SelfTrainingRecord.from_dict(bad, "model.json: self_training")
    with pytest.raises(ModelFormatError, match="style_x_frames is not a self-training entry"):
        SelfTrainingRecord.from_dict({"style_x_frames": 1}, "model.json: self_training")


def test_a_video_both_labelled_and_unlabelled_is_refused(tiny) -> None:
    both = tiny.test.concat(tiny.train.select([tiny.train.ids[0]]).without_labels())
    with pytest.raises(DataFormatError, match=rf"{tiny.train.ids[0]!r}.*both"):
        StyleTransferModel(**SMALL_PARAMS).fit(tiny.train, unlabelled=both)


@pytest.fixture(scope="module")
def reference_only_dir(tiny, tmp_path_factory) -> Path:
    """A reference-only model whose reference was self-trained (as `train --unlabelled`)."""
    model = StyleTransferModel(**SMALL_PARAMS, residual_min_gain=-1).fit(
        tiny.train.filter([0]), unlabelled=tiny.test.without_labels()
    )
    assert model.self_training_.reference is not None
    return save_model(model, tmp_path_factory.mktemp("m") / "reference_only")


def test_adapt_with_unlabelled_videos_keeps_the_reference_and_says_what_it_did(
    tiny, reference_only_dir
) -> None:
    adapted = adapt_model(
        reference_only_dir,
        tiny.train.filter([1, 2, 3, 4, 5]),
        unlabelled=tiny.test.without_labels(),
    )
    before = predict_dataset(load_model(reference_only_dir), tiny.test, style=0).labels
    after = predict_dataset(adapted.model, tiny.test, style=0).labels
    for sid in before:
        np.testing.assert_array_equal(before[sid], after[sid])
    styles = adapted.model.self_training_.styles
    assert styles, "the test needs a style that self-trains"
    # What adapt did, per style it self-trained; never the reference's (train's) count.
    assert list(adapted.self_training) == [
        f"annotator {a}'s style: its boosted residual took {t.pseudo_labelled_frames} of "
        f"{t.unlabelled_frames} unlabelled frames of annotator {a} as pseudo-labels "
        "(top probability >= 0.9)"
        for a, t in styles.items()
    ]


def test_adapt_says_so_when_no_style_was_self_trained(tiny, reference_only_dir) -> None:
    # Annotator 1's style is learned, but the unlabelled videos are all annotator 3's.
    adapted = adapt_model(
        reference_only_dir,
        tiny.train.filter([1]),
        unlabelled=tiny.test.filter([3]).without_labels(),
    )
    assert not adapted.model.self_training_.styles
    assert adapted.model.self_training_.reference is not None  # still there, from train
    assert adapted.self_training == (
        "no style learned here kept a boosted residual with unlabelled videos of its "
        "annotator, so nothing was self-trained (adapt never retrains the reference)",
    )


def test_train_and_adapt_take_unlabelled_files(tiny, tmp_path: Path) -> None:
    task1 = save_train_npy(tiny.train.filter([0]), tmp_path / "task1.npy")
    task2 = save_train_npy(tiny.train.filter([1, 2]), tmp_path / "task2.npy")
    test = save_test_npy(tiny.test, tmp_path / "test.npy")
    output = assert_success(invoke("train", task1, "--unlabelled", test, "--out", tmp_path / "m1"))
    assert "self-training on" in output
    assert "self-training: the reference took" in output
    manifest = json.loads((tmp_path / "m1" / "model.json").read_text())
    assert manifest["unlabelled_data"]["files"] == [str(test)]
    adapted = assert_success(
        invoke("adapt", tmp_path / "m1", task2, "--unlabelled", test, "--out", tmp_path / "m2")
    )
    assert "the reference took" not in adapted  # adapt never retrains the reference
    assert "its boosted residual took" in adapted or "nothing was self-trained" in adapted
    assert_clean_error(
        invoke("train", task1, "--unlabelled", test, "--model", "tcn", "--out", tmp_path / "m3"),
        r"--unlabelled self-trains the 'gbdt' model",
    )
    assert_clean_error(
        invoke("train", task1, "--unlabelled", tmp_path / "missing.npy", "--out", tmp_path / "m4"),
        r"missing\.npy",
    )
    assert not (tmp_path / "m4").exists()


def test_the_readmes_unlabelled_commands_run_as_written(tmp_path: Path, monkeypatch) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## MABe 2021 Task 2 from the challenge files", 1)[1].split("\n## ")[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    commands = [
        line.split("  #")[0].split()
        for block in blocks
        for line in block.splitlines()
        if "--unlabelled" in line
    ]
    assert [c[1] for c in commands] == ["train", "adapt"]
    monkeypatch.chdir(tmp_path)
    assert_success(invoke("simulate", "--preset", "tiny", "--layout", "mabe2021", "--out", "mabe"))
    for command in commands:
        assert_success(invoke(*command[1:]))
    assert (tmp_path / "m2u" / "model.json").is_file()
