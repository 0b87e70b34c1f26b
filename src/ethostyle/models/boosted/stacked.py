"""The stacked reference: a second LightGBM that reads the first one's probabilities over time.

First-stage models (the reference's LightGBM) are each fitted on all but one fold of
the reference annotator's videos, so every video gets probabilities from a model that
never saw it. A second, small LightGBM learns the labels from those out-of-fold
probabilities, their means and spread over 0.2-2 s, their steps (future minus past
means), and the key pose features with their steps: it learns where a bout really
starts and ends from how the first stage's belief moves. On annotator 0's own test
videos this closed 63-93 % of the gap between a world's 30 videos and three times as
many (``benchmarks/README.md``, issue 22, ``steps-stack-2fold``).

The first-stage models score every :data:`FIRST_STAGE_STRIDE`-th frame (at prediction
their mean raw score, interpolated) and the second stage scores every frame. The
second stage learns from out-of-fold scores made the same way, strided and
interpolated: from the inputs it will be given. It is also fitted on the same folds,
so that every reference video gets probabilities from two stages that never learned
from it, and the reference's own program (its decoding, inherited by every style) is
searched on all the reference's videos instead of a few held out of its training
(:func:`fit_stacked`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ethostyle.features import KEY_FEATURES, FeatureTable, temporal_context
from ethostyle.features.steps import step_context
from ethostyle.models.gbdt import GBDTClassifier, interpolate_rows, softmax, strided_rows

__all__ = [
    "FIRST_STAGE_STRIDE",
    "SECOND_STAGE_PARAMS",
    "StackedReference",
    "fit_stacked",
    "key_columns",
    "rows_of",
]

#: The first stage scores every FIRST_STAGE_STRIDE-th frame (0.2 s at 30 Hz); the
#: frames between are interpolated. Its scores reach the second stage through their
#: means over 7-61 frames and their steps, and the second stage reads the key pose
#: features at every frame, so the first stage need not score every frame
#: (benchmarks/README.md, issue 22: stride 6 against 3, accuracy and speed).
FIRST_STAGE_STRIDE = 6

#: LightGBM settings of the second stage (few inputs; a small model).
SECOND_STAGE_PARAMS: dict[str, Any] = {
    "n_estimators": 100,
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_child_samples": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "frame_step": 2,
}
#: Windows (frames) of the means of the first stage's probabilities, and of their spread.
PROBABILITY_WINDOWS = (7, 15, 31, 61)
PROBABILITY_SPREAD_WINDOWS = (15,)


def key_columns(names: list[str]) -> np.ndarray:
    """Columns of the key pose features and of their steps, which the second stage reads.

    Parameters
    ----------
    names : list of str
        The reference's feature names.

    Returns
    -------
    numpy.ndarray
        ``(columns,)`` int64 indices into ``names``.
    """
    key = set(KEY_FEATURES)
    keep = [i for i, n in enumerate(names) if n in key or (n.split("@")[0] in key and "@step" in n)]
    return np.asarray(keep, dtype=np.int64)


def second_stage_inputs(proba: np.ndarray, key_values: np.ndarray) -> np.ndarray:
    """The second stage's inputs for one video.

    Parameters
    ----------
    proba : numpy.ndarray
        ``(frames, classes)`` the first stage's probabilities.
    key_values : numpy.ndarray
        ``(frames, k)`` the video's key feature columns (:func:`key_columns`).

    Returns
    -------
    numpy.ndarray
        ``(frames, inputs)`` float32: the probabilities, their temporal context and
        steps, and the key columns.
    """
    names = [f"p{c}" for c in range(proba.shape[1])]
    context, _ = temporal_context(
        proba, names, windows=PROBABILITY_WINDOWS, spread_windows=PROBABILITY_SPREAD_WINDOWS
    )
    steps, _ = step_context(proba, names)
    return np.concatenate([proba, context, steps, key_values], axis=1).astype(np.float32)


def strided_proba(models: list[GBDTClassifier], values: np.ndarray, stride: int) -> np.ndarray:
    """Probabilities of one video's frames from the mean raw score of ``models`` on
    every ``stride``-th frame, interpolated between.

    Parameters
    ----------
    models : list of GBDTClassifier
        Fitted first-stage models.
    values : numpy.ndarray
        ``(frames, features)`` the video's features, every frame in order.
    stride : int
        The models score every ``stride``-th frame (and the last).

    Returns
    -------
    numpy.ndarray
        ``(frames, classes)`` probabilities.
    """
    rows = strided_rows(len(values), stride)
    raw = np.mean([m.predict_raw(values[rows]) for m in models], axis=0)
    return softmax(interpolate_rows(raw, rows, len(values)))


class StackedReference:
    """First-stage fold models and the second stage, scoring one video at a time.

    Parameters
    ----------
    first : list of GBDTClassifier
        The fitted first-stage models (one per fold).
    second : GBDTClassifier
        The fitted second stage.
    columns : numpy.ndarray
        The key columns the second stage reads (:func:`key_columns`).
    stride : int
        The first stage scores every ``stride``-th frame.
    """

    def __init__(
        self, first: list[GBDTClassifier], second: GBDTClassifier, columns: np.ndarray, stride: int
    ) -> None:
        self.first = first
        self.second = second
        self.columns = np.asarray(columns, dtype=np.int64)
        self.stride = int(stride)

    @property
    def n_classes(self) -> int:
        """Number of classes scored."""
        return self.second.n_classes

    def first_stage_proba(self, values: np.ndarray) -> np.ndarray:
        """The first stage's probabilities of one video's frames (its models' mean raw score)."""
        return strided_proba(self.first, values, self.stride)

    def predict_raw(self, values: np.ndarray) -> np.ndarray:
        """Raw scores of every frame of ONE video.

        Parameters
        ----------
        values : numpy.ndarray
            ``(frames, features)`` the video's features, every frame in order.

        Returns
        -------
        numpy.ndarray
            ``(frames, classes)`` raw scores.
        """
        proba = self.first_stage_proba(values)
        return self.second.predict_raw(second_stage_inputs(proba, values[:, self.columns]))

    def predict_proba(self, values: np.ndarray) -> np.ndarray:
        """Probabilities of every frame of ONE video (see :meth:`predict_raw`)."""
        return softmax(self.predict_raw(values))


def fit_stacked(
    new_estimator: Callable[[], GBDTClassifier],
    table: FeatureTable,
    labels: np.ndarray,
    ref_ids: list[str],
    *,
    folds: int,
    seed: int,
    stride: int,
    feature_names: list[str],
) -> tuple[StackedReference, dict[str, np.ndarray]]:
    """Fit the stacked reference on the reference annotator's videos.

    Both stages are also fitted out of fold, so that every reference video gets
    probabilities from models that never learned from it: its program (decoding) is
    then searched on all the reference's videos, not on a few held out of its training.

    Parameters
    ----------
    new_estimator : callable
        Returns an unfitted first-stage classifier.
    table : FeatureTable
        Pose features of every labelled sequence.
    labels : numpy.ndarray
        ``(rows,)`` labels of the table's rows.
    ref_ids : list of str
        The reference annotator's sequences.
    folds : int
        Number of first-stage models (at least 2), and of the second stage's fold models.
    seed : int
        Seed of the fold split and of the second stage.
    stride : int
        The first stage scores every ``stride``-th frame, out of fold as at prediction.
    feature_names : list of str
        LightGBM-safe names of the table's columns.

    Returns
    -------
    StackedReference
        The fitted reference (its second stage learned from every reference video).
    dict
        Each reference video's probabilities, out of fold in both stages (its
        program's search must not see scores of models that learned from it).
    """
    order = [str(i) for i in np.random.default_rng(seed).permutation(ref_ids)]
    fold_of = {sid: k % folds for k, sid in enumerate(order)}
    first = []
    for k in range(folds):
        rows = rows_of(table, [s for s in ref_ids if fold_of[s] != k])
        estimator = new_estimator()
        first.append(estimator.fit(table.values[rows], labels[rows], feature_names=feature_names))
    columns = key_columns(table.names)
    inputs = {}
    for sid in ref_ids:
        values = table.values[table.rows(sid)]
        proba = strided_proba([first[fold_of[sid]]], values, stride)
        inputs[sid] = second_stage_inputs(proba, values[:, columns])

    def second_stage(learn: list[str]) -> GBDTClassifier:
        model = GBDTClassifier(**SECOND_STAGE_PARAMS, seed=seed)
        return model.fit(
            np.concatenate([inputs[s] for s in learn]),
            np.concatenate([labels[table.rows(s)] for s in learn]),
        )

    out_of_fold = {}
    for k in range(folds):
        model = second_stage([s for s in ref_ids if fold_of[s] != k])
        out_of_fold.update({s: model.predict_proba(inputs[s]) for s in ref_ids if fold_of[s] == k})
    reference = StackedReference(first, second_stage(list(ref_ids)), columns, stride)
    return reference, out_of_fold


def rows_of(table: FeatureTable, ids: list[str]) -> np.ndarray:
    """The table rows of the sequences ``ids``, in order."""
    return np.concatenate([np.arange(table.rows(i).start, table.rows(i).stop) for i in ids])
