"""What every figure of a report shares: colours, line styles, time labels, PNG output."""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ethostyle.compare import Comparison
from ethostyle.data import BEHAVIORS

__all__ = [
    "ANNOTATOR_COLORS",
    "BEHAVIOR_COLORS",
    "annotator_color",
    "annotator_dashes",
    "annotator_name",
    "behavior_legend",
    "clock_time",
    "png_bytes",
    "tick_label",
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


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def annotator_name(comparison: Comparison, annotator: int) -> str:
    suffix = " (reference)" if annotator == comparison.reference else ""
    return f"annotator {annotator}{suffix}"


def annotator_color(comparison: Comparison, annotator: int) -> str:
    if annotator == comparison.reference:
        return _REFERENCE_COLOR
    others = [a for a in comparison.annotators if a != comparison.reference]
    return ANNOTATOR_COLORS[others.index(annotator) % len(ANNOTATOR_COLORS)]


def annotator_dashes(comparison: Comparison, annotator: int) -> str | tuple:
    if annotator == comparison.reference:
        return "-"
    others = [a for a in comparison.annotators if a != comparison.reference]
    return _ANNOTATOR_DASHES[others.index(annotator) % len(_ANNOTATOR_DASHES)]


def behavior_legend(figure: Figure) -> None:
    handles = [Patch(color=BEHAVIOR_COLORS[b], label=b) for b in BEHAVIORS]
    figure.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False)


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


def tick_label(seconds: float) -> str:
    """``m:ss`` for whole seconds, else :func:`clock_time`."""
    if float(seconds).is_integer():
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes}:{rest:02d}"
    return clock_time(seconds)
