"""A minimal progress-reporting hook, so the API can drive the CLI's progress bars.

The Python API never prints; long-running functions accept a :class:`Progress`
and report through it. The CLI passes one backed by ``rich``; the default does
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["NULL_PROGRESS", "NullProgress", "Progress"]


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


def _ignore(_n: int) -> None:
    return None


NULL_PROGRESS = NullProgress()
