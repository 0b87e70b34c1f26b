"""Per-sequence label arrays in ``.npy`` files: read, write, attach to an unlabelled data set.

A labels file is ``{sequence_id: labels}`` (one int per frame, an index into
:data:`~ethostyle.data.VOCABULARY`, or a class name); a ``train.npy``-layout
file is read as its annotations. A submission (:mod:`ethostyle.io.submission`)
has the same layout with integer labels only, and is written by the same
:func:`write_label_arrays`. Label *spreadsheets* (CSV, BORIS) are read by
:mod:`ethostyle.importers`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ethostyle.data import Dataset
from ethostyle.errors import DataFormatError
from ethostyle.io._safe_pickle import safe_load_npy
from ethostyle.io.calms21_npy import write_pickled_npy
from ethostyle.io.validation import (
    checked_labels,
    checked_sequence_id,
    collect_problem,
    count_frames,
    location,
    map_vocabulary,
    preview,
    sequence_entries,
)

__all__ = [
    "attach_labels",
    "labels_from_object",
    "load_labels",
    "save_labels_npy",
    "write_label_arrays",
]

logger = logging.getLogger(__name__)


def labels_from_object(
    obj: object,
    path: object,
    *,
    names_allowed: bool = True,
    problems: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Return ``{id: int8 labels}`` from what a labels or train file holds.

    Parameters
    ----------
    obj : object
        From :func:`~ethostyle.io.safe_load_npy`: ``{id: labels}`` or the train layout.
    path : object
        The file, named in messages.
    names_allowed : bool
        Whether class names are accepted (not in a submission).
    problems : list of str, optional
        When given, a sequence that fails is left out and its message appended
        here; otherwise the first error is raised.

    Returns
    -------
    dict of str to numpy.ndarray
        ``(frames,)`` int8 labels per sequence id, in file order.

    Examples
    --------
    >>> labels_from_object({"s1": ["other", "mount"]}, "labels.npy")
    {'s1': array([3, 2], dtype=int8)}
    """
    entries, vocabulary = sequence_entries(obj, path)
    mapping = map_vocabulary(vocabulary, path)
    out: dict[str, np.ndarray] = {}
    total = 0
    for raw_id, raw in entries.items():
        try:
            sequence = checked_sequence_id(raw_id, path)
            if sequence in out:
                raise DataFormatError(
                    f"{location(path, sequence)}: appears twice (id {raw_id!r} repeats an "
                    f"earlier id once ids are converted to text); rename one of them"
                )
            if isinstance(raw, Mapping):  # a train-layout entry
                if "annotations" not in raw:
                    raise DataFormatError(
                        f"{location(path, sequence)}: has no 'annotations'; this looks like "
                        f"a test file, which holds no labels"
                    )
                raw = raw["annotations"]
            out[sequence] = checked_labels(
                raw, path, sequence, vocabulary_map=mapping, names_allowed=names_allowed
            )
            total = count_frames(total, len(out[sequence]), path)
        except DataFormatError as error:
            collect_problem(problems, error)
    return out


def write_label_arrays(
    labels: Mapping[str, object],
    path: str | os.PathLike[str],
    *,
    names_allowed: bool,
    what: str,
) -> Path:
    """Check ``{id: labels}`` and write it as a ``.npy`` file of int64 arrays, atomically.

    The one writer of the ``{id: labels}`` layout, behind
    :func:`save_labels_npy` and :func:`~ethostyle.io.save_submission`.

    Parameters
    ----------
    labels : mapping of str to array-like
        Per-frame labels per sequence id.
    path : str or os.PathLike
        Destination file.
    names_allowed : bool
        Whether class names are accepted (and written as their indices).
    what : str
        The kind of file, named in the message refusing an empty one
        (``"a labels file"``, ``"a submission"``).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    DataFormatError
        If ``labels`` is empty or a label array fails
        :func:`~ethostyle.io.validation.checked_labels`.

    Examples
    --------
    >>> write_label_arrays({"s1": [3, 1]}, "labels.npy", names_allowed=True,
    ...                    what="a labels file")  # doctest: +SKIP
    PosixPath('labels.npy')
    """
    if not labels:
        raise DataFormatError(f"{location(path)}: refusing to write {what} with no sequences")
    checked: dict[str, np.ndarray] = {}
    for raw_id, values in labels.items():
        sequence = checked_sequence_id(raw_id, path)
        checked[sequence] = checked_labels(values, path, sequence, names_allowed=names_allowed)
    return write_pickled_npy({k: v.astype(np.int64) for k, v in checked.items()}, path)


