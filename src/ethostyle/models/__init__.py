"""Style-transfer models: per-frame class probabilities in each annotator's style.

Every family follows one contract (:class:`~ethostyle.models.base.StylePredictor`,
a scikit-learn estimator): ``fit(dataset)``, ``predict_sequence``, ``predict``,
``save(directory) -> config`` and ``load(directory, config)``; the model store
(:mod:`ethostyle.models.store`) writes and reads any of them. Each family
registers itself once (:func:`~ethostyle.models.registry.register_family`), and
:func:`make_model`, ``ethostyle train --model`` and the store all read that registry.

- :mod:`~ethostyle.models.boosted`: LightGBM reference plus per-annotator styles (default);
- :mod:`~ethostyle.models.tcn`: a PyTorch temporal convolutional network (``torch`` extra);
- :mod:`~ethostyle.models.ensemble`: a per-annotator weighted average of the two;
- :mod:`~ethostyle.models.baselines`: the models the style models are measured against.

:func:`train_model` and :func:`adapt_model` are what ``ethostyle train`` and
``ethostyle adapt`` run: which options go together, self-training, and the
training-data fingerprint the model directory records.
"""

from __future__ import annotations

# Importing the families registers them (the registry's decorator runs on import).
from ethostyle.models import boosted, ensemble, tcn  # noqa: F401
from ethostyle.models.base import StylePredictor
from ethostyle.models.registry import families, make_model, register_family
from ethostyle.models.training import (
    TrainedModel,
    adapt_model,
    check_training_options,
    data_fingerprint,
    train_model,
)

__all__ = [
    "StylePredictor",
    "TrainedModel",
    "adapt_model",
    "check_training_options",
    "data_fingerprint",
    "families",
    "make_model",
    "register_family",
    "train_model",
]
