"""The search: greedy forward selection of edits on held-out videos (:func:`fit_program`).

Each round tries every searched kind (:data:`~.edits.SEARCHED_KINDS`) for every
behaviour, as its spec says: a grid kind's parameter coarse then fine, a rule kind's
rule from depth-2 trees (:mod:`.rules`). A candidate's parameter is chosen on the
training folds only and scored on the held-out fold (each video is cut into runs
of equal labelled frames, at least four folds where the videos are long enough, each
held out in turn: :mod:`.folds`), so its gain is honest. The candidate with the best
pooled held-out F1 gain is accepted if that gain is at least the penalty; its parameter is
then refitted on all videos, and its effect in frames measured (:mod:`.effect`).
Every decoding is vectorised over frames and the per video confusion matrices of one
decoding serve every fold at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ethostyle.data import VOCABULARY
from ethostyle.decode import check_proba, log_scores, segment_starts
from ethostyle.errors import DataFormatError
from ethostyle.metrics import check_frame_labels, confusion_counts
from ethostyle.metrics import macro_f1_of_confusion as _f1
from ethostyle.metrics.labelled import labelled_mask
from ethostyle.models.program.edits import (
    BEHAVIOR_IDS,
    KINDS,
    SEARCHED_KINDS,
    Condition,
    Edit,
    GridSearch,
    MotifSearch,
    RuleSearch,
)
from ethostyle.models.program.effect import measure_effect
from ethostyle.models.program.folds import search_folds
from ethostyle.models.program.motif_search import best_motif_edit, motif_options
from ethostyle.models.program.pipeline import Frames, compile_edits, execute
from ethostyle.models.program.plan import Plan
from ethostyle.models.program.rules import quantile_bins, rule_features, tree_rules
from ethostyle.models.program.selection import Candidate, choose, held_out_gain, required_gain
from ethostyle.models.program.style_program import StyleProgram
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = [
    "DEFAULT_MAX_EDITS",
    "DEFAULT_PENALTY",
    "Video",
    "fit_program",
    "pooled_f1",
    "residual_gain",
]

logger = logging.getLogger(__name__)

#: Smallest pooled held-out macro-F1 gain an edit must bring (see the package docstring).
DEFAULT_PENALTY = 0.008
#: Most edits :func:`fit_program` adds to a program.
DEFAULT_MAX_EDITS = 8
# Smallest leaf of a rule's tree, in frames.
_MIN_LEAF_FRAMES = 30
_N = len(VOCABULARY)


@dataclass(frozen=True, slots=True)
class Video:
    """One video of an annotator, as the search sees it.

    Parameters
    ----------
    proba : numpy.ndarray
        ``(frames, 4)`` class probabilities of a reference model that never trained
        on the video.
    features : numpy.ndarray or None
        ``(frames, features)`` pose features (None: no rule edits).
    labels : numpy.ndarray
        ``(frames,)`` the annotator's labels.
    residual : numpy.ndarray, optional
        ``(frames, 4)`` probabilities of a residual model fitted without the video.
    motifs : numpy.ndarray, optional
        ``(frames,)`` the motif of each frame (:mod:`ethostyle.motifs`; None: no
        motif edits).

    Examples
    --------
    >>> import numpy as np
    >>> Video.of((np.full((2, 4), 0.25), None, np.array([3, 3])), "video 0").residual is None
    True
    """

    proba: np.ndarray
    features: np.ndarray | None
    labels: np.ndarray
    residual: np.ndarray | None = None
    motifs: np.ndarray | None = None

    @classmethod
    def of(cls, item: Video | SequenceABC[Any], where: str) -> Video:
        """A :class:`Video`, or one from a ``(proba, features, labels[, residual])`` tuple."""
        if isinstance(item, Video):
            return item
        if len(item) not in (3, 4):
            raise DataFormatError(
                f"{where}: give (proba, features, labels) or (proba, features, labels, "
                "residual proba)"
            )
        return cls(*item)

    def checked(self, where: str) -> Video:
        """The video with its arrays checked: float64 probabilities, int64 labels."""
        p = check_proba(self.proba, where)
        r = None
        if self.residual is not None:
            r = check_proba(self.residual, f"{where}, residual probabilities")
            if r.shape != p.shape:
                raise DataFormatError(
                    f"{where}: residual probabilities of shape {r.shape}; expected {p.shape}"
                )
        y = check_frame_labels(self.labels, p.shape[0], where)
        x = self.features
        if x is not None:
            x = np.asarray(x)
            if x.ndim != 2 or x.shape[0] != p.shape[0]:
                raise DataFormatError(
                    f"{where}: features of shape {x.shape}; expected ({p.shape[0]}, features)"
                )
        m = self.motifs
        if m is not None:
            m = np.asarray(m)
            if m.shape != y.shape or m.dtype.kind not in "iu" or (m.size and m.min() < 0):
                raise DataFormatError(
                    f"{where}: motifs of shape {m.shape}; expected ({y.size},) motif ids >= 0"
                )
            m = m.astype(np.int64)
        return Video(p, x, y, r, m)


#: What the search is given per video: a :class:`Video`, or the tuple it was before.
VideoLike = Video | tuple[Any, ...]


class _Search:
    """The pooled frames of an annotator's videos, their folds, and candidate scoring."""

    def __init__(
        self, videos: SequenceABC[VideoLike], feature_names: SequenceABC[str] | None, smooth: int
    ) -> None:
        checked = [
            Video.of(v, f"video {i} of {len(videos)}").checked(f"video {i} of {len(videos)}")
            for i, v in enumerate(videos)
        ]
        if not checked:
            raise DataFormatError("no videos to fit a style program on; give at least one")
        lengths = [v.labels.size for v in checked]
        self.n_videos = len(checked)
        self.n = sum(lengths)
        self.true = np.concatenate([v.labels for v in checked])
        self.labelled = labelled_mask(self.true)
        self.fold = search_folds(self.labelled, lengths)
        self.k = int(self.fold.max()) + 1
        # Frames nobody labelled count in one more fold that no score reads.
        self.cm_index = np.where(
            self.labelled, self.fold * _N * _N + self.true * _N, self.k * _N * _N
        )
        logp = np.concatenate([log_scores(v.proba, smooth) for v in checked])
        residual_logp = None
        with_residual = [v.residual is not None for v in checked]
        if any(with_residual):
            if not all(with_residual):
                raise DataFormatError("give residual probabilities for every video or for none")
            residual_logp = np.concatenate([log_scores(v.residual, smooth) for v in checked])  # type: ignore[arg-type]
        self.rule_names: list[str] = []
        x_rule = None
        feats = [v.features for v in checked]
        if feature_names is not None and all(x is not None for x in feats):
            cols = rule_features(feature_names)
            if any(x.shape[1] != len(feature_names) for x in feats):  # type: ignore[union-attr]
                raise DataFormatError(
                    f"give one name per feature column ({len(feature_names)} names)"
                )
            self.rule_names = [feature_names[i] for i in cols]
            x_rule = np.concatenate([np.asarray(x[:, cols], np.float32) for x in feats])  # type: ignore[index]
        self.x_rule = x_rule
        self.edges, self.codes = (None, None) if x_rule is None else quantile_bins(x_rule)
        motifs = None
        if all(v.motifs is not None for v in checked):
            motifs = np.concatenate([v.motifs for v in checked])  # type: ignore[misc]
        self.motifs = motifs
        self.frames = Frames(
            logp, segment_starts(lengths), x_rule, self.rule_names, residual_logp, motifs
        )

    def cms(self, labels: np.ndarray) -> np.ndarray:
        """``(folds, 4, 4)`` confusion matrices of labels over all frames."""
        counts = np.bincount(self.cm_index + labels, minlength=(self.k + 1) * _N * _N)
        return counts[: self.k * _N * _N].reshape(self.k, _N, _N)

    def cms_of(self, plan: Plan, step: int, trace: dict[str, np.ndarray]) -> np.ndarray:
        return self.cms(execute(plan, self.frames, step, trace))


