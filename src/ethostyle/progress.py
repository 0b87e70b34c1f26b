"""A minimal progress-reporting hook, so the API can drive the CLI's progress bars.

The Python API never prints; long-running functions accept a :class:`Progress`
and report through it. The CLI passes one backed by ``rich``; the default does
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["NULL_PROGRESS", "NamedSteps", "NullProgress", "Progress"]


class Progress(Protocol):
    """Something that can show progress of named steps."""

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Start a step of ``total`` units; return a function to advance it by ``n``."""
        ...


class NullProgress:
    """A :class:`Progress` that shows nothing."""

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Return a no-op advance function."""
        return _ignore


class NamedSteps:
    """A :class:`Progress` that adds a note to every step's name.

    When one function runs twice in a command (labelling the same videos in
    two styles, say), its two bars would otherwise carry the same name.

    Parameters
    ----------
    progress : Progress
        Where the renamed steps are shown.
    note : str
        Added to each step's name, in parentheses.

    Examples
    --------
    >>> class Show:
    ...     def task(self, description, total):
    ...         print(description, total)
    ...         return lambda n: None
    >>> advance = NamedSteps(Show(), "reference style").task("predicting", 900)
    predicting (reference style) 900
    """

    def __init__(self, progress: Progress, note: str) -> None:
        self.progress = progress
        self.note = note

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Start the step under its name and the note; return its advance function."""
        return self.progress.task(f"{description} ({self.note})", total)


def _ignore(_n: int) -> None:
    return None


NULL_PROGRESS = NullProgress()
