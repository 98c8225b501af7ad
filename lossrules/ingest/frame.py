"""The hand-over between readers and the rest: columns of points in, a tidy long frame out."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class RawRun:
    """One run as a reader returns it: points as aligned columns, tags as codes into ``tags``.

    With ``ordered`` the reader promises that ``tags`` is sorted and the points are sorted by
    code, then step, with no repeated (tag, step); otherwise :func:`to_frame` sorts them.
    ``per`` says what one row of a wide log stands for (``epoch`` in a Keras CSV), used for
    series whose names do not say it.
    """

    name: str
    source: str
    files: tuple[str, ...]
    tags: list[str]
    codes: np.ndarray
    step: np.ndarray
    value: np.ndarray
    wall: np.ndarray
    hparams: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    ordered: bool = False
    per: str = "unknown"

    @property
    def points(self) -> int:
        return len(self.step)


def long_points(
    steps: np.ndarray,
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
    wall: np.ndarray | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Turn a wide table into long columns.

    ``series`` maps a tag to (values, present) over the table's rows; ``present`` says which
    cells hold a logged value (a logged NaN is present; an empty cell is not).
    Returns (tags, codes, step, value, wall) in the argument order of :class:`RawRun`.
    """
    steps = np.asarray(steps, dtype=np.int64)
    wall = np.full(len(steps), np.nan) if wall is None else np.asarray(wall, dtype=np.float64)
    tags, codes, out_step, out_value, out_wall = [], [], [], [], []
    for code, (tag, (values, present)) in enumerate(series.items()):
        present = np.asarray(present, dtype=bool)
        tags.append(tag)
        codes.append(np.full(int(present.sum()), code, dtype=np.int32))
        out_step.append(steps[present])
        out_value.append(np.asarray(values, dtype=np.float64)[present])
        out_wall.append(wall[present])
    if not tags:
        empty = np.zeros(0)
        return [], empty.astype(np.int32), empty.astype(np.int64), empty, empty
    return tags, np.concatenate(codes), np.concatenate(out_step), np.concatenate(out_value), np.concatenate(out_wall)


def newest(codes: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Points that no later point of the same tag replaces (a later point at an equal or lower step).

    ``codes`` must group each tag's points together, in the order they were written. A resumed
    run logs again from an earlier step: its newer points win from that step on, as in TensorBoard.
    """
    keep = np.ones(len(step), dtype=bool)
    bounds = np.flatnonzero(np.diff(codes)) + 1
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, len(codes)]):
        seg = step[start:stop]
        if len(seg) > 1 and not (seg[1:] > seg[:-1]).all():
            later_min = np.minimum.accumulate(seg[::-1])[::-1]
            keep[start : stop - 1] = seg[:-1] < later_min[1:]
    return keep


def to_frame(raw: RawRun):
    """The tidy frame of a run: tag (categorical), step (int64), value, wall_time (float64)."""
    codes, step, value, wall = raw.codes, raw.step, raw.value, raw.wall
    tags = list(raw.tags)
    if not raw.ordered:
        names = np.array(tags, dtype=object)
        alphabetical = np.argsort(names, kind="stable") if len(tags) else np.zeros(0, np.intp)
        rank = np.empty(len(tags), dtype=np.int32)
        rank[alphabetical] = np.arange(len(tags), dtype=np.int32)
        codes = rank[codes] if len(codes) else codes
        order = np.lexsort((step, codes))
        codes, step, value, wall = codes[order], step[order], value[order], wall[order]
        tags = [tags[i] for i in alphabetical]
    return frame_from_columns(tags, codes, step, value, wall)


def frame_from_columns(tags: Sequence[str], codes, step, value, wall):
    """Assemble the frame without copying the big columns more than pandas must."""
    import pandas as pd

    tag = pd.Categorical.from_codes(np.asarray(codes), categories=pd.Index(list(tags), dtype=object), validate=False)
    return pd.DataFrame(
        {
            "tag": tag,
            "step": np.asarray(step, dtype=np.int64),
            "value": np.asarray(value, dtype=np.float64),
            "wall_time": np.asarray(wall, dtype=np.float64),
        },
        copy=False,
    )


def empty_frame():
    """A frame with the scalar columns and no rows."""
    return frame_from_columns([], np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
