"""An ensemble of the boosted and the neural style-transfer models.

:class:`EnsembleStyleTransfer` averages the class probabilities of a
:class:`~ethostyle.models.boosted.StyleTransferModel` and a
:class:`~ethostyle.models.tcn.TCNStyleTransfer`, with a weight per annotator,
and labels the average with its own style program per annotator (every
family decodes through style programs). Weights and programs are chosen on
*held-out* predictions, by a two-fold cross-fit:

* fold 0 holds out 15 % of the reference annotator's videos and, of every other
  annotator, every second video (the first half of a single video);
* fold 1 holds out the other videos of the other annotators (the second half);
* in each fold, copies of both models are trained on the rest and predict the
  held-out videos in their annotators' styles.

For each annotator the weight of the neural model is taken from
:data:`WEIGHT_GRID`, with a style program searched for each candidate
(:func:`~ethostyle.models.program.fit_program`, on the average as a ``residual``;
the reference's first, when enough of its videos are held out, then each other
annotator's starting from it, as the boosted model does) and scored by its
held-out F1 (its start's, plus the held-out gains of the edits the search added):
``weight`` unless another gains at least ``min_gain``, and then, of the weights
within ``min_gain / 2`` of the best, the one nearest ``weight``. Finally both
models are trained on all the data. So the ensemble uses the neural model only
where, for that annotator, it scored higher on videos neither model had seen.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval

from ethostyle.data import Dataset, Sequence
from ethostyle.errors import ModelFormatError, ModelParameterError
from ethostyle.models.base import (
    ModelFiles,
    StylePredictor,
    UnknownAnnotatorWarning,
    held_out_reference,
    reference_sequence_ids,
    video_folds,
    warn_unknown_annotator,
)
from ethostyle.models.boosted import MIN_VIDEOS_FOR_REFERENCE_PROGRAM, StyleTransferModel
from ethostyle.models.manifest import MANIFEST, read_manifest
from ethostyle.models.program import StyleProgram, fit_program, pooled_f1, rule_features
from ethostyle.models.registry import register_family
from ethostyle.models.style_programs import saved_program, with_residual
from ethostyle.models.tcn import TCNStyleTransfer
from ethostyle.models.tcn_styles import styles_to_learn
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = ["WEIGHT_GRID", "EnsembleStyleTransfer", "HeldOut"]

logger = logging.getLogger(__name__)

#: Candidate weights of the neural model (0: boosted model only, 1: neural only).
WEIGHT_GRID: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
#: Name of the boosted model's sub-directory in a saved ensemble.
GBDT_DIRECTORY = "gbdt"


@dataclass(frozen=True, slots=True)
class HeldOut:
    """One held-out video (or half video) of an annotator, as both fold models saw it.

    Attributes
    ----------
    gbdt, tcn : numpy.ndarray
        ``(frames, 4)`` each model's probabilities in the annotator's style.
    features : numpy.ndarray
        ``(frames, rule features)`` the pose features style-program rules may read.
    labels : numpy.ndarray
        ``(frames,)`` the annotator's labels.
    """

    gbdt: np.ndarray
    tcn: np.ndarray
    features: np.ndarray
    labels: np.ndarray

    def mixed(self, weight: float) -> np.ndarray:
        """The ensemble's probabilities with the neural model at ``weight``."""
        return (1.0 - weight) * self.gbdt + weight * self.tcn


def _cut(seq: Sequence, start: int, stop: int, part: int) -> Sequence:
    return Sequence(
        id=f"{seq.id}#part{part}",
        keypoints=seq.keypoints[start:stop],
        annotator_id=seq.annotator_id,
        labels=None if seq.labels is None else seq.labels[start:stop],
        scores=None if seq.scores is None else seq.scores[start:stop],
    )


