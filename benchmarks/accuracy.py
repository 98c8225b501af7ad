"""Diagnostic accuracy on a labelled folder of runs: top-1, recall per cause, false alarms, confusion.

The labels file maps each run (its path relative to the folder, as lossrules names it) to its
primary cause, acceptable secondary causes and a split:

    c001/version_0: {cause: overfitting, also: [insufficient_data], split: tune}

Top-1 counts a run as right when the verdict is its primary cause (``healthy`` included); the
lenient figure also accepts a listed secondary cause. A false alarm is a healthy run given any
other verdict. Run: python benchmarks/accuracy.py [FOLDER] [--labels FILE] [--split tune|holdout|all]
[--markdown]. A labels file kept apart from its runs (benchmarks/real-runs.yaml) may key a run by
its top folder, with ``#N`` for one of several runs appended to a file.

``--second FILE`` takes a second reviewer's labels of some of the same runs: it prints how often
the two reviewers agree, and the scores on the runs where they do (a label two people give is
the fairest truth a single-reviewer label set can offer).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent / "fixtures" / "corpus"
GOALS = {"top1": 0.90, "false_alarms": 0.05}


def load_labels(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return data.get("runs", data) if isinstance(data, dict) else {}


def predictions(folder: Path, labels: dict[str, dict]) -> dict[str, str]:
    """Verdict of every run under the folder, keyed by its label's key: the run's name, or else its
    top folder (plus a ``#N`` run suffix), for label files that name a folder per run."""
    import lossrules

    verdicts: dict[str, str] = {}
    for d in lossrules.iter_diagnoses(folder):
        verdicts.setdefault(label_key(d.run, labels), d.verdict)
    return verdicts


def label_key(run: str, labels: dict[str, dict]) -> str:
    """The label key of a run: its name, or else its top folder plus any ``#N`` run suffix, or else
    its top folder alone (a label for a file that lossrules splits into several runs)."""
    top = run.split("/")[0]
    for key in (run, top + (run[run.index("#"):] if "#" in run and "/" in run else ""), top):
        if key in labels:
            return key
    return run


def score(labels: dict[str, dict], verdicts: dict[str, str]) -> dict:
    """Top-1 (strict and lenient), recall per cause, false-alarm rate, confusion counts, misses."""
    confusion: dict[str, Counter] = defaultdict(Counter)
    strict = lenient = 0
    misses = []
    for run, label in labels.items():
        truth = label["cause"]
        guess = verdicts.get(run, "missing")
        confusion[truth][guess] += 1
        strict += guess == truth
        lenient += guess == truth or guess in (label.get("also") or [])
        if guess != truth:
            misses.append((run, truth, guess, label.get("also") or []))
    total = max(len(labels), 1)
    healthy = confusion.get("healthy", Counter())
    return {
        "runs": len(labels),
        "top1": strict / total,
        "top1_lenient": lenient / total,
        "recall": {c: row[c] / sum(row.values()) for c, row in sorted(confusion.items())},
        "false_alarms": (sum(healthy.values()) - healthy["healthy"]) / max(sum(healthy.values()), 1),
        "healthy_runs": sum(healthy.values()),
        "confusion": confusion,
        "misses": sorted(misses),
    }


def report(result: dict, title: str, markdown: bool) -> str:
    lines = [
        f"## {title}: {result['runs']} runs" if markdown else f"{title}: {result['runs']} runs",
        "",
        f"top-1 accuracy {result['top1']:.1%} (accepting listed secondary causes: {result['top1_lenient']:.1%})",
        f"false alarms on healthy runs {result['false_alarms']:.1%} ({result['healthy_runs']} healthy runs)",
        "",
        "| cause | runs | recall |" if markdown else f"{'cause':22} {'runs':>4} {'recall':>7}",
    ]
    if markdown:
        lines.append("|---|---|---|")
    for cause, recall in result["recall"].items():
        n = sum(result["confusion"][cause].values())
        lines.append(f"| {cause} | {n} | {recall:.0%} |" if markdown else f"{cause:22} {n:>4} {recall:>7.0%}")
    lines += ["", "confusion (rows: label, columns: verdict):" if not markdown else "Confusion (rows: label, columns: verdict):", ""]
    lines += _confusion(result["confusion"], markdown)
    if result["misses"]:
        lines += ["", "misclassified:" if not markdown else "Misclassified:", ""]
        lines += [f"- `{run}`: labelled {truth}, verdict {guess}" + (f" (acceptable: {', '.join(also)})" if also else "") for run, truth, guess, also in result["misses"]]
    return "\n".join(lines) + "\n"


def _confusion(confusion: dict, markdown: bool) -> list[str]:
    labels = sorted(confusion)
    columns = sorted({g for row in confusion.values() for g in row})
    short = {c: c[:10] for c in columns}
    if markdown:
        out = ["| label \\ verdict | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        out += [f"| {t} | " + " | ".join(str(confusion[t][c] or "") for c in columns) + " |" for t in labels]
        return out
    out = [f"{'':22}" + "".join(f"{short[c]:>11}" for c in columns)]
    out += [f"{t:22}" + "".join(f"{(confusion[t][c] or '.'):>11}" for c in columns) for t in labels]
    return out


def agreement(first: dict[str, dict], second: dict[str, dict], verdicts: dict[str, str]) -> str:
    """Reviewers' agreement on the runs both labelled, and the scores where they agree."""
    shared = sorted(set(first) & set(second))
    same = {k: first[k] for k in shared if first[k]["cause"] == second[k]["cause"]}
    either = sum(
        first[k]["cause"] in [second[k]["cause"], *(second[k].get("also") or [])]
        or second[k]["cause"] in (first[k].get("also") or [])
        for k in shared
    )
    n = max(len(shared), 1)
    against_first = score({k: first[k] for k in shared}, verdicts)["top1"]
    against_second = score({k: second[k] for k in shared}, verdicts)["top1"]
    lines = [
        f"second opinions on {len(shared)} runs: the reviewers name the same cause on {len(same)} ({len(same) / n:.1%}),",
        f"a cause the other accepts on {either} ({either / n:.1%})",
        f"lossrules top-1 against the first reviewer {against_first:.1%}, against the second {against_second:.1%}",
    ]
    return "\n".join(lines) + "\n" + report(score(same, verdicts), "runs both reviewers label alike", False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--labels", type=Path, help="labels file (default: FOLDER/labels.yaml)")
    parser.add_argument("--split", choices=["tune", "holdout", "all", "each"], default="each")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 if the holdout misses the goals")
    parser.add_argument("--second", type=Path, help="a second reviewer's labels of some of the same runs")
    args = parser.parse_args()
    labels = load_labels(args.labels or args.folder / "labels.yaml")
    verdicts = predictions(args.folder, labels)
    splits = ["tune", "holdout", "all"] if args.split == "each" else [args.split]
    results = {}
    for split in splits:
        chosen = {k: v for k, v in labels.items() if split == "all" or v.get("split") == split}
        results[split] = score(chosen, verdicts)
        print(report(results[split], f"{split} split", args.markdown))
    if args.second:
        print(agreement(labels, load_labels(args.second), verdicts))
    unlabelled = sorted(set(verdicts) - set(labels))
    if unlabelled:
        print(f"runs without a label (not scored): {', '.join(unlabelled)}", file=sys.stderr)
    target = results.get("holdout") or next(iter(results.values()))
    met = target["top1"] >= GOALS["top1"] and target["false_alarms"] <= GOALS["false_alarms"]
    print(f"goals (top-1 >= {GOALS['top1']:.0%}, false alarms <= {GOALS['false_alarms']:.0%}): {'met' if met else 'NOT met'}")
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
