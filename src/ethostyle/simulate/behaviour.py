"""The hidden behaviour of a resident-intruder pair and the motion that expresses it.

A semi-Markov process (a loop over bouts, never over frames) decides what the
resident does: explore or rest (``other``, sometimes resting against the
intruder), approach the intruder, investigate its face, flank or anogenital
region, chase and attack it, attempt to mount and mount it. Each bout moves both
mice for its frames at once with numpy: the intruder walks freely (slowing down
when investigated, fleeing when attacked, freezing when mounted) and the
resident either walks freely or is *driven* relative to the intruder (its nose at
a target point on the intruder's body plus slow jitter), with smooth blends
between bouts so positions and headings stay continuous.

Everything an annotator could base a label on is kept per frame in
:class:`WorldSequence` (the hidden state and sub-type, the nose-to-target and
nose-to-intruder distances), so annotator styles are rules over what is visible.

Examples
--------
>>> world = simulate_world(900, seed=1)
>>> world.keypoints.shape, world.keypoints.dtype
((900, 2, 2, 7), dtype('float32'))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ethostyle.data import FPS, Sequence
from ethostyle.errors import EthostyleError
from ethostyle.simulate.kinematics import (
    ARENA_HEIGHT,
    ARENA_WIDTH,
    REFERENCE_BODY_LENGTH,
    _ar1,
    _left,
    _ramp,
    _smooth_angle,
    _smoothstep,
    _soft_clamp,
    _turn,
    _unit,
    _walk,
    body_keypoints,
    centre_from_nose,
    nose_position,
)
from ethostyle.simulate.tracking import TrackingNoise, add_tracking_noise

__all__ = [
    "BehaviourParams",
    "Hidden",
    "Subtype",
    "WorldSequence",
    "simulate_world",
]

logger = logging.getLogger(__name__)


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


class Subtype(IntEnum):
    """Which part of the intruder an investigation (or approach) is aimed at."""

    NONE = -1
    FACE = 0
    BODY = 1
    ANOGENITAL = 2


#: Intruder speed multiplier, extra fleeing speed (px/frame) and erratic turning per state.
_INTRUDER_RESPONSE: dict[int, tuple[float, float, float]] = {
    Hidden.OTHER: (1.0, 0.0, 0.0),
    Hidden.APPROACH: (1.0, 0.0, 0.0),
    Hidden.INVESTIGATION: (0.35, 0.0, 0.0),
    Hidden.CHASE: (0.6, 5.0, 0.3),
    Hidden.ATTACK: (0.5, 8.0, 1.0),
    Hidden.ATTEMPTED_MOUNT: (0.25, 0.0, 0.0),
    Hidden.MOUNT: (0.08, 0.0, 0.0),
    Hidden.CONTACT: (0.03, 0.0, 0.0),
}
# Trunk centres keep this far (px) from the walls; the intruder keeps further so a
# resident driven beside or behind it still fits in the arena.
_RESIDENT_MARGIN = 66.0
_INTRUDER_MARGIN = 85.0


@dataclass(frozen=True, slots=True)
class BehaviourParams:
    """Durations and transition probabilities of the hidden behaviour process.

    Durations are log-normal: ``median_s`` (seconds) and ``sigma`` (log-scale
    spread). Probabilities are per decision point of an episode (one approach
    and the social bouts that follow it).

    Parameters
    ----------
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
    """

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
        p = np.asarray(self.subtype_probabilities, dtype=float)
        if p.shape != (3,) or (p < 0).any() or p.sum() <= 0:
            raise EthostyleError(
                "BehaviourParams.subtype_probabilities: give three non-negative numbers "
                "(face, body, anogenital) with a positive sum"
            )


@dataclass(frozen=True, slots=True)
class WorldSequence:
    """One simulated video with its hidden truth, before any annotator labels it.

    Parameters
    ----------
    id : str
        Sequence id.
    keypoints : numpy.ndarray
        ``(frames, 2, 2, 7)`` float32 tracked keypoints (with tracking noise,
        rare NaN), CalMS21 layout.
    clean_keypoints : numpy.ndarray
        ``(frames, 2, 2, 7)`` float32 true keypoints (no tracking noise).
    state : numpy.ndarray
        ``(frames,)`` int8 :class:`Hidden` state of the resident.
    subtype : numpy.ndarray
        ``(frames,)`` int8 :class:`Subtype` of investigation (and of the approach
        that leads to it); -1 elsewhere.
    nose_to_target_px : numpy.ndarray
        ``(frames,)`` float32 distance (px) from the resident's nose to the point
        of the intruder it is aiming at; NaN when it aims at none.
    nose_to_intruder_px : numpy.ndarray
        ``(frames,)`` float32 distance (px) from the resident's true nose to the
        nearest true intruder keypoint.
    """

    id: str
    keypoints: np.ndarray
    clean_keypoints: np.ndarray
    state: np.ndarray
    subtype: np.ndarray
    nose_to_target_px: np.ndarray
    nose_to_intruder_px: np.ndarray

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.keypoints.shape[0])

    def to_sequence(self, annotator_id: int, labels: np.ndarray | None = None) -> Sequence:
        """This video as a :class:`~ethostyle.data.Sequence` (sharing the keypoint array)."""
        seq = Sequence(self.id, self.keypoints, int(annotator_id))
        return seq if labels is None else seq.with_labels(labels)


@dataclass(slots=True)
class _Spec:
    """One planned bout: its state, sub-type, length and the fixed parameters of its pose."""

    state: int
    frames: int
    subtype: int = Subtype.NONE
    side: float = 1.0  # which side of the intruder (+1 its left, -1 its right)
    position: float = 0.0  # where along the intruder (fraction of its length)
    flip: float = 0.0  # 0 or pi: resting parallel or head to tail
    thrust: tuple[float, float, float] = (4.0, 2.0, 0.0)  # frequency Hz, amplitude px, phase


def _frames(rng: np.random.Generator, median_s: float, sigma: float, low: int = 3) -> int:
    return max(low, round(median_s * FPS * float(np.exp(sigma * rng.standard_normal()))))


def _plan_episode(
    rng: np.random.Generator, p: BehaviourParams, aggression: float, sexual: float
) -> list[_Spec]:
    """Sample the social bouts that follow one approach (a short semi-Markov chain)."""
    sub_p = np.asarray(p.subtype_probabilities, dtype=float)
    sub_p = sub_p / sub_p.sum()

    def investigation(exclude: int | None = None) -> _Spec:
        q = sub_p.copy()
        if exclude is not None:
            q[exclude] = 0.0
            q = q / q.sum()
        sub = int(rng.choice(3, p=q))
        return _Spec(
            Hidden.INVESTIGATION,
            _frames(rng, p.investigation_median_s, p.investigation_sigma, 6),
            sub,
            side=float(rng.choice([-1.0, 1.0])),
            position=float(rng.uniform(-0.3, 0.12)),
        )

    def chase() -> _Spec:
        return _Spec(Hidden.CHASE, _frames(rng, p.chase_median_s, 0.4, 6))

    def attack() -> _Spec:
        side = float(rng.choice([-1.0, 1.0]))
        return _Spec(Hidden.ATTACK, _frames(rng, p.attack_median_s, p.attack_sigma, 8), side=side)

    def attempt() -> _Spec:
        return _Spec(Hidden.ATTEMPTED_MOUNT, _frames(rng, p.attempt_median_s, 0.35, 6))

    def mount() -> _Spec:
        thrust = (rng.uniform(3.0, 5.0), rng.uniform(2.0, 5.0), rng.uniform(0, 2 * np.pi))
        return _Spec(Hidden.MOUNT, _frames(rng, p.mount_median_s, p.mount_sigma, 30), thrust=thrust)

    p_attack = min(1.0, p.attack_after_investigation * aggression)
    p_attempt = min(1.0, p.attempt_after_anogenital * sexual)
    plan: list[_Spec]
    if rng.random() < min(1.0, p.chase_start_probability * aggression):
        plan = [chase(), attack()]
    else:
        plan = [investigation()]
    for _ in range(10):  # bounded: an episode is a handful of bouts
        last = plan[-1]
        u = rng.random()
        if last.state == Hidden.INVESTIGATION:
            if u < p_attack:
                plan += [chase(), attack()] if rng.random() < p.chase_before_attack else [attack()]
            elif last.subtype == Subtype.ANOGENITAL and u < p_attack + p_attempt:
                plan.append(attempt())
            elif u < p_attack + p_attempt + p.reinvestigate_probability:
                plan.append(investigation(exclude=last.subtype))
            else:
                break
        elif last.state == Hidden.ATTACK:
            if u < p.attack_repeat_probability:
                plan += [chase(), attack()]
            else:
                break
        elif last.state == Hidden.ATTEMPTED_MOUNT:
            if u < p.attempt_success:
                plan.append(mount())
            elif u < p.attempt_success + 0.5 * (1 - p.attempt_success):
                plan.append(_Spec(Hidden.INVESTIGATION, _frames(rng, 1.0, 0.4, 6), 2))
            else:
                break
        elif last.state == Hidden.MOUNT:
            if u < p.investigate_after_mount:
                plan.append(_Spec(Hidden.INVESTIGATION, _frames(rng, 1.2, 0.4, 6), 2))
            else:
                break
        else:
            break
    return plan


class _World:
    """Builds one video bout by bout; every bout fills its frames with numpy at once."""

    def __init__(self, n: int, rng: np.random.Generator, params: BehaviourParams) -> None:
        self.n = n
        self.rng = rng
        self.p = params
        self.length = rng.uniform(85.0, 108.0, size=2)  # resident, intruder body length (px)
        self.hw = 11.0 * self.length / REFERENCE_BODY_LENGTH  # half-width of a body (px)
        # Per-frame noise processes, drawn once for the whole video, sliced per bout.
        self.speed = np.stack([self._free_speed() for _ in range(2)])
        self.turn = _ar1(rng, n, 8.0, 0.05, (2,)).T
        self.bend = _ar1(rng, n, 20.0, 0.25, (2,)).T
        self.erratic = _ar1(rng, n, 3.0, 0.15)
        self.gap = 2.0 + 11.0 * np.exp(_ar1(rng, n, 15.0, 0.55))
        self.jitter = _ar1(rng, n, 25.0, 0.35, (3,)).T
        self.fast = _ar1(rng, n, 3.0, 1.0, (4,)).T
        self.small = _ar1(rng, n, 4.0, 2.0, (2,))
        self.chase_gap = 25.0 + 35.0 * np.exp(_ar1(rng, n, 10.0, 0.4))
        # Outputs.
        self.centre = np.zeros((2, n, 2))
        self.heading = np.zeros((2, n))
        self.bends = np.zeros((2, n))
        self.stretch = np.ones(n)  # resident body length factor (hunched when mounting)
        self.state = np.zeros(n, np.int8)
        self.subtype = np.full(n, Subtype.NONE, np.int8)
        self.anchor = np.full((n, 2), np.nan)
        # Pose before the next frame to fill.
        lo = np.array([_INTRUDER_MARGIN, _INTRUDER_MARGIN])
        hi = np.array([ARENA_WIDTH, ARENA_HEIGHT]) - lo
        self.xy = rng.uniform(lo, hi, size=(2, 2))
        self.theta = rng.uniform(-np.pi, np.pi, size=2)
        self.last_bend = np.zeros(2)
        self.last_stretch = 1.0
        self.response = np.array([1.0, 0.0, 0.0])
        self.t = 0

    def _free_speed(self) -> np.ndarray:
        """Speed (px/frame) of free walking: bursts of ~4 px/frame with rests in between."""
        activity = 1.0 / (1.0 + np.exp(-3.0 * (_ar1(self.rng, self.n, 150.0, 1.0) + 0.5)))
        return 4.0 * activity * np.exp(_ar1(self.rng, self.n, 30.0, 0.35))

    # -- the intruder -------------------------------------------------------------------------
    def _move_intruder(self, sl: slice, state: int) -> None:
        k = sl.stop - sl.start
        target = np.array(_INTRUDER_RESPONSE[state])
        resp = self.response + (target - self.response) * _ramp(k, 8)[:, None]
        speed = self.speed[1, sl] * resp[:, 0] + resp[:, 1]
        turn = self.turn[1, sl] + resp[:, 2] * self.erratic[sl]
        xy, heading = _walk(self.xy[1], self.theta[1], speed, turn, _INTRUDER_MARGIN)
        self.centre[1, sl], self.heading[1, sl], self.bends[1, sl] = xy, heading, self.bend[1, sl]
        self.xy[1], self.theta[1], self.response = xy[-1], heading[-1], resp[-1]

    def _intruder_parts(self, sl: slice) -> dict[str, np.ndarray]:
        c, h, b = self.centre[1, sl], self.heading[1, sl], self.bends[1, sl]
        length = self.length[1]
        return {
            "centre": c,
            "heading": h,
            "nose": nose_position(c, h, b, length),
            "head": h + b,
            "neck": c + 0.18 * length * _unit(h),
            "tail": c - 0.42 * length * _unit(h),
        }

    # -- the resident -------------------------------------------------------------------------
    def _resident_nose(self) -> np.ndarray:
        return nose_position(
            self.xy[0][None],
            self.theta[:1],
            self.last_bend[:1],
            self.length[0] * self.last_stretch,
        )[0]

    def _target(
        self, spec: _Spec, sl: slice, parts: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
        """Where the resident's nose should be, its heading, head bend, stretch and target point.

        All in world coordinates for the frames ``sl``, derived from the intruder's pose.
        """
        h = parts["heading"]
        li = self.length[1]
        hw = self.hw[1]
        jit = self.jitter[:, sl]
        fast = self.fast[:, sl]
        gap = self.gap[sl]
        bend = 0.5 * jit[2]
        stretch = 1.0
        if spec.state == Hidden.INVESTIGATION:
            if spec.subtype == Subtype.FACE:
                anchor = parts["nose"]
                out = parts["head"] + 0.6 * jit[0]
            elif spec.subtype == Subtype.BODY:
                out = h - spec.side * np.pi / 2 + 0.5 * jit[0]
                anchor = parts["centre"] + spec.position * li * _unit(h) + spec.side * hw * _left(h)
            else:
                anchor = parts["tail"]
                out = h + np.pi + 0.6 * jit[0]
            nose = anchor + gap[:, None] * _unit(out)
            heading = out + np.pi + 0.5 * jit[1]
        elif spec.state == Hidden.CHASE:
            anchor = parts["tail"]
            out = h + np.pi + 0.4 * jit[0]
            nose = anchor + self.chase_gap[sl, None] * _unit(out)
            heading = h + 0.4 * jit[1]
            bend = 0.3 * jit[2]
        elif spec.state == Hidden.ATTACK:
            # Lunges: the bite point jumps along the back and round the sides every few frames.
            along = np.clip(-0.1 + 0.18 * fast[0], -0.42, 0.2) * li
            out = h + np.pi + spec.side * 0.9 + 0.9 * fast[1]
            anchor = parts["centre"] + along[:, None] * _unit(h) + hw * _unit(out)
            nose = anchor + 6.0 * np.abs(fast[2])[:, None] * _unit(out)
            heading = out + np.pi + 0.45 * fast[3]
            bend = 0.35 * fast[3]
        elif spec.state == Hidden.ATTEMPTED_MOUNT:
            anchor = parts["centre"] - 0.15 * li * _unit(h)
            nose = anchor + 1.5 * self.small[sl]
            heading = h + 0.5 * jit[0]
            bend = 0.2 * jit[2]
            stretch = 0.93
        elif spec.state == Hidden.MOUNT:
            freq, amp, phase = spec.thrust
            tt = np.arange(sl.start, sl.stop) / FPS
            thrust = amp * np.sin(2 * np.pi * freq * tt + phase) - 4.0
            anchor = parts["neck"]
            nose = anchor + thrust[:, None] * _unit(h) + 0.8 * self.small[sl]
            heading = h + 0.15 * jit[0]
            bend = 0.15 * jit[2]
            stretch = 0.86
        else:  # CONTACT: lying parallel (or head to tail) against the intruder's flank
            heading = h + spec.flip + 0.3 * jit[0]
            centre = (
                parts["centre"]
                + spec.side * (2 * hw + 18.0 + 6 * jit[1, :, None]) * _left(h)
                + spec.position * li * _unit(h)
            )
            bend = 0.6 * jit[2]
            nose = nose_position(centre, heading, bend, self.length[0])
            anchor = np.full_like(nose, np.nan)
        return nose, heading, bend, stretch, anchor

    def _store_resident(
        self,
        sl: slice,
        nose: np.ndarray,
        heading: np.ndarray,
        bend: np.ndarray,
        stretch: np.ndarray,
    ) -> None:
        length = self.length[0] * stretch
        self.centre[0, sl] = centre_from_nose(nose, heading, bend, length)
        self.heading[0, sl] = heading
        self.bends[0, sl] = bend
        self.stretch[sl] = stretch
        self.xy[0], self.theta[0] = self.centre[0, sl.stop - 1], heading[-1]
        self.last_bend[0], self.last_stretch = bend[-1], float(stretch[-1])

    def _mark(self, sl: slice, state: int, subtype: int, anchor: np.ndarray | None) -> None:
        self.state[sl] = state
        self.subtype[sl] = subtype
        if anchor is not None:
            self.anchor[sl] = anchor

    def _take(self, frames: int) -> slice | None:
        if self.t >= self.n:
            return None
        sl = slice(self.t, min(self.n, self.t + max(1, frames)))
        self.t = sl.stop
        return sl

    def free(self, frames: int) -> None:
        """The resident walks (or rests) on its own; it starts slowly after a social bout."""
        sl = self._take(frames)
        if sl is None:
            return
        k = sl.stop - sl.start
        self._move_intruder(sl, Hidden.OTHER)
        speed = self.speed[0, sl] * _ramp(k, 12)
        start = np.clip(
            self.xy[0],
            _RESIDENT_MARGIN + 1e-3,
            np.array([ARENA_WIDTH, ARENA_HEIGHT]) - _RESIDENT_MARGIN - 1e-3,
        )
        xy, heading = _walk(start, self.theta[0], speed, self.turn[0, sl], _RESIDENT_MARGIN)
        w = _ramp(k, 8)
        self.centre[0, sl], self.heading[0, sl] = xy, heading
        self.bends[0, sl] = self.last_bend[0] + w * (self.bend[0, sl] - self.last_bend[0])
        self.stretch[sl] = self.last_stretch + w * (1.0 - self.last_stretch)
        self.xy[0], self.theta[0] = xy[-1], heading[-1]
        self.last_bend[0], self.last_stretch = self.bends[0, sl.stop - 1], float(self.stretch[-1])
        self._mark(sl, Hidden.OTHER, Subtype.NONE, None)

    def approach(self, spec: _Spec, hidden_state: int) -> None:
        """Walk to where ``spec`` starts: nose glides to the target, the body turns to it."""
        if self.t >= self.n:
            return
        probe = slice(max(self.t - 1, 0), max(self.t, 1))
        nose0 = self._resident_nose()
        target0 = self._target(spec, probe, self._intruder_parts(probe))[0][0]
        distance = float(np.hypot(*(target0 - nose0)))
        speed = self.rng.uniform(*self.p.approach_speed_px_per_frame)
        sl = self._take(int(np.clip(distance / speed, 8, 150)))
        if sl is None:
            return
        k = sl.stop - sl.start
        self._move_intruder(sl, hidden_state)
        nose_t, heading_t, bend_t, stretch_t, anchor = self._target(
            spec, sl, self._intruder_parts(sl)
        )
        x = (np.arange(k) + 1.0) / k
        w = _smoothstep(x)
        nose = nose0 + w[:, None] * (nose_t - nose0)
        to_target = nose_t - nose
        bearing = np.where(
            np.hypot(to_target[:, 0], to_target[:, 1]) > 4.0,
            np.arctan2(to_target[:, 1], to_target[:, 0]),
            heading_t,
        )
        turn_in = _smoothstep(x / 0.4)
        heading = self.theta[0] + turn_in * _turn(bearing - self.theta[0])
        settle = _smoothstep((x - 0.55) / 0.45)
        heading = heading + settle * _turn(heading_t - heading)
        bend = self.last_bend[0] + w * (bend_t - self.last_bend[0])
        stretch = np.full(k, self.last_stretch) + w * (stretch_t - self.last_stretch)
        self._store_resident(sl, nose, heading, bend, stretch)
        # An approach inherits the region it aims at; walking over to rest carries none.
        subtype = spec.subtype if hidden_state == Hidden.APPROACH else Subtype.NONE
        self._mark(sl, hidden_state, subtype, anchor)

    def drive(self, spec: _Spec) -> None:
        """Hold the resident relative to the intruder during a social bout (or contact)."""
        sl = self._take(spec.frames)
        if sl is None:
            return
        k = sl.stop - sl.start
        # The resident's pose before the bout, held fixed in the intruder's body frame.
        h_prev = self.theta[1]
        rel = self._resident_nose() - self.xy[1]
        along0, side0 = rel @ _unit(h_prev), rel @ _left(h_prev)
        rel_heading = self.theta[0] - h_prev
        self._move_intruder(sl, spec.state)
        parts = self._intruder_parts(sl)
        nose_t, heading_t, bend_t, stretch_t, anchor = self._target(spec, sl, parts)
        h = parts["heading"]
        held = parts["centre"] + along0 * _unit(h) + side0 * _left(h)
        held_heading = h + rel_heading
        # Moving round the intruder takes longer the further the new target point is.
        distance = float(np.hypot(*(nose_t[0] - held[0])))
        w = _ramp(k, float(np.clip(distance / 4.0, 6.0, 25.0)))
        nose = held + w[:, None] * (nose_t - held)
        heading = held_heading + w * _turn(heading_t - held_heading)
        bend = self.last_bend[0] + w * (bend_t - self.last_bend[0])
        stretch = self.last_stretch + w * (stretch_t - self.last_stretch)
        self._store_resident(sl, nose, heading, bend, stretch)
        self._mark(sl, spec.state, spec.subtype, anchor)

    def run(self) -> None:
        """Alternate non-social bouts and social episodes until the video is full."""
        p, rng = self.p, self.rng
        aggression, sexual = np.exp(p.propensity_sd * rng.standard_normal(2))
        while self.t < self.n:
            if rng.random() < p.contact_probability:
                spec = _Spec(
                    Hidden.CONTACT,
                    _frames(rng, p.other_median_s, p.other_sigma, 30),
                    side=float(rng.choice([-1.0, 1.0])),
                    position=float(rng.uniform(-0.4, 0.4)),
                    flip=float(rng.choice([0.0, np.pi])),
                )
                self.approach(spec, Hidden.OTHER)
                self.drive(spec)
            self.free(_frames(rng, p.other_median_s, p.other_sigma, 15))
            plan = _plan_episode(rng, p, aggression, sexual)
            self.approach(plan[0], Hidden.APPROACH)
            for spec in plan:
                self.drive(spec)

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free keypoints ``(n, 2, 2, 7)`` and the resident's target points ``(n, 2)``."""
        lo = np.array([_RESIDENT_MARGIN, _RESIDENT_MARGIN]) - 8.0
        hi = np.array([ARENA_WIDTH, ARENA_HEIGHT]) - lo
        centre = self.centre.copy()
        centre[0] = _soft_clamp(centre[0], lo, hi)
        keypoints = np.empty((self.n, 2, 2, 7))
        for mouse in range(2):
            # Reflections off walls turn a mouse within one frame; round that off.
            heading = _smooth_angle(self.heading[mouse], 1.5)
            length = self.length[mouse] * (self.stretch if mouse == 0 else 1.0)
            keypoints[:, mouse] = body_keypoints(centre[mouse], heading, self.bends[mouse], length)
        return keypoints, self.anchor


