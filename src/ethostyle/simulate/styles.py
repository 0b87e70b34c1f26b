"""Annotator styles: explicit rules that turn the hidden truth of a video into frame labels.

Each annotator is an :class:`AnnotatorStyle`. Labelling a video
(:func:`label_with_style`) takes, per behaviour, the frames the style's
definition accepts (e.g. hidden investigation with the nose within ``d`` px of
the intruder), drops whole bouts at the lapse rate, moves each bout's onset and
offset by the style's shifts (plus a little random jitter), merges bouts
separated by short gaps, drops bouts that are too short, resolves overlaps by
the style's priority and finally flips a few frames at random. Everything runs
on bout tables with numpy: no loop over frames.

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
from typing import Any, NamedTuple

import numpy as np

from ethostyle.data import BEHAVIORS, OTHER, VOCABULARY
from ethostyle.errors import EthostyleError
from ethostyle.simulate.behaviour import Hidden, Subtype, WorldSequence

__all__ = ["STYLES", "AnnotatorStyle", "PerBehavior", "label_with_style"]

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

    Examples
    --------
    >>> mine = AnnotatorStyle(
    ...     name="late-mounts",
    ...     description="Starts mounts 15 frames (0.5 s) later than annotator 0.",
    ...     onset_shift_frames=PerBehavior(mount=15),
    ... )
    >>> mine.onset_shift_frames.mount
    15
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

    def replace(self, **changes: Any) -> AnnotatorStyle:
        """A copy of this style with some parameters changed (see :func:`dataclasses.replace`)."""
        return replace(self, **changes)


_REFERENCE = AnnotatorStyle(
    name="reference",
    description="The reference style that the other annotators are compared with.",
)

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
    labels = np.full(n, OTHER, np.int8)
    for behaviour in reversed(style.priority):  # the highest priority is written last
        labels[masks[behaviour]] = VOCABULARY.index(behaviour)
    slips = rng.random(n) < style.label_noise_probability
    labels[slips] = rng.integers(0, len(VOCABULARY), size=int(slips.sum()))
    return labels
