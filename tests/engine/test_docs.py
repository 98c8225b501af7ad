"""The rules reference in docs/ is generated from the rule files and kept in step with them."""
from __future__ import annotations

from lossrules.engine.docs import reference
from lossrules.engine.load import load_ruleset

from ..conftest import ROOT


def test_docs_rules_md_is_current():
    assert (ROOT / "docs" / "rules.md").read_text() == reference(load_ruleset()), "run: lossrules rules docs -o docs/rules.md"


def test_every_rule_documents_its_sections():
    text = reference(load_ruleset())
    for rule in load_ruleset().causes:
        section = text[text.index(f"`{rule.id}`") :]
        assert "**What it detects.**" in section and "**Why it matters.**" in section, rule.id
        if rule.severity != "info" and rule.cause != "inconclusive":
            assert "**What to do.**" in section and "**Origin of the defaults.**" in section, rule.id
