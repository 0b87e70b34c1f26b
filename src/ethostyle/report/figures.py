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
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ethostyle.bouts import bout_table
from ethostyle.compare import FEATURES, Comparison, frame_groups
from ethostyle.data import BEHAVIORS, VOCABULARY
from ethostyle.errors import DataFormatError

__all__ = [
    "BEHAVIOR_COLORS",
    "disagreement_figure",
    "ethogram_figure",
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
_ANNOTATOR_COLORS = ("#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#999999", "#8C564B")
#: Shifts beyond this many seconds are drawn at the edge of the shift plot.
_SHIFT_CLIP_S = 2.0


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
    return _ANNOTATOR_COLORS[others.index(annotator) % len(_ANNOTATOR_COLORS)]


def _behavior_legend(figure: Figure) -> None:
    handles = [Patch(color=BEHAVIOR_COLORS[b], label=b) for b in BEHAVIORS]
    figure.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False)


def ethogram_figure(
    comparison: Comparison, sequence_id: str | None = None, width_in: float = 10.0
) -> Figure:
    """One video's labels in every compared style: a row per annotator, time on x.

    Parameters
    ----------
    comparison : Comparison
        The comparison.
    sequence_id : str, optional
        Which video; the first compared one by default.
    width_in : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The ethogram; ``other`` frames are left blank.
    """
    sid = comparison.sequence_ids[0] if sequence_id is None else sequence_id
    if sid not in comparison.sequence_ids:
        raise DataFormatError(
            f"sequence {sid!r} is not in the comparison; choose one of "
            f"{list(comparison.sequence_ids)[:5]}"
        )
    rows = comparison.annotators
    figure = Figure(figsize=(width_in, 1.1 + 0.42 * len(rows)), layout="constrained")
    ax = figure.add_subplot()
    n_frames = len(comparison.labels[comparison.reference][sid])
    for row, annotator in enumerate(rows):
        bouts = bout_table(comparison.labels[annotator][sid])
        for behavior in BEHAVIORS:
            mine = bouts.of(behavior)
            spans = np.column_stack([mine.start, mine.length]) / comparison.fps
            ax.broken_barh(spans.tolist(), (row - 0.4, 0.8), facecolors=BEHAVIOR_COLORS[behavior])
    ax.set_yticks(range(len(rows)), [_annotator_name(comparison, a) for a in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, n_frames / comparison.fps)
    ax.set_xlabel("time (s)")
    ax.set_title(
        f"Video {sid} labelled in each annotator's style ({comparison.source})", loc="left"
    )
    ax.spines[["top", "right"]].set_visible(False)
    _behavior_legend(figure)
    figure.get_layout_engine().set(rect=(0, 0, 1, 0.9))
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
    reference, in seconds); the black tick is the median. Shifts beyond
    ±2 s are drawn at the edge.
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
        for i, behavior in enumerate(BEHAVIORS):
            for x, annotator in enumerate(others):
                mine = pairs[(pairs["annotator"] == annotator) & (pairs["behavior"] == behavior)]
                if mine.empty:
                    continue
                shift = np.clip(
                    mine[column].to_numpy() / comparison.fps, -_SHIFT_CLIP_S, _SHIFT_CLIP_S
                )
                centre = x + (i - 1) * width
                jitter = rng.uniform(-0.3, 0.3, shift.size) * width
                ax.scatter(
                    centre + jitter,
                    shift,
                    s=9,
                    color=BEHAVIOR_COLORS[behavior],
                    alpha=0.6,
                    linewidths=0,
                )
                ax.plot(
                    [centre - width / 2, centre + width / 2],
                    [np.median(shift)] * 2,
                    color="black",
                    linewidth=2,
                )
        ax.axhspan(-band, band, color="0.9", zorder=0)
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.set_xticks(range(len(others)), [str(a) for a in others])
        ax.set_xlabel(f"annotator (minus reference {comparison.reference})")
        ax.set_title(f"{title} per matched bout (s; negative = earlier)", loc="left")
        ax.set_ylim(-_SHIFT_CLIP_S * 1.05, _SHIFT_CLIP_S * 1.05)
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
    features = {name: comparison.pooled_feature(name) for name in FEATURES}
    reference = comparison.pooled_labels(comparison.reference)
    shown = [b for b in BEHAVIORS if (reference == VOCABULARY.index(b)).any()] or list(BEHAVIORS)
    figure = Figure(figsize=(width_in, 0.8 + 2.3 * len(shown)), layout="constrained")
    axes = np.atleast_2d(figure.subplots(len(shown), len(FEATURES), squeeze=False))
    labelled = {
        (a, b): frame_groups(reference, comparison.pooled_labels(a), b)["labelled"]
        for a in comparison.annotators
        for b in shown
    }
    for col, (name, feature) in enumerate(FEATURES.items()):
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
                    density=True,
                    histtype="step",
                    color=_annotator_color(comparison, annotator),
                    linewidth=2.2 if is_reference else 1.3,
                    label=_annotator_name(comparison, annotator),
                )
            ax.set_yticks([])
            ax.spines[["top", "right", "left"]].set_visible(False)
            ax.set_xlabel(f"{feature.label} ({feature.unit})", fontsize="small")
            if col == 0:
                ax.set_ylabel(behavior, color=BEHAVIOR_COLORS[behavior], fontsize="large")
    handles, labels = next(
        (h, lab) for h, lab in (ax.get_legend_handles_labels() for ax in axes.flat) if h
    )
    figure.legend(handles, labels, loc="upper center", ncol=min(len(labels), 6), frameon=False)
    figure.get_layout_engine().set(rect=(0, 0, 1, 1 - 0.5 / (0.8 + 2.3 * len(shown))))
    return figure
