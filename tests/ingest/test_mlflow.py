"""MLflow's file store: mlruns/<experiment>/<run>/ with metrics/, params/ and meta.yaml."""
from __future__ import annotations

import pytest

import lossrules
from lossrules.model import NoRunsFound

from ..conftest import FIXTURES, assert_case_read_back

CASE = FIXTURES / "lightning_mlflow"


def test_every_logged_point_and_param_is_read_back():
    assert_case_read_back("lightning_mlflow")


def test_the_run_folder_is_the_run_and_the_experiment_folders_are_not():
    (run,) = lossrules.load(CASE)
    parts = run.name.split("/")
    assert run.source == "mlflow" and parts[0] == "mlruns" and len(parts) == 3
    assert run.roles["train_loss"] == "train_loss_step" and run.roles["val_loss"] == "val_loss"
    assert run.params["optimizer"] == "sgd" and run.params["lr"] == 0.05
    assert any(note.startswith("MLflow run name: ") for note in run.notes)


def write_run(root, metrics: dict[str, str], params: dict[str, str] | None = None):
    run = root / "mlruns" / "1" / "abc123"
    for name, text in metrics.items():
        path = run / "metrics" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name, text in (params or {}).items():
        (run / "params").mkdir(parents=True, exist_ok=True)
        (run / "params" / name).write_text(text)
    (run / "meta.yaml").write_text("run_id: abc123\nstatus: 3\n")
    return run


def test_nested_metric_names_old_files_without_steps_and_typed_params(tmp_path):
    write_run(
        tmp_path,
        {"train/loss": "1700000000000 2.5 0\n1700000000100 1.5 10\n", "val_loss": "1700000000000 2.0\n1700000000050 1.0\n"},
        {"lr": "0.001", "epochs": "20", "amp": "True", "optimizer": "AdamW"},
    )
    (run,) = lossrules.load(tmp_path)
    assert run.series("train/loss")[0].tolist() == [0, 10]
    assert run.series("val_loss")[1].tolist() == [1.0]  # no step column: both at 0, the later wins
    assert run.hparams == {"lr": 0.001, "epochs": 20, "amp": True, "optimizer": "AdamW"}


def test_a_line_cut_short_by_a_killed_run_is_skipped_and_reported(tmp_path):
    write_run(tmp_path, {"loss": "1700000000000 2.5 0\n1700000000100 1.5 1\n17000000002"})
    (run,) = lossrules.load(tmp_path)
    assert run.series("loss")[1].tolist() == [2.5, 1.5]
    assert any("1 line(s)" in note for note in run.notes)


def test_deleted_runs_in_the_trash_are_not_read(tmp_path):
    run = write_run(tmp_path, {"loss": "1700000000000 2.5 0\n"})
    (run.parent.parent / ".trash").mkdir()
    run.rename(run.parent.parent / ".trash" / run.name)
    with pytest.raises(NoRunsFound):
        lossrules.load(tmp_path)
