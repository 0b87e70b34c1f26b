"""The ethogram: one video's labels in every compared style, wrapped into strips."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ethostyle.bouts import bout_table
from ethostyle.compare import Comparison
from ethostyle.data import BEHAVIORS
from ethostyle.errors import DataFormatError
from ethostyle.report.style import BEHAVIOR_COLORS, tick_label

__all__ = ["ethogram_figure"]

#: Inches per annotator row of the ethogram, and where in a row (in row units, y pointing
#: down) its behaviour bars, its episode bars and the lane for episode numbers lie: the
#: lane ends where the next row's bars begin, so a number never touches them.
_ROW_IN = 0.3
_BAR = (-0.42, 0.06)
_EPISODE = (0.09, 0.17)
_LANE_END = _BAR[0] + 1.0
_NUMBER_PT = 6.0


def _strip_seconds(duration_s: float) -> float:
    """Length of one strip of the wrapped ethogram: the whole video up to a minute, else a
    minute (at most 15 strips: longer videos get longer strips, in whole minutes)."""
    if duration_s <= 60:
        return max(duration_s, 1.0)
    return 60.0 * max(1, int(np.ceil(duration_s / 60.0 / 15)))


def _episode_numbers(
    marked: pd.DataFrame | None,
    sid: str,
    fps: float,
    rows: tuple[int, ...],
    strip: float,
    width_in: float,
) -> list[tuple[float, int, str]]:
    """``(time, row, text)`` of the episode numbers of one video; numbers of one row
    that would overlap in the same strip are joined ("12, 13") at their mean time."""
    if marked is None:
        return []
    here = marked[marked["video"] == sid]
    if here.empty:
        return []
    middle = (here["start_frame"].to_numpy() + here["end_frame"].to_numpy()) / 2 / fps
    row = np.array([rows.index(int(a)) for a in here["annotator_b"]])
    number = here["number"].to_numpy()
    # a digit is about 0.6 em wide; the axes take about 0.9 of the figure's width
    s_per_char = 0.6 * _NUMBER_PT / 72 / (0.9 * width_in) * strip
    out: list[tuple[float, int, str]] = []

    def emit(group: list[int]) -> None:
        text = ", ".join(str(number[j]) for j in group)
        first = float(middle[group[0]] // strip) * strip
        half = s_per_char * (len(text) / 2 + 0.5)  # kept inside its strip
        x = min(max(float(np.mean(middle[group])), first + half), first + strip - half)
        out.append((x, int(row[group[0]]), text))

    group: list[int] = []
    for i in np.lexsort((middle, row)):  # the shown episodes (a few dozen), not frames
        if group:
            last = group[-1]
            same = row[i] == row[last] and middle[i] // strip == middle[last] // strip
            width = len(", ".join(str(number[j]) for j in group)) / 2 + len(str(number[i])) / 2
            if same and middle[i] - float(np.mean(middle[group])) < s_per_char * (width + 2):
                group.append(i)
                continue
            emit(group)
        group = [i]
    if group:
        emit(group)
    return out


def ethogram_figure(
    comparison: Comparison,
    sequence_id: str | None = None,
    width_in: float = 10.0,
    *,
    marked: pd.DataFrame | None = None,
) -> Figure:
    """One video's labels in every compared style: a row per annotator, time on x.

    The video is wrapped into strips of at most a minute (longer strips only past
    15 minutes), like lines of text, so that a 10-minute video keeps about 15 px
    per second on a 10-inch figure at 100 dpi and a half-second episode stays
    visible (``tests/test_report.py`` checks it). Under
    each annotator's row, black bars mark its disagreement episodes with the
    reference (:attr:`Comparison.episodes`); those in ``marked`` carry their number.

    Parameters
    ----------
    comparison : Comparison
        The comparison.
    sequence_id : str, optional
        Which video; the one whose labels differ most from the reference's by default
        (:meth:`Comparison.most_disputed_video`).
    width_in : float
        Figure width in inches.
    marked : pandas.DataFrame, optional
        Episodes to number (rows of :attr:`Comparison.episodes` with a ``number`` column).

    Returns
    -------
    matplotlib.figure.Figure
        The ethogram; ``other`` frames are left blank.

    Raises
    ------
    DataFormatError
        When ``sequence_id`` is not a compared video.
    """
    sid = comparison.most_disputed_video() if sequence_id is None else sequence_id
    if sid not in comparison.sequence_ids:
        raise DataFormatError(
            f"sequence {sid!r} is not in the comparison; choose one of "
            f"{list(comparison.sequence_ids)[:5]}"
        )
    rows = comparison.annotators
    fps = comparison.video_fps.get(sid, comparison.fps)
    n_frames = len(comparison.labels[comparison.reference][sid])
    duration = n_frames / fps
    strip = _strip_seconds(duration)
    n_strips = max(1, int(np.ceil(duration / strip - 1e-9)))
    strip_in = 0.42 + _ROW_IN * len(rows)
    figure = Figure(figsize=(width_in, 0.7 + strip_in * n_strips), layout="constrained")
    axes = np.atleast_1d(figure.subplots(n_strips, 1, squeeze=False)[:, 0])
    bouts = {a: bout_table(comparison.labels[a][sid]) for a in rows}
    episodes = comparison.episodes
    episodes = episodes[
        (episodes["video"] == sid) & (episodes["annotator_a"] == comparison.reference)
    ]
    numbers = _episode_numbers(marked, sid, fps, rows, strip, width_in)
    for k, ax in enumerate(axes):
        _draw_rows(ax, rows, bouts, episodes, fps)
        for x, row, text in numbers:
            if k * strip <= x < (k + 1) * strip:
                # in the row's own lane under its episode bars: clear of the next row
                ax.text(
                    x, row + _EPISODE[1] + 0.02, text, ha="center", va="top", fontsize=_NUMBER_PT
                )
        _style_strip(ax, comparison, k * strip, (k + 1) * strip, duration)
    axes[-1].set_xlabel("time in the video (m:ss)")
    axes[0].set_title(
        f"Video {sid} in each annotator's style ({comparison.source})",
        loc="left",
        fontsize="medium",
    )
    handles = [Patch(color=BEHAVIOR_COLORS[b], label=b) for b in BEHAVIORS]
    handles.append(Patch(color="black", label=f"episode: differs from {comparison.reference}"))
    figure.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False)
    figure.get_layout_engine().set(rect=(0, 0, 1, 1 - 0.35 / (0.7 + strip_in * n_strips)))
    return figure


def _draw_rows(ax, rows: tuple[int, ...], bouts: dict, episodes: pd.DataFrame, fps: float) -> None:
    """Each annotator's behaviour bars, and its episode bars under them."""
    for row, annotator in enumerate(rows):
        for behavior in BEHAVIORS:
            mine = bouts[annotator].of(behavior)
            spans = np.column_stack([mine.start, mine.length]) / fps
            ax.broken_barh(
                spans.tolist(),
                (row + _BAR[0], _BAR[1] - _BAR[0]),
                facecolors=BEHAVIOR_COLORS[behavior],
            )
        mine = episodes[episodes["annotator_b"] == annotator]
        spans = (
            np.column_stack([mine["start_frame"], mine["end_frame"] - mine["start_frame"]]) / fps
        )
        ax.broken_barh(
            spans.tolist(), (row + _EPISODE[0], _EPISODE[1] - _EPISODE[0]), facecolors="black"
        )


def _style_strip(ax, comparison: Comparison, start: float, end: float, duration: float) -> None:
    """Name the rows, set the strip's time axis and grey out what lies past the video."""
    rows = comparison.annotators
    names = [f"{a} (ref.)" if a == comparison.reference else str(a) for a in rows]
    ax.set_yticks(np.arange(len(rows)) + (_BAR[0] + _BAR[1]) / 2, names)
    ax.set_ylabel("annotator", fontsize="small")
    ax.tick_params(axis="y", labelsize="small", length=0)
    ax.set_ylim(len(rows) - 1 + _LANE_END, _BAR[0] - 0.08)
    ax.set_xlim(start, end)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [tick_label(t) for t in ticks], fontsize="small")
    ax.set_xlim(start, end)
    ax.spines[["top", "right", "left"]].set_visible(False)
    if duration < end:
        ax.axvspan(duration, end, color="0.95", zorder=0)
