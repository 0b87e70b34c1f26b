"""Video files: read them, check them against poses, draw poses on them, write clips.

- :mod:`~ethostyle.video.files`: frame rate, frame count and frames of a video (PyAV);
- :mod:`~ethostyle.video.writer`: H.264 MP4 files every browser plays;
- :mod:`~ethostyle.video.draw`: mice drawn on many frames at once (numpy);
- :mod:`~ethostyle.video.render`: the simulator's top-view videos, drawn from poses;
- :mod:`~ethostyle.video.matching`: which video shows which sequence (a folder or a CSV);
- :mod:`~ethostyle.video.checks`: every video against its poses, before any work.
"""

from ethostyle.video.checks import FRAME_TOLERANCE, check_videos, open_videos
from ethostyle.video.files import POSE_SCALE_TAG, VideoInfo, iter_frames, video_info
from ethostyle.video.matching import VIDEO_SUFFIXES, find_videos
from ethostyle.video.render import FRAME_SIZE, RENDER_WIDTH, render_video, render_videos
from ethostyle.video.writer import even_size, write_mp4

__all__ = [
    "FRAME_SIZE",
    "FRAME_TOLERANCE",
    "POSE_SCALE_TAG",
    "RENDER_WIDTH",
    "VIDEO_SUFFIXES",
    "VideoInfo",
    "check_videos",
    "even_size",
    "find_videos",
    "iter_frames",
    "open_videos",
    "render_video",
    "render_videos",
    "video_info",
    "write_mp4",
]
