"""Which video file shows which sequence: a folder matched by file name, or a CSV mapping.

- **A folder**: the video of sequence ``videoA`` is the file whose name without its
  extension is ``videoA``, in any case (``VideoA.MP4``), among the files with a video
  extension (:data:`VIDEO_SUFFIXES`). An exact match wins over one that differs in case.
- **A CSV file** with the columns ``sequence_id`` and ``video``: one row per sequence;
  a relative ``video`` path is read from the CSV's own folder.

Every sequence must find exactly one existing file; anything else is one
:class:`~ethostyle.errors.VideoError` naming the folder or CSV (and its line).

Examples
--------
>>> find_videos("lab_videos", ["videoA", "videoB"])  # doctest: +SKIP
{'videoA': PosixPath('lab_videos/videoA.mp4'), 'videoB': PosixPath('lab_videos/videoB.mp4')}
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from ethostyle.errors import VideoError

__all__ = ["MAPPING_COLUMNS", "VIDEO_SUFFIXES", "find_videos"]

logger = logging.getLogger(__name__)

#: File extensions taken for videos in a folder (compared without case).
VIDEO_SUFFIXES: tuple[str, ...] = (
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv",
)  # fmt: skip
#: The columns of a mapping CSV.
MAPPING_COLUMNS: tuple[str, str] = ("sequence_id", "video")


def find_videos(source: str | os.PathLike[str], sequence_ids: Iterable[str]) -> dict[str, Path]:
    """The video file of each sequence, from a folder or a mapping CSV.

    Parameters
    ----------
    source : path-like
        A folder of videos named by sequence id, or a CSV with columns
        ``sequence_id,video``.
    sequence_ids : iterable of str
        The sequences that need a video.

    Returns
    -------
    dict of str to Path
        Sequence id -> its video file (which exists), in the order of ``sequence_ids``.

    Raises
    ------
    VideoError
        When ``source`` does not exist or is neither a folder nor a ``.csv``; when a
        sequence has no video, or two; when the CSV lacks a column or names a file
        that does not exist.
    """
    source, ids = Path(source), list(sequence_ids)
    if source.is_dir():
        return _from_folder(source, ids)
    if not source.exists():
        raise VideoError(
            f"--videos {source}: no such folder or file; give a folder of videos named by "
            "sequence id (videoA.mp4) or a CSV with columns sequence_id,video"
        )
    if source.suffix.lower() != ".csv":
        raise VideoError(
            f"--videos {source}: give a folder of videos named by sequence id, or a .csv "
            "with columns sequence_id,video (not one video file)"
        )
    return _from_csv(source, ids)


def _from_folder(folder: Path, ids: list[str]) -> dict[str, Path]:
    by_name: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in VIDEO_SUFFIXES and path.is_file():
            by_name.setdefault(path.stem.casefold(), []).append(path)
    found, missing = {}, []
    for sid in ids:
        candidates = by_name.get(sid.casefold(), [])
        exact = [p for p in candidates if p.stem == sid]
        chosen = exact if len(exact) == 1 else candidates
        if not chosen:
            missing.append(sid)
        elif len(chosen) > 1:
            raise VideoError(
                f"--videos {folder}: sequence {sid!r} matches {len(chosen)} files "
                f"({', '.join(p.name for p in chosen)}); keep one, or map each sequence to "
                "its file in a CSV (sequence_id,video)"
            )
        else:
            found[sid] = chosen[0]
    if missing:
        names = sorted(p.name for paths in by_name.values() for p in paths)
        have = f"it holds {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
        raise VideoError(
            f"--videos {folder}: no video for {len(missing)} sequence(s), e.g. {missing[0]!r} "
            f"(looked for {missing[0]}.mp4, .avi, .mov, ... in any case; "
            f"{have if names else 'it holds no video file'}); name each video by its "
            "sequence id or give a CSV with columns sequence_id,video"
        )
    return found


def _from_csv(table: Path, ids: list[str]) -> dict[str, Path]:
    try:
        with table.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
            columns = rows[0].keys() if rows else ()
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise VideoError(f"--videos {table}: cannot be read as a CSV ({exc})") from exc
    absent = [c for c in MAPPING_COLUMNS if c not in columns]
    if absent:
        raise VideoError(
            f"--videos {table}: no column {absent[0]!r} (columns: {', '.join(columns) or 'none'})"
            "; give a CSV whose header is sequence_id,video, one row per sequence"
        )
    mapping: dict[str, Path] = {}
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        sid, name = (row[c].strip() if row[c] else "" for c in MAPPING_COLUMNS)
        if not sid or not name:
            raise VideoError(
                f"--videos {table}, line {line}: empty sequence_id or video; give both"
            )
        path = Path(name) if Path(name).is_absolute() else table.parent / name
        if sid in mapping and mapping[sid] != path:
            raise VideoError(
                f"--videos {table}, line {line}: sequence {sid!r} is mapped twice "
                f"({mapping[sid].name} and {path.name}); keep one row per sequence"
            )
        if sid in ids and not path.is_file():
            raise VideoError(
                f"--videos {table}, line {line}: {path}: no such video file for sequence "
                f"{sid!r}; fix the path (relative paths start at the CSV's folder)"
            )
        mapping[sid] = path
    missing = [sid for sid in ids if sid not in mapping]
    if missing:
        raise VideoError(
            f"--videos {table}: no row for {len(missing)} sequence(s), e.g. {missing[0]!r}; "
            "add a row sequence_id,video for every compared sequence"
        )
    extra = set(mapping) - set(ids)
    if extra:
        logger.info("%s: %d row(s) name sequences not compared; ignored", table, len(extra))
    return {sid: mapping[sid] for sid in ids}
