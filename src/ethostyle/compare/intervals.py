"""How sure is each difference? Bootstrap intervals of every difference from the reference.

A difference measured on a few bouts (one 30-s video, two bouts against one) is
mostly chance. Each difference of an annotator from the reference gets a
percentile bootstrap interval (95 % by default), from resampling with
replacement

- the **videos**, when there are at least ``min_videos`` of them: videos are
  independent, the frames and bouts within one are not;
- otherwise the **bouts**: the stretches where either side labels the behaviour
  (the union of the two labellings' bouts), so that a resample keeps each pair of
  overlapping bouts, and each bout only one side has, whole with its context.

A difference is **too thin to call** when its interval includes zero (no
difference), or when fewer than ``min_bouts`` bouts stand behind it (bouts of
both sides; matched bouts for a shift): then the summary says so rather than
state it.

Resamples are drawn as a ``(resamples, units)`` matrix of counts (numpy's
Generator, a fixed seed per annotator and behaviour), and every statistic is a
matrix product or a weighted quantile over it: nothing loops over resamples or
frames. scipy.stats.bootstrap is not used because it resamples observations of
equal-length arrays; here a unit (a video, a stretch) carries any number of
frames, bouts and bout pairs.

Examples
--------
>>> import numpy as np
>>> from ethostyle.compare.measures import pool
>>> ref = np.array(([3] * 20 + [1] * 10) * 12)
>>> late = np.roll(ref, 3)  # every bout 3 frames late, 12 bouts: a clear difference
>>> rows = difference_rows(pool({"v": ref}, {"v": late}, ["v"]), "investigation", fps=30)
>>> row = rows.set_index("measure").loc["onset_shift_s"]
>>> round(float(row["ci_low"]), 2), round(float(row["ci_high"]), 2), row["verdict"]
(0.1, 0.1, 'called')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ethostyle.bouts import match_bouts
from ethostyle.compare.lines import FEATURES, Feature
from ethostyle.compare.measures import Pooled
from ethostyle.data import VOCABULARY

__all__ = [
    "CALLED",
    "DIFFERENCE_COLUMNS",
    "MEASURES",
    "difference_rows",
    "measure_words",
]

#: Columns of :func:`difference_rows` (and of ``differences.csv``).
DIFFERENCE_COLUMNS: tuple[str, ...] = (
    "annotator",
    "behavior",
    "measure",
    "unit",
    "annotator_value",
    "reference_value",
    "difference",
    "ci_low",
    "ci_high",
    "resampled",
    "n_units",
    "n_bouts",
    "verdict",
)
#: The verdict of a difference that the evidence supports.
CALLED = "called"
#: The measures whose differences get an interval (pose-feature percentiles follow them):
#: name -> (words, unit).
MEASURES: dict[str, tuple[str, str]] = {
    "frame_share": ("share of frames", "%"),
    "bouts_per_min": ("bouts per minute", "per min"),
    "mean_bout_s": ("mean bout length", "s"),
    "onset_shift_s": ("onset shift", "s"),
    "offset_shift_s": ("offset shift", "s"),
    "extra_bouts": ("bouts only this annotator has", "bouts"),
    "missed_bouts": ("reference bouts it leaves out", "bouts"),
}
#: Bins of the pose-feature histograms the percentile intervals are read from.
_FEATURE_BINS = 128


def measure_words(measure: str, feature_specs: Mapping[str, Feature] = FEATURES) -> str:
    """A measure of :func:`difference_rows` in words.

    Examples
    --------
    >>> measure_words("onset_shift_s"), measure_words("nose_to_intruder_px_q95")
    ('onset shift', '95th percentile of nose-to-intruder distance')
    """
    if measure in MEASURES:
        return MEASURES[measure][0]
    name, q = measure.rsplit("_", 1)
    return f"{'95th' if q == 'q95' else '5th'} percentile of {feature_specs[name].label}"


def _units(pooled: Pooled, code: int, min_videos: int) -> tuple[np.ndarray, int, str]:
    """``(frames,)`` resampling unit of each frame (-1: in none), the number of units,
    and what they are ("videos" or "bouts")."""
    n_videos = len(pooled.sequence_ids)
    if n_videos >= min_videos:
        lengths = np.diff(np.append(pooled.breaks, pooled.n_frames))
        return np.repeat(np.arange(n_videos), lengths), n_videos, "videos"
    union = (pooled.reference == code) | (pooled.other == code)
    starts = union & np.append(True, ~union[:-1])
    starts[pooled.breaks] = union[pooled.breaks]  # no stretch runs into the next video
    unit = np.cumsum(starts) - 1
    unit[~union] = -1
    return unit, int(starts.sum()), "bouts"


def _counts(unit: np.ndarray, n_units: int, weights: np.ndarray | None = None) -> np.ndarray:
    keep = unit >= 0
    w = None if weights is None else weights[keep]
    return np.bincount(unit[keep], weights=w, minlength=n_units).astype(float)


def _weighted_quantile(
    values: np.ndarray, unit: np.ndarray, draws: np.ndarray, q: float
) -> np.ndarray:
    """``(resamples,)`` ``q``-quantile of ``values`` (each in ``unit``), weighted by how
    often each resample drew its unit; NaN where a resample holds none of them."""
    order = np.argsort(values, kind="stable")
    weights = draws[:, unit[order]]
    cumulative = np.cumsum(weights, axis=1)
    total = cumulative[:, -1:]
    # the mean of the lower and upper q-quantile, as np.median does for an even count
    lower = (cumulative < q * total).sum(axis=1)
    upper = (cumulative <= q * total).sum(axis=1)
    last = values.size - 1
    sorted_values = values[order]
    out = (sorted_values[np.minimum(lower, last)] + sorted_values[np.minimum(upper, last)]) / 2
    return np.where(total[:, 0] > 0, out, np.nan)


def _histogram_quantiles(
    values: np.ndarray, unit: np.ndarray, n_units: int, draws: np.ndarray, edges: np.ndarray
) -> dict[float, np.ndarray]:
    """``(resamples,)`` 5th and 95th percentiles of ``values`` per resample, read from
    per-unit histograms (a frame-by-resample matrix would be too large)."""
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    n_bins = len(edges) - 1
    # float32 (``draws`` too): counts exact up to 2**24, in half the time of float64
    hist = np.bincount(unit * n_bins + bins, minlength=n_units * n_bins).astype(np.float32)
    hist = hist.reshape(n_units, n_bins)
    cumulative = np.cumsum(draws @ hist, axis=1)
    total = cumulative[:, -1:]
    out = {}
    for q in (0.05, 0.95):
        index = (cumulative < q * total).sum(axis=1).clip(0, len(edges) - 2)
        out[q] = np.where(total[:, 0] > 0, (edges[index] + edges[index + 1]) / 2, np.nan)
    return out


def _interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    finite = samples[np.isfinite(samples)]
    if finite.size < 0.5 * samples.size:  # most resamples leave it undefined
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def difference_rows(
    pooled: Pooled,
    behavior: str,
    fps: float,
    *,
    features: Mapping[str, np.ndarray] | None = None,
    feature_specs: Mapping[str, Feature] = FEATURES,
    min_videos: int = 5,
    min_bouts: int = 5,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Every difference of ``pooled.other`` from ``pooled.reference`` for one behaviour,
    with its bootstrap interval and whether the evidence can call it.

    Parameters
    ----------
    pooled : Pooled
        The two labellings (:func:`ethostyle.compare.measures.pool`).
    behavior : str
        A name in :data:`ethostyle.data.BEHAVIORS`.
    fps : float
        Frames per second.
    features : mapping of str to numpy.ndarray, optional
        Pose feature -> ``(frames,)`` pooled values; their 5th and 95th percentiles
        over each side's labelled frames are compared too.
    feature_specs : mapping of str to Feature
        How to name each feature and its unit.
    min_videos : int
        Videos needed to resample videos; with fewer, bouts are resampled.
    min_bouts : int
        Bouts (of both sides; matched bouts for a shift) needed to call a difference.
    n_resamples : int
        Bootstrap resamples.
    confidence : float
        Coverage of the interval.
    seed : int
        Seed of the resampling (with the behaviour, so each gets its own draws).

    Returns
    -------
    pandas.DataFrame
        :data:`DIFFERENCE_COLUMNS` less ``annotator``: one row per measure with a
        value on both sides (none when neither side labels the behaviour).
        ``difference`` is annotator minus reference (for shifts and bouts only
        one side has, the reference's value is 0);
        ``ci_low``/``ci_high`` its interval (NaN when most resamples leave it
        undefined); ``resampled`` "videos" or "bouts" and ``n_units`` how many;
        ``verdict`` :data:`CALLED`, or why it is too thin to call.
    """
    code = VOCABULARY.index(behavior)
    if not ((pooled.reference == code).any() or (pooled.other == code).any()):
        return pd.DataFrame(columns=list(DIFFERENCE_COLUMNS[1:]))  # neither labels it
    boot = _resample(pooled, code, fps, min_videos, n_resamples, seed)
    ref_bouts, my_bouts = pooled.ref_bouts.of(code), pooled.other_bouts.of(code)
    n_both = len(ref_bouts) + len(my_bouts)
    samples: dict[str, _Sample] = {}
    samples.update(_rate_samples(pooled, code, fps, boot, n_both))
    samples.update(_shift_samples(pooled, code, fps, boot))
    samples.update(_alone_samples(pooled, code, boot, n_both))
    if features is not None and len(ref_bouts) and len(my_bouts):
        samples.update(_feature_samples(pooled, code, features, boot, n_both))
    rows = [
        _row(behavior, name, sample, boot, feature_specs, min_bouts, confidence)
        for name, sample in samples.items()
    ]
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS[1:]))


