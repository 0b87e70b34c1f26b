"""Reports a scientist reads: tables, PNG figures and one self-contained HTML page.

:func:`write_report` turns a :class:`~ethostyle.compare.Comparison` (where
annotators' styles disagree) and/or challenge scores
(:class:`~ethostyle.metrics.Task2Score`) into files in one folder:

- ``report.html``: everything below on one page, figures embedded, no network;
- ``disagreement.csv``, ``bout_pairs.csv``, ``bout_confusion.csv``,
  ``feature_lines.csv`` and ``summary.md`` (with a comparison);
- ``ethogram.png``, ``disagreement.png``, ``shifts.png``, ``thresholds.png``
  (with a comparison; ``thresholds.png`` and ``feature_lines.csv`` need poses);
- ``scores.csv`` (with scores).

Examples
--------
>>> import tempfile
>>> from ethostyle.compare import compare_annotators
>>> from ethostyle.simulate import simulate
>>> paths = write_report(tempfile.mkdtemp(), compare_annotators(simulate("tiny").shared))
>>> sorted(paths)[:3]
['bout_confusion', 'bout_pairs', 'disagreement']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ethostyle import __version__
from ethostyle.compare import FEATURES, Comparison
from ethostyle.errors import EthostyleError
from ethostyle.metrics import Task2Score
from ethostyle.report import page
from ethostyle.report.figures import (
    disagreement_figure,
    ethogram_figure,
    png_bytes,
    shift_figure,
    threshold_figure,
)
from ethostyle.report.tables import (
    comparison_overview,
    named_scores,
    score_frame,
    summary_markdown,
    write_bytes,
    write_csv,
)

__all__ = ["write_report"]

logger = logging.getLogger(__name__)

#: Columns of the disagreement table shown on the page (the CSV has them all).
_PAGE_COLUMNS = (
    "annotator",
    "behavior",
    "frame_share",
    "bouts_per_min",
    "median_bout_s",
    "mean_bout_s",
    "onset_shift_s",
    "offset_shift_s",
    "n_matched_bouts",
    "n_extra_bouts",
    "n_missed_bouts",
    "frame_f1_vs_reference",
    "bout_f1_vs_reference",
)


def write_report(
    out_dir: str | Path,
    comparison: Comparison | None = None,
    score: Task2Score | Mapping[str, Task2Score] | None = None,
    *,
    title: str = "ethostyle report",
    sequence_id: str | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Path]:
    """Write the tables, figures and the self-contained HTML page of a report.

    Each file is written atomically; other files in ``out_dir`` are left alone.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if missing).
    comparison : Comparison, optional
        Where annotators' styles disagree (:func:`ethostyle.compare.compare_model`,
        :func:`~ethostyle.compare.compare_labels`).
    score : Task2Score or mapping of str to Task2Score, optional
        Challenge score(s) of predictions against true labels; a mapping shows
        several side by side (e.g. ``{"style models": s1, "reference model": s2}``).
    title : str
        Heading of the page.
    sequence_id : str, optional
        The video drawn in the ethogram (the first compared one by default).
    notes : sequence of str
        Extra sentences shown under the title (e.g. how the data were made).

    Returns
    -------
    dict of str to Path
        File role (``"report"``, ``"disagreement"``, ``"summary"``,
        ``"ethogram"``, ...) -> path written.

    Raises
    ------
    EthostyleError
        When neither a comparison nor a score is given.
    """
    if comparison is None and score is None:
        raise EthostyleError("write_report: give a comparison, a score or both; nothing to report")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    sections = [page.paragraph(note, "note") for note in notes]
    if comparison is not None:
        sections += _comparison_sections(comparison, out, paths, sequence_id)
    scores = named_scores(score)
    if scores:
        sections.append(_score_section(scores))
        frames = [score_frame(s).assign(score=name) for name, s in scores.items()]
        table = pd.concat(frames, ignore_index=True)
        paths["scores"] = write_csv(table[["score", *table.columns[:-1]]], out / "scores.csv")
    files = ", ".join(sorted(p.name for p in paths.values()))
    sections.append(
        page.paragraph(f"Made by ethostyle {__version__}. Files beside this page: {files}.", "note")
    )
    document = page.render_page(title, sections)
    paths["report"] = write_bytes(document.encode("utf-8"), out / "report.html")
    logger.info("wrote report %s", paths["report"])
    return paths


def _figure(name: str, figure_png: bytes, out: Path, paths: dict[str, Path]) -> bytes:
    paths[f"{name}_figure"] = write_bytes(figure_png, out / f"{name}.png")
    return figure_png


def _comparison_sections(
    comparison: Comparison, out: Path, paths: dict[str, Path], sequence_id: str | None
) -> list[str]:
    paths["disagreement"] = write_csv(comparison.table, out / "disagreement.csv")
    paths["bout_pairs"] = write_csv(comparison.bout_pairs, out / "bout_pairs.csv")
    paths["bout_confusion"] = write_csv(comparison.unmatched, out / "bout_confusion.csv")
    paths["summary"] = write_bytes(summary_markdown(comparison).encode(), out / "summary.md")
    ref = comparison.reference

    summary = [page.paragraph(comparison_overview(comparison))]
    for annotator, sentences in comparison.summaries.items():
        summary.append(page.bullet_list(sentences, f"Annotator {annotator} vs annotator {ref}"))
    summary.append(page.paragraph(comparison.no_difference.describe(comparison.fps), "note"))
    sections = [page.section("How each annotator differs", *summary)]

    ethogram = _figure("ethogram", png_bytes(ethogram_figure(comparison, sequence_id)), out, paths)
    sections.append(
        page.section(
            "One video in every style",
            page.figure(
                ethogram,
                "ethogram",
                "Each row is the same video labelled in one annotator's style; colours are "
                "behaviours, blank is other.",
            ),
        )
    )
    overview = _figure("disagreement", png_bytes(disagreement_figure(comparison)), out, paths)
    shifts = _figure("shifts", png_bytes(shift_figure(comparison)), out, paths)
    sections.append(
        page.section(
            "How much, how long, and when",
            page.figure(
                overview,
                "frame share, bout length and shifts per annotator",
                f"Shifts are medians over matched (overlapping) bouts, annotator minus annotator "
                f"{ref}; negative means earlier. The grey band is the no-difference threshold.",
            ),
            page.figure(
                shifts,
                "onset and offset shift of every matched bout",
                "One dot per matched bout; the black tick is the median.",
            ),
        )
    )
    if comparison.features is not None:
        paths["feature_lines"] = write_csv(comparison.feature_lines, out / "feature_lines.csv")
        lines = _figure("thresholds", png_bytes(threshold_figure(comparison)), out, paths)
        sections.append(
            page.section(
                "Where each style draws the line",
                page.figure(
                    lines,
                    "pose features on labelled frames",
                    "Distribution of each pose feature over the frames each annotator labels "
                    f"with the behaviour (annotator {ref} in black).",
                ),
                page.paragraph(
                    "Median of each feature on the frames only one side labels with the "
                    "behaviour (n: number of frames):"
                ),
                page.table(_disputed_frames(comparison)),
            )
        )
    sections.append(
        page.section(
            "Bouts only one side has",
            page.paragraph(
                f"extra: bouts this annotator labels that no bout of annotator {ref} overlaps; "
                f"missed: bouts of annotator {ref} this annotator does not overlap at all. "
                "Columns: frames of those bouts by what the other side called them."
            ),
            page.table(_unmatched_wide(comparison)),
        )
    )
    columns = list(_PAGE_COLUMNS)
    sections.append(
        page.section(
            "All numbers",
            page.paragraph("The numbers behind the figures (every column is in disagreement.csv)."),
            page.table(comparison.table[columns]),
        )
    )
    return sections


def _disputed_frames(comparison: Comparison) -> pd.DataFrame:
    """Per annotator and behaviour: frames only it / only the reference labels, feature medians."""
    lines = comparison.feature_lines
    lines = lines[
        (lines["annotator"] != comparison.reference)
        & lines["frames_of"].isin(["only_annotator", "only_reference"])
    ]
    wide = lines.pivot_table(
        index=["annotator", "behavior", "frames_of"], columns="feature", values="q50"
    )
    counts = lines.groupby(["annotator", "behavior", "frames_of"])["n"].max()
    wide.insert(0, "n", counts)
    wide = wide[wide["n"] > 0][["n", *FEATURES]]
    wide.columns = ["n", *(f"{f.label} ({f.unit})" for f in FEATURES.values())]
    wide = wide.reset_index()
    wide["frames_of"] = wide["frames_of"].map(
        {"only_annotator": "only this annotator", "only_reference": "only the reference"}
    )
    return wide.rename(columns={"frames_of": "labelled by"})


def _unmatched_wide(comparison: Comparison) -> pd.DataFrame:
    unmatched = comparison.unmatched
    unmatched = unmatched[unmatched["annotator"] != comparison.reference]
    if unmatched.empty:
        return pd.DataFrame({"annotator": [], "behavior": [], "side": [], "n_bouts": []})
    wide = unmatched.pivot_table(
        index=["annotator", "behavior", "side", "n_bouts"],
        columns="called",
        values="frames",
        fill_value=0,
    )
    wide.columns = [f"called {c}" for c in wide.columns]
    return wide.reset_index()


def _score_section(scores: dict[str, Task2Score]) -> str:
    parts = [
        page.paragraph(
            "F1 of attack, investigation and mount on the pooled frames of the scored "
            "annotators, macro-averaged (the MABe 2021 Task 2 challenge score); per annotator "
            "on its own frames."
        )
    ]
    for name, score in scores.items():
        parts.append(page.heading(name))
        parts.append(page.table(score_frame(score)))
    return page.section("Challenge score", *parts)
