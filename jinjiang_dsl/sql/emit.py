"""The SQL emitter: a plan → one readable query that decides every project's awards of a population.

It reads the same plan as the Python code generator and keeps its semantics, in exact decimals:
money is ``DECIMAL(38, 20)`` (every figure the validator accepts), each constant has the precision it
is written with, a product's scale is tracked and refused past what ``DECIMAL(38)`` holds, and the
policy's rounding is the only rounding. A missing fact is NULL; beside each value the emitter
builds the SQL that says whether Python would have read it at all (``and``/``or`` stop early, a
condition that touches a missing fact does not hold, an amount that does makes the measure not
eligible), so the two engines agree on every status. Policy text reaches the query only as quoted
identifiers (``"投资额"``) and string literals with their quotes doubled.

The query reads two relations — ``applicant`` (``a_ord``, ``a_id`` and a column per applicant
input) and ``project`` (``a_ord``, ``p_ord``, ``p_id``, ``p_date``, ``given``: the names of the facts
the record gave, and a column per project input) — and returns one row per award:
``a_ord, p_ord, measure, status, entitlement`` (the amount too, while no rule across measures acts). Its CTEs are named after the measures, each
with a comment naming its ``.pol`` line. What it cannot yet decide is listed by :func:`unsupported`,
and a policy that uses it is refused, never decided differently.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from .. import ir
from ..ir import Cond, Formula, Measure, measure_key
from ..plan import Plan
from ..rules import Validity
from ..runtime.intervals import Interval, lower_key

MONEY = "DECIMAL(38, 20)"
COUNT = "DECIMAL(18, 0)"
MAX_SCALE = 22  # 38 digits with 16 before the point: money under 10^15 times a count or a rate
COLUMN_PREFIX = "f_"  # an input's column: "f_投资额"; the engine's own columns never start so
SQL_COMPARE = {">=": ">=", "<=": "<=", ">": ">", "<": "<", "==": "=", "!=": "<>"}
COLUMN_TYPES = {"money": MONEY, "percent": MONEY, "count": COUNT, "bool": "BOOLEAN", "date": "DATE",
                "text": "VARCHAR", "enum": "VARCHAR"}


class Unsupported(Exception):
    """A construct the SQL engine does not decide yet; the message says which, and where."""


class Sql(NamedTuple):
    """A value in SQL, whether Python would have read it (``ok``), and its decimal scale (None: not a number)."""

    val: str
    ok: str
    scale: int | None = None


def ident(name: str) -> str:
    """A name as a quoted SQL identifier (names are words, but a quote is doubled all the same)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def number(value: Decimal | int) -> Sql:
    """A constant at the precision it is written with: 0.2 is DECIMAL(2, 1), 1000000 DECIMAL(7, 0)."""
    d = Decimal(value)
    sign, digits, exponent = d.normalize().as_tuple()
    scale = max(-int(exponent), 0)
    precision = max(len(digits) + max(int(exponent), 0), scale + 1)
    if precision > 38:
        raise Unsupported(f"the constant {d} has more than 38 digits")
    return Sql(f"CAST({literal(format(d, 'f'))} AS DECIMAL({precision}, {scale}))", "TRUE", scale)


def date(value: dt.date) -> str:
    return f"DATE {literal(value.isoformat())}"


def _and(*parts: str) -> str:
    kept = [p for p in parts if p != "TRUE"]
    return "TRUE" if not kept else kept[0] if len(kept) == 1 else "(" + " AND ".join(kept) + ")"


