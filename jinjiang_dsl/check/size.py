"""Size limits of a policy: how deep and how large an expression may grow, how large a number.

Checked before anything else, because every later stage (the checker's typing, the code
generator, the interpreter) walks expressions recursively and inlines definitions: what
passes here, each of them handles within Python's limits. Definitions count where they are
used, so ``define d2 = d1 + d1`` repeated thirty times is refused here, not expanded into a
billion terms later. The bounds are in :mod:`jinjiang_dsl.limits`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from .. import ast
from ..limits import (
    MAX_EXPR_DEPTH,
    MAX_EXPR_NODES,
    MAX_LITERAL,
    MAX_LITERAL_DECIMALS,
    MAX_MEASURE_ID,
    MAX_MEASURE_PARTS,
    shorten,
)

EXPR_TYPES = (ast.Quantity, ast.Percent, ast.DateLit, ast.BoolLit, ast.Name, ast.BinOp, ast.PercentOf,
              ast.Compare, ast.BoolOp, ast.Not, ast.YearOf, ast.YearSum, ast.InSet, ast.InInterval)
Report = Callable[..., None]
NO_LOCALS: dict[str, ast.Define] = {}
TOO_BIG = {
    "deep": (f"this expression nests more than {MAX_EXPR_DEPTH} levels deep, counting the definitions it uses",
             "split it: several 'requires' lines, or 'define' a part of it as a name"),
    "large": (f"this expression holds more than {MAX_EXPR_NODES} names, numbers and operators, counting the "
              "definitions it uses", "a definition used twice counts twice: simplify the chain of definitions"),
}


class _TooDeep(Exception):
    pass


class _TooLarge(Exception):
    pass


class _Reported(Exception):
    """The expression uses a definition already reported as too large: one error is enough."""


def check_size(policy: ast.Policy, report: Report) -> bool:
    """Report every expression, number and measure id over its bound; True when all are within."""
    before = _Count(report)
    for node in _nodes(policy):
        if isinstance(node, (ast.Quantity, ast.Percent)):
            _literal(node, before)
    for m in policy.measures:
        if len(m.id) > MAX_MEASURE_ID:
            before.error(f"a measure number of {len(m.id)} characters; at most {MAX_MEASURE_ID}", m.span)
        _parts(m, before)
    sizes = _Sizes({d.name: d for d in policy.defines})
    for root, local, name in _roots(policy):
        problem = sizes.problem(root, local)
        if problem is None:
            continue
        if name is not None:
            sizes.failed.add(sizes.key(name, local))
        if problem in TOO_BIG:
            message, hint = TOO_BIG[problem]
            before.error(message, root.span, hint)
    return before.errors == 0


class _Count:
    def __init__(self, report: Report):
        self.report, self.errors = report, 0

    def error(self, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.errors += 1
        self.report("error", message, span, hint)


def _literal(node: ast.Quantity | ast.Percent, out: _Count) -> None:
    value = node.value
    if abs(value) >= MAX_LITERAL:
        out.error(f"'{shorten(node.text)}' is too large: numbers in a policy are below 10^15", node.span)
    elif _places(value) > MAX_LITERAL_DECIMALS:
        out.error(f"'{shorten(node.text)}' has more than {MAX_LITERAL_DECIMALS} decimal places", node.span)


def _parts(m: ast.Measure, out: _Count) -> None:
    """Requirements, overrides, tiers, cross checks and definitions of a measure, each at most
    :data:`MAX_MEASURE_PARTS`; the first one over is where the error points."""
    tables = [f for f in (m.amount.formula if m.amount else None, *(o.formula for o in m.overrides))
              if isinstance(f, ast.TierTable)]
    groups: list[tuple[str, tuple[Any, ...]]] = [
        ("requirements", m.requirements), ("overrides", m.overrides), ("cross checks", m.cross_checks),
        ("definitions", m.defines), *(("tiers in a table", t.tiers) for t in tables),
        *(("rows in a category table", f.rows) for f in (m.amount.formula if m.amount else None,
                                                         *(o.formula for o in m.overrides))
          if isinstance(f, ast.CategoryTable))]
    for what, items in groups:
        if len(items) > MAX_MEASURE_PARTS:
            out.error(f"{len(items):,} {what}; a measure may have at most {MAX_MEASURE_PARTS}",
                      items[MAX_MEASURE_PARTS].span, "split the measure, or write the rule more simply")


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent >= 0:
        return 0
    digits = "".join(map(str, value.as_tuple().digits))
    return max(-exponent - (len(digits) - len(digits.rstrip("0"))), 0)


class _Sizes:
    """Depth and node count of expressions with definitions expanded, each definition measured once."""

    def __init__(self, defines: dict[str, ast.Define]):
        self.defines = defines
        self.memo: dict[tuple[int, str], tuple[int, int]] = {}
        self.visiting: set[tuple[int, str]] = set()
        self.failed: set[tuple[int, str]] = set()

    @staticmethod
    def key(name: str, local: dict[str, ast.Define]) -> tuple[int, str]:
        """Which definition a name means where it is used: the measure's own, or the policy's (0)."""
        return (id(local), name) if name in local else (0, name)

    def problem(self, e: ast.Expr, local: dict[str, ast.Define]) -> str | None:
        """None when within bounds; else "deep", "large", or "reported" (a definition it uses was)."""
        try:
            depth, nodes = self.size(e, local, 1)
        except _TooDeep:
            return "deep"
        except _TooLarge:
            return "large"
        except _Reported:
            return "reported"
        return "deep" if depth > MAX_EXPR_DEPTH else "large" if nodes > MAX_EXPR_NODES else None

    def size(self, e: Any, local: dict[str, ast.Define], level: int) -> tuple[int, int]:
        """``level`` is how deep the walk is: past the bound it stops, so it never recurses far."""
        if level > MAX_EXPR_DEPTH:
            raise _TooDeep
        if isinstance(e, ast.Name):
            d = local.get(e.ident) or self.defines.get(e.ident)
            if d is None:
                return 1, 1
            key = self.key(e.ident, local)
            if key[0] == 0:
                local = NO_LOCALS  # a policy-wide definition sees no measure's definitions
            if key in self.failed:
                raise _Reported
            if key in self.memo:
                depth, nodes = self.memo[key]
            elif key in self.visiting:  # a cycle: the checker reports it
                return 1, 1
            else:
                self.visiting.add(key)
                try:
                    depth, nodes = self.size(d.expr, local, level + 1)
                except (_TooDeep, _TooLarge):
                    self.failed.add(key)
                    raise
                finally:
                    self.visiting.discard(key)
                self.memo[key] = depth, nodes
            if level + depth > MAX_EXPR_DEPTH:
                raise _TooDeep
            if nodes > MAX_EXPR_NODES:
                raise _TooLarge
            return depth + 1, nodes
        depth, nodes = 0, 1
        for child in ast.children(e):
            below, n = self.size(child, local, level + 1)
            depth, nodes = max(depth, below), nodes + n
            if nodes > MAX_EXPR_NODES:
                raise _TooLarge
        return depth + 1, nodes


def _roots(policy: ast.Policy) -> Iterator[tuple[ast.Expr, dict[str, ast.Define], str | None]]:
    """Every outermost expression, with the definitions local to where it stands, and the name it
    defines when it is a definition's."""
    for m in policy.measures:
        local = {d.name: d for d in m.defines}
        for d in m.defines:
            yield d.expr, local, d.name
        for e in _outermost(attrs.evolve(m, defines=())):
            yield e, local, None
    for d in policy.defines:
        yield d.expr, NO_LOCALS, d.name
    for e in _outermost(attrs.evolve(policy, measures=(), defines=())):
        yield e, NO_LOCALS, None


