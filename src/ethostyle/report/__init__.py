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
- ``clips/*.mp4`` (with episode clips, :mod:`ethostyle.report.clips`), played by the page;
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

import pandas as pd

from ethostyle import __version__
from ethostyle.compare import Comparison
from ethostyle.errors import DataFormatError, EthostyleError
from ethostyle.metrics import Task2Score
from ethostyle.report import page
from ethostyle.report.clips import EpisodeClip, clip_section
from ethostyle.report.sections import comparison_sections, score_section
from ethostyle.report.tables import named_scores, score_frame, write_bytes, write_csv

__all__ = ["DEFAULT_EPISODES", "check_report_options", "write_report"]

logger = logging.getLogger(__name__)

#: Episodes shown per annotator and kind by default.
DEFAULT_EPISODES = 5


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
    clips: Sequence[EpisodeClip] = (),
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
    clips : sequence of EpisodeClip
        Episode clips written inside ``out_dir``
        (:func:`~ethostyle.report.clips.write_episode_clips`), played after the episodes.

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
    out = _prepared_folder(out_dir, comparison, score, n_episodes, sequence_id)
    paths: dict[str, Path] = {}
    sections = [page.paragraph(note, "note") for note in notes]
    if comparison is not None:
        videos = [clip_section(clips, out)] if clips else []
        sections += comparison_sections(
            comparison, out, paths, sequence_id, dict(learned_rules or {}), n_episodes, videos
        )
        if clips:
            paths["clips"] = clips[0].path.parent
    scores = named_scores(score)
    if scores:
        sections.append(score_section(scores))
        paths["scores"] = _write_scores(scores, out / "scores.csv")
    _write_page(title, sections, out, paths)
    logger.info("wrote report %s", paths["report"])
    return paths


def _prepared_folder(
    out_dir: str | Path,
    comparison: Comparison | None,
    score: object,
    n_episodes: int,
    sequence_id: str | None,
) -> Path:
    """The report's folder, made, once the options are checked (:func:`write_report`)."""
    if comparison is None and score is None:
        raise EthostyleError("write_report: give a comparison, a score or both; nothing to report")
    out = check_report_options(
        out_dir,
        n_episodes=n_episodes,
        sequence_id=sequence_id,
        sequence_ids=None if comparison is None else comparison.sequence_ids,
    )
    out.mkdir(parents=True, exist_ok=True)
    return out


def _write_scores(scores: dict[str, Task2Score], path: Path) -> Path:
    frames = [score_frame(s).assign(score=name) for name, s in scores.items()]
    table = pd.concat(frames, ignore_index=True)
    return write_csv(table[["score", *table.columns[:-1]]], path)


def _write_page(title: str, sections: list[str], out: Path, paths: dict[str, Path]) -> None:
    """Close the page with the files beside it, and write it as ``report.html``."""
    files = ", ".join(sorted(p.name for p in paths.values()))
    sections.append(
        page.paragraph(f"Made by ethostyle {__version__}. Files beside this page: {files}.", "note")
    )
    document = page.render_page(title, sections)
    paths["report"] = write_bytes(document.encode("utf-8"), out / "report.html")
