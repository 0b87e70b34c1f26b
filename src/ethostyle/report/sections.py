"""The sections of a report's page, each with the tables and figures it shows.

:func:`comparison_sections` writes a comparison's files and returns its sections in
reading order; :func:`score_section` shows challenge scores. The page itself is put
together by :func:`ethostyle.report.write_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ethostyle.compare import Comparison
from ethostyle.compare.episodes import top_episodes
from ethostyle.compare.intervals import measure_words
from ethostyle.data import BEHAVIORS
from ethostyle.metrics import Task2Score
from ethostyle.report import page
from ethostyle.report.figures import (
    SHIFT_CLIP_S,
    TRAIL_S,
    clock_time,
    disagreement_figure,
    episode_figure,
    ethogram_figure,
    pairwise_figure,
    png_bytes,
    shift_figure,
    threshold_figure,
)
from ethostyle.report.motifs import motif_section
from ethostyle.report.tables import (
    comparison_overview,
    score_frame,
    summary_markdown,
    write_bytes,
    write_csv,
)

__all__ = ["comparison_sections", "score_section"]

#: Columns of the disagreement table shown on the page (the CSV has them all) and their
#: headers there: words that wrap, so that the table fits the page's 1100 px column (the
#: CSV's names, one unbreakable word each, made it 1,700 px wide).
_PAGE_COLUMNS = {
    "annotator": "annotator",
    "behavior": "behaviour",
    "frame_share": "share of frames",
    "bouts_per_min": "bouts per min",
    "median_bout_s": "median bout (s)",
    "mean_bout_s": "mean bout (s)",
    "onset_shift_s": "onset shift (s)",
    "offset_shift_s": "offset shift (s)",
    "n_matched_bouts": "matched bouts",
    "n_extra_bouts": "extra bouts",
    "n_missed_bouts": "missed bouts",
    "frame_f1_vs_reference": "frame F1 vs ref.",
    "bout_f1_vs_reference": "bout F1 vs ref.",
}


def _figure(name: str, figure_png: bytes, out: Path, paths: dict[str, Path]) -> bytes:
    paths[f"{name}_figure"] = write_bytes(figure_png, out / f"{name}.png")
    return figure_png


def _answer_section(comparison: Comparison, learned_rules: dict[int, Sequence[str]]) -> str:
    """Per annotator: its learned rules (when given), its three largest differences and
    its agreement with the reference."""
    ref = comparison.reference
    kappa = comparison.pairwise.set_index(["annotator_a", "annotator_b", "behavior"])["kappa"]
    parts = [
        page.paragraph(f"{comparison_overview(comparison)} Reference: {comparison.reference_note}.")
    ]
    blocks = []
    for annotator in comparison.summaries:
        inner = [page.heading(f"Annotator {annotator} vs annotator {ref}")]
        rules = list(learned_rules.get(annotator, ()))
        if rules:
            inner.append(page.bullet_list(rules, "Learned rules", level=4))
        differences = comparison.largest_differences(annotator, 3) or [
            f"No difference from annotator {ref} beyond the thresholds stated under "
            "'Every difference found'."
        ]
        inner.append(page.bullet_list(differences, "Largest differences", level=4))
        key = (min(ref, annotator), max(ref, annotator))
        pair = [
            (b, kappa.get((ref, annotator, b), kappa.get((*key, b), float("nan"))))
            for b in BEHAVIORS
        ]
        agreement = ", ".join(f"{b} {_score_text(k)}" for b, k in pair)
        inner.append(page.paragraph(f"Cohen's kappa with annotator {ref}: {agreement}.", "note"))
        blocks.append(page.block("answer", *inner))
    parts.append(page.block("answers", *blocks))
    if learned_rules:
        parts.append(
            page.paragraph(
                "Learned rules: the edits the style model makes to the reference's labels, "
                "as the model states them.",
                "note",
            )
        )
    return page.section("How each annotator differs", *parts)


def _score_text(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.2f}"


def _episode_rows(comparison: Comparison, shown: pd.DataFrame) -> pd.DataFrame:
    """One annotator's shown episodes as a page table: number, where, who says what, pose
    measures (the annotator is in the heading above, so not a column)."""
    table = pd.DataFrame(
        {
            "#": shown["number"],
            "kind": shown["kind"],
            "video": shown["video"],
            "from (m:ss.s)": [clock_time(t) for t in shown["start_s"]],
            "to (m:ss.s)": [clock_time(t) for t in shown["end_s"]],
            "frames": [
                f"{a}–{b - 1}"
                for a, b in zip(shown["start_frame"], shown["end_frame"], strict=True)
            ],
            f"annotator {comparison.reference} says": shown["label_a"],
            f"annotator {shown['annotator_b'].iloc[0]} says": shown["label_b"],
        }
    )
    for name, feature in comparison.feature_specs.items():
        table[f"{feature.label} ({feature.unit})"] = shown[name].to_numpy()
    return table


def _episode_section(
    comparison: Comparison,
    out: Path,
    paths: dict[str, Path],
    sequence_id: str | None,
    n_episodes: int,
) -> str:
    ref = comparison.reference
    shown = top_episodes(comparison.episodes, ref, n_episodes)
    shown.insert(0, "number", np.arange(1, len(shown) + 1))
    sid = comparison.most_disputed_video() if sequence_id is None else sequence_id
    why = (
        "the video chosen"
        if sequence_id is not None
        else "the video whose labels differ most from "
        f"annotator {ref}'s: on {comparison.disputed_share()[sid]:.1%} of its frames, averaged "
        "over the other annotators"
    )
    ethogram = _figure(
        "ethogram", png_bytes(ethogram_figure(comparison, sid, marked=shown)), out, paths
    )
    parts = [
        page.paragraph(
            f"An episode is a stretch of at least {comparison.min_episode_s:g} s of one video "
            f"where two annotators' labels differ. Its kind says how the annotator differs "
            f"from annotator {ref}: onset or offset (the same bout starts or ends elsewhere), "
            f"extra (a bout annotator {ref} does not have), missed (a bout of annotator {ref} "
            f"the annotator leaves out) or relabel (the same frames, another behaviour). Below, "
            f"the {n_episodes} longest of each annotator and kind; every episode of every pair "
            "of annotators is in episodes.csv. Times are in the video (minutes:seconds), so "
            "each moment can be found in the video player."
        ),
        page.figure(
            ethogram,
            "ethogram with episodes marked",
            f"Video {sid}, {why}. It is wrapped a strip at a time. Each row is one annotator's "
            "labels; colours are behaviours, blank is other. Black bars under a row mark its "
            f"episodes against annotator {ref}; the numbers are those of the snapshots below.",
            "fig-ethogram",
        ),
    ]
    for annotator in (a for a in comparison.annotators if a != ref):
        mine = shown[shown["annotator_b"] == annotator]
        parts.append(page.heading(f"Annotator {annotator} against annotator {ref}"))
        if mine.empty:
            parts.append(page.paragraph(f"No episode of {comparison.min_episode_s:g} s or more."))
            continue
        if comparison.poses is not None:
            png = _figure(
                f"episodes_annotator{annotator}",
                png_bytes(episode_figure(comparison, mine)),
                out,
                paths,
            )
            parts.append(
                page.figure(
                    png,
                    f"pose snapshots of annotator {annotator}'s episodes",
                    "Each panel: both mice at the episode's middle frame (resident black, "
                    f"intruder grey, the larger dot the nose) and their noses' paths over the "
                    f"{TRAIL_S:g} s before it; the title gives the episode's number, kind, "
                    "video, time and who labels what.",
                    f"fig-episodes-{annotator}",
                )
            )
        parts.append(page.table(_episode_rows(comparison, mine)))
    if comparison.poses is None:
        parts.append(
            page.paragraph(
                "No pose snapshots: the labels were given without poses. Give train-layout "
                "files (poses and labels) to see the mice at each episode.",
                "note",
            )
        )
    return page.section("Moments to check in the video", *parts)


def _pairwise_section(comparison: Comparison, out: Path, paths: dict[str, Path]) -> str:
    png = _figure("pairwise", png_bytes(pairwise_figure(comparison)), out, paths)
    # pivot, not pivot_table(dropna=False): the latter crosses every annotator_a with
    # every annotator_b, adding rows of pairs that do not exist (1-1, 2-1, ...) all n/a
    wide = comparison.pairwise.pivot(
        index=["annotator_a", "annotator_b"],
        columns="behavior",
        values=["kappa", "frame_f1", "bout_f1"],
    )
    wide = wide.reindex(
        columns=[(m, b) for m in ("kappa", "frame_f1", "bout_f1") for b in BEHAVIORS]
    )
    wide.columns = [f"{m} {b}" for m, b in wide.columns]
    return page.section(
        "Every pair of annotators",
        page.figure(
            png,
            "Cohen's kappa of every pair of annotators, per behaviour",
            "Cohen's kappa of two annotators' behaviour-vs-rest labels over all compared "
            "frames (1: the same frames; 0: no better than chance); n/a where neither labels "
            "the behaviour. No annotator is taken as the truth.",
            "fig-pairwise",
        ),
        page.paragraph(
            "Kappa, frame F1 and bout F1 (a match needs temporal IoU >= 0.5) of every pair; "
            "all three are symmetric. As pairwise.csv:"
        ),
        page.table(wide.reset_index(), float_format="{:.2f}"),
    )


def comparison_sections(
    comparison: Comparison,
    out: Path,
    paths: dict[str, Path],
    sequence_id: str | None,
    learned_rules: dict[int, Sequence[str]],
    n_episodes: int,
    after_episodes: Sequence[str] = (),
) -> list[str]:
    """Write a comparison's tables and figures into ``out`` (recording each in ``paths``)
    and return the page's sections about it, in reading order (``after_episodes``, such
    as the episode clips' section, right after the episodes)."""
    _write_comparison_tables(comparison, out, paths)
    sections = [
        _answer_section(comparison, learned_rules),
        *motif_section(comparison, out, paths),  # empty without motifs
        _episode_section(comparison, out, paths, sequence_id, n_episodes),
        *after_episodes,
        _pairwise_section(comparison, out, paths),
        _every_difference_section(comparison),
        _measures_section(comparison, out, paths),
    ]
    if comparison.features is not None:
        sections.append(_threshold_section(comparison, out, paths))
    sections.append(_unmatched_section(comparison))
    sections.append(_numbers_section(comparison))
    return sections


