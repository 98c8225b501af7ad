"""CRC-32C (Castagnoli) as TFRecord uses it, computed with numpy for many records at once.

A CRC is affine over GF(2): crc(m) = lin(m) ^ c(len(m)), where ``lin`` is linear in the bytes
and ``c`` depends only on the length. So the XOR of the CRCs of n equal-length records equals the
CRC of their XOR (plus c when n is odd): one check covers a whole group of records, and only a
group that fails needs per-record CRCs to find the culprits. No C extension is needed.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

_POLY = 0x82F63B78
_MASK_DELTA = 0xA282EAD8
_MAX_TABLED = 512  # longest row handled by per-position tables; longer rows are blocked
_BLOCK = 256


def _byte_table() -> np.ndarray:
    values = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        values = np.where(values & 1, (values >> 1) ^ np.uint32(_POLY), values >> 1)
    return values.astype(np.uint32)


_TABLE = _byte_table()


def _zero_byte(state: np.ndarray) -> np.ndarray:
    """Advance CRC registers by one zero byte."""
    return _TABLE[state & 0xFF] ^ (state >> np.uint32(8))


@lru_cache(maxsize=1)
def _position_tables() -> np.ndarray:
    """tables[k][b]: linear contribution of byte b followed by k more bytes."""
    tables = np.empty((_MAX_TABLED, 256), dtype=np.uint32)
    tables[0] = _TABLE
    for k in range(1, _MAX_TABLED):
        tables[k] = _zero_byte(tables[k - 1])
    return tables


@lru_cache(maxsize=64)
def _shift_operator(n_bytes: int) -> np.ndarray:
    """(4, 256) tables applying "append n zero bytes" to a register, one table per register byte."""
    if n_bytes == 0:
        return (np.arange(256, dtype=np.uint32)[None, :] << (8 * np.arange(4, dtype=np.uint32))[:, None])
    if n_bytes == 1:
        registers = np.arange(256, dtype=np.uint32)[None, :] << (8 * np.arange(4, dtype=np.uint32))[:, None]
        return _zero_byte(registers)
    half = _shift_operator(n_bytes // 2)
    op = _compose(half, half)
    return _compose(op, _shift_operator(1)) if n_bytes % 2 else op


def _apply(op: np.ndarray, register: np.ndarray) -> np.ndarray:
    register = np.asarray(register, dtype=np.uint32)
    out = op[0][register & 0xFF]
    for k in range(1, 4):
        out = out ^ op[k][(register >> np.uint32(8 * k)) & 0xFF]
    return out


def _compose(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    return np.stack([_apply(then, first[k]) for k in range(4)])


@lru_cache(maxsize=4096)
def _length_constant(length: int) -> int:
    """The CRC of ``length`` zero bytes: the part of a CRC that depends only on the length."""
    register = np.uint32(0xFFFFFFFF)
    remaining, power = length, 1
    while remaining:
        if remaining & 1:
            register = _apply(_shift_operator(power), np.array([register]))[0]
        remaining >>= 1
        power <<= 1
    return int(register) ^ 0xFFFFFFFF


def _linear_rows(rows: np.ndarray) -> np.ndarray:
    """Linear part of the CRC of each row of a (n, L) uint8 matrix, L <= _MAX_TABLED."""
    length = rows.shape[1]
    tables = _position_tables()
    acc = np.zeros(rows.shape[0], dtype=np.uint32)
    for j in range(length):
        acc ^= tables[length - 1 - j][rows[:, j]]
    return acc


def _linear_long(data: np.ndarray) -> int:
    """Linear part of the CRC of one long byte string: blocks at once, then Horner over blocks."""
    pad = (-len(data)) % _BLOCK
    blocks = np.concatenate([np.zeros(pad, np.uint8), data]).reshape(-1, _BLOCK)
    parts = _linear_rows(blocks)
    shift = _shift_operator(_BLOCK)
    acc = np.zeros(1, dtype=np.uint32)
    for part in parts:
        acc = _apply(shift, acc) ^ part
    return int(acc[0])


def crc32c_rows(rows: np.ndarray) -> np.ndarray:
    """CRC-32C of every row of a (n, L) uint8 matrix."""
    length = rows.shape[1]
    if length <= _MAX_TABLED:
        linear = _linear_rows(rows)
    else:
        linear = np.array([_linear_long(row) for row in rows], dtype=np.uint32)
    return linear ^ np.uint32(_length_constant(length))


def crc32c(data: bytes) -> int:
    """CRC-32C of one byte string."""
    return int(crc32c_rows(np.frombuffer(data, np.uint8)[None, :])[0])


def mask(crc: np.ndarray | int) -> np.ndarray:
    """TFRecord's masked CRC: rotate right by 15 and add a constant."""
    crc = np.asarray(crc, dtype=np.uint32)
    flat = crc.reshape(-1)
    return (((flat >> np.uint32(15)) | (flat << np.uint32(17))) + np.uint32(_MASK_DELTA)).reshape(crc.shape)


def unmask(masked: np.ndarray) -> np.ndarray:
    """Inverse of :func:`mask`."""
    rotated = np.asarray(masked, dtype=np.uint32).reshape(-1) - np.uint32(_MASK_DELTA)
    return (rotated << np.uint32(15)) | (rotated >> np.uint32(17))


def rows_intact(rows: np.ndarray, stored_masked: np.ndarray) -> np.ndarray:
    """Which rows match their stored masked CRC, checking the whole group at once first."""
    n, length = rows.shape
    folded = np.bitwise_xor.reduce(rows, axis=0)[None, :]
    expected = int(crc32c_rows(folded)[0]) ^ (0 if n % 2 else _length_constant(length))
    if expected == int(np.bitwise_xor.reduce(unmask(stored_masked))):
        return np.ones(n, dtype=bool)
    return mask(crc32c_rows(rows)) == stored_masked
