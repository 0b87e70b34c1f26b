"""The one registry of model families: ``ethostyle train --model`` names and manifest kinds.

A family registers its estimator class with a decorator::

    @register_family("gbdt", kind="gbdt-style-transfer")
    class StyleTransferModel(StylePredictor): ...

``name`` is what :func:`make_model` and ``ethostyle train --model`` accept;
``kind`` is what a model directory's ``model.json`` records, so the model store
(:mod:`ethostyle.models.store`) finds the class that reads it. Both must never
change once models have been written. A family built from other families (the
ensemble) names them in ``members``: :func:`make_model` builds each member from the
parameters its constructor takes and hands them to the family's constructor.

The families that ship with ethostyle register when :mod:`ethostyle.models` is
imported (which Python does before any of its modules).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ethostyle.errors import ModelParameterError
from ethostyle.models.base import StylePredictor

__all__ = [
    "Family",
    "families",
    "family_named",
    "family_of",
    "family_of_kind",
    "make_model",
    "register_family",
]

Estimator = TypeVar("Estimator", bound=type[StylePredictor])


@dataclass(frozen=True, slots=True)
class Family:
    """One registered model family.

    Attributes
    ----------
    name : str
        What :func:`make_model` and ``ethostyle train --model`` accept.
    kind : str
        What a model directory's manifest records as its ``kind``.
    estimator : type
        The :class:`~ethostyle.models.base.StylePredictor` subclass.
    members : dict of str to str
        For a family built from other families: constructor parameter to the
        name of the family it holds (empty for the others).
    """

    name: str
    kind: str
    estimator: type[StylePredictor]
    members: Mapping[str, str] = field(default_factory=dict)


_FAMILIES: dict[str, Family] = {}


def register_family(
    name: str, *, kind: str, members: Mapping[str, str] | None = None
) -> Callable[[Estimator], Estimator]:
    """Class decorator: register a model family under a name and a manifest kind.

    Parameters
    ----------
    name : str
        The family's name for :func:`make_model` and ``--model``.
    kind : str
        The ``kind`` its model directories record.
    members : dict of str to str, optional
        Constructor parameter to member family name, for a family of families.

    Returns
    -------
    callable
        The decorator; it returns the class unchanged.

    Raises
    ------
    ValueError
        If the name or kind is already taken by another class.
    """

    def register(estimator: Estimator) -> Estimator:
        for taken in _FAMILIES.values():
            clash = taken.name == name or taken.kind == kind
            if clash and taken.estimator.__qualname__ != estimator.__qualname__:
                raise ValueError(
                    f"model family {name!r} (kind {kind!r}) clashes with {taken.name!r} "
                    f"(kind {taken.kind!r}, {taken.estimator.__qualname__})"
                )
        _FAMILIES[name] = Family(name, kind, estimator, dict(members or {}))
        return estimator

    return register


def families() -> tuple[Family, ...]:
    """Every registered family, in the order they registered.

    Examples
    --------
    >>> sorted(f.name for f in families())
    ['ensemble', 'gbdt', 'tcn']
    """
    return tuple(_FAMILIES.values())


def family_named(name: str) -> Family:
    """The family ``make_model`` and ``--model`` call ``name``.

    Raises
    ------
    ModelParameterError
        If no family has that name; the message lists the names.
    """
    if name not in _FAMILIES:
        raise ModelParameterError(f"unknown model family {name!r}; choose one of {list(_FAMILIES)}")
    return _FAMILIES[name]


def family_of_kind(kind: str) -> Family | None:
    """The family whose model directories record ``kind`` (None: no such family)."""
    return next((f for f in _FAMILIES.values() if f.kind == kind), None)


def family_of(model: StylePredictor) -> Family | None:
    """The family of a model: that of its class, or of the nearest registered base class."""
    for cls in type(model).__mro__:
        found = next((f for f in _FAMILIES.values() if f.estimator is cls), None)
        if found is not None:
            return found
    return None


def make_model(family: str = "gbdt", **params: Any) -> StylePredictor:
    """Build an unfitted model of any registered family.

    Parameters
    ----------
    family : str
        A registered name (:func:`families`): ``"gbdt"`` (the boosted style
        models), ``"tcn"`` (the neural network) or ``"ensemble"`` (both, averaged
        per annotator).
    **params
        Constructor parameters. For a family of families (the ensemble) each
        parameter goes to every constructor that takes it: ``reference_annotator``
        and ``seed`` to both members (and ``seed`` to the ensemble), ``device`` to
        its neural member.

    Returns
    -------
    StylePredictor
        The unfitted model.

    Raises
    ------
    ModelParameterError
        If the family is unknown.

    Examples
    --------
    >>> make_model("gbdt", seed=3).get_params()["seed"]
    3
    """
    return _build(family_named(family), params)


def _build(entry: Family, params: dict[str, Any]) -> StylePredictor:
    if not entry.members:
        return entry.estimator(**params)
    members = {}
    taken: set[str] = set()
    for parameter, member_name in entry.members.items():
        member = family_named(member_name)
        accepted = set(member.estimator._get_param_names())
        members[parameter] = _build(member, {k: v for k, v in params.items() if k in accepted})
        taken |= accepted
    own = set(entry.estimator._get_param_names())
    # A parameter no member takes goes to the family itself, whose constructor refuses
    # it if it does not take it either.
    return entry.estimator(
        **members, **{k: v for k, v in params.items() if k in own or k not in taken}
    )
