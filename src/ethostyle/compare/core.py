"""Label the same videos in every annotator's style and measure where the styles disagree.

Two entry points give the same :class:`Comparison`:

- :func:`compare_model`: a trained :class:`~ethostyle.styles.StyleTransferModel`
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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ethostyle.compare.lines import (
    FEATURES,
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
from ethostyle.compare.summary import NO_DIFFERENCE, NoDifference, summarize
from ethostyle.data import BEHAVIORS, FPS, VOCABULARY, Dataset
from ethostyle.decode import decode
from ethostyle.errors import DataFormatError, UnknownAnnotatorError
from ethostyle.metrics import Task2Score, task2_score
from ethostyle.progress import NULL_PROGRESS, Progress
from ethostyle.styles import StyleTransferModel

__all__ = [
    "TABLE_COLUMNS",
    "Comparison",
    "compare_annotators",
    "compare_labels",
    "compare_model",
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
    fps : float
        Frames per second.
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
    fps: float = FPS

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
    labels: Mapping[int, Mapping[str, np.ndarray]], reference: int
) -> tuple[dict[int, dict[str, np.ndarray]], tuple[str, ...]]:
    """Validate that every annotator labelled the reference's sequences, frame for frame."""
    if not isinstance(labels, Mapping) or not labels:
        raise DataFormatError(
            "compare needs labels of at least two annotators: {annotator: {sequence id: labels}}"
        )
    annotators = sorted(int(a) for a in labels)
    if reference not in annotators:
        raise UnknownAnnotatorError(
            f"reference annotator {reference} is not among the compared annotators "
            f"{annotators}; choose one of them as the reference"
        )
    if len(annotators) < 2:
        raise DataFormatError(
            f"only annotator {reference} has labels; compare needs at least two annotators' "
            "labels of the same videos"
        )
    ref = labels[reference]
    ids = tuple(ref)
    if not ids:
        raise DataFormatError(f"annotator {reference} (the reference) labelled no sequence")
    out: dict[int, dict[str, np.ndarray]] = {}
    for annotator in annotators:
        given = labels[annotator]
        out[annotator] = {}
        for sid in ids:
            if sid not in given:
                raise DataFormatError(
                    f"annotator {annotator} has no labels for sequence {sid!r}, which annotator "
                    f"{reference} labelled; compare needs every annotator's labels of the same "
                    "videos"
                )
            out[annotator][sid] = _checked_array(given[sid], annotator, sid, len(ref[sid]))
        extra = set(given) - set(ids)
        if extra:
            logger.warning(
                "annotator %d: ignoring %d sequence(s) the reference did not label, e.g. %r",
                annotator,
                len(extra),
                sorted(extra)[0],
            )
    return out, ids


def _checked_array(values: object, annotator: int, sid: str, n_frames: int) -> np.ndarray:
    a = np.asarray(values)
    where = f"annotator {annotator}, sequence {sid!r}"
    if a.ndim != 1:
        raise DataFormatError(f"{where}: labels have shape {a.shape}; give one label per frame")
    if a.shape[0] != n_frames:
        raise DataFormatError(
            f"{where}: {a.shape[0]} labels but the reference has {n_frames}; compare needs "
            "labels of the same frames"
        )
    if a.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(a) | (a != np.round(a)))
        if bad.size:
            raise DataFormatError(
                f"{where}, frame {bad[0]}: label {a[bad[0]]} is not a whole number; give "
                f"indices into {list(VOCABULARY)}"
            )
    elif a.dtype.kind not in "iu":
        raise DataFormatError(
            f"{where}: labels are {a.dtype}, not integers; give indices into {list(VOCABULARY)}"
        )
    bad = np.flatnonzero((a < 0) | (a >= len(VOCABULARY)))
    if bad.size:
        raise DataFormatError(
            f"{where}, frame {bad[0]}: label {a[bad[0]]} is outside 0-{len(VOCABULARY) - 1}; "
            f"labels index {list(VOCABULARY)}"
        )
    return a.astype(np.int8)


def _checked_features(
    sequences: Dataset, ids: tuple[str, ...], labels: dict[str, np.ndarray]
) -> dict[str, dict[str, np.ndarray]]:
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
    return sequence_features(chosen)


