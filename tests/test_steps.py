"""Step features: where a pose feature jumps, and which feature set a reference model computes."""

from __future__ import annotations

import numpy as np

from ethostyle.features import KEY_FEATURES, sequence_features
from ethostyle.features.steps import STEP_WINDOWS, step_context
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.boosted.reference import reference_features
from support import SMALL_PARAMS


def test_a_step_peaks_where_a_feature_jumps_and_is_zero_where_it_is_flat():
    x = np.r_[np.zeros(60), np.full(60, 3.0)].astype(np.float32)
    values, names = step_context(np.c_[x, -x], ["up", "down"], windows=(5, 15))
    assert names == ["up@step5", "down@step5", "up@step15", "down@step15"]
    up5, down5 = values[:, 0], values[:, 1]
    assert up5[:50].max() == 0 and up5[70:].max() == 0  # flat away from the jump
    assert up5[59] == up5.max() == 3.0  # the full jump where it happens
    np.testing.assert_allclose(down5, -up5)
    assert values.dtype == np.float32 and values.shape == (120, 4)


def test_reference_features_are_the_pose_features_then_steps_of_the_key_features(tiny):
    sequence = tiny.train[tiny.train.ids[0]]
    base, base_names = sequence_features(sequence)
    values, names = reference_features(sequence)
    np.testing.assert_array_equal(values[:, : base.shape[1]], base)
    assert names[: len(base_names)] == base_names
    assert len(names) == len(base_names) + len(KEY_FEATURES) * len(STEP_WINDOWS)
    assert names[-1] == f"{KEY_FEATURES[-1]}@step{STEP_WINDOWS[-1]}"
    assert np.isfinite(values).all()


def test_the_default_model_computes_no_steps(tiny):
    model = StyleTransferModel(**SMALL_PARAMS, tune_decoding=False, motifs=False).fit(
        tiny.train.select(tiny.train.ids[:2])
    )
    _, plain = sequence_features(tiny.train[tiny.train.ids[0]])
    assert model.feature_names_ == plain  # no step columns: the default is unchanged
