"""Check each video against the poses it should show, before any work is done.

A sequence's poses are at 30 Hz; the video may be at its own rate (``import-pose
--fps 25`` records the video's rate with the poses as ``video_fps``). A video fits
its poses when

- its frame rate is the one recorded with the poses (when one is), within 1 %, and
- its frame count is the one the poses imply at the video's rate
  (:func:`~ethostyle.io.frame_rate.video_frame_count`), within
  :data:`FRAME_TOLERANCE` frames: trackers and encoders often drop or add a frame at
  either end, and a frame either way moves nothing by more than 1/25 s.

Examples
--------
>>> open_videos("lab_videos", {"videoA": 899}, {"videoA": 25.0})  # doctest: +SKIP
{'videoA': VideoInfo(path=PosixPath('lab_videos/videoA.mp4'), fps=25.0, n_frames=750, ...)}
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ethostyle.data import FPS
from ethostyle.errors import VideoError
from ethostyle.io.frame_rate import video_frame_count
from ethostyle.video.files import VideoInfo, video_info
from ethostyle.video.matching import find_videos

__all__ = ["FRAME_TOLERANCE", "check_videos", "open_videos"]

#: Frames a video may differ from its poses' frame count (at the video's rate).
FRAME_TOLERANCE = 2
_RATE_TOLERANCE = 0.01  # relative: 29.97 Hz is 30 Hz, 25 Hz is not


def check_videos(
    videos: Mapping[str, str | os.PathLike[str]],
    n_frames: Mapping[str, int],
    video_fps: Mapping[str, float | None] | None = None,
) -> dict[str, VideoInfo]:
    """Open every video and check its frame rate and length against its poses.

    Parameters
    ----------
    videos : mapping of str to path-like
        Sequence id -> its video file.
    n_frames : mapping of str to int
        Sequence id -> frames of its poses (at 30 Hz).
    video_fps : mapping of str to float or None, optional
        Sequence id -> the frame rate recorded with its poses (``Sequence.video_fps``);
        None or absent: not recorded.

    Returns
    -------
    dict of str to VideoInfo
        Sequence id -> the video's rate, frame count and size.

    Raises
    ------
    VideoError
        Naming the file: when it is missing or unreadable, its rate differs from the
        one recorded with the poses, or its length does not match theirs.
    """
    rates = dict(video_fps or {})
    return {
        sid: _checked(video_info(path), sid, int(n_frames[sid]), rates.get(sid))
        for sid, path in videos.items()
    }


def _checked(info: VideoInfo, sid: str, n_poses: int, recorded: float | None) -> VideoInfo:
    seconds = n_poses / FPS
    if recorded is not None and abs(info.fps - recorded) > _RATE_TOLERANCE * recorded:
        raise VideoError(
            f"{info.path}: filmed at {info.fps:g} Hz, but the poses of sequence {sid!r} were "
            f"imported from a {recorded:g} Hz video; give the video the poses were tracked "
            f"on, or import the poses again with --fps {info.fps:g}"
        )
    expected = video_frame_count(n_poses, info.fps)
    if abs(info.n_frames - expected) <= FRAME_TOLERANCE:
        return info
    hint = "give the video these poses were tracked on"
    if abs(info.n_frames - n_poses) <= FRAME_TOLERANCE and abs(info.fps - FPS) > 0.5:
        hint = (
            f"the poses have one frame per video frame, as if tracked at {info.fps:g} Hz but "
            f"read as {FPS} Hz: import them with `ethostyle import-pose ... --fps {info.fps:g}`"
        )
    raise VideoError(
        f"{info.path}: {info.n_frames} frames at {info.fps:g} Hz ({info.duration_s:.2f} s), "
        f"but the poses of sequence {sid!r} ({n_poses} frames at {FPS} Hz, {seconds:.2f} s) "
        f"need {expected} frames at that rate (give or take {FRAME_TOLERANCE}); {hint}"
    )


def open_videos(
    source: str | os.PathLike[str],
    n_frames: Mapping[str, int],
    video_fps: Mapping[str, float | None] | None = None,
) -> dict[str, VideoInfo]:
    """Find the video of every sequence (:func:`~ethostyle.video.matching.find_videos`)
    and check it against its poses (:func:`check_videos`).

    Parameters
    ----------
    source : path-like
        A folder of videos named by sequence id, or a CSV with columns ``sequence_id,video``.
    n_frames : mapping of str to int
        Sequence id -> frames of its poses (at 30 Hz); every one needs a video.
    video_fps : mapping of str to float or None, optional
        Sequence id -> the frame rate recorded with its poses.

    Returns
    -------
    dict of str to VideoInfo
        Sequence id -> its checked video.

    Raises
    ------
    VideoError
        Naming the folder, CSV or video file at fault.
    """
    return check_videos(find_videos(source, n_frames), n_frames, video_fps)
