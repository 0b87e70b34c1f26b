"""Video clips of disagreement episodes: the lab's footage, the poses over it, both labels.

For the longest episodes of each kind (against the reference), :func:`write_episode_clips`
cuts the episode plus :data:`PAD_S` seconds each side out of the sequence's video,
draws both mice's skeletons over it (when the comparison has poses), and puts above it
a timeline of both annotators' labels with the current frame marked. The clips are
H.264 MP4 files beside the report, which :func:`clip_section` embeds as ``<video>``
elements with relative paths.

The timeline is drawn once per clip with matplotlib (it carries text); only the
moving marker is drawn per frame, in numpy, on all frames at once.

Examples
--------
>>> clips = write_episode_clips(comparison, videos, "report/clips")  # doctest: +SKIP
>>> clip_section(clips, "report")  # doctest: +SKIP
'<section>...'
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ethostyle.bouts import bout_table
from ethostyle.compare import Comparison
from ethostyle.compare.episodes import longest_episodes
from ethostyle.data import FPS, VOCABULARY, Dataset
from ethostyle.progress import NULL_PROGRESS, Progress
from ethostyle.report import page
from ethostyle.report.style import BEHAVIOR_COLORS, clock_time
from ethostyle.video import VideoInfo, even_size, iter_frames, write_mp4
from ethostyle.video.draw import draw_dots, draw_segments, mouse_skeletons

__all__ = [
    "CLIPS_PER_KIND",
    "CLIP_WIDTH",
    "MAX_EPISODE_S",
    "PAD_S",
    "EpisodeClip",
    "clip_episodes",
    "clip_section",
    "write_episode_clips",
    "write_stretch_clips",
]

#: Clips cut per kind of episode (the longest episodes of that kind, any annotator).
CLIPS_PER_KIND = 2
#: Seconds of video shown before and after each episode.
PAD_S = 1.0
#: Longest stretch of an episode a clip shows (its start); the caption says when cut.
MAX_EPISODE_S = 20.0
#: Width of a clip in pixels (the video is scaled to it; the timeline spans it).
CLIP_WIDTH = 480
_TIMELINE_HEIGHT = 88
_MICE = ((255, 140, 0), (0, 170, 255))  # resident orange, intruder blue
_MARKER = (220, 0, 0)
#: Clips side by side, as many as the page's width holds (the page's own CSS is shared).
_FIGURE_STYLE = f"display:inline-block;vertical-align:top;width:{CLIP_WIDTH}px;margin:0 1rem 1rem 0"


@dataclass(frozen=True, slots=True)
class EpisodeClip:
    """One episode's clip.

    Attributes
    ----------
    path : Path
        The MP4 file.
    video : str
        Sequence id.
    kind : str
        The episode's kind (:data:`~ethostyle.compare.episodes.EPISODE_KINDS`).
    annotator_a, annotator_b : int
        The two annotators (*a* is the reference).
    label_a, label_b : str
        What each labels during the episode.
    start_s, end_s : float
        The episode, in seconds of the video.
    clip_start_s, clip_end_s : float
        What the clip shows, in seconds of the video.
    """

    path: Path
    video: str
    kind: str
    annotator_a: int
    annotator_b: int
    label_a: str
    label_b: str
    start_s: float
    end_s: float
    clip_start_s: float
    clip_end_s: float


def clip_episodes(episodes: pd.DataFrame, reference: int, per_kind: int) -> pd.DataFrame:
    """The episodes to cut: of each kind, the ``per_kind`` longest against ``reference``.

    Parameters
    ----------
    episodes : pandas.DataFrame
        :attr:`Comparison.episodes <ethostyle.compare.Comparison>`.
    reference : int
        Only pairs with the reference as *a* are taken.
    per_kind : int
        Episodes per kind.

    Returns
    -------
    pandas.DataFrame
        The chosen rows, by kind (in :data:`EPISODE_KINDS` order), longest first.
    """
    return longest_episodes(episodes, reference, per_kind, per_annotator=False)


def write_episode_clips(
    comparison: Comparison,
    videos: Mapping[str, VideoInfo],
    out_dir: str | os.PathLike[str],
    *,
    per_kind: int = CLIPS_PER_KIND,
    progress: Progress = NULL_PROGRESS,
) -> list[EpisodeClip]:
    """Cut a clip of the longest episodes of each kind out of the sequences' videos.

    Parameters
    ----------
    comparison : Comparison
        The comparison whose episodes to show.
    videos : mapping of str to VideoInfo
        Sequence id -> its checked video (:func:`ethostyle.video.open_videos`).
    out_dir : path-like
        Folder for the MP4 files (created if missing).
    per_kind : int
        Episodes cut per kind.
    progress : Progress, optional
        Advanced by one per clip.

    Returns
    -------
    list of EpisodeClip
        The clips written, by kind, longest first.
    """
    out = Path(out_dir)
    chosen = clip_episodes(comparison.episodes, comparison.reference, per_kind)
    chosen = chosen[chosen["video"].isin(list(videos))]
    advance = progress.task("cutting episode clips", len(chosen))
    clips = []
    for number, (_, episode) in enumerate(chosen.iterrows(), start=1):
        info = videos[episode["video"]]
        clips.append(_write_clip(comparison.labels, comparison.poses, info, episode, out, number))
        advance(1)
    return clips


def write_stretch_clips(
    stretches: Sequence[tuple[str, int, int]],
    labels: Mapping[int, Mapping[str, np.ndarray]],
    poses: Dataset,
    videos: Mapping[str, VideoInfo],
    out_dir: str | os.PathLike[str],
    *,
    progress: Progress = NULL_PROGRESS,
) -> list[Path]:
    """Cut one clip per stretch to label, with the poses over it and two styles' labels above.

    The clips of :func:`write_episode_clips`, without the padding or the cut at
    :data:`MAX_EPISODE_S`: each shows exactly the video frames of its stretch
    (``ethostyle suggest --videos``).

    Parameters
    ----------
    stretches : sequence of (str, int, int)
        ``(sequence id, start, stop)`` in 30 Hz pose frames, best first.
    labels : mapping of int to mapping of str to numpy.ndarray
        Two annotators' labels of each stretch's video (30 Hz): the first key is
        drawn as the reference, the last as the style.
    poses : Dataset
        The poses of the videos.
    videos : mapping of str to VideoInfo
        Sequence id -> its checked video (:func:`ethostyle.video.open_videos`).
    out_dir : path-like
        Folder for the MP4 files (created if missing).
    progress : Progress, optional
        Advanced by one per clip.

    Returns
    -------
    list of pathlib.Path
        The clips, in the stretches' order, named ``NN_<sequence>_<start s>s.mp4``.
    """
    keys = list(labels)
    reference, annotator = keys[0], keys[-1]  # one key: the same labels twice
    advance = progress.task("cutting stretch clips", len(stretches))
    paths = []
    for number, (sid, start, stop) in enumerate(stretches, start=1):
        stretch = pd.Series(
            {"video": sid, "kind": "stretch", "annotator_a": reference,
             "annotator_b": annotator, "label_a": "", "label_b": "", "start_frame": start,
             "end_frame": stop, "start_s": start / FPS, "end_s": stop / FPS}
        )  # fmt: skip
        name = f"{number:02d}_{_safe(sid)}_{start / FPS:.1f}s.mp4"
        clip = _write_clip(labels, poses, videos[sid], stretch, Path(out_dir), number,
                           pad_s=0.0, name=name)  # fmt: skip
        paths.append(clip.path)
        advance(1)
    return paths


@dataclass(frozen=True, slots=True)
class _Span:
    """A clip's frames: 30 Hz pose frames ``[first, stop)`` and video frames ``[v0, v1)``."""

    first: int
    stop: int
    v0: int
    v1: int
    fps: float

    def pose_frames(self, n_poses: int) -> np.ndarray:
        """The 30 Hz frame nearest in time to each video frame of the clip."""
        times = np.arange(self.v0, self.v1) / self.fps
        return np.clip(np.rint(times * FPS).astype(np.int64), 0, n_poses - 1)


