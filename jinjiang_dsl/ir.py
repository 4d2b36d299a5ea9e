"""The typed records of a plan: inputs, conditions, formulas and measures.

Backends, explanations, coverage, test strategies and the rules across measures read these;
:mod:`jinjiang_dsl.plan` builds them from a checked policy.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from . import ast
from .runtime.trace import Label, Shown


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


@attrs.frozen(slots=True)
class Cond:
    """A condition and how it reads: its label, its expression with the facts it uses."""

    expr: ast.Expr
    label: Label
    shown: Shown
    inputs: tuple[str, ...]
    line: int


@attrs.frozen(slots=True)
class Note:
    id: str
    text: Label


@attrs.frozen(slots=True)
class Tier:
    interval: ast.Interval
    amount: ast.Expr
    index: int  # 1-based, in source order


@attrs.frozen(slots=True)
class Formula:
    """One way to compute an amount. ``kind``: rate | expr | bands | thresholds | brackets | category |
    referred."""

    kind: str
    expr: ast.Expr | None = None  # rate: the base; expr: the amount; tiers: the looked-up value
    rate: Decimal | None = None
    rate_text: str | None = None
    base: Cond | None = None  # how the base or the looked-up value reads
    tiers: tuple[Tier, ...] = ()
    reason: Label | None = None
    rows: tuple[tuple[str, Label, ast.Expr], ...] = ()  # category: value, its label, the amount


@attrs.frozen(slots=True)
class Override:
    condition: Cond
    formula: Formula  # kind "rate" with expr None: replaces the rate only
    cap: ast.Expr | None
    cap_text: str | None


@attrs.frozen(slots=True)
class Measure:
    id: str
    line: int
    rule: str  # "1.1 一(一)"
    title: Label
    clause: str
    quote: str | None
    beneficiary: Cond | None
    requirements: tuple[Cond, ...]
    formula: Formula
    cap: ast.Expr | None
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
    defines: dict[str, ast.Define]
