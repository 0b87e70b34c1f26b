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
from typing import Any

import numpy as np

from ethostyle.data import BEHAVIORS, OTHER, VOCABULARY
from ethostyle.errors import EthostyleError
from ethostyle.simulate.behaviour import Hidden, Subtype, WorldSequence
from ethostyle.simulate.masks import (
    apply_feature_rules,
    feature_rule_mask,
    merge_and_prune,
    relabel_short_bouts,
    render,
    runs,
)
from ethostyle.simulate.style_parts import (
    MERGE_GAP_FRAMES,
    MIN_BOUT_FRAMES,
    NO_SHIFT,
    FeatureRule,
    FeatureTest,
    PerBehavior,
    RelabelShort,
    checked_feature_rule,
    checked_relabel,
)
from ethostyle.simulate.sub_behaviours import (
    checked_sub_labels,
    sub_behaviour_masks,
    sub_behaviour_records,
)

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
    sub_behaviour_labels : tuple of (str, str)
        How this annotator labels the sub-behaviours of
        :mod:`ethostyle.simulate.sub_behaviours` (``"rear"``, ``"follow"``,
        ``"allogroom"``, ``"upright"``), as ``(sub-behaviour, label)`` pairs or a
        mapping, e.g. ``{"rear": "investigation"}``; the others are labelled as the
        reference does (:data:`~ethostyle.simulate.sub_behaviours.REFERENCE_SUB_LABELS`).
        Every frame of the sub-behaviour gets the label (before lapses and shifts),
        whatever its distance.

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
    onset_shift_frames: PerBehavior = NO_SHIFT
    offset_shift_frames: PerBehavior = NO_SHIFT
    boundary_jitter_frames: float = 1.5
    investigation_max_distance_px: float = 30.0
    investigation_includes_approach: bool = False
    investigation_subtypes: tuple[str, ...] = ("face", "body", "anogenital")
    attack_includes_chase: bool = False
    mount_includes_attempts: bool = False
    min_bout_frames: PerBehavior = MIN_BOUT_FRAMES
    merge_gap_frames: PerBehavior = MERGE_GAP_FRAMES
    priority: tuple[str, ...] = ("attack", "mount", "investigation")
    lapse_probability: float = 0.02
    label_noise_probability: float = 0.0
    relabel_short: tuple[RelabelShort, ...] = ()
    feature_rules: tuple[FeatureRule, ...] = ()
    sub_behaviour_labels: tuple[tuple[str, str], ...] = ()

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
            self, "relabel_short", tuple(checked_relabel(self.name, r) for r in self.relabel_short)
        )
        object.__setattr__(
            self,
            "feature_rules",
            tuple(checked_feature_rule(self.name, r) for r in self.feature_rules),
        )
        labels = checked_sub_labels(self.name, self.sub_behaviour_labels)
        object.__setattr__(self, "sub_behaviour_labels", labels)

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
        return [
            *_boundary_records(self, ref),
            *_bout_records(self, ref),
            *_definition_differences(self, ref),
            *_feature_rule_records(self, ref),
            *_priority_records(self, ref),
            *_noise_records(self, ref),
        ]

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


def _boundary_records(style: AnnotatorStyle, ref: AnnotatorStyle) -> list[dict[str, Any]]:
    """Onset and offset shifts of :meth:`AnnotatorStyle.rules`."""
    out: list[dict[str, Any]] = []
    for field, kind in (
        ("onset_shift_frames", "onset_shift"),
        ("offset_shift_frames", "offset_shift"),
    ):
        for b, mine, theirs in zip(
            BEHAVIORS, getattr(style, field), getattr(ref, field), strict=True
        ):
            if mine != theirs:
                out.append({"kind": kind, "behavior": b, "frames": int(mine - theirs)})
    return out


