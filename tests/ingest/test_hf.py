"""Hugging Face Trainer: trainer_state.json log_history, checkpoint copies, broken files."""
from __future__ import annotations

import json
import math

import pytest

import lossrules

from ..conftest import assert_case_read_back


def state(history: list, **fields) -> dict:
    return {"global_step": history[-1]["step"] if history else 0, "train_batch_size": 8, "logging_steps": 10, **fields, "log_history": history}


HISTORY = [
    {"epoch": 0.5, "grad_norm": 1.5, "learning_rate": 5e-05, "loss": 2.25, "step": 10},
    {"epoch": 1.0, "grad_norm": float("nan"), "learning_rate": 4e-05, "loss": float("nan"), "step": 20},
    {"epoch": 1.0, "eval_loss": 1.75, "eval_accuracy": 0.5, "eval_runtime": 3.5, "step": 20},
    {"epoch": 1.5, "learning_rate": 3e-05, "loss": 1.5, "step": 30, "note": "text"},
    {"epoch": 1.5, "step": 30, "train_loss": 1.9, "train_runtime": 120.0, "total_flos": 1.2e15},
]


def write_state(path, content: dict | str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def series(run, tag):
    steps, values = run.series(tag)
    return steps.tolist(), values.tolist()


def test_log_history_keys_become_series_over_step(tmp_path):
    write_state(tmp_path / "trainer_state.json", state(HISTORY))
    (run,) = lossrules.load(tmp_path)
    assert run.ok and run.source == "hf_trainer_state" and run.name == "."
    steps, loss = series(run, "loss")
    assert steps == [10, 20, 30] and loss[0] == 2.25 and math.isnan(loss[1]) and loss[2] == 1.5
    assert series(run, "eval_loss") == ([20], [1.75])
    assert series(run, "train_loss") == ([30], [1.9])
    assert series(run, "epoch") == ([10, 20, 30], [0.5, 1.0, 1.5])
    assert "step" not in run.tags and "note" not in run.tags
    assert run.notes == ("trainer_state.json: non-numeric values skipped (keys note)",)


def test_roles_prefer_the_logged_loss_over_the_summary(tmp_path):
    write_state(tmp_path / "trainer_state.json", state(HISTORY))
    (run,) = lossrules.load(tmp_path)
    assert run.roles["train_loss"] == "loss" and run.roles["val_loss"] == "eval_loss"
    assert run.roles["lr"] == "learning_rate" and run.roles["grad_norm"] == "grad_norm"
    assert run.binding("train_loss").per == "step"


def test_top_level_scalars_are_hyperparameters(tmp_path):
    content = state(HISTORY, max_steps=30, best_metric=None, stateful_callbacks={"TrainerControl": {"args": {}}})
    write_state(tmp_path / "trainer_state.json", content)
    (run,) = lossrules.load(tmp_path)
    assert run.hparams == {"global_step": 30, "train_batch_size": 8, "logging_steps": 10, "max_steps": 30}


def test_nan_written_as_a_json_literal_is_kept(tmp_path):
    text = '{"log_history": [{"loss": NaN, "step": 5}, {"loss": Infinity, "step": 6}, {"loss": 1.0, "step": 7}]}'
    write_state(tmp_path / "trainer_state.json", text)
    (run,) = lossrules.load(tmp_path)
    steps, values = series(run, "loss")
    assert steps == [5, 6, 7] and math.isnan(values[0]) and values[1:] == [math.inf, 1.0]


def test_checkpoint_copies_form_one_run_read_from_the_latest(tmp_path):
    for step in (500, 1000, 1500):
        history = [{"loss": 1.0 / s, "step": s} for s in range(500, step + 1, 500)]
        write_state(tmp_path / "out" / f"checkpoint-{step}" / "trainer_state.json", state(history))
    (run,) = lossrules.load(tmp_path)
    assert run.name == "out"
    assert series(run, "loss") == ([500, 1000, 1500], [1 / 500, 1 / 1000, 1 / 1500])
    assert run.files == ("out/checkpoint-1500/trainer_state.json",)
    assert run.notes == (
        "out/checkpoint-1500/trainer_state.json: read this copy; 2 other cumulative copies not read "
        + "(out/checkpoint-1000/trainer_state.json...)",
    )


def test_own_state_file_wins_over_checkpoint_copies(tmp_path):
    write_state(tmp_path / "trainer_state.json", state([{"loss": 0.5, "step": 10}, {"loss": 0.25, "step": 20}]))
    write_state(tmp_path / "checkpoint-10" / "trainer_state.json", state([{"loss": 0.5, "step": 10}]))
    (run,) = lossrules.load(tmp_path)
    assert run.name == "." and series(run, "loss") == ([10, 20], [0.5, 0.25])


def test_sibling_output_folders_are_separate_runs(tmp_path):
    write_state(tmp_path / "a" / "checkpoint-5" / "trainer_state.json", state([{"loss": 0.5, "step": 5}]))
    write_state(tmp_path / "b" / "trainer_state.json", state([{"loss": 0.75, "step": 5}]))
    assert sorted(r.name for r in lossrules.load(tmp_path)) == ["a", "b"]


def test_invalid_json_is_an_error_naming_the_file_and_line(tmp_path):
    write_state(tmp_path / "run" / "trainer_state.json", '{\n  "log_history": [\n    {"loss": 1.0 "step": 5}\n  ]\n}\n')
    (run,) = lossrules.load(tmp_path)
    assert run.name == "run"
    assert run.error == "run/trainer_state.json: not valid JSON (line 3: Expecting ',' delimiter)"


@pytest.mark.parametrize(
    "content, error",
    [
        ("[1, 2]", "not a JSON object; not a Trainer state file"),
        ('{"global_step": 3}', "no log_history list; not a Trainer state file"),
        ('{"log_history": {"loss": 1}}', "no log_history list; not a Trainer state file"),
        (b'{"log_history": ["\xff"]}', "not UTF-8 text"),
    ],
)
def test_json_that_is_not_a_trainer_state_is_an_error(tmp_path, content, error):
    path = tmp_path / "trainer_state.json"
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    (run,) = lossrules.load(tmp_path)
    assert run.error == f"trainer_state.json: {error}"


def test_entries_without_a_step_are_skipped_with_a_note(tmp_path):
    write_state(tmp_path / "trainer_state.json", state([{"loss": 1.0}, "junk", {"loss": 2.0, "step": float("nan")}, {"loss": 3.0, "step": float("inf")}, {"loss": 0.5, "step": 3}]))
    (run,) = lossrules.load(tmp_path)
    assert series(run, "loss") == ([3], [0.5])
    assert run.notes == ("trainer_state.json: 4 log_history entries without a whole-number step skipped",)


def test_empty_history_is_a_run_with_a_note(tmp_path):
    write_state(tmp_path / "trainer_state.json", state([]))
    (run,) = lossrules.load(tmp_path)
    assert run.ok and len(run.scalars) == 0
    assert run.notes == ("trainer_state.json: log_history is empty",)


def test_fixture_case_reads_back_exactly():
    assert_case_read_back("hf_trainer")
