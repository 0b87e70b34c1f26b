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
import os
from collections.abc import Iterator
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval

from ethostyle.atomic import atomic_write_path
from ethostyle.data import VOCABULARY, Dataset, Sequence
from ethostyle.errors import EthostyleError, ModelFormatError
from ethostyle.features import check_feature_names, compute_features, sequence_features
from ethostyle.models.base import (
    ModelFiles,
    StylePredictor,
    bout_counts,
    held_out_reference,
    reference_sequence_ids,
    saved_program,
    video_folds,
    warn_unknown_annotator,
    with_residual,
)
from ethostyle.models.boosted import MIN_BOUTS_FOR_EVIDENCE, MIN_VIDEOS_FOR_REFERENCE_PROGRAM
from ethostyle.models.gbdt import log_softmax
from ethostyle.models.program import StyleProgram, fit_program, rule_features
from ethostyle.progress import NULL_PROGRESS, Progress

if TYPE_CHECKING:
    import torch

    from ethostyle.models.tcn_net import StyleTCN

__all__ = ["WEIGHTS_FILE", "MissingExtraError", "TCNStyleTransfer"]

logger = logging.getLogger(__name__)

#: Name of the state-dict file :meth:`TCNStyleTransfer.save` writes.
WEIGHTS_FILE = "tcn.pt"
_IGNORE = -100
_N_CLASSES = len(VOCABULARY)


class MissingExtraError(EthostyleError, ImportError):
    """The neural model needs PyTorch, which is not installed."""


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MissingExtraError(
            "the tcn model needs PyTorch; install it with `pip install 'ethostyle[torch]'` "
            "(from a clone: `.venv/bin/pip install -e '.[torch]'`; or the torch build for your "
            "CUDA), or use the default gbdt model"
        ) from None
    return torch


@dataclass(frozen=True, slots=True)
class _Segments:
    """Sequences (or parts of them) as row ranges of one matrix, for window sampling."""

    start: np.ndarray  # (segments,) first row
    length: np.ndarray  # (segments,) rows
    slot: np.ndarray  # (segments,) style slot, -1 for the reference

    @classmethod
    def of(cls, rows: list[slice], slot: int | list[int]) -> _Segments:
        """Segments from row slices, all of one slot or one slot each."""
        slots = np.full(len(rows), slot) if isinstance(slot, int) else np.asarray(slot)
        return cls(
            start=np.array([r.start for r in rows], dtype=np.int64),
            length=np.array([r.stop - r.start for r in rows], dtype=np.int64),
            slot=slots.astype(np.int64),
        )

    @property
    def n_frames(self) -> int:
        """Rows in all segments."""
        return int(self.length.sum())

    def sample(self, rng: np.random.Generator, n: int, window: int) -> tuple[np.ndarray, ...]:
        """``n`` random windows: rows ``(n, window)``, valid mask, and slot ``(n,)``.

        Segments are drawn in proportion to their length; a segment shorter than
        the window repeats its last row, and those frames are marked invalid.
        """
        seg = rng.choice(len(self.length), size=n, p=self.length / self.length.sum())
        length = self.length[seg]
        offset = rng.integers(0, np.maximum(length - window, 0) + 1)
        pos = offset[:, None] + np.arange(window)[None, :]
        valid = pos < length[:, None]
        rows = self.start[seg, None] + np.minimum(pos, length[:, None] - 1)
        return rows, valid, self.slot[seg]


@dataclass(frozen=True, slots=True)
class _TrainingData:
    """Every training frame's standardised features, labels and rule features; the device."""

    torch: Any
    device: Any
    x: np.ndarray  # (rows, features) float32, standardised
    labels: np.ndarray  # (rows,) int64
    rules: np.ndarray  # (rows, rule features) float32, in their own units
    rule_names: list[str]  # names of the columns of ``rules``

    def windows(self, rows: np.ndarray) -> Any:
        """Features of ``(windows, frames)`` rows as a ``(windows, features, frames)`` tensor."""
        return self.torch.from_numpy(self.x[rows]).to(self.device).transpose(1, 2)

    def videos(
        self, pieces: list[tuple[slice, np.ndarray]], *, residual: bool = False
    ) -> list[tuple[np.ndarray, ...]]:
        """:func:`~ethostyle.models.program.fit_program`'s videos from held-out pieces.

        Each piece is its rows and their held-out probabilities; with ``residual``
        those are also the residual's (the style's own scores).
        """
        return [
            (p, self.rules[rows], self.labels[rows], *((p,) if residual else ()))
            for rows, p in pieces
        ]


