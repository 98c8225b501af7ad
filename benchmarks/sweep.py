"""Threshold sweep: how much could any one rule parameter gain, and does the gain carry over to runs
it was not measured on?

The facts of every labelled run are computed once; then every numeric rule parameter is set to a
few multiples of its default, one at a time, and the verdicts are scored on the tuning runs (waves
up to ``--tune-upto``) and on the later waves. A change that gains on the tuning runs and nothing
on the later waves fits those runs, not the problem. Top-1 counts a verdict equal to the primary
cause; a false alarm is a healthy run given any other verdict. With ``--second`` a run whose two
reviewers disagree counts half, and either reviewer's cause is right.

Run: python benchmarks/sweep.py ../shared/realruns --labels benchmarks/real-runs.yaml
[--second benchmarks/real-runs-second.yaml] [--tune-upto 15] [-j 2] [--top 25]
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import accuracy

FACTORS = (0.5, 0.7, 0.85, 1.2, 1.4, 2.0)
PARTS = ("tune", "later")


@dataclass
class Item:
    """One labelled run with its facts: which part it scores in, its accepted causes, its weight."""

    key: str
    part: str
    cause: str
    accepted: tuple[str, ...]
    weight: float
    facts: dict
    run: object


ITEMS: list[Item] = []  # read once, shared with the worker processes (fork)


def collect(folder: Path, labels: dict, second: dict, tune_upto: int) -> list[Item]:
    """The readable labelled runs of the folder, one per label key."""
    import lossrules
    from lossrules.detect import facts

    items: dict[str, Item] = {}
    for run in lossrules.iter_runs(folder):
        key = accuracy.label_key(run.name, labels)
        if key in items or key not in labels or not run.ok:
            continue
        label, other = labels[key], second.get(key)
        agree = other is None or other["cause"] == label["cause"]
        part = "tune" if label.get("wave", 0) <= tune_upto else "later"
        accepted = (label["cause"],) if agree else (label["cause"], other["cause"])
        items[key] = Item(key, part, label["cause"], accepted, 1.0 if agree else 0.5, facts(run), run)
    return list(items.values())


def evaluate(overrides: dict) -> tuple[dict, dict]:
    """Weighted top-1 and false alarms per part with these parameter overrides."""
    from lossrules.engine.evaluate import diagnose_facts
    from lossrules.engine.load import load_ruleset

    ruleset = load_ruleset(params=overrides)
    out = {part: {"right": 0.0, "false_alarms": 0.0} for part in PARTS}
    for item in ITEMS:
        verdict = diagnose_facts(item.facts, ruleset, item.run).verdict
        out[item.part]["right"] += item.weight * (verdict in item.accepted)
        out[item.part]["false_alarms"] += item.weight * (item.cause == "healthy" and verdict != "healthy")
    return overrides, out


def candidates() -> list[dict]:
    """Every numeric parameter of every shipped rule at each factor of its default."""
    from lossrules.engine.load import load_ruleset

    out = []
    for rule in load_ruleset().rules:
        for name, default in rule.params.items():
            if isinstance(default, bool) or not isinstance(default, (int, float)):
                continue
            for factor in FACTORS:
                value = round(default * factor) if isinstance(default, int) else default * factor
                if value != default:
                    out.append({f"{rule.id}.{name}": value})
    return out


def delta(out: dict, base: dict, part: str) -> tuple[float, float]:
    return out[part]["right"] - base[part]["right"], out[part]["false_alarms"] - base[part]["false_alarms"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--second", type=Path, help="a second reviewer's labels of some of the same runs")
    parser.add_argument("--tune-upto", type=int, default=15, help="waves up to this one are the tuning runs")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--top", type=int, default=25, help="how many of the best changes to list")
    args = parser.parse_args()
    labels = accuracy.load_labels(args.labels)
    second = accuracy.load_labels(args.second) if args.second else {}
    ITEMS.extend(collect(args.folder, labels, second, args.tune_upto))
    counts = {part: sum(item.part == part for item in ITEMS) for part in PARTS}
    _, base = evaluate({})
    print(f"runs: {counts['tune']} tuning (waves <= {args.tune_upto}), {counts['later']} later")
    print("default: " + ", ".join(f"{p} {base[p]['right']:.1f} right, {base[p]['false_alarms']:.1f} false alarms" for p in PARTS))
    with Pool(args.jobs) as pool:
        results = list(pool.imap_unordered(evaluate, candidates(), chunksize=4))
    gains = sorted(((delta(out, base, "tune"), delta(out, base, "later"), ov) for ov, out in results), key=lambda r: -r[0][0])
    better = [g for g in gains if g[0][0] > 0]
    print(f"\n{len(results)} changes; {len(better)} gain on the tuning runs; of those, on the later waves "
          f"{sum(g[1][0] > 0 for g in better)} gain, {sum(g[1][0] < 0 for g in better)} lose, "
          f"{sum(g[1][0] == 0 for g in better)} change nothing\n")
    print(f"{'tuning':>8} {'later':>8}  change (right runs +/-, false alarms in brackets)")
    for (tune, tune_fa), (later, later_fa), overrides in gains[: args.top]:
        (name, value), = overrides.items()
        print(f"{tune:+8.1f} {later:+8.1f}  {name} = {value:.4g}   [{tune_fa:+.1f} / {later_fa:+.1f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