#: One measure's (annotator value, reference value, ``(resamples,)`` bootstrap
#: differences, bouts behind it).
_Sample = tuple[float, float, np.ndarray, int]


@dataclass(frozen=True)
class _Resampling:
    """The resampling of one behaviour: each frame's unit, the draws, and the minutes."""

    unit: np.ndarray  # (frames,) resampling unit of each frame, -1 in none
    n_units: int
    resampled: str  # "videos" or "bouts"
    draws: np.ndarray  # (resamples, units) how often each resample drew each unit
    minutes: np.ndarray  # (resamples,) minutes of video each resample holds


def _resample(
    pooled: Pooled, code: int, fps: float, min_videos: int, n_resamples: int, seed: int
) -> _Resampling:
    unit, n_units, resampled = _units(pooled, code, min_videos)
    rng = np.random.default_rng([seed, code])
    draws = (
        rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_resamples).astype(float)
        if n_units
        else np.zeros((n_resamples, 0))
    )
    if resampled == "videos":
        minutes = draws @ _counts(unit, n_units) / fps / 60
    else:
        minutes = np.full(n_resamples, pooled.n_frames / fps / 60)
    return _Resampling(unit, n_units, resampled, draws, minutes)


def _rate_samples(
    pooled: Pooled, code: int, fps: float, boot: _Resampling, n_both: int
) -> dict[str, _Sample]:
    """Share of frames, bouts per minute and (when both sides have bouts) mean bout length."""
    unit, n_units, draws, minutes = boot.unit, boot.n_units, boot.draws, boot.minutes
    ref_bouts, my_bouts = pooled.ref_bouts.of(code), pooled.other_bouts.of(code)
    ref_unit, my_unit = unit[ref_bouts.start], unit[my_bouts.start]
    samples: dict[str, _Sample] = {}
    ref_frames = _counts(unit, n_units, (pooled.reference == code).astype(float))
    my_frames = _counts(unit, n_units, (pooled.other == code).astype(float))
    frames = minutes * fps * 60
    with np.errstate(invalid="ignore", divide="ignore"):
        samples["frame_share"] = (
            100 * my_frames.sum() / pooled.n_frames,
            100 * ref_frames.sum() / pooled.n_frames,
            100 * (draws @ (my_frames - ref_frames)) / frames,
            n_both,
        )
        total_minutes = pooled.n_frames / fps / 60
        ref_n, my_n = _counts(ref_unit, n_units), _counts(my_unit, n_units)
        samples["bouts_per_min"] = (
            len(my_bouts) / total_minutes,
            len(ref_bouts) / total_minutes,
            draws @ (my_n - ref_n) / minutes,
            n_both,
        )
        if len(my_bouts) and len(ref_bouts):
            ref_len = _counts(ref_unit, n_units, ref_bouts.length.astype(float))
            my_len = _counts(my_unit, n_units, my_bouts.length.astype(float))
            samples["mean_bout_s"] = (
                float(my_bouts.length.mean()) / fps,
                float(ref_bouts.length.mean()) / fps,
                ((draws @ my_len) / (draws @ my_n) - (draws @ ref_len) / (draws @ ref_n)) / fps,
                n_both,
            )
    return samples


