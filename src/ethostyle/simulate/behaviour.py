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

Motion is physical: every blend moves the trunk centre (and turns the body about
it) over enough frames that its peak speed and turning rate stay bounded
(``_BLEND_SPEED``, ``_MAX_TURN``), pose jitter is a smooth process, and attack
lunges are a smooth in-and-out oscillation of the nose, so no keypoint jumps
between frames: the trunk centre stays under about 35 px per frame, and attacks
are the fastest behaviour.

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

import numpy as np

from ethostyle.data import FPS, Sequence
from ethostyle.errors import EthostyleError
from ethostyle.simulate.hidden import BehaviourParams, Hidden, Subtype
from ethostyle.simulate.kinematics import (
    ARENA_HEIGHT,
    ARENA_WIDTH,
    REFERENCE_BODY_LENGTH,
    WalkState,
    _ar1,
    _left,
    _ramp,
    _smooth_angle,
    _smooth_noise,
    _smoothstep,
    _soft_clamp,
    _turn,
    _unit,
    _walk,
    _wrap,
    body_keypoints,
    centre_from_nose,
    nose_position,
)
from ethostyle.simulate.plan import BoutSpec, bout_frames, plan_episode
from ethostyle.simulate.sub_behaviours import (
    INTRUDER_RESPONSE,
    SUB_BEHAVIOURS,
    add_sub_behaviours,
    stand_upright,
    sub_behaviour_pose,
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


#: Intruder speed multiplier, extra fleeing speed (px/frame) and erratic turning per state.
_INTRUDER_RESPONSE: dict[int, tuple[float, float, float]] = {
    Hidden.OTHER: (1.0, 0.0, 0.0),
    Hidden.APPROACH: (1.0, 0.0, 0.0),
    Hidden.INVESTIGATION: (0.35, 0.0, 0.0),
    Hidden.CHASE: (0.6, 5.0, 0.4),
    Hidden.ATTACK: (0.5, 7.0, 0.7),
    Hidden.ATTEMPTED_MOUNT: (0.25, 0.0, 0.0),
    Hidden.MOUNT: (0.08, 0.0, 0.0),
    Hidden.CONTACT: (0.03, 0.0, 0.0),
    **INTRUDER_RESPONSE,
}
# Trunk centres keep this far (px) from the walls; the intruder keeps further so a
# resident driven beside or behind it still fits in the arena.
_RESIDENT_MARGIN = 66.0
_INTRUDER_MARGIN = 85.0
# Blends between poses (approaches, moving round the intruder between bouts) take
# enough frames that the trunk centre moves at most _BLEND_SPEED px/frame and the
# body turns at most _MAX_TURN rad/frame on top of following the intruder.
_BLEND_SPEED = 7.0
_MAX_TURN = 0.15
_LONGEST_BLEND = 45
# Time constant (frames) over which the resident's speed before a bout fades into the bout's.
_MOMENTUM_FRAMES = 4.0
# Width (frames) of the smoothing of the intruder's heading that the resident follows.
_FOLLOW_FRAMES = 10.0


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


class _World:
    """Builds one video bout by bout; every bout fills its frames with numpy at once."""

    def __init__(self, n: int, rng: np.random.Generator, params: BehaviourParams) -> None:
        self.n = n
        self.rng = rng
        self.p = params
        # Resident and intruder body length (px).
        self.length = rng.uniform(*params.body_length_px, size=2)
        self.hw = 11.0 * self.length / REFERENCE_BODY_LENGTH  # half-width of a body (px)
        # Per-frame noise processes, drawn once for the whole video, sliced per bout.
        # Speed and turning rate are AR(1) (position and heading are their smooth
        # integrals); poses held relative to the intruder use smooth processes so
        # that the body does not jitter by large steps from one frame to the next.
        self.speed = np.stack([self._free_speed() for _ in range(2)])
        self.turn = _ar1(rng, n, 8.0, 0.05, (2,)).T
        self.bend = _smooth_noise(rng, n, 8.0, 0.25, (2,)).T
        self.erratic = _smooth_noise(rng, n, 4.0, 0.06)
        self.gap = 2.0 + 11.0 * np.exp(_smooth_noise(rng, n, 8.0, 0.55))
        self.jitter = _smooth_noise(rng, n, 10.0, 0.35, (3,)).T
        self.fast = _smooth_noise(rng, n, 7.0, 1.0, (4,)).T
        self.small = _smooth_noise(rng, n, 3.0, 2.0, (2,))
        self.chase_lag = 10.0 * np.exp(_smooth_noise(rng, n, 10.0, 0.3))
        # Outputs.
        self.centre = np.zeros((2, n, 2))
        self.heading = np.zeros((2, n))
        self.bends = np.zeros((2, n))
        self.stretch = np.ones(n)  # resident body length factor (hunched when mounting)
        self.intruder_stretch = np.ones(n)  # shortened where it stands upright
        self.state = np.zeros(n, np.int8)
        self.subtype = np.full(n, Subtype.NONE, np.int8)
        self.anchor = np.full((n, 2), np.nan)
        # Pose before the next frame to fill.
        lo = np.array([_INTRUDER_MARGIN, _INTRUDER_MARGIN])
        hi = np.array([ARENA_WIDTH, ARENA_HEIGHT]) - lo
        self.xy = rng.uniform(lo, hi, size=(2, 2))
        self.theta = rng.uniform(-np.pi, np.pi, size=2)
        # Until frame 0 is simulated, the intruder's starting pose stands in for it, so an
        # approach planned at frame 0 aims at where the intruder really is.
        self.centre[1, 0], self.heading[1, 0], self.bends[1, 0] = self.xy[1], self.theta[1], 0.0
        self.last_bend = np.zeros(2)
        self.last_stretch = 1.0
        self.response = np.array([1.0, 0.0, 0.0])
        self.intruder_walk: WalkState | None = None  # the intruder walks on from bout to bout
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
        xy, heading, self.intruder_walk = _walk(
            self.xy[1], self.theta[1], speed, turn, _INTRUDER_MARGIN, self.intruder_walk
        )
        self.centre[1, sl], self.heading[1, sl], self.bends[1, sl] = xy, heading, self.bend[1, sl]
        self.xy[1], self.theta[1], self.response = xy[-1], heading[-1], resp[-1]

    def _intruder_parts(self, sl: slice) -> dict[str, np.ndarray]:
        c, h, b = self.centre[1, sl], self.heading[1, sl], self.bends[1, sl]
        length = self.length[1]
        return {
            "centre": c,
            "heading": h,
            # What the resident follows: the heading smoothed over a few frames, so that a
            # resident at arm's length does not swing round rigidly when the intruder turns
            # sharply (target points on the intruder's body use the true heading).
            "follow": _smooth_angle(h, _FOLLOW_FRAMES),
            "nose": nose_position(c, h, b, length),
            "head": h + b,
            "neck": c + 0.18 * length * _unit(h),
            "tail": c - 0.42 * length * _unit(h),
        }

    # -- the resident -------------------------------------------------------------------------
    def _target(
        self, spec: BoutSpec, sl: slice, parts: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | float, np.ndarray]:
        """The resident's pose for a bout: trunk centre, heading, head bend, stretch, target point.

        All in world coordinates for the frames ``sl``, derived from the intruder's
        pose; the pose puts the resident's nose where the behaviour wants it.
        """
        if spec.state in SUB_BEHAVIOURS.values():
            return sub_behaviour_pose(self, spec, sl, parts)
        h, hs = parts["heading"], parts["follow"]
        li, hw = self.length[1], self.hw[1]
        jit = self.jitter[:, sl]
        fast = self.fast[:, sl]
        gap = self.gap[sl]
        bend = 0.5 * jit[2]
        stretch = 1.0
        if spec.state == Hidden.INVESTIGATION:
            if spec.subtype == Subtype.FACE:
                anchor = parts["nose"]
                out = hs + parts["head"] - h + 0.6 * jit[0]
            elif spec.subtype == Subtype.BODY:
                out = hs - spec.side * np.pi / 2 + 0.5 * jit[0]
                anchor = parts["centre"] + spec.position * li * _unit(h) + spec.side * hw * _left(h)
            else:
                anchor = parts["tail"]
                out = hs + np.pi + 0.6 * jit[0]
            nose = anchor + gap[:, None] * _unit(out)
            heading = out + np.pi + 0.5 * jit[1]
        elif spec.state == Hidden.CHASE:
            # Running along the intruder's path: the nose is where its tail base was
            # 5-20 frames ago, so the chaser turns where the intruder turned.
            anchor = parts["tail"]
            past = np.arange(max(sl.start - 60, 0), sl.stop)  # the lag stays well below 60
            when = np.clip(np.arange(sl.start, sl.stop) - self.chase_lag[sl], past[0], None)
            tail = self.centre[1, past] - 0.42 * li * _unit(self.heading[1, past])
            path = np.stack([np.interp(when, past, tail[:, d]) for d in range(2)], axis=-1)
            path_heading = np.interp(when, past, np.unwrap(self.heading[1, past]))
            nose = path + 0.2 * hw * jit[0, :, None] * _left(path_heading)
            heading = path_heading + 0.3 * jit[1]
            bend = 0.3 * jit[2]
        elif spec.state == Hidden.ATTACK:
            # Lunges: the bite point wanders quickly along the back and round the sides,
            # and the nose darts in and out of it (a smooth oscillation, 2-3.5 per second)
            # while the body jerks from side to side with each lunge.
            freq, amp, phase = spec.rhythm
            cycle = 2 * np.pi * freq * np.arange(sl.start, sl.stop) / FPS + phase
            lunge = 2.0 + 0.5 * amp * (1.0 - np.cos(cycle))
            along = _soft_clamp(-0.1 + 0.18 * fast[0], -0.42, 0.2, 0.03) * li
            out = hs + np.pi + spec.side * 0.9 + 0.45 * fast[1]
            anchor = parts["centre"] + along[:, None] * _unit(h) + hw * _unit(out - hs + h)
            nose = anchor + lunge[:, None] * _unit(out)
            heading = out + np.pi + 0.25 * fast[3] + 0.2 * np.sin(cycle)
            bend = 0.35 * fast[2]
        elif spec.state == Hidden.ATTEMPTED_MOUNT:
            anchor = parts["centre"] - 0.15 * li * _unit(h)
            nose = anchor + 1.5 * self.small[sl]
            heading = hs + 0.5 * jit[0]
            bend = 0.2 * jit[2]
            stretch = 0.93
        elif spec.state == Hidden.MOUNT:
            freq, amp, phase = spec.rhythm
            tt = np.arange(sl.start, sl.stop) / FPS
            thrust = amp * np.sin(2 * np.pi * freq * tt + phase) - 4.0
            anchor = parts["neck"]
            nose = anchor + thrust[:, None] * _unit(h) + 0.8 * self.small[sl]
            heading = hs + 0.15 * jit[0]
            bend = 0.15 * jit[2]
            stretch = 0.86
        else:  # CONTACT: lying parallel (or head to tail) against the intruder's flank
            heading = hs + spec.flip + 0.3 * jit[0]
            centre = (
                parts["centre"]
                + spec.side * (2 * hw + 18.0 + 6 * jit[1, :, None]) * _left(hs)
                + spec.position * li * _unit(hs)
            )
            bend = 0.6 * jit[2]
            return centre, heading, bend, stretch, np.full_like(centre, np.nan)
        centre = centre_from_nose(nose, heading, bend, self.length[0] * stretch)
        return centre, heading, bend, stretch, anchor

    def _store_resident(
        self,
        sl: slice,
        centre: np.ndarray,
        heading: np.ndarray,
        bend: np.ndarray,
        stretch: np.ndarray,
    ) -> None:
        self.centre[0, sl] = centre
        self.heading[0, sl] = heading
        self.bends[0, sl] = bend
        self.stretch[sl] = stretch
        self.xy[0], self.theta[0] = self.centre[0, sl.stop - 1], heading[-1]
        self.last_bend[0], self.last_stretch = bend[-1], float(stretch[-1])

    def _momentum(self, sl: slice, centre: np.ndarray) -> np.ndarray:
        """Offsets that carry the resident's velocity into a bout, fading in a few frames.

        A bout's path ``centre`` starts where the resident is, but not at its
        speed (a chaser suddenly held beside an intruder that bounced off a wall);
        adding ``d * i * exp(-(i - 1) / tau)`` with ``d`` the difference of the
        velocities keeps the first step at the old velocity and then lets the bout's
        own motion take over, so acceleration stays bounded.
        """
        t = sl.start
        if t < 2:
            return np.zeros_like(centre)
        before = self.centre[0, t - 1]
        d = (before - self.centre[0, t - 2]) - (centre[0] - before)
        i = np.arange(1.0, centre.shape[0] + 1.0)
        return d * (i * np.exp(-(i - 1.0) / _MOMENTUM_FRAMES))[:, None]

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
        xy, heading, _ = _walk(self.xy[0], self.theta[0], speed, self.turn[0, sl], _RESIDENT_MARGIN)
        w = _ramp(k, 8)
        self.centre[0, sl], self.heading[0, sl] = xy, heading
        self.bends[0, sl] = self.last_bend[0] + w * (self.bend[0, sl] - self.last_bend[0])
        self.stretch[sl] = self.last_stretch + w * (1.0 - self.last_stretch)
        self.xy[0], self.theta[0] = xy[-1], heading[-1]
        self.last_bend[0], self.last_stretch = self.bends[0, sl.stop - 1], float(self.stretch[-1])
        self._mark(sl, Hidden.OTHER, Subtype.NONE, None)

    def approach(self, spec: BoutSpec, hidden_state: int) -> None:
        """Walk to where ``spec`` starts: turn towards it, walk there, turn into its pose.

        The trunk centre glides to the bout's starting pose; the approach lasts long
        enough for the walking speed drawn and for both turns at no more than
        ``_MAX_TURN`` rad/frame.
        """
        if self.t >= self.n:
            return
        probe = slice(max(self.t - 1, 0), max(self.t, 1))
        centre0, theta0 = self.xy[0].copy(), float(self.theta[0])
        pose0 = self._target(spec, probe, self._intruder_parts(probe))
        target0, heading0 = pose0[0][0], pose0[1][0]
        to_target = target0 - centre0
        distance = float(np.hypot(*to_target))
        bearing = float(np.arctan2(to_target[1], to_target[0])) if distance > 20.0 else theta0
        turn1 = float(_wrap(bearing - theta0))
        turn_frames = 1.5 * np.abs([turn1, _wrap(heading0 - bearing)]) / _MAX_TURN
        speed = self.rng.uniform(*self.p.approach_speed_px_per_frame)
        planned = int(np.clip(max(distance / speed, turn_frames.sum() + 2), 8, 150))
        sl = self._take(planned)
        if sl is None:
            return
        k = sl.stop - sl.start  # fewer than planned where the video ends first
        self._move_intruder(sl, hidden_state)
        centre_t, heading_t, bend_t, stretch_t, anchor = self._target(
            spec, sl, self._intruder_parts(sl)
        )
        i = np.arange(k) + 1.0
        w = _smoothstep(i / planned)
        centre = centre0 + w[:, None] * (centre_t - centre0)
        centre += self._momentum(sl, centre)
        # Turn towards the target, walk, then turn (the short way) into the bout's heading,
        # following the target heading's own changes as it settles.
        heading = theta0 + _smoothstep(i / max(turn_frames[0], 1.0)) * turn1
        heading_t = np.unwrap(heading_t)
        settle = float(_wrap(heading_t[-1] - theta0 - turn1)) + heading_t - heading_t[-1]
        last = min(max(1.5 * abs(settle[-1]) / _MAX_TURN, 1.0), planned)
        heading = heading + _smoothstep((i - (planned - last)) / last) * settle
        bend = self.last_bend[0] + w * (bend_t - self.last_bend[0])
        stretch = np.full(k, self.last_stretch) + w * (stretch_t - self.last_stretch)
        self._store_resident(sl, centre, heading, bend, stretch)
        # An approach inherits the region it aims at; walking over to rest carries none.
        subtype = spec.subtype if hidden_state == Hidden.APPROACH else Subtype.NONE
        self._mark(sl, hidden_state, subtype, anchor)

    def drive(self, spec: BoutSpec) -> None:
        """Hold the resident relative to the intruder during a social bout (or contact)."""
        sl = self._take(spec.frames)
        if sl is None:
            return
        k = sl.stop - sl.start
        # The resident's pose before the bout, held fixed in the intruder's body frame.
        h_prev = self.theta[1]
        rel = self.xy[0] - self.xy[1]
        along0, side0 = rel @ _unit(h_prev), rel @ _left(h_prev)
        rel_heading = self.theta[0] - h_prev
        self._move_intruder(sl, spec.state)
        walked = parts = self._intruder_parts(sl)
        if spec.state == Hidden.UPRIGHT:  # it turns to face the resident, which is not swung round
            stand_upright(self, sl)
            parts = self._intruder_parts(sl)
        centre_t, heading_t, bend_t, stretch_t, anchor = self._target(spec, sl, parts)
        # Held in the intruder's frame as it turns (the heading it follows), from where it was.
        h = walked["follow"] + (h_prev + float(_wrap(walked["heading"][0] - h_prev)))
        h -= walked["follow"][0]
        held = walked["centre"] + along0 * _unit(h) + side0 * _left(h)
        held_heading = h + rel_heading
        # Moving round the intruder takes longer the further the new pose is, and the
        # more the body must turn, so the trunk never moves or turns abruptly.
        distance = float(np.hypot(*(centre_t[0] - held[0])))
        turn = abs(float(_wrap(heading_t[0] - held_heading[0])))
        width = max(1.5 * distance / _BLEND_SPEED, 1.5 * turn / _MAX_TURN, 6.0)
        w = _ramp(k, min(width, _LONGEST_BLEND))
        centre = held + w[:, None] * (centre_t - held)
        centre += self._momentum(sl, centre)
        heading = held_heading + w * _turn(heading_t - held_heading)
        bend = self.last_bend[0] + w * (bend_t - self.last_bend[0])
        stretch = self.last_stretch + w * (stretch_t - self.last_stretch)
        self._store_resident(sl, centre, heading, bend, stretch)
        self._mark(sl, spec.state, spec.subtype, anchor)

    def run(self) -> None:
        """Alternate non-social bouts and social episodes until the video is full."""
        p, rng = self.p, self.rng
        aggression, sexual = np.exp(p.propensity_sd * rng.standard_normal(2))
        while self.t < self.n:
            if rng.random() < p.contact_probability:
                spec = BoutSpec(
                    Hidden.CONTACT,
                    bout_frames(rng, p.other_median_s, p.other_sigma, 30),
                    side=float(rng.choice([-1.0, 1.0])),
                    position=float(rng.uniform(-0.4, 0.4)),
                    flip=float(rng.choice([0.0, np.pi])),
                )
                self.approach(spec, Hidden.OTHER)
                self.drive(spec)
            self.free(bout_frames(rng, p.other_median_s, p.other_sigma, 15))
            plan = plan_episode(rng, p, aggression, sexual)
            if p.sub_behaviours is not None:  # draws nothing in worlds without them
                plan = add_sub_behaviours(rng, p.sub_behaviours, plan)
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
            length = self.length[mouse] * (self.stretch if mouse == 0 else self.intruder_stretch)
            keypoints[:, mouse] = body_keypoints(
                centre[mouse], self.heading[mouse], self.bends[mouse], length
            )
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
