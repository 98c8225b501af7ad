"""TFRecord framing for event files: find whole records, check both CRCs, stream in chunks.

A record is ``uint64 length | masked crc32c(length) | data | masked crc32c(data)``. Walking the
framing is inherently sequential, so it runs in two gears: a plain loop over a few records, and,
once the record lengths repeat with some period (scalar logs write the same tags every step), a
numpy gear that predicts the next thousands of records from that period and keeps the prefix whose
headers confirm the prediction. A confirmed prediction is exact: every accepted header was read
and CRC-checked. Records come out grouped by length as uint8 matrices, one row per record, ready
for vectorised decoding; a record cut short at the end or failing a CRC is reported, not raised.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import BinaryIO

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .crc32c import crc32c_rows, mask, rows_intact

_HEADER = struct.Struct("<QI")
_OVERHEAD = 16  # header (8 + 4) and footer (4)
_SLOW_RUN = 64  # records walked one by one before looking for a period
_MAX_PERIOD = 1024
_FIRST_GUESS = 1024  # records predicted by the first numpy step; doubles while predictions hold
_MAX_GUESS = 1 << 17
CHUNK_SIZE = 2 << 20


@dataclass(frozen=True)
class RecordBlock:
    """Intact records of one length: ``rows[i]`` is the payload of record number ``index[i]``."""

    index: np.ndarray
    rows: np.ndarray


@dataclass
class Chunk:
    """What one read from the stream produced: record blocks and the problems met on the way."""

    blocks: list[RecordBlock] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _header_crc(length: int) -> int:
    row = np.frombuffer(struct.pack("<Q", length), np.uint8)[None, :]
    return int(mask(crc32c_rows(row))[0])


@dataclass
class _Framer:
    """Walks the framing of one buffer, appending record offsets and lengths."""

    data: bytes
    pos: int = 0
    offsets: list = field(default_factory=list)
    lengths: list = field(default_factory=list)
    recent: list = field(default_factory=list)
    stop: str = "end"  # why framing stopped: end, partial (record runs past the buffer), corrupt

    def __post_init__(self) -> None:
        n = len(self.data)
        self._words = np.ndarray((max(n - 7, 0),), "<u8", buffer=self.data, strides=(1,))
        self._crcs = np.ndarray((max(n - 3, 0),), "<u4", buffer=self.data, strides=(1,))

    def run(self) -> None:
        slow_run = _SLOW_RUN
        while self._walk(slow_run):
            period = _find_period(self.recent)
            if period is None:
                slow_run = min(slow_run * 2, 1 << 16)
                continue
            self._predict(self.recent[-period:])
            slow_run = max(_SLOW_RUN, 2 * period)

    def _walk(self, count: int) -> bool:
        """Frame up to ``count`` records one by one; False when framing must stop."""
        data, n, pos = self.data, len(self.data), self.pos
        offsets, lengths = [], []
        ok = True
        for _ in range(count):
            if pos + 12 > n:
                self.stop, ok = ("partial" if pos < n else "end"), False
                break
            length, stored = _HEADER.unpack_from(data, pos)
            if stored != _header_crc(length):
                self.stop, ok = "corrupt", False
                break
            if pos + length + _OVERHEAD > n:
                self.stop, ok = "partial", False
                break
            offsets.append(pos)
            lengths.append(length)
            pos += length + _OVERHEAD
        self.pos = pos
        self.offsets.append(np.array(offsets, dtype=np.int64))
        self.lengths.append(np.array(lengths, dtype=np.int64))
        self.recent = (self.recent + lengths)[-2 * _MAX_PERIOD:]
        return ok and pos < n

    def _predict(self, pattern: list) -> None:
        """Accept the records that a repeating length pattern predicts, until a prediction fails."""
        pattern = np.array(pattern, dtype=np.int64)
        header_crcs = np.array([_header_crc(int(v)) for v in pattern], dtype=np.uint32)
        guess, n = _FIRST_GUESS, len(self.data)
        while True:
            lengths = _repeat(pattern, guess)
            ends = self.pos + np.cumsum(lengths + _OVERHEAD)
            starts = ends - lengths - _OVERHEAD
            inside = int(np.searchsorted(ends, n, side="right"))
            good = (self._words[starts[:inside]] == lengths[:inside].astype(np.uint64)) & (
                self._crcs[starts[:inside] + 8] == _repeat(header_crcs, inside)
            )
            accepted = inside if good.all() else int(np.argmin(good))
            if accepted:
                self.offsets.append(starts[:accepted])
                self.lengths.append(lengths[:accepted])
                self.pos = int(ends[accepted - 1])
                self.recent = (self.recent + lengths[max(0, accepted - 2 * _MAX_PERIOD) : accepted].tolist())[
                    -2 * _MAX_PERIOD :
                ]
                pattern = np.roll(pattern, -(accepted % len(pattern)))
                header_crcs = np.roll(header_crcs, -(accepted % len(pattern)))
            if accepted < guess:
                return
            guess = min(guess * 2, _MAX_GUESS)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(self.offsets or [np.zeros(0, np.int64)]), np.concatenate(
            self.lengths or [np.zeros(0, np.int64)]
        )


def _repeat(pattern: np.ndarray, size: int) -> np.ndarray:
    """``pattern`` repeated to ``size`` elements."""
    return np.tile(pattern, -(-size // len(pattern)))[:size]


def _find_period(lengths: list) -> int | None:
    """Smallest p such that the last 2p lengths repeat with period p."""
    values = np.asarray(lengths)
    n = len(values)
    if n < 2:
        return None
    candidates = np.nonzero(values[-2::-1] == values[-1])[0] + 1
    for period in candidates[candidates <= n // 2]:
        if np.array_equal(values[n - period :], values[n - 2 * period : n - period]):
            return int(period)
    return None


def _resync(data: bytes, start: int) -> int | None:
    """First offset after ``start`` where a header passes its CRC, or None."""
    buf = np.frombuffer(data, np.uint8)
    first = start + 1
    last = len(buf) - 12
    if last < first:
        return None
    heads = sliding_window_view(buf[first : last + 8], 8)
    stored = np.ndarray((last - first + 1,), "<u4", buffer=data, offset=first + 8, strides=(1,))
    hits = np.nonzero(mask(crc32c_rows(heads)) == stored)[0]
    return int(first + hits[0]) if len(hits) else None


def _blocks(data: bytes, offsets: np.ndarray, lengths: np.ndarray, first_index: int, chunk: Chunk, base: int) -> None:
    """Group records by length, check their data CRCs, and add the intact ones to ``chunk``."""
    buf = np.frombuffer(data, np.uint8)
    crcs = np.ndarray((max(len(buf) - 3, 0),), "<u4", buffer=data, strides=(1,))
    for length in np.unique(lengths):
        which = np.nonzero(lengths == length)[0]
        starts = offsets[which] + 12
        if length == 0:
            rows = np.zeros((len(which), 0), np.uint8)
        else:
            rows = sliding_window_view(buf, int(length))[starts]
        intact = rows_intact(rows, crcs[starts + length])
        if not intact.all():
            bad = offsets[which[~intact]] + base
            chunk.problems.append(
                f"{len(bad)} record(s) fail their data CRC and were skipped (first at byte {int(bad[0])})"
            )
        chunk.blocks.append(RecordBlock(index=first_index + which[intact], rows=rows[intact]))


def read_chunks(stream: BinaryIO, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Chunk]:
    """Stream the intact records of a TFRecord file, chunk by chunk, in file order."""
    carry, base, record_number = b"", 0, 0
    while True:
        more = stream.read(chunk_size)
        data, eof = carry + more, not more
        chunk = Chunk()
        pos = 0
        while True:
            framer = _Framer(data, pos)
            framer.run()
            offsets, lengths = framer.result()
            _blocks(data, offsets, lengths, record_number, chunk, base)
            record_number += len(offsets)
            pos = framer.pos
            if framer.stop != "corrupt":
                break
            found = _resync(data, pos)
            skip_to = found if found is not None else max(pos, len(data) - 11)
            chunk.problems.append(
                f"corrupt record header at byte {base + pos}; skipped {skip_to - pos} bytes"
                + (" to the next intact record" if found is not None else "")
            )
            pos = skip_to
            if found is None:
                break
        if eof:
            if pos < len(data):
                chunk.problems.append(
                    f"last record cut short at byte {base + pos} ({len(data) - pos} bytes): "
                    "the run was probably killed while writing; earlier records are intact"
                )
            yield chunk
            return
        carry, base = data[pos:], base + pos
        yield chunk
