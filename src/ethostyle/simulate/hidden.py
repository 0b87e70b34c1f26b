"""The hidden behaviour of the resident: its states, the sub-types of investigation, and
the durations and transition probabilities of the process that draws them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ethostyle.errors import EthostyleError

__all__ = ["BehaviourParams", "Hidden", "SubBehaviourParams", "Subtype"]


class Hidden(IntEnum):
    """The resident's hidden behaviour per frame (what really happens)."""

    OTHER = 0  #: exploring, resting or grooming apart from the intruder
    APPROACH = 1  #: walking towards the intruder before a social bout
    INVESTIGATION = 2  #: nose close to the intruder's face, flank or anogenital region
    CHASE = 3  #: running behind the fleeing intruder, not yet in contact
    ATTACK = 4  #: fast lunges and bites at the intruder's back, flank and rump
    ATTEMPTED_MOUNT = 5  #: climbing on the intruder from behind without thrusting
    MOUNT = 6  #: on the intruder's back, headings aligned, rhythmic thrusts
    CONTACT = 7  #: resting side by side against the intruder (still ``other``)
    # The sub-behaviours below occur only where BehaviourParams.sub_behaviours asks for
    # them (see ethostyle.simulate.sub_behaviours); annotators disagree on their labels.
    REAR = 8  #: rearing beside the intruder, body shortened in the top view, nose up
    FOLLOW = 9  #: walking behind the intruder along its path, 1-3 body lengths back
    ALLOGROOM = 10  #: grooming the intruder: slow strokes of the nose on its head and back
    UPRIGHT = 11  #: between attacks, facing the intruder, which stands upright in defence


class Subtype(IntEnum):
    """Which part of the intruder an investigation (or approach) is aimed at."""

    NONE = -1
    FACE = 0
    BODY = 1
    ANOGENITAL = 2


