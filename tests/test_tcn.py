"""Tests of the neural style-transfer model (ethostyle.models.tcn)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ethostyle.data import VOCABULARY, Dataset  # noqa: E402
from ethostyle.errors import DataFormatError, EthostyleError, ModelFormatError  # noqa: E402
from ethostyle.io import save  # noqa: E402
from ethostyle.models.boosted import UnknownAnnotatorWarning  # noqa: E402
from ethostyle.models.store import load_model, save_model  # noqa: E402
from ethostyle.models.tcn import WEIGHTS_FILE, TCNStyleTransfer  # noqa: E402
from support import TINY_TCN, run  # noqa: E402

ATTACK = VOCABULARY.index("attack")
INVESTIGATION = VOCABULARY.index("investigation")
#: Annotator whose training labels lose every attack bout (no evidence of attack).
NO_ATTACK = 4


@pytest.fixture(scope="session")
def train(tiny):
    """Training data in which annotator NO_ATTACK never labels attack."""
    seqs = []
    for s in tiny.train:
        if s.annotator_id == NO_ATTACK:
            labels = s.labels.copy()
            labels[labels == ATTACK] = VOCABULARY.index("other")
            s = s.with_labels(labels)
        seqs.append(s)
    return Dataset(seqs)


@pytest.fixture(scope="session")
def model(train):
    return TCNStyleTransfer(seed=0, **TINY_TCN).fit(train)


def _state(model):
    return {k: v.clone() for k, v in model.net_.state_dict().items()}


def test_predicts_labels_and_probabilities_in_every_style(model, tiny):
    seq = tiny.test[tiny.test.ids[0]]
    assert model.annotators_ == [0, 1, 2, 3, 4, 5]
    labels, proba = model.predict_sequence(seq)
    assert labels.dtype == np.int8 and labels.shape == (seq.n_frames,)
    assert proba.dtype == np.float32 and proba.shape == (seq.n_frames, len(VOCABULARY))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    logp = model.log_proba_in_styles(seq)
    assert sorted(logp) == model.annotators_
    for annotator, lp in logp.items():
        np.testing.assert_allclose(lp, model.sequence_log_proba(seq, annotator), atol=1e-6)
    predictions = model.predict(tiny.test)
    assert set(predictions) == set(tiny.test.ids)


def test_learns_better_than_chance(model, tiny):
    """Even the tiny budget finds the behaviours: frame accuracy beats always-'other'."""
    truth = np.concatenate([s.labels for s in tiny.test])
    pred = np.concatenate(list(model.predict(tiny.test).values()))
    baseline = np.mean(truth == VOCABULARY.index("other"))
    assert np.mean(pred == truth) > baseline + 0.05


def test_class_without_evidence_keeps_the_reference(model, tiny):
    evidence = model.evidence_[NO_ATTACK]
    assert not evidence[ATTACK] and evidence[INVESTIGATION]
    seq = tiny.test[tiny.test.ids[0]]
    logp = model.log_proba_in_styles(seq, [0, NO_ATTACK])
    # No evidence: exactly the reference's attack probability ...
    np.testing.assert_allclose(logp[NO_ATTACK][:, ATTACK], logp[0][:, ATTACK], atol=1e-5)
    # ... while a class with evidence did move away from the reference.
    diff = np.abs(np.exp(logp[NO_ATTACK][:, INVESTIGATION]) - np.exp(logp[0][:, INVESTIGATION]))
    assert diff.max() > 1e-3


def test_untrained_style_is_the_reference(train, tiny):
    """With no style training at all, every style equals the reference."""
    m = TCNStyleTransfer(seed=0, **{**TINY_TCN, "style_epochs": 0.0, "epochs": 0.5})
    m.fit(train)
    seq = tiny.test[tiny.test.ids[0]]
    logp = m.log_proba_in_styles(seq)
    for annotator in m.annotators_:
        np.testing.assert_allclose(logp[annotator], logp[0], atol=1e-5)


def test_save_load_gives_identical_predictions(model, tiny, tmp_path):
    config = model.save(tmp_path)
    assert (tmp_path / WEIGHTS_FILE).is_file()
    config = json.loads(json.dumps(config))  # what a manifest holds
    loaded = TCNStyleTransfer.load(tmp_path, config)
    assert loaded.annotators_ == model.annotators_
    for annotator in model.annotators_:
        assert loaded.program_for(annotator) == model.program_for(annotator)
    for seq in tiny.test:
        labels, proba = model.predict_sequence(seq)
        labels2, proba2 = loaded.predict_sequence(seq)
        np.testing.assert_array_equal(labels, labels2)
        np.testing.assert_array_equal(proba, proba2)


def test_load_refuses_damaged_models(model, tmp_path):
    config = json.loads(json.dumps(model.save(tmp_path)))
    fewer = {**config, "styles": config["styles"][:-1]}
    with pytest.raises(ModelFormatError, match="do not match"):
        TCNStyleTransfer.load(tmp_path, fewer)
    with pytest.raises(ModelFormatError, match="incomplete"):
        TCNStyleTransfer.load(tmp_path, {k: v for k, v in config.items() if k != "params"})
    (tmp_path / WEIGHTS_FILE).write_bytes(b"not a state dict")
    with pytest.raises(ModelFormatError, match="unreadable"):
        TCNStyleTransfer.load(tmp_path, config)
    (tmp_path / WEIGHTS_FILE).unlink()
    with pytest.raises(ModelFormatError, match="missing"):
        TCNStyleTransfer.load(tmp_path, config)


def test_same_seed_same_model_other_seed_other_model(model, train, tiny):
    again = TCNStyleTransfer(seed=0, **TINY_TCN).fit(train)
    for key, value in _state(model).items():
        torch.testing.assert_close(again.net_.state_dict()[key], value, rtol=0, atol=0)
    seq = tiny.test[tiny.test.ids[1]]
    np.testing.assert_array_equal(model.sequence_log_proba(seq), again.sequence_log_proba(seq))
    other = TCNStyleTransfer(seed=1, **TINY_TCN).fit(train)
    assert not torch.equal(other.net_.inp.weight, model.net_.inp.weight)


def test_fit_leaves_torch_settings_as_it_found_them(train):
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    other = 2 if threads == 1 else 1
    quick = {**TINY_TCN, "epochs": 0.2, "style_epochs": 0.2}
    TCNStyleTransfer(seed=0, num_threads=other, **quick).fit(train)
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == deterministic


def test_unknown_annotator_gets_the_reference_style(model, tiny):
    seq = tiny.test[tiny.test.ids[0]].with_annotator(17)
    with pytest.warns(UnknownAnnotatorWarning, match="annotator 17"):
        labels, proba = model.predict_sequence(seq)
    np.testing.assert_allclose(np.log(proba), model.sequence_log_proba(seq, 0), atol=1e-5)
    np.testing.assert_array_equal(labels, model.predict_sequence(seq, 0)[0])


def test_clear_errors(train, tiny):
    with pytest.raises(DataFormatError, match="labels"):
        TCNStyleTransfer(**TINY_TCN).fit(tiny.test.without_labels())
    with pytest.raises(DataFormatError, match="reference annotator 9"):
        TCNStyleTransfer(reference_annotator=9, **TINY_TCN).fit(train)
    with pytest.raises(EthostyleError, match="not a torch device"):
        TCNStyleTransfer(device="tpu", **TINY_TCN).fit(train)
    with pytest.raises(EthostyleError, match="not supported"):
        TCNStyleTransfer(device="meta", **TINY_TCN).fit(train)
    with pytest.raises(ModelFormatError, match="not fitted"):
        TCNStyleTransfer().predict(tiny.test)


def test_cuda_device_runs_or_is_refused_clearly(train, tiny):
    quick = {**TINY_TCN, "epochs": 0.5, "style_epochs": 0.5}
    if not torch.cuda.is_available():
        with pytest.raises(EthostyleError, match="no CUDA GPU"):
            TCNStyleTransfer(device="cuda", **quick).fit(train)
        return
    m = TCNStyleTransfer(device="cuda", **quick).fit(train)
    assert m.net_.inp.weight.device.type == "cuda"
    _, proba = m.predict_sequence(tiny.test[tiny.test.ids[0]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_package_imports_without_loading_torch():
    code = (
        "import sys, ethostyle.models.tcn, ethostyle.models.ensemble; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_short_and_empty_sequences(model, tiny):
    seq = tiny.test[tiny.test.ids[0]]
    short = type(seq)(seq.id, seq.keypoints[:40], seq.annotator_id, seq.labels[:40])
    labels, proba = model.predict_sequence(short)
    assert labels.shape == (40,) and proba.shape == (40, len(VOCABULARY))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert all(
            v.shape == (0, 4)
            for v in model.log_proba_in_styles(
                type(seq)(seq.id, seq.keypoints[:0], seq.annotator_id)
            ).values()
        )


def test_trains_on_the_reference_alone_then_adapts_to_other_annotators(tiny, tmp_path):
    """The challenge route: a Task 1 file holds only the reference annotator (the network
    then has no style to scale: this raised IndexError), then Task 2 adds styles on top
    of it; labels in the reference style never change, and earlier styles are kept."""
    quick = {**TINY_TCN, "epochs": 0.5, "style_epochs": 1.0}
    model = TCNStyleTransfer(seed=0, **quick).fit(tiny.train.filter([0]))
    assert model.annotators_ == [0]
    task1_model = save_model(model, tmp_path / "task1")
    seq = tiny.test[tiny.test.ids[0]]
    reference_labels, reference_proba = model.predict_sequence(seq, 0)
    with pytest.warns(UnknownAnnotatorWarning):
        other, _ = model.predict_sequence(seq, 3)
    np.testing.assert_array_equal(other, reference_labels)

    model.adapt(tiny.train.filter([1, 2]))
    assert model.annotators_ == [0, 1, 2]
    labels, proba = model.predict_sequence(seq, 0)
    np.testing.assert_array_equal(labels, reference_labels)
    np.testing.assert_array_equal(proba, reference_proba)
    style_1 = model.sequence_log_proba(seq, 1)
    assert np.abs(style_1 - model.sequence_log_proba(seq, 0)).max() > 1e-3

    model.adapt(tiny.train.filter([3]))
    assert model.annotators_ == [0, 1, 2, 3]
    np.testing.assert_allclose(model.sequence_log_proba(seq, 1), style_1, atol=1e-6)
    np.testing.assert_array_equal(model.predict_sequence(seq, 0)[0], reference_labels)
    loaded = load_model(save_model(model, tmp_path / "adapted"))
    for annotator in model.annotators_:
        np.testing.assert_array_equal(
            loaded.predict_sequence(seq, annotator)[0], model.predict_sequence(seq, annotator)[0]
        )
    with pytest.raises(DataFormatError, match="only the reference annotator"):
        model.adapt(tiny.train.filter([0]))
    # The same route on the command line.
    task2 = save(tiny.train.filter([1, 2]), tmp_path / "task2.npy")
    done = run("adapt", task1_model, task2, "--out", tmp_path / "cli-adapted")
    assert "Learned rules" in done.stdout
    assert load_model(tmp_path / "cli-adapted").annotators_ == [0, 1, 2]