def _shift_samples(pooled: Pooled, code: int, fps: float, boot: _Resampling) -> dict[str, _Sample]:
    """Median onset and offset shift of the matched bouts (none when no bout matches)."""
    ref_idx, my_idx = match_bouts(pooled.ref_bouts, pooled.other_bouts, code)
    if not ref_idx.size:
        return {}
    samples: dict[str, _Sample] = {}
    pair_unit = boot.unit[pooled.ref_bouts.start[ref_idx]]
    for name, shift in (
        ("onset_shift_s", pooled.other_bouts.start[my_idx] - pooled.ref_bouts.start[ref_idx]),
        ("offset_shift_s", pooled.other_bouts.stop[my_idx] - pooled.ref_bouts.stop[ref_idx]),
    ):
        seconds = shift / fps
        resampled = _weighted_quantile(seconds, pair_unit, boot.draws, 0.5)
        samples[name] = (float(np.median(seconds)), 0.0, resampled, int(ref_idx.size))
    return samples


def _alone_samples(pooled: Pooled, code: int, boot: _Resampling, n_both: int) -> dict[str, _Sample]:
    """Bouts only the annotator has, and reference bouts it leaves out (when any)."""
    ref_bouts, my_bouts = pooled.ref_bouts.of(code), pooled.other_bouts.of(code)
    samples: dict[str, _Sample] = {}
    for name, bouts, them in (
        ("extra_bouts", my_bouts, pooled.reference),
        ("missed_bouts", ref_bouts, pooled.other),
    ):
        bout_unit = boot.unit[bouts.start]
        inside = np.concatenate([[0], np.cumsum(them == code)])
        alone = (inside[bouts.stop] - inside[bouts.start] == 0).astype(float)
        if alone.any():
            counts = _counts(bout_unit, boot.n_units, alone)
            samples[name] = (float(alone.sum()), 0.0, boot.draws @ counts, n_both)
    return samples