def _span(episode: pd.Series, n_poses: int, fps: float, pad_s: float) -> _Span:
    start = int(episode["start_frame"])
    end = int(episode["end_frame"])
    if pad_s:  # an episode's clip: padded, and at most MAX_EPISODE_S of the episode
        end = min(end, start + round(MAX_EPISODE_S * FPS))
    first = max(start - round(pad_s * FPS), 0)
    stop = min(end + round(pad_s * FPS), n_poses)
    # the video frames whose instants fall within the pose frames' [first, stop - 1]
    v0 = int(np.ceil(first * fps / FPS - 1e-9))
    v1 = int(np.floor((stop - 1) * fps / FPS + 1e-9)) + 1
    return _Span(first, stop, v0, max(v1, v0 + 1), fps)


def _write_clip(
    labels: Mapping[int, Mapping[str, np.ndarray]],
    poses_of: Dataset | None,
    info: VideoInfo,
    episode: pd.Series,
    out: Path,
    number: int,
    *,
    pad_s: float = PAD_S,
    name: str | None = None,
) -> EpisodeClip:
    sid = str(episode["video"])
    a, b = int(episode["annotator_a"]), int(episode["annotator_b"])
    n_poses = len(labels[a][sid])
    span = _span(episode, n_poses, info.fps, pad_s)
    size = even_size(CLIP_WIDTH, CLIP_WIDTH * info.height / info.width)
    panel, marker = _timeline(labels, episode, span, size[0])
    keypoints = None if poses_of is None else poses_of[sid].keypoints
    scale = size[0] / info.width * info.pose_scale
    poses = None if keypoints is None else keypoints[span.pose_frames(n_poses)]
    chunks = _frames(info, span, size, poses, scale, panel, marker)
    name = name or f"{number:02d}_{episode['kind']}_{_safe(sid)}_{a}_vs_{b}.mp4"
    path = write_mp4(chunks, out / name, info.fps)
    return EpisodeClip(
        path=path,
        video=sid,
        kind=str(episode["kind"]),
        annotator_a=a,
        annotator_b=b,
        label_a=str(episode["label_a"]),
        label_b=str(episode["label_b"]),
        start_s=float(episode["start_s"]),
        end_s=float(episode["end_s"]),
        clip_start_s=span.v0 / info.fps,
        clip_end_s=span.v1 / info.fps,
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:60]


