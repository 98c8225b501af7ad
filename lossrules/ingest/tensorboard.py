"""TensorBoard event files: which folders are runs, and their scalars as columns.

A folder with event files is a run; several files in it are read in the order they were written
(the timestamp in their names). Sub-folders that are parts of the run are read with it:
Keras-style split folders (``train/``, ``validation/``) give tags ``train/epoch_loss``, and the
child folders ``SummaryWriter.add_scalars("Loss", {"train": ...})`` creates (``Loss_train/``,
holding tag ``Loss``) give ``Loss/train``. Where a series' step goes back (a run resumed from a
checkpoint), the newer points replace the older ones from that step on, as TensorBoard does.
"""
from __future__ import annotations

import io
import re

import numpy as np

from ..model import InputError
from .discover import Claim, Folder
from .events import Points, decode_block
from .frame import RawRun, newest
from .hparams import load_yaml
from .tfrecord import read_chunks

FORMAT = "tensorboard"
SPLIT_FOLDERS = frozenset({"train", "training", "validation", "val", "valid", "eval", "evaluation", "test"})
_HPARAMS_FILES = ("hparams.yaml",)
_PEEK_BYTES = 1 << 16
_TIMESTAMP = re.compile(r"tfevents\.(\d+)")


def is_event_file(name: str) -> bool:
    """True for a TensorBoard event file name (``events.out.tfevents.<time>.<host>...``)."""
    return ".tfevents." in name or name.startswith("events.out.tfevents")


def _event_files(folder: Folder) -> list[str]:
    return [f for f in folder.files if is_event_file(f)]


def claim(folder: Folder) -> list[Claim]:
    """The run in this folder: its event files and those of the sub-folders that belong to it."""
    own = _event_files(folder)
    files = [folder.join(f) for f in own]
    renames = {}
    for name in folder.dirs:
        child = folder.child(name)
        child_files = _event_files(child)
        if not child_files:
            continue
        rename = _child_role(folder, name, child, bool(own))
        if rename is None:
            continue
        for f in child_files:
            files.append(child.join(f))
            renames[child.join(f)] = rename
    if not files:
        return []
    extras = tuple(folder.join(f) for f in folder.files if f in _HPARAMS_FILES)
    return [Claim(folder.run_name, FORMAT, tuple(files), extras, {"renames": renames})]


def _child_role(parent: Folder, name: str, child: Folder, parent_has_events: bool) -> tuple | None:
    """How a sub-folder's tags are named if it is part of the parent's run, else None."""
    if name.lower() in SPLIT_FOLDERS and not any(_event_files(child.child(d)) for d in child.dirs):
        return ("prefix", name)
    if "_" not in name:
        return None
    tag = _single_tag(child)
    if tag is None:
        return None
    stem = tag.replace("/", "_") + "_"
    if not name.startswith(stem) or len(name) == len(stem):
        return None
    siblings = sum(d.startswith(stem) and d != name for d in parent.dirs)
    if parent_has_events or siblings:
        return ("scalars", name[len(stem) :])
    return None


def _single_tag(folder: Folder) -> str | None:
    """The one scalar tag at the start of a folder's first event file, if it holds just one."""
    rel = folder.join(_event_files(folder)[0])
    try:
        head = folder.tree.read_bytes(rel, _PEEK_BYTES)
    except InputError:
        return None
    points = Points()
    for chunk in read_chunks(io.BytesIO(head)):
        for block in chunk.blocks:
            decode_block(block, points)
    points.seal()
    return next(iter(points.tags)) if len(points.tags) == 1 else None


def _file_order(rel: str) -> tuple:
    match = _TIMESTAMP.search(rel.rsplit("/", 1)[-1])
    return (int(match.group(1)) if match else 0, rel)


