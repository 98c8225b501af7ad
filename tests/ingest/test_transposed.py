"""Transposed history tables (one row per metric, one column per epoch) are read per metric."""
from __future__ import annotations

import lossrules

from ..conftest import assert_case_read_back


def test_a_transposed_pandas_history_reads_back_exactly():
    assert_case_read_back("transposed_csv")


def test_a_row_of_text_is_skipped_and_the_numbers_kept(tmp_path):
    (tmp_path / "history.csv").write_text(",0,1,2\nloss,1.0,0.5,0.25\noptimizer,adam,adam,adam\nval_loss,1.2,,0.5\n")
    (run,) = lossrules.load(tmp_path)
    assert run.source == "transposed_csv" and run.roles["val_loss"] == "val_loss"
    assert run.series("loss")[1].tolist() == [1.0, 0.5, 0.25] and run.series("val_loss")[0].tolist() == [0, 2]


def test_a_table_of_numbers_under_numbered_columns_is_not_a_transposed_history(tmp_path):
    from lossrules.ingest.discover import discover
    from lossrules.ingest.tree import Tree

    (tmp_path / "history.csv").write_text(",0,1,2\n0,1.0,0.5,0.25\n1,0.9,0.4,0.2\n")
    assert discover(Tree.at(tmp_path)) == []


def test_a_one_metric_history_without_a_final_newline_is_read(tmp_path):
    (tmp_path / "history.csv").write_text(",0,1,2\nloss,1.0,0.5,0.25")
    (run,) = lossrules.load(tmp_path)
    assert run.source == "transposed_csv" and run.series("loss")[1].tolist() == [1.0, 0.5, 0.25]


def test_a_transposed_history_cut_inside_a_quote_is_reported_as_broken(tmp_path):
    (tmp_path / "history.csv").write_text(',0,1,2\nloss,1.0,"0.5\n')
    (run,) = lossrules.load(tmp_path)
    assert not run.ok and run.error.startswith("history.csv: cannot parse as a delimited table")
