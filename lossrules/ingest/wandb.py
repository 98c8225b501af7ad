"""Weights & Biases panel exports: the CSV a chart's "Export panel data" menu writes.

Its header is the chart's x-axis (``Step`` by default) and then, for every run drawn in the
chart, ``<run name> - <metric>`` (``Group: <group> - <metric>`` for grouped runs) with ``__MIN``
and ``__MAX`` companions: the band W&B draws where it sampled points. Each run name becomes a run
(``<file>#<run name>`` when the export holds several); metric names become the tags. Left out:
the band columns (the line itself is the logged value at every sampled step), W&B's own
bookkeeping (``_step``, ``_runtime``, ``_timestamp``) and unnamed columns.

W&B's other CSV, ``run.history().to_csv()``, is a plain table with a ``_step`` column: the CSV
reader reads it.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

from ..model import InputError
from . import csv
from .discover import Claim, Folder
from .frame import RawRun

FORMAT = "wandb_csv"
_COLUMN = re.compile(r"(?P<run>.+?) - (?P<metric>.+?)(?P<band>__MIN|__MAX)?")


def is_export(names: Sequence[str]) -> bool:
    """True for a panel export's header: an x-axis name, then only ``<run> - <metric>`` columns."""
    if len(names) < 2 or not names[0] or " - " in names[0]:
        return False
    metrics = [name for name in names[1:] if name]
    return bool(metrics) and all(_COLUMN.fullmatch(name) for name in metrics)


def claim(folder: Folder) -> list[Claim]:
    """Each unclaimed ``.csv`` file of this folder whose header is a panel export's."""
    claims = []
    for name in folder.files:
        if posixpath.splitext(name)[1].lower() != ".csv":
            continue
        names = csv.read_header(folder.tree, folder.join(name))
        if names is not None and is_export(names):
            claims.append(Claim(folder.join(name), FORMAT, (folder.join(name),)))
    return claims


def read(claim: Claim, tree) -> list[RawRun]:
    """One run per run name in the export, on the export's x-axis."""
    rel = claim.files[0]
    table = csv.read_table(tree, rel)
    axis = table.names[0]
    if axis not in table.columns or (steps := csv.whole_numbers(table.columns[axis])) is None:
        raise InputError(f"{rel}: the x-axis column '{axis}' does not hold a whole number in every row")
    per = "epoch" if axis.lower() == "epoch" else "step"
    by_run: dict[str, dict[str, csv.Column]] = {}
    bands = 0
    for name, column in table.columns.items():
        match = _COLUMN.fullmatch(name)
        if match is None or match["metric"].startswith("_"):
            continue
        if match["band"]:
            bands += 1
            continue
        by_run.setdefault(match["run"], {})[match["metric"]] = column
    if not by_run:
        raise InputError(f"{rel}: no numeric metric column")
    notes = [*table.notes]
    if bands:
        notes.append(f"{rel}: {bands} __MIN/__MAX band column(s) left out (W&B's sampling band, not logged values)")
    several = len(by_run) > 1
    return [
        csv.wide_run(f"{claim.name}#{run}" if several else claim.name, FORMAT, claim.files, steps, series,
                     per=per, hparams={}, notes=list(notes))
        for run, series in by_run.items()
    ]
