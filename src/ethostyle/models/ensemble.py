"""An ensemble of the boosted and the neural style-transfer models.

:class:`EnsembleStyleTransfer` averages the class probabilities of a
:class:`~ethostyle.models.boosted.StyleTransferModel` and a
:class:`~ethostyle.models.tcn.TCNStyleTransfer`, with a weight per annotator,
and decodes the average with its own per-annotator decoder. Weights and
decoders are chosen on *held-out* predictions, by a two-fold cross-fit:

* fold 0 holds out 15 % of the reference annotator's videos and, of every other
  annotator, every second video (the first half of a single video);
* fold 1 holds out the other videos of the other annotators (the second half);
* in each fold, copies of both models are trained on the rest and predict the
  held-out videos in their annotators' styles.

For each annotator the weight of the neural model is taken from
:data:`WEIGHT_GRID`, with a decoder tuned for each candidate: ``weight`` unless
another gains at least ``min_gain`` held-out F1, and then, of the weights within
``min_gain / 2`` of the best, the one nearest ``weight`` (as
:func:`~ethostyle.decode.tune_decoder` regularises toward its defaults). Finally both models are
trained on all the data. So the ensemble uses the neural model only where, for
that annotator, it scored higher on videos neither model had seen.
"""

from __future__ import annotations

import logging
import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval

from ethostyle.data import Dataset, Sequence
from ethostyle.decode import DEFAULT_DECODER, DecoderParams, decode, tune_decoder
from ethostyle.errors import ModelFormatError, ModelParameterError
from ethostyle.metrics import frame_f1
from ethostyle.models.base import (
    ModelFiles,
    StylePredictor,
    UnknownAnnotatorWarning,
    held_out_reference,
    reference_sequence_ids,
    video_folds,
    warn_unknown_annotator,
)
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.manifest import MANIFEST, read_manifest
from ethostyle.models.registry import register_family
from ethostyle.models.tcn import TCNStyleTransfer
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = ["WEIGHT_GRID", "EnsembleStyleTransfer"]

logger = logging.getLogger(__name__)

#: Candidate weights of the neural model (0: boosted model only, 1: neural only).
WEIGHT_GRID: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
#: Name of the boosted model's sub-directory in a saved ensemble.
GBDT_DIRECTORY = "gbdt"


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
        """Choose weights and decoders by cross-fitting, then fit both models on everything.

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
        held_out: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for k, (fold_train, fold_held) in enumerate(
            _folds(train, self.reference_annotator, self.seed)
        ):
            logger.info(
                "ensemble fold %d: %d training, %d held-out sequences",
                k,
                len(fold_train),
                len(fold_held),
            )
            gbdt = clone(self.gbdt_model).set_params(tune_decoding=False)
            gbdt.fit(fold_train, progress=progress)
            tcn = clone(self.tcn_model).set_params(tune_decoding=False)
            tcn.fit(fold_train, progress=progress)
            for seq in fold_held:
                p_gbdt = np.exp(gbdt.sequence_log_proba(seq))
                p_tcn = np.exp(tcn.sequence_log_proba(seq))
                held_out.setdefault(seq.annotator_id, []).append((p_gbdt, p_tcn, seq.labels))
        self.weights_: dict[int, float] = {}
        self.decoders_: dict[int, DecoderParams] = {}
        for annotator, items in sorted(held_out.items()):
            self.weights_[annotator], self.decoders_[annotator] = self._choose(annotator, items)
        # A single reference video is never held out: its style keeps the defaults.
        self.weights_.setdefault(self.reference_annotator, self.weight)
        self.decoders_.setdefault(self.reference_annotator, DEFAULT_DECODER)
        self.gbdt_ = self.gbdt_model.fit(train, progress=progress)
        self.tcn_ = self.tcn_model.fit(train, progress=progress)
        return self

    def _choose(
        self, annotator: int, items: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    ) -> tuple[float, DecoderParams]:
        """Weight and decoder of one annotator from its held-out predictions."""
        truths = [y for *_, y in items]
        truth = np.concatenate(truths)
        grid = WEIGHT_GRID if self.tune_weights else ()
        scored = {}
        for w in sorted({self.weight, *grid}):
            probas = [(1.0 - w) * g + w * t for g, t, _ in items]
            decoder = tune_decoder(probas, truths)
            pred = np.concatenate([decode(p, decoder) for p in probas])
            scored[w] = (frame_f1(truth, pred), decoder)
        top = max(s for s, _ in scored.values())
        best = self.weight
        if top >= scored[self.weight][0] + self.min_gain:
            # Of the weights within min_gain/2 of the best, the one nearest the default.
            near = [w for w, (s, _) in scored.items() if s >= top - self.min_gain / 2]
            best = min(near, key=lambda w: (abs(w - self.weight), w))
        logger.info(
            "annotator %d: held-out F1 by neural weight %s; chose %.2f",
            annotator,
            {w: round(s, 4) for w, (s, _) in scored.items()},
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

    def decoder_for(self, annotator: int) -> DecoderParams:
        """The decoding used for an annotator (the reference's for unknown ones)."""
        self._check_fitted()
        fallback = self.decoders_.get(self.reference_annotator, DEFAULT_DECODER)
        return self.decoders_.get(int(annotator), fallback)

    def log_proba_in_styles(
        self, sequence: Sequence, annotators: list[int] | None = None
    ) -> dict[int, np.ndarray]:
        """Log of the weighted average probabilities, in several annotators' styles.

        Parameters
        ----------
        sequence : Sequence
            The sequence (its labels are ignored).
        annotators : list of int, optional
            Whose styles; defaults to every annotator the model knows. An unknown
            annotator gets the reference style and an ``UnknownAnnotatorWarning``.

        Returns
        -------
        dict of int to numpy.ndarray
            Annotator id to ``(frames, classes)`` float64 log-probabilities.
        """
        self._check_fitted()
        who_all = self.annotators_ if annotators is None else [int(a) for a in annotators]
        for who in who_all:
            if who not in self.weights_:
                warn_unknown_annotator(sequence.id, who, self.annotators_, self.reference_annotator)
        with warnings.catch_warnings():  # warned once above, not once per model
            warnings.simplefilter("ignore", UnknownAnnotatorWarning)
            gbdt = self.gbdt_.log_proba_in_styles(sequence, who_all)
            tcn = self.tcn_.log_proba_in_styles(sequence, who_all)
        out = {}
        for who in who_all:
            w = self.weight_for(who)
            with np.errstate(divide="ignore"):
                out[who] = np.log((1.0 - w) * np.exp(gbdt[who]) + w * np.exp(tcn[who]))
        return out

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
                {"annotator": a, "weight": self.weights_[a], "decoder": self.decoders_[a].to_dict()}
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
            model.decoders_ = {
                int(s["annotator"]): DecoderParams.from_dict(s["decoder"]) for s in config["styles"]
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
        return model


def _load_gbdt_member(directory: ModelFiles, entry: Any) -> StyleTransferModel:
    """The boosted member of a saved ensemble, in the layout of either version."""
    if isinstance(entry, str):  # a model directory of its own, with its own manifest
        sub = directory.path / Path(entry).name
        manifest = read_manifest(sub)
        files = ModelFiles(sub, sub / MANIFEST, dict(manifest["files"]))
        return StyleTransferModel.load(files, manifest.get("config", manifest))
    return StyleTransferModel.load(directory.sub(str(entry["directory"])), entry["config"])