class _Fitter:
    """Greedy forward selection of edits (see :func:`fit_program`)."""

    def __init__(
        self,
        search: _Search,
        program: StyleProgram,
        min_leaf: int,
        motif_words: SequenceABC[str] = (),
    ) -> None:
        self.s = search
        self.program = program
        self.min_leaf = min_leaf
        self.motif_words = list(motif_words)
        self.penalty = 0.0

    def round(self) -> Candidate | None:
        """The best candidate edit of one round (None: no candidate changes anything)."""
        self.trace: dict[str, np.ndarray] = {}
        self.labels = execute(self.program.plan, self.s.frames, keep=self.trace)
        self.base = self.s.cms(self.labels)
        own = {e.key for e in self.program.own_edits}
        best: Candidate | None = None
        for kind in SEARCHED_KINDS:
            spec = KINDS[kind]
            if isinstance(spec.search, MotifSearch):
                for c in BEHAVIOR_IDS:
                    cand = self._motif(kind, spec.search, c, own)
                    if self._better(cand, best):
                        best = cand
                continue
            for c in BEHAVIOR_IDS:
                partners = [d for d in BEHAVIOR_IDS if d != c] if spec.key_fields else [None]
                for d in partners:
                    key = (kind, c) if d is None else (kind, c, d)
                    if key in own:
                        continue
                    if isinstance(spec.search, RuleSearch):
                        cand = self._rule(kind, spec.search, c)
                    else:
                        assert isinstance(spec.search, GridSearch)
                        cand = self._grid(kind, spec.search, c, d)
                    if self._better(cand, best):
                        best = cand
        return best

    def _better(self, cand: Candidate | None, best: Candidate | None) -> bool:
        """Whether ``cand`` clears its own penalty by more than ``best`` clears its."""
        if cand is None:
            return False
        if best is None:
            return True
        surplus = cand.gain - required_gain(cand, self.penalty)
        return surplus > best.gain - required_gain(best, self.penalty)

    def run(self, max_edits: int, penalty: float, progress: Progress) -> StyleProgram:
        """Greedy rounds while the best edit's held-out gain reaches its penalty."""
        self.penalty = penalty
        self._greedy(max_edits, penalty, progress.task("style program", max_edits))
        return self.program

    def _greedy(self, rounds: int, penalty: float, advance: Any) -> None:
        """Add the best edit of each round while its held-out gain reaches ``penalty``."""
        for round_ in range(rounds):
            best = self.round()
            advance(1)
            if best is None or best.gain < required_gain(best, penalty) or best.gain <= 0:
                logger.info(
                    "style program: stop after %d edit(s); best next gain %s < %.3f (%s)",
                    round_,
                    "none" if best is None else f"{best.gain:+.4f}",
                    penalty,
                    None if best is None else best.edit,
                )
                return
            logger.info(
                "style program: + %s (held-out gain %+.4f; per fold %s)",
                best.edit,
                best.gain,
                np.round(best.fold_gains, 4).tolist(),
            )
            self._take(best)

    def _take(self, best: Candidate) -> None:
        """Append a candidate's edit, and the edits chosen with it, each with its effect."""
        for edit in (best.edit, *best.more):
            # The effect of each is measured from the labels of the program before it.
            self.labels = execute(self.program.plan, self.s.frames)
            self.program = self.program.with_edit(self.effect_of(edit))

    def effect_of(self, edit: Edit) -> Edit:
        """The edit with its effect on the labels of all videos (None for ``residual``)."""
        if edit.behavior is None:
            return edit
        after = execute(compile_edits((*self.program.edits, edit)), self.s.frames)
        seg = self.s.frames.seg_start
        return replace(
            edit, effect=measure_effect(self.labels, after, edit.behavior, seg, self.s.n_videos)
        )

    def _grid(self, kind: str, grid: GridSearch, c: int, d: int | None) -> Candidate | None:
        step = KINDS[kind].step
        coarse = grid.coarse(c)
        options: list[Any] = [None]  # None: the program unchanged
        cms = [self.base]

        def evaluate(values: list[Any]) -> None:
            for v in values:
                options.append(v)
                plan = compile_edits((*self.program.edits, grid.make(c, d, v)))
                cms.append(self.s.cms_of(plan, step, self.trace))

        evaluate(coarse)
        k = self.s.k
        sizes = np.array([0.0] + [grid.size(v) for v in coarse])
        allowed = np.ones((k + 1, len(options)), dtype=bool)
        picks, pick_all = choose(np.stack(cms), sizes, allowed)
        # Refine around each fold's own coarse best (and the pooled best): a fold may
        # then pick only among the coarse grid and its own refinement.
        own_best = [options[i] for i in (*picks, pick_all)]
        fine: list[set[Any]] = [set(grid.refine(v)) if v is not None else set() for v in own_best]
        extra = sorted(set().union(*fine) - set(coarse), key=repr)
        evaluate(extra)
        sizes = np.array([0.0] + [grid.size(v) for v in options[1:]])
        allowed = np.zeros((k + 1, len(options)), dtype=bool)
        allowed[:, : len(coarse) + 1] = True
        for row, values in enumerate(fine):
            for j, v in enumerate(extra):
                allowed[row, len(coarse) + 1 + j] = v in values
        stacked = np.stack(cms)
        picks, pick_all = choose(stacked, sizes, allowed, midpoint=grid.plateau)
        if pick_all == 0:
            return None
        gain, folds = held_out_gain(stacked, picks, self.base)
        return Candidate(gain, replace(grid.make(c, d, options[pick_all]), gain=gain), folds)

    def _motif(self, kind: str, how: MotifSearch, c: int, own: set[Any]) -> Candidate | None:
        """The best edit of a motif kind for behaviour ``c``: every motif scored at once."""
        s = self.s
        if s.motifs is None:
            return None
        options = motif_options(
            how.variants(c),
            self.labels,
            s.motifs,
            s.true,
            s.fold,
            s.frames.near,
            self.base,
            s.frames.seg_start,
        )
        cand = best_motif_edit(how, c, options, own, self.base, self.motif_words)
        if cand is not None:
            logger.debug(
                "motif candidate %s %s: gain %+.4f on %s bouts (%d motifs)",
                kind,
                VOCABULARY[c],
                cand.gain,
                cand.evidence,
                1 + len(cand.more),
            )
        return cand

    def _rule(self, kind: str, how: RuleSearch, c: int) -> Candidate | None:
        s = self.s
        if s.x_rule is None or not s.rule_names:
            return None
        assert s.codes is not None and s.edges is not None
        step = KINDS[kind].step
        region = how.region(self.trace[str(step)], c, s.frames.near) & s.labelled
        target = (s.true == c) if how.adds else (s.true != c)
        rules_by_fold: list[list[tuple[Condition, ...]]] = []
        for f in (*range(s.k), None):
            train = region if f is None else region & (s.fold != f)
            base_cm = self.base.sum(axis=0) if f is None else self.base.sum(axis=0) - self.base[f]
            found = tree_rules(
                s.codes,
                s.edges,
                s.rule_names,
                train,
                target,
                behavior=c,
                base_cm=base_cm,
                adds=how.adds,
                min_leaf=self.min_leaf,
            )
            rules_by_fold.append(found)
        unique = sorted({r for rules in rules_by_fold for r in rules}, key=repr)
        if not unique:
            return None
        cms = [self.base]
        for rule in unique:
            plan = compile_edits((*self.program.edits, how.make(c, rule)))
            cms.append(s.cms_of(plan, step, self.trace))
        allowed = np.zeros((s.k + 1, len(unique) + 1), dtype=bool)
        allowed[:, 0] = True
        for row, rules in enumerate(rules_by_fold):
            for rule in rules:
                allowed[row, 1 + unique.index(rule)] = True
        sizes = np.array([0.0] + [len(r) for r in unique])
        stacked = np.stack(cms)
        picks, pick_all = choose(stacked, sizes, allowed)
        if pick_all == 0:
            return None
        gain, folds = held_out_gain(stacked, picks, self.base)
        return Candidate(gain, replace(how.make(c, unique[pick_all - 1]), gain=gain), folds)


