"""Load pickle-based ``.npy`` files without ever running code from them.

The MABe 2021 files are NumPy ``.npy`` files holding a pickled Python dict.
``np.load(path, allow_pickle=True)`` would let such a file call any Python
function while it loads (delete files, open a shell), and a malformed one can
even crash the interpreter: NumPy's ``ndarray.__setstate__`` reads past the end
of an object list that is shorter than the stated shape. This module instead

* reads the ``.npy`` header with :mod:`numpy.lib.format` and, for plain numeric
  arrays, uses ``np.load(..., allow_pickle=False)``;
* unpickles object arrays with a :class:`pickle.Unpickler` whose ``find_class``
  admits only the handful of NumPy and builtin names needed to rebuild arrays,
  dtypes and scalars (see :data:`ADMITTED_GLOBALS`), each wrapped so that its
  arguments are checked before NumPy sees them; any other name raises
  :class:`~ethostyle.errors.UnsafeFileError` *before* it is imported or called;
* admits only simple dtypes (bool, integers, floats, complex, str, bytes,
  object): structured dtypes can describe overlapping object fields, which the
  pickle protocol lets a file forge;
* walks the result, refusing anything but dicts, lists, tuples, sets, NumPy
  arrays and scalars and plain numbers/strings, nested at most
  :data:`~ethostyle.io.validation.MAX_NESTING_DEPTH` levels deep.
"""

from __future__ import annotations

import collections
import io
import logging
import math
import os
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ethostyle.errors import DataFormatError, UnsafeFileError
from ethostyle.io.validation import MAX_NESTING_DEPTH, checked_file

try:  # NumPy >= 2
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - NumPy 1.26
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]

__all__ = ["ADMITTED_GLOBALS", "refuse_unsafe_hdf5", "safe_load_npy"]

logger = logging.getLogger(__name__)

_SIMPLE_KINDS = frozenset("biufcUSO")
_DESCR = re.compile(r"[A-Za-z?]\d{0,9}")
_ENDIAN = frozenset("<>|=")
_MAX_DIMS = 32  # NumPy's own limit (NPY_MAXDIMS) in 1.x


def _refuse(what: str) -> UnsafeFileError:
    return UnsafeFileError(
        f"{what}; ethostyle never runs code from a data file. If you trust the "
        f"file's source, re-save its data as plain arrays (or as CalMS21 JSON) "
        f"and load that instead"
    )


class _Admitted:
    """An admitted global: callable with checked arguments, never modifiable.

    ``find_class`` returns these instead of the real objects so that a pickle
    cannot call NumPy's functions with arguments they do not check, nor use the
    BUILD opcode to change an attribute of a real function or type.
    """

    __slots__ = ("_function", "_name")

    def __init__(self, name: str, function: Callable[..., Any] | None) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_function", function)

    def __call__(self, *args: Any) -> Any:
        if self._function is None:
            raise _refuse(f"the file calls {self._name} directly")
        return self._function(*args)

    def __setattr__(self, name: str, value: object) -> None:
        raise _refuse(f"the file tries to modify {self._name}")

    def __setstate__(self, state: object) -> None:
        raise _refuse(f"the file tries to modify {self._name}")

    def __repr__(self) -> str:
        return f"<global {self._name}>"


class _DtypeProxy:
    """Stands for a ``numpy.dtype`` until its pickled state (byte order) arrives."""

    __slots__ = ("byteorder", "descr")

    def __init__(self, descr: object, align: object = False, copy: object = True) -> None:
        if not isinstance(descr, str) or not _DESCR.fullmatch(descr):
            raise _refuse(f"the file asks for a dtype {descr!r}, which is not a simple type")
        try:
            dtype = np.dtype(descr)
        except TypeError as exc:
            raise _refuse(f"the file asks for an unknown dtype {descr!r}") from exc
        if dtype.kind not in _SIMPLE_KINDS or dtype.fields is not None or dtype.subdtype:
            raise _refuse(
                f"the file asks for dtype {descr!r}; only bool, integer, float, "
                f"complex, str, bytes and object arrays are admitted"
            )
        self.descr = descr
        self.byteorder = "="

    def __setstate__(self, state: object) -> None:
        # (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
        if (
            not isinstance(state, tuple)
            or len(state) not in (8, 9)
            or not isinstance(state[1], str)
            or state[1] not in _ENDIAN
            or any(part is not None for part in state[2:5])
            or (len(state) == 9 and state[8] is not None)
        ):
            raise _refuse(
                f"the file gives dtype {self.descr!r} a state {state!r} with fields, "
                f"sub-arrays or metadata, which are not admitted"
            )
        self.byteorder = state[1]

    def resolve(self) -> np.dtype:
        dtype = np.dtype(self.descr)
        if self.byteorder in "<>" and dtype.byteorder != "|":
            dtype = dtype.newbyteorder(self.byteorder)
        return dtype


