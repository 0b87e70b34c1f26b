"""The report's tables and text: CSV files, the Markdown summary, score rows.

Examples
--------
>>> from ethostyle.compare import compare_annotators
>>> from ethostyle.simulate import simulate
>>> text = summary_markdown(compare_annotators(simulate("tiny", seed=0).shared))
>>> text.splitlines()[0]
'# Where the annotators disagree'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ethostyle.atomic import atomic_write_path
from ethostyle.compare import Comparison
from ethostyle.metrics import Task2Score

__all__ = [
    "comparison_overview",
    "named_scores",
    "score_frame",
    "summary_markdown",
    "write_bytes",
    "write_csv",
]


def write_bytes(data: bytes, path: Path) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    with atomic_write_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV (6 significant digits, no index) atomically; return the path."""
    return write_bytes(frame.to_csv(index=False, float_format="%.6g").encode(), path)


def comparison_overview(comparison: Comparison) -> str:
    """What was compared with what, and the units of the pose measures."""
    minutes = sum(len(v) for v in comparison.labels[comparison.reference].values())
    minutes /= comparison.fps * 60
    others = ", ".join(str(a) for a in comparison.annotators if a != comparison.reference)
    text = (
        f"{len(comparison.sequence_ids)} video(s), {minutes:.1f} min in all, labelled in the "
        f"styles of annotators {others} and of annotator {comparison.reference} (the "
        f"reference); labels from {comparison.source}."
    )
    if comparison.features is None:
        return text
    if comparison.px_per_cm is None:
        return text + " Distances in px, speeds in px/s (give --px-per-cm for cm)."
    return (
        text + f" Distances in cm, speeds in cm/s, at {comparison.px_per_cm:g} px per cm "
        "(--px-per-cm)."
    )


def summary_markdown(comparison: Comparison) -> str:
    """The plain-language summary as Markdown: one section per annotator, then the thresholds."""
    lines = ["# Where the annotators disagree", "", comparison_overview(comparison), ""]
    for annotator, sentences in comparison.summaries.items():
        lines += [f"## Annotator {annotator} compared with annotator {comparison.reference}", ""]
        lines += [f"- {s}" for s in sentences]
        lines.append("")
    lines += [
        "## What counts as no difference",
        "",
        comparison.no_difference.describe(comparison.fps, comparison.feature_specs),
        "",
        "Shifts are this annotator minus the reference: negative means earlier. Every figure "
        "behind these sentences is in `disagreement.csv`, every interval and verdict in "
        "`differences.csv`.",
        "",
    ]
    return "\n".join(lines)


def score_frame(score: Task2Score) -> pd.DataFrame:
    """A challenge score as a table (the rows of :meth:`Task2Score.table_rows`)."""
    return pd.DataFrame(score.table_rows(), columns=list(Task2Score.TABLE_COLUMNS))


def named_scores(
    score: Task2Score | Mapping[str, Task2Score] | None,
) -> dict[str, Task2Score]:
    """``score`` as ``{name: score}``; a single score is named "MABe 2021 Task 2 score"."""
    if score is None:
        return {}
    if isinstance(score, Task2Score):
        return {"MABe 2021 Task 2 score": score}
    return dict(score)
