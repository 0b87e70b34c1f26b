"""Plain data types shared by every module: :class:`Sequence` and :class:`Dataset`.

Shapes follow the CalMS21 files exactly: ``keypoints`` is ``(frames, 2, 2, 7)``
float32 with axes (frame, mouse, xy, body part); mouse 0 is the resident and
mouse 1 the intruder; body parts are in :data:`BODY_PARTS` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from ethostyle.errors import DataFormatError

__all__ = [
    "BEHAVIORS",
    "BODY_PARTS",
    "FPS",
    "OTHER",
    "UNLABELLED",
    "VOCABULARY",
    "Dataset",
    "Predictions",
    "Sequence",
]

#: Frames per second of CalMS21 video.
FPS: int = 30
#: The 7 tracked body parts, in CalMS21 order (last keypoint axis).
BODY_PARTS: tuple[str, ...] = (
    "nose",
    "left_ear",
    "right_ear",
    "neck",
    "left_hip",
    "right_hip",
    "tail_base",
)
#: The canonical label vocabulary; label ``i`` means ``VOCABULARY[i]``.
VOCABULARY: tuple[str, ...] = ("attack", "investigation", "mount", "other")
#: The classes the challenge scores (every class but ``other``).
BEHAVIORS: tuple[str, ...] = ("attack", "investigation", "mount")
#: Index of ``other`` in :data:`VOCABULARY`.
OTHER: int = 3
#: The label of a frame nobody labelled (a partly labelled video): such frames are
#: left out of fitting and scoring, never taken as ``other``. Never written to a
#: challenge (MABe 2021) file.
UNLABELLED: int = -1


@dataclass(frozen=True, slots=True)
class Sequence:
    """One video of a resident-intruder pair.

    Parameters
    ----------
    id : str
        Sequence id, unique in its data set.
    keypoints : numpy.ndarray
        ``(frames, 2, 2, 7)`` float32: frame, mouse (0 resident, 1 intruder),
        (x, y) in pixels, body part in :data:`BODY_PARTS` order. May hold NaN
        where tracking was lost.
    annotator_id : int
        Who labelled (or should be predicted in the style of) this sequence.
    labels : numpy.ndarray or None
        ``(frames,)`` int8 indices into :data:`VOCABULARY`, or None when unlabelled;
        :data:`UNLABELLED` (-1) marks the frames of a partly labelled video that
        nobody labelled.
    scores : numpy.ndarray or None
        ``(frames, 2, 7)`` float32 keypoint confidences, when the source has them.
    video_fps : float or None
        Frame rate (Hz) of the video the poses came from, when a file records it
        (``import-pose`` does). ``keypoints`` are always at :data:`FPS`; a label
        file numbered in the video's own frames is converted at this rate. None:
        not recorded, taken to be :data:`FPS`.

    Examples
    --------
    >>> import numpy as np
    >>> s = Sequence("a", np.zeros((10, 2, 2, 7), np.float32), annotator_id=0)
    >>> s.n_frames
    10
    """

    id: str
    keypoints: np.ndarray
    annotator_id: int
    labels: np.ndarray | None = None
    scores: np.ndarray | None = None
    video_fps: float | None = None

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.keypoints.shape[0])

    def with_labels(self, labels: np.ndarray | None) -> Sequence:
        """Return a copy of this sequence with other labels (None to drop them)."""
        if labels is not None:
            labels = np.asarray(labels, dtype=np.int8)
            if labels.shape != (self.n_frames,):
                raise DataFormatError(
                    f"sequence {self.id!r}: {labels.shape[0] if labels.ndim else 0} labels "
                    f"for {self.n_frames} frames; give exactly one label per frame"
                )
        return replace(self, labels=labels)

    def with_annotator(self, annotator_id: int) -> Sequence:
        """Return a copy of this sequence attributed to another annotator."""
        return replace(self, annotator_id=int(annotator_id))


class Dataset:
    """An ordered collection of :class:`Sequence` keyed by id, with a vocabulary.

    Iterating yields sequences in order. Labels are always indices into
    ``vocabulary``, which is :data:`VOCABULARY` unless a file says otherwise.

    Parameters
    ----------
    sequences : iterable of Sequence
        The sequences; ids must be unique.
    vocabulary : sequence of str, optional
        Class names, label ``i`` meaning ``vocabulary[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> kp = np.zeros((5, 2, 2, 7), np.float32)
    >>> ds = Dataset([Sequence("a", kp, 0), Sequence("b", kp, 1)])
    >>> len(ds), ds.annotators, ds.n_frames
    (2, [0, 1], 10)
    """

    __slots__ = ("_sequences", "vocabulary")

    def __init__(
        self,
        sequences: Iterable[Sequence] = (),
        vocabulary: Iterable[str] = VOCABULARY,
    ) -> None:
        self.vocabulary: list[str] = list(vocabulary)
        self._sequences: dict[str, Sequence] = {}
        for seq in sequences:
            if seq.id in self._sequences:
                raise DataFormatError(
                    f"sequence id {seq.id!r} appears twice; sequence ids must be unique"
                )
            self._sequences[seq.id] = seq

    def __len__(self) -> int:
        return len(self._sequences)

    def __iter__(self) -> Iterator[Sequence]:
        return iter(self._sequences.values())

    def __contains__(self, sequence_id: object) -> bool:
        return sequence_id in self._sequences

    def __getitem__(self, sequence_id: str) -> Sequence:
        try:
            return self._sequences[sequence_id]
        except KeyError:
            raise DataFormatError(f"no sequence {sequence_id!r} in this data set") from None

    def __repr__(self) -> str:
        return (
            f"Dataset({len(self)} sequences, {self.n_frames} frames, "
            f"annotators {self.annotators}, labelled={self.is_labelled})"
        )

    @property
    def ids(self) -> list[str]:
        """Sequence ids in order."""
        return list(self._sequences)

    @property
    def n_frames(self) -> int:
        """Total number of frames over all sequences."""
        return sum(s.n_frames for s in self)

    @property
    def annotators(self) -> list[int]:
        """Sorted distinct annotator ids."""
        return sorted({s.annotator_id for s in self})

    @property
    def is_labelled(self) -> bool:
        """True when every sequence has labels."""
        return len(self) > 0 and all(s.labels is not None for s in self)

    def filter(self, annotators: Iterable[int]) -> Dataset:
        """Return the sequences labelled by the given annotators, in order."""
        keep = {int(a) for a in annotators}
        return Dataset((s for s in self if s.annotator_id in keep), self.vocabulary)

    def select(self, ids: Iterable[str]) -> Dataset:
        """Return the sequences with the given ids, in the order given."""
        return Dataset((self[i] for i in ids), self.vocabulary)

    def concat(self, other: Dataset) -> Dataset:
        """Return this data set followed by ``other`` (ids must not collide)."""
        if list(other.vocabulary) != list(self.vocabulary):
            raise DataFormatError(
                f"cannot join data sets with vocabularies {self.vocabulary} and "
                f"{other.vocabulary}; map both to one vocabulary first"
            )
        return Dataset([*self, *other], self.vocabulary)

    def without_labels(self) -> Dataset:
        """Return a copy with every sequence's labels removed."""
        return Dataset((s.with_labels(None) for s in self), self.vocabulary)


@dataclass(frozen=True, slots=True)
class Predictions:
    """Labels and probabilities of every sequence of a data set.

    Attributes
    ----------
    labels : dict of str to numpy.ndarray
        ``(frames,)`` int8 per sequence: a valid submission.
    proba : dict of str to numpy.ndarray
        ``(frames, classes)`` float32 per sequence.
    styles : dict of str to int
        The annotator style each sequence was labelled in.
    """

    labels: dict[str, np.ndarray]
    proba: dict[str, np.ndarray]
    styles: dict[str, int]
