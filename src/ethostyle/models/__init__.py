"""Style-transfer models: per-frame class probabilities in each annotator's style.

Every family follows one contract (:class:`~ethostyle.models.base.StylePredictor`,
a scikit-learn estimator): ``fit(dataset)``, ``predict_sequence``, ``predict``,
``save(directory) -> config`` and ``load(directory, config)``; the model store
(:mod:`ethostyle.models.store`) writes and reads any of them.

- :mod:`~ethostyle.models.boosted`: LightGBM reference plus per-annotator styles (default);
- :mod:`~ethostyle.models.tcn`: a PyTorch temporal convolutional network (``torch`` extra);
- :mod:`~ethostyle.models.ensemble`: a per-annotator weighted average of the two;
- :mod:`~ethostyle.models.baselines`: the models the style models are measured against.
"""

from __future__ import annotations

from typing import Any

from ethostyle.errors import ModelParameterError
from ethostyle.models.base import StylePredictor

__all__ = ["FAMILIES", "StylePredictor", "make_model"]

#: The names :func:`make_model` (and ``ethostyle train --model``) accept.
FAMILIES: tuple[str, ...] = ("gbdt", "tcn", "ensemble")


def make_model(family: str = "gbdt", **params: Any) -> StylePredictor:
    """Build an unfitted model of any family.

    Parameters
    ----------
    family : {"gbdt", "tcn", "ensemble"}
        ``"gbdt"``: the boosted style models; ``"tcn"``: the neural network;
        ``"ensemble"``: both, averaged per annotator.
    **params
        Constructor parameters. ``reference_annotator`` and ``seed`` go to both
        members of an ensemble; ``device`` to its neural member.

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
    from ethostyle.models.boosted import StyleTransferModel
    from ethostyle.models.ensemble import EnsembleStyleTransfer
    from ethostyle.models.tcn import TCNStyleTransfer

    if family == "gbdt":
        return StyleTransferModel(**params)
    if family == "tcn":
        return TCNStyleTransfer(**params)
    if family == "ensemble":
        shared = {k: params.pop(k) for k in ("reference_annotator", "seed") if k in params}
        device = params.pop("device", "cpu")
        return EnsembleStyleTransfer(
            StyleTransferModel(**shared),
            TCNStyleTransfer(**shared, device=device),
            **params,
            **({"seed": shared["seed"]} if "seed" in shared else {}),
        )
    raise ModelParameterError(f"unknown model family {family!r}; choose one of {list(FAMILIES)}")
