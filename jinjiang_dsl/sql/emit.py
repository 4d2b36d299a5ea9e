"""The SQL emitter: a plan → one readable query that decides every award of a population, in DuckDB's SQL or
Spark's (the few spellings that differ are the :mod:`.dialect`'s; the semantics are this module's).

It reads the same plan as the Python code generator and keeps its semantics, in exact decimals:
money is ``DECIMAL(38, 20)`` (every figure the validator accepts), each constant has the precision it
is written with, a product's scale is tracked and refused past what ``DECIMAL(38)`` holds, a
quotient is never computed (only compared, multiplied out), and the policy's rounding is the only
rounding. A missing fact is NULL; beside each value the emitter builds the SQL that says whether
Python would have read it at all — ``and``/``or`` stop early, a condition that reads a missing fact
does not hold, an amount that does makes the measure not eligible, a zero divisor makes the
applicant an input error — so the two engines agree on every status. Policy text reaches the query
only as quoted identifiers (``"f_投资额"``), string literals with their quotes doubled, and comments
kept on one line.

The query reads two relations — ``applicant`` (``a_ord``, ``a_date``, ``a_given`` and a column per
applicant input) and ``project`` (``a_ord``, ``p_ord``, ``p_date``, ``given``: the names of the facts
the record gave, and a column per project input) — and returns one row per award, in the order the
decider lists them: ``a_ord, p_ord, measure, status, entitlement, amount``, and for the engine the
amount before the cap, what each cross check computed, an input problem a rule found and a zero
divisor met. Its CTEs are named after the measures and then the rules across measures, in the
plan's order, each with a comment naming its ``.pol`` line or what it does. What it cannot decide
is listed by :func:`unsupported` or raised as :class:`Unsupported`: such a policy is refused, never
decided differently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple, TypeVar

from .. import ir
from ..ir import Cond, Formula, Measure, measure_key
from ..plan import Plan
from ..rules import AnnualCap, HighestNotStacked, Limit, Once, Rule, Validity
from ..runtime.intervals import Interval, lower_key
from .dialect import DUCKDB, Dialect

A = TypeVar("A")
T = TypeVar("T")

MONEY = "DECIMAL(38, 20)"
COUNT = "DECIMAL(18, 0)"
MASK_BITS = 62  # the facts in one mask column: a positive 64-bit integer in every engine
DAY_BITS = 23  # a date as year * 512 + month * 32 + day
MAX_SCALE = 22  # 38 digits with 16 before the point: money under 10^15 times a count or a rate
RAW = f"DECIMAL(38, {MAX_SCALE})"  # an amount before rounding, whatever formula computed it
COLUMN_PREFIX = "f_"  # an input's column: "f_投资额"; the engine's own columns never start so
SQL_COMPARE = {">=": ">=", "<=": "<=", ">": ">", "<": "<", "==": "=", "!=": "<>"}
COLUMN_TYPES = {"money": MONEY, "percent": MONEY, "count": COUNT, "bool": "BOOLEAN", "date": "DATE",
                "text": "VARCHAR", "enum": "VARCHAR"}


MAX_QUERY_CHARS = 1 << 20
"""The longest query an engine is given: DuckDB plans a query in memory outside its limit, about 400 bytes
per character (a 5 MB query of 140 measures of 256 tiers took 2 GB; the Jinjiang policy's is 24 KB)."""


class Unsupported(Exception):
    """A construct the SQL engine does not decide yet; the message says which, and where."""


class Sql(NamedTuple):
    """A value in SQL; whether Python would have read it without a missing fact or a zero divisor (``ok``);
    its decimal scale (None: not a number); the names of the divisor Python would have stopped at as zero
    (``zero``: SQL text, NULL when none); and for a division, its numerator and denominator (``ratio``),
    since a quotient is never computed — it is only ever compared, by multiplying out."""

    val: str
    ok: str
    scale: int | None = None
    zero: str = "NULL"
    ratio: tuple[Sql, Sql] | None = None


def _held(e: Sql) -> str:
    """A condition's value where Python reads it (every fact there, no zero divisor), else false."""
    return e.val if e.ok == "TRUE" else f"({e.ok} AND {e.val})"


def _first_zero(parts: list[Sql]) -> str:
    """The zero divisor Python meets first reading ``parts`` in order (each read only if those before were)."""
    cases, before = [], "TRUE"
    for part in parts:
        if part.zero != "NULL":
            cases.append(f"WHEN {_and(before, f'{part.zero} IS NOT NULL')} THEN {part.zero}")
        before = _and(before, part.ok)
    return "CASE " + " ".join(cases) + " END" if cases else "NULL"


def input_columns(plan: Plan, scope: str) -> list[tuple[str, str]]:
    """The inputs of a scope ("applicant" or "project") as columns: (input name, SQL type)."""
    return [(name, COLUMN_TYPES[spec.kind]) for name, spec in plan.inputs.items() if spec.scope == scope]


def table_columns(plan: Plan, table: str) -> list[tuple[str, str]]:
    """The columns of the table ``applicant`` or ``project`` the query reads: (column, DuckDB type), key first."""
    own = [("a_date", "DATE"), ("a_given", "VARCHAR[]")] if table == "applicant" else \
        [("p_ord", "BIGINT"), ("p_date", "DATE"), ("given", "VARCHAR[]")]
    return [("a_ord", "BIGINT"), *own, *((COLUMN_PREFIX + name, kind) for name, kind in input_columns(plan, table))]


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


def comment(text: str) -> str:
    """Policy text for a ``--`` comment: on one line whatever it holds (a newline would end the comment)."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def date(value: dt.date) -> str:
    return f"DATE {literal(value.isoformat())}"


def _and(*parts: str) -> str:
    """The conjunction, leaving out what is always true."""
    kept = [p for p in parts if p != "TRUE"]
    return "TRUE" if not kept else kept[0] if len(kept) == 1 else "(" + " AND ".join(kept) + ")"


class Emitter:
    def __init__(self, plan: Plan, dialect: Dialect = DUCKDB):
        self.plan = plan
        self.d = dialect
        # each fact whose presence lists a measure, as a bit of a mask column (g_0, g_1, …: 62 to a column):
        # testing a mask is cheaper than looking names up in a list, on every row, for every measure
        listing = sorted({f for m in plan.measures for f in m.own_facts})
        self.bits = {name: (i // MASK_BITS, 1 << (i % MASK_BITS)) for i, name in enumerate(listing)}

    def masks(self, column: str) -> str:
        """The mask columns of the names in the list ``column`` (the facts a record gave)."""
        words = sorted({w for w, _ in self.bits.values()})
        return "".join(f", {self.d.mask(column, [(literal(n), v) for n, (w2, v) in self.bits.items() if w2 == w])}"
                       f" AS g_{w}" for w in words)

    def lists(self, facts: frozenset[str]) -> str:
        """Whether a row's masks hold any of ``facts``: whether the record lists the measure."""
        words: dict[int, int] = {}
        for name in facts:
            w, value = self.bits[name]
            words[w] = words.get(w, 0) | value
        return "(" + " OR ".join(f"(g_{w} & {v}) <> 0" for w, v in sorted(words.items())) + ")" if words else "FALSE"

    # ------------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr) -> Sql:
        found = self._expr(e)
        if found.ratio is not None and not isinstance(e, ir.Arith):
            raise Unsupported("division ('/') other than in a comparison")
        return found

    def operand(self, e: ir.Expr) -> Sql:
        """A value an operator reads: a quotient cannot be one (it is never computed)."""
        found = self.expr(e)
        if found.ratio is not None:
            raise Unsupported("division ('/') other than in a comparison")
        return found

    def _expr(self, e: ir.Expr) -> Sql:
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
        if isinstance(e, ir.YearSum):  # over the year, the input's column holds the year's sum (year_base)
            return self.expr(e.input)
        if isinstance(e, ir.Arith):
            left, right = self.operand(e.left), self.operand(e.right)
            zero = _first_zero([left, right])
            if e.op == "/":  # Python stops at a zero divisor, naming the inputs it is made of
                names = literal(",".join(e.divisor))
                zero = f"COALESCE({zero}, CASE WHEN {_and(left.ok, right.ok)} AND {right.val} = 0 THEN {names} END)" \
                    if zero != "NULL" else f"CASE WHEN {_and(left.ok, right.ok)} AND {right.val} = 0 THEN {names} END"
                return Sql("NULL", _and(left.ok, right.ok, f"{right.val} <> 0"), None, zero, (left, right))
            return Sql(f"({left.val} {e.op} {right.val})", _and(left.ok, right.ok), _scale(left, right, e.op), zero)
        if isinstance(e, ir.Share):
            rate, base = number(e.rate), self.operand(e.base)
            return Sql(f"({rate.val} * {base.val})", base.ok, _scale(rate, base, "*"), base.zero)
        if isinstance(e, ir.Compare):
            left, right = self.expr(e.left), self.expr(e.right)
            return Sql(self.compared(left, SQL_COMPARE[e.op], right), _and(left.ok, right.ok), None,
                       _first_zero([left, right]))
        if isinstance(e, ir.Logic):
            return self.logic(e.op, self.operand(e.left), self.operand(e.right))
        if isinstance(e, ir.Not):
            inner = self.operand(e.operand)
            return Sql(f"(NOT {inner.val})", inner.ok, None, inner.zero)
        if isinstance(e, ir.YearOf):
            inner = self.operand(e.operand)
            return Sql(f"CAST(year({inner.val}) AS {COUNT})", inner.ok, 0, inner.zero)
        if isinstance(e, ir.Member):
            inner = self.operand(e.operand)
            values = ", ".join(literal(v) for v in sorted(e.values))
            return Sql(f"({inner.val} {'NOT IN' if e.negated else 'IN'} ({values}))", inner.ok, None, inner.zero)
        if isinstance(e, ir.Within):
            inner = self.expr(e.operand)
            return Sql(self.inside(inner, e.interval), inner.ok, None, inner.zero)
        raise Unsupported(f"the expression {type(e).__name__}")

    def logic(self, op: str, left: Sql, right: Sql) -> Sql:
        """``and``/``or`` as Python reads them: the right only when the left does not decide; a left that
        stops at a zero divisor is decided by the right when the right alone decides (``or_``/``and_``)."""
        decides = left.val if op == "or" else f"NOT {left.val}"  # the left alone decides
        val = f"({left.val} {op.upper()} {right.val})"
        if left.zero == "NULL" and right.zero == "NULL":
            ok = left.ok if right.ok == "TRUE" else _and(left.ok, f"({decides} OR {right.ok})")
            return Sql(val, ok)
        rescues = right.val if op == "or" else f"NOT {right.val}"  # the right alone decides
        ok = (f"(({left.ok} AND ({decides} OR {right.ok})) OR ({left.zero} IS NOT NULL AND {right.ok} AND "
              f"{rescues}))")
        val = f"CASE WHEN {left.ok} THEN {val} ELSE {right.val} END"
        zero = (f"CASE WHEN {left.ok} AND NOT ({decides}) THEN {right.zero} WHEN {left.zero} IS NOT NULL THEN "
                f"CASE WHEN {right.ok} AND NOT ({rescues}) THEN {left.zero} ELSE {right.zero} END END")
        return Sql(val, ok, None, zero)

    def compared(self, left: Sql, op: str, right: Sql) -> str:
        """``left op right``; a quotient on either side is compared multiplied out (``n / d ≥ c`` as ``n ≥ c × d``
        for a positive ``d``, the other way round for a negative one), so it stays exact."""
        if left.ratio is None and right.ratio is None:
            return f"({left.val} {op} {right.val})"
        if left.ratio is not None and right.ratio is not None:
            raise Unsupported("a quotient compared with a quotient")
        if right.ratio is not None:
            return self.compared(right, FLIPPED[op], left)
        assert left.ratio is not None
        n, d = left.ratio
        if (_scale(right, d, "*") or 0) > MAX_SCALE:
            raise Unsupported("a product too fine for DECIMAL(38)")
        return (f"(({d.val} > 0 AND {n.val} {op} {right.val} * {d.val}) OR "
                f"({d.val} < 0 AND {n.val} {FLIPPED[op] if op not in ('=', '<>') else op} {right.val} * {d.val}))")

    def point(self, value: Decimal | dt.date) -> str:
        return date(value) if isinstance(value, dt.date) else number(value).val

    def inside(self, value: Sql, iv: Interval) -> str:
        """Whether ``value`` lies in ``iv``; a quotient (a ratio's bands) compared multiplied out with each bound."""
        tests = [(op, Sql(self.point(bound), "TRUE", number(bound).scale if isinstance(bound, Decimal) else None))
                 for op, bound in _bounds(iv)]
        return "(" + " AND ".join(self.compared(value, op, bound) for op, bound in tests) + ")" if tests else "TRUE"

    def holds(self, cond: Cond) -> str:
        """Whether a condition holds as Python decides it: a missing fact it reads makes it not hold. Only a
        measure's own conditions and its 'when' lines may stop at a zero divisor (:meth:`measure` reads them)."""
        e = self.expr(cond.expr)
        if e.zero != "NULL":
            raise Unsupported("division ('/') in a limit or an annual cap")
        return _held(e)

    # ------------------------------------------------------------------ measures

    def measure(self, m: Measure) -> str:
        """The CTE deciding one measure on every project that lists it (gives one of its facts); what it
        refuses, named with the line it is written on."""
        conditions = [_at(c.line, self.expr, c.expr) for c in (m.beneficiary, *m.requirements) if c is not None]
        eligible = " AND ".join(_held(c) for c in conditions) or "TRUE"
        # the divisor of the first condition that stops at a zero one: Python checks every condition (a
        # missing fact only makes one fail), so each is read whatever those before said; the conditions
        # are one 'and', so a zero divisor matters only when no other condition fails
        zeros = [c.zero for c in conditions if c.zero != "NULL"]
        zero = "NULL" if not zeros else zeros[0] if len(zeros) == 1 else f"COALESCE({', '.join(zeros)})"
        fails = [f"NOT {_held(c)}" if c.zero == "NULL" else f"({c.zero} IS NULL AND NOT {_held(c)})"
                 for c in conditions]
        if zeros and len(conditions) > 1:
            zero = f"CASE WHEN {' OR '.join(fails)} THEN NULL ELSE {zero} END"
        listed = ", ".join(sorted(m.own_facts))
        head = (f"  -- {comment(f'measure {m.id} {m.title.zh} / {m.title.en}: clause {m.clause} ({self.plan.path}:{m.line})')}\n"
                f"  -- {comment(f'for the records that give any of: {listed}')}\n"
                f"  SELECT a_ord, p_ord, p_date, {literal(m.id)} AS measure, {m.rank} AS m_rank, "
                f"{LEVELS[m.level]} AS level,\n")
        source = {"project": f"FROM base WHERE {self.lists(m.own_facts)}",
                  "applicant": f"FROM {self.own_base(m)} WHERE {self.lists(m.own_facts)}",
                  "year": f"FROM year_{m.rank}"}[m.level]
        if m.formula.kind == "referred":
            return (f"{head}    CASE WHEN gate = 'out_of_period' THEN 'out_of_period' WHEN {eligible} THEN 'referred' "
                    f"ELSE 'not_eligible' END AS status,\n"
                    f"    CAST(NULL AS {RAW}) AS raw, CAST(NULL AS {RAW}) AS cap, TRUE AS defined, "
                    f"{self.d.typed_array([], RAW)} AS checks, CASE WHEN gate <> 'out_of_period' THEN {zero} END AS zero\n"
                    f"  {source}")
        whens = [_at(o.condition.line, self.expr, o.condition.expr) for o in m.overrides]
        choice = ("CASE " + " ".join(f"WHEN {_held(w)} THEN {i + 1}" for i, w in enumerate(whens))
                  + " ELSE 0 END") if whens else "0"
        # Python reads the 'when' lines of an eligible measure in order, to the first that holds, and stops at
        # a zero divisor in any it reads
        if any(w.zero != "NULL" for w in whens):
            stops = " ".join((f"WHEN {w.zero} IS NOT NULL THEN {w.zero} " if w.zero != "NULL" else "")
                             + f"WHEN {_held(w)} THEN NULL" for w in whens)
            zero = f"COALESCE({zero}, CASE WHEN eligible THEN CASE {stops} END END)"
        formulas = [(m.amount_line, m.formula)] + [(o.condition.line, o.formula_over(m.formula))
                                                   for o in m.overrides]
        raws = [_at(line, self.formula, f) for line, f in formulas]
        # the cap read first, whichever formula is taken
        base_cap = _at(m.amount_line, self.expr, m.cap) if m.cap is not None else None
        caps = [base_cap] + [_at(o.condition.line, self.expr, o.cap) if o.cap is not None else base_cap
                             for o in m.overrides]
        lines = [line for line, _ in formulas] + [m.amount_line] + [o.condition.line for o in m.overrides]
        for line, value in zip(lines, (*raws, *caps)):
            if value is None:
                continue
            if value.scale is not None and value.scale > MAX_SCALE:
                raise Unsupported(f"line {line}: a product too fine for DECIMAL(38)")
        for line, value in zip(lines[len(raws):], caps):
            if value is not None and value.zero != "NULL":
                raise Unsupported(f"line {line}: division ('/') in an amount or a cap")
        for (line, f), value in zip(formulas, raws):
            if value.zero != "NULL" and f.kind not in ("bands", "thresholds"):
                raise Unsupported(f"line {line}: division ('/') in an amount or a cap")
        if any(r.zero != "NULL" for r in raws):
            # the ratio a table looks up, read (as in Python) once the measure is eligible and its cap read
            # without a missing fact, divides by zero
            cap_ok = [c.ok if c is not None else "TRUE" for c in caps]
            zero = (f"COALESCE({zero}, CASE WHEN eligible AND {_by_choice(cap_ok)} THEN "
                    f"{_by_choice([r.zero for r in raws])} END)")
        raw = _by_choice([r.val for r in raws])
        cap = _by_choice([c.val if c is not None else f"CAST(NULL AS {MONEY})" for c in caps])
        defined = _and(base_cap.ok if base_cap is not None else "TRUE",
                       _by_choice([_and(r.ok, c.ok if c is not None else "TRUE") for r, c in zip(raws, caps)]))
        checks = []
        for c in m.cross_checks:  # what each cross check computes, when Python would have read it all
            other = self.operand(c.expr)
            checks.append(f"CASE WHEN {other.ok} THEN CAST({other.val} AS {RAW}) END" if other.ok != "TRUE"
                          else f"CAST({other.val} AS {RAW})")
        return (f"{head}    CASE WHEN gate = 'out_of_period' THEN 'out_of_period' WHEN NOT eligible "
                f"THEN 'not_eligible' ELSE 'computed' END AS status,\n"
                f"    CAST({raw} AS {RAW}) AS raw,\n    CAST({cap} AS {RAW}) AS cap,\n    {defined} AS defined,\n"
                f"    {self.d.typed_array(checks, RAW)} AS checks,\n"
                f"    CASE WHEN gate <> 'out_of_period' THEN {zero} END AS zero\n"
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
        amounts = [(self.inside(value, t.interval), self.expr(t.amount)) for t in tiers]
        if any(a.zero != "NULL" for _, a in amounts):
            raise Unsupported("division ('/') in a tier's amount")
        val = "CASE " + " ".join(f"WHEN {w} THEN {a.val}" for w, a in amounts) + " END"
        ok = _and(value.ok, _chosen_ok([(w, a.ok) for w, a in amounts]))
        # a ratio looked up stops at a zero divisor, as Python does before it picks a tier
        return Sql(val, ok, max((a.scale or 0 for _, a in amounts), default=0), value.zero)

    # ------------------------------------------------------------------ the query

    def own_dates(self) -> list[str]:
        """The applicant inputs that date a measure of their own ('dated by' in the measure), each once."""
        return list(dict.fromkeys(m.dated_by for m in self.plan.measures if m.dated_by))

    def own_base(self, m: Measure) -> str:
        """The CTE of the applicants on their own facts, dated as the measure is."""
        return f"own_base_{self.own_dates().index(m.dated_by) + 1}" if m.dated_by else "own_base"

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

    def query(self, columns: str | None = None) -> str:
        """The whole query; ``columns``: another final SELECT list over the last claims (unordered), for a
        caller that goes on in SQL (the native path writes the output from it)."""
        steps, final = self.steps(columns)
        return (
            f"-- Generated by jinjiang-dsl from {comment(repr(self.plan.path))} (source sha256 {self.plan.source_sha256})\n"
            "-- One row per award: a_ord, p_ord, measure, status, entitlement, amount, and for the engine the\n"
            "-- amount before the cap (raw), what each cross check computed, and an input problem a rule found.\n"
            "-- Money is exact: DECIMAL throughout, rounded once where the policy says.\n"
            "WITH " + ",\n".join(f"{name} AS (\n{body}\n)" for name, body in steps) + "\n" + final)

    def steps(self, columns: str | None = None) -> tuple[list[tuple[str, str]], str]:
        """The query as its steps — each CTE's name and body, in order, each reading those before — and the
        final SELECT of the last (``columns``: see :meth:`query`)."""
        measures = sorted((m for m in self.plan.measures), key=lambda m: measure_key(m.id))
        ctes = [("base", "  -- each project with its applicant's facts, and what the validity rules say of its date\n"
                 f"  SELECT *{self.masks('given')}, {self.gate()} AS gate FROM project JOIN applicant USING (a_ord)")]
        project_columns = input_columns(self.plan, "project")
        if any(m.level == "applicant" for m in measures):
            nothing = "".join(f", CAST(NULL AS {self.d.type(t)}) AS {ident(COLUMN_PREFIX + n)}" for n, t in project_columns)
            # dated by the applicant's date, or by a measure's own date input ('dated by' in the measure)
            undated = any(m.level == "applicant" and not m.dated_by for m in measures)
            for i, dated in enumerate([None, *self.own_dates()]):
                if i == 0 and not undated:
                    continue
                day, what = ("a_date", "its own date") if dated is None else \
                    (ident(COLUMN_PREFIX + dated), f"{dated}, a measure's own date")
                ctes.append((f"own_base_{i}" if i else "own_base", f"  -- {comment(f'each applicant on its own facts, dated by {what}')}\n"
                             f"  SELECT *, {self.gate()} AS gate FROM (SELECT applicant.*, -1 AS p_ord, {day} AS p_date, "
                             f"a_given AS given{self.masks('a_given')}{nothing} FROM applicant)"))
        for m in measures:
            if m.level == "year":
                ctes.append((f"year_{m.rank}", self.year_base(m, project_columns)))
        for i, m in enumerate(measures):
            try:
                ctes.append((f"measure_{i + 1}", self.measure(m)))
            except Unsupported as exc:
                raise Unsupported(f"measure {m.id}, {exc}") from None
        union = "\n  UNION ALL ".join(f"SELECT * FROM measure_{i + 1}" for i in range(len(measures))) or \
            f"SELECT 0 AS a_ord, 0 AS p_ord, CAST(NULL AS DATE) AS p_date, '' AS measure, 0 AS m_rank, 0 AS level, " \
            f"'' AS status, CAST(NULL AS {RAW}) AS raw, CAST(NULL AS {RAW}) AS cap, TRUE AS defined, " \
            f"{self.d.typed_array([], RAW)} AS checks, CAST(NULL AS {self.d.type('VARCHAR')}) AS zero WHERE FALSE"
        ctes.append(("computed", f"  {union}"))
        ctes.append((
            "rounded",
            "  -- the cap, then the policy's rounding, once\n"
            f"  SELECT *, {self.rounded('CASE WHEN cap IS NOT NULL AND raw > cap THEN cap ELSE raw END')} AS rounded,\n"
            "    status = 'computed' AND defined AND raw IS NOT NULL AS paid\n"
            "  FROM computed"))
        ctes.append((
            "claims_0",
            "  -- each award before the rules across measures: granted at its entitlement, or why not\n"
            "  SELECT a_ord, p_ord, p_date, year(p_date) AS year, measure, m_rank, raw,\n"
            f"    {self.claim_order(len(measures))} AS k,\n"
            "    CASE WHEN paid THEN checks END AS checks,\n"
            "    CASE WHEN status <> 'computed' THEN status WHEN paid AND rounded > 0 THEN 'granted' "
            "ELSE 'not_eligible' END AS status,\n"
            "    CASE WHEN status = 'referred' THEN NULL WHEN paid AND rounded > 0 THEN rounded ELSE 0 END "
            "AS entitlement,\n"
            "    CASE WHEN status = 'referred' THEN NULL WHEN paid AND rounded > 0 THEN rounded ELSE 0 END AS amount,\n"
            f"    CAST(NULL AS {self.d.type('VARCHAR')}) AS problem, zero\n"
            "  FROM rounded"))
        n = 0
        for index, rule in enumerate(self.plan.rules):
            if isinstance(rule, Validity):
                continue
            n += 1
            ctes.append((f"claims_{n}", f"  -- {comment(f'{rule.id} {rule.title.zh} / {rule.title.en}: {rule.describe()}')}\n"
                         f"{self.rule(rule, index, f'claims_{n - 1}')}"))
        if columns is not None:
            return ctes, f"SELECT {columns} FROM claims_{n}\n"
        return ctes, ("SELECT a_ord, p_ord, measure, status, entitlement, amount, raw, checks, problem, p_date, zero\n"
                      f"FROM claims_{n}\n"
                      "ORDER BY a_ord, k\n")

    def year_base(self, m: Measure, project_columns: list[tuple[str, str]]) -> str:
        """A measure over the year (S13): per applicant and year, the sums of its facts over the projects of
        the year (in period, giving one of them), dated by the first; a fact no project gives is missing."""
        columns = "".join(
            f", SUM({ident(COLUMN_PREFIX + n)}) AS {ident(COLUMN_PREFIX + n)}" if n in m.own_facts
            else f", CAST(NULL AS {self.d.type(t)}) AS {ident(COLUMN_PREFIX + n)}" for n, t in project_columns)
        own = self.d.all_but_key("applicant", [ident(n) for n, _ in table_columns(self.plan, "applicant")[1:]])
        return (f"  -- {comment(f'measure {m.id}: its facts summed over each year')}\n"
                f"  SELECT y.*, {own} FROM (\n"
                f"    SELECT a_ord, -1 AS p_ord, MIN(p_date) AS p_date, 'in_force' AS gate"
                f"{columns}\n"
                f"    FROM base WHERE p_date IS NOT NULL AND gate <> 'out_of_period' AND {self.lists(m.own_facts)}\n"
                f"    GROUP BY a_ord, year(p_date)) y JOIN applicant USING (a_ord)")

    @staticmethod
    def claim_order(measures: int) -> str:
        """``k``: a claim's place among its applicant's, in the order the decider lists them — its own claims
        by level, measure and date, then each project's by measure — as one 64-bit number computed from the
        row alone (a window numbering them would sort every applicant's claims). It is unique per applicant
        (an own claim is one per measure, or per measure and year) and at least 1."""
        day = "year(p_date) * 512 + month(p_date) * 32 + day(p_date)"  # under 2^23 for every date Python reads
        return (f"(1 + CASE WHEN p_ord >= 0 THEN {3 * measures << DAY_BITS} + CAST(p_ord AS BIGINT) * {measures} + m_rank "
                f"ELSE (CAST(level AS BIGINT) * {measures} + m_rank) * {1 << DAY_BITS} + COALESCE({day}, 0) END)")

    def rounded(self, value: str) -> str:
        """``value`` rounded to the policy's unit, as the policy says (the only rounding there is)."""
        digits = self.digits()
        return {"half_up": f"round({value}, {digits})", "half_even": self.d.round_half_even(value, digits),
                "down": self.d.truncate(value, digits),
                "up": f"CASE WHEN {value} >= 0 THEN ceil({value} * {10 ** digits}) ELSE floor({value} * "
                      f"{10 ** digits}) END * {number(self.plan.rounding_unit).val}"}[self.plan.rounding_mode]

    def digits(self) -> int:
        return -int(self.plan.rounding_unit.normalize().as_tuple().exponent)

    # ------------------------------------------------------------------ rules across measures

    def rule(self, rule: Rule, index: int, before: str) -> str:
        """A CTE body: the claims after one rule acted on them. The claims it cannot touch pass through; its
        windows see only those it can (the hand-written query of the notice gained 2.4× so)."""
        touched = self.touched(rule, index, "touched")
        if touched is None:
            return f"  SELECT * FROM {before}"
        cand, body = touched
        return (f"  SELECT {_claims({})} FROM {before} WHERE NOT COALESCE({cand}, FALSE)\n  UNION ALL\n"
                f"{body.replace('FROM touched', f'FROM (SELECT * FROM {before} WHERE COALESCE({cand}, FALSE))')}")

    def touched(self, rule: Rule, index: int, rows: str) -> tuple[str, str] | None:
        """The claims a rule may change (SQL), and the SELECT of them changed, reading them from ``rows``."""
        if isinstance(rule, Once):
            cand = f"measure = {literal(rule.measure)} AND status = 'granted'" + \
                (" AND p_date IS NOT NULL" if rule.per == "year" else "")
            order = "entitlement DESC, p_ord" if rule.per == "year" else "p_date NULLS LAST, p_ord"
            part = "a_ord" + (", year" if rule.per == "year" else "")
            return cand, (f"  SELECT {_claims(_losing('rn > 1', 'not_eligible'))}\n"
                          f"  FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY {order}) AS rn FROM {rows})")
        if isinstance(rule, HighestNotStacked):
            group = "CASE WHEN p_ord >= 0 THEN p_ord ELSE -k END" if rule.scope == "project" else "year"  # own: alone
            spec = self.plan.inputs.get(rule.other_policy or "")
            other = ident(COLUMN_PREFIX + spec.name) if spec is not None and spec.scope == "project" else "NULL"
            loses = "(first_other IS NOT NULL OR n > 1) AND ((first_other IS NOT NULL AND first_other >= best) OR rn > 1)"
            w = f"PARTITION BY a_ord, {group}"
            listed = f" AND measure IN ({', '.join(literal(m) for m in rule.among)})" if rule.among else ""
            return f"status = 'granted'{listed}", (
                f"  SELECT {_claims(_losing(loses, 'superseded'))}\n"
                f"  FROM (SELECT c.*, COUNT(*) OVER {self.d.over(w)} AS n, MAX(amount) OVER {self.d.over(w)} AS best,\n"
                f"          ROW_NUMBER() OVER {self.d.over(w, 'ORDER BY amount DESC, m_rank, p_ord')} AS rn,\n"
                f"          FIRST_VALUE(other) OVER "
                f"{self.d.over(w, 'ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING')} AS first_other\n"
                f"        FROM {rows} c LEFT JOIN (SELECT a_ord, p_ord, {other} AS other FROM project) o "
                f"USING (a_ord, p_ord){self.d.windows(w)})")
        if isinstance(rule, AnnualCap) and rule.cap is not None:
            cand = f"measure = {literal(rule.measure)} AND status = 'granted' AND p_date IS NOT NULL"
            return cand, self.reduce(rows, self.applicant_value(rule.cap), "TRUE", rule.reduction)
        if isinstance(rule, Limit) and rule.limit is not None:
            limit = self.applicant_value(rule.limit)
            applies = self.holds(rule.applies_to) if rule.applies_to is not None else "TRUE"
            headroom = self.d.truncate(f"GREATEST({limit.val}, 0)", self.digits())
            problem = (f"CASE WHEN problem IS NULL AND applies AND NOT target_ok THEN {literal(str(index) + ':')} "
                       "|| missing ELSE problem END")  # the applicant has grants the limit must count
            listed = f" AND measure IN ({', '.join(literal(m) for m in rule.among)})" if rule.among else ""
            return (f"status = 'granted' AND amount <> 0 AND p_date IS NOT NULL{listed}",
                    self.reduce(rows, Sql(headroom, limit.ok), applies, rule.reduction, problem,
                                self.first_missing(rule.limit.expr)))
        if isinstance(rule, (AnnualCap, Limit)):
            return None
        raise Unsupported(f"the rule '{rule.describe()}'")

    def applicant_value(self, cond: Cond) -> Sql:
        """A figure over the applicant's own facts (a cap, a limit), as a column joined on ``a_ord``."""
        value = self.operand(cond.expr)
        if value.scale is not None and value.scale > MAX_SCALE:
            raise Unsupported("a product too fine for DECIMAL(38)")
        if value.zero != "NULL":
            raise Unsupported("division ('/') in a limit or an annual cap")
        return Sql(f"CAST({value.val} AS {RAW})", value.ok, value.scale)

    def first_missing(self, e: ir.Expr) -> str:
        """The name of the first fact ``e`` reads that is missing, in the order Python reads them."""
        names = list(dict.fromkeys(_inputs(e)))
        return "CASE " + " ".join(f"WHEN {ident(COLUMN_PREFIX + n)} IS NULL THEN {literal(n)}" for n in names) \
            + " END" if names else "''"

    def reduce(self, rows: str, target: Sql, applies: str, reduction: str, problem: str = "problem",
               missing: str = "NULL") -> str:
        """The claims ``rows`` brought down, per applicant and year, to ``target`` (an applicant figure) when
        they exceed it: in input order (the decider's claim order ``k``), or pro rata by the largest remainder
        in whole units of the policy's rounding (integer arithmetic, 128 bits)."""
        window = "PARTITION BY a_ord, year"
        over = "applies AND target_ok AND total > target"
        unit = number(self.plan.rounding_unit).val
        scale = 10 ** self.digits()
        figures = (f"JOIN (SELECT a_ord AS t_ord, {target.val} AS target, {target.ok} AS target_ok, {applies} AS "
                   f"applies, {missing} AS missing FROM applicant) t ON c.a_ord = t.t_ord")
        if reduction == "input_order":
            after = (f"CASE WHEN {over} THEN LEAST(amount, GREATEST(target - COALESCE(SUM(amount) OVER "
                     f"({window} ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0)) "
                     "ELSE amount END")
            return (f"  SELECT {_claims({'amount': after, 'problem': problem})}\n"
                    f"  FROM (SELECT c.*, SUM(amount) OVER ({window}) AS total, t.*\n"
                    f"        FROM {rows} c {figures})")
        after = f"CASE WHEN {over} THEN CAST(fl + CASE WHEN rk <= leftover THEN 1 ELSE 0 END AS DECIMAL(38, 0)) * {unit} " \
                "ELSE amount END"
        return (f"  SELECT {_claims({'amount': after, 'problem': problem})}\n"
                f"  FROM (SELECT *, goal - SUM(fl) OVER ({window}) AS leftover,\n"
                f"          ROW_NUMBER() OVER ({window} ORDER BY rem DESC, k) AS rk\n"
                f"        FROM (SELECT *, CASE WHEN units = 0 THEN 0 ELSE {self.d.floor_div('weight * goal', 'units')} "
                f"END AS fl,\n"
                f"                CASE WHEN units = 0 THEN 0 ELSE weight * goal % units END AS rem\n"
                f"              FROM (SELECT c.*, SUM(amount) OVER ({window}) AS total, t.*,\n"
                f"                      {self.d.whole(f'round(COALESCE(amount, 0) * {scale})')} AS weight,\n"
                f"                      SUM({self.d.whole(f'round(COALESCE(amount, 0) * {scale})')}) OVER ({window}) "
                f"AS units,\n"
                f"                      {self.d.whole(self.d.truncate(f't.target * {scale}'))} AS goal\n"
                f"                    FROM {rows} c {figures})))")


CLAIMS = ("a_ord", "p_ord", "p_date", "year", "measure", "m_rank", "k", "raw", "checks", "status", "entitlement",
          "amount", "problem", "zero")
LEVELS = {"applicant": 0, "year": 1, "project": 2}  # the order the decider lists claims in: its own, then by project


def _claims(changed: dict[str, str]) -> str:
    """The claims' columns, some of them computed anew."""
    return ", ".join(f"{changed[c]} AS {c}" if c in changed else c for c in CLAIMS)


def _losing(loses: str, status: str) -> dict[str, str]:
    """A claim that loses to another: its status, and nothing paid."""
    return {"status": f"CASE WHEN {loses} THEN {literal(status)} ELSE status END",
            "amount": f"CASE WHEN {loses} THEN 0 ELSE amount END"}


def _inputs(e: ir.Expr) -> list[str]:
    """The inputs an expression reads, left to right (as Python reads them)."""
    if isinstance(e, ir.Input):
        return [e.name]
    if isinstance(e, ir.YearSum):
        return [e.input.name]
    found = []
    for name in ("left", "right", "operand", "base"):
        part = getattr(e, name, None)
        if part is not None:
            found += _inputs(part)
    return found


FLIPPED = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "=": "=", "<>": "<>"}


def _bounds(iv: Interval) -> list[tuple[str, Decimal | dt.date]]:
    """An interval as the comparisons a value must pass: (operator, bound)."""
    found: list[tuple[str, Decimal | dt.date]] = []
    if iv.lower is not None:
        found.append((">=" if iv.lower_inclusive else ">", iv.lower))
    if iv.upper is not None:
        found.append(("<=" if iv.upper_inclusive else "<", iv.upper))
    return found


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


def unsupported(plan: Plan) -> list[str]:
    """What in a policy the SQL engine does not decide yet, each with its line; empty when it decides it all."""
    found = []
    for rule in plan.rules:
        if not isinstance(rule, (Validity, Once, HighestNotStacked, AnnualCap, Limit)):
            found.append(f"{rule.id}: the rule '{rule.describe()}'")
    lowered: dict[str, str] = {}
    for name in plan.inputs:  # DuckDB (ASCII) and Spark (Unicode) match a name, quoted or not, whatever its case
        first = lowered.setdefault(name.lower(), name)
        if first != name:
            found.append(f"the inputs '{first}' and '{name}', which SQL would read as one column: "
                         "it does not tell names apart by case")
    unit = plan.rounding_unit.normalize()
    if unit.as_tuple().digits != (1,):
        found.append(f"rounding to {unit} (line {plan.header_lines.get('rounding')}): only powers of ten are supported")
    return found


def _at(line: int, build: Callable[[A], T], part: A) -> T:
    """What ``build`` makes of a part of a measure, its refusal named with the part's line."""
    try:
        return build(part)
    except Unsupported as exc:
        if str(exc).startswith("line "):  # said already, by a part within this one
            raise
        raise Unsupported(f"line {line}: {exc}") from None


def emit(plan: Plan, dialect: Dialect = DUCKDB, columns: str | None = None, bounded: bool = True) -> str:
    """The SQL query of a plan in an engine's dialect (DuckDB's: ``jinjiang-dsl compile --emit sql``);
    :class:`Unsupported` when the policy uses what the SQL engine does not decide yet, naming all of it, or
    (``bounded``: to be run) when the query is longer than :data:`MAX_QUERY_CHARS`.
    ``columns``: see :meth:`Emitter.query`."""
    problems = unsupported(plan)
    try:
        query = Emitter(plan, dialect).query(columns)
    except Unsupported as exc:
        problems.append(str(exc))
    else:
        if bounded and len(query) > MAX_QUERY_CHARS:
            problems.append(f"its query is {len(query):,} characters, more than the {MAX_QUERY_CHARS:,} an engine "
                            "is given (a database plans a query in memory beyond its limit)")
    if problems:
        raise Unsupported("; ".join(problems))
    return query
