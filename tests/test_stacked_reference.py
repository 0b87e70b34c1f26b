"""The stacked reference (``StyleTransferModel(reference_stack=k)``): fit, save, load, refuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ethostyle.errors import ModelParameterError
from ethostyle.features import KEY_FEATURES
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.boosted.stacked import StackedReference, key_columns, second_stage_inputs
from ethostyle.models.manifest import read_manifest
from ethostyle.models.store import load_model, save_model
from support import SMALL_PARAMS


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
