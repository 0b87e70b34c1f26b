"""Gradient-boosted trees (LightGBM) as a scikit-learn-style frame classifier.

The model is persisted in LightGBM's own text format, never as a pickle.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

# OMP_WAIT_POLICY=PASSIVE (LightGBM's threads otherwise spin on busy cores) is set in
# ethostyle/__init__.py, which Python always runs before this module imports LightGBM.
import lightgbm as lgb
import numpy as np

from ethostyle.data import VOCABULARY
from ethostyle.errors import ModelFormatError
from ethostyle.metrics.labelled import labelled_mask

__all__ = ["GBDTClassifier", "interpolate_rows", "log_softmax", "softmax", "strided_rows"]

logger = logging.getLogger(__name__)

#: Trees per LightGBM predict call in :meth:`GBDTClassifier.predict_raw`: 50 rounds of
#: 4 classes was fastest for both 63- and 15-leaf models (25 to 75 rounds within 3%).
_TREES_PER_BLOCK = 200
#: LightGBM's predict is not safe to call on one booster from several threads at
#: once (its prediction buffers are shared: labels came out wrong when sequences were
#: predicted on two threads). Every prediction holds this lock; LightGBM still uses
#: all cores inside each call, and other threads compute features meanwhile.
_PREDICT_LOCK = threading.Lock()


def log_softmax(raw: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of raw scores ``(frames, classes)``."""
    shifted = raw - raw.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def strided_rows(n: int, stride: int) -> np.ndarray:
    """Every ``stride``-th of ``n`` frames, and the last: the frames a strided prediction scores."""
    return np.unique(np.r_[np.arange(0, n, max(1, stride)), n - 1]) if n else np.arange(0)


