"""Gradient norm beyond the per-series facts: early against late, and spikes shared with the loss."""
from __future__ import annotations

import numpy as np

from .catalogue import Fact
from .curve import Curve

FACTS = [
    Fact("grad_norm.early_median", "norm", "median gradient norm over the early window", "fewer than min_points points in the window"),
    Fact("grad_norm.late_median", "norm", "median gradient norm over the late window", "fewer than min_points points in the window"),
    Fact("grad_norm.late_to_early", "ratio", "late over early median (<<1: gradients vanish as training goes on)", "either window has fewer than min_points points, or a zero early median"),
    Fact("grad_norm.spike_loss_coincidence", "fraction", "share of gradient spikes with a training-loss spike nearby (within 1% of the run)", "no gradient spike, or no training loss"),
]


def gradient_facts(grad: Curve, loss_spike_steps: list[int] | None) -> dict:
    """Early/late level and the overlap of gradient and loss spikes."""
    settings = grad.settings
    early = grad.raw[grad.progress <= settings.edge_fraction]
    late = grad.raw[grad.progress >= 1.0 - settings.edge_fraction]
    out = {}
    if min(len(early), len(late)) >= settings.min_points:
        out["grad_norm.early_median"] = float(np.median(early))
        out["grad_norm.late_median"] = float(np.median(late))
        if out["grad_norm.early_median"] > 0:
            out["grad_norm.late_to_early"] = out["grad_norm.late_median"] / out["grad_norm.early_median"]
    spikes = _spikes(grad)
    if len(spikes) and loss_spike_steps is not None:
        reach = 0.01 * max(grad.x[-1] - grad.x[0], 1)
        loss = np.asarray(loss_spike_steps)
        near = [bool(len(loss)) and np.abs(loss - s).min() <= reach for s in spikes]
        out["grad_norm.spike_loss_coincidence"] = float(np.mean(near))
    return out


def _spikes(grad: Curve) -> np.ndarray:
    from .series import spikes

    return np.asarray(spikes(grad).get("spike_steps", []))
