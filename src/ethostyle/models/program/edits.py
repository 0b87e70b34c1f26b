"""The edit records, their checks, and one spec per edit kind.

Every kind of edit is one :class:`KindSpec` entry in :data:`KINDS`: the fields it
uses, the pipeline step it changes (and how it sets that step's numbers), whether a
later edit of the same key replaces an earlier one, how :func:`fit_program` searches
its parameter, and the sentence that states it. Adding a kind is adding one entry
(and its tests); :class:`Edit`, the pipeline, the search and the words read the table.
A kind whose change is none of the pipeline's shared numbers adds a label transform
to its step (``PlanBuilder.transforms``); only a kind that needs a field no kind has
yet (beside ``frames``, ``bias``, ``to_behavior``, ``over``, ``rule``) also adds that
field to :class:`Edit`.

Examples
--------
>>> Edit("onset_shift", "attack", frames=-18).behavior
0
>>> KINDS["merge_gap"].last_wins, KINDS["onset_shift"].last_wins
(True, False)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass
from typing import Any

import numpy as np

from ethostyle.data import BEHAVIORS, OTHER, VOCABULARY
from ethostyle.decode import MAX_SMOOTH
from ethostyle.errors import ModelFormatError
from ethostyle.models.program.conditions import (
    Condition,
    FieldError,
    is_int,
    is_number,
    rule_from_list,
)
from ethostyle.models.program.effect import Effect
from ethostyle.models.program.motif_edits import (
    MOTIF_WINDOWS,
    check_motif,
    compile_motif,
    motif_sentence,
)
from ethostyle.models.program.plan import (
    STEP_BOUTS,
    STEP_CONDITIONS,
    STEP_PRIORITY,
    STEP_SCORES,
    STEP_SHIFTS,
    PlanBuilder,
)
from ethostyle.models.program.spec import GridSearch, KindSpec, MotifSearch, RuleSearch, Wording

__all__ = [
    "BEHAVIOR_IDS",
    "CONDITION_KINDS",
    "EDIT_KINDS",
    "INCLUDE_WINDOW",
    "KINDS",
    "MAX_CONDITIONS",
    "SEARCHED_KINDS",
    "Edit",
    "edit_from_dict",
]

#: Frames (2 s at 30 Hz) around a behaviour's bouts where ``include_when`` may add frames.
INCLUDE_WINDOW = 60
#: Most conditions in one rule (a path of a depth-2 tree).
MAX_CONDITIONS = 2
#: Label indices of the behaviours (every class but ``other``).
BEHAVIOR_IDS: tuple[int, ...] = tuple(VOCABULARY.index(b) for b in BEHAVIORS)

# Search grids (frames at 30 Hz; bias in log-probability units), coarse then refined.
_SHIFT_GRID: tuple[int, ...] = tuple(range(-60, 61, 6))
_LENGTH_GRID: tuple[int, ...] = (4, 8, 12, 16, 20, 25, 30, 36, 42, 50, 60, 72, 84, 100, 120)
_BIAS_GRID: tuple[float, ...] = tuple(float(b) for b in np.arange(-3.0, 3.01, 0.5))
_PRIORITY_MARGINS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 3.0)
# The fields every kind leaves at these defaults unless its spec uses them.
_DEFAULTS: dict[str, Any] = {
    "frames": 0,
    "bias": 0.0,
    "to_behavior": None,
    "over": None,
    "rule": (),
    "motif": None,
    "motif_description": "",
}


def _class_index(value: object, field_name: str, *, allow_other: bool) -> int:
    names = VOCABULARY if allow_other else BEHAVIORS
    if isinstance(value, str):
        if value not in names:
            raise FieldError(field_name, f"must be one of {list(names)}, got {value!r}")
        return VOCABULARY.index(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise FieldError(field_name, f"must be a behaviour name in {list(names)}")
    index = int(value)
    if index not in [VOCABULARY.index(n) for n in names]:
        raise FieldError(field_name, f"must name one of {list(names)}, got index {index}")
    return index


@dataclass(frozen=True, slots=True)
class Edit:
    """One interpretable change of the reference's labelling (see the package docstring).

    Parameters
    ----------
    kind : str
        One of :data:`EDIT_KINDS`.
    behavior : int or str, optional
        The behaviour edited, an index or a name in :data:`BEHAVIORS` (stored as
        the index). Required by every kind but ``residual``.
    gain : float
        Pooled held-out macro-F1 gain measured when the edit was added; 0.0 for
        an edit that was not chosen by selection (e.g. converted from a decoder).
    frames : int
        ``onset_shift`` / ``offset_shift``: frames added to bout starts / ends
        (negative: earlier); ``merge_gap``: fill gaps shorter than this;
        ``min_bout``: shortest bout kept; ``relabel_short``: bouts shorter than
        this are relabelled; ``include_when``: how near (frames) to a bout of the
        behaviour a frame must be; ``residual``: the residual model's boosting rounds.
    bias : float
        ``threshold``: added to the behaviour's log-score; ``priority``: margin in
        log-units within which ``behavior`` wins over ``over``.
    to_behavior : int or str, optional
        ``relabel_short``: the label short bouts get (a behaviour or ``other``).
    over : int or str, optional
        ``priority``: the behaviour that ``behavior`` wins over.
    rule : tuple of Condition
        ``exclude_when`` / ``include_when``: one or two conditions, all of which
        must hold.
    motif : int, optional
        ``include_motif`` / ``exclude_motif`` / ``relabel_motif``: the motif id
        (:mod:`ethostyle.motifs`); ``include_motif``'s ``frames`` is then its window
        (0: anywhere).
    motif_description : str
        The motif in words when the edit was chosen.
    effect : Effect, optional
        What the edit changed on the videos its program was fitted on (measured by
        :func:`fit_program`; None when not measured).

    Examples
    --------
    >>> Edit("onset_shift", "attack", frames=-18).behavior
    0
    >>> Edit("exclude_when", "investigation", rule=(Condition("r_nose-i_nose_px", "<", 20),)).kind
    'exclude_when'
    """

    kind: str
    behavior: int | None = None
    gain: float = 0.0
    frames: int = 0
    bias: float = 0.0
    to_behavior: int | None = None
    over: int | None = None
    rule: tuple[Condition, ...] = ()
    motif: int | None = None
    motif_description: str = ""
    effect: Effect | None = None

    def __post_init__(self) -> None:
        spec = KINDS.get(self.kind)
        if spec is None:
            raise FieldError("kind", f"must be one of {list(EDIT_KINDS)}, got {self.kind!r}")
        if not spec.has_behavior:
            if self.behavior is not None:
                raise FieldError("behavior", f"must be absent for a {self.kind} edit")
        else:
            behavior = _class_index(self.behavior, "behavior", allow_other=False)
            object.__setattr__(self, "behavior", behavior)
        if not is_number(self.gain) or not math.isfinite(float(self.gain)):
            raise FieldError("gain", "must be a finite number")
        object.__setattr__(self, "gain", float(self.gain))
        for name, default in _DEFAULTS.items():
            if name not in spec.fields and getattr(self, name) != default:
                raise FieldError(name, f"is not used by a {self.kind} edit; leave it out")
        self._check_numbers(spec)
        if "to_behavior" in spec.fields:
            to = _class_index(self.to_behavior, "to_behavior", allow_other=True)
            if to == self.behavior:
                raise FieldError("to_behavior", "must differ from behavior")
            object.__setattr__(self, "to_behavior", to)
        if "over" in spec.fields:
            over = _class_index(self.over, "over", allow_other=False)
            if over == self.behavior:
                raise FieldError("over", "must differ from behavior")
            object.__setattr__(self, "over", over)
        if "rule" in spec.fields:
            rule = tuple(self.rule)
            if not 1 <= len(rule) <= MAX_CONDITIONS:
                raise FieldError("rule", f"must hold 1 to {MAX_CONDITIONS} conditions")
            if not all(isinstance(c, Condition) for c in rule):
                raise FieldError("rule", "must hold Condition records")
            object.__setattr__(self, "rule", rule)
        if self.effect is not None and not isinstance(self.effect, Effect):
            raise FieldError("effect", "must be an Effect record")

    def _check_numbers(self, spec: KindSpec) -> None:
        if not is_int(self.frames):
            raise FieldError("frames", "must be an int")
        frames = int(self.frames)
        object.__setattr__(self, "frames", frames)
        if not is_number(self.bias) or not math.isfinite(float(self.bias)):
            raise FieldError("bias", "must be a finite number")
        object.__setattr__(self, "bias", float(self.bias))
        if abs(frames) > MAX_SMOOTH:
            raise FieldError("frames", f"must be within +-{MAX_SMOOTH} (10 min)")
        if spec.min_frames is not None and frames < spec.min_frames:
            raise FieldError("frames", f"must be >= {spec.min_frames}")
        if spec.check is not None:
            spec.check(self)

    @property
    def spec(self) -> KindSpec:
        """The kind's spec in :data:`KINDS`."""
        return KINDS[self.kind]

    @property
    def behavior_name(self) -> str | None:
        """The edited behaviour's name (None for ``residual``)."""
        return None if self.behavior is None else VOCABULARY[self.behavior]

    @property
    def key(self) -> tuple[Any, ...]:
        """What the edit sets: a later edit with the same key replaces a last-wins edit."""
        return (self.kind, self.behavior, *(getattr(self, f) for f in self.spec.key_fields))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data holding only the fields this kind uses (and its effect, if any)."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.behavior is not None:
            out["behavior"] = VOCABULARY[self.behavior]
        out["gain"] = self.gain
        for name in self.spec.fields:
            value = getattr(self, name)
            if name in ("to_behavior", "over"):
                value = VOCABULARY[value]
            elif name == "rule":
                value = [c.to_dict() for c in value]
            out[name] = value
        if self.effect is not None:
            out["effect"] = self.effect.to_dict()
        return out