@contextlib.contextmanager
def _torch_session(torch: Any, seed: int, num_threads: int) -> Iterator[None]:
    """Seeded, deterministic torch with ``num_threads`` threads; restored afterwards."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    # cuBLAS needs this to be deterministic; harmless on the CPU.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(num_threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _default_threads() -> int:
    """Half the cores this process may use (respects CPU affinity), at least one.

    The convolutions are small, so more threads gain little; and on a busy machine
    (more runnable threads than cores) idle OpenMP threads spin: two threads on a
    loaded 2-core machine cost seven times the CPU time of one in our measurements.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


def _standardise(x: np.ndarray, held: list[slice]) -> tuple[np.ndarray, np.ndarray]:
    """Standardise ``x`` in place (clipped to +-10) by its rows outside ``held``.

    Returns the ``(features,)`` float64 means and standard deviations used.
    """
    used = np.ones(len(x), dtype=bool)
    for rows in held:
        used[rows] = False
    mean = x[used].mean(axis=0, dtype=np.float64)
    std = x[used].std(axis=0, dtype=np.float64)
    std = np.where(std > 1e-6, std, 1.0)
    x -= mean.astype(np.float32)
    x /= std.astype(np.float32)
    np.clip(x, -10.0, 10.0, out=x)
    return mean, std