def _frames(
    info: VideoInfo,
    span: _Span,
    size: tuple[int, int],
    poses: np.ndarray | None,
    scale: float,
    panel: np.ndarray,
    marker: tuple[np.ndarray, np.ndarray],
) -> Iterator[np.ndarray]:
    """The clip's frames, a chunk at a time: the video, the poses (one per video frame)
    over it, the timeline above it (where a player's controls do not cover it) with each
    frame's marker."""
    width, height = size
    done = 0
    for chunk in iter_frames(info, span.v0, span.v1, width=width, height=height):
        n = len(chunk)
        if poses is not None:
            now = poses[done : done + n]
            for mouse, color in enumerate(_MICE):
                draw_segments(chunk, mouse_skeletons(now, mouse, scale), color, width=2)
                draw_dots(chunk, now[:, mouse, None, :, 0] * scale, color, radius=3.0)
        out = np.empty((n, panel.shape[0] + height, width, 3), np.uint8)
        out[:, : panel.shape[0]] = panel
        out[:, panel.shape[0] :] = chunk
        xs = marker[0][done : done + n, None] + np.arange(-1, 1)  # 2 px wide
        rows = marker[1]
        inside = (xs >= 0) & (xs < width)
        f = np.broadcast_to(np.arange(n)[:, None], xs.shape)
        out[f[inside][:, None], rows[None, :], xs[inside][:, None]] = _MARKER
        done += n
        yield out


