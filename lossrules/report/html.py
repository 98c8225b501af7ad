"""A self-contained HTML report: inline CSS and SVG charts, no scripts, no network.

Each run gets its curves (training and validation together, log scale where it helps)
annotated with what its findings point at: the validation minimum, the step a finding names,
spikes, the first non-finite value, plateaus. An audit opens with the table of runs, worst
first (or as sorted), with a thumbnail per run linking to its section.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Sequence
from html import escape

import numpy as np

from .. import __version__
from ..engine.evaluate import format_value
from ..model import Diagnosis
from . import visible
from .svg import Marker, Series, chart

PLOT_FACTS = (
    "val_loss.argmin_step",
    "train_loss.first_nonfinite_step",
    "val_loss.first_nonfinite_step",
    "train_loss.spike_steps",
    "grad_norm.spike_steps",
    "train_loss.stall_start_step",
    "train_loss.stall_fraction",
    "train_loss.first_step",
    "train_loss.last_step",
)
"""Facts the charts annotate; audits keep just these when an HTML report is asked for."""

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1080px;color:#222}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin:28px 0 6px;border-top:1px solid #ddd;padding-top:14px}
.meta{color:#666;font-size:13px} table{border-collapse:collapse;font-size:13px;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:middle}
th{background:#f6f6f6} a{color:#1a5fb4;text-decoration:none}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.v-healthy{background:#2e7d32}.v-inconclusive{background:#7b1fa2}.v-error{background:#555}.v-finding{background:#c62828}
.sev-error{color:#c62828;font-weight:600}.sev-warning{color:#b26a00;font-weight:600}.sev-info{color:#1a5fb4}
.finding{margin:10px 0 10px 0;padding:8px 12px;background:#fafafa;border-left:3px solid #ccc}
.finding ul{margin:4px 0 0 18px;padding:0} .evidence{font-size:12px;color:#444}
.charts{display:flex;flex-wrap:wrap;gap:8px} .summary span{margin-right:12px}
"""


def render_html(diagnoses: Sequence[Diagnosis], *, audit: bool, min_severity: str = "info") -> str:
    ordered = list(diagnoses)
    counts = Counter(d.verdict for d in diagnoses)
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>lossrules report ({len(diagnoses)} run(s))</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>lossrules report</h1>",
        f'<div class="meta">{len(diagnoses)} run(s), lossrules {escape(__version__)}, {stamp}</div>',
        '<p class="summary">' + "".join(f"<span>{_badge(v)} {n}</span>" for v, n in counts.most_common()) + "</p>",
    ]
    if audit or len(diagnoses) > 1:
        parts.append(_table(ordered))
    for i, d in enumerate(ordered):
        parts.append(_section(i, d, min_severity))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _badge(verdict: str) -> str:
    kind = verdict if verdict in ("healthy", "inconclusive", "error") else "finding"
    return f'<span class="badge v-{kind}">{escape(verdict)}</span>'


def _title(d: Diagnosis) -> str:
    return d.run if d.run != "." else d.root


