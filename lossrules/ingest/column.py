"""Header-less columns of numbers: a loss history saved with ``numpy.savetxt("loss.csv", losses)``.

A ``.csv``, ``.tsv`` or ``.txt`` file is one when every line holds the same count of numbers and
its name says what they are: a loss, a training history or log (``loss.csv``, ``train_losses.txt``,
``history.csv``, ``train_log.csv``, ``val_loss.csv``). One point per line (steps 0, 1, 2...). A
single column is named ``val_loss`` when the file's name says validation and ``loss`` otherwise,
so that the metric roles bind it; several columns are ``column_1``, ``column_2``... (which is the
loss is not for lossrules to guess: ``--metric train_loss=column_3`` says). A note says so, since
the file itself names nothing.
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
_NAMED = re.compile(r"(.*[^a-z])?(loss(es)?|history|log)([^a-z].*)?")
_VALIDATION = re.compile(r"(^|[^a-z])(val|valid|validation|eval|dev)([^a-z]|$)")
_PEEK_LINES = 20
_PEEK_BYTES = 4096


def claim(folder: Folder) -> list[Claim]:
    """Each unclaimed file of this folder named for a loss, history or log whose lines are numbers only."""
    claims = []
    for name in folder.files:
        stem, suffix = posixpath.splitext(name)
        if suffix.lower() in SUFFIXES and _NAMED.fullmatch(stem.lower()) and _starts_as_columns(folder, folder.join(name)):
            claims.append(Claim(folder.join(name), FORMAT, (folder.join(name),)))
    return claims


def _starts_as_columns(folder: Folder, rel: str) -> bool:
    """True when the file's first lines hold numbers only, as many on each line (header-less columns)."""
    sep, lines = csv.peek_lines(folder.tree, rel)
    lines = lines[:_PEEK_LINES]
    widths = {len(fields) if all(map(_number, fields)) else 0 for fields in _fields(lines, _separator(sep, lines))}
    return bool(widths) and 0 not in widths and len(widths) == 1


def _separator(sep: str, lines: list[str]) -> str | None:
    """The delimiter :func:`.csv.split_header` picked, when the first line holds it; None for
    numbers apart by spaces (numpy.savetxt's default)."""
    return sep if sep in _first(lines) else None


def _first(lines: list[str]) -> str:
    return next((line for line in lines if line.strip()), "")


def _fields(lines: list[str], sep: str | None) -> list[list[str]]:
    return [line.strip().split(sep) if sep is None else [cell.strip() for cell in line.split(sep)] for line in lines if line.strip()]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_row(line: str, sep: str | None, width: int) -> bool:
    """A blank line, or ``width`` numbers."""
    fields = _fields([line], sep)
    return not fields or (len(fields[0]) == width and all(map(_number, fields[0])))


def read(claim: Claim, tree) -> list[RawRun]:
    """The file's columns as series, one point per line."""
    rel = claim.files[0]
    data = tree.read_bytes(rel)
    encoding, notes = csv.text_encoding(data, rel)
    table = _table(data, encoding, rel)
    if table.shape[1] == 1:
        stem = posixpath.splitext(posixpath.basename(rel))[0].lower()
        tags = ["val_loss" if _VALIDATION.search(stem) else "loss"]
        notes.append(f"{rel}: a column of numbers without a header; read as '{tags[0]}' (named for the file), one point per line")
    else:
        tags = [f"column_{i}" for i in range(1, table.shape[1] + 1)]
        notes.append(
            f"{rel}: {len(tags)} columns of numbers without a header, read as column_1..column_{len(tags)}; "
            f"say which is the loss with --metric train_loss=column_N (or give the file a header line)"
        )
    present = np.ones(len(table), dtype=bool)
    series = {tag: (table[:, i], present) for i, tag in enumerate(tags)}
    return [csv.wide_run(claim.name, FORMAT, claim.files, np.arange(len(table)), series, per="unknown", hparams={}, notes=notes)]


def _table(data: bytes, encoding: str, rel: str) -> np.ndarray:
    """Every non-blank line's numbers as a row (parsed by pandas' C reader); a line that is not
    numbers only, or holds another count of them, is an input error naming it."""
    import io

    import pandas as pd

    head = data[:_PEEK_BYTES].decode(encoding, errors="replace").splitlines()
    sep = _separator(csv.split_header(data, encoding)[0], head)
    width = len(_fields([_first(head)], sep)[0]) if _first(head) else 0
    try:
        table = pd.read_csv(io.BytesIO(data), encoding=encoding, header=None, sep=sep or r"\s+", skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        table = None  # a row with more numbers than the first: found below
    if not width:
        raise InputError(f"{rel}: empty")
    numeric = table is not None and table.shape[1] == width and all(pd.api.types.is_float_dtype(t) or pd.api.types.is_integer_dtype(t) for t in table.dtypes)
    short_row = numeric and sep is not None and data.count(sep.encode()) != (width - 1) * len(table)  # read as NaN
    if not numeric or short_row:
        lines = data.decode(encoding, errors="replace").splitlines()
        bad = next((i for i, line in enumerate(lines, 1) if not _is_row(line, sep, width)), 1)
        what = "a number, in a column" if width == 1 else f"{width} numbers, in {width} columns"
        raise InputError(f"{rel}: line {bad} is not {what} of numbers without a header")
    return table.to_numpy(dtype=np.float64)
