"""Pose features: invariances, robustness to tracking faults, and context windows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from ethostyle.data import Dataset, Sequence
from ethostyle.features import (
    clean_keypoints,
    compute_features,
    interpretable_features,
    pose_features,
    sequence_features,
    temporal_context,
)


def _walking_pair(n: int = 300, seed: int = 0, jitter: float = 1.0) -> np.ndarray:
    """Two mice made of 7 points each, moving smoothly, the resident turning."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    body = np.linspace(0, 90, 7)[None, :]  # nose ... tail base along the body axis
    side = np.array([0, 8, -8, 0, 10, -10, 0])[None, :]
    heading = 0.004 * t
    kp = np.zeros((n, 2, 2, 7), np.float32)
    kp[:, 0, 0] = 300 + 0.5 * t - body * np.cos(heading) - side * np.sin(heading)
    kp[:, 0, 1] = 200 - body * np.sin(heading) + side * np.cos(heading)
    kp[:, 1, 0] = 360 + 0.2 * t - body
    kp[:, 1, 1] = 212 + side
    kp += rng.normal(0, jitter, kp.shape).astype(np.float32)
    return kp


def _rotate(kp: np.ndarray, angle: float, shift: tuple[float, float]) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    x, y = kp[:, :, 0], kp[:, :, 1]
    out = kp.copy()
    out[:, :, 0] = c * x - s * y + shift[0]
    out[:, :, 1] = s * x + c * y + shift[1]
    return out


def test_features_do_not_depend_on_where_or_how_the_pair_is_oriented_in_the_arena():
    kp = _walking_pair(jitter=0.0)
    base, names = pose_features(kp)
    moved, _ = pose_features(_rotate(kp, 1.1, (40.0, -25.0)))
    np.testing.assert_allclose(base, moved, rtol=1e-3, atol=0.05)
    assert len(names) == base.shape[1] == len(set(names))


def test_nose_to_intruder_distance_is_the_smallest_nose_to_part_distance():
    kp = _walking_pair()
    feats = interpretable_features(Sequence("a", kp, 0))
    clean = clean_keypoints(kp)
    nose = clean[:, 0, :, 0]
    parts = clean[:, 1]
    expected = np.sqrt(((parts - nose[:, :, None]) ** 2).sum(axis=1)).min(axis=1)
    np.testing.assert_allclose(feats["nose_to_intruder_px"], expected, rtol=1e-4)
    assert set(feats) == {"nose_to_intruder_px", "resident_speed_px_s", "facing_angle_deg"}


def test_missing_keypoints_are_filled_and_features_stay_finite():
    kp = _walking_pair()
    kp[50:80, 0, :, 2] = np.nan  # a part lost for a second
    kp[:, 1, :, 5] = np.nan  # a part never tracked
    kp[10, 1, 0, 0] = np.inf
    values, _ = sequence_features(Sequence("a", kp, 0))
    assert np.isfinite(values).all()
    filled = clean_keypoints(kp)
    # interpolated, not zero: the lost stretch lies between its neighbours
    assert 250 < filled[65, 0, 0, 2] < 400


def test_single_frame_outliers_and_brief_swaps_are_suppressed():
    kp = _walking_pair()
    glitch = kp.copy()
    glitch[100, 0, :, 0] = [900.0, 500.0]  # one wild nose point
    glitch[150:152, :, :, 3] = glitch[150:152, ::-1, :, 3]  # necks swapped for 2 frames
    np.testing.assert_allclose(clean_keypoints(glitch), clean_keypoints(kp), atol=5.0)


def test_context_windows_are_centred_means_within_one_sequence():
    x = np.random.default_rng(1).normal(size=(200, 3)).astype(np.float32)
    values, names = temporal_context(x, ["a", "b", "c"], windows=(7, 31), shifts=(-15, 15))
    np.testing.assert_allclose(
        values[:, :3], uniform_filter1d(x, 7, axis=0, mode="nearest"), atol=1e-5
    )
    assert names[:3] == ["a@mean7", "b@mean7", "c@mean7"]
    smooth = uniform_filter1d(x, 15, axis=0, mode="nearest")
    shifted = values[:, names.index("a@shift+15")]
    np.testing.assert_allclose(shifted[:-15], smooth[15:, 0], atol=1e-5)
    np.testing.assert_allclose(shifted[-15:], smooth[-1, 0], atol=1e-5)


def test_feature_table_keeps_sequences_apart_and_in_order():
    a, b = _walking_pair(120, 0), _walking_pair(80, 1)
    ds = Dataset([Sequence("a", a, 0), Sequence("b", b, 3)])
    table = compute_features(ds)
    assert table.values.dtype == np.float32
    assert table.n_frames == 200
    assert table.rows("b") == slice(120, 200)
    np.testing.assert_array_equal(table.annotators, [0] * 120 + [3] * 80)
    alone, _ = sequence_features(Sequence("b", b, 3))
    np.testing.assert_array_equal(table.values[table.rows("b")], alone)
    assert list(table.split(np.arange(200))) == ["a", "b"]


@pytest.mark.parametrize("n_frames", [1, 2, 4])
def test_very_short_sequences_give_one_finite_row_per_frame(n_frames):
    kp = _walking_pair(n_frames)
    values, names = sequence_features(Sequence("s", kp, 0))
    assert values.shape == (n_frames, len(names))
    assert np.isfinite(values).all()
