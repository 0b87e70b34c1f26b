"""Self-training: a booster refit with its own confident labels of unlabelled videos.

The MABe 2021 challenge allows the unlabelled test videos to be used. A booster
that has learned from labelled videos labels the unlabelled ones; the frames it
labels with a top probability of at least :data:`CONFIDENCE` join its training
frames at weight :data:`PSEUDO_LABEL_WEIGHT`, and it is fitted once more. The new
videos' poses (other mice, other sessions) then shape its splits as well.

:class:`sklearn.semi_supervised.SelfTrainingClassifier` runs the same loop, but
it refits the first model from scratch (one more full boosting run of a model we
already hold), gives the pseudo-labels the same weight as an annotator's own
labels, and cannot pass LightGBM's per-fit arguments (initial scores, feature
names, progress); the loop itself is the few lines of :func:`with_pseudo_labels`
and its callers in :mod:`ethostyle.models.boosted`.

What self-training did is kept in the model (:class:`SelfTrainingRecord`: per
self-trained booster, how many unlabelled frames it labelled and how many it
took) and written to ``model.json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ethostyle.errors import ModelFormatError

__all__ = [
    "CONFIDENCE",
    "PSEUDO_LABEL_WEIGHT",
    "PseudoLabels",
    "SelfTrainingRecord",
    "confident_labels",
    "with_pseudo_labels",
]

#: Top class probability a frame needs before its label is trusted as a pseudo-label.
CONFIDENCE = 0.9
#: Weight of a pseudo-labelled frame beside an annotator's own labelled frame (1.0).
PSEUDO_LABEL_WEIGHT = 0.5


def confident_labels(
    proba: np.ndarray, threshold: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """The frames a model labels confidently, and its labels of them.

    Parameters
    ----------
    proba : numpy.ndarray
        ``(frames, classes)`` class probabilities.
    threshold : float
        Least top-class probability of a kept frame.

    Returns
    -------
    rows : numpy.ndarray
        Indices of the kept frames.
    labels : numpy.ndarray
        Their most probable class, int64.

    Examples
    --------
    >>> import numpy as np
    >>> rows, labels = confident_labels(np.array([[0.95, 0.05], [0.6, 0.4], [0.02, 0.98]]))
    >>> rows.tolist(), labels.tolist()
    ([0, 2], [0, 1])
    """
    proba = np.asarray(proba)
    if proba.ndim != 2:
        raise ValueError(f"proba must be (frames, classes), got shape {proba.shape}")
    rows = np.flatnonzero(proba.max(axis=1) >= threshold)
    return rows, proba[rows].argmax(axis=1).astype(np.int64)


def with_pseudo_labels(
    labelled: Sequence[np.ndarray],
    y: np.ndarray,
    unlabelled: Sequence[np.ndarray],
    proba_unlabelled: np.ndarray,
    *,
    threshold: float = CONFIDENCE,
    weight: float = PSEUDO_LABEL_WEIGHT,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, int]:
    """Labelled frames joined by the confidently labelled unlabelled ones.

    Parameters
    ----------
    labelled : sequence of numpy.ndarray
        Per-frame arrays of the labelled frames, each ``(frames, ...)``: the
        features, and any more a fit needs (such as LightGBM initial scores).
    y : numpy.ndarray
        Labels of the labelled frames.
    unlabelled : sequence of numpy.ndarray
        The same arrays for the unlabelled frames, in the same order.
    proba_unlabelled : numpy.ndarray
        The model's class probabilities of the unlabelled frames.
    threshold, weight : float
        See :data:`CONFIDENCE` and :data:`PSEUDO_LABEL_WEIGHT`.

    Returns
    -------
    joined : list of numpy.ndarray
        Each labelled array followed by the confident rows of its unlabelled twin.
    y, sample_weight : numpy.ndarray
        The joined labels and weights (1 for labelled frames).
    n_pseudo : int
        How many pseudo-labelled frames joined.
    """
    if len(labelled) != len(unlabelled):
        raise ValueError(
            f"{len(labelled)} labelled arrays but {len(unlabelled)} unlabelled; give twins"
        )
    rows, pseudo = confident_labels(proba_unlabelled, threshold)
    joined = [np.concatenate([a, b[rows]]) for a, b in zip(labelled, unlabelled, strict=True)]
    joined_y = np.concatenate([np.asarray(y, dtype=np.int64), pseudo])
    weights = np.concatenate([np.ones(len(y)), np.full(len(rows), weight)])
    return joined, joined_y, weights, len(rows)


@dataclass(frozen=True, slots=True)
class PseudoLabels:
    """What one booster's self-training took from the unlabelled videos.

    Attributes
    ----------
    unlabelled_frames : int
        Unlabelled frames the booster labelled.
    pseudo_labelled_frames : int
        Those it labelled with a top probability of at least :data:`CONFIDENCE`,
        which joined its training frames.
    """

    unlabelled_frames: int
    pseudo_labelled_frames: int

    def to_dict(self) -> dict[str, int]:
        """Plain JSON data: ``{"unlabelled_frames", "pseudo_labelled_frames"}``."""
        return {
            "unlabelled_frames": self.unlabelled_frames,
            "pseudo_labelled_frames": self.pseudo_labelled_frames,
        }

    @classmethod
    def from_dict(cls, data: object, where: str) -> PseudoLabels:
        """Read :meth:`to_dict` data; the error names ``where`` and the field."""
        if not isinstance(data, Mapping) or set(data) != {
            "unlabelled_frames",
            "pseudo_labelled_frames",
        }:
            raise ModelFormatError(
                f"{where} must be an object with 'unlabelled_frames' and 'pseudo_labelled_frames'"
            )
        return cls(
            _count(data["unlabelled_frames"], f"{where}.unlabelled_frames"),
            _count(data["pseudo_labelled_frames"], f"{where}.pseudo_labelled_frames"),
        )


#: A key of the flat record that model directories held before :class:`SelfTrainingRecord`.
_LEGACY_KEY = re.compile(r"(reference|style_(\d+))_(unlabelled|pseudo_labelled)_frames")


@dataclass(frozen=True, slots=True)
class SelfTrainingRecord:
    """What self-training did in a model: the reference's and each style's pseudo-labels.

    Attributes
    ----------
    reference : PseudoLabels or None
        The reference model's self-training (None: it was not self-trained).
    styles : dict of int to PseudoLabels
        Per annotator whose style's boosted residual was self-trained. Read-only:
        :meth:`with_style` and :meth:`without_styles` return new records.

    Examples
    --------
    >>> record = SelfTrainingRecord().with_style(3, PseudoLabels(900, 812))
    >>> SelfTrainingRecord.from_dict(record.to_dict(), "model.json: self_training") == record
    True
    """

    reference: PseudoLabels | None = None
    styles: dict[int, PseudoLabels] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.reference is not None or bool(self.styles)

    def with_style(self, annotator: int, taken: PseudoLabels) -> SelfTrainingRecord:
        """This record with ``annotator``'s style self-trained as ``taken`` says."""
        return SelfTrainingRecord(self.reference, {**self.styles, int(annotator): taken})

    def without_styles(self, annotators: Iterable[int]) -> SelfTrainingRecord:
        """This record without the styles of ``annotators`` (they are being refitted)."""
        drop = {int(a) for a in annotators}
        return SelfTrainingRecord(
            self.reference, {a: t for a, t in self.styles.items() if a not in drop}
        )

    def of_styles(self, annotators: Iterable[int]) -> SelfTrainingRecord:
        """Only the styles of ``annotators`` (what adapting them did), without the reference."""
        keep = {int(a) for a in annotators}
        return SelfTrainingRecord(None, {a: t for a, t in self.styles.items() if a in keep})

    def statements(self) -> list[str]:
        """What self-training did, one sentence per self-trained model.

        Examples
        --------
        >>> record = SelfTrainingRecord(styles={3: PseudoLabels(900, 812)})
        >>> record.statements()  # doctest: +ELLIPSIS
        ["annotator 3's style: its boosted residual took 812 of 900 unlabelled frames ..."]
        """
        rule = f"as pseudo-labels (top probability >= {CONFIDENCE})"
        out = []
        if self.reference is not None:
            out.append(
                f"the reference took {self.reference.pseudo_labelled_frames} of "
                f"{self.reference.unlabelled_frames} unlabelled frames {rule}"
            )
        for annotator, taken in self.styles.items():
            out.append(
                f"annotator {annotator}'s style: its boosted residual took "
                f"{taken.pseudo_labelled_frames} of {taken.unlabelled_frames} unlabelled frames "
                f"of annotator {annotator} {rule}"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: ``{"reference": {...} or null, "styles": {"<annotator>": {...}}}``."""
        return {
            "reference": None if self.reference is None else self.reference.to_dict(),
            "styles": {str(a): t.to_dict() for a, t in self.styles.items()},
        }

    @classmethod
    def from_dict(cls, data: object, where: str) -> SelfTrainingRecord:
        """Read :meth:`to_dict` data, or the flat record of older model directories.

        Parameters
        ----------
        data : object
            The parsed JSON.
        where : str
            The file and the record's path inside it; errors start with it.

        Returns
        -------
        SelfTrainingRecord

        Raises
        ------
        ModelFormatError
            Naming ``where`` and the bad field.
        """
        if not isinstance(data, Mapping):
            raise ModelFormatError(f"{where} must be a JSON object")
        if set(data) - {"reference", "styles"}:
            return cls._from_legacy(data, where)
        reference = data.get("reference")
        styles = data.get("styles", {})
        if not isinstance(styles, Mapping):
            raise ModelFormatError(f"{where}.styles must be a JSON object")
        return cls(
            None if reference is None else PseudoLabels.from_dict(reference, f"{where}.reference"),
            {
                _annotator(key, f"{where}.styles"): PseudoLabels.from_dict(
                    value, f"{where}.styles.{key}"
                )
                for key, value in styles.items()
            },
        )

    @classmethod
    def _from_legacy(cls, data: Mapping[str, Any], where: str) -> SelfTrainingRecord:
        """The flat ``{"style_3_unlabelled_frames": 900, ...}`` record of older models."""
        counts: dict[str, dict[str, int]] = {}
        for key, value in data.items():
            match = _LEGACY_KEY.fullmatch(str(key))
            if match is None:
                raise ModelFormatError(f"{where}.{key} is not a self-training entry")
            who = match.group(1)
            counts.setdefault(who, {})[f"{match.group(3)}_frames"] = _count(value, f"{where}.{key}")
        taken = {who: PseudoLabels.from_dict(c, f"{where} ({who})") for who, c in counts.items()}
        return cls(
            taken.pop("reference", None),
            {int(who.removeprefix("style_")): t for who, t in taken.items()},
        )


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ModelFormatError(f"{where} must be a whole number of frames, not {value!r}")
    return value


def _annotator(key: object, where: str) -> int:
    if not isinstance(key, str) or not key.isdigit():
        raise ModelFormatError(f"{where}: {key!r} is not an annotator id")
    return int(key)