def _write_comparison_tables(comparison: Comparison, out: Path, paths: dict[str, Path]) -> None:
    paths["disagreement"] = write_csv(comparison.table, out / "disagreement.csv")
    paths["bout_pairs"] = write_csv(comparison.bout_pairs, out / "bout_pairs.csv")
    paths["bout_confusion"] = write_csv(comparison.unmatched, out / "bout_confusion.csv")
    # times to the millisecond whatever the video's length (6 significant digits, the
    # other columns' format, would round 2:47:30 to a tenth of a second)
    episodes = comparison.episodes.assign(
        start_s=comparison.episodes["start_s"].map("{:.3f}".format),
        end_s=comparison.episodes["end_s"].map("{:.3f}".format),
    )
    paths["episodes"] = write_csv(episodes, out / "episodes.csv")
    paths["pairwise"] = write_csv(comparison.pairwise, out / "pairwise.csv")
    paths["differences"] = write_csv(comparison.differences, out / "differences.csv")
    paths["summary"] = write_bytes(summary_markdown(comparison).encode(), out / "summary.md")


def _every_difference_section(comparison: Comparison) -> str:
    ref = comparison.reference
    every = []
    for annotator, sentences in comparison.summaries.items():
        every.append(page.bullet_list(sentences, f"Annotator {annotator} vs annotator {ref}"))
    every.append(
        page.paragraph(
            comparison.no_difference.describe(comparison.fps, comparison.feature_specs), "note"
        )
    )
    every += _interval_parts(comparison)
    return page.section("Every difference found", *every)


