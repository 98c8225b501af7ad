"""Evaluate a rule set on one run's facts: symptoms, then causes, then a ranked diagnosis.

The engine never computes statistics: it reads facts, compares them with the thresholds rules
declare, and keeps the chain of comparisons so each finding can say why it fired.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..model import SEVERITY_RANK, Diagnosis, Explanation, Finding, Run, is_number
from .expr import UNKNOWN, lookup_in
from .rules import Rule, RuleSet, matching

_TEMPLATE = re.compile(r"\{([A-Za-z_][\w.]*)\}")


def diagnose_facts(facts: Mapping[str, Any], ruleset: RuleSet, run: Run | None = None) -> Diagnosis:
    """The diagnosis of one run from its facts.

    A symptom is an observation: to cause rules it is true when its rule fired and false
    otherwise, so ``not symptom.val_rising`` holds for a run without a validation loss (the
    report still shows which symptoms could not be checked).
    """
    symptoms: dict[str, Any] = {}
    symptom_checks: dict[str, tuple] = {}
    not_applicable = []
    for rule in ruleset.symptoms:
        trace: list = []
        value = _condition(rule, facts, symptoms, trace)
        if value is True:
            symptom_checks.setdefault(rule.symptom, tuple(trace))
        previous = symptoms.get(rule.symptom, False)
        symptoms[rule.symptom] = True if value is True or previous is True else (UNKNOWN if UNKNOWN in (value, previous) else False)
    observed = {name: value is True for name, value in symptoms.items()}
    findings = []
    for rule in ruleset.causes:
        trace: list = []
        value = _condition(rule, facts, observed, trace)
        if value is UNKNOWN:
            not_applicable.append(rule.id)
        elif value is True:
            findings.append(_finding(rule, facts, observed, trace))
    kept, suppressed = _rank(findings, {r.id: r.explains for r in ruleset.causes})
    return Diagnosis(
        run=run.name if run else "",
        root=run.root if run else "",
        source=run.source if run else "",
        verdict=verdict(kept),
        findings=tuple(kept),
        suppressed=tuple(suppressed),
        symptoms={k: (None if v is UNKNOWN else v) for k, v in symptoms.items()},
        not_applicable=tuple(not_applicable),
        metrics=run.roles if run else {},
        facts=dict(facts),
        steps=facts.get("run.steps"),
        notes=run.notes if run else (),
        symptom_checks=symptom_checks,
    )


def explain(d: Diagnosis, ruleset: RuleSet, patterns: list[str]) -> Diagnosis:
    """The diagnosis with an :class:`Explanation` of every rule matching ``patterns`` (rule ids,
    id prefixes, causes or symptoms): what it compared, on which values, and what came of it."""
    observed = {name: value is True for name, value in d.symptoms.items()}
    fired = {f.rule: "fired" for f in d.findings} | {f.rule: f"suppressed (explained by {f.suppressed_by})" for f in d.suppressed}
    out = []
    for rule in matching(ruleset, patterns):
        trace: list = []
        value = _condition(rule, d.facts, observed, trace, exhaustive=True)
        outcome = fired.get(rule.id) or ("not applicable" if value is UNKNOWN else "fired" if value else "did not fire")
        read = _symptoms_read(rule, d, ruleset, observed)
        out.append(Explanation(rule.id, rule.title, rule.when.source, outcome, tuple(trace), read, _missing(rule, d.facts)))
    return replace(d, explanations=tuple(out))


def _symptoms_read(rule: Rule, d: Diagnosis, ruleset: RuleSet, observed: Mapping[str, bool]) -> tuple[tuple[str, Any, tuple], ...]:
    """Each symptom the rule reads: its value on the run and the comparisons of its rules."""
    out = []
    for name in sorted(n.split(".", 1)[1] for n in rule.when.names if n.startswith("symptom.")):
        checks: list = []
        for symptom_rule in ruleset.symptoms:
            if symptom_rule.symptom == name:
                _condition(symptom_rule, d.facts, observed, checks, exhaustive=True)
        out.append((name, d.symptoms.get(name), tuple(checks)))
    return tuple(out)


def _missing(rule: Rule, facts: Mapping[str, Any]) -> tuple[str, ...]:
    """Facts the rule's condition names that the run does not have."""
    return tuple(sorted(n for n in rule.when.names if not n.startswith(("params.", "symptom.")) and n not in facts))


