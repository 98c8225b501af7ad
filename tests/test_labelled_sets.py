"""The labelled sets behind the accuracy figures: every label names a run lossrules finds and
reads from the format the generator wrote, with a known cause. (Accuracy itself is measured by
benchmarks/accuracy.py, not asserted here.)"""
from __future__ import annotations

import json

import pytest
import yaml

import lossrules
from lossrules.engine.rules import CAUSES

from .conftest import ROOT

SETS = ("corpus", "holdout", "holdout2", "holdout3", "holdout4", "holdout5")
VERDICTS = set(CAUSES) | {"healthy"}
CSV_KINDS = {"csv", "keras_csv"}  # a pandas history with Keras' column names is read as Keras'


@pytest.mark.parametrize("name", SETS)
def test_every_labelled_run_is_found_and_read_from_the_format_it_was_written_in(name):
    folder = ROOT / "fixtures" / name
    labels = yaml.safe_load((folder / "labels.yaml").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    runs = {run.name: run for run in lossrules.iter_runs(folder)}
    assert set(runs) == set(labels) == set(manifest)
    for run_name, run in runs.items():
        assert run.ok, f"{run_name}: {run.error}"
        written = manifest[run_name]["format"]
        assert run.source == written or {run.source, written} <= CSV_KINDS, run_name


@pytest.mark.parametrize("name", SETS)
def test_every_label_is_a_known_cause_with_known_secondaries(name):
    labels = yaml.safe_load((ROOT / "fixtures" / name / "labels.yaml").read_text())
    for run_name, label in labels.items():
        assert label["cause"] in VERDICTS, run_name
        assert set(label.get("also", ())) <= VERDICTS - {label["cause"]}, run_name
        assert label["split"] in ("tune", "holdout"), run_name
