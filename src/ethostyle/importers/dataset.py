"""A lab's labelled data set file: CalMS21 ``train.npy`` layout plus annotator names.

CalMS21 numbers its annotators; a lab knows them by name. The file written here
is an ordinary ``train.npy`` (every reader of that layout reads it) with one more
top-level entry, ``"annotator_names": {name: id}``, so the names travel with the
data set and a later import reuses each person's id.

Examples
--------
>>> lab = load_lab_dataset("lab_train.npy")  # doctest: +SKIP
>>> lab.annotator_names  # doctest: +SKIP
{'alice': 6}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ethostyle.data import Dataset
from ethostyle.errors import DataFormatError
from ethostyle.io import load, safe_load_npy
from ethostyle.io.calms21_npy import dataset_from_object, train_layout, write_pickled_npy

__all__ = ["ANNOTATOR_NAMES_KEY", "LabDataset", "add_annotator", "load_lab_dataset"]

#: Top-level key of the name -> id mapping in a train-layout ``.npy`` file.
ANNOTATOR_NAMES_KEY = "annotator_names"


@dataclass(frozen=True)
class LabDataset:
    """A data set and the names of its annotators.

    Attributes
    ----------
    dataset : Dataset
        The sequences.
    annotator_names : dict of str to int
        Annotator name to annotator id (ids without a name are not listed).
    """

    dataset: Dataset
    annotator_names: dict[str, int] = field(default_factory=dict)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the data set, labelled, in the ``train.npy`` layout with the names.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file (written atomically, as given).

        Returns
        -------
        pathlib.Path
            The file written.
        """
        unlabelled = [s.id for s in self.dataset if s.labels is None]
        if unlabelled or len(self.dataset) == 0:
            raise DataFormatError(
                f"{path}: refusing to write a labelled data set with unlabelled sequences "
                f"{unlabelled[:5]}; import labels for them or leave them out"
            )
        obj = train_layout(self.dataset)
        obj[ANNOTATOR_NAMES_KEY] = {str(k): int(v) for k, v in self.annotator_names.items()}
        return write_pickled_npy(obj, path)


def load_lab_dataset(path: str | os.PathLike[str]) -> LabDataset:
    """Load any pose file ethostyle reads, with its annotator names when it has them.

    Parameters
    ----------
    path : str or os.PathLike
        A ``train.npy``/``test.npy``-layout file or a CalMS21 ``.json``.

    Returns
    -------
    LabDataset
        The data set (labelled when the file holds labels) and its names.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return LabDataset(load(path), {})
    obj = safe_load_npy(path)
    names: dict[str, int] = {}
    if isinstance(obj, Mapping) and isinstance(obj.get("sequences"), Mapping):
        raw = obj.get(ANNOTATOR_NAMES_KEY) or {}
        if not isinstance(raw, Mapping):
            raise DataFormatError(f"{path}: {ANNOTATOR_NAMES_KEY!r} is not a dict of name: id")
        bad = [
            k for k, v in raw.items() if isinstance(v, bool) or not isinstance(v, int | np.integer)
        ]
        if bad:
            raise DataFormatError(
                f"{path}: {ANNOTATOR_NAMES_KEY!r} gives {bad[0]!r} the id {raw[bad[0]]!r}; ids "
                f"must be integers (import the labels again to rebuild the file)"
            )
        names = {str(k): int(v) for k, v in raw.items()}
    # One read of a possibly large file: build the data set from the object already loaded.
    return LabDataset(dataset_from_object(obj, path, labelled=None), names)


def add_annotator(
    names: Mapping[str, int], name: str, taken: list[int], annotator_id: int | None = None
) -> tuple[int, dict[str, int]]:
    """The id of a named annotator: the one it already has, or a new one.

    Parameters
    ----------
    names : mapping of str to int
        Known names.
    name : str
        The annotator.
    taken : list of int
        Ids already used by the data set (named or not).
    annotator_id : int, optional
        The id to give; must agree with ``names`` when the name is known.

    Returns
    -------
    annotator_id : int
        The known id, ``annotator_id``, or the smallest id not in ``taken`` or ``names``.
    names : dict of str to int
        ``names`` with this annotator added.

    Examples
    --------
    >>> add_annotator({}, "alice", taken=[0, 1, 2, 3, 4, 5])
    (6, {'alice': 6})
    """
    out = dict(names)
    if name in out:
        if annotator_id is not None and annotator_id != out[name]:
            raise DataFormatError(
                f"annotator {name!r} already has id {out[name]} in this data set, not "
                f"{annotator_id}; leave out --annotator-id or use another name"
            )
        return out[name], out
    owner = {v: k for k, v in out.items()}
    if annotator_id is not None and annotator_id in owner:
        raise DataFormatError(
            f"annotator id {annotator_id} already belongs to {owner[annotator_id]!r}; choose "
            f"another id"
        )
    if annotator_id is None:
        used = set(taken) | set(out.values())
        annotator_id = next(i for i in range(len(used) + 1) if i not in used)
    out[name] = int(annotator_id)
    return int(annotator_id), out