def fit_program(
    videos: SequenceABC[VideoLike],
    feature_names: SequenceABC[str] | None,
    *,
    start: StyleProgram | None = None,
    penalty: float = DEFAULT_PENALTY,
    max_edits: int = DEFAULT_MAX_EDITS,
    min_leaf: int = _MIN_LEAF_FRAMES,
    motif_descriptions: SequenceABC[str] | None = None,
    progress: Progress = NULL_PROGRESS,
) -> StyleProgram:
    """Fit one annotator's style program by greedy forward selection on held-out videos.

    Parameters
    ----------
    videos : sequence of Video, or of (proba, features, labels[, residual]) tuples
        Per video of the annotator (:class:`Video`): ``(frames, 4)`` class
        probabilities of a reference model that never trained on it, ``(frames,
        features)`` pose features (None: no rule edits) and ``(frames,)`` the
        annotator's labels; when ``start`` has a ``residual`` edit, also the
        ``(frames, 4)`` probabilities of a residual model fitted without that video.
    feature_names : sequence of str or None
        Names of the feature columns; rules use only the base pose features
        (:func:`rule_features`).
    start : StyleProgram, optional
        Where the search starts (e.g. the reference annotator's program); its
        edits are kept and marked inherited. Default: plain argmax.
    penalty : float
        Smallest pooled held-out macro-F1 gain an edit must bring (δ).
    max_edits : int
        Most edits added.
    min_leaf : int
        Fewest frames in a rule tree's leaf (grows to 2% of the frames it is fitted on).
    motif_descriptions : sequence of str, optional
        Each motif in words, kept with a motif edit (the videos' ``motifs`` give
        each frame's motif; without them no motif edit is tried).
    progress : Progress, optional
        Receives one unit per search round.

    Returns
    -------
    StyleProgram
        ``start`` plus the accepted edits (each with its held-out gain and its
        effect on these videos), parameters refitted on all videos.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(rng.choice(4, 300, p=[0.1, 0.3, 0.1, 0.5]), 30)
    >>> p = np.eye(4)[y] * 0.7 + 0.075
    >>> late = StyleProgram(edits=(Edit("onset_shift", "investigation", frames=12),))
    >>> videos = [Video(p[:4500], None, late.apply(p[:4500])),
    ...           Video(p[4500:], None, late.apply(p[4500:]))]
    >>> [(e.kind, e.behavior_name, e.frames) for e in fit_program(videos, None).edits]
    [('onset_shift', 'investigation', 12)]
    """
    start = start or StyleProgram()
    if not 0 <= penalty < 1:
        raise ValueError(f"penalty={penalty} must be in [0, 1)")
    program = StyleProgram(start.smooth, start.edits, inherited=len(start.edits))
    search = _Search(videos, feature_names, program.smooth)
    fitter = _Fitter(search, program, min_leaf, motif_descriptions or ())
    return fitter.run(max_edits, penalty, progress)


