"""BORIS: read its exported events as labels, and write predictions it can import.

BORIS (https://www.boris.unito.it) exports coded events as tables; three kinds
are read, from CSV, TSV, XLSX or ODS:

- **aggregated events** (one row per bout): ``Observation id``, ``Subject``,
  ``Behavior``, ``Behavior type`` (STATE/POINT), ``Start (s)``, ``Stop (s)``,
  ``Media file name``;
- **tabular events** (one row per event): ``Behavior``, ``Time`` and a START/STOP
  status (``Behavior type`` in BORIS 8+, ``Status`` in BORIS 7, whose files open
  with a few lines about the observation before the table);
- **event spreadsheets** in the layout BORIS imports (``time``, ``subject``,
  ``code``, ``modifier``, ``comment``; a state behaviour's events alternate
  start, stop), as :func:`write_boris_import` writes them.

Point events have no duration and are skipped. Times are seconds from the start
of the media and become frames at 30 Hz (``round(t * 30)``); BORIS's time offset
is not applied. Rows are matched to sequences by observation id or media file
name (see :func:`~ethostyle.importers.labels_for_dataset`);
:func:`is_boris_table` tells a BORIS table from a lab's own spreadsheet.

:func:`write_boris_import` writes one observation's bouts as the spreadsheet BORIS
reads with *File > Import observations* (XLSX or ODS; the behaviours must be
state events in the project's ethogram), so predictions can be reviewed in BORIS.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ethostyle.atomic import atomic_write_path
from ethostyle.bouts import behavior_bouts
from ethostyle.data import FPS, OTHER, VOCABULARY
from ethostyle.errors import DataFormatError
from ethostyle.importers.label_tables import LabelTable, read_label_csv, read_table
from ethostyle.io import load_labels

__all__ = ["export_boris", "is_boris_table", "read_boris", "write_boris_import"]

logger = logging.getLogger(__name__)

#: Columns of the event spreadsheet BORIS imports (it matches them ignoring case).
IMPORT_COLUMNS: tuple[str, ...] = ("time", "subject", "code", "modifier", "comment")
_NO_SUBJECT = {"", "no focal subject"}
#: Column names only BORIS tables have (lower case).
_BORIS_COLUMNS = {"behavior type", "start (s)", "status", "observation id", "code"}
_SHEET_SUFFIX = ".boris"


def _raw_rows(path: Path) -> list[list[str]]:
    """Every row of a table file as text cells (the header may not be the first row)."""
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file; check the path")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls", ".ods"):
        try:
            sheet = pd.read_excel(path, sheet_name=0, header=None, dtype=str)
        except ImportError as exc:
            raise DataFormatError(
                f"{path}: reading {suffix} needs an extra package ({exc}); "
                f"pip install 'ethostyle[boris]' (from a clone: .venv/bin/pip install -e "
                f"'.[boris]'), or export from BORIS as CSV/TSV"
            ) from None
        except ValueError as exc:
            raise DataFormatError(f"{path}: not a readable spreadsheet ({exc})") from None
        return sheet.fillna("").to_numpy(dtype=str).tolist()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataFormatError(
            f"{path}: not UTF-8 text; export from BORIS as CSV, TSV or XLSX"
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel_tab if "\t" in text[:8192] else csv.excel
    return [row for row in csv.reader(text.splitlines(), dialect) if any(c.strip() for c in row)]


def _header_row(rows: list[list[str]], path: Path) -> int:
    """Index of the row naming the columns (BORIS 7 writes metadata lines first)."""
    for i, row in enumerate(rows):
        cells = {c.strip().lower() for c in row}
        if "behavior" in cells or {"time", "code"} <= cells:
            return i
    raise DataFormatError(
        f"{path}: no header row with a 'Behavior' column; export the events from BORIS "
        f"with Observations > Export events (tabular or aggregated)"
    )


def _media_stem(value: str) -> str:
    """``'player #1:C:\\videos\\a.mp4'`` -> ``'a'``."""
    name = re.split(r"[\\/]", value.strip())[-1]
    name = name.split(":")[-1] if ":" in name else name
    return name.rsplit(".", 1)[0] if "." in name else name


def _col(frame: pd.DataFrame, *names: str) -> pd.Series | None:
    lookup = {c.strip().lower(): c for c in frame.columns}
    for name in names:
        if name in lookup:
            return frame[lookup[name]].astype(str).str.strip()
    return None


def _seconds(values: pd.Series, column: str, path: Path) -> np.ndarray:
    out = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            f"{path}: {column} {values.iloc[row]!r} of event {row + 1} is not a number of "
            f"seconds; is a state event left unpaired? (BORIS: Observations > Fix unpaired "
            f"events)"
        )
    return out


def _pair_events(events: pd.DataFrame, is_start: np.ndarray, path: Path) -> pd.DataFrame:
    """Pair the k-th start with the k-th stop of each (observation, subject, behaviour)."""
    keys = ["sequence", "media", "subject", "behavior"]
    events = events.assign(_start=is_start).sort_values("time", kind="stable")
    events["_k"] = events.groupby([*keys, "_start"], sort=False).cumcount()
    starts = events[events["_start"]]
    stops = events[~events["_start"]]
    pairs = starts.merge(stops, on=[*keys, "_k"], how="outer", suffixes=("", "_stop"))
    unpaired = pairs["time"].isna() | pairs["time_stop"].isna()
    if unpaired.any():
        row = pairs[unpaired].iloc[0]
        when = row["time"] if pd.notna(row["time"]) else row["time_stop"]
        raise DataFormatError(
            f"{path}: the state event {row['behavior']!r} of subject "
            f"{row['subject'] or 'no focal subject'!r} at {when:.3f} s has no matching "
            f"{'stop' if pd.notna(row['time']) else 'start'}; fix unpaired events in BORIS "
            f"(Observations > Fix unpaired events) and export again"
        )
    return pairs.rename(columns={"time": "start_s", "time_stop": "stop_s"})


def is_boris_table(path: str | os.PathLike[str]) -> bool:
    """Whether a table file is a BORIS export (or event spreadsheet) rather than a lab's CSV.

    A BORIS table opens with metadata lines before its header (BORIS 7), or has
    a column only BORIS writes (``Behavior type``, ``Start (s)``, ``Status``,
    ``Observation id``, ``code``).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``, ``.tsv``, ``.xlsx`` or ``.ods`` file.

    Returns
    -------
    bool
        True when :func:`read_boris` is the reader to use.

    Raises
    ------
    DataFormatError
        If the file does not exist or is neither UTF-8 text nor a spreadsheet.

    Examples
    --------
    >>> is_boris_table("observation1_aggregated.tsv")  # doctest: +SKIP
    True
    """
    path = Path(path)
    rows = _raw_rows(path)
    try:
        head = _header_row(rows, path)
    except DataFormatError:  # no BORIS header: the CSV reader says what is missing
        return False
    return head > 0 or bool({c.strip().lower() for c in rows[head]} & _BORIS_COLUMNS)


def read_boris(path: str | os.PathLike[str]) -> LabelTable:
    """Read a BORIS export (aggregated or tabular events) or event spreadsheet.

    Parameters
    ----------
    path : str or os.PathLike
        The exported file (``.csv``, ``.tsv``, ``.xlsx`` or ``.ods``).

    Returns
    -------
    LabelTable
        One row per state bout: ``sequence`` is the observation id, ``media``
        the media file's name without folder and suffix (for an event
        spreadsheet, which names neither, the file's name), ``subject`` as in
        BORIS ("" for no focal subject).

    Raises
    ------
    DataFormatError
        If the file is not a BORIS table, a time is not a number or a state
        event is unpaired.

    Examples
    --------
    >>> table = read_boris("observation1_aggregated.tsv")  # doctest: +SKIP
    >>> table.behavior[:3], table.start[:3]  # doctest: +SKIP
    (array(['sniff', 'mount', 'sniff'], dtype=object), array([ 54, 310, 902]))
    """
    path = Path(path)
    frame, preamble = _frame(path)
    n = len(frame)
    behavior = _col(frame, "behavior", "code")
    kind = _col(frame, "behavior type", "status")
    events = _events(frame, preamble, behavior)
    bouts, state = _state_bouts(frame, events, kind, behavior, path)
    skipped = int(n - state.sum())
    if skipped:
        logger.info("%s: %d point event(s) skipped (they have no duration)", path, skipped)
    bouts = bouts.sort_values(["sequence", "media", "start_s"], kind="stable")
    return LabelTable(
        path,
        np.rint(bouts["start_s"].to_numpy(np.float64) * FPS).astype(np.int64),
        np.rint(bouts["stop_s"].to_numpy(np.float64) * FPS).astype(np.int64),
        bouts["behavior"].to_numpy(object),
        bouts["sequence"].to_numpy(object),
        bouts["media"].to_numpy(object),
        bouts["subject"].to_numpy(object),
    )


def _frame(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table under the header row, as text, and the ``key: value`` rows above it."""
    rows = _raw_rows(path)
    head = _header_row(rows, path)
    width = len(rows[head])
    preamble = {r[0].strip().lower(): r[1].strip() for r in rows[:head] if len(r) > 1}
    body = [(r + [""] * width)[:width] for r in rows[head + 1 :]]
    frame = pd.DataFrame(body, columns=[c.strip() for c in rows[head]], dtype=str)
    return frame, preamble