def _measures_section(comparison: Comparison, out: Path, paths: dict[str, Path]) -> str:
    ref = comparison.reference
    overview = _figure("disagreement", png_bytes(disagreement_figure(comparison)), out, paths)
    shifts = _figure("shifts", png_bytes(shift_figure(comparison)), out, paths)
    return page.section(
        "How much, how long, and when",
        page.figure(
            overview,
            "frame share, bout length and shifts per annotator",
            f"Shifts are medians over matched (overlapping) bouts, annotator minus annotator "
            f"{ref}; negative means earlier. The grey band is the no-difference threshold.",
            "fig-disagreement",
        ),
        page.figure(
            shifts,
            "onset and offset shift of every matched bout",
            "One dot per matched bout; the black tick is the median. Shifts beyond "
            f"±{SHIFT_CLIP_S:g} s are drawn at the edge as triangles; each panel counts them.",
            "fig-shifts",
        ),
    )


def _threshold_section(comparison: Comparison, out: Path, paths: dict[str, Path]) -> str:
    ref = comparison.reference
    paths["feature_lines"] = write_csv(comparison.feature_lines, out / "feature_lines.csv")
    lines = _figure("thresholds", png_bytes(threshold_figure(comparison)), out, paths)
    return page.section(
        "Where each style draws the line",
        page.figure(
            lines,
            "pose features on labelled frames",
            "Distribution of each pose feature over the frames each annotator labels "
            f"with the behaviour (annotator {ref} in black): the height of a step is "
            "the share of that annotator's frames of the behaviour in that bin.",
            "fig-thresholds",
        ),
        page.paragraph(
            "Median of each feature on the frames only one side labels with the "
            "behaviour (n: number of frames):"
        ),
        page.table(_disputed_frames(comparison)),
    )


