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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ethostyle.compare.comparison import TABLE_COLUMNS, Comparison
from ethostyle.compare.episodes import episode_pairs, episode_table
from ethostyle.compare.inputs import (
    checked_label_sets,
    checked_poses,
    chosen_reference,
    video_rates,
)
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
    Pooled,
    behavior_row,
    bout_f1_by_behavior,
    bout_pairs,
    frame_f1_by_behavior,
    pool,
    unmatched_frames,
)
from ethostyle.compare.motifs import with_motifs
from ethostyle.compare.pairwise import pairwise_table
from ethostyle.compare.summary import (
    NO_DIFFERENCE,
    NoDifference,
    summarize,
)
from ethostyle.data import BEHAVIORS, FPS, Dataset
from ethostyle.errors import DataFormatError, EthostyleError, UnknownAnnotatorError
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


#: Shortest disagreement episode kept by default, in seconds.
DEFAULT_MIN_EPISODE_S = 0.5
#: Percentiles of each feature (over the frames an annotator labels a behaviour)
#: copied into :attr:`Comparison.table` as ``<feature>_<q>`` columns.
_TABLE_QUANTILES = ("q05", "q50", "q95")


# Past 80 lines only by its signature and docstring (63 lines, every option documented);
# the body is the comparison's named steps, each a function of its own.
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
    checked, ids, anchor = checked_label_sets(labels, reference)
    poses = None if sequences is None else checked_poses(sequences, ids, checked[anchor])
    features = None if poses is None else sequence_features(poses, px_per_cm)
    everyone = sorted(checked)
    pairwise = pairwise_table(checked, ids, everyone)
    reference, reference_note = chosen_reference(reference, anchor, pairwise, everyone)
    annotators = (reference, *(a for a in sorted(checked) if a != reference))
    video_fps = video_rates(poses, ids)
    measured = _measure_all(checked, ids, annotators, features, specs, no_difference)
    return Comparison(
        reference=reference,
        annotators=annotators,
        sequence_ids=ids,
        labels=checked,
        features=features,
        no_difference=no_difference,
        source=source,
        pairwise=pairwise,
        episodes=_episodes(checked, ids, annotators, features, specs, min_frames, video_fps),
        min_episode_s=float(min_episode_s),
        reference_note=reference_note,
        video_fps=video_fps,
        poses=poses,
        px_per_cm=checked_px_per_cm(px_per_cm),
        **measured,
    )


def _measure_all(
    checked: dict[int, dict[str, np.ndarray]],
    ids: tuple[str, ...],
    annotators: tuple[int, ...],
    features: dict[str, dict[str, np.ndarray]] | None,
    specs: Mapping[str, Feature],
    no_difference: NoDifference,
) -> dict[str, Any]:
    """Every annotator against the reference (``annotators[0]``): the fields of
    :class:`Comparison` that hold measures, by name."""
    reference = annotators[0]
    pooled_features = (
        None
        if features is None
        else {name: np.concatenate([features[i][name] for i in ids]) for name in specs}
    )
    measured = _Measured()
    for annotator in annotators:
        pooled = pool(checked[reference], checked[annotator], ids)
        _measure(measured, pooled, annotator, reference, checked, pooled_features, specs)
        if annotator != reference:
            _measure_differences(measured, pooled, annotator, pooled_features, specs, no_difference)
    table, pairs_df, unmatched_df, lines_df, differences_df = measured.frames()
    summaries = summarize(
        table,
        unmatched_df,
        lines_df,
        reference,
        no_difference,
        differences=differences_df,
        features=specs,
    )
    return {
        "table": table,
        "bout_pairs": pairs_df,
        "unmatched": unmatched_df,
        "feature_lines": lines_df,
        "summaries": summaries,
        "differences": differences_df,
    }


def _episodes(
    checked: dict[int, dict[str, np.ndarray]],
    ids: tuple[str, ...],
    annotators: tuple[int, ...],
    features: dict[str, dict[str, np.ndarray]] | None,
    specs: Mapping[str, Feature],
    min_frames: int,
    video_fps: dict[str, float],
) -> pd.DataFrame:
    """The disagreement episodes of every pair (the reference, ``annotators[0]``, first)."""
    return episode_table(
        checked,
        ids,
        episode_pairs(annotators, annotators[0]),
        min_frames=min_frames,
        fps=video_fps,
        features=features,
        feature_names=tuple(specs),
    )


