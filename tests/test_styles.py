"""Style transfer: train -> save -> load -> predict, fallback on the reference, unknown styles."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pytest

from ethostyle.data import OTHER, VOCABULARY, Dataset
from ethostyle.errors import ModelFormatError
from ethostyle.io import load_submission, load_test_npy
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel, UnknownAnnotatorWarning
from ethostyle.models.store import load_model, save_model
from ethostyle.simulate import simulate, write_simulation
from support import run

MOUNT = VOCABULARY.index("mount")


@pytest.fixture(scope="module")
def sim():
    # Not the shared `tiny` (seed 0): the no-evidence check (mounts the reference calls)
    # and the own-style check (annotator 3) below depend on what seed 4's videos hold.
    return simulate("tiny", seed=4)


@pytest.fixture(scope="module")
def no_mount_train(sim) -> Dataset:
    """Annotator 1's training videos with every mount frame relabelled ``other``."""
    sequences = []
    for seq in sim.train:
        if seq.annotator_id == 1:
            labels = seq.labels.copy()
            labels[labels == MOUNT] = OTHER
            seq = seq.with_labels(labels)
        sequences.append(seq)
    return Dataset(sequences)


@pytest.fixture(scope="module")
def model(no_mount_train) -> StyleTransferModel:
    return StyleTransferModel(seed=0).fit(no_mount_train)


def test_saved_and_loaded_model_predicts_the_same(model, sim, tmp_path: Path) -> None:
    before = predict_dataset(model, sim.test)
    loaded = load_model(save_model(model, tmp_path / "model"))
    after = predict_dataset(loaded, sim.test)
    assert loaded.annotators_ == model.annotators_
    for sid in before.labels:
        np.testing.assert_array_equal(before.labels[sid], after.labels[sid])
        np.testing.assert_allclose(before.proba[sid], after.proba[sid], rtol=1e-6, atol=1e-7)


def test_labelling_a_data_set_on_threads_gives_the_labels_of_one_sequence_at_a_time(
    model, sim
) -> None:
    # predict_dataset labels sequences on several threads; each must come out exactly
    # as when labelled alone (LightGBM's predict is not thread-safe by itself).
    threaded = predict_dataset(model, sim.test)
    for seq in sim.test:
        alone, proba = model.predict_sequence(seq)
        np.testing.assert_array_equal(threaded.labels[seq.id], alone)
        np.testing.assert_array_equal(threaded.proba[seq.id], proba)


def test_a_style_without_evidence_of_a_behaviour_keeps_the_reference_score(model, sim) -> None:
    # Annotator 1's videos show no mount: its style may not change mount's score, so
    # wherever the reference calls mount, annotator 1's style keeps a high mount score.
    style = model.styles_[1]
    assert style.evidence[MOUNT] == 0
    shown = 0
    for seq in sim.test:
        logp = model.log_proba_in_styles(seq, [0, 1])
        reference_mount = logp[0].argmax(axis=1) == MOUNT
        if reference_mount.sum() < 10:
            continue
        shown += 1
        styled = np.exp(logp[1][reference_mount, MOUNT])
        assert np.median(styled) > 0.4
    assert shown > 0, "the tiny test videos should hold mounts"
    labels = np.concatenate([model.predict_sequence(s, 1)[0] for s in sim.test])
    assert (labels == MOUNT).sum() > 0


def test_each_sequence_is_labelled_in_its_own_annotators_style(model, sim) -> None:
    seq = next(s for s in sim.test if s.annotator_id == 3)
    own, _ = model.predict_sequence(seq)
    as_three, _ = model.predict_sequence(seq, 3)
    as_reference, _ = model.predict_sequence(seq, 0)
    np.testing.assert_array_equal(own, as_three)
    assert (own != as_reference).any()  # annotator 3 labels investigation more loosely


def test_an_unknown_annotator_gets_the_reference_style_and_a_warning(model, sim) -> None:
    seq = next(iter(sim.test)).with_annotator(42)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels, _ = model.predict_sequence(seq)
    assert any(
        issubclass(w.category, UnknownAnnotatorWarning) and "42" in str(w.message) for w in caught
    )
    reference, _ = model.predict_sequence(seq.with_annotator(0))
    np.testing.assert_array_equal(labels, reference)


def test_a_model_trained_on_other_features_is_refused_not_misread(model, sim) -> None:
    # A model saved by another ethostyle version may expect other feature columns;
    # LightGBM would read the new columns by position and label nonsense.
    other_version = copy.copy(model)
    other_version.feature_names_ = model.feature_names_[:-4]
    with pytest.raises(ModelFormatError, match="retrain"):
        other_version.predict_sequence(next(iter(sim.test)))


def test_predict_command_writes_a_valid_submission(model, sim, tmp_path: Path) -> None:
    # (`ethostyle train` itself runs in the kill, determinism and walkthrough tests.)
    data = write_simulation(sim, tmp_path / "data")
    model_dir = save_model(model, tmp_path / "model")
    out = tmp_path / "submission.npy"
    done = run("predict", model_dir, data["test"], "--out", out, "--bouts", tmp_path / "bouts.csv")
    assert done.exit_code == 0, done.output
    submission = load_submission(out)
    test = load_test_npy(data["test"])
    assert set(submission) == set(test.ids)
    assert all(len(submission[s.id]) == s.n_frames for s in test)
    header = (tmp_path / "bouts.csv").read_text().splitlines()[0]
    assert header.startswith("sequence,")


def test_a_neural_model_goes_through_the_same_model_directory(sim, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from ethostyle.models.store import read_manifest
    from ethostyle.models.tcn import TCNStyleTransfer

    tcn = TCNStyleTransfer(epochs=1, style_epochs=1, seed=0).fit(sim.train)
    directory = save_model(tcn, tmp_path / "tcn-model")
    manifest = read_manifest(directory)
    assert manifest["kind"] == "tcn-style-transfer" and "tcn.pt" in manifest["files"]
    loaded = load_model(directory)
    before, after = predict_dataset(tcn, sim.test), predict_dataset(loaded, sim.test)
    for sid in before.labels:
        np.testing.assert_array_equal(before.labels[sid], after.labels[sid])


def test_an_unknown_model_family_is_a_clear_error(tmp_path: Path) -> None:
    done = run("train", tmp_path / "train.npy", "--out", tmp_path / "m", "--model", "svm")
    assert done.exit_code == 1
    assert "unknown model family" in done.output