def residual_gain(
    program: StyleProgram,
    videos: SequenceABC[VideoLike],
    feature_names: SequenceABC[str] | None,
    residual_probas: SequenceABC[np.ndarray],
) -> float:
    """Pooled held-out F1 gain of taking a program's scores from a residual model.

    Parameters
    ----------
    program : StyleProgram
        The annotator's program without a residual edit.
    videos : sequence of Video or (proba, features, labels)
        As for :func:`fit_program`.
    feature_names : sequence of str or None
        Names of the feature columns.
    residual_probas : sequence of numpy.ndarray
        Per video, ``(frames, 4)`` probabilities of the residual model *fitted
        without that video* (leave one video out).

    Returns
    -------
    float
        Held-out macro F1 with the residual scores minus without; add
        ``Edit("residual", gain=g)`` to the program when ``g`` is at least the penalty.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat(np.arange(4), 50)
    >>> p = np.full((200, 4), 0.25)
    >>> round(residual_gain(StyleProgram(), [(p, None, y)], None, [np.eye(4)[y]]), 3)
    0.867
    """
    if len(residual_probas) != len(videos):
        raise DataFormatError(
            f"{len(residual_probas)} residual probability arrays for {len(videos)} videos"
        )
    without = pooled_f1(program, videos, feature_names)
    with_res = pooled_f1(
        program.with_edit(Edit("residual")), videos, feature_names, residual_probas
    )
    return with_res - without


