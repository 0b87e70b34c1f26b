"""Render poses as a top-view video: each mouse a filled body drawn from its keypoints.

The simulator has no footage; these renders stand in for it, so that ``compare
--videos`` and the demo can be run without a camera. The resident is drawn black
and the intruder white on a grey floor (as in CalMS21's C57 and BALB/c pairs), small
(320 px wide by default) and at the video's own frame rate.

Examples
--------
>>> from ethostyle.simulate import simulate  # doctest: +SKIP
>>> render_video(simulate("tiny").test[0], "clip.mp4")  # doctest: +SKIP
PosixPath('clip.mp4')
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ethostyle.data import FPS, Dataset, Sequence
from ethostyle.errors import EthostyleError
from ethostyle.io.frame_rate import video_frame_index
from ethostyle.progress import NULL_PROGRESS, Progress
from ethostyle.video.draw import draw_dots, fill_mice
from ethostyle.video.files import POSE_SCALE_TAG
from ethostyle.video.writer import even_size, write_mp4

__all__ = ["FRAME_SIZE", "RENDER_WIDTH", "render_video", "render_videos"]

logger = logging.getLogger(__name__)

#: The poses' pixel frame: CalMS21's camera (and the simulator's arena), width x height.
FRAME_SIZE: tuple[int, int] = (1024, 570)
#: Width of a rendered video in pixels (the height keeps the frame's proportions).
RENDER_WIDTH = 320
_FLOOR = (128, 128, 128)
_WALL = (60, 60, 60)
_MICE = ((25, 25, 25), (245, 245, 245))  # resident black, intruder white
_NOSE = (230, 60, 60)
_CHUNK = 256  # frames drawn at once: a few MB per chunk at 320 px


def render_video(
    sequence: Sequence,
    path: str | os.PathLike[str],
    *,
    fps: float | None = None,
    width: int = RENDER_WIDTH,
) -> Path:
    """Render one sequence's poses as an MP4 video seen from above.

    Parameters
    ----------
    sequence : Sequence
        The poses (30 Hz, in the pixels of a :data:`FRAME_SIZE` frame).
    path : path-like
        The ``.mp4`` file to write.
    fps : float, optional
        Frame rate of the video; by default the sequence's ``video_fps`` (the rate its
        poses were imported from), else 30. Each video frame shows the pose frame
        nearest in time (:func:`~ethostyle.io.frame_rate.video_frame_index`), so a
        25 Hz render of poses imported at 25 Hz has the original video's frame count.
    width : int
        Width in pixels (even); the height keeps the frame's proportions.

    Returns
    -------
    Path
        ``path``. The file's ``comment`` records its scale (video pixels per pose
        pixel), so that poses drawn over it later land on the mice.

    Raises
    ------
    EthostyleError
        When ``fps`` or ``width`` is not positive.
    """
    rate = float(fps if fps is not None else sequence.video_fps or FPS)
    if not np.isfinite(rate) or rate <= 0 or width < 2:
        raise EthostyleError(
            f"render {sequence.id!r}: give a positive frame rate and width; got fps {rate:g}, "
            f"width {width}"
        )
    size = even_size(width, width * FRAME_SIZE[1] / FRAME_SIZE[0])
    scale = size[0] / FRAME_SIZE[0]
    pose_frames = video_frame_index(sequence.n_frames, rate)
    chunks = _drawn(sequence.keypoints, pose_frames, size, scale)
    # x264's fastest preset: a render is long and flat, so speed matters more than size.
    return write_mp4(chunks, path, rate, comment=f"{POSE_SCALE_TAG}{scale:.6g}", preset="ultrafast")


def _drawn(
    keypoints: np.ndarray, pose_frames: np.ndarray, size: tuple[int, int], scale: float
) -> Iterator[np.ndarray]:
    """The frames, ``_CHUNK`` at a time, in one reused array: floor, walls, then both mice
    and their noses."""
    width, height = size
    empty = np.empty((height, width, 3), np.uint8)
    empty[:] = _WALL
    empty[2:-2, 2:-2] = _FLOOR
    # One buffer for every chunk (the writer encodes a chunk before asking for the next):
    # a fresh 40 MB array per chunk cost more in page faults than the drawing.
    buffer = np.empty((min(_CHUNK, len(pose_frames)), *empty.shape), np.uint8)
    for start in range(0, len(pose_frames), _CHUNK):
        poses = keypoints[pose_frames[start : start + _CHUNK]]
        canvas = buffer[: len(poses)]
        canvas[:] = empty
        fill_mice(canvas, poses, _MICE, scale)
        draw_dots(canvas, poses[:, :, :, 0] * scale, _NOSE, radius=1.5)
        yield canvas


def render_videos(
    dataset: Dataset,
    folder: str | os.PathLike[str],
    *,
    fps: float | None = None,
    width: int = RENDER_WIDTH,
    progress: Progress = NULL_PROGRESS,
) -> dict[str, Path]:
    """Render every sequence of a data set as ``<folder>/<sequence id>.mp4``.

    The folder then matches its sequences by file name, as ``compare --videos``
    expects (:func:`~ethostyle.video.matching.find_videos`).

    Parameters
    ----------
    dataset : Dataset
        The poses.
    folder : path-like
        Where to write (created if missing).
    fps : float, optional
        Frame rate of every video (default: each sequence's own, see :func:`render_video`).
    width : int
        Width in pixels.
    progress : Progress, optional
        Advanced by one per video.

    Returns
    -------
    dict of str to Path
        Sequence id -> the video written.

    Raises
    ------
    EthostyleError
        When a sequence id cannot be a file name (it holds a path separator).
    """
    out = Path(folder)
    for seq in dataset:
        if any(sep in seq.id for sep in ("/", "\\", os.sep)) or seq.id in ("", ".", ".."):
            raise EthostyleError(
                f"sequence {seq.id!r}: its id cannot be a file name; rename it (its video "
                "would be <id>.mp4)"
            )
    out.mkdir(parents=True, exist_ok=True)
    advance = progress.task("rendering videos", len(dataset))
    written = {}
    for seq in dataset:
        written[seq.id] = render_video(seq, out / f"{seq.id}.mp4", fps=fps, width=width)
        advance(1)
    logger.info("rendered %d videos into %s", len(written), out)
    return written
