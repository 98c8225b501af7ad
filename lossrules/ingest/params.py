"""Canonical hyperparameters (``lr``, ``batch_size``, ``optimizer``...) from what a run logged.

Where to look for each is data, in ``rules/hparams.yaml``; this module only applies it.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..model import LossrulesError
from ..resources import builtin_rules_dir

_KINDS = ("number", "integer", "text")
_CLASS_REPR = re.compile(r"<class '([\w.]+)'>")


class ParamTableError(LossrulesError):
    """The hyperparameter alias table is malformed."""


@lru_cache(maxsize=8)
def load_param_table(path: str | None = None) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (kind, key patterns), from ``path`` or the shipped ``hparams.yaml``."""
    import yaml

    path = path or str(builtin_rules_dir() / "hparams.yaml")
    try:
        with open(path, "rb") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ParamTableError(f"{path}: cannot read the hyperparameter table ({exc})") from None
    table = {}
    for name, spec in (data or {}).items():
        if not isinstance(spec, dict) or set(spec) != {"kind", "keys"} or spec["kind"] not in _KINDS:
            raise ParamTableError(f"{path}: '{name}' needs 'kind' ({', '.join(_KINDS)}) and 'keys'")
        table[str(name)] = (spec["kind"], tuple(str(k).lower() for k in spec["keys"]))
    return table


def canonical(hparams: Mapping[str, Any], table: Mapping | None = None) -> dict[str, Any]:
    """The canonical hyperparameters found among the logged ones."""
    table = table or load_param_table()
    lowered = {str(k).lower(): v for k, v in hparams.items()}
    out = {}
    for name, (kind, patterns) in table.items():
        value = _first(lowered, patterns, kind)
        if value is not None:
            out[name] = value
    return out


def _first(lowered: Mapping[str, Any], patterns: tuple[str, ...], kind: str) -> Any:
    for pattern in patterns:
        for key, raw in lowered.items():
            if key == pattern or ("." not in pattern and key.endswith("." + pattern)):
                value = _usable(raw, kind)
                if value is not None:
                    return value
    return None


def _usable(raw: Any, kind: str) -> Any:
    """The value as the kind asks, or None (a list, a missing value, text where a number is due)."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, list):
        return None
    if kind == "text":
        text = _CLASS_REPR.sub(lambda m: m.group(1).rsplit(".", 1)[-1], str(raw)).strip().lower()
        return text or None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    if kind == "integer":
        return int(number) if number == int(number) and abs(number) < 2**31 else None
    return number
