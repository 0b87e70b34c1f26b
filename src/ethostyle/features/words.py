"""The base pose features in plain language: what each measures, and a value in its units.

A feature name such as ``r_nose-i_nose_px`` becomes "the distance from the resident's
nose to the intruder's nose"; a comparison with a value is stated in the feature's
units (px or cm, px/s or cm/s, degrees for the ``_cos`` angles). The style programs'
rules (:mod:`ethostyle.models.program`) are stated with these words.

Examples
--------
>>> feature_phrase("r_nose-i_tail_base_px")
"the distance from the resident's nose to the intruder's tail base"
>>> comparison_phrase("r_nose-i_nose_px", below=True, value=21.0, px_per_cm=10.0)
"the distance from the resident's nose to the intruder's nose is below 2.1 cm"
"""

from __future__ import annotations

import math
import re

from ethostyle.data import BODY_PARTS

__all__ = ["comparison_phrase", "feature_phrase"]

_PART_NAMES = {p: p.replace("_", " ") for p in BODY_PARTS}
_SUBJECTS = {
    "nose_to_intruder_min_px": "the distance from the resident's nose to the nearest part "
    "of the intruder",
    "intruder_nose_to_resident_min_px": "the distance from the intruder's nose to the nearest "
    "part of the resident",
    "closest_parts_px": "the distance between the closest body parts of the two mice",
    "resident_length_px": "the resident's body length",
    "intruder_length_px": "the intruder's body length",
    "resident_ear_span_px": "the resident's ear span",
    "intruder_ear_span_px": "the intruder's ear span",
    "centroid_distance_px": "the distance between the two mice's centres",
    "centroid_distance_body_lengths": "the distance between the two mice's centres",
    "resident_head_bend_cos": "the bend of the resident's head from its body axis",
    "intruder_head_bend_cos": "the bend of the intruder's head from its body axis",
    "heading_alignment_cos": "the angle between the two mice's headings",
    "heading_alignment_sin": "the sine of the intruder's heading relative to the resident's",
    "facing_cos": "the angle between the resident's head and the direction to the intruder",
    "intruder_facing_cos": "the angle between the intruder's head and the direction to the "
    "resident",
    "intruder_x_ego_px": "how far the intruder's centre is ahead of the resident's neck",
    "intruder_y_ego_px": "how far the intruder's centre is to the side of the resident's body axis",
    "box_overlap": "the overlap of the two mice's bounding boxes",
    "resident_speed_px_s": "the resident's speed",
    "intruder_speed_px_s": "the intruder's speed",
    "resident_nose_speed_px_s": "the speed of the resident's nose",
    "intruder_nose_speed_px_s": "the speed of the intruder's nose",
    "resident_accel_px_s2": "the resident's acceleration",
    "resident_turn_deg_s": "the resident's turning speed",
    "intruder_turn_deg_s": "the intruder's turning speed",
    "resident_head_turn_deg_s": "the turning speed of the resident's head",
    "approach_speed_px_s": "the speed at which the mice approach each other",
    "nose_approach_speed_px_s": "the speed at which the resident's nose approaches the intruder",
    "resident_forward_speed_px_s": "the resident's forward speed",
}
# Name suffix, unit in pixels, unit in cm, whether px_per_cm rescales it.
_UNITS: tuple[tuple[str, str, str, bool], ...] = (
    ("_px_s2", "px/s²", "cm/s²", True),
    ("_px_s", "px/s", "cm/s", True),
    ("_px", "px", "cm", True),
    ("_deg_s", "°/s", "°/s", False),
    ("_body_lengths", "body lengths", "body lengths", False),
)


def feature_phrase(name: str) -> str:
    """What a base pose feature measures, in words.

    Parameters
    ----------
    name : str
        A column name of :func:`ethostyle.features.pose_features`.

    Returns
    -------
    str
        A noun phrase ("the resident's speed"); an unknown name with its
        underscores as spaces.

    Examples
    --------
    >>> feature_phrase("resident_speed_px_s")
    "the resident's speed"
    """
    if name in _SUBJECTS:
        return _SUBJECTS[name]
    m = re.fullmatch(r"r_(\w+?)-i_(\w+)_px", name)
    if m and m.group(1) in _PART_NAMES and m.group(2) in _PART_NAMES:
        return (
            f"the distance from the resident's {_PART_NAMES[m.group(1)]} to the intruder's "
            f"{_PART_NAMES[m.group(2)]}"
        )
    m = re.fullmatch(r"i_(\w+)_(abs_y|x)_ego_px", name)
    if m and m.group(1) in _PART_NAMES:
        where = "ahead of the resident's neck" if m.group(2) == "x" else "to the side of "
        where += "" if m.group(2) == "x" else "the resident's body axis"
        return f"how far the intruder's {_PART_NAMES[m.group(1)]} is {where}"
    return name.replace("_", " ")


def comparison_phrase(name: str, *, below: bool, value: float, px_per_cm: float | None) -> str:
    """A feature compared with a value, in its units (angles in degrees, px or cm).

    Parameters
    ----------
    name : str
        A base pose feature name.
    below : bool
        True for "below ``value``", False for "at least ``value``".
    value : float
        The threshold in the feature's own units (px, px/s, cosine, ...).
    px_per_cm : float, optional
        Pixels per centimetre; distances and speeds are then given in cm.

    Returns
    -------
    str
        A clause ("the resident's speed is at least 12.0 px/s").

    Examples
    --------
    >>> print(comparison_phrase("facing_cos", below=False, value=0.5, px_per_cm=None))
    the angle between the resident's head and the direction to the intruder is at most 60°
    """
    subject = feature_phrase(name)
    if name.endswith("_cos"):
        # cos below v <=> angle above arccos(v): state the angle.
        angle = math.degrees(math.acos(min(1.0, max(-1.0, value))))
        return f"{subject} is {'above' if below else 'at most'} {angle:.0f}°"
    relation = "below" if below else "at least"
    for suffix, px_unit, cm_unit, scales in _UNITS:
        if name.endswith(suffix):
            if scales and px_per_cm is not None:
                return f"{subject} is {relation} {value / px_per_cm:.1f} {cm_unit}"
            return f"{subject} is {relation} {value:.1f} {px_unit}"
    return f"{subject} is {relation} {value:.2f}"
