"""The numbers of each pipeline step, which every edit kind's ``compile`` writes into.

A program's edits are compiled once into a :class:`Plan` (per class vectors, rules,
margins); :func:`ethostyle.models.program.pipeline.execute` runs it. The steps, in
order, are numbered by the ``STEP_*`` constants; an edit kind names the first step its
change affects, so the search re-runs a candidate from that step on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ethostyle.data import OTHER, VOCABULARY

__all__ = [
    "STEP_BOUTS",
    "STEP_CONDITIONS",
    "STEP_PRIORITY",
    "STEP_SCORES",
    "STEP_SHIFTS",
    "Plan",
    "PlanBuilder",
]

#: Pipeline steps, in order: scores and argmax, priority, rule conditions, bout
#: edits (gaps, minimum and short bouts), onset and offset shifts.
STEP_SCORES, STEP_PRIORITY, STEP_CONDITIONS, STEP_BOUTS, STEP_SHIFTS = range(5)

_N = len(VOCABULARY)

#: A label transform a kind may add to its step: ``(labels, edit, frames) -> labels``,
#: where ``frames`` is the :class:`~ethostyle.models.program.pipeline.Frames` run on.
Transform = Callable[[np.ndarray, Any, Any], np.ndarray]


@dataclass(frozen=True)
class Plan:
    """A program compiled into the numbers of each pipeline step (per class vectors).

    ``transforms[step]`` holds the ``(transform, edit)`` pairs of kinds whose change is
    not one of the shared numbers; they run, in edit order, at the end of their step.
    """

    residual: bool
    bias: np.ndarray
    margins: tuple[tuple[int, int, float], ...]
    takes: np.ndarray | None
    excludes: tuple[tuple[int, tuple[Any, ...]], ...]
    includes: tuple[tuple[int, tuple[Any, ...], int], ...]
    gap: np.ndarray
    min_len: np.ndarray
    relabel_len: np.ndarray
    relabel_to: np.ndarray
    onset: np.ndarray
    offset: np.ndarray
    transforms: dict[int, tuple[tuple[Transform, Any], ...]]


@dataclass
class PlanBuilder:
    """The mutable numbers an edit kind's ``compile`` sets; :meth:`build` freezes them."""

    residual: bool = False
    bias: np.ndarray = field(default_factory=lambda: np.zeros(_N))
    gap: np.ndarray = field(default_factory=lambda: np.zeros(_N, np.int64))
    min_len: np.ndarray = field(default_factory=lambda: np.ones(_N, np.int64))
    relabel_len: np.ndarray = field(default_factory=lambda: np.zeros(_N, np.int64))
    relabel_to: np.ndarray = field(default_factory=lambda: np.full(_N, OTHER, np.int64))
    onset: np.ndarray = field(default_factory=lambda: np.zeros(_N, np.int64))
    offset: np.ndarray = field(default_factory=lambda: np.zeros(_N, np.int64))
    priorities: dict[tuple[int, int], float] = field(default_factory=dict)
    excludes: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    includes: list[tuple[int, tuple[Any, ...], int]] = field(default_factory=list)
    transforms: dict[int, list[tuple[Transform, Any]]] = field(default_factory=dict)

    def build(self) -> Plan:
        """The frozen plan (priority pairs become the shift step's ``takes`` matrix)."""
        takes = None
        if self.priorities:
            takes = np.zeros((_N, _N), dtype=bool)
            for c, d in self.priorities:
                takes[c, d] = True
        margins = tuple((c, d, m) for (c, d), m in sorted(self.priorities.items()) if m > 0)
        return Plan(
            residual=self.residual,
            bias=self.bias,
            margins=margins,
            takes=takes,
            excludes=tuple(self.excludes),
            includes=tuple(self.includes),
            gap=self.gap,
            min_len=self.min_len,
            relabel_len=self.relabel_len,
            relabel_to=self.relabel_to,
            onset=self.onset,
            offset=self.offset,
            transforms={s: tuple(t) for s, t in self.transforms.items()},
        )
