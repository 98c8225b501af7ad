"""Detect: turn a loaded run into a flat mapping of named facts (``val_loss.rise_from_min``...).

Detectors compute quantities; they never judge (rules do) and never read files (ingest does).
A fact that cannot be computed honestly is absent, not zero. See :mod:`.catalogue` for the list.
"""
from __future__ import annotations

from typing import Any

from ..model import Run
from .catalogue import ACC_ROLES, GAIN_ROLES, catalogue, fact_names
from .settings import DetectorSettings

__all__ = ["DetectorSettings", "catalogue", "fact_names", "facts"]

_POSITIVE_ROLES = ("train_loss", "val_loss", "grad_norm", "lr")


def facts(run: Run, settings: DetectorSettings | None = None) -> dict[str, Any]:
    """Every fact about one run, named ``<role>.<fact>``, ``gap.*``, ``run.*`` or ``hparams.*``."""
    import numpy as np

    from .series import finite_only

    settings = settings or DetectorSettings()
    with np.errstate(all="ignore"):
        return finite_only(_facts(run, settings))


def _facts(run: Run, settings: DetectorSettings) -> dict[str, Any]:
    from .chance import chance_facts
    from .epochs import epoch_facts
    from .gap import gap_facts
    from .gradients import gradient_facts
    from .runinfo import run_facts
    from .schedule import drop_response, schedule_facts
    from .series import series_facts

    curves = _curves(run, settings)
    out: dict[str, Any] = {}
    for role, curve in curves.items():
        out.update(series_facts(role, curve) if role != "lr" else {"lr.points": len(curve.values)})
    out.update(chance_facts(run.params, curves, settings))
    if "train_loss" in curves and "val_loss" in curves and _comparable(run):
        out.update(gap_facts(curves["train_loss"], curves["val_loss"]))
    if "grad_norm" in curves:
        out.update(gradient_facts(curves["grad_norm"], out.get("train_loss.spike_steps", [] if "train_loss" in curves else None)))
    if "lr" in curves:
        out.update(schedule_facts(curves["lr"]))
        if "train_loss" in curves:
            out.update(drop_response(curves["lr"], curves["train_loss"]))
    epoch = _curve(run, "epoch", settings)
    train = run.binding("train_loss")
    if "train_loss" in curves and train is not None:
        out.update(epoch_facts(curves["train_loss"], train.per, epoch))
    out.update(run_facts(run, curves, epoch))
    return out


def _comparable(run: Run) -> bool:
    from ..ingest.roles import comparable

    return comparable(run.binding("train_loss"), run.binding("val_loss"))


def _curves(run: Run, settings: DetectorSettings) -> dict:
    roles = ("train_loss", "val_loss", *GAIN_ROLES, "grad_norm", "lr")
    found = {role: _curve(run, role, settings) for role in roles}
    return {role: curve for role, curve in found.items() if curve is not None}


def _curve(run: Run, role: str, settings: DetectorSettings):
    """The curve of a role's preferred series, or None if the role is not bound or empty."""
    import numpy as np

    from ..ingest.roles import binding_series
    from .curve import Curve

    binding = run.binding(role)
    if binding is None:
        return None
    steps, values = binding_series(run, binding)
    if not len(steps):
        return None
    if role in ACC_ROLES:
        finite = values[np.isfinite(values)]
        if len(finite) and 1.5 < finite.max() <= 100:
            values = values / 100.0
    return Curve(steps, values, settings, positive_scale=role in _POSITIVE_ROLES, higher_is_better=role in GAIN_ROLES)