def load_labels(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Load per-frame labels: a ``{id: labels}`` file or a train-layout file.

    Integer labels are indices into :data:`~ethostyle.data.VOCABULARY` (or into
    the file's own vocabulary, remapped by name, for a train-layout file);
    string labels are class names and are mapped by name.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npy`` labels file (e.g. ``test_labels.npy``) or ``train.npy``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``(frames,)`` int8 labels per sequence id, in file order.

    Examples
    --------
    >>> labels = load_labels("test_labels.npy")  # doctest: +SKIP
    >>> labels["seq-1"][:5]  # doctest: +SKIP
    array([3, 3, 1, 1, 1], dtype=int8)
    """
    path = Path(path)
    return labels_from_object(safe_load_npy(path), path)


def save_labels_npy(labels: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> Path:
    """Write ``{id: labels}`` as a ``.npy`` labels file, atomically.

    Parameters
    ----------
    labels : mapping of str to array-like
        Per-frame labels per sequence id: indices into
        :data:`~ethostyle.data.VOCABULARY` (or class names).
    path : str or os.PathLike
        Destination file.

    Returns
    -------
    pathlib.Path
        The file written; values are stored as int64 arrays.

    Examples
    --------
    >>> save_labels_npy({"seq-1": [3, 3, 1]}, "labels.npy")  # doctest: +SKIP
    PosixPath('labels.npy')
    """
    return write_label_arrays(labels, path, names_allowed=True, what="a labels file")


def attach_labels(
    test: Dataset,
    labels: Mapping[str, np.ndarray],
    path: str | os.PathLike[str] | None = None,
) -> Dataset:
    """Return ``test`` with per-frame labels attached by sequence id.

    Sequences that ``labels`` does not cover stay unlabelled (the challenge's
    test file holds sequences of every task, its task-2 labels only some).

    Parameters
    ----------
    test : Dataset
        The (unlabelled) sequences.
    labels : mapping of str to array-like
        Per-frame labels by sequence id, e.g. from :func:`load_labels`.
    path : str or os.PathLike, optional
        The labels file, named in error messages.

    Returns
    -------
    Dataset
        The same sequences, in order, with labels where given.

    Raises
    ------
    DataFormatError
        If a label list's length differs from its sequence's frame count, a
        label is out of range, labels name sequences not in ``test``, or no
        sequence of ``test`` is labelled at all.

    Examples
    --------
    >>> labelled = attach_labels(test, load_labels("test_labels.npy"))  # doctest: +SKIP
    """
    where = location(path)
    extra = [sid for sid in labels if sid not in test]
    if extra:
        raise DataFormatError(
            f"{where}: labels for {len(extra)} sequence(s) not in the data set: "
            f"{preview(extra)}; give the labels file that belongs to this test file"
        )
    if not any(sid in labels for sid in test.ids):
        raise DataFormatError(
            f"{where}: labels cover none of the data set's {len(test)} sequences; give "
            f"the labels file that belongs to this test file"
        )
    out = []
    unlabelled = 0
    for sequence in test:
        if sequence.id in labels:
            checked = checked_labels(labels[sequence.id], path, sequence.id, sequence.n_frames)
            sequence = sequence.with_labels(checked)
        else:
            unlabelled += 1
        out.append(sequence)
    if unlabelled:
        logger.info("%s: %d of %d sequences have no labels", where, unlabelled, len(test))
    return Dataset(out, test.vocabulary)
