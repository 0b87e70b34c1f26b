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

from ethostyle.bouts import Bouts, bout_table, match_bouts
from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.errors import DataFormatError

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


@dataclass(frozen=True, slots=True)
class BoutScore:
    """Bout-level scores of one behaviour (see :func:`bout_f1`)."""

    f1: float
    precision: float
    recall: float
    n_true: int
    n_pred: int
    n_matched: int


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


def _check_labels(arr: object, seq_id: str, what: str) -> np.ndarray:
    """Return ``arr`` as int64 labels, or raise naming the sequence and first bad frame."""
    a = np.asarray(arr)
    if a.ndim != 1:
        raise DataFormatError(
            f"sequence {seq_id!r}: {what} labels have shape {a.shape}; give one label per frame"
        )
    if a.dtype.kind not in "iub":
        if a.dtype.kind != "f":
            raise DataFormatError(
                f"sequence {seq_id!r}: {what} labels are {a.dtype}, not integers; "
                f"give indices into {list(VOCABULARY)}"
            )
        bad = np.flatnonzero(~np.isfinite(a) | (a != np.round(a)))
        if bad.size:
            raise DataFormatError(
                f"sequence {seq_id!r}, frame {bad[0]}: {what} label {a[bad[0]].item()} is not an "
                f"integer; give indices into {list(VOCABULARY)}"
            )
    a = a.astype(np.int64)
    bad = np.flatnonzero((a < 0) | (a >= len(VOCABULARY)))
    if bad.size:
        raise DataFormatError(
            f"sequence {seq_id!r}, frame {bad[0]}: {what} label {a[bad[0]]} is outside "
            f"0-{len(VOCABULARY) - 1}; labels index {list(VOCABULARY)}"
        )
    return a


def check_frame_labels(labels: object, n_frames: int, where: str) -> np.ndarray:
    """Check one label per frame, each an index into the vocabulary; return them as int64.

    The check of the labels a decoder or a style program is fitted to, beside the
    probabilities of the same frames.

    Parameters
    ----------
    labels : array-like
        ``(frames,)`` integer labels.
    n_frames : int
        Frames of the probabilities the labels go with.
    where : str
        Names the input in the error message (a video, a sequence).

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int64.

    Raises
    ------
    DataFormatError
        On a wrong shape, or a label outside 0-3 (naming the frame).

    Examples
    --------
    >>> check_frame_labels([0, 3, 1], 3, "video 0").dtype
    dtype('int64')
    """
    y = np.asarray(labels)
    if y.shape != (n_frames,):
        raise DataFormatError(
            f"{where}: {n_frames} frames of probabilities but labels of shape "
            f"{y.shape}; give one label per frame"
        )
    n = len(VOCABULARY)
    if y.size and (y.min() < 0 or y.max() >= n):
        frame = int(np.flatnonzero((y < 0) | (y >= n))[0])
        raise DataFormatError(f"{where}, frame {frame}: label {y[frame]} is outside 0-{n - 1}")
    return y.astype(np.int64)


def _paired(
    true: Mapping[str, np.ndarray], pred: Mapping[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Validate that ``pred`` covers ``true`` with equal lengths; return id -> (true, pred)."""
    missing = [k for k in true if k not in pred]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DataFormatError(
            f"no prediction for sequence {missing[0]!r}{more}; predict every sequence that "
            "has true labels"
        )
    extra = [k for k in pred if k not in true]
    if extra:
        logger.info("ignoring %d predicted sequences without true labels", len(extra))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for seq_id, t in true.items():
        t = _check_labels(t, seq_id, "true")
        p = _check_labels(pred[seq_id], seq_id, "predicted")
        if t.shape != p.shape:
            raise DataFormatError(
                f"sequence {seq_id!r}: {t.shape[0]} true labels but {p.shape[0]} predicted; "
                "give exactly one predicted label per frame"
            )
        out[seq_id] = (t, p)
    return out


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


def _pool(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = list(pairs)
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate([t for t, _ in pairs]), np.concatenate([p for _, p in pairs])


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
    pairs = _paired(true, pred)
    by_annotator: dict[int, list[str]] = {}
    for seq_id in pairs:
        by_annotator.setdefault(int(annotators[seq_id]), []).append(seq_id)

    per_annotator: dict[int, AnnotatorScore] = {}
    for annotator, ids in sorted(by_annotator.items()):
        t, p = _pool(pairs[i] for i in ids)
        f1, precision, recall, per_class = _frame_scores(t, p)
        per_annotator[annotator] = AnnotatorScore(
            f1, precision, recall, per_class, int(t.size), annotator in scored
        )

    t, p = _pool(pairs[i] for a in scored for i in by_annotator.get(a, ()))
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
        ``(frames,)`` integer labels in 0-3 (indices into ``VOCABULARY``).

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
    counts = np.bincount(np.asarray(true) * n + np.asarray(pred), minlength=n * n)
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
    t, p = _paired({"<array>": true}, {"<array>": pred})["<array>"]
    return macro_f1(t, p) if t.size else float("nan")


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
    pairs = _paired(true, pred)
    t, p = _pool(pairs.values())
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