def edit_from_dict(item: object, path: str, fail: Callable[[str, str], ModelFormatError]) -> Edit:
    """Read one :meth:`Edit.to_dict` record; ``fail(path, message)`` makes the error."""
    if not isinstance(item, Mapping):
        raise fail(path, "must be a JSON object")
    kind = item.get("kind")
    if kind not in KINDS:
        raise fail(f"{path}.kind", f"must be one of {list(EDIT_KINDS)}, got {kind!r}")
    spec = KINDS[kind]
    allowed = {"kind", "behavior", "gain", "effect", *spec.fields}
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise fail(f"{path}.{unknown[0]}", f"is not a field of a {kind} edit")
    if spec.has_behavior and "behavior" not in item:
        raise fail(f"{path}.behavior", "is missing")
    for name in spec.fields:
        if name not in item and name not in spec.optional:
            raise fail(f"{path}.{name}", "is missing")
    for name in ("behavior", "to_behavior", "over"):
        if name in item and not isinstance(item[name], str):
            raise fail(f"{path}.{name}", "must be a behaviour name")
    kwargs = dict(item)
    if "rule" in kwargs:
        kwargs["rule"] = rule_from_list(kwargs["rule"], f"{path}.rule", fail)
    if "effect" in kwargs:
        try:
            kwargs["effect"] = Effect.from_dict(kwargs["effect"])
        except ValueError as err:
            raise fail(f"{path}.effect", str(err)) from None
    try:
        return Edit(**kwargs)
    except FieldError as err:
        raise fail(f"{path}.{err.field}", err.message) from None


