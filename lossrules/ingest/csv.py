"""Delimited-text training logs: Keras ``CSVLogger``, pandas history dumps, YOLO ``results.csv``.

A ``.csv``/``.tsv``/``.txt``/``.log`` file is a run when its first line looks like the header of a
training log (a column such as ``epoch`` or ``step``, or a name holding ``loss``, ``acc``, ``lr``,
``mAP``...). Each row gives one point to every column filled in it: an empty or ``NA`` cell was
not logged, while ``nan`` and ``inf`` are logged non-finite values. The x-axis is the ``step``
column (``global_step``, or W&B's ``_step`` in a ``run.history()`` dump), else ``epoch``, else
``iteration``, else the row number. A file that several runs appended to (the
counter goes back, or the header is written again) is split into runs ``<file>#1``, ``<file>#2``...
A long-format file, whose text column names each row's split (``set``: ``train``, ``val``), is read
per split (:mod:`.splits`).

The table helpers (:func:`read_header`, :func:`read_table`, :func:`whole_numbers`,
:func:`wide_run`, :func:`read_hparams`) also serve the Lightning reader, whose ``metrics.csv`` is
the same kind of file; :func:`peek_lines`, :func:`parse_cells` and :func:`numbers` serve the
readers of header-less columns and transposed tables.
"""
from __future__ import annotations

import csv
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from ..model import InputError
from .discover import Claim, Folder
from .frame import RawRun, long_points, newest
from .hparams import load_yaml
from .splits import epoch_means, per_epoch_steps, split_labels, splits_of, widen

if TYPE_CHECKING:
    import pandas as pd

FORMAT = "csv"
KERAS_FORMAT = "keras_csv"
SUFFIXES = (".csv", ".tsv", ".txt", ".log")
HPARAMS_FILES = ("args.yaml", "hparams.yaml", "hyp.yaml", "opt.yaml")
MISSING = ("", "NA", "N/A", "null", "None")
# Counter columns that can be the x-axis, in order of preference, with what one row stands for.
COUNTERS = (("step", "step"), ("global_step", "step"), ("_step", "step"), ("epoch", "epoch"), ("iteration", "step"), ("iter", "step"))
DELIMITERS = (",", "\t", ";")
_PEEK_BYTES = 1 << 16
_LOG_WORD = re.compile(
    r"(.*loss(es)?|.*acc|.*accuracy|lr\d*|learning|metrics?|map\d*|f1|auc|precision|recall|perplexity|ppl"
    r"|bleu|rouge\w*|wer|cer|m?iou|dice|mae|mse|rmse|squared|nll|kld?|elbo|reward|epochs?|steps?|iteration|iter)"
)
_HISTORY_WORDS = ("history", "training", "train", "log", "logs")
_NOT_A_NAME = re.compile(r"(^|\s)[-+.]?\d|=")
_KERAS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")

Column = tuple[np.ndarray, np.ndarray]  # (values, present) over the data rows


@dataclass
class Table:
    """A delimited log read as numbers: its numeric columns over the data rows, and their layout.

    Data rows are the lines after the header that are neither blank nor a repeated header;
    ``lines`` gives each one's line in the file and ``block`` how many repeated headers precede it.
    ``notes`` say what was ignored (non-numeric, unnamed or repeated columns, a non-UTF-8 file).
    ``split`` is the column naming each row's split in a long-format log, with its labels.
    """

    names: list[str]
    columns: dict[str, Column]
    lines: np.ndarray
    block: np.ndarray
    notes: list[str]
    split: tuple[str, np.ndarray] | None = None

    @property
    def rows(self) -> int:
        return len(self.lines)


def text_encoding(data: bytes, rel: str) -> tuple[str, list[str]]:
    """How to decode a log: UTF-8 (a BOM is dropped) when valid, else Latin-1 with a note saying so.

    The whole file is checked here because the table parser only decodes the cells it keeps as text.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1", [f"{rel}: not UTF-8; read as Latin-1"]
    return "utf-8-sig", []


def split_header(data: bytes, encoding: str) -> tuple[str, list[str], int]:
    """The delimiter (the most frequent of comma, tab, semicolon), the stripped column names and
    the number of lines above them: 1 when the first line is a title (one field, no delimiter)
    over a delimited header that reads as a training log's, else 0."""
    first, _, rest = data.partition(b"\n")
    sep, names = _fields(first.decode(encoding, errors="replace"))
    if len(names) == 1 and names[0]:
        second_sep, second = _fields(rest.partition(b"\n")[0].decode(encoding, errors="replace"))
        if len(second) > 1 and looks_like_log(second):
            return second_sep, second, 1
    return sep, names, 0


