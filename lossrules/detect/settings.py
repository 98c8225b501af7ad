"""Detector settings: how curves are smoothed and summarised, documented and overridable.

These are not verdicts (rules judge, with thresholds in their rule files); they say how a
quantity is measured: the smoothing window, what the "tail" of a run is, how many points a
statistic needs before it is computed at all. A user overrides them in ``lossrules.toml``
under ``[detect]``; ``lossrules features`` prints the values in use.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from itertools import pairwise
from typing import Any

from ..model import InputError


@dataclass(frozen=True)
class DetectorSettings:
    """How detectors measure. Every field has a documented default."""

    smooth_fraction: float = 0.05
    """Width of the rolling-median smoother, as a fraction of the series' points (odd, >= 3)."""
    smooth_max: int = 201
    """Upper bound on the smoother width in points."""
    tail_fraction: float = 0.25
    """The tail of a run: its last quarter of progress, for tail trend and tail improvement."""
    trend_bins: int = 100
    """Trends are fitted on at most this many equal-count bin medians (robust, and O(n) time)."""
    min_points: int = 5
    """Fewest finite points for level and trend features; fewer and they abstain."""
    min_tail_points: int = 5
    """Fewest points in the tail for tail features."""
    significance: float = 0.05
    """p-value below which a trend counts as real where a detector must decide (gap.onset_step)."""
    spike_z: float = 6.0
    """Robust z-score (median/MAD of residuals around the smoothed curve) above which a point is a spike."""
    transient_max_rise: float = 1.5
    """A start that settles is a transient, not spikes, while it never climbs above this multiple of the first value."""
    plateau_tolerance: float = 0.02
    """Progress smaller than this (relative, 2%) over a stretch does not end a plateau..."""
    plateau_noise_factor: float = 3.0
    """...nor does progress within this many standard errors of the smoothed curve's noise."""
    zero_offset_fraction: float = 1e-3
    """A non-negative loss holding zeros is analysed as log(value + offset), the offset half its smallest positive value but at least this share (0.1%) of its median."""
    giveback_min_gain: float = 0.1
    """Giveback facts need the curve to have improved by this much (10%) first: shares of a tiny gain are noise."""
    noise_floor_fraction: float = 0.1
    """noise_above_floor looks only where the smoothed loss is above this share (10%) of its start..."""
    noise_floor_coverage: float = 0.2
    """...and abstains when that is under this share (20%) of the points: the loss was fitted early."""
    comparable_ratio: float = 1000.0
    """Training and validation losses this many times apart at every evaluation measure different things (scaled and unscaled targets): the gap facts abstain."""
    edge_fraction: float = 0.2
    """Early and late windows (first and last 20% of progress) for early/late comparisons."""
    drop_window: float = 0.05
    """lr.drop_response compares the loss's progress over this share of the run (5%) before and after each drop."""
    epoch_rows_ratio: float = 1.5
    """Without an epoch counter, a training loss with at most 1.5 times the validation's points is per epoch..."""
    epoch_gap_tolerance: float = 0.1
    """...else evaluations at regular steps (gaps within 10% of each other)..."""
    epoch_min_evaluations: int = 3
    """...at least 3 of them..."""
    epoch_coverage: float = 0.9
    """...reaching 90% of the training steps count one epoch each."""
    epoch_min_points: int = 10
    """Epoch-boundary facts (train_loss.epoch_start_drop) need this many training-loss points in each of two consecutive epochs; the first and last edge_fraction of an epoch are compared."""
    chance_tolerance: float = 0.02
    """An initial loss within 2% of ln(C) for a whole C makes C the inferred class count."""
    chance_accuracy_tolerance: float = 0.05
    """A first accuracy within 5% of 1/C for a whole C hints at C classes..."""
    chance_loss_tolerance: float = 0.1
    """...and makes C the inferred class count when the first loss is also within 10% of ln(C)."""
    max_classes: int = 1000
    """Largest class count inferred from the initial loss or accuracy."""

    def with_overrides(self, overrides: Mapping[str, Any]) -> DetectorSettings:
        """A copy with some settings replaced; unknown names and wrong types are input errors."""
        known = {f.name: f for f in fields(self)}
        changes = {}
        for name, value in overrides.items():
            if name not in known:
                raise InputError(f"unknown detector setting '{name}'; known: {', '.join(sorted(known))}")
            expected = type(getattr(self, name))
            try:
                changes[name] = expected(value)
            except (TypeError, ValueError):
                raise InputError(f"detector setting '{name}' must be a {expected.__name__}, got {value!r}") from None
        return replace(self, **changes)


def settings_doc() -> list[tuple[str, Any, str]]:
    """(name, default, meaning) of every setting, from the field docstrings in this file."""
    import ast
    import inspect

    source = inspect.getsource(DetectorSettings)
    body = ast.parse(source).body[0].body
    docs = {}
    for node, following in pairwise(body):
        if isinstance(node, ast.AnnAssign) and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            docs[node.target.id] = following.value.value
    return [(f.name, f.default, docs.get(f.name, "")) for f in fields(DetectorSettings)]
