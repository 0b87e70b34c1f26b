"""The minutes worth labelling next: stretches whose labels would most change a style.

A lab adapting ethostyle to a new annotator labels whole videos, yet most of their
frames teach nothing: long stretches of ``other``, and bouts the reference already
gets right. :func:`suggest_stretches` scores every frame of unlabelled videos for
how much its label would tell about one annotator's style, and picks the
non-overlapping stretches (10-30 s) with the highest mean score. A frame scores
where

- **the candidate edits disagree**: the annotator's program labels it otherwise
  when any one of the edits its search chose is left out (the share of those
  programs that do): labelling it says whether that edit is right;
- **the style and the reference disagree**: the style's label differs from the
  reference's, or its probabilities do (total variation distance);
- **the reference is least sure**: one minus the margin between its two most
  probable classes.

:mod:`ethostyle.models.suggest_files` writes the stretches as files to label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ethostyle.data import FPS, Dataset, Sequence
from ethostyle.errors import DataFormatError, ModelParameterError, UnknownAnnotatorError
from ethostyle.metrics.labelled import labelled_mask
from ethostyle.models.base import StylePredictor
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = [
    "MAX_STRETCH_S",
    "MIN_STRETCH_S",
    "SCORE_WEIGHTS",
    "FrameScores",
    "Stretch",
    "frame_scores",
    "pick_stretches",
    "suggest_stretches",
]

#: Shortest and longest stretch (seconds): long enough to hold a bout and its context,
#: short enough that the minutes spread over many situations.
MIN_STRETCH_S: float = 10.0
MAX_STRETCH_S: float = 30.0
#: Weights of the three reasons in a frame's score (edits, style vs reference, reference
#: unsure). The reference's doubt counts half: it is high wherever behaviours change, and
#: those frames teach the reference more than they teach a style.
SCORE_WEIGHTS: tuple[float, float, float] = (1.0, 1.0, 0.5)


@dataclass(frozen=True, slots=True)
class FrameScores:
    """Why each frame of one video is worth labelling, each reason in 0-1.

    Attributes
    ----------
    edits : numpy.ndarray
        ``(frames,)`` share of the programs less one chosen edit that label the frame
        otherwise than the style does (0 where the style has no edit of its own).
    style : numpy.ndarray
        ``(frames,)`` how far the style departs from the reference: half for a
        different label, half the total variation distance of their probabilities.
    unsure : numpy.ndarray
        ``(frames,)`` one minus the reference's margin between its two most
        probable classes.
    """

    edits: np.ndarray
    style: np.ndarray
    unsure: np.ndarray

    def total(self, weights: tuple[float, float, float] = SCORE_WEIGHTS) -> np.ndarray:
        """``(frames,)`` the weighted sum of the three reasons."""
        w_edits, w_style, w_unsure = weights
        return w_edits * self.edits + w_style * self.style + w_unsure * self.unsure


@dataclass(frozen=True, slots=True)
class Stretch:
    """One stretch of a video to label.

    Attributes
    ----------
    sequence : str
        The video's sequence id.
    start, stop : int
        Frames at 30 Hz; ``stop`` is exclusive.
    score : float
        Mean frame score over the stretch (:meth:`FrameScores.total`).
    edits, style, unsure : float
        The mean of each reason over the stretch.
    """

    sequence: str
    start: int
    stop: int
    score: float
    edits: float
    style: float
    unsure: float

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return (self.stop - self.start) / FPS

    def why(self) -> str:
        """The stretch's leading reason, in words."""
        reasons = {
            "the candidate edits of the style disagree": self.edits * SCORE_WEIGHTS[0],
            "the style and the reference disagree": self.style * SCORE_WEIGHTS[1],
            "the reference is unsure": self.unsure * SCORE_WEIGHTS[2],
        }
        return max(reasons, key=reasons.__getitem__)


