"""Baselines that the style models are measured against.

- :class:`AnnotatorAsInputModel`: one LightGBM on all training videos with the
  annotator id as one more (categorical) input, the "naive" way to condition on
  style. Trees split on the id only where that helps the pooled loss, which the
  reference annotator's many frames dominate, so it learns little of each style.
- The style-blind reference is :class:`~ethostyle.models.boosted.StyleTransferModel`
  asked for the reference annotator's style on every sequence.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.base import BaseEstimator

from ethostyle.data import Dataset
from ethostyle.decode import DEFAULT_DECODER, decode
from ethostyle.errors import UnknownAnnotatorError
from ethostyle.features import compute_features, sequence_features
from ethostyle.metrics.labelled import labelled_mask
from ethostyle.models.boosted import REFERENCE_PARAMS
from ethostyle.models.gbdt import GBDTClassifier, softmax

__all__ = ["AnnotatorAsInputModel", "OwnLabModel"]


class AnnotatorAsInputModel(BaseEstimator):
    """LightGBM on pose features plus the annotator id as a categorical feature.

    Parameters
    ----------
    params : dict, optional
        Overrides of :data:`ethostyle.models.boosted.REFERENCE_PARAMS`.
    seed : int
        Random seed.

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> sim = simulate("tiny")
    >>> labels = AnnotatorAsInputModel().fit(sim.train).predict(sim.test)
    """

    def __init__(self, *, params: dict[str, Any] | None = None, seed: int = 0) -> None:
        self.params = params
        self.seed = seed

    def fit(self, train: Dataset) -> AnnotatorAsInputModel:
        """Train on every labelled sequence, the annotator id as input."""
        table = compute_features(train)
        X = np.concatenate([table.values, table.annotators[:, None].astype(np.float32)], axis=1)
        y = np.concatenate([s.labels for s in train]).astype(np.int64)
        estimator = GBDTClassifier(**{**REFERENCE_PARAMS, **(self.params or {})}, seed=self.seed)
        rows = np.arange(0, len(y), max(1, estimator.frame_step))
        rows = rows[labelled_mask(y[rows])]
        data = lgb.Dataset(X[rows], label=y[rows], categorical_feature=[X.shape[1] - 1])
        estimator.booster_ = lgb.train(
            estimator._params(), data, num_boost_round=estimator.n_estimators
        )
        self.estimator_ = estimator
        return self

    def predict(self, dataset: Dataset) -> dict[str, np.ndarray]:
        """Argmax labels of every sequence given its annotator id."""
        table = compute_features(dataset)
        X = np.concatenate([table.values, table.annotators[:, None].astype(np.float32)], axis=1)
        proba = softmax(self.estimator_.predict_raw(X))
        return {sid: decode(p, DEFAULT_DECODER) for sid, p in table.split(proba).items()}


class OwnLabModel(BaseEstimator):
    """One LightGBM per annotator, trained only on that annotator's own videos.

    What a lab gets from its own few labelled videos without any transfer: the
    floor a style model must clear.

    Parameters
    ----------
    params : dict, optional
        Overrides of :data:`ethostyle.models.boosted.REFERENCE_PARAMS`.
    seed : int
        Random seed.
    """

    def __init__(self, *, params: dict[str, Any] | None = None, seed: int = 0) -> None:
        self.params = params
        self.seed = seed

    def fit(self, train: Dataset) -> OwnLabModel:
        """Train one classifier per annotator on its own sequences."""
        table = compute_features(train)
        y = np.concatenate([s.labels for s in train]).astype(np.int64)
        self.estimators_: dict[int, GBDTClassifier] = {}
        for annotator in train.annotators:
            rows = table.annotators == annotator
            estimator = GBDTClassifier(
                **{**REFERENCE_PARAMS, **(self.params or {})}, seed=self.seed
            )
            self.estimators_[annotator] = estimator.fit(table.values[rows], y[rows])
        return self

    def predict(self, dataset: Dataset) -> dict[str, np.ndarray]:
        """Argmax labels of every sequence by its own annotator's classifier."""
        out = {}
        for seq in dataset:
            estimator = self.estimators_.get(seq.annotator_id)
            if estimator is None:
                raise UnknownAnnotatorError(
                    f"sequence {seq.id!r}: annotator {seq.annotator_id} has no training videos"
                )
            values, _ = sequence_features(seq)
            out[seq.id] = decode(estimator.predict_proba(values), DEFAULT_DECODER)
        return out