def _as_dtype(value: object) -> np.dtype:
    if isinstance(value, _DtypeProxy):
        return value.resolve()
    raise _refuse(f"the file gives {type(value).__name__} where a dtype belongs")


def _as_bytes(value: object, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):  # Python 2 pickles, read with encoding="latin1"
        return value.encode("latin1")
    raise _refuse(f"the file gives {type(value).__name__} where {what} bytes belong")


class _GuardedArray(np.ndarray):
    """An ndarray whose ``__setstate__`` checks the state before NumPy reads it."""

    def __setstate__(self, state: object) -> None:
        if isinstance(state, tuple) and len(state) == 5:
            version, shape, dtype, fortran, raw = state
        elif isinstance(state, tuple) and len(state) == 4:
            version, (shape, dtype, fortran, raw) = 1, state
        else:
            raise _refuse("the file gives an array a malformed state")
        if version != 1 or not isinstance(fortran, bool | int):
            raise _refuse("the file gives an array a malformed state")
        if (
            not isinstance(shape, tuple)
            or len(shape) > _MAX_DIMS
            or not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in shape)
            or any(n < 0 for n in shape)
        ):
            raise _refuse(f"the file gives an array the shape {shape!r}")
        shape = tuple(int(n) for n in shape)
        dtype = _as_dtype(dtype)
        size = math.prod(shape)
        if dtype.hasobject:
            # NumPy reads `size` items from the list without checking its length.
            if not isinstance(raw, list) or len(raw) != size:
                raise _refuse(
                    f"the file declares an object array of shape {shape} but stores "
                    f"{len(raw) if isinstance(raw, list) else 'no list of'} items"
                )
        else:
            raw = _as_bytes(raw, "array")
            if len(raw) != size * dtype.itemsize:
                raise DataFormatError(
                    f"an array in the file declares shape {shape} of {dtype} but holds "
                    f"{len(raw)} bytes instead of {size * dtype.itemsize}; the file is "
                    f"corrupt, regenerate it"
                )
        np.ndarray.__setstate__(self, (1, shape, dtype, bool(fortran), raw))


def _reconstruct(subtype: object, shape: object, typecode: object) -> _GuardedArray:
    if subtype is not _NDARRAY:
        raise _refuse(f"the file rebuilds an array of type {subtype!r}")
    # The pickled shape and typecode are placeholders (always (0,) and b"b");
    # ignoring them means a file cannot make this call allocate memory.
    return np.ndarray.__new__(_GuardedArray, (0,), np.int8)


def _scalar(dtype: object, data: object = None) -> object:
    resolved = _as_dtype(dtype)
    if resolved.hasobject:
        return data  # an object "scalar" is the object itself; the walk checks it
    raw = _as_bytes(data, "scalar")
    if len(raw) != resolved.itemsize:
        raise DataFormatError(
            f"a {resolved} scalar in the file holds {len(raw)} bytes instead of "
            f"{resolved.itemsize}; the file is corrupt, regenerate it"
        )
    return _multiarray.scalar(resolved, raw)


def _encode(text: object, encoding: object = "utf-8", errors: object = "strict") -> bytes:
    # Python-3 pickles of protocol < 3 spell bytes as _codecs.encode(str, "latin1");
    # any other codec (zlib, bz2, ...) could decompress a bomb, so only latin1.
    if isinstance(text, str) and encoding in ("latin1", "latin-1", "iso-8859-1"):
        return text.encode("latin1")
    raise _refuse(f"the file calls _codecs.encode with encoding {encoding!r}")


_NDARRAY = _Admitted("numpy.ndarray", None)
_CORE = ("numpy._core.multiarray", "numpy.core.multiarray")  # NumPy 2.x and 1.x names

#: The only globals a data file may name, as ``(module, name)``; each maps to a
#: checked stand-in. Everything else raises UnsafeFileError before any import.
ADMITTED_GLOBALS: dict[tuple[str, str], object] = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _Admitted("numpy.dtype", _DtypeProxy),
    **{(core, "_reconstruct"): _Admitted(f"{core}._reconstruct", _reconstruct) for core in _CORE},
    **{(core, "scalar"): _Admitted(f"{core}.scalar", _scalar) for core in _CORE},
    ("_codecs", "encode"): _Admitted("_codecs.encode", _encode),
    ("builtins", "set"): _Admitted("builtins.set", set),
    ("builtins", "frozenset"): _Admitted("builtins.frozenset", frozenset),
    ("builtins", "complex"): _Admitted("builtins.complex", complex),
    ("collections", "OrderedDict"): _Admitted("collections.OrderedDict", collections.OrderedDict),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return ADMITTED_GLOBALS[(module, name)]
        except (KeyError, TypeError):
            raise _refuse(f"the file asks to load {module}.{name}") from None

    def persistent_load(self, pid: object) -> Any:
        raise _refuse("the file refers to an external object (persistent id)")


