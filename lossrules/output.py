"""Writing result files atomically: a reader never sees a half-written file."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .model import InputError

FRAME_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one step."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def frame_format(path: str | os.PathLike) -> str:
    """The table format a file name asks for (by extension)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FRAME_FORMATS:
        raise InputError(f"{path}: unknown output format '{suffix}'; use .csv, .tsv or .parquet")
    return FRAME_FORMATS[suffix]


def write_frame(frame, path: str | os.PathLike) -> None:
    """Write a long frame as CSV, TSV or Parquet, chosen by the file extension."""
    kind = frame_format(path)
    if kind == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError("writing Parquet needs pyarrow: pip install 'lossrules[parquet]'") from None
        with atomic_open(path, "wb") as fh:
            frame.to_parquet(fh, index=False)
        return
    with atomic_open(path, "w") as fh:
        frame.to_csv(fh, index=False, sep="\t" if kind == "tsv" else ",")
