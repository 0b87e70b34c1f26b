"""The report's motif section: the sub-behaviours the annotators label most differently.

With a model that has motifs (:attr:`~ethostyle.compare.Comparison.motifs`), the
section leads with the motifs on which an annotator's labels part most from the
reference's, each with a pose snapshot (a frame of the motif where they disagree) and
a sentence, and writes ``motifs.csv``: every motif's share of frames each annotator
calls each behaviour.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ethostyle.compare import Comparison
from ethostyle.compare.motifs import MotifComparison
from ethostyle.data import VOCABULARY
from ethostyle.report import page
from ethostyle.report.snapshots import TRAIL_S, _snapshot, panel_grid
from ethostyle.report.style import clock_time, png_bytes
from ethostyle.report.tables import write_bytes, write_csv

__all__ = ["MOTIFS_SHOWN", "motif_figure", "motif_section", "motif_table"]

#: Motifs shown in the report, the most disputed first (all are in ``motifs.csv``).
MOTIFS_SHOWN = 6


def motif_table(found: MotifComparison) -> pd.DataFrame:
    """``motifs.csv``: per motif and annotator, the share of its frames in each class.

    Columns ``rank, motif, description, frames, seconds, disagreement, annotator``
    and one per class of :data:`~ethostyle.data.VOCABULARY`; motifs in ranking
    order (rank 1 the most disputed), the reference's row first in each.
    """
    ranking = found.ranking.assign(rank=np.arange(1, len(found.ranking) + 1))
    keep = ["rank", "motif", "description", "seconds", "disagreement"]
    table = found.shares.merge(ranking[keep], on="motif")
    table["is_reference"] = table["annotator"] == found.reference
    table = table.sort_values(["rank", "is_reference", "annotator"], ascending=[True, False, True])
    columns = [*keep[:3], "frames", *keep[3:], "annotator", *VOCABULARY]
    return table[columns].reset_index(drop=True)


def motif_figure(
    comparison: Comparison, top: pd.DataFrame, columns: int = 3, width_in: float = 10.0
) -> Figure:
    """Pose snapshots of the most disputed motifs, one panel each.

    Each panel shows both mice (resident black, intruder grey, the larger dot the
    nose) at a frame of the motif where the most different annotator and the
    reference disagree, with their noses' paths over the :data:`TRAIL_S` seconds
    before it; its title gives the motif's rank and id, the video and time, and
    what share of the motif each of the two calls the behaviour they differ on.

    Parameters
    ----------
    comparison : Comparison
        A comparison with poses and motifs.
    top : pandas.DataFrame
        Rows of the motifs' ranking to draw (:meth:`MotifComparison.top`).
    columns : int
        Panels per row.
    width_in : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = max(int(np.ceil(len(top) / columns)), 1)
    figure, grid = panel_grid(rows, columns, width_in)
    axes = grid.ravel()
    ref = comparison.reference
    for rank, (ax, (_, row)) in enumerate(zip(axes, top.iterrows(), strict=False), start=1):
        video = row["video"]
        fps = comparison.video_fps.get(video, comparison.fps)
        keypoints = comparison.poses[video].keypoints
        _snapshot(ax, keypoints, int(row["frame"]), round(TRAIL_S * fps), comparison.px_per_cm)
        ax.set_title(
            f"#{rank} motif {row['motif']} · {video} {clock_time(row['frame'] / fps)}\n"
            f"{row['behavior']}: annotator {row['annotator']} {row['annotator_share']:.0%}"
            f" · annotator {ref} {row['reference_share']:.0%}",
            fontsize="x-small",
            loc="left",
        )
    for ax in axes[len(top) :]:
        ax.set_axis_off()
    return figure


def motif_section(
    comparison: Comparison, out: Path, paths: dict[str, Path], n_motifs: int = MOTIFS_SHOWN
) -> list[str]:
    """Write ``motifs.csv`` (and ``motifs.png``) and return the page's motif section.

    Empty for a comparison without motifs (labels alone, or a model without them).
    """
    found = comparison.motifs
    if found is None:
        return []
    paths["motifs"] = write_csv(motif_table(found), out / "motifs.csv")
    ref = found.reference
    top = found.top(n_motifs)
    parts = [
        page.paragraph(
            "A motif is a sub-behaviour the model found in the pose without labels (the same "
            "for every annotator). For each one, the share of its frames each annotator calls "
            "each behaviour says how the annotators' definitions differ: below, the motifs on "
            f"which an annotator's labels part most from annotator {ref}'s, the most disputed "
            "first. Every motif is in motifs.csv."
        )
    ]
    if top.empty:
        parts.append(page.paragraph("Every annotator labels every motif alike."))
        return [page.section("Sub-behaviours the annotators label differently", *parts)]
    if comparison.poses is not None:
        png = png_bytes(motif_figure(comparison, top))
        paths["motifs_figure"] = write_bytes(png, out / "motifs.png")
        parts.append(
            page.figure(
                png,
                "pose snapshots of the most disputed motifs",
                "Each panel: both mice (resident black, intruder grey, the larger dot the nose) "
                "at a frame of the motif where the two annotators in its title disagree, and "
                f"their noses' paths over the {TRAIL_S:g} s before it.",
                "fig-motifs",
            )
        )
    sentences = [f"#{i}. {s}" for i, s in enumerate(top["sentence"], start=1)]
    parts.append(page.bullet_list(sentences, "The most disputed motifs", level=4))
    shown = found.shares[found.shares["motif"].isin(top["motif"])]
    order = {m: i for i, m in enumerate(top["motif"])}
    shown = shown.sort_values(
        ["motif", "annotator"], key=lambda c: c.map(order) if c.name == "motif" else c
    )
    parts.append(
        page.paragraph("Share of each motif's frames each annotator calls each behaviour:")
    )
    parts.append(page.table(shown, float_format="{:.2f}"))
    return [page.section("Sub-behaviours the annotators label differently", *parts)]