# ------------------------------------------------------------------ the search grids
def _between(grid: SequenceABC[float], value: float, steps: int = 8) -> list[float]:
    """Values strictly between ``value``'s neighbours in ``grid`` (the fine search)."""
    g = sorted(grid)
    i = g.index(value)
    lo = g[i - 1] if i > 0 else value
    hi = g[i + 1] if i + 1 < len(g) else value
    return [float(v) for v in np.linspace(lo, hi, 2 * steps + 1)[1:-1] if v != value]


def _length_grid(kind: str) -> GridSearch:
    """A gap or a bout length: 4 frames to 4 s, refined between grid neighbours."""
    return GridSearch(
        coarse=lambda c: list(_LENGTH_GRID),
        refine=lambda v: sorted({round(x) for x in _between(_LENGTH_GRID, v)} - {v}),
        make=lambda c, d, v: Edit(kind, c, frames=int(v)),
        size=float,
        plateau=True,
    )


def _shift_grid(kind: str) -> GridSearch:
    """A shift of bout starts or ends up to 2 s either way, refined frame by frame."""
    return GridSearch(
        coarse=lambda c: [v for v in _SHIFT_GRID if v != 0],
        refine=lambda v: [
            v + s for s in range(-5, 6) if s != 0 and v + s != 0 and abs(v + s) <= 60
        ],
        make=lambda c, d, v: Edit(kind, c, frames=int(v)),
        size=abs,
    )


