"""How :class:`ethostyle.models.tcn.TCNStyleTransfer` trains: its data, sessions and steps.

The network's training frames as one standardised matrix (:class:`TrainingData`),
videos as row ranges to draw windows from (:class:`Segments`), the two-fold split
of every annotator's videos (:func:`two_folds`), a seeded deterministic torch
session (:func:`torch_session`) and the optimisation loop (:func:`train_steps`).
torch is passed in, never imported here at import time, so ethostyle works without
the ``torch`` extra.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ethostyle.errors import EthostyleError, ModelFormatError
from ethostyle.metrics.labelled import labelled_mask
from ethostyle.models.base import video_folds

if TYPE_CHECKING:
    import torch

    from ethostyle.models.tcn_net import StyleTCN

__all__ = [
    "MissingExtraError",
    "Segments",
    "TrainingData",
    "default_threads",
    "import_torch",
    "load_weights",
    "masked_log_proba",
    "standardise",
    "standardise_as",
    "style_log_proba",
    "torch_device",
    "torch_session",
    "train_steps",
    "two_folds",
]

#: Label of frames a window pads with (ignored by the loss).
_IGNORE = -100


class MissingExtraError(EthostyleError, ImportError):
    """The neural model needs PyTorch, which is not installed."""


def import_torch() -> Any:
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
class Segments:
    """Sequences (or parts of them) as row ranges of one matrix, for window sampling."""

    start: np.ndarray  # (segments,) first row
    length: np.ndarray  # (segments,) rows
    slot: np.ndarray  # (segments,) style slot, -1 for the reference

    @classmethod
    def of(cls, rows: list[slice], slot: int | list[int]) -> Segments:
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
class TrainingData:
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
def torch_session(torch: Any, seed: int, num_threads: int) -> Iterator[None]:
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


def default_threads() -> int:
    """Half the threads ethostyle may use (:func:`ethostyle.threads.thread_count`), at least one.

    The convolutions are small, so more threads gain little; and on a busy machine
    (more runnable threads than cores) idle OpenMP threads spin: two threads on a
    loaded 2-core machine cost seven times the CPU time of one in our measurements.
    """
    from ethostyle.threads import thread_count

    return max(1, thread_count() // 2)


def standardise(x: np.ndarray, held: list[slice]) -> tuple[np.ndarray, np.ndarray]:
    """Standardise ``x`` in place (clipped to +-10) by its rows outside ``held``.

    Returns the ``(features,)`` float64 means and standard deviations used.
    """
    used = np.ones(len(x), dtype=bool)
    for rows in held:
        used[rows] = False
    mean = x[used].mean(axis=0, dtype=np.float64)
    std = x[used].std(axis=0, dtype=np.float64)
    std = np.where(std > 1e-6, std, 1.0)
    standardise_as(x, mean.astype(np.float32), std.astype(np.float32))
    return mean, std


def standardise_as(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> None:
    """Standardise ``x`` in place by given ``(features,)`` float32 statistics, clipped to +-10."""
    x -= mean
    x /= std
    np.clip(x, -10.0, 10.0, out=x)


def train_steps(
    net: StyleTCN,
    data: TrainingData,
    sources: list[tuple[Segments, int]],
    groups: list[dict[str, Any]],
    steps: int,
    rng: np.random.Generator,
    *,
    window: int,
    style_l2: float = 0.0,
    advance: Any = None,
    evidence: Any = None,
) -> None:
    """``steps`` AdamW steps on batches of ``window``-frame windows, ``n`` from each
    ``(segments, n)`` of ``sources``.

    With ``evidence`` (``(styles, classes)`` bool tensor), windows of a style are
    scored with its evidence-masked log-probabilities and the styles' departures
    from the reference are penalised by ``style_l2``.
    """
    if steps == 0:
        return
    torch = data.torch
    opt = torch.optim.AdamW(groups)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[g["lr"] for g in groups], total_steps=steps, pct_start=0.1
    )
    net.train()
    for _ in range(steps):
        drawn = [seg.sample(rng, n, window) for seg, n in sources if n > 0]
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
                styled = masked_log_proba(logp[idx], ref, evidence[slot[idx]])
                logp = logp.index_put((idx,), styled)
            loss = style_l2 * net.style_penalty()
        y = data.labels[rows]
        yb = torch.from_numpy(np.where(valid & labelled_mask(y), y, _IGNORE)).to(data.device)
        loss = loss + torch.nn.functional.nll_loss(logp, yb, ignore_index=_IGNORE)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if advance is not None:
            advance(1)


def torch_device(torch: Any, name: str) -> Any:
    """The torch device ``name`` names (``cpu``, ``cuda``, ``cuda:<index>``), checked.

    Raises
    ------
    EthostyleError
        If ``name`` is not a device, or names a CUDA GPU torch does not see.
    """
    try:
        device = torch.device(name)
    except RuntimeError:
        raise EthostyleError(
            f"device {name!r} is not a torch device; use 'cpu' or 'cuda'"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise EthostyleError(
            f"device {name!r}: torch sees no CUDA GPU (torch {torch.__version__}, "
            f"CUDA build: {torch.version.cuda}); use --device cpu or install a CUDA build"
        )
    if device.type not in ("cpu", "cuda"):
        raise EthostyleError(f"device {name!r} is not supported; use 'cpu' or 'cuda'")
    return device


def masked_log_proba(
    style_logp: torch.Tensor, reference_logp: torch.Tensor, evidence: torch.Tensor
) -> Any:
    """:func:`~ethostyle.models.tcn_net.masked_style_log_proba` (torch imported lazily)."""
    from ethostyle.models.tcn_net import masked_style_log_proba

    return masked_style_log_proba(style_logp, reference_logp, evidence)


def style_log_proba(
    torch: Any, net: StyleTCN, h: Any, reference: Any, slot: int, evidence: np.ndarray
) -> Any:
    """``(1, classes, frames)`` log-probabilities of encoder output ``h`` in a style.

    ``reference`` holds the reference's log-probabilities of ``h``; a class
    without ``evidence`` (``(classes,)`` bool) in the style keeps them.
    """
    styled = net.head_logits(h, torch.full((1,), slot, device=h.device))
    mask = torch.as_tensor(evidence[None], device=h.device)
    return masked_log_proba(torch.log_softmax(styled, 1), reference, mask)


def two_folds(
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


def load_weights(torch: Any, net: StyleTCN, path: Path) -> None:
    """Load a saved state dict into ``net`` (then in evaluation mode).

    Raises
    ------
    ModelFormatError
        If the file is missing, unreadable or does not fit the network.
    """
    if not path.is_file():
        raise ModelFormatError(f"{path}: weight file missing; retrain the model")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged file
        raise ModelFormatError(f"{path}: unreadable weights ({exc}); retrain the model") from None
    try:
        net.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError) as exc:
        raise ModelFormatError(
            f"{path}: weights do not match the configuration ({exc}); retrain the model"
        ) from None
    net.eval()
