"""CSV logs: Keras CSVLogger, pandas history dumps, YOLO results.csv, and the ways they go wrong."""
from __future__ import annotations

import math

import numpy as np
import pytest

import lossrules
from lossrules.ingest import csv as csv_reader
from lossrules.ingest import tree as tree_module
from lossrules.ingest.discover import discover
from lossrules.ingest.tree import Tree
from lossrules.model import InputError, NoRunsFound

from ..conftest import assert_case_read_back


def write(path, text: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def only_run(path):
    runs = lossrules.load(path)
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0]


def series(run, tag):
    steps, values = run.series(tag)
    return steps.tolist(), values.tolist()


KERAS = "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.25,0.4,1.5\n1,0.625,0.75,0.5,1.0\n2,0.75,0.5,NA,NA\n"


def test_keras_csvlogger_is_read_per_epoch(tmp_path):
    run = only_run(write(tmp_path / "training.log", KERAS))
    assert run.ok and run.source == "keras_csv" and run.name == "training.log"
    assert series(run, "loss") == ([0, 1, 2], [1.25, 0.75, 0.5])
    assert series(run, "val_loss") == ([0, 1], [1.5, 1.0])  # NA is "not logged"
    assert "epoch" not in run.tags  # it is the x-axis
    assert run.binding("train_loss").per == "epoch"
    assert run.roles["val_acc"] == "val_accuracy"


def test_values_round_trip_exactly(tmp_path):
    values = np.random.default_rng(1).standard_normal(300) * 10.0 ** np.arange(-150, 150)
    text = "step,loss\n" + "".join(f"{i},{float(v)!r}\n" for i, v in enumerate(values))
    run = only_run(write(tmp_path / "log.csv", text))
    steps, read = run.series("loss")
    assert steps.tolist() == list(range(300))
    assert np.array_equal(read, values)


def test_nan_and_inf_are_logged_values_empty_and_na_are_not(tmp_path):
    text = "epoch,loss,acc\n0,nan,\n1,inf,NA\n2,-inf,0.5\n3,NaN,N/A\n"
    run = only_run(write(tmp_path / "h.csv", text))
    steps, values = run.series("loss")
    assert steps.tolist() == [0, 1, 2, 3]
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == -math.inf and math.isnan(values[3])
    assert series(run, "acc") == ([2], [0.5])


def test_plain_csv_with_an_epoch_column_is_csv_not_keras(tmp_path):
    run = only_run(write(tmp_path / "history.csv", "epoch,train_loss,val_loss\n1,0.9,1.0\n2,0.8,0.95\n"))
    assert run.source == "csv"
    assert series(run, "train_loss") == ([1, 2], [0.9, 0.8])
    assert run.binding("val_loss").per == "epoch"


@pytest.mark.parametrize("sep", ["\t", ";"])
def test_tab_and_semicolon_separated(tmp_path, sep):
    text = sep.join(["epoch", "loss", "val_loss"]) + "\n" + sep.join(["0", "0.5", "0.75"]) + "\n" + sep.join(["1", "0.25", "0.5"]) + "\n"
    run = only_run(write(tmp_path / "log.tsv", text))
    assert series(run, "val_loss") == ([0, 1], [0.75, 0.5])


def test_padded_yolo_names_are_stripped_and_loss_components_summed(tmp_path):
    text = (
        "               epoch,      train/box_loss,      train/obj_loss,         val/box_loss,               x/lr0\n"
        "                   0,            0.045448,            0.065364,             0.040641,              0.0937\n"
        "                   1,            0.040000,            0.060000,             0.035000,              0.0800\n"
    )
    write(tmp_path / "exp" / "results.csv", text)
    run = only_run(tmp_path)
    assert run.name == "exp/results.csv" and run.source == "csv"
    assert series(run, "train/box_loss") == ([0, 1], [0.045448, 0.04])
    assert run.binding("train_loss").components == ("train/box_loss", "train/obj_loss")
    assert run.roles["lr"] == "x/lr0"


def test_yolo_side_yaml_files_are_hyperparameters(tmp_path):
    write(tmp_path / "results.csv", "epoch,train/box_loss\n0,0.5\n")
    write(tmp_path / "hyp.yaml", "lr0: 0.01\nmomentum: 0.937\n")
    write(tmp_path / "opt.yaml", "epochs: 100\nbatch_size: 16\n")
    write(tmp_path / "notes.yaml", "ignored: true\n")
    run = only_run(tmp_path)
    assert run.hparams == {"lr0": 0.01, "momentum": 0.937, "epochs": 100, "batch_size": 16}


