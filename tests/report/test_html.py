"""HTML report annotations come from the findings and facts, never from thresholds of its own."""
from __future__ import annotations

import lossrules
from lossrules.report.html import _markers

from ..conftest import ROOT


def markers(path: str) -> list:
    (diagnosis,) = lossrules.diagnose(ROOT / "fixtures" / path, curves=True)
    return _markers(diagnosis)


def test_a_plateau_is_drawn_as_a_span_where_the_plateau_cause_was_found():
    (span,) = [m for m in markers("corpus/c038") if m.label == "plateau"]
    assert span.span is not None and span.span > span.x


def test_no_plateau_is_drawn_where_no_plateau_was_found():
    assert all(m.label != "plateau" for m in markers("corpus/c005"))


def test_a_reinforcement_learning_run_gets_a_reward_chart_and_a_supervised_one_none():
    from lossrules.report.html import _charts

    (grpo,) = lossrules.diagnose(ROOT / "fixtures" / "rulecases" / "no_learning_signal_reward_flat", curves=True)
    (supervised,) = lossrules.diagnose(ROOT / "fixtures" / "corpus" / "c005", curves=True)
    assert ">reward<" in _charts(grpo) and ">reward<" not in _charts(supervised)
