"""Saving and loading trained models as a directory: a manifest beside native weights.

Layout of a model directory::

    model.json            the envelope: format version, package version, vocabulary,
                          model kind, annotators, SHA-256 of every weight file, and
                          the family's own configuration under "config"
    reference.lgb.txt     the family's weight files (LightGBM text models, torch
    style_<k>.lgb.txt     state dicts), written by the family's ``save``

Every family writes its own weights and returns its configuration
(``save(directory) -> config``) and rebuilds itself from them
(``load(directory, config)``); this module keeps only the envelope, and the
family registry (:mod:`ethostyle.models.registry`) finds the class of a kind.
Nothing is pickled. Loading checks the format version and every file's checksum
once, so a truncated or altered weight file is refused instead of silently
mislabelling. The directory is
written beside its destination and swapped in only when complete.

Model directories written before the envelope held "config" (the boosted family
kept its configuration at the top level) load unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ethostyle import __version__
from ethostyle.atomic import atomic_directory
from ethostyle.data import VOCABULARY
from ethostyle.errors import ModelFormatError
from ethostyle.models.base import ModelFiles, StylePredictor
from ethostyle.models.manifest import FORMAT_VERSION, MANIFEST, file_checksums, read_manifest
from ethostyle.models.registry import families, family_named, family_of, family_of_kind

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "load_checked",
    "load_model",
    "read_manifest",
    "save_model",
]

#: The family of model directories written before manifests named a ``kind`` or held
#: the family's "config" (it kept its configuration at the manifest's top level).
_LEGACY_FAMILY = "gbdt"


def save_model(
    model: StylePredictor, directory: str | Path, *, extra: dict[str, Any] | None = None
) -> Path:
    """Write a fitted model of any family to ``directory`` (replacing it only once complete).

    Parameters
    ----------
    model : StylePredictor
        A fitted model of a registered family (:func:`~ethostyle.models.registry.families`).
    directory : str or Path
        Destination folder.
    extra : dict, optional
        More manifest entries, such as the training-data fingerprint that
        :meth:`ethostyle.models.TrainedModel.save` adds
        (:func:`ethostyle.models.data_fingerprint`).

    Returns
    -------
    Path
        The directory.

    Examples
    --------
    >>> from ethostyle.models.boosted import StyleTransferModel
    >>> from ethostyle.simulate import simulate
    >>> model = StyleTransferModel().fit(simulate("tiny", seed=0).train)  # doctest: +SKIP
    >>> save_model(model, "my-model")  # doctest: +SKIP
    PosixPath('my-model')
    """
    model._check_fitted()
    family = family_of(model)
    if family is None:
        raise ModelFormatError(
            f"cannot save a {type(model).__name__}: the model store knows "
            f"{[f.estimator.__name__ for f in families()]}; register its family "
            "(ethostyle.models.register_family)"
        )
    directory = Path(directory)
    with atomic_directory(directory) as tmp:
        config = model.save(tmp)
        files = file_checksums(tmp)
        manifest = {
            "format": "ethostyle-model",
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "kind": family.kind,
            "vocabulary": list(VOCABULARY),
            "reference_annotator": int(model.reference_annotator),
            "annotators": list(model.annotators_),
            "config": config,
            "files": files,
            **(extra or {}),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return directory


def load_model(directory: str | Path, *, device: str = "cpu") -> StylePredictor:
    """Load a model written by :func:`save_model`, whatever its family.

    Parameters
    ----------
    directory : str or Path
        The model directory.
    device : str
        Where a neural model runs (``"cpu"`` or ``"cuda"``); ignored by LightGBM.

    Returns
    -------
    StylePredictor
        The fitted model, ready to predict (every family shares one predicting
        interface).

    Raises
    ------
    ModelFormatError
        See :func:`read_manifest`; also when the model family is unknown.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    return load_checked(directory, manifest, device=device)


def load_checked(
    directory: Path, manifest: dict[str, Any], *, device: str = "cpu"
) -> StylePredictor:
    """Build the model of a manifest :func:`read_manifest` has already checked.

    Parameters
    ----------
    directory : Path
        The model directory.
    manifest : dict
        Its checked manifest (checksums are not computed again).
    device : str
        Where a neural model runs.

    Returns
    -------
    StylePredictor
        The fitted model.
    """
    kind = manifest.get("kind", family_named(_LEGACY_FAMILY).kind)
    family = family_of_kind(kind) if isinstance(kind, str) else None
    if family is None:
        raise ModelFormatError(
            f"{directory}/{MANIFEST}: unknown model family {kind!r}; this ethostyle reads "
            f"{', '.join(sorted(f.kind for f in families()))}"
        )
    # The boosted family kept its configuration at the manifest's top level before
    # the envelope held "config"; such directories load as they are.
    config = manifest.get("config", manifest if family.name == _LEGACY_FAMILY else None)
    if not isinstance(config, dict):
        raise ModelFormatError(f"{directory}/{MANIFEST}: no 'config'; retrain the model")
    files = ModelFiles(directory, directory / MANIFEST, dict(manifest["files"]))
    return family.estimator.load(files, config, device=device)