def test_python_tags_in_args_yaml_are_not_executed(tmp_path):
    marker = tmp_path / "executed"
    write(tmp_path / "log.csv", "epoch,loss\n0,1.0\n")
    write(tmp_path / "args.yaml", f"lr: 0.1\ncmd: !!python/object/apply:os.system ['touch {marker}']\n")
    run = only_run(tmp_path)
    assert not marker.exists()
    assert run.hparams["lr"] == 0.1


def test_appended_file_is_split_where_the_epoch_restarts(tmp_path):
    text = "epoch,loss\n0,1.0\n1,0.5\n2,0.25\n0,2.0\n1,1.5\n"
    runs = lossrules.load(write(tmp_path / "training.log", text))
    assert [r.name for r in runs] == ["training.log#1", "training.log#2"]
    assert series(runs[0], "loss") == ([0, 1, 2], [1.0, 0.5, 0.25])
    assert series(runs[1], "loss") == ([0, 1], [2.0, 1.5])
    assert all(any("split into 2 runs" in n for n in r.notes) for r in runs)
    assert "lines 5-6" in " ".join(runs[1].notes)


def test_a_one_epoch_run_appended_after_another_is_split(tmp_path):
    runs = lossrules.load(write(tmp_path / "training.log", "epoch,loss\n0,1.0\n0,2.0\n"))
    assert [series(r, "loss") for r in runs] == [([0], [1.0]), ([0], [2.0])]


def test_several_rows_per_epoch_without_a_step_column_are_one_run(tmp_path):
    """Lightning's old test-tube logger: train rows and a validation row per epoch, no step."""
    rows = "".join(f"{e},{1.0 / (e + 1 + i / 10)},\n" for e in range(4) for i in range(3)) + "".join(f"{e},,{0.9 / (e + 1)}\n" for e in range(4))
    text = "epoch,train_loss,val_loss\n" + "".join(sorted(rows.splitlines(keepends=True), key=lambda r: int(r.split(",")[0])))
    (run,) = lossrules.load(write(tmp_path / "metrics.csv", text))
    steps, values = series(run, "train_loss")
    assert steps == [0, 1, 2, 3] and values == pytest.approx([1.0 / (e + 1.2) for e in range(4)])  # the epoch's last row


def test_a_title_line_above_the_header_is_skipped_and_noted(tmp_path):
    text = "model_history_log\nepoch;accuracy;loss;val_accuracy;val_loss\n0;0.4;1.5;0.8;0.6\n1;0.7;0.9;0.85;0.5\n"
    (run,) = lossrules.load(write(tmp_path / "model_history_log.csv", text))
    assert series(run, "loss") == ([0, 1], [1.5, 0.9]) and series(run, "val_loss") == ([0, 1], [0.6, 0.5])
    assert any("line 1 is a title" in note for note in run.notes)


def test_a_one_column_log_is_not_mistaken_for_a_title(tmp_path):
    (run,) = lossrules.load(write(tmp_path / "losses.csv", "loss\n0.9\n0.5\n"))
    assert series(run, "loss") == ([0, 1], [0.9, 0.5])


def test_a_repeated_header_starts_a_new_run(tmp_path):
    text = "epoch,loss\n0,1.0\n1,0.5\nepoch,loss\n2,2.0\n3,1.5\n"
    runs = lossrules.load(write(tmp_path / "h.csv", text))
    assert [r.name for r in runs] == ["h.csv#1", "h.csv#2"]
    assert series(runs[1], "loss") == ([2, 3], [2.0, 1.5])
    assert "header is repeated" in runs[0].notes[-1]


def test_a_single_run_is_not_renamed(tmp_path):
    run = only_run(write(tmp_path / "h.csv", "epoch,loss\n0,1.0\n1,0.5\n"))
    assert run.name == "h.csv" and not run.notes


