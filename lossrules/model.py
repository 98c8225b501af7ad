"""The data that flows through lossrules: runs as loaded from disk, and the errors it raises."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SCALAR_COLUMNS = ("tag", "step", "value", "wall_time")


def is_number(value: Any) -> bool:
    """An int or float that is not a bool (JSON, YAML and facts mix the three)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class LossrulesError(Exception):
    """An error lossrules reports to the user in one line (no traceback)."""


class InputError(LossrulesError):
    """A path or file that cannot be read as training logs."""


class NoRunsFound(InputError):
    """A path that holds no readable training run."""


@dataclass(frozen=True)
class MetricBinding:
    """One logged series playing a role (``train_loss``, ``val_loss``, ``lr``...) in a run.

    ``per`` says whether the series is logged per optimisation step, per epoch, or unknown.
    A derived series (e.g. the sum of YOLO's loss components) names its ``components``.
    """

    role: str
    tag: str
    per: str = "unknown"
    components: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Run:
    """One training run as read from its logs.

    ``name`` is the run's path relative to the root it was found under (``.`` for the root
    itself); ``scalars`` is a long frame with columns ``tag`` (categorical), ``step`` (int64),
    ``value`` (float64) and ``wall_time`` (float64, NaN where unknown), sorted by tag and step.
    ``hparams`` are the hyperparameters as logged (flattened to dotted keys); ``params`` the
    canonical ones rules can rely on (``lr``, ``batch_size``, ``optimizer``...). ``notes`` say
    what was odd while reading (a truncated record, an ignored column); a run that could not be
    read at all has ``error`` set and an empty frame.
    """

    name: str
    root: str
    source: str
    files: tuple[str, ...]
    scalars: pd.DataFrame
    hparams: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: tuple[MetricBinding, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the run was read (possibly with notes)."""
        return self.error is None

    @property
    def tags(self) -> list[str]:
        """The tags of the scalar series, in frame order."""
        return [str(t) for t in self.scalars["tag"].cat.categories]

    def series(self, tag: str) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of one tag as numpy arrays (empty when the tag is absent)."""
        rows = self.scalars[self.scalars["tag"] == tag]
        return rows["step"].to_numpy(), rows["value"].to_numpy()

    def binding(self, role: str, per: str | None = None) -> MetricBinding | None:
        """The series bound to ``role`` (preferring ``per`` if given), or None."""
        matches = [m for m in self.metrics if m.role == role]
        if per is not None:
            matches = [m for m in matches if m.per == per] or matches
        return matches[0] if matches else None

    @property
    def roles(self) -> dict[str, str]:
        """Role -> tag of the preferred series for each role."""
        out: dict[str, str] = {}
        for m in self.metrics:
            out.setdefault(m.role, m.tag)
        return out


SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Explanation:
    """Why one rule did or did not fire on a run (``diagnose --why-not``).

    ``outcome`` is ``fired``, ``suppressed``, ``did not fire`` or ``not applicable``; ``checks``
    are every comparison of its condition as evaluated; ``symptoms`` the value of each symptom
    it reads with the comparisons of that symptom's rules; ``missing`` the facts the run lacks.
    """

    rule: str
    title: str
    condition: str
    outcome: str
    checks: tuple = ()
    symptoms: tuple[tuple[str, Any, tuple], ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A rule that fired on a run: the cause it points to, how sure, why, and what to do.

    ``evidence`` maps fact names to the values this run had; ``checks`` are the comparisons of
    the rule's condition as evaluated (observed value against threshold); ``symptoms`` are the
    symptom rules it built on. ``step`` is the step the finding points at, where it has one.
    """

    rule: str
    cause: str
    severity: str
    confidence: float
    title: str
    evidence: Mapping[str, Any]
    remedies: tuple[str, ...]
    why: str = ""
    step: int | None = None
    checks: tuple[Any, ...] = ()
    symptoms: tuple[str, ...] = ()
    suppressed_by: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    """The verdict on one run and the findings behind it, ranked.

    ``verdict`` is the cause of the top finding at warning or above, ``healthy`` when nothing
    reaches warning, ``inconclusive`` when the logs cannot support a verdict, or ``error`` when
    the run could not be read. ``not_applicable`` lists rules whose facts the run lacks.
    """

    run: str
    root: str
    source: str
    verdict: str
    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    symptoms: Mapping[str, Any] = field(default_factory=dict)
    not_applicable: tuple[str, ...] = ()
    metrics: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    steps: int | None = None
    notes: tuple[str, ...] = ()
    symptom_checks: Mapping[str, tuple] = field(default_factory=dict)
    curves: Mapping[str, tuple] = field(default_factory=dict)
    explanations: tuple[Explanation, ...] = ()

    @property
    def top(self) -> Finding | None:
        return self.findings[0] if self.findings else None