def _timeline(
    labels_of: Mapping[int, Mapping[str, np.ndarray]], episode: pd.Series, span: _Span, width: int
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The timeline panel (``(height, width, 3)`` uint8) of both annotators' labels over
    the clip, and where the marker goes: each video frame's column, and the rows."""
    sid = str(episode["video"])
    a, b = int(episode["annotator_a"]), int(episode["annotator_b"])
    t0, t1 = span.first / FPS, span.stop / FPS
    figure = Figure(figsize=(width / 100, _TIMELINE_HEIGHT / 100), dpi=100)
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_axes((0.2, 0.36, 0.78, 0.58))
    for row, annotator in enumerate((a, b)):
        labels = labels_of[annotator][sid][span.first : span.stop]
        bouts = bout_table(labels)
        for start, stop, label in zip(bouts.start, bouts.stop, bouts.label, strict=True):
            color = BEHAVIOR_COLORS.get(VOCABULARY[int(label)])
            if color is not None:
                ax.broken_barh([(t0 + start / FPS, (stop - start) / FPS)], (1 - row, 0.8),
                               color=color)  # fmt: skip
    e0, e1 = float(episode["start_s"]), float(episode["end_s"])
    ax.axvspan(e0, min(e1, t1), color="0.85", zorder=0)
    ax.set_xlim(t0, t1)
    ax.set_ylim(0, 2)
    ax.set_yticks([1.4, 0.4], [f"ann. {a} (ref.)", f"ann. {b}"], fontsize=6)
    ticks = (e0, min(e1, t1))  # the episode's start and end, as the caption gives them
    ax.set_xticks(ticks, [clock_time(t) for t in ticks], fontsize=6)
    first, last = ax.get_xticklabels()
    first.set_horizontalalignment("left" if ticks[0] <= t0 else "center")  # inside the panel
    last.set_horizontalalignment("right" if ticks[1] >= t1 else "center")
    ax.tick_params(length=2, pad=1)
    handles = [Patch(color=c, label=b) for b, c in BEHAVIOR_COLORS.items()]
    figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.59, 0.0), ncol=3,
                  fontsize=6, frameon=False, handlelength=1, borderpad=0.1)  # fmt: skip
    canvas.draw()
    panel = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    box = ax.get_window_extent()  # display pixels, from the lower left
    times = np.arange(span.v0, span.v1) / span.fps
    columns = np.rint(box.x0 + (times - t0) / (t1 - t0) * box.width).astype(np.intp)
    rows = np.arange(int(panel.shape[0] - box.y1), int(np.ceil(panel.shape[0] - box.y0)))
    return panel, (columns, rows)


def clip_section(clips: Sequence[EpisodeClip], report_dir: str | os.PathLike[str]) -> str:
    """The report's section that plays the clips (``<video>`` with paths relative to the
    report's folder, so the folder can be moved or shared whole).

    Parameters
    ----------
    clips : sequence of EpisodeClip
        From :func:`write_episode_clips`.
    report_dir : path-like
        The folder of ``report.html``.

    Returns
    -------
    str
        The section's HTML.
    """
    parts = [
        page.paragraph(
            f"The longest episodes of each kind, as video: each clip runs from {PAD_S:g} s "
            f"before the episode to {PAD_S:g} s after it (at most {MAX_EPISODE_S:g} s of the "
            "episode), with both mice's skeletons drawn over the footage (resident orange, "
            "intruder blue). Above it, both annotators' labels (colours are behaviours, blank "
            "is other; the grey band is the episode) and a red line at the frame shown. The "
            "clips are MP4 files in the clips folder beside this page; keep them together."
        )
    ]
    for clip in clips:
        src = Path(os.path.relpath(clip.path, Path(report_dir))).as_posix()
        cut = " (the clip shows its start)" if clip.end_s - clip.start_s > MAX_EPISODE_S else ""
        caption = (
            f"{clip.kind} · video {clip.video} · {clock_time(clip.start_s)}–"
            f"{clock_time(clip.end_s)}{cut} · annotator {clip.annotator_a}: {clip.label_a}, "
            f"annotator {clip.annotator_b}: {clip.label_b}"
        )
        parts.append(
            f'<figure class="clip" style="{_FIGURE_STYLE}"><video src="{html.escape(src)}" '
            f'controls loop muted playsinline preload="metadata" width="{CLIP_WIDTH}"></video>'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    return page.section("Episodes on video", *parts)
