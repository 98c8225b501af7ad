"""Build the rule set a diagnosis uses: shipped rules, user folders, overrides, selection."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..resources import builtin_rules_dir
from .rules import RuleSet, assemble, build_rule, read_rule_file, rule_files, select, with_params


def known_names() -> tuple[set[str], set[str]]:
    """(fact names detectors produce, canonical hyperparameter names)."""
    from ..detect import fact_names
    from ..ingest.params import load_param_table

    return fact_names(), set(load_param_table())


def load_ruleset(
    folders: Iterable[Path | str] | None = None,
    *,
    extra: Iterable[Path | str] = (),
    params: Mapping[str, Any] | None = None,
    selected: Iterable[str] = (),
    ignored: Iterable[str] = (),
    include_builtin: bool = True,
) -> RuleSet:
    """Rules from the shipped folder (unless ``include_builtin`` is False) and ``extra`` folders."""
    base = [builtin_rules_dir()] if include_builtin and folders is None else [Path(f) for f in folders or []]
    unique = list(dict.fromkeys(p.resolve() for p in base + [Path(f) for f in extra]))  # a folder given twice loads once
    rules = []
    for path in rule_files(unique):
        rules += [build_rule(raw, str(path), line) for raw, line in read_rule_file(path)]
    facts, hparams = known_names()
    ruleset = assemble(rules, facts, hparams)
    if params:
        ruleset = with_params(ruleset, params)
    return select(ruleset, selected, ignored)