def interpolate_rows(known: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Scores of all ``n`` frames from ``known`` scores of the sorted frames ``rows``.

    Linear between known frames. Written here because numpy's ``interp`` is
    one-dimensional: this is the same interpolation for every column at once.
    """
    if rows.size == n:
        return known
    frames = np.arange(n)
    right = np.clip(np.searchsorted(rows, frames, side="left"), 1, rows.size - 1)
    left = right - 1
    w = ((frames - rows[left]) / (rows[right] - rows[left]))[:, None]
    return known[left] * (1.0 - w) + known[right] * w


def softmax(raw: np.ndarray) -> np.ndarray:
    """Row-wise softmax of raw scores ``(frames, classes)``."""
    return np.exp(log_softmax(raw))


class GBDTClassifier:
    """Multiclass LightGBM over per-frame features.

    Hyperparameters are stored unchanged (scikit-learn convention); ``fit`` sets
    ``booster_``. Training can start from given raw scores (``init_score``), which
    is how style models learn only their departure from the reference model.

    Parameters
    ----------
    n_estimators : int
        Boosting rounds (per class).
    learning_rate : float
        Shrinkage per round.
    num_leaves : int
        Leaves per tree.
    min_child_samples : int
        Minimum frames in a leaf; large values keep trees from memorising a video.
    feature_fraction : float
        Share of features tried per tree.
    bagging_fraction : float
        Share of frames used per tree.
    lambda_l2 : float
        L2 penalty on leaf values.
    frame_step : int
        Train on every ``frame_step``-th frame: neighbouring frames at 30 Hz are
        near duplicates, so this costs little accuracy and saves time.
    n_classes : int
        Number of classes.
    num_threads : int
        LightGBM threads (0: all cores).
    seed : int
        Random seed; training is deterministic for a fixed seed.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int) * 3
    >>> model = GBDTClassifier(n_estimators=5, min_child_samples=5).fit(X, y)
    >>> model.predict_proba(X).shape
    (400, 4)
    """

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.08,
        num_leaves: int = 63,
        min_child_samples: int = 40,
        feature_fraction: float = 0.4,
        bagging_fraction: float = 0.8,
        lambda_l2: float = 1.0,
        frame_step: int = 2,
        n_classes: int = len(VOCABULARY),
        num_threads: int = 0,
        seed: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.lambda_l2 = lambda_l2
        self.frame_step = frame_step
        self.n_classes = n_classes
        self.num_threads = num_threads
        self.seed = seed

    def _params(self) -> dict[str, Any]:
        return {
            "objective": "multiclass",
            "num_class": self.n_classes,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1 if self.bagging_fraction < 1 else 0,
            "lambda_l2": self.lambda_l2,
            "max_bin": 63,
            "num_threads": self.num_threads,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        init_score: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        feature_names: list[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> GBDTClassifier:
        """Train on frames ``X`` with labels ``y``.

        Parameters
        ----------
        X : numpy.ndarray
            ``(frames, features)`` float32.
        y : numpy.ndarray
            ``(frames,)`` labels in ``0 .. n_classes-1``; frames labelled
            :data:`~ethostyle.data.UNLABELLED` are left out (with none labelled, the
            trees add nothing to ``init_score``).
        init_score : numpy.ndarray, optional
            ``(frames, n_classes)`` raw scores to start boosting from.
        sample_weight : numpy.ndarray, optional
            ``(frames,)`` weights.
        feature_names : list of str, optional
            Column names, kept in the saved model.
        progress : callable, optional
            Called with 1 after each boosting round.

        Returns
        -------
        GBDTClassifier
            ``self``, fitted.
        """
        y = np.asarray(y)
        rows = np.arange(0, len(y), max(1, self.frame_step))
        labelled = labelled_mask(y[rows])  # unlabelled frames teach nothing
        weight = None if sample_weight is None else np.asarray(sample_weight)[rows]
        if labelled.any():
            rows, weight = rows[labelled], None if weight is None else weight[labelled]
            label = y[rows]
        else:  # LightGBM refuses no rows: every weight 0 fits trees that add nothing
            label, weight = np.full(len(rows), VOCABULARY.index("other")), np.zeros(len(rows))
        data = lgb.Dataset(
            np.ascontiguousarray(X[rows]),
            label=label,
            weight=weight,
            init_score=None if init_score is None else np.asarray(init_score)[rows],
            feature_name=feature_names or "auto",
            free_raw_data=True,
        )
        callbacks = [] if progress is None else [lambda _env: progress(1)]
        self.booster_ = lgb.train(
            self._params(), data, num_boost_round=self.n_estimators, callbacks=callbacks
        )
        return self

    def _check_fitted(self) -> lgb.Booster:
        booster = getattr(self, "booster_", None)
        if booster is None:
            raise ModelFormatError("this model is not fitted yet; call fit() or load() first")
        return booster

    def predict_raw(self, X: np.ndarray, num_iteration: int | None = None) -> np.ndarray:
        """Raw scores ``(frames, n_classes)`` (before softmax, without any init score).

        ``num_iteration`` uses only the first that many boosting rounds (all by default).
        """
        booster = self._check_fitted()
        out = np.zeros((len(X), self.n_classes), dtype=np.float64)
        rounds = booster.current_iteration()
        if num_iteration is not None:
            rounds = min(rounds, num_iteration)
        if len(X) == 0 or rounds <= 0:
            return out
        X = np.ascontiguousarray(X)  # else LightGBM would copy it for every block
        # LightGBM runs every tree over one frame before the next frame: once the trees
        # outgrow the CPU caches, each frame fetches them all from memory again. Blocks
        # of trees that stay cached, their raw scores added, are 2-3x faster on our
        # 1,200-tree models (benchmarks/README.md); the sum differs by rounding only.
        block = max(1, _TREES_PER_BLOCK // booster.num_model_per_iteration())
        for start in range(0, rounds, block):
            with _PREDICT_LOCK:
                scores = booster.predict(
                    X,
                    raw_score=True,
                    start_iteration=start,
                    num_iteration=min(block, rounds - start),
                    num_threads=self.num_threads,
                )
            out += scores.reshape(len(X), self.n_classes)
        return out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities ``(frames, n_classes)``."""
        return softmax(self.predict_raw(X))

    def save(self, path: str | Path) -> None:
        """Write the booster in LightGBM's text format to ``path``."""
        self._check_fitted().save_model(str(path))

    @classmethod
    def load(cls, path: str | Path, **params: Any) -> GBDTClassifier:
        """Read a booster written by :meth:`save`.

        Raises
        ------
        ModelFormatError
            If the file is missing or not a LightGBM model.
        """
        model = cls(**params)
        try:
            model.booster_ = lgb.Booster(model_file=str(path))
        except (lgb.basic.LightGBMError, OSError) as exc:
            raise ModelFormatError(
                f"{path}: not a readable LightGBM model ({exc}); retrain or restore the file"
            ) from None
        model.n_classes = model.booster_.num_model_per_iteration()
        return model
