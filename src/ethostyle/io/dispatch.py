"""One pair for every layout: :func:`load` and :func:`save` dispatch on extension and content.

As ``sleap_io.load_file`` / ``save_file`` do, :func:`load` tells the layout of a
pose file by its suffix (``.json``) or, for ``.npy``, by what it holds (see
:func:`npy_layout`), and :func:`save` picks the writer by the object and the
suffix. The format-specific functions (:func:`~ethostyle.io.load_train_npy`,
:func:`~ethostyle.io.save_calms21_json`, ...) stay available for callers that
want one layout and no other.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from ethostyle.data import Dataset, Predictions
from ethostyle.errors import DataFormatError
from ethostyle.io._safe_pickle import safe_load_npy
from ethostyle.io.calms21_json import dataset_from_json, load_calms21_json, save_calms21_json
from ethostyle.io.calms21_npy import dataset_from_object, save_test_npy, save_train_npy
from ethostyle.io.outputs import write_bouts_csv, write_probabilities
from ethostyle.io.submission import save_submission
from ethostyle.io.validation import location, sequence_entries

__all__ = [
    "check_argument_order",
    "file_layout",
    "load",
    "load_many",
    "load_readable",
    "npy_layout",
    "save",
]


def npy_layout(obj: object, path: object) -> str:
    """Tell the ``.npy`` layouts apart by their structure.

    Parameters
    ----------
    obj : object
        What the file holds, from :func:`~ethostyle.io.safe_load_npy`.
    path : object
        The file, named in messages.

    Returns
    -------
    str
        ``"train"`` (labelled poses), ``"test"`` (poses) or ``"labels"``
        (``{id: labels}``; a submission has the same layout).

    Raises
    ------
    DataFormatError
        If ``obj`` is not a dict of sequences.

    Examples
    --------
    >>> npy_layout({"s1": [3, 3, 1]}, "labels.npy")
    'labels'
    >>> npy_layout({"s1": {"keypoints": [], "annotator_id": 0}}, "test.npy")
    'test'
    """
    entries, vocabulary = sequence_entries(obj, path)
    first = next(iter(entries.values()))
    if not isinstance(first, Mapping):
        return "labels"
    if "annotations" in first or vocabulary is not None:
        return "train"
    return "test"


def load(path: str | os.PathLike[str]) -> Dataset:
    """Load a pose file of any supported layout.

    Parameters
    ----------
    path : str or os.PathLike
        ``train.npy`` (labelled), ``test.npy`` (unlabelled, flat or nested) or a
        CalMS21 ``.json`` release file.

    Returns
    -------
    Dataset
        Labels are attached when the file holds them.

    Raises
    ------
    DataFormatError
        When the file is a labels or submission file (no keypoints; read it
        with :func:`~ethostyle.io.load_labels`) or malformed.

    See Also
    --------
    save : the writer that picks the layout.

    Examples
    --------
    >>> ds = load("train.npy")  # doctest: +SKIP
    >>> ds.is_labelled  # doctest: +SKIP
    True
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return load_calms21_json(path)
    obj = safe_load_npy(path)
    layout = npy_layout(obj, path)
    if layout in ("train", "test"):
        # The object already loaded, read as load_train_npy / load_test_npy would.
        return dataset_from_object(obj, path, labelled=layout == "train")
    raise DataFormatError(
        f"{location(path)}: holds labels only ({{id: labels}}), no keypoints; give the "
        f"train or test file that holds the poses"
    )


