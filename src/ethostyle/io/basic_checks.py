"""The small checks every reader builds on: where a message points, and plain values.

:func:`location` starts every message of :mod:`ethostyle.io` (file, sequence,
frame) and :func:`preview` lists offending ids; the checkers here take a file
path, a sequence id, a vocabulary or a numeric array as a file holds it.
:mod:`ethostyle.io.validation` re-exports the public ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from numbers import Number
from pathlib import Path

import numpy as np

from ethostyle.data import VOCABULARY
from ethostyle.errors import DataFormatError

__all__ = [
    "checked_file",
    "checked_sequence_id",
    "location",
    "map_vocabulary",
    "preview",
]

_PREVIEW = 5  # how many offending ids a message lists


def location(path: object, sequence: str | None = None, frame: int | None = None) -> str:
    """The start of every error message: the file, then the sequence and frame if known.

    Parameters
    ----------
    path : object
        The file (or any name for where the data came from); None for data in memory.
    sequence : str, optional
        The sequence id.
    frame : int, optional
        The frame.

    Returns
    -------
    str
        E.g. ``"train.npy, sequence 's1', frame 6"``.

    Examples
    --------
    >>> location("train.npy", "s1", 6)
    "train.npy, sequence 's1', frame 6"
    >>> location(None)
    '<in memory>'
    """
    parts = [str(path) if path is not None else "<in memory>"]
    if sequence is not None:
        parts.append(f"sequence {sequence!r}")
    if frame is not None:
        parts.append(f"frame {frame}")
    return ", ".join(parts)


def preview(ids: Iterable[object]) -> str:
    """The first few ids, quoted, and how many more there are (for a message).

    Examples
    --------
    >>> preview(["a", "b"])
    "'a', 'b'"
    >>> preview(range(7))
    '0, 1, 2, 3, 4 and 2 more'
    """
    ids = list(ids)
    shown = ", ".join(repr(i) for i in ids[:_PREVIEW])
    return shown + (f" and {len(ids) - _PREVIEW} more" if len(ids) > _PREVIEW else "")


def checked_file(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path after checking it is a readable, non-empty file.

    Parameters
    ----------
    path : str or os.PathLike
        The file a user gave.

    Returns
    -------
    pathlib.Path
        The same path.

    Raises
    ------
    DataFormatError
        If it does not exist, is a directory, cannot be read or is empty.

    Examples
    --------
    >>> checked_file("no/such/file.npy")
    Traceback (most recent call last):
    ...
    ethostyle.errors.DataFormatError: no/such/file.npy: no such file; check the path
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise DataFormatError(f"{path}: is a directory, not a file; give the file inside it")
    if not os.access(path, os.R_OK):
        raise DataFormatError(f"{path}: cannot be read (permission denied); check its permissions")
    if path.stat().st_size == 0:
        raise DataFormatError(
            f"{path}: is empty (0 bytes); it was probably not written completely. "
            f"Regenerate or re-download it"
        )
    return path


def checked_sequence_id(raw: object, path: object) -> str:
    """Return a sequence id as str: str as is, int converted, anything else refused.

    Parameters
    ----------
    raw : object
        The id as the file holds it.
    path : object
        The file, named in the message.

    Returns
    -------
    str
        The id.

    Raises
    ------
    DataFormatError
        For an id that is neither text nor an integer, or text no file could hold.

    Examples
    --------
    >>> import numpy as np
    >>> checked_sequence_id(np.int64(7), "test.npy")
    '7'
    """
    if isinstance(raw, str):
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no output file could hold the id
            raise DataFormatError(
                f"{location(path)}: sequence id {raw!r} is not valid text (it holds a lone "
                f"surrogate character); rename the sequence"
            ) from None
        return str(raw)
    if isinstance(raw, int | np.integer) and not isinstance(raw, bool | np.bool_):
        return str(int(raw))
    raise DataFormatError(
        f"{location(path)}: sequence id {raw!r} is a {type(raw).__name__}; sequence ids "
        f"must be strings (or integers, which are converted); rename the sequence"
    )


def map_vocabulary(raw: object, path: object, sequence: str | None = None) -> np.ndarray:
    """Map a file's vocabulary to :data:`VOCABULARY` by name.

    Parameters
    ----------
    raw : object
        None (the canonical vocabulary), a list of class names (label ``i`` means
        ``raw[i]``) or a dict ``{name: index}`` as in CalMS21 JSON.
    path : object
        The file, named in the message.
    sequence : str, optional
        The sequence whose vocabulary this is (CalMS21 JSON has one per sequence).

    Returns
    -------
    numpy.ndarray
        ``(classes,)`` int8 ``m`` with ``m[file_label] == canonical_label``.

    Raises
    ------
    DataFormatError
        If the vocabulary does not name exactly ethostyle's classes.

    Examples
    --------
    >>> map_vocabulary(["other", "mount", "investigation", "attack"], "train.npy").tolist()
    [3, 2, 1, 0]
    """
    if raw is None:
        return np.arange(len(VOCABULARY), dtype=np.int8)
    where = location(path, sequence)
    fix = (
        f"the vocabulary must hold exactly the classes {list(VOCABULARY)} (in any "
        f"order); rename your classes to these names"
    )
    if isinstance(raw, Mapping):
        try:
            pairs = sorted((int(i), str(name)) for name, i in raw.items())
        except (TypeError, ValueError):
            raise DataFormatError(
                f"{where}: vocabulary {raw!r} is not a mapping of class name to index; {fix}"
            ) from None
        if [i for i, _ in pairs] != list(range(len(pairs))):
            raise DataFormatError(
                f"{where}: vocabulary {raw!r} does not number its classes 0, 1, 2, ...; {fix}"
            )
        names = [name for _, name in pairs]
    elif isinstance(raw, list | tuple | np.ndarray) and all(
        isinstance(n, str) for n in np.asarray(raw, dtype=object).reshape(-1)
    ):
        names = [str(n) for n in np.asarray(raw, dtype=object).reshape(-1)]
    else:
        raise DataFormatError(f"{where}: vocabulary {raw!r} is not a list of class names; {fix}")
    unknown = [n for n in names if n not in VOCABULARY]
    missing = [n for n in VOCABULARY if n not in names]
    if unknown or missing or len(names) != len(VOCABULARY):
        raise DataFormatError(
            f"{where}: vocabulary {names} differs from ethostyle's "
            f"(unknown: {unknown}, missing: {missing}); {fix}"
        )
    return np.array([VOCABULARY.index(n) for n in names], dtype=np.int8)


def _numeric_array(raw: object, where: str, what: str) -> np.ndarray:
    """Return ``raw`` as a numeric (int or float) array, or raise naming ``what`` and the frame."""
    try:
        array = np.asarray(raw)
    except ValueError as exc:
        raise DataFormatError(
            f"{where}: {what} are not a regular numeric array ({exc}); store them as one "
            f"numeric array (or nested lists of numbers) of the same length per frame"
        ) from None
    if array.dtype.kind in "iuf":
        return array
    if array.dtype.hasobject:
        # Object arrays come from lists with None (JSON null -> NaN) or from
        # pickles; float() accepts every number and refuses other objects.
        try:
            return array.astype(np.float64)
        except (TypeError, ValueError):
            pass
        except OverflowError:  # an integer beyond float range, e.g. 10**400 in JSON
            raise DataFormatError(
                f"{where}: {what} hold a number too large for a float (beyond 1.8e308); "
                f"store pixel coordinates"
            ) from None
    raise _not_numeric(array, where, what)


def _is_number(value: object) -> bool:
    """True for a number, None (JSON null, read as NaN) or text that spells a number."""
    if value is None or isinstance(value, Number):
        return True
    if isinstance(value, str | bytes):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _not_numeric(array: np.ndarray, where: str, what: str) -> DataFormatError:
    """The error for an array holding something other than numbers, naming its first frame.

    Only built once reading has failed, so calling :func:`_is_number` on each
    element (through :func:`numpy.frompyfunc`) costs nothing in normal use.
    """
    bad = ~np.asarray(np.frompyfunc(_is_number, 1, 1)(array), dtype=bool)
    if array.ndim and bad.any():
        # C order: the first bad element in flat order lies in the earliest bad frame.
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
        value = array[index]
        value = value.item() if isinstance(value, np.generic) else value
        return DataFormatError(
            f"{where}, frame {int(index[0])}: {what} hold {value!r:.60}, which is not a "
            f"number; store numbers (pixels), with NaN (null in JSON) for a missing value"
        )
    return DataFormatError(
        f"{where}: {what} have type {array.dtype} where numbers belong; store "
        f"numbers (pixels), not {array.dtype.kind!r}-kind values"
    )


def _first_frame(mask: np.ndarray) -> int:
    """Index along axis 0 of the first frame where ``mask`` holds anywhere."""
    frames = mask.reshape(mask.shape[0], -1).any(axis=1)
    return int(np.flatnonzero(frames)[0])