# ------------------------------------------------------------------ the kinds
def _residual_compile(e: Edit, b: PlanBuilder) -> None:
    b.residual = True


def _threshold_compile(e: Edit, b: PlanBuilder) -> None:
    b.bias[e.behavior] += e.bias


def _threshold_sentence(e: Edit, w: Wording) -> str:
    how = "more readily" if e.bias > 0 else "more strictly"
    text = f"{w.who} calls {e.behavior_name} {how} than {w.ref_short}"
    if e.effect is None:  # older models: the change in frames was not measured
        text += (
            f" (its score counts {math.exp(e.bias):.2g} times as much; how many frames this "
            "changes was not measured for this model: train it again to see)"
        )
    return text


def _priority_compile(e: Edit, b: PlanBuilder) -> None:
    b.priorities[(e.behavior, e.over)] = e.bias  # type: ignore[index]


def _priority_check(e: Edit) -> None:
    if e.bias < 0:
        raise FieldError("bias", "(the priority margin) must be >= 0")


def _priority_sentence(e: Edit, w: Wording) -> str:
    b, over = e.behavior_name, VOCABULARY[e.over]  # type: ignore[index]
    text = f"{w.who} labels {b} rather than {over} where both could apply"
    if e.bias > 0:
        text += f" (where the score of {b} is at least {math.exp(-e.bias):.2g} times {over}'s)"
    return text


def _exclude_region(labels: np.ndarray, c: int, near: Callable[..., np.ndarray]) -> np.ndarray:
    return labels == c


def _include_region(labels: np.ndarray, c: int, near: Callable[..., np.ndarray]) -> np.ndarray:
    return (labels == OTHER) & near(labels == c, INCLUDE_WINDOW)


def _include_sentence(e: Edit, w: Wording) -> str:
    b = e.behavior_name or ""
    rule = " and ".join(c.text(w.px_per_cm) for c in e.rule)
    article = "an" if b and b[0] in "aeiou" else "a"
    return (
        f"{w.who} also labels as {b} the frames within {w.seconds(e.frames)} of {article} {b} "
        f"bout where {rule}"
    )


def _shift_sentence(verb: str) -> Callable[[Edit, Wording], str]:
    def sentence(e: Edit, w: Wording) -> str:
        when = "before" if e.frames < 0 else "after"
        return f"{w.who} {verb} {e.behavior_name} {w.seconds(e.frames)} {when} {w.ref}"

    return sentence


