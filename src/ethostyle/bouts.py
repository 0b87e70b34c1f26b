"""Run-length tools for frame labels: bouts, and pairing of bouts between two labellings.

A *bout* is a maximal run of consecutive frames with the same label. Everything
here is vectorised with numpy (``diff``/``flatnonzero``/``searchsorted``); no
function loops over frames.

Examples
--------
>>> import numpy as np
>>> b = bout_table(np.array([3, 3, 1, 1, 1, 3, 0]))
>>> b.start.tolist(), b.stop.tolist(), b.label.tolist()
([0, 2, 5, 6], [2, 5, 6, 7], [3, 1, 3, 0])
>>> labels_from_bouts(b, 7).tolist()
[3, 3, 1, 1, 1, 3, 0]
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ethostyle.data import OTHER, VOCABULARY
from ethostyle.errors import DataFormatError

__all__ = [
    "BehaviorBouts",
    "BoutTable",
    "Bouts",
    "behavior_bouts",
    "bout_table",
    "labels_from_bouts",
    "match_bouts",
]


@dataclass(frozen=True, slots=True)
class Bouts:
    """A table of bouts, one row per bout, in the order of their start frames.

    Parameters
    ----------
    start : numpy.ndarray
        ``(bouts,)`` int64, first frame of each bout.
    stop : numpy.ndarray
        ``(bouts,)`` int64, one past the last frame of each bout (exclusive).
    label : numpy.ndarray
        ``(bouts,)`` int8, the label of each bout (index into :data:`VOCABULARY`).

    Examples
    --------
    >>> import numpy as np
    >>> b = bout_table(np.array([1, 1, 3, 1]))
    >>> b.of(1).length.tolist()
    [2, 1]
    """

    start: np.ndarray
    stop: np.ndarray
    label: np.ndarray

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @property
    def length(self) -> np.ndarray:
        """``(bouts,)`` int64 number of frames of each bout."""
        return self.stop - self.start

    def of(self, label: int | str) -> Bouts:
        """Return the bouts with one label (an index or a name in :data:`VOCABULARY`)."""
        keep = self.label == _label_index(label)
        return Bouts(self.start[keep], self.stop[keep], self.label[keep])


#: Alias of :class:`Bouts` (the name used in the design notes).
BoutTable = Bouts


def _label_index(label: int | str) -> int:
    if isinstance(label, str):
        try:
            return VOCABULARY.index(label)
        except ValueError:
            raise DataFormatError(
                f"unknown behaviour {label!r}; use one of {list(VOCABULARY)}"
            ) from None
    return int(label)


def bout_table(labels: np.ndarray, breaks: np.ndarray | None = None) -> Bouts:
    """Split per-frame labels into bouts (maximal runs of one label).

    Parameters
    ----------
    labels : numpy.ndarray
        ``(frames,)`` integer labels.
    breaks : numpy.ndarray, optional
        Frame indices where a new bout must start even when the label does not
        change: the first frames of each sequence when several sequences are
        concatenated, so that no bout spans two videos.

    Returns
    -------
    Bouts
        The bouts in frame order; together they cover every frame exactly once.

    Examples
    --------
    >>> import numpy as np
    >>> bout_table(np.array([2, 2, 2, 2]), breaks=np.array([0, 2])).stop.tolist()
    [2, 4]
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise DataFormatError(f"labels must be one label per frame (1-D); got shape {labels.shape}")
    n = labels.shape[0]
    if n == 0:
        empty = np.zeros(0, np.int64)
        return Bouts(empty, empty.copy(), np.zeros(0, np.int8))
    is_start = np.empty(n, dtype=bool)
    is_start[0] = True
    np.not_equal(labels[1:], labels[:-1], out=is_start[1:])
    if breaks is not None:
        breaks = np.asarray(breaks, dtype=np.int64)
        is_start[breaks[(breaks >= 0) & (breaks < n)]] = True
    start = np.flatnonzero(is_start).astype(np.int64)
    stop = np.append(start[1:], n).astype(np.int64)
    return Bouts(start, stop, labels[start].astype(np.int8))


