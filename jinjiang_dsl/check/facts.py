"""Which facts a measure reads: the project facts that make a project list it.

Shared by the checker (a measure that reads none is never evaluated, and says so) and the
plan (a project lists exactly the measures whose facts it gives).
"""

from __future__ import annotations

from collections.abc import Container, Iterator

from .. import ast


def names(e: ast.Expr | None, summed: bool = False) -> Iterator[str]:
    """Every name an expression mentions (enum values inside ``in {…}`` are not names): the names it
    reads as they are, or (``summed``) those it adds up over the year."""
    if e is None:
        return
    if isinstance(e, ast.Name):
        if not summed:
            yield e.ident
    elif isinstance(e, ast.YearSum):
        if summed:
            yield e.operand.ident
    elif isinstance(e, ast.InSet):
        yield from names(e.operand, summed)
    else:
        for child in ast.children(e):
            yield from names(child, summed)


def inputs_of(e: ast.Expr, local: dict[str, ast.Define], defines: dict[str, ast.Define],
              inputs: Container[str], summed: bool = False) -> tuple[str, ...]:
    """The inputs an expression reads (or, ``summed``, adds up over the year), through definitions, in
    the order it first names them."""
    found: list[str] = []
    stack, seen = [(n, False) for n in reversed(list(names(e)))], set()
    if summed:
        stack += [(n, True) for n in reversed(list(names(e, True)))]
    while stack:
        n, is_sum = stack.pop()
        if (n, is_sum) in seen:
            continue
        seen.add((n, is_sum))
        d = None if is_sum else local.get(n) or defines.get(n)
        if d is not None:
            stack.extend((x, False) for x in reversed(list(names(d.expr))))
            if summed:
                stack.extend((x, True) for x in reversed(list(names(d.expr, True))))
        elif n in inputs and is_sum == summed:
            found.append(n)
    return tuple(found)


def measure_facts(m: ast.Measure, defines: dict[str, ast.Define], project_inputs: set[str],
                  dated: str | None, summed: bool = False) -> frozenset[str]:
    """The project inputs a measure reads, through its definitions, the qualifying dates aside (the
    policy's, the measure's own); or, with ``summed``, those it adds up over the applicant's year
    (``sum of X per applicant per year``)."""
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
    found = {n for e in exprs if e is not None for n in inputs_of(e, local, defines, project_inputs, summed)}
    return frozenset(found - {dated, m.dated_by.ident if m.dated_by else None})
