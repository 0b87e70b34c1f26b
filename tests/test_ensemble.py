"""Tests of the boosted + neural ensemble (ethostyle.models.ensemble)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ethostyle.data import VOCABULARY, Dataset  # noqa: E402
from ethostyle.errors import DataFormatError, ModelParameterError  # noqa: E402
from ethostyle.models.boosted import StyleTransferModel, UnknownAnnotatorWarning  # noqa: E402
from ethostyle.models.ensemble import (  # noqa: E402
    WEIGHT_GRID,
    EnsembleStyleTransfer,
    HeldOut,
    _folds,
)
from ethostyle.models.program import StyleProgram  # noqa: E402
from ethostyle.models.store import save_model  # noqa: E402
from ethostyle.models.style_programs import with_residual  # noqa: E402
from ethostyle.models.tcn import TCNStyleTransfer  # noqa: E402
from support import SMALL_PARAMS, TINY_TCN, run  # noqa: E402


@pytest.fixture(scope="session")
def ensemble(tiny):
    gbdt = StyleTransferModel(**SMALL_PARAMS)
    tcn = TCNStyleTransfer(**TINY_TCN)
    return EnsembleStyleTransfer(gbdt, tcn, weight=0.5).fit(tiny.train)


def test_folds_hold_out_unseen_videos(tiny):
    one_video = Dataset([s for s in tiny.train if s.annotator_id != 5 or s.id.endswith("000")])
    folds = _folds(one_video, reference=0, seed=0)
    held_all = []
    for fold_train, fold_held in folds:
        assert not set(fold_train.ids) & set(fold_held.ids)
        assert 0 in fold_train.annotators
        held_all += fold_held.ids
        for seq in fold_held:
            if "#part" in seq.id:  # the halves of annotator 5's only video
                assert seq.annotator_id == 5
                assert seq.n_frames == 450
    # Every video of annotators 1-5 is held out once; one reference video in fold 0.
    assert sum(1 for i in held_all if "-a0-" in i) == 1
    assert len(held_all) == len(set(held_all)) == 1 + 4 * 2 + 2


def test_weights_and_programs_for_every_annotator(ensemble):
    assert ensemble.annotators_ == [0, 1, 2, 3, 4, 5]
    for annotator in ensemble.annotators_:
        assert ensemble.weight_for(annotator) in WEIGHT_GRID
        # Every program labels the ensemble's own average (a residual edit).
        assert ensemble.program_for(annotator).has_residual


def test_probabilities_are_the_weighted_average(ensemble, tiny):
    seq = tiny.test[tiny.test.ids[0]]
    logp = ensemble.log_proba_in_styles(seq)
    gbdt = ensemble.gbdt_.log_proba_in_styles(seq)
    tcn = ensemble.tcn_.log_proba_in_styles(seq)
    for annotator, lp in logp.items():
        w = ensemble.weight_for(annotator)
        expected = (1 - w) * np.exp(gbdt[annotator]) + w * np.exp(tcn[annotator])
        np.testing.assert_allclose(np.exp(lp), expected, rtol=1e-6, atol=1e-9)
    labels, proba = ensemble.predict_sequence(seq)
    assert labels.shape == (seq.n_frames,) and proba.shape == (seq.n_frames, len(VOCABULARY))


def test_save_load_gives_identical_predictions(ensemble, tiny, tmp_path):
    config = json.loads(json.dumps(ensemble.save(tmp_path)))
    loaded = EnsembleStyleTransfer.load(tmp_path, config)
    assert loaded.weights_ == ensemble.weights_
    for seq in tiny.test:
        labels, proba = ensemble.predict_sequence(seq)
        labels2, proba2 = loaded.predict_sequence(seq)
        np.testing.assert_array_equal(labels, labels2)
        np.testing.assert_array_equal(proba, proba2)


def test_unknown_annotator_warns_once(ensemble, tiny):
    seq = tiny.test[tiny.test.ids[0]].with_annotator(42)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ensemble.predict_sequence(seq)
    assert [w.category for w in caught] == [UnknownAnnotatorWarning]


def _one_hot(y: np.ndarray, weight: float) -> np.ndarray:
    return np.eye(len(VOCABULARY))[y] * weight + (1 - weight) / len(VOCABULARY)


@pytest.mark.parametrize("good", ["gbdt", "tcn"])
def test_chooses_the_model_that_scores_higher_held_out(good):
    """Held-out predictions of one model are right and the other's wrong: pick the right one."""
    rng = np.random.default_rng(0)
    y = np.repeat(rng.integers(0, 4, 60), 25)
    right, wrong = _one_hot(y, 0.6), _one_hot((y + 1) % 4, 1.0)
    features = np.zeros((y.size, 1), np.float32)
    pair = (right, wrong) if good == "gbdt" else (wrong, right)
    items = [HeldOut(*pair, features, y)]
    model = EnsembleStyleTransfer(StyleTransferModel(), TCNStyleTransfer(), weight=0.5)
    model.feature_names_ = ["facing_cos"]
    weight, program = model._choose(1, items, with_residual(StyleProgram()))
    assert program.has_residual
    assert weight < 0.5 if good == "gbdt" else weight > 0.5


