"""The JSON report: a stable, versioned contract (docs/json-format.md).

``{"lossrules_version", "format_version", "runs": [{"run", "root", "source", "metrics",
"verdict", "findings": [{"rule", "cause", "severity", "confidence", "title", "evidence",
"remedies", "step"}], "notes", "error"}]}``; findings ordered by rank; ``--why`` adds each finding's
``checks`` and the run's ``symptoms``.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..model import Diagnosis
from . import visible

FORMAT_VERSION = 1


def run_record(d: Diagnosis, *, why: bool = False, min_severity: str = "info") -> dict:
    """One run as a JSON-ready mapping."""
    record = {
        "run": d.run,
        "root": d.root,
        "source": d.source,
        "metrics": dict(d.metrics),
        "verdict": d.verdict,
        "findings": [_finding(f, why) for f in visible(d, min_severity)],
        "notes": list(d.notes),
        "error": d.error,
    }
    if why:
        record["symptoms"] = dict(d.symptoms)
        record["not_applicable"] = list(d.not_applicable)
        record["suppressed"] = [{"rule": f.rule, "cause": f.cause, "suppressed_by": f.suppressed_by} for f in d.suppressed]
    return record


def _finding(f, why: bool) -> dict:
    out = {
        "rule": f.rule,
        "cause": f.cause,
        "severity": f.severity,
        "confidence": f.confidence,
        "title": f.title,
        "evidence": {k: _plain(v) for k, v in f.evidence.items()},
        "remedies": list(f.remedies),
        "step": f.step,
    }
    if why:
        out["checks"] = [
            {"check": c.text, "observed": _plain(c.left), "op": c.op, "threshold": _plain(c.right), "result": _plain(c.result)}
            for c in f.checks
        ]
        out["symptoms"] = list(f.symptoms)
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str, list)):
        return value
    return str(value)


def render_json(diagnoses: Sequence[Diagnosis], *, why: bool = False, min_severity: str = "info") -> str:
    doc = {
        "lossrules_version": __version__,
        "format_version": FORMAT_VERSION,
        "runs": [run_record(d, why=why, min_severity=min_severity) for d in diagnoses],
    }
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"
