"""Scores of predicted labels against true labels: the MABe 2021 Task 2 score, and bout F1.

The challenge score (:func:`task2_score`) pools the frames of every sequence
whose annotator id is 1-5, computes the F1 of attack, investigation and mount
(labels 0, 1, 2) and averages the three (the class ``other`` never enters the
average); macro precision over the same classes breaks ties. The numbers are
computed by :func:`sklearn.metrics.precision_recall_fscore_support`, so they equal
``f1_score(y_true, y_pred, labels=[0, 1, 2], average="macro")`` on the pooled
frames.

A class absent from both the true and the predicted frames has no defined F1;
like scikit-learn with ``zero_division=0`` it counts as 0 in the average. Every
per-class score reports its ``support`` (true frames) and ``n_predicted`` so a
reader can see when that happened.

Examples
--------
>>> import numpy as np
>>> true = {"a": np.array([1, 1, 3, 3]), "b": np.array([0, 3, 3, 2])}
>>> pred = {"a": np.array([1, 3, 3, 3]), "b": np.array([0, 3, 3, 2])}
>>> s = task2_score(true, pred, {"a": 1, "b": 2})
>>> round(s.f1, 4), s.per_class["investigation"].support
(0.8889, 2)
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from ethostyle.bouts import Bouts, bout_table
from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.errors import DataFormatError
from ethostyle.metrics.bouts import BoutScore, bout_f1
from ethostyle.metrics.checks import check_frame_labels, paired_labels, pool_labels

# Bouts and bout_table are re-exported because the agreed interface names them here.
__all__ = [
    "SCORED_ANNOTATORS",
    "AnnotatorScore",
    "BoutScore",
    "Bouts",
    "ClassScore",
    "Task2Score",
    "bout_f1",
    "bout_table",
    "check_frame_labels",
    "confusion_counts",
    "evaluate_files",
    "frame_f1",
    "macro_f1",
    "macro_f1_of_confusion",
    "task2_score",
]

logger = logging.getLogger(__name__)

#: Annotator ids the MABe 2021 Task 2 leaderboard scores.
SCORED_ANNOTATORS: tuple[int, ...] = (1, 2, 3, 4, 5)
_SCORED_LABELS: list[int] = [VOCABULARY.index(b) for b in BEHAVIORS]


@dataclass(frozen=True, slots=True)
class ClassScore:
    """Frame-level scores of one behaviour.

    ``support`` is the number of true frames of the class and ``n_predicted`` the
    number of predicted ones; when both are 0 the scores are 0 by convention.
    """

    f1: float
    precision: float
    recall: float
    support: int
    n_predicted: int


@dataclass(frozen=True, slots=True)
class AnnotatorScore:
    """Scores over the pooled frames of one annotator's sequences.

    ``scored`` says whether the annotator counts toward the challenge score.
    """

    f1: float
    precision: float
    recall: float
    per_class: dict[str, ClassScore]
    n_frames: int
    scored: bool


@dataclass(frozen=True, slots=True)
class Task2Score:
    """The MABe 2021 Task 2 score, with its breakdown per class and per annotator.

    Attributes
    ----------
    f1 : float
        The challenge score: macro F1 over attack, investigation, mount on the
        pooled frames of the scored annotators (NaN when no frame is scored).
    precision, recall : float
        Macro precision (the challenge's tie-break) and macro recall, same frames.
    per_class : dict of str to ClassScore
        Scores of each behaviour on the scored frames.
    per_annotator : dict of int to AnnotatorScore
        Scores of each annotator present (scored or not) on their own frames.
    mean_over_annotators : float
        Mean of the scored annotators' F1, the convention of the CalMS21 paper's
        per-annotator figure (differs from ``f1``, which pools frames).
    n_frames : int
        Number of scored frames.
    scored_annotators : tuple of int
        The annotator ids pooled into ``f1``.
    """

    f1: float
    precision: float
    recall: float
    per_class: dict[str, ClassScore]
    per_annotator: dict[int, AnnotatorScore]
    mean_over_annotators: float
    n_frames: int
    scored_annotators: tuple[int, ...] = field(default=SCORED_ANNOTATORS)

    #: Column names of :meth:`table_rows`.
    TABLE_COLUMNS: ClassVar[tuple[str, ...]] = (
        "annotators",
        "frames",
        "F1",
        "precision",
        "recall",
        *(f"{b} F1" for b in BEHAVIORS),
    )

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-serialisable data (NaN becomes None, keys become strings)."""
        data = asdict(self)
        data["per_annotator"] = {str(k): v for k, v in data["per_annotator"].items()}
        data["scored_annotators"] = list(self.scored_annotators)
        return _nan_to_none(data)

    def table_rows(self) -> list[tuple[str, ...]]:
        """Rows of strings for a table with columns :attr:`TABLE_COLUMNS`.

        The first row is the challenge score, then one row per annotator, then the
        mean over scored annotators.
        """
        ids = ",".join(str(a) for a in self.scored_annotators)
        rows = [_row(f"pooled {ids} (challenge)", self.n_frames, self, self.per_class)]
        for annotator, s in sorted(self.per_annotator.items()):
            name = f"annotator {annotator}" + ("" if s.scored else " (not scored)")
            rows.append(_row(name, s.n_frames, s, s.per_class))
        rows.append(
            (f"mean of annotators {ids}", "", _fmt(self.mean_over_annotators))
            + ("",) * (len(self.TABLE_COLUMNS) - 3)
        )
        return rows


def _fmt(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.3f}"


def _row(
    name: str, n_frames: int, s: Task2Score | AnnotatorScore, per_class: dict[str, ClassScore]
) -> tuple[str, ...]:
    return (
        name,
        str(n_frames),
        _fmt(s.f1),
        _fmt(s.precision),
        _fmt(s.recall),
        *(_fmt(per_class[b].f1) for b in BEHAVIORS),
    )


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def _frame_scores(
    y_true: np.ndarray, y_pred: np.ndarray
) -> tuple[float, float, float, dict[str, ClassScore]]:
    """Macro F1, precision, recall over the behaviours, and per-class scores."""
    if y_true.size == 0:
        nan = float("nan")
        empty = ClassScore(nan, nan, nan, 0, 0)
        return nan, nan, nan, {b: empty for b in BEHAVIORS}
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=_SCORED_LABELS, average=None, zero_division=0
    )
    n_pred = np.bincount(y_pred, minlength=len(VOCABULARY))
    per_class = {
        b: ClassScore(
            float(f1[i]), float(precision[i]), float(recall[i]), int(support[i]), int(n_pred[c])
        )
        for i, (b, c) in enumerate(zip(BEHAVIORS, _SCORED_LABELS, strict=True))
    }
    return float(f1.mean()), float(precision.mean()), float(recall.mean()), per_class


