"""What an edit changed, in frames and bouts, on the videos its program was fitted on.

A threshold edit's "bias 3.3" or a priority margin means little to a biologist; how many
more frames of the behaviour the edit labels, taken from which labels, and how many
bouts that makes, does. :func:`fit_program` measures it when it accepts an edit (the
program's labels of the annotator's videos without and with the edit, parameters
refitted on all videos) and stores it with the edit as an :class:`Effect`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ethostyle.data import VOCABULARY

__all__ = ["Effect", "measure_effect"]

_N = len(VOCABULARY)


@dataclass(frozen=True, slots=True)
class Effect:
    """An edit's effect on the behaviour it edits, over the videos it was fitted on.

    Parameters
    ----------
    videos, frames : int
        Videos the program was fitted on, and their frames in all.
    frames_before, frames_after : int
        Frames labelled as the behaviour by the program without / with the edit.
    bouts_before, bouts_after : int
        Bouts of the behaviour without / with the edit.
    gained_from : tuple of int
        Per label (:data:`~ethostyle.data.VOCABULARY` order), frames that had that
        label without the edit and have the behaviour with it (0 for the behaviour).
    lost_to : tuple of int
        Per label, frames of the behaviour that get that label with the edit.

    Examples
    --------
    >>> e = Effect(2, 600, 100, 130, 4, 5, (0, 20, 0, 10), (0, 0, 0, 0))
    >>> e.to_dict()["gained_from"]
    {'investigation': 20, 'other': 10}
    >>> Effect.from_dict(e.to_dict()) == e
    True
    """

    videos: int
    frames: int
    frames_before: int
    frames_after: int
    bouts_before: int
    bouts_after: int
    gained_from: tuple[int, ...]
    lost_to: tuple[int, ...]

    def __post_init__(self) -> None:
        for name in _COUNTS:
            _check_count(getattr(self, name), name)
        for name in _PER_LABEL:
            values = tuple(getattr(self, name))
            if len(values) != _N:
                raise ValueError(f"{name} must give one count per label {list(VOCABULARY)}")
            for v in values:
                _check_count(v, name)
            object.__setattr__(self, name, tuple(int(v) for v in values))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; ``gained_from`` / ``lost_to`` name only labels with frames."""
        out: dict[str, Any] = {name: int(getattr(self, name)) for name in _COUNTS}
        for name in _PER_LABEL:
            out[name] = {VOCABULARY[i]: v for i, v in enumerate(getattr(self, name)) if v}
        return out

    @classmethod
    def from_dict(cls, data: object) -> Effect:
        """Read :meth:`to_dict` data back; ``ValueError`` names the bad field."""
        if not isinstance(data, Mapping):
            raise ValueError("must be a JSON object")
        expected = {*_COUNTS, *_PER_LABEL}
        if set(data) != expected:
            raise ValueError(f"must have exactly the fields {sorted(expected)}")
        counts = {}
        for name in _PER_LABEL:
            by_label = data[name]
            if not isinstance(by_label, Mapping) or not set(by_label) <= set(VOCABULARY):
                raise ValueError(f"{name} must map label names {list(VOCABULARY)} to frames")
            counts[name] = tuple(by_label.get(label, 0) for label in VOCABULARY)
        plain = {k: v for k, v in data.items() if k not in counts}
        return cls(**plain, **counts)


#: The fields of :class:`Effect` that are one count each, and those with a count per label.
_COUNTS = ("videos", "frames", "frames_before", "frames_after", "bouts_before", "bouts_after")
_PER_LABEL = ("gained_from", "lost_to")


def _check_count(value: object, name: str) -> None:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 0
    if not ok:
        raise ValueError(f"{name} must be a count (an int >= 0)")


def _bouts(labels: np.ndarray, c: int, seg_start: np.ndarray) -> int:
    """Bouts of class ``c``: its frames whose predecessor is another label or another video."""
    mine = labels == c
    starts = mine.copy()
    starts[1:] &= ~mine[:-1] | seg_start[1:]
    return int(np.count_nonzero(starts))


def measure_effect(
    before: np.ndarray, after: np.ndarray, behavior: int, seg_start: np.ndarray, videos: int
) -> Effect:
    """The effect of an edit on ``behavior`` from the labels without and with it.

    Parameters
    ----------
    before, after : numpy.ndarray
        ``(frames,)`` labels of all videos (concatenated) without / with the edit.
    behavior : int
        The edited behaviour's index.
    seg_start : numpy.ndarray
        ``(frames,)`` bool, True at each video's first frame.
    videos : int
        Number of videos.

    Returns
    -------
    Effect

    Examples
    --------
    >>> import numpy as np
    >>> seg = np.array([True] + [False] * 5)
    >>> measure_effect(np.array([3, 0, 0, 3, 3, 3]), np.array([0, 0, 0, 3, 0, 3]), 0, seg, 1)
    Effect(videos=1, frames=6, frames_before=2, frames_after=4, bouts_before=1, bouts_after=2, \
gained_from=(0, 0, 0, 2), lost_to=(0, 0, 0, 0))
    """
    pair = np.bincount(before.astype(np.int64) * _N + after, minlength=_N * _N).reshape(_N, _N)
    gained = pair[:, behavior].copy()
    lost = pair[behavior, :].copy()
    gained[behavior] = lost[behavior] = 0
    return Effect(
        videos=int(videos),
        frames=int(before.size),
        frames_before=int(np.count_nonzero(before == behavior)),
        frames_after=int(np.count_nonzero(after == behavior)),
        bouts_before=_bouts(before, behavior, seg_start),
        bouts_after=_bouts(after, behavior, seg_start),
        gained_from=tuple(int(v) for v in gained),
        lost_to=tuple(int(v) for v in lost),
    )
