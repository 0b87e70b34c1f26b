"""Training and adapting a model as ``ethostyle train`` and ``ethostyle adapt`` do.

:func:`train_model` checks which options go together, builds the family from the
registry, fits it (on this machine, with the reference boosted elsewhere, or
self-trained on unlabelled videos) and returns a :class:`TrainedModel`: the model,
the fingerprint of the data it learned from (which its saved directory records),
and what self-training did, in words. :func:`adapt_model` learns more annotators'
styles on top of a saved model's reference the same way. The commands only parse
their options, call one of these and print.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ethostyle.data import Dataset
from ethostyle.errors import ModelParameterError
from ethostyle.models.base import StylePredictor
from ethostyle.models.registry import Family, families, family_named, make_model
from ethostyle.models.store import load_checked, read_manifest, save_model
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = [
    "TrainedModel",
    "adapt_model",
    "check_training_options",
    "data_fingerprint",
    "train_model",
]


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """A fitted model and what its model directory records about how it was fitted.

    Attributes
    ----------
    model : StylePredictor
        The fitted model.
    provenance : dict
        Manifest entries: ``training_data`` (:func:`data_fingerprint`), and
        ``adapted_on`` and ``unlabelled_data`` where they apply.
    self_training : tuple of str
        What self-training did in this call, one sentence per self-trained model
        (empty when no unlabelled videos were given).
    """

    model: StylePredictor
    provenance: dict[str, Any] = field(default_factory=dict)
    self_training: tuple[str, ...] = ()

    def save(self, directory: str | Path) -> Path:
        """Write the model directory, with the data fingerprints in its manifest.

        Parameters
        ----------
        directory : str or Path
            Destination folder (replaced only once complete).

        Returns
        -------
        Path
            The directory.
        """
        return save_model(self.model, directory, extra=self.provenance)


def data_fingerprint(dataset: Dataset, files: Sequence[str | Path] = ()) -> dict[str, Any]:
    """What a model learned from, for its manifest: files, sequences, frames, annotators.

    Parameters
    ----------
    dataset : Dataset
        The data.
    files : sequence of str or Path
        The files it was read from (none for data built in Python).

    Returns
    -------
    dict
        ``files``, ``sequences``, ``frames``, ``annotators``, and ``body_length_px``: the
        median nose-to-tail-base length of the mice in pixels (None where unmeasurable),
        against which ``predict`` checks the scale of new poses.

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> data_fingerprint(simulate("tiny", seed=0).train, ["train.npy"])["files"]
    ['train.npy']
    """
    from ethostyle.io.validation import median_body_length_px

    scale = median_body_length_px(dataset)
    return {
        "files": [str(p) for p in files],
        "sequences": len(dataset),
        "frames": dataset.n_frames,
        "annotators": list(dataset.annotators),
        "body_length_px": round(scale, 2) if np.isfinite(scale) else None,
    }


def train_model(
    train: Dataset,
    *,
    family: str = "gbdt",
    unlabelled: Dataset | None = None,
    reference_estimator: Callable[..., Any] | None = None,
    files: Sequence[str | Path] = (),
    unlabelled_files: Sequence[str | Path] = (),
    progress: Progress = NULL_PROGRESS,
    **params: Any,
) -> TrainedModel:
    """Build and fit a model of any family, as ``ethostyle train`` does.

    Parameters
    ----------
    train : Dataset
        Labelled training sequences.
    family : str
        A registered family name (``ethostyle train --model``).
    unlabelled : Dataset, optional
        Pose-only sequences to self-train on (families whose ``fit`` takes them).
    reference_estimator : callable, optional
        What boosts the reference (families that take it, such as
        :class:`~ethostyle.distributed.DaskGBDTClassifier` for a cluster).
    files, unlabelled_files : sequence of str or Path
        Where ``train`` and ``unlabelled`` were read from, for the fingerprints.
    progress : Progress, optional
        Receives progress of each step.
    **params
        Constructor parameters (:func:`~ethostyle.models.registry.make_model`);
        ``device`` is dropped for a family that runs only on the CPU.

    Returns
    -------
    TrainedModel
        The fitted model, its ``training_data`` (and ``unlabelled_data``)
        fingerprints, and what self-training did.

    Raises
    ------
    ModelParameterError
        If the family is unknown, or does not take ``reference_estimator``,
        ``unlabelled`` or ``reference_stack``, or they do not go together
        (:func:`check_training_options`).

    Examples
    --------
    >>> from ethostyle.simulate import simulate
    >>> trained = train_model(simulate("tiny", seed=0).train, seed=0)  # doctest: +SKIP
    >>> trained.save("my-model")  # doctest: +SKIP
    PosixPath('my-model')
    """
    entry = family_named(family)
    check_training_options(
        family,
        unlabelled=unlabelled is not None,
        on_cluster=reference_estimator is not None,
        reference_stack=params.get("reference_stack", 0),
    )
    if reference_estimator is not None:
        params["reference_estimator"] = reference_estimator
    if "device" in params and not _takes(entry, "device"):
        params.pop("device")  # where a neural network runs; LightGBM runs on the CPU
    model = make_model(family, **params)
    provenance = {"training_data": data_fingerprint(train, files)}
    if unlabelled is None:
        model.fit(train, progress=progress)
        return TrainedModel(model, provenance)
    model.fit(train, unlabelled=unlabelled, progress=progress)
    provenance["unlabelled_data"] = data_fingerprint(unlabelled, unlabelled_files)
    return TrainedModel(model, provenance, tuple(model.self_training_.statements()))


def adapt_model(
    model_dir: str | Path,
    train: Dataset,
    *,
    unlabelled: Dataset | None = None,
    files: Sequence[str | Path] = (),
    unlabelled_files: Sequence[str | Path] = (),
    progress: Progress = NULL_PROGRESS,
) -> TrainedModel:
    """Learn more annotators' styles on top of a saved model's reference, as ``ethostyle adapt``.

    The reference model is not retrained: labels in the reference annotator's
    style stay exactly as the saved model gives them.

    Parameters
    ----------
    model_dir : str or Path
        A model directory from ``ethostyle train``.
    train : Dataset
        Labelled sequences of the annotators whose styles to learn.
    unlabelled : Dataset, optional
        Pose-only sequences: a style that keeps a boosted residual is self-trained
        on its own annotator's.
    files, unlabelled_files : sequence of str or Path
        Where ``train`` and ``unlabelled`` were read from, for the fingerprints.
    progress : Progress, optional
        Receives progress of each step.

    Returns
    -------
    TrainedModel
        The adapted model; its provenance keeps the saved model's ``training_data``
        and adds ``adapted_on`` (and ``unlabelled_data``); its ``self_training``
        says, per adapted annotator, what its style's self-training took, or that
        nothing was self-trained.

    Raises
    ------
    ModelParameterError
        If the model's family cannot adapt.
    ModelFormatError, DataFormatError
        See :func:`~ethostyle.models.store.read_manifest` and the family's ``adapt``.
    """
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    model = load_checked(model_dir, manifest)
    if not callable(getattr(model, "adapt", None)):
        able = [f.name for f in families() if callable(getattr(f.estimator, "adapt", None))]
        raise ModelParameterError(
            f"{model_dir}: adapt learns styles on top of the {_names(able)} model; this "
            f"model is a {type(model).__name__}. Train it with the new annotators' files "
            "instead (`ethostyle train task1.npy task2.npy --model ...`)"
        )
    model.adapt(train, unlabelled=unlabelled, progress=progress)
    provenance = {
        "training_data": manifest.get("training_data"),
        "adapted_on": data_fingerprint(train, files),
    }
    if unlabelled is None:
        return TrainedModel(model, provenance)
    provenance["unlabelled_data"] = data_fingerprint(unlabelled, unlabelled_files)
    adapted = [a for a in train.annotators if a != model.reference_annotator]
    done = model.self_training_.of_styles(adapted).statements() or [
        "no style learned here kept a boosted residual with unlabelled videos of its "
        "annotator, so nothing was self-trained (adapt never retrains the reference)"
    ]
    return TrainedModel(model, provenance, tuple(done))


def check_training_options(
    family: str, *, unlabelled: bool, on_cluster: bool, reference_stack: int = 0
) -> None:
    """Refuse options that do not go together, before any data is read.

    Parameters
    ----------
    family : str
        The family name (``--model``).
    unlabelled : bool
        Whether unlabelled videos are given to self-train on (``--unlabelled``).
    on_cluster : bool
        Whether the reference is boosted elsewhere (``--scheduler``, a
        ``reference_estimator``).
    reference_stack : int, optional
        The stacked reference's number of folds (``--reference-stack``; 0: one LightGBM).

    Raises
    ------
    ModelParameterError
        If the family is unknown, or does not take what is asked of it; the
        message names the families that do.

    Examples
    --------
    >>> check_training_options("tcn", unlabelled=True, on_cluster=False)
    Traceback (most recent call last):
    ...
    ethostyle.errors.ModelParameterError: --unlabelled self-trains the 'gbdt' model on ...
    """
    entry = family_named(family)
    if on_cluster and not _takes(entry, "reference_estimator", members=False):
        able = [f.name for f in families() if _takes(f, "reference_estimator", members=False)]
        raise ModelParameterError(
            f"--scheduler trains the {_names(able)} model only; drop --model or it"
        )
    if unlabelled and (on_cluster or not _self_trains(entry)):
        able = [f.name for f in families() if _self_trains(f)]
        raise ModelParameterError(
            f"--unlabelled self-trains the {_names(able)} model on this machine only; drop "
            "--unlabelled, or --model and --scheduler"
        )
    if reference_stack:
        _check_stack(entry, reference_stack, unlabelled=unlabelled, on_cluster=on_cluster)


def _check_stack(entry: Family, folds: int, *, unlabelled: bool, on_cluster: bool) -> None:
    """Refuse a stacked reference with options it cannot go with."""
    option = f"--reference-stack {folds}"
    if not _takes(entry, "reference_stack"):
        able = [f.name for f in families() if _takes(f, "reference_stack")]
        raise ModelParameterError(
            f"{option}: the stacked reference is a reference of the {_names(able)} model; "
            f"drop --reference-stack, or --model {entry.name}"
        )
    if folds < 2:
        raise ModelParameterError(
            f"{option}: a stacked reference needs 2 or more fold models, each labelling the "
            "videos the others learned from; give --reference-stack 2 (or more), or 0 for "
            "the default reference"
        )
    if unlabelled:
        raise ModelParameterError(
            f"{option} cannot be used with --unlabelled: the stacked reference learns from "
            "labelled videos only (its second stage reads out-of-fold scores of labelled "
            "frames), so it does not self-train; drop --unlabelled, or --reference-stack "
            "(the default reference self-trains)"
        )
    if on_cluster:
        raise ModelParameterError(
            f"{option} cannot be used with --scheduler: the stacked reference's fold models "
            "are boosted on this machine only; drop --scheduler (train here), or "
            "--reference-stack"
        )


def _takes(entry: Family, parameter: str, *, members: bool = True) -> bool:
    """Whether a family's constructor (or, with ``members``, a member's) takes ``parameter``."""
    if parameter in entry.estimator._get_param_names():
        return True
    return members and any(_takes(family_named(m), parameter) for m in entry.members.values())


def _self_trains(entry: Family) -> bool:
    return "unlabelled" in inspect.signature(entry.estimator.fit).parameters


def _names(names: list[str]) -> str:
    return " or ".join(repr(n) for n in names)
