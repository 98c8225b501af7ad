"""Markdown reports: the audit table, or a section per run (for pull requests and wikis)."""
from __future__ import annotations

from collections.abc import Sequence

from ..engine.evaluate import format_value
from ..model import Diagnosis
from . import visible
from .table import rows


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(diagnoses: Sequence[Diagnosis], *, audit: bool, min_severity: str = "info") -> str:
    lines = ["| run | source | steps | verdict | severity | confidence | top finding |", "|---|---|---|---|---|---|---|"]
    for row in rows(diagnoses):
        cells = (row["run"], row["source"], row["steps"], f"**{row['verdict']}**", row["severity"], row["confidence"], row["error"] or row["top_finding"])
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if audit:
        return "\n".join(lines) + "\n"
    for d in diagnoses:
        lines += ["", f"## {_cell(d.run)}: {d.verdict}", ""]
        lines += [f"- read note: {_cell(n)}" for n in d.notes]
        for f in visible(d, min_severity):
            lines.append(f"- **{f.cause}** ({f.severity}, {f.confidence:.2f}): {f.title} `{f.rule}`")
            evidence = ", ".join(f"`{k}` = {format_value(v)}" for k, v in f.evidence.items() if v is not None)
            if evidence:
                lines.append(f"  - evidence: {evidence}")
            lines += [f"  - {r}" for r in f.remedies]
    return "\n".join(lines) + "\n"
