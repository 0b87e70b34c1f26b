"""A temporal convolutional network that learns each annotator's labelling style.

:class:`TCNStyleTransfer` has the public interface of
:class:`ethostyle.models.boosted.StyleTransferModel`, with a PyTorch network in place of
LightGBM (the optional ``torch`` extra; torch is imported only when a model is
fitted or loaded, so the rest of ethostyle works without it).

How it learns:

1. the per-frame features of :mod:`ethostyle.features` are standardised (mean
   and standard deviation of the training frames, stored in the model);
2. *pretraining*: the whole network (:class:`~ethostyle.models.tcn_net.StyleTCN`,
   dilated non-causal 1-D convolutions) learns the reference annotator's labels
   from random windows of ``window`` frames;
3. *styles*: the network is then fine-tuned on every annotator at once: each
   batch mixes windows of the other annotators, scored in their own styles, with
   windows of the reference annotator (``replay``), so the shared network learns
   what all labs see without forgetting the reference. Each style is a FiLM of
   the last blocks plus a correction of the output logits, both zero at the start
   (a new style *is* the reference) and held toward zero by an L2 penalty. A
   behaviour with fewer than ``min_bouts_for_evidence`` bouts in an annotator's
   videos keeps exactly the reference's probability (the evidence mask of
   :mod:`ethostyle.models.boosted`);
4. each annotator decodes through a style program
   (:func:`ethostyle.models.program.fit_program`), searched on held-out
   predictions as the boosted model's are: the reference's on the reference
   videos held out of pretraining (when there are at least
   ``MIN_VIDEOS_FOR_REFERENCE_PROGRAM``), and each style's, starting from the
   reference's program applied to the style's own probabilities (a ``residual``
   edit), on a two-fold cross-fit over the annotator's videos (one video is cut
   in halves; each fold fine-tunes afresh from the pretrained network).

Training is deterministic on the CPU for a fixed seed and thread count.
"""

from __future__ import annotations

import contextlib
import logging
import math
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval

from ethostyle.atomic import atomic_write_path
from ethostyle.data import VOCABULARY, Dataset, Sequence
from ethostyle.errors import ModelFormatError, ModelParameterError
from ethostyle.features import check_feature_names, compute_features, sequence_features
from ethostyle.models.base import (
    ModelFiles,
    StylePredictor,
    bout_counts,
    held_out_reference,
    reference_sequence_ids,
    warn_unknown_annotator,
)
from ethostyle.models.boosted import MIN_BOUTS_FOR_EVIDENCE
from ethostyle.models.gbdt import log_softmax
from ethostyle.models.program import StyleProgram, rule_features
from ethostyle.models.registry import register_family
from ethostyle.models.style_programs import saved_program, with_residual
from ethostyle.models.tcn_styles import StyleLearning
from ethostyle.models.tcn_training import (
    MissingExtraError,
    Segments,
    TrainingData,
    default_threads,
    import_torch,
    load_weights,
    standardise,
    style_log_proba,
    torch_device,
    torch_session,
    train_steps,
)
from ethostyle.progress import NULL_PROGRESS, Progress

if TYPE_CHECKING:
    from ethostyle.models.tcn_net import StyleTCN

__all__ = ["WEIGHTS_FILE", "MissingExtraError", "TCNStyleTransfer"]

logger = logging.getLogger(__name__)

#: Name of the state-dict file :meth:`TCNStyleTransfer.save` writes.
WEIGHTS_FILE = "tcn.pt"
#: Constructor parameters of where and how fast a model runs, not what it is.
_NOT_SAVED = ("device", "num_threads")
_N_CLASSES = len(VOCABULARY)


