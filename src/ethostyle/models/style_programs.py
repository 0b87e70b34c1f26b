"""How a family's styles become style programs: its own scores as a residual, old decoders.

Every family decodes through style programs (:mod:`ethostyle.models.program`). A
family whose styles have probabilities of their own (the neural network's style
heads, the ensemble's per-annotator average) labels them through the reference's
program plus a ``residual`` edit (:func:`with_residual`); a model directory written
before programs holds decoders, read back as the programs that label identically
(:func:`saved_program`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ethostyle.decode import DecoderParams
from ethostyle.models.program import Edit, StyleProgram

__all__ = ["saved_program", "with_residual"]


def with_residual(program: StyleProgram) -> StyleProgram:
    """``program`` taking its scores from the annotator's own probabilities, all inherited.

    A family whose styles have probabilities of their own (a network's style head,
    an ensemble's per-annotator average) labels them with the reference's program
    plus a ``residual`` edit; the annotator's search then adds its own edits.

    Parameters
    ----------
    program : StyleProgram
        The reference's program (or an old model's decoder as a program).

    Returns
    -------
    StyleProgram
        The same edits and smoothing, plus ``residual``; every edit inherited, so
        :meth:`StyleProgram.describe` states only what a search adds.

    Examples
    --------
    >>> p = with_residual(StyleProgram(smooth=3))
    >>> p.has_residual, p.own_edits, p.smooth
    (True, (), 3)
    """
    edits = (*program.edits, Edit("residual"))
    return StyleProgram(program.smooth, edits, inherited=len(edits))


def saved_program(entry: Mapping[str, Any], where: str, *, prefix: str = "") -> StyleProgram:
    """A style program from a model's configuration, or the one an old decoder stands for.

    Models written before every family decoded through style programs saved a
    decoder (:class:`~ethostyle.decode.DecoderParams`) where a program now goes;
    it becomes the program that labels identically
    (:meth:`~ethostyle.models.program.StyleProgram.from_decoder`).

    Parameters
    ----------
    entry : mapping
        The part of the configuration holding ``prefix + "program"`` (or, in an
        old model, ``prefix + "decoder"``).
    where : str
        The manifest and the path of ``entry`` in it, for error messages.
    prefix : str, optional
        Prefix of the key (``"reference_"`` for ``reference_program``).

    Returns
    -------
    StyleProgram

    Raises
    ------
    ModelFormatError
        If the program or decoder is malformed.
    KeyError
        If ``entry`` holds neither.

    Examples
    --------
    >>> saved_program({"decoder": {"smooth": 5}}, "model.json").smooth
    5
    """
    key = prefix + "program"
    if key in entry:
        return StyleProgram.from_dict(entry[key], f"{where}.{key}")
    return StyleProgram.from_decoder(DecoderParams.from_dict(entry[prefix + "decoder"]))
