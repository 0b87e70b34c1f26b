"""Pose-estimation errors added to the true keypoints, like a real tracker makes them.

Four kinds, all vectorised over frames: Gaussian jitter of 1-3 px (larger while
the mice touch), rare single-keypoint outliers, short runs of a keypoint swapped
between the two mice while their bodies overlap, and rare runs of missing
values (NaN), sometimes for a whole mouse.

Examples
--------
>>> import numpy as np
>>> clean = np.full((100, 2, 2, 7), 300.0)
>>> clean[:, 1] += 200.0
>>> noisy = add_tracking_noise(clean, np.random.default_rng(0))
>>> noisy.dtype, bool(1.0 < np.nanstd(noisy[:, 0] - clean[:, 0]) < 3.0)
(dtype('float32'), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ethostyle.errors import EthostyleError
from ethostyle.simulate.kinematics import ARENA_HEIGHT, ARENA_WIDTH

__all__ = ["TrackingNoise", "add_tracking_noise"]


@dataclass(frozen=True, slots=True)
class TrackingNoise:
    """How much a simulated pose tracker errs.

    Parameters
    ----------
    jitter_px : float
        Standard deviation (px) of per-frame Gaussian jitter while the mice are apart.
    contact_jitter_px : float
        Standard deviation (px) of the jitter while they touch.
    contact_distance_px : float
        The mice touch when their nearest keypoints are closer than this (px).
    part_jitter : tuple of float
        Jitter multiplier per body part (nose, ears, neck, hips, tail base):
        the nose and tail base are the hardest to place.
    outlier_probability : float
        Chance per keypoint and frame of an outlier (tripled while touching).
    outlier_px : float
        Standard deviation (px) of an outlier's displacement.
    swap_rate : float
        Chance per frame of body overlap that a run of one keypoint swapped
        between the mice starts.
    swap_frames : tuple of int
        Shortest and longest swap run (frames).
    overlap_distance_px : float
        Bodies overlap when their keypoint centroids are closer than this (px).
    missing_rate : float
        Chance per frame and mouse that a run of missing values starts.
    missing_frames : tuple of int
        Shortest and longest run of missing values (frames).
    whole_mouse_missing : float
        Chance that a missing run drops every keypoint of the mouse, not one.
    """

    jitter_px: float = 1.5
    contact_jitter_px: float = 3.0
    contact_distance_px: float = 20.0
    part_jitter: tuple[float, ...] = (1.2, 1.0, 1.0, 0.9, 1.0, 1.0, 1.3)
    outlier_probability: float = 0.001
    outlier_px: float = 30.0
    swap_rate: float = 0.01
    swap_frames: tuple[int, int] = (2, 12)
    overlap_distance_px: float = 45.0
    missing_rate: float = 1e-4
    missing_frames: tuple[int, int] = (1, 15)
    whole_mouse_missing: float = 0.3

    def __post_init__(self) -> None:
        if len(self.part_jitter) != 7:
            raise EthostyleError("TrackingNoise.part_jitter: give one multiplier per body part (7)")
        for name in ("outlier_probability", "swap_rate", "missing_rate", "whole_mouse_missing"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise EthostyleError(f"TrackingNoise.{name}: give a probability in [0, 1]")
        for name in ("swap_frames", "missing_frames"):
            lo, hi = getattr(self, name)
            if not 1 <= lo <= hi:
                raise EthostyleError(
                    f"TrackingNoise.{name}: give (shortest, longest) with 1 <= shortest <= longest"
                )


def _runs_mask(
    starts: tuple[np.ndarray, ...], lengths: np.ndarray, shape: tuple[int, ...]
) -> np.ndarray:
    """Boolean mask of runs starting at index tuples ``starts`` (frame first), ``lengths`` long.

    Drawn with a difference array and a cumulative sum, so there is no loop over runs.
    """
    n = shape[0]
    diff = np.zeros((n + 1, *shape[1:]), np.int32)
    np.add.at(diff, starts, 1)
    np.add.at(diff, (np.minimum(starts[0] + lengths, n), *starts[1:]), -1)
    return np.cumsum(diff[:-1], axis=0) > 0


def add_tracking_noise(
    clean: np.ndarray, rng: np.random.Generator, noise: TrackingNoise | None = None
) -> np.ndarray:
    """Add pose-tracker errors to true keypoints.

    Parameters
    ----------
    clean : numpy.ndarray
        ``(frames, 2, 2, 7)`` true keypoints (px), CalMS21 layout.
    rng : numpy.random.Generator
        Source of randomness.
    noise : TrackingNoise, optional
        Error magnitudes; defaults to :class:`TrackingNoise` ().

    Returns
    -------
    numpy.ndarray
        ``(frames, 2, 2, 7)`` float32 tracked keypoints inside the video frame,
        with rare NaN where tracking was lost.

    Examples
    --------
    >>> import numpy as np
    >>> add_tracking_noise(np.full((5, 2, 2, 7), 100.0), np.random.default_rng(1)).shape
    (5, 2, 2, 7)
    """
    noise = noise or TrackingNoise()
    n = clean.shape[0]
    gaps = np.sqrt(((clean[:, 0, :, :, None] - clean[:, 1, :, None, :]) ** 2).sum(axis=1))
    touching = gaps.reshape(n, -1).min(axis=1) < noise.contact_distance_px
    centroids = clean.mean(axis=3)
    overlapping = np.hypot(*(centroids[:, 0] - centroids[:, 1]).T) < noise.overlap_distance_px

    sd = np.where(touching, noise.contact_jitter_px, noise.jitter_px)
    sd = sd[:, None, None, None] * np.asarray(noise.part_jitter)
    out = clean + rng.standard_normal(clean.shape) * sd

    p_out = noise.outlier_probability * np.where(touching, 3.0, 1.0)
    f, m, part = np.nonzero(rng.random((n, 2, 7)) < p_out[:, None, None])
    out[f, m, :, part] += rng.normal(0.0, noise.outlier_px, size=(f.shape[0], 2))

    swap_start = np.flatnonzero(overlapping & (rng.random(n) < noise.swap_rate))
    swap_part = rng.integers(0, 7, size=swap_start.shape[0])
    swap_len = rng.integers(noise.swap_frames[0], noise.swap_frames[1] + 1, swap_start.shape[0])
    swapped = _runs_mask((swap_start, swap_part), swap_len, (n, 7))[:, None, :]
    resident, intruder = out[:, 0].copy(), out[:, 1].copy()
    out[:, 0] = np.where(swapped, intruder, resident)
    out[:, 1] = np.where(swapped, resident, intruder)

    np.clip(out[..., 0, :], 0.0, ARENA_WIDTH - 1.0, out=out[..., 0, :])
    np.clip(out[..., 1, :], 0.0, ARENA_HEIGHT - 1.0, out=out[..., 1, :])

    f, m = np.nonzero(rng.random((n, 2)) < noise.missing_rate)
    lengths = rng.integers(noise.missing_frames[0], noise.missing_frames[1] + 1, f.shape[0])
    whole = rng.random(f.shape[0]) < noise.whole_mouse_missing
    one_part = rng.integers(0, 7, size=f.shape[0])
    # One row per (run, body part) that the run blanks: all 7 parts or just one.
    hit = whole[:, None] | (np.arange(7) == one_part[:, None])
    run, part = np.nonzero(hit)
    missing = _runs_mask((f[run], m[run], part), lengths[run], (n, 2, 7))
    out = out.astype(np.float32)
    out[np.broadcast_to(missing[:, :, None, :], out.shape)] = np.nan
    return out
