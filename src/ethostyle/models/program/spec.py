"""What an edit kind's spec holds, and what its sentence and search are given.

The specs themselves, one per kind, are :data:`~.edits.KINDS`. The callables take the
:class:`~.edits.Edit` (typed ``Any`` here: ``edits`` imports this module).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ethostyle.models.program.conditions import Condition
from ethostyle.models.program.plan import PlanBuilder

__all__ = ["GridSearch", "KindSpec", "MotifSearch", "RuleSearch", "Wording"]


@dataclass(frozen=True, slots=True)
class Wording:
    """What a kind's sentence needs: who, relative to whom, and the units."""

    who: str
    ref: str
    ref_short: str
    fps: float
    px_per_cm: float | None
    was: str = ""
    motif_words: Callable[[int], str] | None = None

    def seconds(self, frames: int) -> str:
        """``frames`` as seconds, with the frames ("0.6 s (18 frames)")."""
        return f"{abs(frames) / self.fps:.1f} s ({abs(frames)} frames)"


@dataclass(frozen=True)
class GridSearch:
    """How the search tries a kind's parameter: a coarse grid, then finer around the best.

    ``coarse(c)`` lists the values tried for behaviour ``c``; ``refine(v)`` the finer
    values around ``v``; ``make(c, d, v)`` the edit (``d``: the partner behaviour of a
    kind keyed by one, else None); ``size(v)`` breaks ties (smaller first, or with
    ``plateau`` the middle of a run of equal F1).
    """

    coarse: Callable[[int], list[Any]]
    refine: Callable[[Any], list[Any]]
    make: Callable[[int, int | None, Any], Any]
    size: Callable[[Any], float]
    plateau: bool = False


@dataclass(frozen=True)
class RuleSearch:
    """How the search finds a rule: depth-2 trees on the frames ``region`` picks.

    ``region(labels, c, near)`` marks the frames the rule may change (``near(mask,
    window)``: frames within ``window`` of ``mask`` in the same video); with ``adds``
    the rule gives those frames the behaviour (target: the annotator says it is),
    else it takes the behaviour from them (target: the annotator says it is not).
    """

    region: Callable[[np.ndarray, int, Callable[[np.ndarray, int], np.ndarray]], np.ndarray]
    adds: bool
    make: Callable[[int, tuple[Condition, ...]], Any]


@dataclass(frozen=True)
class MotifSearch:
    """How the search tries a motif kind: every motif at once, for each variant.

    ``variants(c)`` lists, for behaviour ``c``, the ``(source, target, window)`` of each
    variant: frames of a motif labelled ``source`` become ``target``, only within
    ``window`` frames of a bout of ``c`` when ``window`` > 0. ``make(c, variant,
    motif, description)`` is the edit.
    """

    variants: Callable[[int], list[tuple[int, int, int]]]
    make: Callable[[int, tuple[int, int, int], int, str], Any]


@dataclass(frozen=True)
class KindSpec:
    """Everything about one kind of edit (see the module docstring).

    Parameters
    ----------
    fields : tuple of str
        Fields the kind uses beside ``kind``, ``behavior``, ``gain`` and ``effect``.
    step : int
        The first pipeline step its change affects (``plan.STEP_*``).
    compile : callable
        ``compile(edit, builder)`` sets the step's numbers in a :class:`PlanBuilder`.
    sentence : callable
        ``sentence(edit, wording)``: the edit in words (no final full stop).
    last_wins : bool
        A later edit with the same :attr:`Edit.key` replaces an earlier one.
    key_fields : tuple of str
        Fields beside the behaviour that make up the key (``priority``: ``over``).
    search : GridSearch, RuleSearch or MotifSearch, optional
        How :func:`fit_program` searches it; None: never searched.
    has_behavior : bool
        Whether the edit names a behaviour.
    min_frames : int, optional
        Smallest allowed ``frames``.
    optional : tuple of str
        Used fields that may be left out of the JSON.
    check : callable, optional
        ``check(edit)`` raises :class:`FieldError` on a kind-specific bad value.
    was : callable
        ``was(earlier)``: the replaced earlier edit's value, for the sentence.
    record_names : mapping of str to str
        Fields named otherwise in ``describe-style --json`` records.
    """

    fields: tuple[str, ...]
    step: int
    compile: Callable[[Any, PlanBuilder], None]
    sentence: Callable[[Any, Wording], str]
    last_wins: bool = False
    key_fields: tuple[str, ...] = ()
    search: GridSearch | RuleSearch | MotifSearch | None = None
    has_behavior: bool = True
    min_frames: int | None = None
    optional: tuple[str, ...] = ()
    check: Callable[[Any], None] | None = None
    was: Callable[[Any], str] = lambda prev: f"{prev.frames} frames"
    record_names: Mapping[str, str] | None = None
