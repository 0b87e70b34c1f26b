"""The one exception hierarchy of ethostyle.

Every failure a user can cause (a malformed file, an unknown annotator, a model
directory that was tampered with) raises a subclass of :class:`EthostyleError`
whose message names the file, the sequence and the frame where it can, and says
how to fix it. The command-line interface turns these into one red line and exit
code 1; any other exception is a bug in ethostyle.
"""

from __future__ import annotations

__all__ = [
    "DataFormatError",
    "EthostyleError",
    "ModelFormatError",
    "ModelParameterError",
    "UnknownAnnotatorError",
    "UnsafeFileError",
    "VideoError",
]


class EthostyleError(Exception):
    """Base class of every error ethostyle raises on purpose."""


class DataFormatError(EthostyleError, ValueError):
    """A data file (pose, labels, submission) is malformed or inconsistent."""


class UnsafeFileError(DataFormatError):
    """A file tries to do something a data file must not (run code, exhaust memory)."""


class VideoError(DataFormatError):
    """A video file is missing, unreadable, or does not match the poses it should show."""


class ModelFormatError(EthostyleError, ValueError):
    """A model directory is missing, incomplete, tampered with or of another version."""


class UnknownAnnotatorError(EthostyleError, KeyError):
    """An annotator id is not known where one must be."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class ModelParameterError(EthostyleError, ValueError):
    """A model was given a parameter value it cannot use (the message names it)."""
