"""Compile a program's edits into a :class:`~.plan.Plan`, and label frames with it.

The pipeline is fixed (see the package docstring); the edits set its numbers through
their kind's ``compile`` (:data:`~.edits.KINDS`). Every step is vectorised over
frames; sequences concatenated end to end are kept apart by ``seg_start``.

Examples
--------
>>> import numpy as np
>>> from ethostyle.decode import segment_starts
>>> from ethostyle.models.program.edits import Edit
>>> plan = compile_edits([Edit("threshold", "attack", bias=2.0)])
>>> frames = Frames(np.log(np.array([[0.2, 0.1, 0.0, 0.7]]) + 1e-12), segment_starts([1]))
>>> execute(plan, frames).tolist()
[0]
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence as SequenceABC

import numpy as np

from ethostyle.bouts import bout_table
from ethostyle.data import OTHER
from ethostyle.decode import drop_short_bouts, log_scores, merge_gaps, shift_bouts
from ethostyle.errors import DataFormatError, ModelFormatError
from ethostyle.models.program.edits import KINDS, Condition, Edit
from ethostyle.models.program.plan import (
    STEP_BOUTS,
    STEP_CONDITIONS,
    STEP_PRIORITY,
    STEP_SCORES,
    STEP_SHIFTS,
    Plan,
    PlanBuilder,
)

__all__ = ["Frames", "compile_edits", "execute", "near", "smoothed_log"]


def compile_edits(edits: Iterable[Edit]) -> Plan:
    """The plan of a list of edits: each sets its step's numbers, in order."""
    builder = PlanBuilder()
    for e in edits:
        KINDS[e.kind].compile(e, builder)
    return builder.build()


class Frames:
    """The frames a program runs on: scores, segment starts and rule-feature columns.

    Parameters
    ----------
    logp : numpy.ndarray
        ``(frames, 4)`` log-scores of the reference model.
    seg_start : numpy.ndarray
        ``(frames,)`` bool, True at each sequence's first frame.
    features : numpy.ndarray, optional
        ``(frames, features)`` the columns rules may name.
    names : sequence of str, optional
        Their names.
    residual_logp : numpy.ndarray, optional
        ``(frames, 4)`` log-scores of the residual model.
    motifs : numpy.ndarray, optional
        ``(frames,)`` the motif of each frame (:mod:`ethostyle.motifs`), for motif edits.
    """

    def __init__(
        self,
        logp: np.ndarray,
        seg_start: np.ndarray,
        features: np.ndarray | None = None,
        names: SequenceABC[str] | None = None,
        residual_logp: np.ndarray | None = None,
        motifs: np.ndarray | None = None,
    ) -> None:
        self.logp = logp
        self.motifs = motifs
        self.residual_logp = residual_logp
        self.seg_start = seg_start
        self.features = features
        self.index = {} if names is None else {n: i for i, n in enumerate(names)}
        self._masks: dict[tuple[Condition, ...], np.ndarray] = {}

    def rule_mask(self, rule: tuple[Condition, ...]) -> np.ndarray:
        """``(frames,)`` bool: where every condition of ``rule`` holds (cached)."""
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

    def near(self, mask: np.ndarray, window: int) -> np.ndarray:
        """Frames within ``window`` frames of a True frame of ``mask`` in the same sequence."""
        return near(mask, window, self.seg_start)


def near(mask: np.ndarray, window: int, seg_start: np.ndarray) -> np.ndarray:
    """Frames within ``window`` frames of a True frame of ``mask`` in the same sequence.

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.array([False, False, True, False, False, False])
    >>> near(mask, 1, np.array([True, False, False, False, True, False])).tolist()
    [False, True, True, True, False, False]
    """
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


def _transform(plan: Plan, step: int, labels: np.ndarray, frames: Frames) -> np.ndarray:
    """The labels after the transforms of kinds that add their own work to ``step``."""
    for fn, edit in plan.transforms.get(step, ()):
        labels = fn(labels, edit, frames)
    return labels


def _scores_step(plan: Plan, frames: Frames) -> tuple[np.ndarray, np.ndarray]:
    logp = frames.residual_logp if plan.residual else frames.logp
    if logp is None:
        raise DataFormatError(
            "this style program takes its scores from a residual model; pass its "
            "probabilities as residual="
        )
    biased = logp + plan.bias
    labels = np.argmax(biased, axis=1).astype(np.int8)
    return biased, _transform(plan, STEP_SCORES, labels, frames)


def _priority_step(plan: Plan, labels: np.ndarray, biased: np.ndarray) -> np.ndarray:
    if not plan.margins:
        return labels
    new = labels.copy()
    for c, d, margin in plan.margins:
        new[(labels == d) & (biased[:, c] + margin >= biased[:, d])] = c
    return new


def _conditions_step(plan: Plan, labels: np.ndarray, frames: Frames) -> np.ndarray:
    if not (plan.excludes or plan.includes):
        return labels
    new = labels.copy()
    for c, rule in plan.excludes:
        new[(labels == c) & frames.rule_mask(rule)] = OTHER
    for c, rule, window in plan.includes:
        close = near(labels == c, window, frames.seg_start)
        new[(labels == OTHER) & (new == OTHER) & close & frames.rule_mask(rule)] = c
    return new


def _bouts_step(plan: Plan, labels: np.ndarray, biased: np.ndarray, seg: np.ndarray) -> np.ndarray:
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
    return labels


def execute(
    plan: Plan,
    frames: Frames,
    step: int = STEP_SCORES,
    trace: dict[str, np.ndarray] | None = None,
    keep: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Labels of ``plan`` on ``frames``; from ``step`` on when ``trace`` holds its inputs.

    ``keep``, when given, receives the input of every step (to start later runs from):
    ``keep["biased"]`` the biased log-scores, ``keep[str(s)]`` the labels step ``s`` starts
    from. The search runs a candidate edit from its kind's step with that ``trace``.
    """
    seg = frames.seg_start
    if step <= STEP_SCORES:
        biased, labels = _scores_step(plan, frames)
        if keep is not None:
            keep["biased"], keep[str(STEP_PRIORITY)] = biased, labels
    else:
        assert trace is not None
        biased, labels = trace["biased"], trace[str(step)]
    if labels.size == 0:
        return labels
    if step <= STEP_PRIORITY:
        labels = _transform(plan, STEP_PRIORITY, _priority_step(plan, labels, biased), frames)
        if keep is not None:
            keep[str(STEP_CONDITIONS)] = labels
    if step <= STEP_CONDITIONS:
        labels = _transform(plan, STEP_CONDITIONS, _conditions_step(plan, labels, frames), frames)
        if keep is not None:
            keep[str(STEP_BOUTS)] = labels
    if step <= STEP_BOUTS:
        labels = _transform(plan, STEP_BOUTS, _bouts_step(plan, labels, biased, seg), frames)
    if keep is not None:
        keep[str(STEP_SHIFTS)] = labels
    if plan.onset.any() or plan.offset.any() or plan.takes is not None:
        labels = shift_bouts(labels, plan.onset, plan.offset, seg, plan.takes)
    labels = _transform(plan, STEP_SHIFTS, labels, frames)
    return labels.astype(np.int8, copy=False)


def smoothed_log(p: np.ndarray, smooth: int, cuts: np.ndarray) -> np.ndarray:
    """Log-scores of concatenated sequences, each smoothed apart (``cuts``: their borders)."""
    if cuts.size == 0:
        return log_scores(p, smooth)
    return np.concatenate([log_scores(part, smooth) for part in np.split(p, cuts)])
