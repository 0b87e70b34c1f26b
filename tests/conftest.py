"""Fixtures shared by the test modules (STYLE.md rule 9).

Helpers that tests import by name (CLI runners, model settings, hostile pickles) live
in ``support.py``; this file holds only fixtures.
"""

from __future__ import annotations

import pytest

from ethostyle.simulate import Simulation
from support import tiny_simulation


@pytest.fixture(scope="session")
def tiny() -> Simulation:
    """The "tiny" simulated data set (``simulate("tiny", seed=0)``), built once per
    session and shared by every test: never change it in place."""
    return tiny_simulation()
