"""The result of a comparison: the labels compared and every table measured on them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ethostyle.compare.intervals import DIFFERENCE_COLUMNS
from ethostyle.compare.lines import Feature, feature_set
from ethostyle.compare.motifs import MotifComparison
from ethostyle.compare.summary import NoDifference, ranked_differences, stated_differences
from ethostyle.data import FPS, Dataset
from ethostyle.errors import DataFormatError

__all__ = ["TABLE_COLUMNS", "Comparison"]

#: Columns of :attr:`Comparison.table` before the per-feature percentile columns.
TABLE_COLUMNS: tuple[str, ...] = (
    "annotator",
    "behavior",
    "frame_share",
    "bouts_per_min",
    "median_bout_s",
    "mean_bout_s",
    "onset_shift_frames",
    "onset_shift_s",
    "offset_shift_frames",
    "offset_shift_s",
    "frame_f1_vs_reference",
    "bout_f1_vs_reference",
    "frames",
    "n_bouts",
    "n_matched_bouts",
    "n_extra_bouts",
    "n_missed_bouts",
)


@dataclass(frozen=True)
class Comparison:
    """Where annotators' styles disagree on the same videos.

    Attributes
    ----------
    reference : int
        The annotator every other one is measured against.
    annotators : tuple of int
        The annotators compared, reference first.
    sequence_ids : tuple of str
        The videos compared, in order.
    labels : dict of int to dict of str to numpy.ndarray
        Annotator -> sequence id -> ``(frames,)`` int8 labels compared.
    features : dict of str to dict of str to numpy.ndarray or None
        Sequence id -> feature name -> ``(frames,)`` float32 interpretable
        features, or None when no poses were given.
    table : pandas.DataFrame
        One row per annotator (reference included) and behaviour; columns
        :data:`TABLE_COLUMNS`, then ``<feature>_q05/_q50/_q95`` (percentiles over
        the frames the annotator labels the behaviour) when poses were given.
        Shifts are other minus reference (negative: earlier).
    bout_pairs : pandas.DataFrame
        Every matched pair of bouts: ``annotator, behavior, sequence,
        reference_start, reference_stop, start, stop, onset_shift_frames,
        offset_shift_frames``.
    unmatched : pandas.DataFrame
        Bouts only one side has and what the other side called their frames:
        ``annotator, behavior, side ("extra" | "missed"), n_bouts, called, frames``.
    feature_lines : pandas.DataFrame
        Feature percentiles per frame group: ``annotator, behavior, feature,
        frames_of, n, q05, q25, q50, q75, q95`` (empty without poses).
    summaries : dict of int to list of str
        Plain-language differences of each annotator from the reference.
    no_difference : NoDifference
        The thresholds the summaries use.
    source : str
        What produced the labels (e.g. "the annotators' own labels", "style models").
    pairwise : pandas.DataFrame
        Every pair of annotators: :data:`~ethostyle.compare.pairwise.PAIRWISE_COLUMNS`
        (see :func:`~ethostyle.compare.pairwise.pairwise_table`).
    episodes : pandas.DataFrame
        The disagreement episodes of every pair (the reference is ``annotator_a``
        in its pairs): :data:`~ethostyle.compare.episodes.EPISODE_COLUMNS`.
    min_episode_s : float
        Shortest episode kept, in seconds.
    reference_note : str
        Why :attr:`reference` is the reference, in words.
    video_fps : dict of str to float
        Frames per second of each video (:attr:`fps` unless its data carry a rate).
    poses : Dataset or None
        The compared videos' poses, when given.
    fps : float
        Frames per second.
    differences : pandas.DataFrame
        Every difference of every annotator from the reference, per behaviour and
        measure, with its bootstrap interval and verdict:
        :data:`~ethostyle.compare.intervals.DIFFERENCE_COLUMNS` (see
        :func:`~ethostyle.compare.intervals.difference_rows`).
    px_per_cm : float or None
        Pixels per centimetre when given: pose features are then in cm and cm/s
        (named ``..._cm``, ``..._cm_s``), else in px and px/s.
    motifs : MotifComparison or None
        How each annotator labels each motif of the model's vocabulary, the most
        disputed first (:func:`~ethostyle.compare.motifs.compare_motifs`); None
        without a model with motifs.
    """

    reference: int
    annotators: tuple[int, ...]
    sequence_ids: tuple[str, ...]
    labels: dict[int, dict[str, np.ndarray]]
    features: dict[str, dict[str, np.ndarray]] | None
    table: pd.DataFrame
    bout_pairs: pd.DataFrame
    unmatched: pd.DataFrame
    feature_lines: pd.DataFrame
    summaries: dict[int, list[str]]
    no_difference: NoDifference
    source: str
    pairwise: pd.DataFrame
    episodes: pd.DataFrame
    min_episode_s: float
    reference_note: str
    video_fps: dict[str, float]
    poses: Dataset | None = None
    fps: float = FPS
    differences: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(DIFFERENCE_COLUMNS))
    )
    px_per_cm: float | None = None
    motifs: MotifComparison | None = None

    @property
    def feature_specs(self) -> dict[str, Feature]:
        """The pose features compared, by name, in px or (with :attr:`px_per_cm`) cm."""
        return feature_set(self.px_per_cm)

    def stated_differences(self) -> pd.DataFrame:
        """The rows of :attr:`differences` whose measure a summary sentence states."""
        return stated_differences(
            self.table,
            self.unmatched,
            self.feature_lines,
            self.reference,
            self.no_difference,
            self.differences,
            self.feature_specs,
        )

    def largest_differences(self, annotator: int, n: int = 3) -> list[str]:
        """The ``n`` differences of ``annotator`` from the reference that concern the most
        frames, in plain language (see :func:`~ethostyle.compare.summary.ranked_differences`)."""
        ranked = ranked_differences(
            self.table,
            self.unmatched,
            self.feature_lines,
            self.reference,
            self.no_difference,
            differences=self.differences,
            features=self.feature_specs,
        )
        return [sentence for _, sentence in ranked.get(int(annotator), [])[:n]]

    def disputed_share(self) -> pd.Series:
        """Per video, the share of (annotator, frame) pairs whose label differs from the
        reference's, over every other annotator; the videos in comparison order."""
        ref = self.labels[self.reference]
        others = [a for a in self.annotators if a != self.reference]
        shares = {
            sid: float(np.mean([np.mean(self.labels[a][sid] != ref[sid]) for a in others]))
            if others and len(ref[sid])
            else 0.0
            for sid in self.sequence_ids
        }
        return pd.Series(shares, name="disputed_share")

    def most_disputed_video(self) -> str:
        """The video whose labels differ most from the reference's (first one on a tie)."""
        return str(self.disputed_share().idxmax())

    def pooled_labels(self, annotator: int) -> np.ndarray:
        """``(frames,)`` labels of one annotator over all sequences end to end."""
        return np.concatenate([self.labels[annotator][i] for i in self.sequence_ids])

    def pooled_feature(self, name: str) -> np.ndarray:
        """``(frames,)`` values of one feature over all sequences end to end.

        Raises
        ------
        DataFormatError
            When the comparison has no poses.
        """
        if self.features is None:
            raise DataFormatError(
                "this comparison was made from labels alone; give the poses (a train- or "
                "test-layout file) to compare pose features"
            )
        return np.concatenate([self.features[i][name] for i in self.sequence_ids])
