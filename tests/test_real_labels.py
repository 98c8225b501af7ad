"""The by-eye labels of real runs behind docs/real-runs.md: known causes, each run traceable to the
repository commit it was copied from, and each label naming a run lossrules finds (where the runs
are present beside the project) so that benchmarks/accuracy.py scores every one."""
from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest
import yaml

import lossrules
from lossrules.engine.rules import CAUSES

from .conftest import ROOT, WILD

VERDICTS = set(CAUSES) | {"healthy"}
_SPEC = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
accuracy = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(accuracy)
REAL = Path(os.environ.get("LOSSRULES_REAL_RUNS", ROOT.parent / "shared" / "realruns"))  # benchmarks/fetch_real_runs.py rebuilds it
FILES = {"real-runs.yaml": REAL, "real-runs-second.yaml": REAL, "wild-labels.yaml": WILD}


def labels(name: str) -> dict:
    return yaml.safe_load((ROOT / "benchmarks" / name).read_text())


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_label_is_a_known_cause_with_a_confidence_and_a_reading(name):
    for key, label in labels(name).items():
        assert label["cause"] in VERDICTS, key
        assert set(label["also"]) <= VERDICTS - {label["cause"]}, key
        assert label["confidence"] in ("clear", "likely", "unsure") and label["reading"], key


WAVE_PREFIXES = "rstuvxyzqponmlkihgfed"  # a run's key starts with the letter of the wave it was collected in


def test_every_real_run_names_the_repository_commit_and_path_it_was_copied_from():
    for key, label in labels("real-runs.yaml").items():
        assert re.fullmatch(rf"[{WAVE_PREFIXES}]_[abcd]\d\d", key) and label["wave"] == WAVE_PREFIXES.index(key[0]) + 1, key
        assert "/" in label["repo"] and re.fullmatch(r"[0-9a-f]{40}", label["commit"]) and label["path"], key


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_labelled_folder_is_present_and_read_where_the_runs_are(name):
    folder = FILES[name]
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    wanted = labels(name)
    found = {accuracy.label_key(run.name, wanted) for run in lossrules.iter_runs(folder)}
    unreadable = set(wanted) - found
    assert unreadable <= {"l_b02"}, unreadable  # docs/real-runs.md: running sums with a wider summary row


def test_fetch_real_runs_copies_a_run_s_logs_at_its_commit_and_leaves_checkpoints(tmp_path):
    import subprocess

    spec = importlib.util.spec_from_file_location("fetch_real_runs", ROOT / "benchmarks" / "fetch_real_runs.py")
    fetch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch)
    repo = tmp_path / "owner+name"
    run = repo / "lightning_logs" / "version_0"
    (run / "checkpoints").mkdir(parents=True)
    (run / "metrics.csv").write_text("epoch,step,train_loss\n0,9,1.5\n")
    (run / "checkpoints" / "epoch=0.ckpt").write_bytes(b"\0weights")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "run"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    (run / "metrics.csv").write_text("changed after the commit\n")

    gitdir = fetch.git_dir("owner/name", tmp_path, tmp_path / "cache")
    copied = fetch.copy_run(gitdir, commit, "lightning_logs/version_0", tmp_path / "out")
    assert copied == 1 and [p.name for p in (tmp_path / "out").rglob("*") if p.is_file()] == ["metrics.csv"]
    assert (tmp_path / "out" / "metrics.csv").read_text() == "epoch,step,train_loss\n0,9,1.5\n"


def test_second_opinions_label_runs_of_the_first_set():
    assert set(labels("real-runs-second.yaml")) <= set(labels("real-runs.yaml"))


def test_agreement_scores_only_the_runs_both_reviewers_label_alike():
    first = {"a": {"cause": "healthy"}, "b": {"cause": "overfitting", "also": ["healthy"]}}
    second = {"a": {"cause": "healthy"}, "b": {"cause": "healthy"}}
    text = accuracy.agreement(first, second, {"a": "healthy", "b": "overfitting"})
    assert "same cause on 1 (50.0%)" in text and "accepts on 2 (100.0%)" in text
    assert "against the first reviewer 100.0%, against the second 50.0%" in text
    assert "both reviewers label alike: 1 runs" in text and "top-1 accuracy 100.0%" in text


def test_a_run_is_matched_to_its_label_by_name_then_folder_and_run_then_folder():
    labels = {"a/log.csv": {}, "b#2": {}, "c": {}}
    assert accuracy.label_key("a/log.csv", labels) == "a/log.csv"
    assert accuracy.label_key("b/log.csv#2", labels) == "b#2"
    assert accuracy.label_key("c/history.csv#1", labels) == "c"  # one label for a file split into runs
    assert accuracy.label_key("d/log.csv", labels) == "d/log.csv"