def _unmatched_section(comparison: Comparison) -> str:
    ref = comparison.reference
    return page.section(
        "Bouts only one side has",
        page.paragraph(
            f"extra: bouts this annotator labels that no bout of annotator {ref} overlaps; "
            f"missed: bouts of annotator {ref} this annotator does not overlap at all. "
            "Columns: frames of those bouts by what the other side called them."
        ),
        page.table(_unmatched_wide(comparison)),
    )


def _numbers_section(comparison: Comparison) -> str:
    shown = comparison.table[list(_PAGE_COLUMNS)].rename(columns=_PAGE_COLUMNS)
    return page.section(
        "All numbers",
        page.paragraph(
            "The numbers behind the figures (these and more columns are in "
            "disagreement.csv). Shifts are medians over matched bouts, this annotator minus "
            f"annotator {comparison.reference}. F1 is n/a where neither side labels the behaviour."
        ),
        page.table(shown),
    )


def _interval_parts(comparison: Comparison) -> list[str]:
    """The intervals behind the sentences above, as a table, and how they were made."""
    stated = comparison.stated_differences()
    if stated.empty:
        return []
    words = {m: measure_words(m, comparison.feature_specs) for m in stated["measure"]}
    shown = pd.DataFrame(
        {
            "annotator": stated["annotator"],
            "behaviour": stated["behavior"],
            "measure": stated["measure"].map(words),
            "unit": stated["unit"].replace({"%": "% of frames"}),
            "this annotator": stated["annotator_value"],
            f"annotator {comparison.reference}": stated["reference_value"],
            "difference": stated["difference"],
            f"{comparison.no_difference.confidence:.0%} interval": [
                "n/a" if pd.isna(lo) else f"{lo:+.3g} to {hi:+.3g}"
                for lo, hi in zip(stated["ci_low"], stated["ci_high"], strict=True)
            ],
            "verdict": stated["verdict"].str.replace("too thin: ", "too thin to call: "),
        }
    )
    resampled = ", ".join(sorted(set(comparison.differences["resampled"])))
    return [
        page.paragraph(
            f"How sure is each difference above ({resampled} resampled; every measure of "
            "every annotator and behaviour is in differences.csv):"
        ),
        page.table(shown),
    ]


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
    specs = comparison.feature_specs
    wide = wide[wide["n"] > 0][["n", *specs]]
    wide.columns = ["n", *(f"{f.label} ({f.unit})" for f in specs.values())]
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


def score_section(scores: dict[str, Task2Score]) -> str:
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
