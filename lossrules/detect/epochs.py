"""The training loss across epoch boundaries: does it fall when a new pass over the data begins?

A model that memorises its training examples does better on an example the second time it sees
it, so a per-step training loss falls at the start of each epoch and little within one: a
staircase. A model that generalises learns as much from the unseen examples of an epoch.
"""
from __future__ import annotations

import numpy as np

from .catalogue import Fact
from .curve import Curve

_ABSTAINS = (
    "a per-epoch loss, no epoch counter, a loss analysed on a linear scale (values <= 0), or no "
    "two consecutive epochs with epoch_min_points points each"
)
FACTS = [
    Fact("train_loss.epoch_start_drop", "fraction", "median drop of the per-step training loss from the last fifth (edge_fraction) of one epoch to the first fifth of the next (0.2: 20% lower once the epoch begins)", _ABSTAINS),
    Fact("train_loss.within_epoch_drop", "fraction", "median drop of the per-step training loss from the first to the last fifth of the same epoch", _ABSTAINS),
    Fact("train_loss.epoch_boundaries", "count", "epoch boundaries measured for train_loss.epoch_start_drop", _ABSTAINS),
]


def epoch_facts(train: Curve, per: str, epoch: Curve | None) -> dict:
    """How much the training loss falls across epoch boundaries and within epochs."""
    if per == "epoch" or epoch is None or not train.log or not epoch.n:
        return {}
    settings = train.settings
    numbers = _epoch_numbers(train.x, epoch)
    within, across = [], []
    previous = None
    for number in np.unique(numbers):
        y = train.y[numbers == number]
        if len(y) < settings.epoch_min_points:
            previous = None
            continue
        k = max(1, round(len(y) * settings.edge_fraction))
        within.append(np.median(y[:k]) - np.median(y[-k:]))
        if previous is not None and previous[0] == number - 1:
            across.append(previous[1] - np.median(y[:k]))
        previous = (number, np.median(y[-k:]))
    if not across:
        return {}
    return {
        "train_loss.epoch_start_drop": float(-np.expm1(-np.median(across))),
        "train_loss.within_epoch_drop": float(-np.expm1(-np.median(within))),
        "train_loss.epoch_boundaries": len(across),
    }


def epoch_indices(counter: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The 0-based epoch each of ``values`` stands for, read with the convention of an epoch
    counter that logged ``counter``.

    Whole numbers from 0 count epochs (Lightning, Keras); anything else is the progress after a
    step (the HF Trainer logs 1.0 at the last step of the first epoch, a 1-based counter logs 1
    through the first epoch), so a value v belongs to epoch ceil(v) - 1.
    """
    if np.all(counter == np.round(counter)) and counter.min() == 0:
        return np.floor(values).astype(np.int64)
    return (np.ceil(values - 1e-9) - 1).astype(np.int64)


def _epoch_numbers(steps: np.ndarray, epoch: Curve) -> np.ndarray:
    """The epoch each step belongs to, from the last epoch value logged at or before it."""
    at = np.clip(np.searchsorted(epoch.x, steps, side="right") - 1, 0, None)
    return epoch_indices(epoch.raw, epoch.raw[at])
