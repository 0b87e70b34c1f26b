"""Disagreement episodes: the stretches of video where two annotators' labels part.

An episode is a maximal run of frames (within one video) on which annotator *a*
says one thing and annotator *b* another, both constant over the run, lasting
at least ``min_frames``. Its ``kind`` says how *b*'s labels differ from *a*'s:

``onset``
    the same bout starts elsewhere: the run lies before the first frame where
    the other side labels that bout's behaviour (*b* starts earlier when *b*
    has the behaviour there, later when *a* has it);
``offset``
    the same bout ends elsewhere: the run lies after the other side's
    overlapping frames of the behaviour (a gap one side leaves inside the other
    side's bout counts here too: that side's bout ends early and another starts);
``extra``
    a bout *b* labels that no frame of *a*'s labels of the behaviour overlaps;
``missed``
    a bout of *a* that *b* does not label with the behaviour on any frame;
``relabel``
    the same frames, called another behaviour by each side.

Everything works on the frames of all compared videos pooled (with breaks at
the first frame of each video, so no run spans two videos); nothing loops over
frames.

Examples
--------
>>> import numpy as np
>>> from ethostyle.compare.measures import pool
>>> a = np.array([3] * 20 + [1] * 20 + [3] * 20)
>>> b = np.array([3] * 10 + [1] * 30 + [3] * 20)
>>> table = pair_episodes(pool({"v": a}, {"v": b}, ["v"]), min_frames=5)
>>> table[["start_frame", "end_frame", "label_a", "label_b", "kind"]].values.tolist()
[[10, 20, 'other', 'investigation', 'onset']]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ethostyle.bouts import Bouts, bout_table
from ethostyle.compare.lines import FEATURES
from ethostyle.compare.measures import Pooled, pool
from ethostyle.data import OTHER, VOCABULARY
from ethostyle.errors import EthostyleError

__all__ = [
    "EPISODE_COLUMNS",
    "EPISODE_KINDS",
    "episode_pairs",
    "episode_table",
    "longest_episodes",
    "pair_episodes",
    "top_episodes",
]

#: The kinds of episode, in report order.
EPISODE_KINDS: tuple[str, ...] = ("onset", "offset", "extra", "missed", "relabel")
#: Columns of :func:`episode_table` (and of ``episodes.csv``): the pose features of
#: :data:`ethostyle.compare.lines.FEATURES` at the episode's middle frame come last.
EPISODE_COLUMNS: tuple[str, ...] = (
    "video",
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "annotator_a",
    "label_a",
    "annotator_b",
    "label_b",
    "kind",
    *FEATURES,
)

_N_CLASSES = len(VOCABULARY)
_NAMES = np.asarray(VOCABULARY, dtype=object)


def _prefix_counts(labels: np.ndarray) -> np.ndarray:
    """``(classes, frames + 1)`` running counts of each class: frames ``[i, j)`` hold
    ``counts[c, j] - counts[c, i]`` frames of class ``c``."""
    onehot = labels[None, :] == np.arange(_N_CLASSES)[:, None]
    counts = np.zeros((_N_CLASSES, labels.shape[0] + 1), np.int64)
    np.cumsum(onehot, axis=1, out=counts[:, 1:])
    return counts


def _kinds_on_one_side(
    start: np.ndarray, stop: np.ndarray, code: np.ndarray, bouts: Bouts, them: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For runs inside bouts of one side: does the other side label the bout's behaviour
    anywhere in the bout, and before the run?"""
    index = np.searchsorted(bouts.start, start, side="right") - 1
    bout_start, bout_stop = bouts.start[index], bouts.stop[index]
    before = them[code, start] - them[code, bout_start]
    after = them[code, bout_stop] - them[code, stop]
    return before + after > 0, before > 0


def pair_episodes(pooled: Pooled, min_frames: int) -> pd.DataFrame:
    """The episodes of one pair of labellings: ``pooled.reference`` is *a*, ``other`` *b*.

    Parameters
    ----------
    pooled : Pooled
        The two labellings of the same frames (:func:`ethostyle.compare.measures.pool`).
    min_frames : int
        Shortest episode kept, in frames.

    Returns
    -------
    pandas.DataFrame
        One row per episode, in frame order: ``video, start_frame, end_frame``
        (frames within the video; ``end_frame`` is the first frame after the
        episode), ``label_a, label_b, kind``, and ``middle`` (the pooled index of
        the middle frame, for looking up pose features).
    """
    a, b = pooled.reference, pooled.other
    runs = bout_table(a * _N_CLASSES + b, pooled.breaks)
    label_a = runs.label.astype(np.int64) // _N_CLASSES
    label_b = runs.label.astype(np.int64) % _N_CLASSES
    keep = (label_a != label_b) & (runs.length >= max(int(min_frames), 1))
    start, stop = runs.start[keep], runs.stop[keep]
    label_a, label_b = label_a[keep], label_b[keep]
    kind = np.full(start.shape, "relabel", dtype=object)

    only_a = label_b == OTHER  # a labels a behaviour there, b says other
    shared, before = _kinds_on_one_side(
        start[only_a], stop[only_a], label_a[only_a], pooled.ref_bouts, _prefix_counts(b)
    )
    kind[only_a] = np.where(~shared, "missed", np.where(before, "offset", "onset"))
    only_b = label_a == OTHER
    shared, before = _kinds_on_one_side(
        start[only_b], stop[only_b], label_b[only_b], pooled.other_bouts, _prefix_counts(a)
    )
    kind[only_b] = np.where(~shared, "extra", np.where(before, "offset", "onset"))

    video, first = pooled.locate(start)
    return pd.DataFrame(
        {
            "video": video,
            "start_frame": first,
            "end_frame": first + (stop - start),
            "label_a": _NAMES[label_a],
            "label_b": _NAMES[label_b],
            "kind": kind,
            "middle": (start + stop - 1) // 2,
        }
    )


