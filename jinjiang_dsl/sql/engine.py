"""The DuckDB engine: applicants decided by the emitted SQL query, in an embedded database.

The applicants are read and validated as for the Python engine (the same errors, with their JSON
paths), loaded into two tables, and decided by :func:`jinjiang_dsl.sql.emit.emit`'s query. Each row
comes back as the claim it is and is made an award by the decider's own code (payer shares,
instalments, cross-check warnings), so every output — the contract's JSON, JSON Lines, the summary
and its quota warnings — is written as the Python engine writes it. The SQL engine keeps no
explanation: its awards carry no trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..decide import Decider
from ..decisions import ApplicantDecision, ProjectDecision
from ..inputs import Applicant
from ..plan import Plan
from ..rules import Claim, Limit
from ..runtime.trace import cross_check
from .emit import COLUMN_PREFIX, COLUMN_TYPES, emit, ident

if TYPE_CHECKING:
    from ..api import Policy

ZERO = Decimal(0)


def _columns(plan: Plan, scope: str) -> list[tuple[str, str]]:
    return [(name, COLUMN_TYPES[spec.kind]) for name, spec in plan.inputs.items() if spec.scope == scope]


def load(con: Any, plan: Plan, apps: Sequence[Applicant]) -> None:
    """The two tables the query reads, filled with the applicants that have no input error."""
    a_cols, p_cols = _columns(plan, "applicant"), _columns(plan, "project")
    typed = "".join(f", {ident(COLUMN_PREFIX + n)} {t}" for n, t in a_cols)
    con.execute(f"CREATE TABLE applicant (a_ord BIGINT{typed})")
    typed = "".join(f", {ident(COLUMN_PREFIX + n)} {t}" for n, t in p_cols)
    con.execute(f"CREATE TABLE project (a_ord BIGINT, p_ord BIGINT, p_date DATE, given VARCHAR[]{typed})")
    ok = [(i, app) for i, app in enumerate(apps) if app.ok]
    if not ok:
        return
    marks = ", ".join("?" * (1 + len(a_cols)))
    con.executemany(f"INSERT INTO applicant VALUES ({marks})",
                    [[i, *(app.facts.get(n) for n, _ in a_cols)] for i, app in ok])
    rows = [[i, j, p.date, sorted(p.given), *(p.facts.get(n) for n, _ in p_cols)]
            for i, app in ok for j, p in enumerate(app.projects)]
    if rows:
        marks = ", ".join("?" * (4 + len(p_cols)))
        con.executemany(f"INSERT INTO project VALUES ({marks})", rows)


def decide(policy: Policy, apps: Sequence[Applicant]) -> list[ApplicantDecision]:
    """Every applicant's decision, in input order, decided by the SQL query on DuckDB."""
    import duckdb

    plan = policy.plan
    query = emit(plan)
    con = duckdb.connect()
    try:
        load(con, plan, apps)
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    by_applicant: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_applicant.setdefault(row[0], []).append(row)
    decider = policy.decider(trace=False)
    return [_decision(decider, i, app, by_applicant.get(i, [])) for i, app in enumerate(apps)]


def _decision(decider: Decider, i: int, app: Applicant, rows: list[tuple[Any, ...]]) -> ApplicantDecision:
    """One applicant's decision from its rows: its claims, made awards as the decider makes them."""
    if not app.ok:
        return ApplicantDecision(app.id, app.name, "error", ZERO, (), app.errors)
    plan = decider.plan
    problem = next((r[8] for r in rows if r[8] is not None), None)
    if problem is not None:  # a rule needed a fact the applicant did not give
        index, name = problem.split(":", 1)
        rule = plan.rules[int(index)]
        assert isinstance(rule, Limit)
        return decider.error(app, rule.missing(app, name))
    claims: dict[int, list[Claim]] = {}
    for _, p_ord, mid, status, entitlement, amount, raw, checks, _ in rows:
        m = plan.measure(mid)
        project = app.projects[p_ord]
        warnings = tuple(cross_check(m.rule, c.label, other, raw)
                         for c, other in zip(m.cross_checks, checks or ()) if other is not None and other != raw)
        claims.setdefault(p_ord, []).append(Claim(m, status, entitlement, amount, None, warnings, p_ord, project.id,
                                                  project.date, project.facts))
    projects = tuple(ProjectDecision(p.id, tuple(decider.freeze(c) for c in claims.get(j, ())))
                     for j, p in enumerate(app.projects))
    total = sum((c.amount for found in claims.values() for c in found if c.status == "granted" and c.amount), ZERO)
    return ApplicantDecision(app.id, app.name, "ok", total, projects)
