"""The one check of a per-frame label array, wherever labels come from.

:mod:`ethostyle.io.validation` re-exports :func:`checked_labels`.
"""

from __future__ import annotations

import numpy as np

from ethostyle.data import UNLABELLED, VOCABULARY
from ethostyle.errors import DataFormatError
from ethostyle.io.basic_checks import location, map_vocabulary

__all__ = ["UNLABELLED_NAMES", "checked_labels"]

#: Class names that mark frames nobody labelled (:data:`~ethostyle.data.UNLABELLED`),
#: in label arrays and in every label file a lab writes (any case).
UNLABELLED_NAMES: tuple[str, ...] = ("unlabelled", "unlabeled")


def checked_labels(
    raw: object,
    path: object,
    sequence: str,
    n_frames: int | None = None,
    *,
    vocabulary_map: np.ndarray | None = None,
    names_allowed: bool = True,
) -> np.ndarray:
    """Return per-frame labels as canonical int8 indices into :data:`VOCABULARY`.

    The one check of a label array, wherever labels come from (a file, a
    submission, another annotator's labels in memory).

    Parameters
    ----------
    raw : object
        One label per frame: integer (or whole float) class indices, or class names.
    path : object
        Where the labels came from (a file, or e.g. ``"annotator 2"``), named first
        in every message.
    sequence : str
        The sequence id, named in messages.
    n_frames : int, optional
        The frames the labels must cover; unchecked when None.
    vocabulary_map : numpy.ndarray, optional
        From :func:`map_vocabulary`: maps the file's class indices to the canonical
        ones (default: the file uses :data:`VOCABULARY`'s order).
    names_allowed : bool
        Whether class names are accepted, and with them
        :data:`~ethostyle.data.UNLABELLED` (-1, or the name ``"unlabelled"``) for
        frames nobody labelled: a lab's label files and train files may be partly
        labelled; a submission (indices only) may not.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int8; -1 where nobody labelled.

    Raises
    ------
    DataFormatError
        Naming the frame of the first label that is not a whole number, lies out of
        range or names no class; or for a wrong shape or length.

    Examples
    --------
    >>> checked_labels([3, 3, 1], "labels.npy", "s1", 3).tolist()
    [3, 3, 1]
    >>> checked_labels(["other", "mount"], "labels.npy", "s1").tolist()
    [3, 2]
    >>> checked_labels(["unlabelled", "other"], "labels.npy", "s1").tolist()
    [-1, 3]
    >>> checked_labels([3, 7], "labels.npy", "s1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ethostyle.errors.DataFormatError: labels.npy, sequence 's1', frame 1: label 7 is out of range...
    """
    if vocabulary_map is None:
        vocabulary_map = map_vocabulary(None, path)
    where = location(path, sequence)
    n_classes = len(vocabulary_map)
    array = _label_array(raw, where, n_frames)
    if array.dtype.kind == "U" and names_allowed:
        return _indices_of_names(array, path, sequence)
    _refuse_non_indices(array, path, sequence, n_classes, names_allowed)
    indices = array.astype(np.intp)
    # UNLABELLED stays itself: it indexes no class of the file's vocabulary.
    return np.where(indices == UNLABELLED, UNLABELLED, vocabulary_map[indices]).astype(np.int8)


def _label_array(raw: object, where: str, n_frames: int | None) -> np.ndarray:
    """Return ``raw`` as a flat, non-empty array of ``n_frames`` labels (numbers or text)."""
    try:
        array = np.asarray(raw)
        if array.dtype.hasobject:
            array = np.asarray(array.tolist())  # let numpy infer str or numbers
    except (TypeError, ValueError) as exc:
        raise DataFormatError(
            f"{where}: labels are not a flat list of class indices ({exc}); give one "
            f"integer label per frame"
        ) from None
    if array.ndim != 1:
        raise DataFormatError(
            f"{where}: labels have shape {array.shape}; give a flat list with one label per frame"
        )
    if array.size == 0:
        raise DataFormatError(f"{where}: has zero labels; a sequence needs at least one frame")
    if n_frames is not None and array.shape[0] != n_frames:
        raise DataFormatError(
            f"{where}: {array.shape[0]} labels for {n_frames} frames; give exactly one "
            f"label per frame"
        )
    return array


def _indices_of_names(array: np.ndarray, path: object, sequence: str) -> np.ndarray:
    """Return the :data:`VOCABULARY` indices of class names, refusing an unknown name."""
    names, inverse = np.unique(array, return_inverse=True)
    known = (*VOCABULARY, *UNLABELLED_NAMES)
    unknown = [str(n) for n in names if str(n) not in known]
    if unknown:
        frame = int(np.flatnonzero(np.isin(array, unknown))[0])
        raise DataFormatError(
            f"{location(path, sequence, frame)}: label {unknown[0]!r} is not one of "
            f"{list(VOCABULARY)} (or {UNLABELLED_NAMES[0]!r} where nobody labelled); rename it "
            f"to one of these classes"
        )
    lookup = np.array(
        [UNLABELLED if str(n) in UNLABELLED_NAMES else VOCABULARY.index(str(n)) for n in names],
        dtype=np.int8,
    )
    return lookup[inverse.reshape(-1)]


def _refuse_non_indices(
    array: np.ndarray, path: object, sequence: str, n_classes: int, unlabelled_ok: bool
) -> None:
    """Refuse labels that are not whole numbers in ``range(n_classes)``, naming the frame.

    With ``unlabelled_ok``, :data:`~ethostyle.data.UNLABELLED` is allowed too.
    """
    where = location(path, sequence)
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            frame = int(np.flatnonzero(bad)[0])
            raise DataFormatError(
                f"{location(path, sequence, frame)}: label {array[frame].item()!r} is not a whole "
                f"number; labels are class indices 0-{n_classes - 1}"
            )
    elif array.dtype.kind not in "iu":
        kind = "class names" if array.dtype.kind == "U" else f"{array.dtype} values"
        raise DataFormatError(
            f"{where}: labels are {kind}; give integer class indices 0-{n_classes - 1} "
            f"(index i means {list(VOCABULARY)}[i])"
        )
    bad = ((array < 0) & ~(unlabelled_ok & (array == UNLABELLED))) | (array >= n_classes)
    if bad.any():
        frame = int(np.flatnonzero(bad)[0])
        also = f", or {UNLABELLED} where nobody labelled" if unlabelled_ok else ""
        raise DataFormatError(
            f"{location(path, sequence, frame)}: label {array[frame].item()} is out of range; "
            f"labels are class indices 0-{n_classes - 1} ({list(VOCABULARY)}){also}"
        )
