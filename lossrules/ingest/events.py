"""Decode TensorBoard ``Event`` records into scalar points, thousands of records per numpy call.

Scalar events of one writer share a byte layout: the same field keys, lengths and plugin metadata
in the same places, only the wall time, step, tag bytes and value differ. For each group of
equal-length records, the first record's layout is learned with a small wire-format walk (and
its meaning confirmed with protobuf), every record with that layout is decoded by column slicing,
and the rest are learned in turn. Records of any other kind (histograms, graphs, hparams, several
values in one summary) are decoded one by one with the protobufs that ``tensorboard`` ships, so
every scalar comes out with exactly the value protobuf decoding gives.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .tfrecord import RecordBlock

_MAX_LAYOUTS_PER_BLOCK = 8
_SCALAR_PLUGINS = ("", "scalars")
_DT_FLOAT, _DT_DOUBLE = 1, 2


@dataclass(frozen=True)
class Layout:
    """Where the parts of a single-scalar event sit in records of one length."""

    check_pos: np.ndarray  # bytes that must equal check_val in every record of this layout
    check_val: np.ndarray
    wall: int | None  # offset of the 8-byte wall time
    step: tuple[int, int] | None  # offset and byte count of the step varint (absent: step 0)
    tag: tuple[int, int]  # offset and length of the tag bytes
    value: tuple[int, str]  # offset and dtype of the value


@dataclass(eq=False)
class Points:
    """Scalar points of one event file in parts, each grouped by tag, in write order within a tag.

    Decoding adds points block by block, out of file order; :meth:`seal` sorts what was added
    since the last call by tag and record number into one part, so only a chunk's worth is ever
    re-sorted and a whole file is never held twice.
    """

    tag: list = field(default_factory=list)  # per part: sorted array of codes into ``tags``
    step: list = field(default_factory=list)
    value: list = field(default_factory=list)
    wall: list = field(default_factory=list)
    tags: dict = field(default_factory=dict)  # tag -> code
    hparams: dict = field(default_factory=dict)
    _pending: list = field(default_factory=list)

    def code(self, tag: str) -> int:
        return self.tags.setdefault(tag, len(self.tags))

    def add(self, record, codes, step, value, wall) -> None:
        self._pending.append(
            (
                np.asarray(record, dtype=np.int64),
                np.asarray(codes, dtype=np.int32),
                np.asarray(step, dtype=np.int64),
                np.asarray(value, dtype=np.float64),
                np.asarray(wall, dtype=np.float64),
            )
        )

    def seal(self) -> None:
        """Turn the points added since the last seal into one part, sorted by tag then record."""
        if not self._pending:
            return
        columns = [np.concatenate(c) for c in zip(*self._pending)]
        self._pending.clear()
        by_record = np.argsort(columns[0], kind="stable")
        codes = columns[1][by_record]
        small = codes.astype(np.int16) if len(self.tags) < 2**15 else codes
        order = by_record[np.argsort(small, kind="stable")]
        for part, column in zip((self.tag, self.step, self.value, self.wall), columns[1:]):
            part.append(column[order])

    def segments(self, part: int) -> list[tuple[int, int, int]]:
        """(code, start, stop) of each tag's run of points in one part."""
        codes = self.tag[part]
        bounds = np.searchsorted(codes, np.arange(len(self.tags) + 1))
        return [(c, int(bounds[c]), int(bounds[c + 1])) for c in np.flatnonzero(np.diff(bounds))]

    def __len__(self) -> int:
        return sum(len(p) for p in self.step)


