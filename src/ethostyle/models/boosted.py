"""Models of each annotator's labelling style, adapted from a reference model.

The reference model is trained on the many videos of the reference annotator
(annotator 0 in CalMS21). For every other annotator a *style model* learns only
how that annotator departs from the reference:

1. its inputs are the reference model's class probabilities over seconds of
   context (:func:`probability_context`) beside the pose
   features, so it can move onsets and offsets, bridge gaps and move thresholds;
2. its boosting starts from the reference model's log-probabilities
   (LightGBM ``init_score``), so with no trees it *is* the reference and each
   tree only adds this annotator's correction, shrunk by a small learning rate;
3. the change of each behaviour's score is shrunk toward the reference by the
   evidence for it, ``n / (n + 5)`` for ``n`` bouts in the annotator's videos,
   and a behaviour with fewer than 2 bouts keeps the reference's score, so a
   style never forgets a behaviour its few videos happen not to show;
4. before that boosted *residual*, each annotator's style is a **style program**
   (:mod:`ethostyle.models.program`): a short list of rules a lab can read
   (thresholds, onset and offset shifts of up to 2 s, gap merging, minimum bouts
   and relabelling of short bouts of up to 4 s, priorities, and conditions on
   named pose features), each kept only when it raises the annotator's held-out
   F1 by more than a per-edit penalty. The program starts from the reference's
   own program (searched the same way on held-out reference videos), and the
   residual is kept only when it still raises held-out F1 on top of the program.

A sequence is predicted in the style of its ``annotator_id``; an annotator the
model has not seen gets the reference style and a warning naming it.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy.ndimage import maximum_filter1d
from sklearn.utils._param_validation import Interval

from ethostyle.data import VOCABULARY, Dataset, Sequence
from ethostyle.decode import DecoderParams
from ethostyle.errors import DataFormatError, ModelFormatError
from ethostyle.features import (
    FeatureTable,
    check_feature_names,
    compute_features,
    sequence_features,
    temporal_context,
)
from ethostyle.metrics import macro_f1
from ethostyle.models.base import (
    ModelFiles,
    StylePredictor,
    UnknownAnnotatorWarning,
    bout_counts,
    held_out_reference,
    reference_sequence_ids,
    require_labels,
    video_folds,
    warn_unknown_annotator,
)
from ethostyle.models.gbdt import GBDTClassifier, interpolate_rows, log_softmax, strided_rows
from ethostyle.models.program import DEFAULT_PENALTY, Edit, StyleProgram, fit_program, pooled_f1
from ethostyle.models.self_training import with_pseudo_labels
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = [
    "KIND",
    "PROBABILITY_SHIFTS",
    "PROBABILITY_WINDOWS",
    "REFERENCE_PARAMS",
    "STYLE_PARAMS",
    "StyleModel",
    "StyleTransferModel",
    "UnknownAnnotatorWarning",
    "probability_context",
]

logger = logging.getLogger(__name__)

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
#: LightGBM settings of a style model (few videos; strong shrinkage toward the reference).
#: ``n_estimators`` is the most rounds; how many are kept is chosen per annotator on
#: held-out videos (:data:`STYLE_ROUNDS`).
STYLE_PARAMS: dict[str, Any] = {
    "n_estimators": 150,
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_child_samples": 60,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "lambda_l2": 10.0,
    "frame_step": 2,
}
#: A behaviour needs at least this many bouts in an annotator's videos before that
#: annotator's style model may change its score.
MIN_BOUTS_FOR_EVIDENCE = 2
#: Shrinkage toward the reference: a behaviour seen in ``n`` bouts of an annotator's
#: videos gets the style's change of its score times ``n / (n + EVIDENCE_HALF_BOUTS)``,
#: so a style learned from a handful of bouts moves the reference only part of the way.
EVIDENCE_HALF_BOUTS = 5
#: Fewest held-out reference videos its own program (its decoding) is searched on: every
#: style inherits that program, and one held-out video taught it thresholds the styles
#: then had to undo (a test model of 8 reference videos: investigation x0.06, undone by
#: x26 in four styles). With fewer the reference decodes by argmax.
MIN_VIDEOS_FOR_REFERENCE_PROGRAM = 3
#: Fewest labelled frames (one second) that can train the reference model, or change
#: the reference into an annotator's style; an annotator with fewer keeps the reference.
MIN_TRAINING_FRAMES = 30
#: Candidate numbers of style boosting rounds, compared on held-out videos of the
#: annotator: 0 keeps the reference unchanged, more rounds depart further from it.
STYLE_ROUNDS: tuple[int, ...] = (0, 25, 50, 100, 150)
#: At prediction, the models score every PREDICT_FRAME_STRIDE-th frame and the scores
#: of the frames between are interpolated: the inputs are windowed over 0.2-4 s, so the
#: scores change smoothly; Task 2 F1 moved by less than 0.002 at strides 2 and 3, while
#: the models' cost fell to a half and a third (benchmarks/README.md).
PREDICT_FRAME_STRIDE = 3
#: The ``kind`` a model directory's manifest gives this family.
KIND = "gbdt-style-transfer"
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


@dataclass
class StyleModel:
    """One annotator's departure from the reference.

    Attributes
    ----------
    annotator : int
        Annotator id.
    booster : GBDTClassifier or None
        Trees added to the reference log-probabilities (None: pure reference).
    evidence : numpy.ndarray
        ``(classes,)`` weights in [0, 1): how much of the style's change of each
        class's score is applied (0 keeps the reference score; grows with the
        number of bouts of the class in the annotator's videos).
    program : StyleProgram
        This annotator's style program (its first edits are the reference's own);
        its scores come from the booster only when it holds a ``residual`` edit.
    n_videos, n_frames : int
        How much of this annotator's data the style was learned from.
    """

    annotator: int
    booster: GBDTClassifier | None
    evidence: np.ndarray
    program: StyleProgram = field(default_factory=StyleProgram)
    n_videos: int = 0
    n_frames: int = 0

    def log_proba(
        self, stage2: np.ndarray, reference_logp: np.ndarray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Style log-probabilities from stage-2 inputs and reference log-probabilities.

        ``stage2`` holds the inputs of the frames ``rows`` only (all frames when
        None); the style's change of the scores is interpolated between them.
        """
        if self.booster is None or not self.program.has_residual:
            return reference_logp
        delta = self.booster.predict_raw(stage2)
        if rows is not None:
            delta = interpolate_rows(delta, rows, len(reference_logp))
        return _with_evidence(reference_logp, delta, self.evidence)


