"""A small, safe expression language for rule conditions, evaluated without ``eval``.

Conditions are parsed with :mod:`ast` and only a whitelist of node types is accepted: ``and``,
``or``, ``not``, comparisons, ``+ - * /``, numbers, strings, booleans, lists of constants, dotted
names (``val_loss.rise_from_min``, ``params.min_rise``, ``symptom.diverging``) and the functions
in :data:`FUNCTIONS`. Anything else (attribute access on values, subscripts, lambdas, ``**``,
calls to other names) is refused when the rule file is loaded.

A name whose fact is absent evaluates to :data:`UNKNOWN`, which propagates through arithmetic
and comparisons and follows Kleene logic in ``and``/``or`` (``UNKNOWN or True`` is True). A
condition that ends UNKNOWN means "not applicable": the facts it needs were not logged.
"""
from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import is_number

MAX_LENGTH = 2000
MAX_DEPTH = 32


class _Unknown:
    """The value of an expression that needs a fact the run does not have."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value; test it with 'is UNKNOWN'")


UNKNOWN = _Unknown()


class ExpressionError(ValueError):
    """An expression that is not valid in the rule language."""


FUNCTIONS: dict[str, Callable] = {
    "abs": abs,
    "min": min,
    "max": max,
    "log": lambda x: math.log(x) if x > 0 else UNKNOWN,
    "exp": lambda x: math.exp(min(x, 700.0)),
}
"""Functions a condition may call (plus ``exists(fact)``, which never returns UNKNOWN)."""

_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}


@dataclass(frozen=True)
class Comparison:
    """One comparison as evaluated: its text, the values on each side, and the outcome."""

    text: str
    left: Any
    op: str
    right: Any
    result: Any


@dataclass
class Expression:
    """A parsed, validated condition or value expression."""

    source: str
    tree: ast.Expression
    names: frozenset = field(default_factory=frozenset)
    texts: dict = field(default_factory=dict, repr=False, compare=False)
    """Each name node's dotted fact name and each compared operand's text, worked out once at parse
    time: evaluation runs once per rule and run, and would otherwise rebuild them every time."""

    def evaluate(self, lookup: Callable[[str], Any], trace: list | None = None, exhaustive: bool = False) -> Any:
        """The value, with names resolved by ``lookup`` (which returns UNKNOWN for absent facts).

        ``exhaustive`` evaluates every operand of ``and``/``or`` (same result) so that ``trace``
        holds every comparison, not only those before the first decisive one.
        """
        return _Evaluator(self.texts, lookup, trace, exhaustive).visit(self.tree.body)


def parse(source: str) -> Expression:
    """Parse and validate an expression; raise :class:`ExpressionError` naming the problem."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("expected a non-empty expression")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg} (column {exc.offset})") from None
    names: set[str] = set()
    _validate(tree.body, names, depth=0)
    return Expression(source.strip(), tree, frozenset(names), _texts(tree))


def _texts(tree: ast.Expression) -> dict:
    """The dotted name of every name node and the source text of every compared operand."""
    texts = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)):
            texts[node] = dotted_name(node)
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                texts.setdefault(operand, ast.unparse(operand))
    return texts


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attribute accesses on a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _validate(node: ast.AST, names: set, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError("expression nested too deeply")
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = dotted_name(node)
        if name is None or name.startswith("_") or "._" in name or name in FUNCTIONS or name == "exists":
            raise ExpressionError(f"'{ast.unparse(node)}' is not a fact name")
        names.add(name)
        return
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float, str, bool)) and node.value is not None:
            raise ExpressionError(f"constant {node.value!r} is not allowed")
        return
    if isinstance(node, ast.Call):
        _validate_call(node, names, depth)
        return
    allowed = (ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Compare, ast.List, ast.Tuple, ast.And, ast.Or)
    if not isinstance(node, allowed):
        raise ExpressionError(f"'{ast.unparse(node)}': {type(node).__name__} is not allowed in a condition")
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.Not, ast.USub, ast.UAdd)):
        raise ExpressionError(f"operator in '{ast.unparse(node)}' is not allowed")
    if isinstance(node, ast.BinOp) and type(node.op) not in _ARITH:
        raise ExpressionError(f"operator in '{ast.unparse(node)}' is not allowed (use + - * /)")
    if isinstance(node, ast.Compare) and not all(type(op) in _COMPARE for op in node.ops):
        raise ExpressionError(f"comparison in '{ast.unparse(node)}' is not allowed")
    if isinstance(node, (ast.List, ast.Tuple)) and not all(isinstance(e, ast.Constant) for e in node.elts):
        raise ExpressionError(f"'{ast.unparse(node)}': lists may hold constants only")
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.operator, ast.boolop, ast.unaryop, ast.cmpop, ast.expr_context)):
            _validate(child, names, depth + 1)