def _table(ordered: Sequence[Diagnosis]) -> str:
    rows = ["<table><tr><th>run</th><th>curves</th><th>verdict</th><th>top finding</th><th>source</th><th>steps</th></tr>"]
    for i, d in enumerate(ordered):
        top = next((f for f in d.findings if f.cause == d.verdict), None)
        rows.append(
            f'<tr><td><a href="#run-{i}">{escape(_title(d))}</a></td><td>{_thumbnail(d)}</td><td>{_badge(d.verdict)}</td>'
            f"<td>{escape(d.error or (top.title if top else ''))}</td><td>{escape(d.source)}</td><td>{'' if d.steps is None else f'{d.steps:,}'}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _role_series(d: Diagnosis, styles: dict[str, tuple[str, str]]) -> list[Series]:
    """A plotted series for each role in ``styles`` (role: (label, colour)) the run logged."""
    return [Series(label, np.asarray(d.curves[r][0]), np.asarray(d.curves[r][1], float), color) for r, (label, color) in styles.items() if r in d.curves]


def _loss_series(d: Diagnosis) -> list[Series]:
    return _role_series(d, {"train_loss": ("training loss", "#1f77b4"), "val_loss": ("validation loss", "#ff7f0e")})


def _thumbnail(d: Diagnosis) -> str:
    series = _loss_series(d)
    return chart(series, width=150, height=36, compact=True) if series else ""


def _markers(d: Diagnosis) -> list[Marker]:
    facts = d.facts
    out = []
    plateau_found = any(f.cause == "plateau" for f in (*d.findings, *d.suppressed))
    if plateau_found and "train_loss.stall_start_step" in facts:
        first, last = facts.get("train_loss.first_step", 0), facts.get("train_loss.last_step", 0)
        start = facts["train_loss.stall_start_step"]
        out.append(Marker(start, "plateau", "#7b1fa2", span=start + facts["train_loss.stall_fraction"] * (last - first)))
    if "val_loss.argmin_step" in facts and "val_loss" in d.curves:
        out.append(Marker(facts["val_loss.argmin_step"], "val min", "#2e7d32"))
    for name, label in (("train_loss.first_nonfinite_step", "first NaN/inf"), ("val_loss.first_nonfinite_step", "val NaN/inf")):
        if name in facts:
            out.append(Marker(facts[name], label, "#c62828"))
    spikes = facts.get("train_loss.spike_steps") or []
    if spikes:
        out.append(Marker(spikes[0], f"{len(spikes)} spike(s)", "#d62728", points=spikes))
    for f in d.findings:
        if f.step is not None and f.severity != "info" and all(m.x != f.step for m in out):
            out.append(Marker(f.step, f.cause, "#b26a00"))
    return out


def _charts(d: Diagnosis) -> str:
    charts = []
    losses = _loss_series(d)
    if any(np.isfinite(s.y).any() for s in losses):
        charts.append(chart(losses, markers=_markers(d), title="loss"))
    elif "train_loss.first_nonfinite_step" in d.facts:
        charts.append(f"<p>The training loss is NaN or infinite from step {d.facts['train_loss.first_nonfinite_step']:,}: nothing to plot.</p>")
    for title, styles in (("accuracy", {"train_acc": ("training accuracy", ""), "val_acc": ("validation accuracy", "")}), ("reward", {"reward": ("reward", "")})):
        series = _role_series(d, styles)
        if series:
            charts.append(chart(series, width=420, height=200, log_y=False, title=title))
    for role, label in (("grad_norm", "gradient norm"), ("lr", "learning rate")):
        if role in d.curves:
            marks = [Marker(s, "", "#d62728") for s in (d.facts.get("grad_norm.spike_steps") or [])[:20]] if role == "grad_norm" else []
            charts.append(chart(_role_series(d, {role: (label, "#2ca02c")}), width=420, height=200, title=label, markers=marks))
    return '<div class="charts">' + "".join(charts) + "</div>" if charts else ""


def _section(i: int, d: Diagnosis, min_severity: str) -> str:
    parts = [f'<h2 id="run-{i}">{escape(_title(d))} {_badge(d.verdict)}</h2>']
    parts.append(f'<div class="meta">{escape(d.root)} &middot; {escape(d.source)}' + (f", {d.steps:,} steps" if d.steps is not None else "") + "</div>")
    if d.notes:
        parts.append('<div class="meta">read notes: ' + "; ".join(escape(n) for n in d.notes) + "</div>")
    if d.error:
        parts.append(f"<p>{escape(d.error)}</p>")
        return "\n".join(parts)
    if d.metrics:
        parts.append('<div class="meta">metrics: ' + ", ".join(f"{escape(r)} = <code>{escape(t)}</code>" for r, t in d.metrics.items()) + "</div>")
    parts.append(_charts(d))
    findings = visible(d, min_severity)
    if not any(f.severity != "info" for f in findings):
        parts.append("<p>No finding at warning or above: the curves look like a healthy run.</p>")
    for f in findings:
        evidence = "; ".join(f"<code>{escape(k)}</code> = {escape(format_value(v))}" for k, v in f.evidence.items() if v is not None)
        remedies = "".join(f"<li>{escape(r)}</li>" for r in f.remedies)
        parts.append(
            f'<div class="finding"><span class="sev-{f.severity}">{f.severity}</span> <b>{escape(f.cause)}</b> '
            f"(confidence {f.confidence:.2f}): {escape(f.title)} <code>{escape(f.rule)}</code>"
            + (f" at step {f.step:,}" if f.step is not None else "")
            + (f'<div class="evidence">{evidence}</div>' if evidence else "")
            + (f"<ul>{remedies}</ul>" if remedies else "")
            + "</div>"
        )
    return "\n".join(parts)
