"""Header-less columns of numbers (numpy.savetxt of a loss list) are read when named for a loss."""
from __future__ import annotations

import pytest

import lossrules
from lossrules.model import NoRunsFound

from ..conftest import FIXTURES, assert_case_read_back


def test_a_savetxt_loss_list_reads_back_exactly_as_the_training_loss():
    assert_case_read_back("numpy_savetxt")
    (run,) = lossrules.load(FIXTURES / "numpy_savetxt")
    assert run.roles == {"train_loss": "loss"} and "without a header" in run.notes[0]


def test_a_column_named_for_validation_binds_as_the_validation_loss(tmp_path):
    (tmp_path / "val_losses.txt").write_text("0.9\n0.7\n0.6\n0.55\n0.5\n")
    (run,) = lossrules.load(tmp_path)
    assert run.roles == {"val_loss": "val_loss"} and run.series("val_loss")[1].tolist() == [0.9, 0.7, 0.6, 0.55, 0.5]


def test_numbers_in_a_file_not_named_for_a_loss_are_not_a_run(tmp_path):
    (tmp_path / "predictions.csv").write_text("0.1\n0.2\n0.3\n")
    with pytest.raises(NoRunsFound):
        lossrules.load(tmp_path)


def test_a_line_that_is_not_a_number_is_reported_with_its_line(tmp_path):
    (tmp_path / "loss.csv").write_text("".join(f"{x}\n" for x in range(30)) + "oops\n1.0\n")
    (run,) = lossrules.load(tmp_path)
    assert not run.ok and run.error == "loss.csv: line 31 is not a number, in a column of numbers without a header"


def test_a_column_saved_with_a_byte_order_mark_is_read(tmp_path):
    (tmp_path / "loss.csv").write_bytes(b"\xef\xbb\xbf0.9\n0.7\n0.5\n")
    (run,) = lossrules.load(tmp_path)
    assert run.series("loss")[1].tolist() == [0.9, 0.7, 0.5]


def test_several_columns_without_a_header_read_back_as_numbered_columns_the_user_binds():
    assert_case_read_back("numpy_savetxt_columns")
    folder = FIXTURES / "numpy_savetxt_columns"
    (run,) = lossrules.load(folder)
    assert "train_loss" not in run.roles and "--metric train_loss=column_N" in run.notes[0]
    (bound,) = lossrules.load(folder, metrics={"train_loss": "column_1", "val_loss": "column_2"})
    assert bound.roles == {"train_loss": "column_1", "val_loss": "column_2"} and len(bound.series("column_2")[1]) == 8


def test_a_short_row_among_columns_is_reported_with_its_line(tmp_path):
    (tmp_path / "train_log.csv").write_text("".join(f"{x},{x / 2}\n" for x in range(30)) + "3.0\n")
    (run,) = lossrules.load(tmp_path)
    assert not run.ok and "line 31 is not 2 numbers, in 2 columns" in run.error


def test_a_long_row_among_columns_is_reported_with_its_line(tmp_path):
    (tmp_path / "train_log.csv").write_text("".join(f"{x},{x / 2}\n" for x in range(30)) + "5,6,7\n")
    (run,) = lossrules.load(tmp_path)
    assert not run.ok and "line 31 is not 2 numbers, in 2 columns" in run.error
