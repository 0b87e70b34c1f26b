"""Bout-level scores: how many bouts of each behaviour a prediction finds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ethostyle.bouts import bout_table, match_bouts
from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.metrics.checks import paired_labels, pool_labels

__all__ = ["BoutScore", "bout_f1"]


@dataclass(frozen=True, slots=True)
class BoutScore:
    """Bout-level scores of one behaviour (see :func:`bout_f1`)."""

    f1: float
    precision: float
    recall: float
    n_true: int
    n_pred: int
    n_matched: int


def bout_f1(
    true: Mapping[str, np.ndarray] | np.ndarray,
    pred: Mapping[str, np.ndarray] | np.ndarray,
    overlap: float = 0.5,
) -> dict[str, BoutScore]:
    """Bout-level precision, recall and F1 of each behaviour.

    A bout is a maximal run of frames with one label. For each behaviour, true
    and predicted bouts of that behaviour are paired one-to-one (greedily by
    decreasing temporal IoU, see :func:`ethostyle.bouts.match_bouts`); a pair is
    a match when its IoU (shared frames / frames in either bout) is at least
    ``overlap``. Over all sequences pooled: precision = matches / predicted
    bouts, recall = matches / true bouts, F1 their harmonic mean. With no true
    and no predicted bout of a behaviour, its scores are 0 (the
    ``zero_division=0`` convention); ``n_true`` and ``n_pred`` show it.

    Parameters
    ----------
    true, pred : mapping of str to numpy.ndarray, or numpy.ndarray
        Sequence id -> ``(frames,)`` labels, or one array each for one sequence.
    overlap : float, optional
        Minimum IoU of a match, in (0, 1]; 0.5 by default.

    Returns
    -------
    dict of str to BoutScore
        One entry per behaviour (attack, investigation, mount).

    Examples
    --------
    >>> import numpy as np
    >>> s = bout_f1(np.array([1, 1, 1, 3, 1, 1]), np.array([1, 1, 3, 3, 3, 3]))
    >>> s["investigation"].precision, s["investigation"].recall
    (1.0, 0.5)
    """
    if not 0 < overlap <= 1:
        raise ValueError(f"overlap must be in (0, 1]; got {overlap}")
    if not isinstance(true, Mapping):
        true = {"<array>": np.asarray(true)}
    if not isinstance(pred, Mapping):
        pred = {"<array>": np.asarray(pred)}
    pairs = paired_labels(true, pred)
    t, p = pool_labels(pairs.values())
    # Concatenate the sequences; breaks keep bouts from spanning two videos.
    lengths = np.array([a.size for a, _ in pairs.values()], dtype=np.int64)
    breaks = np.cumsum(lengths) - lengths
    t_bouts, p_bouts = bout_table(t, breaks), bout_table(p, breaks)
    out: dict[str, BoutScore] = {}
    for name in BEHAVIORS:
        code = VOCABULARY.index(name)
        n_true = int((t_bouts.label == code).sum())
        n_pred = int((p_bouts.label == code).sum())
        n_match = int(match_bouts(t_bouts, p_bouts, code, min_overlap=overlap)[0].size)
        precision = n_match / n_pred if n_pred else 0.0
        recall = n_match / n_true if n_true else 0.0
        f1 = 2 * n_match / (n_true + n_pred) if n_true + n_pred else 0.0
        out[name] = BoutScore(f1, precision, recall, n_true, n_pred, n_match)
    return out
