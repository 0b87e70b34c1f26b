"""Label spreadsheets read into a :class:`LabelTable`: one row per frame, or one row per bout.

Two CSV layouts are read (columns matched ignoring case and spaces):

- **frames**: one row per frame, with a ``behavior`` (or ``label``) column and
  optionally ``frame`` and ``sequence`` columns;
- **bouts**: one row per bout, with ``start``, ``stop`` and ``behavior``
  (optionally ``sequence``). ``start``/``stop`` are frame numbers by default,
  or seconds with ``units="seconds"``; columns named ``start_frame``/``stop_frame``
  or ``start_s``/``stop_s`` (as ethostyle's own bout CSV has) say their unit
  themselves (seconds are used when a file has both). ``stop`` is exclusive:
  the first frame after the bout, or the time the bout ends. A frame number
  with a fraction (1.5) is refused: it is a time in seconds, read with
  ``units="seconds"``. An ``fps`` column (as ``predict --bouts`` writes)
  gives the rate its frames count at.

Frame numbers (and the rows of a frame-per-row file) count the frames of the
video the labels were made on, at its own frame rate; they are converted to
30 Hz pose frames when painted onto a sequence that records its video's rate
(:func:`~ethostyle.importers.labels_for_dataset`).

Every file becomes a :class:`LabelTable` (one row per bout; a frame row is a
one-frame bout). BORIS files are read by :mod:`ethostyle.importers.boris` into
the same table; :mod:`ethostyle.importers.label_import` reads any label file
and paints the tables onto the frames of the imported poses.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ethostyle.data import FPS
from ethostyle.errors import DataFormatError

__all__ = ["UNITS", "LabelTable", "checked_units", "read_label_csv", "read_table"]

#: Units of the start/stop columns of a bout CSV.
UNITS: tuple[str, ...] = ("frames", "seconds")


@dataclass(frozen=True, slots=True)
class LabelTable:
    """Bouts read from one label file, before they are matched to sequences.

    Attributes
    ----------
    path : pathlib.Path
        The file, named in error messages.
    start, stop : numpy.ndarray
        ``(rows,)`` int64 frames; ``stop`` is exclusive. Frames of the video's own
        rate when ``video_frames``, else frames at 30 Hz (converted from seconds).
    behavior : numpy.ndarray
        ``(rows,)`` str, the lab's behaviour names.
    sequence : numpy.ndarray
        ``(rows,)`` str, the video each row belongs to ("" when the file does not say).
    media : numpy.ndarray
        ``(rows,)`` str, another name of the video (a media file's stem; "" if none).
    subject : numpy.ndarray
        ``(rows,)`` str, the animal the row is about ("" when the file does not say).
    every_frame : bool
        True for a frame-per-row file, which must cover every frame of its video.
    video_frames : bool
        True when ``start``/``stop`` count the video's own frames (a file in
        frames), False when they are 30 Hz frames made from seconds.
    """

    path: Path
    start: np.ndarray
    stop: np.ndarray
    behavior: np.ndarray
    sequence: np.ndarray
    media: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=str))
    subject: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=str))
    every_frame: bool = False
    video_frames: bool = False

    def __post_init__(self) -> None:
        n = len(self.start)
        for name in ("media", "subject"):
            if len(getattr(self, name)) != n:
                object.__setattr__(self, name, np.full(n, "", dtype=object))

    def __len__(self) -> int:
        return len(self.start)

    def select(self, keep: np.ndarray) -> LabelTable:
        """The rows where the boolean mask ``keep`` holds."""
        return LabelTable(
            self.path,
            self.start[keep],
            self.stop[keep],
            self.behavior[keep],
            self.sequence[keep],
            self.media[keep],
            self.subject[keep],
            self.every_frame,
            self.video_frames,
        )


def _separator(path: Path) -> str:
    """The column separator of a text table: comma, tab or semicolon (sniffed)."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        sample = fh.read(8192)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:  # one column: no separator to find
        return "\t" if path.suffix.lower() == ".tsv" else ","


def read_table(path: Path) -> pd.DataFrame:
    """Read a spreadsheet (CSV, TSV or Excel/OpenDocument) with every cell as text.

    Column names are stripped of surrounding spaces. The CSV separator is sniffed.
    """
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file; check the path")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xls", ".ods"):
            frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_csv(path, sep=_separator(path), dtype=str, keep_default_na=False)
    except ImportError as exc:
        raise DataFormatError(
            f"{path}: reading {suffix} files needs an extra package ({exc}); "
            f"pip install 'ethostyle[boris]' (from a clone: .venv/bin/pip install -e '.[boris]'), "
            f"or save the sheet as CSV"
        ) from None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{path}: not a readable table ({exc}); save it as CSV") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _column(frame: pd.DataFrame, *names: str) -> str | None:
    """The first column whose name, ignoring case and spaces, is one of ``names``."""
    lookup = {c.lower().replace(" ", "_"): c for c in frame.columns}
    return next((lookup[n] for n in names if n in lookup), None)