def task2_score(
    true: Mapping[str, np.ndarray],
    pred: Mapping[str, np.ndarray],
    annotators: Mapping[str, int],
    scored_annotators: Iterable[int] = SCORED_ANNOTATORS,
) -> Task2Score:
    """Score predictions as the MABe 2021 Task 2 leaderboard does.

    Frames of all sequences whose annotator is in ``scored_annotators`` are
    pooled (a long video weighs more than a short one; this is not a mean of
    per-sequence scores), then F1 of attack, investigation and mount is
    macro-averaged; macro precision is the tie-break. Sequences of other
    annotators (e.g. 0) are left out of the score but still get a row in
    ``per_annotator``.

    Parameters
    ----------
    true : mapping of str to numpy.ndarray
        Sequence id -> ``(frames,)`` true labels (indices into :data:`VOCABULARY`).
    pred : mapping of str to numpy.ndarray
        Sequence id -> predicted labels; must hold every id of ``true``.
        Extra ids are ignored.
    annotators : mapping of str to int
        Sequence id -> annotator id, for every id of ``true``.
    scored_annotators : iterable of int, optional
        Annotator ids pooled into the score (default 1-5, as the challenge).

    Returns
    -------
    Task2Score
        The score and its breakdown. With no scored frame, the overall numbers
        are NaN.

    Raises
    ------
    DataFormatError
        When a sequence is missing from ``pred`` or ``annotators``, lengths
        differ, or a label is not a valid class index.

    Examples
    --------
    >>> import numpy as np
    >>> true = {"a": np.array([0, 0, 3]), "b": np.array([1, 1, 1])}
    >>> pred = {"a": np.array([0, 3, 3]), "b": np.array([1, 1, 1])}
    >>> s = task2_score(true, pred, {"a": 1, "b": 0})
    >>> round(s.f1, 4), sorted(s.per_annotator)
    (0.2222, [0, 1])
    """
    scored = tuple(sorted({int(a) for a in scored_annotators}))
    missing = [k for k in true if k not in annotators]
    if missing:
        raise DataFormatError(
            f"no annotator id for sequence {missing[0]!r}; give one for every sequence"
        )
    pairs = paired_labels(true, pred)
    by_annotator: dict[int, list[str]] = {}
    for seq_id in pairs:
        by_annotator.setdefault(int(annotators[seq_id]), []).append(seq_id)

    per_annotator: dict[int, AnnotatorScore] = {}
    for annotator, ids in sorted(by_annotator.items()):
        t, p = pool_labels(pairs[i] for i in ids)
        f1, precision, recall, per_class = _frame_scores(t, p)
        per_annotator[annotator] = AnnotatorScore(
            f1, precision, recall, per_class, int(t.size), annotator in scored
        )

    t, p = pool_labels(pairs[i] for a in scored for i in by_annotator.get(a, ()))
    if t.size == 0:
        logger.warning("no sequence has an annotator id in %s; the score is undefined", scored)
    f1, precision, recall, per_class = _frame_scores(t, p)
    scored_f1 = [per_annotator[a].f1 for a in scored if a in per_annotator]
    mean = float(np.mean(scored_f1)) if scored_f1 else float("nan")
    return Task2Score(f1, precision, recall, per_class, per_annotator, mean, int(t.size), scored)


