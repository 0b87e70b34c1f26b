"""The warning for sequences whose annotator a model has no style for.

Every family labels such a sequence in the reference style and says so once
(:func:`warn_unknown_annotators` for a whole file). :mod:`ethostyle.models.base`
re-exports these names.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Mapping

__all__ = ["UnknownAnnotatorWarning", "warn_unknown_annotator", "warn_unknown_annotators"]


class UnknownAnnotatorWarning(UserWarning):
    """A sequence names an annotator the model has no style for."""


def warn_unknown_annotator(
    sequence_id: str, annotator: int, known: list[int], reference: int, *, stacklevel: int = 3
) -> None:
    """Warn that ``annotator`` has no style and is labelled in the reference style.

    Parameters
    ----------
    sequence_id : str
        The sequence being labelled.
    annotator : int
        The annotator it names.
    known : list of int
        Annotators the model has styles for.
    reference : int
        The reference annotator, whose style is used instead.
    stacklevel : int, optional
        Which caller the warning names (as :func:`warnings.warn`).
    """
    warnings.warn(
        f"sequence {sequence_id!r}: annotator {annotator} has no style in this model "
        f"(known: {known}); labelling it in the reference style (annotator {reference})",
        UnknownAnnotatorWarning,
        stacklevel=stacklevel,
    )


def warn_unknown_annotators(
    styles: Mapping[str, int], known: list[int], reference: int, *, stacklevel: int = 3
) -> None:
    """One warning for every sequence whose annotator has no style: how many, whose, which.

    Labelling a file of many sequences with a model that lacks their annotators
    (the challenge's test file with a reference-only model) gives one line, not
    one per sequence.

    Parameters
    ----------
    styles : mapping of str to int
        Sequence id to the annotator whose style it is to be labelled in.
    known : list of int
        Annotators the model has styles for.
    reference : int
        The reference annotator, whose style is used instead.
    stacklevel : int, optional
        Which caller the warning names (as :func:`warnings.warn`).
    """
    unknown = {sid: who for sid, who in styles.items() if who not in known}
    if len(unknown) == 1:
        [(sequence_id, annotator)] = unknown.items()
        warn_unknown_annotator(sequence_id, annotator, known, reference, stacklevel=stacklevel + 1)
        return
    if not unknown:
        return
    counts = Counter(unknown.values())
    each = ", ".join(f"annotator {who} in {counts[who]}" for who in sorted(counts))
    first = ", ".join(map(repr, list(unknown)[:3]))
    warnings.warn(
        f"{len(unknown)} of {len(styles)} sequences name an annotator this model has no style "
        f"for ({each}; known: {known}), e.g. {first}; labelling them in the reference style "
        f"(annotator {reference})",
        UnknownAnnotatorWarning,
        stacklevel=stacklevel,
    )