def test_step_column_is_the_x_axis_and_epoch_a_series(tmp_path):
    text = "epoch,step,loss\n0,10,1.0\n0,20,0.75\n1,30,0.5\n"
    run = only_run(write(tmp_path / "log.csv", text))
    assert series(run, "loss") == ([10, 20, 30], [1.0, 0.75, 0.5])
    assert series(run, "epoch") == ([10, 20, 30], [0.0, 0.0, 1.0])
    assert "step" not in run.tags and run.binding("train_loss").per == "step"


def test_a_step_logged_twice_keeps_the_last_value_without_splitting(tmp_path):
    text = "step,loss,val_loss\n10,1.0,\n10,,0.5\n20,0.75,\n20,0.7,\n"
    run = only_run(write(tmp_path / "log.csv", text))
    assert series(run, "loss") == ([10, 20], [1.0, 0.7])
    assert series(run, "val_loss") == ([10], [0.5])


def test_fractional_epochs_number_the_rows_and_keep_epoch(tmp_path):
    text = "epoch,loss\n0.25,1.0\n0.5,0.5\n0.75,0.25\n"
    run = only_run(write(tmp_path / "log.csv", text))
    assert series(run, "loss") == ([0, 1, 2], [1.0, 0.5, 0.25])
    assert series(run, "epoch") == ([0, 1, 2], [0.25, 0.5, 0.75])
    assert any("'epoch' does not hold a whole number" in n for n in run.notes)


def test_no_counter_column_numbers_the_rows(tmp_path):
    run = only_run(write(tmp_path / "history.csv", "loss,val_loss\n1.0,1.5\n0.5,1.0\n"))
    assert series(run, "val_loss") == ([0, 1], [1.5, 1.0])
    assert run.binding("train_loss").per == "unknown"
    assert run.notes == ("history.csv: no step, epoch or iteration column; rows numbered from 0",)


def test_iteration_column_is_the_x_axis(tmp_path):
    run = only_run(write(tmp_path / "log.csv", "iteration,loss\n100,1.0\n200,0.5\n"))
    assert series(run, "loss") == ([100, 200], [1.0, 0.5]) and "iteration" not in run.tags


def test_non_numeric_columns_are_ignored_with_a_note(tmp_path):
    text = "epoch,loss,timestamp,phase\n0,1.0,2024-01-01 10:00,train\n1,0.5,2024-01-01 11:00,train\n"
    run = only_run(write(tmp_path / "log.csv", text))
    assert run.tags == ["loss"]
    assert run.notes == ("log.csv: non-numeric column(s) ignored: 'timestamp', 'phase'",)


def test_saved_pandas_index_column_is_ignored(tmp_path):
    run = only_run(write(tmp_path / "h.csv", ",loss\n0,1.0\n1,0.5\n"))
    assert run.tags == ["loss"] and "without a name" in run.notes[0]


def test_utf8_bom_is_dropped(tmp_path):
    run = only_run(write(tmp_path / "h.csv", "\ufeffepoch,loss\n0,1.0\n".encode("utf-8")))
    assert run.source == "keras_csv" and series(run, "loss") == ([0], [1.0]) and not run.notes


def test_latin1_file_is_read_with_a_note(tmp_path):
    run = only_run(write(tmp_path / "h.csv", "epoch,loss,préc\n0,1.0,0.5\n".encode("latin-1")))
    assert series(run, "préc") == ([0], [0.5])
    assert "h.csv: not UTF-8; read as Latin-1" in run.notes


def test_header_only_is_an_error(tmp_path):
    run = only_run(write(tmp_path / "training.log", "epoch,loss,val_loss\n"))
    assert run.error == "training.log: only a header, no rows"


def test_no_numeric_column_is_an_error(tmp_path):
    run = only_run(write(tmp_path / "h.csv", "epoch,loss\nfirst,high\nsecond,low\n"))
    assert run.error == "h.csv: no numeric column"


def test_only_the_counter_numeric_is_an_error(tmp_path):
    run = only_run(write(tmp_path / "h.csv", "epoch,loss\n0,tensor(1.0)\n1,tensor(0.5)\n"))
    assert run.error == "h.csv: no numeric column besides epoch"


def test_a_ragged_line_is_an_error_naming_the_line(tmp_path):
    run = only_run(write(tmp_path / "h.csv", "epoch,loss\n0,1.0\n1,0.5,7\n"))
    assert run.error == "h.csv: line 3 has 3 fields, the header has 2"


