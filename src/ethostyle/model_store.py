"""Saving and loading trained models as a directory: a manifest beside native weights.

Layout of a model directory::

    model.json            manifest: format version, package version, vocabulary,
                          feature names, annotators, decoders, SHA-256 of each file
    reference.lgb.txt     LightGBM text model of the reference annotator
    style_<k>.lgb.txt     LightGBM text model of annotator k's departure

Nothing is pickled. Loading checks the format version and every file's checksum,
so a truncated or altered weight file is refused instead of silently mislabelling.
The directory is written beside its destination and swapped in only when complete.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from ethostyle import __version__
from ethostyle.atomic import atomic_directory
from ethostyle.data import VOCABULARY
from ethostyle.decode import DecoderParams
from ethostyle.errors import ModelFormatError
from ethostyle.models.gbdt import GBDTClassifier
from ethostyle.stacking import probability_context
from ethostyle.styles import StyleModel, StyleTransferModel

__all__ = ["FORMAT_VERSION", "MANIFEST", "load_model", "save_model"]

#: Version of the model-directory layout; bumped whenever old readers would misread it.
FORMAT_VERSION = 1
MANIFEST = "model.json"
#: Model families a manifest's ``kind`` names.
GBDT_KIND = "gbdt-style-transfer"
TCN_KIND = "tcn-style-transfer"
ENSEMBLE_KIND = "ensemble-style-transfer"
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(model: Any, directory: str | Path, *, extra: dict[str, Any] | None = None) -> Path:
    """Write a fitted model to ``directory`` (replacing it only once complete).

    Parameters
    ----------
    model : StyleTransferModel, TCNStyleTransfer or EnsembleStyleTransfer
        A fitted model (neural and ensemble models write their own weights).
    directory : str or Path
        Destination folder.
    extra : dict, optional
        More manifest entries (for example a training-data fingerprint).

    Returns
    -------
    Path
        The directory.
    """
    model._check_fitted()
    directory = Path(directory)
    if not isinstance(model, StyleTransferModel):
        return _save_with_own_writer(model, directory, extra)
    with atomic_directory(directory) as tmp:
        files: dict[str, str] = {}

        def write_booster(booster: GBDTClassifier, name: str) -> str:
            booster.save(tmp / name)
            files[name] = _sha256(tmp / name)
            return name

        styles = {}
        for annotator, style in sorted(model.styles_.items()):
            styles[str(annotator)] = {
                "file": None
                if style.booster is None
                else write_booster(style.booster, f"style_{annotator}.lgb.txt"),
                "evidence": [float(v) for v in style.evidence],
                "decoder": style.decoder.to_dict(),
                "n_videos": style.n_videos,
                "n_frames": style.n_frames,
            }
        manifest = {
            "format": "ethostyle-model",
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "kind": GBDT_KIND,
            "vocabulary": list(VOCABULARY),
            "reference_annotator": model.reference_annotator,
            "annotators": model.annotators_,
            "feature_names": list(model.feature_names_),
            "style_columns": [int(i) for i in model.style_columns_],
            "params": {
                "reference_params": model.reference_params,
                "style_params": model.style_params,
                "min_bouts_for_evidence": model.min_bouts_for_evidence,
                "tune_decoding": model.tune_decoding,
                "seed": model.seed,
            },
            "reference": {
                "file": write_booster(model.reference_, "reference.lgb.txt"),
                "decoder": model.reference_decoder_.to_dict(),
            },
            "styles": styles,
            "files": files,
            **(extra or {}),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return directory


def _save_with_own_writer(model: Any, directory: Path, extra: dict[str, Any] | None) -> Path:
    """Save a neural or ensemble model: its own ``save`` writes weights, we the manifest."""
    with atomic_directory(directory) as tmp:
        config = model.save(tmp)
        files = {p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        manifest = {
            "format": "ethostyle-model",
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "kind": config["kind"],
            "vocabulary": list(VOCABULARY),
            "reference_annotator": int(model.reference_annotator),
            "annotators": list(model.annotators_),
            "config": config,
            "files": files,
            **(extra or {}),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return directory


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """Read and check a model directory's manifest (version and checksums).

    Raises
    ------
    ModelFormatError
        If the directory, manifest or a weight file is missing, altered, or of
        another format version.
    """
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.is_file():
        raise ModelFormatError(
            f"{directory}: not a model directory (no {MANIFEST}); train one with `ethostyle train`"
        )
    if path.stat().st_size > _MAX_MANIFEST_BYTES:
        raise ModelFormatError(f"{path}: manifest larger than {_MAX_MANIFEST_BYTES} bytes; refused")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFormatError(
            f"{path}: unreadable manifest ({exc}); the model is damaged, retrain it"
        ) from None
    except RecursionError:
        raise ModelFormatError(
            f"{path}: manifest nested too deeply to be one ethostyle writes; the model is "
            "damaged or hostile, retrain it"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != "ethostyle-model":
        raise ModelFormatError(
            f"{path}: not an ethostyle model manifest; give the folder `ethostyle train` wrote, "
            "or retrain the model"
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"{directory}: model format version {version}, but ethostyle {__version__} reads "
            f"version {FORMAT_VERSION}; retrain the model, or use the ethostyle version that wrote "
            f"it ({manifest.get('package_version', 'unknown')})"
        )
    if manifest.get("vocabulary") != list(VOCABULARY):
        raise ModelFormatError(
            f"{path}: the model's classes are {manifest.get('vocabulary')!r}, not "
            f"{list(VOCABULARY)} in this order, so its outputs would be mislabelled; retrain it"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ModelFormatError(f"{path}: manifest lists no weight files; the model is damaged")
    for name, digest in files.items():
        if Path(name).name != name:
            raise ModelFormatError(
                f"{path}: weight file {name!r} is not a plain file name inside the model "
                "directory; the manifest was altered, retrain the model"
            )
        file = directory / name
        if not file.is_file():
            raise ModelFormatError(f"{directory}: weight file {name} is missing; retrain the model")
        if _sha256(file) != digest:
            raise ModelFormatError(
                f"{file}: checksum does not match model.json (file changed or truncated); "
                "refusing to use it. Retrain the model or restore the file."
            )
    return manifest


def _weight_file(directory: Path, name: object, files: dict[str, Any]) -> Path:
    """The path of a weight file the manifest names, refusing one it did not checksum."""
    if not isinstance(name, str) or name not in files:
        raise ModelFormatError(
            f"{directory / MANIFEST}: weight file {name!r} has no checksum in the manifest's "
            "'files'; the manifest was altered, retrain the model"
        )
    return directory / name


def _check_shapes(model: StyleTransferModel, directory: Path) -> None:
    """Refuse a manifest whose feature lists do not fit its weight files."""
    n_features = len(model.feature_names_)
    n_context = probability_context(np.full((1, len(VOCABULARY)), 1.0 / len(VOCABULARY)))[0]
    problems = []
    if model.reference_.booster_.num_feature() != n_features:
        problems.append(
            f"the reference weights read {model.reference_.booster_.num_feature()} features, "
            f"the manifest lists {n_features}"
        )
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
    boosters = [model.reference_, *(s.booster for s in model.styles_.values() if s.booster)]
    if any(b.n_classes != len(VOCABULARY) for b in boosters):
        problems.append(f"a weight file does not score the {len(VOCABULARY)} classes")
    if problems:
        raise ModelFormatError(
            f"{directory / MANIFEST}: the manifest does not fit its weight files "
            f"({'; '.join(problems)}); the model is damaged or was written by another "
            "ethostyle, retrain it"
        )


def load_model(directory: str | Path, *, device: str = "cpu") -> Any:
    """Load a model written by :func:`save_model`, whatever its family.

    Parameters
    ----------
    directory : str or Path
        The model directory.
    device : str
        Where a neural model runs (``"cpu"`` or ``"cuda"``); ignored by LightGBM.

    Returns
    -------
    StyleTransferModel, TCNStyleTransfer or EnsembleStyleTransfer
        The fitted model, ready to predict (all share one predicting interface).

    Raises
    ------
    ModelFormatError
        See :func:`read_manifest`; also when the model family is unknown.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    kind = manifest.get("kind", GBDT_KIND)
    if kind == GBDT_KIND:
        return _load_gbdt(directory, manifest)
    if kind in (TCN_KIND, ENSEMBLE_KIND):
        if kind == TCN_KIND:
            from ethostyle.models.tcn import TCNStyleTransfer as family
        else:
            from ethostyle.models.ensemble import EnsembleStyleTransfer as family
        config = manifest.get("config")
        if not isinstance(config, dict):
            raise ModelFormatError(f"{directory}/{MANIFEST}: no 'config'; retrain the model")
        return family.load(directory, config, device=device)
    raise ModelFormatError(
        f"{directory}/{MANIFEST}: unknown model family {kind!r}; this ethostyle reads "
        f"{GBDT_KIND}, {TCN_KIND} and {ENSEMBLE_KIND}"
    )


