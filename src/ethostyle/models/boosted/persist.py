"""The boosted family's part of a model directory: LightGBM text files and plain JSON.

:func:`write_model` writes the reference's and each style's LightGBM text model
and returns the configuration the model store keeps in ``model.json``;
:func:`read_model` rebuilds a fitted model from them, checking that the
configuration fits its weight files. Directories written before style programs
(a ``decoder`` per style) or before the self-training record load unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ethostyle.data import VOCABULARY
from ethostyle.decode import DecoderParams
from ethostyle.errors import ModelFormatError
from ethostyle.models.base import ModelFiles
from ethostyle.models.boosted.context import probability_context
from ethostyle.models.boosted.records import StyleModel
from ethostyle.models.boosted.stacked import StackedReference
from ethostyle.models.gbdt import GBDTClassifier
from ethostyle.models.program import Edit, StyleProgram
from ethostyle.models.self_training import SelfTrainingRecord
from ethostyle.motifs import MotifVocabulary

__all__ = ["read_model", "write_model"]

#: The constructor parameters a directory keeps: plain JSON data. ``reference_estimator``
#: (where the reference was boosted) is not kept; a loaded model boosts here.
_SAVED_PARAMS = (
    "reference_params",
    "style_params",
    "min_bouts_for_evidence",
    "tune_decoding",
    "residual_min_gain",
    "motifs",
    "reference_stack",
    "seed",
)


# The model is typed Any: it is a StyleTransferModel, whose module imports this one.
def write_model(model: Any, directory: Path) -> dict[str, Any]:
    """Write a fitted model's LightGBM text files into ``directory``; return its configuration.

    Parameters
    ----------
    model : StyleTransferModel
        The fitted model.
    directory : Path
        Folder to write into.

    Returns
    -------
    dict
        Plain JSON data: what :func:`read_model` needs back.
    """

    def write_booster(booster: GBDTClassifier, name: str) -> str:
        booster.save(directory / name)
        return name

    styles = {}
    for annotator, style in sorted(model.styles_.items()):
        styles[str(annotator)] = {
            "file": None
            if style.booster is None
            else write_booster(style.booster, f"style_{annotator}.lgb.txt"),
            "evidence": [float(v) for v in style.evidence],
            "program": style.program.to_dict(),
            "n_videos": style.n_videos,
            "n_frames": style.n_frames,
        }
    # The family's kind is the model store's to write (the manifest's "kind").
    return {
        "reference_annotator": model.reference_annotator,
        "feature_names": list(model.feature_names_),
        "style_columns": [int(i) for i in model.style_columns_],
        "params": {name: getattr(model, name) for name in _SAVED_PARAMS},
        "reference": _write_reference(model.reference_, write_booster)
        | {"program": model.reference_program_.to_dict()},
        "styles": styles,
        "self_training": model.self_training_.to_dict(),
        "motifs": None if model.motifs_ is None else model.motifs_.save(directory),
    }


def read_model(cls: type, directory: ModelFiles, config: dict[str, Any]) -> Any:
    """Rebuild a fitted model from its checked directory and :func:`write_model`'s configuration.

    Parameters
    ----------
    cls : type
        :class:`~ethostyle.models.boosted.model.StyleTransferModel` (or a subclass).
    directory : ModelFiles
        The checked model directory.
    config : dict
        What :func:`write_model` returned.

    Returns
    -------
    StyleTransferModel
        The fitted model.

    Raises
    ------
    ModelFormatError
        If the configuration is incomplete or does not fit the weight files.
    """
    where = directory.manifest
    try:
        model = cls(reference_annotator=int(config["reference_annotator"]), **config["params"])
        model.feature_names_ = list(config["feature_names"])
        model.style_columns_ = np.asarray(config["style_columns"], dtype=np.int64)
        model.reference_ = _read_reference(directory, config["reference"])
        model.reference_program_ = _program(config["reference"], f"{where}: reference.program")
        model.self_training_ = SelfTrainingRecord.from_dict(
            config.get("self_training", {}), f"{where}: self_training"
        )
        model.styles_ = {
            int(key): _style(directory, key, entry) for key, entry in config["styles"].items()
        }
        model.motifs_ = _motifs(directory, config.get("motifs"))
    except ModelFormatError as exc:
        if str(where) in str(exc) or str(directory.path) in str(exc):
            raise
        raise ModelFormatError(f"{where}: {exc}; retrain the model") from None
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ModelFormatError(
            f"{where}: incomplete manifest ({exc!r}); retrain the model"
        ) from None
    _check_shapes(model, directory)
    return model


def _style(directory: ModelFiles, key: str, entry: dict[str, Any]) -> StyleModel:
    booster = None if entry["file"] is None else GBDTClassifier.load(directory.file(entry["file"]))
    program = _program(entry, f"{directory.manifest}: styles.{key}.program")
    if "program" not in entry and booster is not None:
        # Before programs, a style with trees always labelled their scores.
        program = program.with_edit(Edit("residual"))
    return StyleModel(
        annotator=int(key),
        booster=booster,
        evidence=np.asarray(entry["evidence"], dtype=np.float64),
        program=program,
        n_videos=int(entry["n_videos"]),
        n_frames=int(entry["n_frames"]),
    )


def _motifs(directory: ModelFiles, config: Any) -> MotifVocabulary | None:
    """The model's motif vocabulary (None: written without one, or before motifs)."""
    if config is None:
        return None
    where = f"{directory.manifest}: motifs"
    if not isinstance(config, dict) or not isinstance(config.get("file"), str):
        raise ModelFormatError(f"{where}.file must name the motif file; retrain the model")
    return MotifVocabulary.load(directory.file(config["file"]), config, where)


