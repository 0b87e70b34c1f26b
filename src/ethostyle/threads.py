"""How many threads ethostyle's work may use: all this process's cores, or a limit.

``ethostyle --threads N`` (and :func:`limit_threads` from Python) caps every pool
of threads ethostyle starts: the numerical libraries' own (OpenMP of LightGBM
and PyTorch, the BLAS of numpy, through :mod:`threadpoolctl`, and the
``OMP_NUM_THREADS`` family of variables for those loaded later) and ethostyle's
own pool of sequences in :func:`~ethostyle.models.base.predict_dataset`.

Examples
--------
>>> limit_threads(2)
>>> thread_count()
2
>>> limit_threads(None)
"""

from __future__ import annotations

import os

__all__ = ["limit_threads", "thread_count"]

#: Variables the OpenMP and BLAS libraries read when they load.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_limit: int | None = None


def _cores() -> int:
    """The cores this process may run on (respects CPU affinity), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_count() -> int:
    """The threads ethostyle may use: the limit set, else every core it may run on.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> thread_count() >= 1
    True
    """
    return _cores() if _limit is None else _limit


def limit_threads(n: int | None) -> None:
    """Cap the threads of every library ethostyle computes with at ``n`` (None: no cap).

    Parameters
    ----------
    n : int or None
        The most threads to use, at least 1; None lifts ethostyle's own cap (the
        libraries keep the limit they were last given).

    Raises
    ------
    ValueError
        If ``n`` is below 1.

    Examples
    --------
    >>> limit_threads(1)
    >>> os.environ["OMP_NUM_THREADS"]
    '1'
    >>> limit_threads(None)
    """
    global _limit
    if n is None:
        _limit = None
        return
    if n < 1:
        raise ValueError(f"threads must be at least 1, not {n}")
    from threadpoolctl import threadpool_limits

    _limit = int(n)
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(_limit)
    threadpool_limits(limits=_limit)
