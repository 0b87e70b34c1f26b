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

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from ethostyle.compare import Comparison, frame_groups
from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.report.ethogram import ethogram_figure
from ethostyle.report.snapshots import TRAIL_S, episode_figure
from ethostyle.report.style import (
    ANNOTATOR_COLORS,
    BEHAVIOR_COLORS,
    annotator_color,
    annotator_dashes,
    annotator_name,
    behavior_legend,
    clock_time,
    png_bytes,
)

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

#: Shifts beyond this many seconds are drawn at the edge of the shift plot, as
#: triangles, and counted in the panel.
SHIFT_CLIP_S = 2.0


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
    behavior_legend(figure)
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
    behavior_legend(figure)
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
                    color=annotator_color(comparison, annotator),
                    linestyle=annotator_dashes(comparison, annotator),
                    linewidth=2.2 if is_reference else 1.4,
                    label=annotator_name(comparison, annotator),
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
