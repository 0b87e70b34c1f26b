"""The folds of a style program's search: runs of an annotator's videos held out in turn.

An annotator brings a few videos. Leaving one whole video out of two chooses each
candidate's parameter on half the evidence, further from the refit on all videos that
the program keeps; the choice then swings with small changes of the reference's scores
(benchmarks/README.md, issue 22: the style search when the reference moves). So each
video is cut into runs of equal labelled frames, enough for :data:`MIN_FOLDS` folds in
all, and each run is held out in turn; a run is never shorter than
:data:`MIN_RUN_FRAMES` labelled frames, where too few bouts fall in it to score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["MIN_FOLDS", "MIN_RUN_FRAMES", "search_folds", "video_parts"]

#: Fewest folds the search aims for: each video is cut into ``ceil(MIN_FOLDS / videos)``
#: runs (two videos: their halves; one video: its quarters), so each fold chooses on
#: at least three quarters of the evidence.
MIN_FOLDS = 4
#: Fewest labelled frames of a run a video is cut into (40 s at 30 Hz): a shorter run
#: holds too few bouts for its held-out F1 to mean much, so such videos are cut less.
MIN_RUN_FRAMES = 1200


def video_parts(labelled: np.ndarray, lengths: Sequence[int], parts: Sequence[int]) -> np.ndarray:
    """The fold of every frame: video ``v`` cut into ``parts[v]`` runs of equal labelled frames.

    Parameters
    ----------
    labelled : numpy.ndarray
        ``(frames,)`` bool, the labelled frames of the videos end to end.
    lengths : sequence of int
        Frames of each video.
    parts : sequence of int
        Runs of each video (at least 1).

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int64 fold ids, numbered video by video.

    Examples
    --------
    >>> video_parts(np.ones(6, bool), [4, 2], [2, 1]).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    parts = np.asarray(parts, np.int64)
    if parts.shape != (len(lengths),) or (parts < 1).any():
        raise ValueError(
            f"parts={parts.tolist()}: give at least 1 run for each of {len(lengths)} videos"
        )
    lengths, video, total = _labelled_per_video(labelled, lengths)
    # Labelled frames seen so far within each video (its first labelled frame counts 1).
    seen = np.cumsum(labelled)
    before = np.r_[0, seen][np.cumsum(lengths) - lengths]
    local = seen - before[video]
    run = np.minimum(local * parts[video] // (total[video] + 1), parts[video] - 1)
    first = np.cumsum(parts) - parts  # each video's first fold id
    return (first[video] + run).astype(np.int64)


def search_folds(labelled: np.ndarray, lengths: Sequence[int]) -> np.ndarray:
    """The search's fold of every frame (see the module docstring).

    Each video is cut into ``ceil(MIN_FOLDS / videos)`` runs, fewer where a run would
    hold under :data:`MIN_RUN_FRAMES` labelled frames; a single video is always cut
    in two.

    Parameters
    ----------
    labelled : numpy.ndarray
        ``(frames,)`` bool, the labelled frames of the videos end to end.
    lengths : sequence of int
        Frames of each video.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int64 fold ids.

    Examples
    --------
    >>> search_folds(np.ones(5000, bool), [2500, 2500])[::1250].tolist()  # halves
    [0, 1, 2, 3]
    >>> search_folds(np.ones(1800, bool), [900, 900])[::900].tolist()  # too short to cut
    [0, 1]
    """
    lengths, _, total = _labelled_per_video(labelled, lengths)
    wanted = -(-MIN_FOLDS // max(lengths.size, 1))
    parts = np.clip(total // MIN_RUN_FRAMES, 1, wanted)
    if lengths.size == 1:
        parts = np.maximum(parts, 2)
    return video_parts(labelled, lengths, parts)


def _labelled_per_video(
    labelled: np.ndarray, lengths: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``lengths`` as int64, the video of every frame, and each video's labelled frames."""
    lengths = np.asarray(lengths, np.int64)
    video = np.repeat(np.arange(lengths.size), lengths)
    total = np.bincount(video, weights=labelled, minlength=lengths.size).astype(np.int64)
    return lengths, video, total
