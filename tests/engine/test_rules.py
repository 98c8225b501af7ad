"""Rule files: strict validation with clear errors, overrides, selection, and evaluation."""
from __future__ import annotations

import textwrap

import pytest

from lossrules.engine.evaluate import diagnose_facts, render
from lossrules.engine.expr import lookup_in
from lossrules.engine.load import load_ruleset
from lossrules.engine.rules import RuleError, select, with_params

GOOD = """
- id: overfitting.test_rule
  title: Validation rises
  cause: overfitting
  severity: warning
  params: {min_rise: 0.1}
  when: val_loss.rise_from_min > params.min_rise and symptom.testing_up
  step: val_loss.argmin_step
  evidence: [val_loss.rise_from_min]
  remedies: ["Stop at step {val_loss.argmin_step}."]
  why: Because.
  references: [x]
  origin: test
  explains: [not_enough_epochs]
- id: symptom.testing_up
  symptom: testing_up
  title: up
  when: val_loss.rise_from_min > 0
  why: w
"""


def write(tmp_path, text: str, name: str = "custom.yaml"):
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def load_alone(folder):
    return load_ruleset([folder], include_builtin=False)


def test_a_valid_folder_loads_with_symptoms_ordered_first(tmp_path):
    ruleset = load_alone(write(tmp_path, GOOD))
    assert [r.id for r in ruleset.symptoms] == ["symptom.testing_up"]
    assert [r.id for r in ruleset.causes] == ["overfitting.test_rule"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: s.replace("val_loss.rise_from_min > params", "val_loss.rise_form_min > params"), "unknown fact 'val_loss.rise_form_min'"),
        (lambda s: s.replace("params.min_rise and", "params.min_rse and"), "declares no such parameter"),
        (lambda s: s.replace("cause: overfitting", "cause: overfiting"), "unknown cause 'overfiting'"),
        (lambda s: s.replace("severity: warning", "severity: fatal"), "severity"),
        (lambda s: s.replace("  why: Because.\n", ""), "missing key"),
        (lambda s: s.replace("  origin: test\n", "  origin: test\n  colour: red\n"), "unknown key"),
        (lambda s: s.replace("  origin: test\n", "  origin: test\n  origin: again\n"), "duplicate key 'origin'"),
        (lambda s: s.replace("id: symptom.testing_up", "id: overfitting.test_rule"), "already used"),
        (lambda s: s.replace("and symptom.testing_up", "and symptom.nope"), "no rule defines that symptom"),
        (lambda s: s.replace("id: overfitting.test_rule", "id: Overfitting Rule"), "must look like"),
        (lambda s: s.replace("when: val_loss.rise_from_min > 0\n", "when: __import__('os').system('x')\n"), "not a function"),
        (lambda s: s.replace("hparams", "hparams") + "\n- id: optimizer_issue.x\n  title: t\n  cause: optimizer_issue\n  severity: info\n  when: hparams.learning_rte > 1\n  evidence: []\n  remedies: []\n  why: w\n  references: []\n  origin: o\n", "unknown hyperparameter"),
        (lambda s: "not: [valid", "line"),
        (lambda s: "id: x", "holds a list of rules"),
    ],
)
def test_malformed_rules_are_refused_naming_file_and_rule(tmp_path, mutate, message):
    write(tmp_path, mutate(GOOD))
    with pytest.raises(RuleError) as err:
        load_alone(tmp_path)
    assert "custom.yaml" in str(err.value) or "cycle" in str(err.value)
    assert message in str(err.value)


def test_symptom_cycles_are_refused(tmp_path):
    cyclic = """
    - id: symptom.a
      symptom: a
      title: a
      when: symptom.b
      why: w
    - id: symptom.b
      symptom: b
      title: b
      when: symptom.a
      why: w
    """
    with pytest.raises(RuleError, match="cycle"):
        load_alone(write(tmp_path, cyclic))


