"""One annotator's style: a style program, and a boosted residual when it earns its place.

:func:`fit_style` runs the steps in order, each a function here:

1. the annotator's videos as the residual sees them (:func:`_style_videos`);
2. the evidence weights: how far each behaviour's score may move
   (:func:`evidence_weights`);
3. the style program's search from the reference's program (:func:`_searched`);
4. the residual's number of boosting rounds, chosen on held-out videos
   (:func:`_held_out_pieces`, :func:`_choose_rounds`);
5. the residual's held-out probabilities (:func:`_held_out_residual`);
6. the residual against the program: kept only when it raises held-out F1 on top
   of a program searched again on its scores (:func:`_program_with_residual`);
7. self-training of a kept residual on its annotator's unlabelled videos
   (:func:`_self_train_residual`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ethostyle.data import Sequence
from ethostyle.features import FeatureTable
from ethostyle.metrics import macro_f1
from ethostyle.metrics.labelled import n_labelled
from ethostyle.models.base import bout_counts, video_folds
from ethostyle.models.boosted.context import stage2_inputs, with_evidence
from ethostyle.models.boosted.records import HeldOutPiece, StyleModel, StyleVideo
from ethostyle.models.boosted.reference import MIN_TRAINING_FRAMES
from ethostyle.models.gbdt import GBDTClassifier, log_softmax
from ethostyle.models.program import Edit, StyleProgram, Video, fit_program, pooled_f1
from ethostyle.models.self_training import PseudoLabels, with_pseudo_labels
from ethostyle.motifs import MotifVocabulary

__all__ = [
    "EVIDENCE_HALF_BOUTS",
    "MIN_BOUTS_FOR_EVIDENCE",
    "STYLE_PARAMS",
    "STYLE_ROUNDS",
    "FittedStyle",
    "StyleSettings",
    "evidence_weights",
    "fit_style",
]

logger = logging.getLogger(__name__)

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
#: Candidate numbers of style boosting rounds, compared on held-out videos of the
#: annotator: 0 keeps the reference unchanged, more rounds depart further from it.
STYLE_ROUNDS: tuple[int, ...] = (0, 25, 50, 100, 150)


@dataclass(frozen=True, slots=True)
class StyleSettings:
    """What fitting one annotator's style needs from the whole model.

    Attributes
    ----------
    reference : GBDTClassifier
        The fitted reference model.
    reference_program : StyleProgram
        The reference's own program: where every style's search starts.
    columns : numpy.ndarray
        The pose columns a residual sees (:func:`stage2_inputs`).
    new_booster : callable
        Returns an unfitted residual classifier with the style settings.
    min_bouts_for_evidence : int
        Bouts of a behaviour needed before the residual may change its score.
    tune_decoding : bool
        Search style programs (else the reference's program, with or without a residual).
    residual_min_gain : float
        Held-out F1 the residual must gain over the program to be kept.
    motifs : MotifVocabulary or None
        The model's motif vocabulary (None: no motif edits).
    """

    reference: GBDTClassifier
    reference_program: StyleProgram
    columns: np.ndarray
    new_booster: Callable[[], GBDTClassifier]
    min_bouts_for_evidence: int
    tune_decoding: bool
    residual_min_gain: float
    motifs: MotifVocabulary | None = None

    def searches(self, n_frames: int) -> bool:
        """Whether programs are searched for an annotator with ``n_frames`` labelled frames."""
        return self.tune_decoding and n_frames >= MIN_TRAINING_FRAMES


@dataclass(frozen=True, slots=True)
class FittedStyle:
    """A fitted style and what its self-training took (None: not self-trained)."""

    style: StyleModel
    self_training: PseudoLabels | None = None


def fit_style(
    settings: StyleSettings,
    annotator: int,
    sequences: list[Sequence],
    table: FeatureTable,
    unlabelled_poses: list[np.ndarray] | None = None,
    motifs: np.ndarray | None = None,
) -> FittedStyle:
    """Fit one annotator's style program and, where it earns its place, boosted residual.

    Parameters
    ----------
    settings : StyleSettings
        The reference and the model's style settings.
    annotator : int
        Whose style.
    sequences : list of Sequence
        The annotator's labelled sequences.
    table : FeatureTable
        Pose features of (at least) those sequences.
    unlabelled_poses : list of numpy.ndarray, optional
        ``(frames, features)`` pose features of the annotator's unlabelled
        sequences, to self-train a kept residual on.
    motifs : numpy.ndarray, optional
        ``(table rows,)`` the motif of every row of ``table`` (with
        ``settings.motifs``): the programs may then have motif edits.

    Returns
    -------
    FittedStyle
    """
    videos = _style_videos(settings, sequences, table)
    n_frames = sum(n_labelled(v.labels) for v in videos)
    evidence = evidence_weights([v.labels for v in videos], settings.min_bouts_for_evidence)
    if n_frames < MIN_TRAINING_FRAMES and evidence.any():
        logger.warning(
            "annotator %d has only %d labelled frame(s), fewer than %d; it keeps the "
            "reference style",
            annotator,
            n_frames,
            MIN_TRAINING_FRAMES,
        )
        evidence[:] = 0.0
    # The program's search sees the reference's probabilities on the annotator's
    # videos: the reference never trained on them, so they are held out.
    program_videos = [
        Video(
            np.exp(v.reference_logp),
            table.values[table.rows(seq.id)],
            v.labels,
            motifs=None if motifs is None else motifs[table.rows(seq.id)],
        )
        for seq, v in zip(sequences, videos, strict=True)
    ]
    program = _searched(settings, program_videos, table.names, settings.reference_program)
    plain = StyleModel(annotator, None, evidence, program, len(videos), n_frames)
    if not evidence.any():
        return FittedStyle(plain)
    pieces = _held_out_pieces(settings, videos)
    rounds = _choose_rounds(settings, annotator, pieces, evidence)
    if rounds == 0:
        return FittedStyle(plain)
    residual = _held_out_residual(videos, pieces, rounds, evidence)
    with_residual = _program_with_residual(
        settings, annotator, program_videos, table.names, program, residual, rounds
    )
    if with_residual is None:
        return FittedStyle(plain)
    booster = _fit_booster(settings, videos, rounds)
    taken = None
    if unlabelled_poses:
        booster, taken = _self_train_residual(
            settings, booster, videos, rounds, evidence, unlabelled_poses
        )
    style = StyleModel(annotator, booster, evidence, with_residual, len(videos), n_frames)
    return FittedStyle(style, taken)


def evidence_weights(label_arrays: list[np.ndarray], min_bouts: int) -> np.ndarray:
    """How much of a residual's change of each behaviour's score is applied.

    Parameters
    ----------
    label_arrays : list of numpy.ndarray
        The annotator's ``(frames,)`` labels, one array per video.
    min_bouts : int
        Fewest bouts of a behaviour before its score may change.

    Returns
    -------
    numpy.ndarray
        ``(classes,)`` float64: ``n / (n + EVIDENCE_HALF_BOUTS)`` for a class seen
        in ``n >= min_bouts`` bouts, else 0.

    Examples
    --------
    >>> import numpy as np
    >>> evidence_weights([np.array([0, 0, 3, 0, 0])], 2).round(3).tolist()  # 2 attacks
    [0.286, 0.0, 0.0, 0.0]
    """
    counts = bout_counts(label_arrays)
    weights = counts / (counts + EVIDENCE_HALF_BOUTS)
    return np.where(counts >= min_bouts, weights, 0.0)


def _style_videos(
    settings: StyleSettings, sequences: list[Sequence], table: FeatureTable
) -> list[StyleVideo]:
    """Each labelled video with the residual's inputs and the reference's scores."""
    videos = []
    for seq in sequences:
        pose = table.values[table.rows(seq.id)]
        logp = log_softmax(settings.reference.predict_raw(pose))
        stage2 = stage2_inputs(pose, logp, settings.columns)
        videos.append(StyleVideo(stage2, logp, seq.labels.astype(np.int64)))
    return videos


def _searched(
    settings: StyleSettings,
    videos: list[Video],
    names: list[str],
    start: StyleProgram,
) -> StyleProgram:
    """The program searched from ``start`` on the videos, or ``start`` when not searched."""
    n_frames = sum(n_labelled(v.labels) for v in videos)
    if not settings.searches(n_frames):
        return start
    words = None if settings.motifs is None else settings.motifs.descriptions()
    return fit_program(videos, names, start=start, motif_descriptions=words)


def _held_out_pieces(settings: StyleSettings, videos: list[StyleVideo]) -> list[HeldOutPiece]:
    """Every held-out piece of the annotator's videos, with the residual fitted without it."""
    pieces = []
    for train_pieces, held_pieces in video_folds([len(v) for v in videos]):
        booster = _fit_booster(settings, [_frames(videos, p) for p in train_pieces])
        pieces.extend(HeldOutPiece(booster, p, _frames(videos, p)) for p in held_pieces)
    return pieces


def _choose_rounds(
    settings: StyleSettings,
    annotator: int,
    pieces: list[HeldOutPiece],
    evidence: np.ndarray,
) -> int:
    """The residual's boosting rounds with the best held-out macro F1 (0: none).

    How far this annotator departs from the reference is chosen on videos held
    out of the style model's training (leave one video out): the number of
    boosting rounds with the best held-out macro F1 of the behaviours (ties go to
    fewer rounds; log-loss is not used because a few confidently wrong frames
    dominate it).
    """
    limit = settings.new_booster().n_estimators
    candidates = [r for r in STYLE_ROUNDS if r < limit] + [limit]
    truth = np.concatenate([p.video.labels for p in pieces])
    scores = []
    for r in candidates:
        labels = [
            with_evidence(
                p.video.reference_logp, p.booster.predict_raw(p.video.stage2, r), evidence
            ).argmax(axis=1)
            for p in pieces
        ]
        scores.append(macro_f1(truth, np.concatenate(labels)))
    rounds = candidates[int(np.argmax(scores))]
    logger.info(
        "annotator %s: %d style rounds (held-out F1 %s)",
        annotator,
        rounds,
        ", ".join(f"{r}:{v:.4f}" for r, v in zip(candidates, scores, strict=True)),
    )
    return rounds


def _held_out_residual(
    videos: list[StyleVideo], pieces: list[HeldOutPiece], rounds: int, evidence: np.ndarray
) -> list[np.ndarray]:
    """Each video's held-out residual probabilities, put together from its pieces."""
    residual = [np.exp(v.reference_logp) for v in videos]
    for p in pieces:
        video, start, stop = p.piece
        residual[video][start:stop] = np.exp(
            with_evidence(
                p.video.reference_logp, p.booster.predict_raw(p.video.stage2, rounds), evidence
            )
        )
    return residual


def _program_with_residual(
    settings: StyleSettings,
    annotator: int,
    videos: list[Video],
    names: list[str],
    program: StyleProgram,
    residual: list[np.ndarray],
    rounds: int,
) -> StyleProgram | None:
    """The program with the residual, or None when the residual does not beat ``program``.

    The residual competes with the program on equal terms: the program is
    searched again on the residual's held-out scores, and the residual stays only
    when that raises pooled F1 by ``residual_min_gain``. Each side's held-out F1 is
    its start's F1 (held out: the reference never saw these videos, the residual's
    scores are leave-one-video-out) plus the held-out gains its search measured for
    its own edits (their parameters are refitted on all videos, so their in-sample
    F1 would flatter them).
    """
    start = settings.reference_program
    residual_start = start.with_edit(Edit("residual", frames=rounds))
    residual_videos = [replace(v, residual=r) for v, r in zip(videos, residual, strict=True)]
    with_residual = _searched(settings, residual_videos, names, residual_start)
    held_out_with = pooled_f1(residual_start, videos, names, residual) + sum(
        e.gain for e in with_residual.edits[len(residual_start.edits) :]
    )
    held_out_without = pooled_f1(start, videos, names) + sum(
        e.gain for e in program.edits[len(start.edits) :]
    )
    gain = held_out_with - held_out_without
    logger.info("annotator %s: residual held-out F1 gain %+.4f", annotator, gain)
    if gain < settings.residual_min_gain:
        return None
    own = with_residual.edits[len(residual_start.edits) :]
    return replace(
        with_residual,
        edits=(*start.edits, Edit("residual", gain=gain, frames=rounds), *own),
        inherited=len(start.edits),
    )


def _self_train_residual(
    settings: StyleSettings,
    booster: GBDTClassifier,
    videos: list[StyleVideo],
    rounds: int,
    evidence: np.ndarray,
    unlabelled_poses: list[np.ndarray],
) -> tuple[GBDTClassifier, PseudoLabels]:
    """The residual fitted again beside its confident labels of unlabelled videos."""
    stage2, reference_logp = [], []
    for pose in unlabelled_poses:
        logp = log_softmax(settings.reference.predict_raw(pose))
        stage2.append(stage2_inputs(pose, logp, settings.columns))
        reference_logp.append(logp)
    z_unlabelled = np.concatenate(stage2)
    logp_unlabelled = np.concatenate(reference_logp)
    proba = np.exp(with_evidence(logp_unlabelled, booster.predict_raw(z_unlabelled), evidence))
    labelled = StyleVideo.joined(videos)
    (z, init), y, weights, n_pseudo = with_pseudo_labels(
        [labelled.stage2, labelled.reference_logp],
        labelled.labels,
        [z_unlabelled, logp_unlabelled],
        proba,
    )
    refitted = _fit_booster(settings, [StyleVideo(z, init, y)], rounds, sample_weight=weights)
    return refitted, PseudoLabels(len(proba), n_pseudo)


def _fit_booster(
    settings: StyleSettings,
    videos: list[StyleVideo],
    rounds: int | None = None,
    *,
    sample_weight: np.ndarray | None = None,
) -> GBDTClassifier:
    """A residual boosted from the reference's scores of ``videos`` (at most ``rounds``)."""
    joined = StyleVideo.joined(videos)
    estimator = settings.new_booster()
    if rounds is not None:
        estimator.n_estimators = rounds
    return estimator.fit(
        joined.stage2, joined.labels, init_score=joined.reference_logp, sample_weight=sample_weight
    )


def _frames(videos: list[StyleVideo], piece: tuple[int, int, int]) -> StyleVideo:
    """The frames of a fold's piece ``(video, start, stop)``."""
    video, start, stop = piece
    return videos[video].frames(start, stop)
