"""Immutable syntax tree of a policy, every node with the source span it came from.

The tree says what the drafter wrote, resolved only as far as the surface syntax
allows (literals are exact decimals, boundary words are interval bounds). Names
are resolved and types checked later, by :mod:`jinjiang_dsl.check`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

import attrs

# Every node is a frozen attrs class with keyword-only fields: nodes are values, built by name.


@attrs.frozen(slots=True, kw_only=True)
class Span:
    """Where a node stands in its source: 1-based lines and columns, end exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@attrs.frozen(slots=True, kw_only=True)
class Bitext:
    """A label in Chinese and English: ``"中文" / "English"``."""

    zh: str
    en: str | None
    span: Span

    def get(self, lang: str) -> str:
        if lang == "en" and self.en:
            return self.en
        return self.zh


# ---------------------------------------------------------------- expressions

UnitKind = Literal["money", "count", "number", "percent"]
ArithOp = Literal["+", "-", "*", "/"]
CompareOp = Literal[">=", "<=", "==", "!=", ">", "<"]
TierMode = Literal["bands", "thresholds", "brackets"]
RoundingMode = Literal["half_up", "half_even", "down", "up"]
TypeKind = Literal["money", "count", "percent", "bool", "date", "text", "enum"]


@attrs.frozen(slots=True, kw_only=True)
class Quantity:
    """A number as written: ``100万``, ``1,000,000元``, ``10家``, ``0.01元``.

    ``unit`` is ``money`` when 元 is written, ``count`` for 家/个/场…, and
    ``number`` otherwise (its meaning comes from where it is used).
    """

    value: Decimal
    unit: UnitKind
    text: str
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Percent:
    """``20%``: ``value`` is the ratio (0.20)."""

    value: Decimal
    text: str
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class DateLit:
    value: dt.date
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class BoolLit:
    value: bool
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Name:
    """A reference to an input, a definition or (inside ``in {…}``) an enum value.

    ``scope`` is ``applicant`` or ``project`` when written qualified (``applicant.kind``).
    """

    ident: str
    scope: str | None
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class BinOp:
    op: ArithOp
    left: Expr
    right: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class PercentOf:
    """``20% of base``: a share of a base, as the notice words it."""

    rate: Percent
    base: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class BoolOp:
    op: Literal["and", "or"]
    left: Expr
    right: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Not:
    operand: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class YearOf:
    """``year(signed)``: the calendar year of a date, a plain number (2024)."""

    operand: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class YearSum:
    """``sum of equipment per applicant per year``: a project input added up over all of one
    applicant's projects of the same year; a measure reading it is decided once per applicant-year."""

    operand: Name
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class InSet:
    operand: Expr
    values: tuple[Name, ...]
    negated: bool
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Bound:
    value: Quantity | DateLit | None  # None is infinity
    inclusive: bool


@attrs.frozen(slots=True, kw_only=True)
class Interval:
    """A range of values, from statutory words (``50万(含)至100万``) or notation (``[50万, 100万)``).

    ``lower``/``upper`` of ``None`` mean unbounded on that side.
    """

    lower: Bound | None
    upper: Bound | None
    text: str
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class InInterval:
    operand: Expr
    interval: Interval
    span: Span


Expr = (Quantity | Percent | DateLit | BoolLit | Name | BinOp | PercentOf | Compare | BoolOp | Not | YearOf | YearSum
        | InSet | InInterval)


def children(e: Any) -> tuple[Any, ...]:
    """The sub-expressions of an expression (the values of ``in {…}`` included): the one place that
    knows the shape of every expression node, for the walkers that only need to go down."""
    if isinstance(e, (BinOp, Compare, BoolOp)):
        return e.left, e.right
    if isinstance(e, PercentOf):
        return (e.base,)
    if isinstance(e, (Not, YearOf, YearSum, InInterval)):
        return (e.operand,)
    if isinstance(e, InSet):
        return (e.operand, *e.values)
    return ()


# ---------------------------------------------------------------- formulas


@attrs.frozen(slots=True, kw_only=True)
class ExprFormula:
    """An amount given by an expression: ``10万``, ``5万 × sessions``, ``20% of base``."""

    expr: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Tier:
    interval: Interval
    amount: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class TierTable:
    """``bands`` pay the one interval that holds the value; ``thresholds`` pay the highest one reached;
    ``brackets`` (超额累进) pay each row's rate on the part of the value inside its interval, summed."""

    mode: TierMode
    on: Expr
    tiers: tuple[Tier, ...]
    allow_gap: bool
    allow_cliff: bool
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Referred:
    """No formula: the claim is referred for a case-by-case decision (一事一议)."""

    reason: Bitext | None
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class CategoryRow:
    value: str
    amount: Expr
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class CategoryTable:
    """``amount by level { national: 100万, provincial: 30万 }``: the amount chosen by a category."""

    on: Name
    rows: tuple[CategoryRow, ...]
    span: Span


