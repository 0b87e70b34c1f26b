"""Label the same videos in every annotator's style and measure where the styles disagree.

Two entry points give the same :class:`Comparison`:

- :func:`compare_model`: a trained model (any :class:`~ethostyle.models.base.StylePredictor`)
  labels unlabelled videos in each annotator's style;
- :func:`compare_labels` (or :func:`compare_annotators` for data sets): several
  annotators' real labels of the same videos (e.g. the simulator's shared videos).

Every annotator is measured per behaviour against the reference (annotator 0
unless chosen): share of frames, bouts per minute, bout lengths, onset and offset
shifts of matched bouts, bouts only one side has and what the other side called
them, frame and bout F1, and the pose features on the frames each style labels.

Examples
--------
>>> from ethostyle.simulate import simulate
>>> sim = simulate("tiny", seed=0)
>>> comparison = compare_annotators(sim.shared, reference=0)
>>> list(comparison.table.columns[:4])
['annotator', 'behavior', 'frame_share', 'bouts_per_min']
>>> sorted(comparison.summaries) == [1, 2, 3, 4, 5]
True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ethostyle.compare.episodes import episode_pairs, episode_table
from ethostyle.compare.intervals import DIFFERENCE_COLUMNS, difference_rows
from ethostyle.compare.lines import (
    Feature,
    checked_px_per_cm,
    feature_set,
    frame_groups,
    group_quantiles,
    sequence_features,
)
from ethostyle.compare.measures import (
    behavior_row,
    bout_f1_by_behavior,
    bout_pairs,
    frame_f1_by_behavior,
    pool,
    unmatched_frames,
)
from ethostyle.compare.pairwise import consensus_annotator, pairwise_table
from ethostyle.compare.summary import (
    NO_DIFFERENCE,
    NoDifference,
    ranked_differences,
    stated_differences,
    summarize,
)
from ethostyle.data import BEHAVIORS, FPS, Dataset
from ethostyle.errors import DataFormatError, EthostyleError, UnknownAnnotatorError
from ethostyle.io import checked_labels
from ethostyle.metrics import Task2Score, task2_score
from ethostyle.progress import NULL_PROGRESS, Progress

if TYPE_CHECKING:
    from ethostyle.models.base import StylePredictor

__all__ = [
    "DEFAULT_MIN_EPISODE_S",
    "TABLE_COLUMNS",
    "Comparison",
    "compare_annotators",
    "compare_labels",
    "compare_model",
    "min_episode_frames",
    "own_style_score",
]

logger = logging.getLogger(__name__)

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
#: Shortest disagreement episode kept by default, in seconds.
DEFAULT_MIN_EPISODE_S = 0.5
#: Percentiles of each feature (over the frames an annotator labels a behaviour)
#: copied into :attr:`Comparison.table` as ``<feature>_<q>`` columns.
_TABLE_QUANTILES = ("q05", "q50", "q95")


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


def _checked_labels(
    labels: Mapping[int, Mapping[str, np.ndarray]], anchor: int | None
) -> tuple[dict[int, dict[str, np.ndarray]], tuple[str, ...], int]:
    """Validate that every annotator labelled the anchor's sequences, frame for frame.

    ``anchor`` is the reference when one was chosen; otherwise annotator 0 when
    it has labels, else the lowest annotator id. Returns the labels, the
    sequence ids and the anchor.
    """
    if not isinstance(labels, Mapping) or not labels:
        raise DataFormatError(
            "compare needs labels of at least two annotators: {annotator: {sequence id: labels}}"
        )
    annotators = sorted(int(a) for a in labels)
    if anchor is None:
        anchor = 0 if 0 in annotators else annotators[0]
    elif anchor not in annotators:
        raise UnknownAnnotatorError(
            f"reference annotator {anchor} is not among the compared annotators "
            f"{annotators}; choose one of them as the reference"
        )
    if len(annotators) < 2:
        raise DataFormatError(
            f"only annotator {anchor} has labels; compare needs at least two annotators' "
            "labels of the same videos"
        )
    ref = labels[anchor]
    ids = tuple(ref)
    if not ids:
        raise DataFormatError(f"annotator {anchor} labelled no sequence")
    out: dict[int, dict[str, np.ndarray]] = {}
    for annotator in annotators:
        given = labels[annotator]
        out[annotator] = {}
        for sid in ids:
            if sid not in given:
                raise DataFormatError(
                    f"annotator {annotator} has no labels for sequence {sid!r}, which annotator "
                    f"{anchor} labelled; compare needs every annotator's labels of the same "
                    "videos"
                )
            out[annotator][sid] = checked_labels(
                given[sid], f"annotator {annotator}", sid, len(ref[sid]), names_allowed=False
            )
        extra = set(given) - set(ids)
        if extra:
            logger.warning(
                "annotator %d: ignoring %d sequence(s) annotator %d did not label, e.g. %r",
                annotator,
                len(extra),
                anchor,
                sorted(extra)[0],
            )
    return out, ids, anchor


def _chosen_reference(
    reference: int | None, anchor: int, pairwise: pd.DataFrame, annotators: list[int]
) -> tuple[int, str]:
    """The reference and why: as chosen, annotator 0, or the best-agreeing annotator."""
    if reference is not None:
        return reference, f"annotator {reference}, as chosen"
    if anchor == 0:
        return 0, "annotator 0 (the reference annotator of the data)"
    best, kappa = consensus_annotator(pairwise)
    return best, (
        f"annotator {best}, chosen because no annotator 0 was given: of annotators "
        f"{', '.join(map(str, annotators))} it agrees best with all the others (mean Cohen's "
        f"kappa {kappa:.2f} over its pairs and behaviours)"
    )


def _video_fps(sequences: Dataset | None, ids: tuple[str, ...]) -> dict[str, float]:
    """Frames per second of each video: its own rate where the data carry one, else FPS."""
    rates = {}
    for sid in ids:
        own = (
            None
            if sequences is None or sid not in sequences
            else getattr(sequences[sid], "fps", None)
        )
        rates[sid] = float(own) if own else float(FPS)
    return rates


def _checked_poses(
    sequences: Dataset, ids: tuple[str, ...], labels: dict[str, np.ndarray]
) -> Dataset:
    missing = [i for i in ids if i not in sequences]
    if missing:
        raise DataFormatError(
            f"no poses for sequence {missing[0]!r}; give the poses of every compared video"
        )
    chosen = sequences.select(ids)
    for seq in chosen:
        if seq.n_frames != len(labels[seq.id]):
            raise DataFormatError(
                f"sequence {seq.id!r}: {seq.n_frames} frames of poses but "
                f"{len(labels[seq.id])} labels; give the poses the labels were made on"
            )
    return chosen


def compare_labels(
    labels: Mapping[int, Mapping[str, np.ndarray]],
    sequences: Dataset | None = None,
    *,
    reference: int | None = None,
    no_difference: NoDifference = NO_DIFFERENCE,
    source: str = "the annotators' own labels",
    min_episode_s: float = DEFAULT_MIN_EPISODE_S,
    px_per_cm: float | None = None,
) -> Comparison:
    """Measure where several annotators' labels of the same videos disagree.

    Parameters
    ----------
    labels : mapping of int to mapping of str to numpy.ndarray
        Annotator -> sequence id -> ``(frames,)`` labels (indices into
        :data:`~ethostyle.data.VOCABULARY`). Every annotator must label every
        sequence the reference labelled, frame for frame.
    sequences : Dataset, optional
        The poses of those sequences, for the pose-feature comparison
        (``feature_lines``, the percentile columns and the episodes' pose
        measures); without them these are left out.
    reference : int, optional
        The annotator the others are measured against. By default annotator 0
        when it has labels, otherwise the annotator who agrees best with all
        the others (highest mean Cohen's kappa, see
        :func:`~ethostyle.compare.pairwise.consensus_annotator`);
        :attr:`Comparison.reference_note` says which and why.
    no_difference : NoDifference
        Thresholds below which the summary calls a difference none.
    source : str
        What produced the labels, for the report.
    min_episode_s : float
        Shortest disagreement episode kept, in seconds.
    px_per_cm : float, optional
        Pixels per centimetre of the videos: pose features in cm and cm/s.

    Returns
    -------
    Comparison
        Tables, summaries, every pair's agreement, the episodes, every difference
        with its bootstrap interval, and the labels compared.

    Raises
    ------
    UnknownAnnotatorError
        When ``reference`` has no labels.
    DataFormatError
        When fewer than two annotators are given, a sequence is missing or of
        another length, or a label is not a class index.
    EthostyleError
        When ``min_episode_s`` is negative or not a number, or ``px_per_cm`` is
        not a positive number.

    Examples
    --------
    >>> import numpy as np
    >>> labels = {0: {"v": np.array([3, 1, 1, 1, 3, 3])}, 1: {"v": np.array([1, 1, 1, 1, 3, 3])}}
    >>> c = compare_labels(labels)
    >>> c.table.set_index(["annotator", "behavior"]).loc[(1, "investigation"), "onset_shift_s"]
    np.float64(-0.03333333333333333)
    """
    min_frames = min_episode_frames(min_episode_s)
    specs = feature_set(px_per_cm)
    reference = None if reference is None else int(reference)
    checked, ids, anchor = _checked_labels(labels, reference)
    poses = None if sequences is None else _checked_poses(sequences, ids, checked[anchor])
    features = None if poses is None else sequence_features(poses, px_per_cm)
    everyone = sorted(checked)
    pairwise = pairwise_table(checked, ids, everyone)
    reference, reference_note = _chosen_reference(reference, anchor, pairwise, everyone)
    pooled_features = (
        None
        if features is None
        else {name: np.concatenate([features[i][name] for i in ids]) for name in specs}
    )
    annotators = (reference, *(a for a in sorted(checked) if a != reference))
    rows, pairs, unmatched, lines, differences = [], [], [], [], []
    for annotator in annotators:
        pooled = pool(checked[reference], checked[annotator], ids)
        frame_f1 = frame_f1_by_behavior(pooled)
        bout_f1 = bout_f1_by_behavior(checked[reference], checked[annotator])
        for behavior in BEHAVIORS:
            row = {
                "annotator": annotator,
                **behavior_row(pooled, behavior, FPS),
                "frame_f1_vs_reference": frame_f1[behavior],
                "bout_f1_vs_reference": bout_f1[behavior],
            }
            if pooled_features is not None:
                groups = frame_groups(pooled.reference, pooled.other, behavior)
                quantiles = group_quantiles(pooled_features, groups)
                lines.append(quantiles.assign(annotator=annotator, behavior=behavior))
                labelled = quantiles[quantiles["frames_of"] == "labelled"].set_index("feature")
                for name in specs:
                    for q in _TABLE_QUANTILES:
                        row[f"{name}_{q}"] = labelled.loc[name, q]
            rows.append(row)
            pairs.append(bout_pairs(pooled, behavior).assign(annotator=annotator))
            unmatched.append(unmatched_frames(pooled, behavior).assign(annotator=annotator))
            if annotator != reference:
                found = difference_rows(
                    pooled,
                    behavior,
                    FPS,
                    features=pooled_features,
                    feature_specs=specs,
                    min_videos=no_difference.min_videos,
                    min_bouts=no_difference.min_bouts,
                    n_resamples=no_difference.n_resamples,
                    confidence=no_difference.confidence,
                    seed=annotator,
                )
                differences.append(found.assign(annotator=annotator))
    table = pd.DataFrame(rows)
    extra_columns = [c for c in table.columns if c not in TABLE_COLUMNS]
    table = table[[*TABLE_COLUMNS, *extra_columns]]
    pairs_df = _first(pd.concat(pairs, ignore_index=True), "annotator")
    unmatched_df = _first(pd.concat(unmatched, ignore_index=True), "annotator")
    lines_df = (
        _first(pd.concat(lines, ignore_index=True), "annotator", "behavior")
        if lines
        else pd.DataFrame()
    )
    differences_df = (
        _first(pd.concat(differences, ignore_index=True), "annotator")
        if differences
        else pd.DataFrame(columns=list(DIFFERENCE_COLUMNS))
    )
    summaries = summarize(
        table,
        unmatched_df,
        lines_df,
        reference,
        no_difference,
        differences=differences_df,
        features=specs,
    )
    video_fps = _video_fps(poses, ids)
    episodes = episode_table(
        checked,
        ids,
        episode_pairs(annotators, reference),
        min_frames=min_frames,
        fps=video_fps,
        features=features,
        feature_names=tuple(specs),
    )
    return Comparison(
        reference=reference,
        annotators=annotators,
        sequence_ids=ids,
        labels=checked,
        features=features,
        table=table,
        bout_pairs=pairs_df,
        unmatched=unmatched_df,
        feature_lines=lines_df,
        summaries=summaries,
        no_difference=no_difference,
        source=source,
        pairwise=pairwise,
        episodes=episodes,
        min_episode_s=float(min_episode_s),
        reference_note=reference_note,
        video_fps=video_fps,
        poses=poses,
        differences=differences_df,
        px_per_cm=checked_px_per_cm(px_per_cm),
    )


def min_episode_frames(min_episode_s: float, fps: float = FPS) -> int:
    """The shortest episode in frames; checks that ``min_episode_s`` is a usable duration.

    Raises
    ------
    EthostyleError
        When it is negative or not a number.

    Examples
    --------
    >>> min_episode_frames(0.5)
    15
    """
    try:
        seconds = float(min_episode_s)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not np.isfinite(seconds) or seconds < 0:
        raise EthostyleError(
            f"the shortest episode must be a duration of 0 s or more; got {min_episode_s!r} "
            "(e.g. --min-episode-s 0.5)"
        )
    return round(seconds * fps)


def _first(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with ``columns`` moved to the front."""
    return frame[[*columns, *(c for c in frame.columns if c not in columns)]]


