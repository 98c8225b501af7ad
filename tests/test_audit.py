"""Audits at scale: a Dask LocalCluster on loopback, remote roots through fsspec."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import lossrules
from lossrules.cli import main

from .conftest import FIXTURES


def audit_json(*args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["audit", *args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return sorted(json.loads(result.output)["runs"], key=lambda r: (r["root"], r["run"]))


def test_dask_local_cluster_gives_the_same_results_as_the_local_pool():
    pytest.importorskip("dask.distributed")
    assert audit_json(str(FIXTURES), "--dask", "local") == audit_json(str(FIXTURES), "-j", "2")


def test_an_unreachable_dask_scheduler_is_a_one_line_error():
    pytest.importorskip("dask.distributed")
    result = CliRunner().invoke(main, ["audit", str(FIXTURES / "tb_scalars"), "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "cannot reach the scheduler" in result.output


def _to_memory(source: Path, prefix: str) -> str:
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    for path in source.rglob("*"):
        if path.is_file():
            fs.pipe(f"{prefix}/{path.relative_to(source).as_posix()}", path.read_bytes())
    return f"memory://{prefix}"


@pytest.mark.parametrize("case", ["tb_keras_split", "lightning_csv", "keras_csv_appended", "hf_trainer"])
def test_remote_roots_read_like_local_ones(case):
    url = _to_memory(FIXTURES / case, f"/logs-{case}")
    remote = lossrules.load(url)
    local = lossrules.load(FIXTURES / case)
    assert [r.name for r in remote] == [r.name for r in local]
    for a, b in zip(remote, local):
        assert a.scalars.equals(b.scalars) and a.hparams == b.hparams and a.roles == b.roles


def test_a_remote_root_audits_in_worker_processes_through_fsspec():
    pytest.importorskip("fsspec")
    url = f"file://{FIXTURES.resolve()}"
    remote = audit_json(url, "-j", "2")
    local = audit_json(str(FIXTURES.resolve()), "-j", "2")
    assert [(r["run"], r["verdict"]) for r in remote] == [(r["run"], r["verdict"]) for r in local]


def test_a_missing_remote_path_is_an_input_error():
    pytest.importorskip("fsspec")
    result = CliRunner().invoke(main, ["load", "memory://nowhere/at/all"])
    assert result.exit_code == 2 and "no such file or directory" in result.output


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_reports_what_was_done(tmp_path, jobs):
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time

    for i in range(600):  # far more than any machine audits in the seconds before the interrupt
        shutil.copytree(FIXTURES / "keras_csv", tmp_path / f"r{i:03d}")
        shutil.copytree(FIXTURES / "tb_scalars", tmp_path / f"t{i:03d}")
    # a test runner started in the background (`pytest &`) ignores SIGINT and would pass that on;
    # a handled signal is reset to its default in the child
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lossrules", "audit", str(tmp_path), "-j", jobs, "--format", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    time.sleep(6.0)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: to the workers too
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    if "reporting those" in err:
        assert 0 < len(json.loads(out)["runs"]) < 1200
