"""lossrules: why won't my loss go down? Diagnose training runs from the logs they left behind.

The public API is imported lazily so that ``import lossrules`` (and ``lossrules --help``) stays
instant: pandas and scipy load only when a function that needs them is called.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Diagnosis", "Finding", "LossrulesError", "MetricBinding", "Run", "__version__", "diagnose", "iter_diagnoses", "iter_runs", "load", "load_frame"]

if TYPE_CHECKING:
    from .ingest import iter_runs, load, load_frame
    from .model import Diagnosis, Finding, LossrulesError, MetricBinding, Run
    from .pipeline import diagnose, iter_diagnoses

_LAZY = {
    "load": "lossrules.ingest",
    "load_frame": "lossrules.ingest",
    "iter_runs": "lossrules.ingest",
    "diagnose": "lossrules.pipeline",
    "iter_diagnoses": "lossrules.pipeline",
    "Run": "lossrules.model",
    "Diagnosis": "lossrules.model",
    "Finding": "lossrules.model",
    "MetricBinding": "lossrules.model",
    "LossrulesError": "lossrules.model",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lossrules' has no attribute {name!r}")
