"""The DuckDB engine: applicants decided by the emitted SQL query, in an embedded database.

The applicants are read and validated as for the Python engine (the same errors, with their JSON
paths), loaded into two tables, and decided by :func:`jinjiang_dsl.sql.emit.emit`'s query. Each row
comes back as the claim it is and is made an award by the decider's own code (payer shares,
instalments, cross-check warnings), so every output — the contract's JSON, JSON Lines, the summary
and its quota warnings — is written as the Python engine writes it. The SQL engine keeps no
explanation: its awards carry no trace.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..decide import Decider
from ..decisions import ApplicantDecision, ProjectDecision
from ..inputs import Applicant
from ..plan import Plan
from ..rules import Claim, Limit
from ..runtime.outcome import Undefined
from ..runtime.trace import cross_check
from .emit import COLUMN_PREFIX, emit, ident, input_columns, literal, table_columns

if TYPE_CHECKING:
    from ..api import Policy

ZERO = Decimal(0)


def load(con: Any, plan: Plan, apps: Sequence[Applicant]) -> None:
    """The two tables the query reads, filled with the applicants that have no input error.

    They are written to JSON Lines in a private temporary folder (money as its exact text) and read
    by DuckDB with the columns' types: a row at a time through Python's DB-API took a minute for
    20,000 applicants; this takes a fraction of a second."""
    with tempfile.TemporaryDirectory(prefix="jinjiang-dsl-") as folder:
        for table in ("applicant", "project"):
            path = os.path.join(folder, f"{table}.jsonl")
            with open(path, "w", encoding="utf-8") as out:
                for record in table_rows(plan, apps, table):
                    out.write(_line(record))
            _create(con, table, path, table_columns(plan, table))


def table_rows(plan: Plan, apps: Sequence[Applicant], table: str) -> Iterator[dict[str, Any]]:
    """The rows of the table ``applicant`` or ``project`` (by column, as :func:`.emit.table_columns` names
    them): the applicants without an input error, each numbered by its place in ``apps``, and their projects."""
    inputs = input_columns(plan, table)
    for i, app in enumerate(apps):
        if not app.ok:
            continue
        if table == "applicant":
            yield {"a_ord": i, "a_date": app.date, "a_given": sorted(app.given), **_facts(app.facts, inputs)}
            continue
        for j, p in enumerate(app.projects):
            yield {"a_ord": i, "p_ord": j, "p_date": p.date, "given": sorted(p.given), **_facts(p.facts, inputs)}


def _facts(facts: dict[str, Any], columns: list[tuple[str, str]]) -> dict[str, Any]:
    return {COLUMN_PREFIX + name: facts.get(name) for name, _ in columns}


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"  # Decimal and date as their exact text


def _create(con: Any, table: str, path: str, columns: list[tuple[str, str]]) -> None:
    """A table of ``columns`` read from a JSON Lines file written above (an empty one gives no rows)."""
    typed = ", ".join(f"{ident(name)} {kind}" for name, kind in columns)
    con.execute(f"CREATE TABLE {table} ({typed})")
    if os.path.getsize(path):
        struct = "{" + ", ".join(f"{literal(name)}: {literal(kind)}" for name, kind in columns) + "}"
        con.execute(f"INSERT INTO {table} SELECT * FROM read_json({literal(path)}, format = 'newline_delimited', "
                    f"columns = {struct})")


def decide(policy: Policy, apps: Sequence[Applicant]) -> list[ApplicantDecision]:
    """Every applicant's decision, in input order, decided by the SQL query on DuckDB."""
    import duckdb

    plan = policy.plan
    query = emit(plan)
    con = duckdb.connect()
    try:
        load(con, plan, apps)
        rows = con.execute(query).fetchall()
    except (duckdb.OutOfRangeException, duckdb.ConversionException):
        return overflowed(policy, apps)
    finally:
        con.close()
    return decisions(policy, apps, rows)


def overflowed(policy: Policy, apps: Sequence[Applicant]) -> list[ApplicantDecision]:
    """A batch whose query met a figure past DECIMAL(38) (a count times an amount near the bounds the
    validator allows): the Python engine, which computes to 100 digits, decides it — the same decisions,
    exactly — rather than one hostile applicant making the query, and so every other applicant, fail."""
    return list(policy.decider(trace=False).applicants(apps))


def decisions(policy: Policy, apps: Sequence[Applicant], rows: Iterable[Sequence[Any]]) -> list[ApplicantDecision]:
    """Every applicant's decision, in input order, from the query's rows (whichever engine ran it)."""
    by_applicant: dict[int, list[Sequence[Any]]] = {}
    for row in rows:
        by_applicant.setdefault(row[0], []).append(row)
    decider = policy.decider(trace=False)
    return [_decision(decider, i, app, by_applicant.get(i, [])) for i, app in enumerate(apps)]


def _decision(decider: Decider, i: int, app: Applicant, rows: list[Sequence[Any]]) -> ApplicantDecision:
    """One applicant's decision from its rows: its claims, made awards as the decider makes them."""
    if not app.ok:
        return ApplicantDecision(app.id, app.name, "error", ZERO, (), app.errors)
    plan = decider.plan
    zero = next((r for r in rows if r[10] is not None), None)
    if zero is not None:  # the first measure Python would have stopped at, at a zero divisor
        exc = Undefined(tuple(zero[10].split(",")))
        exc.where = (app.projects[zero[1]] if zero[1] >= 0 else None, zero[2])
        return ApplicantDecision(app.id, app.name, "error", ZERO, (), (decider.zero_divisor(app, exc),))
    problem = next((r[8] for r in rows if r[8] is not None), None)
    if problem is not None:  # a rule needed a fact the applicant did not give
        index, name = problem.split(":", 1)
        rule = plan.rules[int(index)]
        assert isinstance(rule, Limit)
        return decider.error(app, rule.missing(app, name))
    claims: dict[int, list[Claim]] = {}  # by project, the applicant's own under -1
    for _, p_ord, mid, status, entitlement, amount, raw, checks, _, date, _ in rows:
        m = plan.measure(mid)
        project = app.projects[p_ord] if p_ord >= 0 else None
        warnings = tuple(cross_check(m.rule, c.label, other, raw)
                         for c, other in zip(m.cross_checks, checks or ()) if other is not None and other != raw)
        claims.setdefault(p_ord, []).append(Claim(m, status, entitlement, amount, None, warnings, p_ord,
                                                  project.id if project else "", date,
                                                  project.facts if project else {}))
    projects = tuple(ProjectDecision(p.id, tuple(decider.freeze(c) for c in claims.get(j, ())))
                     for j, p in enumerate(app.projects))
    total = sum((c.amount for found in claims.values() for c in found if c.status == "granted" and c.amount), ZERO)
    return ApplicantDecision(app.id, app.name, "ok", total, projects, (),
                             tuple(decider.freeze(c) for c in claims.get(-1, ())))
