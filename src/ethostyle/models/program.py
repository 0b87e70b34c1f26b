"""Style programs: an annotator's labelling style as a short list of interpretable edits.

A *style program* turns a reference model's per-frame class probabilities into
labels in one annotator's style. It holds a smoothing window and an ordered
list of :class:`Edit` records, each a rule a lab can read ("starts attack 0.6 s
earlier", "joins investigation bouts across pauses under 1.5 s", "does not
count investigation where the resident's nose is within 20 px of the intruder's
nose"). :func:`fit_program` chooses the edits per annotator by greedy forward
selection on *held-out* videos; each one is kept only if it raises held-out
macro F1 (attack, investigation, mount) by at least a penalty ``δ``.

How a program labels (:meth:`StyleProgram.apply`)
-------------------------------------------------
Whatever the order of its edits, a program runs one fixed pipeline; the edits
set its numbers. This is :func:`ethostyle.decode.decode`'s pipeline with more
steps, so an old :class:`~ethostyle.decode.DecoderParams` becomes a program
that labels identically (:meth:`StyleProgram.from_decoder`):

1. scores: log of the ``smooth``-frame moving average of the probabilities
   (each sequence apart); a ``residual`` edit takes the scores of the residual
   model instead;
2. ``threshold``: ``bias`` added to the behaviour's log-score (edits of one
   behaviour add up); then the best class per frame;
3. ``priority`` (``behavior`` over ``over``): frames labelled ``over`` whose
   ``behavior`` score is within ``bias`` log-units of it become ``behavior``;
4. ``exclude_when``: frames of the behaviour where the rule holds become
   ``other``; ``include_when``: ``other`` frames within ``frames`` frames of a
   bout of the behaviour where the rule holds become the behaviour;
5. ``merge_gap``: runs of ``other`` shorter than ``frames`` between two bouts of
   the behaviour are filled; ``min_bout``: bouts shorter than ``frames`` go to
   their best-scoring neighbour (the decoder's runner-up rule);
   ``relabel_short``: bouts still shorter than ``frames`` become ``to_behavior``;
   then gaps are merged again;
6. ``onset_shift`` / ``offset_shift``: every bout of the behaviour starts / ends
   ``frames`` later (negative: earlier); shifts of one behaviour add up. A bout
   that grows takes ``other`` frames, and the frames of ``over`` when a
   ``priority`` edit says so.

For ``merge_gap``, ``min_bout``, ``relabel_short`` and ``priority`` a later
edit of the same behaviour (and ``over``) replaces an earlier one. Rules are
conjunctions of at most two :class:`Condition` on named base pose features
(:func:`ethostyle.features.pose_features`), never the windowed columns.

How edits are chosen (:func:`fit_program`)
------------------------------------------
Greedy forward selection. Each round tries every kind of edit for every
behaviour. A candidate's parameter (a shift, a gap, a bias, a tree) is chosen
on the training folds only and scored on the held-out fold (leave one video
out; a single video is cut into halves), so its gain is honest; grids are
searched coarse to fine, per fold. The candidate with the best pooled held-out
F1 gain is accepted if that gain is at least ``penalty``; its parameter is then
refitted on all videos. Every decoding is vectorised over frames and the per
video confusion matrices of one decoding serve every fold at once.

Condition rules are depth <= 2 :class:`~sklearn.tree.DecisionTreeClassifier`
trees on the base pose features: ``exclude_when`` is fitted on the frames the
current program labels as the behaviour (target: the annotator says it is
not), ``include_when`` on the ``other`` frames within 2 s of its bouts (target:
the annotator says it is). The node (one or two conditions on its path) that
best raises the behaviour's F1 on the training folds becomes the rule.

The penalty δ (:data:`DEFAULT_PENALTY`)
---------------------------------------
δ = 0.008 pooled held-out macro F1 per edit, measured by
``benchmarks/program_penalty.py --seeds 0 1 2`` (~3 min per seed on 2 cores): a
LightGBM reference (``REFERENCE_PARAMS``, windowed features) trained on 12
simulated annotator-0 videos predicts 22 others of 300 s; 6 fit the reference's
own program; the other 16 form 8 pairs of two videos of one annotator.

- False discovery: each pair labelled again by annotator 0's rules (its own
  lapses and boundary jitter), 3 label draws x 3 seeds = 72 annotators who label
  exactly as the reference. The best first edit of their search (penalty 0)
  gained at most +0.0056 held-out F1 (99th percentile +0.0055, median +0.0007):
  none reaches δ, which is 1.4x the largest.
- Real rules (24 pairs each; median gain, share passing δ): attack onset 24
  frames early +0.049 (all); investigation ending 36 frames late +0.024 (all);
  no face sniffing (nose-nose < 20 px) +0.031 (all); built-in styles 1-5 +0.025
  to +0.061 (all); attack bouts under 30 frames called investigation +0.019
  (71%: pairs with few short attacks carry little evidence); investigation
  joined across pauses under 60 frames +0.009 (58%: it changes few frames).

With more videos the noise shrinks, so δ is conservative there.

Examples
--------
>>> import numpy as np
>>> proba = np.array([[0.6, 0.1, 0.0, 0.3]] * 4 + [[0.0, 0.0, 0.0, 1.0]] * 4)
>>> program = StyleProgram(edits=(Edit("offset_shift", "attack", frames=2),))
>>> program.apply(proba).tolist()
[0, 0, 0, 0, 0, 0, 3, 3]
>>> program.describe(annotator=3)
['Annotator 3 ends attack 0.1 s (2 frames) after the reference annotator does.']
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ethostyle.bouts import bout_table
from ethostyle.data import BEHAVIORS, BODY_PARTS, FPS, OTHER, VOCABULARY
from ethostyle.decode import (
    MAX_SMOOTH,
    DecoderParams,
    check_proba,
    drop_short_bouts,
    log_scores,
    merge_gaps,
    segment_starts,
    shift_bouts,
)
from ethostyle.errors import DataFormatError, ModelFormatError
from ethostyle.metrics import macro_f1_of_confusion as _f1
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = [
    "CONDITION_KINDS",
    "DEFAULT_MAX_EDITS",
    "DEFAULT_PENALTY",
    "EDIT_KINDS",
    "INCLUDE_WINDOW",
    "SEARCHED_KINDS",
    "Condition",
    "Edit",
    "StyleProgram",
    "fit_program",
    "pooled_f1",
    "residual_gain",
    "rule_features",
]

logger = logging.getLogger(__name__)

#: Every kind of edit, in the order of the pipeline steps that apply them.
EDIT_KINDS: tuple[str, ...] = (
    "residual",
    "threshold",
    "priority",
    "exclude_when",
    "include_when",
    "merge_gap",
    "min_bout",
    "relabel_short",
    "onset_shift",
    "offset_shift",
)
#: The kinds whose edits carry a rule.
CONDITION_KINDS: tuple[str, ...] = ("exclude_when", "include_when")
#: The kinds :func:`fit_program` searches (``residual`` is added by the caller).
SEARCHED_KINDS: tuple[str, ...] = tuple(k for k in EDIT_KINDS if k != "residual")
#: Smallest pooled held-out macro-F1 gain an edit must bring (see the module docstring).
DEFAULT_PENALTY = 0.008
#: Most edits :func:`fit_program` adds to a program.
DEFAULT_MAX_EDITS = 8
#: Frames (2 s at 30 Hz) around a behaviour's bouts where ``include_when`` may add frames.
INCLUDE_WINDOW = 60
#: Most conditions in one rule (a path of a depth-2 tree).
MAX_CONDITIONS = 2

_BEHAVIOR_IDS: tuple[int, ...] = tuple(VOCABULARY.index(b) for b in BEHAVIORS)
_N = len(VOCABULARY)
# Fields each kind uses beside kind, behavior and gain (the others must stay default).
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "residual": ("frames",),
    "threshold": ("bias",),
    "priority": ("over", "bias"),
    "exclude_when": ("rule",),
    "include_when": ("rule", "frames"),
    "merge_gap": ("frames",),
    "min_bout": ("frames",),
    "relabel_short": ("frames", "to_behavior"),
    "onset_shift": ("frames",),
    "offset_shift": ("frames",),
}
_LAST_WINS = ("merge_gap", "min_bout", "relabel_short", "priority")

# Search grids (frames at 30 Hz; bias in log-probability units), coarse then refined.
_SHIFT_GRID: tuple[int, ...] = tuple(range(-60, 61, 6))
_LENGTH_GRID: tuple[int, ...] = (4, 8, 12, 16, 20, 25, 30, 36, 42, 50, 60, 72, 84, 100, 120)
_BIAS_GRID: tuple[float, ...] = tuple(float(b) for b in np.arange(-3.0, 3.01, 0.5))
_PRIORITY_MARGINS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 3.0)
# Frames a tree is fitted on at most (a stride through the region keeps it fast).
_TREE_ROWS = 30_000
# Quantile bins per feature a rule's threshold is chosen among.
_TREE_BINS = 64
# Smallest leaf of a rule's tree: frames, and share of the frames it is fitted on.
_MIN_LEAF_FRAMES = 30
_MIN_LEAF_SHARE = 0.02
# Rules from each fold's tree that are decoded in full.
_RULES_PER_TREE = 3


class _FieldError(ValueError):
    """A bad field of an edit; ``field`` names it for :meth:`StyleProgram.from_dict`."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name} {message}")
        self.field = field_name
        self.message = message


