"""Ingest: find the runs under a path, read each with its format's reader, bind metric roles.

One broken run never stops the others: it comes back as a :class:`~lossrules.model.Run` with
``error`` set. Only a path that cannot be read at all, or holds no logs, raises.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from ..model import InputError, NoRunsFound, Run
from .discover import Claim, discover, reader_for
from .frame import RawRun, empty_frame, to_frame
from .params import canonical
from .roles import RoleTable, bind, load_table
from .tree import Tree


def iter_runs(
    path: str | os.PathLike,
    *,
    metrics: Mapping[str, str] | None = None,
    roles: RoleTable | None = None,
) -> Iterator[Run]:
    """Yield the runs under ``path`` one at a time (nothing else is kept in memory).

    ``metrics`` overrides role bindings (``{"train_loss": "my/loss"}``); ``roles`` replaces the
    shipped alias table. Raises :class:`NoRunsFound` when the path holds no training logs.
    """
    tree = Tree.at(path)
    claims = discover(tree)
    if not claims:
        raise NoRunsFound(_nothing_found(path, tree))
    table = roles or load_table()
    root = os.fspath(path)
    for claim in claims:
        yield from _read_claim(claim, tree, root, table, metrics)


def _nothing_found(path, tree: Tree) -> str:
    why = f" ({'; '.join(tree.notes[:2])})" if tree.notes else ""
    return (
        f"{os.fspath(path)}: no training logs found (looked for TensorBoard event files, "
        f"metrics.csv, *.csv/*.tsv logs, trainer_state.json and MLflow mlruns/ folders){why}"
    )


def find_claims(path: str | os.PathLike) -> list[Claim]:
    """The runs under ``path`` as claims (cheap: no file is parsed), for work split across processes."""
    tree = Tree.at(path)
    claims = discover(tree)
    if not claims:
        raise NoRunsFound(_nothing_found(path, tree))
    return claims


def read_claim(path: str | os.PathLike, claim: Claim, *, metrics: Mapping[str, str] | None = None) -> list[Run]:
    """Read one claimed run (possibly several, for a CSV appended by several runs)."""
    return list(_read_claim(claim, Tree.at(path), os.fspath(path), load_table(), metrics))


def _read_claim(claim: Claim, tree: Tree, root: str, table: RoleTable, metrics) -> Iterator[Run]:
    reader = reader_for(claim.format)
    try:
        raws = reader.read(claim, tree)
    except InputError as exc:
        yield Run(claim.name, root, claim.format, claim.files, empty_frame(), error=str(exc))
        return
    except (OSError, ValueError, MemoryError) as exc:
        yield Run(claim.name, root, claim.format, claim.files, empty_frame(), error=f"{claim.name}: {exc}")
        return
    for raw in raws:
        yield _to_run(raw, root, table, metrics)


def _to_run(raw: RawRun, root: str, table: RoleTable, metrics) -> Run:
    import numpy as np

    frame = to_frame(raw)
    tags = frame["tag"].cat
    per_tag = np.bincount(tags.codes.to_numpy(), minlength=len(tags.categories))
    counts = {str(t): int(n) for t, n in zip(tags.categories, per_tag)}
    try:
        bindings = bind(counts, table, metrics, default_per=raw.per)
    except InputError as exc:
        return Run(raw.name, root, raw.source, raw.files, frame, error=str(exc))
    return Run(
        raw.name, root, raw.source, raw.files, frame, dict(raw.hparams), canonical(raw.hparams), bindings, tuple(raw.notes)
    )


def load(
    path: str | os.PathLike,
    *,
    metrics: Mapping[str, str] | None = None,
    roles: RoleTable | None = None,
) -> list[Run]:
    """All runs under ``path``; broken runs are included with ``error`` set."""
    return list(iter_runs(path, metrics=metrics, roles=roles))


def load_frame(
    path: str | os.PathLike,
    *,
    metrics: Mapping[str, str] | None = None,
    roles: RoleTable | None = None,
):
    """One long frame of every readable run under ``path``, with a categorical ``run`` column.

    Columns: run, tag, step, value, wall_time. Broken runs are left out with a warning;
    raises :class:`NoRunsFound` if no run could be read.
    """
    import warnings

    good = []
    for run in iter_runs(path, metrics=metrics, roles=roles):
        if run.ok:
            good.append(run)
        else:
            warnings.warn(f"lossrules: skipped {run.name}: {run.error}", stacklevel=2)
    if not good:
        raise InputError(f"{os.fspath(path)}: no run could be read")
    return stack_runs(good)


def stack_runs(runs: list[Run]):
    """One long frame of several runs under a categorical ``run`` column (tags stay categorical)."""
    import numpy as np
    import pandas as pd

    if len(runs) == 1:
        out = runs[0].scalars.copy(deep=False)
        out.insert(0, "run", pd.Categorical.from_codes(np.zeros(len(out), np.int8), categories=[runs[0].name]))
        return out
    frames = [r.scalars for r in runs]
    tags = pd.api.types.union_categoricals([f["tag"] for f in frames], sort_categories=True)
    sizes = [len(f) for f in frames]
    run = pd.Categorical.from_codes(np.repeat(np.arange(len(frames)), sizes), categories=pd.Index([r.name for r in runs]))
    columns = {"run": run, "tag": tags}
    for name in ("step", "value", "wall_time"):
        columns[name] = np.concatenate([f[name].to_numpy() for f in frames])
    return pd.DataFrame(columns)
