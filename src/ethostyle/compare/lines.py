"""Where a style draws the line: interpretable pose features on the frames each style labels.

For one behaviour, the frames of the pooled sequences fall into groups: those an
annotator labels with it (``labelled``), those only that annotator labels
(``only_annotator``), those only the reference labels (``only_reference``) and
those both label (``both``). The distribution of a readable feature (the
resident's nose-to-intruder distance, its speed, its facing angle; see
:func:`ethostyle.features.interpretable_features`) over each group shows where
each style starts and stops calling it that behaviour: "annotator 3 calls it
investigation up to ~60 px apart, annotator 0 only up to ~30 px".

Examples
--------
>>> import numpy as np
>>> masks = frame_groups(np.array([1, 1, 3, 3]), np.array([1, 1, 1, 3]), "investigation")
>>> masks["only_annotator"].tolist(), masks["only_reference"].tolist()
([False, False, True, False], [False, False, False, False])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ethostyle.data import VOCABULARY, Dataset
from ethostyle.errors import EthostyleError
from ethostyle.features import interpretable_features

__all__ = [
    "FEATURES",
    "FRAME_GROUPS",
    "QUANTILES",
    "Feature",
    "checked_px_per_cm",
    "feature_set",
    "frame_groups",
    "group_quantiles",
    "sequence_features",
]


@dataclass(frozen=True, slots=True)
class Feature:
    """How to talk about one interpretable feature.

    Attributes
    ----------
    label : str
        Words for it in a sentence ("nose-to-intruder distance").
    unit : str
        Its unit ("px").
    min_difference : float
        Smallest difference (in ``unit``) of a percentile between two styles
        that the summary calls a difference.
    """

    label: str
    unit: str
    min_difference: float


#: The features compared, by the name :func:`ethostyle.features.interpretable_features` gives.
FEATURES: dict[str, Feature] = {
    "nose_to_intruder_px": Feature("nose-to-intruder distance", "px", 5.0),
    "resident_speed_px_s": Feature("resident speed", "px/s", 20.0),
    "facing_angle_deg": Feature("facing angle", "°", 10.0),
}
#: The frame groups of :func:`frame_groups`, in report order.
FRAME_GROUPS: tuple[str, ...] = ("labelled", "both", "only_annotator", "only_reference")
#: Percentiles reported per group (as fractions).
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


def checked_px_per_cm(px_per_cm: float | None) -> float | None:
    """``px_per_cm`` as a float, or None; refused unless a positive, finite number.

    Raises
    ------
    EthostyleError
        Naming ``--px-per-cm`` and what to give.
    """
    if px_per_cm is None:
        return None
    try:
        value = float(px_per_cm)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise EthostyleError(
            f"--px-per-cm {px_per_cm!r}: give the pixels per centimetre of the videos, a number "
            "above 0 (e.g. --px-per-cm 12.5 when 10 cm of the arena span 125 px)"
        )
    return value


def feature_set(px_per_cm: float | None = None) -> dict[str, Feature]:
    """The compared features, with lengths in px (the default) or in cm.

    With ``px_per_cm``, the features measured in px are renamed ``..._cm`` (and
    ``..._cm_s``) and their units and ``min_difference`` converted; angles stay.

    Examples
    --------
    >>> list(feature_set(10.0))
    ['nose_to_intruder_cm', 'resident_speed_cm_s', 'facing_angle_deg']
    >>> feature_set(10.0)["nose_to_intruder_cm"].min_difference
    0.5
    """
    px_per_cm = checked_px_per_cm(px_per_cm)
    if px_per_cm is None:
        return dict(FEATURES)
    return {
        _cm_name(name): Feature(f.label, f.unit.replace("px", "cm"), f.min_difference / px_per_cm)
        if "px" in f.unit
        else f
        for name, f in FEATURES.items()
    }


def _cm_name(name: str) -> str:
    return name.replace("_px", "_cm")


def sequence_features(
    dataset: Dataset, px_per_cm: float | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """The interpretable features of every sequence, in px or (with ``px_per_cm``) cm.

    Parameters
    ----------
    dataset : Dataset
        The sequences (keypoints are used; labels ignored).
    px_per_cm : float, optional
        Pixels per centimetre of the videos: lengths and speeds in cm and cm/s.

    Returns
    -------
    dict of str to dict of str to numpy.ndarray
        Sequence id -> feature name (keys of :func:`feature_set`) -> ``(frames,)`` float32.
    """
    px_per_cm = checked_px_per_cm(px_per_cm)
    out = {}
    for seq in dataset:
        values = interpretable_features(seq)
        if px_per_cm is None:
            out[seq.id] = {name: values[name] for name in FEATURES}
        else:
            out[seq.id] = {
                _cm_name(name): (values[name] / np.float32(px_per_cm))
                if "px" in f.unit
                else values[name]
                for name, f in FEATURES.items()
            }
    return out


def frame_groups(reference: np.ndarray, other: np.ndarray, behavior: str) -> dict[str, np.ndarray]:
    """Boolean frame masks of the groups in :data:`FRAME_GROUPS` for one behaviour.

    Parameters
    ----------
    reference, other : numpy.ndarray
        ``(frames,)`` labels of the same frames by the reference and another style.
    behavior : str
        A name in :data:`ethostyle.data.VOCABULARY`.

    Returns
    -------
    dict of str to numpy.ndarray
        Group name -> ``(frames,)`` bool.
    """
    code = VOCABULARY.index(behavior)
    mine, theirs = other == code, reference == code
    masks = (mine, mine & theirs, mine & ~theirs, theirs & ~mine)
    return dict(zip(FRAME_GROUPS, masks, strict=True))


def group_quantiles(
    values: Mapping[str, np.ndarray], groups: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """Percentiles of each feature over each frame group.

    Parameters
    ----------
    values : mapping of str to numpy.ndarray
        Feature name -> ``(frames,)`` values (NaN where tracking was lost).
    groups : mapping of str to numpy.ndarray
        Group name -> ``(frames,)`` bool mask.

    Returns
    -------
    pandas.DataFrame
        One row per feature and group: ``feature, frames_of, n, q05, q25,
        q50, q75, q95`` (``n`` counts frames with a value; percentiles are NaN
        when it is 0).
    """
    rows = []
    for feature, column in values.items():
        for group, mask in groups.items():
            picked = column[mask]
            picked = picked[np.isfinite(picked)]
            if picked.size:
                qs = np.quantile(picked, QUANTILES)
            else:
                qs = np.full(len(QUANTILES), np.nan)
            rows.append(
                {
                    "feature": feature,
                    "frames_of": group,
                    "n": int(picked.size),
                    **{_qname(q): float(v) for q, v in zip(QUANTILES, qs, strict=True)},
                }
            )
    return pd.DataFrame(rows)


def _qname(q: float) -> str:
    return f"q{round(q * 100):02d}"