def _numbers(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    values = pd.to_numeric(frame[column].str.strip(), errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            f"{path}, row {row + 2}: {column!r} is {frame[column].iloc[row]!r}, not a number; "
            f"fill in every {column!r} cell"
        )
    return values


def _to_frames(values: np.ndarray, seconds: bool, column: str, path: Path) -> np.ndarray:
    """30 Hz frames from seconds, or the whole frame numbers a column holds."""
    if seconds:
        return np.rint(values * FPS).astype(np.int64)
    fraction = values != np.round(values)
    if fraction.any():
        row = int(np.flatnonzero(fraction)[0])
        raise DataFormatError(
            f"{path}, row {row + 2}: {column!r} is {values[row]:g}, not a whole frame number; "
            f"if the column holds times in seconds, pass --units seconds (units='seconds' in "
            f"Python) or name the columns start_s and stop_s"
        )
    return values.astype(np.int64)


def checked_units(units: str) -> str:
    """Return ``units`` if it is one of :data:`UNITS`, else raise naming them."""
    if units not in UNITS:
        raise DataFormatError(
            f"--units {units!r}: bout times are in 'frames' (the video's own frame numbers) or "
            f"'seconds'; convert other units to seconds first"
        )
    return units


def read_label_csv(path: str | os.PathLike[str], *, units: str = "frames") -> LabelTable:
    """Read a frame-per-row or bout-per-row label spreadsheet.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``/``.tsv`` (or ``.xlsx``) file; see the module docstring for
        its columns.
    units : {"frames", "seconds"}
        Unit of plain ``start``/``stop`` columns. Frames are the video's own
        (converted at the rate its imported poses record).

    Returns
    -------
    LabelTable
        One row per bout (per frame for a frame-per-row file).

    Raises
    ------
    DataFormatError
        Naming the file and row, if a needed column is missing, a cell is not
        a number, or a frame number has a fraction (seconds read as frames).

    Examples
    --------
    >>> table = read_label_csv("alice_bouts.csv", units="seconds")  # doctest: +SKIP
    >>> table.behavior[:2]  # doctest: +SKIP
    array(['sniff', 'mount'], dtype=object)
    """
    path = Path(path)
    checked_units(units)
    frame = read_table(path)
    behavior = _column(frame, "behavior", "behaviour", "label", "annotation")
    if behavior is None:
        raise DataFormatError(
            f"{path}: no 'behavior' column (columns: {list(frame.columns)}); name the column "
            f"holding the behaviour of each row 'behavior'"
        )
    sequence_col = _column(frame, "sequence", "sequence_id", "video", "video_id")
    sequence = (
        frame[sequence_col].str.strip().to_numpy(object)
        if sequence_col
        else np.full(len(frame), "", dtype=object)
    )
    names = frame[behavior].str.strip().to_numpy(object)
    # Seconds first: exact at any frame rate (ethostyle's own bout CSV has both).
    start_col = _column(frame, "start_s", "start_frame", "start")
    stop_col = _column(frame, "stop_s", "stop_frame", "stop", "end")
    if start_col and stop_col:
        unit_of = {"start_frame": False, "start_s": True}
        seconds = unit_of.get(start_col.lower().replace(" ", "_"), units == "seconds")
        start = _numbers(frame, start_col, path)
        stop = _numbers(frame, stop_col, path)
        fps_col = _column(frame, "fps", "frame_rate")
        if fps_col and not seconds:  # frames at a stated rate: seconds are exact
            rate = _numbers(frame, fps_col, path)
            if (rate <= 0).any():
                row = int(np.flatnonzero(rate <= 0)[0])
                raise DataFormatError(
                    f"{path}, row {row + 2}: {fps_col!r} is {rate[row]:g}; give the frame "
                    f"rate the start and stop frames count at, a positive number"
                )
            _to_frames(start, False, start_col, path)
            start, stop, seconds = start / rate, stop / rate, True
        start = _to_frames(start, seconds, start_col, path)
        stop = _to_frames(stop, seconds, stop_col, path)
        return LabelTable(path, start, stop, names, sequence, video_frames=not seconds)
    if start_col or stop_col:
        raise DataFormatError(
            f"{path}: has {start_col or stop_col!r} but no matching "
            f"{'stop' if start_col else 'start'} column; a bout table needs both"
        )
    frame_col = _column(frame, "frame", "frame_index", "frame_number")
    if frame_col:
        index = _to_frames(_numbers(frame, frame_col, path), False, frame_col, path)
    else:
        # Rows are frames in order, numbered afresh within each sequence.
        index = frame.groupby(sequence, sort=False).cumcount().to_numpy(np.int64)
    return LabelTable(path, index, index + 1, names, sequence, every_frame=True, video_frames=True)