def compare_annotators(
    datasets: Mapping[int, Dataset],
    *,
    reference: int | None = None,
    no_difference: NoDifference = NO_DIFFERENCE,
    min_episode_s: float = DEFAULT_MIN_EPISODE_S,
    px_per_cm: float | None = None,
) -> Comparison:
    """Compare several annotators' labelled copies of the same videos.

    Parameters
    ----------
    datasets : mapping of int to Dataset
        Annotator -> labelled data set of the same videos (e.g.
        ``simulate(...).shared``). The poses of the reference's copy (else
        annotator 0's, else the first one's) are used for the pose features.
    reference : int, optional
        The annotator the others are measured against; chosen as in
        :func:`compare_labels` by default.
    no_difference : NoDifference
        Thresholds below which the summary calls a difference none.
    min_episode_s : float
        Shortest disagreement episode kept, in seconds.
    px_per_cm : float, optional
        Pixels per centimetre of the videos: pose features in cm and cm/s.

    Returns
    -------
    Comparison
        See :func:`compare_labels`.

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> c = compare_annotators(simulate("tiny", seed=1).shared)
    >>> c.annotators
    (0, 1, 2, 3, 4, 5)
    """
    labels: dict[int, dict[str, np.ndarray]] = {}
    for annotator, dataset in datasets.items():
        unlabelled = [s.id for s in dataset if s.labels is None]
        if unlabelled:
            raise DataFormatError(
                f"annotator {annotator}: sequence {unlabelled[0]!r} has no labels; compare "
                "needs labelled copies of the videos"
            )
        labels[int(annotator)] = {s.id: s.labels for s in dataset}
    reference = None if reference is None else int(reference)
    poses = datasets.get(0 if reference is None else reference)
    if poses is None and datasets:
        poses = datasets[min(datasets)] if reference is None else None
    return compare_labels(
        labels,
        poses,
        reference=reference,
        no_difference=no_difference,
        min_episode_s=min_episode_s,
        px_per_cm=px_per_cm,
    )