def _outermost(root: Any) -> Iterator[ast.Expr]:
    for node in _nodes(root, stop_at_expr=True):
        if isinstance(node, EXPR_TYPES):
            yield node


def _nodes(root: Any, stop_at_expr: bool = False) -> Iterator[Any]:
    """Every AST node below ``root``, without recursion (an AST may be deep)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(reversed(node))
            continue
        names = _field_names(type(node))
        if names is None:
            continue
        yield node
        if stop_at_expr and isinstance(node, EXPR_TYPES):
            continue
        stack.extend(getattr(node, name) for name in names)


_FIELDS: dict[type, tuple[str, ...] | None] = {}
_LEAF_TYPES = frozenset({"Span", "str", "bool", "int", "Decimal", "dt", "date", "None", "Literal", "tuple"})


def _field_names(kind: type) -> tuple[str, ...] | None:
    """An AST node class's fields that may hold nodes, last first (None: not a node, or a span); once per
    class, since the checker walks every node of a policy. A field is left out only when its annotation
    names nothing but texts, numbers, dates and spans (``str | None``, ``tuple[int, ...]``)."""
    if kind not in _FIELDS:
        node = attrs.has(kind) and not issubclass(kind, ast.Span)
        _FIELDS[kind] = tuple(f.name for f in reversed(attrs.fields(kind)) if not _leaf(str(f.type))) if node else None
    return _FIELDS[kind]


def _leaf(annotation: str) -> bool:
    return set(re.findall(r"\w+", re.sub(r"'[^']*'", "", annotation))) <= _LEAF_TYPES
