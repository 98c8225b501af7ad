"""The whole flow for one run and for many: files -> run -> facts -> diagnosis."""
from __future__ import annotations

import os
from typing import Iterator, Mapping

from .model import Diagnosis, Run


def diagnose_run(run: Run, ruleset, settings=None) -> Diagnosis:
    """The diagnosis of one loaded run (a run that could not be read gets the verdict ``error``)."""
    from .detect import facts
    from .engine.evaluate import diagnose_facts

    if not run.ok:
        return Diagnosis(run.name, run.root, run.source, "error", error=run.error)
    return diagnose_facts(facts(run, settings), ruleset, run)


def iter_diagnoses(
    path: str | os.PathLike,
    *,
    ruleset=None,
    settings=None,
    metrics: Mapping[str, str] | None = None,
) -> Iterator[Diagnosis]:
    """Diagnose every run under ``path``, one at a time."""
    from .engine.load import load_ruleset
    from .ingest import iter_runs

    ruleset = ruleset or load_ruleset()
    for run in iter_runs(path, metrics=metrics):
        yield diagnose_run(run, ruleset, settings)


def diagnose(path: str | os.PathLike, **options) -> list[Diagnosis]:
    """Diagnoses of every run under ``path`` (see :func:`iter_diagnoses` for the options)."""
    return list(iter_diagnoses(path, **options))
