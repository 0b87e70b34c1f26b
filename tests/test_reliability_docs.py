"""docs/reliability.md and the reliability tests stay in step.

Every test the document names must exist, and every test of the reliability modules
must be named in the document: a case tried is a case documented.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).parent
DOC = TESTS.parent / "docs" / "reliability.md"
RELIABILITY_MODULES = (
    "test_reliability_data.py",
    "test_reliability_files.py",
    "test_reliability_commands.py",
    "test_fuzz.py",
    "test_kill.py",
    "test_determinism.py",
)


def _defined(module: str) -> set[str]:
    return set(re.findall(r"(?m)^def (test_\w+)\(", (TESTS / module).read_text()))


def _named() -> set[tuple[str, str]]:
    return set(re.findall(r"(test_\w+\.py)::(test_\w+)", DOC.read_text()))


def test_every_test_the_document_names_exists():
    missing = [f"{m}::{t}" for m, t in sorted(_named()) if t not in _defined(m)]
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"


def test_every_reliability_test_is_in_the_document():
    named = _named()
    absent = [f"{m}::{t}" for m in RELIABILITY_MODULES for t in sorted(_defined(m))]
    absent = [name for name in absent if tuple(name.split("::")) not in named]
    assert not absent, f"add these cases to docs/reliability.md: {absent}"
