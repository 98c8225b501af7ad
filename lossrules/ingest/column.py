"""Header-less columns of numbers: a loss history saved with ``numpy.savetxt("loss.csv", losses)``.

A ``.csv``, ``.tsv`` or ``.txt`` file is one when every line holds a single number and its name
says what the numbers are: a loss or a training history (``loss.csv``, ``train_losses.txt``,
``history.csv``, ``val_loss.csv``). Its values become one series, one point per line (steps
0, 1, 2...), named ``val_loss`` when the file's name says validation and ``loss`` otherwise, so
that the metric roles bind it; a note says so, since the file itself names nothing.
"""
from __future__ import annotations

import posixpath
import re

import numpy as np

from ..model import InputError
from . import csv
from .discover import Claim, Folder
from .frame import RawRun

FORMAT = "column"
SUFFIXES = (".csv", ".tsv", ".txt")
_NAMED = re.compile(r"(.*[^a-z])?(loss(es)?|history)([^a-z].*)?")
_VALIDATION = re.compile(r"(^|[^a-z])(val|valid|validation|eval|dev)([^a-z]|$)")
_PEEK_LINES = 20


def claim(folder: Folder) -> list[Claim]:
    """Each unclaimed file of this folder named for a loss or history whose lines are single numbers."""
    claims = []
    for name in folder.files:
        stem, suffix = posixpath.splitext(name)
        if suffix.lower() in SUFFIXES and _NAMED.fullmatch(stem.lower()) and _starts_as_a_column(folder, folder.join(name)):
            claims.append(Claim(folder.join(name), FORMAT, (folder.join(name),)))
    return claims


def _starts_as_a_column(folder: Folder, rel: str) -> bool:
    """True when the file's first lines are each one number (a header-less column)."""
    lines = [line.strip() for line in csv.peek_lines(folder.tree, rel)[1][:_PEEK_LINES]]
    return any(lines) and all(_number(line) for line in lines if line)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read(claim: Claim, tree) -> list[RawRun]:
    """The file's numbers as one series, one point per line."""
    rel = claim.files[0]
    data = tree.read_bytes(rel)
    encoding, notes = csv.text_encoding(data, rel)
    values = _values(data, encoding, rel)
    stem = posixpath.splitext(posixpath.basename(rel))[0].lower()
    tag = "val_loss" if _VALIDATION.search(stem) else "loss"
    notes.append(f"{rel}: a column of numbers without a header; read as '{tag}' (named for the file), one point per line")
    series = {tag: (values, np.ones(len(values), dtype=bool))}
    return [csv.wide_run(claim.name, FORMAT, claim.files, np.arange(len(values)), series, per="unknown", hparams={}, notes=notes)]


def _values(data: bytes, encoding: str, rel: str) -> np.ndarray:
    """Every non-blank line as a float (parsed by pandas' C reader); a line that is not one
    number is an input error naming it."""
    import io

    import pandas as pd

    try:
        column = pd.read_csv(io.BytesIO(data), encoding=encoding, header=None, names=["value"], skip_blank_lines=True)["value"]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        column = pd.Series(["?"])
    if not len(column):
        raise InputError(f"{rel}: empty")
    if not pd.api.types.is_float_dtype(column) and not pd.api.types.is_integer_dtype(column):
        lines = data.decode("utf-8", errors="replace").splitlines()
        bad = next((i for i, line in enumerate(lines, 1) if line.strip() and not _number(line.strip())), 1)
        raise InputError(f"{rel}: line {bad} is not a number, in a column of numbers without a header")
    return column.to_numpy(dtype=np.float64)
