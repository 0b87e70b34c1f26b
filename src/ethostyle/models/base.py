"""What every style-transfer model family shares, written once.

A style-transfer model computes, for one sequence, its log-probabilities in
annotators' styles, the reference style's, and the pose features (``_scores``),
and holds a style program per annotator (``program_for``,
:class:`~ethostyle.models.program.StyleProgram`). Labelling one sequence or a
whole data set, and stating each style in words, follow from those in the same
way for every family (:class:`StylePredictor`, :func:`predict_dataset`). The
rules the families share while fitting live here too: which training sets they
accept (:func:`reference_sequence_ids`), which reference videos are held out to
search the reference's program (:func:`held_out_reference`), how an annotator's
videos are split into training and held-out parts (:func:`video_folds`), how
many bouts of each behaviour an annotator's labels show (:func:`bout_counts`),
and the warning for an annotator a model has no style for
(:func:`warn_unknown_annotator`, from :mod:`ethostyle.models.unknown_annotators`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from collections.abc import Sequence as SequenceOf
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import InvalidParameterError

from ethostyle.bouts import bout_table
from ethostyle.data import VOCABULARY, Dataset, Predictions, Sequence
from ethostyle.errors import DataFormatError, ModelFormatError, ModelParameterError
from ethostyle.models.program import StyleProgram
from ethostyle.models.unknown_annotators import (
    UnknownAnnotatorWarning,
    warn_unknown_annotator,
    warn_unknown_annotators,
)
from ethostyle.motifs import MotifVocabulary
from ethostyle.progress import NULL_PROGRESS, Progress
from ethostyle.threads import thread_count

__all__ = [
    "REFERENCE_HOLDOUT",
    "ModelFiles",
    "Piece",
    "Predictions",
    "StylePredictor",
    "UnknownAnnotatorWarning",
    "bout_counts",
    "held_out_reference",
    "predict_dataset",
    "reference_sequence_ids",
    "require_labels",
    "video_folds",
    "warn_unknown_annotator",
    "warn_unknown_annotators",
]

#: Share of the reference annotator's videos held out to search its program (its decoding).
REFERENCE_HOLDOUT = 0.15

#: One part of an annotator's video in a fold: ``(video index, first frame, stop frame)``.
Piece = tuple[int, int, int]


@dataclass(frozen=True)
class ModelFiles:
    """A model directory whose files the store has checked against their checksums.

    A family's ``load`` opens weight files only through :meth:`file`, so it can
    never read a file the manifest did not checksum.

    Parameters
    ----------
    path : Path
        The directory (a family member's sub-directory for an ensemble member).
    manifest : Path
        The ``model.json`` that listed the files (named in error messages).
    checked : Mapping of str to str, optional
        Relative file name (``/``-separated, inside ``path``) to its SHA-256;
        ``None`` when a caller hands a family a folder of its own (every file in
        it is then trusted).
    """

    path: Path
    manifest: Path
    checked: Mapping[str, str] | None = None

    @classmethod
    def of(cls, directory: ModelFiles | str | Path) -> ModelFiles:
        """``directory`` as checked files (a plain folder is trusted as it is)."""
        if isinstance(directory, ModelFiles):
            return directory
        return cls(Path(directory), Path(directory) / "model.json")

    def file(self, name: object) -> Path:
        """The path of a checked weight file, refusing one the manifest did not checksum.

        Raises
        ------
        ModelFormatError
            If ``name`` has no checksum in the manifest.
        """
        unchecked = self.checked is None and isinstance(name, str) and name
        if not unchecked and (not isinstance(name, str) or name not in (self.checked or {})):
            raise ModelFormatError(
                f"{self.manifest}: weight file {name!r} has no checksum in the manifest's "
                "'files'; the manifest was altered, retrain the model"
            )
        return self.path.joinpath(*PurePosixPath(name).parts)

    def sub(self, name: str) -> ModelFiles:
        """The checked files of the sub-directory ``name`` (an ensemble member's)."""
        if self.checked is None:
            return ModelFiles(self.path / name, self.manifest)
        prefix = f"{name}/"
        checked = {k[len(prefix) :]: v for k, v in self.checked.items() if k.startswith(prefix)}
        return ModelFiles(self.path / name, self.manifest, checked)


def require_labels(train: Dataset, task: str) -> None:
    """Refuse a data set with an unlabelled sequence, naming a few and the fix.

    Parameters
    ----------
    train : Dataset
        The sequences to learn from.
    task : str
        What needs the labels (``"training"``, ``"adapting"``), for the message.

    Raises
    ------
    DataFormatError
        If a sequence has no labels.
    """
    if not train.is_labelled:
        unlabelled = [s.id for s in train if s.labels is None][:3]
        raise DataFormatError(
            f"{task} needs labels on every sequence; {unlabelled} have none. "
            "Pass a train.npy-layout file (with 'annotations')."
        )


def reference_sequence_ids(train: Dataset, reference_annotator: int) -> list[str]:
    """Check a training set as every style-transfer model needs it; the reference's ids.

    Parameters
    ----------
    train : Dataset
        Training sequences.
    reference_annotator : int
        The annotator whose many videos train the reference model.

    Returns
    -------
    list of str
        Ids of the reference annotator's sequences.

    Raises
    ------
    DataFormatError
        If a sequence has no labels or the reference annotator has no sequence.
    """
    require_labels(train, "training")
    ref_ids = [s.id for s in train if s.annotator_id == reference_annotator]
    if not ref_ids:
        raise DataFormatError(
            f"no sequence of the reference annotator {reference_annotator}; "
            f"annotators present: {train.annotators}. To adapt a model trained on the "
            f"reference's videos (the MABe 2021 Task 1 file) to these annotators, run "
            f"`ethostyle adapt MODEL_DIR FILE --out NEW_MODEL_DIR`; or train on both files "
            f"(`ethostyle train task1.npy task2.npy --out MODEL_DIR`); or choose another "
            f"reference with --reference."
        )
    return ref_ids


def held_out_reference(
    ref_ids: list[str], rng: np.random.Generator, *, min_videos: int = 4
) -> list[str]:
    """The reference videos held out of its training to search its program (its decoding).

    :data:`REFERENCE_HOLDOUT` of them (at least one), drawn from ``rng``; none when
    there are fewer than ``min_videos`` (too few to spare one; ``rng`` is then
    left untouched).

    Parameters
    ----------
    ref_ids : list of str
        The reference annotator's sequence ids, in data-set order.
    rng : numpy.random.Generator
        Source of the draw (a family's training generator, so its later draws
        stay as they were).
    min_videos : int, optional
        Fewest reference videos that allow holding any out.

    Returns
    -------
    list of str
        The held-out ids, in the order drawn.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> len(held_out_reference([f"v{i}" for i in range(20)], rng))
    3
    >>> held_out_reference(["a", "b", "c"], rng)
    []
    """
    if len(ref_ids) < max(min_videos, 2):
        return []
    n_hold = max(1, round(len(ref_ids) * REFERENCE_HOLDOUT))
    return rng.choice(ref_ids, size=n_hold, replace=False).tolist()


def video_folds(
    lengths: SequenceOf[int], *, n_folds: int | None = None
) -> list[tuple[list[Piece], list[Piece]]]:
    """Split one annotator's videos into (training, held-out) folds.

    Parameters
    ----------
    lengths : sequence of int
        Frames of each video.
    n_folds : int, optional
        ``None``: leave one video out (one fold per video). ``2``: the videos
        alternate between two folds. A single video is cut into two halves either
        way (and gives no fold when it is shorter than two frames).

    Returns
    -------
    list of (list of Piece, list of Piece)
        Per fold, the training and the held-out pieces ``(video, start, stop)``.

    Examples
    --------
    >>> video_folds([100, 80])
    [([(1, 0, 80)], [(0, 0, 100)]), ([(0, 0, 100)], [(1, 0, 80)])]
    >>> video_folds([10])
    [([(0, 5, 10)], [(0, 0, 5)]), ([(0, 0, 5)], [(0, 5, 10)])]
    """
    whole = [(i, 0, int(n)) for i, n in enumerate(lengths)]
    if len(whole) == 1:
        n = whole[0][2]
        if n < 2:
            return []
        halves: tuple[list[Piece], list[Piece]] = ([(0, 0, n // 2)], [(0, n // 2, n)])
    elif n_folds is None:
        return [(whole[:i] + whole[i + 1 :], [whole[i]]) for i in range(len(whole))]
    elif n_folds == 2:
        halves = (whole[0::2], whole[1::2])
    else:
        raise ValueError(f"n_folds must be None or 2, not {n_folds!r}")
    return [(halves[1 - k], halves[k]) for k in (0, 1)]


def bout_counts(label_arrays: SequenceOf[np.ndarray]) -> np.ndarray:
    """Bouts of each class in an annotator's labels: the evidence for its style.

    Parameters
    ----------
    label_arrays : sequence of numpy.ndarray
        ``(frames,)`` labels of each video.

    Returns
    -------
    numpy.ndarray
        ``(classes,)`` int64 bout counts in :data:`VOCABULARY` order.

    Examples
    --------
    >>> import numpy as np
    >>> bout_counts([np.array([3, 0, 0, 3, 0, 1, 3])]).tolist()
    [2, 1, 0, 3]
    """
    counts = np.zeros(len(VOCABULARY), dtype=np.int64)
    for y in label_arrays:
        found = bout_table(y).label
        counts += np.bincount(found[found >= 0], minlength=len(VOCABULARY))[: len(VOCABULARY)]
    return counts


def predict_dataset(
    model: StylePredictor,
    dataset: Dataset,
    *,
    style: int | None = None,
    progress: Progress = NULL_PROGRESS,
) -> Predictions:
    """Label every sequence, each in the style of its ``annotator_id`` (or of ``style``).

    Sequences are labelled on as many threads as ethostyle may use (every core,
    or the limit of :func:`ethostyle.threads.limit_threads`; numpy and LightGBM
    release the GIL), one sequence per thread, so the working memory stays
    bounded by a few sequences' features. Sequences whose annotator has no style
    get one warning in all (:func:`warn_unknown_annotators`).

    Parameters
    ----------
    model : StylePredictor
        A fitted model of any family (boosted, neural, ensemble).
    dataset : Dataset
        Sequences to label.
    style : int, optional
        Label every sequence in this annotator's style instead of its own.
    progress : Progress, optional
        Receives progress in frames.

    Returns
    -------
    Predictions
        Labels, probabilities and the style used per sequence.
    """
    advance = progress.task("predicting", dataset.n_frames)
    styles = {s.id: s.annotator_id if style is None else int(style) for s in dataset}
    warn_unknown_annotators(styles, model.annotators_, model.reference_annotator)
    labels, proba = {}, {}
    with (
        warnings.catch_warnings(),  # said once above, not once per sequence
        ThreadPoolExecutor(max_workers=thread_count()) as pool,
    ):
        warnings.simplefilter("ignore", UnknownAnnotatorWarning)
        done = pool.map(lambda s: model.predict_sequence(s, styles[s.id]), dataset)
        for seq, (seq_labels, seq_proba) in zip(dataset, done, strict=True):
            labels[seq.id], proba[seq.id] = seq_labels, seq_proba
            advance(seq.n_frames)
    return Predictions(labels, proba, styles)


class StylePredictor(BaseEstimator):
    """Base of every model family: the estimator contract, labels and words from programs.

    A family sets :attr:`_fitted_attribute` (an attribute ``fit`` creates) and
    implements ``_scores`` (a sequence's log-probabilities in annotators' styles,
    the reference's, and its pose features), ``program_for`` (an annotator's
    :class:`~ethostyle.models.program.StyleProgram`), ``_styled_annotators``,
    ``save(directory) -> config``, ``load(directory, config)`` and
    ``adapt(dataset)`` (new annotators' styles on top of the reference), and declares
    its constructor parameters' constraints in ``_parameter_constraints`` (the
    scikit-learn convention; they are checked by :meth:`_check_params` in ``fit``).
    Labels (:meth:`labels_in_styles`) and the styles in words
    (:meth:`describe_styles`, :meth:`style_records`) then follow the same way for
    every family: each annotator's program labels the reference's probabilities,
    or with a ``residual`` edit the annotator's own.
    """

    #: Attribute that exists only once the model is fitted.
    _fitted_attribute: ClassVar[str] = ""
    #: The motif vocabulary whose motifs the programs' motif edits name (None: none; a
    #: family that learns one sets it in ``fit``).
    motifs_: MotifVocabulary | None = None
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def _check_params(self) -> None:
        """Validate the constructor parameters; the error names the parameter."""
        try:
            self._validate_params()
        except InvalidParameterError as exc:
            raise ModelParameterError(f"{type(self).__name__}: {exc}") from None

    def _check_fitted(self) -> None:
        if not hasattr(self, self._fitted_attribute):
            raise ModelFormatError("this model is not fitted; call fit() or load a model directory")

    def _styled_annotators(self) -> list[int]:
        """Annotators with a style of their own (implemented by families)."""
        raise NotImplementedError

    def _scores(
        self, sequence: Sequence, annotators: list[int] | None
    ) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray]:
        """A sequence's scores (implemented by families).

        Returns
        -------
        styles : dict of int to numpy.ndarray
            Annotator id (every known one when ``annotators`` is None) to
            ``(frames, classes)`` log-probabilities in its style.
        reference : numpy.ndarray
            ``(frames, classes)`` log-probabilities in the reference style.
        features : numpy.ndarray
            ``(frames, features)`` pose features, columns named by ``feature_names_``
            (the rules of the programs read them).
        """
        raise NotImplementedError

    def program_for(self, annotator: int) -> StyleProgram:
        """The style program of an annotator, the reference's for unknown ones (by families).

        Parameters
        ----------
        annotator : int
            Annotator id.

        Returns
        -------
        StyleProgram
            Its program; :meth:`StyleProgram.describe` states it in words.
        """
        raise NotImplementedError

    @property
    def annotators_(self) -> list[int]:
        """Annotators this model can label in the style of (the reference among them)."""
        self._check_fitted()
        return sorted({int(self.reference_annotator), *self._styled_annotators()})

    def log_proba_in_styles(
        self, sequence: Sequence, annotators: list[int] | None = None
    ) -> dict[int, np.ndarray]:
        """Log-probabilities of one sequence in several annotators' styles at once.

        An annotator without a style gets the reference style and an
        :class:`UnknownAnnotatorWarning`.

        Parameters
        ----------
        sequence : Sequence
            The sequence (its labels are ignored).
        annotators : list of int, optional
            Whose styles; defaults to every annotator the model knows.

        Returns
        -------
        dict of int to numpy.ndarray
            Annotator id to ``(frames, classes)`` float64 log-probabilities.
        """
        return self._scores(sequence, annotators)[0]

    def sequence_log_proba(self, sequence: Sequence, annotator: int | None = None) -> np.ndarray:
        """Log-probabilities ``(frames, classes)`` of one sequence in one annotator's style.

        Parameters
        ----------
        sequence : Sequence
            The sequence (its labels are ignored).
        annotator : int, optional
            Whose style; defaults to the sequence's ``annotator_id``.

        Returns
        -------
        numpy.ndarray
            ``(frames, classes)`` float64 log-probabilities.
        """
        who = sequence.annotator_id if annotator is None else int(annotator)
        return self.log_proba_in_styles(sequence, [who])[who]

    def predict_sequence(
        self, sequence: Sequence, annotator: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Labels and probabilities of one sequence in one annotator's style.

        Parameters
        ----------
        sequence : Sequence
            The sequence (its labels are ignored).
        annotator : int, optional
            Whose style; defaults to the sequence's ``annotator_id``.

        Returns
        -------
        labels : numpy.ndarray
            ``(frames,)`` int8.
        proba : numpy.ndarray
            ``(frames, classes)`` float32.
        """
        who = sequence.annotator_id if annotator is None else int(annotator)
        return self.labels_in_styles(sequence, [who])[who]

    def labels_in_styles(
        self, sequence: Sequence, annotators: list[int] | None = None
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Labels and probabilities of one sequence in several annotators' styles.

        Each annotator's style program labels the reference's probabilities (or,
        when it holds a ``residual`` edit, the annotator's own), with the pose
        features its rules name.

        Parameters
        ----------
        sequence : Sequence
            The sequence (its labels are ignored).
        annotators : list of int, optional
            Whose styles; defaults to every annotator the model knows.

        Returns
        -------
        dict of int to (numpy.ndarray, numpy.ndarray)
            Annotator id to ``(frames,)`` int8 labels and ``(frames, classes)``
            float32 probabilities.
        """
        scores, reference_logp, features = self._scores(sequence, annotators)
        reference_proba = np.exp(reference_logp)  # every program starts from it
        out = {}
        motifs = self.motifs_for([self.program_for(who) for who in scores], features)
        for who, logp in scores.items():
            proba = np.exp(logp).astype(np.float32)
            program = self.program_for(who)
            residual = proba if program.has_residual else None
            labels = program.apply(
                reference_proba, features, self.feature_names_, residual=residual, motifs=motifs
            )
            out[who] = (labels, proba)
        return out

    def motifs_for(
        self, programs: SequenceOf[StyleProgram], features: np.ndarray
    ) -> np.ndarray | None:
        """The motif of each frame when one of ``programs`` has motif edits, else None.

        Parameters
        ----------
        programs : sequence of StyleProgram
            The programs about to label these frames.
        features : numpy.ndarray
            ``(frames, features)`` the frames' pose features.

        Returns
        -------
        numpy.ndarray or None
            ``(frames,)`` motif ids (assigned once, for every program), or None.
        """
        if not any(program.uses_motifs for program in programs):
            return None
        return self._motif_ids(features)

    def _motif_ids(self, features: np.ndarray) -> np.ndarray:
        """``(frames,)`` the motif of each frame, for programs with motif edits."""
        if self.motifs_ is None:
            raise ModelFormatError(
                "a style program of this model has motif edits but the model has no motif "
                "vocabulary; the model is damaged, retrain it"
            )
        return self.motifs_.assign(features)

    def describe_styles(self, *, px_per_cm: float | None = None) -> dict[int, list[str]]:
        """Every annotator's learned rules in plain language, with units and held-out gains.

        Parameters
        ----------
        px_per_cm : float, optional
            Pixels per centimetre of the videos: distances are then given in cm.

        Returns
        -------
        dict of int to list of str
            Annotator id to its statements; the reference annotator and an
            annotator labelled as the reference get an empty list.
        """
        self._check_fitted()
        reference = int(self.reference_annotator)
        out: dict[int, list[str]] = {reference: []}
        vocab = self.motifs_
        words = None if vocab is None else (lambda m: vocab.describe(m, px_per_cm))
        for annotator in sorted(set(self._styled_annotators()) - {reference}):
            out[annotator] = self.program_for(annotator).describe(
                annotator, reference, px_per_cm=px_per_cm, motif_words=words
            )
        return out

    def style_records(self) -> list[dict[str, Any]]:
        """Every annotator's learned edits as plain records (``describe-style --json``).

        Returns
        -------
        list of dict
            One record per edit: ``annotator``, ``behavior``, ``kind``, ``gain`` and
            the kind's fields (see :meth:`StyleProgram.records`).
        """
        self._check_fitted()
        reference = int(self.reference_annotator)
        return [
            record
            for annotator in sorted(set(self._styled_annotators()) - {reference})
            for record in self.program_for(annotator).records(annotator)
        ]

    def predict(
        self, dataset: Dataset, *, progress: Progress = NULL_PROGRESS
    ) -> dict[str, np.ndarray]:
        """Labels of every sequence, each in the style of its ``annotator_id``.

        Parameters
        ----------
        dataset : Dataset
            Sequences to label.
        progress : Progress, optional
            Receives progress in frames.

        Returns
        -------
        dict of str to numpy.ndarray
            Sequence id to ``(frames,)`` int8 labels (a valid submission).
        """
        return predict_dataset(self, dataset, progress=progress).labels
