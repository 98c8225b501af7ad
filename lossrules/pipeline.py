"""The whole flow for one run and for many: files -> run -> facts -> diagnosis."""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from .model import Diagnosis, Run

PLOTTED_ROLES = ("train_loss", "val_loss", "train_acc", "val_acc", "reward", "lr", "grad_norm")
_CURVE_COLUMNS = 500


def diagnose_run(run: Run, ruleset, settings=None, *, curves: bool = False) -> Diagnosis:
    """The diagnosis of one loaded run (a run that could not be read gets the verdict ``error``).

    With ``curves`` the diagnosis carries each role's series, reduced to a min/max envelope
    of a few hundred points, for reports that plot them.
    """
    from dataclasses import replace

    from .detect import facts
    from .engine.evaluate import diagnose_facts

    if not run.ok:
        return Diagnosis(run.name, run.root, run.source, "error", error=run.error, notes=run.notes)
    diagnosis = diagnose_facts(facts(run, settings), ruleset, run)
    return replace(diagnosis, curves=role_curves(run)) if curves else diagnosis


def role_curves(run: Run) -> dict[str, tuple[list, list]]:
    """Each bound role's (steps, values), reduced for plotting."""
    from .ingest.roles import binding_series
    from .report.svg import envelope

    out = {}
    for role in PLOTTED_ROLES:
        binding = run.binding(role)
        if binding is not None:
            steps, values = binding_series(run, binding)
            x, y = envelope(steps.astype(float), values, _CURVE_COLUMNS)
            out[role] = (x.tolist(), y.tolist())
    return out


def iter_diagnoses(
    path: str | os.PathLike,
    *,
    ruleset=None,
    settings=None,
    metrics: Mapping[str, str] | None = None,
    curves: bool = False,
) -> Iterator[Diagnosis]:
    """Diagnose every run under ``path``, one at a time."""
    from .engine.load import load_ruleset
    from .ingest import iter_runs

    ruleset = ruleset or load_ruleset()
    for run in iter_runs(path, metrics=metrics):
        yield diagnose_run(run, ruleset, settings, curves=curves)


def diagnose(path: str | os.PathLike, **options) -> list[Diagnosis]:
    """Diagnoses of every run under ``path`` (see :func:`iter_diagnoses` for the options)."""
    return list(iter_diagnoses(path, **options))
