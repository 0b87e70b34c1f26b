"""The boosted family's model: a LightGBM reference plus each other annotator's style.

:class:`StyleTransferModel` orchestrates; the pieces live beside it, one job each:
:mod:`.reference` (the reference model and its own program), :mod:`.style` (one
annotator's style, step by step), :mod:`.context` (the stage-2 inputs of a
style's residual), :mod:`.records` (the plain records they pass on) and
:mod:`.persist` (the model directory's files).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval

from ethostyle.data import VOCABULARY, Dataset, Sequence
from ethostyle.errors import DataFormatError, ModelParameterError
from ethostyle.features import (
    FeatureTable,
    check_feature_names,
    compute_features,
    sequence_features,
)
from ethostyle.models.base import (
    ModelFiles,
    StylePredictor,
    reference_sequence_ids,
    require_labels,
    warn_unknown_annotator,
)
from ethostyle.models.boosted.context import stage2_inputs
from ethostyle.models.boosted.persist import read_model, write_model
from ethostyle.models.boosted.records import StyleModel, UnlabelledVideos
from ethostyle.models.boosted.reference import (
    REFERENCE_PARAMS,
    fit_reference,
    reference_features,
    require_reference_frames,
)
from ethostyle.models.boosted.stacked import StackedReference
from ethostyle.models.boosted.style import (
    MIN_BOUTS_FOR_EVIDENCE,
    STYLE_PARAMS,
    StyleSettings,
    fit_style,
)
from ethostyle.models.gbdt import GBDTClassifier, interpolate_rows, log_softmax, strided_rows
from ethostyle.models.program import DEFAULT_PENALTY, StyleProgram
from ethostyle.models.registry import register_family
from ethostyle.models.self_training import SelfTrainingRecord
from ethostyle.motifs import MotifVocabulary
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = ["PREDICT_FRAME_STRIDE", "StyleTransferModel"]

logger = logging.getLogger(__name__)

#: At prediction, the models score every PREDICT_FRAME_STRIDE-th frame and the scores
#: of the frames between are interpolated: the inputs are windowed over 0.2-4 s, so the
#: scores change smoothly; Task 2 F1 moved by less than 0.002 at strides 2 and 3, while
#: the models' cost fell to a half and a third (benchmarks/README.md).
PREDICT_FRAME_STRIDE = 3


@register_family("gbdt", kind="gbdt-style-transfer")
class StyleTransferModel(StylePredictor):
    """A reference model plus one style model per other annotator.

    Parameters
    ----------
    reference_annotator : int
        The annotator with many videos whose labels train the reference model.
    reference_params, style_params : dict, optional
        Overrides of :data:`REFERENCE_PARAMS` / :data:`STYLE_PARAMS`.
    reference_estimator : callable, optional
        What boosts the reference model: called with the reference's LightGBM
        settings (:data:`REFERENCE_PARAMS`, ``reference_params`` and ``seed``) as
        keyword arguments, it returns an unfitted classifier with
        :class:`~ethostyle.models.gbdt.GBDTClassifier`'s interface. None (the
        default) is ``GBDTClassifier``, on this machine;
        :class:`ethostyle.distributed.DaskGBDTClassifier` boosts it on a Dask
        cluster. Not saved: a loaded model is an ordinary one.
    min_bouts_for_evidence : int
        Bouts of a behaviour an annotator's videos must show before the style
        model may change that behaviour's score.
    tune_decoding : bool
        Search each annotator's style program, and the reference's, on held-out
        videos (else argmax of the scores).
    residual_min_gain : float
        Held-out F1 the boosted residual must gain over the style program to be
        kept (default: the per-edit penalty); ``inf`` keeps every style a pure
        program, a negative value keeps the residual wherever its rounds were chosen.
    motifs : bool
        Learn a motif vocabulary (:class:`~ethostyle.motifs.MotifVocabulary`) from
        every video's pose, labelled and unlabelled, without labels, and let the
        style programs include, exclude or relabel motifs (``model.motifs_``).
        ``adapt`` keeps the motifs learned when the reference was trained (counting
        the new annotators' labelled frames in them), or drops them when False.
    reference_stack : int
        0 (the default): the reference is one LightGBM. 2 or more: the stacked
        reference (:mod:`ethostyle.models.boosted.stacked`): that many first-stage
        models on folds of the reference's videos and a second LightGBM reading their
        out-of-fold probabilities over time; its models also see steps of the key pose
        features (:func:`~ethostyle.models.boosted.reference.reference_features`). About
        1.3 times the fit time and 1.4 times the prediction time; annotator 0's own F1
        +0.007 to +0.011 on the simulated worlds and Task 2 F1 +0.004 to +0.006, with
        one single-video style far lower on one seed (benchmarks/README.md, issue 22).
        Not with unlabelled videos, nor with a ``reference_estimator`` (such as a Dask
        cluster's).
    seed : int
        Random seed (training is deterministic for a fixed seed).

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> sim = simulate("tiny", seed=0)
    >>> model = StyleTransferModel().fit(sim.train)
    >>> predictions = model.predict(sim.test)

    Attributes
    ----------
    motifs_ : MotifVocabulary or None
        After ``fit``: the motifs of all the pose it was given, with every
        annotator's labelled frames counted per motif and class
        (``motifs_.label_shares(annotator)``); None with ``motifs=False``, or when
        the data hold too few frames to find motifs.
    """

    _fitted_attribute: ClassVar[str] = "reference_"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "reference_annotator": [Interval(Integral, 0, None, closed="left")],
        "reference_params": [dict, None],
        "style_params": [dict, None],
        "reference_estimator": [callable, None],
        "min_bouts_for_evidence": [Interval(Integral, 0, None, closed="left")],
        "tune_decoding": ["boolean"],
        "residual_min_gain": [Real],
        "motifs": ["boolean"],
        "reference_stack": [Interval(Integral, 0, None, closed="left")],
        "seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        reference_annotator: int = 0,
        reference_params: dict[str, Any] | None = None,
        style_params: dict[str, Any] | None = None,
        reference_estimator: Callable[..., GBDTClassifier] | None = None,
        min_bouts_for_evidence: int = MIN_BOUTS_FOR_EVIDENCE,
        tune_decoding: bool = True,
        residual_min_gain: float = DEFAULT_PENALTY,
        motifs: bool = True,
        reference_stack: int = 0,
        seed: int = 0,
    ) -> None:
        self.reference_annotator = reference_annotator
        self.reference_params = reference_params
        self.style_params = style_params
        self.reference_estimator = reference_estimator
        self.min_bouts_for_evidence = min_bouts_for_evidence
        self.tune_decoding = tune_decoding
        self.residual_min_gain = residual_min_gain
        self.motifs = motifs
        self.reference_stack = reference_stack
        self.seed = seed

    # ------------------------------------------------------------------ fitting
    def _check_stack(self, unlabelled: Dataset | None) -> None:
        """Refuse a stacked reference of one fold, beside unlabelled videos, or boosted
        elsewhere (such as on a Dask cluster), before any work."""
        stack = f"StyleTransferModel: the stacked reference ({self.reference_stack} folds)"
        if self.reference_stack == 1:
            raise ModelParameterError(
                "StyleTransferModel: reference_stack=1 stacks one first-stage model on "
                "itself; give 0 (one LightGBM) or 2 or more folds"
            )
        if self.reference_stack and unlabelled is not None:
            raise ModelParameterError(
                f"{stack} does not self-train; fit without unlabelled videos or with "
                "reference_stack=0"
            )
        if self.reference_stack and self.reference_estimator is not None:
            name = getattr(self.reference_estimator, "__name__", self.reference_estimator)
            raise ModelParameterError(
                f"{stack} boosts its fold models with ethostyle's own LightGBM on this "
                f"machine, not with reference_estimator={name} (such as a Dask cluster's, "
                "train --scheduler); leave reference_estimator out, or give reference_stack=0"
            )

    def pose_features(self, sequence: Sequence) -> tuple[np.ndarray, list[str]]:
        """One sequence's pose features as this model reads them (with steps for the
        stacked reference only), and their names.

        Parameters
        ----------
        sequence : Sequence
            The sequence.

        Returns
        -------
        tuple of (numpy.ndarray, list of str)
            ``(frames, features)`` float32 values and their names.
        """
        if self.reference_stack:
            return reference_features(sequence)
        return sequence_features(sequence)

    def _new_reference(self) -> GBDTClassifier:
        boost = GBDTClassifier if self.reference_estimator is None else self.reference_estimator
        return boost(**{**REFERENCE_PARAMS, **(self.reference_params or {})}, seed=self.seed)

    def _new_style_booster(self) -> GBDTClassifier:
        return GBDTClassifier(**{**STYLE_PARAMS, **(self.style_params or {})}, seed=self.seed)

    def fit(
        self,
        train: Dataset,
        *,
        unlabelled: Dataset | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> StyleTransferModel:
        """Train the reference model and every annotator's style model.

        Parameters
        ----------
        train : Dataset
            Labelled sequences of the reference annotator and of the annotators
            whose styles to learn.
        unlabelled : Dataset, optional
            Pose-only sequences (such as the challenge's test file) to self-train on
            (:mod:`ethostyle.models.self_training`): the reference model is fitted
            again with its confident labels of all of them, and a style's boosted
            residual with its confident labels of its own annotator's.
        progress : Progress, optional
            Receives progress of each step.

        Returns
        -------
        StyleTransferModel
            ``self``, fitted.

        Raises
        ------
        DataFormatError
            If the data are unlabelled, the reference annotator has no videos, or a
            sequence is both labelled and unlabelled.
        """
        self._check_params()
        self._check_stack(unlabelled)
        ref_ids = reference_sequence_ids(train, self.reference_annotator)
        require_reference_frames(train, ref_ids, self.reference_annotator)
        table = compute_features(
            train, progress=progress.task("features", train.n_frames), describe=self.pose_features
        )
        self.feature_names_ = table.names
        pose_only = self._unlabelled_videos(unlabelled, train, progress)
        # A style model sees every pose column (with its temporal context) beside the
        # reference probabilities: thresholds and boundaries are drawn on both.
        self.style_columns_ = np.arange(len(table.names), dtype=np.int64)
        labels = np.concatenate([s.labels for s in train]).astype(np.int64)
        reference = fit_reference(
            self._new_reference,
            table,
            labels,
            ref_ids,
            seed=self.seed,
            tune_decoding=self.tune_decoding,
            unlabelled=None if pose_only is None else pose_only.table.values,
            progress=progress,
            stack_folds=self.reference_stack,
        )
        self.reference_ = reference.estimator
        self.reference_program_ = reference.program
        self.self_training_ = SelfTrainingRecord(reference=reference.self_training)
        self.motifs_ = self._fit_motifs(table, pose_only, labels)
        self.styles_: dict[int, StyleModel] = {}
        self._fit_styles(train, table, progress, pose_only)
        return self

    def _fit_motifs(
        self, table: FeatureTable, unlabelled: UnlabelledVideos | None, labels: np.ndarray
    ) -> MotifVocabulary | None:
        """The motif vocabulary of all the pose given, labelled frames counted (or None)."""
        if not self.motifs:
            return None
        blocks = [table.values] + ([] if unlabelled is None else [unlabelled.table.values])
        try:
            vocab = MotifVocabulary.fit(blocks, table.names, seed=self.seed)
        except DataFormatError as err:
            logger.warning("no motif vocabulary: %s", err)
            return None
        return vocab.with_labels(vocab.assign(table.values), labels, table.annotators)

    def adapt(
        self,
        train: Dataset,
        *,
        unlabelled: Dataset | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> StyleTransferModel:
        """Learn the style of every annotator in ``train`` on top of this model's reference.

        The reference model and its decoding are not retrained, so labels in the
        reference annotator's style stay exactly as they were. An annotator the model
        already has a style for gets a new one (with a warning naming it); the
        reference annotator's own videos, if any, are not used.

        Parameters
        ----------
        train : Dataset
            Labelled sequences of the annotators whose styles to learn (for example
            the MABe 2021 Task 2 training file).
        unlabelled : Dataset, optional
            Pose-only sequences: a style that keeps a boosted residual is fitted again
            with its confident labels of its own annotator's unlabelled sequences
            (:mod:`ethostyle.models.self_training`); the reference is not retrained.
        progress : Progress, optional
            Receives progress of each step.

        Returns
        -------
        StyleTransferModel
            ``self``, with the new styles.

        Raises
        ------
        DataFormatError
            If the data are unlabelled, use another vocabulary, hold no annotator
            but the reference, or a sequence is both labelled and unlabelled.
        ModelFormatError
            If the model is not fitted, or computes other features than this
            ethostyle (a model from another version).

        Examples
        --------
        >>> from ethostyle.simulate import simulate
        >>> sim = simulate("tiny", seed=0)
        >>> model = StyleTransferModel().fit(sim.train.filter([0]))  # doctest: +SKIP
        >>> model.adapt(sim.train.filter([1, 2])).annotators_  # doctest: +SKIP
        [0, 1, 2]
        """
        self._check_fitted()
        train = self._styles_to_adapt(train)
        table = compute_features(
            train,
            progress=progress.task("features", train.n_frames),
            describe=self.pose_features,
        )
        check_feature_names(table.names, self.feature_names_, train.ids[0])
        self.self_training_ = self.self_training_.without_styles(train.annotators)
        pose_only = self._unlabelled_videos(unlabelled, train, progress)
        replaced = sorted(set(train.annotators) & set(self.styles_))
        if replaced:
            warnings.warn(
                f"annotator(s) {replaced} already have a style in this model; adapting "
                "replaces it with the one learned from these videos",
                UserWarning,
                stacklevel=2,
            )
        if not self.motifs:
            self.motifs_ = None
        if self.motifs_ is not None:
            labels = np.concatenate([s.labels for s in train]).astype(np.int64)
            self.motifs_ = self.motifs_.with_labels(
                self.motifs_.assign(table.values), labels, table.annotators
            )
        self._fit_styles(train, table, progress, pose_only)
        return self

    def _styles_to_adapt(self, train: Dataset) -> Dataset:
        """The sequences ``adapt`` learns from: ``train`` less the reference annotator's."""
        require_labels(train, "adapting")
        if list(train.vocabulary) != list(VOCABULARY):
            raise DataFormatError(
                f"the data's classes are {train.vocabulary}, the model's {list(VOCABULARY)}; "
                "map the labels to the model's vocabulary first"
            )
        others = [a for a in train.annotators if a != self.reference_annotator]
        if not others:
            raise DataFormatError(
                f"the data hold only the reference annotator {self.reference_annotator}; "
                "adapt learns other annotators' styles (retrain with `ethostyle train` to "
                "change the reference)"
            )
        if self.reference_annotator in train.annotators:
            logger.warning(
                "the reference annotator %d's videos are not used by adapt (its model is not "
                "retrained)",
                self.reference_annotator,
            )
            train = train.filter(others)
        return train

    def _unlabelled_videos(
        self, unlabelled: Dataset | None, train: Dataset, progress: Progress
    ) -> UnlabelledVideos | None:
        """The unlabelled sequences to self-train on, with their pose features, if any."""
        if unlabelled is None or len(unlabelled) == 0:
            return None
        both = sorted(set(unlabelled.ids) & set(train.ids))
        if both:
            raise DataFormatError(
                f"sequence {both[0]!r} ({len(both)} in all) is both in the labelled and in "
                "the unlabelled data; give each video once (drop it from --unlabelled)"
            )
        table = compute_features(
            unlabelled,
            progress=progress.task("features (unlabelled)", unlabelled.n_frames),
            describe=self.pose_features,
        )
        check_feature_names(table.names, self.feature_names_, unlabelled.ids[0])
        return UnlabelledVideos(unlabelled, table)

    def _fit_styles(
        self,
        train: Dataset,
        table: FeatureTable,
        progress: Progress,
        unlabelled: UnlabelledVideos | None = None,
    ) -> None:
        """Fit the style of every annotator of ``train`` but the reference."""
        others = [a for a in train.annotators if a != self.reference_annotator]
        if not others:
            return
        settings = StyleSettings(
            reference=self.reference_,
            reference_program=self.reference_program_,
            columns=self.style_columns_,
            new_booster=self._new_style_booster,
            min_bouts_for_evidence=self.min_bouts_for_evidence,
            tune_decoding=self.tune_decoding,
            residual_min_gain=self.residual_min_gain,
            motifs=self.motifs_,
        )
        motif_ids = None if self.motifs_ is None else self.motifs_.assign(table.values)
        advance = progress.task("style models", len(others))
        for annotator in others:
            sequences = [s for s in train if s.annotator_id == annotator]
            poses = None if unlabelled is None else unlabelled.poses_of(annotator)
            fitted = fit_style(settings, annotator, sequences, table, poses or None, motif_ids)
            self.styles_[annotator] = fitted.style
            if fitted.self_training is not None:
                self.self_training_ = self.self_training_.with_style(
                    annotator, fitted.self_training
                )
            advance(1)

    # --------------------------------------------------------------- predicting
    def _styled_annotators(self) -> list[int]:
        return list(self.styles_)

    # labels_in_styles, log_proba_in_styles, describe_styles and style_records come
    # from StylePredictor, through _scores, program_for and _styled_annotators.
    def _scores(
        self, sequence: Sequence, annotators: list[int] | None
    ) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray]:
        """Per annotator its style log-probabilities; the reference's; the features."""
        self._check_fitted()
        who_all = self.annotators_ if annotators is None else [int(a) for a in annotators]
        features, names = self.pose_features(sequence)
        check_feature_names(names, self.feature_names_, sequence.id)
        # The models score every PREDICT_FRAME_STRIDE-th frame; the rest are interpolated.
        rows = strided_rows(len(features), PREDICT_FRAME_STRIDE)
        pose = features[rows]
        if isinstance(self.reference_, StackedReference):
            logp = log_softmax(self.reference_.predict_raw(features))
        else:
            raw = self.reference_.predict_raw(pose)
            logp = log_softmax(interpolate_rows(raw, rows, sequence.n_frames))
        stage2 = None
        out = {}
        for who in who_all:
            style = self.styles_.get(who)
            if style is None:
                if who != self.reference_annotator:
                    warn_unknown_annotator(
                        sequence.id, who, self.annotators_, self.reference_annotator
                    )
                out[who] = logp
                continue
            if stage2 is None and style.booster is not None and style.program.has_residual:
                stage2 = stage2_inputs(pose, logp, self.style_columns_, rows)
            out[who] = style.log_proba(stage2, logp, rows)
        return out, logp, features

    def _motif_ids(self, features: np.ndarray) -> np.ndarray:
        """The motif of every frame: that of the nearest of every PREDICT_FRAME_STRIDE-th
        frame (the windowed features change smoothly, as for the scores; a third of the
        cost)."""
        rows = strided_rows(len(features), PREDICT_FRAME_STRIDE)
        ids = super()._motif_ids(features[rows])
        position = np.interp(np.arange(len(features)), rows, np.arange(rows.size))
        return ids[np.rint(position).astype(np.int64)]

    def program_for(self, annotator: int) -> StyleProgram:
        """The style program of an annotator (the reference's for unknown ones).

        Parameters
        ----------
        annotator : int
            Annotator id.

        Returns
        -------
        StyleProgram
            Its program; :meth:`StyleProgram.describe` states it in words.
        """
        self._check_fitted()
        style = self.styles_.get(int(annotator))
        return self.reference_program_ if style is None else style.program

    def style_summary(self) -> list[dict[str, Any]]:
        """One row per annotator: its data and, in words, what its style changed.

        Returns
        -------
        list of dict
            ``annotator``, ``videos``, ``frames`` and ``changed`` (a phrase), the
            reference annotator first.
        """
        self._check_fitted()
        stack = f" (stacked, {self.reference_stack} folds)" if self.reference_stack else ""
        rows = [
            {
                "annotator": self.reference_annotator,
                "videos": None,
                "frames": None,
                "changed": f"the reference: its model{stack} and decoding",
            }
        ]
        for annotator, style in sorted(self.styles_.items()):
            rules = [e for e in style.program.own_edits if e.kind != "residual"]
            residual = next((e for e in style.program.own_edits if e.kind == "residual"), None)
            parts = []
            if rules:
                parts.append(f"{len(rules)} rule{'s' if len(rules) > 1 else ''}")
            if residual is not None and style.booster is not None:
                gain = f" (held-out F1 {residual.gain:+.3f})" if residual.gain else ""
                parts.append(f"a boosted correction of the reference's scores{gain}")
            rows.append(
                {
                    "annotator": annotator,
                    "videos": style.n_videos,
                    "frames": style.n_frames,
                    "changed": " and ".join(parts)
                    or "nothing: labels as the reference annotator does",
                }
            )
        return rows

    # -------------------------------------------------------------- persisting
    def save(self, directory: str | Path) -> dict[str, Any]:
        """Write the LightGBM text models into ``directory``; return the configuration.

        Parameters
        ----------
        directory : str or Path
            Folder to write into (the model store gives a fresh temporary one).

        Returns
        -------
        dict
            JSON-serialisable configuration that :meth:`load` needs back.
        """
        self._check_fitted()
        return write_model(self, Path(directory))

    @classmethod
    def load(
        cls, directory: ModelFiles | str | Path, config: dict[str, Any], *, device: str = "cpu"
    ) -> StyleTransferModel:
        """Rebuild a model from its checked directory and :meth:`save`'s configuration.

        Parameters
        ----------
        directory : ModelFiles
            The model directory with its checksummed files.
        config : dict
            What :meth:`save` returned.
        device : str
            Ignored (LightGBM runs on the CPU).

        Returns
        -------
        StyleTransferModel
            The fitted model, ready to predict.

        Raises
        ------
        ModelFormatError
            If the configuration is incomplete or does not fit the weight files.
        """
        return read_model(cls, ModelFiles.of(directory), config)