def _fields(line: str) -> tuple[str, list[str]]:
    line = line.rstrip("\r")
    sep = max(DELIMITERS, key=line.count)
    return sep, [name.strip() for name in next(csv.reader([line], delimiter=sep), [])]


def read_header(tree, rel: str) -> list[str] | None:
    """The column names of a file's header, or None (with a tree note) if it cannot be read."""
    try:
        head = tree.read_bytes(rel, _PEEK_BYTES)
    except InputError as exc:
        tree.notes.append(str(exc))
        return None
    return split_header(head, "utf-8-sig")[1]


def peek_lines(tree, rel: str) -> tuple[str, list[str]]:
    """The delimiter and the complete lines of a file's first 64 KiB (a last line the peek cut
    short is left out); ("", []) with a tree note if the file cannot be read."""
    try:
        head = tree.read_bytes(rel, _PEEK_BYTES)
    except InputError as exc:
        tree.notes.append(str(exc))
        return "", []
    lines = head.decode("utf-8-sig", errors="replace").splitlines()
    if len(head) == _PEEK_BYTES and not head.endswith(b"\n"):
        lines = lines[:-1]
    return split_header(head, "utf-8-sig")[0], lines


def looks_like_log(names: Sequence[str], table: bool = True) -> bool:
    """True when column names read as a training log's header (not a data row, not free text).

    An unnamed column (a saved pandas index) is allowed; one name must be a training-log word
    (``epoch``, ``step``, ``*loss``, ``acc``, ``lr``, ``mAP``...), matched per word of the name.
    A name that starts with a number or holds ``=`` marks a data row or a line of free text,
    except after a real first name in a ``table`` (a .csv or .tsv file, where a run's settings
    appended to the header, ``0.01_256_3_normFalse``, are a stray label, not a column).
    """
    named = [n for n in names if n]
    if not named or any(len(n) > 100 for n in named):
        return False
    stray = [n for n in named if _NOT_A_NAME.search(n)]
    if stray and (not table or stray[0] == named[0]):
        return False
    if len(names) == 1 and (not table or " " in names[0]):
        return False
    words = (w for n in named if n not in stray for w in re.split(r"[^a-z0-9]+", n.lower()))
    return any(_LOG_WORD.fullmatch(w) for w in words)


def claim(folder: Folder) -> list[Claim]:
    """Each unclaimed text file of this folder whose header reads as a training log.

    A table file whose header names no log column is still a log when its name says it holds
    losses (``losses.csv`` with columns ``train,valid``); other tables passed over get a tree note, so
    "no training logs found" can say which files were looked at and why they were not read.
    """
    extras = tuple(folder.join(f) for f in folder.files if f in HPARAMS_FILES)
    claims = []
    for name in folder.files:
        stem, suffix = posixpath.splitext(name)
        table = suffix.lower() in (".csv", ".tsv")
        if suffix.lower() not in SUFFIXES:
            continue
        rel = folder.join(name)
        names = read_header(folder.tree, rel)
        if names is None:
            continue
        if not names and (table or name == "training.log") and _named_for_log(stem):
            claims.append(Claim(rel, FORMAT, (rel,), extras))  # read as a broken run: nothing is lost silently
            continue
        # Free-text logs (.txt, .log) are common; a log table there needs a real delimiter.
        if looks_like_log(names, table=table) or (table and _named_for_losses(stem, names)):
            claims.append(Claim(rel, FORMAT, (rel,), extras))
        elif table:
            folder.tree.notes.append(f"{rel}: line 1 is '{_shorten(','.join(names))}', not a header naming a loss, accuracy, epoch or step column")
    return claims


def _named_for_log(stem: str) -> bool:
    """A file name that says it holds a training log (``loss.csv``, ``history.csv``, ``training.log``)."""
    words = re.split(r"[^a-z0-9]+", stem.lower())
    return any(_LOG_WORD.fullmatch(w) or w in _HISTORY_WORDS for w in words)