Formula = ExprFormula | TierTable | Referred | CategoryTable


@attrs.frozen(slots=True, kw_only=True)
class Amount:
    formula: Formula
    cap: Expr | None
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Override:
    """``when cond: 25%, at most 100万`` — a bare percent replaces the rate, keeping the base."""

    condition: Expr
    label: Bitext | None
    formula: Formula
    cap: Expr | None
    span: Span


# ---------------------------------------------------------------- statements


@attrs.frozen(slots=True, kw_only=True)
class Note:
    """A named interpretation (I-1 …) attached where it is written.

    ``text`` is None for a reference (``note I-2``) to a note stated elsewhere.
    """

    id: str
    text: Bitext | None
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Clause:
    """The clause of the notice a measure or rule encodes, e.g. ``一(一)``; ``en``: how an English report
    names it, when its own words (``结尾段一``) are no clause number an English reader can look up."""

    ref: str
    span: Span
    en: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class Quote:
    text: str
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Condition:
    """A labelled boolean: a requirement, a beneficiary test or an input assertion."""

    expr: Expr
    label: Bitext | None
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Define:
    name: str
    expr: Expr
    label: Bitext | None
    span: Span
    name_span: Span


@attrs.frozen(slots=True, kw_only=True)
class CrossCheck:
    """A second reading of the same figure (e.g. 50% of a higher level's approved grant): a warning when it differs from the formula."""

    expr: Expr
    label: Bitext | None
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Quota:
    count: int
    per: Name
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Reduction:
    strategy: Literal["input_order", "pro_rata"]
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class AnnualCap:
    """A cap per applicant per year over all of one measure's grants (``cap 50万 per applicant per year``)."""

    amount: Expr
    reduction: Reduction
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class EnumValue:
    name: str
    label: Bitext | None
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class TypeRef:
    kind: TypeKind
    values: tuple[EnumValue, ...]
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class InputDecl:
    scope: Literal["applicant", "project"]
    name: str
    type: TypeRef
    default: Expr | None
    label: Bitext | None
    span: Span
    name_span: Span
    required: bool = False  # every record must give it (no default, not even "missing")
    from_register: Span | None = None  # "from register": left out, the decision register supplies it


@attrs.frozen(slots=True, kw_only=True)
class Fact:
    """``investment: 300万`` in an example: an input and its value as written."""

    name: str
    value: Quantity | Percent | DateLit | BoolLit | Name | Quote
    span: Span
    name_span: Span


@attrs.frozen(slots=True, kw_only=True)
class ExampleProject:
    id: str
    facts: tuple[Fact, ...]
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Expectation:
    """One expected result. ``kind``: ``award`` (status, amounts, a phrase), ``total`` or ``error``."""

    kind: Literal["award", "total", "error"]
    project: str | None
    measure: str | None
    status: str | None
    amount: Quantity | None
    entitled: Quantity | None
    phrase: str | None
    span: Span
    shares: tuple[tuple[str, Quantity], ...] = ()  # each payer's part of the award, as its output lists them
    instalments: tuple[Quantity, ...] = ()  # the award paid year by year, in order


@attrs.frozen(slots=True, kw_only=True)
class Example:
    """An applicant, its projects and the expected results, beside the clause they test (Catala's way)."""

    title: Bitext
    applicant: tuple[Fact, ...]
    projects: tuple[ExampleProject, ...]
    expectations: tuple[Expectation, ...]
    measure: str | None  # the enclosing measure, when written inside one
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Payer:
    """A payer of a cost split: its name as written is the output's key (``shares[].payer``, ``by_payer``),
    so it never changes; ``en`` is how English sentences and tables name it (``市级财政 / "city treasury"``)."""

    name: str
    en: str | None
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class CostSplit:
    """资金分担: ``shared 4:3:3 by 省级财政, 市级财政, 县级财政``, the payers in the order the policy lists them."""

    payers: tuple[Payer, ...]
    weights: tuple[int, ...]
    span: Span

    def pairs(self) -> tuple[tuple[str, int], ...]:
        """(payer, weight), as the engines split an award."""
        return tuple(zip((p.name for p in self.payers), self.weights))


