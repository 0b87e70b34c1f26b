"""Frames of a video filmed at another rate than 30 Hz, and the 30 Hz frames of its poses.

``import-pose --fps 25`` resamples a video's poses to 30 Hz, keeping every 30 Hz
instant within the video, and records the video's rate with the sequence
(``video_fps``). These two functions take per-frame results (labels,
probabilities) back to one row per frame of the original video: each video frame
takes the 30 Hz frame nearest to it in time.

Examples
--------
>>> video_frame_count(1079, 25.0)  # 900 frames at 25 Hz give 1079 at 30 Hz
900
"""

from __future__ import annotations

import numpy as np

from ethostyle.data import FPS
from ethostyle.errors import DataFormatError

__all__ = ["video_frame_count", "video_frame_index"]


def video_frame_index(n_frames: int, fps: float) -> np.ndarray:
    """The 30 Hz frame nearest in time to each frame of a video filmed at ``fps``.

    Index a 30 Hz per-frame array with it (labels, probabilities) to get one
    row per frame of the original video, as :func:`labels_at_fps` does.

    Parameters
    ----------
    n_frames : int
        Frames of the sequence at 30 Hz.
    fps : float
        The video's frame rate.

    Returns
    -------
    numpy.ndarray
        ``(video frames,)`` int64 indices into the 30 Hz frames.

    Examples
    --------
    >>> video_frame_index(7, 25).tolist()
    [0, 1, 2, 4, 5, 6]
    """
    if not np.isfinite(fps) or fps <= 0:
        raise DataFormatError(f"--fps {fps:g}: give the video's frame rate, a positive number")
    n_out = video_frame_count(n_frames, fps)
    nearest = np.rint(np.arange(n_out) * (FPS / fps)).astype(np.int64)
    return np.clip(nearest, 0, max(n_frames - 1, 0))


def video_frame_count(n_frames: int, video_fps: float) -> int:
    """Frames of the original video whose poses, resampled to 30 Hz, have ``n_frames``.

    The inverse of :func:`~ethostyle.importers.import_pose`'s resampling, which keeps
    every 30 Hz instant within the video: ``n_frames = floor((n - 1) * 30 / fps) + 1``.
    Exact for videos of up to 30 Hz; for faster ones, the fewest frames that give it.

    Examples
    --------
    >>> video_frame_count(1079, 25.0)  # 900 frames at 25 Hz give 1079 at 30 Hz
    900
    """
    if n_frames == 0 or abs(video_fps - FPS) <= 1e-6:
        return n_frames
    return int(np.ceil((n_frames - 1) * video_fps / FPS + 1 - 1e-9))
