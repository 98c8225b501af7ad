"""Rule files: load them safely, validate them strictly, and order them for evaluation.

A rule file is a YAML list of rules. Each rule names a ``cause`` (a diagnosis) or a ``symptom``
(an observation other rules can use as ``symptom.<name>``). Everything a rule may say is checked
at load time, so a typo cannot silently disable a rule: unknown keys, missing keys, wrong types,
duplicate keys or ids, conditions outside the safe expression language, fact names no detector
produces, parameters used but not declared, and cycles between symptoms. Errors name the file,
the line and the rule.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml

from ..model import LossrulesError
from .expr import Expression, ExpressionError, parse

CAUSES = (
    "nonfinite",
    "exploding_gradients",
    "vanishing_gradients",
    "lr_too_high",
    "lr_too_low",
    "overfitting",
    "underfitting",
    "insufficient_data",
    "not_enough_epochs",
    "plateau",
    "noisy_training",
    "no_learning_signal",
    "batchnorm_issue",
    "optimizer_issue",
    "inconclusive",
)
SEVERITIES = ("info", "warning", "error")
_REQUIRED = {"id", "title", "when", "why"}
_CAUSE_REQUIRED = {"cause", "severity", "evidence", "remedies", "references", "origin"}
_OPTIONAL = {"params", "confidence", "explains", "step", "preview", "symptom", "detects"}
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_TEMPLATE = re.compile(r"\{([A-Za-z_][\w.]*)\}")


class RuleError(LossrulesError):
    """A rule file that cannot be used, with the file, line and rule it is about."""


@dataclass(frozen=True)
class Rule:
    """One validated rule."""

    id: str
    title: str
    when: Expression
    why: str
    file: str
    line: int
    cause: str | None = None
    symptom: str | None = None
    severity: str = "info"
    detects: str = ""
    evidence: tuple[str, ...] = ()
    remedies: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    origin: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    confidence: Expression | None = None
    explains: tuple[str, ...] = ()
    step: str | None = None
    preview: bool = False

    @property
    def is_symptom(self) -> bool:
        return self.symptom is not None

    def names(self) -> set[str]:
        """Every name the rule reads: in its condition, confidence, evidence, step and remedies."""
        names = set(self.when.names) | set(self.evidence)
        if self.confidence is not None:
            names |= set(self.confidence.names)
        if self.step:
            names.add(self.step)
        for text in self.remedies:
            names |= set(_TEMPLATE.findall(text))
        return names


@dataclass(frozen=True)
class RuleSet:
    """Validated rules in evaluation order: symptoms (dependencies first), then causes."""

    symptoms: tuple[Rule, ...]
    causes: tuple[Rule, ...]

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.symptoms + self.causes

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise RuleError(f"no rule with id '{rule_id}'")


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (PyYAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_rule_file(path: Path) -> list[tuple[dict, int]]:
    """The raw rule mappings of one file with their line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read ({exc})") from None
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: {_yaml_message(exc)}") from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise RuleError(f"{path}: a rule file holds a list of rules (each starting with '- id: ...')")
    return [(item, node.start_mark.line + 1) for item, node in zip(data, root.value)]


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}: {problem}" if mark else problem


def rule_files(folders: Iterable[Path]) -> list[Path]:
    """Rule files (``*.yaml``) in the folders, sorted, the metric and hyperparameter tables excluded."""
    files = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise RuleError(f"{folder}: not a folder of rule files")
        files += sorted(p for p in folder.glob("*.yaml") if p.name not in ("roles.yaml", "hparams.yaml"))
    return files


def build_rule(raw: Any, file: str, line: int) -> Rule:
    """Validate one raw rule mapping (structure and expressions; names are checked by the set)."""
    where = f"{file}:{line}"
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: each rule is a mapping with 'id', 'title', 'when', ...")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RuleError(f"{where}: rule id {rule_id!r} must look like 'cause.short_name' (lower case, dotted)")
    where = f"{where}: rule '{rule_id}'"
    keys = set(raw)
    unknown = keys - _REQUIRED - _CAUSE_REQUIRED - _OPTIONAL
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}")
    if ("cause" in raw) == ("symptom" in raw):
        raise RuleError(f"{where}: a rule names either a 'cause' or a 'symptom'")
    missing = _REQUIRED - keys | (_CAUSE_REQUIRED - keys if "cause" in raw else set())
    if missing:
        raise RuleError(f"{where}: missing key(s) {sorted(missing)}")
    try:
        return _fields(raw, file, line)
    except (ExpressionError, TypeError, ValueError) as exc:
        raise RuleError(f"{where}: {exc}") from None


def _fields(raw: dict, file: str, line: int) -> Rule:
    cause, symptom = raw.get("cause"), raw.get("symptom")
    if cause is not None and cause not in CAUSES:
        raise ValueError(f"unknown cause '{cause}'; one of {', '.join(CAUSES)}")
    if symptom is not None and (not isinstance(symptom, str) or not re.match(r"^[a-z][a-z0-9_]*$", symptom)):
        raise ValueError(f"symptom name {symptom!r} must be lower_case")
    severity = raw.get("severity", "info")
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    params = raw.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(v, (int, float, str, bool)) for v in params.values()):
        raise ValueError("params must map names to numbers, strings or booleans")
    explains = _strings(raw, "explains")
    bad = [c for c in explains if c not in CAUSES]
    if bad:
        raise ValueError(f"explains unknown cause(s) {bad}")
    confidence = raw.get("confidence", 0.5)
    return Rule(
        id=raw["id"],
        title=_text(raw, "title"),
        when=parse(_text(raw, "when")),
        why=_text(raw, "why"),
        file=file,
        line=line,
        cause=cause,
        symptom=symptom,
        severity=severity,
        detects=str(raw.get("detects", "")).strip(),
        evidence=_strings(raw, "evidence"),
        remedies=_strings(raw, "remedies"),
        references=_strings(raw, "references"),
        origin=str(raw.get("origin", "")).strip(),
        params=dict(params),
        confidence=parse(str(confidence)),
        explains=explains,
        step=raw.get("step"),
        preview=bool(raw.get("preview", False)),
    )