def test_one_broken_csv_does_not_stop_the_others(tmp_path):
    write(tmp_path / "a.csv", "epoch,loss\n0,1.0\n")
    write(tmp_path / "b.csv", "epoch,loss\n")
    write(tmp_path / "c" / "d.tsv", "step\tloss\n5\t0.5\n")
    runs = {r.name: r for r in lossrules.load(tmp_path)}
    assert set(runs) == {"a.csv", "b.csv", "c/d.tsv"}
    assert runs["a.csv"].ok and runs["c/d.tsv"].ok
    assert runs["b.csv"].error == "b.csv: only a header, no rows"


@pytest.mark.parametrize(
    "name, text",
    [
        ("products.csv", "id,name,price\n1,apple,0.5\n"),
        ("accounts.csv", "account_id,balance\n1,20\n"),
        ("numbers.csv", "0.5,0.25\n0.1,0.2\n"),
        ("train.log", "Epoch 1/10 - loss: 0.52 - accuracy: 0.81\n"),
        ("run.log", "INFO starting training with lr=0.1, batch=32\n"),
        ("notes.txt", "loss went down\n"),
        ("model.json", "epoch,loss\n0,1\n"),
    ],
)
def test_files_that_are_not_training_logs_are_not_claimed(tmp_path, name, text):
    write(tmp_path / name, text)
    with pytest.raises(NoRunsFound):
        lossrules.load(tmp_path)


@pytest.mark.parametrize(
    "header",
    ["epoch,acc", "step\tmetric", "loss", "train/box_loss,metrics/mAP_0.5", "Iteration;Learning Rate", "trainLoss,valLoss",
     "Percent Good,Mean Squared Error,"],
)
def test_training_log_headers_are_claimed(tmp_path, header):
    write(tmp_path / "log.csv", header + "\n")
    assert len(discover(Tree.at(tmp_path))) == 1


def test_a_table_named_for_its_losses_is_claimed_whatever_its_columns(tmp_path):
    write(tmp_path / "losses.csv", ",train,valid\n0,0.35,0.99\n1,0.30,1.08\n")  # pandas' to_csv of two loss lists
    write(tmp_path / "metrics.csv", "id,name,price\n1,apple,0.5\n")
    (run,) = lossrules.load(tmp_path)
    assert run.name == "losses.csv" and set(run.tags) == {"losses/train", "losses/valid"}
    assert run.roles["train_loss"] == "losses/train" and run.roles["val_loss"] == "losses/valid"


def test_a_run_label_appended_to_a_table_header_is_a_stray_name_not_a_data_row(tmp_path):
    write(tmp_path / "record.csv", "Epoch,Train Loss,Val Loss,0.01_256_3_normFalse\n1,0.66,0.22\n2,0.46,0.23\n")
    write(tmp_path / "notes.txt", "run 1,lr=0.01,epoch 3\n")  # free text stays free text
    (run,) = lossrules.load(tmp_path)
    assert run.roles["train_loss"] == "Train Loss" and "0.01_256_3_normFalse" not in run.tags
    assert any("empty column(s) ignored: '0.01_256_3_normFalse'" in note for note in run.notes)


def test_a_table_passed_over_is_named_in_the_error_with_the_reason(tmp_path):
    write(tmp_path / "scores.csv", "6.54e-01\n6.52e-01\n")  # numpy.savetxt, named for nothing a log holds
    with pytest.raises(NoRunsFound, match=r"scores.csv: line 1 is '6.54e-01', not a header"):
        lossrules.load(tmp_path)


def test_single_column_text_logs_need_a_delimiter(tmp_path):
    write(tmp_path / "loss.txt", "loss\n0.5\n")
    write(tmp_path / "loss.csv", "loss\n0.5\n")
    assert [c.name for c in discover(Tree.at(tmp_path))] == ["loss.csv"]


