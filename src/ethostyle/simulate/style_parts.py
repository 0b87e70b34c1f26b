"""The parts an annotator style is built from: per-behaviour numbers and rules."""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import numpy as np

from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.errors import EthostyleError

__all__ = [
    "FEATURE_RULE_KINDS",
    "MERGE_GAP_FRAMES",
    "MIN_BOUT_FRAMES",
    "NO_SHIFT",
    "OPS",
    "FeatureRule",
    "FeatureTest",
    "PerBehavior",
    "RelabelShort",
    "checked_feature_rule",
    "checked_relabel",
    "pose_feature_names",
]


class PerBehavior(NamedTuple):
    """One integer per scored behaviour, in :data:`ethostyle.data.BEHAVIORS` order.

    Examples
    --------
    >>> PerBehavior(attack=-6).attack, PerBehavior(attack=-6).mount
    (-6, 0)
    """

    attack: int = 0
    investigation: int = 0
    mount: int = 0


class RelabelShort(NamedTuple):
    """Bouts of ``behavior`` shorter than ``frames`` are labelled ``to_behavior`` instead.

    Applied to the behaviour's bouts as the annotator finally draws them (after
    shifts, merging and the minimum bout length). ``to_behavior`` is another
    behaviour or ``"other"``; relabelling to ``"other"`` drops the bouts, the
    same as a longer minimum bout.

    Examples
    --------
    >>> RelabelShort("mount", 60, "investigation")  # mounts under 2 s are investigation
    RelabelShort(behavior='mount', frames=60, to_behavior='investigation')
    """

    behavior: str
    frames: int
    to_behavior: str


class FeatureTest(NamedTuple):
    """One condition on a per-frame pose feature: ``feature op value``.

    ``feature`` is a column name of :func:`ethostyle.features.pose_features`
    (e.g. ``"r_nose-i_tail_base_px"``, the resident's nose to the intruder's tail
    base); ``op`` is ``"<"`` or ``">"``.

    Examples
    --------
    >>> FeatureTest("r_nose-i_tail_base_px", ">", 30.0).op
    '>'
    """

    feature: str
    op: str
    value: float


class FeatureRule(NamedTuple):
    """A sub-type of a behaviour defined by pose features, left out or let in.

    ``kind`` ``"exclude_when"``: the behaviour is not labelled on frames where
    every test of ``rule`` holds; ``"include_when"``: it is also labelled there.
    The features are those of :func:`ethostyle.features.pose_features` computed
    on the true keypoints (what the annotator sees), frame by frame.

    Examples
    --------
    >>> anogenital_only = FeatureRule(
    ...     "exclude_when", "investigation", (FeatureTest("r_nose-i_tail_base_px", ">", 30.0),)
    ... )
    >>> anogenital_only.rule[0].value
    30.0
    """

    kind: str
    behavior: str
    rule: tuple[FeatureTest, ...]


#: The kinds of :class:`FeatureRule`.
FEATURE_RULE_KINDS = ("exclude_when", "include_when")
#: The comparisons of :class:`FeatureTest`.
OPS = ("<", ">")


@cache
def pose_feature_names() -> tuple[str, ...]:
    """The column names of :func:`ethostyle.features.pose_features`, which rules may test."""
    from ethostyle.features import pose_features  # features are needed only for these rules

    return tuple(pose_features(np.zeros((3, 2, 2, 7), np.float32))[1])


# Defaults of AnnotatorStyle, named so the dataclass does not call PerBehavior in
# its field defaults (a NamedTuple is immutable, so sharing one instance is safe).
NO_SHIFT = PerBehavior()
MIN_BOUT_FRAMES = PerBehavior(attack=4, investigation=6, mount=15)
MERGE_GAP_FRAMES = PerBehavior(attack=5, investigation=6, mount=10)


def checked_relabel(style: str, value: Any) -> RelabelShort:
    """One ``relabel_short`` entry of style ``style`` in its named form, or a message that
    says what to fix."""
    try:
        rule = RelabelShort(**value) if isinstance(value, dict) else RelabelShort(*value)
        rule = rule._replace(frames=int(rule.frames))
    except (TypeError, ValueError):
        raise EthostyleError(
            f"AnnotatorStyle {style!r}: relabel_short entry {value!r}; give "
            "RelabelShort(behavior, frames, to_behavior), e.g. "
            "RelabelShort('mount', 60, 'investigation')"
        ) from None
    if rule.behavior not in BEHAVIORS or rule.to_behavior not in VOCABULARY:
        raise EthostyleError(
            f"AnnotatorStyle {style!r}: relabel_short {tuple(rule)!r}; behavior must be "
            f"one of {', '.join(BEHAVIORS)} and to_behavior one of {', '.join(VOCABULARY)}"
        )
    if rule.to_behavior == rule.behavior or rule.frames < 1:
        raise EthostyleError(
            f"AnnotatorStyle {style!r}: relabel_short {tuple(rule)!r}; relabel to "
            "another behaviour, bouts shorter than at least 1 frame"
        )
    return rule


def checked_feature_rule(style: str, value: Any) -> FeatureRule:
    """One ``feature_rules`` entry of style ``style`` in its named form, or a message that
    says what to fix."""
    try:
        rule = FeatureRule(**value) if isinstance(value, dict) else FeatureRule(*value)
        tests = [rule.rule] if isinstance(rule.rule[0], str) else list(rule.rule)
        tests = tuple(FeatureTest(**t) if isinstance(t, dict) else FeatureTest(*t) for t in tests)
        tests = tuple(t._replace(value=float(t.value)) for t in tests)
    except (TypeError, ValueError, IndexError):
        raise EthostyleError(
            f"AnnotatorStyle {style!r}: feature_rules entry {value!r}; give "
            "FeatureRule(kind, behavior, (FeatureTest(feature, op, value), ...)), e.g. "
            "FeatureRule('exclude_when', 'investigation', "
            "(FeatureTest('r_nose-i_tail_base_px', '>', 30.0),))"
        ) from None
    problem = ""
    if rule.kind not in FEATURE_RULE_KINDS:
        problem = f"kind {rule.kind!r}: choose {' or '.join(FEATURE_RULE_KINDS)}"
    elif rule.behavior not in BEHAVIORS:
        problem = f"behavior {rule.behavior!r}: choose one of {', '.join(BEHAVIORS)}"
    elif not tests:
        problem = "give at least one FeatureTest"
    for t in tests:
        if t.op not in OPS:
            problem = problem or f"op {t.op!r}: choose '<' or '>'"
        elif t.feature not in pose_feature_names():
            problem = problem or (
                f"unknown feature {t.feature!r}; use a column name of "
                "ethostyle.features.pose_features, e.g. 'r_nose-i_tail_base_px'"
            )
        elif not np.isfinite(t.value):
            problem = problem or f"value of {t.feature!r} must be a finite number"
    if problem:
        raise EthostyleError(f"AnnotatorStyle {style!r}: feature rule {problem}")
    return rule._replace(rule=tests)
