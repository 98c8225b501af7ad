"""Facts about one series: coverage, level, trend, noise, plateaus, divergence and spikes.

Every function takes a :class:`~lossrules.detect.curve.Curve` and returns a dict of facts; a
fact it cannot compute honestly (too few points, no positive level) is left out, never zeroed.
"""
from __future__ import annotations

import numpy as np

from .catalogue import ACC_ROLES, GAIN_ROLES, LOSS_ROLES, REWARD_ROLES, Fact
from .curve import Curve, robust_scale

CURVE_ROLES = (*LOSS_ROLES, *GAIN_ROLES, "grad_norm")
_GIVING_BACK = (*LOSS_ROLES, *REWARD_ROLES)
_LOSSY = (*LOSS_ROLES, "grad_norm")
_MAX_SPIKE_STEPS = 20

FACTS = [
    Fact("points", "count", "logged points, finite or not", roles=(*CURVE_ROLES, "lr")),
    Fact("first_step", "step", "step of the first point", roles=CURVE_ROLES),
    Fact("last_step", "step", "step of the last point", roles=CURVE_ROLES),
    Fact("nonfinite_fraction", "fraction", "share of points that are NaN or infinite", roles=CURVE_ROLES),
    Fact("nonfinite_count", "count", "points that are NaN or infinite", roles=CURVE_ROLES),
    Fact("first_nonfinite_step", "step", "step of the first NaN or infinite point", "every value is finite", CURVE_ROLES),
    Fact("ends_nonfinite", "bool", "the series stops at a NaN or infinite value", roles=CURVE_ROLES),
    Fact("first", "value", "first finite value", "no finite value", CURVE_ROLES),
    Fact("last", "value", "last finite value", "no finite value", CURVE_ROLES),
    Fact("min", "value", "smallest finite value", "no finite value", CURVE_ROLES),
    Fact("max", "value", "largest finite value", "no finite value", CURVE_ROLES),
    Fact("smoothed_first", "value", "the smoothed curve at the first point: where the run started, without one point's noise", "fewer than min_points points", CURVE_ROLES),
    Fact("smoothed_last", "value", "the smoothed curve at the last point: where the run ended, without one point's noise", "fewer than min_points points", CURVE_ROLES),
    Fact("argmin_step", "step", "step where the smoothed curve is lowest", "fewer than min_points finite points", _LOSSY),
    Fact("argmin_fraction", "run fraction", "where the smoothed minimum falls, 0 = start, 1 = end", "fewer than min_points finite points", _LOSSY),
    Fact("last_to_min", "ratio", "smoothed last value over smoothed minimum (1 = ends at its best)", "fewer than min_points points, or values not all positive", _LOSSY),
    Fact("argmax_step", "step", "step where the smoothed curve is highest (best accuracy or reward)", "fewer than min_points finite points", GAIN_ROLES),
    Fact("argmax_fraction", "run fraction", "where the smoothed maximum falls", "fewer than min_points finite points", GAIN_ROLES),
    Fact("improvement", "fraction", "relative improvement of the smoothed curve from start to end (losses: fall, accuracies: rise)", "fewer than 2 points, or no positive level", CURVE_ROLES),
    Fact("tail_share", "fraction", "share of the whole run's improvement (on the log scale) made in the tail: ~0.25 for a steady fall, near 0 once converged", "fewer than min_points points, values not all positive, or no overall improvement", CURVE_ROLES),
    Fact("tail_improvement", "fraction", "relative improvement of the smoothed curve over the tail (last tail_fraction of progress)", "fewer than 2 points in the tail, or fewer than min_points in all", CURVE_ROLES),
    Fact("slope", "log-units per run", "Theil-Sen slope against run progress (0..1), on log values for positive series: -0.69 = halved over the run", "fewer than min_points points", CURVE_ROLES),
    Fact("slope_p", "p-value", "Mann-Kendall (Kendall tau) p-value that the whole curve trends", "fewer than min_points points", CURVE_ROLES),
    Fact("tau", "-1..1", "Kendall tau of the curve against progress", "fewer than min_points points", CURVE_ROLES),
    Fact("tail_slope", "log-units per run", "Theil-Sen slope over the tail", "fewer than min_tail_points points in the tail", CURVE_ROLES),
    Fact("tail_slope_p", "p-value", "Mann-Kendall p-value of a trend in the tail", "fewer than min_tail_points points in the tail", CURVE_ROLES),
    Fact("noise", "relative", "robust scale of the residuals around the smoothed curve, relative to its level (0.1 = 10%)", "fewer than min_points points", CURVE_ROLES),
    Fact("noise_above_floor", "relative", "scatter around the smoothed loss relative to its level, only where the loss is still above noise_floor_fraction of its start (near zero, relative scatter inflates)", "fewer than min_points points, values not all positive, or the loss was above that floor for under noise_floor_coverage of the points", LOSS_ROLES),
    Fact("reversal_rate", "fraction", "share of steps where the smoothed curve changes direction", "fewer than min_points points", CURVE_ROLES),
    Fact("oscillation_growth", "ratio", "residual scale in the late window over the early window (>1: swings grow)", "early or late window under min_points points, or no early noise", CURVE_ROLES),
    Fact("plateau_fraction", "run fraction", "longest stretch without significant progress (noise-aware)", "fewer than min_points points", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("plateau_start_fraction", "run fraction", "where that longest stretch starts", "fewer than min_points points", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("plateau_start_step", "step", "step where that longest stretch starts", "fewer than min_points points", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("plateau_escape", "fraction", "relative improvement of the smoothed curve from the end of that stretch to the end of the run (0 when it lasts to the end)", "fewer than min_points points, or no positive level", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("plateau_prior_gain", "fraction", "relative improvement of the smoothed curve from its start to the end of that stretch", "fewer than min_points points, or no positive level", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("stall_fraction", "run fraction", "longest stretch without significant progress that ends before the curve comes within the same tolerance of its best: a plateau the run escaped from", "fewer than min_points points, or no stretch ends before that", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("stall_start_fraction", "run fraction", "where that stall starts", "no stall", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("stall_start_step", "step", "step where that stall starts", "no stall", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("stall_escape", "fraction", "relative improvement of the smoothed curve from the end of the stall to the end of the run", "no stall, or no positive level", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("stall_prior_gain", "fraction", "relative improvement of the smoothed curve from its start to the end of the stall: near 0, the run stalled before learning anything; 0.7, it stalled after most of its fall", "no stall, or no positive level", (*LOSS_ROLES, *ACC_ROLES)),
    Fact("rise_from_min", "fraction", "how far the smoothed curve ends above its smoothed minimum (0.5 = 50% higher)", "fewer than min_points points, or not expressible as relative", LOSS_ROLES),
    Fact("max_rise", "fraction", "largest rise of the smoothed curve above its running minimum, anywhere", "fewer than min_points points, or not expressible as relative", LOSS_ROLES),
    Fact("rise_duration", "run fraction", "share of the run after the minimum spent clearly above it", "fewer than min_points points", LOSS_ROLES),
    Fact("giveback", "fraction", "share of the run's gains given back at the end: (last - best) / (first - best) of the smoothed curve in its own units (robust where a loss nears zero and log-scale rises exaggerate; a reward's gains are its rise)", "fewer than min_points points, or the curve never improved by giveback_min_gain", _GIVING_BACK),
    Fact("max_giveback", "fraction", "largest share of the gains so far given back at any point (> 1: the curve went back past where it started)", "fewer than min_points points, or the curve never improved by giveback_min_gain", _GIVING_BACK),
    Fact("rise_sigma", "standard errors", "final rise above the smoothed minimum in standard errors of the smoothed curve (noise-aware: > 4 is not noise)", "fewer than min_points points", LOSS_ROLES),
    Fact("spike_count", "count", "points more than spike_z robust SDs above the smoothed curve, after the start-up transient (a series that starts high and settles: its points before the first at or below the median of the first tenth)", "fewer than min_points points", _LOSSY),
    Fact("spike_fraction", "fraction", "spike_count over points", "fewer than min_points points", _LOSSY),
    Fact("spike_max_z", "z", "largest robust z-score above the smoothed curve after the start-up transient", "fewer than min_points points, or residuals without spread", _LOSSY),
    Fact("spike_max", "value", "the highest spike's value, on the series' own scale", "no spike", _LOSSY),
    Fact("spike_first_step", "step", "step of the first spike", "no spike", _LOSSY),
    Fact("spike_steps", "list of steps", f"steps of the spikes (first {_MAX_SPIKE_STEPS}), for plots", "no spike", _LOSSY),
]


def coverage(curve: Curve) -> dict:
    """How much of the series there is, and whether it went non-finite."""
    n = len(curve.values)
    bad = ~curve.finite
    out = {
        "points": n,
        "first_step": int(curve.steps[0]),
        "last_step": int(curve.steps[-1]),
        "nonfinite_fraction": float(bad.mean()),
        "nonfinite_count": int(bad.sum()),
        "ends_nonfinite": bool(bad[-1]),
    }
    if bad.any():
        out["first_nonfinite_step"] = int(curve.steps[np.argmax(bad)])
    if curve.n:
        out.update(first=float(curve.raw[0]), last=float(curve.raw[-1]), min=float(curve.raw.min()), max=float(curve.raw.max()))
    return out


def level(curve: Curve) -> dict:
    """Where the curve is best, how far the end is from the best, and how much it improved.

    Improvements need only two points (a short run still fell or did not); the rest needs
    min_points.
    """
    if curve.n < 2:
        return {}
    if curve.n < curve.settings.min_points:
        return {**_improvement(curve, "improvement", 0.0), **_improvement(curve, "tail_improvement", _tail_start(curve))}
    best = curve.best_index()
    kind = "argmax" if curve.higher_is_better else "argmin"
    out = {f"{kind}_step": int(curve.x[best]), f"{kind}_fraction": float(curve.progress[best])}
    out.update(smoothed_first=float(curve.smooth_raw[0]), smoothed_last=float(curve.smooth_raw[-1]))
    if not curve.higher_is_better and curve.log:
        out["last_to_min"] = float(np.exp(curve.smooth[-1] - curve.smooth[best]))
    out.update(_improvement(curve, "improvement", 0.0))
    out.update(_improvement(curve, "tail_improvement", _tail_start(curve)))
    out.update(_tail_share(curve))
    return out


def _tail_start(curve: Curve) -> float:
    """Progress where the tail starts: the last tail_fraction, or the last two points if fewer."""
    return min(1.0 - curve.settings.tail_fraction, float(curve.progress[-2])) if curve.n >= 2 else 1.0


def _tail_share(curve: Curve) -> dict:
    """Fraction of the total (log) improvement made over the tail."""
    good = curve.goodness(curve.smooth)
    total = float(good[0] - good[-1])
    tail = curve.progress >= _tail_start(curve)
    if not curve.log or total <= curve.scale_floor or tail.sum() < 2:
        return {}
    return {"tail_share": float((good[tail][0] - good[-1]) / total)}


def _improvement(curve: Curve, name: str, start: float) -> dict:
    """Relative improvement of the smoothed curve from ``start`` (progress) to the end."""
    keep = curve.progress >= start
    if keep.sum() < 2:
        return {}
    gain = _relative_gain(curve, curve.smooth[keep][0], curve.smooth[-1])
    return {} if gain is None else {name: gain}


def trend(curve: Curve) -> dict:
    """Robust slope and its significance over the whole run and over the tail."""
    out = {}
    whole = _trend(*curve.bins(), curve.settings.min_points)
    if whole:
        out.update(slope=whole[0], slope_p=whole[1], tau=whole[2])
    tail = _trend(*curve.bins(1.0 - curve.settings.tail_fraction), curve.settings.min_tail_points)
    if tail:
        out.update(tail_slope=tail[0], tail_slope_p=tail[1])
    return out


def _trend(progress: np.ndarray, y: np.ndarray, min_points: int) -> tuple[float, float, float] | None:
    from scipy.stats import kendalltau, theilslopes

    if len(y) < min_points or np.ptp(progress) == 0:
        return None
    spread = float(np.ptp(y))
    if not spread > 1e-9 * max(1.0, float(np.abs(y).max())):
        return 0.0, 1.0, 0.0  # flat up to round-off
    y = np.round((y - y[0]) / (spread * 1e-9))  # round-off must not break or make ties
    slope = theilslopes(y, progress).slope * spread * 1e-9
    tau, p = kendalltau(progress, y)
    if not np.isfinite(tau):
        return float(slope), 1.0, 0.0
    return float(slope), float(p), float(tau)


def noise(curve: Curve) -> dict:
    """Scatter around the smoothed curve, how often it turns, and whether swings grow."""
    settings = curve.settings
    if curve.n < settings.min_points:
        return {}
    out = {"noise": curve.noise}
    steps = np.diff(curve.smooth)
    tiny = 1e-9 * max(1.0, float(np.abs(curve.smooth).max()))
    directions = np.sign(steps[np.abs(steps) > tiny])
    out["reversal_rate"] = float(np.count_nonzero(np.diff(directions)) / max(len(steps) - 1, 1))
    early = curve.residual[curve.progress <= settings.edge_fraction]
    late = curve.residual[curve.progress >= 1.0 - settings.edge_fraction]
    if min(len(early), len(late)) >= settings.min_points:
        floor = curve.scale_floor
        out["oscillation_growth"] = max(robust_scale(late), floor) / max(robust_scale(early), floor)
    return out


def noise_above_floor(curve: Curve) -> dict:
    """Relative scatter of a positive loss while it is still far from zero.

    Near zero a batch loss of 1e-5 next to one of 3e-5 is a 200% scatter that hurts nothing;
    measured where the loss is still a sizeable share of its start, scatter means noisy updates.
    """
    if not curve.log:
        return {}
    settings = curve.settings
    level = curve.smooth_raw
    above = level > settings.noise_floor_fraction * level[0]
    if above.sum() < settings.min_points or above.mean() < settings.noise_floor_coverage:
        return {}
    scatter = robust_scale(curve.raw[above] - level[above])
    return {"noise_above_floor": scatter / float(np.median(level[above]))}


def plateau(curve: Curve) -> dict:
    """The longest stretch over which the best-so-far smoothed value does not improve
    significantly, and the longest such stretch the run escaped from (a stall)."""
    settings = curve.settings
    if curve.n < settings.min_points:
        return {}
    best_so_far = np.minimum.accumulate(curve.goodness(curve.smooth))
    tolerance = max(settings.plateau_tolerance, settings.plateau_noise_factor * curve.noise / np.sqrt(curve.window))
    margin = tolerance * (1.0 if curve.log else max(curve.level, 1e-12))
    # best_so_far is non-increasing: for each start, the last index still within the margin of it
    ends = np.clip(np.searchsorted(-best_so_far, -best_so_far + margin, side="left") - 1, 0, curve.n - 1)
    lengths = curve.progress[ends] - curve.progress
    out = _stretch(curve, "plateau", lengths, ends)
    settled = int(np.argmax(best_so_far <= best_so_far[-1] + margin))
    escaped = ends < settled
    if escaped.any():
        out.update(_stretch(curve, "stall", np.where(escaped, lengths, -1.0), ends))
    return out


def _stretch(curve: Curve, name: str, lengths: np.ndarray, ends: np.ndarray) -> dict:
    """Facts of the longest stretch: its length, its start, the gain made before its end and the
    gain from its end to the run's end."""
    start = int(np.argmax(lengths))
    out = {
        f"{name}_fraction": float(lengths[start]),
        f"{name}_start_fraction": float(curve.progress[start]),
        f"{name}_start_step": int(curve.x[start]),
    }
    gains = {
        f"{name}_prior_gain": _relative_gain(curve, curve.smooth[0], curve.smooth[ends[start]]),
        f"{name}_escape": _relative_gain(curve, curve.smooth[ends[start]], curve.smooth[-1]),
    }
    return {**out, **{k: v for k, v in gains.items() if v is not None}}


def _relative_gain(curve: Curve, before: float, after: float) -> float | None:
    """How much better ``after`` is than ``before`` on the curve's scale, as a fraction (None
    where a linear curve has no positive level to be relative to)."""
    good = curve.goodness(np.array([before, after]))
    delta = float(good[0] - good[1])
    if curve.log:
        return float(-np.expm1(-delta))
    return delta / curve.level if curve.level > 0 else None


def divergence(curve: Curve) -> dict:
    """How far, and for how long, the smoothed curve climbs back above its minimum."""
    settings = curve.settings
    if curve.n < settings.min_points:
        return {}
    rise = curve.smooth - np.minimum.accumulate(curve.smooth)
    lowest = curve.best_index()
    out = {}
    final, peak = curve.relative(float(curve.smooth[-1] - curve.smooth[lowest])), curve.relative(float(rise.max()))
    if final is not None and peak is not None:
        out.update(rise_from_min=final, max_rise=peak)
    after = curve.progress > curve.progress[lowest]
    scale = 1.0 if curve.log else max(curve.level, 1e-12)
    above = after & (rise > settings.plateau_tolerance * scale)
    out["rise_duration"] = float(np.diff(curve.progress, prepend=0.0)[above].sum()) if after.any() else 0.0
    standard_error = curve.residual_scale / np.sqrt(curve.window)
    out["rise_sigma"] = float((curve.smooth[-1] - curve.smooth[lowest]) / standard_error)
    return out


def giveback(curve: Curve) -> dict:
    """How much of its improvement the smoothed curve gives back, in its own units (a loss
    rising back towards its start, a reward falling back towards its)."""
    if curve.n < curve.settings.min_points:
        return {}
    raw = curve.goodness(curve.smooth_raw)
    gained = raw[0] - raw.min()
    if not gained > curve.settings.giveback_min_gain * max(abs(raw[0]), 1e-12):
        return {}
    rise = raw - np.minimum.accumulate(raw)
    return {"giveback": float((raw[-1] - raw.min()) / gained), "max_giveback": float(rise.max() / gained)}


def spikes(curve: Curve) -> dict:
    """Points far above the smoothed curve, by robust z-score of the residuals, once the start-up
    transient is over: the first steps of a run sit far above a curve that falls fast from them
    (a gradient norm of 3 settling at 0.1 within 20 steps), which is how training starts, not a spike."""
    settings = curve.settings
    if curve.n < settings.min_points:
        return {}
    z = (curve.residual - np.median(curve.residual)) / curve.residual_scale
    z[: _transient_end(curve)] = -np.inf
    hits = np.flatnonzero(z > settings.spike_z)
    out = {"spike_count": len(hits), "spike_fraction": float(len(hits) / curve.n), "spike_max_z": float(z.max())}
    if len(hits):
        out["spike_first_step"] = int(curve.x[hits[0]])
        out["spike_max"] = float(curve.raw[hits].max())
        out["spike_steps"] = [int(s) for s in curve.x[hits[:_MAX_SPIKE_STEPS]]]
    return out


def _transient_end(curve: Curve) -> int:
    """How many points the start-up transient spans: from the first point to the first at or below
    the median of the run's first tenth, when the series starts high and settles without climbing
    far above where it started (a norm that climbs from 2,000 to 7,800 before settling is an
    explosion, not a start). 0 when there is none."""
    raw = curve.raw
    head = raw[: max(len(raw) // 10, 1)]
    end = int(np.argmax(raw <= np.median(head)))
    if end and raw[0] > 0 and raw[:end].max() <= curve.settings.transient_max_rise * raw[0]:
        return end
    return 0


GROUPS = {
    "coverage": (coverage, (*CURVE_ROLES,)),
    "level": (level, CURVE_ROLES),
    "trend": (trend, CURVE_ROLES),
    "noise": (noise, CURVE_ROLES),
    "noise_above_floor": (noise_above_floor, LOSS_ROLES),
    "plateau": (plateau, (*LOSS_ROLES, *ACC_ROLES)),
    "divergence": (divergence, LOSS_ROLES),
    "giveback": (giveback, _GIVING_BACK),
    "spikes": (spikes, _LOSSY),
}


def series_facts(role: str, curve: Curve) -> dict:
    """All per-series facts of one role's curve, named ``<role>.<fact>``."""
    out = {}
    with np.errstate(all="ignore"):
        for function, roles in GROUPS.values():
            if role in roles:
                out.update({f"{role}.{k}": v for k, v in function(curve).items()})
    return finite_only(out)


def finite_only(facts: dict) -> dict:
    """Drop facts whose computation overflowed to NaN or infinity: they abstain instead."""
    return {k: v for k, v in facts.items() if not (isinstance(v, float) and not np.isfinite(v))}
