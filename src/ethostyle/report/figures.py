"""The report's figures, drawn with matplotlib's object API (no pyplot, no global state).

Every function returns a :class:`matplotlib.figure.Figure`; :func:`png_bytes`
renders one to PNG. Colours are fixed per behaviour (:data:`BEHAVIOR_COLORS`) so
that every figure of a report reads the same way.

Examples
--------
>>> from ethostyle.compare import compare_annotators
>>> from ethostyle.simulate import simulate
>>> comparison = compare_annotators(simulate("tiny", seed=0).shared)
>>> png_bytes(ethogram_figure(comparison))[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from ethostyle.bouts import bout_table
from ethostyle.compare import Comparison, frame_groups
from ethostyle.compare.episodes import EPISODE_KINDS
from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.errors import DataFormatError

__all__ = [
    "ANNOTATOR_COLORS",
    "BEHAVIOR_COLORS",
    "SHIFT_CLIP_S",
    "TRAIL_S",
    "clock_time",
    "disagreement_figure",
    "episode_figure",
    "ethogram_figure",
    "pairwise_figure",
    "png_bytes",
    "shift_figure",
    "threshold_figure",
]

#: One colour per behaviour, used by every figure (colour-blind-safe Okabe-Ito hues).
BEHAVIOR_COLORS: dict[str, str] = {
    "attack": "#D55E00",
    "investigation": "#0072B2",
    "mount": "#009E73",
}
_REFERENCE_COLOR = "#222222"
#: Line colours of the other annotators, in order, with a dash pattern each so that
#: two lines stay apart even where hues are hard to tell. Every colour differs from
#: every other by a CIELAB distance above 30 (``tests/test_report.py`` checks it);
#: the palette once had a pale yellow beside an orange, hard to tell apart.
ANNOTATOR_COLORS: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#332288",  # indigo
    "#117733",  # dark green
    "#999999",  # grey
)
_ANNOTATOR_DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)))
#: Shifts beyond this many seconds are drawn at the edge of the shift plot, as
#: triangles, and counted in the panel.
SHIFT_CLIP_S = 2.0


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _annotator_name(comparison: Comparison, annotator: int) -> str:
    suffix = " (reference)" if annotator == comparison.reference else ""
    return f"annotator {annotator}{suffix}"


def _annotator_color(comparison: Comparison, annotator: int) -> str:
    if annotator == comparison.reference:
        return _REFERENCE_COLOR
    others = [a for a in comparison.annotators if a != comparison.reference]
    return ANNOTATOR_COLORS[others.index(annotator) % len(ANNOTATOR_COLORS)]


def _annotator_dashes(comparison: Comparison, annotator: int) -> str | tuple:
    if annotator == comparison.reference:
        return "-"
    others = [a for a in comparison.annotators if a != comparison.reference]
    return _ANNOTATOR_DASHES[others.index(annotator) % len(_ANNOTATOR_DASHES)]


def _behavior_legend(figure: Figure) -> None:
    handles = [Patch(color=BEHAVIOR_COLORS[b], label=b) for b in BEHAVIORS]
    figure.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False)


def _strip_seconds(duration_s: float) -> float:
    """Length of one strip of the wrapped ethogram: the whole video up to a minute, else a
    minute (at most 15 strips: longer videos get longer strips, in whole minutes)."""
    if duration_s <= 60:
        return max(duration_s, 1.0)
    return 60.0 * max(1, int(np.ceil(duration_s / 60.0 / 15)))


def clock_time(seconds: float) -> str:
    """``m:ss.s`` (or ``h:mm:ss.s``) of a time in the video, as a video player shows it.

    Examples
    --------
    >>> clock_time(83.4), clock_time(3725.0)
    ('1:23.4', '1:02:05.0')
    """
    minutes, rest = divmod(float(seconds), 60.0)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{rest:04.1f}" if hours else f"{minutes}:{rest:04.1f}"


def _tick_label(seconds: float) -> str:
    """``m:ss`` for whole seconds, else :func:`clock_time`."""
    if float(seconds).is_integer():
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes}:{rest:02d}"
    return clock_time(seconds)


#: Inches per annotator row of the ethogram, and where in a row (in row units, y pointing
#: down) its behaviour bars, its episode bars and the lane for episode numbers lie: the
#: lane ends where the next row's bars begin, so a number never touches them.
_ROW_IN = 0.3
_BAR = (-0.42, 0.06)
_EPISODE = (0.09, 0.17)
_LANE_END = _BAR[0] + 1.0
_NUMBER_PT = 6.0


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
                np.column_stack([mine["start_frame"], mine["end_frame"] - mine["start_frame"]])
                / fps
            )
            ax.broken_barh(
                spans.tolist(), (row + _EPISODE[0], _EPISODE[1] - _EPISODE[0]), facecolors="black"
            )
        for x, row, text in numbers:
            if k * strip <= x < (k + 1) * strip:
                # in the row's own lane under its episode bars: clear of the next row
                ax.text(
                    x, row + _EPISODE[1] + 0.02, text, ha="center", va="top", fontsize=_NUMBER_PT
                )
        names = [f"{a} (ref.)" if a == comparison.reference else str(a) for a in rows]
        ax.set_yticks(np.arange(len(rows)) + (_BAR[0] + _BAR[1]) / 2, names)
        ax.set_ylabel("annotator", fontsize="small")
        ax.tick_params(axis="y", labelsize="small", length=0)
        ax.set_ylim(len(rows) - 1 + _LANE_END, _BAR[0] - 0.08)
        ax.set_xlim(k * strip, (k + 1) * strip)
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [_tick_label(t) for t in ticks], fontsize="small")
        ax.set_xlim(k * strip, (k + 1) * strip)
        ax.spines[["top", "right", "left"]].set_visible(False)
        if duration < (k + 1) * strip:
            ax.axvspan(duration, (k + 1) * strip, color="0.95", zorder=0)
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


def _grouped_bars(ax, comparison: Comparison, column: str, scale: float = 1.0) -> None:
    """Bars of ``column`` per annotator (x) and behaviour (colour)."""
    table = comparison.table.set_index(["annotator", "behavior"])
    x = np.arange(len(comparison.annotators))
    width = 0.8 / len(BEHAVIORS)
    for i, behavior in enumerate(BEHAVIORS):
        values = [table.loc[(a, behavior), column] * scale for a in comparison.annotators]
        ax.bar(x + (i - 1) * width, values, width, color=BEHAVIOR_COLORS[behavior])
    ax.set_xticks(x, [str(a) for a in comparison.annotators])
    ax.set_xlabel(f"annotator (reference: {comparison.reference})")
    ax.spines[["top", "right"]].set_visible(False)


def disagreement_figure(comparison: Comparison, width_in: float = 10.0) -> Figure:
    """Bar charts per annotator: frame share, mean bout length, median onset and offset shift.

    Shifts are medians over matched bouts, other minus reference (negative:
    earlier); the grey band is the summary's no-difference threshold.
    """
    figure = Figure(figsize=(width_in, 0.62 * width_in), layout="constrained")
    axes = figure.subplots(2, 2)
    panels = (
        ("frame_share", 100.0, "frames labelled (%)"),
        ("mean_bout_s", 1.0, "mean bout length (s)"),
        ("onset_shift_s", 1.0, "onset shift vs reference (s)"),
        ("offset_shift_s", 1.0, "offset shift vs reference (s)"),
    )
    band = comparison.no_difference.shift_s
    for ax, (column, scale, title) in zip(axes.flat, panels, strict=True):
        _grouped_bars(ax, comparison, column, scale)
        ax.set_title(title, loc="left")
        if column.endswith("shift_s"):
            ax.axhspan(-band, band, color="0.9", zorder=0)
            ax.axhline(0, color="0.3", linewidth=0.8)
    _behavior_legend(figure)
    figure.get_layout_engine().set(rect=(0, 0, 1, 0.94))
    return figure


def shift_figure(comparison: Comparison, width_in: float = 10.0) -> Figure:
    """Onset and offset shift of every matched bout, per annotator and behaviour.

    Each dot is one pair of overlapping bouts (this annotator minus the
    reference, in seconds); the black tick is the median of all of them. Shifts
    beyond ±:data:`SHIFT_CLIP_S` s are drawn at the edge as triangles (pointing
    the way they go), and each panel says how many there are.
    """
    figure = Figure(figsize=(width_in, 0.42 * width_in), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    pairs = comparison.bout_pairs
    others = [a for a in comparison.annotators if a != comparison.reference]
    rng = np.random.default_rng(0)  # fixed jitter: the same figure every run
    width = 0.8 / len(BEHAVIORS)
    band = comparison.no_difference.shift_s
    for ax, column, title in zip(
        axes,
        ("onset_shift_frames", "offset_shift_frames"),
        ("onset shift", "offset shift"),
        strict=True,
    ):
        n_all = n_out = 0
        for i, behavior in enumerate(BEHAVIORS):
            for x, annotator in enumerate(others):
                mine = pairs[(pairs["annotator"] == annotator) & (pairs["behavior"] == behavior)]
                if mine.empty:
                    continue
                raw = mine[column].to_numpy() / comparison.fps
                shift = np.clip(raw, -SHIFT_CLIP_S, SHIFT_CLIP_S)
                inside = np.abs(raw) <= SHIFT_CLIP_S
                n_all, n_out = n_all + raw.size, n_out + int((~inside).sum())
                centre = x + (i - 1) * width
                jitter = centre + rng.uniform(-0.3, 0.3, shift.size) * width
                color = BEHAVIOR_COLORS[behavior]
                ax.scatter(jitter[inside], shift[inside], s=9, color=color, alpha=0.6, linewidths=0)
                for sign, marker in ((1, "^"), (-1, "v")):
                    out = sign * raw > SHIFT_CLIP_S
                    ax.scatter(jitter[out], shift[out], s=16, marker=marker, color=color)
                ax.plot(
                    [centre - width / 2, centre + width / 2],
                    [np.clip(np.median(raw), -SHIFT_CLIP_S, SHIFT_CLIP_S)] * 2,
                    color="black",
                    linewidth=2,
                )
        ax.axhspan(-band, band, color="0.9", zorder=0)
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.set_xticks(range(len(others)), [str(a) for a in others])
        ax.set_xlabel(f"annotator (minus reference {comparison.reference})")
        ax.set_title(f"{title} per matched bout (s; negative = earlier)", loc="left")
        ax.set_ylim(-SHIFT_CLIP_S * 1.08, SHIFT_CLIP_S * 1.08)
        ax.text(
            0.99,
            0.99,
            f"{n_out} of {n_all} shifts lie beyond ±{SHIFT_CLIP_S:g} s (drawn as ▲▼ at the edge)"
            if n_out
            else f"all {n_all} shifts within ±{SHIFT_CLIP_S:g} s",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
            color="0.25",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
            zorder=5,
        )
        ax.spines[["top", "right"]].set_visible(False)
    _behavior_legend(figure)
    figure.get_layout_engine().set(rect=(0, 0, 1, 0.9))
    return figure


def threshold_figure(comparison: Comparison, width_in: float = 10.0) -> Figure:
    """Where each style draws the line: pose features on the frames it labels.

    One panel per behaviour (rows) and interpretable feature (columns): the
    distribution of the feature over the frames each annotator labels with that
    behaviour (reference in black), so a looser or stricter definition shows
    as a distribution reaching further or less far.

    Raises
    ------
    DataFormatError
        When the comparison has no poses.
    """
    specs = comparison.feature_specs
    features = {name: comparison.pooled_feature(name) for name in specs}
    reference = comparison.pooled_labels(comparison.reference)
    shown = [b for b in BEHAVIORS if (reference == VOCABULARY.index(b)).any()] or list(BEHAVIORS)
    figure = Figure(figsize=(width_in, 0.8 + 2.3 * len(shown)), layout="constrained")
    axes = np.atleast_2d(figure.subplots(len(shown), len(specs), squeeze=False))
    labelled = {
        (a, b): frame_groups(reference, comparison.pooled_labels(a), b)["labelled"]
        for a in comparison.annotators
        for b in shown
    }
    for col, (name, feature) in enumerate(specs.items()):
        values = features[name]
        for row, behavior in enumerate(shown):
            ax = axes[row, col]
            picked = {a: values[labelled[(a, behavior)]] for a in comparison.annotators}
            picked = {a: v[np.isfinite(v)] for a, v in picked.items()}
            everyone = np.concatenate(list(picked.values()))
            if everyone.size == 0:
                continue
            # Each panel spans the labelled frames of its behaviour, not every frame,
            # so that where the styles part is visible.
            lo, hi = np.quantile(everyone, [0.005, 0.995])
            bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 31)
            for annotator, mine in picked.items():
                if mine.size == 0:
                    continue
                is_reference = annotator == comparison.reference
                ax.hist(
                    mine,
                    bins=bins,
                    weights=np.full(mine.size, 100.0 / mine.size),
                    histtype="step",
                    color=_annotator_color(comparison, annotator),
                    linestyle=_annotator_dashes(comparison, annotator),
                    linewidth=2.2 if is_reference else 1.4,
                    label=_annotator_name(comparison, annotator),
                )
            ax.tick_params(axis="y", labelsize="x-small")
            ax.spines[["top", "right"]].set_visible(False)
            ax.set_xlabel(f"{feature.label} ({feature.unit})", fontsize="small")
            ax.set_ylabel("% of its frames", fontsize="small")
            if col == 0:
                ax.set_ylabel(f"{behavior}\n% of its frames", fontsize="small")
                ax.yaxis.label.set_color(BEHAVIOR_COLORS[behavior])
    handles, labels = next(
        (h, lab) for h, lab in (ax.get_legend_handles_labels() for ax in axes.flat) if h
    )
    figure.legend(handles, labels, loc="upper center", ncol=min(len(labels), 6), frameon=False)
    figure.get_layout_engine().set(rect=(0, 0, 1, 1 - 0.5 / (0.8 + 2.3 * len(shown))))
    return figure


def pairwise_figure(comparison: Comparison, width_in: float = 10.0) -> Figure:
    """Cohen's kappa of every pair of annotators: one heat map per behaviour.

    Each cell holds the kappa of the two annotators' behaviour-vs-rest labels
    over all compared frames (:attr:`Comparison.pairwise`), written in the cell;
    n/a where neither annotator labels the behaviour. The matrix is symmetric.
    """
    annotators = list(comparison.annotators)
    index = {a: i for i, a in enumerate(annotators)}
    size = len(annotators)
    panel = min(width_in / len(BEHAVIORS) - 0.4, 0.55 + 0.48 * size)
    figure = Figure(figsize=(width_in, panel + 0.7), layout="constrained")
    axes = figure.subplots(1, len(BEHAVIORS))
    cmap = colormaps["viridis"].with_extremes(bad="#eeeeee")
    image = None
    for ax, behavior in zip(axes, BEHAVIORS, strict=True):
        grid = np.full((size, size), np.nan)
        mine = comparison.pairwise[comparison.pairwise["behavior"] == behavior]
        for row in mine.itertuples():
            i, j = index[row.annotator_a], index[row.annotator_b]
            grid[i, j] = grid[j, i] = row.kappa
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0.0, vmax=1.0)
        for i in range(size):
            for j in range(size):
                if i == j:
                    continue
                value = grid[i, j]
                text = "n/a" if np.isnan(value) else f"{value:.2f}"
                dark = not np.isnan(value) and value < 0.6
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize="small" if size <= 6 else "x-small",
                    color="white" if dark else "black",
                )
        names = [f"{a}{'*' if a == comparison.reference else ''}" for a in annotators]
        ax.set_xticks(range(size), names)
        ax.set_yticks(range(size), names)
        ax.tick_params(length=0)
        ax.set_title(behavior, color=BEHAVIOR_COLORS[behavior], loc="left")
        ax.set_xlabel("annotator")
        ax.spines[:].set_visible(False)
    axes[0].set_ylabel("annotator")
    if image is not None:
        figure.colorbar(image, ax=list(axes), shrink=0.8, label="Cohen's kappa")
    figure.suptitle(
        f"Agreement of every pair of annotators (* reference: annotator {comparison.reference})",
        x=0.01,
        ha="left",
        fontsize="medium",
    )
    return figure


#: Lines of the 7-keypoint CalMS21 skeleton, as pairs of indices into BODY_PARTS.
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
    panel = width_in / columns
    title_in = 0.55
    height = max(len(layout), 1) * (panel - 0.1 + title_in) + 0.1
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
    axes = np.atleast_2d(figure.subplots(max(len(layout), 1), columns, squeeze=False))
    for (kind, chunk), row in zip(layout, axes, strict=False):
        for ax, (_, episode) in zip(row, chunk.iterrows(), strict=False):
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
        for ax in row[len(chunk) :]:
            ax.set_axis_off()
    if not layout:
        axes[0, 0].text(0.5, 0.5, "no episode", ha="center", transform=axes[0, 0].transAxes)
        for ax in axes.flat:
            ax.set_axis_off()
    return figure
