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


def assert_case_read_back(case: str) -> None:
    """Every run the fixture generator logged for ``case`` is read, from the expected format, with
    exactly each tag's steps and values (NaN matching NaN; a ``float32`` tag compared after rounding
    the expected value to float32) and every hyperparameter listed; skips while the case is absent."""
    import numpy as np

    import lossrules

    if not (EXPECTED / f"{case}.json").is_file() or not (FIXTURES / case).exists():
        pytest.skip(f"fixture case {case} not generated yet")
    want = expected(case)
    runs = {run.name: run for run in lossrules.load(FIXTURES / case)}
    assert set(runs) == set(want["runs"]), case
    for name, logged in want["runs"].items():
        run = runs[name]
        assert run.ok, f"{case}/{name}: {run.error}"
        assert run.source == want["format"], f"{case}/{name}"
        for tag, points in logged.get("tags", {}).items():
            steps, values = run.series(tag)
            assert steps.tolist() == points["step"], f"{case}/{name}/{tag}"
            wanted = np.array([np.nan if v is None else float(v) for v in points["value"]])
            if points.get("dtype") == "float32":
                wanted = wanted.astype(np.float32).astype(np.float64)
            np.testing.assert_array_equal(values, wanted, err_msg=f"{case}/{name}/{tag}")
        for key, value in logged.get("hparams", {}).items():
            assert run.hparams.get(key) == value, f"{case}/{name}: hparam {key}"