def load_readable(path: str | os.PathLike[str]) -> tuple[Dataset, list[str]]:
    """Load the sequences of a pose file that read cleanly, and say what is wrong with the rest.

    For labelling a file of which one sequence is broken (every keypoint NaN, a
    wrong shape): :func:`load` stops at the first bad sequence; this keeps the
    good ones. A file that cannot be read at all, or that is unsafe, is still
    refused.

    Parameters
    ----------
    path : str or os.PathLike
        As for :func:`load`.

    Returns
    -------
    dataset : Dataset
        The sequences that read cleanly, in file order.
    problems : list of str
        One message per sequence left out, naming the file, sequence and frame.

    Raises
    ------
    DataFormatError
        When the file is unreadable, holds labels only, or no sequence reads cleanly.

    Examples
    --------
    >>> dataset, skipped = load_readable("test.npy")  # doctest: +SKIP
    """
    path = Path(path)
    problems: list[str] = []
    if path.suffix.lower() == ".json":
        dataset = dataset_from_json(path, problems)
    else:
        obj = safe_load_npy(path)
        layout = npy_layout(obj, path)
        if layout == "labels":
            return load(path), []  # refused, with load's message
        dataset = dataset_from_object(obj, path, labelled=layout == "train", problems=problems)
    if not len(dataset):
        raise DataFormatError(
            f"{location(path)}: no sequence can be read; the first problem: {problems[0]}"
        )
    return dataset, problems


def save(obj: Dataset | Predictions | Mapping[str, object], path: str | os.PathLike[str]) -> Path:
    """Write a data set, predictions or a submission in the layout the suffix names.

    =====================================  ==========  ====================================
    object                                 suffix      written as
    =====================================  ==========  ====================================
    :class:`~ethostyle.data.Dataset`       ``.json``   CalMS21 JSON (labelled or not)
    ``Dataset``, every sequence labelled   ``.npy``    ``train.npy`` layout
    ``Dataset``, no sequence labelled      ``.npy``    ``test.npy`` layout
    :class:`~ethostyle.data.Predictions`   ``.npy``    submission (its labels)
    ``Predictions``                        ``.npz``    per-frame probabilities
    ``Predictions``                        ``.csv``    bouts (one row per predicted bout)
    mapping ``{id: labels}``               ``.npy``    submission (integer labels 0-3)
    =====================================  ==========  ====================================

    Parameters
    ----------
    obj : Dataset, Predictions or mapping of str to array-like
        What to write.
    path : str or os.PathLike
        Destination file; written atomically.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    DataFormatError
        For a suffix the object has no layout for, a data set of which only some
        sequences are labelled (write the poses with
        :func:`~ethostyle.io.save_test_npy` and the labels with
        :func:`~ethostyle.io.save_labels_npy`), or anything the writer refuses
        (an empty data set, labels that are not class indices).
    TypeError
        For an object that is none of the three.

    See Also
    --------
    load : the reader of the pose layouts.

    Examples
    --------
    >>> save(dataset, "train.npy")  # doctest: +SKIP
    PosixPath('train.npy')
    >>> save(predictions, "bouts.csv")  # doctest: +SKIP
    PosixPath('bouts.csv')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if isinstance(obj, Dataset):
        if suffix == ".json":
            return save_calms21_json(obj, path)
        _require_suffix(path, (".npy", ".json"), "a data set")
        labelled = [s.labels is not None for s in obj]
        if labelled and all(labelled):
            return save_train_npy(obj, path)
        if not any(labelled):
            return save_test_npy(obj, path)
        raise DataFormatError(
            f"{location(path)}: {sum(labelled)} of {len(labelled)} sequences are labelled; "
            f"a train file labels every sequence and a test file none. Save the poses with "
            f"save_test_npy and the labels with save_labels_npy, or save as .json"
        )
    if isinstance(obj, Predictions):
        _require_suffix(path, (".npy", ".npz", ".csv"), "predictions")
        if suffix == ".npz":
            return write_probabilities(obj.proba, path)
        if suffix == ".csv":
            return write_bouts_csv(obj, path)
        return save_submission(obj.labels, path)
    if isinstance(obj, Mapping):
        _require_suffix(path, (".npy",), "labels {id: labels}")
        return save_submission(obj, path)
    raise TypeError(
        f"save writes a Dataset, Predictions or a {{sequence id: labels}} mapping, "
        f"not {type(obj).__name__}"
    )


def _require_suffix(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    if path.suffix.lower() not in suffixes:
        raise DataFormatError(
            f"{location(path)}: cannot save {what} as {path.suffix or 'a file without suffix'!r}; "
            f"give a path ending in {' or '.join(suffixes)}"
        )


def load_many(paths: list[str | os.PathLike[str]]) -> Dataset:
    """Load several data files as one data set, in the order given.

    Parameters
    ----------
    paths : list of path
        Files :func:`load` reads (for example the MABe 2021 Task 1 and Task 2
        training files).

    Returns
    -------
    Dataset
        Every sequence of every file.

    Raises
    ------
    DataFormatError
        If two files hold a sequence of the same id (naming both files), or their
        vocabularies differ.

    Examples
    --------
    >>> both = load_many(["task1_train.npy", "task2_train.npy"])  # doctest: +SKIP
    """
    joined: Dataset | None = None
    origin: dict[str, Path] = {}
    for path in map(Path, paths):
        dataset = load(path)
        clash = [sid for sid in dataset.ids if sid in origin]
        if clash:
            raise DataFormatError(
                f"{path}: sequence id {clash[0]!r} is also in {origin[clash[0]]} "
                f"({len(clash)} id(s) clash); each sequence may come from one file only"
            )
        origin.update(dict.fromkeys(dataset.ids, path))
        if joined is not None and list(dataset.vocabulary) != list(joined.vocabulary):
            raise DataFormatError(
                f"{path}: classes {dataset.vocabulary} differ from {joined.vocabulary} of "
                f"{paths[0]}; give files of one vocabulary"
            )
        joined = dataset if joined is None else joined.concat(dataset)
    if joined is None:
        raise DataFormatError("no data file given; name at least one")
    return joined


#: What each layout of :func:`file_layout` holds, in a user's words.
_LAYOUT_WORDS = {
    "train": "a train file (labelled poses)",
    "test": "a test file (poses)",
    "labels": "a labels or submission file ({id: labels})",
    "calms21-json": "a CalMS21 .json file (poses)",
}


def file_layout(path: str | os.PathLike[str]) -> str:
    """Say which layout a data file holds, reading it safely.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npy`` data file or a CalMS21 ``.json``.

    Returns
    -------
    str
        ``"train"``, ``"test"``, ``"labels"`` (see :func:`npy_layout`) or
        ``"calms21-json"``.

    Raises
    ------
    DataFormatError
        If the file cannot be read as any of them.

    Examples
    --------
    >>> file_layout("test_labels.npy")  # doctest: +SKIP
    'labels'
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return "calms21-json"
    return npy_layout(safe_load_npy(path), path)