def labels_from_bouts(bouts: Bouts, n_frames: int, fill: int = OTHER) -> np.ndarray:
    """Paint bouts back into a per-frame label array (the inverse of :func:`bout_table`).

    Parameters
    ----------
    bouts : Bouts
        The bouts to paint; they may leave frames uncovered (e.g. a table
        filtered with :meth:`Bouts.of`).
    n_frames : int
        Length of the output.
    fill : int, optional
        Label of frames no bout covers (default ``other``).

    Returns
    -------
    numpy.ndarray
        ``(n_frames,)`` int8 labels.

    Examples
    --------
    >>> import numpy as np
    >>> b = bout_table(np.array([3, 0, 0, 3, 1])).of(0)
    >>> labels_from_bouts(b, 5).tolist()
    [3, 0, 0, 3, 3]
    """
    out = np.full(int(n_frames), fill, dtype=np.int8)
    length = bouts.length
    if len(bouts) == 0:
        return out
    if (length <= 0).any() or bouts.start.min() < 0 or bouts.stop.max() > n_frames:
        bad = int(np.flatnonzero((length <= 0) | (bouts.start < 0) | (bouts.stop > n_frames))[0])
        raise DataFormatError(
            f"bout {bad} spans frames [{int(bouts.start[bad])}, {int(bouts.stop[bad])}), "
            f"outside a {n_frames}-frame sequence or empty; each bout needs "
            "0 <= start < stop <= n_frames"
        )
    row = np.repeat(np.arange(len(bouts)), length)
    # frame = bout start + position within the bout, for every covered frame at once
    offset = np.arange(row.shape[0]) - np.repeat(np.cumsum(length) - length, length)
    out[bouts.start[row] + offset] = bouts.label[row]
    return out


@dataclass(frozen=True, slots=True)
class BehaviorBouts:
    """The bouts of every behaviour but ``other`` in several sequences, one row per bout.

    Rows are grouped by sequence (in the order the labels were given), then in
    frame order. This is what a bout file lists: ethostyle's bout CSV and the
    BORIS event spreadsheets are written from it.

    Parameters
    ----------
    sequence : numpy.ndarray
        ``(bouts,)`` object (str), the sequence id of each bout.
    start, stop : numpy.ndarray
        ``(bouts,)`` int64 frames; ``stop`` is exclusive.
    label : numpy.ndarray
        ``(bouts,)`` int8 index into :data:`VOCABULARY`, never ``other``.
    """

    sequence: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    label: np.ndarray

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @property
    def behavior(self) -> np.ndarray:
        """``(bouts,)`` object (str): the behaviour names of :data:`VOCABULARY`."""
        return np.array(VOCABULARY, dtype=object)[self.label]

    def sequence_slices(self) -> list[tuple[str, slice]]:
        """``(sequence id, rows)`` of each sequence with at least one bout, in row order."""
        n = len(self)
        if n == 0:
            return []
        edges = np.flatnonzero(np.r_[True, self.sequence[1:] != self.sequence[:-1], True])
        return [
            (str(self.sequence[lo]), slice(int(lo), int(hi)))
            for lo, hi in itertools.pairwise(edges)
        ]


def behavior_bouts(labels: Mapping[str, np.ndarray]) -> BehaviorBouts:
    """Every bout of a behaviour (every label but ``other``) of every sequence.

    Parameters
    ----------
    labels : mapping of str to numpy.ndarray
        ``(frames,)`` integer labels per sequence id.

    Returns
    -------
    BehaviorBouts
        One row per bout, grouped by sequence in the mapping's order.

    Examples
    --------
    >>> import numpy as np
    >>> rows = behavior_bouts({"a": np.array([3, 1, 1, 3]), "b": np.array([0, 3])})
    >>> rows.sequence.tolist(), rows.start.tolist(), rows.stop.tolist(), rows.behavior.tolist()
    (['a', 'b'], [1, 0], [3, 1], ['investigation', 'attack'])
    """
    parts = []
    for sid, values in labels.items():  # a loop over sequences, not frames
        bouts = bout_table(values)
        keep = bouts.label != OTHER
        parts.append(
            (
                np.full(int(keep.sum()), sid, dtype=object),
                bouts.start[keep],
                bouts.stop[keep],
                bouts.label[keep],
            )
        )
    if not parts:
        empty = np.zeros(0, np.int64)
        return BehaviorBouts(np.zeros(0, object), empty, empty.copy(), np.zeros(0, np.int8))
    sequence, start, stop, label = (np.concatenate(column) for column in zip(*parts, strict=True))
    return BehaviorBouts(sequence, start, stop, label)


