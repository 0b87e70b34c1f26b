"""Plain-language summary of how each annotator's style differs from the reference.

Sentences are generated from the comparison's tables only, never typed by hand:
"Attack starts 0.60 s earlier and ends 0.50 s later than annotator 0". What
counts as *no difference* is set by :class:`NoDifference` and stated with the
summary (:meth:`NoDifference.describe`).

Examples
--------
>>> print(NO_DIFFERENCE.describe(fps=30).split(";")[0])
Differences smaller than these are reported as none: boundary shifts under 0.10 s (3 frames)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ethostyle.compare.intervals import CALLED, measure_words
from ethostyle.compare.lines import FEATURES, Feature
from ethostyle.data import BEHAVIORS

__all__ = [
    "NO_DIFFERENCE",
    "NoDifference",
    "ranked_differences",
    "stated_differences",
    "summarize",
]


@dataclass(frozen=True, slots=True)
class NoDifference:
    """Thresholds below which the summary calls a difference "none".

    Parameters
    ----------
    shift_s : float
        Median onset or offset shift (seconds) below which boundaries agree.
    ratio : float
        Relative difference of frame share, bouts per minute or mean bout
        length within which two styles agree (0.2: within ±20 %).
    feature_ratio : float
        Relative difference of a feature's 5th or 95th percentile within which
        two styles draw the line at the same place; the difference must also
        exceed the feature's own ``min_difference`` (see
        :data:`ethostyle.compare.lines.FEATURES`).
    min_matched_bouts : int
        Fewer matched bouts than this: boundary shifts are not reported.
    min_frames : int
        Fewer labelled frames than this (either side): feature percentiles are
        not compared.
    unmatched_share : float
        Extra or missed bouts are reported when they are at least this share of
        the reference's bouts (and at least 2).
    min_bouts : int
        Fewer bouts than this behind a difference (of both sides; matched bouts
        for a shift): too thin to call, whatever its interval.
    min_videos : int
        Videos needed to resample videos for the intervals; with fewer, the
        bouts are resampled (see :mod:`ethostyle.compare.intervals`).
    confidence : float
        Coverage of the bootstrap intervals.
    n_resamples : int
        Bootstrap resamples per annotator and behaviour.

    Examples
    --------
    >>> NoDifference(shift_s=0.2).shift_s
    0.2
    """

    shift_s: float = 0.1
    ratio: float = 0.2
    feature_ratio: float = 0.2
    min_matched_bouts: int = 3
    min_frames: int = 30
    unmatched_share: float = 0.1
    min_bouts: int = 5
    min_videos: int = 5
    confidence: float = 0.95
    n_resamples: int = 1000

    def describe(self, fps: float, features: Mapping[str, Feature] = FEATURES) -> str:
        """One paragraph stating every threshold and the rule for thin evidence."""
        amounts = ", ".join(
            f"{_amount(f.min_difference, f.unit)} ({f.label})" for f in features.values()
        )
        return (
            "Differences smaller than these are reported as none: boundary shifts under "
            f"{self.shift_s:.2f} s ({self.shift_s * fps:.0f} frames); frame share, bouts per "
            f"minute and mean bout length within ±{self.ratio:.0%}; a 5th or 95th percentile of "
            f"a pose feature within ±{self.feature_ratio:.0%} or within {amounts}; extra or "
            f"missed bouts fewer than {self.unmatched_share:.0%} of the reference's bouts or "
            f"fewer than 2. Boundary shifts are medians over matched (overlapping) bouts and "
            f"need at least {self.min_matched_bouts} of them; feature percentiles need at least "
            f"{self.min_frames} labelled frames on each side. {self.evidence_rule()}"
        )

    def evidence_rule(self) -> str:
        """When a difference is too thin to call, in words."""
        return (
            f"Every difference has a {self.confidence:.0%} bootstrap interval "
            f"({self.n_resamples} resamples of the videos when there are at least "
            f"{self.min_videos}, otherwise of the bouts: the stretches where either side "
            "labels the behaviour). A difference is too thin to call when its interval "
            f"includes no difference, or when fewer than {self.min_bouts} bouts stand behind "
            "it (bouts of both sides; matched bouts for a shift)."
        )


#: The default thresholds.
NO_DIFFERENCE = NoDifference()


#: One difference found: frames it concerns, its sentence, the measures it states
#: (names in ``differences.csv``), whether the evidence is too thin for all of them, and
#: its behaviour.
_Found = tuple[float, str, tuple[str, ...], bool, str]
#: Decimals an interval is written with, per unit.
_DECIMALS = {"s": 2, "%": 1, "per min": 1, "bouts": 0, "px": 0, "px/s": 0, "°": 0}


def _sentences(
    table: pd.DataFrame,
    unmatched: pd.DataFrame,
    lines: pd.DataFrame,
    reference: int,
    nd: NoDifference,
    differences: pd.DataFrame | None,
    features: Mapping[str, Feature],
) -> dict[int, list[_Found]]:
    """Per annotator, every difference found, in table order, with its evidence."""
    rows = table.set_index(["annotator", "behavior"])
    evidence = (
        {}
        if differences is None or differences.empty
        else {
            (int(a), b): group.set_index("measure")
            for (a, b), group in differences.groupby(["annotator", "behavior"], sort=False)
        }
    )
    out: dict[int, list[_Found]] = {}
    for annotator in sorted(set(table["annotator"]) - {reference}):
        found: list[_Found] = []
        for behavior in BEHAVIORS:
            mine = rows.loc[(annotator, behavior)]
            ref = rows.loc[(reference, behavior)]
            if mine["n_bouts"] == 0 and ref["n_bouts"] == 0:
                continue
            pieces = [
                *_boundaries(behavior, mine, reference, nd),
                *_amounts(behavior, mine, ref, reference, nd),
                *_lines(behavior, annotator, lines, reference, nd, features),
                *_unmatched(behavior, annotator, ref, unmatched, reference, nd),
            ]
            mine_evidence = evidence.get((int(annotator), behavior))
            for frames, text, measures in pieces:
                clause, thin = _evidence(measures, mine_evidence, nd, features)
                found.append((frames, text + clause, measures, thin, behavior))
        out[int(annotator)] = found
    return out


def _evidence(
    measures: tuple[str, ...],
    rows: pd.DataFrame | None,
    nd: NoDifference,
    features: Mapping[str, Feature],
) -> tuple[str, bool]:
    """The interval of each measure a sentence states, and whether all are too thin."""
    if rows is None:
        return "", False
    parts, thin = [], []
    for measure in measures:
        if measure not in rows.index:
            continue
        row = rows.loc[measure]
        words = measure_words(measure, features)
        unit = str(row["unit"])
        if np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"]):
            digits = _DECIMALS.get(unit, 1)
            shown = "points" if unit == "%" else unit
            parts.append(
                f"{words} {row['ci_low']:+.{digits}f} to {row['ci_high']:+.{digits}f} {shown}"
            )
        else:
            parts.append(f"{words} none (most resamples lack it)")
        if row["verdict"] != CALLED:
            thin.append(f"{words}, {str(row['verdict']).removeprefix('too thin: ')}")
    if not parts:
        return "", False
    clause = f" {nd.confidence:.0%} interval of the difference: {'; '.join(parts)}."
    if thin:
        clause += f" Too thin to call ({'; '.join(thin)})."
    return clause, len(thin) == len(parts)


def summarize(
    table: pd.DataFrame,
    unmatched: pd.DataFrame,
    lines: pd.DataFrame,
    reference: int,
    no_difference: NoDifference = NO_DIFFERENCE,
    *,
    differences: pd.DataFrame | None = None,
    features: Mapping[str, Feature] = FEATURES,
) -> dict[int, list[str]]:
    """Sentences saying how each annotator differs from the reference.

    Parameters
    ----------
    table : pandas.DataFrame
        The disagreement table (:attr:`Comparison.table`).
    unmatched : pandas.DataFrame
        Frames of bouts only one side has (:attr:`Comparison.unmatched`).
    lines : pandas.DataFrame
        Feature percentiles per frame group (:attr:`Comparison.feature_lines`);
        may be empty.
    reference : int
        The reference annotator.
    no_difference : NoDifference
        What counts as no difference, and when the evidence is too thin.
    differences : pandas.DataFrame, optional
        Every difference with its interval (:attr:`Comparison.differences`); each
        sentence then ends with the intervals of what it states, and says when the
        evidence is too thin to call it.
    features : mapping of str to Feature
        The pose features compared (their words and units).

    Returns
    -------
    dict of int to list of str
        Annotator (every one but the reference) -> sentences by behaviour, then
        one on agreement (frame and bout F1).
    """
    rows = table.set_index(["annotator", "behavior"])
    out: dict[int, list[str]] = {}
    found_all = _sentences(table, unmatched, lines, reference, no_difference, differences, features)
    for annotator, found in found_all.items():
        sentences = [piece[1] for piece in found]
        if not sentences:
            sentences.append(
                f"No difference from annotator {reference} beyond the thresholds below."
            )
        sentences.append(_agreement(rows, annotator, reference))
        out[annotator] = sentences
    return out


def ranked_differences(
    table: pd.DataFrame,
    unmatched: pd.DataFrame,
    lines: pd.DataFrame,
    reference: int,
    no_difference: NoDifference = NO_DIFFERENCE,
    *,
    differences: pd.DataFrame | None = None,
    features: Mapping[str, Feature] = FEATURES,
) -> dict[int, list[tuple[float, str]]]:
    """The differences of :func:`summarize`, those the evidence can call first, then the
    largest first.

    A difference's size is the number of frames it concerns: for shifted
    boundaries the shift times the matched bouts, for a share of frames the
    frames gained or lost, for bouts only one side has their frames, for where
    a style draws the line the frames only one side labels.

    Parameters
    ----------
    table, unmatched, lines, reference, no_difference, differences, features
        As for :func:`summarize`.

    Returns
    -------
    dict of int to list of tuple of float and str
        Annotator -> ``(frames concerned, sentence)``: those too thin to call last,
        otherwise the most frames first; empty when no difference passes the thresholds.
    """
    found = _sentences(table, unmatched, lines, reference, no_difference, differences, features)
    return {
        a: [(p[0], p[1]) for p in sorted(pieces, key=lambda p: (p[3], -p[0]))]
        for a, pieces in found.items()
    }


def stated_differences(
    table: pd.DataFrame,
    unmatched: pd.DataFrame,
    lines: pd.DataFrame,
    reference: int,
    no_difference: NoDifference,
    differences: pd.DataFrame,
    features: Mapping[str, Feature] = FEATURES,
) -> pd.DataFrame:
    """The rows of ``differences`` whose measure a sentence of :func:`summarize` states.

    Parameters
    ----------
    table, unmatched, lines, reference, no_difference, differences, features
        As for :func:`summarize`.

    Returns
    -------
    pandas.DataFrame
        Those rows, in the order of the sentences.
    """
    found = _sentences(table, unmatched, lines, reference, no_difference, differences, features)
    keys = [
        (annotator, behavior, measure)
        for annotator, pieces in found.items()
        for _, _, measures, _, behavior in pieces
        for measure in measures
    ]
    if differences.empty:
        return differences
    indexed = differences.set_index(["annotator", "behavior", "measure"])
    wanted = [k for k in dict.fromkeys(keys) if k in indexed.index]
    return indexed.loc[wanted].reset_index() if wanted else differences.iloc[:0]


def _boundaries(
    behavior: str, mine: pd.Series, reference: int, nd: NoDifference
) -> list[tuple[float, str, tuple[str, ...]]]:
    matched = int(mine["n_matched_bouts"])
    if matched < nd.min_matched_bouts:
        return []
    onset, offset = float(mine["onset_shift_s"]), float(mine["offset_shift_s"])
    starts = _shift_phrase(onset, nd.shift_s, "earlier", "later")
    ends = _shift_phrase(offset, nd.shift_s, "earlier", "later")
    name = behavior.capitalize()
    basis = f"(median of {matched} matched bouts)"
    if starts is None and ends is None:
        return []
    moved = matched * (
        abs(float(mine["onset_shift_frames"])) * (starts is not None)
        + abs(float(mine["offset_shift_frames"])) * (ends is not None)
    )
    if starts is not None and ends is not None:
        text = f"{name} starts {starts} and ends {ends} than annotator {reference} {basis}."
    elif starts is not None:
        text = (
            f"{name} starts {starts} than annotator {reference} and ends at the same time {basis}."
        )
    else:
        text = f"{name} ends {ends} than annotator {reference} and starts at the same time {basis}."
    measures = ("onset_shift_s",) * (starts is not None) + ("offset_shift_s",) * (ends is not None)
    return [(moved, text, measures)]


def _shift_phrase(seconds: float, threshold: float, before: str, after: str) -> str | None:
    if math.isnan(seconds) or abs(seconds) < threshold:
        return None
    return f"{abs(seconds):.2f} s {before if seconds < 0 else after}"


def _ratio_word(mine: float, ref: float, ratio: float, more: str, less: str) -> str | None:
    """``more``/``less`` when ``mine`` differs from ``ref`` by more than ``ratio``."""
    if math.isnan(mine) or math.isnan(ref) or ref <= 0 or mine <= 0:
        return None
    if mine >= ref * (1 + ratio):
        return more
    if mine <= ref / (1 + ratio):
        return less
    return None


def _amounts(
    behavior: str,
    mine: pd.Series,
    ref: pd.Series,
    reference: int,
    nd: NoDifference,
) -> list[tuple[float, str, tuple[str, ...]]]:
    out: list[tuple[float, str, tuple[str, ...]]] = []
    share, ref_share = float(mine["frame_share"]), float(ref["frame_share"])
    gained = abs(float(mine["frames"]) - float(ref["frames"]))
    if ref_share == 0:
        text = f"Labels {behavior} on {share:.1%} of frames; annotator {reference} never does."
        return [(gained, text, ("frame_share",))]
    if share == 0:
        text = f"Never labels {behavior} (annotator {reference}: {ref_share:.1%} of frames)."
        return [(gained, text, ("frame_share",))]
    ratio = share / ref_share
    if _ratio_word(share, ref_share, nd.ratio, "more", "less") == "more":
        out.append(
            (
                gained,
                f"Labels {ratio:.1f}× as many {behavior} frames as annotator {reference} "
                f"({share:.1%} vs {ref_share:.1%} of frames).",
                ("frame_share",),
            )
        )
    elif _ratio_word(share, ref_share, nd.ratio, "more", "less") == "less":
        out.append(
            (
                gained,
                f"Labels {1 - ratio:.0%} fewer {behavior} frames than annotator {reference} "
                f"({share:.1%} vs {ref_share:.1%} of frames).",
                ("frame_share",),
            )
        )
    parts = []
    length = _ratio_word(
        float(mine["mean_bout_s"]), float(ref["mean_bout_s"]), nd.ratio, "longer", "shorter"
    )
    if length:
        parts.append(f"{length} (mean {mine['mean_bout_s']:.1f} s vs {ref['mean_bout_s']:.1f} s)")
    rate = _ratio_word(
        float(mine["bouts_per_min"]),
        float(ref["bouts_per_min"]),
        nd.ratio,
        "more numerous",
        "fewer",
    )
    if rate:
        parts.append(
            f"{rate} ({mine['bouts_per_min']:.1f} vs {ref['bouts_per_min']:.1f} per minute)"
        )
    if parts:
        # frames concerned: a reference bout's length per bout gained or lost (merged or
        # split bouts move about that many frames between "one bout" and "two")
        per_bout = float(ref["frames"]) / max(int(ref["n_bouts"]), 1)
        reshaped = abs(float(mine["n_bouts"]) - float(ref["n_bouts"])) * per_bout
        measures = ("mean_bout_s",) * bool(length) + ("bouts_per_min",) * bool(rate)
        out.append((reshaped, f"Its {behavior} bouts are {' and '.join(parts)}.", measures))
    return out


def _lines(
    behavior: str,
    annotator: int,
    lines: pd.DataFrame,
    reference: int,
    nd: NoDifference,
    features: Mapping[str, Feature],
) -> list[tuple[float, str, tuple[str, ...]]]:
    if lines.empty:
        return []
    mine_lines = lines[(lines["behavior"] == behavior) & (lines["annotator"] == annotator)]
    labelled = lines[(lines["behavior"] == behavior) & (lines["frames_of"] == "labelled")]
    # frames concerned: those only one side labels with the behaviour (counted per
    # feature, so the first one's count), halved as the two edges share them
    alone = mine_lines[mine_lines["frames_of"].isin(["only_annotator", "only_reference"])]
    disputed = float(alone.groupby("frames_of")["n"].max().sum()) / 2 if len(alone) else 0.0
    out: list[tuple[float, str, tuple[str, ...]]] = []
    for name, feature in features.items():
        pick = labelled[labelled["feature"] == name].set_index("annotator")
        if annotator not in pick.index or reference not in pick.index:
            continue
        mine, ref = pick.loc[annotator], pick.loc[reference]
        if min(mine["n"], ref["n"]) < nd.min_frames:
            continue
        for column, word in (("q95", "up to"), ("q05", "down to")):
            a, r = float(mine[column]), float(ref[column])
            if abs(a - r) < max(feature.min_difference, nd.feature_ratio * abs(r)):
                continue
            # "only" goes with the narrower definition: the lower upper edge, the higher lower one
            mine_narrower = (a < r) == (column == "q95")
            only_mine, only_ref = ("only ", "") if mine_narrower else ("", "only ")
            which = "95th" if column == "q95" else "5th"
            out.append(
                (
                    disputed,
                    f"Calls it {behavior} {only_mine}{word} ~{_amount(a, feature.unit)} "
                    f"{feature.label}; annotator {reference} {only_ref}{word} "
                    f"~{_amount(r, feature.unit)} ({which} percentile of labelled frames).",
                    (f"{name}_{column}",),
                )
            )
    return out


def _amount(value: float, unit: str) -> str:
    if unit == "°":
        return f"{value:.0f}°"
    return f"{value:.{_DECIMALS.get(unit, 1)}f} {unit}"


def _unmatched(
    behavior: str,
    annotator: int,
    ref: pd.Series,
    unmatched: pd.DataFrame,
    reference: int,
    nd: NoDifference,
) -> list[tuple[float, str, tuple[str, ...]]]:
    out: list[tuple[float, str, tuple[str, ...]]] = []
    mine = unmatched[(unmatched["annotator"] == annotator) & (unmatched["behavior"] == behavior)]
    for side in ("extra", "missed"):
        part = mine[mine["side"] == side]
        if part.empty:
            continue
        n = int(part["n_bouts"].iloc[0])
        if n < 2 or n < nd.unmatched_share * max(int(ref["n_bouts"]), 1):
            continue
        called = part.sort_values("frames", ascending=False)
        share = called["frames"] / called["frames"].sum()
        words = ", ".join(
            f"{c} {s:.0%}" for c, s in zip(called["called"], share, strict=True) if s >= 0.05
        )
        frames = float(called["frames"].sum())
        if side == "extra":
            out.append(
                (
                    frames,
                    f"Labels {n} {behavior} bouts that annotator {reference} does not label "
                    f"at all (annotator {reference} calls those frames: {words}).",
                    ("extra_bouts",),
                )
            )
        else:
            out.append(
                (
                    frames,
                    f"Leaves out {n} of annotator {reference}'s {behavior} bouts entirely "
                    f"(calls those frames: {words}).",
                    ("missed_bouts",),
                )
            )
    return out


def _score(value: float) -> str:
    """A score to 2 decimals, or n/a where it is undefined (neither side has the behaviour)."""
    return "n/a" if math.isnan(float(value)) else f"{float(value):.2f}"


def _agreement(rows: pd.DataFrame, annotator: int, reference: int) -> str:
    parts = [
        f"{b} {_score(rows.loc[(annotator, b), 'frame_f1_vs_reference'])} / "
        f"{_score(rows.loc[(annotator, b), 'bout_f1_vs_reference'])}"
        for b in BEHAVIORS
    ]
    note = "; n/a: neither labels the behaviour" if any("n/a" in p for p in parts) else ""
    return f"Agreement with annotator {reference} (frame F1 / bout F1): {', '.join(parts)}{note}."