def simulate_world(
    n_frames: int,
    seed: int | np.random.SeedSequence | np.random.Generator = 0,
    params: BehaviourParams | None = None,
    tracking: TrackingNoise | None = None,
    sequence_id: str = "sim",
) -> WorldSequence:
    """Simulate one resident-intruder video with its hidden behaviour.

    Parameters
    ----------
    n_frames : int
        Number of frames (30 per second).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Randomness; the same seed gives identical arrays.
    params : BehaviourParams, optional
        The hidden behaviour process; defaults to CalMS21-like durations.
    tracking : TrackingNoise, optional
        Pose-estimation noise; defaults to :class:`TrackingNoise` ().
    sequence_id : str
        Id of the video.

    Returns
    -------
    WorldSequence
        Tracked and true keypoints and the per-frame hidden truth.

    Examples
    --------
    >>> w = simulate_world(300, seed=0)
    >>> w.state.shape, w.nose_to_intruder_px.dtype
    ((300,), dtype('float32'))
    """
    if int(n_frames) < 1:
        raise EthostyleError(f"simulate_world: n_frames = {n_frames}; give at least 1 frame")
    rng = np.random.default_rng(seed)
    world = _World(int(n_frames), rng, params or BehaviourParams())
    world.run()
    clean, anchor = world.finish()
    nose = clean[:, 0, :, 0]
    to_intruder = np.sqrt(((clean[:, 1] - nose[:, :, None]) ** 2).sum(axis=1)).min(axis=1)
    to_target = np.hypot(*(nose - anchor).T)
    noisy = add_tracking_noise(clean, rng, tracking or TrackingNoise())
    return WorldSequence(
        id=sequence_id,
        keypoints=noisy,
        clean_keypoints=clean.astype(np.float32),
        state=world.state,
        subtype=world.subtype,
        nose_to_target_px=to_target.astype(np.float32),
        nose_to_intruder_px=to_intruder.astype(np.float32),
    )
