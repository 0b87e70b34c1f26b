"""ethostyle: learn and compare annotators' styles of labelling mouse social behaviour."""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

# LightGBM's OpenMP threads spin while they wait by default; on a shared lab server or
# laptop with other busy processes that makes training tens of times slower. Passive
# waiting costs little when the machine is idle. Set OMP_WAIT_POLICY yourself to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
