"""Motifs in words: how a motif's frames differ from all frames, with units.

A motif is described by the medians of a few base pose measures (:data:`MEASURES`)
over its frames. The resident's speed is always stated; then the (at most three)
measures that differ most from all frames, in interquartile ranges of all frames,
each with its value over all frames beside it so that a reader can check the
difference. Distances are in cm and speeds in cm/s when the pixel scale is known,
else in px and body lengths (the median nose-to-tail length of the resident).

Examples
--------
>>> import numpy as np
>>> overall = np.array([40.0, 40.0, 60.0, 150.0, 0.0, 0.5, 0.5, 50.0, 0.05, 100.0, 90.0, 0.0])
>>> profile = overall.copy(); profile[0] = 250.0; profile[4] = -80.0
>>> print(describe_motif(profile, overall, np.ones(12) * 30, px_per_cm=10.0))
... # doctest: +NORMALIZE_WHITESPACE
resident moving at 25 cm/s (all frames: 4 cm/s); the mice moving apart at 8 cm/s
(all frames: 0 cm/s)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["MEASURES", "describe_motif"]

#: The base pose measures (columns of :func:`ethostyle.features.pose_features`) a
#: motif is described by, in this order.
MEASURES: tuple[str, ...] = (
    "resident_speed_px_s",
    "intruder_speed_px_s",
    "nose_to_intruder_min_px",
    "centroid_distance_px",
    "approach_speed_px_s",
    "facing_cos",
    "intruder_facing_cos",
    "intruder_x_ego_px",
    "box_overlap",
    "resident_length_px",
    "resident_turn_deg_s",
    "heading_alignment_cos",
)
_LENGTH = MEASURES.index("resident_length_px")
# Measures that differ by less than this many interquartile ranges are not stated.
_MIN_DIFFERENCE = 0.5
_MOST_STATED = 3


class _Units:
    """Values in words: cm when the pixel scale is known, else px and body lengths."""

    def __init__(self, px_per_cm: float | None, body_px: float) -> None:
        self.px_per_cm = px_per_cm
        self.body_px = body_px if body_px > 0 and math.isfinite(body_px) else float("nan")

    def distance(self, px: float) -> str:
        if self.px_per_cm is not None:
            return f"{px / self.px_per_cm:.1f} cm"
        if math.isfinite(self.body_px):
            return f"{px / self.body_px:.1f} body lengths ({px:.0f} px)"
        return f"{px:.0f} px"

    def speed(self, px_s: float) -> str:
        if self.px_per_cm is not None:
            return f"{px_s / self.px_per_cm:.0f} cm/s"
        return f"{px_s:.0f} px/s"


def _angle(cos: float) -> str:
    return f"{math.degrees(math.acos(min(1.0, max(-1.0, cos)))):.0f}°"


def _distance(v: float, u: _Units) -> str:
    return u.distance(v)


def _speed(v: float, u: _Units) -> str:
    return u.speed(v)


# Per measure: (phrase of a value, the value alone for "all frames: ...").
_Phrase = Callable[[float, _Units], str]
_PHRASES: dict[str, tuple[_Phrase, _Phrase]] = {
    "resident_speed_px_s": (lambda v, u: f"resident moving at {u.speed(v)}", _speed),
    "intruder_speed_px_s": (lambda v, u: f"intruder moving at {u.speed(v)}", _speed),
    "nose_to_intruder_min_px": (
        lambda v, u: f"the resident's nose {u.distance(v)} from the intruder",
        _distance,
    ),
    "centroid_distance_px": (
        lambda v, u: f"the mice's centres {u.distance(v)} apart",
        _distance,
    ),
    "approach_speed_px_s": (
        lambda v, u: (
            f"the mice closing in at {u.speed(v)}"
            if v >= 0
            else f"the mice moving apart at {u.speed(-v)}"
        ),
        _speed,
    ),
    "facing_cos": (
        lambda v, u: f"the resident's head {_angle(v)} off the direction to the intruder",
        lambda v, u: _angle(v),
    ),
    "intruder_facing_cos": (
        lambda v, u: f"the intruder's head {_angle(v)} off the direction to the resident",
        lambda v, u: _angle(v),
    ),
    "intruder_x_ego_px": (
        lambda v, u: (
            f"the intruder {u.distance(abs(v))} {'ahead of' if v >= 0 else 'behind'} "
            "the resident's neck"
        ),
        lambda v, u: f"{u.distance(abs(v))} {'ahead' if v >= 0 else 'behind'}",
    ),
    "box_overlap": (
        lambda v, u: f"the two bodies' boxes overlapping by {v:.0%}",
        lambda v, u: f"{v:.0%}",
    ),
    "resident_length_px": (
        lambda v, u: f"the resident's body {u.distance(v)} long, nose to tail",
        _distance,
    ),
    "resident_turn_deg_s": (
        lambda v, u: f"the resident turning at {v:.0f}°/s",
        lambda v, u: f"{v:.0f}°/s",
    ),
    "heading_alignment_cos": (
        lambda v, u: f"the two headings {_angle(v)} apart",
        lambda v, u: _angle(v),
    ),
}


def describe_motif(
    profile: np.ndarray, overall: np.ndarray, spread: np.ndarray, px_per_cm: float | None
) -> str:
    """A motif in words, from its measures' medians against all frames'.

    Parameters
    ----------
    profile : numpy.ndarray
        ``(len(MEASURES),)`` the motif's median of each measure (px, px/s, cosines).
    overall : numpy.ndarray
        ``(len(MEASURES),)`` each measure's median over all frames.
    spread : numpy.ndarray
        ``(len(MEASURES),)`` each measure's interquartile range over all frames.
    px_per_cm : float, optional
        Pixels per centimetre (None: px and body lengths).

    Returns
    -------
    str
        Clauses joined by "; ", the resident's speed first.
    """
    units = _Units(px_per_cm, float(overall[_LENGTH]))
    difference = np.abs(profile - overall) / spread
    order = [int(i) for i in np.argsort(-np.nan_to_num(difference, nan=-1.0), kind="stable")]
    notable = [i for i in order if i != 0 and difference[i] >= _MIN_DIFFERENCE]
    stated = [0, *notable[:_MOST_STATED]]
    clauses = []
    for i in stated:
        if not (np.isfinite(profile[i]) and np.isfinite(overall[i])):
            continue
        phrase, value = _PHRASES[MEASURES[i]]
        clauses.append(
            f"{phrase(float(profile[i]), units)} (all frames: {value(float(overall[i]), units)})"
        )
    return "; ".join(clauses) or "no measure differs from all frames"
