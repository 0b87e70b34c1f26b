"""Read several annotators' label files of the same videos, for :func:`compare_labels`.

Each file holds one annotator's labels of the same videos, either

- in the train layout (``train.npy``-like, e.g. the simulator's
  ``shared_annotator<k>.npy``, or a CalMS21 ``.json``): poses, labels and the
  annotator id, or
- as plain labels ``{sequence id: labels}`` (e.g. ``test_labels.npy``): the
  annotator id is then the file's position in the list (0 for the first).

Every file must hold the same sequences with the same number of frames.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ethostyle.data import Dataset
from ethostyle.errors import DataFormatError
from ethostyle.io import describe_file, load, load_labels

__all__ = ["LabelFiles", "read_label_files"]

_POSE_KINDS = ("train", "calms21-json")
_LABEL_KINDS = ("labels", "submission")


@dataclass(frozen=True, slots=True)
class LabelFiles:
    """Labels read from several files.

    Attributes
    ----------
    labels : dict of int to dict of str to numpy.ndarray
        Annotator -> sequence id -> ``(frames,)`` int8 labels.
    poses : dict of int to Dataset
        Annotator -> its file's poses (only files in the train layout).
    sources : dict of int to Path
        Annotator -> the file its labels came from.
    """

    labels: dict[int, dict[str, np.ndarray]]
    poses: dict[int, Dataset]
    sources: dict[int, Path]

    def poses_for(self, reference: int) -> Dataset | None:
        """The poses to use: the reference's file's, else any file's, else None."""
        if reference in self.poses:
            return self.poses[reference]
        return next(iter(self.poses.values()), None)


def _read_one(path: Path, position: int) -> tuple[int, dict[str, np.ndarray], Dataset | None]:
    kind = describe_file(path).kind
    if kind in _POSE_KINDS:
        dataset = load(path)
        if not dataset.is_labelled:
            raise DataFormatError(f"{path}: some sequences have no labels; give labelled files")
        if len(dataset.annotators) != 1:
            raise DataFormatError(
                f"{path}: holds labels of annotators {dataset.annotators}; give one file per "
                "annotator (all labelling the same videos)"
            )
        return dataset.annotators[0], {s.id: s.labels for s in dataset}, dataset
    if kind in _LABEL_KINDS:
        return position, load_labels(path), None
    raise DataFormatError(
        f"{path}: a {kind} file holds poses without labels; compare-labels needs labelled files "
        "(train layout or {sequence id: labels}). To label videos in every annotator's style, "
        "use `ethostyle compare MODEL_DIR VIDEOS.npy`."
    )


def read_label_files(paths: Sequence[str | os.PathLike[str]]) -> LabelFiles:
    """Read one label file per annotator, all labelling the same videos.

    Parameters
    ----------
    paths : sequence of path-like
        The files, one per annotator: train layout (annotator id from the file)
        or ``{sequence id: labels}`` (annotator id = position in ``paths``).

    Returns
    -------
    LabelFiles
        Labels per annotator, poses where the files have them, and the source files.

    Raises
    ------
    DataFormatError
        When a file does not exist, is unlabelled or holds several annotators,
        two files claim the same annotator, or the files differ in sequences or
        frame counts.

    Examples
    --------
    >>> paths = ["shared_annotator0.npy", "shared_annotator1.npy"]
    >>> sorted(read_label_files(paths).labels)  # doctest: +SKIP
    [0, 1]
    """
    for raw in paths:
        if not Path(raw).exists():
            pattern = any(c in str(raw) for c in "*?[")
            raise DataFormatError(
                f"{raw}: no such file"
                + ("; the pattern matched no file, check the folder and name" if pattern else "")
            )
    if len(paths) < 2:
        raise DataFormatError(
            "give at least two label files (one per annotator) of the same videos"
        )
    labels: dict[int, dict[str, np.ndarray]] = {}
    poses: dict[int, Dataset] = {}
    sources: dict[int, Path] = {}
    first: tuple[Path, dict[str, np.ndarray]] | None = None
    for position, raw in enumerate(paths):
        path = Path(raw)
        annotator, mine, dataset = _read_one(path, position)
        if annotator in sources:
            raise DataFormatError(
                f"{path} and {sources[annotator]} both hold annotator {annotator}'s labels; give "
                "one file per annotator (plain label files take their position as annotator id)"
            )
        if first is None:
            first = (path, mine)
        else:
            _same_videos(first, (path, mine))
        labels[annotator], sources[annotator] = mine, path
        if dataset is not None:
            poses[annotator] = dataset
    return LabelFiles(labels, poses, sources)


def _same_videos(
    first: tuple[Path, dict[str, np.ndarray]], other: tuple[Path, dict[str, np.ndarray]]
) -> None:
    (path_a, a), (path_b, b) = first, other
    missing = [i for i in a if i not in b] or [i for i in b if i not in a]
    if missing:
        where = path_b if missing[0] in a else path_a
        raise DataFormatError(
            f"sequence {missing[0]!r} is in {path_a if where == path_b else path_b} but not in "
            f"{where}; every file must label the same videos"
        )
    for sid, labels in a.items():
        if len(labels) != len(b[sid]):
            raise DataFormatError(
                f"sequence {sid!r}: {len(labels)} frames in {path_a} but {len(b[sid])} in "
                f"{path_b}; every file must label the same frames"
            )