_LEAVES = (str, bytes, int, float, complex, type(None), np.generic)


def _sanitize(obj: object, path: Path) -> object:
    """Return ``obj`` rebuilt from admitted types only, checking the nesting depth."""
    # id -> (clean copy, height). Shared references are cleaned once, so a file
    # cannot make the walk exponential by referring to one list many times.
    done: dict[int, tuple[object, int]] = {}

    def too_deep() -> UnsafeFileError:
        return UnsafeFileError(
            f"{path}: data nested more than MAX_NESTING_DEPTH={MAX_NESTING_DEPTH} levels "
            f"deep (or referring to itself); a CalMS21 file needs about 5, so this one "
            f"is corrupt or hostile. Re-save the data in the train/test layout"
        )

    def walk(item: object, depth: int) -> tuple[object, int]:
        if depth > MAX_NESTING_DEPTH:
            raise too_deep()
        if isinstance(item, _LEAVES):
            return item, 0
        key = id(item)
        if key in done:
            clean, height = done[key]
            if depth + height > MAX_NESTING_DEPTH:
                raise too_deep()
            return clean, height
        height = 0
        clean: object
        if isinstance(item, _DtypeProxy):
            clean = item.resolve()
        elif isinstance(item, np.ndarray):
            array = np.asarray(item)  # drops the _GuardedArray subclass, no copy
            if array.dtype.hasobject:
                out = np.empty(array.shape, dtype=object)
                flat = out.reshape(-1)
                # A loop over the elements of an object array: each may be any
                # Python object and must be checked one by one.
                for index, element in enumerate(array.reshape(-1)):
                    flat[index], sub = walk(element, depth + 1)
                    height = max(height, sub + 1)
                clean = out
            else:
                clean = array
        elif isinstance(item, dict):
            rebuilt: dict[object, object] = {}
            for k, v in item.items():
                ck, hk = walk(k, depth + 1)
                cv, hv = walk(v, depth + 1)
                rebuilt[ck] = cv
                height = max(height, hk + 1, hv + 1)
            clean = rebuilt
        elif isinstance(item, list | tuple | set | frozenset):
            parts = []
            for element in item:
                part, sub = walk(element, depth + 1)
                parts.append(part)
                height = max(height, sub + 1)
            clean = parts if isinstance(item, list) else type(item)(parts)
        else:
            raise UnsafeFileError(
                f"{path}: holds an object of type {type(item).__name__} ({item!r:.80}), "
                f"which a data file must not; ethostyle admits only dicts, lists, "
                f"tuples, sets, numbers, strings and NumPy arrays"
            )
        done[key] = (clean, height)
        return clean, height

    return walk(obj, 0)[0]


#: How to fix a .npy file that cannot be read.
_HOW_TO_FIX = "the file is truncated or corrupt; regenerate or re-download it"


def _read_header(fh: BinaryIO, path: Path) -> tuple[tuple[int, ...] | None, np.dtype]:
    """The shape (None for a version-3 header) and dtype a .npy header declares."""
    try:
        version = np.lib.format.read_magic(fh)
    except ValueError:
        raise DataFormatError(
            f"{path}: is not a NumPy .npy file (it does not start with the .npy "
            f"magic bytes); give a .npy file saved with numpy.save, or a .json file"
        ) from None
    if version == (1, 0):
        shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    else:  # version 3 headers are only used for structured dtypes
        shape, dtype = None, np.dtype(np.float64)
    return shape, dtype


def _check_declared_size(
    fh: BinaryIO, path: Path, shape: tuple[int, ...] | None, dtype: np.dtype
) -> None:
    """Refuse a header that declares more data than the file holds (numpy would first
    try to allocate it all)."""
    declared = 0 if shape is None else math.prod(shape) * dtype.itemsize
    held = path.stat().st_size - fh.tell()
    if declared > held:
        raise DataFormatError(
            f"{path}: its header declares {declared} bytes of data but the file "
            f"holds {held}; {_HOW_TO_FIX}"
        )