def test_unreadable_file_is_skipped_at_discovery_with_the_reason(tmp_path, monkeypatch):
    write(tmp_path / "h.csv", "epoch,loss\n0,1.0\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tree_module, "open", refuse, raising=False)
    with pytest.raises(NoRunsFound, match="h.csv: cannot open"):
        lossrules.load(tmp_path)


def test_file_gone_before_reading_is_an_input_error(tmp_path):
    path = write(tmp_path / "h.csv", "epoch,loss\n0,1.0\n")
    tree = Tree.at(tmp_path)
    (claim,) = discover(tree)
    path.unlink()
    with pytest.raises(InputError, match="^h.csv: cannot open"):
        csv_reader.read(claim, tree)


def test_reading_never_writes_into_the_tree(tmp_path):
    write(tmp_path / "h.csv", KERAS)
    write(tmp_path / "opt.yaml", "epochs: 3\n")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    lossrules.load(tmp_path)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("case", ["keras_csv", "keras_csv_appended", "plain_csv", "plain_csv_noepoch", "long_format_csv"])
def test_fixture_cases_read_back_exactly(case):
    assert_case_read_back(case)


def test_windows_line_endings(tmp_path):
    run = only_run(write(tmp_path / "training.log", KERAS.replace("\n", "\r\n").encode()))
    assert series(run, "val_loss") == ([0, 1], [1.5, 1.0]) and run.source == "keras_csv"


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    runs = lossrules.load(write(tmp_path / "h.csv", "epoch,loss\n0,1.0\n\n1,0.5\n\n0,2.0\n"))
    assert [series(r, "loss") for r in runs] == [([0, 1], [1.0, 0.5]), ([0], [2.0])]
    assert runs[1].notes[-1].endswith("this is run 2, lines 6-6")


def test_a_column_emptied_to_the_end_by_pandas_is_read_as_nan(tmp_path):
    """pandas' to_csv writes NaN as an empty cell: a loss that became NaN leaves a tail of empties."""
    import pandas as pd

    history = pd.DataFrame({"epoch": range(6), "train_loss": [1.0, 0.8, 0.6, float("nan"), float("nan"), float("nan")], "val_loss": [1.1, 0.9, 0.7, 0.7, 0.7, 0.7]})
    history.to_csv(tmp_path / "history.csv", index=False)
    (run,) = lossrules.load(tmp_path)
    steps, values = run.series("train_loss")
    assert steps.tolist() == list(range(6)) and np.isnan(values[3:]).all()
    assert any("read as NaN" in note for note in run.notes)


def test_empty_cells_in_the_middle_of_a_sparse_table_stay_missing(tmp_path):
    (tmp_path / "log.csv").write_text("step,train_loss,val_loss\n0,1.0,\n1,0.9,\n2,0.8,0.85\n3,0.7,\n")
    (run,) = lossrules.load(tmp_path)
    steps, values = run.series("val_loss")
    assert steps.tolist() == [2] and values.tolist() == [0.85]


def test_a_long_format_log_on_a_global_step_is_read_per_split(tmp_path):
    run = only_run(write(tmp_path / "log.csv", "step,phase,loss\n0,train,2.0\n5,train,1.5\n5,val,1.8\n10,train,1.0\n10,val,1.2\n"))
    assert series(run, "train/loss") == ([0, 5, 10], [2.0, 1.5, 1.0]) and series(run, "val/loss") == ([5, 10], [1.8, 1.2])
    assert run.roles["train_loss"] == "train/loss" and run.roles["val_loss"] == "val/loss"


def test_a_text_column_that_names_no_split_is_ignored_as_before(tmp_path):
    run = only_run(write(tmp_path / "log.csv", "epoch,model,loss\n0,mlp,2.0\n1,mlp,1.5\n2,cnn,1.0\n"))
    assert series(run, "loss") == ([0, 1, 2], [2.0, 1.5, 1.0]) and "non-numeric column(s) ignored: 'model'" in run.notes[0]


def test_a_long_format_step_that_goes_back_within_an_epoch_and_split_still_splits_the_file(tmp_path):
    rows = "epoch,set,step,loss\n0,train,1,2.0\n0,train,2,1.5\n0,train,1,1.9\n0,val,1,1.7\n"
    assert len(lossrules.load(write(tmp_path / "log.csv", rows))) == 2



def test_an_epoch_column_stuck_at_one_value_is_not_a_counter(tmp_path):
    run = only_run(write(tmp_path / "history.csv", "epoch,loss,val_loss\n0,1.0,1.1\n0,0.8,0.9\n0,0.7,0.85\n"))
    assert series(run, "loss") == ([0, 1, 2], [1.0, 0.8, 0.7]) and run.notes == ("history.csv: 'epoch' holds 0 in every row; rows numbered from 0",)
