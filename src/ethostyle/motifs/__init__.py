"""Motifs: sub-behaviours found without labels, shared by every annotator's style.

A *motif* is a cluster of frames whose windowed pose features look alike (the
resident running behind an intruder that moves away; the two noses together while
both stand still). The vocabulary is learned from all the pose there is, labelled
and unlabelled, without labels (:class:`MotifVocabulary`), so that a style becomes
a one-bit decision per motif ("annotator 3 also calls motif 12 attack") whose
evidence is pooled over every frame of that motif in the annotator's videos; the
style programs' motif edits (``include_motif``, ``exclude_motif``,
``relabel_motif``) make those decisions.

- :mod:`.vocabulary`: :class:`MotifVocabulary` (fit, assign, label counts, save/load);
- :mod:`.mixture`: the Gaussian mixtures behind it, sized by BIC, over every frame or
  within each group of frames (the reference's behaviours: ``fit(groups=...)``);
- :mod:`.words`: a motif in words, with units (:func:`describe_motif`);
- :mod:`.files`: reading its files back, with errors that name file and field.

A fitted :class:`~ethostyle.models.boosted.StyleTransferModel` keeps its vocabulary
in ``model.motifs_`` (None when it has none), with every labelling annotator's frames
counted per motif and class (:meth:`MotifVocabulary.label_shares`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> x = np.concatenate([rng.normal(m, 1.0, (800, 4)) for m in (-5, 5)]).astype(np.float32)
>>> vocab = MotifVocabulary.fit([x], ["a", "b", "c", "d"], candidates=(2, 3))
>>> vocab.n_motifs
2
"""

from ethostyle.motifs.mixture import GROUP_CANDIDATES
from ethostyle.motifs.vocabulary import (
    BIC_FRAMES,
    FIT_FRAMES,
    MIN_FRAMES_PER_MOTIF,
    MOTIF_CANDIDATES,
    MOTIF_DIMENSIONS,
    MOTIF_FILE,
    MOTIF_FORMAT,
    MotifVocabulary,
)
from ethostyle.motifs.words import MEASURES, describe_motif

__all__ = [
    "BIC_FRAMES",
    "FIT_FRAMES",
    "GROUP_CANDIDATES",
    "MEASURES",
    "MIN_FRAMES_PER_MOTIF",
    "MOTIF_CANDIDATES",
    "MOTIF_DIMENSIONS",
    "MOTIF_FILE",
    "MOTIF_FORMAT",
    "MotifVocabulary",
    "describe_motif",
]
