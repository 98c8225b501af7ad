"""Detector speed: every fact of a run with 100,000 training-loss points (plus lr, grad norm, validation).

Run: python benchmarks/detect.py [--points 100000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def synthetic_run(n: int):
    """A long run in memory: noisy decaying loss, cosine LR with warmup, gradient norm, validation."""
    from lossrules.ingest.frame import frame_from_columns
    from lossrules.ingest.roles import bind, load_table
    from lossrules.model import Run

    rng = np.random.default_rng(0)
    steps = np.arange(n)
    loss = np.exp(-steps / (0.3 * n)) * (1 + 0.1 * rng.standard_normal(n)) + 0.1
    val_steps = np.arange(0, n, max(n // 100, 1))
    val = np.exp(-val_steps / (0.3 * n)) + 0.12 + 0.05 * (val_steps / n) ** 2
    lr = np.where(steps < n // 100, steps / (n // 100) * 1e-3, 1e-3 * 0.5 * (1 + np.cos(np.pi * steps / n))) + 1e-9
    grad = np.abs(1 + 0.3 * rng.standard_normal(n))
    series = {"grad_norm": (steps, grad), "lr": (steps, lr), "train_loss": (steps, loss), "val_loss": (val_steps, val)}
    tags = sorted(series)
    codes = np.concatenate([np.full(len(series[t][0]), i) for i, t in enumerate(tags)])
    all_steps = np.concatenate([series[t][0] for t in tags])
    values = np.concatenate([series[t][1] for t in tags])
    frame = frame_from_columns(tags, codes, all_steps, values, np.full(len(all_steps), np.nan))
    return Run("synthetic", ".", "tensorboard", (), frame, metrics=bind({t: len(series[t][0]) for t in tags}, load_table()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from lossrules.detect import facts

    run = synthetic_run(args.points)
    facts(run)  # imports and caches warm
    times = []
    for _ in range(args.repeat):
        start = time.process_time()
        out = facts(run)
        times.append(time.process_time() - start)
    print(f"{len(out)} facts of a {args.points:,}-point run: median {statistics.median(times) * 1000:.0f} ms CPU")


if __name__ == "__main__":
    main()
