"""Transposed history tables: one row per metric, one column per epoch.

``pd.DataFrame(history.history).T.to_csv("history.csv")`` (or ``DataFrame.from_dict(history,
orient="index")``) writes an empty first header cell, then the epoch numbers ``0,1,2,...``; each
row starts with a metric's name (``loss``, ``val_accuracy``). A ``.csv`` or ``.tsv`` file is one
when its header is that and its first column names training-log metrics. Each row becomes a
series over the epochs of the header.
"""
from __future__ import annotations

import posixpath

import numpy as np

from ..model import InputError
from . import csv
from .discover import Claim, Folder
from .frame import RawRun

FORMAT = "transposed_csv"
SUFFIXES = (".csv", ".tsv")


def _epochs(names: list[str]) -> np.ndarray | None:
    """The header's epoch numbers when it is an empty cell, then whole numbers counting up."""
    if len(names) < 3 or names[0] or not all(n.isdigit() for n in names[1:]):
        return None
    epochs = np.array([int(n) for n in names[1:]], dtype=np.int64)
    return epochs if (np.diff(epochs) > 0).all() else None


def claim(folder: Folder) -> list[Claim]:
    """Each unclaimed table of this folder whose header is epoch numbers over metric-named rows."""
    claims = []
    for name in folder.files:
        rel = folder.join(name)
        if posixpath.splitext(name)[1].lower() not in SUFFIXES:
            continue
        names = csv.read_header(folder.tree, rel)
        if names is not None and _epochs(names) is not None and csv.looks_like_log(_row_names(folder.tree, rel)):
            claims.append(Claim(rel, FORMAT, (rel,)))
    return claims


def _row_names(tree, rel: str) -> list[str]:
    """The first cell of each line after the header (within the first 64 KiB)."""
    import csv as stdcsv

    sep, lines = csv.peek_lines(tree, rel)
    return [row[0].strip() for row in stdcsv.reader(lines[1:], delimiter=sep or ",") if row]


def read(claim: Claim, tree) -> list[RawRun]:
    """One series per row of numbers, over the header's epochs (a row of text is left out)."""
    rel = claim.files[0]
    data = tree.read_bytes(rel)
    encoding, notes = csv.text_encoding(data, rel)
    sep, names, _ = csv.split_header(data, encoding)
    epochs = _epochs(names)
    if epochs is None:
        raise InputError(f"{rel}: the header is not a row of epoch numbers")
    cells = csv.parse_cells(data, encoding, sep, len(names), rel)
    series = {}
    for i, metric in cells[0].items():
        row = csv.numbers(cells.iloc[i, 1:]) if isinstance(metric, str) and metric.strip() else None
        if row is not None:
            series[metric.strip()] = row
    if not series:
        raise InputError(f"{rel}: no row of numbers under the epoch header")
    notes.append(f"{rel}: a transposed history (one row per metric, one column per epoch)")
    return [csv.wide_run(claim.name, FORMAT, claim.files, epochs, series, per="epoch", hparams={}, notes=notes)]