def safe_load_npy(path: str | os.PathLike[str]) -> object:
    """Load a ``.npy`` file without executing code from it.

    A plain numeric array is loaded with ``np.load(..., allow_pickle=False)``.
    A pickled object array (how the MABe 2021 files store their dicts) is
    unpickled by a restricted unpickler that admits only NumPy arrays, dtypes
    and scalars and builtin containers (see :data:`ADMITTED_GLOBALS`); a file
    that names any other Python object is refused and nothing from it runs.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npy`` file.

    Returns
    -------
    object
        The stored object: for a 0-d object array (``np.save(path, a_dict)``)
        the object itself, as ``np.load(path, allow_pickle=True).item()`` would
        give; otherwise the array.

    Raises
    ------
    UnsafeFileError
        If the file would run code, or nests data deeper than
        :data:`~ethostyle.io.validation.MAX_NESTING_DEPTH`.
    DataFormatError
        If the file is missing, empty, not a ``.npy`` file, truncated or corrupt.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.npy"
    >>> np.save(p, {"a": np.arange(3)}, allow_pickle=True)
    >>> safe_load_npy(p)
    {'a': array([0, 1, 2])}
    """
    path = checked_file(path)
    try:
        with open(path, "rb") as fh:
            shape, dtype = _read_header(fh, path)
            if not dtype.hasobject:
                _check_declared_size(fh, path, shape, dtype)
                fh.seek(0)
                return np.load(fh, allow_pickle=False)
            if dtype != np.dtype(object):
                raise _refuse(f"{path}: holds a structured array with Python objects")
            raw = _RestrictedUnpickler(fh, encoding="latin1").load()
    except DataFormatError as exc:
        if str(path) in str(exc):
            raise
        raise type(exc)(f"{path}: {exc}") from None
    except RecursionError:
        raise UnsafeFileError(
            f"{path}: data nested more than MAX_NESTING_DEPTH={MAX_NESTING_DEPTH} levels "
            f"deep; the file is corrupt or hostile"
        ) from None
    except MemoryError:
        raise DataFormatError(
            f"{path}: too large to load into this machine's memory; use a machine "
            f"with more memory or split the file"
        ) from None
    except Exception as exc:
        raise DataFormatError(
            f"{path}: cannot be read ({type(exc).__name__}: {exc}); {_HOW_TO_FIX}"
        ) from None
    obj = _sanitize(raw, path)
    if not isinstance(obj, np.ndarray) or obj.shape != shape:
        raise DataFormatError(f"{path}: its content does not match its header; {_HOW_TO_FIX}")
    logger.debug("loaded %s with the restricted unpickler", path)
    return obj.item() if obj.shape == () else obj


def _maybe_pickled(value: object) -> bytes | None:
    """The bytes PyTables would try to unpickle from an attribute value, else None."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "S" and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, bytes | np.bytes_) and bytes(value).endswith(b"."):
        return bytes(value)
    return None


def refuse_unsafe_hdf5(path: str | os.PathLike[str]) -> None:
    """Refuse an HDF5 file that would run code while PyTables or pandas reads it.

    PyTables unpickles every attribute that looks like a pickle (a byte string
    ending in ".") and every row of an object array, and pandas keeps the layout
    of its ``.h5`` tables (DeepLabCut's files) in such pickles. This unpickles
    each of them with the same restricted unpickler as :func:`safe_load_npy`
    first: plain data passes, anything naming another Python object is refused.

    Parameters
    ----------
    path : str or os.PathLike
        The HDF5 file (needs ``h5py``, installed with ``ethostyle[pose]``).

    Raises
    ------
    UnsafeFileError
        If an attribute or object-array row would run code or cannot be checked.
    DataFormatError
        If the file is not a readable HDF5 file.
    """
    import h5py

    path = checked_file(path)

    def check(data: bytes, where: str) -> None:
        try:
            _sanitize(_RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load(), path)
        except Exception as exc:  # whatever stopped the check, the file is not read
            if isinstance(exc, UnsafeFileError):
                raise UnsafeFileError(f"{path}: {where}: {exc}") from None
            raise _refuse(
                f"{path}: {where} holds bytes that PyTables would unpickle but that are "
                f"no plain-data pickle ({type(exc).__name__})"
            ) from None

    def visit(name: str, node: object) -> None:
        try:
            attributes = dict(node.attrs)
        except Exception as exc:
            raise _refuse(
                f"{path}: the attributes of {name or '/'} cannot be read to check them "
                f"({type(exc).__name__})"
            ) from None
        for key, value in attributes.items():
            data = _maybe_pickled(value)
            if data is not None:
                check(data, f"attribute {key!r} of {name or '/'}")
        if isinstance(node, h5py.Dataset) and _maybe_object_atom(attributes):
            for index, row in enumerate(node):
                check(np.asarray(row, dtype=np.uint8).tobytes(), f"row {index} of {name}")

    try:
        with h5py.File(path, "r") as fh:
            visit("", fh)
            fh.visititems(visit)
    except OSError as exc:
        raise DataFormatError(f"{path}: not a readable HDF5 file ({exc})") from None
    logger.debug("checked %s for pickles", path)


def _maybe_object_atom(attributes: dict[str, object]) -> bool:
    """True for a PyTables array whose rows are pickled objects (ObjectAtom)."""
    pseudo = attributes.get("PSEUDOATOM")
    return pseudo is not None and bytes(np.asarray(pseudo).reshape(-1)[0]) in (b"object",)
