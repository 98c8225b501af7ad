"""Discovery: what is one run in a tree, links that leave it or loop, and a tree left untouched."""
from __future__ import annotations

import os
import shutil

import pytest

import lossrules
from lossrules.model import NoRunsFound

from ..conftest import FIXTURES


def snapshot(root) -> dict:
    """Every path under root with its size and modification time (links not followed)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            out[os.path.relpath(path, root)] = (info.st_size, info.st_mtime_ns)
    return out


def test_the_whole_fixture_tree_is_found_with_one_run_per_layout():
    names = {run.name for run in lossrules.load(FIXTURES)}
    assert {
        "tb_scalars",
        "tb_keras_split/run1",
        "tb_add_scalars",
        "lightning_csv/lightning_logs/version_0",
        "lightning_csv/lightning_logs/version_1",
        "lightning_tb/lightning_logs/version_0",
        "keras_csv_appended/training.log#1",
        "keras_csv_appended/training.log#2",
        "hf_trainer",
    } <= names
    assert not any(name.startswith(("tb_keras_split/run1/", "tb_add_scalars/")) for name in names)


def test_reading_writes_nothing_into_the_tree(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "logs")
    before = snapshot(tmp_path / "logs")
    lossrules.load(tmp_path / "logs")
    lossrules.diagnose(tmp_path / "logs")
    assert snapshot(tmp_path / "logs") == before


def test_nested_lightning_logs_and_version_folders_are_runs(tmp_path):
    shutil.copytree(FIXTURES / "lightning_csv" / "lightning_logs", tmp_path / "lightning_logs" / "lightning_logs")
    names = sorted(run.name for run in lossrules.load(tmp_path))
    assert names == ["lightning_logs/lightning_logs/version_0", "lightning_logs/lightning_logs/version_1"]


def test_links_out_of_the_tree_are_not_followed_and_loops_do_not_hang(tmp_path):
    outside = tmp_path / "outside"
    shutil.copytree(FIXTURES / "keras_csv", outside)
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "tb_scalars", root / "inside")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "inside" / "loop").symlink_to(root, target_is_directory=True)
    (root / "alias").symlink_to(root / "inside", target_is_directory=True)
    (outside / "linked.csv").symlink_to(FIXTURES / "plain_csv" / "history.csv")
    (root / "inside" / "history.csv").symlink_to(outside / "training.log")
    runs = lossrules.load(root)
    assert [run.name for run in runs] == ["inside"]


def test_a_single_file_path_reads_that_file_only():
    (run,) = lossrules.load(FIXTURES / "keras_csv" / "training.log")
    assert run.name == "training.log" and run.source == "keras_csv"


@pytest.mark.parametrize("make", [lambda p: None, lambda p: (p / "notes.txt").write_text("hello\n"), lambda p: (p / "data.csv").write_text("id,name,price\n1,a,3\n")])
def test_a_folder_without_logs_raises_a_clear_error(tmp_path, make):
    make(tmp_path)
    with pytest.raises(NoRunsFound, match="no training logs found"):
        lossrules.load(tmp_path)


def test_one_broken_run_among_many_is_reported_and_the_others_read(tmp_path):
    shutil.copytree(FIXTURES / "keras_csv", tmp_path / "good")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "history.csv").write_text("epoch,loss\n")
    runs = {run.name: run for run in lossrules.load(tmp_path)}
    assert runs["good/training.log"].ok and not runs["bad/history.csv"].ok
    assert "history.csv" in runs["bad/history.csv"].error


@pytest.mark.parametrize(
    "layout",
    ["loss.csv", "history.csv", "training.log", "lightning_logs/version_0/metrics.csv"],
)
def test_an_empty_log_file_is_a_broken_run_not_passed_over(tmp_path, layout):
    shutil.copytree(FIXTURES / "keras_csv", tmp_path / "good")
    empty = tmp_path / "bad" / layout
    empty.parent.mkdir(parents=True)
    empty.write_bytes(b"")
    (empty.parent / "hparams.yaml").write_text("lr: 0.1\n")
    runs = {run.name: run for run in lossrules.load(tmp_path)}
    (broken,) = [run for name, run in runs.items() if name.startswith("bad")]
    assert not broken.ok and "empty file" in broken.error
    assert runs["good/training.log"].ok


@pytest.mark.parametrize("name", ["train.txt", "labels.txt", "data.csv"])
def test_an_empty_file_not_named_for_a_log_is_not_a_run(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(NoRunsFound):
        lossrules.load(tmp_path)
