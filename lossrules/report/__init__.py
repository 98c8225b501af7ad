"""Reports: they present diagnoses, they never decide. One module per output format."""
from __future__ import annotations

from collections.abc import Sequence

from ..model import SEVERITY_RANK, Diagnosis

FORMATS = ("text", "json", "csv", "markdown", "html")


def visible(diagnosis: Diagnosis, min_severity: str) -> list:
    """The findings at or above a severity."""
    floor = SEVERITY_RANK[min_severity]
    return [f for f in diagnosis.findings if SEVERITY_RANK[f.severity] >= floor]


def worst_first(diagnoses: Sequence[Diagnosis]) -> list[Diagnosis]:
    """Errors, then runs by their top finding's severity and confidence, then healthy ones."""

    def key(d: Diagnosis):
        if d.error:
            return (0, 0.0, d.run)
        top = d.top
        serious = top is not None and d.verdict not in ("healthy",)
        return (1, -(SEVERITY_RANK[top.severity] * 10 + top.confidence) if serious else 0.0, d.root, d.run)

    return sorted(diagnoses, key=key)


def render(diagnoses: Sequence[Diagnosis], fmt: str, *, audit: bool, why: bool = False, min_severity: str = "info") -> str:
    """The report in one format: ``audit`` asks for the table of many runs."""
    if fmt == "json":
        from .jsonout import render_json

        return render_json(diagnoses, why=why, min_severity=min_severity)
    if fmt == "csv":
        from .table import render_csv

        return render_csv(diagnoses)
    if fmt == "markdown":
        from .markdown import render_markdown

        return render_markdown(diagnoses, audit=audit, min_severity=min_severity)
    if fmt == "html":
        from .html import render_html

        return render_html(diagnoses, audit=audit, min_severity=min_severity)
    from .text import render_text

    return render_text(diagnoses, audit=audit, why=why, min_severity=min_severity)
