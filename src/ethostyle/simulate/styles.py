"""Annotator styles: explicit rules that turn the hidden truth of a video into frame labels.

Each annotator is an :class:`AnnotatorStyle`. Labelling a video
(:func:`label_with_style`) takes, per behaviour, the frames the style's
definition accepts (e.g. hidden investigation with the nose within ``d`` px of
the intruder), drops whole bouts at the lapse rate, moves each bout's onset and
offset by the style's shifts (plus a little random jitter), merges bouts
separated by short gaps, drops bouts that are too short, relabels bouts by their
duration (:class:`RelabelShort`), leaves out or lets in the frames where a rule
over named pose features holds (:class:`FeatureRule`), resolves overlaps by the
style's priority and finally flips a few frames at random. Everything runs on
bout tables and per-frame masks with numpy: no loop over frames.

:meth:`AnnotatorStyle.rules` states how a style differs from the reference as
plain records (``{"kind": "onset_shift", "behavior": "attack", "frames": -24}``),
whose kinds are those of the style-program edits of :mod:`ethostyle.models`.

:data:`STYLES` holds annotator 0 (the reference) and annotators 1-5, each
different from annotator 0 in the documented ways of its ``description``.

Examples
--------
>>> from ethostyle.simulate.behaviour import simulate_world
>>> world = simulate_world(600, seed=0)
>>> labels = label_with_style(world, STYLES[0], seed=0)
>>> labels.shape, labels.dtype
((600,), dtype('int8'))
>>> strict = STYLES[0].replace(name="strict", investigation_max_distance_px=10.0)
>>> bool((label_with_style(world, strict) == 1).sum() <= (labels == 1).sum() + 10)
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from ethostyle.data import BEHAVIORS, OTHER, VOCABULARY
from ethostyle.errors import EthostyleError
from ethostyle.simulate.behaviour import Hidden, Subtype, WorldSequence

__all__ = [
    "STYLES",
    "AnnotatorStyle",
    "FeatureRule",
    "FeatureTest",
    "PerBehavior",
    "RelabelShort",
    "feature_rule_mask",
    "label_with_style",
]

_SUBTYPES = {"face": Subtype.FACE, "body": Subtype.BODY, "anogenital": Subtype.ANOGENITAL}


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


_FEATURE_RULE_KINDS = ("exclude_when", "include_when")
_OPS = ("<", ">")


@cache
def _pose_feature_names() -> tuple[str, ...]:
    from ethostyle.features import pose_features  # features are needed only for these rules

    return tuple(pose_features(np.zeros((3, 2, 2, 7), np.float32))[1])


# Defaults of AnnotatorStyle, named so the dataclass does not call PerBehavior in
# its field defaults (a NamedTuple is immutable, so sharing one instance is safe).
_NO_SHIFT = PerBehavior()
_MIN_BOUT_FRAMES = PerBehavior(attack=4, investigation=6, mount=15)
_MERGE_GAP_FRAMES = PerBehavior(attack=5, investigation=6, mount=10)


@dataclass(frozen=True, slots=True)
class AnnotatorStyle:
    """How one annotator turns what happens in a video into labels.

    Parameters
    ----------
    name : str
        Short name of the style.
    description : str
        One sentence: how this style differs from annotator 0's.
    onset_shift_frames : PerBehavior
        Frames added to every bout's first frame, per behaviour (negative: the
        annotator starts the label earlier than the behaviour).
    offset_shift_frames : PerBehavior
        Frames added to every bout's end, per behaviour (positive: ends later).
    boundary_jitter_frames : float
        Standard deviation (frames) of the random, per-bout error of each onset
        and offset around the shifted boundary.
    investigation_max_distance_px : float
        Investigation is labelled only while the resident's nose is within this
        distance (px) of the nearest intruder keypoint.
    investigation_includes_approach : bool
        Also label as investigation the end of the approach that leads to it,
        once the nose is within ``investigation_max_distance_px``.
    investigation_subtypes : tuple of str
        Which kinds of sniffing count as investigation: any of ``"face"``,
        ``"body"``, ``"anogenital"``.
    attack_includes_chase : bool
        Label the chase that leads to an attack as attack.
    mount_includes_attempts : bool
        Label attempted mounts (climbing without thrusting) as mount.
    min_bout_frames : PerBehavior
        Bouts shorter than this (frames) are not labelled, per behaviour.
    merge_gap_frames : PerBehavior
        Two bouts of a behaviour separated by fewer frames than this are
        labelled as one, per behaviour.
    priority : tuple of str
        The behaviours in :data:`ethostyle.data.BEHAVIORS`, highest priority
        first: where two behaviours' bouts overlap after shifting and merging,
        the first one wins.
    lapse_probability : float
        Chance of missing a whole bout (per bout, each behaviour).
    label_noise_probability : float
        Chance that a frame gets a random label (a slip of the hand).
    relabel_short : tuple of RelabelShort
        Duration-dependent relabelling, applied in order after merging and the
        minimum bout length: each rule's bouts of ``behavior`` shorter than
        ``frames`` become ``to_behavior`` (e.g. mounts under 2 s labelled
        investigation).
    feature_rules : tuple of FeatureRule
        Sub-types defined by pose features, applied frame by frame after
        ``relabel_short`` and before the priority: ``exclude_when`` removes the
        behaviour where its tests all hold, ``include_when`` adds it there.

    Examples
    --------
    >>> mine = AnnotatorStyle(
    ...     name="late-mounts",
    ...     description="Starts mounts 15 frames (0.5 s) later than annotator 0.",
    ...     onset_shift_frames=PerBehavior(mount=15),
    ... )
    >>> mine.onset_shift_frames.mount
    15
    >>> mine.rules()
    [{'kind': 'onset_shift', 'behavior': 'mount', 'frames': 15}]
    """

    name: str
    description: str
    onset_shift_frames: PerBehavior = _NO_SHIFT
    offset_shift_frames: PerBehavior = _NO_SHIFT
    boundary_jitter_frames: float = 1.5
    investigation_max_distance_px: float = 30.0
    investigation_includes_approach: bool = False
    investigation_subtypes: tuple[str, ...] = ("face", "body", "anogenital")
    attack_includes_chase: bool = False
    mount_includes_attempts: bool = False
    min_bout_frames: PerBehavior = _MIN_BOUT_FRAMES
    merge_gap_frames: PerBehavior = _MERGE_GAP_FRAMES
    priority: tuple[str, ...] = ("attack", "mount", "investigation")
    lapse_probability: float = 0.02
    label_noise_probability: float = 0.0
    relabel_short: tuple[RelabelShort, ...] = ()
    feature_rules: tuple[FeatureRule, ...] = ()

    def __post_init__(self) -> None:
        # Accept plain tuples/lists from users; store the named form.
        for name in (
            "onset_shift_frames",
            "offset_shift_frames",
            "min_bout_frames",
            "merge_gap_frames",
        ):
            value = getattr(self, name)
            try:
                numbers = [int(v) for v in value]
                if len(numbers) != len(BEHAVIORS):  # a short tuple would silently pad with 0
                    raise ValueError
                value = PerBehavior(*numbers)
            except (TypeError, ValueError):
                raise EthostyleError(
                    f"AnnotatorStyle {self.name!r}: {name} = {value!r}; give three whole "
                    "numbers of frames (attack, investigation, mount), e.g. PerBehavior(attack=-6)"
                ) from None
            object.__setattr__(self, name, value)
        object.__setattr__(self, "priority", tuple(self.priority))
        object.__setattr__(self, "investigation_subtypes", tuple(self.investigation_subtypes))
        if sorted(self.priority) != sorted(BEHAVIORS):
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: priority = {self.priority!r}; list each of "
                f"{', '.join(BEHAVIORS)} exactly once, highest priority first"
            )
        unknown = set(self.investigation_subtypes) - set(_SUBTYPES)
        if unknown:
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: unknown investigation sub-types {sorted(unknown)}; "
                f"choose from {', '.join(_SUBTYPES)}"
            )
        if min(self.min_bout_frames) < 1 or min(self.merge_gap_frames) < 0:
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: min_bout_frames must be >= 1 and "
                "merge_gap_frames >= 0"
            )
        if not self.investigation_max_distance_px > 0:
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: investigation_max_distance_px must be > 0 px"
            )
        if self.boundary_jitter_frames < 0:
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: boundary_jitter_frames must be >= 0"
            )
        for name in ("lapse_probability", "label_noise_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise EthostyleError(
                    f"AnnotatorStyle {self.name!r}: {name} = {getattr(self, name)}; "
                    "give a probability in [0, 1]"
                )
        object.__setattr__(
            self, "relabel_short", tuple(self._checked_relabel(r) for r in self.relabel_short)
        )
        object.__setattr__(
            self, "feature_rules", tuple(self._checked_feature_rule(r) for r in self.feature_rules)
        )

    def _checked_relabel(self, value: Any) -> RelabelShort:
        """One ``relabel_short`` entry in its named form, or a message that says what to fix."""
        try:
            rule = RelabelShort(**value) if isinstance(value, dict) else RelabelShort(*value)
            rule = rule._replace(frames=int(rule.frames))
        except (TypeError, ValueError):
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: relabel_short entry {value!r}; give "
                "RelabelShort(behavior, frames, to_behavior), e.g. "
                "RelabelShort('mount', 60, 'investigation')"
            ) from None
        if rule.behavior not in BEHAVIORS or rule.to_behavior not in VOCABULARY:
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: relabel_short {tuple(rule)!r}; behavior must be "
                f"one of {', '.join(BEHAVIORS)} and to_behavior one of {', '.join(VOCABULARY)}"
            )
        if rule.to_behavior == rule.behavior or rule.frames < 1:
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: relabel_short {tuple(rule)!r}; relabel to "
                "another behaviour, bouts shorter than at least 1 frame"
            )
        return rule

    def _checked_feature_rule(self, value: Any) -> FeatureRule:
        """One ``feature_rules`` entry in its named form, or a message that says what to fix."""
        try:
            rule = FeatureRule(**value) if isinstance(value, dict) else FeatureRule(*value)
            tests = [rule.rule] if isinstance(rule.rule[0], str) else list(rule.rule)
            tests = tuple(
                FeatureTest(**t) if isinstance(t, dict) else FeatureTest(*t) for t in tests
            )
            tests = tuple(t._replace(value=float(t.value)) for t in tests)
        except (TypeError, ValueError, IndexError):
            raise EthostyleError(
                f"AnnotatorStyle {self.name!r}: feature_rules entry {value!r}; give "
                "FeatureRule(kind, behavior, (FeatureTest(feature, op, value), ...)), e.g. "
                "FeatureRule('exclude_when', 'investigation', "
                "(FeatureTest('r_nose-i_tail_base_px', '>', 30.0),))"
            ) from None
        problem = ""
        if rule.kind not in _FEATURE_RULE_KINDS:
            problem = f"kind {rule.kind!r}: choose {' or '.join(_FEATURE_RULE_KINDS)}"
        elif rule.behavior not in BEHAVIORS:
            problem = f"behavior {rule.behavior!r}: choose one of {', '.join(BEHAVIORS)}"
        elif not tests:
            problem = "give at least one FeatureTest"
        for t in tests:
            if t.op not in _OPS:
                problem = problem or f"op {t.op!r}: choose '<' or '>'"
            elif t.feature not in _pose_feature_names():
                problem = problem or (
                    f"unknown feature {t.feature!r}; use a column name of "
                    "ethostyle.features.pose_features, e.g. 'r_nose-i_tail_base_px'"
                )
            elif not np.isfinite(t.value):
                problem = problem or f"value of {t.feature!r} must be a finite number"
        if problem:
            raise EthostyleError(f"AnnotatorStyle {self.name!r}: feature rule {problem}")
        return rule._replace(rule=tests)

    def rules(self, reference: AnnotatorStyle | None = None) -> list[dict[str, Any]]:
        """How this style differs from ``reference``, as plain, machine-readable records.

        One record per difference; an annotator who labels like the reference gets
        ``[]``. Each record has ``kind`` (the style-program edit it corresponds to:
        ``onset_shift``, ``offset_shift``, ``merge_gap``, ``min_bout``,
        ``relabel_short``, ``exclude_when``, ``include_when``, ``priority``, or
        ``noise`` for lapses, jitter and slips, which no edit learns) and
        ``behavior``, and:

        - ``onset_shift``, ``offset_shift``: ``frames``, this style's shift minus
          the reference's (negative = earlier);
        - ``merge_gap``: ``frames``, this style's own gap (bouts less than
          ``frames`` apart are joined);
        - ``min_bout``: ``frames``, this style's shortest bout (a
          :class:`RelabelShort` to ``"other"`` counts as one);
        - ``relabel_short``: ``frames`` (bouts shorter are relabelled) and
          ``to_behavior``;
        - ``exclude_when``, ``include_when``: ``rule``, a list of
          ``{"feature", "op", "value"}`` over
          :func:`ethostyle.features.pose_features` columns, that all hold where
          the behaviour is left out or let in, and, when the rule has one test,
          the same ``feature``, ``op`` and ``value`` at the top level. A
          difference of definition over the hidden truth carries ``hidden`` (the
          hidden state or sub-type it lets in or leaves out) and, where a pose
          feature states it only approximately, that feature's test in ``rule``
          (else ``rule`` is empty);
        - ``priority``: ``over``, the behaviour that ``behavior`` now wins over
          where both are labelled;
        - ``noise``: ``field`` and ``value`` (``behavior`` is ``None``).

        Parameters
        ----------
        reference : AnnotatorStyle, optional
            The style to compare with; the defaults of :class:`AnnotatorStyle`
            (annotator 0 of :data:`STYLES`) when omitted.

        Returns
        -------
        list of dict
            The records, in a fixed order: shifts, gaps, minimum bouts,
            relabelling, definitions, feature rules, priority, noise.

        Examples
        --------
        >>> STYLES[1].rules()[:2]
        [{'kind': 'onset_shift', 'behavior': 'attack', 'frames': -10}, \
{'kind': 'offset_shift', 'behavior': 'attack', 'frames': 6}]
        >>> STYLES[0].rules()
        []
        """
        ref = reference if reference is not None else _REFERENCE
        out: list[dict[str, Any]] = []
        for field, kind in (
            ("onset_shift_frames", "onset_shift"),
            ("offset_shift_frames", "offset_shift"),
        ):
            for b, mine, theirs in zip(
                BEHAVIORS, getattr(self, field), getattr(ref, field), strict=True
            ):
                if mine != theirs:
                    out.append({"kind": kind, "behavior": b, "frames": int(mine - theirs)})
        for b, mine, theirs in zip(
            BEHAVIORS, self.merge_gap_frames, ref.merge_gap_frames, strict=True
        ):
            if mine != theirs:
                out.append({"kind": "merge_gap", "behavior": b, "frames": int(mine)})
        mine_min, ref_min = self._shortest_bouts(), ref._shortest_bouts()
        for b in BEHAVIORS:
            if mine_min[b] != ref_min[b]:
                out.append({"kind": "min_bout", "behavior": b, "frames": mine_min[b]})
        theirs_relabel = set(ref.relabel_short)
        for r in self.relabel_short:
            if r.to_behavior != "other" and r not in theirs_relabel:
                out.append(
                    {
                        "kind": "relabel_short",
                        "behavior": r.behavior,
                        "frames": r.frames,
                        "to_behavior": r.to_behavior,
                    }
                )
        out.extend(_definition_differences(self, ref))
        theirs_rules = set(ref.feature_rules)
        for fr in self.feature_rules:
            if fr not in theirs_rules:
                out.append(_feature_record(fr.kind, fr.behavior, fr.rule))
        for i, winner in enumerate(self.priority):
            for loser in self.priority[i + 1 :]:
                if ref.priority.index(loser) < ref.priority.index(winner):
                    out.append({"kind": "priority", "behavior": winner, "over": loser})
        for field in ("boundary_jitter_frames", "lapse_probability", "label_noise_probability"):
            if getattr(self, field) != getattr(ref, field):
                out.append(
                    {
                        "kind": "noise",
                        "behavior": None,
                        "field": field,
                        "value": getattr(self, field),
                    }
                )
        return out

    def _shortest_bouts(self) -> dict[str, int]:
        """Per behaviour, the shortest bout kept: ``min_bout_frames`` or a relabel to other."""
        shortest = dict(zip(BEHAVIORS, (int(v) for v in self.min_bout_frames), strict=True))
        for r in self.relabel_short:
            if r.to_behavior == "other":
                shortest[r.behavior] = max(shortest[r.behavior], r.frames)
        return shortest

    def replace(self, **changes: Any) -> AnnotatorStyle:
        """A copy of this style with some parameters changed (see :func:`dataclasses.replace`)."""
        return replace(self, **changes)


_REFERENCE = AnnotatorStyle(
    name="reference",
    description="The reference style that the other annotators are compared with.",
)


def _feature_record(
    kind: str, behavior: str, tests: tuple[FeatureTest, ...], **extra: Any
) -> dict[str, Any]:
    """A condition record of :meth:`AnnotatorStyle.rules`."""
    record: dict[str, Any] = {
        "kind": kind,
        "behavior": behavior,
        "rule": [{"feature": t.feature, "op": t.op, "value": float(t.value)} for t in tests],
    }
    if len(tests) == 1:
        record.update(record["rule"][0])
    record.update(extra)
    return record


def _definition_differences(style: AnnotatorStyle, ref: AnnotatorStyle) -> list[dict[str, Any]]:
    """Records of how ``style`` defines the behaviours over the hidden truth unlike ``ref``."""
    out: list[dict[str, Any]] = []
    distance = style.investigation_max_distance_px
    if distance != ref.investigation_max_distance_px:
        kind, op = (
            ("exclude_when", ">")
            if distance < ref.investigation_max_distance_px
            else ("include_when", "<")
        )
        test = FeatureTest("nose_to_intruder_min_px", op, float(distance))
        out.append(_feature_record(kind, "investigation", (test,), hidden="investigation"))
    flags = (
        ("investigation_includes_approach", "investigation", "approach"),
        ("attack_includes_chase", "attack", "chase"),
        ("mount_includes_attempts", "mount", "attempted mount"),
    )
    for field, behavior, hidden in flags:
        if getattr(style, field) != getattr(ref, field):
            kind = "include_when" if getattr(style, field) else "exclude_when"
            out.append(_feature_record(kind, behavior, (), hidden=hidden))
    for sub in _SUBTYPES:
        mine, theirs = sub in style.investigation_subtypes, sub in ref.investigation_subtypes
        if mine != theirs:
            kind = "include_when" if mine else "exclude_when"
            out.append(_feature_record(kind, "investigation", (), hidden=f"{sub} investigation"))
    return out


#: The built-in annotators: 0 is the reference, 1-5 each differ from it as described.
STYLES: dict[int, AnnotatorStyle] = {
    0: _REFERENCE,
    1: _REFERENCE.replace(
        name="early-attack",
        description=(
            "Starts attacks 10 frames (0.33 s) earlier, ends them 6 frames (0.2 s) later and "
            "also labels the chase that leads to an attack as attack."
        ),
        onset_shift_frames=PerBehavior(attack=-10),
        offset_shift_frames=PerBehavior(attack=6),
        attack_includes_chase=True,
    ),
    2: _REFERENCE.replace(
        name="strict-investigation",
        description=(
            "Labels investigation only while the nose is within 15 px of the intruder "
            "(annotator 0: 30 px), starts it 6 frames (0.2 s) later and ignores investigation "
            "bouts shorter than 20 frames (0.67 s)."
        ),
        investigation_max_distance_px=15.0,
        onset_shift_frames=PerBehavior(investigation=6),
        min_bout_frames=PerBehavior(attack=4, investigation=20, mount=15),
    ),
    3: _REFERENCE.replace(
        name="loose-investigation",
        description=(
            "Labels investigation whenever the nose is within 60 px (annotator 0: 30 px), "
            "including the end of the approach, and merges investigation bouts less than "
            "30 frames (1 s) apart."
        ),
        investigation_max_distance_px=60.0,
        investigation_includes_approach=True,
        merge_gap_frames=PerBehavior(attack=5, investigation=30, mount=10),
    ),
    4: _REFERENCE.replace(
        name="eager-mount",
        description=(
            "Counts attempted mounts as mount and starts mounts 15 frames (0.5 s) earlier, "
            "and ends attacks 10 frames (0.33 s) later."
        ),
        mount_includes_attempts=True,
        onset_shift_frames=PerBehavior(mount=-15),
        offset_shift_frames=PerBehavior(attack=10),
    ),
    5: _REFERENCE.replace(
        name="no-face-sniffing",
        description=(
            "Does not count face-to-face sniffing as investigation, and ends investigation "
            "15 frames (0.5 s) later, even into a following attack (investigation wins over "
            "attack where they overlap)."
        ),
        investigation_subtypes=("body", "anogenital"),
        offset_shift_frames=PerBehavior(investigation=15),
        priority=("investigation", "mount", "attack"),
    ),
}


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and (exclusive) stop frames of the runs of True in ``mask``."""
    edges = np.diff(mask.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _render(starts: np.ndarray, stops: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask that is True inside the (possibly overlapping) runs; a difference array."""
    starts = np.clip(starts, 0, n)
    stops = np.clip(stops, 0, n)
    keep = stops > starts
    diff = np.zeros(n + 1, np.int32)
    np.add.at(diff, starts[keep], 1)
    np.add.at(diff, stops[keep], -1)
    return np.cumsum(diff[:-1]) > 0


def _merge_and_prune(mask: np.ndarray, gap: int, min_len: int) -> np.ndarray:
    """Join runs less than ``gap`` frames apart, then drop runs shorter than ``min_len``.

    Done on the run table rather than with morphological closing so that runs
    touching the ends of the video are treated exactly like the others.
    """
    starts, stops = _runs(mask)
    if starts.size == 0:
        return mask
    opens = np.r_[True, starts[1:] - stops[:-1] >= gap]
    starts, stops = starts[opens], stops[np.r_[opens[1:], True]]
    long_enough = stops - starts >= min_len
    return _render(starts[long_enough], stops[long_enough], mask.shape[0])


def _relabel_short(masks: dict[str, np.ndarray], rule: RelabelShort) -> None:
    """Move the bouts of ``rule.behavior`` shorter than ``rule.frames`` to ``rule.to_behavior``."""
    starts, stops = _runs(masks[rule.behavior])
    short = stops - starts < rule.frames
    moved = _render(starts[short], stops[short], masks[rule.behavior].shape[0])
    masks[rule.behavior] = masks[rule.behavior] & ~moved
    if rule.to_behavior != "other":
        masks[rule.to_behavior] = masks[rule.to_behavior] | moved


def feature_rule_mask(world: WorldSequence, tests: tuple[FeatureTest, ...]) -> np.ndarray:
    """Frames of ``world`` where every test holds, on the pose features of its true keypoints.

    Parameters
    ----------
    world : WorldSequence
        A simulated video.
    tests : tuple of FeatureTest
        Conditions over :func:`ethostyle.features.pose_features` columns.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` bool.

    Examples
    --------
    >>> from ethostyle.simulate.behaviour import simulate_world
    >>> world = simulate_world(300, seed=0)
    >>> near = feature_rule_mask(world, (FeatureTest("r_nose-i_tail_base_px", "<", 1e9),))
    >>> bool(near.all())
    True
    """
    from ethostyle.features import pose_features

    values, names = pose_features(world.clean_keypoints)
    return _holds(values, names, tests)


def _holds(values: np.ndarray, names: list[str], tests: tuple[FeatureTest, ...]) -> np.ndarray:
    where = np.ones(values.shape[0], bool)
    for t in tests:
        column = values[:, names.index(t.feature)]
        where &= column > t.value if t.op == ">" else column < t.value
    return where


def _apply_feature_rules(
    masks: dict[str, np.ndarray], world: WorldSequence, rules: tuple[FeatureRule, ...]
) -> None:
    """Leave out or let in each rule's behaviour on the frames where its tests hold."""
    from ethostyle.features import pose_features

    values, names = pose_features(world.clean_keypoints)  # once for all the rules
    for rule in rules:
        where = _holds(values, names, rule.rule)
        if rule.kind == "exclude_when":
            masks[rule.behavior] = masks[rule.behavior] & ~where
        else:
            masks[rule.behavior] = masks[rule.behavior] | where


def _definition(world: WorldSequence, style: AnnotatorStyle) -> dict[str, np.ndarray]:
    """Per behaviour, the frames this style would label if it made no timing errors."""
    state = world.state
    allowed = np.isin(world.subtype, [_SUBTYPES[s] for s in style.investigation_subtypes])
    close = world.nose_to_intruder_px < style.investigation_max_distance_px
    sniffing = state == Hidden.INVESTIGATION
    if style.investigation_includes_approach:
        sniffing = sniffing | (state == Hidden.APPROACH)
    attack = state == Hidden.ATTACK
    if style.attack_includes_chase:
        attack = attack | (state == Hidden.CHASE)
    mount = state == Hidden.MOUNT
    if style.mount_includes_attempts:
        mount = mount | (state == Hidden.ATTEMPTED_MOUNT)
    return {"attack": attack, "investigation": sniffing & allowed & close, "mount": mount}


def label_with_style(
    world: WorldSequence,
    style: AnnotatorStyle,
    seed: int | np.random.SeedSequence | np.random.Generator = 0,
) -> np.ndarray:
    """Label a simulated video the way an annotator with ``style`` would.

    Parameters
    ----------
    world : WorldSequence
        A simulated video with its hidden truth (see
        :func:`ethostyle.simulate.simulate_world`).
    style : AnnotatorStyle
        The annotator's rules.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Randomness of lapses, boundary jitter and label noise.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int8 labels, indices into :data:`ethostyle.data.VOCABULARY`.

    Examples
    --------
    >>> from ethostyle.simulate.behaviour import simulate_world
    >>> world = simulate_world(300, seed=2)
    >>> mine = STYLES[0].replace(name="mine", description="Never misses a bout.",
    ...                          lapse_probability=0.0)
    >>> label_with_style(world, mine, seed=1).shape
    (300,)
    """
    rng = np.random.default_rng(seed)
    n = world.n_frames
    masks: dict[str, np.ndarray] = {}
    for i, (behaviour, wanted) in enumerate(_definition(world, style).items()):
        starts, stops = _runs(wanted)
        kept = rng.random(starts.shape[0]) >= style.lapse_probability
        starts, stops = starts[kept], stops[kept]
        jitter = rng.normal(0.0, style.boundary_jitter_frames, size=(2, starts.shape[0]))
        starts = starts + style.onset_shift_frames[i] + np.rint(jitter[0]).astype(int)
        stops = stops + style.offset_shift_frames[i] + np.rint(jitter[1]).astype(int)
        mask = _render(starts, stops, n)
        masks[behaviour] = _merge_and_prune(
            mask, style.merge_gap_frames[i], style.min_bout_frames[i]
        )
    # The rules below draw no random numbers, so a style that adds them to another
    # keeps every lapse and jitter of that style (and old styles stay bit-identical).
    for rule in style.relabel_short:
        _relabel_short(masks, rule)
    if style.feature_rules:
        _apply_feature_rules(masks, world, style.feature_rules)
    labels = np.full(n, OTHER, np.int8)
    for behaviour in reversed(style.priority):  # the highest priority is written last
        labels[masks[behaviour]] = VOCABULARY.index(behaviour)
    slips = rng.random(n) < style.label_noise_probability
    labels[slips] = rng.integers(0, len(VOCABULARY), size=int(slips.sum()))
    return labels
