"""The audit table: one row per run, as text columns or CSV."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ..model import Diagnosis

COLUMNS = ("run", "root", "source", "steps", "verdict", "severity", "confidence", "top_finding", "rule", "error")


def rows(diagnoses: Sequence[Diagnosis]) -> list[dict]:
    """Table rows, in the order given (the command line sorts: worst runs first by default)."""
    out = []
    for d in diagnoses:
        top = next((f for f in d.findings if f.cause == d.verdict), None) or next(
            (f for f in d.findings if f.cause != "inconclusive"), None
        )
        out.append(
            {
                "run": d.run,
                "root": d.root,
                "source": d.source,
                "steps": "" if d.steps is None else d.steps,
                "verdict": d.verdict,
                "severity": top.severity if top else "",
                "confidence": f"{top.confidence:.2f}" if top else "",
                "top_finding": top.title if top else "",
                "rule": top.rule if top else "",
                "error": d.error or "",
            }
        )
    return out


def render_csv(diagnoses: Sequence[Diagnosis]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(diagnoses))
    return buffer.getvalue()
