"""Where the files shipped with lossrules live: the rule folder, in a checkout or installed."""
from __future__ import annotations

from pathlib import Path


def builtin_rules_dir() -> Path:
    """The folder of the shipped rule files (``rules/`` in a checkout, ``lossrules/_rules`` installed)."""
    installed = Path(__file__).resolve().parent / "_rules"
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parent.parent / "rules"
    if checkout.is_dir():
        return checkout
    try:
        from importlib.resources import files

        return Path(str(files("lossrules._rules")))
    except (ImportError, ModuleNotFoundError, TypeError) as exc:  # pragma: no cover - broken install
        raise FileNotFoundError("lossrules' rule files are missing from this installation") from exc
