"""Shared paths and helpers for the test suite."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "logs"
EXPECTED = ROOT / "fixtures" / "expected"
WILD = ROOT.parent / "shared" / "wild"


def expected(case: str) -> dict:
    """What the fixture generator logged for one case."""
    return json.loads((EXPECTED / f"{case}.json").read_text())


@pytest.fixture
def wild() -> Path:
    """The folder of real-world runs beside the project; skips the test when absent."""
    if not WILD.is_dir():
        pytest.skip("../shared/wild is not present")
    return WILD