def pooled_f1(
    program: StyleProgram,
    videos: SequenceABC[VideoLike],
    feature_names: SequenceABC[str] | None,
    residual: SequenceABC[np.ndarray] | None = None,
) -> float:
    """Macro F1 of the behaviours of a program's labels, frames of all videos pooled.

    Parameters
    ----------
    program : StyleProgram
        The program.
    videos : sequence of Video or (proba, features, labels)
        As for :func:`fit_program`.
    feature_names : sequence of str or None
        Names of the feature columns.
    residual : sequence of numpy.ndarray, optional
        Per video, the residual model's probabilities (for a program with a
        ``residual`` edit); default: each :class:`Video`'s own.

    Returns
    -------
    float
        Pooled macro F1 (attack, investigation, mount).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat(np.arange(4), 50)
    >>> pooled_f1(StyleProgram(), [(np.eye(4)[y], None, y)], None)
    1.0
    """
    cm = np.zeros((_N, _N), np.int64)
    for i, item in enumerate(videos):
        video = Video.of(item, f"video {i} of {len(videos)}")
        x = video.features
        pred = program.apply(
            video.proba,
            x,
            feature_names if x is not None else None,
            residual=video.residual if residual is None else residual[i],
            motifs=video.motifs,
        )
        cm += confusion_counts(np.asarray(video.labels, np.int64), pred)
    return float(_f1(cm))
