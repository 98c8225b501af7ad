"""Options for a diagnosis: from ``lossrules.toml`` or ``[tool.lossrules]``, then the command line.

Unknown keys are errors (a typo must not silently do nothing). Command-line values override
the file; lists given on the command line are added to the file's.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from .model import InputError

SEVERITIES = ("info", "warning", "error")
_KEYS = {
    "rules": list,
    "select": list,
    "ignore": list,
    "set": dict,
    "metric": dict,
    "detect": dict,
    "min-severity": str,
    "fail-on": str,
    "jobs": int,
}


@dataclass(frozen=True)
class Options:
    """Everything that shapes a diagnosis besides the logs themselves. Picklable for workers."""

    rules: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    params: tuple[tuple[str, Any], ...] = ()
    metrics: tuple[tuple[str, str], ...] = ()
    detect: tuple[tuple[str, Any], ...] = ()
    min_severity: str = "info"
    fail_on: str = "error"
    jobs: int | None = None

    def ruleset(self):
        """The rule set these options select (cached per process)."""
        return _ruleset(self.rules, self.select, self.ignore, self.params)

    def settings(self):
        """Detector settings with this configuration's overrides."""
        from .detect.settings import DetectorSettings

        return DetectorSettings().with_overrides(dict(self.detect))


@lru_cache(maxsize=8)
def _ruleset(rules: tuple, select: tuple, ignore: tuple, params: tuple):
    from .engine.load import load_ruleset

    return load_ruleset(extra=rules, params=dict(params), selected=select, ignored=ignore)


def read_config(path: str | Path | None = None, cwd: str | Path = ".") -> dict:
    """The configuration table: ``path``, else ``lossrules.toml``, else ``[tool.lossrules]``."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    candidates = [Path(path)] if path else [Path(cwd) / "lossrules.toml", Path(cwd) / "pyproject.toml"]
    for candidate in candidates:
        if not candidate.is_file():
            if path:
                raise InputError(f"{candidate}: config file not found")
            continue
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{candidate}: cannot read config ({exc})") from None
        if candidate.name == "pyproject.toml" and not path:
            data = data.get("tool", {}).get("lossrules")
            if data is None:
                continue
        return _checked(data, candidate)
    return {}


def _checked(data: Mapping, source: Path) -> dict:
    for key, value in data.items():
        if key not in _KEYS:
            raise InputError(f"{source}: unknown option '{key}'; known: {', '.join(sorted(_KEYS))}")
        if not isinstance(value, _KEYS[key]):
            raise InputError(f"{source}: option '{key}' must be a {_KEYS[key].__name__}")
    for key in ("min-severity", "fail-on"):
        if key in data and data[key] not in SEVERITIES:
            raise InputError(f"{source}: {key} must be one of {', '.join(SEVERITIES)}")
    return dict(data)


def _flat(table: Mapping, prefix: str = "") -> dict:
    """TOML tables written as [set.overfitting.val_rises] become dotted keys."""
    out = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def options(config: Mapping, **cli: Any) -> Options:
    """Options from a configuration table and command-line values (None = not given)."""
    merged = {
        "rules": tuple(config.get("rules", ())) + tuple(cli.get("rules") or ()),
        "select": tuple(config.get("select", ())) + tuple(cli.get("select") or ()),
        "ignore": tuple(config.get("ignore", ())) + tuple(cli.get("ignore") or ()),
        "params": tuple({**_flat(config.get("set", {})), **(cli.get("params") or {})}.items()),
        "metrics": tuple({**config.get("metric", {}), **(cli.get("metrics") or {})}.items()),
        "detect": tuple(config.get("detect", {}).items()),
        "min_severity": cli.get("min_severity") or config.get("min-severity", "info"),
        "fail_on": cli.get("fail_on") or config.get("fail-on", "error"),
        "jobs": cli.get("jobs") or config.get("jobs"),
    }
    known = {f.name for f in fields(Options)}
    return Options(**{k: v for k, v in merged.items() if k in known})