def read(claim: Claim, tree) -> list[RawRun]:
    """Read the run's event files into one set of columns, newest data winning."""
    notes: list[str] = []
    parts, files_read = [], 0
    hparams: dict = {}
    for rel in sorted(claim.files, key=_file_order):
        try:
            points, records, problems = _read_file(tree, rel)
        except InputError as exc:
            notes.append(str(exc))
            continue
        notes.extend(f"{rel}: {p}" for p in problems)
        files_read += records > 0
        if records == 0:
            continue
        hparams = {**points.hparams, **hparams}
        parts.append((points, claim.options["renames"].get(rel)))
    if not files_read:
        raise InputError(_nothing_read(claim, notes))
    for rel in claim.extras:
        extra, extra_notes = load_yaml(tree.read_bytes(rel), rel)
        hparams = {**hparams, **extra}
        notes.extend(extra_notes)
    tags, codes, step, value, wall = _merge(parts)
    if not len(step):
        notes.append("no scalar summaries in the event files (only histograms, images or graphs)")
    return [RawRun(claim.name, FORMAT, claim.files + claim.extras, tags, codes, step, value, wall, hparams, notes, ordered=True)]


def _nothing_read(claim: Claim, notes: list[str]) -> str:
    if len(claim.files) == 1:
        detail = notes[0].split(": ", 1)[-1] if notes else "no records"
        return f"{claim.files[0]}: not a readable event file ({detail})"
    return f"none of the {len(claim.files)} event files could be read ({'; '.join(notes[:3])})"


def _read_file(tree, rel: str) -> tuple[Points, int, list[str]]:
    """Decode one event file: its points, how many intact records it has, problems met."""
    points, records, problems = Points(), 0, []
    if tree.size(rel) == 0:
        return points, 0, ["empty file"]
    with tree.open(rel) as stream:
        try:
            for chunk in read_chunks(stream):
                problems.extend(chunk.problems)
                for block in chunk.blocks:
                    records += len(block.index)
                    decode_block(block, points)
                points.seal()
        except OSError as exc:
            raise InputError(f"{rel}: cannot read ({exc.strerror or exc})") from None
    return points, records, problems


def _rename(tag: str, rename: tuple | None) -> str:
    if rename is None:
        return tag
    kind, name = rename
    return f"{name}/{tag}" if kind == "prefix" else f"{tag}/{name}"


def _merge(parts: list) -> tuple:
    """The files' points as one set of columns, grouped by tag in write order, newest per step.

    Each file's parts are already grouped by tag, so every column is filled by copying slices
    into place, releasing the parts as it goes: a million points are never held twice.
    """
    names: dict[str, int] = {}
    local_names = []
    for points, rename in parts:
        local_names.append([names.setdefault(_rename(t, rename), len(names)) for t in points.tags])
    tags = sorted(names)
    rank = np.empty(len(names), dtype=np.int32)
    rank[[names[t] for t in tags]] = np.arange(len(tags), dtype=np.int32)
    plan, counts = [], np.zeros(len(tags), dtype=np.int64)
    for (points, _), local in zip(parts, local_names):
        for k in range(len(points.tag)):
            for code, start, stop in points.segments(k):
                target = int(rank[local[code]])
                plan.append((points, k, target, start, stop))
                counts[target] += stop - start
            points.tag[k] = None
    codes = np.repeat(np.arange(len(tags), dtype=np.int32), counts)
    step, value, wall = (_fill(plan, counts, attr, dtype) for attr, dtype in (("step", np.int64), ("value", np.float64), ("wall", np.float64)))
    keep = newest(codes, step)
    if keep.all():
        return tags, codes, step, value, wall
    return tags, codes[keep], step[keep], value[keep], wall[keep]


def _fill(plan: list, counts: np.ndarray, attr: str, dtype) -> np.ndarray:
    """One column of the merged run, copied slice by slice from the parts, releasing each part."""
    out = np.empty(int(counts.sum()), dtype=dtype)
    cursor = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    for i, (points, k, target, start, stop) in enumerate(plan):
        parts = getattr(points, attr)
        at = cursor[target]
        out[at : at + stop - start] = parts[k][start:stop]
        cursor[target] += stop - start
        if i + 1 == len(plan) or plan[i + 1][0] is not points or plan[i + 1][1] != k:
            parts[k] = None
    return out
