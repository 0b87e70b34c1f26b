"""Three benchmark worlds whose annotators differ on sub-behaviours (issue 21).

Each world's annotators differ from the reference on sub-behaviours that the
reference folds into another label or into ``other``
(:mod:`ethostyle.simulate.sub_behaviours`): rearing beside the intruder, following
it at a distance, grooming it (allogrooming) and the intruder's upright defence
between attacks. They differ in seed, kinematics, magnitudes and in which
annotator counts which sub-behaviour:

``subs-design``
    The world to design the motif method on. Default kinematics with more
    attacks, :class:`SubBehaviourParams` defaults. The reference folds rearing
    and following into ``other``, grooming into investigation and the upright
    stand-off into attack; annotator 1 counts rearing as investigation, 2
    following, 3 leaves grooming out of investigation, 4 leaves the upright
    stand-off out of attack, 5 labels as the reference (a false-discovery check).
``subs-confirm``
    The world to confirm a design on (do not tune on it). Other kinematics
    (bigger, faster mice, longer investigations, more attacks), less shortened
    rearing further from the intruder, following further back, longer stand-offs
    with a less upright intruder. Its reference calls grooming and the upright
    stand-off ``other``; annotator 1 counts the stand-off as attack and ends attacks
    6 frames later, 2 counts grooming as investigation, 3 counts rearing and
    following as investigation, 4 counts following as investigation and starts
    investigation 8 frames later, 5 counts rearing as investigation.
``subs-untouched``
    The world nobody designs on (report it, never tune on it). Smaller mice,
    shorter and more variable bouts, more chases, short and strongly shortened
    rearing, close following, long grooming, short stand-offs; noisier tracking.
    Its reference is the default one; annotator 1 leaves the stand-off out of
    attack and starts attacks 8 frames earlier, 2 counts rearing as investigation
    and leaves grooming out of it, 3 counts following as investigation and joins
    investigation across pauses under 20 frames, 4 labels as the reference, 5
    leaves grooming out and counts following as investigation.

``SUB_WORLDS[name]`` is ``(preset, styles, seed offset)``;
``styles[k].rules(styles[0])`` lists how annotator ``k`` differs, as records.
"""

from __future__ import annotations

from dataclasses import replace

from ethostyle.simulate import (
    PRESETS,
    STYLES,
    BehaviourParams,
    PerBehavior,
    SubBehaviourParams,
    TrackingNoise,
)

__all__ = ["SUB_WORLDS"]

_LAYOUT = replace(
    PRESETS["calms21-task2-like"],
    train_sequences=(30, 2),
    test_sequences=(8, 4),
    shared_sequences=2,
)


def _style(reference, name: str, description: str, **changes):
    return reference.replace(name=name, description=description, **changes)


# ---------------------------------------------------------------------------- design
_DESIGN_REF = STYLES[0].replace(name="reference-s1", description="Reference of subs-design.")
_DESIGN_STYLES = {
    0: _DESIGN_REF,
    1: _style(
        _DESIGN_REF,
        "rearing-is-investigation",
        "Counts rearing beside the intruder as investigation (the reference: other).",
        sub_behaviour_labels={"rear": "investigation"},
    ),
    2: _style(
        _DESIGN_REF,
        "following-is-investigation",
        "Counts following the intruder at a distance as investigation (the reference: other).",
        sub_behaviour_labels={"follow": "investigation"},
    ),
    3: _style(
        _DESIGN_REF,
        "grooming-is-not-investigation",
        "Leaves grooming of the intruder out of investigation (the reference counts it).",
        sub_behaviour_labels={"allogroom": "other"},
    ),
    4: _style(
        _DESIGN_REF,
        "upright-is-not-attack",
        "Leaves the stand-off with the upright intruder out of attack (the reference counts it).",
        sub_behaviour_labels={"upright": "other"},
    ),
    5: _style(_DESIGN_REF, "reference-again", "Labels as the reference does."),
}
_DESIGN_PRESET = replace(
    _LAYOUT,
    name="subs-design",
    description="Sub-behaviour styles, the world to design on (benchmarks/sub_worlds.py).",
    behaviour=BehaviourParams(
        attack_after_investigation=0.18,
        chase_start_probability=0.08,
        sub_behaviours=SubBehaviourParams(),
    ),
)

