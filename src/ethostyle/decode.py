"""From per-frame class probabilities to labels: the decoding steps style programs run.

Annotators differ less in *what* they see than in *where they draw lines*: how
sure they must be before calling a frame attack, whether they break a bout for a
short pause, how short a bout they bother to label. Every model family labels
through style programs (:mod:`ethostyle.models.program`), whose pipeline is built
from the steps here (:func:`log_scores`, :func:`merge_gaps`,
:func:`drop_short_bouts`, :func:`shift_bouts`). Models written before programs
held a decoder instead (:class:`DecoderParams`, a few numbers); it is kept to read
those models (:meth:`~ethostyle.models.program.StyleProgram.from_decoder` turns it
into the program that labels identically) and :func:`decode` applies one, in
this order:

1. smoothing: a centred moving average of the probabilities over ``smooth``
   frames (removes one-frame flickers);
2. thresholds: a per-class bias added to the log-probabilities (``other`` fixed
   at 0), then the best class per frame; a positive bias makes a class easier
   to call;
3. gap merging: a run of ``other`` shorter than ``merge_gap[c]`` frames between
   two bouts of behaviour ``c`` becomes ``c``;
4. minimum bout length: a bout of behaviour ``c`` shorter than ``min_length[c]``
   frames is given to whichever of its neighbouring labels or ``other`` scores
   best over its frames (its runner-up); bouts still too short become ``other``;
   then gaps are merged again;
5. boundary shifts: every bout of behaviour ``c`` starts ``onset_shift[c]`` frames
   later (negative: earlier) and ends ``offset_shift[c]`` frames later. A bout
   that grows takes only frames labelled ``other``; one that shrinks gives its
   frames to ``other``. Annotators differ systematically in when they call a bout
   on and off; a handful of bouts shows such a shift more clearly than it shows
   any single frame's label.

Examples
--------
>>> import numpy as np
>>> proba = np.array([[0.1, 0.5, 0.0, 0.4]] * 3 + [[0.0, 0.1, 0.0, 0.9]] * 3)
>>> decode(proba, DEFAULT_DECODER).tolist()
[1, 1, 1, 3, 3, 3]
>>> decode(proba, DecoderParams(bias=(0.0, -0.5, 0.0))).tolist()
[3, 3, 3, 3, 3, 3]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter1d

from ethostyle.bouts import bout_table
from ethostyle.data import BEHAVIORS, OTHER, VOCABULARY
from ethostyle.errors import DataFormatError, ModelFormatError

__all__ = [
    "DEFAULT_DECODER",
    "MAX_SMOOTH",
    "DecoderParams",
    "check_proba",
    "class_vector",
    "decode",
    "drop_short_bouts",
    "log_scores",
    "merge_gaps",
    "segment_starts",
    "shift_bouts",
]

_N_CLASSES = len(VOCABULARY)
_N_BEHAVIORS = len(BEHAVIORS)
# log(0) would make a class impossible whatever its bias; clip instead.
_LOG_FLOOR = 1e-12


#: Longest smoothing window a decoder may hold (frames): 10 minutes at 30 Hz.
MAX_SMOOTH = 18_001


@dataclass(frozen=True, slots=True)
class DecoderParams:
    """How to turn probabilities into labels (see the module docstring for the order).

    Parameters
    ----------
    bias : tuple of 3 float
        Added to the log-probability of attack, investigation, mount (``other``
        gets 0): a per-class threshold. ``log(2)`` halves the probability a
        class needs to win against ``other``.
    smooth : int
        Window, in frames, of the centred moving average of the probabilities;
        odd, 1 means none.
    min_length : tuple of 3 int
        Minimum bout length in frames of attack, investigation, mount; 1 means none.
    merge_gap : tuple of 3 int
        Runs of ``other`` shorter than this many frames between two bouts of the
        behaviour are filled; 0 or 1 means none.
    onset_shift, offset_shift : tuple of 3 int
        Frames added to the first frame / to the end of every bout of attack,
        investigation, mount (negative: earlier); 0 means none.

    Examples
    --------
    >>> p = DecoderParams(bias=(0.5, 0.0, 0.0), smooth=5)
    >>> DecoderParams.from_dict(p.to_dict()) == p
    True
    """

    bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    smooth: int = 1
    min_length: tuple[int, int, int] = (1, 1, 1)
    merge_gap: tuple[int, int, int] = (0, 0, 0)
    onset_shift: tuple[int, int, int] = (0, 0, 0)
    offset_shift: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self) -> None:
        bias = _triple(self.bias, "bias", float)
        min_length = _triple(self.min_length, "min_length", int)
        merge_gap = _triple(self.merge_gap, "merge_gap", int)
        onset_shift = _triple(self.onset_shift, "onset_shift", int)
        offset_shift = _triple(self.offset_shift, "offset_shift", int)
        if not all(math.isfinite(b) for b in bias):
            raise ModelFormatError(f"decoder bias {bias} must be finite numbers")
        try:
            if isinstance(self.smooth, bool) or int(self.smooth) != self.smooth:
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise ModelFormatError(f"decoder smooth={self.smooth!r} must be an integer") from None
        smooth = int(self.smooth)
        if smooth > MAX_SMOOTH:
            raise ModelFormatError(
                f"decoder smooth={smooth} frames is more than MAX_SMOOTH={MAX_SMOOTH} (10 min)"
            )
        if smooth < 1 or smooth % 2 == 0:
            raise ModelFormatError(
                f"decoder smooth={smooth} must be an odd number of frames >= 1 (e.g. 5), "
                "so that the moving average is centred"
            )
        if min(min_length) < 1:
            raise ModelFormatError(f"decoder min_length {min_length} must be >= 1 frame")
        if min(merge_gap) < 0:
            raise ModelFormatError(f"decoder merge_gap {merge_gap} must be >= 0 frames")
        if max(abs(v) for v in (*onset_shift, *offset_shift)) > MAX_SMOOTH:
            raise ModelFormatError(
                f"decoder onset_shift {onset_shift} / offset_shift {offset_shift}: a shift "
                f"of more than MAX_SMOOTH={MAX_SMOOTH} frames (10 min) is not a labelling style"
            )
        object.__setattr__(self, "onset_shift", onset_shift)
        object.__setattr__(self, "offset_shift", offset_shift)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "smooth", smooth)
        object.__setattr__(self, "min_length", min_length)
        object.__setattr__(self, "merge_gap", merge_gap)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-serialisable data, per-behaviour values keyed by behaviour name."""
        return {
            "bias": dict(zip(BEHAVIORS, self.bias, strict=True)),
            "smooth": self.smooth,
            "min_length": dict(zip(BEHAVIORS, self.min_length, strict=True)),
            "merge_gap": dict(zip(BEHAVIORS, self.merge_gap, strict=True)),
            "onset_shift": dict(zip(BEHAVIORS, self.onset_shift, strict=True)),
            "offset_shift": dict(zip(BEHAVIORS, self.offset_shift, strict=True)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecoderParams:
        """Build parameters from :meth:`to_dict` output; missing entries take defaults.

        Raises
        ------
        ModelFormatError
            When a key is unknown or a value is invalid.
        """
        if not isinstance(data, Mapping):
            raise ModelFormatError(f"decoder parameters must be a mapping, got {type(data)}")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ModelFormatError(
                f"unknown decoder parameter(s) {unknown}; expected some of {names}"
            )
        kwargs: dict[str, Any] = {}
        for name in names:
            if name not in data:
                continue
            value = data[name]
            if isinstance(value, Mapping):
                bad = sorted(set(value) - set(BEHAVIORS))
                if bad:
                    raise ModelFormatError(
                        f"decoder parameter {name!r} has unknown behaviour(s) {bad}; "
                        f"use {list(BEHAVIORS)}"
                    )
                default = getattr(cls(), name)
                value = tuple(value.get(b, d) for b, d in zip(BEHAVIORS, default, strict=True))
            kwargs[name] = value
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as err:
            if isinstance(err, ModelFormatError):
                raise
            raise ModelFormatError(f"invalid decoder parameters {dict(data)}: {err}") from None


def _triple(value: object, name: str, kind: type) -> tuple[Any, ...]:
    try:
        items = tuple(value)  # type: ignore[call-overload]
        if len(items) != _N_BEHAVIORS:
            raise ValueError
        if kind is int and any(isinstance(v, bool) or int(v) != v for v in items):
            raise ValueError
        return tuple(kind(v) for v in items)
    except (TypeError, ValueError, OverflowError):
        raise ModelFormatError(
            f"decoder {name}={value!r} must hold {_N_BEHAVIORS} {kind.__name__}s, one per "
            f"behaviour {list(BEHAVIORS)}"
        ) from None


#: Plain argmax: no bias, no smoothing, no bout rules.
DEFAULT_DECODER = DecoderParams()


def check_proba(proba: object, where: str) -> np.ndarray:
    """Check ``(frames, 4)`` non-negative finite probabilities; return them as float64.

    Parameters
    ----------
    proba : array-like
        Per-frame class probabilities, columns in :data:`VOCABULARY` order.
    where : str
        Names the input in the error message (a file, a sequence).

    Returns
    -------
    numpy.ndarray
        ``(frames, 4)`` float64.

    Raises
    ------
    DataFormatError
        On a wrong shape or a negative or non-finite value (naming the frame).

    Examples
    --------
    >>> check_proba([[0.1, 0.2, 0.3, 0.4]], "demo").dtype
    dtype('float64')
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != _N_CLASSES:
        raise DataFormatError(
            f"{where}: probabilities have shape {p.shape}; expected (frames, {_N_CLASSES}) "
            f"with columns {list(VOCABULARY)}"
        )
    bad = ~np.isfinite(p) | (p < 0)
    if bad.any():
        frame = int(np.flatnonzero(bad.any(axis=1))[0])
        raise DataFormatError(
            f"{where}, frame {frame}: probabilities {p[frame].tolist()} are negative or "
            "not finite; pass the model's predict_proba output"
        )
    return p


def log_scores(p: np.ndarray, smooth: int) -> np.ndarray:
    """Log of the ``smooth``-frame centred moving average of one sequence's probabilities.

    Step 1 of decoding. Smooth each sequence apart (no average may mix two videos).

    Parameters
    ----------
    p : numpy.ndarray
        ``(frames, 4)`` probabilities of one sequence.
    smooth : int
        Odd window in frames; 1 means none.

    Returns
    -------
    numpy.ndarray
        ``(frames, 4)`` float64 log-scores (probabilities floored at 1e-12).

    Examples
    --------
    >>> import numpy as np
    >>> log_scores(np.array([[1.0, 0, 0, 0], [0, 0, 0, 1.0]]), 1)[0, 0]
    np.float64(0.0)
    """
    if smooth > 1 and p.shape[0] > 1:
        p = uniform_filter1d(p, size=smooth, axis=0, mode="nearest")
    return np.log(np.maximum(p, _LOG_FLOOR))


def class_vector(values: tuple[float, ...] | tuple[int, ...], other: float) -> np.ndarray:
    """Per-class ``(4,)`` float64 vector from one value per behaviour and one for ``other``.

    Examples
    --------
    >>> class_vector((1, 2, 3), 0).tolist()
    [1.0, 2.0, 3.0, 0.0]
    """
    out = np.full(_N_CLASSES, other, dtype=np.float64)
    out[[VOCABULARY.index(b) for b in BEHAVIORS]] = values
    return out


def _segment_edges(
    bouts_start: np.ndarray, bouts_stop: np.ndarray, seg_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each bout begins / ends a sequence (then it has no neighbour on that side)."""
    n = seg_start.shape[0]
    first = seg_start[bouts_start]
    last = np.ones(bouts_stop.shape[0], dtype=bool)
    inner = bouts_stop < n
    last[inner] = seg_start[bouts_stop[inner]]
    return first, last


def segment_starts(lengths: Sequence[int]) -> np.ndarray:
    """``(frames,)`` bool, True on the first frame of each of several concatenated sequences.

    Examples
    --------
    >>> segment_starts([2, 3]).tolist()
    [True, False, True, False, False]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    seg_start = np.zeros(int(lengths.sum()), dtype=bool)
    seg_start[(np.cumsum(lengths) - lengths)[lengths > 0]] = True
    return seg_start


def merge_gaps(labels: np.ndarray, gap: np.ndarray, seg_start: np.ndarray) -> np.ndarray:
    """Step 3: fill runs of ``other`` shorter than ``gap[c]`` frames between two bouts of ``c``.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(frames,)`` int8 labels of one or more concatenated sequences.
    gap : numpy.ndarray
        ``(4,)`` int64 per class (entries of 0 or 1 merge nothing).
    seg_start : numpy.ndarray
        ``(frames,)`` bool, True on each sequence's first frame (:func:`segment_starts`);
        no gap spanning two sequences is filled.

    Returns
    -------
    numpy.ndarray
        The merged labels (``labels`` itself when nothing changes).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1, 3, 3, 1], np.int8)
    >>> merge_gaps(y, np.array([0, 3, 0, 0]), segment_starts([4])).tolist()
    [1, 1, 1, 1]
    """
    b = bout_table(labels, np.flatnonzero(seg_start))
    first, last = _segment_edges(b.start, b.stop, seg_start)
    k = np.flatnonzero((b.label == OTHER) & ~first & ~last)
    if k.size == 0:
        return labels
    # Inside a sequence neighbouring bouts differ, so neighbours of an `other` run
    # are behaviours.
    left, right = b.label[k - 1], b.label[k + 1]
    fill = (left == right) & (b.length[k] < gap[left])
    if not fill.any():
        return labels
    new = b.label.copy()
    new[k[fill]] = left[fill]
    return np.repeat(new, b.length)


def drop_short_bouts(
    labels: np.ndarray, scores: np.ndarray, min_len: np.ndarray, seg_start: np.ndarray
) -> np.ndarray:
    """Step 4: give each bout shorter than ``min_len[c]`` frames to its best-scoring neighbour.

    A short bout takes whichever of its left neighbour's label, its right
    neighbour's label or ``other`` has the highest summed score over its frames;
    bouts still too short afterwards become ``other``.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(frames,)`` int8 labels of one or more concatenated sequences.
    scores : numpy.ndarray
        ``(frames, 4)`` the (biased) log-scores the labels were decoded from.
    min_len : numpy.ndarray
        ``(4,)`` int64 minimum bout length per class (1 means none).
    seg_start : numpy.ndarray
        ``(frames,)`` bool, True on each sequence's first frame.

    Returns
    -------
    numpy.ndarray
        The labels with no bout shorter than its minimum.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([3, 3, 0, 3, 3], np.int8)
    >>> s = np.log(np.full((5, 4), 0.25))
    >>> drop_short_bouts(y, s, np.array([2, 1, 1, 1]), segment_starts([5])).tolist()
    [3, 3, 3, 3, 3]
    """
    breaks = np.flatnonzero(seg_start)
    b = bout_table(labels, breaks)
    short = np.flatnonzero(b.length < min_len[b.label])
    if short.size == 0:
        return labels
    first, last = _segment_edges(b.start, b.stop, seg_start)
    left = np.where(first[short], OTHER, b.label[np.maximum(short - 1, 0)])
    right = np.where(last[short], OTHER, b.label[np.minimum(short + 1, len(b) - 1)])
    cand = np.stack([left, right, np.full_like(left, OTHER)], axis=1)
    # Sum of scores over each short bout: cumulative sums avoid a loop over bouts.
    csum = np.vstack([np.zeros((1, _N_CLASSES)), np.cumsum(scores, axis=0)])
    bout_sum = csum[b.stop[short]] - csum[b.start[short]]
    pick = np.argmax(np.take_along_axis(bout_sum, cand.astype(np.int64), axis=1), axis=1)
    new = b.label.copy()
    new[short] = cand[np.arange(short.size), pick]
    labels = np.repeat(new, b.length)
    # Bouts absorbed into a neighbour that was itself too short can still be short.
    b = bout_table(labels, breaks)
    still = b.length < min_len[b.label]
    if still.any():
        new = b.label.copy()
        new[still] = OTHER
        labels = np.repeat(new, b.length)
    return labels


def shift_bouts(
    labels: np.ndarray,
    onset: np.ndarray,
    offset: np.ndarray,
    seg_start: np.ndarray,
    takes: np.ndarray | None = None,
) -> np.ndarray:
    """Step 5: move every behaviour bout's start and end, within its own sequence.

    A bout that grows takes only frames labelled ``other`` (and, where
    ``takes[c, d]``, frames labelled ``d``); one that shrinks gives its frames to
    ``other``.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(frames,)`` int8 labels of one or more concatenated sequences.
    onset, offset : numpy.ndarray
        ``(4,)`` int64 frames added to each class's bout starts / ends (negative: earlier).
    seg_start : numpy.ndarray
        ``(frames,)`` bool, True on each sequence's first frame.
    takes : numpy.ndarray, optional
        ``(4, 4)`` bool; ``takes[c, d]``: the shifted bouts of ``c`` win the frames
        of ``d`` they cover (a priority of ``c`` over ``d``). None: none.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int8 shifted labels.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([3, 3, 1, 1, 3], np.int8)
    >>> shift_bouts(y, np.array([0, -1, 0, 0]), np.zeros(4, int), segment_starts([5])).tolist()
    [3, 1, 1, 1, 3]
    """
    b = bout_table(labels, np.flatnonzero(seg_start))
    n = labels.shape[0]
    # Each bout stays inside its sequence: [first frame of its sequence, its end).
    seg_first = np.maximum.accumulate(np.where(seg_start, np.arange(n), 0))
    seg_last = np.minimum.accumulate(
        np.where(np.r_[seg_start[1:], True], np.arange(1, n + 1), n)[::-1]
    )[::-1]
    behaviour = b.label != OTHER
    start = np.clip(b.start + onset[b.label], seg_first[b.start], seg_last[b.start])
    stop = np.clip(b.stop + offset[b.label], seg_first[b.start], seg_last[b.start])
    keep = behaviour & (stop > start)
    # Coverage of each class by its shifted bouts: difference arrays, one per class
    # (a loop over the 3 behaviours, never over frames or bouts).
    cover = np.zeros((_N_CLASSES, n + 1), np.int32)
    np.add.at(cover, (b.label[keep], start[keep]), 1)
    np.add.at(cover, (b.label[keep], stop[keep]), -1)
    covered = np.cumsum(cover[:, :-1], axis=1) > 0
    frames = np.arange(n)
    out = np.where((labels != OTHER) & covered[labels, frames], labels, OTHER).astype(np.int8)
    for c in (VOCABULARY.index(name) for name in BEHAVIORS):
        out[(labels == OTHER) & covered[c] & (out == OTHER)] = c
    if takes is not None:
        # Priorities: a shifted bout of c wins the frames of d it covers.
        for c, d in zip(*np.nonzero(np.asarray(takes, dtype=bool)), strict=True):
            if c != d and c != OTHER and d != OTHER:
                out[(labels == d) & covered[c]] = c
    return out


def _decode_scores(scores: np.ndarray, params: DecoderParams, seg_start: np.ndarray) -> np.ndarray:
    """Steps 2-5 on log-scores of one or more concatenated sequences."""
    biased = scores + class_vector(params.bias, 0.0)
    labels = np.argmax(biased, axis=1).astype(np.int8)
    if labels.size == 0:
        return labels
    gap = class_vector(params.merge_gap, 0).astype(np.int64)
    min_len = class_vector(params.min_length, 1).astype(np.int64)
    do_merge = bool((gap > 1).any())
    if do_merge:
        labels = merge_gaps(labels, gap, seg_start)
    if (min_len > 1).any():
        labels = drop_short_bouts(labels, biased, min_len, seg_start)
        if do_merge:
            labels = merge_gaps(labels, gap, seg_start)
    onset = class_vector(params.onset_shift, 0).astype(np.int64)
    offset = class_vector(params.offset_shift, 0).astype(np.int64)
    if onset.any() or offset.any():
        labels = shift_bouts(labels, onset, offset, seg_start)
    return labels.astype(np.int8)


def decode(proba: np.ndarray, params: DecoderParams = DEFAULT_DECODER) -> np.ndarray:
    """Turn one sequence's per-frame class probabilities into labels.

    Parameters
    ----------
    proba : numpy.ndarray
        ``(frames, 4)`` non-negative class probabilities, columns in
        :data:`VOCABULARY` order.
    params : DecoderParams, optional
        The decoder; the default is plain argmax.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int8 labels.

    Examples
    --------
    >>> import numpy as np
    >>> flicker = np.array([[0, 0.9, 0, 0.1]] * 3 + [[0, 0.2, 0, 0.8]] + [[0, 0.9, 0, 0.1]] * 3)
    >>> decode(flicker).tolist()
    [1, 1, 1, 3, 1, 1, 1]
    >>> decode(flicker, DecoderParams(smooth=3)).tolist()
    [1, 1, 1, 1, 1, 1, 1]
    """
    p = check_proba(proba, "probabilities")
    return _decode_scores(log_scores(p, params.smooth), params, segment_starts([p.shape[0]]))