def _named_for_losses(stem: str, names: Sequence[str]) -> bool:
    """A file named for its losses (``losses.csv``) whose header is names, not numbers."""
    return "loss" in stem.lower() and len(names) > 1 and looks_like_log([*names, stem])


def _losses_prefix(rel: str, names: Sequence[str]) -> str:
    """``losses/`` for the columns of ``losses.csv`` when they name only the split (``train``,
    ``valid``): the file's name says what they measure, and ``losses/train`` binds as a loss."""
    stem = posixpath.splitext(posixpath.basename(rel))[0]
    return f"{stem}/" if _named_for_losses(stem, names) and not looks_like_log(names) else ""


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def read_table(tree, rel: str) -> Table:
    """Parse a delimited log: numbers by the C parser, text columns checked cell by cell."""
    data = tree.read_bytes(rel)
    encoding, notes = text_encoding(data, rel)
    sep, names, title = split_header(data, encoding)
    if not data.strip():
        raise InputError(f"{rel}: empty file (the run wrote no metrics before it stopped, or they were never flushed)")
    if not any(names):
        raise InputError(f"{rel}: no header on the first line")
    if title:
        notes.append(f"{rel}: line 1 is a title; the header is on line 2")
    cells = parse_cells(data, encoding, sep, len(names), rel, title + 1)
    header = _repeated_headers(cells, names)
    rows = ~header & cells.notna().any(axis=1).to_numpy(dtype=bool)
    if not rows.any():
        raise InputError(f"{rel}: only a header, no rows")
    columns, ignored, split = _numeric_columns(cells, names, rows, rel)
    return Table(names, columns, np.flatnonzero(rows) + 2 + title, np.cumsum(header)[rows], notes + ignored, split)


def parse_cells(data: bytes, encoding: str, sep: str, width: int, rel: str, skip: int = 1) -> pd.DataFrame:
    """The rows after the header, one column per name: numbers where a column parses, else text.

    Empty and ``NA`` cells are missing; ``nan`` is not, so a column holding it stays text and is
    converted by :func:`numbers`. Blank lines stay as empty rows to keep the line numbers.
    """
    import io
    import warnings

    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.BytesIO(data), encoding=encoding, sep=sep, header=None, skiprows=skip, names=range(width), index_col=False,
                na_values=list(MISSING), keep_default_na=False, skip_blank_lines=False,
            )
    except pd.errors.ParserWarning:
        raise InputError(f"{rel}: line {skip + 1} has more fields than the header ({width})") from None
    except pd.errors.ParserError as exc:
        raise InputError(_parse_error(rel, exc)) from None


def _parse_error(rel: str, exc: Exception) -> str:
    match = _FIELDS_ERROR.search(str(exc))
    if match:
        expected, line, saw = match.groups()
        return f"{rel}: line {line} has {saw} fields, the header has {expected}"
    return f"{rel}: cannot parse as a delimited table ({str(exc).strip().splitlines()[-1]})"


