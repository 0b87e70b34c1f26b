"""The model store: one save/load contract for every family, and older model directories.

``tests/data/models_v1`` holds a boosted model and an ensemble written by ethostyle
before the envelope held each family's configuration (the boosted family then kept it
at the manifest's top level, and the ensemble's boosted member had a manifest of its
own), with the labels they gave on the tiny simulation's first test sequences.
"""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from ethostyle.data import Dataset
from ethostyle.errors import ModelFormatError, ModelParameterError
from ethostyle.models import families, make_model, register_family
from ethostyle.models.base import StylePredictor, predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.gbdt import GBDTClassifier
from ethostyle.models.manifest import read_manifest
from ethostyle.models.registry import family_of_kind
from ethostyle.models.store import load_model, save_model

OLD_MODELS = Path(__file__).parent / "data" / "models_v1"
SMALL_GBDT = {
    "reference_params": {"n_estimators": 8, "num_leaves": 7},
    "style_params": {"n_estimators": 6, "num_leaves": 4},
}


@pytest.fixture(scope="module")
def small_train(tiny) -> Dataset:
    picks = [s for s in tiny.train if s.annotator_id == 0][:4]
    return Dataset(picks + [s for s in tiny.train if s.annotator_id in (1, 2)])


@pytest.mark.parametrize("family", ["gbdt", "ensemble"])
def test_a_model_directory_of_the_previous_layout_loads_and_labels_as_it_did(
    tiny, family: str
) -> None:
    if family == "ensemble":
        pytest.importorskip("torch")
    model = load_model(OLD_MODELS / family)
    expected = np.load(OLD_MODELS / f"{family}_labels.npz")
    assert set(expected.files) <= set(tiny.test.ids)
    for sid in expected.files:
        labels, _ = model.predict_sequence(tiny.test[sid])
        np.testing.assert_array_equal(labels, expected[sid])


def test_an_old_member_manifest_is_still_checked(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    copy = shutil.copytree(OLD_MODELS / "ensemble", tmp_path / "ensemble")
    weights = copy / "gbdt" / "reference.lgb.txt"
    weights.write_text(weights.read_text().replace("tree", "tre", 1))
    with pytest.raises(ModelFormatError, match="checksum"):
        load_model(copy)


class _CountingGBDT(GBDTClassifier):
    """A reference estimator that counts how often the model builds one."""

    built = 0

    def __init__(self, **params) -> None:
        super().__init__(**params)
        type(self).built += 1


def test_every_family_saves_its_configuration_in_one_envelope(small_train, tmp_path) -> None:
    # The reference boosted by another estimator saves as an ordinary boosted model.
    model = StyleTransferModel(**SMALL_GBDT, reference_estimator=_CountingGBDT).fit(small_train)
    assert _CountingGBDT.built == 1 and isinstance(model.reference_, _CountingGBDT)
    assert model.reference_.n_estimators == SMALL_GBDT["reference_params"]["n_estimators"]
    manifest = read_manifest(save_model(model, tmp_path / "m"))
    assert manifest["kind"] == "gbdt-style-transfer"
    assert family_of_kind(manifest["kind"]).estimator is StyleTransferModel
    assert set(manifest["config"]) >= {"feature_names", "reference", "styles"}
    assert "reference_estimator" not in manifest["config"]["params"]
    assert "reference.lgb.txt" in manifest["files"]
    assert load_model(tmp_path / "m").reference_estimator is None


def test_one_registry_names_every_family_by_its_option_and_its_manifest_kind() -> None:
    # The names and kinds old model directories and scripts use never change.
    assert sorted((f.name, f.kind) for f in families()) == [
        ("ensemble", "ensemble-style-transfer"),
        ("gbdt", "gbdt-style-transfer"),
        ("tcn", "tcn-style-transfer"),
    ]
    for family in families():
        assert type(make_model(family.name)) is family.estimator
    # Every family ethostyle ships is in the registry (so the store can load it).
    shipped, todo = set(), [StylePredictor]
    while todo:
        todo.extend(todo.pop().__subclasses__())
        shipped |= {c for c in todo if c.__module__.startswith("ethostyle.")}
    assert shipped == {f.estimator for f in families()}
    ensemble = make_model("ensemble", seed=4, reference_annotator=2, device="cpu")
    assert ensemble.get_params()["seed"] == 4
    assert ensemble.gbdt_model.get_params()["seed"] == 4
    assert ensemble.tcn_model.get_params()["reference_annotator"] == 2
    with pytest.raises(TypeError):
        make_model("gbdt", device="cuda")  # the boosted family takes no device
    with pytest.raises(ValueError, match="clashes"):
        register_family("gbdt", kind="something-else")(type("Other", (StyleTransferModel,), {}))


def test_save_load_predict_gives_identical_labels_for_the_boosted_family(
    tiny, small_train, tmp_path
) -> None:
    model = StyleTransferModel(**SMALL_GBDT).fit(small_train)
    loaded = load_model(save_model(model, tmp_path / "m"))
    before, after = predict_dataset(model, tiny.test), predict_dataset(loaded, tiny.test)
    for sid in before.labels:
        np.testing.assert_array_equal(before.labels[sid], after.labels[sid])


def test_an_ensemble_keeps_its_members_files_checked_under_one_manifest(
    tiny, small_train, tmp_path
) -> None:
    pytest.importorskip("torch")
    model = make_model(
        "ensemble", tune_weights=False, seed=0
    )  # the members' defaults are too slow for a test: shrink them
    model.gbdt_model.set_params(**SMALL_GBDT)
    model.tcn_model.set_params(
        epochs=0.3, style_epochs=0.3, channels=8, dilations=(1, 2), window=64, batch_size=4
    )
    model.fit(small_train)
    directory = save_model(model, tmp_path / "e")
    manifest = read_manifest(directory)
    assert "gbdt/reference.lgb.txt" in manifest["files"] and "tcn.pt" in manifest["files"]
    assert not (directory / "gbdt" / "model.json").exists()
    loaded = load_model(directory)
    for seq in list(tiny.test)[:3]:
        np.testing.assert_array_equal(
            model.predict_sequence(seq)[0], loaded.predict_sequence(seq)[0]
        )
    member = directory / "gbdt" / "reference.lgb.txt"
    member.write_text(member.read_text() + "\n")
    with pytest.raises(ModelFormatError, match="checksum"):
        load_model(directory)


def test_families_follow_the_scikit_learn_estimator_contract() -> None:
    model = make_model(
        "gbdt", seed=3, reference_params={"n_estimators": 5}, reference_estimator=_CountingGBDT
    )
    twin = clone(model)
    assert twin is not model and twin.get_params() == model.get_params()
    assert twin.get_params()["reference_estimator"] is _CountingGBDT
    assert twin.set_params(seed=4).get_params()["seed"] == 4
    for family in families():
        constructor = inspect.signature(family.estimator).parameters
        assert set(constructor) == set(make_model(family.name).get_params(deep=False))
    with pytest.raises(ModelParameterError, match="unknown model family 'forest'"):
        make_model("forest")


@pytest.mark.parametrize(
    ("params", "name"),
    [({"seed": -1}, "seed"), ({"tune_decoding": "yes"}, "tune_decoding")],
)
def test_a_bad_parameter_is_refused_at_fit_naming_it(small_train, params, name) -> None:
    with pytest.raises(ModelParameterError, match=f"'{name}' parameter of StyleTransferModel"):
        StyleTransferModel(**params).fit(small_train)
