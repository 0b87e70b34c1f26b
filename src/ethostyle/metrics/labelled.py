"""Partly labelled videos: which frames somebody labelled.

A frame nobody labelled carries :data:`~ethostyle.data.UNLABELLED` (-1) in its
sequence's label array. Fitting and scoring use the labelled frames only; these
helpers are the one place that says which those are, so that no model takes an
unlabelled frame as ``other``.
"""

from __future__ import annotations

import numpy as np

from ethostyle.data import UNLABELLED

__all__ = ["labelled_mask", "n_labelled"]


def labelled_mask(labels: np.ndarray) -> np.ndarray:
    """Which frames somebody labelled.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(frames,)`` integer labels; :data:`~ethostyle.data.UNLABELLED` where nobody labelled.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` bool, True on labelled frames.

    Examples
    --------
    >>> import numpy as np
    >>> labelled_mask(np.array([-1, 3, 0, -1])).tolist()
    [False, True, True, False]
    """
    return np.asarray(labels) != UNLABELLED


def n_labelled(labels: np.ndarray) -> int:
    """How many frames somebody labelled.

    Examples
    --------
    >>> import numpy as np
    >>> n_labelled(np.array([-1, 3, 0, -1]))
    2
    """
    return int(np.count_nonzero(labelled_mask(labels)))