def _load_gbdt(directory: Path, manifest: dict[str, Any]) -> StyleTransferModel:
    """Load a model written by :func:`save_model`.

    Parameters
    ----------
    directory : str or Path
        The model directory.

    Returns
    -------
    StyleTransferModel
        The fitted model, ready to predict.

    Raises
    ------
    ModelFormatError
        See :func:`read_manifest`.
    """
    try:
        params = manifest["params"]
        model = StyleTransferModel(
            reference_annotator=int(manifest["reference_annotator"]), **params
        )
        model.feature_names_ = list(manifest["feature_names"])
        model.style_columns_ = np.asarray(manifest["style_columns"], dtype=np.int64)
        files = manifest["files"]
        model.reference_ = GBDTClassifier.load(
            _weight_file(directory, manifest["reference"]["file"], files)
        )
        model.reference_decoder_ = DecoderParams.from_dict(manifest["reference"]["decoder"])
        model.styles_ = {}
        for key, entry in manifest["styles"].items():
            booster = (
                None
                if entry["file"] is None
                else GBDTClassifier.load(_weight_file(directory, entry["file"], files))
            )
            model.styles_[int(key)] = StyleModel(
                annotator=int(key),
                booster=booster,
                evidence=np.asarray(entry["evidence"], dtype=np.float64),
                decoder=DecoderParams.from_dict(entry["decoder"]),
                n_videos=int(entry["n_videos"]),
                n_frames=int(entry["n_frames"]),
            )
    except ModelFormatError as exc:
        if str(directory) in str(exc):
            raise
        raise ModelFormatError(f"{directory / MANIFEST}: {exc}; retrain the model") from None
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ModelFormatError(
            f"{directory}/{MANIFEST}: incomplete manifest ({exc!r}); retrain the model"
        ) from None
    _check_shapes(model, directory)
    return model