class Emitter:
    def __init__(self, plan: Plan):
        self.plan = plan

    # ------------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr) -> Sql:
        if isinstance(e, ir.Const):
            v = e.value
            if isinstance(v, bool):
                return Sql("TRUE" if v else "FALSE", "TRUE")
            if isinstance(v, dt.date):
                return Sql(date(v), "TRUE")
            if isinstance(v, str):
                return Sql(literal(v), "TRUE")
            return number(v)
        if isinstance(e, ir.Input):
            column = ident(COLUMN_PREFIX + e.name)
            kind = self.plan.inputs[e.name].kind
            scale = 20 if kind in ("money", "percent") else 0 if kind == "count" else None
            return Sql(column, f"({column} IS NOT NULL)", scale)
        if isinstance(e, ir.Arith):
            if e.op == "/":
                raise Unsupported("division ('/')")
            left, right = self.expr(e.left), self.expr(e.right)
            scale = _scale(left, right, e.op)
            return Sql(f"({left.val} {e.op} {right.val})", _and(left.ok, right.ok), scale)
        if isinstance(e, ir.Share):
            rate, base = number(e.rate), self.expr(e.base)
            return Sql(f"({rate.val} * {base.val})", base.ok, _scale(rate, base, "*"))
        if isinstance(e, ir.Compare):
            left, right = self.expr(e.left), self.expr(e.right)
            return Sql(f"({left.val} {SQL_COMPARE[e.op]} {right.val})", _and(left.ok, right.ok))
        if isinstance(e, ir.Logic):  # Python reads the right only when the left does not decide
            left, right = self.expr(e.left), self.expr(e.right)
            stops = f"NOT {left.val}" if e.op == "and" else left.val
            ok = left.ok if right.ok == "TRUE" else _and(left.ok, f"({stops} OR {right.ok})")
            return Sql(f"({left.val} {e.op.upper()} {right.val})", ok)
        if isinstance(e, ir.Not):
            inner = self.expr(e.operand)
            return Sql(f"(NOT {inner.val})", inner.ok)
        if isinstance(e, ir.YearOf):
            inner = self.expr(e.operand)
            return Sql(f"CAST(year({inner.val}) AS {COUNT})", inner.ok, 0)
        if isinstance(e, ir.Member):
            inner = self.expr(e.operand)
            values = ", ".join(literal(v) for v in sorted(e.values))
            return Sql(f"({inner.val} {'NOT IN' if e.negated else 'IN'} ({values}))", inner.ok)
        if isinstance(e, ir.Within):
            inner = self.expr(e.operand)
            return Sql(self.within(inner.val, e.interval), inner.ok)
        raise Unsupported(f"the expression {type(e).__name__}")

    def point(self, value: Decimal | dt.date) -> str:
        return date(value) if isinstance(value, dt.date) else number(value).val

    def within(self, value: str, iv: Interval) -> str:
        tests = []
        if iv.lower is not None:
            tests.append(f"{value} {'>=' if iv.lower_inclusive else '>'} {self.point(iv.lower)}")
        if iv.upper is not None:
            tests.append(f"{value} {'<=' if iv.upper_inclusive else '<'} {self.point(iv.upper)}")
        return "(" + " AND ".join(tests) + ")" if tests else "TRUE"

    def holds(self, cond: Cond) -> str:
        """Whether a condition holds as Python decides it: a missing fact it reads makes it not hold."""
        e = self.expr(cond.expr)
        return e.val if e.ok == "TRUE" else f"({e.ok} AND {e.val})"

    # ------------------------------------------------------------------ measures

    def measure(self, m: Measure) -> str:
        """The CTE deciding one measure on every project that lists it (gives one of its facts)."""
        conditions = [c for c in (m.beneficiary, *m.requirements) if c is not None]
        eligible = " AND ".join(self.holds(c) for c in conditions) or "TRUE"
        listed = ", ".join(literal(f) for f in sorted(m.own_facts))
        head = (f"  -- measure {m.id} {m.title.zh} / {m.title.en}: clause {m.clause} ({self.plan.path}:{m.line})\n"
                f"  SELECT a_ord, p_ord, {literal(m.id)} AS measure,\n")
        source = f"FROM base WHERE list_has_any(given, [{listed}])"
        if m.formula.kind == "referred":
            return (f"{head}    CASE WHEN gate = 'out_of_period' THEN 'out_of_period' WHEN {eligible} THEN 'referred' "
                    f"ELSE 'not_eligible' END AS status,\n"
                    f"    CAST(NULL AS {MONEY}) AS raw, CAST(NULL AS {MONEY}) AS cap, TRUE AS defined\n  {source}")
        choice = ("CASE " + " ".join(f"WHEN {self.holds(o.condition)} THEN {i + 1}" for i, o in enumerate(m.overrides))
                  + " ELSE 0 END") if m.overrides else "0"
        formulas = [m.formula] + [_override_formula(m.formula, o.formula) for o in m.overrides]
        raws = [self.formula(f) for f in formulas]
        base_cap = self.expr(m.cap) if m.cap is not None else None  # read first, whichever formula is taken
        caps = [base_cap] + [self.expr(o.cap) if o.cap is not None else base_cap for o in m.overrides]
        for value in (*raws, *(c for c in caps if c is not None)):
            if value.scale is not None and value.scale > MAX_SCALE:
                raise Unsupported("a product too fine for DECIMAL(38)")
        raw = _by_choice([r.val for r in raws])
        cap = _by_choice([c.val if c is not None else f"CAST(NULL AS {MONEY})" for c in caps])
        defined = _and(base_cap.ok if base_cap is not None else "TRUE",
                       _by_choice([_and(r.ok, c.ok if c is not None else "TRUE") for r, c in zip(raws, caps)]))
        return (f"{head}    CASE WHEN gate = 'out_of_period' THEN 'out_of_period' WHEN NOT eligible "
                f"THEN 'not_eligible' ELSE 'computed' END AS status,\n"
                f"    {raw} AS raw,\n    {cap} AS cap,\n    {defined} AS defined\n"
                f"  FROM (SELECT *, {eligible} AS eligible, {choice} AS c {source})")

    def formula(self, f: Formula) -> Sql:
        """The amount before the cap (NULL when a tier table or a category pays nothing), and whether
        Python would have read every fact it needs."""
        assert f.expr is not None
        value = self.expr(f.expr)
        if f.kind == "rate":
            assert f.rate is not None
            rate = number(f.rate)
            return Sql(f"({rate.val} * {value.val})", value.ok, _scale(rate, value, "*"))
        if f.kind == "expr":
            return value
        if f.kind == "category":
            rows = [(literal(v), self.expr(amount)) for v, _, amount in f.rows]
            val = "CASE " + " ".join(f"WHEN {value.val} = {k} THEN {a.val}" for k, a in rows) + " END"
            ok = _and(value.ok, _chosen_ok([(f"{value.val} = {k}", a.ok) for k, a in rows]))
            return Sql(val, ok, max((a.scale or 0 for _, a in rows), default=0))
        if f.kind == "brackets":
            parts = []
            scale = 0
            for t in sorted(f.tiers, key=lambda t: lower_key(t.interval)):
                rate = self.expr(t.amount)
                low = self.point(t.interval.lower) if t.interval.lower is not None else "0"
                top = value.val if t.interval.upper is None else f"LEAST({value.val}, {self.point(t.interval.upper)})"
                parts.append(f"GREATEST({top} - {low}, 0) * {rate.val}")
                scale = max(scale, (value.scale or 0) + (rate.scale or 0))
            return Sql("(" + " + ".join(parts) + ")", value.ok, scale)
        tiers = list(f.tiers)
        if f.kind == "thresholds":  # the highest threshold reached wins
            tiers.sort(key=lambda t: lower_key(t.interval), reverse=True)
        amounts = [(self.within(value.val, t.interval), self.expr(t.amount)) for t in tiers]
        val = "CASE " + " ".join(f"WHEN {w} THEN {a.val}" for w, a in amounts) + " END"
        ok = _and(value.ok, _chosen_ok([(w, a.ok) for w, a in amounts]))
        return Sql(val, ok, max((a.scale or 0 for _, a in amounts), default=0))

    # ------------------------------------------------------------------ the query

    def gate(self) -> str:
        """What the validity rules say of a project's date: out_of_period when any says so."""
        tests = []
        for rule in self.plan.rules:
            if isinstance(rule, Validity):
                windows = [rule.in_force] + ([rule.by_reference] if rule.by_reference else [])
                inside = " OR ".join(f"p_date BETWEEN {date(a)} AND {date(b)}" for a, b in windows)
                tests.append(f"NOT COALESCE({inside}, FALSE)")
        return "CASE WHEN " + " OR ".join(tests) + " THEN 'out_of_period' ELSE 'in_force' END" if tests \
            else "'in_force'"

    def query(self) -> str:
        unit = self.plan.rounding_unit
        digits = -int(unit.normalize().as_tuple().exponent)
        rounded = {"half_up": f"round(amount, {digits})", "half_even": f"round_even(amount, {digits})",
                   "down": f"trunc(amount, {digits})",
                   "up": f"CASE WHEN amount >= 0 THEN ceil(amount * {10 ** digits}) ELSE floor(amount * "
                         f"{10 ** digits}) END * {number(unit).val}"}[self.plan.rounding_mode]
        measures = sorted((m for m in self.plan.measures), key=lambda m: measure_key(m.id))
        ctes = [f"base AS (\n  -- each project with its applicant's facts, and what the validity rules say of its date\n"
                f"  SELECT *, {self.gate()} AS gate FROM project JOIN applicant USING (a_ord)\n)"]
        names = []
        for i, m in enumerate(measures):
            names.append(f"measure_{i + 1}")
            try:
                ctes.append(f"measure_{i + 1} AS (\n{self.measure(m)}\n)")
            except Unsupported as exc:
                raise Unsupported(f"measure {m.id} (line {m.line}): {exc}") from None
        union = "\n  UNION ALL ".join(f"SELECT * FROM {n}" for n in names) if names else \
            f"SELECT 0 AS a_ord, 0 AS p_ord, '' AS measure, '' AS status, CAST(NULL AS {MONEY}) AS raw, " \
            f"CAST(NULL AS {MONEY}) AS cap, TRUE AS defined WHERE FALSE"
        ctes.append(f"computed AS (\n  {union}\n)")
        ctes.append(
            "capped AS (\n"
            "  -- the cap, then the policy's rounding, once\n"
            "  SELECT *, CASE WHEN cap IS NOT NULL AND raw > cap THEN cap ELSE raw END AS amount FROM computed\n)")
        ctes.append(f"rounded AS (\n  SELECT *, {rounded} AS entitlement FROM capped\n)")
        return (
            f"-- Generated by jinjiang-dsl from {self.plan.path!r} (source sha256 {self.plan.source_sha256})\n"
            "-- One row per award: a_ord, p_ord, measure, status, entitlement (also its amount: no rule across\n"
            "-- measures acts here). Money is exact: DECIMAL throughout, rounded once as the policy says.\n"
            "WITH " + ",\n".join(ctes) + "\n"
            "SELECT a_ord, p_ord, measure,\n"
            "  CASE WHEN status <> 'computed' THEN status\n"
            "       WHEN NOT defined OR raw IS NULL OR entitlement <= 0 THEN 'not_eligible'\n"
            "       ELSE 'granted' END AS status,\n"
            "  CASE WHEN status = 'referred' THEN NULL\n"
            "       WHEN status = 'computed' AND defined AND raw IS NOT NULL AND entitlement > 0 THEN entitlement\n"
            "       ELSE 0 END AS entitlement\n"  # with no rule across measures, the amount is the entitlement
            "FROM rounded\n"
            "ORDER BY a_ord, p_ord, measure_rank(measure)\n"
        ).replace("measure_rank(measure)", self.rank())

    def rank(self) -> str:
        """Measures in measure order (1.2 before 1.10): their rank, by a CASE over their ids."""
        measures = sorted(self.plan.measures, key=lambda m: measure_key(m.id))
        return "CASE measure " + " ".join(f"WHEN {literal(m.id)} THEN {i}" for i, m in enumerate(measures)) + " END" \
            if measures else "0"


