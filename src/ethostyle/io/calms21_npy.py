"""Read and write the MABe 2021 / CalMS21 ``train.npy`` and ``test.npy`` layouts.

``train.npy``::

    {"vocabulary": ["attack", "investigation", "mount", "other"],
     "sequences": {id: {"keypoints": (frames, 2, 2, 7), "annotations": (frames,),
                        "annotator_id": int}}}

``test.npy``: ``{id: {"keypoints": ..., "annotator_id": int}}`` (also read when
nested under ``"sequences"``). Files are loaded with
:func:`~ethostyle.io.safe_load_npy`, which never runs code from the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ethostyle.atomic import atomic_write_path
from ethostyle.data import Dataset, Sequence
from ethostyle.errors import DataFormatError
from ethostyle.io._safe_pickle import safe_load_npy
from ethostyle.io.validation import checked_sequences, location, map_vocabulary, sequence_entries

__all__ = [
    "dataset_from_object",
    "load_test_npy",
    "load_train_npy",
    "save_test_npy",
    "save_train_npy",
    "train_layout",
    "write_pickled_npy",
]

logger = logging.getLogger(__name__)


def dataset_from_object(
    obj: object,
    path: object,
    *,
    labelled: bool | None,
    problems: list[str] | None = None,
    notes: list[str] | None = None,
) -> Dataset:
    """Build a checked :class:`Dataset` from what a train or test file holds.

    For a caller that has loaded the file already (to tell its layout apart, or
    to read another entry of it) and must not read a large file twice.

    Parameters
    ----------
    obj : object
        From :func:`~ethostyle.io.safe_load_npy`.
    path : object
        The file, named in messages.
    labelled : bool or None
        True requires labels of every sequence (train), False ignores them
        (test), None reads them where present.
    problems : list of str, optional
        When given, a sequence that fails is left out and its message appended
        here; otherwise the first error is raised.
    notes : list of str, optional
        When given, what makes a readable sequence's labels untrustworthy
        (:func:`~ethostyle.io.validation.pose_quality_problems`) is appended here
        instead of logged.

    Returns
    -------
    Dataset
        The sequences, in file order.

    Examples
    --------
    >>> obj = safe_load_npy("train.npy")  # doctest: +SKIP
    >>> ds = dataset_from_object(obj, "train.npy", labelled=True)  # doctest: +SKIP
    """
    entries, vocabulary = sequence_entries(obj, path)
    mapping = map_vocabulary(vocabulary, path)
    sequences = checked_sequences(
        entries, path, mapping, labelled=labelled, problems=problems, notes=notes
    )
    return Dataset(sequences)


def _entry(sequence: Sequence, *, with_labels: bool) -> dict[str, object]:
    entry: dict[str, object] = {
        "keypoints": np.ascontiguousarray(sequence.keypoints, dtype=np.float32),
        "annotator_id": int(sequence.annotator_id),
    }
    if with_labels:
        entry["annotations"] = np.asarray(sequence.labels, dtype=np.int64)
    if sequence.scores is not None:
        entry["scores"] = np.ascontiguousarray(sequence.scores, dtype=np.float32)
    if sequence.video_fps is not None:
        entry["video_fps"] = float(sequence.video_fps)
    return entry


def train_layout(dataset: Dataset) -> dict[str, object]:
    """The object a ``train.npy`` file holds, for a data set whose every sequence is labelled.

    Parameters
    ----------
    dataset : Dataset
        Labelled sequences (checked by the caller).

    Returns
    -------
    dict
        ``{"vocabulary": [...], "sequences": {id: entry}}``; add top-level entries
        (as :class:`~ethostyle.importers.LabDataset` adds annotator names) before
        writing it with :func:`write_pickled_npy`.

    Examples
    --------
    >>> write_pickled_npy(train_layout(dataset), "train.npy")  # doctest: +SKIP
    PosixPath('train.npy')
    """
    return {
        "vocabulary": list(dataset.vocabulary),
        "sequences": {s.id: _entry(s, with_labels=True) for s in dataset},
    }


def write_pickled_npy(obj: object, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` (a dict of arrays) as a pickled ``.npy`` file, atomically.

    The one writer of the challenge's ``.npy`` layouts: train, test, labels and
    submission files all go through it.

    Parameters
    ----------
    obj : object
        What the file is to hold.
    path : str or os.PathLike
        Destination, written as given (no ``.npy`` is appended).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> write_pickled_npy({"s1": np.array([3, 3, 1])}, "labels.npy")  # doctest: +SKIP
    PosixPath('labels.npy')
    """
    path = Path(path)
    with atomic_write_path(path) as tmp, open(tmp, "wb") as fh:
        # A file handle, not a name: np.save would append ".npy" to a name.
        np.save(fh, obj, allow_pickle=True)
    return path