def _fields(buf: bytes, start: int, end: int):
    """Protobuf fields in buf[start:end]: (number, wire type, key offset, payload offset, payload end)."""
    pos = start
    while pos < end:
        key, body = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, stop = _varint(buf, body)
        elif wire == 1:
            stop = body + 8
        elif wire == 5:
            stop = body + 4
        elif wire == 2:
            size, body_start = _varint(buf, body)
            yield number, wire, pos, body_start, body_start + size
            pos = body_start + size
            continue
        else:
            raise ValueError("unsupported wire type")
        yield number, wire, pos, body, stop
        pos = stop
    if pos != end:
        raise ValueError("field overruns its message")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = buf[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


class _Builder:
    """Collects the fixed bytes and the variable parts of a layout while walking a record."""

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.fixed: list[int] = []
        self.parts: dict = {}

    def keep(self, start: int, stop: int) -> None:
        self.fixed.extend(range(start, stop))

    def layout(self) -> Layout:
        pos = np.array(self.fixed, dtype=np.intp)
        return Layout(
            check_pos=pos,
            check_val=np.frombuffer(self.buf, np.uint8)[pos].copy(),
            wall=self.parts.get("wall"),
            step=self.parts.get("step"),
            tag=self.parts["tag"],
            value=self.parts["value"],
        )


def learn_layout(buf: bytes) -> Layout | None:
    """The layout of a record holding exactly one scalar, or None for any other record."""
    try:
        return _learn(buf)
    except (ValueError, IndexError, KeyError):
        return None


def _learn(buf: bytes) -> Layout | None:
    b = _Builder(buf)
    seen = set()
    for number, wire, key, body, stop in _fields(buf, 0, len(buf)):
        if number in seen:
            return None
        seen.add(number)
        if number == 1 and wire == 1:
            b.keep(key, body)
            b.parts["wall"] = body
        elif number == 2 and wire == 0:
            b.keep(key, body)
            b.parts["step"] = (body, stop - body)
        elif number == 5 and wire == 2:
            b.keep(key, body)
            if not _learn_summary(b, body, stop):
                return None
        else:
            return None
    return b.layout() if "value" in b.parts and "tag" in b.parts else None


def _learn_summary(b: _Builder, start: int, end: int) -> bool:
    fields = list(_fields(b.buf, start, end))
    if len(fields) != 1 or fields[0][:2] != (1, 2):
        return False
    _, _, key, body, stop = fields[0]
    b.keep(key, body)
    plugin_ok, has_tensor = True, False
    for number, wire, k, vb, vs in _fields(b.buf, body, stop):
        if number == 1 and wire == 2:
            b.keep(k, vb)
            b.parts["tag"] = (vb, vs - vb)
        elif number == 2 and wire == 5:
            b.keep(k, vb)
            b.parts["value"] = (vb, "<f4")
        elif number == 9 and wire == 2:
            b.keep(k, vs)
            plugin_ok = _plugin_name(b.buf[vb:vs]) in _SCALAR_PLUGINS
        elif number == 8 and wire == 2:
            b.keep(k, vb)
            has_tensor = True
            if not _learn_tensor(b, vb, vs):
                return False
        else:
            return False
    return plugin_ok and (has_tensor or "value" in b.parts) and "tag" in b.parts


def _plugin_name(metadata: bytes) -> str:
    from tensorboard.compat.proto import summary_pb2

    return summary_pb2.SummaryMetadata.FromString(metadata).plugin_data.plugin_name


def _learn_tensor(b: _Builder, start: int, end: int) -> bool:
    """A scalar float or double tensor: dtype, empty shape, and exactly one value."""
    dtype = None
    for number, wire, key, body, stop in _fields(b.buf, start, end):
        if number == 1 and wire == 0:
            b.keep(key, stop)
            dtype = _varint(b.buf, body)[0]
        elif number == 2 and wire == 2:
            if stop != body:
                return False
            b.keep(key, stop)
        elif number == 3 and wire == 0:
            b.keep(key, stop)
        elif number in (4, 5, 6) and "value" not in b.parts:
            b.keep(key, body)
            kind = _tensor_value_kind(number, wire, stop - body, dtype)
            if kind is None:
                return False
            b.parts["value"] = (body, kind)
        else:
            return False
    return "value" in b.parts


def _tensor_value_kind(number: int, wire: int, size: int, dtype: int | None) -> str | None:
    """dtype string of the single value stored in a tensor field, or None if not a plain scalar."""
    if number == 5 and dtype == _DT_FLOAT and ((wire == 2 and size == 4) or wire == 5):
        return "<f4"
    if number == 6 and dtype == _DT_DOUBLE and ((wire == 2 and size == 8) or wire == 1):
        return "<f8"
    if number == 4 and wire == 2 and (dtype, size) in ((_DT_FLOAT, 4), (_DT_DOUBLE, 8)):
        return "<f4" if size == 4 else "<f8"
    return None


def _matches(rows: np.ndarray, layout: Layout) -> np.ndarray:
    ok = (rows[:, layout.check_pos] == layout.check_val).all(axis=1)
    if layout.step is not None:
        pos, size = layout.step
        ok &= rows[:, pos + size - 1] < 0x80
        if size > 1:
            ok &= (rows[:, pos : pos + size - 1] >= 0x80).all(axis=1)
    return ok


def _column(rows: np.ndarray, pos: int, dtype: str) -> np.ndarray:
    size = np.dtype(dtype).itemsize
    return np.ascontiguousarray(rows[:, pos : pos + size]).view(dtype)[:, 0].astype(np.float64)


def _steps(rows: np.ndarray, layout: Layout) -> np.ndarray:
    if layout.step is None:
        return np.zeros(len(rows), dtype=np.int64)
    pos, size = layout.step
    out = np.zeros(len(rows), dtype=np.uint64)
    for i in range(size):
        out |= (rows[:, pos + i] & 0x7F).astype(np.uint64) << np.uint64(7 * i)
    return out.view(np.int64)


def _tag_codes(rows: np.ndarray, layout: Layout, points: Points) -> np.ndarray:
    """Codes of the tag of each row, finding the distinct tag byte strings exactly."""
    pos, size = layout.tag
    raw = rows[:, pos : pos + size]
    first, inverse = _distinct(raw)
    codes = np.array([points.code(raw[i].tobytes().decode("utf-8", "replace")) for i in first], dtype=np.int32)
    return codes[inverse]


def _distinct(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first row of each distinct row of a uint8 matrix, and each row's group."""
    n, size = raw.shape
    if size == 0:
        return np.zeros(min(n, 1), np.intp), np.zeros(n, np.intp)
    width = -(-size // 8) * 8
    padded = np.zeros((n, width), np.uint8)
    padded[:, :size] = raw
    words = padded.view(np.uint64)
    key = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        key = key * np.uint64(0x9E3779B97F4A7C15) ^ words[:, j]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if words.shape[1] > 1 and not (raw == raw[first[inverse]]).all():
        _, first, inverse = np.unique(raw, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def decode_block(block: RecordBlock, points: Points) -> None:
    """Decode one block of equal-length records into ``points``."""
    rows, index = block.rows, block.index
    remaining = np.arange(len(rows))
    for _ in range(_MAX_LAYOUTS_PER_BLOCK):
        if not len(remaining):
            return
        layout = learn_layout(rows[remaining[0]].tobytes())
        if layout is None:
            decode_record(rows[remaining[0]].tobytes(), int(index[remaining[0]]), points)
            remaining = remaining[1:]
            continue
        sub = rows if len(remaining) == len(rows) else rows[remaining]
        ok = _matches(sub, layout)
        take = sub if ok.all() else sub[ok]
        points.add(
            index[remaining[ok]],
            _tag_codes(take, layout, points),
            _steps(take, layout),
            _column(take, *layout.value),
            _column(take, layout.wall, "<f8") if layout.wall is not None else np.zeros(len(take)),
        )
        remaining = remaining[~ok]
    for i in remaining:
        decode_record(rows[i].tobytes(), int(index[i]), points)


def decode_record(buf: bytes, record: int, points: Points) -> None:
    """Decode any event record with protobuf: its scalars, hparams and training arguments."""
    from tensorboard.compat.proto import event_pb2

    try:
        event = event_pb2.Event.FromString(buf)
    except Exception:  # noqa: BLE001 - protobuf raises its own DecodeError types
        return
    if not event.HasField("summary"):
        return
    for value in event.summary.value:
        scalar = _scalar(value)
        if scalar is not None:
            points.add([record], [points.code(value.tag)], [event.step], [scalar], [event.wall_time])
        else:
            _side_info(value, points)


def _scalar(value) -> float | None:
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    if kind != "tensor" or value.metadata.plugin_data.plugin_name not in _SCALAR_PLUGINS:
        return None
    tensor = value.tensor
    if tensor.tensor_shape.dim and np.prod([d.size for d in tensor.tensor_shape.dim]) != 1:
        return None
    if tensor.dtype == _DT_FLOAT:
        values = list(tensor.float_val) or np.frombuffer(tensor.tensor_content, "<f4").tolist()
    elif tensor.dtype == _DT_DOUBLE:
        values = list(tensor.double_val) or np.frombuffer(tensor.tensor_content, "<f8").tolist()
    else:
        return None
    return float(values[0]) if len(values) == 1 else None


def _side_info(value, points: Points) -> None:
    """Hyperparameters from the hparams plugin, or from HF Trainer's ``args`` text summary."""
    plugin = value.metadata.plugin_data.plugin_name
    if plugin == "hparams" and value.tag.endswith("session_start_info"):
        points.hparams.update(_hparams_plugin(value.metadata.plugin_data.content))
    elif plugin == "text" and value.tag.split("/")[0] == "args":
        try:
            text = value.tensor.string_val[0].decode("utf-8")
            args = json.loads(text)
        except (IndexError, UnicodeDecodeError, ValueError):
            return
        if isinstance(args, dict):
            points.hparams.update({k: v for k, v in args.items() if k not in points.hparams})


def _hparams_plugin(content: bytes) -> dict:
    from tensorboard.plugins.hparams import plugin_data_pb2

    try:
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
    except Exception:  # noqa: BLE001 - protobuf DecodeError
        return {}
    out = {}
    for name, val in data.session_start_info.hparams.items():
        kind = val.WhichOneof("kind")
        out[name] = getattr(val, kind) if kind in ("number_value", "string_value", "bool_value") else None
    return out
