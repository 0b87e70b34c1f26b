"""Say what kind of file a user hands over and everything that is wrong with it.

:func:`find_problems` backs ``ethostyle validate``: it names the layout it
found, counts sequences, frames and annotators, and lists every problem instead
of stopping at the first (the loaders, :func:`~ethostyle.io.load` and kin,
stop there).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ethostyle.data import Dataset
from ethostyle.io._safe_pickle import safe_load_npy
from ethostyle.io.calms21_json import dataset_from_json
from ethostyle.io.calms21_npy import dataset_from_object, load_test_npy
from ethostyle.io.dispatch import npy_layout
from ethostyle.io.label_arrays import labels_from_object
from ethostyle.io.submission import submission_problems
from ethostyle.io.validation import sequence_entries

__all__ = ["FileReport", "describe_file", "find_problems"]


@dataclass
class FileReport:
    """What :func:`find_problems` found in a file.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    kind : str
        ``"train"``, ``"test"``, ``"labels"``, ``"submission"`` or ``"calms21-json"``.
    n_sequences : int
        Sequences in the file, whether they read cleanly or not.
    n_frames : int
        Frames of the sequences that read cleanly.
    n_unreadable : int
        Sequences that could not be read (each has a problem).
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
    n_unreadable: int = 0

    def summary(self) -> str:
        """A few human-readable lines: the layout, its size, then every problem."""
        size = f"{self.n_sequences} sequence(s), {self.n_frames} frame(s)"
        if self.n_unreadable:
            size = (
                f"{self.n_sequences} sequence(s), {self.n_unreadable} of them unreadable "
                f"(listed below); {self.n_frames} frame(s) in the other "
                f"{self.n_sequences - self.n_unreadable}"
            )
        lines = [f"{self.path}: {self.kind} file, {size}"]
        if self.annotators:
            lines.append(f"annotators: {', '.join(map(str, self.annotators))}")
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines.extend(f"- {p}" for p in self.problems)
        else:
            lines.append("no problems found")
        return "\n".join(lines)


def find_problems(
    path: str | os.PathLike[str], test: str | os.PathLike[str] | None = None
) -> FileReport:
    """Say what a data file is and list every problem in it (``ethostyle validate``).

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

    Examples
    --------
    >>> report = find_problems("submission.npy", test="test.npy")  # doctest: +SKIP
    >>> report.kind, report.problems  # doctest: +SKIP
    ('submission', [])
    >>> print(report.summary())  # doctest: +SKIP
    submission.npy: submission file, 2 sequence(s), 1800 frame(s)
    no problems found
    """
    path = Path(path)
    problems: list[str] = []
    if path.suffix.lower() == ".json":
        notes: list[str] = []  # other units, mostly untracked: problems for validate
        dataset = dataset_from_json(path, problems, notes=notes)
        # The JSON reader frees each sequence as it goes, leaving one problem per
        # sequence it could not read (counted before the notes join them).
        n_in_file = len(dataset) + len(problems)
        problems.extend(notes)
        return _pose_report(path, "calms21-json", dataset, problems, n_in_file)
    obj = safe_load_npy(path)
    kind = npy_layout(obj, path)
    n_in_file = len(sequence_entries(obj, path)[0])
    if kind in ("train", "test"):
        dataset = dataset_from_object(
            obj,
            path,
            labelled=True if kind == "train" else None,
            problems=problems,
            notes=problems,  # other units, mostly untracked: problems for validate
        )
        return _pose_report(path, kind, dataset, problems, n_in_file)
    labels = labels_from_object(obj, path, problems=problems)
    report = FileReport(
        path,
        "labels" if test is None else "submission",
        n_in_file,
        sum(len(v) for v in labels.values()),
        problems=problems,
        n_unreadable=n_in_file - len(labels),
    )
    if test is not None:
        report.problems.extend(submission_problems(labels, load_test_npy(test), path))
    return report


def _pose_report(
    path: Path, kind: str, dataset: Dataset, problems: list[str], n_in_file: int
) -> FileReport:
    return FileReport(
        path,
        kind,
        n_in_file,
        dataset.n_frames,
        list(dataset.annotators),
        problems,
        n_unreadable=n_in_file - len(dataset),
    )


#: The former name of :func:`find_problems` (the same function).
describe_file = find_problems
