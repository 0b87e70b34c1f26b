"""Plain records of the boosted family: a learned style, and the data its fitting passes on.

Arrays are documented with their shapes; every record is frozen except
:class:`StyleModel`, the fitted style a model keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ethostyle.data import Dataset
from ethostyle.features import FeatureTable
from ethostyle.models.base import Piece
from ethostyle.models.boosted.context import with_evidence
from ethostyle.models.gbdt import GBDTClassifier, interpolate_rows
from ethostyle.models.program import StyleProgram

__all__ = ["HeldOutPiece", "StyleModel", "StyleVideo", "UnlabelledVideos"]


@dataclass
class StyleModel:
    """One annotator's departure from the reference.

    Attributes
    ----------
    annotator : int
        Annotator id.
    booster : GBDTClassifier or None
        Trees added to the reference log-probabilities (None: pure reference).
    evidence : numpy.ndarray
        ``(classes,)`` weights in [0, 1): how much of the style's change of each
        class's score is applied (0 keeps the reference score; grows with the
        number of bouts of the class in the annotator's videos).
    program : StyleProgram
        This annotator's style program (its first edits are the reference's own);
        its scores come from the booster only when it holds a ``residual`` edit.
    n_videos, n_frames : int
        How much of this annotator's data the style was learned from.
    """

    annotator: int
    booster: GBDTClassifier | None
    evidence: np.ndarray
    program: StyleProgram = field(default_factory=StyleProgram)
    n_videos: int = 0
    n_frames: int = 0

    def log_proba(
        self, stage2: np.ndarray, reference_logp: np.ndarray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Style log-probabilities from stage-2 inputs and reference log-probabilities.

        ``stage2`` holds the inputs of the frames ``rows`` only (all frames when
        None); the style's change of the scores is interpolated between them.
        """
        if self.booster is None or not self.program.has_residual:
            return reference_logp
        delta = self.booster.predict_raw(stage2)
        if rows is not None:
            delta = interpolate_rows(delta, rows, len(reference_logp))
        return with_evidence(reference_logp, delta, self.evidence)


@dataclass(frozen=True, slots=True)
class StyleVideo:
    """One labelled video (or a piece of one) as a style's boosted residual learns from it.

    Attributes
    ----------
    stage2 : numpy.ndarray
        ``(frames, inputs)`` the residual's inputs
        (:func:`~ethostyle.models.boosted.context.stage2_inputs`).
    reference_logp : numpy.ndarray
        ``(frames, classes)`` the reference's log-probabilities: where the
        residual's boosting starts.
    labels : numpy.ndarray
        ``(frames,)`` int64 labels of the annotator.
    """

    stage2: np.ndarray
    reference_logp: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def frames(self, start: int, stop: int) -> StyleVideo:
        """The frames ``start:stop`` of this video."""
        return StyleVideo(
            self.stage2[start:stop], self.reference_logp[start:stop], self.labels[start:stop]
        )

    @staticmethod
    def joined(videos: list[StyleVideo]) -> StyleVideo:
        """Every frame of ``videos`` in one record, in order."""
        return StyleVideo(
            np.concatenate([v.stage2 for v in videos]),
            np.concatenate([v.reference_logp for v in videos]),
            np.concatenate([v.labels for v in videos]),
        )


@dataclass(frozen=True, slots=True)
class HeldOutPiece:
    """A piece of an annotator's video and the residual fitted without it (one fold).

    Attributes
    ----------
    booster : GBDTClassifier
        The residual fitted on the fold's other pieces.
    piece : tuple of int
        ``(video index, first frame, stop frame)`` of the held-out frames.
    video : StyleVideo
        Those frames.
    """

    booster: GBDTClassifier
    piece: Piece
    video: StyleVideo


@dataclass(frozen=True, slots=True)
class UnlabelledVideos:
    """The pose-only sequences to self-train on, with their pose features.

    Attributes
    ----------
    dataset : Dataset
        The sequences (their labels are not used).
    table : FeatureTable
        Their pose features, in the model's feature order.
    """

    dataset: Dataset
    table: FeatureTable

    def poses_of(self, annotator: int) -> list[np.ndarray]:
        """``(frames, features)`` pose features of each of ``annotator``'s sequences."""
        return [
            self.table.values[self.table.rows(s.id)]
            for s in self.dataset
            if s.annotator_id == annotator
        ]
