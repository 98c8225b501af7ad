"""What lossrules says of the real runs in ../shared/wild matches the expert review in
docs/wild-review.md wherever the review agrees with it: the table is the test's data, so the
review cannot drift from the tool (skipped where ../shared/wild is absent)."""
from __future__ import annotations

import re

import pytest

import lossrules

from .conftest import ROOT, WILD

REVIEW = ROOT / "docs" / "wild-review.md"
_ROW = re.compile(r"^\| (w\d{3}[^|]*) \| (\w+) \| [^|]* \| (yes|partly|no)\b")


def agreed() -> list[tuple[str, str]]:
    """(run pattern, verdict) for every run the review agrees with: ``w012 #3`` -> ``w012``, run 3."""
    out = []
    for line in REVIEW.read_text().splitlines():
        match = _ROW.match(line)
        if match and match.group(3) == "yes":
            for item in re.split(r",\s*", match.group(1).strip()):
                out.append((item.strip(), match.group(2)))
    return out


def expand(items: list[tuple[str, str]]) -> list[tuple[str, str | None, str]]:
    """(case folder, run suffix or None for every run of it, verdict); ``w012 #1, #2`` share the folder."""
    out, folder = [], None
    for item, verdict in items:
        head, _, number = item.partition("#")
        folder = head.strip() or folder
        out.append((folder, number.strip() or None, verdict))
    return out


@pytest.mark.parametrize("case, number, verdict", expand(agreed()) if WILD.is_dir() else [])
def test_the_verdict_is_the_one_the_review_agrees_with(wild, case, number, verdict):
    diagnoses = [d for d in lossrules.diagnose(wild / case) if number is None or d.run.endswith(f"#{number}")]
    assert diagnoses, f"{case} #{number}: no such run"
    assert {d.verdict for d in diagnoses} == {verdict}, [(d.run, d.verdict) for d in diagnoses]


def test_the_review_table_is_read():
    assert len(agreed()) >= 30