def test_clear_errors(tiny):
    model = EnsembleStyleTransfer(StyleTransferModel(), TCNStyleTransfer())
    with pytest.raises(DataFormatError, match="labels"):
        model.fit(tiny.test.without_labels())
    # Parameters are checked when fitting (the scikit-learn convention), naming the parameter.
    mismatched = EnsembleStyleTransfer(
        StyleTransferModel(), TCNStyleTransfer(reference_annotator=2)
    )
    with pytest.raises(ModelParameterError, match="reference annotators"):
        mismatched.fit(tiny.train)
    with pytest.raises(ModelParameterError, match="'weight' parameter"):
        EnsembleStyleTransfer(StyleTransferModel(), TCNStyleTransfer(), weight=1.5).fit(tiny.train)


@pytest.mark.parametrize("family", ["gbdt", "tcn", "ensemble"])
def test_describe_style_states_every_familys_programs(ensemble, family, tmp_path):
    """Every family decodes through style programs, so describe-style reads each
    (it refused all but the boosted model); the ensemble's members are the other two."""
    model = {"gbdt": ensemble.gbdt_, "tcn": ensemble.tcn_, "ensemble": ensemble}[family]
    directory = save_model(model, tmp_path / family)
    text = run("describe-style", directory).stdout
    assert "Learned rules" in text
    statements = [s for a in model.annotators_ for s in model.describe_styles()[a]]
    for statement in statements:
        assert statement[:40] in " ".join(text.split())
    if not statements:
        assert "none: every annotator labels as the reference annotator does" in text
    records = json.loads(run("describe-style", directory, "--json").stdout)
    assert len(records) == len(statements)
    assert {r["annotator"] for r in records} <= set(model.annotators_) - {0}


def test_trains_on_the_reference_alone_then_adapts(tiny):
    """The challenge route: a Task 1 file (the reference annotator only) crashed in the
    neural member; now the ensemble fits it, then adapts to Task 2's annotators with
    labels in the reference style unchanged."""
    gbdt = StyleTransferModel(**SMALL_PARAMS)
    tcn = TCNStyleTransfer(**{**TINY_TCN, "epochs": 0.5, "style_epochs": 0.5})
    model = EnsembleStyleTransfer(gbdt, tcn, tune_weights=False).fit(tiny.train.filter([0]))
    assert model.annotators_ == [0]
    seq = tiny.test[tiny.test.ids[0]]
    labels, proba = model.predict_sequence(seq, 0)
    assert labels.shape == (seq.n_frames,) and proba.shape == (seq.n_frames, len(VOCABULARY))
    # Then Task 2: both members and the ensemble learn the new styles on top.
    model.adapt(tiny.train.filter([1, 2]))
    assert model.annotators_ == [0, 1, 2]
    assert model.gbdt_.annotators_ == model.tcn_.annotators_ == [0, 1, 2]
    for annotator in (1, 2):
        assert model.weight_for(annotator) == 0.5  # tune_weights=False: the default weight
        assert model.program_for(annotator).has_residual
    np.testing.assert_array_equal(model.predict_sequence(seq, 0)[0], labels)
    np.testing.assert_array_equal(model.predict_sequence(seq, 0)[1], proba)