def match_bouts(
    ref: Bouts, other: Bouts, behavior: int | str, min_overlap: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Pair bouts of one behaviour in two labellings of the same frames, one-to-one.

    Two bouts can pair when they share at least one frame and their temporal
    intersection-over-union (IoU, shared frames / frames in either) is at least
    ``min_overlap``. Pairs are chosen greedily by decreasing IoU (then shared
    frames, then index), so each ref bout gets the other bout it overlaps most
    unless that bout was already taken by a better-matching ref bout.

    Parameters
    ----------
    ref, other : Bouts
        Bout tables of the same frames (e.g. true and predicted labels).
    behavior : int or str
        The behaviour to pair, as an index or a name in :data:`VOCABULARY`.
    min_overlap : float, optional
        Minimum IoU of a pair, in [0, 1]; 0 (default) pairs any overlapping bouts.

    Returns
    -------
    ref_idx, other_idx : numpy.ndarray
        int64 row indices into ``ref`` and ``other`` of the paired bouts, sorted
        by ``ref_idx``.

    Examples
    --------
    >>> import numpy as np
    >>> t = bout_table(np.array([1, 1, 1, 3, 3, 1, 1]))
    >>> p = bout_table(np.array([3, 1, 1, 1, 1, 3, 3]))
    >>> [a.tolist() for a in match_bouts(t, p, "investigation")]
    [[0], [1]]
    """
    code = _label_index(behavior)
    r_rows = _sorted_rows_of(ref, code, "ref")
    o_rows = _sorted_rows_of(other, code, "other")
    empty = np.zeros(0, np.int64)
    if r_rows.size == 0 or o_rows.size == 0:
        return empty, empty.copy()
    r_start, r_stop = ref.start[r_rows], ref.stop[r_rows]
    o_start, o_stop = other.start[o_rows], other.stop[o_rows]

    # Bouts of one label never overlap each other, so sorted starts imply sorted
    # stops and the other bouts overlapping ref bout i are a contiguous range.
    lo = np.searchsorted(o_stop, r_start, side="right")
    hi = np.searchsorted(o_start, r_stop, side="left")
    count = np.maximum(hi - lo, 0)
    ri = np.repeat(np.arange(r_rows.size), count)
    oj = lo[ri] + np.arange(ri.size) - np.repeat(np.cumsum(count) - count, count)
    shared = np.minimum(r_stop[ri], o_stop[oj]) - np.maximum(r_start[ri], o_start[oj])
    union = (r_stop[ri] - r_start[ri]) + (o_stop[oj] - o_start[oj]) - shared
    iou = shared / union
    keep = (shared > 0) & (iou >= min_overlap)
    ri, oj, shared, iou = ri[keep], oj[keep], shared[keep], iou[keep]

    taken = _greedy_pairs(ri, oj, iou, shared)
    order = np.argsort(ri[taken], kind="stable")
    return r_rows[ri[taken][order]], o_rows[oj[taken][order]]


def _sorted_rows_of(bouts: Bouts, code: int, name: str) -> np.ndarray:
    rows = np.flatnonzero(bouts.label == code)
    rows = rows[np.argsort(bouts.start[rows], kind="stable")]
    start, stop = bouts.start[rows], bouts.stop[rows]
    if rows.size > 1 and (start[1:] < stop[:-1]).any():
        raise DataFormatError(
            f"{name} bouts of label {code} overlap each other; pass bouts of one "
            "labelling of one sequence (as bout_table makes them)"
        )
    return rows


def _greedy_pairs(
    ri: np.ndarray, oj: np.ndarray, iou: np.ndarray, shared: np.ndarray
) -> np.ndarray:
    """Greedy one-to-one matching of candidate pairs, by decreasing (IoU, shared frames).

    Greedy matching is computed as repeated rounds of *mutual best* pairs: a pair
    that is the best remaining pair of both its bouts is exactly one greedy would
    take, so each round takes a batch of them with array operations. Rounds are
    few because bouts of one label are disjoint (each bout has few candidates).
    """
    rank = np.lexsort((oj, ri, -shared, -iou))  # best pair first; a strict total order
    taken = np.zeros(ri.size, dtype=bool)
    alive = np.ones(ri.size, dtype=bool)
    while alive.any():
        order = rank[alive[rank]]
        _, first_r = np.unique(ri[order], return_index=True)
        _, first_o = np.unique(oj[order], return_index=True)
        best_r = np.zeros(ri.size, dtype=bool)
        best_o = np.zeros(ri.size, dtype=bool)
        best_r[order[first_r]] = True
        best_o[order[first_o]] = True
        mutual = best_r & best_o
        taken |= mutual
        used_r = np.isin(ri, ri[mutual])
        used_o = np.isin(oj, oj[mutual])
        alive &= ~(used_r | used_o)
    return np.flatnonzero(taken)