def frame_scores(model: StylePredictor, sequence: Sequence, annotator: int) -> FrameScores:
    """Score every frame of one video for what its label would tell about a style.

    Parameters
    ----------
    model : StylePredictor
        A fitted model with a style for ``annotator``.
    sequence : Sequence
        The video (its labels are ignored).
    annotator : int
        Whose style.

    Returns
    -------
    FrameScores
    """
    # The contract's own scores: the reference's and the pose features, which the
    # program variants below need beside the style's.
    styles, reference_logp, features = model._scores(sequence, [annotator])
    reference = np.exp(reference_logp)
    proba = np.exp(styles[annotator])
    program = model.program_for(annotator)
    reference_program = model.program_for(model.reference_annotator)
    names = model.feature_names_
    motifs = model.motifs_for([program, reference_program], features)

    def labels_of(edits: tuple, residual: np.ndarray | None) -> np.ndarray:
        variant = replace(program, edits=edits, inherited=min(program.inherited, len(edits)))
        return variant.apply(reference, features, names, residual=residual, motifs=motifs)

    residual = proba if program.has_residual else None
    labels = labels_of(program.edits, residual)
    own = range(program.inherited, len(program.edits))
    differ = np.zeros(sequence.n_frames)
    for i in own:  # a loop over the style's few edits, not over frames
        edits = program.edits[:i] + program.edits[i + 1 :]
        kept = residual if any(e.kind == "residual" for e in edits) else None
        differ += labels_of(edits, kept) != labels
    edits_share = differ / max(1, len(own))
    reference_labels = reference_program.apply(reference, features, names, motifs=motifs)
    distance = 0.5 * np.abs(proba - reference).sum(axis=1)
    style = 0.5 * (labels != reference_labels) + 0.5 * distance
    top = np.sort(reference, axis=1)[:, -2:]
    unsure = 1.0 - (top[:, 1] - top[:, 0])
    return FrameScores(edits_share, style, unsure)


def pick_stretches(
    scores: dict[str, np.ndarray],
    n_stretches: int,
    length: int,
    candidates: dict[str, np.ndarray] | None = None,
) -> list[tuple[str, int, int]]:
    """The ``n_stretches`` non-overlapping windows of ``length`` frames with the highest mean.

    Greedy: the best window of all videos, then the best that does not overlap it,
    and so on (a loop over stretches, each a vectorised search over frames).

    Parameters
    ----------
    scores : dict of str to numpy.ndarray
        Sequence id to ``(frames,)`` frame scores.
    n_stretches : int
        How many windows.
    length : int
        Frames per window.
    candidates : dict of str to numpy.ndarray, optional
        Sequence id to ``(frames,)`` bool: frames a window may cover (default all).

    Returns
    -------
    list of (str, int, int)
        ``(sequence, start, stop)`` in the order picked (best first); fewer than
        ``n_stretches`` when no free window of ``length`` frames is left.

    Examples
    --------
    >>> import numpy as np
    >>> pick_stretches({"a": np.r_[np.zeros(10), np.ones(5), np.zeros(10)]}, 2, 5)
    [('a', 10, 15), ('a', 0, 5)]
    """
    free = {
        sid: np.ones(len(s), bool) if candidates is None else candidates[sid].copy()
        for sid, s in scores.items()
    }
    picked: list[tuple[str, int, int]] = []
    for _ in range(n_stretches):
        best: tuple[float, str, int] | None = None
        for sid, s in scores.items():  # a loop over videos
            if len(s) < length:
                continue
            window_sum = _window_sums(np.where(free[sid], s, 0.0), length)
            blocked = _window_sums((~free[sid]).astype(np.float64), length) > 0
            window_sum[blocked] = -np.inf
            start = int(np.argmax(window_sum))
            if np.isfinite(window_sum[start]) and (best is None or window_sum[start] > best[0]):
                best = (float(window_sum[start]), sid, start)
        if best is None:
            break
        _, sid, start = best
        free[sid][start : start + length] = False
        picked.append((sid, start, start + length))
    return picked


def _window_sums(values: np.ndarray, length: int) -> np.ndarray:
    """``(frames - length + 1,)`` sums of every window of ``length`` frames."""
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    return cumulative[length:] - cumulative[:-length]