def _events(
    frame: pd.DataFrame, preamble: dict[str, str], behavior: pd.Series | None
) -> pd.DataFrame:
    """Per event: its observation (``sequence``), media stem, subject and behaviour."""
    blank = pd.Series([""] * len(frame), index=frame.index, dtype=str)
    subject = _col(frame, "subject")
    if subject is None:
        subject = blank
    subject = subject.where(~subject.str.lower().isin(_NO_SUBJECT), "")
    sequence = _col(frame, "observation id")
    if sequence is None:
        sequence = blank + preamble.get("observation id", "")
    media = _col(frame, "media file name", "media file path", "media file", "media file(s)")
    media = blank if media is None else media.map(_media_stem)
    return pd.DataFrame(
        {"sequence": sequence, "media": media, "subject": subject, "behavior": behavior}
    )


def _state_bouts(
    frame: pd.DataFrame,
    events: pd.DataFrame,
    kind: pd.Series | None,
    behavior: pd.Series | None,
    path: Path,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The bouts of state events with ``start_s`` and ``stop_s``, and which events are
    states (point events have no duration)."""
    n = len(frame)
    start_s, stop_s = _col(frame, "start (s)"), _col(frame, "stop (s)")
    if start_s is not None and stop_s is not None:  # aggregated events
        state = np.ones(n, bool) if kind is None else (kind.str.upper() != "POINT").to_numpy()
        bouts = events.assign(
            start_s=_seconds(start_s, "'Start (s)'", path),
            stop_s=_seconds(stop_s.where(state, "0"), "'Stop (s)'", path),
        )[state]
        return bouts, state
    time = _col(frame, "time")
    if time is None or behavior is None:
        raise DataFormatError(
            f"{path}: has neither 'Start (s)'/'Stop (s)' (aggregated events) nor "
            f"'Time' and 'Behavior' (tabular events) columns; columns: {list(frame.columns)}"
        )
    events["time"] = _seconds(time, "'Time'", path)
    if kind is not None:  # tabular events: START/STOP/POINT status
        status = kind.str.upper()
        state = (status != "POINT").to_numpy()
        return _pair_events(events[state], (status[state] == "START").to_numpy(), path), state
    # event spreadsheet: a behaviour's events alternate start, stop
    if not events["sequence"].str.len().any():
        events["media"] = path.stem.removesuffix(_SHEET_SUFFIX)
    order = events.sort_values("time", kind="stable")
    nth = order.groupby(["subject", "behavior"], sort=False).cumcount()
    return _pair_events(order, (nth % 2 == 0).to_numpy(), path), np.ones(n, bool)


def write_boris_import(
    start: np.ndarray,
    stop: np.ndarray,
    behavior: np.ndarray,
    path: str | os.PathLike[str],
    *,
    subject: str = "",
    comment: np.ndarray | None = None,
) -> Path:
    """Write one video's bouts as the event spreadsheet BORIS imports.

    Each bout becomes a start event and a stop event (``time`` in seconds,
    ``code`` the behaviour); stops sort before starts at the same time.

    Parameters
    ----------
    start, stop : numpy.ndarray
        ``(bouts,)`` frames at 30 Hz; ``stop`` is exclusive.
    behavior : numpy.ndarray
        ``(bouts,)`` behaviour names.
    path : str or os.PathLike
        ``.xlsx`` or ``.ods`` for BORIS (``.csv``/``.tsv`` to read elsewhere).
    subject : str
        BORIS subject of every event ("" for no focal subject).
    comment : numpy.ndarray, optional
        ``(bouts,)`` text put on each bout's start event.

    Returns
    -------
    pathlib.Path
        The file written (atomically).
    """
    path = Path(path)
    n = len(start)
    comments = np.full(n, "", dtype=object) if comment is None else np.asarray(comment, object)
    events = pd.DataFrame(
        {
            "time": np.round(np.concatenate([start, stop]) / FPS, 3),
            "subject": subject,
            "code": np.concatenate([behavior, behavior]),
            "modifier": "",
            "comment": np.concatenate([comments, np.full(n, "", dtype=object)]),
            "_start": np.r_[np.ones(n, bool), np.zeros(n, bool)],
        }
    ).sort_values(["time", "_start"], kind="stable")
    table = events[list(IMPORT_COLUMNS)]
    suffix = path.suffix.lower()
    with atomic_write_path(path) as tmp:
        if suffix in (".xlsx", ".ods"):
            engine = "openpyxl" if suffix == ".xlsx" else "odf"
            try:
                table.to_excel(tmp, index=False, engine=engine)
            except ImportError as exc:
                raise DataFormatError(
                    f"{path}: writing {suffix} needs an extra package ({exc}); "
                    f"pip install 'ethostyle[boris]' (from a clone: .venv/bin/pip install "
                    f"-e '.[boris]')"
                ) from None
        else:
            table.to_csv(tmp, index=False, sep="\t" if suffix == ".tsv" else ",")
    return path


def _bouts_from_file(path: Path, fps: float) -> pd.DataFrame:
    """Bouts (sequence, behavior, start, stop at 30 Hz, comment) of a bout CSV or labels file."""
    if path.suffix.lower() == ".npy":
        rows = behavior_bouts(load_labels(path))
        ratio = FPS / fps  # the labels' frames at fps -> 30 Hz frames, as a bout CSV's are
        return pd.DataFrame(
            {
                "sequence": rows.sequence,
                "behavior": rows.behavior,
                "start": np.rint(rows.start * ratio).astype(np.int64),
                "stop": np.rint(rows.stop * ratio).astype(np.int64),
                "comment": np.full(len(rows), "", dtype=object),
            }
        )
    table = read_label_csv(path)
    frame = read_table(path)
    comment = pd.Series("", index=frame.index, dtype=str)
    if "annotator_style" in frame:
        comment = "ethostyle, style of annotator " + frame["annotator_style"]
    if "mean_probability" in frame:
        comment = comment + ", model probability " + frame["mean_probability"]
    return pd.DataFrame(
        {
            "sequence": table.sequence,
            "behavior": table.behavior,
            "start": table.start,
            "stop": table.stop,
            "comment": comment.to_numpy(object),
        }
    )


def export_boris(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    subject: str = "",
    suffix: str = ".xlsx",
    names: Mapping[str, str] | None = None,
    fps: float = FPS,
) -> list[Path]:
    """Write predicted (or any) bouts as one BORIS event spreadsheet per video.

    Parameters
    ----------
    source : str or os.PathLike
        A bout CSV (``ethostyle predict --bouts``) or a labels/submission ``.npy``.
    out_dir : str or os.PathLike
        Folder for ``<sequence>.boris.xlsx`` files.
    subject : str
        BORIS subject of every event ("" for no focal subject).
    suffix : str
        ``.xlsx`` or ``.ods`` for BORIS; ``.csv``/``.tsv`` to read elsewhere.
    names : mapping of str to str, optional
        Behaviour names to write instead of ethostyle's (e.g. the lab's ethogram).
    fps : float
        The rate a labels ``.npy`` counts frames at: 30 for a submission, the
        video's own rate for ``predict --fps`` output. A bout CSV says its own
        (its ``fps`` column; 30 Hz without one).

    Returns
    -------
    list of pathlib.Path
        The files written, one per sequence with at least one bout.

    Examples
    --------
    >>> export_boris("bouts.csv", "for_boris")  # doctest: +SKIP
    [PosixPath('for_boris/videoA.boris.xlsx')]
    """
    source = Path(source)
    if not np.isfinite(fps) or fps <= 0:
        raise DataFormatError(f"--fps {fps:g}: give the frame rate, a positive number")
    bouts = _bouts_from_file(source, fps)
    if names:
        bouts["behavior"] = bouts["behavior"].map(lambda b: names.get(b, b))
    written = []
    for sid, rows in bouts.groupby("sequence", sort=False):
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(sid))
        written.append(
            write_boris_import(
                rows["start"].to_numpy(np.int64),
                rows["stop"].to_numpy(np.int64),
                rows["behavior"].to_numpy(object),
                Path(out_dir) / f"{safe}{_SHEET_SUFFIX}{suffix}",
                subject=subject,
                comment=rows["comment"].to_numpy(object),
            )
        )
    if not written:
        logger.warning("%s: no bouts of %s to export", source, list(VOCABULARY[:OTHER]))
    return written