def _folds(train: Dataset, reference: int, seed: int) -> list[tuple[Dataset, Dataset]]:
    """The two (training, held-out) splits described in the module docstring."""
    ref = [s for s in train if s.annotator_id == reference]
    held_ref = set(
        held_out_reference([s.id for s in ref], np.random.default_rng(seed), min_videos=2)
    )
    held: list[list[Sequence]] = [[s for s in ref if s.id in held_ref], []]
    kept: list[list[Sequence]] = [[s for s in ref if s.id not in held_ref], list(ref)]
    for annotator in train.annotators:
        if annotator == reference:
            continue
        seqs = [s for s in train if s.annotator_id == annotator]
        split = video_folds([s.n_frames for s in seqs], n_folds=2)
        for k, (train_pieces, held_pieces) in enumerate(split):
            kept[k] += [_video_piece(seqs, p) for p in train_pieces]
            held[k] += [_video_piece(seqs, p) for p in held_pieces]
    return [
        (Dataset(kept[k], train.vocabulary), Dataset(held[k], train.vocabulary)) for k in (0, 1)
    ]


def _video_piece(seqs: list[Sequence], piece: tuple[int, int, int]) -> Sequence:
    """A fold's piece as a sequence: the whole video, or one of its two halves."""
    video, start, stop = piece
    seq = seqs[video]
    if start == 0 and stop == seq.n_frames:
        return seq
    return _cut(seq, start, stop, 1 if start == 0 else 2)


