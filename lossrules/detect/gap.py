"""Training against validation loss: the gap, its trend, and where validation stops improving.

Computed only when both losses are positive and measure the same thing (``split_words`` in
rules/roles.yaml), on comparable scales (not ``comparable_ratio`` times apart at every
evaluation: scaled against original units): the gap is log(val) - log(train), the training loss
read at each validation step, reported as a relative excess (0.3 = validation 30% above training).
"""
from __future__ import annotations

import numpy as np

from .catalogue import Fact
from .curve import Curve, bin_medians
from .series import _trend

_ABSTAINS = "no comparable, positive training and validation losses"
FACTS = [
    Fact("gap.first", "fraction", "validation over training loss, minus 1, at the first evaluation", _ABSTAINS),
    Fact("gap.final", "fraction", "the same at the last evaluation", _ABSTAINS),
    Fact("gap.max", "fraction", "largest relative gap at any evaluation", _ABSTAINS),
    Fact("gap.slope", "log-units per run", "Theil-Sen slope of the log gap against run progress (>0: widening)", _ABSTAINS + ", or fewer than min_points evaluations"),
    Fact("gap.slope_p", "p-value", "Mann-Kendall p-value of a trend in the gap", _ABSTAINS + ", or fewer than min_points evaluations"),
    Fact("gap.train_improvement_after_val_min", "fraction", "how much the training loss still fell after validation loss reached its minimum", _ABSTAINS + ", or fewer than min_points evaluations"),
    Fact("gap.evaluations", "count", "validation points the gap was measured at", _ABSTAINS),
    Fact("gap.final_abs", "loss units", "validation minus smoothed training loss at the last evaluation", _ABSTAINS),
    Fact("gap.onset_step", "step", "overfitting onset: the validation minimum, if the training loss still falls significantly after it (Mann-Kendall p < significance)", _ABSTAINS + ", or training does not keep improving after the validation minimum"),
]


def train_levels(train: Curve, steps: np.ndarray) -> np.ndarray:
    """The training loss (log) at each evaluation step: the median of the training points logged
    since the previous evaluation (at least the nearest point at or before the step), which is
    what a per-epoch log reports (the epoch's average) and is robust to per-step noise.

    Local and robust: a smoother over the whole run would blur a steep early drop, and the model
    evaluated at a step is the one trained up to it.
    """
    spacing = float(np.median(np.diff(steps))) if len(steps) > 1 else float(train.x[-1] - train.x[0] + 1)
    hi = np.searchsorted(train.x, steps, side="right")
    lo = np.searchsorted(train.x, steps - spacing, side="right")
    lo = np.minimum(lo, hi - 1).clip(0)
    return np.array([np.median(train.y[a:b]) if b > a else train.y[max(b - 1, 0)] for a, b in zip(lo, hi)])


def gap_facts(train: Curve, val: Curve) -> dict:
    """Gap facts, or nothing when the two losses cannot be compared."""
    if not (train.log and val.log and train.n >= 2 and val.n >= 1):
        return {}
    inside = (val.x >= train.x[0]) & (val.x <= train.x[-1])
    if not inside.any():
        return {}
    train_at = train_levels(train, val.x[inside])
    val_y = (val.smooth if val.n >= val.settings.min_points else val.y)[inside]
    log_gap = val_y - train_at
    if np.abs(log_gap).min() > np.log(val.settings.comparable_ratio):
        return {}
    out = {
        "gap.final_abs": float(np.exp(val_y[-1]) - np.exp(train_at[-1])),
        "gap.first": float(np.expm1(log_gap[0])),
        "gap.final": float(np.expm1(log_gap[-1])),
        "gap.max": float(np.expm1(log_gap.max())),
        "gap.evaluations": int(inside.sum()),
    }
    progress = (val.x[inside] - train.x[0]) / max(train.x[-1] - train.x[0], 1)
    fitted = _trend(*bin_medians(progress, log_gap, val.settings.trend_bins), val.settings.min_points)
    if fitted:
        out.update({"gap.slope": fitted[0], "gap.slope_p": fitted[1]})
        best = int(np.argmin(val_y))
        after = float(train_at[best] - train_at[-1])
        out["gap.train_improvement_after_val_min"] = float(-np.expm1(-after))
        onset = int(val.x[inside][best])
        later = train.x >= onset
        falling = _trend(*bin_medians(train.progress[later], train.y[later], train.settings.trend_bins), train.settings.min_points)
        if falling and falling[0] < 0 and falling[1] < train.settings.significance:
            out["gap.onset_step"] = onset
    return out