@register_family("tcn", kind="tcn-style-transfer")
class TCNStyleTransfer(StyleLearning, StylePredictor):
    """A temporal convolutional network with one style per annotator.

    Parameters
    ----------
    reference_annotator : int
        The annotator with many videos whose labels pretrain the network.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``.
    seed : int
        Random seed (training is deterministic on the CPU for a fixed seed).
    epochs : float
        Pretraining passes over the reference annotator's frames.
    style_epochs : float
        Passes over the other annotators' frames in the joint fine-tuning.
    channels : int
        Hidden channels of the network.
    dilations : tuple of int
        Dilation of each residual block (kernel 3: receptive field ``1 + 2 * sum``).
    style_blocks : int
        How many of the last blocks each style modulates.
    window : int
        Frames per training window.
    batch_size : int
        Windows per optimisation step.
    learning_rate : float
        Peak learning rate of pretraining (AdamW, one-cycle schedule).
    finetune_learning_rate : float
        Peak learning rate of the shared network while the styles are trained.
    style_learning_rate : float
        Peak learning rate of the styles' departures from the reference.
    replay : float
        Share of each style-training batch drawn from the reference annotator, so
        that the shared network keeps what it learned from the many reference videos.
    style_l2 : float
        L2 penalty on each style's departure from the reference.
    dropout : float
        Dropout in the network.
    min_bouts_for_evidence : int
        Bouts of a behaviour an annotator's videos must show before its style may
        change that behaviour's probability.
    tune_decoding : bool
        Search each annotator's style program on held-out predictions (else argmax).
    num_threads : int, optional
        CPU threads for torch (default: half the cores this process may use).

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> sim = simulate("tiny", seed=0)
    >>> model = TCNStyleTransfer(epochs=1, style_epochs=1).fit(sim.train)
    >>> labels, proba = model.predict_sequence(sim.test[sim.test.ids[0]])
    >>> proba.shape[1]
    4
    """

    _fitted_attribute: ClassVar[str] = "net_"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "reference_annotator": [Interval(Integral, 0, None, closed="left")],
        "device": [str],
        "seed": [Interval(Integral, 0, None, closed="left")],
        "epochs": [Interval(Real, 0, None, closed="neither")],
        "style_epochs": [Interval(Real, 0, None, closed="left")],
        "channels": [Interval(Integral, 1, None, closed="left")],
        "dilations": [tuple, list],
        "style_blocks": [Interval(Integral, 0, None, closed="left")],
        "window": [Interval(Integral, 2, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "finetune_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "style_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "replay": [Interval(Real, 0, 1, closed="both")],
        "style_l2": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "min_bouts_for_evidence": [Interval(Integral, 0, None, closed="left")],
        "tune_decoding": ["boolean"],
        "num_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        reference_annotator: int = 0,
        device: str = "cpu",
        seed: int = 0,
        epochs: float = 16.0,
        style_epochs: float = 8.0,
        channels: int = 64,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
        style_blocks: int = 2,
        window: int = 512,
        batch_size: int = 16,
        learning_rate: float = 2e-3,
        finetune_learning_rate: float = 5e-4,
        style_learning_rate: float = 5e-3,
        replay: float = 0.5,
        style_l2: float = 1e-3,
        dropout: float = 0.1,
        min_bouts_for_evidence: int = MIN_BOUTS_FOR_EVIDENCE,
        tune_decoding: bool = True,
        num_threads: int | None = None,
    ) -> None:
        self.reference_annotator = reference_annotator
        self.device = device
        self.seed = seed
        self.epochs = epochs
        self.style_epochs = style_epochs
        self.channels = channels
        self.dilations = dilations
        self.style_blocks = style_blocks
        self.window = window
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.finetune_learning_rate = finetune_learning_rate
        self.style_learning_rate = style_learning_rate
        self.replay = replay
        self.style_l2 = style_l2
        self.dropout = dropout
        self.min_bouts_for_evidence = min_bouts_for_evidence
        self.tune_decoding = tune_decoding
        self.num_threads = num_threads

    # ------------------------------------------------------------------ helpers
    def _session(self, torch: Any) -> contextlib.AbstractContextManager[None]:
        threads = self.num_threads if self.num_threads else default_threads()
        return torch_session(torch, self.seed, threads)

    def _new_net(self, n_features: int, n_styles: int) -> StyleTCN:
        from ethostyle.models.tcn_net import StyleTCN

        return StyleTCN(
            n_features,
            n_styles,
            channels=self.channels,
            dilations=tuple(self.dilations),
            style_blocks=self.style_blocks,
            dropout=self.dropout,
            n_classes=_N_CLASSES,
        )

    def _evidence(self, label_arrays: list[np.ndarray]) -> np.ndarray:
        return bout_counts(label_arrays) >= self.min_bouts_for_evidence

    def _steps(self, epochs: float, n_frames: int, windows_per_step: int) -> int:
        return math.ceil(epochs * n_frames / (self.window * windows_per_step))

    # ------------------------------------------------------------------ fitting
    def fit(self, train: Dataset, *, progress: Progress = NULL_PROGRESS) -> TCNStyleTransfer:
        """Pretrain on the reference annotator, then learn every other annotator's style.

        Parameters
        ----------
        train : Dataset
            Labelled sequences of the reference annotator and of the annotators
            whose styles to learn.
        progress : Progress, optional
            Receives progress of each step.

        Returns
        -------
        TCNStyleTransfer
            ``self``, fitted.

        Raises
        ------
        DataFormatError
            If the data are unlabelled or the reference annotator has no videos.
        MissingExtraError
            If PyTorch is not installed.
        EthostyleError
            If the device is unknown or absent.
        """
        torch = import_torch()
        device = torch_device(torch, self.device)
        self._check_params()
        ref_ids = reference_sequence_ids(train, self.reference_annotator)
        with self._session(torch):
            self._fit(torch, device, train, ref_ids, progress)
        return self

    def _fit(
        self, torch: Any, device: Any, train: Dataset, ref_ids: list[str], progress: Progress
    ) -> None:
        rng = np.random.default_rng(self.seed)
        table = compute_features(train, progress=progress.task("features", train.n_frames))
        labels = np.concatenate([s.labels for s in train]).astype(np.int64)
        held = held_out_reference(ref_ids, rng)
        others = [a for a in train.annotators if a != self.reference_annotator]
        self.feature_names_ = list(table.names)
        self.style_annotators_ = others
        # The programs' rules read pose features in their own units: copied before the
        # table (ours) is standardised in place.
        rule_columns = rule_features(table.names)
        rules = table.values[:, rule_columns]
        mean, std = standardise(table.values, [table.rows(sid) for sid in held])

        net = self._new_net(table.values.shape[1], len(others)).to(device)
        with torch.no_grad():
            net.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            net.feature_std.copy_(torch.as_tensor(std, dtype=torch.float32))
        self.net_ = net
        data = TrainingData(
            torch, device, table.values, labels, rules, [table.names[i] for i in rule_columns]
        )
        reference = Segments.of([table.rows(i) for i in ref_ids if i not in held], slot=-1)
        steps = self._steps(self.epochs, reference.n_frames, self.batch_size)
        logger.info("pretraining: %d steps over %d frames", steps, reference.n_frames)
        train_steps(
            net,
            data,
            [(reference, self.batch_size)],
            [{"params": net.reference_parameters(), "lr": self.learning_rate}],
            steps,
            rng,
            window=self.window,
            advance=progress.task("TCN pretraining", steps),
        )

        parts = {
            slot: [table.rows(s.id) for s in train if s.annotator_id == annotator]
            for slot, annotator in enumerate(others)
        }
        self.evidence_ = {
            a: self._evidence([labels[r] for r in parts[slot]]) for slot, a in enumerate(others)
        }
        self.style_counts_ = {
            a: (len(parts[slot]), sum(r.stop - r.start for r in parts[slot]))
            for slot, a in enumerate(others)
        }
        held_out = self._fit_styles(data, parts, reference, rng, progress) if others else {}
        self._fit_programs(data, [table.rows(sid) for sid in held], held_out)

    def adapt(
        self,
        train: Dataset,
        *,
        unlabelled: Dataset | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> TCNStyleTransfer:
        """Learn the style of every annotator in ``train`` on top of this model's reference.

        The shared network, the reference head and the reference's program are not
        retrained, so labels in the reference annotator's style stay exactly as they
        were; each new style (its FiLM and head correction, from zero) and its
        program are learned as in :meth:`fit`. Other annotators' styles are kept.
        This is the challenge's route: fit on Task 1, adapt on Task 2.

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
        TCNStyleTransfer
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
                "the tcn model does not self-train on unlabelled videos (the boosted "
                "'gbdt' model does); drop them"
            )
        torch = import_torch()
        device = torch_device(torch, self.device)
        with self._session(torch):
            self._adapt(torch, device, train, progress)
        return self

    # --------------------------------------------------------------- predicting
    def _styled_annotators(self) -> list[int]:
        return list(self.style_annotators_)

    def _scores(
        self, sequence: Sequence, annotators: list[int] | None
    ) -> tuple[dict[int, np.ndarray], np.ndarray, np.ndarray]:
        """Per annotator its style log-probabilities; the reference's; the pose features.

        The features and the network's shared encoder run once for all styles. An
        annotator without a style gets the reference style and an
        :class:`~ethostyle.models.base.UnknownAnnotatorWarning`.

        Raises
        ------
        ModelFormatError
            If the model was trained on other features than this ethostyle computes.
        """
        self._check_fitted()
        torch = import_torch()
        who_all = self.annotators_ if annotators is None else [int(a) for a in annotators]
        slots = {a: i for i, a in enumerate(self.style_annotators_)}
        for who in who_all:
            if who not in slots and who != self.reference_annotator:
                warn_unknown_annotator(sequence.id, who, self.annotators_, self.reference_annotator)
        if sequence.n_frames == 0:
            empty = np.zeros((0, _N_CLASSES))
            features = np.zeros((0, len(self.feature_names_)), np.float32)
            return {who: empty for who in who_all}, empty, features
        values, names = sequence_features(sequence)
        check_feature_names(names, self.feature_names_, sequence.id)
        net = self.net_
        device = net.feature_mean.device
        with self._session(torch), torch.inference_mode():
            net.eval()
            xs = net.standardise(torch.from_numpy(values).to(device).T[None])
            h = net.encode(xs)
            ref = torch.log_softmax(net.head_logits(h, torch.full((1,), -1, device=device)), 1)
            reference = log_softmax(ref[0].T.double().cpu().numpy())
            out: dict[int, np.ndarray] = {}
            for who in who_all:
                slot = slots.get(who)
                if slot is None:
                    out[who] = reference
                    continue
                logp = style_log_proba(torch, net, h, ref, slot, self.evidence_[who])
                out[who] = log_softmax(logp[0].T.double().cpu().numpy())
        return out, reference, values

    def program_for(self, annotator: int) -> StyleProgram:
        """The style program of an annotator (the reference's for unknown ones).

        Every program labels the network's own probabilities in the annotator's
        style (a ``residual`` edit); the reference's, its reference head's.

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
        program = self.style_programs_.get(int(annotator), self.reference_program_)
        return program if program.has_residual else with_residual(program)

    # -------------------------------------------------------------- persisting
    def save(self, directory: str | Path) -> dict[str, Any]:
        """Write the network's weights to ``directory/tcn.pt``; return the manifest entry.

        Only tensors are written (a torch state dict); everything else (layout,
        annotators, evidence, style programs) is in the returned JSON-serialisable dict,
        which :meth:`load` needs back.

        Parameters
        ----------
        directory : str or Path
            Folder to write into (created if missing).

        Returns
        -------
        dict
            The configuration to store in the model manifest.
        """
        self._check_fitted()
        torch = import_torch()
        path = Path(directory) / WEIGHTS_FILE
        state = {k: v.detach().cpu().contiguous() for k, v in self.net_.state_dict().items()}
        # A file handle, not a name: torch names the archive inside after the file it
        # writes (here a random temporary name), so identical weights gave other bytes.
        with atomic_write_path(path) as tmp, open(tmp, "wb") as fh:
            torch.save(state, fh)
        return {
            "kind": "tcn-style-transfer",
            "weights": WEIGHTS_FILE,
            "params": {
                **{k: v for k, v in self.get_params().items() if k not in _NOT_SAVED},
                "dilations": [int(d) for d in self.dilations],
            },
            "feature_names": list(self.feature_names_),
            "reference_program": self.reference_program_.to_dict(),
            "styles": [
                {
                    "annotator": int(a),
                    "evidence": [bool(v) for v in self.evidence_[a]],
                    "program": self.style_programs_[a].to_dict(),
                    "n_videos": int(self.style_counts_[a][0]),
                    "n_frames": int(self.style_counts_[a][1]),
                }
                for a in self.style_annotators_
            ],
        }

    @classmethod
    def load(
        cls, directory: ModelFiles | str | Path, config: dict[str, Any], *, device: str = "cpu"
    ) -> TCNStyleTransfer:
        """Rebuild a model from :meth:`save`'s directory and returned configuration.

        Parameters
        ----------
        directory : ModelFiles
            The checked model directory holding ``tcn.pt``.
        config : dict
            What :meth:`save` returned.
        device : str
            Where to run the loaded network.

        Returns
        -------
        TCNStyleTransfer
            The fitted model.

        Raises
        ------
        ModelFormatError
            If the configuration is incomplete or the weights do not fit it.
        """
        directory = ModelFiles.of(directory)
        torch = import_torch()
        path = directory.file(config.get("weights", WEIGHTS_FILE))
        try:
            params = dict(config["params"])
            params["dilations"] = tuple(int(d) for d in params["dilations"])
            model = cls(**params, device=device)
            model.feature_names_ = [str(n) for n in config["feature_names"]]
            where = f"{directory.manifest}: tcn"
            model.reference_program_ = saved_program(config, where, prefix="reference_")
            styles = config["styles"]
            model.style_annotators_ = [int(s["annotator"]) for s in styles]
            model.evidence_ = {
                int(s["annotator"]): np.asarray(s["evidence"], dtype=bool) for s in styles
            }
            model.style_programs_ = {
                int(s["annotator"]): saved_program(s, f"{where}.styles[{i}]")
                for i, s in enumerate(styles)
            }
            model.style_counts_ = {
                int(s["annotator"]): (int(s["n_videos"]), int(s["n_frames"])) for s in styles
            }
        except ModelFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(
                f"{directory.path}: incomplete tcn configuration ({exc!r}); retrain the model"
            ) from None
        if any(e.shape != (_N_CLASSES,) for e in model.evidence_.values()):
            raise ModelFormatError(
                f"{directory.path}: tcn evidence masks must hold {_N_CLASSES} flags"
            )
        net = model._new_net(len(model.feature_names_), len(model.style_annotators_))
        load_weights(torch, net, path)
        model.net_ = net.to(torch_device(torch, model.device))
        return model
