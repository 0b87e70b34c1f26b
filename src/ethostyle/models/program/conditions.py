"""A rule's condition on a named pose feature, and the errors of a record's fields.

Examples
--------
>>> Condition("r_nose-i_nose_px", "<", 20).to_dict()
{'feature': 'r_nose-i_nose_px', 'op': '<', 'value': 20.0}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ethostyle.errors import ModelFormatError
from ethostyle.features.words import comparison_phrase

__all__ = ["Condition", "FieldError", "is_int", "is_number", "rule_from_list"]


class FieldError(ValueError):
    """A bad field of an edit; ``field`` names it for :meth:`StyleProgram.from_dict`."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name} {message}")
        self.field = field_name
        self.message = message


def is_int(value: object) -> bool:
    """Whether ``value`` is an int (numpy ints too), not a bool."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Condition:
    """One comparison of a named base pose feature with a value.

    Parameters
    ----------
    feature : str
        A column name of :func:`ethostyle.features.pose_features` (e.g.
        ``"r_nose-i_nose_px"``).
    op : {"<", ">"}
        ``"<"`` holds where the feature is below ``value``; ``">"`` where it is at
        or above it (so the two split every frame; a missing value meets neither).
    value : float
        The threshold, in the feature's units.

    Examples
    --------
    >>> import numpy as np
    >>> Condition("facing_cos", ">", 0.5).holds(np.array([0.2, 0.5, 0.9])).tolist()
    [False, True, True]
    """

    feature: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if not isinstance(self.feature, str) or not self.feature:
            raise FieldError("feature", "must be a feature name (a non-empty string)")
        if self.op not in ("<", ">"):
            raise FieldError("op", f'must be "<" or ">", got {self.op!r}')
        if not is_number(self.value) or not math.isfinite(float(self.value)):
            raise FieldError("value", "must be a finite number")
        object.__setattr__(self, "value", float(self.value))

    def holds(self, column: np.ndarray) -> np.ndarray:
        """``(frames,)`` bool: where the condition holds on a feature column."""
        if self.op == "<":
            return column < self.value
        return column >= self.value

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: ``{"feature", "op", "value"}``."""
        return {"feature": self.feature, "op": self.op, "value": self.value}

    def text(self, px_per_cm: float | None) -> str:
        """The condition in words, with units (angles in degrees, distances in px or cm)."""
        return comparison_phrase(
            self.feature, below=self.op == "<", value=self.value, px_per_cm=px_per_cm
        )


def rule_from_list(
    rule: object, path: str, fail: Callable[[str, str], ModelFormatError]
) -> tuple[Condition, ...]:
    """Read a rule's JSON list of conditions; ``fail(path, message)`` makes the error."""
    if not isinstance(rule, list):
        raise fail(path, "must be a list of conditions")
    conditions = []
    for j, cond in enumerate(rule):
        where = f"{path}[{j}]"
        if not isinstance(cond, Mapping) or set(cond) != {"feature", "op", "value"}:
            raise fail(where, 'must be an object with "feature", "op" and "value"')
        try:
            conditions.append(Condition(cond["feature"], cond["op"], cond["value"]))
        except FieldError as err:
            raise fail(f"{where}.{err.field}", err.message) from None
    return tuple(conditions)