def test_yaml_python_tags_cannot_construct_objects(tmp_path):
    hostile = GOOD.replace("origin: test", "origin: !!python/object/apply:os.system ['touch " + str(tmp_path / "pwned") + "']")
    with pytest.raises(RuleError):
        load_alone(write(tmp_path, hostile))
    assert not (tmp_path / "pwned").exists()


def test_parameter_overrides_are_validated_and_applied(tmp_path):
    ruleset = load_alone(write(tmp_path, GOOD))
    assert with_params(ruleset, {"overfitting.test_rule.min_rise": "0.5"}).get("overfitting.test_rule").params["min_rise"] == 0.5
    with pytest.raises(RuleError, match="no parameter 'min_ris'"):
        with_params(ruleset, {"overfitting.test_rule.min_ris": 1})
    with pytest.raises(RuleError, match="expected a value like"):
        with_params(ruleset, {"overfitting.test_rule.min_rise": "high"})


def test_select_and_ignore_by_id_prefix_or_cause(tmp_path):
    ruleset = load_alone(write(tmp_path, GOOD))
    assert select(ruleset, ignored=["overfitting"]).causes == ()
    assert len(select(ruleset, selected=["overfitting.test_rule"]).causes) == 1
    with pytest.raises(RuleError, match="matches no rule"):
        select(ruleset, selected=["nonsense"])


def test_evaluation_fires_explains_and_renders_remedies(tmp_path):
    ruleset = load_alone(write(tmp_path, GOOD))
    diagnosis = diagnose_facts({"val_loss.rise_from_min": 0.4, "val_loss.argmin_step": 1200}, ruleset)
    assert diagnosis.verdict == "overfitting"
    (finding,) = diagnosis.findings
    assert finding.step == 1200 and finding.remedies == ("Stop at step 1,200.",)
    assert finding.symptoms == ("testing_up",) and diagnosis.symptom_checks["testing_up"]
    assert [c.result for c in finding.checks] == [True]


def test_rules_whose_facts_are_absent_are_not_applicable_not_errors(tmp_path):
    plain = GOOD.replace(" and symptom.testing_up", "")
    diagnosis = diagnose_facts({}, load_alone(write(tmp_path, plain)))
    assert diagnosis.verdict == "healthy" and diagnosis.not_applicable == ("overfitting.test_rule",)
    assert diagnosis.symptoms == {"testing_up": None}  # reported as not checkable


def test_an_unobserved_symptom_is_false_to_cause_rules(tmp_path):
    negated = GOOD.replace("and symptom.testing_up", "and not symptom.testing_up")
    diagnosis = diagnose_facts({"val_loss.rise_from_min": 0.4}, load_alone(write(tmp_path, negated.replace("when: val_loss.rise_from_min > 0\n", "when: gap.final > 1\n"))))
    assert [f.rule for f in diagnosis.findings] == ["overfitting.test_rule"]


def test_templates_fill_facts_and_never_walk_attributes():
    lookup = lookup_in({"a.b": 1200, "x": 0.123456})
    assert render("{a.b} {x} {missing.fact}", lookup) == "1,200 0.123 ?"
    assert render("{a.b.__class__}", lookup) == "?"


def test_the_shipped_rules_load_and_every_cause_has_a_rule():
    from lossrules.engine.rules import CAUSES

    ruleset = load_ruleset()
    covered = {r.cause for r in ruleset.causes}
    assert covered == set(CAUSES)
    for rule in ruleset.causes:
        assert rule.remedies or rule.cause == "inconclusive", rule.id
        assert rule.origin, rule.id


def test_every_threshold_in_a_shipped_condition_is_a_parameter():
    """A number compared in a condition must come from ``params`` so that ``--set`` can change it;
    only 0 (a sign or an exact zero, a measurement rather than a threshold) may be written as is."""
    import ast

    literal = []
    for rule in load_ruleset().rules:
        for node in ast.walk(rule.when.tree):
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    if isinstance(side, ast.Constant) and isinstance(side.value, (int, float)) and not isinstance(side.value, bool) and side.value != 0:
                        literal.append(f"{rule.id}: {ast.unparse(node)}")
    assert not literal, literal