def _set(name: str) -> Callable[[Edit, PlanBuilder], None]:
    """Compile by setting ``builder.<name>[behaviour]`` to the edit's frames."""

    def compile_(e: Edit, b: PlanBuilder) -> None:
        getattr(b, name)[e.behavior] = e.frames

    return compile_


def _add(name: str) -> Callable[[Edit, PlanBuilder], None]:
    """Compile by adding the edit's frames to ``builder.<name>[behaviour]``."""

    def compile_(e: Edit, b: PlanBuilder) -> None:
        getattr(b, name)[e.behavior] += e.frames

    return compile_


def _relabel_compile(e: Edit, b: PlanBuilder) -> None:
    b.relabel_len[e.behavior], b.relabel_to[e.behavior] = e.frames, e.to_behavior


#: Every kind of edit, in the order of the pipeline steps that apply them (the
#: search tries them in this order too).
KINDS: dict[str, KindSpec] = {
    "residual": KindSpec(
        fields=("frames",),
        optional=("frames",),
        step=STEP_SCORES,
        compile=_residual_compile,
        has_behavior=False,
        min_frames=0,
        record_names={"frames": "rounds"},
        sentence=lambda e, w: (
            f"{w.who}'s remaining differences are learned by a boosted residual model"
        ),
    ),
    "threshold": KindSpec(
        fields=("bias",),
        step=STEP_SCORES,
        compile=_threshold_compile,
        search=GridSearch(
            coarse=lambda c: [v for v in _BIAS_GRID if v != 0],
            refine=lambda v: [
                v + s for s in (-0.375, -0.25, -0.125, 0.125, 0.25, 0.375) if v + s != 0
            ],
            make=lambda c, d, v: Edit("threshold", c, bias=float(v)),
            size=abs,
        ),
        sentence=_threshold_sentence,
    ),
    "priority": KindSpec(
        fields=("over", "bias"),
        step=STEP_PRIORITY,
        compile=_priority_compile,
        last_wins=True,
        key_fields=("over",),
        check=_priority_check,
        was=lambda prev: f"{prev.bias:.1f}",
        search=GridSearch(
            coarse=lambda c: list(_PRIORITY_MARGINS),
            refine=lambda v: [],
            make=lambda c, d, v: Edit("priority", c, over=d, bias=float(v)),
            size=lambda v: float(v) + 1.0,
        ),
        sentence=_priority_sentence,
    ),
    "exclude_when": KindSpec(
        fields=("rule",),
        step=STEP_CONDITIONS,
        compile=lambda e, b: b.excludes.append((e.behavior, e.rule)),  # type: ignore[arg-type]
        search=RuleSearch(
            region=_exclude_region,
            adds=False,
            make=lambda c, rule: Edit("exclude_when", c, rule=rule),
        ),
        sentence=lambda e, w: (
            f"{w.who} does not count as {e.behavior_name} the frames where "
            + " and ".join(c.text(w.px_per_cm) for c in e.rule)
        ),
    ),
    "include_when": KindSpec(
        fields=("rule", "frames"),
        step=STEP_CONDITIONS,
        compile=lambda e, b: b.includes.append((e.behavior, e.rule, e.frames)),  # type: ignore[arg-type]
        min_frames=1,
        search=RuleSearch(
            region=_include_region,
            adds=True,
            make=lambda c, rule: Edit("include_when", c, rule=rule, frames=INCLUDE_WINDOW),
        ),
        sentence=_include_sentence,
    ),
    "merge_gap": KindSpec(
        fields=("frames",),
        step=STEP_BOUTS,
        compile=_set("gap"),
        last_wins=True,
        min_frames=0,
        search=_length_grid("merge_gap"),
        sentence=lambda e, w: (
            f"{w.who} joins {e.behavior_name} bouts separated by pauses "
            f"shorter than {w.seconds(e.frames)}{w.was} into one bout"
        ),
    ),
    "min_bout": KindSpec(
        fields=("frames",),
        step=STEP_BOUTS,
        compile=_set("min_len"),
        last_wins=True,
        min_frames=1,
        search=_length_grid("min_bout"),
        sentence=lambda e, w: (
            f"{w.who} does not label {e.behavior_name} bouts shorter than "
            f"{w.seconds(e.frames)}{w.was} (they go to the neighbouring label that fits best)"
        ),
    ),
    "relabel_short": KindSpec(
        fields=("frames", "to_behavior"),
        step=STEP_BOUTS,
        compile=_relabel_compile,
        last_wins=True,
        min_frames=1,
        search=GridSearch(
            coarse=lambda c: [
                (t, v) for t in (*BEHAVIOR_IDS, OTHER) if t != c for v in _LENGTH_GRID
            ],
            refine=lambda v: [
                (v[0], x) for x in sorted({round(x) for x in _between(_LENGTH_GRID, v[1])})
            ],
            make=lambda c, d, v: Edit("relabel_short", c, frames=int(v[1]), to_behavior=int(v[0])),
            size=lambda v: float(v[1]),
            plateau=True,
        ),
        sentence=lambda e, w: (
            f"{w.who} labels {e.behavior_name} bouts shorter than "
            f"{w.seconds(e.frames)}{w.was} as {VOCABULARY[e.to_behavior]}"
        ),  # type: ignore[index]
    ),
    "onset_shift": KindSpec(
        fields=("frames",),
        step=STEP_SHIFTS,
        compile=_add("onset"),
        search=_shift_grid("onset_shift"),
        sentence=_shift_sentence("starts"),
    ),
    "offset_shift": KindSpec(
        fields=("frames",),
        step=STEP_SHIFTS,
        compile=_add("offset"),
        search=_shift_grid("offset_shift"),
        sentence=_shift_sentence("ends"),
    ),
}