@attrs.frozen(slots=True, kw_only=True)
class Measure:
    id: str
    title: Bitext
    clause: Clause | None
    quote: Quote | None
    beneficiary: Condition | None
    requirements: tuple[Condition, ...]
    defines: tuple[Define, ...]
    amount: Amount | None
    overrides: tuple[Override, ...]
    cross_checks: tuple[CrossCheck, ...]
    quota: Quota | None
    annual_cap: AnnualCap | None
    earmark: Bitext | None
    once: Literal["year", "ever"] | None  # once per applicant per year, or once per applicant
    instalments: tuple[Percent, ...]  # 分期拨付: the share paid in the award's year, the next, …
    shared: CostSplit | None  # 资金分担
    notes: tuple[Note, ...]
    examples: tuple[Example, ...]
    span: Span
    dated_by: Name | None = None  # its own date (an applicant input), which places its award in a year
    once_span: Span | None = None  # where its 'once' is written (``once`` itself is a word, with no place)


@attrs.frozen(slots=True, kw_only=True)
class MeasureRef:
    """A measure named by its id where it is not declared (``among 4, 6.1``), located for messages."""

    id: str
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Rule:
    """A rule across measures: highest-not-stacked, a limit per applicant per year, or validity."""

    id: str
    title: Bitext
    clause: Clause | None
    quote: Quote | None
    kind: Literal["highest_not_stacked", "limit", "validity"] | None
    applies_to: Expr | None
    ties_to_lower_measure: bool
    scope: Literal["project", "applicant"]  # highest not stacked per project, or per applicant, per year
    other_policy: Name | None
    limit: Expr | None
    among: tuple[MeasureRef, ...] = ()  # highest not stacked, or a limit, among these measures only ((): all)
    among_span: Span | None = None
    reduction: Reduction | None
    notes: tuple[Note, ...]
    span: Span
    kind_span: Span | None = None  # where its 'highest not stacked', 'limit' or 'validity' is written


@attrs.frozen(slots=True, kw_only=True)
class Length:
    """A window's length as the notice gives it (有效期3年): whole years or months from its first day."""

    count: int
    unit: Literal["years", "months"]
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Window:
    start: dt.date
    end: dt.date  # the last day in force, both ends included: written ('to'), or reckoned from the length
    span: Span
    length: Length | None = None  # when written 'for N years', which the explanation shows beside the last day


@attrs.frozen(slots=True, kw_only=True)
class Rounding:
    unit: Quantity
    mode: RoundingMode
    span: Span


@attrs.frozen(slots=True, kw_only=True)
class Header:
    title: Bitext
    issued: DateLit | None
    in_force: Window | None
    by_reference: Window | None
    dated_by: Name | None
    currency: str | None
    rounding: Rounding | None
    clause: Clause | None
    quote: Quote | None
    notes: tuple[Note, ...]
    span: Span
    currency_span: Span | None = None  # the 'currency' statement, for messages about it
    shared: CostSplit | None = None  # 资金分担 once for the whole notice: every measure without its own


@attrs.frozen(slots=True, kw_only=True)
class Policy:
    path: str
    source: str
    header: Header | None
    inputs: tuple[InputDecl, ...]
    assertions: tuple[Condition, ...]
    defines: tuple[Define, ...]
    measures: tuple[Measure, ...]
    rules: tuple[Rule, ...]
    notes: tuple[Note, ...]
    examples: tuple[Example, ...]

    def all_examples(self) -> tuple[Example, ...]:
        """Every example, those inside measures first, in source order."""
        return tuple(sorted((*self.examples, *(e for m in self.measures for e in m.examples)),
                            key=lambda e: (e.span.line, e.span.column)))

    def cost_splits(self) -> tuple[CostSplit, ...]:
        """Every cost split written, the header's and the measures', in source order: where a payer's
        English name is given."""
        found = [m.shared for m in self.measures if m.shared]
        if self.header and self.header.shared:
            found.append(self.header.shared)
        return tuple(sorted(found, key=lambda s: (s.span.line, s.span.column)))

    def split_of(self, m: Measure) -> CostSplit | None:
        """A measure's cost split: its own, else the one the header declares for the whole policy."""
        return m.shared or (self.header.shared if self.header else None)

    def all_notes(self) -> tuple[Note, ...]:
        """Every interpretation note, wherever it is attached."""
        found = list(self.notes)
        if self.header:
            found += self.header.notes
        for item in self.measures:
            found += item.notes
        for rule in self.rules:
            found += rule.notes
        return tuple(found)