class TCNStyleTransfer(StylePredictor):
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
    def _torch_device(self, torch: Any) -> Any:
        try:
            device = torch.device(self.device)
        except RuntimeError:
            raise EthostyleError(
                f"device {self.device!r} is not a torch device; use 'cpu' or 'cuda'"
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise EthostyleError(
                f"device {self.device!r}: torch sees no CUDA GPU (torch {torch.__version__}, "
                f"CUDA build: {torch.version.cuda}); use --device cpu or install a CUDA build"
            )
        if device.type not in ("cpu", "cuda"):
            raise EthostyleError(f"device {self.device!r} is not supported; use 'cpu' or 'cuda'")
        return device

    def _session(self, torch: Any) -> contextlib.AbstractContextManager[None]:
        threads = self.num_threads if self.num_threads else _default_threads()
        return _torch_session(torch, self.seed, threads)

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
        torch = _import_torch()
        device = self._torch_device(torch)
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
        mean, std = _standardise(table.values, [table.rows(sid) for sid in held])

        net = self._new_net(table.values.shape[1], len(others)).to(device)
        with torch.no_grad():
            net.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            net.feature_std.copy_(torch.as_tensor(std, dtype=torch.float32))
        self.net_ = net
        data = _TrainingData(
            torch, device, table.values, labels, rules, [table.names[i] for i in rule_columns]
        )
        reference = _Segments.of([table.rows(i) for i in ref_ids if i not in held], slot=-1)
        steps = self._steps(self.epochs, reference.n_frames, self.batch_size)
        logger.info("pretraining: %d steps over %d frames", steps, reference.n_frames)
        self._train(
            data,
            [(reference, self.batch_size)],
            [{"params": net.reference_parameters(), "lr": self.learning_rate}],
            steps,
            rng,
            progress.task("TCN pretraining", steps),
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

    def _fit_styles(
        self,
        data: _TrainingData,
        parts: dict[int, list[slice]],
        reference: _Segments,
        rng: np.random.Generator,
        progress: Progress,
    ) -> dict[int, list[tuple[slice, np.ndarray]]]:
        """Fine-tune jointly on every annotator, after a two-fold cross-fit.

        Returns, per style slot, the rows of its held-out pieces and their
        probabilities in its style from the fold that did not train on them.
        """
        net = self.net_
        pretrained = {k: v.detach().clone() for k, v in net.state_dict().items()}
        folds = _two_folds(parts) if self.tune_decoding else []
        advance = progress.task("TCN styles", len(folds) + 1)
        held_out: dict[int, list[tuple[slice, np.ndarray]]] = {s: [] for s in parts}
        for fold_train, fold_held in folds:
            net.load_state_dict(pretrained)
            self._fine_tune(data, fold_train, reference, rng)
            for slot, pieces in fold_held.items():
                for rows in pieces:
                    proba = np.exp(self._held_out_log_proba(data, rows, slot))
                    held_out[slot].append((rows, proba))
            advance(1)
        net.load_state_dict(pretrained)
        self._fine_tune(data, parts, reference, rng)
        advance(1)
        return held_out

    def _fit_programs(
        self,
        data: _TrainingData,
        held_reference: list[slice],
        held_out: dict[int, list[tuple[slice, np.ndarray]]],
    ) -> None:
        """The reference's program on its held-out videos; each style's on its cross-fit.

        A style's program starts from the reference's, applied to the style's own
        probabilities (a ``residual`` edit), as the boosted model's styles start
        from the reference's program; a style without evidence keeps that start.
        """
        self.reference_program_ = StyleProgram()
        if len(held_reference) >= MIN_VIDEOS_FOR_REFERENCE_PROGRAM and self.tune_decoding:
            pieces = [(r, np.exp(self._held_out_log_proba(data, r, -1))) for r in held_reference]
            self.reference_program_ = fit_program(data.videos(pieces), data.rule_names)
        start = with_residual(self.reference_program_)
        self.style_programs_: dict[int, StyleProgram] = {}
        for slot, annotator in enumerate(self.style_annotators_):
            pieces = held_out.get(slot, [])
            program = start
            if pieces and self.evidence_[annotator].any():
                videos = data.videos(pieces, residual=True)
                program = fit_program(videos, data.rule_names, start=start)
            self.style_programs_[annotator] = program

    def _fine_tune(
        self,
        data: _TrainingData,
        parts: dict[int, list[slice]],
        reference: _Segments,
        rng: np.random.Generator,
    ) -> None:
        """Train styles from zero and the shared network gently, on every annotator at once."""
        net = self.net_
        with data.torch.no_grad():
            for p in net.style_parameters():
                p.zero_()
        styles = _Segments.of(
            [rows for items in parts.values() for rows in items],
            slot=[slot for slot, items in parts.items() for _ in items],
        )
        n_replay = round(self.batch_size * self.replay)
        n_style = max(1, self.batch_size - n_replay)
        steps = self._steps(self.style_epochs, styles.n_frames, n_style)
        logger.info(
            "styles: %d steps over %d frames (+ %d reference windows a step)",
            steps,
            styles.n_frames,
            n_replay,
        )
        sources = [(styles, n_style), (reference, n_replay)]
        groups = [
            {"params": net.reference_parameters(), "lr": self.finetune_learning_rate},
            {"params": net.style_parameters(), "lr": self.style_learning_rate, "weight_decay": 0},
        ]
        evidence = data.torch.as_tensor(
            np.stack([self.evidence_[a] for a in self.style_annotators_]), device=data.device
        )
        self._train(data, sources, groups, steps, rng, evidence=evidence)

    def _train(
        self,
        data: _TrainingData,
        sources: list[tuple[_Segments, int]],
        groups: list[dict[str, Any]],
        steps: int,
        rng: np.random.Generator,
        advance: Any = None,
        evidence: Any = None,
    ) -> None:
        """``steps`` AdamW steps on batches of windows, ``n`` from each ``(segments, n)``.

        Windows of a style are scored with its evidence-masked log-probabilities
        and the style's departures from the reference are penalised.
        """
        if steps == 0:
            return
        torch = data.torch
        net = self.net_
        opt = torch.optim.AdamW(groups)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=[g["lr"] for g in groups], total_steps=steps, pct_start=0.1
        )
        net.train()
        for _ in range(steps):
            drawn = [seg.sample(rng, n, self.window) for seg, n in sources if n > 0]
            rows, valid, slots = (np.concatenate(parts) for parts in zip(*drawn, strict=True))
            xb = data.windows(rows)
            slot = torch.from_numpy(slots).to(data.device)
            logp = torch.log_softmax(net(xb, slot), dim=1)
            loss = torch.zeros((), device=data.device)
            if evidence is not None:
                # Classes without evidence take the reference's probability (a second pass).
                lacking = (slot >= 0) & ~evidence[slot.clamp(min=0)].all(dim=1)
                if bool(lacking.any()):
                    idx = lacking.nonzero()[:, 0]
                    ref = torch.log_softmax(net(xb[idx], torch.full_like(idx, -1)), dim=1)
                    styled = _masked(logp[idx], ref, evidence[slot[idx]])
                    logp = logp.index_put((idx,), styled)
                loss = self.style_l2 * net.style_penalty()
            yb = torch.from_numpy(np.where(valid, data.labels[rows], _IGNORE)).to(data.device)
            loss = loss + torch.nn.functional.nll_loss(logp, yb, ignore_index=_IGNORE)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if advance is not None:
                advance(1)

    def _held_out_log_proba(self, data: _TrainingData, rows: slice, slot: int) -> np.ndarray:
        """Log-probabilities ``(frames, classes)`` of training rows in one style."""
        torch = data.torch
        net = self.net_
        net.eval()
        with torch.inference_mode():
            xs = torch.from_numpy(data.x[rows]).to(data.device).T[None]
            h = net.encode(xs)
            logp = torch.log_softmax(net.head_logits(h, _slots(torch, slot, xs)), dim=1)
            if slot >= 0:
                ref = torch.log_softmax(net.head_logits(h, _slots(torch, -1, xs)), dim=1)
                evidence = torch.as_tensor(
                    self.evidence_[self.style_annotators_[slot]][None], device=data.device
                )
                logp = _masked(logp, ref, evidence)
        return logp[0].T.double().cpu().numpy()

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
        torch = _import_torch()
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
                styled = net.head_logits(h, torch.full((1,), slot, device=device))
                evidence = torch.as_tensor(self.evidence_[who][None], device=device)
                logp = _masked(torch.log_softmax(styled, 1), ref, evidence)
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
        torch = _import_torch()
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
                "reference_annotator": self.reference_annotator,
                "seed": self.seed,
                "epochs": self.epochs,
                "style_epochs": self.style_epochs,
                "channels": self.channels,
                "dilations": [int(d) for d in self.dilations],
                "style_blocks": self.style_blocks,
                "window": self.window,
                "batch_size": self.batch_size,
                "learning_rate": self.learning_rate,
                "finetune_learning_rate": self.finetune_learning_rate,
                "style_learning_rate": self.style_learning_rate,
                "replay": self.replay,
                "style_l2": self.style_l2,
                "dropout": self.dropout,
                "min_bouts_for_evidence": self.min_bouts_for_evidence,
                "tune_decoding": self.tune_decoding,
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
        torch = _import_torch()
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
        if not path.is_file():
            raise ModelFormatError(f"{path}: weight file missing; retrain the model")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for a damaged file
            raise ModelFormatError(
                f"{path}: unreadable weights ({exc}); retrain the model"
            ) from None
        net = model._new_net(len(model.feature_names_), len(model.style_annotators_))
        try:
            net.load_state_dict(state, strict=True)
        except (RuntimeError, TypeError) as exc:
            raise ModelFormatError(
                f"{path}: weights do not match the configuration ({exc}); retrain the model"
            ) from None
        net.eval()
        model.net_ = net.to(model._torch_device(torch))
        return model


def _slots(torch: Any, slot: int, like: torch.Tensor) -> torch.Tensor:
    """A ``(1,)`` style-slot tensor on the device of ``like``."""
    return torch.full((1,), slot, device=like.device)


def _masked(style_logp: torch.Tensor, reference_logp: torch.Tensor, evidence: torch.Tensor) -> Any:
    from ethostyle.models.tcn_net import masked_style_log_proba

    return masked_style_log_proba(style_logp, reference_logp, evidence)


def _two_folds(
    parts: dict[int, list[slice]],
) -> list[tuple[dict[int, list[slice]], dict[int, list[slice]]]]:
    """Two (train, held-out) splits of every annotator's videos, all annotators at once.

    Each annotator's videos are split by :func:`~ethostyle.models.base.video_folds`
    (alternating videos; a single video cut in halves, or left out when too short).
    """
    folds: list[tuple[dict[int, list[slice]], dict[int, list[slice]]]] = [({}, {}), ({}, {})]
    for slot, items in parts.items():
        split = video_folds([rows.stop - rows.start for rows in items], n_folds=2)
        for k, (train_pieces, held_pieces) in enumerate(split):
            for side, pieces in ((0, train_pieces), (1, held_pieces)):
                folds[k][side][slot] = [
                    slice(items[v].start + a, items[v].start + b) for v, a, b in pieces
                ]
    return folds