def _lookup(rule: Rule, facts: Mapping[str, Any], symptoms: Mapping[str, Any]):
    extra = {f"params.{k}": v for k, v in rule.params.items()}
    extra.update({f"symptom.{k}": v for k, v in symptoms.items()})
    return lookup_in(facts, extra)


def _condition(rule: Rule, facts, symptoms, trace: list | None = None, exhaustive: bool = False) -> Any:
    """True, False or UNKNOWN (the facts it needs are absent); ``exhaustive`` traces every comparison."""
    value = rule.when.evaluate(_lookup(rule, facts, symptoms), trace, exhaustive)
    if value is UNKNOWN:
        return UNKNOWN
    return bool(value) if not isinstance(value, bool) else value


def _finding(rule: Rule, facts: Mapping, symptoms: Mapping, trace: list) -> Finding:
    lookup = _lookup(rule, facts, symptoms)
    confidence = rule.confidence.evaluate(lookup) if rule.confidence is not None else 0.5
    if not is_number(confidence) or math.isnan(confidence):
        confidence = 0.5
    step = lookup(rule.step) if rule.step else None
    return Finding(
        rule=rule.id,
        cause=rule.cause,
        severity=rule.severity,
        confidence=round(min(max(float(confidence), 0.0), 1.0), 3),
        title=rule.title,
        evidence={name: _plain(lookup(name)) for name in rule.evidence},
        remedies=tuple(render(text, lookup) for text in rule.remedies),
        why=rule.why,
        step=int(step) if is_number(step) and math.isfinite(step) else None,
        checks=tuple(trace),
        symptoms=tuple(sorted(n.split(".", 1)[1] for n in rule.when.names if n.startswith("symptom.") and symptoms.get(n.split(".", 1)[1]) is True)),
    )


def _plain(value: Any) -> Any:
    return None if value is UNKNOWN else value


_OPTIONAL = re.compile(r"\s?\(([^()]*\{[A-Za-z_][\w.]*\}[^()]*)\)")


def render(text: str, lookup) -> str:
    """Fill ``{fact}`` placeholders with the run's values; no attribute access, no formatting code.

    A parenthesised part whose placeholders the run cannot fill is left out, so
    "Lower the learning rate (logged: {hparams.lr})" reads well when no lr was logged.
    """

    def optional(match: re.Match) -> str:
        names = _TEMPLATE.findall(match.group(1))
        return match.group(0) if all(lookup(n) is not UNKNOWN for n in names) else ""

    def fill(match: re.Match) -> str:
        return format_value(lookup(match.group(1)))

    return _TEMPLATE.sub(fill, _OPTIONAL.sub(optional, text))


def format_value(value: Any) -> str:
    """A value as people read it: 1,200 for steps, 3 significant digits for measures."""
    if value is UNKNOWN or value is None:
        return "?"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.3g}"
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value[:10]) + (" ..." if len(value) > 10 else "")
    return str(value)


def _rank(findings: list[Finding], explains: Mapping[str, tuple[str, ...]]) -> tuple[list[Finding], list[Finding]]:
    """Order by severity then confidence, and let findings suppress the causes they explain.

    An explanation holds whatever the rank of the finding it explains (a root cause may be
    less certain than its consequence); where two findings explain each other's causes, the
    higher-ranked one stands.
    """
    ordered = sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], -f.confidence, f.rule))
    position = {f.rule: i for i, f in enumerate(ordered)}

    def explainer(finding: Finding) -> Finding | None:
        for other in ordered:
            if other.cause == finding.cause or finding.cause not in explains.get(other.rule, ()):
                continue
            mutual = any(other.cause in explains.get(f.rule, ()) for f in ordered if f.cause == finding.cause)
            if not mutual or position[other.rule] < position[finding.rule]:
                return other
        return None

    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in ordered:
        cause = explainer(finding)
        if cause is None:
            kept.append(finding)
        else:
            suppressed.append(replace(finding, suppressed_by=cause.rule))
    return kept, suppressed


def verdict(findings: list[Finding]) -> str:
    """The top cause at warning or above; inconclusive if only that; else healthy."""
    serious = [f for f in findings if SEVERITY_RANK[f.severity] >= SEVERITY_RANK["warning"]]
    causes = [f for f in serious if f.cause != "inconclusive"]
    if causes:
        return causes[0].cause
    return "inconclusive" if serious else "healthy"
