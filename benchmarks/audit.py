"""Audit throughput: runs per second over a folder of 1,000 runs, with --jobs 1 and --jobs 2.

The folder is built once in benchmarks/data/audit/ from copies of the shipped fixture logs (every
format, each copy its own run). Each configuration runs ``lossrules audit`` as a subprocess, so
the figures include process start-up and discovery as a user sees them; peak memory (max RSS of
the audit process and its workers) is reported for 250 and 1,000 runs to show it stays flat.
Run: python benchmarks/audit.py [--runs 1000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "logs"


def build(runs: int) -> Path:
    """A folder with ``runs`` runs, cycling through the fixture cases."""
    folder = HERE / "data" / f"audit{runs}"
    if folder.is_dir():
        return folder
    cases = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    made, i = 0, 0
    while made < runs:
        case = cases[i % len(cases)]
        shutil.copytree(case, tmp / f"r{i:05d}_{case.name}")
        made += _runs_in(case)
        i += 1
    tmp.rename(folder)
    return folder


def _runs_in(case: Path) -> int:
    import lossrules

    return len(lossrules.load(case))


def timed_audit(folder: Path, jobs: int) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB of the audit and its workers, runs reported)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lossrules", "audit", str(folder), "-j", str(jobs), "--format", "csv"],
        capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return elapsed, peak, len(done.stdout.splitlines()) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    small, folder = build(max(args.runs // 4, 1)), build(args.runs)
    # max RSS over children only grows: measure the small audit first, then the large one
    small_peak = timed_audit(small, 1)[1]
    large_peak = timed_audit(folder, 1)[1]
    times: dict[int, list[float]] = {1: [], 2: []}
    count = 0
    for _ in range(args.repeat):
        for jobs in (1, 2):
            seconds, _, count = timed_audit(folder, jobs)
            times[jobs].append(seconds)
    print(f"{count} runs in {folder.name}")
    print(f"{'jobs':>4} {'median wall s':>14} {'runs/s':>8}")
    for jobs, values in times.items():
        med = statistics.median(values)
        print(f"{jobs:>4} {med:14.1f} {count / med:8.1f}")
    print(f"speed-up with 2 jobs: {statistics.median(times[1]) / statistics.median(times[2]):.2f}x")
    print(f"peak RSS of an audit with -j 1: {small_peak:.0f} MB for {args.runs // 4} runs, {large_peak:.0f} MB for {args.runs} runs")


if __name__ == "__main__":
    main()
