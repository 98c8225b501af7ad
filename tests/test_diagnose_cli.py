"""diagnose, audit and rules through click's runner and as real subprocesses: outputs and exit codes."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from lossrules.cli import main

from .conftest import FIXTURES, WILD

NAN_RUN = WILD / "w007"  # a real run whose training loss is NaN throughout


def cli(*args: str, **kw):
    return CliRunner().invoke(main, list(args), **kw)


def test_diagnose_prints_verdict_findings_and_what_was_not_checked():
    result = cli("diagnose", str(FIXTURES / "tb_scalars"))
    assert result.exit_code == 0, result.output
    assert "verdict:" in result.output and "metrics: train_loss=train/loss" in result.output


def test_why_shows_the_rule_chain_with_observed_values_and_thresholds(wild):
    result = cli("diagnose", str(wild / "w010"), "--why")
    assert "because:" in result.output
    assert "val_loss.rise_from_min > params.min_rise:" in result.output


def test_why_not_explains_each_rule_of_a_cause_with_every_comparison():
    result = cli("diagnose", str(FIXTURES.parent / "corpus" / "c004"), "--why-not", "batchnorm_issue.erratic_validation", "--why-not", "overfitting.val_rises")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "why not batchnorm_issue.erratic_validation? did not fire" in out
    assert "val_loss.noise > params.min_val_noise:" in out and "-> no" in out
    assert "why not overfitting.val_rises? suppressed (explained by insufficient_data" in out
    assert "symptom.val_rising is true:" in out


def test_why_not_a_name_that_matches_no_rule_is_a_usage_error():
    result = cli("diagnose", str(FIXTURES / "keras_csv"), "--why-not", "overfiting")
    assert result.exit_code == 2 and "'overfiting' matches no rule" in result.output


@pytest.mark.parametrize("fail_on, expected", [("error", 1), ("warning", 1)])
def test_exit_status_gates_on_severity(wild, fail_on, expected):
    assert cli("diagnose", str(NAN_RUN), "--fail-on", fail_on, "-q").exit_code == expected


def test_a_healthy_fixture_passes_the_default_gate():
    assert cli("diagnose", str(FIXTURES / "hf_trainer"), "-q").exit_code == 0


def test_json_contract(wild):
    result = cli("diagnose", str(wild / "w010"), str(NAN_RUN), "--format", "json")
    doc = json.loads(result.output)
    assert set(doc) == {"lossrules_version", "format_version", "runs"}
    for run in doc["runs"]:
        assert set(run) == {"run", "root", "source", "metrics", "verdict", "findings", "notes", "error"}
        ranked = [f for f in run["findings"] if f["severity"] != "info"]
        if ranked:
            assert run["verdict"] == ranked[0]["cause"]
        for finding in run["findings"]:
            assert set(finding) == {"rule", "cause", "severity", "confidence", "title", "evidence", "remedies", "step"}
    verdicts = {r["root"].rsplit("/", 1)[-1]: r["verdict"] for r in doc["runs"]}
    assert verdicts == {"w010": "overfitting", "w007": "nonfinite"}


def test_what_the_reader_noticed_reaches_the_report(tmp_path):
    (event_file,) = (FIXTURES / "tb_scalars").glob("events.out.tfevents.*")
    data = event_file.read_bytes()
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / event_file.name).write_bytes(data[: len(data) // 2])  # a run killed mid-write
    text = cli("diagnose", str(killed)).output
    assert "read notes:" in text and "cut short" in text
    (run,) = json.loads(cli("diagnose", str(killed), "--format", "json").output)["runs"]
    assert any("cut short" in note for note in run["notes"])
    for fmt in ("markdown", "html"):
        assert "cut short" in cli("diagnose", str(killed), "--format", fmt, "-o", str(tmp_path / f"r.{fmt}")).output + (tmp_path / f"r.{fmt}").read_text()
    (whole,) = json.loads(cli("diagnose", str(FIXTURES / "tb_scalars"), "--format", "json").output)["runs"]
    assert whole["notes"] == []


def test_audit_table_csv_and_summary(tmp_path):
    out = tmp_path / "audit.csv"
    result = cli("audit", str(FIXTURES), "--format", "csv", "-o", str(out), "-j", "1")
    assert result.exit_code in (0, 1), result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("run,root,source,steps,verdict")
    assert len(lines) - 1 == len(CliRunner().invoke(main, ["load", str(FIXTURES)]).output.splitlines()) - 1
    text = cli("audit", str(FIXTURES), "-j", "1").output
    assert "run(s):" in text.splitlines()[-1]


def test_parallel_audit_gives_the_same_results_as_serial():
    serial = json.loads(cli("audit", str(FIXTURES), "--format", "json", "-j", "1").output)["runs"]
    parallel = json.loads(cli("audit", str(FIXTURES), "--format", "json", "-j", "2").output)["runs"]
    key = lambda r: (r["root"], r["run"])
    assert sorted(serial, key=key) == sorted(parallel, key=key)


def test_a_broken_run_is_reported_and_the_audit_goes_on(tmp_path):
    shutil.copytree(FIXTURES / "tb_scalars", tmp_path / "good")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "events.out.tfevents.1.host").write_bytes(b"\x07" * 300)
    doc = json.loads(cli("audit", str(tmp_path), "--format", "json", "-j", "2").output)
    by_run = {r["run"]: r for r in doc["runs"]}
    assert by_run["bad"]["verdict"] == "error" and "events.out.tfevents.1.host" in by_run["bad"]["error"]
    assert by_run["good"]["verdict"] != "error"


def test_html_report_is_self_contained(tmp_path, wild):
    out = tmp_path / "report.html"
    cli("audit", str(wild / "w010"), str(wild / "w014"), "--format", "html", "-o", str(out), "-j", "1")
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 4
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_select_ignore_and_set_change_what_fires(wild):
    base = json.loads(cli("diagnose", str(wild / "w010"), "--format", "json").output)["runs"][0]
    assert base["verdict"] == "overfitting"
    ignored = json.loads(cli("diagnose", str(wild / "w010"), "--format", "json", "--ignore", "overfitting").output)["runs"][0]
    assert all(f["cause"] != "overfitting" for f in ignored["findings"])
    raised = json.loads(cli("diagnose", str(wild / "w010"), "--format", "json", "--set", "symptom.val_rising.min_rise=5", "--ignore", "overfitting.gap_widens").output)["runs"][0]
    assert all(f["rule"] != "overfitting.val_rises" for f in raised["findings"])


def test_config_file_is_read_and_unknown_keys_refused(tmp_path, wild):
    (tmp_path / "lossrules.toml").write_text('ignore = ["overfitting"]\n')
    result = CliRunner().invoke(main, ["diagnose", str(wild / "w010"), "--format", "json", "--config", str(tmp_path / "lossrules.toml")])
    assert all(f["cause"] != "overfitting" for f in json.loads(result.output)["runs"][0]["findings"])
    (tmp_path / "bad.toml").write_text("ignroe = []\n")
    result = cli("diagnose", str(wild / "w010"), "--config", str(tmp_path / "bad.toml"))
    assert result.exit_code == 2 and "unknown option 'ignroe'" in result.output


def test_rules_commands(tmp_path):
    assert "overfitting.val_rises" in cli("rules", "list").output
    assert "**Why it matters.**" in cli("rules", "show", "overfitting.val_rises").output
    assert cli("rules", "check", str(tmp_path)).exit_code == 0
    (tmp_path / "mine.yaml").write_text("- id: overfitting.mine\n  title: t\n  cause: overfitting\n  severity: warning\n  when: val_loss.rise_form_min > 1\n  evidence: []\n  remedies: []\n  why: w\n  references: []\n  origin: o\n")
    result = cli("rules", "check", str(tmp_path))
    assert result.exit_code == 2 and "mine.yaml" in result.output and "rise_form_min" in result.output


def test_diagnose_as_a_real_subprocess_with_one_line_errors(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lossrules", "diagnose", str(FIXTURES / "keras_csv"), "--format", "json"], capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1) and json.loads(done.stdout)["runs"]
    bad = subprocess.run([sys.executable, "-m", "lossrules", "diagnose", str(tmp_path)], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_min_severity_quiet_and_markdown(wild):
    everything = json.loads(cli("diagnose", str(wild / "w010"), "--format", "json").output)["runs"][0]["findings"]
    warnings = json.loads(cli("diagnose", str(wild / "w010"), "--format", "json", "--min-severity", "warning").output)["runs"][0]["findings"]
    assert any(f["severity"] == "info" for f in everything) and all(f["severity"] != "info" for f in warnings)
    assert cli("diagnose", str(wild / "w010"), "-q").output == ""
    markdown = cli("diagnose", str(wild / "w010"), "--format", "markdown").output
    assert markdown.startswith("| run |") and "**overfitting**" in markdown


def test_metric_binding_and_extra_rule_folders(tmp_path):
    (tmp_path / "team.yaml").write_text(
        "- id: underfitting.team_policy\n  title: Team policy says the loss must end below 0.01\n  cause: underfitting\n"
        "  severity: error\n  params: {max_loss: 0.01}\n  when: train_loss.last > params.max_loss\n  evidence: [train_loss.last]\n"
        "  remedies: ['Train harder (last loss {train_loss.last}).']\n  why: Policy.\n  references: []\n  origin: team\n"
    )
    doc = json.loads(cli("diagnose", str(FIXTURES / "keras_csv"), "--format", "json", "--rules", str(tmp_path)).output)
    (finding,) = [f for f in doc["runs"][0]["findings"] if f["rule"] == "underfitting.team_policy"]
    assert finding["remedies"][0].startswith("Train harder (last loss 0.")
    bound = json.loads(cli("diagnose", str(FIXTURES / "keras_csv"), "--format", "json", "--metric", "val_loss=loss").output)
    assert bound["runs"][0]["metrics"]["val_loss"] == "loss"


def test_features_json_and_rules_docs_file(tmp_path):
    doc = json.loads(cli("features", str(FIXTURES / "tb_scalars"), "--format", "json").output)
    assert doc["runs"][0]["facts"]["run.has_val_loss"] is True
    out = tmp_path / "rules.md"
    assert cli("rules", "docs", "-o", str(out)).exit_code == 0 and out.read_text().startswith("# Rules reference")


def test_version_as_a_subprocess():
    done = subprocess.run([sys.executable, "-m", "lossrules", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("lossrules, version ")


@pytest.mark.parametrize(
    "args, codes",
    [
        (["load", str(FIXTURES / "tb_scalars")], (0,)),
        (["features", str(FIXTURES / "tb_scalars"), "--format", "json"], (0,)),
        (["diagnose", str(FIXTURES / "keras_csv"), "--why"], (0, 1)),
        (["audit", str(FIXTURES), "-j", "2", "--sort", "run", "--format", "markdown"], (0, 1)),
        (["rules", "list"], (0,)),
        (["rules", "show", "nonfinite.training_loss"], (0,)),
        (["rules", "check", str(FIXTURES.parent.parent / "rules")], (0,)),
        (["rules", "docs"], (0,)),
        (["rules", "show", "no.such_rule"], (2,)),
    ],
)
def test_every_command_as_a_real_subprocess(args, codes):
    done = subprocess.run([sys.executable, "-m", "lossrules", *args], capture_output=True, text=True, check=False)
    assert done.returncode in codes, done.stderr
    assert "Traceback" not in done.stderr and (done.stdout or done.returncode == 2)


def test_audit_sort_orders_rows():
    text = cli("audit", str(FIXTURES), "-j", "1", "--sort", "run", "--format", "csv").output.splitlines()[1:]
    runs = [line.split(",")[0] for line in text]
    assert runs == sorted(runs)


def test_format_has_the_short_option_f():
    result = cli("diagnose", str(FIXTURES / "keras_csv"), "-f", "json")
    assert result.exit_code == 0 and json.loads(result.output)["runs"][0]["verdict"]
