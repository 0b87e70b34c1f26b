"""Step detectors: how much a pose feature changes across each frame, for sharper bout edges.

Most of the reference model's wrong frames lie within a few frames of a bout's start or
end. Centred means and past/future shifts tell the trees *that* a feature is high, but
telling *where* it rose takes a difference of two columns, which trees build poorly.
A step column hands them that difference: the mean of the next ``w`` frames minus the
mean of the past ``w`` frames, largest at the frame where the feature jumps.

The stacked reference (``StyleTransferModel(reference_stack=2)``) adds these steps of
the key pose features to its inputs
(:func:`ethostyle.models.boosted.reference.reference_features`); the default model does not.

Examples
--------
>>> import numpy as np
>>> x = np.r_[np.zeros(20), np.ones(20)][:, None].astype(np.float32)
>>> values, names = step_context(x, ["x"], windows=(5,))
>>> names, values[[10, 20, 30], 0].tolist()
(['x@step5'], [0.0, 1.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence as SequenceABC

import numpy as np
from scipy.ndimage import uniform_filter1d

__all__ = ["STEP_WINDOWS", "step_context"]

#: Lengths (frames) of the past and future windows a step compares: 0.17, 0.5 and 1.5 s.
STEP_WINDOWS: tuple[int, ...] = (5, 15, 45)


def step_context(
    values: np.ndarray, names: SequenceABC[str], *, windows: Iterable[int] = STEP_WINDOWS
) -> tuple[np.ndarray, list[str]]:
    """Future-minus-past means of per-frame columns within one sequence.

    Parameters
    ----------
    values : numpy.ndarray
        ``(frames, columns)`` per-frame values of one sequence.
    names : sequence of str
        Column names.
    windows : iterable of int
        Window lengths ``w`` (frames): the step at frame ``t`` is the mean of the ``w``
        frames centred ``(w + 1) // 2`` frames ahead minus that of the ``w`` frames
        centred as far behind, the ends of the sequence repeated.

    Returns
    -------
    values : numpy.ndarray
        ``(frames, columns * len(windows))`` float32.
    names : list of str
        ``"<name>@step<w>"``.
    """
    xt = np.ascontiguousarray(np.asarray(values, dtype=np.float32).T)
    n = xt.shape[1]
    blocks: list[np.ndarray] = []
    out_names: list[str] = []
    frames = np.arange(n)
    for w in windows:
        # Along the contiguous (frames) axis: several times faster in scipy.
        mean = uniform_filter1d(xt, size=w, axis=-1, mode="nearest")
        half = (w + 1) // 2
        ahead = mean[:, np.minimum(frames + half, max(n - 1, 0))]
        behind = mean[:, np.maximum(frames - half, 0)]
        blocks.append(ahead - behind)
        out_names += [f"{c}@step{w}" for c in names]
    if not blocks or n == 0:
        return np.empty((n, len(out_names)), np.float32), out_names
    return np.concatenate(blocks, axis=0).T, out_names
