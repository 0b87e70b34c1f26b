"""Tests of the simulator's rule kinds (large shifts and gaps, relabelling by duration, sub-types
defined by pose features), of ``AnnotatorStyle.rules`` and of the one-rule annotators of
``ethostyle.simulate.rules``: each rule changes the labels exactly as documented."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from ethostyle.data import BEHAVIORS, OTHER, VOCABULARY
from ethostyle.errors import EthostyleError
from ethostyle.features import pose_features
from ethostyle.simulate import (
    PRESETS,
    STYLES,
    BehaviourParams,
    FeatureRule,
    FeatureTest,
    PerBehavior,
    RelabelShort,
    label_with_style,
    rule_styles,
    rule_truth,
    simulate,
    simulate_rules,
    simulate_world,
)

ATTACK, INVESTIGATION, MOUNT = (VOCABULARY.index(b) for b in BEHAVIORS)
TAIL = "r_nose-i_tail_base_px"
# A reference that makes no timing errors and never merges or drops bouts, so that a rule's
# effect on the bouts can be written down exactly.
EXACT = STYLES[0].replace(
    boundary_jitter_frames=0.0,
    lapse_probability=0.0,
    merge_gap_frames=PerBehavior(0, 0, 0),
    min_bout_frames=PerBehavior(1, 1, 1),
)


@pytest.fixture(scope="module")
def world():
    """Ten busy minutes (the tiny preset's behaviour) holding every behaviour many times."""
    return simulate_world(18000, seed=11, params=PRESETS["tiny"].behaviour)


@pytest.fixture(scope="module")
def features(world) -> dict[str, np.ndarray]:
    values, names = pose_features(world.clean_keypoints)
    return dict(zip(names, values.T, strict=True))


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.diff(mask.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def paint(starts, stops, n: int) -> np.ndarray:
    mask = np.zeros(n, bool)
    for a, b in zip(starts, stops, strict=True):  # a loop over bouts, not frames
        mask[max(a, 0) : max(b, 0)] = True
    return mask


def test_styles_without_new_rules_label_bit_identically_to_before() -> None:
    # Digest of the tiny preset (seed 0: ids, labels, keypoints) taken before the rule
    # kinds were added: old styles and presets must not change by a single frame.
    sim = simulate("tiny", seed=0)
    digest = hashlib.sha256()
    for dataset in [sim.train, sim.test, *sim.shared.values()]:
        for s in dataset:
            digest.update(s.id.encode())
            digest.update(s.labels.tobytes())
            digest.update(s.keypoints.tobytes())
    assert digest.hexdigest()[:16] == "24e74bcfec480beb"


def test_onset_shift_of_24_frames_moves_every_attack_onset_24_frames_earlier(world) -> None:
    base = label_with_style(world, EXACT, seed=0)
    early = label_with_style(world, EXACT.replace(onset_shift_frames=PerBehavior(attack=-24)), 0)
    starts, stops = runs(base == ATTACK)  # attack wins every overlap, so its labels are its bouts
    assert starts.size >= 10
    np.testing.assert_array_equal(early == ATTACK, paint(starts - 24, stops, world.n_frames))


def test_offset_shift_of_30_frames_ends_every_investigation_30_frames_later(world) -> None:
    first = EXACT.replace(priority=("investigation", "attack", "mount"))
    base = label_with_style(world, first, seed=0)
    late = label_with_style(
        world, first.replace(offset_shift_frames=PerBehavior(investigation=30)), 0
    )
    starts, stops = runs(base == INVESTIGATION)
    assert starts.size >= 20
    want = paint(starts, np.minimum(stops + 30, world.n_frames), world.n_frames)
    np.testing.assert_array_equal(late == INVESTIGATION, want)


def test_merge_gap_of_45_frames_joins_exactly_the_gaps_under_45_frames(world) -> None:
    first = EXACT.replace(priority=("investigation", "attack", "mount"))
    base = label_with_style(world, first, seed=0)
    merged = label_with_style(world, first.replace(merge_gap_frames=PerBehavior(0, 45, 0)), seed=0)
    starts, stops = runs(base == INVESTIGATION)
    gaps = starts[1:] - stops[:-1]
    assert ((gaps >= 6) & (gaps < 45)).any() and (gaps >= 45).any()  # both kinds occur
    opens = np.r_[True, gaps >= 45]
    want = paint(starts[opens], stops[np.r_[opens[1:], True]], world.n_frames)
    np.testing.assert_array_equal(merged == INVESTIGATION, want)


def test_relabel_short_turns_only_the_attacks_under_24_frames_into_investigation(world) -> None:
    # The reference's own jitter, lapses, merging and minimum bouts: the rule draws no random
    # numbers, so with the same seed it acts on exactly the reference's bouts.
    ref = STYLES[0].replace(priority=("attack", "investigation", "mount"))
    base = label_with_style(world, ref, seed=3)
    relabelled = label_with_style(
        world, ref.replace(relabel_short=(RelabelShort("attack", 24, "investigation"),)), seed=3
    )
    starts, stops = runs(base == ATTACK)
    short = stops - starts < 24
    assert short.any() and (~short).any()
    want = base.copy()
    want[paint(starts[short], stops[short], world.n_frames)] = INVESTIGATION
    np.testing.assert_array_equal(relabelled, want)


def test_relabel_short_to_other_is_a_longer_minimum_bout(world) -> None:
    to_other = STYLES[0].replace(relabel_short=(RelabelShort("attack", 24, "other"),))
    longer = STYLES[0].replace(min_bout_frames=PerBehavior(attack=24, investigation=6, mount=15))
    np.testing.assert_array_equal(
        label_with_style(world, to_other, seed=5), label_with_style(world, longer, seed=5)
    )
    assert to_other.rules() == [{"kind": "min_bout", "behavior": "attack", "frames": 24}]


def test_exclude_when_removes_investigation_exactly_where_the_feature_exceeds_the_value(
    world, features
) -> None:
    base = label_with_style(world, STYLES[0], seed=1)
    rule = FeatureRule("exclude_when", "investigation", (FeatureTest(TAIL, ">", 30.0),))
    strict = label_with_style(world, STYLES[0].replace(feature_rules=(rule,)), seed=1)
    far = features[TAIL] > 30.0
    want = base.copy()
    want[(base == INVESTIGATION) & far] = OTHER
    np.testing.assert_array_equal(strict, want)
    assert ((base == INVESTIGATION) & far).sum() > 500  # face and body sniffing went
    assert ((strict == INVESTIGATION) & ~far).sum() > 500  # anogenital sniffing stayed


def test_include_when_adds_investigation_where_all_tests_hold_below_higher_priorities(
    world, features
) -> None:
    base = label_with_style(world, STYLES[0], seed=2)
    follow = (FeatureTest(TAIL, "<", 40.0), FeatureTest("resident_speed_px_s", ">", 90.0))
    rule = FeatureRule("include_when", "investigation", follow)
    loose = label_with_style(world, STYLES[0].replace(feature_rules=(rule,)), seed=2)
    close = (features[TAIL] < 40.0) & (features["resident_speed_px_s"] > 90.0)
    want = base.copy()
    want[close & (base == OTHER)] = INVESTIGATION  # attack and mount still win
    np.testing.assert_array_equal(loose, want)
    assert (close & (base == OTHER)).sum() > 100
    assert (close & (base == ATTACK)).any() and (loose[close & (base == ATTACK)] == ATTACK).all()


def test_rules_state_each_difference_from_annotator_0_with_negative_frames_earlier() -> None:
    assert STYLES[0].rules() == []
    assert STYLES[1].rules()[0] == {"kind": "onset_shift", "behavior": "attack", "frames": -10}
    assert {"kind": "min_bout", "behavior": "investigation", "frames": 20} in STYLES[2].rules()
    assert {"kind": "merge_gap", "behavior": "investigation", "frames": 30} in STYLES[3].rules()
    priority = [r for r in STYLES[5].rules() if r["kind"] == "priority"]
    assert {"behavior": "investigation", "over": "attack", "kind": "priority"} in priority
    face = [r for r in STYLES[5].rules() if r.get("hidden") == "face investigation"]
    assert face == [
        {
            "kind": "exclude_when",
            "behavior": "investigation",
            "rule": [],
            "hidden": "face investigation",
        }
    ]
    two = STYLES[0].replace(
        feature_rules=(
            FeatureRule(
                "include_when",
                "investigation",
                (FeatureTest(TAIL, "<", 40), FeatureTest("resident_speed_px_s", ">", 90)),
            ),
        )
    )
    (record,) = two.rules()
    assert record["rule"] == [
        {"feature": TAIL, "op": "<", "value": 40.0},
        {"feature": "resident_speed_px_s", "op": ">", "value": 90.0},
    ]
    assert "feature" not in record  # the flat copy is only for one-test rules


def test_one_rule_annotators_have_exactly_their_one_documented_rule() -> None:
    truth = rule_truth()
    assert truth[0] == [] and truth[7] == []
    assert truth[1] == [{"kind": "onset_shift", "behavior": "attack", "frames": -24}]
    assert truth[2] == [{"kind": "offset_shift", "behavior": "investigation", "frames": 30}]
    assert truth[3] == [{"kind": "merge_gap", "behavior": "investigation", "frames": 45}]
    assert truth[4] == [
        {
            "kind": "relabel_short",
            "behavior": "attack",
            "frames": 24,
            "to_behavior": "investigation",
        }
    ]
    for a, kind, op, value in ((5, "exclude_when", ">", 30.0), (6, "include_when", "<", 35.0)):
        (record,) = truth[a]
        assert (record["kind"], record["behavior"]) == (kind, "investigation")
        assert (record["feature"], record["op"], record["value"]) == (TAIL, op, value)
    styles = rule_styles()
    assert all(styles[a].description for a in styles)
    assert styles[7].replace(name=styles[0].name, description=styles[0].description) == styles[0]


def test_simulate_rules_is_deterministic_and_an_annotator_does_not_depend_on_the_others() -> None:
    one = simulate_rules(seed=4, annotators=[5])
    again = simulate_rules(seed=4, annotators=[5])
    more = simulate_rules(seed=4, annotators=[5, 6])
    assert one.train.annotators == [0, 5] and more.train.annotators == [0, 5, 6]
    for s in one.train:
        np.testing.assert_array_equal(s.labels, again.train[s.id].labels)
        np.testing.assert_array_equal(s.labels, more.train[s.id].labels)
    assert one.styles[5].rules() == rule_truth()[5]
    with pytest.raises(EthostyleError, match="no annotator"):
        simulate_rules(annotators=[9])


def test_body_length_range_sets_the_size_of_the_mice() -> None:
    small = simulate_world(900, seed=0, params=BehaviourParams(body_length_px=(70.0, 72.0)))
    kp = small.clean_keypoints
    intruder = np.hypot(*(kp[:, 1, :, 0] - kp[:, 1, :, 6]).T)  # never hunched
    assert 62.0 < np.median(intruder) <= 72.0 + 1e-3 and intruder.max() <= 72.0 + 1e-3
    with pytest.raises(EthostyleError, match="body_length_px"):
        BehaviourParams(body_length_px=(90.0, 80.0))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"relabel_short": (("mount", 60, "grooming"),)}, "to_behavior one of"),
        ({"relabel_short": (("mount", 60, "mount"),)}, "another behaviour"),
        ({"relabel_short": (("mount", 0, "investigation"),)}, "at least 1 frame"),
        ({"relabel_short": (("mount",),)}, "RelabelShort"),
        (
            {"feature_rules": (("exclude_when", "investigation", ("nose_tail", ">", 3)),)},
            "unknown feature",
        ),
        ({"feature_rules": (("exclude_when", "investigation", (TAIL, ">=", 3)),)}, "op"),
        ({"feature_rules": (("drop_when", "investigation", (TAIL, ">", 3)),)}, "kind"),
        ({"feature_rules": (("exclude_when", "sniff", (TAIL, ">", 3)),)}, "behavior"),
        ({"feature_rules": (("exclude_when", "investigation", ()),)}, "FeatureRule"),
    ],
)
def test_invalid_rule_says_what_to_fix(change, message) -> None:
    with pytest.raises(EthostyleError, match=message):
        STYLES[0].replace(**change)


def test_rules_given_as_plain_tuples_and_dicts_are_stored_in_named_form() -> None:
    style = STYLES[0].replace(
        relabel_short=({"behavior": "mount", "frames": 60.0, "to_behavior": "investigation"},),
        feature_rules=(("exclude_when", "investigation", (TAIL, ">", 30)),),
    )
    assert style.relabel_short == (RelabelShort("mount", 60, "investigation"),)
    assert style.feature_rules[0].rule == (FeatureTest(TAIL, ">", 30.0),)
