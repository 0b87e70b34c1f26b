"""The suggested stretches as files a lab labels: a list, a bout CSV and BORIS spreadsheets.

Every file marks the frames outside the stretches with the behaviour ``unlabelled``,
so that once the stretches are labelled, ``ethostyle import-labels`` reads the file
back as a partly labelled video (:data:`~ethostyle.data.UNLABELLED` outside the
stretches; training and scoring leave those frames out).

- ``stretches.csv``: one row per stretch, best first, with its score and why;
- ``to_label.csv``: a bout table (``sequence, start_s, stop_s, behavior``, times in
  seconds from the start of the video, whatever its frame rate) with an
  ``unlabelled`` row for every gap between stretches and an ``other`` row per
  stretch; add one row per bout seen in a stretch, then import it;
- ``boris/<sequence>.boris.xlsx``: per video, the event spreadsheet BORIS imports
  (*File > Import observations*) with ``unlabelled`` state events outside the
  stretches; code the stretches in BORIS, export the aggregated events, import them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ethostyle.atomic import atomic_write_path
from ethostyle.data import FPS, OTHER, VOCABULARY, Dataset
from ethostyle.importers import write_boris_import
from ethostyle.io.label_checks import UNLABELLED_NAMES
from ethostyle.models.suggest import Stretch

__all__ = ["SUGGEST_FILES", "gaps_between", "write_suggestions"]

#: What :func:`write_suggestions` writes in its folder.
SUGGEST_FILES: tuple[str, ...] = ("stretches.csv", "to_label.csv", "boris/")


def gaps_between(stretches: list[tuple[int, int]], n_frames: int) -> np.ndarray:
    """The frames of a video outside its stretches, as ``(start, stop)`` ranges.

    Parameters
    ----------
    stretches : list of (int, int)
        Non-overlapping ``(start, stop)`` frame ranges.
    n_frames : int
        Frames of the video.

    Returns
    -------
    numpy.ndarray
        ``(gaps, 2)`` int64, in order, empty ranges left out.

    Examples
    --------
    >>> gaps_between([(10, 20), (0, 5)], 30).tolist()
    [[5, 10], [20, 30]]
    """
    bounds = np.array(sorted(stretches), dtype=np.int64).reshape(-1, 2)
    starts = np.concatenate([[0], bounds[:, 1]])
    stops = np.concatenate([bounds[:, 0], [n_frames]])
    keep = stops > starts
    return np.stack([starts[keep], stops[keep]], axis=1)


def write_suggestions(
    stretches: list[Stretch], videos: Dataset, out_dir: str | os.PathLike[str]
) -> list[Path]:
    """Write the stretches to label: their list, a bout CSV and one BORIS spreadsheet per video.

    Parameters
    ----------
    stretches : list of Stretch
        From :func:`~ethostyle.models.suggest.suggest_stretches`, best first.
    videos : Dataset
        The videos they were chosen from (for each video's length).
    out_dir : str or os.PathLike
        Folder to write into (created; files in it are replaced).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    (out / "boris").mkdir(parents=True, exist_ok=True)
    written = [_write_list(stretches, out / "stretches.csv")]
    by_video: dict[str, list[tuple[int, int]]] = {}
    for s in stretches:
        by_video.setdefault(s.sequence, []).append((s.start, s.stop))
    rows = []
    for sid, ranges in by_video.items():  # a loop over the videos with a stretch
        gaps = gaps_between(ranges, videos[sid].n_frames)
        rows.append(_bout_rows(sid, gaps, UNLABELLED_NAMES[0]))
        rows.append(_bout_rows(sid, np.array(sorted(ranges)), VOCABULARY[OTHER]))
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", sid)
        written.append(
            write_boris_import(
                gaps[:, 0],
                gaps[:, 1],
                np.full(len(gaps), UNLABELLED_NAMES[0], dtype=object),
                out / "boris" / f"{safe}.boris.xlsx",
            )
        )
    table = pd.concat(rows, ignore_index=True).sort_values(["sequence", "start_s"])
    with atomic_write_path(out / "to_label.csv") as tmp:
        table.to_csv(tmp, index=False)
    written.insert(1, out / "to_label.csv")
    return written


def _bout_rows(sid: str, ranges: np.ndarray, behavior: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sequence": sid,
            # Seconds: a lab's bout table counts frames of its video's own rate
            # (import-labels), but 30 Hz pose frames / 30 are the same times at any rate.
            "start_s": np.round(ranges[:, 0] / FPS, 4),
            "stop_s": np.round(ranges[:, 1] / FPS, 4),
            "behavior": behavior,
        }
    )


def _write_list(stretches: list[Stretch], path: Path) -> Path:
    """``stretches.csv``: rank, where, score and why of each stretch."""
    table = pd.DataFrame(
        {
            "rank": np.arange(1, len(stretches) + 1),
            "sequence": [s.sequence for s in stretches],
            "start_frame": [s.start for s in stretches],
            "stop_frame": [s.stop for s in stretches],
            "start_s": [round(s.start / FPS, 3) for s in stretches],
            "stop_s": [round(s.stop / FPS, 3) for s in stretches],
            "score": [round(s.score, 4) for s in stretches],
            "edits_disagree": [round(s.edits, 4) for s in stretches],
            "style_vs_reference": [round(s.style, 4) for s in stretches],
            "reference_unsure": [round(s.unsure, 4) for s in stretches],
            "why": [s.why() for s in stretches],
        }
    )
    with atomic_write_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return path
