"""The learning-rate schedule: its shape, peak, drops, and whether it collapsed early."""
from __future__ import annotations

import numpy as np

from .catalogue import Fact
from .curve import Curve

_FLAT = 1.01  # max/min below this ratio is a constant schedule (float noise in logged LRs)
_DROP = 0.8  # a fall to below 80% between consecutive logged values is a step drop
_COLLAPSE = 0.01  # below 1% of the peak, the schedule has effectively stopped training

_ABSTAINS = "no learning-rate series, or fewer than 2 positive values"
FACTS = [
    Fact("lr.initial", "lr", "first logged learning rate", _ABSTAINS),
    Fact("lr.peak", "lr", "largest learning rate", _ABSTAINS),
    Fact("lr.final", "lr", "last learning rate", _ABSTAINS),
    Fact("lr.final_to_peak", "ratio", "final over peak learning rate", _ABSTAINS),
    Fact("lr.peak_fraction", "run fraction", "where the peak is reached (late peak: warmup)", _ABSTAINS),
    Fact("lr.drops", "count", f"step drops: falls to below {_DROP:.0%} of the previous logged value", _ABSTAINS),
    Fact("lr.shape", "text", "constant, warmup, decay, warmup_decay, step, cyclic or other", _ABSTAINS),
    Fact("lr.collapse_fraction", "run fraction", f"where the rate first falls below {_COLLAPSE:.0%} of its peak after reaching it (a warmup from near zero does not count)", _ABSTAINS + ", or it never does"),
    Fact("lr.drop_response", "fraction", "median, over step drops, of the training loss's relative improvement in the window after the drop minus that in the window before (> 0: drops help)", _ABSTAINS + ", no step drop, or no training loss around the drops"),
]


def drop_response(lr: Curve, loss: Curve) -> dict:
    """Whether the training loss reacts to the learning-rate step drops (it usually falls faster)."""
    values = lr.raw
    if len(values) < 2 or loss.n < loss.settings.min_points:
        return {}
    drops = lr.x[1:][values[1:] < _DROP * values[:-1]]
    window = loss.settings.drop_window * max(loss.x[-1] - loss.x[0], 1)
    changes = []
    for step in drops:
        before = (loss.x >= step - window) & (loss.x < step)
        after = (loss.x >= step) & (loss.x < step + window)
        if before.sum() >= 2 and after.sum() >= 2:
            gain_before = loss.smooth[before][0] - loss.smooth[before][-1]
            gain_after = loss.smooth[after][0] - loss.smooth[after][-1]
            changes.append(gain_after - gain_before)
    return {"lr.drop_response": float(np.median(changes))} if changes else {}


def schedule_facts(lr: Curve) -> dict:
    """Facts about the learning-rate curve (raw values, no smoothing: schedules are exact)."""
    values, progress = lr.raw, lr.progress
    if len(values) < 2 or not (values > 0).all():
        return {}
    peak_at = int(np.argmax(values))
    out = {
        "lr.initial": float(values[0]),
        "lr.peak": float(values[peak_at]),
        "lr.final": float(values[-1]),
        "lr.final_to_peak": float(values[-1] / values[peak_at]),
        "lr.peak_fraction": float(progress[peak_at]),
        "lr.drops": int(np.count_nonzero(values[1:] < _DROP * values[:-1])),
        "lr.shape": _shape(values, peak_at, progress),
    }
    low = peak_at + np.flatnonzero(values[peak_at:] < _COLLAPSE * values[peak_at])
    if len(low):
        out["lr.collapse_fraction"] = float(progress[low[0]])
    return out


def _shape(values: np.ndarray, peak_at: int, progress: np.ndarray) -> str:
    if values.max() / values.min() < _FLAT:
        return "constant"
    ratio = values[1:] / values[:-1]
    rises, falls = ratio > _FLAT ** 0.1, ratio < 1 / _FLAT ** 0.1
    warmup = peak_at > 0 and values[0] < values[peak_at] / _FLAT and not falls[:peak_at].any()
    after = slice(peak_at, None)
    decays = falls[after].any() and not rises[after].any()
    if warmup:
        return "warmup_decay" if decays else ("warmup" if not falls.any() else "other")
    if decays and peak_at == 0:
        drops = np.count_nonzero(ratio < 0.8)
        steady = np.count_nonzero(np.abs(np.log(ratio)) < 1e-6)
        return "step" if drops and steady >= 0.5 * len(ratio) else "decay"
    turns = np.count_nonzero(np.diff(np.sign(np.log(ratio[np.abs(np.log(ratio)) > 1e-6]))))
    return "cyclic" if turns >= 3 else "other"
