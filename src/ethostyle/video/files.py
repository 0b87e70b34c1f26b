"""Read a video file: its frame rate, frame count and size, and its frames.

Video is read with PyAV (``av``), whose wheel carries its own FFmpeg: every
format FFmpeg reads (MP4, AVI, MOV, MKV, ...) works, and nothing is downloaded.
Every failure to open or decode a file becomes one :class:`~ethostyle.errors.VideoError`
naming the file.

Examples
--------
>>> info = video_info("videoA.mp4")  # doctest: +SKIP
>>> info.fps, info.n_frames  # doctest: +SKIP
(25.0, 750)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ethostyle.errors import VideoError

__all__ = ["POSE_SCALE_TAG", "VideoInfo", "iter_frames", "video_info"]

#: Written into the ``comment`` of a video whose pixels are not the poses' pixels (the
#: simulator's small renders): video pixels per pose pixel follow the tag.
POSE_SCALE_TAG = "ethostyle pose-scale="


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What ethostyle needs to know of one video file.

    Attributes
    ----------
    path : Path
        The file.
    fps : float
        Frames per second (the stream's average rate).
    n_frames : int
        Frames in the video stream.
    width, height : int
        Frame size in pixels.
    pose_scale : float
        Video pixels per pose pixel: 1 for a lab's videos (trackers give poses in the
        video's pixels); the simulator's renders record theirs (:data:`POSE_SCALE_TAG`).
    """

    path: Path
    fps: float
    n_frames: int
    width: int
    height: int
    pose_scale: float = 1.0

    @property
    def duration_s(self) -> float:
        """Length in seconds (``n_frames / fps``)."""
        return self.n_frames / self.fps


def _unreadable(path: Path, exc: BaseException) -> VideoError:
    return VideoError(
        f"{path}: not a video ethostyle can read ({exc}); check that the file is complete "
        "and plays in a video player, or convert it to MP4"
    )


def _pose_scale(comment: str, path: Path) -> float:
    if not comment.startswith(POSE_SCALE_TAG):
        return 1.0
    try:
        scale = float(comment.removeprefix(POSE_SCALE_TAG))
    except ValueError:
        scale = float("nan")
    if not np.isfinite(scale) or scale <= 0:
        raise VideoError(f"{path}: its comment {comment!r} gives no positive pose scale")
    return scale


def video_info(path: str | os.PathLike[str]) -> VideoInfo:
    """Open a video file and read its frame rate, frame count and size.

    Parameters
    ----------
    path : path-like
        The video file.

    Returns
    -------
    VideoInfo
        Its rate, frame count, size and pose scale.

    Raises
    ------
    VideoError
        When the file does not exist, is not a video FFmpeg can read, or holds no
        video stream.
    """
    path = Path(path)
    if not path.is_file():
        what = "a folder, not a video file" if path.is_dir() else "no such video file"
        raise VideoError(f"{path}: {what}; give the video file of this sequence")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path}: holds no video stream (audio only?); give the video")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate or float(rate) <= 0:
                raise VideoError(f"{path}: the file states no frame rate; re-encode it as MP4")
            # Containers without a frame count (some AVI, MKV): count the packets, which
            # needs no decoding.
            n_frames = stream.frames or sum(1 for packet in container.demux(stream) if packet.size)
            comment = str(container.metadata.get("comment", ""))
            width, height = stream.codec_context.width, stream.codec_context.height
    except av.error.FFmpegError as exc:
        raise _unreadable(path, exc) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from exc
    if n_frames < 1 or width < 1 or height < 1:
        raise VideoError(f"{path}: the video stream holds no frame; give the whole video")
    return VideoInfo(
        path, float(rate), int(n_frames), int(width), int(height), _pose_scale(comment, path)
    )


def iter_frames(
    info: VideoInfo, first: int, stop: int, *, width: int, height: int, chunk: int = 120
) -> Iterator[np.ndarray]:
    """Decode frames ``first`` to ``stop - 1`` of a video, scaled, in chunks.

    Parameters
    ----------
    info : VideoInfo
        The video (from :func:`video_info`).
    first, stop : int
        The frames wanted (0-based, ``stop`` excluded).
    width, height : int
        Size to scale every frame to (FFmpeg's scaler).
    chunk : int
        Frames per yielded array.

    Yields
    ------
    numpy.ndarray
        ``(frames, height, width, 3)`` uint8 RGB, in order; ``stop - first`` frames
        in all. A frame the file lacks (a variable frame rate, or frames asked past
        its end) repeats the one before it.

    Raises
    ------
    VideoError
        When the file cannot be decoded there.
    """
    wanted = stop - first
    buffer = np.zeros((min(chunk, wanted), height, width, 3), np.uint8)
    got = np.zeros(len(buffer), bool)
    start, previous = 0, None  # frame (from ``first``) of buffer[0]; the frame before it
    try:
        with av.open(str(info.path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            base, origin = stream.time_base, stream.start_time or 0
            if first > 0:  # to the key frame before ``first``, then decode forward
                container.seek(origin + int(first / info.fps / base), stream=stream)
            # PyAV hands over one decoded frame at a time: this loop is the decoder's, not
            # a loop over frames that numpy could do at once.
            for frame in container.decode(stream):
                if frame.pts is None:  # no time stamp (rare raw streams): after the last
                    index = int(np.flatnonzero(got)[-1]) + 1 if got.any() else 0
                else:
                    index = round(float((frame.pts - origin) * base) * info.fps) - first - start
                while index >= len(buffer):  # the chunk is complete: hand it over
                    out = _filled(buffer, got, previous, info)
                    yield out
                    previous, start, index = out[-1], start + len(buffer), index - len(buffer)
                    if start >= wanted:
                        return
                    buffer = buffer[: min(chunk, wanted - start)]
                    got = got[: len(buffer)]
                    got[:] = False
                if index >= 0:
                    buffer[index] = frame.to_ndarray(format="rgb24", width=width, height=height)
                    got[index] = True
    except av.error.FFmpegError as exc:
        raise _unreadable(info.path, exc) from exc
    while start < wanted:  # the file ended first: its last frame stands for the rest
        out = _filled(buffer[: min(chunk, wanted - start)], got, previous, info)
        yield out
        previous, start = out[-1], start + len(out)
        got[:] = False


def _filled(
    buffer: np.ndarray, got: np.ndarray, previous: np.ndarray | None, info: VideoInfo
) -> np.ndarray:
    """The chunk with each frame the decoder did not give replaced by the one before it."""
    got = got[: len(buffer)]
    if not got.any() and previous is None:
        raise VideoError(f"{info.path}: no frame could be decoded there; check the file")
    latest = np.maximum.accumulate(np.where(got, np.arange(len(buffer)), -1))
    if previous is None:  # nothing before the chunk: the first decoded frame stands in
        latest[latest < 0] = int(np.argmax(got))
        return buffer[latest]
    stacked = np.concatenate([buffer, previous[None]])
    return stacked[np.where(latest < 0, len(buffer), latest)]
