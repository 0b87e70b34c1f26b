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
        dataset = dataset_from_json(path, problems, notes=problems)
        return _pose_report(path, "calms21-json", dataset, problems)
    obj = safe_load_npy(path)
    kind = npy_layout(obj, path)
    if kind in ("train", "test"):
        dataset = dataset_from_object(
            obj,
            path,
            labelled=True if kind == "train" else None,
            problems=problems,
            notes=problems,  # other units, mostly untracked: problems for validate
        )
        return _pose_report(path, kind, dataset, problems)
    labels = labels_from_object(obj, path, problems=problems)
    report = FileReport(
        path,
        "labels" if test is None else "submission",
        len(labels),
        sum(len(v) for v in labels.values()),
        problems=problems,
    )
    if test is not None:
        report.problems.extend(submission_problems(labels, load_test_npy(test), path))
    return report


def _pose_report(path: Path, kind: str, dataset: Dataset, problems: list[str]) -> FileReport:
    return FileReport(
        path, kind, len(dataset), dataset.n_frames, list(dataset.annotators), problems
    )


#: The former name of :func:`find_problems` (the same function).
describe_file = find_problems
