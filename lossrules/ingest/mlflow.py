"""MLflow's file store (``mlruns/<experiment id>/<run id>/``), as ``mlflow`` and Lightning's
``MLFlowLogger`` write it by default.

A run folder holds ``meta.yaml``, ``metrics/`` and ``params/``. Each metric is a text file named
after it (a ``/`` in the name is a sub-folder) with one ``<timestamp ms> <value> <step>`` line per
logged value, in the order logged (files from MLflow before 1.0 have no step: it reads as 0).
Each param is a file holding the value as text. The human run name (``tags/mlflow.runName``) is
given in the run's notes, since the run is named by its folder. Runs in ``.trash/`` were deleted:
they are not read.
"""
from __future__ import annotations

import numpy as np

from ..model import InputError
from .discover import Claim, Folder
from .frame import RawRun, newest

FORMAT = "mlflow"
META = "meta.yaml"
RUN_NAME = "tags/mlflow.runName"
_TRASH = ".trash"


def claim(folder: Folder) -> list[Claim]:
    """This folder as a run when it holds ``meta.yaml`` and a ``metrics/`` folder."""
    if META not in folder.files or "metrics" not in folder.dirs or _TRASH in folder.path.split("/"):
        return []
    metrics = _files_below(folder.child("metrics"))
    params = _files_below(folder.child("params")) if "params" in folder.dirs else ()
    name = (folder.join(RUN_NAME),) if "tags" in folder.dirs and "mlflow.runName" in folder.child("tags").files else ()
    return [Claim(folder.run_name, FORMAT, (folder.join(META), *metrics), params + name)]


def _files_below(folder: Folder) -> tuple[str, ...]:
    """Every file under the folder, sorted."""
    found = [folder.join(name) for name in folder.files]
    for name in folder.dirs:
        found += _files_below(folder.child(name))
    return tuple(sorted(found))


def read(claim: Claim, tree) -> list[RawRun]:
    """Every metric of the run, on its logged steps, with the params as hyperparameters."""
    meta, *metric_files = claim.files
    prefix = meta[: -len(META)] + "metrics/"
    tags, codes, steps, values, walls, notes = [], [], [], [], [], []
    for rel in metric_files:
        step, value, wall, note = _metric(tree.read_bytes(rel), rel)
        notes += note
        codes.append(np.full(len(step), len(tags), dtype=np.int64))
        tags.append(rel[len(prefix):])
        steps.append(step)
        values.append(value)
        walls.append(wall)
    if not tags:
        raise InputError(f"{claim.name}: an MLflow run without any metric")
    code, step = np.concatenate(codes), np.concatenate(steps)
    keep = newest(code, step)
    value, wall = np.concatenate(values)[keep], np.concatenate(walls)[keep]
    params = [rel for rel in claim.extras if not rel.endswith(RUN_NAME)]
    notes += [f"MLflow run name: {_text(tree, rel)}" for rel in claim.extras if rel.endswith(RUN_NAME)]
    return [RawRun(claim.name, FORMAT, claim.files, tags, code[keep], step[keep], value, wall, _params(tree, params), notes, per="step")]


def _text(tree, rel: str) -> str:
    return tree.read_bytes(rel).decode("utf-8", errors="replace").strip()


def _metric(data: bytes, rel: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(steps, values, wall times in s) of one metric file, and notes on lines it could not read."""
    table = _fast_table(data)
    notes: list[str] = []
    if table is None:
        table, notes = _table_line_by_line(data, rel)
    return table[:, 2].astype(np.int64), table[:, 1], table[:, 0] / 1000.0, notes


def _fast_table(data: bytes) -> np.ndarray | None:
    """The file as an (n, 3) array when every line is a well-formed triple, else None."""
    tokens = data.split()
    lines = data.count(b"\n") + (not data.endswith(b"\n") and bool(data.strip()))
    if len(tokens) != 3 * lines:
        return None
    try:
        return np.array(tokens, dtype=np.float64).reshape(-1, 3)
    except ValueError:
        return None


def _table_line_by_line(data: bytes, rel: str) -> tuple[np.ndarray, list[str]]:
    """The readable lines (a step-less pre-1.0 line at step 0), and a note on the others."""
    rows, bad = [], 0
    for line in data.decode("utf-8", errors="replace").splitlines():
        fields = line.split()
        try:
            rows.append((float(fields[0]), float(fields[1]), int(fields[2]) if len(fields) > 2 else 0))
        except (IndexError, ValueError):
            bad += bool(line.strip())
    notes = [f"{rel}: {bad} line(s) that are not '<timestamp> <value> <step>' skipped"] if bad else []
    return np.array(rows, dtype=np.float64).reshape(-1, 3), notes


def _params(tree, files: list[str]) -> dict:
    """Params by name; MLflow stores ``str(value)``, so numbers and booleans are read back."""
    return {rel.split("/params/", 1)[-1]: _value(_text(tree, rel)) for rel in files}


def _value(text: str) -> int | float | bool | str:
    """``str(value)`` of a param back as the int, float or bool it was; other text as is."""
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
