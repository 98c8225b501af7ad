"""Terminal reports: a post-mortem per run, or a table of many runs with a verdict summary."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import click

from ..engine.evaluate import format_value
from ..model import Diagnosis, Explanation, Finding
from . import visible
from .runs import format_table
from .table import rows

_COLORS = {"error": "red", "warning": "yellow", "info": "blue", "healthy": "green", "inconclusive": "magenta"}


def render_text(diagnoses: Sequence[Diagnosis], *, audit: bool, why: bool = False, min_severity: str = "info") -> str:
    if audit:
        return audit_table(diagnoses)
    return "\n\n".join(post_mortem(d, why=why, min_severity=min_severity) for d in diagnoses) + "\n"


def _verdict_style(verdict: str) -> str:
    color = _COLORS.get(verdict, "red" if verdict == "error" else "yellow")
    return click.style(verdict.upper(), fg=color, bold=True)


def post_mortem(d: Diagnosis, *, why: bool = False, min_severity: str = "info") -> str:
    """The report on one run: verdict, ranked findings with evidence and remedies, what was not checked."""
    where = d.run if d.run != "." else d.root
    lines = [click.style(f"run: {where}", bold=True) + (f"  ({d.source})" if d.source else "")]
    if d.error:
        lines.append(f"verdict: {_verdict_style('error')}  {d.error}")
        return "\n".join(lines + _notes(d))
    lines.append(f"verdict: {_verdict_style(d.verdict)}")
    if d.metrics:
        lines.append("metrics: " + ", ".join(f"{role}={tag}" for role, tag in d.metrics.items()))
    lines += _notes(d)
    shown = [f for f in visible(d, min_severity) if f.cause != "inconclusive" or f.severity != "info"]
    for rank, group in enumerate(_by_cause(shown), 1):
        lines += [""] + _finding(rank, group[0], d, why)
        lines += [f"   also: {f.title} ({f.confidence:.2f})  [{f.rule}]" for f in group[1:]]
    advice = [f for f in d.findings if f.cause == "inconclusive" and f.severity == "info"]
    if advice:
        lines += ["", "not checked:"] + [f"  - {f.title}. {f.remedies[0] if f.remedies else ''}".rstrip() for f in advice]
    if not shown:
        lines += ["", "no finding at warning or above: the curves look like a healthy run."]
    if why and d.suppressed:
        lines += ["", "suppressed (explained by a higher-ranked finding):"]
        lines += [f"  - {f.rule} ({f.cause}), explained by {f.suppressed_by}" for f in d.suppressed]
    if why and d.not_applicable:
        lines += ["", f"not applicable (facts not logged): {', '.join(d.not_applicable)}"]
    for e in d.explanations:
        lines += [""] + _explanation(e)
    return "\n".join(lines)


def _explanation(e: Explanation) -> list[str]:
    """One rule's outcome on the run, every comparison of its condition, and the symptoms it read."""
    lines = [f"why not {e.rule}? {click.style(e.outcome, bold=True)}: {e.title}", f"   when: {e.condition}"]
    lines += [f"     {_check(c)}" for c in e.checks]
    for name, value, checks in e.symptoms:
        state = {True: "true", False: "false", None: "not checkable"}.get(value, str(value))
        lines.append(f"     symptom.{name} is {state}:")
        lines += [f"       {_check(c)}" for c in checks]
    if e.missing:
        lines.append(f"   facts this run lacks: {', '.join(e.missing)}")
    return lines


def _notes(d: Diagnosis) -> list[str]:
    """What the reader noticed in the files (a record cut short, columns ignored...)."""
    return ["read notes:"] + [f"  - {note}" for note in d.notes] if d.notes else []


def _by_cause(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Findings grouped by cause, in rank order of each cause's first finding."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.cause, []).append(f)
    return list(groups.values())


def _finding(rank: int, f: Finding, d: Diagnosis, why: bool) -> list[str]:
    severity = click.style(f.severity, fg=_COLORS[f.severity])
    lines = [f"{rank}. {severity} {click.style(f.cause, bold=True)} (confidence {f.confidence:.2f}): {f.title}  [{f.rule}]"]
    if f.step is not None:
        lines.append(f"   at step {f.step:,}")
    evidence = [f"{name} = {format_value(value)}" for name, value in f.evidence.items() if value is not None]
    if evidence:
        lines.append("   evidence: " + "; ".join(evidence))
    if f.remedies:
        lines.append("   what to do:")
        lines += [f"     - {text}" for text in f.remedies]
    if why:
        lines.append(f"   why it matters: {f.why}")
        lines.append("   because:" if f.checks or f.symptoms else "   because: its condition holds (it compares no values)")
        for name in f.symptoms:
            lines.append(f"     symptom.{name}:")
            lines += [f"       {_check(c)}" for c in d.symptom_checks.get(name, ())]
        lines += [f"     {_check(c)}" for c in f.checks]
    return lines


def _check(c) -> str:
    mark = {True: "yes", False: "no"}.get(c.result, "n/a") if isinstance(c.result, bool) else "n/a"
    return f"{c.text}: {format_value(c.left)} {c.op} {format_value(c.right)} -> {mark}"


def audit_table(diagnoses: Sequence[Diagnosis]) -> str:
    """One line per run, worst first, then counts per verdict."""
    table = [("run", "source", "steps", "verdict", "severity", "conf", "top finding")]
    for row in rows(diagnoses):
        name = row["run"] if row["run"] != "." else row["root"]
        table.append((name, row["source"], str(row["steps"]), row["verdict"], row["severity"], row["confidence"], row["error"] or row["top_finding"]))
    counts = Counter(d.verdict for d in diagnoses)
    summary = ", ".join(f"{n} {verdict}" for verdict, n in counts.most_common())
    return format_table(table) + f"\n\n{len(diagnoses)} run(s): {summary}\n"
