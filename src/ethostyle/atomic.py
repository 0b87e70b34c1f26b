"""Write files and directories so that a reader never sees them half-written.

Every writer in ethostyle goes through these two context managers: the new
content is written beside its destination under a temporary name and only moved
onto the destination once it is complete and flushed to disk. If the writer
raises (or the machine loses power) the previous file or directory is still
there, whole.

Examples
--------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> with atomic_write_path(target) as tmp:
...     _ = tmp.write_text("done")
>>> target.read_text()
'done'
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import glob
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "atomic_directory",
    "atomic_write_path",
    "check_writable",
    "remove_unfinished_writes",
]

logger = logging.getLogger(__name__)


#: Destinations with a write under way. A Ctrl-C can land where no ``except`` or
#: ``__exit__`` runs (between creating the temporary file and entering ``try``, or
#: between a ``with`` statement's ``__enter__`` and its body), so the command-line's
#: interrupt handler also sweeps these destinations' temporary files
#: (:func:`remove_unfinished_writes`).
_UNDER_WAY: set[Path] = set()


def remove_unfinished_writes() -> None:
    """Delete the temporary files and directories of every write still under way.

    For an interrupt handler: the destinations themselves are never touched, and
    neither is an old directory renamed aside (``.<name>.old-*``) while a new one
    takes its place.
    """
    for path in list(_UNDER_WAY):
        # glob.escape: a name such as "run[1].npy" would otherwise be read as a pattern.
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        _UNDER_WAY.discard(path)


def _umask() -> int:
    # os has no getter for the umask; /proc gives it without the set-and-restore
    # race of os.umask(), which matters when several threads write at once.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """Linux's renameat2(2), which Python's os module does not expose (hence ctypes)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library older than glibc 2.28
        return None
    path_at = [ctypes.c_int, ctypes.c_char_p]
    function.argtypes = [*path_at, *path_at, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # file system without it
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_directory(path: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise now if an atomic write of ``path`` (file or directory) would be refused.

    A command calls this for each of its outputs before its work starts, so that
    a read-only folder fails in a second, not after an hour of training. The
    nearest existing folder above ``path`` (where the missing folders would be
    created, or the temporary file written) must be a folder, and a file must be
    creatable in it: a probe file is created there and removed at once.

    Parameters
    ----------
    path : str or os.PathLike
        The output file or directory, as the user named it.

    Raises
    ------
    OSError
        Naming the folder that refused (never the probe's temporary name):
        ``NotADirectoryError`` where a file stands in the way of the folder,
        ``PermissionError`` for a read-only folder, and so on.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> check_writable(pathlib.Path(tempfile.mkdtemp()) / "new" / "out.npy")
    """
    path = Path(path)
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(folder))
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from None
    os.close(fd)
    os.unlink(name)


def _user_named(exc: OSError, path: Path) -> OSError:
    """``exc`` naming the destination the user gave, not a temporary name beside it."""
    return type(exc)(exc.errno, exc.strerror, str(path))


@contextlib.contextmanager
def atomic_write_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write to; move it onto ``path`` when done.

    The temporary file lies in the same directory as ``path`` (so the final
    ``os.replace`` is atomic) and already exists, empty. On a clean exit it is
    flushed to disk and renamed onto ``path``, replacing any old file; if the
    body raises, it is removed and ``path`` is left exactly as it was.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file. Missing parent directories are created.

    Returns
    -------
    contextmanager of pathlib.Path
        The temporary path to write the complete content to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_write_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _UNDER_WAY.add(path)  # before the temporary file exists: no window without cleanup
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        _UNDER_WAY.discard(path)
        raise _user_named(exc, path) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp creates the file private (0600); give it the mode a plain
        # open() would have, or the old file's mode when replacing one.
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _UNDER_WAY.discard(path)
    _fsync_directory(path.parent)
    logger.debug("wrote %s atomically", path)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory to fill; swap it in for ``path`` when done.

    The temporary directory lies beside ``path``. On a clean exit its files are
    flushed to disk and the new directory takes the place of the old ``path``
    (if any) in one atomic exchange, after which the old one is deleted. If the
    body raises, the temporary directory is deleted and ``path`` is untouched.
    Where the system cannot exchange two paths (not Linux, or a file system
    without ``renameat2``), the old directory is renamed aside first: ``path``
    is then briefly absent, but its old content is never lost; it sits in
    ``.<name>.old-*`` beside it until the new one is in place.

    Parameters
    ----------
    path : str or os.PathLike
        Destination directory. Missing parent directories are created.

    Returns
    -------
    contextmanager of pathlib.Path
        The temporary directory to write the complete content into.

    Raises
    ------
    NotADirectoryError
        If ``path`` exists and is not a directory.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "model"
    >>> with atomic_directory(target) as tmp:
    ...     _ = (tmp / "model.json").write_text("{}")
    >>> sorted(p.name for p in target.iterdir())
    ['model.json']
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"{path} exists and is not a directory; remove it or choose another path"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    _UNDER_WAY.add(path)  # before the temporary directory exists, as for files
    try:
        yield from _fill_and_swap_in(path)
    finally:
        _UNDER_WAY.discard(path)


def _fill_and_swap_in(path: Path) -> Iterator[Path]:
    """The body of :func:`atomic_directory` (kept apart so the sweep set is always left)."""
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise _user_named(exc, path) from None
    try:
        yield tmp
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o777 & ~_umask()
        os.chmod(tmp, mode)
        for root, _dirs, files in os.walk(tmp):
            for name in files:
                _fsync_file(Path(root, name))
            _fsync_directory(Path(root))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.exists() and _exchange(tmp, path):
        # tmp now holds the old content; a crash from here on leaves the new one in place
        _fsync_directory(path.parent)
        shutil.rmtree(tmp, ignore_errors=True)
        logger.debug("wrote directory %s atomically", path)
        return
    old: Path | None = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
        os.rmdir(old)  # only the unique name is wanted; rename needs it free
        os.rename(path, old)
    try:
        os.rename(tmp, path)
    except BaseException:
        if old is not None:
            os.rename(old, path)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_directory(path.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    logger.debug("wrote directory %s atomically", path)
