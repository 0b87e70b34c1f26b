"""Pose snapshots of disagreement episodes: both mice at each episode's middle frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from ethostyle.compare import Comparison
from ethostyle.compare.episodes import EPISODE_KINDS
from ethostyle.errors import DataFormatError
from ethostyle.report.style import clock_time

__all__ = ["TRAIL_S", "episode_figure", "panel_grid"]

_SKELETON = ((0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (3, 5), (4, 6), (5, 6))
_MOUSE_COLORS = ("#222222", "#9a9a9a")  # resident, intruder
#: Seconds of movement drawn behind each mouse in an episode snapshot.
TRAIL_S = 2.0


def _nice_length(most: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``most`` (a scale bar's length).

    Examples
    --------
    >>> _nice_length(37.0), _nice_length(0.8)
    (20.0, 0.5)
    """
    power = 10.0 ** np.floor(np.log10(most))
    return float(max(f for f in (1.0, 2.0, 5.0) if f * power <= most) * power)


def _scale_bar(ax, half: float, px_per_cm: float | None) -> None:
    """A scale bar in the panel's lower left: about a quarter of its width, in cm when
    ``px_per_cm`` is given, else in px."""
    per_unit, unit = (1.0, "px") if px_per_cm is None else (float(px_per_cm), "cm")
    length = _nice_length(half / 2 / per_unit)
    ax.add_artist(
        AnchoredSizeBar(
            ax.transData,
            length * per_unit,
            f"{length:g} {unit}",
            "lower left",
            pad=0.3,
            borderpad=0.2,
            sep=2,
            size_vertical=half / 80,
            frameon=False,
            fontproperties={"size": "xx-small"},
        )
    )


def _snapshot(
    ax, keypoints: np.ndarray, middle: int, trail: int, px_per_cm: float | None = None
) -> None:
    """Both mice's keypoints at frame ``middle``, skeleton drawn, with their noses'
    paths over the ``trail`` frames before it; framed on the mice at ``middle``, with a
    scale bar."""
    start = max(middle - trail, 0)
    for mouse, color in enumerate(_MOUSE_COLORS):
        path = keypoints[start : middle + 1, mouse, :, 0]  # nose
        ax.plot(path[:, 0], path[:, 1], color=color, linewidth=0.8, alpha=0.5)
        xy = keypoints[middle, mouse].T  # (parts, 2)
        ax.add_collection(LineCollection(xy[np.array(_SKELETON)], colors=color, linewidths=1.4))
        ax.scatter(xy[:, 0], xy[:, 1], s=[22, *[6] * (len(xy) - 1)], color=color, zorder=3)
    now = keypoints[middle].transpose(1, 0, 2).reshape(2, -1)
    finite = np.isfinite(now).all(axis=0)
    if finite.any():
        lo, hi = now[:, finite].min(axis=1), now[:, finite].max(axis=1)
        centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2 * 1.5, 40.0)
        ax.set_xlim(centre[0] - half, centre[0] + half)
        ax.set_ylim(centre[1] + half, centre[1] - half)  # image coordinates: y down
        _scale_bar(ax, half, px_per_cm)
    else:
        ax.text(0.5, 0.5, "no pose tracked", transform=ax.transAxes, ha="center")
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[:].set_color("0.8")


def panel_grid(rows: int, columns: int, width_in: float) -> tuple[Figure, np.ndarray]:
    """A figure of ``rows`` x ``columns`` square snapshot panels, each with room for a title.

    Parameters
    ----------
    rows, columns : int
        The grid.
    width_in : float
        The figure's width in inches; the height follows from square panels.

    Returns
    -------
    figure : matplotlib.figure.Figure
    axes : numpy.ndarray
        ``(rows, columns)`` axes.
    """
    panel = width_in / columns
    title_in = 0.55
    height = rows * (panel - 0.1 + title_in) + 0.1
    figure = Figure(figsize=(width_in, height))
    # fixed spacing: a constrained layout of dozens of panels costs seconds
    figure.subplots_adjust(
        left=0.01,
        right=0.99,
        bottom=0.1 / height,
        top=1 - title_in / height,
        wspace=0.08,
        hspace=title_in / (panel - 0.1),
    )
    return figure, figure.subplots(rows, columns, squeeze=False)


def episode_figure(
    comparison: Comparison, episodes: pd.DataFrame, columns: int = 5, width_in: float = 10.0
) -> Figure:
    """Pose snapshots of one annotator's episodes: a row of panels per kind.

    Each panel shows both mice (resident black, intruder grey; the larger dot
    is the nose) at the episode's middle frame, framed on them, with the paths
    their noses took in the :data:`TRAIL_S` seconds before it (cut at the
    frame), and says who labels what there and
    when in the video the episode runs (``m:ss.s``), with its number.

    Parameters
    ----------
    comparison : Comparison
        A comparison with poses.
    episodes : pandas.DataFrame
        Rows of :attr:`Comparison.episodes` of one pair (e.g. from
        :func:`~ethostyle.compare.episodes.top_episodes`) with a ``number`` column.
    columns : int
        Panels per row; a kind with more episodes takes several rows.
    width_in : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The snapshots.

    Raises
    ------
    DataFormatError
        When the comparison has no poses.
    """
    if comparison.poses is None:
        raise DataFormatError(
            "episode snapshots need the poses of the compared videos; give a train- or "
            "test-layout file"
        )
    kinds = [k for k in EPISODE_KINDS if (episodes["kind"] == k).any()]
    layout = []  # (kind, rows of that kind's episodes)
    for kind in kinds:
        mine = episodes[episodes["kind"] == kind]
        layout += [(kind, mine.iloc[i : i + columns]) for i in range(0, len(mine), columns)]
    figure, axes = panel_grid(max(len(layout), 1), columns, width_in)
    for (kind, chunk), row in zip(layout, axes, strict=False):
        for ax, (_, episode) in zip(row, chunk.iterrows(), strict=False):
            _episode_panel(ax, comparison, kind, episode)
        for ax in row[len(chunk) :]:
            ax.set_axis_off()
    if not layout:
        axes[0, 0].text(0.5, 0.5, "no episode", ha="center", transform=axes[0, 0].transAxes)
        for ax in axes.flat:
            ax.set_axis_off()
    return figure


def _episode_panel(ax, comparison: Comparison, kind: str, episode: pd.Series) -> None:
    """One episode's snapshot, titled with its number, kind, video, time and labels."""
    sid = episode["video"]
    fps = comparison.video_fps.get(sid, comparison.fps)
    middle = (int(episode["start_frame"]) + int(episode["end_frame"]) - 1) // 2
    _snapshot(
        ax,
        comparison.poses[sid].keypoints,
        middle,
        round(TRAIL_S * fps),
        comparison.px_per_cm,
    )
    a, b = int(episode["annotator_a"]), int(episode["annotator_b"])
    ax.set_title(
        f"#{episode['number']} {kind} · {sid}\n"
        f"{clock_time(episode['start_s'])}–{clock_time(episode['end_s'])}\n"
        f"{a}: {episode['label_a']} · {b}: {episode['label_b']}",
        fontsize="x-small",
        loc="left",
    )
