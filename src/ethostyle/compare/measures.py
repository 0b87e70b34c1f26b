"""Per-behaviour measures of one labelling against a reference labelling of the same frames.

Everything works on the frames of all compared sequences pooled end to end, with
``breaks`` at the first frame of each sequence so that no bout spans two videos.
Bouts come from :func:`ethostyle.bouts.bout_table` and are paired with
:func:`ethostyle.bouts.match_bouts` (any overlap pairs, one to one, greedily by
overlap); nothing loops over frames.

Examples
--------
>>> import numpy as np
>>> ref = np.array([3, 3, 1, 1, 1, 3, 3, 3, 0, 0, 3, 3])
>>> other = np.array([3, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3])
>>> pooled = pool({"a": ref}, {"a": other}, ["a"])
>>> row = behavior_row(pooled, "investigation", fps=30)
>>> row["onset_shift_frames"], row["offset_shift_frames"]
(-1.0, 1.0)
>>> behavior_row(pooled, "attack", fps=30)["n_missed_bouts"]
1
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from ethostyle.bouts import Bouts, bout_table, match_bouts
from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.metrics import bout_f1

__all__ = [
    "BOUT_F1_OVERLAP",
    "Pooled",
    "behavior_row",
    "bout_f1_by_behavior",
    "bout_pairs",
    "frame_f1_by_behavior",
    "pool",
    "unmatched_frames",
]

#: Overlap (temporal IoU) a pair of bouts needs to count as the same bout in bout F1.
BOUT_F1_OVERLAP = 0.5


@dataclass(frozen=True, slots=True)
class Pooled:
    """Two labellings of the same sequences, concatenated, with their bouts.

    Build it with :func:`pool`.

    Attributes
    ----------
    reference, other : numpy.ndarray
        ``(frames,)`` integer labels of all sequences end to end.
    breaks : numpy.ndarray
        ``(sequences,)`` int64 first frame of each sequence in the pooled arrays.
    sequence_ids : tuple of str
        The sequence starting at each break.
    ref_bouts, other_bouts : Bouts
        Bouts of each labelling; none spans two sequences.
    """

    reference: np.ndarray
    other: np.ndarray
    breaks: np.ndarray
    sequence_ids: tuple[str, ...]
    ref_bouts: Bouts
    other_bouts: Bouts

    @property
    def n_frames(self) -> int:
        """Number of pooled frames."""
        return int(self.reference.shape[0])

    def locate(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sequence id and frame number within it of pooled frame indices."""
        index = np.searchsorted(self.breaks, frames, side="right") - 1
        return np.asarray(self.sequence_ids, dtype=object)[index], frames - self.breaks[index]


def pool(
    reference: Mapping[str, np.ndarray], other: Mapping[str, np.ndarray], ids: Iterable[str]
) -> Pooled:
    """Concatenate two labellings of the sequences ``ids`` (already checked to match).

    Examples
    --------
    >>> import numpy as np
    >>> p = pool({"a": np.array([1, 1]), "b": np.array([1])}, {"a": np.array([1, 3]),
    ...          "b": np.array([3])}, ["a", "b"])
    >>> p.ref_bouts.stop.tolist(), p.breaks.tolist()
    ([2, 3], [0, 2])
    """
    ids = tuple(ids)
    lengths = np.array([len(reference[i]) for i in ids], dtype=np.int64)
    breaks = np.cumsum(lengths) - lengths
    ref = np.concatenate([np.asarray(reference[i]) for i in ids]).astype(np.int64)
    oth = np.concatenate([np.asarray(other[i]) for i in ids]).astype(np.int64)
    return Pooled(ref, oth, breaks, ids, bout_table(ref, breaks), bout_table(oth, breaks))


def _covered(labels: np.ndarray, code: int, bouts: Bouts) -> np.ndarray:
    """Whether each bout shares at least one frame labelled ``code`` in ``labels``."""
    counts = np.concatenate([[0], np.cumsum(labels == code)])
    return counts[bouts.stop] - counts[bouts.start] > 0


def _frames_of(bouts: Bouts) -> np.ndarray:
    """Pooled frame indices covered by ``bouts`` (disjoint), as one int64 array.

    numpy has no "concatenated ranges" routine; this is the usual repeat/cumsum form.
    """
    length = bouts.length
    offset = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
    return np.repeat(bouts.start, length) + offset


