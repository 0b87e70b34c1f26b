"""Scoring every motif edit of one kind and behaviour at once (the search's motif step).

A motif edit acts last in the pipeline (:mod:`.motif_edits`), so what it does to a
program's labels is exactly the frames it moves: those of its motif labelled
``source`` (near a bout of the behaviour, for a windowed ``include_motif``) become
``target``. One :func:`numpy.bincount` over the frames gives, for every motif at
once, how many frames of each fold and true class would move; each option's
confusion matrices are the current ones with those counts moved from the
``source`` column to the ``target`` column. No option is decoded one by one.

Examples
--------
>>> import numpy as np
>>> labels = np.array([3, 3, 3, 3]); motifs = np.array([0, 1, 1, 0]); true = np.array([0, 0, 3, 3])
>>> base = np.zeros((1, 4, 4)); base[0, 0, 3] = 2; base[0, 3, 3] = 2
>>> found = motif_options([(3, 0, 0)], labels, motifs, true, np.zeros(4, int), None, base)
>>> found.options, float(found.cms[1, 0, 0, 0]), float(found.cms[1, 0, 3, 0])
([((3, 0, 0), 0), ((3, 0, 0), 1)], 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ethostyle.data import VOCABULARY
from ethostyle.metrics import macro_f1_of_confusion as _f1
from ethostyle.models.program.selection import Candidate
from ethostyle.models.program.spec import MotifSearch

__all__ = ["MotifOptions", "best_motif_edit", "motif_options"]

_N = len(VOCABULARY)
# Tie-breaking size of an include edit allowed anywhere (larger than any window).
_ANYWHERE = 10**6


@dataclass(frozen=True)
class MotifOptions:
    """Every option of one motif kind and behaviour, with its confusion matrices.

    Attributes
    ----------
    options : list of ((int, int, int), int)
        ``(variant, motif)`` of option ``i + 1`` (option 0 is the program unchanged).
    cms : numpy.ndarray
        ``(1 + options, folds, 4, 4)`` the confusion matrices of each option.
    sizes : numpy.ndarray
        ``(1 + options,)`` tie-breaking sizes (option 0: 0; narrower windows first).
    bouts : tuple of numpy.ndarray
        Per option (option 0 left out), the ids of the ``source`` bouts (runs of
        frames labelled ``source`` in one video) whose frames it moves: the evidence
        it rests on. Empty when no ``seg_start`` was given.
    """

    options: list[tuple[tuple[int, int, int], int]]
    cms: np.ndarray
    sizes: np.ndarray
    bouts: tuple[np.ndarray, ...] = ()


def motif_options(
    variants: list[tuple[int, int, int]],
    labels: np.ndarray,
    motifs: np.ndarray,
    true: np.ndarray,
    fold: np.ndarray,
    near: Callable[[np.ndarray, int], np.ndarray] | None,
    base: np.ndarray,
    seg_start: np.ndarray | None = None,
) -> MotifOptions:
    """The confusion matrices of moving each motif's frames, for every variant.

    Parameters
    ----------
    variants : list of (int, int, int)
        ``(source, target, window)``: frames labelled ``source`` become ``target``;
        with ``window`` > 0 only within ``window`` frames of a frame labelled
        ``target`` (``near(mask, window)`` finds them).
    labels, motifs, true, fold : numpy.ndarray
        ``(frames,)`` the program's labels, each frame's motif, the annotator's
        labels and each frame's fold.
    near : callable or None
        ``near(mask, window)``: frames within ``window`` of ``mask`` in the same video.
    base : numpy.ndarray
        ``(folds, 4, 4)`` the confusion matrices of ``labels``.
    seg_start : numpy.ndarray, optional
        ``(frames,)`` bool, True at each video's first frame: with it, each option's
        ``bouts`` (the evidence) are counted.

    Returns
    -------
    MotifOptions
    """
    k = base.shape[0]
    n_motifs = int(motifs.max()) + 1 if motifs.size else 0
    options: list[tuple[tuple[int, int, int], int]] = []
    blocks = [base[None]]
    sizes = [0.0]
    bouts: list[np.ndarray] = []
    for variant in variants:
        source, target, window = variant
        mask = labels == source
        if window > 0:
            assert near is not None
            mask &= near(labels == target, window)
        index = (motifs[mask] * k + fold[mask]) * _N + true[mask]
        moved = np.bincount(index, minlength=n_motifs * k * _N).reshape(n_motifs, k, _N)
        present = np.flatnonzero(moved.sum(axis=(1, 2)))
        cms = np.repeat(base[None], present.size, axis=0).astype(np.float64)
        cms[:, :, :, source] -= moved[present]
        cms[:, :, :, target] += moved[present]
        blocks.append(cms)
        options.extend((variant, int(m)) for m in present)
        sizes.extend([float(window if window > 0 else _ANYWHERE)] * present.size)
        if seg_start is not None:
            bouts.extend(_bouts_touched(labels == source, mask, motifs, seg_start, present))
    return MotifOptions(options, np.concatenate(blocks), np.asarray(sizes), tuple(bouts))


def _bouts_touched(
    source: np.ndarray,
    mask: np.ndarray,
    motifs: np.ndarray,
    seg_start: np.ndarray,
    present: np.ndarray,
) -> list[np.ndarray]:
    """Per motif in ``present``, the ids of the runs of ``source`` whose frames it moves."""
    start = seg_start.astype(bool).copy()
    start[1:] |= source[1:] != source[:-1]
    bout = np.cumsum(start) - 1
    n_bouts = int(bout[-1]) + 1 if bout.size else 1
    # Sorted (motif, bout) pairs: each motif's bouts are one slice.
    pairs = np.unique(motifs[mask].astype(np.int64) * n_bouts + bout[mask])
    motif_of = pairs // n_bouts
    lo = np.searchsorted(motif_of, present, side="left")
    hi = np.searchsorted(motif_of, present, side="right")
    return [pairs[a:b] % n_bouts for a, b in zip(lo, hi, strict=True)]


def best_motif_edit(
    how: MotifSearch,
    c: int,
    found: MotifOptions,
    own: set[Any],
    base: np.ndarray,
    words: SequenceABC[str],
) -> Candidate | None:
    """The best variant's motifs, each a one-bit decision on pooled evidence, as edits.

    For each variant (a window, a target), every motif is a bit: on when moving its
    frames raises F1 on the frames it is decided on. Per fold the bits are decided on
    the *other* folds, and the fold's frames score the motifs that are on together; the
    variant's held-out gain pools those folds. The variant with the best held-out gain
    is the candidate; a motif is in it when its bit is on for all folds pooled and in
    every fold's decision. Its first motif is the edit, the others ``more`` (each an
    edit of its own, carrying the group's gain).

    Parameters
    ----------
    how : MotifSearch
        The kind's search (it makes the edits).
    c : int
        The behaviour edited.
    found : MotifOptions
        Every option with its confusion matrices (:func:`motif_options`).
    own : set
        Keys of the program's own edits (a motif already edited so is not tried).
    base : numpy.ndarray
        ``(folds, 4, 4)`` the program's confusion matrices unchanged.
    words : sequence of str
        Each motif in words, kept with its edit.

    Returns
    -------
    Candidate or None
        None when no variant has a motif whose bit is on everywhere.
    """
    edits = [
        how.make(c, variant, m, words[m] if m < len(words) else "") for variant, m in found.options
    ]
    usable = np.array([e.key not in own for e in edits], dtype=bool)
    keys = [variant for variant, _ in found.options]
    best: Candidate | None = None
    for variant in dict.fromkeys(keys):  # each variant once, in order
        rows = np.flatnonzero(usable & np.array([k == variant for k in keys]))
        if rows.size == 0:
            continue
        gain, folds, on = _bits(found.cms[1 + rows], base)
        if on.any() and (best is None or gain > best.gain):
            chosen = [replace(edits[r], gain=gain) for r in rows[on]]
            evidence = None
            if found.bouts:
                evidence = int(np.unique(np.concatenate([found.bouts[r] for r in rows[on]])).size)
            best = Candidate(gain, chosen[0], folds, tuple(chosen[1:]), evidence)
    return best


def _bits(cms: np.ndarray, base: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Held-out gain of deciding each option's bit on the other folds, and the final bits.

    A bit is finally on only where it is on for all folds pooled *and* for every
    fold's decision (on the other folds): a motif that one split of the videos turns
    off rests on too little evidence to be stated.

    ``cms``: ``(options, folds, 4, 4)``, each option one motif's frames moved (their
    moves are disjoint, so the moves of the options that are on add up).
    """
    total, base_total = cms.sum(axis=1), base.sum(axis=0)
    delta = cms - base[None]
    held = []
    everywhere = _f1(total) > _f1(base_total)
    for f in range(base.shape[0]):  # a loop over folds (videos)
        on = _f1(total - cms[:, f]) > _f1(base_total - base[f])
        held.append(base[f] + delta[on, f].sum(axis=0))
        everywhere &= on
    stacked = np.stack(held)
    gain = float(_f1(stacked.sum(axis=0)) - _f1(base_total))
    return gain, _f1(stacked) - _f1(base), everywhere