# ---------------------------------------------------------------------------- confirm
_CONFIRM_REF = STYLES[0].replace(
    name="reference-s2",
    description="Reference of subs-confirm: grooming and the upright stand-off are other.",
    sub_behaviour_labels={"allogroom": "other", "upright": "other"},
)
_CONFIRM_STYLES = {
    0: _CONFIRM_REF,
    1: _style(
        _CONFIRM_REF,
        "stand-off-is-attack",
        "Counts the stand-off with the upright intruder as attack and ends attacks 6 frames "
        "(0.2 s) later.",
        sub_behaviour_labels={"allogroom": "other", "upright": "attack"},
        offset_shift_frames=PerBehavior(attack=6),
    ),
    2: _style(
        _CONFIRM_REF,
        "grooming-is-investigation",
        "Counts grooming of the intruder as investigation (the reference: other).",
        sub_behaviour_labels={"allogroom": "investigation", "upright": "other"},
    ),
    3: _style(
        _CONFIRM_REF,
        "rearing-and-following-are-investigation",
        "Counts rearing beside the intruder and following it as investigation.",
        sub_behaviour_labels={
            "allogroom": "other",
            "upright": "other",
            "rear": "investigation",
            "follow": "investigation",
        },
    ),
    4: _style(
        _CONFIRM_REF,
        "following-is-investigation-late",
        "Counts following the intruder as investigation and starts investigation 8 frames "
        "(0.27 s) later.",
        sub_behaviour_labels={"allogroom": "other", "upright": "other", "follow": "investigation"},
        onset_shift_frames=PerBehavior(investigation=8),
    ),
    5: _style(
        _CONFIRM_REF,
        "rearing-is-investigation",
        "Counts rearing beside the intruder as investigation.",
        sub_behaviour_labels={"allogroom": "other", "upright": "other", "rear": "investigation"},
    ),
}
_CONFIRM_PRESET = replace(
    _LAYOUT,
    name="subs-confirm",
    description="Sub-behaviour styles, the world to confirm on (benchmarks/sub_worlds.py).",
    behaviour=BehaviourParams(
        body_length_px=(90.0, 112.0),
        approach_speed_px_per_frame=(5.0, 9.0),
        investigation_median_s=2.2,
        attack_after_investigation=0.2,
        mount_median_s=4.0,
        sub_behaviours=SubBehaviourParams(
            rear_probability=0.35,
            rear_median_s=1.6,
            rear_stretch=0.68,
            rear_gap_px=(30.0, 50.0),
            follow_probability=0.3,
            follow_median_s=2.5,
            follow_body_lengths=(1.5, 3.0),
            allogroom_probability=0.25,
            allogroom_median_s=2.0,
            allogroom_stroke_px=(4.0, 8.0),
            upright_probability=0.5,
            upright_median_s=1.3,
            upright_stretch=0.7,
            upright_resume_probability=0.5,
        ),
    ),
    tracking=TrackingNoise(jitter_px=2.0),
)

# ---------------------------------------------------------------------------- untouched
_UNTOUCHED_REF = STYLES[0].replace(name="reference-s3", description="Reference of subs-untouched.")
_UNTOUCHED_STYLES = {
    0: _UNTOUCHED_REF,
    1: _style(
        _UNTOUCHED_REF,
        "stand-off-is-a-pause-early-attack",
        "Leaves the stand-off with the upright intruder out of attack and starts attacks 8 "
        "frames (0.27 s) earlier.",
        sub_behaviour_labels={"upright": "other"},
        onset_shift_frames=PerBehavior(attack=-8),
    ),
    2: _style(
        _UNTOUCHED_REF,
        "rearing-not-grooming",
        "Counts rearing beside the intruder as investigation and leaves grooming out of it.",
        sub_behaviour_labels={"rear": "investigation", "allogroom": "other"},
    ),
    3: _style(
        _UNTOUCHED_REF,
        "following-merged",
        "Counts following the intruder as investigation and joins investigation across pauses "
        "under 20 frames (0.67 s).",
        sub_behaviour_labels={"follow": "investigation"},
        merge_gap_frames=PerBehavior(attack=5, investigation=20, mount=10),
    ),
    4: _style(_UNTOUCHED_REF, "reference-again", "Labels as the reference does."),
    5: _style(
        _UNTOUCHED_REF,
        "following-not-grooming",
        "Counts following the intruder as investigation and leaves grooming out of it.",
        sub_behaviour_labels={"follow": "investigation", "allogroom": "other"},
    ),
}
_UNTOUCHED_PRESET = replace(
    _LAYOUT,
    name="subs-untouched",
    description="Sub-behaviour styles nobody designs on (benchmarks/sub_worlds.py).",
    behaviour=BehaviourParams(
        body_length_px=(75.0, 95.0),
        other_median_s=4.0,
        investigation_median_s=1.5,
        investigation_sigma=0.65,
        attack_after_investigation=0.15,
        chase_before_attack=0.6,
        attack_median_s=0.9,
        propensity_sd=0.45,
        sub_behaviours=SubBehaviourParams(
            rear_probability=0.25,
            rear_median_s=1.0,
            rear_stretch=0.55,
            rear_gap_px=(20.0, 40.0),
            follow_probability=0.35,
            follow_median_s=1.6,
            follow_body_lengths=(0.8, 2.2),
            allogroom_probability=0.35,
            allogroom_median_s=3.0,
            allogroom_stroke_px=(6.0, 12.0),
            upright_probability=0.45,
            upright_median_s=0.8,
            upright_stretch=0.58,
            upright_resume_probability=0.7,
        ),
    ),
    tracking=TrackingNoise(jitter_px=2.2, contact_jitter_px=3.5),
)

#: World name -> (preset, styles, seed offset).
SUB_WORLDS = {
    "subs-design": (_DESIGN_PRESET, _DESIGN_STYLES, 3000),
    "subs-confirm": (_CONFIRM_PRESET, _CONFIRM_STYLES, 4000),
    "subs-untouched": (_UNTOUCHED_PRESET, _UNTOUCHED_STYLES, 5000),
}
