"""The typed records of a plan: expressions, inputs, conditions, formulas and measures.

Backends, explanations, coverage, test strategies and the rules across measures read these and
nothing of the syntax: names are resolved (an input with its scope, a definition replaced by what
it stands for, a value of a closed set as a constant), literals are values, intervals are concrete.
:mod:`jinjiang_dsl.plan` builds them from a checked policy.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import attrs

from .runtime.intervals import Interval
from .runtime.trace import Label, Shown

# ---------------------------------------------------------------------- expressions


@attrs.frozen(slots=True)
class Const:
    """A literal (``50万``, ``20%``, ``2024-01-01``, ``true``) or a value of a closed set (``association``)."""

    value: Decimal | int | dt.date | bool | str
    text: str  # as written
    unit: Literal["money", "count", "number", "percent", "date", "bool", "word"]


@attrs.frozen(slots=True)
class Input:
    name: str
    scope: Literal["applicant", "project"]


@attrs.frozen(slots=True)
class Arith:
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr
    divisor: tuple[str, ...] = ()  # for "/": the inputs the divisor is made of, to locate a zero


@attrs.frozen(slots=True)
class Share:
    """``20% of base``."""

    rate: Decimal
    text: str
    base: Expr


@attrs.frozen(slots=True)
class Compare:
    op: Literal[">=", "<=", "==", "!=", ">", "<"]
    left: Expr
    right: Expr


@attrs.frozen(slots=True)
class Logic:
    op: Literal["and", "or"]
    left: Expr
    right: Expr


@attrs.frozen(slots=True)
class Not:
    operand: Expr


@attrs.frozen(slots=True)
class YearOf:
    operand: Expr


@attrs.frozen(slots=True)
class YearSum:
    """A project input added up over the applicant's projects of one year: the decider gives a year's
    claim the sums as its project facts, so it reads like the input itself."""

    input: Input


@attrs.frozen(slots=True)
class Member:
    operand: Expr
    values: frozenset[str]
    negated: bool = False


@attrs.frozen(slots=True)
class Within:
    operand: Expr
    interval: Interval
    text: str  # the drafter's words


Expr = Const | Input | Arith | Share | Compare | Logic | Not | YearOf | YearSum | Member | Within


def children(e: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of an expression: the one place that knows each node's shape."""
    if isinstance(e, (Arith, Compare, Logic)):
        return e.left, e.right
    if isinstance(e, Share):
        return (e.base,)
    if isinstance(e, (Not, YearOf, Member, Within)):
        return (e.operand,)
    if isinstance(e, YearSum):
        return (e.input,)
    return ()


# ---------------------------------------------------------------------- what a measure is made of


def measure_key(mid: str) -> tuple[tuple[int, str], ...]:
    """Measures in numeric order (1.2 before 1.10), without converting the digits: an id's
    length is bounded by the checker, but the key must not depend on it."""
    return tuple((len(x.lstrip("0")), x.lstrip("0")) for x in mid.split("."))


@attrs.frozen(slots=True)
class InputSpec:
    name: str
    scope: str  # applicant | project
    kind: str  # money | count | percent | bool | date | text | enum
    values: tuple[str, ...]
    value_labels: dict[str, Label]
    default: object
    label: Label
    required: bool = False  # a record without it is an input error
    from_register: bool = False  # left out, the decision register supplies it: other policies' grants in the year
    line: int | None = None  # where it is declared, for impact


@attrs.frozen(slots=True)
class Cond:
    """A condition and how it reads: its label, its expression with the facts it uses."""

    expr: Expr
    label: Label
    shown: Shown
    inputs: tuple[str, ...]
    line: int
    failed: Label | None = None  # how it reads when it does not hold (x 不属于 {…}), when that differs
    # how it reads with each set's values in one order (its input's, then by name), when that differs: what
    # ``impact`` compares, for a set listed in another order decides the same; explanations keep the drafter's
    compared: Label | None = None
    # the ratios it compares with a bound, each with the bounds: their figures fill the reading's last slots
    ratios: tuple[tuple[Expr, tuple[Decimal, ...]], ...] = ()