def episode_pairs(annotators: Sequence[int], reference: int) -> list[tuple[int, int]]:
    """Every unordered pair of ``annotators`` as ``(a, b)``: the reference is *a* in its
    pairs, otherwise the annotator listed first.

    Examples
    --------
    >>> episode_pairs([0, 1, 2], reference=2)
    [(2, 0), (2, 1), (0, 1)]
    """
    order = [reference, *(x for x in annotators if x != reference)]
    return [(order[i], order[j]) for i in range(len(order)) for j in range(i + 1, len(order))]


def episode_table(
    labels: Mapping[int, Mapping[str, np.ndarray]],
    ids: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    *,
    min_frames: int,
    fps: Mapping[str, float],
    features: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    feature_names: Sequence[str] = tuple(FEATURES),
) -> pd.DataFrame:
    """The disagreement episodes of every pair of annotators.

    Parameters
    ----------
    labels : mapping of int to mapping of str to numpy.ndarray
        Annotator -> sequence id -> ``(frames,)`` labels (already checked).
    ids : sequence of str
        The videos to search.
    pairs : sequence of tuple of int
        ``(a, b)`` annotator pairs; kinds say how *b* differs from *a*
        (see :func:`episode_pairs`).
    min_frames : int
        Shortest episode kept, in frames.
    fps : mapping of str to float
        Frames per second of each video, for ``start_s`` and ``end_s``.
    features : mapping of str to mapping of str to numpy.ndarray, optional
        Sequence id -> pose feature -> ``(frames,)`` values; their values at
        each episode's middle frame fill the feature columns (NaN without).
    feature_names : sequence of str
        The feature columns (those of :data:`FEATURES` by default; the cm ones of
        :func:`~ethostyle.compare.lines.feature_set` with a scale).

    Returns
    -------
    pandas.DataFrame
        :data:`EPISODE_COLUMNS` (with ``feature_names`` as the feature columns), one
        row per episode, by pair then frame order.

    Raises
    ------
    EthostyleError
        When ``min_frames`` is negative.
    """
    if min_frames < 0:
        raise EthostyleError(f"the shortest episode must be >= 0 frames; got {min_frames}")
    ids = tuple(ids)
    pooled_features = (
        None
        if features is None
        else {name: np.concatenate([features[i][name] for i in ids]) for name in feature_names}
    )
    parts = []
    for a, b in pairs:
        found = pair_episodes(pool(labels[a], labels[b], ids), min_frames)
        rate = found["video"].map(dict(fps)).to_numpy(dtype=float)
        found.insert(3, "start_s", found["start_frame"].to_numpy() / rate)
        found.insert(4, "end_s", found["end_frame"].to_numpy() / rate)
        found.insert(5, "annotator_a", int(a))
        found.insert(7, "annotator_b", int(b))
        middle = found.pop("middle").to_numpy()
        for name in feature_names:
            found[name] = (
                np.full(len(found), np.nan)
                if pooled_features is None
                else pooled_features[name][middle].astype(float)
            )
        parts.append(found)
    columns = [*EPISODE_COLUMNS[: -len(FEATURES)], *feature_names]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    return table[columns]


def top_episodes(episodes: pd.DataFrame, reference: int, n: int) -> pd.DataFrame:
    """The ``n`` longest episodes of each annotator against the reference, per kind.

    Parameters
    ----------
    episodes : pandas.DataFrame
        An :func:`episode_table`.
    reference : int
        Only pairs with the reference as *a* are taken.
    n : int
        Episodes kept per annotator and kind (at least 1).

    Returns
    -------
    pandas.DataFrame
        The chosen rows, ordered by annotator, kind (as in :data:`EPISODE_KINDS`)
        and length (longest first).

    Raises
    ------
    EthostyleError
        When ``n`` is smaller than 1.
    """
    if n < 1:
        raise EthostyleError(f"show at least 1 episode per annotator and kind; got {n}")
    return longest_episodes(episodes, reference, n, per_annotator=True)


def longest_episodes(
    episodes: pd.DataFrame, reference: int, n: int, *, per_annotator: bool
) -> pd.DataFrame:
    """The ``n`` longest episodes against ``reference`` of each kind (and annotator).

    Parameters
    ----------
    episodes : pandas.DataFrame
        An :func:`episode_table`.
    reference : int
        Only pairs with the reference as *a* are taken.
    n : int
        Episodes kept per group.
    per_annotator : bool
        Group by annotator and kind (ordered by annotator first), else by kind alone.

    Returns
    -------
    pandas.DataFrame
        The chosen rows, ordered by group (kinds as in :data:`EPISODE_KINDS`), then
        longest first; ties by annotator, video and first frame.
    """
    mine = episodes[episodes["annotator_a"] == reference].copy()
    mine["_frames"] = mine["end_frame"] - mine["start_frame"]
    mine["_kind"] = mine["kind"].map({k: i for i, k in enumerate(EPISODE_KINDS)})
    groups = ["annotator_b", "_kind"] if per_annotator else ["_kind"]
    ties = ["video", "start_frame"] if per_annotator else ["annotator_b", "video", "start_frame"]
    mine = mine.sort_values(
        [*groups, "_frames", *ties],
        ascending=[True] * len(groups) + [False] + [True] * len(ties),
        kind="stable",
    )
    chosen = mine.groupby(groups, sort=False).head(n)
    return chosen.drop(columns=["_frames", "_kind"]).reset_index(drop=True)