class StyleTransferModel(StylePredictor):
    """A reference model plus one style model per other annotator.

    Parameters
    ----------
    reference_annotator : int
        The annotator with many videos whose labels train the reference model.
    reference_params, style_params : dict, optional
        Overrides of :data:`REFERENCE_PARAMS` / :data:`STYLE_PARAMS`.
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
    seed : int
        Random seed (training is deterministic for a fixed seed).

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> sim = simulate("tiny", seed=0)
    >>> model = StyleTransferModel().fit(sim.train)
    >>> predictions = model.predict(sim.test)
    """

    _fitted_attribute: ClassVar[str] = "reference_"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "reference_annotator": [Interval(Integral, 0, None, closed="left")],
        "reference_params": [dict, None],
        "style_params": [dict, None],
        "min_bouts_for_evidence": [Interval(Integral, 0, None, closed="left")],
        "tune_decoding": ["boolean"],
        "residual_min_gain": [Real],
        "seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        reference_annotator: int = 0,
        reference_params: dict[str, Any] | None = None,
        style_params: dict[str, Any] | None = None,
        min_bouts_for_evidence: int = MIN_BOUTS_FOR_EVIDENCE,
        tune_decoding: bool = True,
        residual_min_gain: float = DEFAULT_PENALTY,
        seed: int = 0,
    ) -> None:
        self.reference_annotator = reference_annotator
        self.reference_params = reference_params
        self.style_params = style_params
        self.min_bouts_for_evidence = min_bouts_for_evidence
        self.tune_decoding = tune_decoding
        self.residual_min_gain = residual_min_gain
        self.seed = seed

    # ------------------------------------------------------------------ fitting
    def _reference_estimator(self) -> GBDTClassifier:
        return GBDTClassifier(
            **{**REFERENCE_PARAMS, **(self.reference_params or {})}, seed=self.seed
        )

    def _style_estimator(self) -> GBDTClassifier:
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
        self.self_training_: dict[str, int] = {}
        ref_ids = reference_sequence_ids(train, self.reference_annotator)
        n_reference = sum(train[i].n_frames for i in ref_ids)
        if n_reference < MIN_TRAINING_FRAMES:
            raise DataFormatError(
                f"the reference annotator {self.reference_annotator} has {n_reference} "
                f"labelled frame(s): too few labelled frames to train on (at least "
                f"{MIN_TRAINING_FRAMES}, one second); label more frames or choose another "
                f"--reference"
            )
        advance = progress.task("features", train.n_frames)
        table = compute_features(train, progress=advance)
        self.feature_names_ = table.names
        unlabelled_table = self._unlabelled_features(unlabelled, train, progress)
        # A style model sees every pose column (with its temporal context) beside the
        # reference probabilities: thresholds and boundaries are drawn on both.
        self.style_columns_ = np.arange(len(table.names), dtype=np.int64)
        labels = np.concatenate([s.labels for s in train]).astype(np.int64)
        self._fit_reference(train, table, labels, ref_ids, progress, unlabelled_table)

        self.styles_: dict[int, StyleModel] = {}
        self._fit_styles(train, table, progress, unlabelled_table)
        return self

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
        require_labels(train, "adapting")
        if list(train.vocabulary) != list(VOCABULARY):
            raise DataFormatError(
                f"the data's classes are {train.vocabulary}, the model's {list(VOCABULARY)}; "
                "map the labels to the model's vocabulary first"
            )
        if not [a for a in train.annotators if a != self.reference_annotator]:
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
            train = train.filter([a for a in train.annotators if a != self.reference_annotator])
        table = compute_features(train, progress=progress.task("features", train.n_frames))
        check_feature_names(table.names, self.feature_names_, train.ids[0])
        self.self_training_ = {
            k: v
            for k, v in getattr(self, "self_training_", {}).items()
            if not k.startswith(tuple(f"style_{a}_" for a in train.annotators))
        }
        unlabelled_table = self._unlabelled_features(unlabelled, train, progress)
        replaced = sorted(set(train.annotators) & set(self.styles_))
        if replaced:
            warnings.warn(
                f"annotator(s) {replaced} already have a style in this model; adapting "
                "replaces it with the one learned from these videos",
                UserWarning,
                stacklevel=2,
            )
        self._fit_styles(train, table, progress, unlabelled_table)
        return self

    def _unlabelled_features(
        self, unlabelled: Dataset | None, train: Dataset, progress: Progress
    ) -> tuple[Dataset, FeatureTable] | None:
        """The pose features of the unlabelled sequences to self-train on, if any."""
        if unlabelled is None or len(unlabelled) == 0:
            return None
        both = sorted(set(unlabelled.ids) & set(train.ids))
        if both:
            raise DataFormatError(
                f"sequence {both[0]!r} ({len(both)} in all) is both in the labelled and in "
                "the unlabelled data; give each video once (drop it from --unlabelled)"
            )
        table = compute_features(
            unlabelled, progress=progress.task("features (unlabelled)", unlabelled.n_frames)
        )
        check_feature_names(table.names, self.feature_names_, unlabelled.ids[0])
        return unlabelled, table

    def _fit_styles(
        self,
        train: Dataset,
        table: FeatureTable,
        progress: Progress,
        unlabelled: tuple[Dataset, FeatureTable] | None = None,
    ) -> None:
        """Fit the style of every annotator of ``train`` but the reference."""
        others = [a for a in train.annotators if a != self.reference_annotator]
        if not others:
            return
        advance = progress.task("style models", len(others))
        for annotator in others:
            seqs = [s for s in train if s.annotator_id == annotator]
            own_unlabelled = None
            if unlabelled is not None:
                dataset, unlabelled_table = unlabelled
                poses = [
                    unlabelled_table.values[unlabelled_table.rows(s.id)]
                    for s in dataset
                    if s.annotator_id == annotator
                ]
                own_unlabelled = poses or None
            self.styles_[annotator] = self._fit_style(annotator, seqs, table, own_unlabelled)
            advance(1)

    def _fit_reference(
        self,
        train: Dataset,
        table: FeatureTable,
        labels: np.ndarray,
        ref_ids: list[str],
        progress: Progress,
        unlabelled: tuple[Dataset, FeatureTable] | None = None,
    ) -> None:
        held = set(held_out_reference(ref_ids, np.random.default_rng(self.seed)))
        fit_rows = _rows_of(table, [i for i in ref_ids if i not in held])
        estimator = self._reference_estimator()
        advance = progress.task("reference model", estimator.n_estimators)
        estimator.fit(
            table.values[fit_rows],
            labels[fit_rows],
            feature_names=_lgb_safe(table.names),
            progress=advance,
        )
        if unlabelled is not None:
            # Self-training: the reference labels the unlabelled videos, and is fitted
            # again with its confident frames beside its own annotator's.
            unlabelled_x = unlabelled[1].values
            (x,), y, weights, n_pseudo = with_pseudo_labels(
                [table.values[fit_rows]],
                labels[fit_rows],
                [unlabelled_x],
                estimator.predict_proba(unlabelled_x),
            )
            estimator = self._reference_estimator()
            estimator.fit(
                x,
                y,
                sample_weight=weights,
                feature_names=_lgb_safe(table.names),
                progress=progress.task("reference model (self-training)", estimator.n_estimators),
            )
            self.self_training_["reference_unlabelled_frames"] = len(unlabelled_x)
            self.self_training_["reference_pseudo_labelled_frames"] = n_pseudo
        self.reference_ = estimator
        self.reference_program_ = StyleProgram()
        if len(held) >= MIN_VIDEOS_FOR_REFERENCE_PROGRAM and self.tune_decoding:
            # The reference's own program: the same search as a style's, on the
            # reference videos held out of its training (its decoding). Every style
            # inherits it, so it is searched only on enough videos to trust.
            videos = []
            for sid in sorted(held):
                rows = table.rows(sid)
                x = table.values[rows]
                videos.append((estimator.predict_proba(x), x, labels[rows]))
            self.reference_program_ = fit_program(videos, table.names)

    def _stage2(
        self, pose: np.ndarray, reference_logp: np.ndarray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Stage-2 inputs of the frames ``rows`` (all frames when None).

        ``pose`` holds the pose features of those frames only; ``reference_logp``
        covers every frame of the sequence (its context is taken over all of them).
        """
        context, _ = probability_context(np.exp(reference_logp))
        if rows is not None:
            context = context[rows]
        columns = self.style_columns_
        if columns.size == pose.shape[1] and (columns == np.arange(columns.size)).all():
            chosen = pose  # every column, in order: skip a slow column-gathering copy
        else:
            chosen = pose[:, columns]
        return np.concatenate([chosen, context], axis=1)

    def _fit_style(
        self,
        annotator: int,
        sequences: list[Sequence],
        table: FeatureTable,
        unlabelled_poses: list[np.ndarray] | None = None,
    ) -> StyleModel:
        parts = []
        for seq in sequences:
            pose = table.values[table.rows(seq.id)]
            logp = log_softmax(self.reference_.predict_raw(pose))
            parts.append((self._stage2(pose, logp), logp, seq.labels.astype(np.int64)))
        evidence = self._evidence([p[2] for p in parts])
        n_frames = sum(len(p[2]) for p in parts)
        if n_frames < MIN_TRAINING_FRAMES and evidence.any():
            logger.warning(
                "annotator %d has only %d labelled frame(s), fewer than %d; it keeps the "
                "reference style",
                annotator,
                n_frames,
                MIN_TRAINING_FRAMES,
            )
            evidence[:] = 0.0
        start = self.reference_program_
        # The program's search sees the reference's probabilities on the annotator's
        # videos: the reference never trained on them, so they are held out.
        videos = [
            (np.exp(logp), table.values[table.rows(seq.id)], y)
            for seq, (_, logp, y) in zip(sequences, parts, strict=True)
        ]
        program = start
        if self.tune_decoding and n_frames >= MIN_TRAINING_FRAMES:
            program = fit_program(videos, table.names, start=start)
        if not evidence.any():
            return StyleModel(annotator, None, evidence, program, len(parts), n_frames)

        # How far this annotator departs from the reference is chosen on videos held
        # out of the style model's training (leave one video out): the number of
        # boosting rounds with the best held-out macro F1 of the behaviours (ties go to
        # fewer rounds; log-loss is not used because a few confidently wrong frames
        # dominate it). The boosted residual is then kept only when, on those same
        # held-out predictions, it raises F1 on top of the program by the penalty.
        folds = []
        for train_pieces, held_pieces in video_folds([len(p[2]) for p in parts]):
            booster = self._fit_booster([_piece(parts, p) for p in train_pieces])
            folds.extend((booster, p, *_piece(parts, p)) for p in held_pieces)
        limit = self._style_estimator().n_estimators
        candidates = [r for r in STYLE_ROUNDS if r < limit] + [limit]
        scores = [
            _pooled_argmax_f1(
                [
                    _with_evidence(logp, booster.predict_raw(z, r), evidence)
                    for booster, _, z, logp, _ in folds
                ],
                [y for *_, y in folds],
            )
            for r in candidates
        ]
        rounds = candidates[int(np.argmax(scores))]
        logger.info(
            "annotator %s: %d style rounds (held-out F1 %s)",
            annotator,
            rounds,
            ", ".join(f"{r}:{v:.4f}" for r, v in zip(candidates, scores, strict=True)),
        )
        if rounds == 0:
            return StyleModel(annotator, None, evidence, program, len(parts), n_frames)
        # Each video's held-out residual probabilities, put together from its pieces.
        residual = [np.exp(logp) for _, logp, _ in parts]
        for booster, (video, start_frame, stop), z, logp, _ in folds:
            residual[video][start_frame:stop] = np.exp(
                _with_evidence(logp, booster.predict_raw(z, rounds), evidence)
            )
        # The residual competes with the program on equal terms: the program is searched
        # again on the residual's held-out scores, and the residual stays only when that
        # raises pooled F1 by the per-edit penalty.
        residual_start = self.reference_program_.with_edit(Edit("residual", frames=rounds))
        residual_videos = [(*v, r) for v, r in zip(videos, residual, strict=True)]
        with_residual = residual_start
        if self.tune_decoding and n_frames >= MIN_TRAINING_FRAMES:
            with_residual = fit_program(residual_videos, table.names, start=residual_start)
        # Held-out F1 of each: its start's F1 (held out: the reference never saw these
        # videos, the residual's scores are leave-one-video-out) plus the held-out gains
        # its search measured for its own edits (their parameters are refitted on all
        # videos, so their in-sample F1 would flatter them).
        held_out_with = pooled_f1(residual_start, videos, table.names, residual) + sum(
            e.gain for e in with_residual.edits[len(residual_start.edits) :]
        )
        held_out_without = pooled_f1(start, videos, table.names) + sum(
            e.gain for e in program.edits[len(start.edits) :]
        )
        gain = held_out_with - held_out_without
        logger.info("annotator %s: residual held-out F1 gain %+.4f", annotator, gain)
        if gain < self.residual_min_gain:
            return StyleModel(annotator, None, evidence, program, len(parts), n_frames)
        own = with_residual.edits[len(residual_start.edits) :]
        with_residual = replace(
            with_residual,
            edits=(
                *self.reference_program_.edits,
                Edit("residual", gain=gain, frames=rounds),
                *own,
            ),
            inherited=len(self.reference_program_.edits),
        )
        booster = self._fit_booster(parts, rounds)
        if unlabelled_poses:
            booster = self._self_train_residual(
                annotator, booster, parts, rounds, evidence, unlabelled_poses
            )
        return StyleModel(annotator, booster, evidence, with_residual, len(parts), n_frames)

    def _self_train_residual(
        self,
        annotator: int,
        booster: GBDTClassifier,
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
        rounds: int,
        evidence: np.ndarray,
        unlabelled_poses: list[np.ndarray],
    ) -> GBDTClassifier:
        """The residual fitted again beside its confident labels of unlabelled videos."""
        unlabelled_parts = []
        for pose in unlabelled_poses:
            logp = log_softmax(self.reference_.predict_raw(pose))
            z = self._stage2(pose, logp)
            unlabelled_parts.append((z, logp))
        z_unlabelled = np.concatenate([z for z, _ in unlabelled_parts])
        logp_unlabelled = np.concatenate([logp for _, logp in unlabelled_parts])
        proba = np.exp(_with_evidence(logp_unlabelled, booster.predict_raw(z_unlabelled), evidence))
        (z, init), y, weights, n_pseudo = with_pseudo_labels(
            [np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])],
            np.concatenate([p[2] for p in parts]),
            [z_unlabelled, logp_unlabelled],
            proba,
        )
        self.self_training_[f"style_{annotator}_unlabelled_frames"] = len(proba)
        self.self_training_[f"style_{annotator}_pseudo_labelled_frames"] = n_pseudo
        return self._fit_booster([(z, init, y)], rounds, sample_weight=weights)

    def _fit_booster(
        self,
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
        rounds: int | None = None,
        *,
        sample_weight: np.ndarray | None = None,
    ) -> GBDTClassifier:
        z = np.concatenate([p[0] for p in parts])
        init = np.concatenate([p[1] for p in parts])
        y = np.concatenate([p[2] for p in parts])
        estimator = self._style_estimator()
        if rounds is not None:
            estimator.n_estimators = rounds
        return estimator.fit(z, y, init_score=init, sample_weight=sample_weight)

    def _evidence(self, label_arrays: list[np.ndarray]) -> np.ndarray:
        counts = bout_counts(label_arrays)
        weights = counts / (counts + EVIDENCE_HALF_BOUTS)
        return np.where(counts >= self.min_bouts_for_evidence, weights, 0.0)

    # --------------------------------------------------------------- predicting
    def _styled_annotators(self) -> list[int]:
        return list(self.styles_)

    def log_proba_in_styles(
        self, sequence: Sequence, annotators: list[int] | None = None
    ) -> dict[int, np.ndarray]:
        """Log-probabilities of one sequence in several annotators' styles at once.

        The pose features and the reference model run once for all styles. A style
        whose program keeps the boosted residual gets the residual's scores; any
        other gets the reference's.

        Parameters
        ----------
        sequence : Sequence
            The sequence (its labels are ignored).
        annotators : list of int, optional
            Whose styles; defaults to every annotator the model knows.

        Returns
        -------
        dict of int to numpy.ndarray
            Annotator id to ``(frames, classes)`` log-probabilities.
        """
        return self._scores(sequence, annotators)[0]

    def labels_in_styles(
        self, sequence: Sequence, annotators: list[int] | None = None
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Labels and probabilities of one sequence in several annotators' styles.

        Each annotator's style program labels the reference's probabilities (or
        its residual's), with the pose features its rules name.

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
        for who, logp in scores.items():
            proba = np.exp(logp).astype(np.float32)
            program = self.program_for(who)
            residual = proba if program.has_residual else None
            labels = program.apply(
                reference_proba, features, self.feature_names_, residual=residual
            )
            out[who] = (labels, proba)
        return out

    def _scores(
        self, sequence: Sequence, annotators: list[int] | None
    ) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray]:
        """Per annotator its style log-probabilities; the reference's; the features."""
        self._check_fitted()
        who_all = self.annotators_ if annotators is None else [int(a) for a in annotators]
        features, names = sequence_features(sequence)
        check_feature_names(names, self.feature_names_, sequence.id)
        # The models score every PREDICT_FRAME_STRIDE-th frame; the rest are interpolated.
        rows = strided_rows(len(features), PREDICT_FRAME_STRIDE)
        pose = features[rows]
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
                stage2 = self._stage2(pose, logp, rows)
            out[who] = style.log_proba(stage2, logp, rows)
        return out, logp, features

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
        out: dict[int, list[str]] = {self.reference_annotator: []}
        for annotator, style in sorted(self.styles_.items()):
            out[annotator] = style.program.describe(
                annotator, self.reference_annotator, px_per_cm=px_per_cm
            )
        return out

    def style_summary(self) -> list[dict[str, Any]]:
        """One row per annotator: its data and, in words, what its style changed.

        Returns
        -------
        list of dict
            ``annotator``, ``videos``, ``frames`` and ``changed`` (a phrase), the
            reference annotator first.
        """
        self._check_fitted()
        rows = [
            {
                "annotator": self.reference_annotator,
                "videos": None,
                "frames": None,
                "changed": "the reference: its model and decoding",
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

    def style_records(self) -> list[dict[str, Any]]:
        """Every annotator's learned edits as plain records (``describe-style --json``).

        Returns
        -------
        list of dict
            One record per edit: ``annotator``, ``behavior``, ``kind``, ``gain`` and
            the kind's fields (see :meth:`StyleProgram.records`).
        """
        self._check_fitted()
        return [
            record
            for annotator, style in sorted(self.styles_.items())
            for record in style.program.records(annotator)
        ]

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
        directory = Path(directory)

        def write_booster(booster: GBDTClassifier, name: str) -> str:
            booster.save(directory / name)
            return name

        styles = {}
        for annotator, style in sorted(self.styles_.items()):
            styles[str(annotator)] = {
                "file": None
                if style.booster is None
                else write_booster(style.booster, f"style_{annotator}.lgb.txt"),
                "evidence": [float(v) for v in style.evidence],
                "program": style.program.to_dict(),
                "n_videos": style.n_videos,
                "n_frames": style.n_frames,
            }
        return {
            "kind": KIND,
            "reference_annotator": self.reference_annotator,
            "feature_names": list(self.feature_names_),
            "style_columns": [int(i) for i in self.style_columns_],
            "params": {
                "reference_params": self.reference_params,
                "style_params": self.style_params,
                "min_bouts_for_evidence": self.min_bouts_for_evidence,
                "tune_decoding": self.tune_decoding,
                "residual_min_gain": self.residual_min_gain,
                "seed": self.seed,
            },
            "reference": {
                "file": write_booster(self.reference_, "reference.lgb.txt"),
                "program": self.reference_program_.to_dict(),
            },
            "styles": styles,
            "self_training": dict(self.self_training_),
        }

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
        directory = ModelFiles.of(directory)
        try:
            model = cls(reference_annotator=int(config["reference_annotator"]), **config["params"])
            model.feature_names_ = list(config["feature_names"])
            model.style_columns_ = np.asarray(config["style_columns"], dtype=np.int64)
            model.reference_ = GBDTClassifier.load(directory.file(config["reference"]["file"]))
            model.reference_program_ = _program(
                config["reference"], f"{directory.manifest}: reference.program"
            )
            model.self_training_ = {
                str(k): int(v) for k, v in config.get("self_training", {}).items()
            }
            model.styles_ = {}
            for key, entry in config["styles"].items():
                booster = (
                    None
                    if entry["file"] is None
                    else GBDTClassifier.load(directory.file(entry["file"]))
                )
                program = _program(entry, f"{directory.manifest}: styles.{key}.program")
                if "program" not in entry and booster is not None:
                    # Before programs, a style with trees always labelled their scores.
                    program = program.with_edit(Edit("residual"))
                model.styles_[int(key)] = StyleModel(
                    annotator=int(key),
                    booster=booster,
                    evidence=np.asarray(entry["evidence"], dtype=np.float64),
                    program=program,
                    n_videos=int(entry["n_videos"]),
                    n_frames=int(entry["n_frames"]),
                )
        except ModelFormatError as exc:
            if str(directory.manifest) in str(exc) or str(directory.path) in str(exc):
                raise
            raise ModelFormatError(f"{directory.manifest}: {exc}; retrain the model") from None
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ModelFormatError(
                f"{directory.manifest}: incomplete manifest ({exc!r}); retrain the model"
            ) from None
        model._check_shapes(directory)
        return model

    def _check_shapes(self, directory: ModelFiles) -> None:
        """Refuse a configuration whose feature lists do not fit its weight files."""
        n_features = len(self.feature_names_)
        n_context = probability_context(np.full((1, len(VOCABULARY)), 1.0 / len(VOCABULARY)))[0]
        problems = []
        if self.reference_.booster_.num_feature() != n_features:
            problems.append(
                f"the reference weights read {self.reference_.booster_.num_feature()} features, "
                f"the manifest lists {n_features}"
            )
        columns = self.style_columns_
        if columns.ndim != 1 or (
            len(columns) and not 0 <= columns.min() <= columns.max() < n_features
        ):
            problems.append("'style_columns' points outside the feature list")
        expected = len(columns) + n_context.shape[1]
        for annotator, style in self.styles_.items():
            if style.evidence.shape != (len(VOCABULARY),):
                problems.append(f"annotator {annotator}'s 'evidence' is not one weight per class")
            if style.booster is not None and style.booster.booster_.num_feature() != expected:
                problems.append(
                    f"annotator {annotator}'s weights read {style.booster.booster_.num_feature()} "
                    f"features, not {expected}"
                )
        boosters = [self.reference_, *(s.booster for s in self.styles_.values() if s.booster)]
        if any(b.n_classes != len(VOCABULARY) for b in boosters):
            problems.append(f"a weight file does not score the {len(VOCABULARY)} classes")
        if problems:
            raise ModelFormatError(
                f"{directory.manifest}: the manifest does not fit its weight files "
                f"({'; '.join(problems)}); the model is damaged or was written by another "
                "ethostyle, retrain it"
            )


def _program(entry: dict[str, Any], where: str) -> StyleProgram:
    """A saved style program, or the one an older model's decoder stands for."""
    if "program" in entry:
        return StyleProgram.from_dict(entry["program"], where)
    return StyleProgram.from_decoder(DecoderParams.from_dict(entry["decoder"]))


def _with_evidence(
    reference_logp: np.ndarray, delta: np.ndarray, evidence: np.ndarray
) -> np.ndarray:
    """Style log-probabilities: the reference plus the style's change, weighted by evidence."""
    return log_softmax(reference_logp + evidence[None, :] * delta)


def _pooled_argmax_f1(log_probas: list[np.ndarray], truths: list[np.ndarray]) -> float:
    """Macro F1 of the behaviours of argmax labels, frames of all videos pooled."""
    pred = np.concatenate([lp.argmax(axis=1) for lp in log_probas])
    return macro_f1(np.concatenate(truths), pred)


def _rows_of(table: FeatureTable, ids: list[str]) -> np.ndarray:
    return np.concatenate([np.arange(table.rows(i).start, table.rows(i).stop) for i in ids])


def _lgb_safe(names: list[str]) -> list[str]:
    """LightGBM refuses some characters in feature names; keep them readable."""
    return [n.replace("@", "__").replace("+", "p").replace("-", "_") for n in names]


def _piece(
    parts: list[tuple[np.ndarray, ...]], piece: tuple[int, int, int]
) -> tuple[np.ndarray, ...]:
    """The frames ``start:stop`` of video ``video``'s arrays (a fold's piece)."""
    video, start, stop = piece
    return tuple(a[start:stop] for a in parts[video])