def _require_sequences(dataset: Dataset, path: object) -> None:
    if len(dataset) == 0:
        raise DataFormatError(f"{location(path)}: refusing to write a data set with no sequences")


def load_train_npy(path: str | os.PathLike[str]) -> Dataset:
    """Load a labelled ``train.npy`` file.

    Keypoints become ``(frames, 2, 2, 7)`` float32 (lists and int/float64
    arrays are converted; infinite values become NaN, with a warning); labels
    become int8 indices into :data:`~ethostyle.data.VOCABULARY`, remapped by
    name when the file orders its vocabulary differently; integer ids become
    strings. The file is read without running code from it.

    Parameters
    ----------
    path : str or os.PathLike
        The ``train.npy`` file.

    Returns
    -------
    Dataset
        Every sequence labelled.

    Raises
    ------
    DataFormatError
        Naming file, sequence and frame, if the file is malformed.
    UnsafeFileError
        If the file would run code or exceeds a size limit.

    Examples
    --------
    >>> ds = load_train_npy("train.npy")  # doctest: +SKIP
    >>> ds.is_labelled  # doctest: +SKIP
    True
    """
    path = Path(path)
    return dataset_from_object(safe_load_npy(path), path, labelled=True)


def load_test_npy(path: str | os.PathLike[str]) -> Dataset:
    """Load an unlabelled ``test.npy`` file (flat, or nested under ``"sequences"``).

    Checks and conversions are those of :func:`load_train_npy`; annotations,
    if the file has any, are ignored (load them with
    :func:`~ethostyle.io.load_labels`).

    Parameters
    ----------
    path : str or os.PathLike
        The ``test.npy`` file.

    Returns
    -------
    Dataset
        Sequences without labels.

    Examples
    --------
    >>> test = load_test_npy("test.npy")  # doctest: +SKIP
    >>> test.is_labelled  # doctest: +SKIP
    False
    """
    path = Path(path)
    return dataset_from_object(safe_load_npy(path), path, labelled=False)


def save_train_npy(dataset: Dataset, path: str | os.PathLike[str]) -> Path:
    """Write a labelled data set in the ``train.npy`` layout, atomically.

    Keypoints are stored as float32, annotations as int64 indices into the data
    set's vocabulary, and keypoint confidences (``scores``) when present.

    Parameters
    ----------
    dataset : Dataset
        Every sequence must have labels.
    path : str or os.PathLike
        Destination file (written as given; no suffix is added).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> save_train_npy(dataset, "train.npy")  # doctest: +SKIP
    PosixPath('train.npy')
    """
    _require_sequences(dataset, path)
    for sequence in dataset:
        if sequence.labels is None:
            raise DataFormatError(
                f"{location(path, sequence.id)}: has no labels, so it cannot go in a train "
                f"file; use save_test_npy for unlabelled data"
            )
    return write_pickled_npy(train_layout(dataset), path)


def save_test_npy(dataset: Dataset, path: str | os.PathLike[str]) -> Path:
    """Write a data set in the flat ``test.npy`` layout, atomically, without labels.

    Parameters
    ----------
    dataset : Dataset
        Sequences to write; their labels, if any, are left out (write them with
        :func:`~ethostyle.io.save_labels_npy`).
    path : str or os.PathLike
        Destination file.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> save_test_npy(dataset, "test.npy")  # doctest: +SKIP
    PosixPath('test.npy')
    """
    _require_sequences(dataset, path)
    return write_pickled_npy({s.id: _entry(s, with_labels=False) for s in dataset}, path)
