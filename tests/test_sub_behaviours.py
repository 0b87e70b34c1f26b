"""Tests of ethostyle.simulate.sub_behaviours: the sub-behaviours labs argue about occur only
where asked for, each is visible in the pose as documented, and a style that labels one
differently changes exactly its frames."""

from __future__ import annotations

import numpy as np
import pytest

from ethostyle.data import OTHER, VOCABULARY
from ethostyle.errors import EthostyleError
from ethostyle.features import pose_features
from ethostyle.simulate import (
    STYLES,
    BehaviourParams,
    PerBehavior,
    SubBehaviourParams,
    label_with_style,
    simulate_world,
)
from ethostyle.simulate.hidden import Hidden

ATTACK, INVESTIGATION = VOCABULARY.index("attack"), VOCABULARY.index("investigation")
# A reference that makes no timing errors and never merges or drops bouts, so that a
# style's effect can be written down frame by frame.
EXACT = STYLES[0].replace(
    boundary_jitter_frames=0.0,
    lapse_probability=0.0,
    merge_gap_frames=PerBehavior(0, 0, 0),
    min_bout_frames=PerBehavior(1, 1, 1),
)
SUBS = (Hidden.REAR, Hidden.FOLLOW, Hidden.ALLOGROOM, Hidden.UPRIGHT)


@pytest.fixture(scope="module")
def world():
    """Five aggressive minutes with every sub-behaviour, often."""
    params = BehaviourParams(
        attack_after_investigation=0.3,
        sub_behaviours=SubBehaviourParams(upright_probability=0.8),
    )
    return simulate_world(9000, seed=5, params=params)


@pytest.fixture(scope="module")
def features(world) -> dict[str, np.ndarray]:
    values, names = pose_features(world.clean_keypoints)
    return dict(zip(names, values.T, strict=True))


def test_sub_behaviours_occur_only_in_worlds_that_ask_for_them(world) -> None:
    plain = simulate_world(9000, seed=5, params=BehaviourParams(attack_after_investigation=0.3))
    assert not np.isin(plain.state, SUBS).any()
    frames = {h.name: int((world.state == h).sum()) for h in SUBS}
    assert min(frames.values()) >= 60, frames


def test_each_sub_behaviour_is_visible_in_the_pose(world, features) -> None:
    f, state = features, world.state

    def median(name: str, h: int) -> float:
        return float(np.median(f[name][state == h]))

    # Rearing: the resident is shorter in the top view than when it walks, and near the intruder.
    assert median("resident_length_px", Hidden.REAR) < 0.75 * median("resident_length_px", 0)
    assert median("centroid_distance_body_lengths", Hidden.REAR) < 1.0
    # Following: 1-3.5 body lengths apart, both walking, the resident facing the intruder's back.
    assert 1.0 < median("centroid_distance_body_lengths", Hidden.FOLLOW) < 3.5
    assert median("resident_speed_px_s", Hidden.FOLLOW) > 60.0
    assert median("intruder_speed_px_s", Hidden.FOLLOW) > 60.0
    assert median("facing_cos", Hidden.FOLLOW) > 0.8
    assert median("intruder_facing_cos", Hidden.FOLLOW) < -0.5
    # Grooming: nose at the intruder's neck, slower than sniffing, the intruder still.
    assert median("r_nose-i_neck_px", Hidden.ALLOGROOM) < 20.0
    assert median("resident_nose_speed_px_s", Hidden.ALLOGROOM) < median(
        "resident_nose_speed_px_s", Hidden.INVESTIGATION
    )
    assert median("intruder_speed_px_s", Hidden.ALLOGROOM) < 20.0
    # Upright: the intruder is shorter in the top view and faces the resident.
    assert median("intruder_length_px", Hidden.UPRIGHT) < 0.8 * median("intruder_length_px", 0)
    assert median("intruder_facing_cos", Hidden.UPRIGHT) > 0.8


def test_sub_behaviours_move_physically(world) -> None:
    clean = world.clean_keypoints.astype(np.float64)
    trunk = (clean[..., 3] + (clean[..., 4] + clean[..., 5]) / 2) / 2
    step = np.hypot(*np.moveaxis(np.diff(trunk, axis=0), -1, 0))  # (frames - 1, mouse)
    assert step.max() <= 40.0  # the bound the classic behaviours keep


@pytest.mark.parametrize(
    ("sub", "label", "state", "was", "becomes"),
    [
        ("rear", "investigation", Hidden.REAR, OTHER, INVESTIGATION),
        ("follow", "investigation", Hidden.FOLLOW, OTHER, INVESTIGATION),
        ("allogroom", "other", Hidden.ALLOGROOM, INVESTIGATION, OTHER),
        ("upright", "other", Hidden.UPRIGHT, ATTACK, OTHER),
    ],
)
def test_a_style_relabels_exactly_the_frames_of_its_sub_behaviour(
    world, sub, label, state, was, becomes
) -> None:
    reference = label_with_style(world, EXACT)
    mine = label_with_style(world, EXACT.replace(sub_behaviour_labels={sub: label}))
    here = world.state == state
    assert np.flatnonzero(reference != mine).tolist() == np.flatnonzero(here).tolist()
    assert (reference[here] == was).all() and (mine[here] == becomes).all()


def test_the_upright_stand_off_lies_inside_one_attack_for_the_reference(world) -> None:
    # The reference counts the stand-off as attack: where the attack resumes after it,
    # reference attack bouts run across it; a style that leaves it out splits them.
    reference = label_with_style(world, EXACT)
    apart = label_with_style(world, EXACT.replace(sub_behaviour_labels={"upright": "other"}))

    def attack_bouts(labels: np.ndarray) -> int:
        return int(np.diff((labels == ATTACK).astype(np.int8), prepend=0).clip(0).sum())

    assert attack_bouts(apart) > attack_bouts(reference)


def test_rules_state_each_sub_behaviour_difference_as_a_condition_record() -> None:
    mine = STYLES[0].replace(sub_behaviour_labels={"rear": "investigation", "upright": "other"})
    records = [(r["kind"], r["behavior"], r["hidden"]) for r in mine.rules()]
    assert records == [
        ("include_when", "investigation", "rearing beside the intruder"),
        ("exclude_when", "attack", "the intruder upright in defence between attacks"),
    ]
    # Labelled as the reference labels it: no record.
    assert STYLES[0].replace(sub_behaviour_labels={"rear": "other"}).rules() == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: STYLES[0].replace(sub_behaviour_labels={"rearing": "other"}), "rear, follow"),
        (lambda: STYLES[0].replace(sub_behaviour_labels={"rear": "sniff"}), "investigation"),
        (lambda: STYLES[0].replace(sub_behaviour_labels=3), "mapping"),
        (lambda: SubBehaviourParams(rear_probability=1.5), "probability"),
        (lambda: SubBehaviourParams(upright_stretch=0.1), "between 0.3 and 1"),
        (lambda: SubBehaviourParams(follow_body_lengths=(3.0, 1.0)), "smallest"),
    ],
)
def test_invalid_sub_behaviour_settings_say_what_to_fix(make, message) -> None:
    with pytest.raises(EthostyleError, match=message):
        make()
