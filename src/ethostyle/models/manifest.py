"""The model directory's envelope: ``model.json`` checked against its weight files.

The envelope holds the format version, the package version, the vocabulary,
the model kind, its annotators, the SHA-256 of every weight file and the
family's configuration (see :mod:`ethostyle.models.store`). Reading it checks
all of those once; nothing here knows a model family.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from ethostyle import __version__
from ethostyle.data import VOCABULARY
from ethostyle.errors import ModelFormatError

__all__ = ["FORMAT_VERSION", "MANIFEST", "file_checksums", "read_manifest"]

#: Version of the model-directory layout; bumped whenever old readers would misread it.
FORMAT_VERSION = 1
MANIFEST = "model.json"
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _inside(name: object) -> bool:
    """Whether a manifest's file name is a relative path that stays inside the directory."""
    if not isinstance(name, str) or not name or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    return not PurePosixPath(name).is_absolute() and ".." not in parts and "." not in parts


def file_checksums(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under ``directory`` but the manifest, by relative name."""
    return {
        p.relative_to(directory).as_posix(): _sha256(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


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
        if not _inside(name):
            raise ModelFormatError(
                f"{path}: weight file {name!r} is not a plain file name inside the model "
                "directory; the manifest was altered, retrain the model"
            )
        file = directory.joinpath(*PurePosixPath(name).parts)
        if not file.is_file():
            raise ModelFormatError(f"{directory}: weight file {name} is missing; retrain the model")
        if _sha256(file) != digest:
            raise ModelFormatError(
                f"{file}: checksum does not match model.json (file changed or truncated); "
                "refusing to use it. Retrain the model or restore the file."
            )
    return manifest