def _feature_samples(
    pooled: Pooled,
    code: int,
    features: Mapping[str, np.ndarray],
    boot: _Resampling,
    n_both: int,
) -> dict[str, _Sample]:
    """5th and 95th percentiles of each pose feature over each side's labelled frames."""
    unit, n_units = boot.unit, boot.n_units
    samples: dict[str, _Sample] = {}
    for feature, values in features.items():
        mine_mask = (pooled.other == code) & np.isfinite(values)
        ref_mask = (pooled.reference == code) & np.isfinite(values)
        if not (mine_mask.any() and ref_mask.any()):
            continue
        both = values[mine_mask | ref_mask]
        draws32 = boot.draws.astype(np.float32)
        edges = np.linspace(both.min(), both.max() + 1e-9, _FEATURE_BINS + 1)
        mine_q = _histogram_quantiles(values[mine_mask], unit[mine_mask], n_units, draws32, edges)
        ref_q = _histogram_quantiles(values[ref_mask], unit[ref_mask], n_units, draws32, edges)
        for q, suffix in ((0.05, "q05"), (0.95, "q95")):
            samples[f"{feature}_{suffix}"] = (
                float(np.quantile(values[mine_mask], q)),
                float(np.quantile(values[ref_mask], q)),
                mine_q[q] - ref_q[q],
                n_both,
            )
    return samples


def _row(
    behavior: str,
    name: str,
    sample: _Sample,
    boot: _Resampling,
    feature_specs: Mapping[str, Feature],
    min_bouts: int,
    confidence: float,
) -> dict[str, object]:
    """One row of :func:`difference_rows`: the measure, its interval and its verdict."""
    mine, ref, resampled, n = sample
    low, high = _interval(resampled, confidence)
    if name in MEASURES:
        unit_name = MEASURES[name][1]
    else:
        unit_name = feature_specs[name.rsplit("_", 1)[0]].unit
    if n < min_bouts:
        verdict = f"too thin: only {n} bout{'' if n == 1 else 's'} (fewer than {min_bouts})"
    elif not (np.isfinite(low) and np.isfinite(high)):
        verdict = "too thin: no interval (most resamples lack it)"
    elif low <= 0 <= high:
        verdict = "too thin: the interval includes no difference"
    else:
        verdict = CALLED
    return {
        "behavior": behavior,
        "measure": name,
        "unit": unit_name,
        "annotator_value": mine,
        "reference_value": ref,
        "difference": mine - ref,
        "ci_low": low,
        "ci_high": high,
        "resampled": boot.resampled,
        "n_units": boot.n_units,
        "n_bouts": n,
        "verdict": verdict,
    }
