"""The vectorised event decoder gives exactly what protobuf decoding gives, for any scalar event."""
from __future__ import annotations

import io
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

from lossrules.ingest.events import Points, decode_block, decode_record
from lossrules.ingest.tfrecord import read_chunks

from .test_tfrecord import frame

SCALARS_META = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))


def scalar_value(tag: str, value: float, kind: str) -> summary_pb2.Summary.Value:
    """A summary value in one of the layouts writers use for scalars."""
    shape = tensor_shape_pb2.TensorShapeProto()
    with np.errstate(over="ignore"):
        f32 = np.float32(value)
    if kind == "simple":
        return summary_pb2.Summary.Value(tag=tag, simple_value=float(value))
    if kind == "float_val":
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=shape, float_val=[float(f32)])
    elif kind == "content32":
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=shape, tensor_content=f32.tobytes())
    elif kind == "double_val":
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, tensor_shape=shape, double_val=[value])
    else:
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, tensor_shape=shape, tensor_content=np.float64(value).tobytes())
    return summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=SCALARS_META)


events = st.lists(
    st.tuples(
        st.text(min_size=0, max_size=150),
        st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 3000)),
        st.floats(width=32) | st.floats(),
        st.one_of(st.just(0.0), st.floats(0, 2e9, allow_nan=False)),
        st.sampled_from(["simple", "float_val", "content32", "double_val", "content64"]),
    ),
    min_size=1,
    max_size=60,
)


def decode(data: bytes, fast: bool) -> list[tuple]:
    """(tag, step, value, wall) of every point, grouped by tag, in write order within a tag."""
    points = Points()
    for chunk in read_chunks(io.BytesIO(data)):
        for block in chunk.blocks:
            if fast:
                decode_block(block, points)
            else:
                for i, row in zip(block.index, block.rows):
                    decode_record(row.tobytes(), int(i), points)
        points.seal()
    names = {code: tag for tag, code in points.tags.items()}
    columns = (np.concatenate(c) if c else [] for c in (points.tag, points.step, points.value, points.wall))
    return [(names[int(t)], int(s), repr(float(v)), repr(float(w))) for t, s, v, w in zip(*columns)]


@settings(max_examples=150, deadline=None)
@given(events)
def test_fast_decoding_equals_protobuf_decoding(items):
    records = []
    for tag, step, value, wall, kind in items:
        event = event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[scalar_value(tag, value, kind)]))
        records.append(event.SerializeToString())
    data = b"".join(frame(r) for r in records * 3)
    fast, slow = decode(data, True), decode(data, False)
    assert sorted(fast, key=lambda p: p[0]) == sorted(slow, key=lambda p: p[0])
    assert len(fast) == 3 * len(items)


def test_non_scalar_records_are_skipped_and_multi_value_summaries_fully_read():
    histo = summary_pb2.Summary.Value(tag="w", histo=summary_pb2.HistogramProto(min=0, max=1, num=3))
    text_meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text"))
    text = summary_pb2.Summary.Value(tag="note", metadata=text_meta, tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"hi"]))
    two = summary_pb2.Summary(value=[scalar_value("a", 1.5, "simple"), scalar_value("b", 2.5, "content32")])
    records = [
        event_pb2.Event(wall_time=1.0, file_version="brain.Event:2"),
        event_pb2.Event(wall_time=2.0, step=1, summary=summary_pb2.Summary(value=[histo])),
        event_pb2.Event(wall_time=3.0, step=2, summary=summary_pb2.Summary(value=[text])),
        event_pb2.Event(wall_time=4.0, step=3, summary=two),
    ]
    got = decode(b"".join(frame(r.SerializeToString()) for r in records), True)
    assert [(tag, step, float(v)) for tag, step, v, _ in got] == [("a", 3, 1.5), ("b", 3, 2.5)]


def test_nan_and_infinite_values_survive():
    values = [math.nan, math.inf, -math.inf, 0.0, -0.0]
    records = [
        event_pb2.Event(wall_time=1.0, step=i, summary=summary_pb2.Summary(value=[scalar_value("loss", v, "simple")]))
        for i, v in enumerate(values)
    ]
    got = decode(b"".join(frame(r.SerializeToString()) for r in records), True)
    assert [v for _, _, v, _ in got] == [repr(float(np.float32(v))) for v in values]
