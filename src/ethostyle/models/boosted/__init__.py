"""Models of each annotator's labelling style, adapted from a reference model (``gbdt``).

The reference model is trained on the many videos of the reference annotator
(annotator 0 in CalMS21). For every other annotator a *style model* learns only
how that annotator departs from the reference:

1. its inputs are the reference model's class probabilities over seconds of
   context (:func:`probability_context`) beside the pose
   features, so it can move onsets and offsets, bridge gaps and move thresholds;
2. its boosting starts from the reference model's log-probabilities
   (LightGBM ``init_score``), so with no trees it *is* the reference and each
   tree only adds this annotator's correction, shrunk by a small learning rate;
3. the change of each behaviour's score is shrunk toward the reference by the
   evidence for it, ``n / (n + 5)`` for ``n`` bouts in the annotator's videos,
   and a behaviour with fewer than 2 bouts keeps the reference's score, so a
   style never forgets a behaviour its few videos happen not to show;
4. before that boosted *residual*, each annotator's style is a **style program**
   (:mod:`ethostyle.models.program`): a short list of rules a lab can read
   (thresholds, onset and offset shifts of up to 2 s, gap merging, minimum bouts
   and relabelling of short bouts of up to 4 s, priorities, and conditions on
   named pose features), each kept only when it raises the annotator's held-out
   F1 by more than a per-edit penalty. The program starts from the reference's
   own program (searched the same way on held-out reference videos), and the
   residual is kept only when it still raises held-out F1 on top of the program.

A sequence is predicted in the style of its ``annotator_id``; an annotator the
model has not seen gets the reference style and a warning naming it.

The package, one job per module:

- :mod:`.model`: :class:`StyleTransferModel`, which orchestrates fitting,
  predicting, describing and saving;
- :mod:`.reference`: the reference model and its own program;
- :mod:`.style`: one annotator's style, fitted step by step;
- :mod:`.context`: the stage-2 inputs of a style's residual;
- :mod:`.records`: the plain records the steps pass on (:class:`StyleModel`, ...);
- :mod:`.persist`: the model directory's files.
"""

from __future__ import annotations

from ethostyle.models.base import UnknownAnnotatorWarning
from ethostyle.models.boosted.context import (
    PROBABILITY_SHIFTS,
    PROBABILITY_WINDOWS,
    probability_context,
)
from ethostyle.models.boosted.model import PREDICT_FRAME_STRIDE, StyleTransferModel
from ethostyle.models.boosted.records import StyleModel
from ethostyle.models.boosted.reference import (
    MIN_TRAINING_FRAMES,
    MIN_VIDEOS_FOR_REFERENCE_PROGRAM,
    REFERENCE_PARAMS,
)
from ethostyle.models.boosted.style import (
    EVIDENCE_HALF_BOUTS,
    MIN_BOUTS_FOR_EVIDENCE,
    STYLE_PARAMS,
    STYLE_ROUNDS,
)

__all__ = [
    "EVIDENCE_HALF_BOUTS",
    "MIN_BOUTS_FOR_EVIDENCE",
    "MIN_TRAINING_FRAMES",
    "MIN_VIDEOS_FOR_REFERENCE_PROGRAM",
    "PREDICT_FRAME_STRIDE",
    "PROBABILITY_SHIFTS",
    "PROBABILITY_WINDOWS",
    "REFERENCE_PARAMS",
    "STYLE_PARAMS",
    "STYLE_ROUNDS",
    "StyleModel",
    "StyleTransferModel",
    "UnknownAnnotatorWarning",
    "probability_context",
]
