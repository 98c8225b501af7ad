"""Weights & Biases CSVs: a chart's panel export (one run per line) and a run.history() dump."""
from __future__ import annotations

import pytest

import lossrules
from lossrules.ingest import wandb

from ..conftest import FIXTURES, assert_case_read_back

PANEL = FIXTURES / "wandb_panel"


@pytest.mark.parametrize("case", ["wandb_panel", "wandb_history"])
def test_every_logged_point_is_read_back(case):
    assert_case_read_back(case)


def test_a_panel_export_holds_one_run_per_line_named_after_it():
    runs = {run.name.split("#")[1]: run for run in lossrules.load(PANEL)}
    assert set(runs) == {"brisk-pond-1", "gentle-sea-2"}
    run = runs["gentle-sea-2"]
    assert run.source == "wandb_csv"
    assert set(run.tags) == {"train/loss", "val/loss"}
    assert any("__MIN/__MAX band" in note for note in run.notes)


def test_a_panel_export_is_diagnosed_with_its_metrics_bound():
    for d in lossrules.diagnose(PANEL):
        assert dict(d.metrics) == {"train_loss": "train/loss", "val_loss": "val/loss"}, d.run


def test_a_history_dump_named_metrics_csv_is_a_plain_csv_on_its_step_column():
    (run,) = lossrules.load(FIXTURES / "wandb_history")
    assert run.source == "csv"
    steps, _ = run.series("train/loss")
    assert steps[1] - steps[0] == 5
    assert not any("no step" in note for note in run.notes)


def write(tmp_path, text):
    path = tmp_path / "export.csv"
    path.write_text(text)
    return path


def test_a_single_run_export_keeps_the_file_name_and_drops_bookkeeping_and_unnamed_columns(tmp_path):
    text = '"Step","Group: ft - _step","Group: ft - loss","Group: ft - loss__MIN","Group: ft - loss__MAX",""\n'
    text += '"0","0","1.5","1.4","1.6",""\n"10","10","1.0","0.9","1.1",""\n'
    (run,) = lossrules.load(write(tmp_path, text))
    assert run.name == "export.csv" and list(run.tags) == ["loss"]
    assert run.series("loss")[1].tolist() == [1.5, 1.0]


def test_an_x_axis_that_is_not_a_counter_is_a_clear_error(tmp_path):
    text = "Step,a - loss\n0.5,1.0\n1.5,0.5\n"
    (run,) = lossrules.load(write(tmp_path, text))
    assert not run.ok and "x-axis column 'Step'" in run.error


@pytest.mark.parametrize(
    "names, expected",
    [
        (["Step", "run-1 - train/loss", "run-1 - train/loss__MIN"], True),
        (["Step", "run-1 - loss", ""], True),
        (["step", "loss", "val_loss"], False),
        (["Step"], False),
        (["a - b", "run - loss"], False),
    ],
)
def test_the_panel_export_header_is_recognised_and_nothing_else(names, expected):
    assert wandb.is_export(names) is expected

