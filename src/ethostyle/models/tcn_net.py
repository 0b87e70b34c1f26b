"""The PyTorch network behind :class:`ethostyle.models.tcn.TCNStyleTransfer`.

A non-causal temporal convolutional network (residual blocks of dilated 1-D
convolutions) over standardised per-frame features, with one *reference* output
head and, per other annotator, a style that can only depart from the reference
gradually:

* FiLM before every block and before the head, stored as a departure from the
  identity (``scale = 1 + delta``, ``shift = delta``), initialised to zero;
* a head correction added to the reference head's logits, initialised to zero;
* an evidence mask: a class with too few bouts in an annotator's videos keeps the
  reference's probability exactly (:func:`masked_style_log_proba`).

So a freshly added style *is* the reference, and training (with an L2 penalty on
the departures) only moves it as far as the annotator's labels demand.

This module imports torch at import time; :mod:`ethostyle.models.tcn` imports it
lazily so that ethostyle works without the ``torch`` extra.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["StyleTCN", "masked_style_log_proba"]

#: Stand-in for minus infinity in masked log-sum-exps (keeps gradients finite).
_MASKED = -1.0e4


def masked_style_log_proba(
    style_logits: torch.Tensor, reference_logp: torch.Tensor, evidence: torch.Tensor
) -> torch.Tensor:
    """Style log-probabilities that equal the reference's where there is no evidence.

    A class without evidence keeps the reference probability; the classes with
    evidence share the remaining probability mass in the proportions of the
    style's logits.

    Parameters
    ----------
    style_logits : torch.Tensor
        ``(batch, classes, frames)`` logits of the style.
    reference_logp : torch.Tensor
        ``(batch, classes, frames)`` log-probabilities of the reference.
    evidence : torch.Tensor
        ``(batch, classes)`` bool; True where the style may change the class.

    Returns
    -------
    torch.Tensor
        ``(batch, classes, frames)`` log-probabilities.
    """
    ev = evidence[:, :, None]
    # log of the reference's probability mass on the classes with evidence
    mass = torch.logsumexp(reference_logp.masked_fill(~ev, _MASKED), dim=1, keepdim=True)
    z = style_logits.masked_fill(~ev, _MASKED)
    styled = z - torch.logsumexp(z, dim=1, keepdim=True) + mass
    return torch.where(ev, styled, reference_logp)


def _channel_norm(h: torch.Tensor) -> torch.Tensor:
    """Layer norm over channels, frame by frame (does not depend on the window)."""
    return F.layer_norm(h.transpose(1, 2), (h.shape[1],)).transpose(1, 2)


class _Block(nn.Module):
    """Norm -> FiLM -> dilated conv -> GELU -> dropout -> 1x1 conv, plus the input."""

    def __init__(self, channels: int, dilation: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(
            channels,
            channels,
            kernel_size,
            dilation=dilation,
            padding=dilation * (kernel_size - 1) // 2,
        )
        self.mix = nn.Conv1d(channels, channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        y = _channel_norm(h) * (1.0 + scale[:, :, None]) + shift[:, :, None]
        y = self.mix(self.dropout(F.gelu(self.conv(y))))
        return h + y


class StyleTCN(nn.Module):
    """Dilated residual TCN with a reference head and per-annotator styles.

    The first blocks form the *encoder*, shared by every annotator and trained
    only on the reference annotator's labels; the last ``style_blocks`` blocks
    and the output head form the *head*, where each style's FiLM and logit
    correction act.

    Parameters
    ----------
    n_features : int
        Input features per frame.
    n_styles : int
        Number of non-reference annotators (style slots ``0 .. n_styles-1``).
    channels : int
        Hidden channels.
    dilations : tuple of int
        Dilation of each residual block (receptive field ``1 + (k-1) * sum``).
    style_blocks : int
        How many of the last blocks a style modulates (FiLM).
    kernel_size : int
        Odd kernel size of the dilated convolutions.
    dropout : float
        Dropout inside the blocks and on the projected input.
    n_classes : int
        Output classes.
    """

    def __init__(
        self,
        n_features: int,
        n_styles: int,
        *,
        channels: int = 64,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
        style_blocks: int = 2,
        kernel_size: int = 3,
        dropout: float = 0.1,
        n_classes: int = 4,
    ) -> None:
        super().__init__()
        if not 0 <= style_blocks <= len(dilations):
            raise ValueError(f"style_blocks={style_blocks} must lie in 0..{len(dilations)}")
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_std", torch.ones(n_features))
        self.inp = nn.Conv1d(n_features, channels, 1)
        # Dropping after the 1x1 projection costs far less than on the many raw features.
        self.input_dropout = nn.Dropout(dropout)
        blocks = [_Block(channels, d, kernel_size, dropout) for d in dilations]
        self.n_encoder_blocks = len(dilations) - style_blocks
        self.encoder_blocks = nn.ModuleList(blocks[: self.n_encoder_blocks])
        self.head_blocks = nn.ModuleList(blocks[self.n_encoder_blocks :])
        self.head = nn.Conv1d(channels, n_classes, 1)
        n_film = style_blocks + 1
        self.film_scale = nn.Parameter(torch.zeros(n_styles, n_film, channels))
        self.film_shift = nn.Parameter(torch.zeros(n_styles, n_film, channels))
        self.head_weight = nn.Parameter(torch.zeros(n_styles, n_classes, channels))
        self.head_bias = nn.Parameter(torch.zeros(n_styles, n_classes))

    def style_parameters(self) -> list[nn.Parameter]:
        """The per-annotator departures (all zero: every style is the reference)."""
        return [self.film_scale, self.film_shift, self.head_weight, self.head_bias]

    def reference_parameters(self) -> list[nn.Parameter]:
        """Everything but the styles: the reference network."""
        style = {id(p) for p in self.style_parameters()}
        return [p for p in self.parameters() if id(p) not in style]

    def standardise(self, x: torch.Tensor) -> torch.Tensor:
        """Standardise raw ``(batch, features, frames)`` features, clipped to +-10."""
        z = (x - self.feature_mean[None, :, None]) / self.feature_std[None, :, None]
        return z.clamp(-10.0, 10.0)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder output ``(batch, channels, frames)`` of standardised features."""
        h = self.input_dropout(self.inp(x))
        no_film = h.new_zeros(h.shape[0], h.shape[1])
        for block in self.encoder_blocks:
            h = block(h, no_film, no_film)
        return h

    def head_logits(self, h: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, classes, frames)`` from encoder output, in given styles.

        Parameters
        ----------
        h : torch.Tensor
            ``(batch, channels, frames)`` encoder output.
        style : torch.Tensor
            ``(batch,)`` long: style slot of each window, ``-1`` for the reference
            (every window's, in a network without styles).
        """
        if self.film_scale.shape[0] == 0:
            # A reference-only network (trained on the reference's videos alone) has no
            # style to look up: every window is in the reference style.
            return self._reference_logits(h)
        is_style = (style >= 0)[:, None, None].to(h.dtype)
        slot = style.clamp(min=0)
        scale = self.film_scale[slot] * is_style  # (batch, n_film, channels)
        shift = self.film_shift[slot] * is_style
        for i, block in enumerate(self.head_blocks):
            h = block(h, scale[:, i], shift[:, i])
        h = _channel_norm(h) * (1.0 + scale[:, -1, :, None]) + shift[:, -1, :, None]
        delta = torch.einsum("bkc,bct->bkt", self.head_weight[slot] * is_style, h)
        bias = self.head_bias[slot] * is_style[:, :, 0]
        return self.head(h) + delta + bias[:, :, None]

    def _reference_logits(self, h: torch.Tensor) -> torch.Tensor:
        """Logits of the reference style (no FiLM, no head correction)."""
        no_film = h.new_zeros(h.shape[0], h.shape[1])
        for block in self.head_blocks:
            h = block(h, no_film, no_film)
        return self.head(_channel_norm(h))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, classes, frames)`` of standardised features ``x``."""
        return self.head_logits(self.encode(x), style)

    def style_penalty(self) -> torch.Tensor:
        """Sum of squared departures from the reference (for an L2 penalty)."""
        return sum(p.pow(2).sum() for p in self.style_parameters())