def suggest_stretches(
    model: StylePredictor,
    videos: Dataset,
    annotator: int,
    minutes: float,
    *,
    stretch_s: float = 20.0,
    labelled: Dataset | None = None,
    weights: tuple[float, float, float] = SCORE_WEIGHTS,
    progress: Progress = NULL_PROGRESS,
) -> list[Stretch]:
    """The stretches of ``videos`` whose labels would most change ``annotator``'s style.

    Parameters
    ----------
    model : StylePredictor
        A fitted model (``ethostyle train``/``adapt``) with a style for ``annotator``.
    videos : Dataset
        The videos to choose from. Frames this annotator already labelled (labels
        of a sequence of this annotator, other than
        :data:`~ethostyle.data.UNLABELLED`) are never suggested.
    annotator : int
        Whose style (``--annotator``).
    minutes : float
        How much to label: ``round(minutes * 60 / stretch_s)`` stretches (at least one).
    stretch_s : float
        Seconds per stretch, :data:`MIN_STRETCH_S` to :data:`MAX_STRETCH_S`.
    labelled : Dataset, optional
        Labels already made (``--labelled``, e.g. the file the model was trained
        on): frames of a video with the same id that this annotator labelled
        there are never suggested either.
    weights : tuple of float
        Weights of the three reasons (see :class:`FrameScores`).
    progress : Progress, optional
        Receives one step per video scored.

    Returns
    -------
    list of Stretch
        Best first.

    Raises
    ------
    UnknownAnnotatorError
        If the model has no style for ``annotator``.
    ModelParameterError
        If ``minutes`` is not positive, ``stretch_s`` is outside 10-30 s, or the
        videos hold fewer unlabelled minutes than asked for.

    Examples
    --------
    >>> stretches = suggest_stretches(model, videos, annotator=3, minutes=2)  # doctest: +SKIP
    >>> [(s.sequence, s.start, s.stop) for s in stretches][:1]  # doctest: +SKIP
    [('mouse-12', 2040, 2640)]
    """
    length, n_stretches = _checked_request(model, videos, annotator, minutes, stretch_s)
    candidates = _candidates(videos, annotator, labelled)
    n_free = sum(int(c.sum()) for c in candidates.values())
    if n_free < length * n_stretches:
        raise ModelParameterError(
            f"--minutes {minutes:g}: {n_stretches} stretch(es) of {stretch_s:g} s, but the "
            f"videos hold {n_free / FPS:.2f} s not yet labelled by annotator {annotator}; ask "
            f"for fewer minutes, or give more videos"
        )
    reasons: dict[str, FrameScores] = {}
    task = progress.task("scoring frames", len(videos))
    for seq in videos:
        reasons[seq.id] = frame_scores(model, seq, annotator)
        task(1)
    totals = {sid: r.total(weights) for sid, r in reasons.items()}
    picked = pick_stretches(totals, n_stretches, length, candidates)
    if not picked:
        raise ModelParameterError(
            f"no stretch of {stretch_s:g} s is free of frames annotator {annotator} already "
            f"labelled; give other videos or a shorter --stretch"
        )
    return [_stretch(sid, start, stop, reasons[sid], totals[sid]) for sid, start, stop in picked]


def _checked_request(
    model: StylePredictor, videos: Dataset, annotator: int, minutes: float, stretch_s: float
) -> tuple[int, int]:
    """Frames per stretch and how many stretches, after refusing a request that cannot work."""
    known = model.annotators_
    if annotator not in known:
        raise UnknownAnnotatorError(
            f"--annotator {annotator}: the model has no style for annotator {annotator} "
            f"(known: {known}); adapt it on one video that annotator labelled first "
            f"(`ethostyle adapt MODEL_DIR labelled.npy --out MODEL_DIR2`)"
        )
    if not (math.isfinite(minutes) and minutes > 0):
        raise ModelParameterError(f"--minutes {minutes:g}: give a positive number of minutes")
    if not (MIN_STRETCH_S <= stretch_s <= MAX_STRETCH_S):
        raise ModelParameterError(
            f"--stretch {stretch_s:g}: give {MIN_STRETCH_S:g}-{MAX_STRETCH_S:g} seconds per stretch"
        )
    if len(videos) == 0:
        raise DataFormatError("no videos to choose stretches from; give at least one")
    length = round(stretch_s * FPS)
    total_s = videos.n_frames / FPS
    if minutes * 60 > total_s:
        raise ModelParameterError(
            f"--minutes {minutes:g}: the {len(videos)} video(s) last {total_s / 60:.2f} "
            f"minute(s) in all; ask for at most that much, or give more videos"
        )
    return length, max(1, round(minutes * 60 / stretch_s))


def _candidates(videos: Dataset, annotator: int, labelled: Dataset | None) -> dict[str, np.ndarray]:
    """Per video, ``(frames,)`` bool: frames left unlabelled here and in ``labelled``."""
    candidates = {s.id: _free_frames(s, annotator) for s in videos}
    for seq in labelled or ():  # a loop over the labelled videos
        same = seq.id in candidates and seq.n_frames == len(candidates[seq.id])
        if same and seq.labels is not None:
            candidates[seq.id] &= _free_frames(seq, annotator)
    return candidates


def _free_frames(sequence: Sequence, annotator: int) -> np.ndarray:
    """``(frames,)`` bool: frames not yet labelled by ``annotator``."""
    if sequence.labels is None or sequence.annotator_id != annotator:
        return np.ones(sequence.n_frames, bool)
    return ~labelled_mask(sequence.labels)


def _stretch(sid: str, start: int, stop: int, reasons: FrameScores, total: np.ndarray) -> Stretch:
    """A :class:`Stretch` with the mean of each reason over its frames."""
    window = slice(start, stop)
    return Stretch(
        sid,
        start,
        stop,
        float(total[window].mean()),
        float(reasons.edits[window].mean()),
        float(reasons.style[window].mean()),
        float(reasons.unsure[window].mean()),
    )
