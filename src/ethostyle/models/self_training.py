"""Self-training: a booster refit with its own confident labels of unlabelled videos.

The MABe 2021 challenge allows the unlabelled test videos to be used. A booster
that has learned from labelled videos labels the unlabelled ones; the frames it
labels with a top probability of at least :data:`CONFIDENCE` join its training
frames at weight :data:`PSEUDO_LABEL_WEIGHT`, and it is fitted once more. The new
videos' poses (other mice, other sessions) then shape its splits as well.

:class:`sklearn.semi_supervised.SelfTrainingClassifier` runs the same loop, but
it refits the first model from scratch (one more full boosting run of a model we
already hold), gives the pseudo-labels the same weight as an annotator's own
labels, and cannot pass LightGBM's per-fit arguments (initial scores, feature
names, progress); the loop itself is the few lines of :func:`with_pseudo_labels`
and its callers in :mod:`ethostyle.models.boosted`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["CONFIDENCE", "PSEUDO_LABEL_WEIGHT", "confident_labels", "with_pseudo_labels"]

#: Top class probability a frame needs before its label is trusted as a pseudo-label.
CONFIDENCE = 0.9
#: Weight of a pseudo-labelled frame beside an annotator's own labelled frame (1.0).
PSEUDO_LABEL_WEIGHT = 0.5


def confident_labels(
    proba: np.ndarray, threshold: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """The frames a model labels confidently, and its labels of them.

    Parameters
    ----------
    proba : numpy.ndarray
        ``(frames, classes)`` class probabilities.
    threshold : float
        Least top-class probability of a kept frame.

    Returns
    -------
    rows : numpy.ndarray
        Indices of the kept frames.
    labels : numpy.ndarray
        Their most probable class, int64.

    Examples
    --------
    >>> import numpy as np
    >>> rows, labels = confident_labels(np.array([[0.95, 0.05], [0.6, 0.4], [0.02, 0.98]]))
    >>> rows.tolist(), labels.tolist()
    ([0, 2], [0, 1])
    """
    proba = np.asarray(proba)
    if proba.ndim != 2:
        raise ValueError(f"proba must be (frames, classes), got shape {proba.shape}")
    rows = np.flatnonzero(proba.max(axis=1) >= threshold)
    return rows, proba[rows].argmax(axis=1).astype(np.int64)


def with_pseudo_labels(
    labelled: Sequence[np.ndarray],
    y: np.ndarray,
    unlabelled: Sequence[np.ndarray],
    proba_unlabelled: np.ndarray,
    *,
    threshold: float = CONFIDENCE,
    weight: float = PSEUDO_LABEL_WEIGHT,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, int]:
    """Labelled frames joined by the confidently labelled unlabelled ones.

    Parameters
    ----------
    labelled : sequence of numpy.ndarray
        Per-frame arrays of the labelled frames, each ``(frames, ...)``: the
        features, and any more a fit needs (such as LightGBM initial scores).
    y : numpy.ndarray
        Labels of the labelled frames.
    unlabelled : sequence of numpy.ndarray
        The same arrays for the unlabelled frames, in the same order.
    proba_unlabelled : numpy.ndarray
        The model's class probabilities of the unlabelled frames.
    threshold, weight : float
        See :data:`CONFIDENCE` and :data:`PSEUDO_LABEL_WEIGHT`.

    Returns
    -------
    joined : list of numpy.ndarray
        Each labelled array followed by the confident rows of its unlabelled twin.
    y, sample_weight : numpy.ndarray
        The joined labels and weights (1 for labelled frames).
    n_pseudo : int
        How many pseudo-labelled frames joined.
    """
    if len(labelled) != len(unlabelled):
        raise ValueError(
            f"{len(labelled)} labelled arrays but {len(unlabelled)} unlabelled; give twins"
        )
    rows, pseudo = confident_labels(proba_unlabelled, threshold)
    joined = [np.concatenate([a, b[rows]]) for a, b in zip(labelled, unlabelled, strict=True)]
    joined_y = np.concatenate([np.asarray(y, dtype=np.int64), pseudo])
    weights = np.concatenate([np.ones(len(y)), np.full(len(rows), weight)])
    return joined, joined_y, weights, len(rows)