@register_family(
    "ensemble",
    kind="ensemble-style-transfer",
    members={"gbdt_model": "gbdt", "tcn_model": "tcn"},
)
class EnsembleStyleTransfer(StylePredictor):
    """Per-annotator weighted average of a boosted and a neural style-transfer model.

    Parameters
    ----------
    gbdt_model : StyleTransferModel
        The boosted model (fitted in place by :meth:`fit`).
    tcn_model : TCNStyleTransfer
        The neural model (fitted in place by :meth:`fit`).
    weight : float
        Default weight of the neural model in the average.
    tune_weights : bool
        Choose each annotator's weight from :data:`WEIGHT_GRID` on held-out videos.
    min_gain : float
        Held-out macro F1 another weight must gain over ``weight`` to replace it.
    seed : int
        Seed of the choice of held-out reference videos.

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> from ethostyle.models.boosted import StyleTransferModel
    >>> from ethostyle.models.tcn import TCNStyleTransfer
    >>> sim = simulate("tiny", seed=0)
    >>> gbdt = StyleTransferModel(reference_params={"n_estimators": 20})
    >>> tcn = TCNStyleTransfer(epochs=1, style_epochs=1)
    >>> model = EnsembleStyleTransfer(gbdt, tcn).fit(sim.train)  # doctest: +SKIP
    """

    _fitted_attribute: ClassVar[str] = "weights_"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "gbdt_model": [HasMethods(["fit", "log_proba_in_styles"])],
        "tcn_model": [HasMethods(["fit", "log_proba_in_styles"])],
        "weight": [Interval(Real, 0, 1, closed="both")],
        "tune_weights": ["boolean"],
        "min_gain": [Interval(Real, 0, None, closed="left")],
        "seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        gbdt_model: Any,
        tcn_model: Any,
        weight: float = 0.5,
        *,
        tune_weights: bool = True,
        min_gain: float = 0.005,
        seed: int = 0,
    ) -> None:
        self.gbdt_model = gbdt_model
        self.tcn_model = tcn_model
        self.weight = weight
        self.tune_weights = tune_weights
        self.min_gain = min_gain
        self.seed = seed

    @property
    def reference_annotator(self) -> int:
        """The annotator whose labels trained both reference models."""
        return int(self.gbdt_model.reference_annotator)

    # ------------------------------------------------------------------ fitting
    def fit(self, train: Dataset, *, progress: Progress = NULL_PROGRESS) -> EnsembleStyleTransfer:
        """Choose weights and programs by cross-fitting, then fit both models on everything.

        Parameters
        ----------
        train : Dataset
            Labelled sequences of the reference annotator and of the other annotators.
        progress : Progress, optional
            Receives progress of each step.

        Returns
        -------
        EnsembleStyleTransfer
            ``self``, fitted.

        Raises
        ------
        DataFormatError
            If the data are unlabelled or the reference annotator has no videos.
        """
        self._check_params()
        if self.gbdt_model.reference_annotator != self.tcn_model.reference_annotator:
            raise ModelParameterError(
                "the models have different reference annotators "
                f"({self.gbdt_model.reference_annotator} and "
                f"{self.tcn_model.reference_annotator}); give both the same reference_annotator"
            )
        reference_sequence_ids(train, self.reference_annotator)
        held_out = self._held_out(train, lambda part: self._fold_models(part, progress))
        self.weights_: dict[int, float] = {}
        self.programs_: dict[int, StyleProgram] = {}
        self._choose_all(held_out)
        self.gbdt_ = self.gbdt_model.fit(train, progress=progress)
        self.tcn_ = self.tcn_model.fit(train, progress=progress)
        self.feature_names_ = self.gbdt_.feature_names_
        return self

    def adapt(
        self,
        train: Dataset,
        *,
        unlabelled: Dataset | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> EnsembleStyleTransfer:
        """Learn the style of every annotator in ``train`` on top of both models' references.

        Both members adapt (their references are not retrained), and each new
        annotator's weight and program are chosen as in :meth:`fit`, on a two-fold
        cross-fit of copies of the members adapted to the other half of its videos,
        starting from the reference's program. Labels in the reference annotator's
        style stay exactly as they were; other annotators' styles are kept.

        Parameters
        ----------
        train : Dataset
            Labelled sequences of the annotators whose styles to learn.
        unlabelled : Dataset, optional
            Not used by this family (self-training is the boosted model's); must be None.
        progress : Progress, optional
            Receives progress of each step.

        Returns
        -------
        EnsembleStyleTransfer
            ``self``, with the new styles.

        Raises
        ------
        DataFormatError
            If the data are unlabelled, use another vocabulary or hold no annotator
            but the reference.
        ModelParameterError
            If ``unlabelled`` is given.
        """
        self._check_fitted()
        if unlabelled is not None:
            raise ModelParameterError(
                "the ensemble does not self-train on unlabelled videos (the boosted 'gbdt' "
                "model does); drop them"
            )
        train = styles_to_learn(train, self.reference_annotator)
        held_out = self._held_out(train, lambda part: self._fold_adapted(part, progress))
        start = self.program_for(self.reference_annotator)
        for annotator, items in sorted(held_out.items()):
            self.weights_[annotator], self.programs_[annotator] = self._choose(
                annotator, items, start
            )
        self.gbdt_.adapt(train, progress=progress)
        self.tcn_.adapt(train, progress=progress)
        return self

    def _fold_models(self, fold_train: Dataset, progress: Progress) -> tuple[Any, Any]:
        """Both members fitted afresh on a fold's training part (no programs searched)."""
        gbdt = clone(self.gbdt_model).set_params(tune_decoding=False)
        gbdt.fit(fold_train, progress=progress)
        tcn = clone(self.tcn_model).set_params(tune_decoding=False)
        tcn.fit(fold_train, progress=progress)
        return gbdt, tcn

    def _fold_adapted(self, fold_train: Dataset, progress: Progress) -> tuple[Any, Any]:
        """Copies of both fitted members adapted to a fold's training part."""
        members = []
        for member in (self.gbdt_, self.tcn_):
            copy = deepcopy(member).set_params(tune_decoding=False)
            with warnings.catch_warnings():  # the copies may replace a style: said by adapt
                warnings.simplefilter("ignore", UserWarning)
                members.append(copy.adapt(fold_train, progress=progress))
        return members[0], members[1]

    def _held_out(
        self, train: Dataset, fold_models: Callable[[Dataset], tuple[Any, Any]]
    ) -> dict[int, list[HeldOut]]:
        """Per annotator, its videos held out of a fold, as that fold's models saw them.

        ``fold_models`` gives the (boosted, neural) models of a fold's training part.
        """
        held_out: dict[int, list[HeldOut]] = {}
        folds = _folds(train, self.reference_annotator, self.seed)
        for k, (fold_train, fold_held) in enumerate(folds):
            if len(fold_held) == 0:  # the reference's videos alone: fold 1 holds none out
                continue
            logger.info(
                "ensemble fold %d: %d training, %d held-out sequences",
                k,
                len(fold_train),
                len(fold_held),
            )
            gbdt, tcn = fold_models(fold_train)
            # Style-program rules read the base pose features (in their own units).
            self.feature_names_ = gbdt.feature_names_
            columns = rule_features(gbdt.feature_names_)
            for seq in fold_held:
                who = seq.annotator_id
                scores, _, features = gbdt._scores(seq, [who])
                held_out.setdefault(who, []).append(
                    HeldOut(
                        np.exp(scores[who]),
                        np.exp(tcn.sequence_log_proba(seq)),
                        features[:, columns],
                        seq.labels,
                    )
                )
        return held_out

    def _choose_all(self, held_out: dict[int, list[HeldOut]]) -> None:
        """Weights and programs: the reference's first, then every other annotator's."""
        reference = self.reference_annotator
        start = with_residual(StyleProgram())
        if reference in held_out:
            enough = len(held_out[reference]) >= MIN_VIDEOS_FOR_REFERENCE_PROGRAM
            self.weights_[reference], start = self._choose(
                reference, held_out[reference], start, search=enough
            )
        # A reference with no held-out video keeps the defaults.
        self.weights_.setdefault(reference, self.weight)
        self.programs_[reference] = start
        for annotator, items in sorted(held_out.items()):
            if annotator != reference:
                chosen = self._choose(annotator, items, start)
                self.weights_[annotator], self.programs_[annotator] = chosen

    def _choose(
        self,
        annotator: int,
        items: list[HeldOut],
        start: StyleProgram,
        *,
        search: bool = True,
    ) -> tuple[float, StyleProgram]:
        """Weight and program of one annotator from its held-out predictions.

        Each candidate weight's program is searched from ``start`` (unless not
        ``search``) and scored by its held-out F1: ``start``'s plus the held-out
        gains of the edits the search added.
        """
        names = self.feature_names_
        rule_names = [names[i] for i in rule_features(names)]
        grid = WEIGHT_GRID if self.tune_weights else ()
        scored: dict[float, tuple[float, StyleProgram]] = {}
        for w in sorted({self.weight, *grid}):
            probas = [v.mixed(w) for v in items]
            videos = [(p, v.features, v.labels) for p, v in zip(probas, items, strict=True)]
            program = start
            if search:
                residual_videos = [(*v, p) for v, p in zip(videos, probas, strict=True)]
                program = fit_program(residual_videos, rule_names, start=start)
            f1 = pooled_f1(start, videos, rule_names, probas)
            scored[w] = (f1 + sum(e.gain for e in program.own_edits), program)
        top = max(f1 for f1, _ in scored.values())
        best = self.weight
        if top >= scored[self.weight][0] + self.min_gain:
            # Of the weights within min_gain/2 of the best, the one nearest the default.
            near = [w for w, (f1, _) in scored.items() if f1 >= top - self.min_gain / 2]
            best = min(near, key=lambda w: (abs(w - self.weight), w))
        logger.info(
            "annotator %d: held-out F1 by neural weight %s; chose %.2f",
            annotator,
            {w: round(f1, 4) for w, (f1, _) in scored.items()},
            best,
        )
        return best, scored[best][1]

    # --------------------------------------------------------------- predicting
    def _styled_annotators(self) -> list[int]:
        return list(self.weights_)

    def weight_for(self, annotator: int) -> float:
        """The neural model's weight for an annotator (the reference's for unknown ones)."""
        self._check_fitted()
        return self.weights_.get(int(annotator), self.weights_[self.reference_annotator])

    def program_for(self, annotator: int) -> StyleProgram:
        """The style program of an annotator (the reference's for unknown ones).

        Every program labels the ensemble's own average in the annotator's style
        (a ``residual`` edit).

        Parameters
        ----------
        annotator : int
            Annotator id.

        Returns
        -------
        StyleProgram
            Its program; :meth:`StyleProgram.describe` states it in words.
        """
        self._check_fitted()
        fallback = self.programs_.get(self.reference_annotator, StyleProgram())
        program = self.programs_.get(int(annotator), fallback)
        return program if program.has_residual else with_residual(program)

    def _scores(
        self, sequence: Sequence, annotators: list[int] | None
    ) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray]:
        """Log of the weighted average probabilities in annotators' styles; the reference's;
        the pose features.

        An unknown annotator gets the reference style and one ``UnknownAnnotatorWarning``.
        """
        self._check_fitted()
        who_all = self.annotators_ if annotators is None else [int(a) for a in annotators]
        for who in who_all:
            if who not in self.weights_:
                warn_unknown_annotator(sequence.id, who, self.annotators_, self.reference_annotator)
        wanted = list(dict.fromkeys([*who_all, self.reference_annotator]))
        with warnings.catch_warnings():  # warned once above, not once per model
            warnings.simplefilter("ignore", UnknownAnnotatorWarning)
            gbdt, _, features = self.gbdt_._scores(sequence, wanted)
            tcn = self.tcn_.log_proba_in_styles(sequence, wanted)
        out = {}
        for who in wanted:
            w = self.weight_for(who)
            with np.errstate(divide="ignore"):
                out[who] = np.log((1.0 - w) * np.exp(gbdt[who]) + w * np.exp(tcn[who]))
        return {who: out[who] for who in who_all}, out[self.reference_annotator], features

    # -------------------------------------------------------------- persisting
    def save(self, directory: str | Path) -> dict[str, Any]:
        """Write both models into ``directory``; return the manifest entry.

        The boosted model's weights go to ``directory/gbdt``, the neural one's to
        ``directory/tcn.pt``; both members' configurations are part of the one
        returned (the model store checksums every file under ``directory``).

        Parameters
        ----------
        directory : str or Path
            Folder to write into (created if missing).

        Returns
        -------
        dict
            The JSON-serialisable configuration :meth:`load` needs back.
        """
        self._check_fitted()
        directory = Path(directory)
        (directory / GBDT_DIRECTORY).mkdir(parents=True, exist_ok=True)
        gbdt_config = self.gbdt_.save(directory / GBDT_DIRECTORY)
        return {
            "kind": "ensemble-style-transfer",
            "gbdt": {"directory": GBDT_DIRECTORY, "config": gbdt_config},
            "tcn": self.tcn_.save(directory),
            "weight": self.weight,
            "tune_weights": self.tune_weights,
            "min_gain": self.min_gain,
            "seed": self.seed,
            "styles": [
                {
                    "annotator": a,
                    "weight": self.weights_[a],
                    "program": self.programs_[a].to_dict(),
                }
                for a in sorted(self.weights_)
            ],
        }

    @classmethod
    def load(
        cls, directory: ModelFiles | str | Path, config: dict[str, Any], *, device: str = "cpu"
    ) -> EnsembleStyleTransfer:
        """Rebuild an ensemble from its checked directory and :meth:`save`'s configuration.

        Ensembles saved before the envelope held every member's configuration
        kept the boosted member as a model directory of its own
        (``config["gbdt"]`` is then its folder name); those load too.

        Raises
        ------
        ModelFormatError
            If the configuration or either model is incomplete or damaged.
        """
        directory = ModelFiles.of(directory)
        try:
            gbdt = _load_gbdt_member(directory, config["gbdt"])
            tcn = TCNStyleTransfer.load(directory, config["tcn"], device=device)
            model = cls(
                gbdt,
                tcn,
                float(config["weight"]),
                tune_weights=bool(config["tune_weights"]),
                min_gain=float(config["min_gain"]),
                seed=int(config["seed"]),
            )
            model.weights_ = {int(s["annotator"]): float(s["weight"]) for s in config["styles"]}
            where = f"{directory.manifest}: ensemble.styles"
            model.programs_ = {
                int(s["annotator"]): saved_program(s, f"{where}[{i}]")
                for i, s in enumerate(config["styles"])
            }
        except ModelFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(
                f"{directory.path}: incomplete ensemble configuration ({exc!r}); retrain the model"
            ) from None
        if not all(0.0 <= w <= 1.0 for w in model.weights_.values()):
            raise ModelFormatError(f"{directory.path}: ensemble weights must lie in [0, 1]")
        model.gbdt_, model.tcn_ = gbdt, tcn
        model.feature_names_ = gbdt.feature_names_
        return model


def _load_gbdt_member(directory: ModelFiles, entry: Any) -> StyleTransferModel:
    """The boosted member of a saved ensemble, in the layout of either version."""
    if isinstance(entry, str):  # a model directory of its own, with its own manifest
        sub = directory.path / Path(entry).name
        manifest = read_manifest(sub)
        files = ModelFiles(sub, sub / MANIFEST, dict(manifest["files"]))
        return StyleTransferModel.load(files, manifest.get("config", manifest))
    return StyleTransferModel.load(directory.sub(str(entry["directory"])), entry["config"])
