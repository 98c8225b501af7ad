"""Hyperparameters from side files (``hparams.yaml``, YOLO's ``opt.yaml``), loaded safely.

Lightning's ``hparams.yaml`` may carry ``!!python/object`` tags (a pickled optimizer class, a
namespace). A safe loader refuses those; this one reads what is inside them as plain data and
never constructs an object or runs code. The result is flattened to dotted keys holding only
scalars and short lists of scalars, which is what rules can use.
"""
from __future__ import annotations

from typing import Any

import yaml

_MAX_LIST = 64
_MAX_TEXT = 200

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DataLoader(_Base):  # type: ignore[misc, valid-type]
    """A safe YAML loader that reads unknown tags as the plain data beneath them."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """Like the safe loader's, but a key that is not hashable (a tagged tuple) becomes text."""
        self.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                key = str(key)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _untagged(loader: yaml.Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_DataLoader.add_multi_constructor("!", _untagged)
_DataLoader.add_multi_constructor("tag:yaml.org,2002:python/", _untagged)


def load_yaml(text: bytes | str, name: str) -> tuple[dict, list[str]]:
    """Flattened hyperparameters from YAML text, and notes about what could not be read."""
    try:
        data = yaml.load(text, Loader=_DataLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return {}, [f"{name}: not valid YAML{where}; hyperparameters not read"]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"{name}: not a mapping of hyperparameters; ignored"]
    return flatten(data), []


def flatten(data: dict, prefix: str = "") -> dict:
    """Nested mappings as dotted keys, keeping scalars and short scalar lists only."""
    out: dict = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (list, tuple)):
            if len(value) <= _MAX_LIST and all(_is_scalar(v) for v in value):
                out[name] = [_clip(v) for v in value]
        elif _is_scalar(value):
            out[name] = _clip(value)
    return out


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return value[:_MAX_TEXT] + "..."
    return value
