"""Facts on real runs: every fixture and every real-world run gets only catalogued, finite facts."""
from __future__ import annotations

import math

import pytest

import lossrules
from lossrules.detect import fact_names, facts

from ..conftest import FIXTURES, WILD

KNOWN = fact_names()


def check(run) -> dict:
    assert run.ok, run.error
    got = facts(run)
    unknown = {k for k in got if k not in KNOWN and not k.startswith("hparams.")}
    assert not unknown, f"{run.name}: uncatalogued facts {unknown}"
    assert all(math.isfinite(v) for v in got.values() if isinstance(v, float)), run.name
    return got


@pytest.mark.parametrize("run", lossrules.load(FIXTURES), ids=lambda r: r.name)
def test_fixture_runs(run):
    got = check(run)
    if got.get("train_loss.points", 0) >= 20:
        # every fixture trains a real model that learns: the loss falls significantly
        assert got["train_loss.improvement"] > 0.3 and got["train_loss.slope_p"] < 0.01, run.name


@pytest.mark.skipif(not WILD.is_dir(), reason="../shared/wild is not present")
def test_every_wild_run_gets_facts():
    for run in lossrules.load(WILD):
        check(run)
