"""Labels onto imported poses: read any label file, map its names, paint its bouts onto frames.

:func:`read_label_file` reads a BORIS export or a frame/bout spreadsheet into a
:class:`~ethostyle.importers.label_tables.LabelTable`; :func:`labels_for_dataset`
paints the tables onto the frames of the imported poses, after mapping the lab's
behaviour names to ethostyle's (``attack``, ``investigation``, ``mount``;
everything else is ``other``, see :func:`behavior_codes`); :func:`import_labels`
adds the result to a lab's data set under the annotator's name.

Partly labelled videos: bouts of the behaviour ``unlabelled`` (any case; a lab's
own name mapped to it with ``--behaviors 'not scored=unlabelled'``) mark frames
nobody labelled. They get :data:`~ethostyle.data.UNLABELLED` (-1), which training,
adapting and scoring leave out; a behaviour bout over such a frame wins. Frames of
a video that no row covers are ``other`` as before, so a file that labels only part
of a video says which part with ``unlabelled`` rows (as ``ethostyle suggest`` writes
them).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ethostyle.bouts import Bouts, labels_from_bouts
from ethostyle.data import FPS, OTHER, UNLABELLED, VOCABULARY, Dataset, Sequence
from ethostyle.errors import DataFormatError
from ethostyle.importers.boris import is_boris_table, read_boris
from ethostyle.importers.dataset import LabDataset, add_annotator
from ethostyle.importers.label_tables import LabelTable, checked_units, read_label_csv
from ethostyle.io.frame_rate import video_frame_count
from ethostyle.io.label_checks import UNLABELLED_NAMES

__all__ = [
    "LabelImport",
    "behavior_codes",
    "import_labels",
    "labels_for_dataset",
    "read_label_file",
]

logger = logging.getLogger(__name__)

#: Lab names that mean "nothing scored here" (compared in lower case).
_NOTHING = frozenset({"", "nan", "none", "other", "background", "no behavior", "no behaviour"})


def read_label_file(path: str | os.PathLike[str], *, units: str = "frames") -> LabelTable:
    """Read a label file of any supported kind: a BORIS export or a frame/bout CSV.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    units : {"frames", "seconds"}
        Unit of plain ``start``/``stop`` columns of a bout CSV (BORIS files are
        always in seconds).

    Returns
    -------
    LabelTable
        One row per bout.

    Examples
    --------
    >>> table = read_label_file("alice_boris_aggregated.tsv")  # doctest: +SKIP
    """
    path = Path(path)
    checked_units(units)  # for every file, though BORIS files say their own (seconds)
    if is_boris_table(path):
        return read_boris(path)
    return read_label_csv(path, units=units)


def behavior_codes(
    names: np.ndarray, mapping: Mapping[str, str] | None = None, *, where: str = ""
) -> np.ndarray:
    """Map a lab's behaviour names to label indices.

    ethostyle's own names (any case) map to themselves; ``mapping`` maps other
    names (``{"sniff": "investigation"}``, any case); empty cells and names such
    as "none" or "background" are ``other``; ``unlabelled`` (or a name mapped to
    it) is :data:`~ethostyle.data.UNLABELLED`, frames nobody labelled.

    Parameters
    ----------
    names : numpy.ndarray
        ``(rows,)`` behaviour names.
    mapping : mapping of str to str, optional
        The lab's name to one of :data:`~ethostyle.data.VOCABULARY`.
    where : str
        The file, named in error messages.

    Returns
    -------
    numpy.ndarray
        ``(rows,)`` int8 indices into :data:`~ethostyle.data.VOCABULARY`, or -1.

    Raises
    ------
    DataFormatError
        Listing every unmapped name, with how to map it.

    Examples
    --------
    >>> import numpy as np
    >>> behavior_codes(np.array(["Attack", "sniff", ""]), {"sniff": "investigation"}).tolist()
    [0, 1, 3]
    >>> behavior_codes(np.array(["Unlabelled", "mount"])).tolist()
    [-1, 2]
    """
    table: dict[str, int] = {name: i for i, name in enumerate(VOCABULARY)}
    table.update(dict.fromkeys(_NOTHING, OTHER))
    table.update(dict.fromkeys(UNLABELLED_NAMES, UNLABELLED))
    for theirs, ours in (mapping or {}).items():
        if ours.lower() not in table or ours.lower() in _NOTHING - {"other"}:
            raise DataFormatError(
                f"--behaviors maps {theirs!r} to {ours!r}; map to one of {list(VOCABULARY)} "
                f"(or {UNLABELLED_NAMES[0]!r} for frames nobody labelled)"
            )
        table[theirs.strip().lower()] = table[ours.lower()]
    normal = pd.Series(names, dtype=str).str.strip().str.lower().to_numpy(dtype=str)
    unique, inverse = np.unique(normal, return_inverse=True)
    unknown = [str(u) for u in unique if u not in table]
    if unknown:
        counts = {u: int(np.sum(normal == u)) for u in unknown}
        prefix = f"{where}: " if where else ""
        raise DataFormatError(
            f"{prefix}behaviour name(s) ethostyle does not know: "
            + ", ".join(f"{u!r} ({c} rows)" for u, c in counts.items())
            + f". Map each to one of {list(VOCABULARY)}, e.g. --behaviors "
            f"'{unknown[0]}=investigation' (or '{unknown[0]}={VOCABULARY[OTHER]}' to ignore it)"
        )
    lookup = np.array([table[str(u)] for u in unique], dtype=np.int8)
    return lookup[inverse.reshape(-1)]


def _match(table: LabelTable, ids: list[str], sequence: str | None) -> np.ndarray:
    """The dataset sequence id of every row of ``table``."""
    if sequence is not None:
        if sequence not in ids:
            raise DataFormatError(
                f"{table.path}: --sequence {sequence!r} is not among the imported poses' "
                f"sequences {ids[:8]}"
            )
        return np.full(len(table), sequence, dtype=object)
    known = set(ids)
    out = np.empty(len(table), dtype=object)
    keys = sorted(set(zip(table.sequence.tolist(), table.media.tolist(), strict=True)))
    for name, media in keys:  # a loop over the file's few videos, not over rows
        rows = (table.sequence == name) & (table.media == media)
        if name in known:
            out[rows] = name
        elif media in known:
            out[rows] = media
        elif len(keys) == 1 and len(ids) == 1:
            out[rows] = ids[0]
        else:
            said = " / ".join(repr(k) for k in (name, media) if k) or "no video name"
            raise DataFormatError(
                f"{table.path}: rows for {said} match no imported sequence (ids: "
                f"{ids[:8]}{' ...' if len(ids) > 8 else ''}); name the video in a "
                f"'sequence' column, rename the pose file, or give --sequence ID"
            )
    return out


def _paint(
    start: np.ndarray,
    stop: np.ndarray,
    codes: np.ndarray,
    n_frames: int,
    where: str,
) -> np.ndarray:
    """Per-frame labels from bouts; frames no bout covers are ``other``.

    Bouts of :data:`~ethostyle.data.UNLABELLED` mark frames nobody labelled; a
    behaviour's bout over them wins.
    """
    if (stop <= start).any():
        row = int(np.flatnonzero(stop <= start)[0])
        raise DataFormatError(
            f"{where}: a bout from frame {int(start[row])} to {int(stop[row])} ends before "
            f"it starts; check the start and stop columns (stop is exclusive)"
        )
    if (start >= n_frames).any() or (start < 0).any():
        row = int(np.flatnonzero((start >= n_frames) | (start < 0))[0])
        raise DataFormatError(
            f"{where}, frame {int(start[row])}: a bout starts outside the video's {n_frames} "
            f"frames; check the units (--units) and that the labels belong to this video"
        )
    late = stop > n_frames
    if late.any():
        logger.warning(
            "%s: %d bout(s) end after the last pose frame (%d); cut at the end",
            where,
            int(late.sum()),
            n_frames,
        )
        stop = np.minimum(stop, n_frames)
    # Frames covered by each behaviour: +1 at a start, -1 at a stop, summed over time;
    # UNLABELLED (-1) counts in the last row.
    active = np.zeros((len(VOCABULARY) + 1, n_frames + 1), dtype=np.int32)
    np.add.at(active, (codes.astype(np.intp), start), 1)
    np.add.at(active, (codes.astype(np.intp), stop), -1)
    covered = np.cumsum(active[:, :n_frames], axis=1) > 0
    unlabelled, covered = covered[-1], covered[:-1]
    clash = covered.sum(axis=0) > 1
    if clash.any():
        frame = int(np.flatnonzero(clash)[0])
        both = [VOCABULARY[c] for c in np.flatnonzero(covered[:, frame])]
        raise DataFormatError(
            f"{where}, frame {frame}: bouts of {both} overlap; ethostyle gives each frame one "
            f"behaviour. Keep one animal's rows (--subject), or map one of them to 'other'"
        )
    behaviour = codes != UNLABELLED
    order = np.argsort(start[behaviour], kind="stable")
    bouts = Bouts(
        start[behaviour][order], stop[behaviour][order], codes[behaviour][order].astype(np.int8)
    )
    labels = labels_from_bouts(bouts, n_frames)
    labels[unlabelled & ~covered.any(axis=0)] = UNLABELLED
    return labels


def _at_30_hz(table: LabelTable, video_fps: float | None) -> tuple[np.ndarray, np.ndarray]:
    """``start``/``stop`` of a table as 30 Hz frames: video frames converted at ``video_fps``."""
    if not table.video_frames or video_fps is None or abs(video_fps - FPS) <= 1e-6:
        return table.start, table.stop
    ratio = FPS / video_fps
    return (
        np.rint(table.start * ratio).astype(np.int64),
        np.rint(table.stop * ratio).astype(np.int64),
    )


def labels_for_dataset(
    poses: Dataset,
    tables: Iterable[LabelTable],
    *,
    behaviors: Mapping[str, str] | None = None,
    sequence: str | None = None,
    subject: str | None = None,
) -> dict[str, np.ndarray]:
    """Per-frame labels for the sequences the label tables cover.

    Rows are matched to sequences by their ``sequence`` (or ``media``) name;
    ``sequence`` forces every row onto one sequence. Behaviours mapped to
    ``other`` do not paint frames; frames no bout covers are ``other``. Frame
    numbers count the video's own frames: on a sequence that records its
    video's rate (``import-pose --fps 25``) frame 250 of a 25 Hz video is
    30 Hz frame 300, and a frame-per-row file has one row per video frame.

    Parameters
    ----------
    poses : Dataset
        The imported poses (e.g. from :func:`~ethostyle.importers.import_pose_files`).
    tables : iterable of LabelTable
        Label files read with :func:`read_label_csv` or
        :func:`~ethostyle.importers.read_boris`.
    behaviors : mapping of str to str, optional
        The lab's behaviour names to ethostyle's (see :func:`behavior_codes`).
    sequence : str, optional
        Put every row of every table on this sequence.
    subject : str, optional
        Keep only rows about this animal (BORIS's "Subject").

    Returns
    -------
    dict of str to numpy.ndarray
        ``(frames,)`` int8 labels of each covered sequence, in the poses' order.

    Raises
    ------
    DataFormatError
        If rows match no sequence, a bout lies outside its video, bouts of two
        behaviours overlap, or a frame-per-row file does not cover its video.
    """
    ids = poses.ids
    parts = _parts_by_sequence(tables, ids, behaviors, sequence, subject)
    out: dict[str, np.ndarray] = {}
    for sid in (i for i in ids if i in parts):
        out[sid] = _sequence_labels(poses[sid], sid, parts[sid])
    return out


def _parts_by_sequence(
    tables: Iterable[LabelTable],
    ids: list[str],
    behaviors: Mapping[str, str] | None,
    sequence: str | None,
    subject: str | None,
) -> dict[str, list[tuple[LabelTable, np.ndarray]]]:
    """Each sequence's rows of each table (those about ``subject``), with their class codes."""
    parts: dict[str, list[tuple[LabelTable, np.ndarray]]] = {}
    for table in tables:
        if subject is not None:
            keep = table.subject == subject
            if not keep.any():
                raise DataFormatError(
                    f"{table.path}: no rows about subject {subject!r}; its subjects are "
                    f"{sorted(set(table.subject.tolist()))}"
                )
            table = table.select(keep)
        if len(table) == 0:
            raise DataFormatError(f"{table.path}: holds no labels")
        codes = behavior_codes(table.behavior, behaviors, where=str(table.path))
        matched = _match(table, ids, sequence)
        for sid in dict.fromkeys(matched.tolist()):
            rows = matched == sid
            parts.setdefault(sid, []).append((table.select(rows), codes[rows]))
    return parts


def _sequence_labels(
    video: Sequence, sid: str, parts: list[tuple[LabelTable, np.ndarray]]
) -> np.ndarray:
    """One sequence's per-frame labels, painted from its rows of every table."""
    n_frames = video.n_frames
    video_fps = video.video_fps
    n_video = video_frame_count(n_frames, video_fps or FPS)
    where = f"{', '.join(str(t.path) for t, _ in parts)}, sequence {sid!r}"
    starts, stops, kept = [], [], []
    for table, _ in parts:
        if table.every_frame and not np.array_equal(np.sort(table.start), np.arange(n_video)):
            rate = "" if video_fps is None else f" ({video_fps:g} Hz)"
            raise DataFormatError(
                f"{table.path}, sequence {sid!r}: {len(table)} frame rows for a video of "
                f"{n_video} frames{rate}; give exactly one row per frame of the video"
            )
        start, stop = _at_30_hz(table, video_fps)
        keep = np.ones(len(table), dtype=bool)
        if table.every_frame:  # rows tile the video, up to its last pose frame
            stop = np.minimum(stop, n_frames)
            # A row of a video faster than 30 Hz can fall between two pose frames.
            keep = stop > start
        starts.append(start)
        stops.append(stop)
        kept.append(keep)
    start, stop = np.concatenate(starts), np.concatenate(stops)
    codes = np.concatenate([c for _, c in parts])
    scored = (codes != OTHER) & np.concatenate(kept)
    return _paint(start[scored], stop[scored], codes[scored], n_frames, where)


@dataclass(frozen=True)
class LabelImport:
    """The outcome of :func:`import_labels`.

    Attributes
    ----------
    lab : LabDataset
        The labelled sequences (after the base data set's, when one was given)
        and the annotator names.
    annotator_id : int
        The id the annotator has in ``lab``.
    unlabelled : list of str
        Pose sequences no label file covered (left out of ``lab``).
    """

    lab: LabDataset
    annotator_id: int
    unlabelled: list[str]


def import_labels(
    poses: Dataset,
    tables: Iterable[LabelTable],
    *,
    annotator: str,
    base: LabDataset | None = None,
    annotator_id: int | None = None,
    behaviors: Mapping[str, str] | None = None,
    sequence: str | None = None,
    subject: str | None = None,
) -> LabelImport:
    """Label imported poses with one annotator's label files.

    Parameters
    ----------
    poses : Dataset
        The imported poses.
    tables : iterable of LabelTable
        That annotator's label files, read with :func:`read_label_csv` or
        :func:`~ethostyle.importers.read_boris`.
    annotator : str
        The annotator's name; kept with the data set.
    base : LabDataset, optional
        A labelled data set to add to (e.g. CalMS21's ``train.npy``, so that a
        model learns the lab's style beside the CalMS21 annotators').
    annotator_id : int, optional
        The id to give a new name (default: the name's id in ``base``, else the
        smallest id not yet used).
    behaviors, sequence, subject
        As in :func:`labels_for_dataset`.

    Returns
    -------
    LabelImport
        The labelled data set, the annotator's id and the sequences left out.

    Examples
    --------
    >>> from ethostyle.importers import read_boris
    >>> result = import_labels(
    ...     poses, [read_boris("alice.tsv")], annotator="alice",
    ...     behaviors={"sniff": "investigation"})  # doctest: +SKIP
    >>> result.lab.save("lab_train.npy")  # doctest: +SKIP
    """
    labels = labels_for_dataset(
        poses, tables, behaviors=behaviors, sequence=sequence, subject=subject
    )
    names = {} if base is None else base.annotator_names
    taken = [] if base is None else base.dataset.annotators
    who, names = add_annotator(names, annotator, taken, annotator_id)
    labelled = Dataset(
        (poses[sid].with_labels(y).with_annotator(who) for sid, y in labels.items()),
        poses.vocabulary,
    )
    if base is not None:
        if not base.dataset.is_labelled:
            raise DataFormatError(
                "--base must be a labelled (train-layout) data set; it has unlabelled sequences"
            )
        labelled = base.dataset.concat(labelled)
    return LabelImport(LabDataset(labelled, names), who, [i for i in poses.ids if i not in labels])