def _bout_records(style: AnnotatorStyle, ref: AnnotatorStyle) -> list[dict[str, Any]]:
    """Merge gaps, shortest bouts and relabelling by duration of :meth:`AnnotatorStyle.rules`."""
    out: list[dict[str, Any]] = []
    for b, mine, theirs in zip(
        BEHAVIORS, style.merge_gap_frames, ref.merge_gap_frames, strict=True
    ):
        if mine != theirs:
            out.append({"kind": "merge_gap", "behavior": b, "frames": int(mine)})
    mine_min, ref_min = style._shortest_bouts(), ref._shortest_bouts()
    for b in BEHAVIORS:
        if mine_min[b] != ref_min[b]:
            out.append({"kind": "min_bout", "behavior": b, "frames": mine_min[b]})
    theirs_relabel = set(ref.relabel_short)
    for r in style.relabel_short:
        if r.to_behavior != "other" and r not in theirs_relabel:
            out.append(
                {
                    "kind": "relabel_short",
                    "behavior": r.behavior,
                    "frames": r.frames,
                    "to_behavior": r.to_behavior,
                }
            )
    return out


def _feature_rule_records(style: AnnotatorStyle, ref: AnnotatorStyle) -> list[dict[str, Any]]:
    """The feature rules of ``style`` that ``ref`` does not have."""
    theirs_rules = set(ref.feature_rules)
    return [
        _feature_record(fr.kind, fr.behavior, fr.rule)
        for fr in style.feature_rules
        if fr not in theirs_rules
    ]


def _priority_records(style: AnnotatorStyle, ref: AnnotatorStyle) -> list[dict[str, Any]]:
    """Each pair of behaviours whose priority ``style`` turns around."""
    out: list[dict[str, Any]] = []
    for i, winner in enumerate(style.priority):
        for loser in style.priority[i + 1 :]:
            if ref.priority.index(loser) < ref.priority.index(winner):
                out.append({"kind": "priority", "behavior": winner, "over": loser})
    return out


def _noise_records(style: AnnotatorStyle, ref: AnnotatorStyle) -> list[dict[str, Any]]:
    """Lapses, jitter and slips that differ (no style-program edit learns them)."""
    return [
        {"kind": "noise", "behavior": None, "field": field, "value": getattr(style, field)}
        for field in ("boundary_jitter_frames", "lapse_probability", "label_noise_probability")
        if getattr(style, field) != getattr(ref, field)
    ]


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
    return out + sub_behaviour_records(style.sub_behaviour_labels, ref.sub_behaviour_labels)


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
    out = {"attack": attack, "investigation": sniffing & allowed & close, "mount": mount}
    for behaviour, frames in sub_behaviour_masks(state, style.sub_behaviour_labels).items():
        out[behaviour] = out[behaviour] | frames
    return out


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
        starts, stops = runs(wanted)
        kept = rng.random(starts.shape[0]) >= style.lapse_probability
        starts, stops = starts[kept], stops[kept]
        jitter = rng.normal(0.0, style.boundary_jitter_frames, size=(2, starts.shape[0]))
        starts = starts + style.onset_shift_frames[i] + np.rint(jitter[0]).astype(int)
        stops = stops + style.offset_shift_frames[i] + np.rint(jitter[1]).astype(int)
        mask = render(starts, stops, n)
        masks[behaviour] = merge_and_prune(
            mask, style.merge_gap_frames[i], style.min_bout_frames[i]
        )
    # The rules below draw no random numbers, so a style that adds them to another
    # keeps every lapse and jitter of that style (and old styles stay bit-identical).
    for rule in style.relabel_short:
        relabel_short_bouts(masks, rule)
    if style.feature_rules:
        apply_feature_rules(masks, world, style.feature_rules)
    labels = np.full(n, OTHER, np.int8)
    for behaviour in reversed(style.priority):  # the highest priority is written last
        labels[masks[behaviour]] = VOCABULARY.index(behaviour)
    slips = rng.random(n) < style.label_noise_probability
    labels[slips] = rng.integers(0, len(VOCABULARY), size=int(slips.sum()))
    return labels
