"""The plan of one social episode: the bouts that follow an approach (a semi-Markov chain).

Every draw comes from the generator it is given, in a fixed order, so a seed gives the
same plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ethostyle.data import FPS
from ethostyle.simulate.hidden import BehaviourParams, Hidden, Subtype

__all__ = ["BoutSpec", "bout_frames", "plan_episode"]


@dataclass(slots=True)
class BoutSpec:
    """One planned bout: its state, sub-type, length and the fixed parameters of its pose."""

    state: int
    frames: int
    subtype: int = Subtype.NONE
    side: float = 1.0  # which side of the intruder (+1 its left, -1 its right)
    position: float = 0.0  # where along the intruder (fraction of its length)
    flip: float = 0.0  # 0 or pi: resting parallel or head to tail
    # Mount thrusts or attack lunges: frequency (Hz), amplitude (px), phase (rad).
    rhythm: tuple[float, float, float] = (4.0, 2.0, 0.0)


def bout_frames(rng: np.random.Generator, median_s: float, sigma: float, low: int = 3) -> int:
    """A bout length in frames (at least ``low``): log-normal around ``median_s`` seconds."""
    return max(low, round(median_s * FPS * float(np.exp(sigma * rng.standard_normal()))))


class _Draws:
    """Draws one bout of each social kind from ``rng`` (each method draws in a fixed order)."""

    def __init__(self, rng: np.random.Generator, p: BehaviourParams) -> None:
        self.rng, self.p = rng, p
        sub_p = np.asarray(p.subtype_probabilities, dtype=float)
        self.sub_p = sub_p / sub_p.sum()

    def investigation(self, exclude: int | None = None) -> BoutSpec:
        rng, p = self.rng, self.p
        q = self.sub_p.copy()
        if exclude is not None:
            q[exclude] = 0.0
            q = q / q.sum()
        sub = int(rng.choice(3, p=q))
        return BoutSpec(
            Hidden.INVESTIGATION,
            bout_frames(rng, p.investigation_median_s, p.investigation_sigma, 6),
            sub,
            side=float(rng.choice([-1.0, 1.0])),
            position=float(rng.uniform(-0.3, 0.12)),
        )

    def chase(self) -> BoutSpec:
        return BoutSpec(Hidden.CHASE, bout_frames(self.rng, self.p.chase_median_s, 0.4, 6))

    def attack(self) -> BoutSpec:
        rng, p = self.rng, self.p
        side = float(rng.choice([-1.0, 1.0]))
        lunges = (rng.uniform(2.0, 3.5), rng.uniform(10.0, 18.0), rng.uniform(0, 2 * np.pi))
        return BoutSpec(
            Hidden.ATTACK,
            bout_frames(rng, p.attack_median_s, p.attack_sigma, 8),
            side=side,
            rhythm=lunges,
        )

    def attempt(self) -> BoutSpec:
        frames = bout_frames(self.rng, self.p.attempt_median_s, 0.35, 6)
        return BoutSpec(Hidden.ATTEMPTED_MOUNT, frames)

    def mount(self) -> BoutSpec:
        rng, p = self.rng, self.p
        thrust = (rng.uniform(3.0, 5.0), rng.uniform(2.0, 5.0), rng.uniform(0, 2 * np.pi))
        return BoutSpec(
            Hidden.MOUNT, bout_frames(rng, p.mount_median_s, p.mount_sigma, 30), rhythm=thrust
        )


def plan_episode(
    rng: np.random.Generator, p: BehaviourParams, aggression: float, sexual: float
) -> list[BoutSpec]:
    """Sample the social bouts that follow one approach (a short semi-Markov chain)."""
    draw = _Draws(rng, p)
    p_attack = min(1.0, p.attack_after_investigation * aggression)
    p_attempt = min(1.0, p.attempt_after_anogenital * sexual)
    plan: list[BoutSpec]
    if rng.random() < min(1.0, p.chase_start_probability * aggression):
        plan = [draw.chase(), draw.attack()]
    else:
        plan = [draw.investigation()]
    for _ in range(10):  # bounded: an episode is a handful of bouts
        last = plan[-1]
        u = rng.random()
        if last.state == Hidden.INVESTIGATION:
            if u < p_attack:
                plan += (
                    [draw.chase(), draw.attack()]
                    if rng.random() < p.chase_before_attack
                    else [draw.attack()]
                )
            elif last.subtype == Subtype.ANOGENITAL and u < p_attack + p_attempt:
                plan.append(draw.attempt())
            elif u < p_attack + p_attempt + p.reinvestigate_probability:
                plan.append(draw.investigation(exclude=last.subtype))
            else:
                break
        elif last.state == Hidden.ATTACK:
            if u < p.attack_repeat_probability:
                plan += [draw.chase(), draw.attack()]
            else:
                break
        elif last.state == Hidden.ATTEMPTED_MOUNT:
            if u < p.attempt_success:
                plan.append(draw.mount())
            elif u < p.attempt_success + 0.5 * (1 - p.attempt_success):
                plan.append(BoutSpec(Hidden.INVESTIGATION, bout_frames(rng, 1.0, 0.4, 6), 2))
            else:
                break
        elif last.state == Hidden.MOUNT:
            if u < p.investigate_after_mount:
                plan.append(BoutSpec(Hidden.INVESTIGATION, bout_frames(rng, 1.2, 0.4, 6), 2))
            else:
                break
        else:
            break
    return plan