def _scale(left: Sql, right: Sql, op: str) -> int | None:
    if left.scale is None and right.scale is None:
        return None
    a, b = left.scale or 0, right.scale or 0
    return a + b if op == "*" else max(a, b)


def _chosen_ok(rows: list[tuple[str, str]]) -> str:
    """Whether the row taken (the first whose test holds) reads only facts that are there."""
    if all(ok == "TRUE" for _, ok in rows):
        return "TRUE"
    return "CASE " + " ".join(f"WHEN {test} THEN {ok}" for test, ok in rows) + " ELSE TRUE END"


def _by_choice(values: list[str]) -> str:
    """One value per formula (the measure's, then each override's), picked by the override taken."""
    if len(values) == 1 or len(set(values)) == 1:
        return values[0]
    return "CASE c " + " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values)) + " END"


def _override_formula(base: Formula, override: Formula) -> Formula:
    """A bare rate in an override keeps the base formula's base (as the code generator reads it)."""
    if override.kind == "rate" and override.expr is None:
        return Formula(kind="rate", expr=base.expr, rate=override.rate, rate_text=override.rate_text, base=base.base)
    return override


def unsupported(plan: Plan) -> list[str]:
    """What in a policy the SQL engine does not decide yet, each with its line; empty when it decides it all."""
    found = []
    for m in plan.measures:
        where = f"measure {m.id} (line {m.line})"
        if m.level != "project":
            found.append(f"{where}: a measure decided on the applicant's or the year's facts")
        for what, present in (("paid in instalments", m.instalments), ("shared", m.shared), ("quota", m.quota),
                              ("cross check", m.cross_checks)):
            if present:
                found.append(f"{where}: '{what}'")
    for rule in plan.rules:
        if not isinstance(rule, Validity):
            found.append(f"{rule.id}: the rule '{rule.describe()}'")
    unit = plan.rounding_unit.normalize()
    if unit.as_tuple().digits != (1,):
        found.append(f"rounding to {unit}: only powers of ten are supported")
    return found


def emit(plan: Plan) -> str:
    """The SQL query of a plan (``jinjiang-dsl compile --emit sql``); :class:`Unsupported` when the
    policy uses what the SQL engine does not decide yet, naming all of it."""
    problems = unsupported(plan)
    try:
        query = Emitter(plan).query()
    except Unsupported as exc:
        problems.append(str(exc))
    if problems:
        raise Unsupported("; ".join(problems))
    return query