def check_argument_order(
    command: str, arguments: Sequence[tuple[str, str | os.PathLike[str], Collection[str]]]
) -> None:
    """Refuse data files given in the wrong places, saying which argument is which.

    For a command that failed on its files (a check that reads every file, so
    run it once the cheap path has failed): each argument's file must hold a
    layout its place accepts (see :func:`file_layout`). A file that cannot be
    read at all is left to the command's own message.

    Parameters
    ----------
    command : str
        The command as typed, with its arguments' names (``"evaluate SUBMISSION
        TEST LABELS"``), shown as the order to follow.
    arguments : sequence of (name, path, layouts)
        Each argument's name (``"TEST"``), its file, and the layouts it takes.

    Raises
    ------
    DataFormatError
        Naming every argument whose file holds something else, what it holds,
        and which argument that file belongs in.

    Examples
    --------
    >>> check_argument_order(
    ...     "evaluate SUBMISSION TEST LABELS",
    ...     [("SUBMISSION", "sub.npy", {"labels"}), ("TEST", "test_labels.npy", {"test"}),
    ...      ("LABELS", "test.npy", {"labels", "train"})],
    ... )  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    ethostyle.errors.DataFormatError: the files are not in the order of `evaluate ...
    """
    layouts: dict[str, str] = {}
    for name, path, _ in arguments:
        try:
            layouts[name] = file_layout(path)
        except (DataFormatError, OSError):
            continue
    misplaced = []
    for name, path, accepted in arguments:
        held = layouts.get(name)
        if held is None or held in accepted:
            continue
        belongs = [other for other, _, takes in arguments if other != name and held in takes]
        where = f", which belongs in {' or '.join(belongs)}" if belongs else ""
        misplaced.append(f"{name} is {path}, {_LAYOUT_WORDS[held]}{where}")
    if misplaced:
        raise DataFormatError(
            f"the files are not in the order of `ethostyle {command}`: {'; '.join(misplaced)}. "
            f"Give them in that order"
        )
