"""Which facts a measure reads: the project facts that make a project list it.

Shared by the checker (a measure that reads none is never evaluated, and says so) and the
plan (a project lists exactly the measures whose facts it gives).
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import ast


def names(e: ast.Expr | None) -> Iterator[str]:
    """Every name an expression mentions (enum values inside ``in {…}`` are not names)."""
    if e is None:
        return
    if isinstance(e, ast.Name):
        yield e.ident
    elif isinstance(e, (ast.BinOp, ast.Compare, ast.BoolOp)):
        yield from names(e.left)
        yield from names(e.right)
    elif isinstance(e, ast.PercentOf):
        yield from names(e.base)
    elif isinstance(e, (ast.Not, ast.YearOf)):
        yield from names(e.operand)
    elif isinstance(e, (ast.InSet, ast.InInterval)):
        yield from names(e.operand)


def inputs_of(e: ast.Expr, local: dict[str, ast.Define], defines: dict[str, ast.Define],
              inputs: set[str] | dict[str, object]) -> tuple[str, ...]:
    """The inputs an expression reads, through definitions, in the order it first names them."""
    found: list[str] = []
    stack, seen = list(reversed(list(names(e)))), set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        d = local.get(n) or defines.get(n)
        if d is not None:
            stack.extend(reversed(list(names(d.expr))))
        elif n in inputs:
            found.append(n)
    return tuple(found)


def measure_facts(m: ast.Measure, defines: dict[str, ast.Define], project_inputs: set[str],
                  dated: str | None) -> frozenset[str]:
    """The project inputs a measure reads, through its definitions, the qualifying date aside."""
    local = {d.name: d for d in m.defines}
    exprs: list[ast.Expr | None] = [m.beneficiary.expr if m.beneficiary else None]
    exprs += [r.expr for r in m.requirements] + [c.expr for c in m.cross_checks]
    for amount in [m.amount, *m.overrides]:
        if amount is None:
            continue
        if isinstance(amount, ast.Override):
            exprs.append(amount.condition)
        exprs.append(amount.cap)
        f = amount.formula
        if isinstance(f, ast.ExprFormula):
            exprs.append(f.expr)
        elif isinstance(f, ast.TierTable):
            exprs += [f.on, *(t.amount for t in f.tiers)]
        elif isinstance(f, ast.CategoryTable):
            exprs += [f.on, *(r.amount for r in f.rows)]
    found = {n for e in exprs if e is not None for n in inputs_of(e, local, defines, project_inputs)}
    return frozenset(found - {dated})