def behavior_row(pooled: Pooled, behavior: str, fps: float) -> dict[str, Any]:
    """Measures of one behaviour in ``pooled.other`` against ``pooled.reference``.

    Parameters
    ----------
    pooled : Pooled
        The two labellings.
    behavior : str
        A name in :data:`ethostyle.data.BEHAVIORS`.
    fps : float
        Frames per second, to express times in seconds.

    Returns
    -------
    dict
        ``frames``, ``frame_share``, ``n_bouts``, ``bouts_per_min``,
        ``median_bout_s``, ``mean_bout_s``, ``n_matched_bouts``,
        ``onset_shift_frames``/``_s`` and ``offset_shift_frames``/``_s`` (median
        over matched bouts of other minus reference; NaN with no matched bout),
        ``n_extra_bouts`` (bouts of ``other`` no reference bout of the behaviour
        overlaps) and ``n_missed_bouts`` (reference bouts ``other`` does not
        overlap at all).
    """
    code = VOCABULARY.index(behavior)
    mine = pooled.other_bouts.of(code)
    theirs = pooled.ref_bouts.of(code)
    ref_idx, other_idx = match_bouts(pooled.ref_bouts, pooled.other_bouts, code)
    onset = pooled.other_bouts.start[other_idx] - pooled.ref_bouts.start[ref_idx]
    offset = pooled.other_bouts.stop[other_idx] - pooled.ref_bouts.stop[ref_idx]
    onset_frames = float(np.median(onset)) if onset.size else float("nan")
    offset_frames = float(np.median(offset)) if offset.size else float("nan")
    seconds = mine.length / fps
    minutes = pooled.n_frames / fps / 60.0
    frames = int((pooled.other == code).sum())
    return {
        "behavior": behavior,
        "frames": frames,
        "frame_share": frames / pooled.n_frames if pooled.n_frames else float("nan"),
        "n_bouts": len(mine),
        "bouts_per_min": len(mine) / minutes if minutes else float("nan"),
        "median_bout_s": float(np.median(seconds)) if len(mine) else float("nan"),
        "mean_bout_s": float(seconds.mean()) if len(mine) else float("nan"),
        "n_matched_bouts": int(ref_idx.size),
        "onset_shift_frames": onset_frames,
        "onset_shift_s": onset_frames / fps,
        "offset_shift_frames": offset_frames,
        "offset_shift_s": offset_frames / fps,
        "n_extra_bouts": int((~_covered(pooled.reference, code, mine)).sum()),
        "n_missed_bouts": int((~_covered(pooled.other, code, theirs)).sum()),
    }


def bout_pairs(pooled: Pooled, behavior: str) -> pd.DataFrame:
    """The matched bouts of one behaviour, one row per pair.

    Returns
    -------
    pandas.DataFrame
        Columns ``behavior, sequence, reference_start, reference_stop, start,
        stop, onset_shift_frames, offset_shift_frames`` (frames within the
        sequence; stops exclusive).
    """
    ref_idx, other_idx = match_bouts(pooled.ref_bouts, pooled.other_bouts, behavior)
    sequence, ref_start = pooled.locate(pooled.ref_bouts.start[ref_idx])
    base = pooled.ref_bouts.start[ref_idx] - ref_start  # first pooled frame of the sequence
    start = pooled.other_bouts.start[other_idx] - base
    stop = pooled.other_bouts.stop[other_idx] - base
    ref_stop = pooled.ref_bouts.stop[ref_idx] - base
    return pd.DataFrame(
        {
            "behavior": behavior,
            "sequence": sequence,
            "reference_start": ref_start,
            "reference_stop": ref_stop,
            "start": start,
            "stop": stop,
            "onset_shift_frames": start - ref_start,
            "offset_shift_frames": stop - ref_stop,
        }
    )


def unmatched_frames(pooled: Pooled, behavior: str) -> pd.DataFrame:
    """What the other side called the frames of bouts only one side has.

    ``side == "extra"``: bouts of ``other`` that no reference bout of the
    behaviour overlaps, and the reference's labels on their frames;
    ``side == "missed"``: reference bouts ``other`` does not overlap at all,
    and ``other``'s labels on their frames.

    Returns
    -------
    pandas.DataFrame
        Columns ``behavior, side, n_bouts, called, frames``: one row per side
        and label of the other side (``called``) with at least one frame.
    """
    code = VOCABULARY.index(behavior)
    rows = []
    for side, bouts, them in (
        ("extra", pooled.other_bouts.of(code), pooled.reference),
        ("missed", pooled.ref_bouts.of(code), pooled.other),
    ):
        keep = ~_covered(them, code, bouts)
        alone = Bouts(bouts.start[keep], bouts.stop[keep], bouts.label[keep])
        counts = np.bincount(them[_frames_of(alone)], minlength=len(VOCABULARY))
        for called in np.flatnonzero(counts):
            rows.append(
                {
                    "behavior": behavior,
                    "side": side,
                    "n_bouts": len(alone),
                    "called": VOCABULARY[called],
                    "frames": int(counts[called]),
                }
            )
    return pd.DataFrame(rows, columns=["behavior", "side", "n_bouts", "called", "frames"])


def frame_f1_by_behavior(pooled: Pooled) -> dict[str, float]:
    """Frame F1 of each behaviour of ``other`` against the reference (one-vs-rest).

    NaN (undefined, shown as n/a) where neither side labels the behaviour on any frame.
    """
    codes = [VOCABULARY.index(b) for b in BEHAVIORS]
    scores = f1_score(pooled.reference, pooled.other, labels=codes, average=None, zero_division=0)
    present = [bool((pooled.reference == c).any() or (pooled.other == c).any()) for c in codes]
    return {
        b: float(s) if here else float("nan")
        for b, s, here in zip(BEHAVIORS, scores, present, strict=True)
    }


def bout_f1_by_behavior(
    reference: dict[str, np.ndarray], other: dict[str, np.ndarray]
) -> dict[str, float]:
    """Bout F1 (IoU >= :data:`BOUT_F1_OVERLAP`) of each behaviour against the reference.

    NaN (undefined, shown as n/a) where neither side has a bout of the behaviour.
    """
    scores = bout_f1(reference, other, overlap=BOUT_F1_OVERLAP)
    return {
        b: scores[b].f1 if scores[b].n_true + scores[b].n_pred else float("nan") for b in BEHAVIORS
    }
