"""PyTorch Lightning ``CSVLogger``: a folder holding ``metrics.csv`` (and ``hparams.yaml``) is a run.

``metrics.csv`` has sparse rows: ``epoch``, ``step`` and one column per metric, each row filling
only the metrics logged at that call. The x-axis is ``step``; ``epoch`` stays a series (it maps
steps to epochs), and so do other numeric columns. A metric logged twice at one step keeps its last
value; where ``step`` goes back (a resumed run appending to the same file), the newer rows replace
the older ones from that step on.
"""
from __future__ import annotations

import numpy as np

from ..model import InputError
from .csv import read_header, read_hparams, read_table, whole_numbers, wide_run
from .discover import Claim, Folder
from .frame import RawRun

FORMAT = "lightning_csv"
METRICS_FILE = "metrics.csv"
HPARAMS_FILE = "hparams.yaml"


def claim(folder: Folder) -> list[Claim]:
    """This folder as a run if it has a ``metrics.csv`` with a ``step`` column (others go to the CSV
    reader), or an empty one beside ``hparams.yaml`` (a run stopped before its first write)."""
    if METRICS_FILE not in folder.files:
        return []
    rel = folder.join(METRICS_FILE)
    names = read_header(folder.tree, rel)
    if names is None or ("step" not in names and (names or HPARAMS_FILE not in folder.files)):
        return []
    extras = (folder.join(HPARAMS_FILE),) if HPARAMS_FILE in folder.files else ()
    return [Claim(folder.run_name, FORMAT, (rel,), extras)]


def read(claim: Claim, tree) -> list[RawRun]:
    """The run's series over ``step``, last value per (tag, step), newest rows winning."""
    rel = claim.files[0]
    table = read_table(tree, rel)
    columns = dict(table.columns)
    step_column = columns.pop("step", None)
    steps = whole_numbers(step_column) if step_column is not None else None
    if steps is None:
        raise InputError(f"{rel}: the step column must hold a whole number in every row")
    if not columns:
        raise InputError(f"{rel}: no numeric column besides step")
    hparams, hp_notes = read_hparams(tree, claim.extras)
    notes = [*table.notes, *_going_back(rel, steps, table.lines), *hp_notes]
    return [wide_run(claim.name, FORMAT, claim.files + claim.extras, steps, columns, per="step", hparams=hparams, notes=notes)]


def _going_back(rel: str, steps: np.ndarray, lines: np.ndarray) -> list[str]:
    """A note when ``step`` decreases down the file (a resumed run appended, or rows written late)."""
    back = np.flatnonzero(steps[1:] < steps[:-1])
    if not len(back):
        return []
    i = int(back[0])
    return [
        f"{rel}: step goes back {len(back)} time(s) (first at line {lines[i + 1]}: {steps[i]} -> {steps[i + 1]}); "
        + "later rows replace earlier ones from that step on"
    ]
