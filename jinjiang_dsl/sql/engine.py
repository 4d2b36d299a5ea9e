"""The DuckDB engine: applicants decided by the emitted SQL query, in an embedded database.

The applicants are read and validated as for the Python engine (the same errors, with their JSON
paths), loaded into two tables, and decided by :func:`jinjiang_dsl.sql.emit.emit`'s query; the
rows come back as the same decision records, so every output (the contract's JSON, JSON Lines, the
summary) is written by the same code. The SQL engine keeps no explanation: its awards carry no trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..decisions import ApplicantDecision, Award, ProjectDecision
from ..inputs import Applicant
from ..plan import Plan
from .emit import COLUMN_PREFIX, COLUMN_TYPES, emit, ident

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


def decide(plan: Plan, apps: Sequence[Applicant]) -> list[ApplicantDecision]:
    """Every applicant's decision, in input order, decided by the SQL query on DuckDB."""
    import duckdb

    query = emit(plan)
    con = duckdb.connect()
    try:
        load(con, plan, apps)
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    awards: dict[tuple[int, int], list[Award]] = {}
    for a_ord, p_ord, measure, status, entitlement in rows:
        amount = None if entitlement is None else Decimal(entitlement)
        awards.setdefault((a_ord, p_ord), []).append(Award(measure, status, amount, amount, (), ()))
    decisions = []
    for i, app in enumerate(apps):
        if not app.ok:
            decisions.append(ApplicantDecision(app.id, app.name, "error", ZERO, (), app.errors))
            continue
        projects = tuple(ProjectDecision(p.id, tuple(awards.get((i, j), ()))) for j, p in enumerate(app.projects))
        total = sum((a.amount for pd in projects for a in pd.awards if a.status == "granted" and a.amount), ZERO)
        decisions.append(ApplicantDecision(app.id, app.name, "ok", total, projects))
    return decisions
