"""Every real-world run in ../shared/wild loads, with its training loss found."""
from __future__ import annotations

import json

import pytest

import lossrules

from ..conftest import WILD

CASES = sorted(p.name for p in WILD.iterdir() if p.is_dir()) if WILD.is_dir() else []


@pytest.mark.parametrize("case", CASES)
def test_wild_run_loads_with_a_training_loss(wild, case):
    runs = lossrules.load(wild / case)
    assert runs, case
    for run in runs:
        assert run.ok, f"{case}/{run.name}: {run.error}"
        assert len(run.scalars) > 0
        assert run.binding("train_loss") is not None, f"{case}/{run.name}: tags {run.tags}"


def test_wild_formats_match_their_provenance(wild):
    provenance = json.loads((wild / "provenance.json").read_text())
    for case, info in provenance.items():
        sources = {run.source for run in lossrules.load(wild / case)}
        assert sources == {info["format"]}, case
