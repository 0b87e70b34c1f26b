"""Recognise what kind of file a user hands over, load it, and say what is wrong with it.

:func:`load` reads any supported pose file (train or test ``.npy``, CalMS21
``.json``) into a :class:`~ethostyle.data.Dataset`; :func:`describe_file`
backs ``ethostyle validate``: it names the layout it found, counts sequences,
frames and annotators, and lists every problem instead of stopping at the first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ethostyle.data import Dataset
from ethostyle.errors import DataFormatError
from ethostyle.io._safe_pickle import safe_load_npy
from ethostyle.io.calms21_json import _dataset_from_json, load_calms21_json
from ethostyle.io.calms21_npy import _dataset_from_object, load_test_npy
from ethostyle.io.labels import _labels_from_object
from ethostyle.io.submission import _submission_problems
from ethostyle.io.validation import _unwrap, _where

__all__ = ["FileReport", "describe_file", "load"]


@dataclass
class FileReport:
    """What :func:`describe_file` found in a file.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    kind : str
        ``"train"``, ``"test"``, ``"labels"``, ``"submission"`` or ``"calms21-json"``.
    n_sequences, n_frames : int
        Sequences and frames that read cleanly.
    annotators : list of int
        Annotator ids found (pose files only).
    problems : list of str
        One message per problem, each naming file, sequence and frame.
    """

    path: Path
    kind: str
    n_sequences: int = 0
    n_frames: int = 0
    annotators: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A few human-readable lines: the layout, its size, then every problem."""
        lines = [
            f"{self.path}: {self.kind} file, {self.n_sequences} sequence(s), "
            f"{self.n_frames} frame(s)"
        ]
        if self.annotators:
            lines.append(f"annotators: {', '.join(map(str, self.annotators))}")
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines.extend(f"- {p}" for p in self.problems)
        else:
            lines.append("no problems found")
        return "\n".join(lines)


def _npy_kind(obj: object, path: Path) -> str:
    """Tell the four ``.npy`` layouts apart by their structure."""
    entries, vocabulary = _unwrap(obj, path)
    first = next(iter(entries.values()))
    if not isinstance(first, Mapping):
        return "labels"  # {id: labels}; a submission has the same layout
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
        When the file is a labels or submission file (no keypoints) or malformed.

    Examples
    --------
    >>> ds = load("train.npy")  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return load_calms21_json(path)
    obj = safe_load_npy(path)
    kind = _npy_kind(obj, path)
    if kind in ("train", "test"):
        # The object already loaded, read as load_train_npy / load_test_npy would.
        return _dataset_from_object(obj, path, labelled=kind == "train")
    raise DataFormatError(
        f"{_where(path)}: holds labels only ({{id: labels}}), no keypoints; give the "
        f"train or test file that holds the poses"
    )


def describe_file(
    path: str | os.PathLike[str], test: str | os.PathLike[str] | None = None
) -> FileReport:
    """Say what a data file is and list every problem in it.

    Parameters
    ----------
    path : str or os.PathLike
        A train, test, labels or submission ``.npy`` file, or a CalMS21 ``.json``.
    test : str or os.PathLike, optional
        The test file that a labels/submission file must match frame for frame.

    Returns
    -------
    FileReport
        The layout found, its size and the problems (empty when the file is valid).

    Raises
    ------
    DataFormatError
        When the file cannot be read at all (missing, truncated, not a dict).
    UnsafeFileError
        When the file would run code or exceeds a size limit.
    """
    path = Path(path)
    problems: list[str] = []
    if path.suffix.lower() == ".json":
        dataset = _dataset_from_json(path, problems)
        return _pose_report(path, "calms21-json", dataset, problems)
    obj = safe_load_npy(path)
    kind = _npy_kind(obj, path)
    if kind in ("train", "test"):
        dataset = _dataset_from_object(
            obj, path, labelled=True if kind == "train" else None, problems=problems
        )
        return _pose_report(path, kind, dataset, problems)
    labels = _labels_from_object(obj, path, problems=problems)
    report = FileReport(
        path,
        "labels" if test is None else "submission",
        len(labels),
        sum(len(v) for v in labels.values()),
        problems=problems,
    )
    if test is not None:
        report.problems.extend(_submission_problems(labels, load_test_npy(test), path))
    return report


def _pose_report(path: Path, kind: str, dataset: Dataset, problems: list[str]) -> FileReport:
    return FileReport(
        path, kind, len(dataset), dataset.n_frames, list(dataset.annotators), problems
    )
