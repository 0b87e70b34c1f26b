"""Disagreement per motif: how each annotator labels each sub-behaviour found without labels.

A model with a motif vocabulary (:class:`~ethostyle.motifs.MotifVocabulary`,
``model.motifs_``) puts every frame in one motif. :func:`motif_overview` lists the
motifs with how each annotator labelled their frames in the model's training videos
(``ethostyle motifs``). :func:`compare_motifs` does the same on compared videos: for
each motif, the share of its frames that each annotator (style) calls each
behaviour, and how far each annotator is from the reference there, so that a report
can lead with the motifs annotators disagree on most. :func:`episode_motifs` says in
which motif each disagreement episode mostly lies.

Examples
--------
>>> import numpy as np
>>> ids = {"v": np.array([0, 0, 0, 0, 1, 1, 1, 1])}
>>> labels = {0: {"v": np.array([3, 3, 3, 3, 1, 1, 1, 1])},
...           1: {"v": np.array([1, 1, 1, 3, 1, 1, 1, 1])}}
>>> found = compare_motifs(labels, ids, ["sniffing", "resting"], reference=0, min_frames=1)
>>> found.ranking["motif"].tolist(), found.ranking["disagreement"].round(2).tolist()
([0, 1], [0.75, 0.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ethostyle.data import BEHAVIORS, FPS, VOCABULARY, Dataset
from ethostyle.features import check_feature_names
from ethostyle.motifs import MotifVocabulary

__all__ = [
    "MIN_DISAGREEMENT",
    "MIN_MOTIF_FRAMES",
    "MOTIF_EPISODE_COLUMNS",
    "MotifComparison",
    "compare_motifs",
    "episode_motifs",
    "motif_ids",
    "motif_overview",
    "with_motifs",
]

#: Motifs with fewer frames than this in the compared videos are listed but not ranked.
MIN_MOTIF_FRAMES = 30
#: Motifs on which no annotator moves at least this share of frames from the reference's
#: labels are not shown as disputed (:meth:`MotifComparison.top`).
MIN_DISAGREEMENT = 0.05
#: Columns :func:`episode_motifs` adds to the episodes table (and ``episodes.csv``).
MOTIF_EPISODE_COLUMNS = ("motif", "motif_share")
_N = len(VOCABULARY)
_BEHAVIOUR_CODES = [VOCABULARY.index(b) for b in BEHAVIORS]
_C = TypeVar("_C")


@dataclass(frozen=True)
class MotifComparison:
    """How each annotator labels each motif in the compared videos.

    Attributes
    ----------
    reference : int
        The annotator every other one is measured against.
    ids : dict of str to numpy.ndarray
        Sequence id -> ``(frames,)`` int16 motif of each frame.
    shares : pandas.DataFrame
        One row per motif and annotator: ``motif, annotator, frames`` and one
        column per class of :data:`~ethostyle.data.VOCABULARY` with the share of
        the motif's frames the annotator labels so (each row sums to 1).
    ranking : pandas.DataFrame
        One row per motif, the most disputed first: ``motif, description, frames,
        seconds, disagreement`` (the largest total-variation distance between an
        annotator's shares and the reference's, 0 to 1), ``annotator`` (that
        annotator), ``behavior`` (the behaviour whose share differs most),
        ``annotator_share``, ``reference_share``, ``video`` and ``frame`` (a frame of
        the motif where that annotator and the reference disagree, for a snapshot),
        ``ranked`` (False for motifs under :data:`MIN_MOTIF_FRAMES` frames, listed
        last) and ``sentence``.
    """

    reference: int
    ids: dict[str, np.ndarray]
    shares: pd.DataFrame
    ranking: pd.DataFrame

    def top(self, n: int, least: float = MIN_DISAGREEMENT) -> pd.DataFrame:
        """The ``n`` most disputed ranked motifs, with a disagreement of at least ``least``."""
        ranked = self.ranking[self.ranking["ranked"] & (self.ranking["disagreement"] >= least)]
        return ranked.head(n)


def motif_ids(model: Any, sequences: Dataset) -> dict[str, np.ndarray] | None:
    """The motif of every frame of every sequence, by the model's vocabulary.

    Computes the model's pose features of each sequence once more (the style
    labelling keeps them to itself).

    Parameters
    ----------
    model : StylePredictor
        A fitted model; one without ``motifs_`` (an older model, or a family that
        learns none) gives None.
    sequences : Dataset
        The videos.

    Returns
    -------
    dict of str to numpy.ndarray or None
        Sequence id -> ``(frames,)`` int16 motif ids.
    """
    vocab: MotifVocabulary | None = getattr(model, "motifs_", None)
    if vocab is None:
        return None
    out = {}
    for seq in sequences:  # a loop over videos; each is one vectorised pass
        values, names = model.pose_features(seq)  # a stacked reference's has steps
        check_feature_names(names, list(model.feature_names_), seq.id)
        out[seq.id] = vocab.assign(values)
    return out


def motif_overview(vocab: MotifVocabulary, px_per_cm: float | None = None) -> pd.DataFrame:
    """Every motif with its frames and how each annotator labelled it in the training videos.

    Parameters
    ----------
    vocab : MotifVocabulary
        A model's vocabulary (``model.motifs_``).
    px_per_cm : float, optional
        Pixels per centimetre: descriptions in cm and cm/s.

    Returns
    -------
    pandas.DataFrame
        One row per motif: ``motif, frames`` (of all the pose the motifs were found
        in), ``description``, then per annotator ``annotator<k>_frames`` (its
        labelled frames of the motif) and ``annotator<k>_<class>`` (the share of
        them it labels so; NaN where it labelled none).
    """
    table: dict[str, Any] = {
        "motif": np.arange(vocab.n_motifs),
        "frames": np.asarray(vocab.counts, np.int64),
        "description": vocab.descriptions(px_per_cm),
    }
    for annotator in sorted(vocab.label_counts):
        counts = np.asarray(vocab.label_counts[annotator], np.int64)
        table[f"annotator{annotator}_frames"] = counts.sum(axis=1)
        shares = vocab.label_shares(annotator)
        for code, name in enumerate(VOCABULARY):
            table[f"annotator{annotator}_{name}"] = shares[:, code]
    return pd.DataFrame(table)


def compare_motifs(
    labels: Mapping[int, Mapping[str, np.ndarray]],
    ids: Mapping[str, np.ndarray],
    descriptions: Sequence[str],
    *,
    reference: int,
    fps: float = FPS,
    min_frames: int = MIN_MOTIF_FRAMES,
) -> MotifComparison:
    """For each motif, the share of its frames each annotator calls each behaviour.

    Parameters
    ----------
    labels : mapping of int to mapping of str to numpy.ndarray
        Annotator -> sequence id -> ``(frames,)`` labels (a comparison's ``labels``).
    ids : mapping of str to numpy.ndarray
        Sequence id -> ``(frames,)`` motif of each frame (:func:`motif_ids`).
    descriptions : sequence of str
        Each motif in words, by id (its length is the number of motifs).
    reference : int
        The annotator the others are measured against.
    fps : float
        Frames per second (for the motifs' durations).
    min_frames : int
        Motifs with fewer frames are listed last and not ranked.

    Returns
    -------
    MotifComparison
    """
    videos = list(ids)
    motif = np.concatenate([np.asarray(ids[v], np.int64) for v in videos])
    n_motifs = len(descriptions)
    frames = np.bincount(motif, minlength=n_motifs)
    pooled = {a: np.concatenate([labels[a][v] for v in videos]).astype(np.int64) for a in labels}
    rows, shares = [], {}
    for annotator, y in pooled.items():  # a loop over annotators
        counts = np.bincount(motif * _N + y, minlength=n_motifs * _N).reshape(n_motifs, _N)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[annotator] = counts / counts.sum(axis=1, keepdims=True)
        part = pd.DataFrame(shares[annotator], columns=list(VOCABULARY))
        part.insert(0, "frames", frames)
        part.insert(0, "annotator", annotator)
        part.insert(0, "motif", np.arange(n_motifs))
        rows.append(part)
    table = pd.concat(rows, ignore_index=True).sort_values(["motif", "annotator"])
    ranking = _ranking(shares, reference, frames, descriptions, fps, min_frames)
    starts = np.cumsum([0, *(len(ids[v]) for v in videos)])
    where = [
        _example(motif, pooled, reference, row, starts, videos) for row in ranking.itertuples()
    ]
    ranking["video"] = [w[0] for w in where]
    ranking["frame"] = [w[1] for w in where]
    ranking["sentence"] = [_sentence(row, reference) for row in ranking.itertuples()]
    return MotifComparison(reference, {v: np.asarray(ids[v]) for v in videos}, table, ranking)


def _ranking(
    shares: dict[int, np.ndarray],
    reference: int,
    frames: np.ndarray,
    descriptions: Sequence[str],
    fps: float,
    min_frames: int,
) -> pd.DataFrame:
    """One row per motif: who differs most from the reference there, on which behaviour."""
    ref = np.nan_to_num(shares[reference])
    others = [a for a in shares if a != reference]
    n_motifs = len(descriptions)
    if others:
        stack = np.stack([np.nan_to_num(shares[a]) for a in others])  # (A, M, classes)
        distance = 0.5 * np.abs(stack - ref).sum(axis=2)  # total variation, (A, M)
        worst = np.argmax(distance, axis=0)
        picked = stack[worst, np.arange(n_motifs)]  # (M, classes)
        gap = np.abs(picked - ref)[:, _BEHAVIOUR_CODES]
        behaviour = np.asarray(_BEHAVIOUR_CODES)[np.argmax(gap, axis=1)]
        disagreement = distance[worst, np.arange(n_motifs)]
        who = np.asarray(others)[worst]
    else:
        picked, behaviour = ref, np.full(n_motifs, _BEHAVIOUR_CODES[0])
        disagreement, who = np.zeros(n_motifs), np.full(n_motifs, reference)
    table = pd.DataFrame(
        {
            "motif": np.arange(n_motifs),
            "description": list(descriptions),
            "frames": frames,
            "seconds": frames / fps,
            "disagreement": disagreement,
            "annotator": who,
            "behavior": [VOCABULARY[b] for b in behaviour],
            "annotator_share": picked[np.arange(n_motifs), behaviour],
            "reference_share": ref[np.arange(n_motifs), behaviour],
            "ranked": frames >= max(int(min_frames), 1),
        }
    )
    return table.sort_values(
        ["ranked", "disagreement", "frames"], ascending=[False, False, False], kind="stable"
    ).reset_index(drop=True)


def _example(
    motif: np.ndarray,
    pooled: dict[int, np.ndarray],
    reference: int,
    row: Any,
    starts: np.ndarray,
    videos: list[str],
) -> tuple[str | None, int]:
    """A frame of the motif for its snapshot: the middle of its longest run of frames where
    the most different annotator and the reference disagree (else of its longest run)."""
    here = motif == row.motif
    if not here.any():
        return None, -1
    disputed = here & (pooled[row.annotator] != pooled[reference])
    mask = disputed if disputed.any() else here
    # Runs never cross from one video into the next.
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    begin, end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    cut = np.searchsorted(starts, begin, side="right")  # video of each run's first frame
    end = np.minimum(end, starts[cut])
    longest = int(np.argmax(end - begin))
    middle = int((begin[longest] + end[longest] - 1) // 2)
    video = int(np.searchsorted(starts, middle, side="right") - 1)
    return videos[video], middle - int(starts[video])


def _sentence(row: Any, reference: int) -> str:
    """One motif's disagreement in words."""
    head = f"Motif {row.motif} — {row.description} — ({row.seconds:.1f} s of video)"
    if row.disagreement <= 0 or row.annotator == reference:
        return f"{head}: every annotator labels it alike."
    return (
        f"{head}: annotator {row.annotator} calls {row.annotator_share:.0%} of its frames "
        f"{row.behavior}, annotator {reference} (the reference) {row.reference_share:.0%}; "
        f"{row.disagreement:.0%} of the frames would have to change label for them to agree."
    )


def episode_motifs(episodes: pd.DataFrame, ids: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The episodes table with the motif most of each episode's frames fall in, and its share.

    Parameters
    ----------
    episodes : pandas.DataFrame
        Disagreement episodes (``video, start_frame, end_frame, ...``).
    ids : mapping of str to numpy.ndarray
        Sequence id -> ``(frames,)`` motif of each frame.

    Returns
    -------
    pandas.DataFrame
        A copy with :data:`MOTIF_EPISODE_COLUMNS` added (``motif`` -1 and share NaN
        for an episode of a video without motifs).
    """
    motif = np.full(len(episodes), -1, np.int64)
    share = np.full(len(episodes), np.nan)
    videos = episodes["video"].to_numpy()
    for video, frames in ids.items():  # a loop over videos, vectorised over episodes
        rows = np.flatnonzero(videos == video)
        if rows.size == 0 or len(frames) == 0:
            continue
        onehot = np.asarray(frames, np.int64)[None, :] == np.arange(int(frames.max()) + 1)[:, None]
        prefix = np.concatenate([np.zeros((onehot.shape[0], 1), np.int64), onehot.cumsum(1)], 1)
        start = episodes["start_frame"].to_numpy()[rows]
        stop = episodes["end_frame"].to_numpy()[rows]
        counts = prefix[:, stop] - prefix[:, start]  # (motifs, episodes)
        motif[rows] = np.argmax(counts, axis=0)
        share[rows] = counts.max(axis=0) / np.maximum(stop - start, 1)
    return episodes.assign(motif=motif, motif_share=share)


def with_motifs(comparison: _C, model: Any, sequences: Dataset) -> _C:
    """A model's comparison with its per-motif disagreement and the episodes' motifs.

    Parameters
    ----------
    comparison : Comparison
        What :func:`~ethostyle.compare.compare_model` compared.
    model : StylePredictor
        The model that labelled it; without motifs the comparison comes back as it was.
    sequences : Dataset
        The compared videos.

    Returns
    -------
    Comparison
        With ``motifs`` (a :class:`MotifComparison`) and the episodes'
        :data:`MOTIF_EPISODE_COLUMNS`.
    """
    ids = motif_ids(model, sequences)
    if ids is None or not ids:
        return comparison
    c: Any = comparison
    found = compare_motifs(
        c.labels,
        ids,
        model.motifs_.descriptions(c.px_per_cm),
        reference=c.reference,
        fps=c.fps,
    )
    return replace(c, motifs=found, episodes=episode_motifs(c.episodes, ids))