def compare_labels(
    labels: Mapping[int, Mapping[str, np.ndarray]],
    sequences: Dataset | None = None,
    *,
    reference: int = 0,
    no_difference: NoDifference = NO_DIFFERENCE,
    source: str = "the annotators' own labels",
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
        (``feature_lines`` and the percentile columns); without them these are
        left out.
    reference : int
        The annotator the others are measured against.
    no_difference : NoDifference
        Thresholds below which the summary calls a difference none.
    source : str
        What produced the labels, for the report.

    Returns
    -------
    Comparison
        Tables, summaries and the labels compared.

    Raises
    ------
    UnknownAnnotatorError
        When ``reference`` has no labels.
    DataFormatError
        When fewer than two annotators are given, a sequence is missing or of
        another length, or a label is not a class index.

    Examples
    --------
    >>> import numpy as np
    >>> labels = {0: {"v": np.array([3, 1, 1, 1, 3, 3])}, 1: {"v": np.array([1, 1, 1, 1, 3, 3])}}
    >>> c = compare_labels(labels)
    >>> c.table.set_index(["annotator", "behavior"]).loc[(1, "investigation"), "onset_shift_s"]
    np.float64(-0.03333333333333333)
    """
    reference = int(reference)
    checked, ids = _checked_labels(labels, reference)
    features = None if sequences is None else _checked_features(sequences, ids, checked[reference])
    pooled_features = (
        None
        if features is None
        else {name: np.concatenate([features[i][name] for i in ids]) for name in FEATURES}
    )
    annotators = (reference, *(a for a in sorted(checked) if a != reference))
    rows, pairs, unmatched, lines = [], [], [], []
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
                for name in FEATURES:
                    for q in _TABLE_QUANTILES:
                        row[f"{name}_{q}"] = labelled.loc[name, q]
            rows.append(row)
            pairs.append(bout_pairs(pooled, behavior).assign(annotator=annotator))
            unmatched.append(unmatched_frames(pooled, behavior).assign(annotator=annotator))
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
    summaries = summarize(table, unmatched_df, lines_df, reference, no_difference)
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
    )


def _first(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with ``columns`` moved to the front."""
    return frame[[*columns, *(c for c in frame.columns if c not in columns)]]


def compare_annotators(
    datasets: Mapping[int, Dataset],
    *,
    reference: int = 0,
    no_difference: NoDifference = NO_DIFFERENCE,
) -> Comparison:
    """Compare several annotators' labelled copies of the same videos.

    Parameters
    ----------
    datasets : mapping of int to Dataset
        Annotator -> labelled data set of the same videos (e.g.
        ``simulate(...).shared``). The reference's poses are used for the
        pose-feature comparison.
    reference : int
        The annotator the others are measured against.
    no_difference : NoDifference
        Thresholds below which the summary calls a difference none.

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
    reference = int(reference)
    poses = datasets.get(reference)
    return compare_labels(labels, poses, reference=reference, no_difference=no_difference)


def compare_model(
    model: StyleTransferModel,
    sequences: Dataset,
    *,
    reference: int | None = None,
    annotators: list[int] | None = None,
    no_difference: NoDifference = NO_DIFFERENCE,
    progress: Progress = NULL_PROGRESS,
) -> Comparison:
    """Label videos in every annotator's style with a trained model and compare the styles.

    Each sequence is labelled once per style (features and the reference model
    run once per sequence; see
    :meth:`~ethostyle.styles.StyleTransferModel.log_proba_in_styles`), decoded
    with that annotator's decoder, and the labellings are compared as in
    :func:`compare_labels`. The sequences' own labels and annotator ids are ignored.

    Parameters
    ----------
    model : StyleTransferModel
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
    >>> model = StyleTransferModel().fit(sim.train)  # doctest: +SKIP
    >>> compare_model(model, sim.shared[0].without_labels()).annotators  # doctest: +SKIP
    (0, 1, 2, 3, 4, 5)
    """
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
    advance = progress.task("labelling styles", sequences.n_frames)
    labels: dict[int, dict[str, np.ndarray]] = {a: {} for a in wanted}
    for seq in sequences:
        log_proba = model.log_proba_in_styles(seq, wanted)
        for annotator in wanted:
            proba = np.exp(log_proba[annotator]).astype(np.float32)
            labels[annotator][seq.id] = decode(proba, model.decoder_for(annotator))
        advance(seq.n_frames)
    return compare_labels(
        labels,
        sequences,
        reference=reference,
        no_difference=no_difference,
        source="style models",
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
