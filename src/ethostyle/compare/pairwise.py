"""Every pair of annotators: frame F1, Cohen's kappa and bout F1 per behaviour.

No annotator is taken as the truth here: all three measures are symmetric, so
each unordered pair of annotators appears once. A lab without a reference
annotator can read the table as it is, and :func:`consensus_annotator` picks
the annotator who agrees best with all the others when a reference is needed.

Kappa is :func:`sklearn.metrics.cohen_kappa_score` of the two annotators'
behaviour-vs-rest labels over all frames of the compared videos pooled; frame
F1 is the F1 of the same binary labels; bout F1 is
:func:`ethostyle.metrics.bout_f1` (a pair of bouts matches at temporal IoU >=
0.5). Where neither annotator labels the behaviour at all, the three are
undefined and NaN (shown as n/a), not 0.

Examples
--------
>>> import numpy as np
>>> labels = {0: {"v": np.array([3, 1, 1, 1, 3, 3])}, 1: {"v": np.array([3, 3, 1, 1, 3, 3])}}
>>> table = pairwise_table(labels, ["v"])
>>> row = table.set_index("behavior").loc["investigation"]
>>> round(float(row["frame_f1"]), 2), round(float(row["kappa"]), 2)
(0.8, 0.67)
>>> bool(np.isnan(table.set_index("behavior").loc["attack", "kappa"]))
True
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from ethostyle.compare.measures import BOUT_F1_OVERLAP
from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.metrics import bout_f1

__all__ = ["PAIRWISE_COLUMNS", "consensus_annotator", "pairwise_table"]

#: Columns of :func:`pairwise_table` (and of ``pairwise.csv``).
PAIRWISE_COLUMNS: tuple[str, ...] = (
    "annotator_a",
    "annotator_b",
    "behavior",
    "frame_f1",
    "kappa",
    "bout_f1",
)


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two boolean frame masks; NaN where it is undefined."""
    if (a.all() and b.all()) or not (a.any() or b.any()):
        return float("nan")  # one class on both sides: chance agreement is 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(cohen_kappa_score(a, b))


def pairwise_table(
    labels: Mapping[int, Mapping[str, np.ndarray]],
    ids: Iterable[str],
    annotators: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Agreement of every pair of annotators on the same videos, per behaviour.

    Parameters
    ----------
    labels : mapping of int to mapping of str to numpy.ndarray
        Annotator -> sequence id -> ``(frames,)`` labels (already checked to
        cover the same frames).
    ids : iterable of str
        The sequences to pool.
    annotators : iterable of int, optional
        The annotators, in the order pairs are formed (``annotator_a`` comes
        first in this order); ``labels``' keys by default.

    Returns
    -------
    pandas.DataFrame
        One row per unordered pair and behaviour: :data:`PAIRWISE_COLUMNS`.
        ``frame_f1``, ``kappa`` and ``bout_f1`` are NaN where neither annotator
        labels the behaviour.
    """
    ids = tuple(ids)
    order = list(labels if annotators is None else annotators)
    pooled = {a: np.concatenate([np.asarray(labels[a][i]) for i in ids]) for a in order}
    rows = []
    for a, b in combinations(order, 2):
        bouts = bout_f1(
            {i: labels[a][i] for i in ids}, {i: labels[b][i] for i in ids}, BOUT_F1_OVERLAP
        )
        for behavior in BEHAVIORS:
            code = VOCABULARY.index(behavior)
            mine, theirs = pooled[a] == code, pooled[b] == code
            n_a, n_b = int(mine.sum()), int(theirs.sum())
            defined = n_a + n_b > 0
            rows.append(
                {
                    "annotator_a": int(a),
                    "annotator_b": int(b),
                    "behavior": behavior,
                    "frame_f1": 2 * int((mine & theirs).sum()) / (n_a + n_b)
                    if defined
                    else float("nan"),
                    "kappa": _kappa(mine, theirs),
                    "bout_f1": bouts[behavior].f1 if defined else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=list(PAIRWISE_COLUMNS))


def consensus_annotator(pairwise: pd.DataFrame) -> tuple[int, float]:
    """The annotator whose labels agree best with all the others' (highest mean kappa).

    Parameters
    ----------
    pairwise : pandas.DataFrame
        A :func:`pairwise_table`.

    Returns
    -------
    tuple of int and float
        The annotator and its mean kappa over its pairs and behaviours (NaN
        values left out); ties go to the lowest annotator id.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([3, 1, 1, 1, 3, 3, 3, 3])
    >>> labels = {1: {"v": a}, 2: {"v": np.roll(a, 1)}, 3: {"v": np.roll(a, -1)}}
    >>> consensus_annotator(pairwise_table(labels, ["v"]))[0]
    1
    """
    long = pd.concat(
        [
            pairwise[["annotator_a", "kappa"]].rename(columns={"annotator_a": "annotator"}),
            pairwise[["annotator_b", "kappa"]].rename(columns={"annotator_b": "annotator"}),
        ]
    )
    means = long.groupby("annotator")["kappa"].mean().fillna(-np.inf).sort_index()
    best = int(means.idxmax())
    return best, float(means.loc[best])