def confusion_counts(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The ``(4, 4)`` confusion matrix (true x predicted) of two label arrays.

    Hand-written from a bincount because scikit-learn's ``confusion_matrix`` validates
    its input on every call, which costs milliseconds, and the style-program search and
    the decoder tuner score hundreds of candidates.

    Parameters
    ----------
    true, pred : numpy.ndarray
        ``(frames,)`` integer labels in 0-3 (indices into ``VOCABULARY``); a true
        label :data:`~ethostyle.data.UNLABELLED` leaves its frame uncounted.

    Returns
    -------
    numpy.ndarray
        ``(4, 4)`` int64 counts.

    Examples
    --------
    >>> import numpy as np
    >>> int(confusion_counts(np.array([0, 1]), np.array([0, 3]))[1, 3])
    1
    """
    n = len(VOCABULARY)
    true, pred = np.asarray(true), np.asarray(pred)
    if true.size and true.min() < 0:  # UNLABELLED frames are not scored
        keep = true >= 0
        true, pred = true[keep], pred[keep]
    counts = np.bincount(true * n + pred, minlength=n * n)
    return counts.reshape(n, n)


def macro_f1_of_confusion(confusion: np.ndarray) -> np.ndarray:
    """Macro F1 of attack, investigation and mount from confusion matrices.

    The one computation of the package's macro F1: F1 is ``2 tp / (2 tp + fp + fn)`` per
    behaviour, 0 where a behaviour is neither true nor predicted (scikit-learn's
    ``zero_division=0``), and ``other`` is not averaged.

    Parameters
    ----------
    confusion : numpy.ndarray
        ``(..., 4, 4)`` counts, true x predicted; any leading dimensions are kept.

    Returns
    -------
    numpy.ndarray
        ``(...)`` float64 macro F1 (a 0-d array for one matrix).

    Examples
    --------
    >>> import numpy as np
    >>> float(macro_f1_of_confusion(np.diag([5, 5, 5, 5])))
    1.0
    """
    idx = _SCORED_LABELS
    tp = confusion[..., idx, idx]
    denom = confusion.sum(axis=-2)[..., idx] + confusion.sum(axis=-1)[..., idx]
    f1 = np.divide(2.0 * tp, denom, out=np.zeros(tp.shape), where=denom > 0)
    return f1.mean(axis=-1)


def macro_f1(true: np.ndarray, pred: np.ndarray) -> float:
    """Macro F1 of attack, investigation and mount of two label arrays, unchecked.

    For inner loops that already trust their labels; :func:`frame_f1` checks them first.

    Parameters
    ----------
    true, pred : numpy.ndarray
        ``(frames,)`` integer labels in 0-3.

    Returns
    -------
    float
        The mean F1 of the three behaviours.

    Examples
    --------
    >>> import numpy as np
    >>> macro_f1(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 3]))
    1.0
    """
    return float(macro_f1_of_confusion(confusion_counts(true, pred)))


def frame_f1(true: np.ndarray, pred: np.ndarray) -> float:
    """Macro F1 over attack, investigation and mount of one pair of label arrays.

    Parameters
    ----------
    true, pred : numpy.ndarray
        ``(frames,)`` true and predicted labels.

    Returns
    -------
    float
        ``f1_score(true, pred, labels=[0, 1, 2], average="macro", zero_division=0)``;
        NaN for empty arrays.

    Examples
    --------
    >>> import numpy as np
    >>> frame_f1(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 2]))
    0.8888888888888888
    """
    t, p = paired_labels({"<array>": true}, {"<array>": pred})["<array>"]
    return macro_f1(t, p) if t.size else float("nan")


def evaluate_files(
    submission: str | os.PathLike[str],
    test: str | os.PathLike[str],
    labels: str | os.PathLike[str],
) -> Task2Score:
    """Score a submission file against the true labels of a test file, as the challenge does.

    Each file is checked first: the submission against the test file (ids, lengths,
    label values), the labels against the test file, and every scored test sequence
    (annotators 1-5) must have labels.

    Parameters
    ----------
    submission : path
        Predicted labels (submission ``.npy``).
    test : path
        The test file (``test.npy`` layout), for the annotator ids.
    labels : path
        The true labels of the test file.

    Returns
    -------
    Task2Score
        The MABe 2021 Task 2 score.

    Raises
    ------
    DataFormatError
        If a file is malformed or does not belong to the test file.

    Examples
    --------
    >>> score = evaluate_files("submission.npy", "test.npy", "test_labels.npy")  # doctest: +SKIP
    >>> round(score.f1, 3)  # doctest: +SKIP
    0.921
    """
    from ethostyle.io import (
        attach_labels,
        load_labels,
        load_submission,
        load_test_npy,
        validate_submission,
    )

    test_ds = load_test_npy(test)
    pred = load_submission(submission)
    validate_submission(pred, test_ds, submission)
    # attach_labels names the labels file when its ids or lengths do not match the test file.
    truth = attach_labels(test_ds, load_labels(labels), labels)
    missing = [s.id for s in truth if s.labels is None and s.annotator_id in SCORED_ANNOTATORS]
    if missing:
        raise DataFormatError(
            f"{labels}: no labels for {len(missing)} scored test sequence(s) (annotators "
            f"1-5), e.g. {missing[:3]}; use the label file that belongs to this test file"
        )
    return task2_score(
        {s.id: s.labels for s in truth if s.labels is not None},
        pred,
        {s.id: s.annotator_id for s in truth},
    )