def _repeated_headers(cells: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Rows that repeat the header (every cell its column's name): each starts a new run."""
    import pandas as pd

    header = np.ones(len(cells), dtype=bool)
    for j, name in enumerate(names):
        if not pd.api.types.is_string_dtype(cells[j]) and not pd.api.types.is_object_dtype(cells[j]):
            return np.zeros(len(cells), dtype=bool)
        header &= (cells[j].astype(str).str.strip() == name).to_numpy(dtype=bool)
    return header


def _numeric_columns(
    cells: pd.DataFrame, names: list[str], rows: np.ndarray, rel: str
) -> tuple[dict[str, Column], list[str], tuple[str, np.ndarray] | None]:
    """Each named numeric column over the data rows, notes on the columns ignored, and the column
    naming each row's split in a long-format log (its name and labels), if there is one."""
    columns: dict[str, Column] = {}
    split = None
    unnamed, repeated, text, empty = [], [], [], []
    for j, name in enumerate(names):
        if not name:
            unnamed.append(str(j + 1))
        elif name in columns or name in text:
            repeated.append(name)
        else:
            parsed = numbers(cells[j][rows])
            labels = split_labels(cells[j][rows].fillna("").to_numpy(dtype=str)) if parsed is None and split is None else None
            if labels is not None:
                split = (name, labels)
            elif parsed is None:
                text.append(name)
            elif not parsed[1].any():
                empty.append(name)
            else:
                columns[name] = parsed
    notes = []
    for what, items in (("non-numeric", text), ("repeated", repeated), ("empty", empty)):
        if items:
            notes.append(f"{rel}: {what} column(s) ignored: {', '.join(repr(n) for n in items)}")
    if unnamed:
        notes.append(f"{rel}: column(s) without a name ignored (column {', '.join(unnamed)})")
    if split is not None:
        notes.append(f"{rel}: '{split[0]}' names each row's split ({', '.join(splits_of(split[1]))}); each metric is read per split, as <split>/<column>")
    return columns, notes, split


def numbers(cells: pd.Series) -> Column | None:
    """(values, present) of one parsed column, or None if a filled cell is not a number."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(cells):
        return None
    if pd.api.types.is_numeric_dtype(cells):
        values = cells.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, ~np.isnan(values)
    text = np.strings.strip(cells.fillna("").to_numpy(dtype=str))
    missing = np.isin(text, MISSING)
    try:
        values = np.where(missing, "nan", text).astype(np.float64)
    except ValueError:
        return None
    return values, ~missing


def whole_numbers(column: Column) -> np.ndarray | None:
    """The column as int64 when every row holds a finite whole number (a usable counter), else None."""
    values, present = column
    if not present.all() or not np.isfinite(values).all() or (values != np.round(values)).any():
        return None
    if len(values) and np.abs(values).max() >= 2.0**62:
        return None
    return values.astype(np.int64)


def wide_run(
    name: str, source: str, files: tuple[str, ...], steps: np.ndarray, series: Mapping[str, Column],
    *, per: str, hparams: dict, notes: list[str],
) -> RawRun:
    """A run from a wide table: one series per column filled at least once, last value per step."""
    logged = {tag: column for tag, column in series.items() if column[1].any()}
    tags, codes, step, value, wall = long_points(steps, logged)
    keep = newest(codes, step)
    return RawRun(name, source, files, tags, codes[keep], step[keep], value[keep], wall[keep], hparams, notes, per=per)


def read_hparams(tree, extras: Sequence[str]) -> tuple[dict, list[str]]:
    """Hyperparameters merged from the side YAML files, and notes on those that could not be read."""
    hparams: dict = {}
    notes: list[str] = []
    for rel in extras:
        try:
            values, problems = load_yaml(tree.read_bytes(rel), rel)
        except InputError as exc:
            values, problems = {}, [str(exc)]
        hparams.update(values)
        notes.extend(problems)
    return hparams, notes


def is_keras(names: Sequence[str]) -> bool:
    """True for a Keras ``CSVLogger`` header: ``epoch`` first, then Keras metric names with ``loss``."""
    return (
        len(names) > 1 and names[0] == "epoch" and "loss" in names
        and all(_KERAS_NAME.fullmatch(n) for n in names[1:])
    )


def read(claim: Claim, tree) -> list[RawRun]:
    """The run(s) in one delimited log file: one per block of rows where the counter runs forward."""
    rel = claim.files[0]
    table = read_table(tree, rel)
    columns = table.columns
    if not columns:
        raise InputError(f"{rel}: no numeric column")
    hparams, hp_notes = read_hparams(tree, claim.extras)
    axis, counter, per, why = _axis(columns)
    if table.split is not None:
        columns, counter = _long_format(table, axis, counter)
    pieces, reason = _pieces(table, axis, counter, strict=per != "epoch")
    source = KERAS_FORMAT if is_keras(table.names) and table.split is None else FORMAT
    prefix = _losses_prefix(rel, table.names)
    series = {prefix + tag: column for tag, column in columns.items() if tag != axis}
    if not series:
        raise InputError(f"{rel}: no numeric column besides {axis}")
    runs = []
    for i, (start, stop) in enumerate(pieces, 1):
        run_notes = [*table.notes, *hp_notes]
        name = claim.name
        if len(pieces) > 1:
            name = f"{claim.name}#{i}"
            lines = f"lines {table.lines[start]}-{table.lines[stop - 1]}"
            run_notes.append(f"{rel}: split into {len(pieces)} runs ({reason}); this is run {i}, {lines}")
        if why:
            run_notes.append(f"{rel}: {why}; rows numbered from 0")
        steps = counter[start:stop] if counter is not None else np.arange(stop - start)
        part = {tag: (values[start:stop], present[start:stop]) for tag, (values, present) in series.items()}
        if source == FORMAT:
            part, gap_notes = _trailing_gaps_as_nan(part, rel)
            run_notes += gap_notes
        runs.append(wide_run(name, source, claim.files + claim.extras, steps, part, per=per, hparams=dict(hparams), notes=run_notes))
    return runs


def _long_format(table: Table, axis: str | None, counter: np.ndarray | None) -> tuple[dict[str, Column], np.ndarray | None]:
    """A long-format table's columns read per split, and its counter made global where it
    restarts with every epoch and split (:mod:`.splits`)."""
    labels = table.split[1]
    counters = {name for name in table.columns if name.lower() in dict(COUNTERS)}
    columns = widen(table.columns, labels, counters)
    epoch = next((whole_numbers(table.columns[n]) for n in table.columns if n.lower() == "epoch"), None)
    if counter is None or axis is None or axis.lower() == "epoch" or epoch is None:
        return columns, counter
    steps = per_epoch_steps(counter, epoch, labels)
    if steps is None:
        return columns, counter
    return epoch_means(columns, labels, steps, counters), steps


def _trailing_gaps_as_nan(part: dict[str, Column], rel: str) -> tuple[dict[str, Column], list[str]]:
    """Read a column's empty cells as NaN when they run from some row to the end of a dense table.

    pandas' ``to_csv`` writes NaN as an empty cell, so a loss that became NaN and stayed NaN shows
    up as a column that stops while the rows go on. Only where every gap in the table is such a
    tail: sparse logs (several kinds of rows) leave cells empty on purpose, in the middle.
    """
    tails = {}
    for tag, (_, present) in part.items():
        if present.all():
            continue
        first_gap = int(np.argmin(present))
        if first_gap == 0 or present[first_gap:].any():
            return part, []
        tails[tag] = first_gap
    out, notes = dict(part), []
    for tag, first_gap in sorted(tails.items()):
        values, present = part[tag]
        out[tag] = (np.where(present, values, np.nan), np.ones_like(present))
        notes.append(f"{rel}: '{tag}' is empty from data row {first_gap + 1} to the end while the rows go on; read as NaN (pandas writes NaN as an empty cell)")
    return out, notes


def _axis(columns: Mapping[str, Column]) -> tuple[str | None, np.ndarray | None, str, str | None]:
    """The x-axis column and its counts, what one row stands for, and why rows are numbered instead."""
    by_lower = {name.lower(): name for name in columns}
    unusable = []
    for counter_name, per in COUNTERS:
        name = by_lower.get(counter_name)
        if name is None:
            continue
        counter = whole_numbers(columns[name])
        if counter is None:
            unusable.append((name, "does not hold a whole number in every row"))
        elif len(counter) > 2 and (counter == counter[0]).all():
            unusable.append((name, f"holds {counter[0]} in every row"))  # a script that logs each epoch as epoch 0
        else:
            return name, counter, per, None
    if unusable:
        return None, None, "unknown", f"'{unusable[0][0]}' {unusable[0][1]}"
    return None, None, "unknown", "no step, epoch or iteration column"


def _pieces(table: Table, axis: str | None, counter: np.ndarray | None, strict: bool) -> tuple[list[tuple[int, int]], str]:
    """Row ranges of the runs stacked in one file, and what separates them.

    A run starts after a repeated header, and where the counter goes back: below the previous
    value for a step counter (equal steps are one step logged twice), to it or below for epochs,
    unless most rows share their epoch with the row before over three epochs or more (a log of
    several rows per epoch, as Lightning's old test-tube logger wrote without a step column).
    """
    repeats = np.diff(table.block) > 0
    resets = np.zeros(len(repeats), dtype=bool)
    if counter is not None:
        back, same = counter[1:] < counter[:-1], counter[1:] == counter[:-1]
        several_rows_per_epoch = len(np.unique(counter)) >= 3 and same.sum() > len(same) / 2
        resets = back if strict or several_rows_per_epoch else back | same
    starts = np.flatnonzero(repeats | resets) + 1
    bounds = [0, *starts.tolist(), table.rows]
    reasons = [text for text, found in (("the header is repeated", repeats.any()), (f"the {axis} counter restarts", resets.any())) if found]
    return list(pairwise(bounds)), " and ".join(reasons)
