"""ethostyle: learn and compare annotators' styles of labelling mouse social behaviour."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ethostyle.data import BEHAVIORS, BODY_PARTS, FPS, VOCABULARY, Dataset, Sequence
from ethostyle.errors import (
    DataFormatError,
    EthostyleError,
    ModelFormatError,
    UnknownAnnotatorError,
    UnsafeFileError,
)

try:
    __version__ = version("ethostyle")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "BEHAVIORS",
    "BODY_PARTS",
    "FPS",
    "VOCABULARY",
    "DataFormatError",
    "Dataset",
    "EthostyleError",
    "ModelFormatError",
    "Sequence",
    "UnknownAnnotatorError",
    "UnsafeFileError",
    "__version__",
]
