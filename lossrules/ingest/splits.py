"""Long-format logs: a column names each row's split (``set``: ``train`` or ``val``), so one table
holds a run's training rows and its evaluation rows under the same metric columns.

Each metric column is read once per split, as ``<split>/<column>`` (``train/loss``, ``val/loss``),
so that the metric roles bind them. Hand-written loops of this kind often count steps within the
epoch (``for step, batch in enumerate(loader, 1)``), restarting at every epoch and again for the
evaluation rows; such a counter becomes a global step (epoch rank x the longest epoch + step), and
the evaluation rows of an epoch become one point, their mean, at the epoch's last training step.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

SPLIT_WORDS = frozenset({"train", "training", "val", "valid", "validation", "eval", "evaluation", "test", "dev"})
TRAIN_WORDS = frozenset({"train", "training"})

Column = tuple[np.ndarray, np.ndarray]


def split_labels(text: np.ndarray) -> np.ndarray | None:
    """The cells of a text column, stripped and lower-cased, when every row names a split and
    the rows name two splits or more; else None."""
    labels = np.strings.lower(np.strings.strip(text.astype(str)))
    values = splits_of(labels)
    return labels if len(values) >= 2 and set(values) <= SPLIT_WORDS else None


def splits_of(labels: np.ndarray) -> list[str]:
    """The splits the labels name, in order of first appearance."""
    values, first = np.unique(labels, return_index=True)
    return values[np.argsort(first)].tolist()


def widen(columns: Mapping[str, Column], labels: np.ndarray, shared: set[str]) -> dict[str, Column]:
    """Each column but the ``shared`` counters once per split, present only on that split's rows."""
    out = {name: columns[name] for name in columns if name in shared}
    for name, (values, present) in columns.items():
        if name in shared:
            continue
        for split in splits_of(labels):
            out[f"{split}/{name}"] = (values, present & (labels == split))
    return out


def per_epoch_steps(step: np.ndarray, epoch: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """Global steps for a step counter that restarts with every epoch and every change of split
    (None when it does not: it never goes back, or goes back elsewhere, or epochs go back).
    Training rows count on across epochs; other rows take their epoch's last training step."""
    back = np.flatnonzero(step[1:] < step[:-1]) + 1
    if not len(back) or (np.diff(epoch) < 0).any():
        return None
    if not ((epoch[back] != epoch[back - 1]) | (labels[back] != labels[back - 1])).all():
        return None
    train = np.isin(labels, list(TRAIN_WORDS))
    span = int(step[train].max() - min(step[train].min(), 1) + 1) if train.any() else int(step.max() + 1)
    rank = np.unique(epoch, return_inverse=True)[1]
    out = rank * span + step
    last = np.full(rank.max() + 1, -1, dtype=np.int64)
    np.maximum.at(last, rank[train], out[train])
    last = np.where(last >= 0, last, (np.arange(len(last)) + 1) * span)  # an epoch without training rows
    return np.where(train, out, last[rank])


def epoch_means(columns: Mapping[str, Column], labels: np.ndarray, steps: np.ndarray, shared: set[str]) -> dict[str, Column]:
    """The columns with each evaluation value replaced by the mean over its split's rows at the
    same step: the rows of one evaluation read as one point (the last row of a step is kept)."""
    out = dict(columns)
    evaluation = ~np.isin(labels, list(TRAIN_WORDS))
    for name, (values, present) in columns.items():
        rows = np.flatnonzero(present & evaluation)
        if name in shared or not len(rows):
            continue
        _, group = np.unique(steps[rows], return_inverse=True)
        means = values.copy()
        means[rows] = (np.bincount(group, weights=values[rows]) / np.bincount(group))[group]
        out[name] = (means, present)
    return out
