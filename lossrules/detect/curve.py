"""A metric series prepared once for every detector: finite points, scale, smoothing, bins.

Losses and other positive quantities are analysed on a log scale, so that features are relative
(invariant to multiplying the loss by a constant) and a fall from 2.0 to 1.0 weighs what a fall
from 0.02 to 0.01 does. A non-negative series with some zeros (a loss rounded to 0.0 once
converged) is analysed as log(value + half its smallest positive value). A series with negative
values (some losses legitimately are) stays linear and its relative features are scaled by its
typical magnitude instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .settings import DetectorSettings

_MAD_TO_SD = 1.4826


def robust_scale(x: np.ndarray) -> float:
    """Standard deviation estimated from the median absolute deviation (0 for fewer than 2 points)."""
    if len(x) < 2:
        return 0.0
    return float(_MAD_TO_SD * np.median(np.abs(x - np.median(x))))


@dataclass
class Curve:
    """One series (steps ascending) with its finite points on the scale detectors use."""

    steps: np.ndarray
    values: np.ndarray
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    positive_scale: bool = True  # analyse on a log scale when every finite value is > 0
    higher_is_better: bool = False

    def __post_init__(self) -> None:
        self.steps = np.asarray(self.steps, dtype=np.int64)
        self.values = np.asarray(self.values, dtype=np.float64)
        self.finite = np.isfinite(self.values)
        self.x = self.steps[self.finite]
        self.raw = self.values[self.finite]
        self.offset = _zero_offset(self.raw, self.settings.zero_offset_fraction) if self.positive_scale else 0.0
        self.log = bool(self.positive_scale and len(self.raw) and (self.raw + self.offset > 0).all())
        self.y = np.log(self.raw + self.offset) if self.log else self.raw
        span = float(self.x[-1] - self.x[0]) if len(self.x) > 1 else 0.0
        self.progress = (self.x - self.x[0]) / span if span > 0 else np.zeros(len(self.x))

    @property
    def n(self) -> int:
        return len(self.y)

    @cached_property
    def window(self) -> int:
        """Odd smoother width in points."""
        width = round(self.n * self.settings.smooth_fraction)
        width = max(3, min(width, self.settings.smooth_max))
        return width if width % 2 else width + 1

    @cached_property
    def smooth(self) -> np.ndarray:
        """Rolling median of y (robust to spikes), then a rolling mean of the same width.

        Near the ends, where the window would run past the data, a robust (Theil-Sen) line
        through the first or last window of points takes over, so a trend is not flattened.
        """
        from scipy.ndimage import median_filter, uniform_filter1d

        if self.n < 3:
            return self.y.copy()
        width = min(self.window, self.n if self.n % 2 else self.n - 1)
        out = uniform_filter1d(median_filter(self.y, size=width, mode="nearest"), size=width, mode="nearest")
        if self.n >= width + 2:
            edge = min(width, self.n // 2)
            out[:edge] = _line(self.progress[:width], self.y[:width], self.progress[:edge])
            out[-edge:] = _line(self.progress[-width:], self.y[-width:], self.progress[-edge:])
            if not self.log:  # on the linear scale a line through a fast decay to zero dips below every point
                out[:edge] = np.clip(out[:edge], self.y[:width].min(), self.y[:width].max())
                out[-edge:] = np.clip(out[-edge:], self.y[-width:].min(), self.y[-width:].max())
            else:  # a line through a steep first drop dips below every point of its window
                best = self.goodness(self.y[:width]).min()
                out[:edge] = self.goodness(np.maximum(self.goodness(out[:edge]), best))
        return out

    @cached_property
    def smooth_raw(self) -> np.ndarray:
        """The smoothed curve on the series' own scale (a log-scale curve back from logs, less its zero offset)."""
        return np.exp(self.smooth) - self.offset if self.log else self.smooth

    @cached_property
    def residual(self) -> np.ndarray:
        return self.y - self.smooth

    @cached_property
    def level(self) -> float:
        """Typical magnitude of the series on its own scale (for relative linear features)."""
        return float(np.median(np.abs(self.smooth))) if self.n else 0.0

    def relative(self, delta: float) -> float | None:
        """A difference on the analysis scale as a relative change (None if not expressible)."""
        if self.log:
            return float(np.expm1(delta))
        return float(delta / self.level) if self.level > 0 else None

    @cached_property
    def scale_floor(self) -> float:
        """0.01% of the level on y's scale: differences below it are round-off, not signal."""
        level = self.level if np.isfinite(self.level) else 0.0  # values near the float limit overflow the smoother
        return 1e-4 * (1.0 if self.log else max(level, 1e-12))

    def best_index(self) -> int:
        """First index where the smoothed curve is at its best (ties within round-off go first)."""
        good = self.goodness(self.smooth)
        hits = np.flatnonzero(good <= np.nanmin(good) + 1e-3 * self.scale_floor) if np.isfinite(good).any() else []
        return int(hits[0]) if len(hits) else 0

    @cached_property
    def residual_scale(self) -> float:
        """Robust scale of the residuals on y's scale, floored at 0.01% of the level.

        The floor keeps a perfectly clean curve (a synthetic or deterministic one) from turning
        round-off into infinite z-scores.
        """
        return max(robust_scale(self.residual), self.scale_floor)

    @cached_property
    def noise(self) -> float:
        """Robust scale of the residuals, as a relative quantity."""
        scale = robust_scale(self.residual)
        if self.log:
            return scale
        return scale / self.level if self.level > 0 else float("nan")

    def bins(self, start: float = 0.0, max_bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Medians of progress and y in equal-count bins, over progress >= start."""
        keep = self.progress >= start
        return bin_medians(self.progress[keep], self.y[keep], max_bins or self.settings.trend_bins)

    def goodness(self, y: np.ndarray) -> np.ndarray:
        """y oriented so that smaller is better."""
        return -y if self.higher_is_better else y


def bin_medians(p: np.ndarray, y: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Medians of p and y (p ascending) in at most ``max_bins`` equal-count bins: trend tests
    cost O(n^2) in memory (Theil-Sen), and a per-step curve can hold 100,000 points."""
    if len(p) <= max_bins:
        return p, y
    edges = np.linspace(0, len(p), max_bins + 1).astype(int)
    idx = np.repeat(np.arange(max_bins), np.diff(edges))
    order = np.lexsort((y, idx))
    return _group_median(p, idx, edges), _group_median(y[order], idx, edges)


def _zero_offset(raw: np.ndarray, median_fraction: float) -> float:
    """For a non-negative series that also holds zeros, what is added before taking logs: half
    its smallest positive value (the logger's rounding step), but at least ``median_fraction`` of
    its median, so that a zero is a low point rather than an outlier twenty logs down. 0 for any
    other series.

    Loggers round: a converged loss of 3e-5 is logged as 0.0 by the HF Trainer (4 decimals), yet
    the curve still spans orders of magnitude and belongs on the log scale.
    """
    positive = raw > 0
    if not len(raw) or positive.all() or not positive.any() or (raw < 0).any():
        return 0.0
    return max(0.5 * float(raw[positive].min()), median_fraction * float(np.median(raw[positive])))


def _line(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A Theil-Sen line through (x, y) evaluated at ``at``, or the window's median where no trend is significant.

    In a noisy window the fitted slope is mostly noise, and extrapolating it to the curve's end
    would invent a level no point has; the median does not.
    """
    from scipy.stats import theilslopes

    if np.ptp(x) == 0:
        return np.full(len(at), np.median(y))
    fit = theilslopes(y, x)
    if fit.low_slope <= 0 <= fit.high_slope:  # the 95% interval of the slope includes flat
        return np.full(len(at), np.median(y))
    return fit.intercept + fit.slope * at


def _group_median(sorted_values: np.ndarray, idx: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Median of each consecutive group of an array sorted within groups."""
    lo = edges[:-1] + (np.diff(edges) - 1) // 2
    hi = edges[:-1] + np.diff(edges) // 2
    return (sorted_values[lo] + sorted_values[hi]) / 2
