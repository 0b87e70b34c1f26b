"""Sub-behaviours that labs argue about: where they occur, how they move, how each is labelled.

Four hidden states beyond the classic ones, each with its own pose so that it can
be seen in the keypoints (and found without labels):

- ``rear`` (:attr:`Hidden.REAR`): the resident rears beside the intruder before
  investigating it: trunk beside the intruder's flank with a gap, body shortened
  in the top view (``rear_stretch``, the head raised over the hips), turned
  towards the intruder, bobbing slowly, almost still;
- ``follow`` (:attr:`Hidden.FOLLOW`): an episode opens with the resident walking
  behind the intruder along its path, its nose 1-3 intruder body lengths back
  from the intruder's tail base (measured along the path), both walking;
- ``allogroom`` (:attr:`Hidden.ALLOGROOM`): after sniffing the face or flank the
  resident grooms the intruder: the nose in contact with the intruder's neck and
  upper back, stroking slowly (about once a second) while both are nearly still;
- ``upright`` (:attr:`Hidden.UPRIGHT`): after an attack bout the intruder turns to
  face the resident and stands upright in defence (its body shortened in the top
  view, ``upright_stretch``), the resident facing it nose to nose; often the
  attack resumes, so the stand-off lies inside one attack.

They occur only in worlds whose :class:`~ethostyle.simulate.BehaviourParams` has
``sub_behaviours`` (a :class:`SubBehaviourParams`); other worlds draw no random
number for them and stay exactly as they were.

How an annotator labels each is part of its style
(``AnnotatorStyle.sub_behaviour_labels``); the reference folds rearing and
following into ``other``, grooming into investigation and the upright stand-off
into attack (:data:`REFERENCE_SUB_LABELS`).

Examples
--------
>>> from ethostyle.simulate import BehaviourParams, SubBehaviourParams, simulate_world
>>> params = BehaviourParams(sub_behaviours=SubBehaviourParams())
>>> world = simulate_world(3000, seed=0, params=params)
>>> sorted(set(world.state.tolist()) & {int(s) for s in SUB_BEHAVIOURS.values()})
[8, 9, 10, 11]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ethostyle.data import FPS, VOCABULARY
from ethostyle.errors import EthostyleError
from ethostyle.simulate.hidden import Hidden, SubBehaviourParams, Subtype
from ethostyle.simulate.kinematics import (
    _left,
    _smooth_angle,
    _smoothstep,
    _turn,
    _unit,
    _wrap,
    centre_from_nose,
    nose_position,
)
from ethostyle.simulate.plan import BoutSpec, bout_frames

__all__ = [
    "INTRUDER_RESPONSE",
    "REFERENCE_SUB_LABELS",
    "SUB_BEHAVIOURS",
    "SUB_BEHAVIOUR_WORDS",
    "SubBehaviourParams",
    "add_sub_behaviours",
    "checked_sub_labels",
    "stand_upright",
    "sub_behaviour_masks",
    "sub_behaviour_pose",
    "sub_behaviour_records",
]

#: The sub-behaviours by name, with their hidden state.
SUB_BEHAVIOURS: dict[str, int] = {
    "rear": Hidden.REAR,
    "follow": Hidden.FOLLOW,
    "allogroom": Hidden.ALLOGROOM,
    "upright": Hidden.UPRIGHT,
}
#: Each sub-behaviour in words (the ``hidden`` field of a style's rule records).
SUB_BEHAVIOUR_WORDS: dict[str, str] = {
    "rear": "rearing beside the intruder",
    "follow": "following the intruder at a distance",
    "allogroom": "grooming the intruder (allogrooming)",
    "upright": "the intruder upright in defence between attacks",
}
#: How the reference annotator (and any style that does not say) labels each sub-behaviour.
REFERENCE_SUB_LABELS: dict[str, str] = {
    "rear": "other",
    "follow": "other",
    "allogroom": "investigation",
    "upright": "attack",
}
#: The intruder's speed multiplier, extra speed (px/frame) and erratic turning per state:
#: it slows down beside a rearing resident, walks on steadily when followed, keeps still
#: while groomed and while standing upright.
INTRUDER_RESPONSE: dict[int, tuple[float, float, float]] = {
    Hidden.REAR: (0.3, 0.0, 0.0),
    Hidden.FOLLOW: (1.0, 1.5, 0.0),
    Hidden.ALLOGROOM: (0.05, 0.0, 0.0),
    Hidden.UPRIGHT: (0.05, 0.0, 0.0),
}
_SIGMA = 0.4  # log-spread of every sub-behaviour's duration


def add_sub_behaviours(
    rng: np.random.Generator, sp: SubBehaviourParams, plan: list[BoutSpec]
) -> list[BoutSpec]:
    """The episode ``plan`` with sub-behaviour bouts drawn into it (a loop over bouts).

    Following may open the episode; rearing may come before an investigation,
    grooming after a face or flank investigation, and an upright stand-off after
    an attack (then perhaps a further attack).
    """
    out: list[BoutSpec] = []
    if rng.random() < sp.follow_probability:
        distance = float(rng.uniform(*sp.follow_body_lengths))
        frames = bout_frames(rng, sp.follow_median_s, _SIGMA, 20)
        out.append(BoutSpec(Hidden.FOLLOW, frames, position=distance))
    for spec in plan:
        if spec.state == Hidden.INVESTIGATION and rng.random() < sp.rear_probability:
            frames = bout_frames(rng, sp.rear_median_s, _SIGMA, 15)
            # rhythm: bobbing frequency (Hz), side gap (px), turn towards the intruder (rad)
            pose = (rng.uniform(0.4, 0.9), rng.uniform(*sp.rear_gap_px), rng.uniform(0.3, 0.8))
            along = float(rng.uniform(-0.3, 0.2))
            out.append(BoutSpec(Hidden.REAR, frames, side=spec.side, position=along, rhythm=pose))
        out.append(spec)
        sniffs = spec.subtype in (Subtype.FACE, Subtype.BODY)
        if spec.state == Hidden.INVESTIGATION and sniffs:
            if rng.random() < sp.allogroom_probability:
                frames = bout_frames(rng, sp.allogroom_median_s, _SIGMA, 20)
                strokes = (rng.uniform(0.7, 1.3), rng.uniform(*sp.allogroom_stroke_px), 0.0)
                out.append(BoutSpec(Hidden.ALLOGROOM, frames, side=spec.side, rhythm=strokes))
        if spec.state == Hidden.ATTACK and rng.random() < sp.upright_probability:
            frames = bout_frames(rng, sp.upright_median_s, _SIGMA, 24)
            # rhythm: boxing frequency (Hz), nose-to-nose gap (px), phase (rad)
            boxing = (rng.uniform(2.0, 3.0), rng.uniform(10.0, 22.0), rng.uniform(0, 2 * np.pi))
            out.append(BoutSpec(Hidden.UPRIGHT, frames, rhythm=boxing))
            if rng.random() < sp.upright_resume_probability:
                lunges = (rng.uniform(2.0, 3.5), rng.uniform(10.0, 18.0), rng.uniform(0, 2 * np.pi))
                frames = bout_frames(rng, 0.8, 0.4, 8)
                side = float(rng.choice([-1.0, 1.0]))
                out.append(BoutSpec(Hidden.ATTACK, frames, side=side, rhythm=lunges))
    return out


def stand_upright(world: Any, sl: slice) -> None:
    """Turn the intruder to face the resident and shorten it (standing up) over frames ``sl``.

    ``world`` is the video being built (``ethostyle.simulate.behaviour``); its
    intruder heading and ``intruder_stretch`` are changed in place. The change
    rises smoothly from zero at the first frame and falls back to zero at the
    last, so the walk the intruder carries on with stays continuous.
    """
    k = sl.stop - sl.start
    heading = world.heading[1, sl]
    face = _facing(world, sl)
    turn = _turn(face - heading)
    # Turning at most ~0.15 rad/frame where the bout is long enough to allow it.
    width = max(6.0, min(k / 3.0, 1.5 * abs(float(_wrap(face - heading[0]))) / 0.15))
    up = _smoothstep(np.arange(k) / width)
    bump = np.minimum(up, up[::-1])
    world.heading[1, sl] = heading + bump * turn
    world.intruder_stretch[sl] = 1.0 - bump * (1.0 - world.p.sub_behaviours.upright_stretch)


def _facing(world: Any, sl: slice) -> float:
    """The direction (rad) from the intruder to where the resident is as bout ``sl`` starts."""
    to_resident = world.xy[0] - world.centre[1, sl.start]
    return float(np.arctan2(to_resident[1], to_resident[0]))


def sub_behaviour_pose(
    world: Any, spec: BoutSpec, sl: slice, parts: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | float, np.ndarray]:
    """The resident's pose for a sub-behaviour bout: centre, heading, bend, stretch, target.

    The same contract as the classic behaviours' poses in
    :mod:`ethostyle.simulate.behaviour`: world coordinates for frames ``sl``,
    derived from the intruder's pose ``parts``; the target point is NaN where the
    nose aims at none.
    """
    jit = world.jitter[:, sl]
    cycle = 2 * np.pi * spec.rhythm[0] * np.arange(sl.start, sl.stop) / FPS + spec.rhythm[2]
    hs, h = parts["follow"], parts["heading"]
    li, hw = world.length[1], world.hw[1]
    if spec.state == Hidden.REAR:
        _, gap, towards = spec.rhythm
        centre = (
            parts["centre"]
            + (spec.side * (2 * hw + gap + 3.0 * jit[1]))[:, None] * _left(hs)
            + spec.position * li * _unit(hs)
        )
        heading = hs + spec.side * towards + 0.3 * jit[0]
        stretch = world.p.sub_behaviours.rear_stretch + 0.04 * np.sin(cycle)
        return centre, heading, 0.3 * jit[2], stretch, np.full_like(centre, np.nan)
    if spec.state == Hidden.FOLLOW:
        nose, heading = _behind_on_path(world, sl, spec.position * li)
        nose = nose + (0.3 * hw * jit[0])[:, None] * _left(heading)
        heading = heading + 0.25 * jit[1]
        bend = 0.3 * jit[2]
        anchor = parts["tail"]
    elif spec.state == Hidden.ALLOGROOM:
        amplitude = spec.rhythm[1]
        stroke = amplitude * np.sin(cycle) - 0.05 * li
        anchor = parts["neck"] + stroke[:, None] * _unit(h) + spec.side * 0.4 * hw * _left(h)
        out = hs - spec.side * (np.pi / 2 - 0.5) + 0.15 * jit[0]
        nose = anchor + (2.0 + 0.8 * jit[1])[:, None] * _unit(out)
        heading = out + np.pi + 0.15 * jit[1]
        bend = 0.25 * np.sin(cycle) + 0.1 * jit[2]
    else:  # UPRIGHT: nose to nose with the upright intruder, boxing
        # Where the intruder ends up facing (towards the resident), not where it faces while
        # it turns: the resident closes in along that line instead of circling round.
        face = np.full(sl.stop - sl.start, _facing(world, sl))
        length = li * world.intruder_stretch[sl]
        anchor = nose_position(parts["centre"], face, np.zeros_like(face), length)
        gap = spec.rhythm[1] + 3.0 * np.sin(cycle)
        nose = anchor + gap[:, None] * _unit(face)
        heading = face + np.pi + 0.2 * jit[0]
        bend = 0.2 * jit[2]
    centre = centre_from_nose(nose, heading, bend, world.length[0])
    return centre, heading, bend, 1.0, anchor


def _behind_on_path(world: Any, sl: slice, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Points ``distance`` px back along the intruder's tail-base path, and its heading there.

    The path is the tail base's track over the last 10 s, extended straight back
    from its oldest point, so that the point exists even behind an intruder that
    has hardly moved. Arc length is cumulative step length; one interpolation per
    coordinate finds the point for every frame at once.
    """
    li = world.length[1]
    past = np.arange(max(sl.start - 300, 0), sl.stop)
    heading = np.unwrap(world.heading[1, past])
    tail = world.centre[1, past] - 0.42 * li * _unit(heading)
    lead = tail[0] - (distance + 50.0) * _unit(heading[0])
    path = np.vstack([lead, tail])
    path_heading = np.r_[heading[0], heading]
    # A tiny step per frame keeps the arc length strictly increasing where the intruder rests.
    arc = np.r_[0.0, np.cumsum(np.hypot(*np.diff(path, axis=0).T) + 1e-6)]
    now = arc[1 + np.arange(sl.start, sl.stop) - past[0]]
    point = np.stack([np.interp(now - distance, arc, path[:, d]) for d in range(2)], axis=-1)
    # The follower turns more gently than the path where the intruder turned sharply.
    return point, _smooth_angle(np.interp(now - distance, arc, path_heading), 6.0)


