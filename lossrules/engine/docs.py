"""The rules reference, generated from the rule files so it cannot drift from them."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .rules import CAUSES, Rule, RuleSet


def rule_markdown(rule: Rule, heading: str = "###") -> str:
    """One rule in fixed sections: what it detects, why it matters, evidence, what to do, parameters, origin."""
    kind = f"cause `{rule.cause}`, severity {rule.severity}" if rule.cause else f"symptom `{rule.symptom}`"
    lines = [f"{heading} `{rule.id}`: {rule.title}", "", f"*{kind}*" + (" (preview)" if rule.preview else ""), ""]
    lines += ["**What it detects.** " + (rule.detects or rule.title), "", f"Condition: `{rule.when.source}`", ""]
    lines += ["**Why it matters.** " + rule.why, ""]
    if rule.evidence:
        lines += ["**Evidence.** " + ", ".join(f"`{e}`" for e in rule.evidence), ""]
    if rule.remedies:
        lines += ["**What to do.**", ""] + [f"- {r}" for r in rule.remedies] + [""]
    if rule.params:
        lines += ["**Parameters** (override with `--set " + rule.id + ".<name>=<value>`):", ""]
        lines += [f"- `{k}` = `{v}`" for k, v in rule.params.items()] + [""]
    if rule.origin:
        lines += [f"**Origin of the defaults.** {rule.origin}", ""]
    if rule.references:
        lines += ["**References.**", ""] + [f"- {r}" for r in rule.references] + [""]
    lines.append(f"Defined in `{Path(rule.file).name}`.")
    return "\n".join(lines) + "\n"


def reference(ruleset: RuleSet) -> str:
    """The whole rules reference as Markdown: causes in a fixed order, then symptoms."""
    by_cause = defaultdict(list)
    for rule in ruleset.causes:
        by_cause[rule.cause].append(rule)
    lines = [
        "# Rules reference",
        "",
        "Generated from the rule files in `rules/` by `lossrules rules docs`; do not edit by hand.",
        "Every rule reads facts (see [facts.md](facts.md)); thresholds are its parameters.",
        "",
        "## Causes",
        "",
    ]
    lines += [f"- [`{c}`](#{c.replace('_', '-')}) ({len(by_cause[c])} rule(s))" for c in CAUSES if by_cause[c]]
    lines.append("")
    parts = ["\n".join(lines)]
    for cause in CAUSES:
        if by_cause[cause]:
            parts.append(f"## {cause}\n")
            parts += [rule_markdown(r) for r in by_cause[cause]]
    parts.append("## Symptoms\n\nObservations that cause rules build on (`symptom.<name>`).\n")
    parts += [rule_markdown(r) for r in ruleset.symptoms]
    return "\n".join(parts)
