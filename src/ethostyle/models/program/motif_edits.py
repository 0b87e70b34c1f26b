"""The motif edit kinds: an annotator's one-bit decision about one motif and one behaviour.

A motif (:mod:`ethostyle.motifs`) is a sub-behaviour found without labels; the
program is given the motif of every frame (``motifs=``). The three kinds act last,
on the labels the rest of the program gives (so their effect is exactly the frames
they change, which lets the search score every motif at once):

- ``include_motif``: frames of motif ``motif`` labelled ``other`` become
  ``behavior``; with ``frames`` > 0 only those within ``frames`` frames of a bout
  of ``behavior`` (0: anywhere);
- ``exclude_motif``: frames of the motif labelled ``behavior`` become ``other``;
- ``relabel_motif``: frames of the motif labelled ``behavior`` become ``to_behavior``.

Each edit also keeps ``motif_description``, the motif in words when it was chosen
(the vocabulary describes it again, in cm, when the pixel scale is known).

Examples
--------
>>> import numpy as np
>>> labels = np.array([3, 3, 0, 0, 3, 3], np.int8)
>>> motifs = np.array([1, 2, 2, 1, 1, 1])
>>> moved(labels, motifs, 1, 3, 0).tolist()
[0, 3, 0, 0, 0, 0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ethostyle.data import OTHER, VOCABULARY
from ethostyle.errors import DataFormatError
from ethostyle.models.program.conditions import FieldError, is_int
from ethostyle.models.program.plan import STEP_SHIFTS, PlanBuilder
from ethostyle.models.program.spec import Wording

__all__ = [
    "MOTIF_KINDS",
    "MOTIF_WINDOWS",
    "check_motif",
    "compile_motif",
    "motif_sentence",
    "moved",
    "source_and_target",
]

#: The kinds of motif edits, in the order the search tries them.
MOTIF_KINDS: tuple[str, ...] = ("include_motif", "exclude_motif", "relabel_motif")
#: Windows (frames) around a behaviour's bouts within which the search lets
#: ``include_motif`` add it: 1, 2 and 5 s at 30 Hz. Not anywhere in the video (an edit may
#: say ``frames=0``, but the search does not try it): allowed anywhere, motif edits chosen
#: on two videos cost annotator 4 of ``default`` 0.021 and annotators 1 and 5 of
#: ``subs-confirm`` 0.004 on test videos (benchmarks/README.md), as the issue's own check
#: found (0.04).
MOTIF_WINDOWS: tuple[int, ...] = (30, 60, 150)


def source_and_target(kind: str, behavior: int, to_behavior: int | None) -> tuple[int, int]:
    """The label a motif edit takes frames from, and the one it gives them."""
    if kind == "include_motif":
        return OTHER, behavior
    if kind == "exclude_motif":
        return behavior, OTHER
    assert to_behavior is not None
    return behavior, to_behavior


def moved(
    labels: np.ndarray,
    motifs: np.ndarray,
    motif: int,
    source: int,
    target: int,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """``labels`` with the frames of ``motif`` labelled ``source`` (where ``allowed``) set to
    ``target``."""
    mask = (labels == source) & (motifs == motif)
    if allowed is not None:
        mask &= allowed
    out = labels.copy()
    out[mask] = target
    return out


def _transform(labels: np.ndarray, edit: Any, frames: Any) -> np.ndarray:
    """The pipeline step of a motif edit (``frames``: the pipeline's ``Frames``)."""
    motifs = frames.motifs
    if motifs is None:
        raise DataFormatError(
            "this style program has motif edits; give the motif of every frame (motifs=, "
            "from the model's motif vocabulary)"
        )
    source, target = source_and_target(edit.kind, edit.behavior, edit.to_behavior)
    allowed = None
    if edit.kind == "include_motif" and edit.frames > 0:
        allowed = frames.near(labels == edit.behavior, edit.frames)
    return moved(labels, motifs, edit.motif, source, target, allowed)


def compile_motif(edit: Any, builder: PlanBuilder) -> None:
    """Add a motif edit's step to the end of the pipeline (after the shifts)."""
    builder.transforms.setdefault(STEP_SHIFTS, []).append((_transform, edit))


def check_motif(edit: Any) -> None:
    """Refuse a motif that is not a whole number >= 0, or a description that is not text."""
    if not is_int(edit.motif) or edit.motif < 0:
        raise FieldError("motif", "must be a whole number >= 0 (a motif id)")
    object.__setattr__(edit, "motif", int(edit.motif))
    if edit.kind == "relabel_motif" and edit.to_behavior in (OTHER, VOCABULARY[OTHER]):
        raise FieldError("to_behavior", "must be a behaviour (exclude_motif gives other)")
    if not isinstance(edit.motif_description, str):
        raise FieldError("motif_description", "must be text")


def motif_sentence(edit: Any, w: Wording) -> str:
    """The edit in words, naming the motif and what it looks like."""
    described = w.motif_words(edit.motif) if w.motif_words is not None else None
    words = described or edit.motif_description
    motif = f"motif {edit.motif}" + (f" — {words} —" if words else "")
    b = edit.behavior_name
    if edit.kind == "include_motif":
        where = ""
        if edit.frames > 0:
            article = "an" if b[0] in "aeiou" else "a"
            where = f" within {w.seconds(edit.frames)} of {article} {b} bout"
        return f"{w.who} also calls {motif} {b}{where}, where {w.ref_short} says other"
    if edit.kind == "exclude_motif":
        return f"{w.who} does not call {motif} {b}"
    return f"{w.who} calls {motif} {VOCABULARY[edit.to_behavior]} where {w.ref_short} says {b}"