def compare_model(
    model: StylePredictor,
    sequences: Dataset,
    *,
    reference: int | None = None,
    annotators: list[int] | None = None,
    no_difference: NoDifference = NO_DIFFERENCE,
    min_episode_s: float = DEFAULT_MIN_EPISODE_S,
    px_per_cm: float | None = None,
    progress: Progress = NULL_PROGRESS,
) -> Comparison:
    """Label videos in every annotator's style with a trained model and compare the styles.

    Each sequence is labelled once per style (features and the reference model
    run once per sequence; see
    :meth:`~ethostyle.models.base.StylePredictor.log_proba_in_styles`), decoded
    with that annotator's decoder, and the labellings are compared as in
    :func:`compare_labels`. The sequences' own labels and annotator ids are ignored.

    Parameters
    ----------
    model : StylePredictor
        A fitted model.
    sequences : Dataset
        Videos to label (labelled or not).
    reference : int, optional
        The style the others are measured against; the model's reference
        annotator by default.
    annotators : list of int, optional
        Styles to compare; every style the model knows by default.
    no_difference : NoDifference
        Thresholds below which the summary calls a difference none.
    min_episode_s : float
        Shortest disagreement episode kept, in seconds.
    px_per_cm : float, optional
        Pixels per centimetre of the videos: pose features in cm and cm/s.
    progress : Progress, optional
        Receives progress in frames.

    Returns
    -------
    Comparison
        See :func:`compare_labels`; ``source`` is ``"style models"``.

    Raises
    ------
    UnknownAnnotatorError
        When ``reference`` or one of ``annotators`` has no style in the model.
    DataFormatError
        When ``sequences`` is empty.

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> sim = simulate("tiny", seed=0)
    >>> from ethostyle.models.boosted import StyleTransferModel  # doctest: +SKIP
    >>> model = StyleTransferModel().fit(sim.train)  # doctest: +SKIP
    >>> compare_model(model, sim.shared[0].without_labels()).annotators  # doctest: +SKIP
    (0, 1, 2, 3, 4, 5)
    """
    known = model.annotators_
    chosen = reference is not None
    reference = model.reference_annotator if reference is None else int(reference)
    wanted = sorted({reference, *(known if annotators is None else map(int, annotators))})
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise UnknownAnnotatorError(
            f"annotator {unknown[0]} has no style in this model (known: {known}); choose "
            "among those, or train with labels of that annotator"
        )
    if len(sequences) == 0:
        raise DataFormatError("no sequences to label; give at least one video")
    min_episode_frames(min_episode_s)  # checked before the long labelling
    checked_px_per_cm(px_per_cm)
    advance = progress.task("labelling styles", sequences.n_frames)
    labels: dict[int, dict[str, np.ndarray]] = {a: {} for a in wanted}
    for seq in sequences:
        styled = model.labels_in_styles(seq, wanted)
        for annotator in wanted:
            labels[annotator][seq.id] = styled[annotator][0]
        advance(seq.n_frames)
    comparison = compare_labels(
        labels,
        sequences,
        reference=reference,
        no_difference=no_difference,
        source="style models",
        min_episode_s=min_episode_s,
        px_per_cm=px_per_cm,
    )
    if chosen:
        return comparison
    return replace(
        comparison, reference_note=f"annotator {reference}, the model's reference annotator"
    )


def own_style_score(comparison: Comparison, sequences: Dataset) -> Task2Score:
    """Challenge score of the compared labels, each video in its own annotator's style.

    For labelled videos (e.g. a test split with its answers), this scores what
    :func:`compare_model` produced in the style of each video's ``annotator_id``
    against the video's true labels.

    Parameters
    ----------
    comparison : Comparison
        Labels of the videos in every style.
    sequences : Dataset
        The same videos with their true labels and annotator ids.

    Returns
    -------
    Task2Score
        See :func:`ethostyle.metrics.task2_score`.

    Raises
    ------
    DataFormatError
        When no video is labelled by an annotator whose style was compared.
    """
    usable = [
        s
        for s in sequences
        if s.labels is not None
        and s.id in comparison.sequence_ids
        and s.annotator_id in comparison.labels
    ]
    if not usable:
        raise DataFormatError(
            "no labelled video of a compared annotator; give videos with their labels to score"
        )
    truth = {s.id: s.labels for s in usable}
    predicted = {s.id: comparison.labels[s.annotator_id][s.id] for s in usable}
    return task2_score(truth, predicted, {s.id: s.annotator_id for s in usable})
