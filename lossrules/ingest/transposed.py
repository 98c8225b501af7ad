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
    head = tree.read_bytes(rel, 1 << 16).decode("utf-8", errors="replace").splitlines()[1:-1]
    return [line.split(",", 1)[0].split("\t", 1)[0].strip() for line in head if line.strip()]


def read(claim: Claim, tree) -> list[RawRun]:
    """One series per row of numbers, over the header's epochs."""
    import csv as stdcsv

    rel = claim.files[0]
    data = tree.read_bytes(rel)
    sep, names, _ = csv.split_header(data, "utf-8-sig")
    epochs = _epochs(names)
    if epochs is None:
        raise InputError(f"{rel}: the header is not a row of epoch numbers")
    lines = data.decode("utf-8-sig", errors="replace").splitlines()[1:]
    series = {}
    for row in stdcsv.reader((line for line in lines if line.strip()), delimiter=sep):
        values = _numbers(row[1:])
        if row[0].strip() and values is not None and len(values) == len(epochs):
            series[row[0].strip()] = (values, ~np.isnan(values))
    if not series:
        raise InputError(f"{rel}: no row of numbers under the epoch header")
    note = f"{rel}: a transposed history (one row per metric, one column per epoch)"
    return [csv.wide_run(claim.name, FORMAT, claim.files, epochs, series, per="epoch", hparams={}, notes=[note])]


def _numbers(cells: list[str]) -> np.ndarray | None:
    """The cells as floats (empty: NaN), or None for a row of text."""
    try:
        return np.array([float(c) if c.strip() else np.nan for c in cells], dtype=np.float64)
    except ValueError:
        return None
