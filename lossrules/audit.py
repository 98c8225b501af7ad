"""Batch audits: diagnose every run under some roots, in parallel, keeping only the results.

Discovery runs in the calling process (it only lists folders); each run is read, turned into
facts and diagnosed in a worker, one at a time, and only its diagnosis comes back, so memory
stays flat however many runs there are. Workers are a local process pool by default, or a Dask
cluster (``dask="tcp://host:8786"``, or ``"local"`` to start a LocalCluster).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from .config import Options
from .model import Diagnosis, LossrulesError

_IN_FLIGHT_PER_WORKER = 4


def diagnose_claim(root: str, claim, options: Options, curves: bool = False) -> list[Diagnosis]:
    """Read, detect and diagnose one claimed run; never raises for a broken run.

    Only the diagnosis travels back: facts are dropped, except those plots need when
    ``curves`` asks for the reduced series too (an HTML report).
    """
    from .ingest import read_claim
    from .pipeline import diagnose_run
    from .report.html import PLOT_FACTS

    try:
        runs = read_claim(root, claim, metrics=dict(options.metrics))
        out = [diagnose_run(run, options.ruleset(), options.settings(), curves=curves) for run in runs]
    except LossrulesError as exc:
        out = [Diagnosis(claim.name, root, claim.format, "error", error=str(exc))]
    except Exception as exc:  # noqa: BLE001 - one broken run must not stop an audit
        out = [Diagnosis(claim.name, root, claim.format, "error", error=f"{type(exc).__name__}: {exc}")]
    keep = PLOT_FACTS if curves else ()
    return [replace(d, facts={k: d.facts[k] for k in keep if k in d.facts}) for d in out]


def work_items(roots: Iterable[str]) -> tuple[list[tuple[str, object]], list[Diagnosis]]:
    """(root, claim) pairs for every run under the roots, and error results for unusable roots."""
    from .ingest import find_claims

    items, errors = [], []
    for root in roots:
        try:
            items += [(os.fspath(root), claim) for claim in find_claims(root)]
        except LossrulesError as exc:
            errors.append(Diagnosis(".", os.fspath(root), "", "error", error=str(exc)))
    return items, errors


def audit(
    items: list[tuple[str, object]],
    options: Options,
    *,
    jobs: int | None = None,
    dask: str | None = None,
    curves: bool = False,
    on_result: Callable[[Diagnosis], None] | None = None,
) -> Iterator[Diagnosis]:
    """Diagnoses of the work items, as they complete (order not guaranteed)."""
    jobs = jobs or options.jobs or os.cpu_count() or 1
    if dask:
        results = _dask(items, options, dask, curves)
    elif jobs == 1 or len(items) <= 1:
        results = (diagnose_claim(root, claim, options, curves) for root, claim in items)
    else:
        results = _pool(items, options, jobs, curves)
    for batch in results:
        for diagnosis in batch:
            if on_result:
                on_result(diagnosis)
            yield diagnosis


def _ignore_interrupts() -> None:
    """Leave Ctrl-C to the parent: a terminal sends it to every worker too, which would die mid-queue."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool(items, options: Options, jobs: int, curves: bool) -> Iterator[list[Diagnosis]]:
    """A process pool with a bounded number of runs in flight.

    On an interrupt the runs not started are cancelled and the pool is shut down before the
    interrupt goes on: the few runs in progress finish (each takes a fraction of a second), and no
    worker or pool thread is left to fail noisily at interpreter exit.
    """
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pending = iter(items)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts) as pool:
        running = set()
        try:
            while True:
                while len(running) < jobs * _IN_FLIGHT_PER_WORKER:
                    item = next(pending, None)
                    if item is None:
                        break
                    running.add(pool.submit(diagnose_claim, item[0], item[1], options, curves))
                if not running:
                    return
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _dask(items, options: Options, address: str, curves: bool) -> Iterator[list[Diagnosis]]:
    """The same work on a Dask distributed cluster."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise LossrulesError("--dask needs dask[distributed]: pip install 'lossrules[dask]'") from None
    cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None) if address == "local" else None
    try:
        with Client(cluster if cluster is not None else address) as client:
            futures = [client.submit(diagnose_claim, root, claim, options, curves, pure=False) for root, claim in items]
            for future in as_completed(futures):
                yield future.result()
    except OSError as exc:
        raise LossrulesError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    finally:
        if cluster is not None:
            cluster.close()
