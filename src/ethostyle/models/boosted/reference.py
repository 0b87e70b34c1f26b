"""The reference model: LightGBM on the reference annotator's videos, and its own program.

The reference learns from the many videos of the reference annotator (annotator 0
in CalMS21), less a few held out; its own style program (its decoding) is
searched on those held-out videos, as a style's is, and every style starts from
it. With unlabelled videos it is fitted a second time beside its confident labels
of them (:mod:`ethostyle.models.self_training`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ethostyle.data import Dataset, Sequence
from ethostyle.errors import DataFormatError
from ethostyle.features import KEY_FEATURES, FeatureTable, sequence_features
from ethostyle.features.steps import step_context
from ethostyle.metrics.labelled import n_labelled
from ethostyle.models.base import held_out_reference
from ethostyle.models.boosted.stacked import (
    FIRST_STAGE_STRIDE,
    StackedReference,
    fit_stacked,
    rows_of,
)
from ethostyle.models.gbdt import GBDTClassifier
from ethostyle.models.program import StyleProgram, fit_program
from ethostyle.models.self_training import PseudoLabels, with_pseudo_labels
from ethostyle.progress import Progress

__all__ = [
    "MIN_TRAINING_FRAMES",
    "MIN_VIDEOS_FOR_REFERENCE_PROGRAM",
    "REFERENCE_PARAMS",
    "FittedReference",
    "fit_reference",
    "reference_features",
    "require_reference_frames",
]

#: LightGBM settings of the reference model (many videos of one annotator).
#: 120 rounds of 31 leaves at rate 0.15 score as 300 rounds of 63 leaves at 0.08 did
#: (annotator 0's own test videos: 0.925 vs 0.927 F1) and predict 3.7x faster
#: (benchmarks/README.md).
REFERENCE_PARAMS: dict[str, Any] = {
    "n_estimators": 120,
    "learning_rate": 0.15,
    "num_leaves": 31,
    "min_child_samples": 40,
    "feature_fraction": 0.4,
    "bagging_fraction": 0.8,
    "frame_step": 2,
}
#: Fewest reference videos its own program (its decoding) is searched on, each scored by
#: models that never learned from it (held out of one LightGBM's training; every video,
#: out of fold, for the stacked reference): every style inherits that program, and one
#: held-out video taught it thresholds the styles then had to undo (a test model of 8
#: reference videos: investigation x0.06, undone by x26 in four styles). With fewer the
#: reference decodes by argmax.
MIN_VIDEOS_FOR_REFERENCE_PROGRAM = 3
#: Fewest labelled frames (one second) that can train the reference model, or change
#: the reference into an annotator's style; an annotator with fewer keeps the reference.
MIN_TRAINING_FRAMES = 30


def reference_features(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """The stacked reference's features: the pose features, their context, and key steps.

    The steps (:mod:`ethostyle.features.steps`) sharpen the reference's bout edges:
    annotator 0's test F1 +0.003 to +0.005 on ``default`` (benchmarks/README.md, issue 22).
    Only a model with ``reference_stack`` computes them; the default model computes
    :func:`ethostyle.features.sequence_features`, as it always has.

    Parameters
    ----------
    sequence : Sequence
        The sequence to describe.

    Returns
    -------
    values : numpy.ndarray
        ``(frames, features)`` float32: :func:`ethostyle.features.sequence_features`,
        then :func:`~ethostyle.features.steps.step_context` of its key features
        (:data:`ethostyle.features.KEY_FEATURES`).
    names : list of str
        Feature names.
    """
    values, names = sequence_features(sequence)
    key = [names.index(k) for k in KEY_FEATURES]
    steps, step_names = step_context(values[:, key], KEY_FEATURES)
    return np.concatenate([values, steps], axis=1), [*names, *step_names]


@dataclass(frozen=True, slots=True)
class FittedReference:
    """The fitted reference model, its own program, and what self-training took.

    Attributes
    ----------
    estimator : GBDTClassifier or StackedReference
        The fitted reference model.
    program : StyleProgram
        Its own program (its decoding); empty when not searched.
    self_training : PseudoLabels or None
        What its self-training took (None: it was not self-trained).
    """

    estimator: GBDTClassifier | StackedReference
    program: StyleProgram
    self_training: PseudoLabels | None


def require_reference_frames(train: Dataset, ref_ids: list[str], annotator: int) -> None:
    """Refuse a reference annotator with fewer than :data:`MIN_TRAINING_FRAMES` frames.

    Raises
    ------
    DataFormatError
        Naming the annotator, its frames, and the fix.
    """
    n_reference = sum(n_labelled(train[i].labels) for i in ref_ids)
    if n_reference < MIN_TRAINING_FRAMES:
        raise DataFormatError(
            f"the reference annotator {annotator} has {n_reference} "
            f"labelled frame(s): too few labelled frames to train on (at least "
            f"{MIN_TRAINING_FRAMES}, one second); label more frames or choose another "
            f"--reference"
        )


def fit_reference(
    new_estimator: Callable[[], GBDTClassifier],
    table: FeatureTable,
    labels: np.ndarray,
    ref_ids: list[str],
    *,
    seed: int,
    tune_decoding: bool,
    unlabelled: np.ndarray | None,
    progress: Progress,
    stack_folds: int = 0,
) -> FittedReference:
    """Fit the reference model on its annotator's videos, less those held out for its program
    (the stacked reference holds none out: its program reads out-of-fold scores).

    Parameters
    ----------
    new_estimator : callable
        Returns an unfitted reference classifier (called once, twice with self-training).
    table : FeatureTable
        Pose features of every labelled sequence.
    labels : numpy.ndarray
        ``(rows,)`` int64 labels of the table's rows.
    ref_ids : list of str
        The reference annotator's sequences.
    seed : int
        Seed of the choice of held-out reference videos.
    tune_decoding : bool
        Search the reference's own program on the held-out videos.
    unlabelled : numpy.ndarray, optional
        ``(frames, features)`` pose features of unlabelled videos to self-train on.
    progress : Progress
        Receives progress of each step.
    stack_folds : int, optional
        0: one LightGBM. 2 or more: the stacked reference
        (:mod:`ethostyle.models.boosted.stacked`) of that many first-stage models.

    Returns
    -------
    FittedReference
    """
    if stack_folds:
        return _fit_stacked_reference(
            new_estimator, table, labels, ref_ids, seed, tune_decoding, stack_folds
        )
    held = set(held_out_reference(ref_ids, np.random.default_rng(seed)))
    fit_rows = rows_of(table, [i for i in ref_ids if i not in held])
    estimator = new_estimator()
    estimator.fit(
        table.values[fit_rows],
        labels[fit_rows],
        feature_names=_lgb_safe(table.names),
        progress=progress.task("reference model", estimator.n_estimators),
    )
    taken = None
    if unlabelled is not None:
        estimator, taken = _self_train(
            new_estimator, estimator, table, labels[fit_rows], fit_rows, unlabelled, progress
        )
    program = StyleProgram()
    if len(held) >= MIN_VIDEOS_FOR_REFERENCE_PROGRAM and tune_decoding:
        # The reference's own program: the same search as a style's, on the
        # reference videos held out of its training (its decoding). Every style
        # inherits it, so it is searched only on enough videos to trust.
        videos = []
        for sid in sorted(held):
            rows = table.rows(sid)
            x = table.values[rows]
            videos.append((estimator.predict_proba(x), x, labels[rows]))
        program = fit_program(videos, table.names)
    return FittedReference(estimator, program, taken)


def _fit_stacked_reference(
    new_estimator: Callable[[], GBDTClassifier],
    table: FeatureTable,
    labels: np.ndarray,
    ref_ids: list[str],
    seed: int,
    tune_decoding: bool,
    folds: int,
) -> FittedReference:
    """The stacked reference and its program, searched on every reference video's
    out-of-fold scores."""
    stacked, out_of_fold = fit_stacked(
        new_estimator,
        table,
        labels,
        ref_ids,
        folds=folds,
        seed=seed,
        stride=FIRST_STAGE_STRIDE,
        feature_names=_lgb_safe(table.names),
    )
    program = StyleProgram()
    if len(ref_ids) >= MIN_VIDEOS_FOR_REFERENCE_PROGRAM and tune_decoding:
        videos = [
            (out_of_fold[sid], table.values[table.rows(sid)], labels[table.rows(sid)])
            for sid in sorted(ref_ids)
        ]
        program = fit_program(videos, table.names)
    return FittedReference(stacked, program, None)


def _self_train(
    new_estimator: Callable[[], GBDTClassifier],
    first: GBDTClassifier,
    table: FeatureTable,
    y: np.ndarray,
    fit_rows: np.ndarray,
    unlabelled: np.ndarray,
    progress: Progress,
) -> tuple[GBDTClassifier, PseudoLabels]:
    """The reference fitted again with its confident frames beside its own annotator's."""
    (x,), joined_y, weights, n_pseudo = with_pseudo_labels(
        [table.values[fit_rows]], y, [unlabelled], first.predict_proba(unlabelled)
    )
    estimator = new_estimator()
    estimator.fit(
        x,
        joined_y,
        sample_weight=weights,
        feature_names=_lgb_safe(table.names),
        progress=progress.task("reference model (self-training)", estimator.n_estimators),
    )
    return estimator, PseudoLabels(len(unlabelled), n_pseudo)


def _lgb_safe(names: list[str]) -> list[str]:
    """LightGBM refuses some characters in feature names; keep them readable."""
    return [n.replace("@", "__").replace("+", "p").replace("-", "_") for n in names]
