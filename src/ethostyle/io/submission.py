"""Read, write and check MABe 2021 Task 2 submissions.

A submission is ``{sequence_id: labels}`` with one integer label per frame (an
index into :data:`~ethostyle.data.VOCABULARY`) for *every* sequence of the test
file, including those whose annotator ids lie outside 1-5.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ethostyle.data import Dataset
from ethostyle.errors import DataFormatError
from ethostyle.io._safe_pickle import safe_load_npy
from ethostyle.io.label_arrays import labels_from_object, write_label_arrays
from ethostyle.io.validation import checked_labels, location, preview

__all__ = ["load_submission", "save_submission", "submission_problems", "validate_submission"]


def submission_problems(submission: Mapping[str, object], test: Dataset, path: object) -> list[str]:
    """Every way ``submission`` fails to be a valid submission for ``test``.

    Parameters
    ----------
    submission : mapping of str to array-like
        Predicted labels per sequence id.
    test : Dataset
        The test sequences the submission answers.
    path : object
        The submission file, named in every message.

    Returns
    -------
    list of str
        One message per problem (empty for a valid submission): sequences
        missing or extra, then each sequence whose labels fail.

    Examples
    --------
    >>> problems = submission_problems(load_submission("sub.npy"),
    ...                                load_test_npy("test.npy"), "sub.npy")  # doctest: +SKIP
    """
    where = location(path)
    problems: list[str] = []
    missing = [sid for sid in test.ids if sid not in submission]
    extra = [sid for sid in submission if sid not in test]
    if missing:
        problems.append(
            f"{where}: {len(missing)} test sequence(s) have no prediction: "
            f"{preview(missing)}; predict every sequence of the test file"
        )
    if extra:
        problems.append(
            f"{where}: {len(extra)} sequence(s) are not in the test file: "
            f"{preview(extra)}; remove them (or check you used the right test file)"
        )
    for sequence in test:
        if sequence.id not in submission:
            continue
        try:
            checked_labels(
                submission[sequence.id], path, sequence.id, sequence.n_frames, names_allowed=False
            )
        except DataFormatError as error:
            problems.append(str(error))
    return problems


def validate_submission(
    submission: Mapping[str, object],
    test: Dataset,
    path: str | os.PathLike[str] | None = None,
) -> None:
    """Check that ``submission`` is a valid submission for ``test``.

    Parameters
    ----------
    submission : mapping of str to array-like
        Predicted labels per sequence id.
    test : Dataset
        The test sequences the submission answers.
    path : str or os.PathLike, optional
        The submission file, named in the message.

    Raises
    ------
    DataFormatError
        Listing every problem: sequences missing or extra, label lists whose
        length differs from the frame count (naming the sequence), values that
        are not integers or lie outside 0-3 (naming sequence and frame).

    Examples
    --------
    >>> validate_submission(load_submission("sub.npy"), load_test_npy("test.npy"))  # doctest: +SKIP
    """
    problems = submission_problems(submission, test, path)
    if problems:
        raise DataFormatError(
            f"{location(path)} is not a valid submission ({len(problems)} problem(s)):\n"
            + "\n".join(f"- {p}" for p in problems)
        )


def load_submission(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Load a submission file ``{id: labels}``.

    Values must be integer class indices 0-3, one per frame; to check them
    against the test file's frame counts, use :func:`validate_submission`.

    Parameters
    ----------
    path : str or os.PathLike
        The submission ``.npy`` file.

    Returns
    -------
    dict of str to numpy.ndarray
        ``(frames,)`` int8 labels per sequence id, in file order.

    Examples
    --------
    >>> sub = load_submission("sample_submission.npy")  # doctest: +SKIP
    """
    path = Path(path)
    return labels_from_object(safe_load_npy(path), path, names_allowed=False)


def save_submission(predictions: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> Path:
    """Write predictions in the submission layout, atomically.

    Parameters
    ----------
    predictions : mapping of str to array-like
        Integer labels 0-3 per frame, per sequence id.
    path : str or os.PathLike
        Destination file.

    Returns
    -------
    pathlib.Path
        The file written; values are stored as int64 arrays.

    Examples
    --------
    >>> save_submission({"seq-1": np.array([3, 3, 1])}, "submission.npy")  # doctest: +SKIP
    PosixPath('submission.npy')
    """
    return write_label_arrays(predictions, path, names_allowed=False, what="a submission")