def _program(entry: dict[str, Any], where: str) -> StyleProgram:
    """A saved style program, or the one an older model's decoder stands for."""
    if "program" in entry:
        return StyleProgram.from_dict(entry["program"], where)
    return StyleProgram.from_decoder(DecoderParams.from_dict(entry["decoder"]))


def _write_reference(reference: Any, write_booster: Any) -> dict[str, Any]:
    """The reference's weight files: one LightGBM, or a stacked reference's stages."""
    if not isinstance(reference, StackedReference):
        return {"file": write_booster(reference, "reference.lgb.txt")}
    return {
        "stack": {
            "first": [
                write_booster(m, f"reference_fold{k}.lgb.txt")
                for k, m in enumerate(reference.first)
            ],
            "second": write_booster(reference.second, "reference_second.lgb.txt"),
            "columns": [int(i) for i in reference.columns],
            "stride": reference.stride,
        }
    }


def _read_reference(directory: ModelFiles, entry: dict[str, Any]) -> Any:
    """The reference :func:`_write_reference` wrote."""
    if "stack" not in entry:
        return GBDTClassifier.load(directory.file(entry["file"]))
    stack = entry["stack"]
    return StackedReference(
        [GBDTClassifier.load(directory.file(name)) for name in stack["first"]],
        GBDTClassifier.load(directory.file(stack["second"])),
        np.asarray(stack["columns"], dtype=np.int64),
        int(stack["stride"]),
    )


def _check_shapes(model: Any, directory: ModelFiles) -> None:
    """Refuse a configuration whose feature lists do not fit its weight files."""
    n_features = len(model.feature_names_)
    n_context = probability_context(np.full((1, len(VOCABULARY)), 1.0 / len(VOCABULARY)))[0]
    problems = []
    reference = model.reference_
    first = reference.first if isinstance(reference, StackedReference) else [reference]
    if any(m.booster_.num_feature() != n_features for m in first):
        problems.append(
            f"the reference weights read {first[0].booster_.num_feature()} features, "
            f"the manifest lists {n_features}"
        )
    if isinstance(reference, StackedReference) and (
        len(reference.columns) == 0 or reference.columns.max() >= n_features
    ):
        problems.append("the stacked reference's 'columns' point outside the feature list")
    columns = model.style_columns_
    if columns.ndim != 1 or (len(columns) and not 0 <= columns.min() <= columns.max() < n_features):
        problems.append("'style_columns' points outside the feature list")
    expected = len(columns) + n_context.shape[1]
    for annotator, style in model.styles_.items():
        if style.evidence.shape != (len(VOCABULARY),):
            problems.append(f"annotator {annotator}'s 'evidence' is not one weight per class")
        if style.booster is not None and style.booster.booster_.num_feature() != expected:
            problems.append(
                f"annotator {annotator}'s weights read {style.booster.booster_.num_feature()} "
                f"features, not {expected}"
            )
    n_motifs = 0 if model.motifs_ is None else model.motifs_.n_motifs
    if model.motifs_ is not None and model.motifs_.mean.shape[0] != n_features:
        problems.append("the motif vocabulary reads another number of features")
    for annotator, style in model.styles_.items():
        if any(e.motif is not None and e.motif >= n_motifs for e in style.program.edits):
            problems.append(f"annotator {annotator}'s program names a motif the model lacks")
    boosters = [model.reference_, *(s.booster for s in model.styles_.values() if s.booster)]
    if any(b.n_classes != len(VOCABULARY) for b in boosters):
        problems.append(f"a weight file does not score the {len(VOCABULARY)} classes")
    if problems:
        raise ModelFormatError(
            f"{directory.manifest}: the manifest does not fit its weight files "
            f"({'; '.join(problems)}); the model is damaged or was written by another "
            "ethostyle, retrain it"
        )
