"""Chance level: is the loss stuck at ln(C) and the accuracy at 1/C, for C classes?

C comes from the hyperparameters, or is inferred when a run logs an accuracy: from a first
training loss within ``chance_tolerance`` of ln(C) for a whole C (an untrained classifier
predicting uniformly scores exactly that cross-entropy), or from a first accuracy within
``chance_accuracy_tolerance`` of 1/C together with a first loss within
``chance_loss_tolerance`` of ln(C) (two weaker hints that agree: a network whose initial
logits are not quite uniform starts a little above ln(C) but still guesses at 1/C).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from .catalogue import ACC_ROLES, LOSS_ROLES, Fact
from .curve import Curve
from .settings import DetectorSettings

FACTS = [
    Fact("run.classes", "count", "number of classes, from hyperparameters or inferred from the initial loss and accuracy", "not logged and not inferable (no accuracy series, or first loss and accuracy not near ln C and 1/C)"),
    Fact("run.classes_source", "text", "where run.classes came from: hparams, initial_loss or initial_accuracy", "run.classes abstains"),
    Fact("chance_first", "ratio", "first loss over ln(C): 1 = the loss of a uniform guess", "run.classes abstains, or the loss is not positive", LOSS_ROLES),
    Fact("chance_last", "ratio", "final smoothed loss over ln(C)", "run.classes abstains, or the loss is not positive", LOSS_ROLES),
    Fact("chance_min", "ratio", "lowest smoothed loss over ln(C): near 1, the loss never got below a uniform guess", "run.classes abstains, or the loss is not positive", LOSS_ROLES),
    Fact("chance_ratio", "ratio", "final smoothed accuracy over 1/C: 1 = no better than guessing", "run.classes abstains", ACC_ROLES),
]


def classes(params: Mapping, curves: Mapping[str, Curve], settings: DetectorSettings) -> tuple[int, str] | None:
    """(C, source) or None."""
    logged = params.get("num_classes")
    if isinstance(logged, int) and logged >= 2:
        return logged, "hparams"
    loss = curves.get("train_loss")
    accuracies = [curves[role] for role in ACC_ROLES if role in curves and curves[role].n]
    if loss is None or not loss.n or not accuracies:
        return None
    first = float(loss.raw[0])
    guess = round(math.exp(first)) if 0 < first < math.log(settings.max_classes + 1) else 0
    if guess >= 2 and near(first, math.log(guess), settings.chance_tolerance):
        return guess, "initial_loss"
    for accuracy in accuracies:
        start = float(accuracy.raw[0])
        guess = round(1 / start) if 1 / (settings.max_classes + 1) < start < 1 else 0
        if guess >= 2 and near(start, 1 / guess, settings.chance_accuracy_tolerance) and near(first, math.log(guess), settings.chance_loss_tolerance):
            return guess, "initial_accuracy"
    return None


def near(value: float, target: float, tolerance: float) -> bool:
    """Whether ``value`` is within ``tolerance`` (relative) of ``target``."""
    return abs(value - target) <= tolerance * target


def chance_facts(params: Mapping, curves: Mapping[str, Curve], settings: DetectorSettings) -> dict:
    """Distances of losses from ln(C) and of accuracies from 1/C."""
    found = classes(params, curves, settings)
    if found is None:
        return {}
    count, source = found
    out: dict = {"run.classes": count, "run.classes_source": source}
    for role in LOSS_ROLES:
        curve = curves.get(role)
        if curve is not None and curve.n and curve.log:
            out[f"{role}.chance_first"] = float(curve.raw[0] / math.log(count))
            out[f"{role}.chance_last"] = float(math.exp(curve.smooth[-1]) / math.log(count))
            out[f"{role}.chance_min"] = float(math.exp(curve.smooth.min()) / math.log(count))
    for role in ACC_ROLES:
        curve = curves.get(role)
        if curve is not None and curve.n:
            out[f"{role}.chance_ratio"] = float(curve.smooth[-1] * count)
    return out
