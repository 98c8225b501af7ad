"""The catalogue of facts detectors produce: name, meaning, unit, and when each abstains.

Each detector module declares the facts it computes next to the code that computes them; this
module gathers them so the documentation (``lossrules features --list``, docs/features.md) and
the rule checker (unknown fact names) come from one place and cannot drift from the code.
"""
from __future__ import annotations

from dataclasses import dataclass

LOSS_ROLES = ("train_loss", "val_loss")
ACC_ROLES = ("train_acc", "val_acc")
REWARD_ROLES = ("reward",)  # a reinforcement-learning return: higher is better, any sign, any scale
GAIN_ROLES = (*ACC_ROLES, *REWARD_ROLES)  # higher is better


@dataclass(frozen=True)
class Fact:
    """One documented fact. ``scope`` is a role for per-series facts (``{role}.name``)."""

    name: str
    unit: str
    meaning: str
    abstains: str = "never"
    roles: tuple[str, ...] = ()

    def names(self) -> list[str]:
        """The fact names as rules write them."""
        return [f"{role}.{self.name}" for role in self.roles] if self.roles else [self.name]


def catalogue() -> list[Fact]:
    """Every fact, in documentation order."""
    from . import chance, epochs, gap, gradients, runinfo, schedule, series

    return [*series.FACTS, *epochs.FACTS, *chance.FACTS, *gap.FACTS, *gradients.FACTS, *schedule.FACTS, *runinfo.FACTS]


def fact_names() -> set[str]:
    """Every fact name a rule may use (``hparams.*`` are open-ended and checked separately)."""
    return {name for fact in catalogue() for name in fact.names()}


def markdown() -> str:
    """The catalogue as a Markdown reference."""
    lines = [
        "# Facts reference",
        "",
        "Generated from the detector modules by `lossrules features --docs`; do not edit by hand.",
        "A fact that *abstains* is absent (not zero) and rules that need it do not apply.",
        "",
        "| fact | unit | meaning | abstains when |",
        "|---|---|---|---|",
    ]
    for fact in catalogue():
        name = f"`{{{','.join(fact.roles)}}}.{fact.name}`" if fact.roles else f"`{fact.name}`"
        lines.append(f"| {name} | {fact.unit} | {fact.meaning} | {fact.abstains} |")
    return "\n".join(lines + settings_markdown()) + "\n"


def settings_markdown() -> list[str]:
    """The detector settings section: how facts are measured, and how to change it."""
    from .settings import settings_doc

    lines = [
        "",
        "## Detector settings",
        "",
        "How the facts above are measured (not verdicts: thresholds that judge live in the rule files).",
        "Override one in `lossrules.toml` (or `[tool.lossrules.detect]` in `pyproject.toml`), e.g.",
        "`[detect]` then `smooth_fraction = 0.1`.",
        "",
        "| setting | default | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {default} | {meaning} |" for name, default, meaning in settings_doc()]
    return lines
