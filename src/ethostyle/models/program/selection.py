"""Choosing among a candidate edit's options on held-out folds, and its honest gain.

Every kind's search ends the same way: the confusion matrices of each option (option
0: the program unchanged) on each fold; each fold picks the option best on the
*other* folds (:func:`choose`), and the candidate's gain is the pooled F1 of the
folds' picks on their own frames (:func:`held_out_gain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ethostyle.metrics import macro_f1_of_confusion as _f1

__all__ = [
    "EVIDENCE_BOUTS",
    "EVIDENCE_SCALE",
    "EVIDENCE_SCALE_TRIED",
    "Candidate",
    "choose",
    "held_out_gain",
    "required_gain",
]

#: The bouts of evidence at which a motif edit's penalty is the penalty itself; it
#: scales as ``sqrt(EVIDENCE_BOUTS / bouts)`` (the standard error of a share of
#: ``bouts`` independent bouts), within :data:`EVIDENCE_SCALE`.
EVIDENCE_BOUTS = 10
#: The least and most a motif edit's penalty is scaled by. ``(1.0, 1.0)``, the
#: default, turns the scaling off: scaled within ``(0.5, 2.0)`` it changed Task 2 F1
#: by -0.0007 to +0.0007 on the sub-behaviour worlds' seeds (benchmarks/README.md,
#: issue 21, ``motif_edits.py --rows evidence``), so every edit keeps the one penalty.
EVIDENCE_SCALE: tuple[float, float] = (1.0, 1.0)
#: The scaling measured (``motif_edits.py``'s ``evidence`` row).
EVIDENCE_SCALE_TRIED: tuple[float, float] = (0.5, 2.0)


@dataclass
class Candidate:
    """A candidate edit: its pooled held-out gain, the edit, each fold's own gain, the
    edits chosen with it (``more``: motif edits decided together, one bit per motif),
    and the evidence it rests on (``evidence``: the bouts a motif edit changes; None
    for the other kinds, whose penalty is not scaled)."""

    gain: float
    edit: Any
    fold_gains: np.ndarray
    more: tuple[Any, ...] = ()
    evidence: int | None = None


def required_gain(
    candidate: Candidate, penalty: float, scale: tuple[float, float] | None = None
) -> float:
    """The held-out gain a candidate must reach: the penalty, scaled by its evidence.

    A motif edit resting on ``n`` bouts needs ``penalty * sqrt(EVIDENCE_BOUTS / n)``,
    clipped to ``scale`` (default :data:`EVIDENCE_SCALE`, which turns it off): a motif
    decided on a few bouts of two videos must gain more than one that moves many; the
    other kinds need ``penalty``.

    Examples
    --------
    >>> import numpy as np
    >>> thin, wide = (Candidate(0.01, None, np.zeros(2), (), n) for n in (1, 40))
    >>> required_gain(thin, 0.008, (0.5, 2.0)), required_gain(wide, 0.008, (0.5, 2.0))
    (0.016, 0.004)
    >>> required_gain(thin, 0.008), required_gain(Candidate(0.01, None, np.zeros(2)), 0.008)
    (0.008, 0.008)
    """
    if candidate.evidence is None:
        return penalty
    low, high = EVIDENCE_SCALE if scale is None else scale
    factor = float(np.clip(np.sqrt(EVIDENCE_BOUTS / max(candidate.evidence, 1)), low, high))
    return penalty * factor


def choose(
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


def held_out_gain(cms: np.ndarray, pick: np.ndarray, base: np.ndarray) -> tuple[float, np.ndarray]:
    """Pooled held-out F1 gain of the folds' picks over ``base``, and each fold's own gain."""
    held = cms[pick, np.arange(pick.size)]
    pooled = float(_f1(held.sum(axis=0)) - _f1(base.sum(axis=0)))
    return pooled, _f1(held) - _f1(base)