@dataclass
class _Measured:
    """The rows and tables of every annotator, gathered one annotator at a time."""

    rows: list[dict] = field(default_factory=list)
    pairs: list[pd.DataFrame] = field(default_factory=list)
    unmatched: list[pd.DataFrame] = field(default_factory=list)
    lines: list[pd.DataFrame] = field(default_factory=list)
    differences: list[pd.DataFrame] = field(default_factory=list)

    def frames(
        self,
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The table, bout pairs, unmatched bouts, feature lines and differences."""
        table = pd.DataFrame(self.rows)
        extra_columns = [c for c in table.columns if c not in TABLE_COLUMNS]
        table = table[[*TABLE_COLUMNS, *extra_columns]]
        pairs_df = _first(pd.concat(self.pairs, ignore_index=True), "annotator")
        unmatched_df = _first(pd.concat(self.unmatched, ignore_index=True), "annotator")
        lines_df = (
            _first(pd.concat(self.lines, ignore_index=True), "annotator", "behavior")
            if self.lines
            else pd.DataFrame()
        )
        differences_df = (
            _first(pd.concat(self.differences, ignore_index=True), "annotator")
            if self.differences
            else pd.DataFrame(columns=list(DIFFERENCE_COLUMNS))
        )
        return table, pairs_df, unmatched_df, lines_df, differences_df


def _measure(
    measured: _Measured,
    pooled: Pooled,
    annotator: int,
    reference: int,
    checked: dict[int, dict[str, np.ndarray]],
    pooled_features: dict[str, np.ndarray] | None,
    specs: Mapping[str, Feature],
) -> None:
    """One annotator's row per behaviour, its bout pairs, unmatched bouts and feature lines."""
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
            measured.lines.append(quantiles.assign(annotator=annotator, behavior=behavior))
            labelled = quantiles[quantiles["frames_of"] == "labelled"].set_index("feature")
            for name in specs:
                for q in _TABLE_QUANTILES:
                    row[f"{name}_{q}"] = labelled.loc[name, q]
        measured.rows.append(row)
        measured.pairs.append(bout_pairs(pooled, behavior).assign(annotator=annotator))
        measured.unmatched.append(unmatched_frames(pooled, behavior).assign(annotator=annotator))


def _measure_differences(
    measured: _Measured,
    pooled: Pooled,
    annotator: int,
    pooled_features: dict[str, np.ndarray] | None,
    specs: Mapping[str, Feature],
    no_difference: NoDifference,
) -> None:
    """Every difference of one annotator from the reference, per behaviour, with its interval."""
    for behavior in BEHAVIORS:
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
        measured.differences.append(found.assign(annotator=annotator))


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
        See :func:`compare_labels`; ``source`` is ``"style models"``; ``motifs``
        and the episodes' motif with a motif model (:mod:`ethostyle.compare.motifs`).

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
    chosen = reference is not None
    reference, wanted = _checked_styles(model, reference, annotators, sequences)
    min_episode_frames(min_episode_s)  # checked before the long labelling
    checked_px_per_cm(px_per_cm)
    labels = _labels_in_styles(model, sequences, wanted, progress)
    comparison = compare_labels(
        labels,
        sequences,
        reference=reference,
        no_difference=no_difference,
        source="style models",
        min_episode_s=min_episode_s,
        px_per_cm=px_per_cm,
    )
    note = f"annotator {reference}, the model's reference annotator"
    comparison = with_motifs(comparison, model, sequences)
    return comparison if chosen else replace(comparison, reference_note=note)


def _checked_styles(
    model: StylePredictor, reference: int | None, annotators: list[int] | None, sequences: Dataset
) -> tuple[int, list[int]]:
    """The reference style (the model's own by default) and every style to label
    ``sequences`` in (which must hold a video)."""
    known = model.annotators_
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
    return reference, wanted


def _labels_in_styles(
    model: StylePredictor, sequences: Dataset, wanted: list[int], progress: Progress
) -> dict[int, dict[str, np.ndarray]]:
    """Annotator -> sequence id -> the model's labels of that video in that style."""
    advance = progress.task("labelling styles", sequences.n_frames)
    labels: dict[int, dict[str, np.ndarray]] = {a: {} for a in wanted}
    for seq in sequences:
        styled = model.labels_in_styles(seq, wanted)
        for annotator in wanted:
            labels[annotator][seq.id] = styled[annotator][0]
        advance(seq.n_frames)
    return labels


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