def _text(raw: dict, key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{key}' must be non-empty text")
    return value.strip()


def _strings(raw: dict, key: str) -> tuple[str, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"'{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def assemble(rules: list[Rule], known_facts: set[str], known_params: set[str]) -> RuleSet:
    """Check names, uniqueness and symptom cycles; order symptoms so dependencies come first."""
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            first = seen[rule.id]
            raise RuleError(f"{rule.file}:{rule.line}: rule id '{rule.id}' already used at {first.file}:{first.line}")
        seen[rule.id] = rule
    symptoms = {r.symptom for r in rules if r.is_symptom}
    for rule in rules:
        _check_names(rule, known_facts, known_params, symptoms)
    graph = {}
    for rule in rules:
        if rule.is_symptom:
            graph.setdefault(rule.symptom, set()).update(n.split(".", 1)[1] for n in rule.names() if n.startswith("symptom."))
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise RuleError(f"symptom rules form a cycle: {cycle}") from None
    rank = {name: i for i, name in enumerate(order)}
    ordered = sorted((r for r in rules if r.is_symptom), key=lambda r: rank[r.symptom])
    return RuleSet(tuple(ordered), tuple(r for r in rules if not r.is_symptom))


def _check_names(rule: Rule, known_facts: set[str], known_params: set[str], symptoms: set[str]) -> None:
    where = f"{rule.file}:{rule.line}: rule '{rule.id}'"
    for name in sorted(rule.names()):
        head, _, rest = name.partition(".")
        if head == "params":
            if rest not in rule.params:
                raise RuleError(f"{where}: uses params.{rest} but declares no such parameter")
        elif head == "symptom":
            if rest not in symptoms:
                raise RuleError(f"{where}: uses symptom.{rest} but no rule defines that symptom")
        elif head == "hparams":
            if rest not in known_params:
                raise RuleError(f"{where}: unknown hyperparameter hparams.{rest}; known: {', '.join(sorted(known_params))}")
        elif name not in known_facts:
            close = [f for f in known_facts if f.split(".")[-1] == name.split(".")[-1]][:3]
            hint = f" (did you mean {', '.join(sorted(close))}?)" if close else ""
            raise RuleError(f"{where}: unknown fact '{name}'{hint}")


def with_params(ruleset: RuleSet, overrides: Mapping[str, Any]) -> RuleSet:
    """A copy with parameters overridden by ``{"rule.id.param": value}``; unknown names are errors."""
    changes: dict[str, dict] = {}
    for key, value in overrides.items():
        rule_id, _, param = str(key).rpartition(".")
        rule = ruleset.get(rule_id) if rule_id else None
        if rule is None or param not in rule.params:
            known = ", ".join(sorted(rule.params)) if rule else "none"
            raise RuleError(f"--set {key}: rule '{rule_id}' has no parameter '{param}' (it has: {known})")
        default = rule.params[param]
        changes.setdefault(rule_id, dict(rule.params))[param] = _coerce(value, default, key)
    def update(rule: Rule) -> Rule:
        return replace(rule, params=changes[rule.id]) if rule.id in changes else rule

    return RuleSet(tuple(map(update, ruleset.symptoms)), tuple(map(update, ruleset.causes)))


def _coerce(value: Any, default: Any, key: str) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
    elif isinstance(default, (int, float)):
        try:
            return float(value) if isinstance(default, float) or "." in str(value) else int(value)
        except (TypeError, ValueError):
            pass
    elif isinstance(default, str):
        return str(value)
    raise RuleError(f"--set {key}: expected a value like {default!r}, got {value!r}")


def select(ruleset: RuleSet, selected: Iterable[str] = (), ignored: Iterable[str] = ()) -> RuleSet:
    """Keep the cause rules matching ``selected`` (all if empty) minus ``ignored``.

    A pattern matches a rule id, an id prefix ending at a dot (``overfitting``), or a cause.
    Symptom rules always stay: cause rules may depend on them.
    """
    selected, ignored = list(selected), list(ignored)
    _check_patterns(ruleset, selected + ignored)

    def keep(rule: Rule) -> bool:
        return (not selected or any(_matches(rule, p) for p in selected)) and not any(_matches(rule, p) for p in ignored)

    return RuleSet(ruleset.symptoms, tuple(r for r in ruleset.causes if keep(r)))


def matching(ruleset: RuleSet, patterns: Iterable[str]) -> list[Rule]:
    """The rules (symptoms included) matching any pattern, in rule-set order; a pattern that
    matches nothing is an error, as for ``select``."""
    patterns = list(patterns)
    _check_patterns(ruleset, patterns)
    return [r for r in ruleset.rules if any(_matches(r, p) for p in patterns)]


def _check_patterns(ruleset: RuleSet, patterns: list[str]) -> None:
    """Refuse a pattern that matches no rule: a typo must not silently select nothing."""
    for pattern in patterns:
        if not any(_matches(r, pattern) for r in ruleset.rules):
            raise RuleError(f"'{pattern}' matches no rule id, cause or symptom")


def _matches(rule: Rule, pattern: str) -> bool:
    return rule.id == pattern or rule.id.startswith(pattern + ".") or rule.cause == pattern or rule.symptom == pattern