def checked_sub_labels(style: str, value: Any) -> tuple[tuple[str, str], ...]:
    """A style's ``sub_behaviour_labels`` as sorted ``(sub-behaviour, label)`` pairs.

    Accepts a mapping or pairs; raises one clear error naming what to fix.
    """
    try:
        pairs = dict(value.items() if hasattr(value, "items") else value)
    except (TypeError, ValueError):
        raise EthostyleError(
            f"AnnotatorStyle {style!r}: sub_behaviour_labels = {value!r}; give a mapping of "
            f"sub-behaviour to label, e.g. {{'rear': 'investigation'}}"
        ) from None
    for name, label in pairs.items():
        if name not in SUB_BEHAVIOURS or label not in VOCABULARY:
            raise EthostyleError(
                f"AnnotatorStyle {style!r}: sub_behaviour_labels {name!r}: {label!r}; the "
                f"sub-behaviour must be one of {', '.join(SUB_BEHAVIOURS)} and the label one "
                f"of {', '.join(VOCABULARY)}"
            )
    return tuple(sorted((str(k), str(v)) for k, v in pairs.items()))


def sub_behaviour_masks(
    state: np.ndarray, labels: tuple[tuple[str, str], ...]
) -> dict[str, np.ndarray]:
    """Per behaviour, the frames of the sub-behaviours a style labels as that behaviour.

    ``labels`` are the style's own choices; the rest follow
    :data:`REFERENCE_SUB_LABELS`. Behaviours no sub-behaviour is labelled as are absent.
    """
    chosen = {**REFERENCE_SUB_LABELS, **dict(labels)}
    out: dict[str, np.ndarray] = {}
    for name, label in chosen.items():
        if label != "other":
            here = state == SUB_BEHAVIOURS[name]
            out[label] = out[label] | here if label in out else here
    return out


def sub_behaviour_records(
    mine: tuple[tuple[str, str], ...], theirs: tuple[tuple[str, str], ...]
) -> list[dict[str, Any]]:
    """Rule records (``exclude_when`` / ``include_when`` with ``hidden``) where two styles
    label a sub-behaviour differently: left out of the reference's label, let into its own."""
    mine_all = {**REFERENCE_SUB_LABELS, **dict(mine)}
    theirs_all = {**REFERENCE_SUB_LABELS, **dict(theirs)}
    out: list[dict[str, Any]] = []
    for name in SUB_BEHAVIOURS:
        a, b = mine_all[name], theirs_all[name]
        if a == b:
            continue
        words = SUB_BEHAVIOUR_WORDS[name]
        if b != "other":
            out.append({"kind": "exclude_when", "behavior": b, "rule": [], "hidden": words})
        if a != "other":
            out.append({"kind": "include_when", "behavior": a, "rule": [], "hidden": words})
    return out