@attrs.frozen(slots=True)
class Note:
    id: str
    text: Label


@attrs.frozen(slots=True)
class Tier:
    interval: Interval
    text: str  # the interval in the drafter's words
    amount: Expr
    index: int  # 1-based, in source order
    # how an amount that is not a figure reads (10% × R&D spending), so that its working is shown
    reading: Cond | None = None


@attrs.frozen(slots=True)
class Formula:
    """One way to compute an amount. ``kind``: rate | expr | bands | thresholds | brackets | category |
    referred."""

    kind: str
    expr: Expr | None = None  # rate: the base; expr: the amount; tiers: the looked-up value
    rate: Decimal | None = None
    rate_text: str | None = None
    base: Cond | None = None  # how the base or the looked-up value reads
    tiers: tuple[Tier, ...] = ()
    reason: Label | None = None
    rows: tuple[tuple[str, Label, Expr], ...] = ()  # category: value, its label, the amount
    # category: how each row's amount reads when it is not a figure (10% × investment), as a tier's reading
    row_readings: tuple[Cond | None, ...] = ()
    row_lines: tuple[int, ...] = ()  # tiers or category: each row's line, so that a change names the row's
    # expr: each definition the amount names (by name, and how it reads), and the amount read with those
    # by their labels — ``named``'s names are inputs' and definitions', in ``named_keys`` — so that an
    # auditor sees "standard 300,000 − received 120,000", each definition's figure worked out before
    defined: tuple[tuple[str, Cond], ...] = ()
    named: Shown | None = None
    named_keys: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class Override:
    condition: Cond
    formula: Formula  # kind "rate" with expr None: replaces the rate only
    cap: Expr | None
    cap_text: str | None
    cap_reading: Cond | None = None  # how a cap that is not a figure reads (50% × R&D spending), as the measure's

    def formula_over(self, base: Formula) -> Formula:
        """The formula this override computes over the measure's ``base`` formula: a bare rate keeps the
        base's base (``when …: 25%`` is 25% of what the measure's rate was of)."""
        f = self.formula
        if f.kind == "rate" and f.expr is None:
            return Formula(kind="rate", expr=base.expr, rate=f.rate, rate_text=f.rate_text, base=base.base)
        return f


@attrs.frozen(slots=True)
class Measure:
    id: str
    line: int
    amount_line: int  # its amount statement's (the SQL engine's refusals and impact name it)
    part_lines: tuple[tuple[str, int], ...]  # the lines of its other statements, by part ("quota", …), for impact
    rule: str  # "1.1 一(一)"
    title: Label
    clause: str
    quote: str | None
    beneficiary: Cond | None
    requirements: tuple[Cond, ...]
    formula: Formula
    cap: Expr | None
    cap_text: str | None
    overrides: tuple[Override, ...]
    cross_checks: tuple[Cond, ...]
    own_facts: frozenset[str]  # the facts whose presence lists the measure (its project's, or its applicant's)
    level: str  # "project": per project; "year": once per applicant-year, on sums; "applicant": once per applicant
    instalments: tuple[Decimal, ...]  # shares paid in the award's year and the years after
    shared: tuple[tuple[str, int], ...]  # payers and their weights
    quota: tuple[int, str] | None
    earmark: Label | None
    notes: tuple[Note, ...]
    rank: int = 0  # its position in measure order (1.2 before 1.10): equal amounts go to the lower
    dated_by: str | None = None  # an applicant-level measure's own date input, which places its award in a year
    clause_en: str = ""  # how an English report names the clause ("" : by the notice's words)
    # how a cap that is not a figure reads (50% × R&D spending): ``cap_text`` is a figure's only
    cap_reading: Cond | None = None
