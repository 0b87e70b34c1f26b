"""The stage-2 context: what a style's boosted residual sees beside the pose.

A style's residual learns from the reference model's class probabilities over
seconds of context (their centred means and maxima, and shifted copies), beside
the pose features, so it can move onsets and offsets, bridge gaps and move
thresholds. Its change of the reference's scores is shrunk per behaviour by the
evidence for it (:func:`with_evidence`).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

from ethostyle.data import VOCABULARY
from ethostyle.features import temporal_context
from ethostyle.models.gbdt import log_softmax

__all__ = [
    "PROBABILITY_SHIFTS",
    "PROBABILITY_WINDOWS",
    "probability_context",
    "stage2_inputs",
    "with_evidence",
]

#: Centred windows (frames) over which probabilities are averaged and maximised.
PROBABILITY_WINDOWS: tuple[int, ...] = (5, 11, 21, 41, 81)
#: Past (negative) and future shifts (frames) of the 3-frame mean probability.
PROBABILITY_SHIFTS: tuple[int, ...] = (-45, -30, -20, -12, -6, -3, 3, 6, 12, 20, 30, 45)


def probability_context(
    proba: np.ndarray, vocabulary: tuple[str, ...] | list[str] = VOCABULARY
) -> tuple[np.ndarray, list[str]]:
    """Multi-scale temporal context of one sequence's class probabilities.

    Parameters
    ----------
    proba : numpy.ndarray
        ``(frames, classes)`` probabilities of one sequence.
    vocabulary : sequence of str
        Class names, for the column names.

    Returns
    -------
    values : numpy.ndarray
        ``(frames, columns)`` float32: the probabilities themselves, their
        centred means and maxima over :data:`PROBABILITY_WINDOWS`, and their
        shifts by :data:`PROBABILITY_SHIFTS`.
    names : list of str
        Column names such as ``"p_attack@mean21"``.

    Examples
    --------
    >>> import numpy as np
    >>> values, names = probability_context(np.full((50, 4), 0.25))
    >>> values.shape[1] == len(names)
    True
    """
    p = np.asarray(proba, dtype=np.float32)
    names = [f"p_{c}" for c in vocabulary]
    context, context_names = temporal_context(
        p, names, windows=PROBABILITY_WINDOWS, shifts=PROBABILITY_SHIFTS, shift_window=3
    )
    maxima = [maximum_filter1d(p, size=w, axis=0, mode="nearest") for w in PROBABILITY_WINDOWS[1:]]
    max_names = [f"{c}@max{w}" for w in PROBABILITY_WINDOWS[1:] for c in names]
    values = np.concatenate([p, context, *maxima], axis=1)
    return values, [*names, *context_names, *max_names]


def stage2_inputs(
    pose: np.ndarray,
    reference_logp: np.ndarray,
    columns: np.ndarray,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """A residual's inputs of the frames ``rows`` of one sequence (all frames when None).

    Parameters
    ----------
    pose : numpy.ndarray
        ``(len(rows), features)`` pose features of those frames only.
    reference_logp : numpy.ndarray
        ``(frames, classes)`` reference log-probabilities of every frame of the
        sequence (the context is taken over all of them).
    columns : numpy.ndarray
        Indices of the pose columns the residual sees.
    rows : numpy.ndarray, optional
        The frames to give inputs for.

    Returns
    -------
    numpy.ndarray
        ``(len(rows), len(columns) + context columns)``: the chosen pose columns,
        then :func:`probability_context` of the reference's probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> logp = np.log(np.full((30, 4), 0.25))
    >>> stage2_inputs(np.zeros((30, 2)), logp, np.arange(2)).shape[0]
    30
    """
    context, _ = probability_context(np.exp(reference_logp))
    if rows is not None:
        context = context[rows]
    if columns.size == pose.shape[1] and (columns == np.arange(columns.size)).all():
        chosen = pose  # every column, in order: skip a slow column-gathering copy
    else:
        chosen = pose[:, columns]
    return np.concatenate([chosen, context], axis=1)


def with_evidence(
    reference_logp: np.ndarray, delta: np.ndarray, evidence: np.ndarray
) -> np.ndarray:
    """Style log-probabilities: the reference plus the style's change, weighted by evidence.

    Parameters
    ----------
    reference_logp : numpy.ndarray
        ``(frames, classes)`` reference log-probabilities.
    delta : numpy.ndarray
        ``(frames, classes)`` the residual's change of the raw scores.
    evidence : numpy.ndarray
        ``(classes,)`` weights in [0, 1): how much of each class's change is applied.

    Returns
    -------
    numpy.ndarray
        ``(frames, classes)`` log-probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> logp = np.log(np.full((2, 4), 0.25))
    >>> bool(np.allclose(with_evidence(logp, np.ones((2, 4)), np.zeros(4)), logp))
    True
    """
    return log_softmax(reference_logp + evidence[None, :] * delta)