def _class_index(value: object, field_name: str, *, allow_other: bool) -> int:
    names = VOCABULARY if allow_other else BEHAVIORS
    if isinstance(value, str):
        if value not in names:
            raise _FieldError(field_name, f"must be one of {list(names)}, got {value!r}")
        return VOCABULARY.index(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise _FieldError(field_name, f"must be a behaviour name in {list(names)}")
    index = int(value)
    if index not in [VOCABULARY.index(n) for n in names]:
        raise _FieldError(field_name, f"must name one of {list(names)}, got index {index}")
    return index


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Condition:
    """One comparison of a named base pose feature with a value.

    Parameters
    ----------
    feature : str
        A column name of :func:`ethostyle.features.pose_features` (e.g.
        ``"r_nose-i_nose_px"``).
    op : {"<", ">"}
        ``"<"`` holds where the feature is below ``value``; ``">"`` where it is at
        or above it (so the two split every frame; a missing value meets neither).
    value : float
        The threshold, in the feature's units.

    Examples
    --------
    >>> import numpy as np
    >>> Condition("facing_cos", ">", 0.5).holds(np.array([0.2, 0.5, 0.9])).tolist()
    [False, True, True]
    """

    feature: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if not isinstance(self.feature, str) or not self.feature:
            raise _FieldError("feature", "must be a feature name (a non-empty string)")
        if self.op not in ("<", ">"):
            raise _FieldError("op", f'must be "<" or ">", got {self.op!r}')
        if not _is_number(self.value) or not math.isfinite(float(self.value)):
            raise _FieldError("value", "must be a finite number")
        object.__setattr__(self, "value", float(self.value))

    def holds(self, column: np.ndarray) -> np.ndarray:
        """``(frames,)`` bool: where the condition holds on a feature column."""
        if self.op == "<":
            return column < self.value
        return column >= self.value

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: ``{"feature", "op", "value"}``."""
        return {"feature": self.feature, "op": self.op, "value": self.value}


@dataclass(frozen=True, slots=True)
class Edit:
    """One interpretable change of the reference's labelling (see the module docstring).

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
        behaviour a frame must be; ``residual``: free for the residual model's use.
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

    def __post_init__(self) -> None:
        if self.kind not in EDIT_KINDS:
            raise _FieldError("kind", f"must be one of {list(EDIT_KINDS)}, got {self.kind!r}")
        used = _KIND_FIELDS[self.kind]
        if self.kind == "residual":
            if self.behavior is not None:
                raise _FieldError("behavior", "must be absent for a residual edit")
        else:
            object.__setattr__(
                self, "behavior", _class_index(self.behavior, "behavior", allow_other=False)
            )
        if not _is_number(self.gain) or not math.isfinite(float(self.gain)):
            raise _FieldError("gain", "must be a finite number")
        object.__setattr__(self, "gain", float(self.gain))
        defaults = {"frames": 0, "bias": 0.0, "to_behavior": None, "over": None, "rule": ()}
        for name, default in defaults.items():
            if name not in used and getattr(self, name) != default:
                raise _FieldError(name, f"is not used by a {self.kind} edit; leave it out")
        if not _is_int(self.frames):
            raise _FieldError("frames", "must be an int")
        frames = int(self.frames)
        object.__setattr__(self, "frames", frames)
        if not _is_number(self.bias) or not math.isfinite(float(self.bias)):
            raise _FieldError("bias", "must be a finite number")
        object.__setattr__(self, "bias", float(self.bias))
        if abs(frames) > MAX_SMOOTH:
            raise _FieldError("frames", f"must be within +-{MAX_SMOOTH} (10 min)")
        if self.kind in ("merge_gap", "residual") and frames < 0:
            raise _FieldError("frames", "must be >= 0")
        if self.kind in ("min_bout", "relabel_short", "include_when") and frames < 1:
            raise _FieldError("frames", "must be >= 1")
        if self.kind == "priority" and self.bias < 0:
            raise _FieldError("bias", "(the priority margin) must be >= 0")
        if self.kind == "relabel_short":
            to = _class_index(self.to_behavior, "to_behavior", allow_other=True)
            if to == self.behavior:
                raise _FieldError("to_behavior", "must differ from behavior")
            object.__setattr__(self, "to_behavior", to)
        if self.kind == "priority":
            over = _class_index(self.over, "over", allow_other=False)
            if over == self.behavior:
                raise _FieldError("over", "must differ from behavior")
            object.__setattr__(self, "over", over)
        if self.kind in CONDITION_KINDS:
            rule = tuple(self.rule)
            if not 1 <= len(rule) <= MAX_CONDITIONS:
                raise _FieldError("rule", f"must hold 1 to {MAX_CONDITIONS} conditions")
            if not all(isinstance(c, Condition) for c in rule):
                raise _FieldError("rule", "must hold Condition records")
            object.__setattr__(self, "rule", rule)

    @property
    def behavior_name(self) -> str | None:
        """The edited behaviour's name (None for ``residual``)."""
        return None if self.behavior is None else VOCABULARY[self.behavior]

    @property
    def key(self) -> tuple[Any, ...]:
        """What the edit sets: a later edit with the same key replaces a last-wins edit."""
        if self.kind == "priority":
            return (self.kind, self.behavior, self.over)
        return (self.kind, self.behavior)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data holding only the fields this kind uses."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.behavior is not None:
            out["behavior"] = VOCABULARY[self.behavior]
        out["gain"] = self.gain
        for name in _KIND_FIELDS[self.kind]:
            value = getattr(self, name)
            if name in ("to_behavior", "over"):
                value = VOCABULARY[value]
            elif name == "rule":
                value = [c.to_dict() for c in value]
            out[name] = value
        return out


@dataclass(frozen=True)
class _Plan:
    """A program compiled into the numbers of each pipeline step (per class vectors)."""

    residual: bool
    bias: np.ndarray
    margins: tuple[tuple[int, int, float], ...]
    takes: np.ndarray | None
    excludes: tuple[tuple[int, tuple[Condition, ...]], ...]
    includes: tuple[tuple[int, tuple[Condition, ...], int], ...]
    gap: np.ndarray
    min_len: np.ndarray
    relabel_len: np.ndarray
    relabel_to: np.ndarray
    onset: np.ndarray
    offset: np.ndarray


def _compile(edits: Iterable[Edit]) -> _Plan:
    bias = np.zeros(_N)
    gap = np.zeros(_N, np.int64)
    min_len = np.ones(_N, np.int64)
    relabel_len = np.zeros(_N, np.int64)
    relabel_to = np.full(_N, OTHER, np.int64)
    onset = np.zeros(_N, np.int64)
    offset = np.zeros(_N, np.int64)
    priorities: dict[tuple[int, int], float] = {}
    excludes, includes = [], []
    residual = False
    for e in edits:
        c = e.behavior
        if e.kind == "residual":
            residual = True
        elif e.kind == "threshold":
            bias[c] += e.bias
        elif e.kind == "priority":
            priorities[(c, e.over)] = e.bias
        elif e.kind == "exclude_when":
            excludes.append((c, e.rule))
        elif e.kind == "include_when":
            includes.append((c, e.rule, e.frames))
        elif e.kind == "merge_gap":
            gap[c] = e.frames
        elif e.kind == "min_bout":
            min_len[c] = e.frames
        elif e.kind == "relabel_short":
            relabel_len[c], relabel_to[c] = e.frames, e.to_behavior
        elif e.kind == "onset_shift":
            onset[c] += e.frames
        elif e.kind == "offset_shift":
            offset[c] += e.frames
    takes = None
    if priorities:
        takes = np.zeros((_N, _N), dtype=bool)
        for c, d in priorities:
            takes[c, d] = True
    margins = tuple((c, d, m) for (c, d), m in sorted(priorities.items()) if m > 0)
    return _Plan(
        residual,
        bias,
        margins,
        takes,
        tuple(excludes),
        tuple(includes),
        gap,
        min_len,
        relabel_len,
        relabel_to,
        onset,
        offset,
    )


class _Frames:
    """The frames a program runs on: scores, segment starts and rule-feature columns."""

    def __init__(
        self,
        logp: np.ndarray,
        seg_start: np.ndarray,
        features: np.ndarray | None,
        names: SequenceABC[str] | None,
        residual_logp: np.ndarray | None = None,
    ) -> None:
        self.logp = logp
        self.residual_logp = residual_logp
        self.seg_start = seg_start
        self.features = features
        self.index = {} if names is None else {n: i for i, n in enumerate(names)}
        self._masks: dict[tuple[Condition, ...], np.ndarray] = {}

    def rule_mask(self, rule: tuple[Condition, ...]) -> np.ndarray:
        mask = self._masks.get(rule)
        if mask is None:
            if self.features is None:
                raise DataFormatError(
                    "this style program has rules on pose features; pass the features "
                    "(frames, features) and their names to apply()"
                )
            mask = np.ones(self.logp.shape[0], dtype=bool)
            for cond in rule:
                col = self.index.get(cond.feature)
                if col is None:
                    raise ModelFormatError(
                        f"the style program's rule uses feature {cond.feature!r}, which is not "
                        "among the features given; retrain the model with this ethostyle version"
                    )
                with np.errstate(invalid="ignore"):
                    mask &= cond.holds(self.features[:, col])
            if len(self._masks) > 256:  # a search tries many rules; keep memory bounded
                self._masks.clear()
            self._masks[rule] = mask
        return mask


def _near(mask: np.ndarray, window: int, seg_start: np.ndarray) -> np.ndarray:
    """Frames within ``window`` frames of a True frame of ``mask`` in the same sequence."""
    n = mask.shape[0]
    idx = np.arange(n)
    seg = np.cumsum(seg_start) - 1
    last = np.maximum.accumulate(np.where(mask, idx, -1))
    nxt = np.minimum.accumulate(np.where(mask, idx, n)[::-1])[::-1]
    ok_last = (last >= 0) & (idx - last <= window)
    ok_last &= seg[np.maximum(last, 0)] == seg
    ok_next = (nxt < n) & (nxt - idx <= window)
    ok_next &= seg[np.minimum(nxt, n - 1)] == seg
    return ok_last | ok_next


def _relabel_short(
    labels: np.ndarray, max_len: np.ndarray, to: np.ndarray, seg_start: np.ndarray
) -> np.ndarray:
    b = bout_table(labels, np.flatnonzero(seg_start))
    short = b.length < max_len[b.label]
    if not short.any():
        return labels
    new = b.label.copy()
    new[short] = to[b.label[short]]
    return np.repeat(new, b.length)


# Pipeline steps, by the first step a change of each kind affects.
_STEP_SCORES, _STEP_PRIORITY, _STEP_CONDITIONS, _STEP_BOUTS, _STEP_SHIFTS = range(5)
_KIND_STEP = {
    "residual": _STEP_SCORES,
    "threshold": _STEP_SCORES,
    "priority": _STEP_PRIORITY,
    "exclude_when": _STEP_CONDITIONS,
    "include_when": _STEP_CONDITIONS,
    "merge_gap": _STEP_BOUTS,
    "min_bout": _STEP_BOUTS,
    "relabel_short": _STEP_BOUTS,
    "onset_shift": _STEP_SHIFTS,
    "offset_shift": _STEP_SHIFTS,
}


def _execute(
    plan: _Plan,
    frames: _Frames,
    step: int = _STEP_SCORES,
    trace: dict[str, np.ndarray] | None = None,
    keep: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Labels of ``plan`` on ``frames``; from ``step`` on when ``trace`` holds its inputs.

    ``keep``, when given, receives the input of every step (to start later runs from).
    """
    seg = frames.seg_start
    if step <= _STEP_SCORES:
        logp = frames.residual_logp if plan.residual else frames.logp
        if logp is None:
            raise DataFormatError(
                "this style program takes its scores from a residual model; pass its "
                "probabilities as residual="
            )
        biased = logp + plan.bias
        labels = np.argmax(biased, axis=1).astype(np.int8)
        if keep is not None:
            keep["biased"], keep[str(_STEP_PRIORITY)] = biased, labels
    else:
        assert trace is not None
        biased, labels = trace["biased"], trace[str(step)]
    if labels.size == 0:
        return labels
    if step <= _STEP_PRIORITY and plan.margins:
        new = labels.copy()
        for c, d, margin in plan.margins:
            new[(labels == d) & (biased[:, c] + margin >= biased[:, d])] = c
        labels = new
    if keep is not None and step <= _STEP_PRIORITY:
        keep[str(_STEP_CONDITIONS)] = labels
    if step <= _STEP_CONDITIONS and (plan.excludes or plan.includes):
        new = labels.copy()
        for c, rule in plan.excludes:
            new[(labels == c) & frames.rule_mask(rule)] = OTHER
        for c, rule, window in plan.includes:
            near = _near(labels == c, window, seg)
            new[(labels == OTHER) & (new == OTHER) & near & frames.rule_mask(rule)] = c
        labels = new
    if keep is not None and step <= _STEP_CONDITIONS:
        keep[str(_STEP_BOUTS)] = labels
    if step <= _STEP_BOUTS:
        do_merge = bool((plan.gap > 1).any())
        again = False
        if do_merge:
            labels = merge_gaps(labels, plan.gap, seg)
        if (plan.min_len > 1).any():
            labels = drop_short_bouts(labels, biased, plan.min_len, seg)
            again = True
        if (plan.relabel_len > 1).any():
            labels = _relabel_short(labels, plan.relabel_len, plan.relabel_to, seg)
            again = True
        if do_merge and again:
            labels = merge_gaps(labels, plan.gap, seg)
    if keep is not None:
        keep[str(_STEP_SHIFTS)] = labels
    if plan.onset.any() or plan.offset.any() or plan.takes is not None:
        labels = shift_bouts(labels, plan.onset, plan.offset, seg, plan.takes)
    return labels.astype(np.int8, copy=False)


def rule_features(names: SequenceABC[str]) -> list[int]:
    """Columns a rule may use: the named base pose features, not windowed columns.

    Parameters
    ----------
    names : sequence of str
        Feature names (e.g. :attr:`ethostyle.features.FeatureTable.names`).

    Returns
    -------
    list of int
        Indices of the base features (no ``@`` in the name), tracking quality left out.

    Examples
    --------
    >>> rule_features(["facing_cos", "facing_cos@mean7", "keypoints_missing_fraction"])
    [0]
    """
    return [i for i, n in enumerate(names) if "@" not in n and n != "keypoints_missing_fraction"]


@dataclass(frozen=True, slots=True)
class StyleProgram:
    """An annotator's labelling style: a smoothing window and a list of edits.

    Parameters
    ----------
    smooth : int
        Odd window (frames) of the moving average of the probabilities; 1 means none.
    edits : tuple of Edit
        The edits, in the order they were chosen (the pipeline order is fixed;
        see the module docstring).
    inherited : int
        The first ``inherited`` edits came with the program the search started
        from (the reference annotator's decoding); :meth:`describe` and
        :meth:`records` state only the others, this annotator's own.

    Examples
    --------
    >>> from ethostyle.decode import DecoderParams
    >>> p = StyleProgram.from_decoder(DecoderParams(smooth=5, merge_gap=(0, 9, 0)))
    >>> [e.kind for e in p.edits], p.smooth
    (['merge_gap'], 5)
    >>> StyleProgram.from_dict(p.to_dict(), "model.json") == p
    True
    """

    smooth: int = 1
    edits: tuple[Edit, ...] = ()
    inherited: int = 0
    _plan: _Plan | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not _is_int(self.smooth) or self.smooth < 1 or self.smooth % 2 == 0:
            raise _FieldError("smooth", "must be an odd int >= 1")
        if self.smooth > MAX_SMOOTH:
            raise _FieldError("smooth", f"must be at most {MAX_SMOOTH} frames")
        object.__setattr__(self, "smooth", int(self.smooth))
        edits = tuple(self.edits)
        if not all(isinstance(e, Edit) for e in edits):
            raise _FieldError("edits", "must hold Edit records")
        object.__setattr__(self, "edits", edits)
        if not _is_int(self.inherited) or not 0 <= self.inherited <= len(edits):
            raise _FieldError("inherited", f"must be an int in 0-{len(edits)}")
        object.__setattr__(self, "inherited", int(self.inherited))
        object.__setattr__(self, "_plan", _compile(edits))

    # ------------------------------------------------------------------ building
    @classmethod
    def from_decoder(cls, params: DecoderParams) -> StyleProgram:
        """The program that labels exactly as :func:`ethostyle.decode.decode` with ``params``.

        Parameters
        ----------
        params : DecoderParams
            An old decoder (e.g. read from a model directory of an older version).

        Returns
        -------
        StyleProgram
            Its edits carry gain 0.0 (not measured).

        Examples
        --------
        >>> from ethostyle.decode import DecoderParams
        >>> StyleProgram.from_decoder(DecoderParams(onset_shift=(-6, 0, 0))).edits[0].frames
        -6
        """
        edits: list[Edit] = []
        for i, c in enumerate(_BEHAVIOR_IDS):
            if params.bias[i] != 0:
                edits.append(Edit("threshold", c, bias=params.bias[i]))
        for i, c in enumerate(_BEHAVIOR_IDS):
            if params.merge_gap[i] > 1:
                edits.append(Edit("merge_gap", c, frames=params.merge_gap[i]))
        for i, c in enumerate(_BEHAVIOR_IDS):
            if params.min_length[i] > 1:
                edits.append(Edit("min_bout", c, frames=params.min_length[i]))
        for i, c in enumerate(_BEHAVIOR_IDS):
            if params.onset_shift[i] != 0:
                edits.append(Edit("onset_shift", c, frames=params.onset_shift[i]))
            if params.offset_shift[i] != 0:
                edits.append(Edit("offset_shift", c, frames=params.offset_shift[i]))
        return cls(smooth=params.smooth, edits=tuple(edits))

    def with_edit(self, edit: Edit) -> StyleProgram:
        """This program with one more (own) edit appended.

        Examples
        --------
        >>> StyleProgram().with_edit(Edit("min_bout", "mount", frames=30)).edits[0].frames
        30
        """
        return StyleProgram(self.smooth, (*self.edits, edit), self.inherited)

    @property
    def own_edits(self) -> tuple[Edit, ...]:
        """The edits this annotator's search added (not inherited)."""
        return self.edits[self.inherited :]

    @property
    def has_residual(self) -> bool:
        """Whether the scores come from a residual model (a ``residual`` edit)."""
        return any(e.kind == "residual" for e in self.edits)

    # ------------------------------------------------------------------ labelling
    def apply(
        self,
        proba: np.ndarray,
        features: np.ndarray | None = None,
        feature_names: SequenceABC[str] | None = None,
        *,
        lengths: SequenceABC[int] | None = None,
        residual: np.ndarray | None = None,
    ) -> np.ndarray:
        """Label frames in this program's style.

        Parameters
        ----------
        proba : numpy.ndarray
            ``(frames, 4)`` reference-model class probabilities (:data:`VOCABULARY`
            order) of one sequence, or of several concatenated.
        features : numpy.ndarray, optional
            ``(frames, features)`` float32 pose features; needed only by rule edits.
        feature_names : sequence of str, optional
            Names of the feature columns.
        lengths : sequence of int, optional
            Frames of each concatenated sequence (no smoothing, bout or shift
            crosses from one to the next); default: one sequence.
        residual : numpy.ndarray, optional
            ``(frames, 4)`` probabilities of the residual model; needed only when
            the program has a ``residual`` edit.

        Returns
        -------
        numpy.ndarray
            ``(frames,)`` int8 labels.

        Raises
        ------
        DataFormatError
            On malformed probabilities, missing features or lengths that do not
            add up to the frames.
        ModelFormatError
            When a rule names a feature that is not given.

        Examples
        --------
        >>> import numpy as np
        >>> p = np.array([[0.2, 0.1, 0.0, 0.7]] * 3)
        >>> StyleProgram(edits=(Edit("threshold", "attack", bias=1.5),)).apply(p).tolist()
        [0, 0, 0]
        """
        p = check_proba(proba, "probabilities")
        n = p.shape[0]
        lengths = [n] if lengths is None else [int(v) for v in lengths]
        if sum(lengths) != n or min(lengths, default=0) < 0:
            raise DataFormatError(
                f"sequence lengths {lengths} do not add up to the {n} frames of probabilities"
            )
        seg_start = segment_starts(lengths)
        cuts = np.cumsum(lengths)[:-1]
        logp = _smoothed_log(p, self.smooth, cuts)
        res = None
        if residual is not None:
            r = check_proba(residual, "residual probabilities")
            if r.shape != p.shape:
                raise DataFormatError(
                    f"residual probabilities have shape {r.shape}; expected {p.shape}"
                )
            res = _smoothed_log(r, self.smooth, cuts)
        x = None
        if features is not None:
            x = np.asarray(features)
            if x.ndim != 2 or x.shape[0] != n:
                raise DataFormatError(
                    f"features have shape {x.shape}; expected ({n}, features), one row per frame"
                )
            if feature_names is None or len(feature_names) != x.shape[1]:
                raise DataFormatError(f"give one name per feature column ({x.shape[1]} columns)")
        frames = _Frames(logp, seg_start, x, feature_names, res)
        assert self._plan is not None
        return _execute(self._plan, frames)

    # ---------------------------------------------------------------- plain data
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (never a pickle): ``{"smooth", "inherited", "edits": [...]}``."""
        return {
            "smooth": self.smooth,
            "inherited": self.inherited,
            "edits": [e.to_dict() for e in self.edits],
        }

    @classmethod
    def from_dict(cls, data: object, where: str) -> StyleProgram:
        """Read a program from :meth:`to_dict` data, checking every field.

        Parameters
        ----------
        data : object
            The parsed JSON.
        where : str
            The file, optionally with the path of the program inside it
            (``"model.json: styles.3.program"``); errors start with it.

        Returns
        -------
        StyleProgram

        Raises
        ------
        ModelFormatError
            Naming ``where`` and the field, e.g.
            ``model.json: styles.3.program.edits[2].frames must be an int``.

        Examples
        --------
        >>> StyleProgram.from_dict({"smooth": 3, "edits": [
        ...     {"kind": "merge_gap", "behavior": "investigation", "frames": "x"}]},
        ...     "model.json: styles.3.program")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ethostyle.errors.ModelFormatError: model.json: styles.3.program.edits[0].frames must be ...
        """
        sep = "." if ":" in where else ": "

        def fail(path: str, message: str) -> ModelFormatError:
            return ModelFormatError(f"{where}{sep}{path} {message}")

        if not isinstance(data, Mapping):
            raise ModelFormatError(f"{where}: a style program must be a JSON object")
        unknown = sorted(set(data) - {"smooth", "inherited", "edits"})
        if unknown:
            raise fail(unknown[0], "is not a style program field (smooth, inherited, edits)")
        raw_edits = data.get("edits", [])
        if not isinstance(raw_edits, list):
            raise fail("edits", "must be a list")
        edits = []
        for i, item in enumerate(raw_edits):
            edits.append(_edit_from_dict(item, f"edits[{i}]", fail))
        smooth, inherited = data.get("smooth", 1), data.get("inherited", 0)
        try:
            return cls(smooth=smooth, edits=tuple(edits), inherited=inherited)
        except _FieldError as err:
            raise fail(err.field, err.message) from None

    # ---------------------------------------------------------------- in words
    def records(self, annotator: int) -> list[dict[str, Any]]:
        """One JSON record per own edit (``describe-style --json``).

        Parameters
        ----------
        annotator : int
            The annotator whose program this is.

        Returns
        -------
        list of dict
            ``annotator``, ``behavior``, ``kind``, ``gain`` and the kind's fields:
            ``rule`` (a list of ``{"feature", "op", "value"}``) for the condition
            kinds, ``frames`` for shifts, gaps, minimum bouts, ``relabel_short``
            and ``include_when`` (its window), ``to_behavior`` for
            ``relabel_short``, ``over`` and ``bias`` (its margin) for
            ``priority``, ``bias`` for ``threshold``. Empty for an annotator
            labelled as the reference.

        Examples
        --------
        >>> StyleProgram(edits=(Edit("onset_shift", "attack", gain=0.04, frames=-18),)).records(3)
        [{'annotator': 3, 'behavior': 'attack', 'kind': 'onset_shift', 'gain': 0.04, 'frames': -18}]
        """
        out = []
        for e in self.own_edits:
            record = {"annotator": int(annotator), **e.to_dict()}
            record = {
                "annotator": record.pop("annotator"),
                "behavior": record.pop("behavior", None),
                "kind": record.pop("kind"),
                "gain": record.pop("gain"),
                **record,
            }
            out.append(record)
        return out

    def describe(
        self,
        annotator: int,
        reference_annotator: int = 0,
        fps: float = FPS,
        px_per_cm: float | None = None,
    ) -> list[str]:
        """State each own edit in plain language, with units and its held-out gain.

        Parameters
        ----------
        annotator : int
            The annotator whose program this is.
        reference_annotator : int
            The reference annotator the edits are relative to.
        fps : float
            Frames per second, to state frames as seconds.
        px_per_cm : float, optional
            Pixels per centimetre; distances (and speeds) are then given in cm.

        Returns
        -------
        list of str
            One sentence per own edit; empty when the annotator labels as the reference.

        Examples
        --------
        >>> p = StyleProgram(edits=(Edit("onset_shift", "attack", gain=0.04, frames=-18),))
        >>> print(p.describe(3)[0])  # doctest: +NORMALIZE_WHITESPACE
        Annotator 3 starts attack 0.6 s (18 frames) before the reference annotator does (held-out
        F1 gain +0.04).
        """
        if fps <= 0:
            raise ValueError(f"fps={fps} must be > 0")
        if px_per_cm is not None and not px_per_cm > 0:
            raise ValueError(f"px_per_cm={px_per_cm} must be > 0")
        who = f"Annotator {annotator}"
        if annotator == reference_annotator:
            ref = "the reference model's raw predictions do"
            ref_short = "the reference model"
        else:
            ref = "the reference annotator does"
            ref_short = "the reference annotator"
        lines = []
        for i, e in enumerate(self.edits):
            if i < self.inherited:
                continue
            earlier = [x for x in self.edits[:i] if x.key == e.key]
            text = _sentence(e, who, ref, ref_short, fps, px_per_cm, earlier)
            if e.gain != 0:
                text += f" (held-out F1 gain {e.gain:+.2f})"
            lines.append(text + ".")
        return lines


def _smoothed_log(p: np.ndarray, smooth: int, cuts: np.ndarray) -> np.ndarray:
    if cuts.size == 0:
        return log_scores(p, smooth)
    return np.concatenate([log_scores(part, smooth) for part in np.split(p, cuts)])


def _edit_from_dict(item: object, path: str, fail: Callable[[str, str], ModelFormatError]) -> Edit:
    if not isinstance(item, Mapping):
        raise fail(path, "must be a JSON object")
    kind = item.get("kind")
    if kind not in EDIT_KINDS:
        raise fail(f"{path}.kind", f"must be one of {list(EDIT_KINDS)}, got {kind!r}")
    allowed = {"kind", "behavior", "gain", *_KIND_FIELDS[kind]}
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise fail(f"{path}.{unknown[0]}", f"is not a field of a {kind} edit")
    if kind != "residual" and "behavior" not in item:
        raise fail(f"{path}.behavior", "is missing")
    for name in _KIND_FIELDS[kind]:
        if name not in item and not (kind == "residual" and name == "frames"):
            raise fail(f"{path}.{name}", "is missing")
    for name in ("behavior", "to_behavior", "over"):
        if name in item and not isinstance(item[name], str):
            raise fail(f"{path}.{name}", "must be a behaviour name")
    kwargs = dict(item)
    if "rule" in kwargs:
        rule = kwargs["rule"]
        if not isinstance(rule, list):
            raise fail(f"{path}.rule", "must be a list of conditions")
        conditions = []
        for j, cond in enumerate(rule):
            where = f"{path}.rule[{j}]"
            if not isinstance(cond, Mapping) or set(cond) != {"feature", "op", "value"}:
                raise fail(where, 'must be an object with "feature", "op" and "value"')
            try:
                conditions.append(Condition(cond["feature"], cond["op"], cond["value"]))
            except _FieldError as err:
                raise fail(f"{where}.{err.field}", err.message) from None
        kwargs["rule"] = tuple(conditions)
    try:
        return Edit(**kwargs)
    except _FieldError as err:
        raise fail(f"{path}.{err.field}", err.message) from None


# --------------------------------------------------------------------- in words
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


def _subject(name: str) -> str:
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


def _condition_text(cond: Condition, px_per_cm: float | None) -> str:
    """A condition in words, with units (angles in degrees, distances in px or cm)."""
    name, value, below = cond.feature, cond.value, cond.op == "<"
    subject = _subject(name)
    if name.endswith("_cos"):
        # cos below v <=> angle above arccos(v): state the angle.
        angle = math.degrees(math.acos(min(1.0, max(-1.0, value))))
        return f"{subject} is {'above' if below else 'at most'} {angle:.0f}°"
    units = [
        ("_px_s2", "px/s²", "cm/s²", 1),
        ("_px_s", "px/s", "cm/s", 1),
        ("_px", "px", "cm", 1),
        ("_deg_s", "°/s", "°/s", 0),
        ("_body_lengths", "body lengths", "body lengths", 0),
    ]
    relation = "below" if below else "at least"
    for suffix, px_unit, cm_unit, scales in units:
        if name.endswith(suffix):
            if scales and px_per_cm is not None:
                return f"{subject} is {relation} {value / px_per_cm:.1f} {cm_unit}"
            return f"{subject} is {relation} {value:.1f} {px_unit}"
    return f"{subject} is {relation} {value:.2f}"


def _seconds(frames: int, fps: float) -> str:
    return f"{abs(frames) / fps:.1f} s ({abs(frames)} frames)"


def _sentence(
    e: Edit,
    who: str,
    ref: str,
    ref_short: str,
    fps: float,
    px_per_cm: float | None,
    earlier: list[Edit],
) -> str:
    b = e.behavior_name
    was = ""
    if e.kind in _LAST_WINS and earlier:
        prev = earlier[-1]
        was = f"; {ref_short}: {prev.bias:.1f}" if e.kind == "priority" else ""
        was = was or f"; {ref_short}: {prev.frames} frames"
    if e.kind == "residual":
        return f"{who}'s remaining differences are learned by a boosted residual model"
    if e.kind == "threshold":
        how = "more readily" if e.bias > 0 else "more strictly"
        return (
            f"{who} calls {b} {how} than {ref_short} (its score is multiplied by "
            f"{math.exp(e.bias):.2g})"
        )
    if e.kind in ("onset_shift", "offset_shift"):
        verb = "starts" if e.kind == "onset_shift" else "ends"
        when = "before" if e.frames < 0 else "after"
        return f"{who} {verb} {b} {_seconds(e.frames, fps)} {when} {ref}"
    if e.kind == "merge_gap":
        return (
            f"{who} joins {b} bouts separated by pauses shorter than "
            f"{_seconds(e.frames, fps)}{was} into one bout"
        )
    if e.kind == "min_bout":
        return (
            f"{who} does not label {b} bouts shorter than {_seconds(e.frames, fps)}{was} "
            "(they go to the neighbouring label that fits best)"
        )
    if e.kind == "relabel_short":
        to = VOCABULARY[e.to_behavior]  # type: ignore[index]
        return f"{who} labels {b} bouts shorter than {_seconds(e.frames, fps)}{was} as {to}"
    if e.kind == "priority":
        over = VOCABULARY[e.over]  # type: ignore[index]
        text = f"{who} labels {b} rather than {over} where both could apply"
        if e.bias > 0:
            text += f" (where the score of {b} is at least {math.exp(-e.bias):.2g} times {over}'s)"
        return text
    rule = " and ".join(_condition_text(c, px_per_cm) for c in e.rule)
    if e.kind == "exclude_when":
        return f"{who} does not count as {b} the frames where {rule}"
    article = "an" if b and b[0] in "aeiou" else "a"
    return (
        f"{who} also labels as {b} the frames within {_seconds(e.frames, fps)} of {article} {b} "
        f"bout where {rule}"
    )


# --------------------------------------------------------------------- fitting
@dataclass
class _Candidate:
    gain: float
    edit: Edit
    fold_gains: np.ndarray


class _Search:
    """The pooled frames of an annotator's videos, their folds, and candidate scoring."""

    def __init__(
        self,
        videos: SequenceABC[tuple[np.ndarray, np.ndarray | None, np.ndarray]],
        feature_names: SequenceABC[str] | None,
        smooth: int,
    ) -> None:
        probas, feats, ys, residuals = [], [], [], []
        for i, video in enumerate(videos):
            where = f"video {i} of {len(videos)}"
            if len(video) not in (3, 4):
                raise DataFormatError(
                    f"{where}: give (proba, features, labels) or (proba, features, labels, "
                    "residual proba)"
                )
            proba, x, y = video[:3]
            p = check_proba(proba, where)
            if len(video) == 4:
                r = check_proba(video[3], f"{where}, residual probabilities")
                if r.shape != p.shape:
                    raise DataFormatError(
                        f"{where}: residual probabilities of shape {r.shape}; expected {p.shape}"
                    )
                residuals.append(r)
            y = np.asarray(y)
            if y.shape != (p.shape[0],):
                raise DataFormatError(
                    f"{where}: {p.shape[0]} frames of probabilities but labels of shape "
                    f"{y.shape}; give one label per frame"
                )
            if y.size and (y.min() < 0 or y.max() >= _N):
                frame = int(np.flatnonzero((y < 0) | (y >= _N))[0])
                raise DataFormatError(f"{where}, frame {frame}: label {y[frame]} is outside 0-3")
            if x is not None:
                x = np.asarray(x)
                if x.ndim != 2 or x.shape[0] != p.shape[0]:
                    raise DataFormatError(
                        f"{where}: features of shape {x.shape}; expected ({p.shape[0]}, features)"
                    )
            probas.append(p)
            feats.append(x)
            ys.append(y.astype(np.int64))
        if not probas:
            raise DataFormatError("no videos to fit a style program on; give at least one")
        lengths = [p.shape[0] for p in probas]
        self.n = sum(lengths)
        self.true = np.concatenate(ys)
        seg_start = segment_starts(lengths)
        if len(probas) >= 2:
            self.fold = np.repeat(np.arange(len(probas)), lengths)
        else:  # one video: its two halves are the folds
            self.fold = (np.arange(self.n) >= self.n // 2).astype(np.int64)
        self.k = int(self.fold.max()) + 1
        self.cm_index = self.fold * _N * _N + self.true * _N
        logp = np.concatenate([log_scores(p, smooth) for p in probas])
        residual_logp = None
        if residuals:
            if len(residuals) != len(probas):
                raise DataFormatError("give residual probabilities for every video or for none")
            residual_logp = np.concatenate([log_scores(r, smooth) for r in residuals])
        self.rule_names: list[str] = []
        x_rule = None
        if feature_names is not None and all(x is not None for x in feats):
            cols = rule_features(feature_names)
            if any(x.shape[1] != len(feature_names) for x in feats):  # type: ignore[union-attr]
                raise DataFormatError(
                    f"give one name per feature column ({len(feature_names)} names)"
                )
            self.rule_names = [feature_names[i] for i in cols]
            x_rule = np.concatenate([np.asarray(x[:, cols], np.float32) for x in feats])  # type: ignore[index]
        self.x_rule = x_rule
        self.edges, self.codes = (None, None) if x_rule is None else _quantile_bins(x_rule)
        self.frames = _Frames(logp, seg_start, x_rule, self.rule_names, residual_logp)

    def cms(self, labels: np.ndarray) -> np.ndarray:
        """``(folds, 4, 4)`` confusion matrices of labels over all frames."""
        counts = np.bincount(self.cm_index + labels, minlength=self.k * _N * _N)
        return counts.reshape(self.k, _N, _N)

    def cms_of(self, plan: _Plan, step: int, trace: dict[str, np.ndarray]) -> np.ndarray:
        return self.cms(_execute(plan, self.frames, step, trace))


def _choose(
    cms: np.ndarray, sizes: np.ndarray, allowed: np.ndarray, midpoint: bool = False
) -> tuple[np.ndarray, int]:
    """Per fold, the option best on the *other* folds; and the option best on all.

    ``cms``: ``(options, folds, 4, 4)``, option 0 the program unchanged;
    ``allowed``: ``(folds + 1, options)`` bool (the last row for all folds pooled).
    Ties go to option 0, else to the smallest ``sizes``, or with ``midpoint`` to
    the middle of the tied sizes: a gap or duration on a plateau of equal F1 (no
    bout in the data falls between its ends) is then the value farthest from both.
    """
    total = cms.sum(axis=1)
    train = _f1(total[:, None] - cms)  # (options, folds)
    scores = np.concatenate([train, _f1(total)[:, None]], axis=1).T  # (folds + 1, options)
    scores = np.where(allowed, scores, -np.inf)
    best = scores.max(axis=1, keepdims=True)
    tied = scores >= best - 1e-12
    # Among tied options, the smallest size; np.argmin over a masked size array.
    pick = np.argmin(np.where(tied, sizes[None, :], np.inf), axis=1)
    if midpoint:
        for row in np.flatnonzero(~tied[:, 0]):  # a loop over folds
            options = np.flatnonzero(tied[row])
            options = options[np.argsort(sizes[options], kind="stable")]
            pick[row] = options[(options.size - 1) // 2]
    return pick[:-1], int(pick[-1])


def _held_out_gain(cms: np.ndarray, pick: np.ndarray, base: np.ndarray) -> tuple[float, np.ndarray]:
    """Pooled held-out F1 gain of the folds' picks over ``base``, and each fold's own gain."""
    held = cms[pick, np.arange(pick.size)]
    pooled = float(_f1(held.sum(axis=0)) - _f1(base.sum(axis=0)))
    return pooled, _f1(held) - _f1(base)


def _between(grid: SequenceABC[float], value: float, steps: int = 8) -> list[float]:
    """Values strictly between ``value``'s neighbours in ``grid`` (the fine search)."""
    g = sorted(grid)
    i = g.index(value)
    lo = g[i - 1] if i > 0 else value
    hi = g[i + 1] if i + 1 < len(g) else value
    return [float(v) for v in np.linspace(lo, hi, 2 * steps + 1)[1:-1] if v != value]


class _Fitter:
    """Greedy forward selection of edits (see :func:`fit_program`)."""

    def __init__(self, search: _Search, program: StyleProgram, min_leaf: int) -> None:
        self.s = search
        self.program = program
        self.min_leaf = min_leaf

    # One round -------------------------------------------------------------
    def round(self) -> _Candidate | None:
        plan = self.program._plan
        assert plan is not None
        self.trace: dict[str, np.ndarray] = {}
        self.labels = _execute(plan, self.s.frames, keep=self.trace)
        self.base = self.s.cms(self.labels)
        own = {e.key for e in self.program.own_edits}
        best: _Candidate | None = None
        for kind in SEARCHED_KINDS:
            for c in _BEHAVIOR_IDS:
                overs = [d for d in _BEHAVIOR_IDS if d != c] if kind == "priority" else [None]
                for d in overs:
                    key = (kind, c, d) if kind == "priority" else (kind, c)
                    if key in own:
                        continue
                    if kind in CONDITION_KINDS:
                        cand = self._condition(kind, c)
                    else:
                        cand = self._grid(kind, c, d)
                    if cand is not None and (best is None or cand.gain > best.gain):
                        best = cand
        return best

    # Grid kinds ------------------------------------------------------------
    def _grid(self, kind: str, c: int, d: int | None) -> _Candidate | None:
        plan = self.program._plan
        assert plan is not None
        if kind == "threshold":
            coarse: list[Any] = [v for v in _BIAS_GRID if v != 0]

            def refine(v: Any) -> list[Any]:
                return [v + s for s in (-0.375, -0.25, -0.125, 0.125, 0.25, 0.375) if v + s != 0]

            def make(v: Any) -> Edit:
                return Edit(kind, c, bias=float(v))

            def size(v: Any) -> float:
                return abs(v)
        elif kind in ("onset_shift", "offset_shift"):
            coarse = [v for v in _SHIFT_GRID if v != 0]

            def refine(v: Any) -> list[Any]:
                return [v + s for s in range(-5, 6) if s != 0 and v + s != 0 and abs(v + s) <= 60]

            def make(v: Any) -> Edit:
                return Edit(kind, c, frames=int(v))

            def size(v: Any) -> float:
                return abs(v)
        elif kind in ("merge_gap", "min_bout"):
            coarse = list(_LENGTH_GRID)

            def refine(v: Any) -> list[Any]:
                return sorted({round(x) for x in _between(_LENGTH_GRID, v)} - {v})

            def make(v: Any) -> Edit:
                return Edit(kind, c, frames=int(v))

            def size(v: Any) -> float:
                return float(v)
        elif kind == "relabel_short":
            targets = [t for t in (*_BEHAVIOR_IDS, OTHER) if t != c]
            coarse = [(t, v) for t in targets for v in _LENGTH_GRID]

            def refine(v: Any) -> list[Any]:
                t, f = v
                return [(t, x) for x in sorted({round(x) for x in _between(_LENGTH_GRID, f)})]

            def make(v: Any) -> Edit:
                return Edit(kind, c, frames=int(v[1]), to_behavior=int(v[0]))

            def size(v: Any) -> float:
                return float(v[1])
        else:  # priority
            coarse = list(_PRIORITY_MARGINS)

            def refine(v: Any) -> list[Any]:
                return []

            def make(v: Any) -> Edit:
                return Edit(kind, c, over=d, bias=float(v))

            def size(v: Any) -> float:
                return float(v) + 1.0

        step = _KIND_STEP[kind]
        options: list[Any] = [None]  # None: the program unchanged
        cms = [self.base]

        def evaluate(values: list[Any]) -> None:
            for v in values:
                edit_plan = _compile((*self.program.edits, make(v)))
                options.append(v)
                cms.append(self.s.cms_of(edit_plan, step, self.trace))

        evaluate(coarse)
        k = self.s.k
        sizes = np.array([0.0] + [size(v) for v in coarse])
        allowed = np.ones((k + 1, len(options)), dtype=bool)
        picks, pick_all = _choose(np.stack(cms), sizes, allowed)
        # Refine around each fold's own coarse best (and the pooled best): a fold may
        # then pick only among the coarse grid and its own refinement.
        own_best = [options[i] for i in (*picks, pick_all)]
        fine: list[set[Any]] = [set(refine(v)) if v is not None else set() for v in own_best]
        extra = sorted(set().union(*fine) - set(coarse), key=repr)
        evaluate(extra)
        sizes = np.array([0.0] + [size(v) for v in options[1:]])
        allowed = np.zeros((k + 1, len(options)), dtype=bool)
        allowed[:, : len(coarse) + 1] = True
        for row, values in enumerate(fine):
            for j, v in enumerate(extra):
                allowed[row, len(coarse) + 1 + j] = v in values
        stacked = np.stack(cms)
        plateau = kind in ("merge_gap", "min_bout", "relabel_short")
        picks, pick_all = _choose(stacked, sizes, allowed, midpoint=plateau)
        if pick_all == 0:
            return None
        gain, folds = _held_out_gain(stacked, picks, self.base)
        return _Candidate(gain, replace(make(options[pick_all]), gain=gain), folds)

    # Condition kinds ---------------------------------------------------------
    def _condition(self, kind: str, c: int) -> _Candidate | None:
        s = self.s
        if s.x_rule is None or not s.rule_names:
            return None
        plan = self.program._plan
        assert plan is not None
        cur = self.trace[str(_STEP_CONDITIONS)]
        if kind == "exclude_when":
            region = cur == c
            target = s.true != c
        else:
            region = (cur == OTHER) & _near(cur == c, INCLUDE_WINDOW, s.frames.seg_start)
            target = s.true == c
        k = s.k
        rules_by_fold: list[list[tuple[Condition, ...]]] = []
        for f in (*range(k), None):
            train = region if f is None else region & (s.fold != f)
            base_cm = self.base.sum(axis=0) if f is None else self.base.sum(axis=0) - self.base[f]
            rules_by_fold.append(self._tree_rules(kind, c, train, target, base_cm))
        unique = sorted({r for rules in rules_by_fold for r in rules}, key=repr)
        if not unique:
            return None
        step = _STEP_CONDITIONS
        cms = [self.base]
        window = INCLUDE_WINDOW if kind == "include_when" else 0

        def make(rule: tuple[Condition, ...]) -> Edit:
            return Edit(kind, c, rule=rule, frames=window)

        for rule in unique:
            cms.append(s.cms_of(_compile((*self.program.edits, make(rule))), step, self.trace))
        allowed = np.zeros((k + 1, len(unique) + 1), dtype=bool)
        allowed[:, 0] = True
        for row, rules in enumerate(rules_by_fold):
            for rule in rules:
                allowed[row, 1 + unique.index(rule)] = True
        sizes = np.array([0.0] + [len(r) for r in unique])
        stacked = np.stack(cms)
        picks, pick_all = _choose(stacked, sizes, allowed)
        if pick_all == 0:
            return None
        gain, folds = _held_out_gain(stacked, picks, self.base)
        return _Candidate(gain, replace(make(unique[pick_all - 1]), gain=gain), folds)

    def _tree_rules(
        self,
        kind: str,
        c: int,
        rows: np.ndarray,
        target: np.ndarray,
        base_cm: np.ndarray,
    ) -> list[tuple[Condition, ...]]:
        """Up to :data:`_RULES_PER_TREE` rules (tree nodes) that raise F1 of ``c`` most."""
        s = self.s
        assert s.codes is not None and s.edges is not None
        idx = np.flatnonzero(rows)
        if idx.size < 2 * self.min_leaf:
            return []
        if idx.size > _TREE_ROWS:  # a stride through the region: fast and deterministic
            idx = idx[np.linspace(0, idx.size - 1, _TREE_ROWS).astype(np.int64)]
        scale = np.count_nonzero(rows) / idx.size
        y = target[idx]
        if y.all() or not y.any():
            return []
        leaf = max(self.min_leaf, int(_MIN_LEAF_SHARE * idx.size))
        nodes = _depth2_nodes(s.codes[idx], y, leaf)
        if not nodes:
            return []
        pos = np.array([n[1] for n in nodes], dtype=np.float64) * scale
        cnt = np.array([n[2] for n in nodes], dtype=np.float64) * scale
        neg = cnt - pos
        tp = float(base_cm[c, c])
        fp = float(base_cm[:, c].sum() - tp)
        fn = float(base_cm[c, :].sum() - tp)
        if kind == "exclude_when":  # flipped frames: pos lose an FP, neg lose a TP
            tp2, fp2, fn2 = tp - neg, fp - pos, fn + neg
        else:  # pos gain a TP, neg add an FP
            tp2, fp2, fn2 = tp + pos, fp + neg, fn - pos
        denom = 2 * tp2 + fp2 + fn2
        f1_after = np.divide(2 * tp2, denom, out=np.zeros_like(denom), where=denom > 0)
        f1_now = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) > 0 else 0.0
        conditions = [
            tuple(
                Condition(s.rule_names[f], op, float(f"{s.edges[f, b]:.4g}")) for f, b, op in path
            )
            for path, _, _ in nodes
        ]
        order = [i for i in range(len(nodes)) if f1_after[i] > f1_now + 1e-9]
        order.sort(key=lambda i: (-f1_after[i], len(conditions[i]), i))
        rules = []
        for i in order:
            rule = _simplify(conditions[i])
            if rule not in rules:
                rules.append(rule)
            if len(rules) == _RULES_PER_TREE:
                break
        return rules


def _quantile_bins(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, :data:`_TREE_BINS` quantile bins: edges ``(columns, bins - 1)`` and codes.

    ``codes[t, f]`` counts the edges of column ``f`` at or below ``x[t, f]``, so
    ``codes <= b`` holds exactly where ``x < edges[f, b]``.
    """
    qs = np.linspace(0.0, 1.0, _TREE_BINS + 1)[1:-1]
    with np.errstate(invalid="ignore"):
        edges = np.nanquantile(x, qs, axis=0).T.astype(np.float32)
    edges = np.nan_to_num(edges, nan=0.0)
    codes = np.empty(x.shape, dtype=np.uint8)
    for f in range(x.shape[1]):  # a loop over the ~85 columns, not over frames
        codes[:, f] = np.searchsorted(edges[f], x[:, f], side="right")
    return edges, codes


def _best_split(codes: np.ndarray, y: np.ndarray, min_leaf: int) -> tuple[int, int] | None:
    """The Gini-best split ``codes[:, f] <= b`` of the rows, as a CART tree chooses it.

    The split must leave ``min_leaf`` rows on each side and lower the impurity;
    every column and bin edge is scored at once from one class histogram.
    """
    m, n_cols = codes.shape
    flat = (np.arange(n_cols, dtype=np.int64) * _TREE_BINS + codes) * 2 + y[:, None]
    hist = np.bincount(flat.ravel(), minlength=n_cols * _TREE_BINS * 2)
    hist = hist.reshape(n_cols, _TREE_BINS, 2).astype(np.float64)
    left = np.cumsum(hist, axis=1)[:, :-1]
    total = hist.sum(axis=1)
    right = total[:, None, :] - left
    n_left, n_right = left.sum(axis=-1), right.sum(axis=-1)
    valid = (n_left >= min_leaf) & (n_right >= min_leaf)
    if not valid.any():
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        # n * Gini = n - sum(count^2) / n, summed over both sides.
        impurity = (
            n_left - (left**2).sum(axis=-1) / n_left + n_right - (right**2).sum(axis=-1) / n_right
        )
    impurity = np.where(valid, impurity, np.inf)
    f, b = np.unravel_index(int(np.argmin(impurity)), impurity.shape)
    parent = m - float((total[0] ** 2).sum()) / m
    if impurity[f, b] >= parent - 1e-9:
        return None
    return int(f), int(b)


def _depth2_nodes(
    codes: np.ndarray, y: np.ndarray, min_leaf: int
) -> list[tuple[tuple[tuple[int, int, str], ...], int, int]]:
    """The nodes below the root of a depth-2 Gini tree: (path, positives, rows) each.

    A path is one or two ``(column, bin, op)`` steps, ``"<"`` for ``codes <= bin``.
    """
    root = _best_split(codes, y, min_leaf)
    if root is None:
        return []
    f, b = root
    goes_left = codes[:, f] <= b
    nodes = []
    for op, mask in (("<", goes_left), (">", ~goes_left)):
        step = (f, b, op)
        sub_codes, sub_y = codes[mask], y[mask]
        nodes.append(((step,), int(sub_y.sum()), int(mask.sum())))
        split = _best_split(sub_codes, sub_y, min_leaf)
        if split is None:
            continue
        g, c = split
        inner = sub_codes[:, g] <= c
        nodes.append(((step, (g, c, "<")), int(sub_y[inner].sum()), int(inner.sum())))
        nodes.append(((step, (g, c, ">")), int(sub_y[~inner].sum()), int((~inner).sum())))
    return nodes


def _simplify(rule: tuple[Condition, ...]) -> tuple[Condition, ...]:
    """Merge two conditions on one feature with the same direction into the tighter one."""
    if len(rule) == 2 and rule[0].feature == rule[1].feature and rule[0].op == rule[1].op:
        pick = min if rule[0].op == "<" else max
        return (Condition(rule[0].feature, rule[0].op, pick(rule[0].value, rule[1].value)),)
    return rule


def fit_program(
    videos: SequenceABC[tuple[np.ndarray, np.ndarray | None, np.ndarray]],
    feature_names: SequenceABC[str] | None,
    *,
    start: StyleProgram | None = None,
    penalty: float = DEFAULT_PENALTY,
    max_edits: int = DEFAULT_MAX_EDITS,
    min_leaf: int = _MIN_LEAF_FRAMES,
    progress: Progress = NULL_PROGRESS,
) -> StyleProgram:
    """Fit one annotator's style program by greedy forward selection on held-out videos.

    Parameters
    ----------
    videos : sequence of (proba, features, labels) or (proba, features, labels, residual)
        Per video of the annotator: ``(frames, 4)`` class probabilities of a
        reference model that never trained on it, ``(frames, features)`` pose
        features (None: no rule edits) and ``(frames,)`` the annotator's labels;
        when ``start`` has a ``residual`` edit, also the ``(frames, 4)``
        probabilities of a residual model fitted without that video.
    feature_names : sequence of str or None
        Names of the feature columns; rules use only the base pose features
        (:func:`rule_features`).
    start : StyleProgram, optional
        Where the search starts (e.g. the reference annotator's program); its
        edits are kept and marked inherited. Default: plain argmax.
    penalty : float
        Smallest pooled held-out macro-F1 gain an edit must bring (δ).
    max_edits : int
        Most edits added.
    min_leaf : int
        Fewest frames in a rule tree's leaf (grows to 2% of the frames it is fitted on).
    progress : Progress, optional
        Receives one unit per search round.

    Returns
    -------
    StyleProgram
        ``start`` plus the accepted edits (each with its held-out gain), parameters
        refitted on all videos.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(rng.choice(4, 300, p=[0.1, 0.3, 0.1, 0.5]), 30)
    >>> p = np.eye(4)[y] * 0.7 + 0.075
    >>> late = StyleProgram(edits=(Edit("onset_shift", "investigation", frames=12),))
    >>> videos = [(p[:4500], None, late.apply(p[:4500])), (p[4500:], None, late.apply(p[4500:]))]
    >>> [(e.kind, e.behavior_name, e.frames) for e in fit_program(videos, None).edits]
    [('onset_shift', 'investigation', 12)]
    """
    start = start or StyleProgram()
    if not 0 <= penalty < 1:
        raise ValueError(f"penalty={penalty} must be in [0, 1)")
    program = StyleProgram(start.smooth, start.edits, inherited=len(start.edits))
    search = _Search(videos, feature_names, program.smooth)
    fitter = _Fitter(search, program, min_leaf)
    advance = progress.task("style program", max_edits)
    for round_ in range(max_edits):
        best = fitter.round()
        advance(1)
        if best is None or best.gain < penalty or best.gain <= 0:
            logger.info(
                "style program: stop after %d edit(s); best next gain %s < %.3f (%s)",
                round_,
                "none" if best is None else f"{best.gain:+.4f}",
                penalty,
                None if best is None else best.edit,
            )
            break
        logger.info(
            "style program: + %s (held-out gain %+.4f; per fold %s)",
            best.edit,
            best.gain,
            np.round(best.fold_gains, 4).tolist(),
        )
        fitter.program = fitter.program.with_edit(best.edit)
    return fitter.program


def residual_gain(
    program: StyleProgram,
    videos: SequenceABC[tuple[np.ndarray, np.ndarray | None, np.ndarray]],
    feature_names: SequenceABC[str] | None,
    residual_probas: SequenceABC[np.ndarray],
) -> float:
    """Pooled held-out F1 gain of taking a program's scores from a residual model.

    Parameters
    ----------
    program : StyleProgram
        The annotator's program without a residual edit.
    videos : sequence of (proba, features, labels)
        As for :func:`fit_program`.
    feature_names : sequence of str or None
        Names of the feature columns.
    residual_probas : sequence of numpy.ndarray
        Per video, ``(frames, 4)`` probabilities of the residual model *fitted
        without that video* (leave one video out).

    Returns
    -------
    float
        Held-out macro F1 with the residual scores minus without; add
        ``Edit("residual", gain=g)`` to the program when ``g`` is at least the penalty.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat(np.arange(4), 50)
    >>> p = np.full((200, 4), 0.25)
    >>> round(residual_gain(StyleProgram(), [(p, None, y)], None, [np.eye(4)[y]]), 3)
    0.867
    """
    if len(residual_probas) != len(videos):
        raise DataFormatError(
            f"{len(residual_probas)} residual probability arrays for {len(videos)} videos"
        )
    without = pooled_f1(program, videos, feature_names)
    with_res = pooled_f1(
        program.with_edit(Edit("residual")), videos, feature_names, residual_probas
    )
    return with_res - without


def pooled_f1(
    program: StyleProgram,
    videos: SequenceABC[tuple[np.ndarray, np.ndarray | None, np.ndarray]],
    feature_names: SequenceABC[str] | None,
    residual: SequenceABC[np.ndarray] | None = None,
) -> float:
    """Macro F1 of the behaviours of a program's labels, frames of all videos pooled.

    Parameters
    ----------
    program : StyleProgram
        The program.
    videos : sequence of (proba, features, labels)
        As for :func:`fit_program`.
    feature_names : sequence of str or None
        Names of the feature columns.
    residual : sequence of numpy.ndarray, optional
        Per video, the residual model's probabilities (for a program with a
        ``residual`` edit).

    Returns
    -------
    float
        Pooled macro F1 (attack, investigation, mount).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat(np.arange(4), 50)
    >>> pooled_f1(StyleProgram(), [(np.eye(4)[y], None, y)], None)
    1.0
    """
    cm = np.zeros((_N, _N), np.int64)
    for i, (proba, x, y) in enumerate(videos):
        pred = program.apply(
            proba,
            x,
            feature_names if x is not None else None,
            residual=None if residual is None else residual[i],
        )
        y = np.asarray(y, np.int64)
        cm += np.bincount(y * _N + pred, minlength=_N * _N).reshape(_N, _N)
    return float(_f1(cm))
