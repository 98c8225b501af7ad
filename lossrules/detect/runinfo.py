"""Run-level facts: length in steps and epochs, what was logged, and canonical hyperparameters."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..model import Run
from .catalogue import Fact
from .curve import Curve
from .epochs import epoch_indices

FACTS = [
    Fact("run.steps", "step", "last step of the training loss", "no training loss"),
    Fact("run.epochs", "count", "epochs run: from the logged epoch counter, the rows of a per-epoch log (or a training loss logged as often as validation), or else the number of evaluations of a per-step log (validation once per epoch)", "no epoch counter, a per-step log, and fewer than 3 regular evaluations"),
    Fact("run.epochs_source", "text", "where run.epochs came from: counter, rows or validation", "run.epochs abstains"),
    Fact("run.steps_per_epoch", "steps", "optimisation steps per epoch", "run.epochs abstains, or the log counts epochs, not steps"),
    Fact("run.has_train_loss", "bool", "a training loss was found"),
    Fact("run.has_val_loss", "bool", "a validation loss was found"),
    Fact("run.has_accuracy", "bool", "a training or validation accuracy was found"),
    Fact("run.has_reward", "bool", "a reinforcement-learning reward or return was found (the loss is then a policy objective)"),
    Fact("run.has_lr", "bool", "a learning rate was found"),
    Fact("run.has_grad_norm", "bool", "a gradient norm was found"),
    Fact("run.train_per", "text", "whether the training loss is logged per step, per epoch, or unknown", "no training loss"),
    Fact("run.source", "text", "log format the run was read from"),
    Fact("hparams.<name>", "as logged", "canonical hyperparameters (lr, batch_size, optimizer, momentum, weight_decay, eps, epochs, num_classes, dropout), see rules/hparams.yaml", "not logged"),
]


def run_facts(run: Run, curves: Mapping[str, Curve], epoch: Curve | None) -> dict:
    """Facts about the run as a whole."""
    out: dict = {
        "run.source": run.source,
        "run.has_train_loss": "train_loss" in curves,
        "run.has_val_loss": "val_loss" in curves,
        "run.has_accuracy": "train_acc" in curves or "val_acc" in curves,
        "run.has_reward": "reward" in curves,
        "run.has_lr": "lr" in curves,
        "run.has_grad_norm": "grad_norm" in curves,
    }
    out.update({f"hparams.{k}": v for k, v in run.params.items()})
    train = curves.get("train_loss")
    binding = run.binding("train_loss")
    if train is None or binding is None:
        return out
    out["run.train_per"] = binding.per
    out["run.steps"] = int(train.steps[-1])
    epochs, source = _epochs_of(train, binding.per, epoch, curves.get("val_loss"), _epoch_rows(run))
    if epochs:
        out["run.epochs"], out["run.epochs_source"] = epochs, source
        if source != "rows":
            out["run.steps_per_epoch"] = float(train.steps[-1] - train.steps[0] + 1) / epochs
    return out


def _epoch_rows(run: Run) -> int:
    """Points of a training loss logged once per epoch (Lightning's ``_epoch`` twin), 0 if none."""
    from ..ingest.roles import binding_series

    binding = run.binding("train_loss", "epoch")
    return len(binding_series(run, binding)[0]) if binding is not None and binding.per == "epoch" else 0


def _epochs_of(train: Curve, per: str, epoch: Curve | None, val: Curve | None, epoch_rows: int) -> tuple[int | None, str]:
    """Epochs and where the count came from (None when nothing says).

    A counter can stop short of the run (TensorBoard drops a tag's later points when a test
    logged afterwards writes it at an earlier step); a training loss logged once per epoch for
    more epochs than the counter shows counts instead.
    """
    if epoch is not None:
        return max(_epochs(epoch) or 0, epoch_rows) or None, "counter"
    settings = train.settings
    if per == "epoch" or (val is not None and len(train.steps) <= settings.epoch_rows_ratio * len(val.steps)):
        return len(train.steps), "rows"  # a point per epoch (training logged as often as validation)
    if val is not None and len(val.steps) >= settings.epoch_min_evaluations:
        gaps = np.diff(val.steps)
        regular = gaps.min() > 0 and gaps.max() <= (1 + settings.epoch_gap_tolerance) * gaps.min()
        if regular and val.steps[-1] >= settings.epoch_coverage * train.steps[-1]:
            return len(val.steps), "validation"
    return None, ""


def _epochs(epoch: Curve) -> int | None:
    """Epochs from a logged epoch counter (its conventions: :func:`.epochs.epoch_indices`)."""
    if not len(epoch.raw):
        return None
    return max(int(epoch_indices(epoch.raw, epoch.raw).max()) + 1, 1)
