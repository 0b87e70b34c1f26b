"""Read and write per-frame label files, and attach labels to an unlabelled data set.

A labels file is ``{sequence_id: labels}`` (one int per frame, an index into
:data:`~ethostyle.data.VOCABULARY`, or a class name); a ``train.npy``-layout
file is read as its annotations.
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
from ethostyle.io.calms21_npy import _save_object
from ethostyle.io.validation import (
    _collect,
    _count_frames,
    _labels,
    _preview,
    _sequence_id,
    _unwrap,
    _vocabulary_map,
    _where,
)

__all__ = ["attach_labels", "load_labels", "save_labels_npy"]

logger = logging.getLogger(__name__)


def _labels_from_object(
    obj: object,
    path: object,
    *,
    names_allowed: bool = True,
    problems: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Return ``{id: int8 labels}`` from a labels-layout or train-layout object."""
    entries, vocabulary = _unwrap(obj, path)
    mapping = _vocabulary_map(vocabulary, path)
    out: dict[str, np.ndarray] = {}
    total = 0
    for raw_id, raw in entries.items():
        try:
            sequence = _sequence_id(raw_id, path)
            if sequence in out:
                raise DataFormatError(
                    f"{_where(path, sequence)}: appears twice (id {raw_id!r} repeats an "
                    f"earlier id once ids are converted to text); rename one of them"
                )
            if isinstance(raw, Mapping):  # a train-layout entry
                if "annotations" not in raw:
                    raise DataFormatError(
                        f"{_where(path, sequence)}: has no 'annotations'; this looks like "
                        f"a test file, which holds no labels"
                    )
                raw = raw["annotations"]
            out[sequence] = _labels(raw, path, sequence, mapping, names_allowed=names_allowed)
            total = _count_frames(total, len(out[sequence]), path)
        except DataFormatError as error:
            _collect(problems, error)
    return out


def _checked_labels(
    labels: Mapping[str, object], path: object, *, names_allowed: bool
) -> dict[str, np.ndarray]:
    """Check in-memory ``{id: labels}`` and return canonical int8 arrays."""
    identity = _vocabulary_map(None, path)
    out: dict[str, np.ndarray] = {}
    for raw_id, values in labels.items():
        sequence = _sequence_id(raw_id, path)
        out[sequence] = _labels(values, path, sequence, identity, names_allowed=names_allowed)
    return out


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
    return _labels_from_object(safe_load_npy(path), path)


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
    if not labels:
        raise DataFormatError(f"{_where(path)}: refusing to write a labels file with no sequences")
    checked = _checked_labels(labels, path, names_allowed=True)
    return _save_object({k: v.astype(np.int64) for k, v in checked.items()}, path)


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
    where = _where(path)
    identity = _vocabulary_map(None, path)
    extra = [sid for sid in labels if sid not in test]
    if extra:
        raise DataFormatError(
            f"{where}: labels for {len(extra)} sequence(s) not in the data set: "
            f"{_preview(extra)}; give the labels file that belongs to this test file"
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
            checked = _labels(labels[sequence.id], path, sequence.id, identity, sequence.n_frames)
            sequence = sequence.with_labels(checked)
        else:
            unlabelled += 1
        out.append(sequence)
    if unlabelled:
        logger.info("%s: %d of %d sequences have no labels", where, unlabelled, len(test))
    return Dataset(out, test.vocabulary)
