"""Lightning CSVLogger: sparse metrics.csv rows over step, hparams.yaml, resumed runs."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lossrules

from ..conftest import assert_case_read_back

METRICS = (
    "epoch,lr-Adam,step,train_loss_step,train_loss_epoch,val_loss\n"
    ",0.001,49,,,\n"
    "0,,49,0.75,,\n"
    "0,,99,0.5,,\n"
    "0,,99,,,0.625\n"
    "0,,99,,0.6,\n"
    "1,,149,nan,,\n"
    "1,,199,inf,,\n"
)


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def series(run, tag):
    steps, values = run.series(tag)
    return steps.tolist(), values.tolist()


def test_sparse_rows_give_one_series_per_column_over_step(tmp_path):
    write(tmp_path / "lightning_logs" / "version_0" / "metrics.csv", METRICS)
    (run,) = lossrules.load(tmp_path)
    assert run.ok and run.source == "lightning_csv" and run.name == "lightning_logs/version_0"
    assert run.tags == ["epoch", "lr-Adam", "train_loss_epoch", "train_loss_step", "val_loss"]
    assert series(run, "train_loss_step")[0] == [49, 99, 149, 199]
    values = series(run, "train_loss_step")[1]
    assert values[:2] == [0.75, 0.5] and math.isnan(values[2]) and values[3] == math.inf
    assert series(run, "val_loss") == ([99], [0.625])
    assert series(run, "lr-Adam") == ([49], [0.001])
    assert series(run, "epoch") == ([49, 99, 149, 199], [0.0, 0.0, 1.0, 1.0])
    assert not run.notes


def test_step_and_epoch_suffixes_are_kept_and_bound(tmp_path):
    (run,) = lossrules.load(write(tmp_path / "metrics.csv", METRICS).parent)
    train = [(b.tag, b.per) for b in run.metrics if b.role == "train_loss"]
    assert train == [("train_loss_step", "step"), ("train_loss_epoch", "epoch")]
    assert run.roles["epoch"] == "epoch" and run.roles["lr"] == "lr-Adam"


def test_a_metric_logged_twice_at_one_step_keeps_the_last_value(tmp_path):
    text = "epoch,step,loss\n0,10,1.0\n0,10,2.0\n0,20,3.0\n"
    (run,) = lossrules.load(write(tmp_path / "metrics.csv", text).parent)
    assert series(run, "loss") == ([10, 20], [2.0, 3.0])
    assert not run.notes


def test_resumed_run_appended_to_the_file_keeps_the_newest_rows(tmp_path):
    text = "epoch,step,train_loss\n0,10,1.0\n0,20,0.9\n1,30,0.8\n0,20,0.5\n1,30,0.4\n1,40,0.3\n"
    (run,) = lossrules.load(write(tmp_path / "metrics.csv", text).parent)
    assert series(run, "train_loss") == ([10, 20, 30, 40], [1.0, 0.5, 0.4, 0.3])
    assert run.notes == (
        "metrics.csv: step goes back 1 time(s) (first at line 5: 30 -> 20); later rows replace earlier ones from that step on",
    )


@pytest.mark.parametrize(
    "folder", ["logs/MyModel/version_3", "lightning_logs/lightning_logs/version_0", "."]
)
def test_run_is_named_after_its_folder(tmp_path, folder):
    write(tmp_path / folder / "metrics.csv", METRICS)
    (run,) = lossrules.load(tmp_path)
    assert run.name == folder and run.ok


def test_extra_numeric_columns_are_series_and_text_columns_are_ignored(tmp_path):
    text = "batch,epoch,epoch_time,step,train_loss,phase\n0.0,0.0,,9,1.5,fit\n1.0,0.0,12.5,19,1.25,fit\n"
    (run,) = lossrules.load(write(tmp_path / "metrics.csv", text).parent)
    assert run.tags == ["batch", "epoch", "epoch_time", "train_loss"]
    assert series(run, "epoch_time") == ([19], [12.5])
    assert run.notes == ("metrics.csv: non-numeric column(s) ignored: 'phase'",)


def test_hparams_yaml_is_read_without_running_python_tags(tmp_path):
    marker = tmp_path / "executed"
    write(tmp_path / "metrics.csv", METRICS)
    write(
        tmp_path / "hparams.yaml",
        f"lr: 0.001\nhidden: 64\nrun: !!python/object/apply:os.system ['touch {marker}']\n"
        "optimizer: !!python/name:torch.optim.adam.Adam ''\nnested:\n  depth: 3\n",
    )
    (run,) = lossrules.load(tmp_path)
    assert not marker.exists()
    assert run.hparams["lr"] == 0.001 and run.hparams["hidden"] == 64 and run.hparams["nested.depth"] == 3
    assert run.files == ("metrics.csv", "hparams.yaml")


def test_broken_hparams_yaml_is_a_note_not_an_error(tmp_path):
    write(tmp_path / "metrics.csv", METRICS)
    write(tmp_path / "hparams.yaml", "lr: [0.1\n")
    (run,) = lossrules.load(tmp_path)
    assert run.ok and run.hparams == {}
    assert run.notes[0].startswith("hparams.yaml: not valid YAML")


def test_metrics_csv_without_step_column_is_left_to_the_csv_reader(tmp_path):
    (run,) = lossrules.load(write(tmp_path / "metrics.csv", "epoch,loss\n0,1.0\n1,0.5\n").parent)
    assert run.source == "keras_csv" and run.name == "metrics.csv"


def test_missing_step_value_is_an_error(tmp_path):
    (run,) = lossrules.load(write(tmp_path / "v0" / "metrics.csv", "epoch,step,loss\n0,,1.0\n").parents[1])
    assert run.error == "v0/metrics.csv: the step column must hold a whole number in every row"


def test_header_only_is_an_error(tmp_path):
    (run,) = lossrules.load(write(tmp_path / "v0" / "metrics.csv", "epoch,step,loss\n").parents[1])
    assert run.name == "v0" and run.error == "v0/metrics.csv: only a header, no rows"


def test_one_broken_version_does_not_stop_the_others(tmp_path):
    write(tmp_path / "version_0" / "metrics.csv", METRICS)
    write(tmp_path / "version_1" / "metrics.csv", "epoch,step,loss\n0,1,1.0\n0,2,0.5,9\n")
    runs = {r.name: r for r in lossrules.load(tmp_path)}
    assert runs["version_0"].ok
    assert runs["version_1"].error == "version_1/metrics.csv: line 3 has 4 fields, the header has 3"


def test_fixture_case_reads_back_exactly():
    assert_case_read_back("lightning_csv")


cells = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=-1e6, max_value=1e6),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), cells, cells), min_size=1, max_size=40))
def test_any_sparse_file_reads_as_the_last_value_per_step_newest_winning(rows):
    """Reference model: a point at step s replaces the tag's points at s and after (a resume)."""
    want: dict[str, list] = {"a": [], "b": []}
    lines = ["step,a,b"]
    for step, *values in rows:
        lines.append(",".join([str(step)] + ["" if v is None else repr(v) for v in values]))
        for tag, v in zip("ab", values):
            if v is not None:
                want[tag] = [p for p in want[tag] if p[0] < step] + [(step, v)]
    if not any(want.values()):
        return
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "metrics.csv").write_text("\n".join(lines) + "\n")
        (run,) = lossrules.load(folder)
    for tag, points in want.items():
        steps, values = run.series(tag)
        assert steps.tolist() == [s for s, _ in points]
        np.testing.assert_array_equal(values, np.array([v for _, v in points], dtype=float))
