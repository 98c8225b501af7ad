"""Every shipped rule fires on a real run where it must, and stays quiet on one where it must not;
where a case names what a rule ``explains``, its finding suppresses that cause's there.

The cases are data, in cases.yaml: adding a rule means adding one entry there. ``pytest -k RULE_ID``
runs one rule's cases.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

import lossrules
from lossrules.engine.load import load_ruleset
from lossrules.model import Diagnosis

from ..conftest import ROOT

CASES_FILE = Path(__file__).with_name("cases.yaml")
CASES = yaml.safe_load(CASES_FILE.read_text()) or {}
RULESET = load_ruleset()


@cache
def diagnosis(spec: str) -> Diagnosis:
    """The diagnosis of the one run a case names: a path under fixtures/, optionally '#<run name>'."""
    path, _, name = spec.partition("#")
    found = lossrules.diagnose(ROOT / "fixtures" / path)
    chosen = [d for d in found if not name or d.run == name]
    assert len(chosen) == 1, f"{spec} names {len(chosen)} runs: {[d.run for d in found]}"
    return chosen[0]


def fired(rule_id: str, d: Diagnosis) -> bool:
    rule = RULESET.get(rule_id)
    if rule.is_symptom:
        return d.symptoms.get(rule.symptom) is True
    return any(f.rule == rule_id for f in d.findings + d.suppressed)


def test_every_shipped_rule_has_a_firing_and_a_quiet_case():
    missing = [r.id for r in RULESET.rules if not {"fires", "quiet"} <= set(CASES.get(r.id, {}))]
    assert not missing, f"rules without fire/quiet cases in {CASES_FILE.name}: {missing}"
    unknown = set(CASES) - {r.id for r in RULESET.rules}
    assert not unknown, f"cases for rules that do not exist: {unknown}"
    undeclared = [(rule, cause) for rule, case in CASES.items() for cause in case.get("explains", {}) if cause not in RULESET.get(rule).explains]
    assert not undeclared, f"explains cases for relations the rules do not declare: {undeclared}"


def _specs(kind: str):
    for rule, case in CASES.items():
        specs = case.get(kind) or []
        for spec in [specs] if isinstance(specs, str) else specs:
            yield pytest.param(rule, spec, id=f"{rule}-{kind}-{spec}")


@pytest.mark.parametrize("rule_id, spec", list(_specs("fires")))
def test_rule_fires_where_it_must(rule_id, spec):
    d = diagnosis(spec)
    assert fired(rule_id, d), f"{rule_id} did not fire on {spec}; verdict {d.verdict}, findings {[f.rule for f in d.findings]}"


@pytest.mark.parametrize("rule_id, spec", list(_specs("quiet")))
def test_rule_stays_quiet_where_it_must(rule_id, spec):
    d = diagnosis(spec)
    assert not fired(rule_id, d), f"{rule_id} fired on {spec}"


@pytest.mark.parametrize(
    "rule_id, cause, spec",
    [pytest.param(rule, cause, spec, id=f"{rule}-explains-{cause}") for rule, case in CASES.items() for cause, spec in case.get("explains", {}).items()],
)
def test_rule_explains_the_cause_it_declares(rule_id, cause, spec):
    d = diagnosis(spec)
    assert fired(rule_id, d), f"{rule_id} did not fire on {spec}"
    explained = [f.rule for f in d.suppressed if f.cause == cause and f.suppressed_by == rule_id]
    assert explained, f"no {cause} finding on {spec} is explained by {rule_id}: suppressed {[(f.rule, f.suppressed_by) for f in d.suppressed]}"