def _validate_call(node: ast.Call, names: set, depth: int) -> None:
    func = node.func.id if isinstance(node.func, ast.Name) else None
    if func not in FUNCTIONS and func != "exists":
        raise ExpressionError(f"'{ast.unparse(node.func)}' is not a function a condition may call")
    if node.keywords or not node.args:
        raise ExpressionError(f"'{ast.unparse(node)}': call with positional arguments only")
    if func == "exists" and (len(node.args) != 1 or dotted_name(node.args[0]) is None):
        raise ExpressionError("exists() takes one fact name")
    for arg in node.args:
        _validate(arg, names, depth + 1)


class _Evaluator:
    def __init__(self, texts: dict, lookup: Callable[[str], Any], trace: list | None, exhaustive: bool = False) -> None:
        self.texts, self.lookup, self.trace, self.exhaustive = texts, lookup, trace, exhaustive

    def visit(self, node: ast.AST) -> Any:
        return getattr(self, f"_{type(node).__name__}")(node)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.AST) -> Any:
        return self.lookup(self.texts[node])

    _Attribute = _Name

    def _List(self, node: ast.List) -> Any:
        return [e.value for e in node.elts]

    _Tuple = _List

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        unknown = decided = False
        for value in node.values:
            result = _truth(self.visit(value))
            if result is UNKNOWN:
                unknown = True
            elif result is not is_and:
                decided = True
                if not self.exhaustive:
                    break
        if decided:
            return not is_and
        return UNKNOWN if unknown else is_and

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            truth = _truth(value)
            return UNKNOWN if truth is UNKNOWN else not truth
        if not is_number(value):
            return UNKNOWN
        return -value if isinstance(node.op, ast.USub) else value

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if not (is_number(left) and is_number(right)):
            return UNKNOWN
        if isinstance(node.op, ast.Div) and right == 0:
            return UNKNOWN
        return _ARITH[type(node.op)](left, right)

    def _Compare(self, node: ast.Compare) -> Any:
        left_node, left = node.left, self.visit(node.left)
        outcome: Any = True
        for op, right_node in zip(node.ops, node.comparators):
            right = self.visit(right_node)
            result = _compare(op, left, right)
            if self.trace is not None:
                text = f"{self.texts[left_node]} {_SYMBOLS[type(op)]} {self.texts[right_node]}"
                self.trace.append(Comparison(text, left, _SYMBOLS[type(op)], right, result))
            if result is UNKNOWN:
                outcome = UNKNOWN
            elif not result:
                return False
            left_node, left = right_node, right
        return outcome

    def _Call(self, node: ast.Call) -> Any:
        func = node.func.id
        if func == "exists":
            return self.lookup(self.texts[node.args[0]]) is not UNKNOWN
        args = [self.visit(a) for a in node.args]
        if not all(is_number(a) for a in args):
            return UNKNOWN
        return FUNCTIONS[func](*args)


def _truth(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, bool):
        return value
    if is_number(value):
        return value != 0
    return bool(value)


def _compare(op: ast.cmpop, left: Any, right: Any) -> Any:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if isinstance(op, (ast.In, ast.NotIn)):
        return _COMPARE[type(op)](left, right) if isinstance(right, list) else UNKNOWN
    if isinstance(op, (ast.Eq, ast.NotEq)):
        return _COMPARE[type(op)](left, right)
    if is_number(left) and is_number(right):
        if math.isnan(left) or math.isnan(right):
            return UNKNOWN
        return _COMPARE[type(op)](left, right)
    if isinstance(left, str) and isinstance(right, str):
        return _COMPARE[type(op)](left, right)
    return UNKNOWN


def lookup_in(facts: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Callable[[str], Any]:
    """A name resolver over facts (and extra names such as ``params.*``), UNKNOWN if absent."""

    def lookup(name: str) -> Any:
        if extra and name in extra:
            return extra[name]
        value = facts.get(name, UNKNOWN)
        return UNKNOWN if value is None else value

    return lookup
