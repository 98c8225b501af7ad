"""TFRecord framing and CRC-32C: exact framing, chunk boundaries, damage reported not raised."""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossrules.ingest.crc32c import crc32c, crc32c_rows, mask, rows_intact
from lossrules.ingest.tfrecord import read_chunks


def frame(payload: bytes) -> bytes:
    """One TFRecord as TensorFlow writes it."""
    header = struct.pack("<Q", len(payload))
    return header + struct.pack("<I", int(mask(crc32c(header)))) + payload + struct.pack("<I", int(mask(crc32c(payload))))


def read_all(data: bytes, chunk_size: int = 1 << 20) -> tuple[list[bytes], list[str]]:
    records, problems = {}, []
    for chunk in read_chunks(io.BytesIO(data), chunk_size=chunk_size):
        problems += chunk.problems
        for block in chunk.blocks:
            for i, row in zip(block.index, block.rows):
                records[int(i)] = row.tobytes()
    return [records[i] for i in sorted(records)], problems


def test_crc32c_matches_the_standard_check_value():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


@given(st.lists(st.binary(max_size=700), min_size=1, max_size=40))
def test_row_crcs_match_the_one_at_a_time_crc(payloads):
    length = max(len(p) for p in payloads)
    rows = np.array([list(p.ljust(length, b"\0")) for p in payloads], dtype=np.uint8)
    expected = [crc32c(bytes(r)) for r in rows]
    assert crc32c_rows(rows).tolist() == expected
    stored = mask(np.array(expected, dtype=np.uint32))
    assert rows_intact(rows, stored).all()
    stored[len(stored) // 2] ^= 4
    assert rows_intact(rows, stored).tolist() == [i != len(stored) // 2 for i in range(len(stored))]


@settings(max_examples=60)
@given(
    st.lists(st.binary(max_size=90), min_size=0, max_size=300),
    st.sampled_from([13, 64, 500, 1 << 20]),
)
def test_framing_returns_every_record_in_order_whatever_the_chunking(payloads, chunk_size):
    records, problems = read_all(b"".join(frame(p) for p in payloads), chunk_size)
    assert records == payloads
    assert problems == []


def test_periodic_lengths_use_the_fast_path_exactly():
    payloads = [bytes([i % 251]) * (30 + (i % 7)) for i in range(20_000)]
    payloads[12_345] = b"x" * 99  # a break in the period
    records, problems = read_all(b"".join(frame(p) for p in payloads))
    assert records == payloads and problems == []


@pytest.mark.parametrize("cut", [1, 4, 11, 13, 20])
def test_a_record_cut_short_at_the_end_is_reported_and_the_rest_kept(cut):
    payloads = [b"a" * 20, b"b" * 21, b"c" * 22]
    records, problems = read_all(b"".join(frame(p) for p in payloads)[:-cut])
    assert records == payloads[:2]
    assert len(problems) == 1 and "cut short" in problems[0]


def test_a_payload_failing_its_crc_is_skipped_and_reported():
    payloads = [bytes([i]) * 25 for i in range(50)]
    data = bytearray(b"".join(frame(p) for p in payloads))
    data[10 * 41 + 12 + 3] ^= 0xFF  # a byte inside the payload of record 10
    records, problems = read_all(bytes(data))
    assert records == payloads[:10] + payloads[11:]
    assert any("data CRC" in p for p in problems)


def test_a_corrupt_header_is_skipped_up_to_the_next_intact_record():
    payloads = [bytes([i]) * 25 for i in range(50)]
    data = bytearray(b"".join(frame(p) for p in payloads))
    data[20 * 41 + 2] ^= 0x10  # the length field of record 20
    records, problems = read_all(bytes(data))
    assert records == payloads[:20] + payloads[21:]
    assert any("corrupt record header" in p for p in problems)


def test_random_bytes_yield_no_record_and_a_problem():
    rng = np.random.default_rng(1)
    records, problems = read_all(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    assert records == [] and problems
