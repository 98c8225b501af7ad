"""Small self-contained SVG line charts: no plotting library, no scripts, no network.

Enough for training curves: several series on linear or log y, decade or "nice" ticks,
vertical markers, shaded spans, and a legend. Long series are reduced to a min/max envelope
per pixel column, so spikes survive downsampling.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

import numpy as np

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf")


@dataclass
class Series:
    label: str
    x: np.ndarray
    y: np.ndarray
    color: str = ""
    dashed: bool = False


@dataclass
class Marker:
    """A vertical line at ``x`` (``span`` shades from x to span instead); ``points`` marks spikes."""

    x: float
    label: str
    color: str = "#d62728"
    span: float | None = None
    points: Sequence[float] = field(default_factory=tuple)


def envelope(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most 2 points per column: the min and max of y there, in x order."""
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) <= 2 * columns:
        return x, y
    bins = np.minimum(((x - x[0]) / max(x[-1] - x[0], 1e-12) * columns).astype(int), columns - 1)
    starts = np.flatnonzero(np.r_[True, np.diff(bins) > 0])
    lo = np.minimum.reduceat(y, starts)
    hi = np.maximum.reduceat(y, starts)
    xs = np.repeat(x[starts], 2)
    ys = np.column_stack([lo, hi]).ravel()
    return xs, ys


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.0e}"
    return f"{value:,.4g}"


def chart(
    series: Sequence[Series],
    *,
    width: int = 640,
    height: int = 260,
    log_y: bool | None = None,
    markers: Sequence[Marker] = (),
    title: str = "",
    compact: bool = False,
) -> str:
    """An SVG chart of the series; ``compact`` draws a bare sparkline for tables."""
    drawn = [s for s in series if np.isfinite(s.y).any()]
    if not drawn:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"><text x="8" y="{height // 2}" font-size="11" fill="#888">no finite values</text></svg>'
    left, right, top, bottom = (2, 2, 2, 2) if compact else (58, 12, 22 if title else 10, 28)
    plot_w, plot_h = width - left - right, height - top - bottom
    ys = np.concatenate([s.y[np.isfinite(s.y)] for s in drawn])
    xs = np.concatenate([s.x for s in drawn])
    if log_y is None:
        log_y = bool((ys > 0).all() and ys.max() / ys.min() > 20)
    transform = np.log10 if log_y else (lambda v: v)
    y_lo, y_hi = float(transform(ys.min())), float(transform(ys.max()))
    if y_hi == y_lo:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
    pad = 0.04 * (y_hi - y_lo)
    y_lo, y_hi = y_lo - pad, y_hi + pad
    x_lo, x_hi = float(xs.min()), float(xs.max()) if xs.max() > xs.min() else float(xs.min()) + 1

    def px(x):
        return left + (np.asarray(x, float) - x_lo) / (x_hi - x_lo) * plot_w

    def py(y):
        return top + (1 - (transform(np.asarray(y, float)) - y_lo) / (y_hi - y_lo)) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">']
    if not compact:
        out += _axes(left, top, plot_w, plot_h, x_lo, x_hi, y_lo, y_hi, log_y, px, py, title)
    for row, marker in enumerate(markers):
        out += _marker(marker, px, top, plot_h, row, compact)
    for i, s in enumerate(drawn):
        x, y = envelope(np.asarray(s.x, float), np.asarray(s.y, float), plot_w)
        color = s.color or PALETTE[i % len(PALETTE)]
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(x), py(y)))
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="{1 if compact else 1.3}"{dash} points="{points}"/>')
    if not compact:
        out += _legend(drawn, left + 8, top + 6)
    out.append("</svg>")
    return "".join(out)


def _axes(left, top, plot_w, plot_h, x_lo, x_hi, y_lo, y_hi, log_y, px, py, title) -> list[str]:
    parts = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#ccc"/>']
    if title:
        parts.append(f'<text x="{left}" y="{top - 7}" font-size="12" fill="#333">{escape(title)}</text>')
    y_ticks = [10.0**k for k in range(math.floor(y_lo), math.ceil(y_hi) + 1)] if log_y else _nice_ticks(y_lo, y_hi)
    if log_y and len(y_ticks) < 3:
        y_ticks = [10 ** v for v in _nice_ticks(y_lo, y_hi)]
    for tick in y_ticks:
        y = float(py(tick))
        if top - 0.5 <= y <= top + plot_h + 0.5:
            parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
            parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end" fill="#555">{_fmt(tick)}</text>')
    for tick in _nice_ticks(x_lo, x_hi):
        x = float(px(tick))
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle" fill="#555">{_fmt(tick)}</text>')
    parts.append(f'<text x="{left + plot_w}" y="{top + plot_h + 26}" font-size="10" text-anchor="end" fill="#777">step</text>')
    return parts


def _marker(marker: Marker, px, top, plot_h, row: int, compact: bool) -> list[str]:
    x = float(px(marker.x))
    label_y = top + plot_h - 8 - 12 * row
    label = "" if compact else f'<text x="{x + 3:.1f}" y="{label_y}" font-size="10" fill="{marker.color}">{escape(marker.label)}</text>'
    if marker.span is not None:
        x2 = float(px(marker.span))
        return [f'<rect x="{x:.1f}" y="{top}" width="{max(x2 - x, 1):.1f}" height="{plot_h}" fill="{marker.color}" fill-opacity="0.08"/>', label]
    parts = [f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="{marker.color}" stroke-dasharray="3 3"/>', label]
    for point in marker.points:
        parts.append(f'<path d="M{float(px(point)):.1f},{top + plot_h - 2} l-3,-6 l6,0 z" fill="{marker.color}"/>')
    return parts


def _legend(series: Sequence[Series], x: int, y: int) -> list[str]:
    parts = []
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        row = y + 13 * i
        parts.append(f'<line x1="{x}" x2="{x + 14}" y1="{row + 4}" y2="{row + 4}" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{x + 18}" y="{row + 8}" font-size="10" fill="#333">{escape(s.label)}</text>')
    return parts
