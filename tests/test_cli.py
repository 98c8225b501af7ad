"""The command line: exit statuses, one-line errors, outputs, and a --help that stays light."""
from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from lossrules.cli import main

from .conftest import FIXTURES


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_help_and_version():
    assert run_cli("--help").exit_code == 0
    result = run_cli("--version")
    assert result.exit_code == 0 and re.search(r"\d+\.\d+\.\d+", result.output)


def test_help_imports_neither_pandas_nor_scipy():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "lossrules", "--help"], capture_output=True, text=True, check=True)
    imported = set(re.findall(r"\|\s+(\S+)\s*$", out.stderr, re.MULTILINE))
    assert "click" in imported
    assert not {"pandas", "scipy", "numpy"} & imported


def test_an_empty_folder_is_a_one_line_error_with_status_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lossrules", "load", str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no training logs found" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_path_is_a_usage_error(tmp_path):
    result = run_cli("load", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage" * 50])
def test_an_unreadable_event_file_is_named_and_exits_2(tmp_path, content):
    bad = tmp_path / "events.out.tfevents.1700000000.host.1.0"
    bad.write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "lossrules", "load", str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert bad.name in result.stderr and "Traceback" not in result.stderr


def test_bad_metric_option_is_a_usage_error():
    result = run_cli("load", str(FIXTURES), "--metric", "train_loss")
    assert result.exit_code == 2 and "ROLE=TAG" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_load_writes_the_long_frame(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    out = tmp_path / f"scalars{suffix}"
    result = run_cli("load", str(FIXTURES / "tb_scalars"), "-o", str(out))
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns) == ["run", "tag", "step", "value", "wall_time"]
    assert len(frame) > 100 and set(frame["tag"]) >= {"train/loss", "val/loss"}
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"


def test_load_lists_runs_with_their_loss_series():
    result = run_cli("load", str(FIXTURES))
    assert result.exit_code == 0, result.output
    assert "tb_scalars" in result.output and "train/loss" in result.output


def test_unknown_output_extension_is_refused(tmp_path):
    result = run_cli("load", str(FIXTURES / "tb_scalars"), "-o", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2 and "unknown output format" in result.output
