"""Reports a scientist reads: tables, PNG figures and one self-contained HTML page.

:func:`write_report` turns a :class:`~ethostyle.compare.Comparison` (where
annotators' styles disagree) and/or challenge scores
(:class:`~ethostyle.metrics.Task2Score`) into files in one folder:

- ``report.html``: everything below on one page, figures embedded, no network;
- ``disagreement.csv``, ``episodes.csv``, ``pairwise.csv``, ``bout_pairs.csv``,
  ``bout_confusion.csv``, ``feature_lines.csv``, ``differences.csv`` and ``summary.md``
  (with a comparison);
- ``ethogram.png``, ``pairwise.png``, ``episodes_annotator<k>.png``,
  ``disagreement.png``, ``shifts.png``, ``thresholds.png`` (with a comparison;
  the episode snapshots, ``thresholds.png`` and ``feature_lines.csv`` need poses);
- ``scores.csv`` (with scores).

Examples
--------
>>> import tempfile
>>> from ethostyle.compare import compare_annotators
>>> from ethostyle.simulate import simulate
>>> paths = write_report(tempfile.mkdtemp(), compare_annotators(simulate("tiny").shared))
>>> sorted(paths)[:3]
['bout_confusion', 'bout_pairs', 'differences']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ethostyle import __version__
from ethostyle.compare import Comparison
from ethostyle.compare.episodes import top_episodes
from ethostyle.compare.intervals import measure_words
from ethostyle.data import BEHAVIORS
from ethostyle.errors import DataFormatError, EthostyleError
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
from ethostyle.report.tables import (
    comparison_overview,
    named_scores,
    score_frame,
    summary_markdown,
    write_bytes,
    write_csv,
)

__all__ = ["DEFAULT_EPISODES", "check_report_options", "write_report"]

logger = logging.getLogger(__name__)

#: Episodes shown per annotator and kind by default.
DEFAULT_EPISODES = 5
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


def check_report_options(
    out_dir: str | Path,
    *,
    n_episodes: int = DEFAULT_EPISODES,
    sequence_id: str | None = None,
    sequence_ids: Sequence[str] | None = None,
) -> Path:
    """Check what a report is asked for before the work behind it is done.

    Parameters
    ----------
    out_dir : str or Path
        The report folder: it may exist (files in it are replaced) but must not
        be a file.
    n_episodes : int
        Episodes shown per annotator and kind; at least 1.
    sequence_id : str, optional
        The video asked for in the ethogram.
    sequence_ids : sequence of str, optional
        The videos there are; checked against ``sequence_id`` when both are given.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    EthostyleError
        Naming the option and what to give instead.

    Examples
    --------
    >>> check_report_options("report", n_episodes=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ethostyle.errors.EthostyleError: --episodes 0: show at least 1 episode per annotator ...
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise EthostyleError(
            f"--out {out}: a file of that name exists; give a folder for the report"
        )
    if isinstance(n_episodes, bool) or int(n_episodes) != n_episodes or n_episodes < 1:
        raise EthostyleError(
            f"--episodes {n_episodes}: show at least 1 episode per annotator and kind "
            f"(default {DEFAULT_EPISODES})"
        )
    if sequence_id is not None and sequence_ids is not None and sequence_id not in sequence_ids:
        shown = ", ".join(repr(i) for i in list(sequence_ids)[:5])
        more = f" and {len(sequence_ids) - 5} more" if len(sequence_ids) > 5 else ""
        raise DataFormatError(
            f"--video {sequence_id!r}: no such video among the compared ones; choose one of "
            f"{shown}{more}"
        )
    return out


def write_report(
    out_dir: str | Path,
    comparison: Comparison | None = None,
    score: Task2Score | Mapping[str, Task2Score] | None = None,
    *,
    title: str = "ethostyle report",
    sequence_id: str | None = None,
    notes: Sequence[str] = (),
    learned_rules: Mapping[int, Sequence[str]] | None = None,
    n_episodes: int = DEFAULT_EPISODES,
) -> dict[str, Path]:
    """Write the tables, figures and the self-contained HTML page of a report.

    The page gives the answer first: per annotator, its learned rules (when
    given) and its three largest differences from the reference in plain
    language. Then come the moments to check in the video (the ethogram of the
    most disputed video with its episodes marked, and pose snapshots of the
    longest episodes), the agreement of every pair of annotators, the detailed
    measures, and last the challenge score.

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
        The video drawn in the ethogram; by default the one whose labels differ
        most from the reference's.
    notes : sequence of str
        Extra sentences shown under the title (e.g. how the data were made).
    learned_rules : mapping of int to sequence of str, optional
        Annotator -> statements of the rules a model learned for its style
        (e.g. a style program's ``describe()``), shown first in its answer.
    n_episodes : int
        Episodes shown per annotator and kind, the longest first (all are in
        ``episodes.csv``).

    Returns
    -------
    dict of str to Path
        File role (``"report"``, ``"disagreement"``, ``"episodes"``,
        ``"pairwise"``, ``"summary"``, ``"ethogram_figure"``, ...) -> path written.

    Raises
    ------
    EthostyleError
        When neither a comparison nor a score is given, ``out_dir`` is a file,
        ``n_episodes`` is below 1 or ``sequence_id`` is not a compared video.
    """
    if comparison is None and score is None:
        raise EthostyleError("write_report: give a comparison, a score or both; nothing to report")
    out = check_report_options(
        out_dir,
        n_episodes=n_episodes,
        sequence_id=sequence_id,
        sequence_ids=None if comparison is None else comparison.sequence_ids,
    )
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    sections = [page.paragraph(note, "note") for note in notes]
    if comparison is not None:
        sections += _comparison_sections(
            comparison, out, paths, sequence_id, dict(learned_rules or {}), n_episodes
        )
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


def _comparison_sections(
    comparison: Comparison,
    out: Path,
    paths: dict[str, Path],
    sequence_id: str | None,
    learned_rules: dict[int, Sequence[str]],
    n_episodes: int,
) -> list[str]:
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
    ref = comparison.reference

    sections = [
        _answer_section(comparison, learned_rules),
        _episode_section(comparison, out, paths, sequence_id, n_episodes),
        _pairwise_section(comparison, out, paths),
    ]

    every = []
    for annotator, sentences in comparison.summaries.items():
        every.append(page.bullet_list(sentences, f"Annotator {annotator} vs annotator {ref}"))
    every.append(
        page.paragraph(
            comparison.no_difference.describe(comparison.fps, comparison.feature_specs), "note"
        )
    )
    every += _interval_parts(comparison)
    sections.append(page.section("Every difference found", *every))

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
    shown = comparison.table[list(_PAGE_COLUMNS)].rename(columns=_PAGE_COLUMNS)
    sections.append(
        page.section(
            "All numbers",
            page.paragraph(
                "The numbers behind the figures (these and more columns are in "
                "disagreement.csv). Shifts are medians over matched bouts, this annotator minus "
                f"annotator {ref}. F1 is n/a where neither side labels the behaviour."
            ),
            page.table(shown),
        )
    )
    return sections


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
