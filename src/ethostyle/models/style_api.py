"""The prediction methods every style-transfer model shares.

A style-transfer model computes log-probabilities of a sequence in annotators'
styles (``log_proba_in_styles``) and knows each annotator's decoding
(``decoder_for``); labelling one sequence or a whole data set follows from those
two in the same way for every model, so it is written once here.
"""

from __future__ import annotations

import numpy as np

from ethostyle.data import Dataset, Sequence
from ethostyle.decode import DecoderParams, decode
from ethostyle.errors import DataFormatError
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = ["StylePredictor", "reference_sequence_ids"]


def reference_sequence_ids(train: Dataset, reference_annotator: int) -> list[str]:
    """Check a training set as every style-transfer model needs it; the reference's ids.

    Parameters
    ----------
    train : Dataset
        Training sequences.
    reference_annotator : int
        The annotator whose many videos train the reference model.

    Returns
    -------
    list of str
        Ids of the reference annotator's sequences.

    Raises
    ------
    DataFormatError
        If a sequence has no labels or the reference annotator has no sequence.
    """
    if not train.is_labelled:
        unlabelled = [s.id for s in train if s.labels is None][:3]
        raise DataFormatError(
            f"training needs labels on every sequence; {unlabelled} have none. "
            "Pass a train.npy-layout file (with 'annotations')."
        )
    ref_ids = [s.id for s in train if s.annotator_id == reference_annotator]
    if not ref_ids:
        raise DataFormatError(
            f"no sequence of the reference annotator {reference_annotator}; "
            f"annotators present: {train.annotators}. Choose one with --reference."
        )
    return ref_ids


class StylePredictor:
    """Mixin: labels from ``log_proba_in_styles`` and ``decoder_for``."""

    def log_proba_in_styles(
        self, sequence: Sequence, annotators: list[int] | None = None
    ) -> dict[int, np.ndarray]:
        """Annotator id to ``(frames, classes)`` log-probabilities (implemented by models)."""
        raise NotImplementedError

    def decoder_for(self, annotator: int) -> DecoderParams:
        """The decoding of an annotator (implemented by models)."""
        raise NotImplementedError

    def sequence_log_proba(self, sequence: Sequence, annotator: int | None = None) -> np.ndarray:
        """Log-probabilities ``(frames, classes)`` of one sequence in one annotator's style.

        Parameters
        ----------
        sequence : Sequence
            The sequence (its labels are ignored).
        annotator : int, optional
            Whose style; defaults to the sequence's ``annotator_id``.

        Returns
        -------
        numpy.ndarray
            ``(frames, classes)`` float64 log-probabilities.
        """
        who = sequence.annotator_id if annotator is None else int(annotator)
        return self.log_proba_in_styles(sequence, [who])[who]

    def predict_sequence(
        self, sequence: Sequence, annotator: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Labels and probabilities of one sequence in one annotator's style.

        Parameters
        ----------
        sequence : Sequence
            The sequence (its labels are ignored).
        annotator : int, optional
            Whose style; defaults to the sequence's ``annotator_id``.

        Returns
        -------
        labels : numpy.ndarray
            ``(frames,)`` int8.
        proba : numpy.ndarray
            ``(frames, classes)`` float32.
        """
        who = sequence.annotator_id if annotator is None else int(annotator)
        proba = np.exp(self.sequence_log_proba(sequence, who)).astype(np.float32)
        return decode(proba, self.decoder_for(who)), proba

    def predict(
        self, dataset: Dataset, *, progress: Progress = NULL_PROGRESS
    ) -> dict[str, np.ndarray]:
        """Labels of every sequence, each in the style of its ``annotator_id``.

        Parameters
        ----------
        dataset : Dataset
            Sequences to label.
        progress : Progress, optional
            Receives progress in frames.

        Returns
        -------
        dict of str to numpy.ndarray
            Sequence id to ``(frames,)`` int8 labels (a valid submission).
        """
        from ethostyle.predictions import predict_dataset  # imports this module: not at the top

        return predict_dataset(self, dataset, progress=progress).labels