def _motif_spec(kind: str, fields: tuple[str, ...], variants: Any) -> KindSpec:
    """A motif kind (:mod:`.motif_edits`): applied last, searched over every motif at once."""

    def make(c: int, variant: tuple[int, int, int], motif: int, words: str) -> Edit:
        extra: dict[str, Any] = {}
        if "frames" in fields:
            extra["frames"] = variant[2]
        if "to_behavior" in fields:
            extra["to_behavior"] = variant[1]
        return Edit(kind, c, motif=motif, motif_description=words, **extra)

    return KindSpec(
        fields=("motif", "motif_description", *fields),
        step=STEP_SHIFTS,
        compile=compile_motif,
        key_fields=("motif", *(("to_behavior",) if "to_behavior" in fields else ())),
        min_frames=0,
        optional=("motif_description",),
        check=check_motif,
        search=MotifSearch(variants=variants, make=make),
        sentence=motif_sentence,
    )


KINDS.update(
    {
        "include_motif": _motif_spec(
            "include_motif", ("frames",), lambda c: [(OTHER, c, w) for w in MOTIF_WINDOWS]
        ),
        "exclude_motif": _motif_spec("exclude_motif", (), lambda c: [(c, OTHER, 0)]),
        "relabel_motif": _motif_spec(
            "relabel_motif",
            ("to_behavior",),
            lambda c: [(c, d, 0) for d in BEHAVIOR_IDS if d != c],
        ),
    }
)
#: Every kind of edit, in the order of the pipeline steps that apply them.
EDIT_KINDS: tuple[str, ...] = tuple(KINDS)
#: The kinds whose edits carry a rule.
CONDITION_KINDS: tuple[str, ...] = tuple(
    k for k, s in KINDS.items() if isinstance(s.search, RuleSearch)
)
#: The kinds :func:`fit_program` searches (``residual`` is added by the caller).
SEARCHED_KINDS: tuple[str, ...] = tuple(k for k, s in KINDS.items() if s.search is not None)
