"""Metric roles: bind logged tags to the parts they play, from the alias table ``rules/roles.yaml``.

The table is data (patterns, granularity markers, derived sums); this module only applies it.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..model import InputError, LossrulesError, MetricBinding, Run
from ..resources import builtin_rules_dir

_TABLE_KEYS = {"granularity", "ignore", "roles", "fallback", "derived", "split_words", "short_series", "per_epoch_first"}
_PER = ("step", "epoch")


class RoleTableError(LossrulesError):
    """The alias table is malformed."""


@dataclass(frozen=True)
class Marker:
    """A granularity marker: a suffix of the tag, a prefix of its last path part, or a
    leading path part (``epoch/``)."""

    text: str
    per: str
    kind: str  # "suffix", "prefix" or "leading"

    def strip(self, tag: str) -> str | None:
        """The tag without this marker, or None if the tag does not carry it."""
        if self.kind == "suffix":
            return tag[: -len(self.text)] if tag.endswith(self.text) and len(tag) > len(self.text) else None
        if self.kind == "leading":
            return tag[len(self.text) :] if tag.startswith(self.text) and len(tag) > len(self.text) else None
        head, sep, last = tag.rpartition("/")
        if last.startswith(self.text) and len(last) > len(self.text):
            return head + sep + last[len(self.text) :]
        return None


@dataclass(frozen=True)
class RoleTable:
    """The parsed alias table."""

    markers: tuple[Marker, ...]
    ignore: tuple[str, ...]
    roles: Mapping[str, tuple[str, ...]]
    derived: Mapping[str, tuple[str, ...]]
    split_words: frozenset = frozenset()
    fallback: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    short_series: int = 5
    per_epoch_first: frozenset = frozenset()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.roles)


def load_table(path: str | Path | None = None) -> RoleTable:
    """The alias table at ``path`` (default: the shipped ``roles.yaml``)."""
    return _load_table(str(path or builtin_rules_dir() / "roles.yaml"))


@lru_cache(maxsize=8)
def _load_table(path: str) -> RoleTable:
    import yaml

    try:
        with open(path, "rb") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise RoleTableError(f"{path}: cannot read the metric alias table ({exc})") from None
    return _parse_table(data, path)


def _parse_table(data: object, path: str) -> RoleTable:
    def fail(msg: str) -> RoleTableError:
        return RoleTableError(f"{path}: {msg}")

    if not isinstance(data, dict) or "roles" not in data:
        raise fail("expected a mapping with a 'roles' section")
    unknown = set(data) - _TABLE_KEYS
    if unknown:
        raise fail(f"unknown section(s) {sorted(unknown)}; expected {sorted(_TABLE_KEYS)}")
    markers = []
    for item in data.get("granularity") or []:
        kinds = [k for k in ("suffix", "prefix", "leading") if isinstance(item, dict) and k in item]
        if not isinstance(item, dict) or item.get("per") not in _PER or len(item) != 2 or len(kinds) != 1:
            raise fail(f"granularity entry {item!r} needs 'per' (step or epoch) and one of 'suffix', 'prefix' or 'leading'")
        markers.append(Marker(str(item[kinds[0]]).lower(), item["per"], kinds[0]))
    roles = _patterns(data["roles"], "role", fail)
    fallback = _patterns(data.get("fallback") or {}, "fallback role", fail)
    if set(fallback) - set(roles):
        raise fail(f"fallback for unknown role(s) {sorted(set(fallback) - set(roles))}")
    derived = {}
    for role, spec in (data.get("derived") or {}).items():
        patterns = spec.get("sum_of") if isinstance(spec, dict) and set(spec) == {"sum_of"} else None
        patterns = [patterns] if isinstance(patterns, str) else patterns
        if not patterns or not isinstance(patterns, list) or not all(isinstance(x, str) for x in patterns):
            raise fail(f"derived role '{role}' needs exactly 'sum_of: <pattern or list of patterns>'")
        derived[str(role)] = tuple(x.lower() for x in patterns)
    ignore = tuple(str(p).lower() for p in data.get("ignore") or [])
    split_words = frozenset(str(w).lower() for w in data.get("split_words") or [])
    short = data.get("short_series", RoleTable.short_series)
    if not isinstance(short, int) or isinstance(short, bool) or short < 2:
        raise fail(f"short_series must be a whole number of points, 2 or more (got {short!r})")
    per_epoch_first = data.get("per_epoch_first") or []
    if not isinstance(per_epoch_first, list):
        raise fail("per_epoch_first must be a list of roles")
    per_epoch_first = frozenset(str(r) for r in per_epoch_first)
    if per_epoch_first - set(roles):
        raise fail(f"per_epoch_first names unknown role(s) {sorted(per_epoch_first - set(roles))}")
    return RoleTable(tuple(markers), ignore, roles, derived, split_words, fallback, short, per_epoch_first)


def _patterns(section: object, what: str, fail) -> dict[str, tuple[str, ...]]:
    """Role name -> lower-cased patterns, from a mapping of lists of strings."""
    if not isinstance(section, dict):
        raise fail(f"expected a mapping of {what}s to pattern lists")
    out = {}
    for role, patterns in section.items():
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise fail(f"{what} '{role}' needs a list of patterns")
        out[str(role)] = tuple(p.lower() for p in patterns)
    return out


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z])")


def split_marker(tag: str, table: RoleTable) -> tuple[str, str]:
    """(stem, per) of a tag: camelCase words and spaces as underscores, lower-cased, without its
    granularity marker (``TrainLoss`` and ``Train Loss`` read as ``train_loss``)."""
    low = "_".join(_CAMEL.sub("_", tag).lower().split())
    for marker in table.markers:
        stem = marker.strip(low)
        if stem is not None:
            return stem, marker.per
    return low, "unknown"


def bind(
    counts: Mapping[str, int],
    table: RoleTable,
    overrides: Mapping[str, str] | None = None,
    default_per: str = "unknown",
) -> tuple[MetricBinding, ...]:
    """Bindings of roles to tags; ``counts`` gives the number of points of each tag."""
    overrides = dict(overrides or {})
    parsed = {tag: split_marker(tag, table) for tag in counts}
    free = {tag for tag, (stem, _) in parsed.items() if not _matches_any(stem, table.ignore)}
    out: list[MetricBinding] = []
    for role, tag in overrides.items():
        if tag not in counts:
            raise InputError(f"--metric {role}={tag}: no series named '{tag}' in this run")
        free.discard(tag)
    for role, patterns in table.roles.items():
        if role in overrides:
            out.append(_binding(role, overrides[role], parsed, default_per))
            continue
        chosen = _choose(patterns, free, parsed, counts, table.short_series, role in table.per_epoch_first)
        derived = _derived_instead(role, chosen, table, free, parsed, counts, default_per)
        if derived:
            out.extend(derived)
            continue
        if not chosen and role in table.fallback:
            taken = {b.tag for b in out} | set(overrides.values())
            chosen = _choose(table.fallback[role], _fallback_candidates(role, table, parsed, counts, taken), parsed, counts, table.short_series)
        for tag in chosen:
            free.discard(tag)
            out.append(_binding(role, tag, parsed, default_per))
    return tuple(out)


def _derived_instead(role: str, chosen: list[str], table: RoleTable, free: set, parsed: Mapping, counts: Mapping, default_per: str) -> list[MetricBinding]:
    """The derived binding of a role that found no tag, or found only a short series (fewer than
    ``short_series`` points) where its components are logged longer; [] to keep the choice.
    Takes the components it binds out of ``free``."""
    if role not in table.derived or (chosen and counts[chosen[0]] >= table.short_series):
        return []
    candidates = free - set(chosen)
    unbound = set(candidates)
    derived = _derive(role, table.derived[role], unbound, parsed, counts, default_per)
    if not derived:
        return []
    length = min(counts[t] for t in derived[0].components or (derived[0].tag,))
    if chosen and length <= counts[chosen[0]]:
        return []
    free -= candidates - unbound
    return derived


def _binding(role: str, tag: str, parsed: Mapping, default_per: str, components: tuple = ()) -> MetricBinding:
    per = parsed[tag][1] if tag in parsed else "unknown"
    return MetricBinding(role, tag, default_per if per == "unknown" else per, components)


def _fallback_candidates(role: str, table: RoleTable, parsed: Mapping, counts: Mapping, taken: set) -> set:
    """The curves a role's fallback may bind: not bound yet, not claimed by another role's own
    patterns or sums, nor by another role's more specific fallback (``*_val_loss`` is more
    specific than ``*_loss``); an ignored tag (a test-set series) only where a fallback pattern
    that is itself an ignored name (``test_loss``, not ``*_loss``) matches it."""
    others = [p for r, ps in (*table.roles.items(), *table.derived.items()) if r != role for p in ps]
    rivals = [p for r, ps in table.fallback.items() if r != role for p in ps]
    explicit = [p for p in table.fallback[role] if _matches_any(p, table.ignore)]
    candidates = set()
    for tag, (stem, _) in parsed.items():
        if counts[tag] < 2 or tag in taken or _matches_any(stem, others):
            continue
        if _matches_any(stem, table.ignore) and not _matches_any(stem, explicit):
            continue
        if _specificity(stem, table.fallback[role]) > _specificity(stem, rivals):
            candidates.add(tag)
    return candidates


def _specificity(stem: str, patterns: Sequence[str]) -> int:
    """How literally the most specific matching pattern names the tag (-1: no pattern matches)."""
    return max((len(p.replace("*", "").replace("?", "")) for p in patterns if fnmatch.fnmatchcase(stem, p)), default=-1)


def _matches_any(stem: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(stem, p) for p in patterns)


def _choose(patterns: Sequence[str], free: set, parsed: Mapping, counts: Mapping, short: int, epoch_first: bool = False) -> list[str]:
    """The best tag for a role, then its other-granularity twins (same stem); with ``epoch_first``
    a per-epoch twin goes first. A series of fewer than ``short`` points is chosen only when
    nothing longer matches, a one-point summary only when nothing else does."""
    ranked = []
    for tag in free:
        stem = parsed[tag][0]
        for rank, pattern in enumerate(patterns):
            if fnmatch.fnmatchcase(stem, pattern):
                ranked.append((counts[tag] < short, counts[tag] < 2, rank, -counts[tag], tag))
                break
    if not ranked:
        return []
    best = min(ranked)
    stem = parsed[best[-1]][0]
    twins = sorted(r for r in ranked if r != best and parsed[r[-1]][0] == stem and parsed[r[-1]][1] != parsed[best[-1]][1])
    chosen = [best[-1]] + [r[-1] for r in twins]
    if epoch_first:
        chosen.sort(key=lambda tag: parsed[tag][1] != "epoch")
    return chosen


def _derive(role: str, patterns: Sequence[str], free: set, parsed: Mapping, counts: Mapping, default_per: str) -> list[MetricBinding]:
    """The sum of the components matching the first of ``patterns`` that matches any, one series
    per component (its per-step and per-epoch versions are twins, not parts); a single component
    is bound as it is."""
    for pattern in patterns:
        matched = sorted(t for t in free if fnmatch.fnmatchcase(parsed[t][0], pattern))
        if matched:
            break
    else:
        return []
    for tag in matched:
        free.discard(tag)
    by_stem: dict[str, list[str]] = {}
    for tag in matched:
        by_stem.setdefault(parsed[tag][0], []).append(tag)
    if len(by_stem) == 1:
        (versions,) = by_stem.values()
        ranked = sorted(versions, key=lambda t: -counts[t])
        return [_binding(role, tag, parsed, default_per) for tag in ranked]
    parts = tuple(max(versions, key=lambda t: counts[t]) for versions in by_stem.values())
    return [MetricBinding(role, f"sum({pattern})", default_per, parts)]


def comparable(a: MetricBinding, b: MetricBinding, table: RoleTable | None = None) -> bool:
    """Whether two bound series measure the same quantity (so that their gap means something)."""
    table = table or load_table()
    return _measure(a, table) == _measure(b, table)


def _measure(binding: MetricBinding, table: RoleTable) -> frozenset:
    names = binding.components or (binding.tag,)
    words = set()
    for name in names:
        stem = split_marker(name, table)[0]
        words |= {w for w in re.split(r"[/_\-. ]+", stem) if w and w not in table.split_words}
    return frozenset(words)


def binding_series(run: Run, binding: MetricBinding) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of a bound series; a derived sum is aligned on the steps all parts share."""
    if not binding.components:
        return run.series(binding.tag)
    steps, values = run.series(binding.components[0])
    for tag in binding.components[1:]:
        other_steps, other_values = run.series(tag)
        common, left, right = np.intersect1d(steps, other_steps, assume_unique=True, return_indices=True)
        steps, values = common, values[left] + other_values[right]
    return steps, values