@dataclass(frozen=True, slots=True)
class SubBehaviourParams:
    """How often and how the sub-behaviours that annotators argue about occur.

    Each is its own hidden state (:class:`Hidden`), visible in the pose, that the
    reference annotator folds into another label or into ``other`` (see
    :mod:`ethostyle.simulate.sub_behaviours`). Durations are log-normal around
    the median (seconds) with a log-spread of 0.4.

    Parameters
    ----------
    rear_probability : float
        Chance that an investigation starts with the resident rearing beside the intruder.
    rear_median_s : float
        Length of a rearing bout.
    rear_stretch : float
        The rearing resident's body length in the top view, as a fraction of its length.
    rear_gap_px : tuple of float
        Range of the gap (px) between the two bodies' sides while rearing.
    follow_probability : float
        Chance that an episode opens with the resident following the intruder at a distance.
    follow_median_s : float
        Length of a following bout.
    follow_body_lengths : tuple of float
        Range of the distance (intruder body lengths) along the intruder's path from its
        tail base back to the follower's nose.
    allogroom_probability : float
        Chance that a face or body investigation goes on into grooming the intruder.
    allogroom_median_s : float
        Length of a grooming bout.
    allogroom_stroke_px : tuple of float
        Range of the amplitude (px) of the nose's strokes along the intruder's neck and back
        (about one stroke a second).
    upright_probability : float
        Chance that the intruder stands upright in defence after an attack bout.
    upright_median_s : float
        Length of the upright stand-off.
    upright_stretch : float
        The upright intruder's body length in the top view, as a fraction of its length.
    upright_resume_probability : float
        Chance that the attack goes on after the stand-off (so the stand-off lies inside
        one attack).
    """

    rear_probability: float = 0.3
    rear_median_s: float = 1.2
    rear_stretch: float = 0.6
    rear_gap_px: tuple[float, float] = (24.0, 44.0)
    follow_probability: float = 0.25
    follow_median_s: float = 2.0
    follow_body_lengths: tuple[float, float] = (1.0, 3.0)
    allogroom_probability: float = 0.3
    allogroom_median_s: float = 2.5
    allogroom_stroke_px: tuple[float, float] = (5.0, 10.0)
    upright_probability: float = 0.4
    upright_median_s: float = 1.0
    upright_stretch: float = 0.62
    upright_resume_probability: float = 0.6

    def __post_init__(self) -> None:
        for name in (
            "rear_probability",
            "follow_probability",
            "allogroom_probability",
            "upright_probability",
            "upright_resume_probability",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise EthostyleError(
                    f"SubBehaviourParams.{name} = {value}: give a probability in [0, 1]"
                )
        for name in ("rear_stretch", "upright_stretch"):
            if not 0.3 <= getattr(self, name) <= 1.0:
                raise EthostyleError(
                    f"SubBehaviourParams.{name} = {getattr(self, name)}: give a fraction of "
                    "the body length between 0.3 and 1"
                )
        for name in ("rear_gap_px", "follow_body_lengths", "allogroom_stroke_px"):
            lo, hi = getattr(self, name)
            if not 0.0 <= lo <= hi:
                raise EthostyleError(
                    f"SubBehaviourParams.{name} = {getattr(self, name)}: give the smallest and "
                    "largest value, 0 <= smallest <= largest"
                )


@dataclass(frozen=True, slots=True)
class BehaviourParams:
    """Durations and transition probabilities of the hidden behaviour process.

    Durations are log-normal: ``median_s`` (seconds) and ``sigma`` (log-scale
    spread). Probabilities are per decision point of an episode (one approach
    and the social bouts that follow it).

    Parameters
    ----------
    body_length_px : tuple of float
        Range of body lengths (px, nose to tail base), drawn per mouse and video:
        the size of the mice in the frame (a camera further away sees them smaller).
    other_median_s, other_sigma : float
        Length of the non-social bouts between episodes.
    contact_probability : float
        Chance that a non-social bout is spent resting against the intruder.
    approach_speed_px_per_frame : tuple of float
        Range of mean approach speeds; an approach lasts distance / speed.
    investigation_median_s, investigation_sigma : float
        Length of one investigation bout (one sub-type).
    subtype_probabilities : tuple of float
        Chance of face, body and anogenital investigation.
    reinvestigate_probability : float
        Chance that an investigation moves on to another region of the intruder.
    chase_start_probability : float
        Chance that an episode opens with a chase (then an attack).
    attack_after_investigation : float
        Chance that an investigation turns into an attack.
    chase_before_attack : float
        Chance that an attack after an investigation starts with a chase.
    chase_median_s, attack_median_s, attack_sigma : float
        Chase and attack bout lengths.
    attack_repeat_probability : float
        Chance of another chase + attack after an attack.
    attempt_after_anogenital : float
        Chance that an anogenital investigation leads to a mount attempt.
    attempt_success : float
        Chance that an attempt becomes a mount.
    attempt_median_s, mount_median_s, mount_sigma : float
        Attempted-mount and mount bout lengths.
    investigate_after_mount : float
        Chance of anogenital investigation right after a mount.
    propensity_sd : float
        Log-scale spread of each video's aggression and sexual propensity
        (multipliers of the attack and mount probabilities).
    sub_behaviours : SubBehaviourParams, optional
        The sub-behaviours annotators argue about (rearing beside the intruder,
        following at a distance, allogrooming, the intruder upright in defence);
        none when omitted, so worlds without them stay as they were.
    """

    body_length_px: tuple[float, float] = (85.0, 108.0)
    other_median_s: float = 3.5
    other_sigma: float = 0.8
    contact_probability: float = 0.15
    approach_speed_px_per_frame: tuple[float, float] = (4.0, 8.0)
    investigation_median_s: float = 1.8
    investigation_sigma: float = 0.55
    subtype_probabilities: tuple[float, float, float] = (0.3, 0.3, 0.4)
    reinvestigate_probability: float = 0.35
    chase_start_probability: float = 0.05
    attack_after_investigation: float = 0.10
    chase_before_attack: float = 0.5
    chase_median_s: float = 0.7
    attack_median_s: float = 1.0
    attack_sigma: float = 0.5
    attack_repeat_probability: float = 0.3
    attempt_after_anogenital: float = 0.22
    attempt_success: float = 0.6
    attempt_median_s: float = 0.5
    mount_median_s: float = 5.0
    mount_sigma: float = 0.45
    investigate_after_mount: float = 0.3
    propensity_sd: float = 0.35
    sub_behaviours: SubBehaviourParams | None = None

    def __post_init__(self) -> None:
        for name in (
            "contact_probability",
            "reinvestigate_probability",
            "chase_start_probability",
            "attack_after_investigation",
            "chase_before_attack",
            "attack_repeat_probability",
            "attempt_after_anogenital",
            "attempt_success",
            "investigate_after_mount",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise EthostyleError(
                    f"BehaviourParams.{name} = {value}: give a probability in [0, 1]"
                )
        lo, hi = self.body_length_px
        if not 0.0 < lo <= hi:
            raise EthostyleError(
                f"BehaviourParams.body_length_px = {self.body_length_px}: give the shortest "
                "and longest body length in px, 0 < shortest <= longest"
            )
        p = np.asarray(self.subtype_probabilities, dtype=float)
        if p.shape != (3,) or (p < 0).any() or p.sum() <= 0:
            raise EthostyleError(
                "BehaviourParams.subtype_probabilities: give three non-negative numbers "
                "(face, body, anogenital) with a positive sum"
            )
