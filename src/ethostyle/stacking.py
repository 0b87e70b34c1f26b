"""Second-stage inputs: a model's class probabilities seen over seconds of context.

Annotators differ in *when* a bout starts and ends, in how long a gap they bridge
and in which behaviour wins where two overlap. A second-stage model sees the
reference model's probabilities shifted into the past and future, averaged and
maximised over several windows, next to the pose features, so it can learn
"this annotator starts attack six frames before the reference does" or "this
annotator fills gaps under half a second" from a few videos.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

from ethostyle.data import VOCABULARY
from ethostyle.features import temporal_context

__all__ = ["PROBABILITY_SHIFTS", "PROBABILITY_WINDOWS", "probability_context"]

#: Centred windows (frames) over which probabilities are averaged and maximised.
PROBABILITY_WINDOWS: tuple[int, ...] = (5, 11, 21, 41, 81)
#: Past (negative) and future shifts (frames) of the 3-frame mean probability.
PROBABILITY_SHIFTS: tuple[int, ...] = (-45, -30, -20, -12, -6, -3, 3, 6, 12, 20, 30, 45)


def probability_context(
    proba: np.ndarray, vocabulary: tuple[str, ...] | list[str] = VOCABULARY
) -> tuple[np.ndarray, list[str]]:
    """Multi-scale temporal context of one sequence's class probabilities.

    Parameters
    ----------
    proba : numpy.ndarray
        ``(frames, classes)`` probabilities of one sequence.
    vocabulary : sequence of str
        Class names, for the column names.

    Returns
    -------
    values : numpy.ndarray
        ``(frames, columns)`` float32: the probabilities themselves, their
        centred means and maxima over :data:`PROBABILITY_WINDOWS`, and their
        shifts by :data:`PROBABILITY_SHIFTS`.
    names : list of str
        Column names such as ``"p_attack@mean21"``.

    Examples
    --------
    >>> import numpy as np
    >>> values, names = probability_context(np.full((50, 4), 0.25))
    >>> values.shape[1] == len(names)
    True
    """
    p = np.asarray(proba, dtype=np.float32)
    names = [f"p_{c}" for c in vocabulary]
    context, context_names = temporal_context(
        p, names, windows=PROBABILITY_WINDOWS, shifts=PROBABILITY_SHIFTS, shift_window=3
    )
    maxima = [maximum_filter1d(p, size=w, axis=0, mode="nearest") for w in PROBABILITY_WINDOWS[1:]]
    max_names = [f"{c}@max{w}" for w in PROBABILITY_WINDOWS[1:] for c in names]
    values = np.concatenate([p, context, *maxima], axis=1)
    return values, [*names, *context_names, *max_names]
