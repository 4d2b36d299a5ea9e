"""Types and units of expressions: money, count, ratio, bool, date, closed sets.

Plain numbers (``100万`` without 元, ``20``) take their unit from where they are used,
as untyped constants do in Go: ``revenue > 100万`` compares money,
``adopters >= 10`` compares counts, ``5万 × sessions`` pays money.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal

import attrs

from .. import ast
from ..diagnostics import did_you_mean
from ..runtime.intervals import from_ast, is_dates
from .tiers import is_empty, reversed_ends

NUMERIC = {"money", "count", "ratio", "number"}

WORDS = {
    "money": "money",
    "count": "a count",
    "ratio": "a percentage",
    "number": "a number",
    "bool": "a yes/no value",
    "date": "a date",
    "enum": "a choice from a set",
    "text": "text",
}


@attrs.frozen(slots=True)
class Type:
    kind: str  # money | count | ratio | number | bool | date | text | enum
    values: tuple[str, ...] = ()
    name: str | None = None  # the input an enum type belongs to, for messages
    labels: tuple[tuple[str, str], ...] = ()  # (label, value) of an enum's values, to tell a label used as one

    def describe(self) -> str:
        return WORDS[self.kind]

    def labelled(self, text: str) -> str | None:
        """The value whose label ``text`` is: a Chinese drafter writes 国家级 for the value national."""
        return next((value for label, value in self.labels if label == text), None)


def label_hint(value: str) -> str:
    return f"that is how the value '{value}' is labelled: write {value}"


MONEY, COUNT, RATIO, NUMBER, BOOL, DATE, TEXT = (
    Type(k) for k in ("money", "count", "ratio", "number", "bool", "date", "text")
)

DECLARED = {"money": MONEY, "count": COUNT, "percent": RATIO, "bool": BOOL, "date": DATE, "text": TEXT}


def type_of_decl(decl: ast.InputDecl) -> Type:
    if decl.type.kind == "enum":
        # A value listed twice is an error of its own; the type (and every hint naming it) lists it once.
        labels = tuple((text, v.name) for v in decl.type.values if v.label
                       for text in (v.label.zh, v.label.en) if text and text != v.name)
        return Type("enum", tuple(dict.fromkeys(v.name for v in decl.type.values)), decl.name, labels)
    return DECLARED[decl.type.kind]


Report = Callable[[str, ast.Span, str | None], None]
Lookup = Callable[[ast.Name], Type | None]


def is_money_like(t: Type | None) -> bool:
    return t is None or t.kind in ("money", "number")


class ExprTyper:
    """Infers the type of an expression, reporting every misuse once.

    ``None`` means "unknown because of an error already reported" and silences
    follow-on errors.
    """

    def __init__(
        self,
        lookup: Lookup,
        peek: Callable[[str], Type | None],
        error: Report,
        warn: Report | None = None,
        known: Callable[[str], bool] | None = None,
        quoted: Callable[[ast.Name], bool] | None = None,
        scope: Callable[[str], str | None] | None = None,
        suggest: Callable[[str, Collection[str]], str | None] = did_you_mean,
    ):
        self.lookup = lookup
        self.suggest = suggest
        self.scope = scope or (lambda name: None)
        self.peek = peek
        self.error = error
        self.warn = warn or (lambda message, span, hint: None)
        self.known = known or (lambda name: peek(name) is not None)
        self.quoted = quoted or (lambda name: False)

    def infer(self, e: ast.Expr) -> Type | None:
        if isinstance(e, ast.Quantity):
            return {"money": MONEY, "count": COUNT, "number": NUMBER}[e.unit]
        if isinstance(e, ast.Percent):
            return RATIO
        if isinstance(e, ast.DateLit):
            return DATE
        if isinstance(e, ast.BoolLit):
            return BOOL
        if isinstance(e, ast.Name):
            if self.quoted(e):
                return None if self.misread_text(e) else TEXT
            return self.lookup(e)
        if isinstance(e, ast.BinOp):
            return self._binop(e)
        if isinstance(e, ast.PercentOf):
            base = self.infer(e.base)
            if base is None:
                return None
            if base.kind not in NUMERIC:
                self.error(f"{e.rate.text} of {base.describe()} means nothing", e.base.span,
                           "the base of a percentage is money or a count")
                return None
            # A share of a count is a count, possibly fractional (started >= 20% of diagnosed).
            return {"money": MONEY, "count": COUNT, "ratio": RATIO, "number": NUMBER}[base.kind]
        if isinstance(e, ast.Compare):
            return self._compare(e)
        if isinstance(e, ast.BoolOp):
            self.expect_bool(e.left, f"'{e.op}'")
            self.expect_bool(e.right, f"'{e.op}'")
            return BOOL
        if isinstance(e, ast.Not):
            self.expect_bool(e.operand, "'not'")
            return BOOL
        if isinstance(e, ast.YearSum):
            t = self.infer(e.operand)
            scope = self.scope(e.operand.ident)
            if scope in ("applicant", "define"):
                self.error(f"'sum of' adds up a project input over the year, but '{e.operand.ident}' is "
                           f"{'an applicant input' if scope == 'applicant' else 'a definition'}", e.operand.span,
                           "sum a project fact such as an investment or a count")
                return None
            if t is not None and t.kind not in ("money", "count"):
                self.error(f"'sum of' adds up money or a count, but this is {t.describe()}", e.operand.span, None)
                return None
            return t
        if isinstance(e, ast.YearOf):
            t = self.infer(e.operand)
            if t is not None and t.kind != "date":
                self.error(f"year() takes a date, but this is {t.describe()}", e.operand.span, None)
            return NUMBER
        if isinstance(e, ast.InSet):
            self._in_set(e)
            return BOOL
        if isinstance(e, ast.InInterval):
            t = self.infer(e.operand)
            days = is_dates(e.interval)
            if t is not None and days and t.kind != "date":
                self.error(f"the interval {e.interval.text} is a window of days, but {_subject(e.operand)} is "
                           f"{t.describe()}", e.interval.span, "compare a date input with a window of days")
            elif t is not None and not days and t.kind == "date":
                self.error(f"{_subject(e.operand)} is a date, but the interval {e.interval.text} is of figures",
                           e.interval.span, "write the window in dates, e.g. 2025年6月30日前(含) or "
                                            "[2024-01-01, 2024-12-31]")
            elif t is not None and t.kind not in NUMERIC and t.kind != "date":
                self.error(f"{t.describe()} cannot lie in an interval", e.operand.span, None)
            elif t is not None and not days:
                self.check_bounds(e.interval, t, e.operand)
            if any(b is not None and b.value is not None and isinstance(b.value, ast.DateLit) != days
                   for b in (e.interval.lower, e.interval.upper)):
                self.error(f"the interval {e.interval.text} mixes a date with a figure", e.interval.span, None)
                return BOOL
            iv = from_ast(e.interval)
            if is_empty(iv):
                hint = "write the smaller bound first" if reversed_ends(iv) else "include both ends, or widen it"
                self.error(f"interval {iv} is empty: no value lies in it, so this is never true", e.interval.span, hint)
            return BOOL
        raise TypeError(f"unknown expression {e!r}")  # pragma: no cover - the grammar has no other forms

    # ------------------------------------------------------------------ helpers

    def expect_bool(self, e: ast.Expr, where: str) -> None:
        t = self.infer(e)
        if t is not None and t.kind != "bool":
            hint = "compare it, e.g. x > 0" if t.kind in NUMERIC else "use 'in {…}' or '==' to test it"
            self.error(f"{where} needs a yes/no condition, but this is {t.describe()}", e.span, hint)

    def check_bounds(self, interval: ast.Interval, on: Type, subject: ast.Expr) -> None:
        """Bounds written with a unit must match what they bound (10家 does not bound money)."""
        for bound in (interval.lower, interval.upper):
            if bound is None or bound.value is None:
                continue
            q = bound.value
            if not isinstance(q, ast.Quantity):
                continue  # a day: windows of days are checked where the interval is
            unit = "ratio" if q.unit == "percent" else q.unit
            if on.kind == "count" and in_wan(q):
                self.warn_wan(q, subject)
            elif unit != "number" and on.kind in ("money", "count", "ratio") and unit != on.kind:
                self.error(
                    f"bound {q.text} is {WORDS[unit]}, but {_subject(subject)} is {on.describe()}",
                    q.span,
                    None,
                )
            elif unit == "number" and on.kind == "ratio":  # 10以上 of a share: 10, or 10%? 5万以上 is money
                self.error(f"bound {q.text} is a plain number, but {_subject(subject)} is {on.describe()}",
                           q.span, percent_hint(q) if in_wan(q) else f"write it as a percentage: {q.text}%")

    def warn_wan(self, figure: ast.Quantity, count: ast.Expr) -> None:
        """5万 set against a count: the checker reads a number, but a notice writes money in 万."""
        what = f"a number of {count.ident}" if isinstance(count, ast.Name) else "a count"
        self.warn(f"{_subject(count)} is a count, but {figure.text} reads as money ({_grouped(figure.value)} 元)",
                  figure.span, f"write {_plain(figure.value)} (or {figure.text}人) if you mean {what}")

    def _binop(self, e: ast.BinOp) -> Type | None:
        left, right = self.infer(e.left), self.infer(e.right)
        if left is None or right is None:
            return None
        for side, t in ((e.left, left), (e.right, right)):
            if t.kind not in NUMERIC:
                self.error(f"{t.describe()} cannot be used in arithmetic ('{e.op}')", side.span,
                           "use it in a condition instead" if t.kind == "bool" else None)
                return None
        a, b = left.kind, right.kind
        if e.op in "+-":
            if a == "number":
                return right
            if b == "number" or a == b:
                return left
            self.error(f"cannot {'add' if e.op == '+' else 'subtract'} {right.describe()} "
                       f"{'to' if e.op == '+' else 'from'} {left.describe()}", e.span, None)
            return None
        if e.op == "*":
            pair = {a, b}
            if pair == {"money"}:
                self.error("money × money is not an amount", e.span, "one side should be a rate or a count")
                return None
            if "money" in pair:
                return MONEY
            if pair == {"count"} or pair == {"count", "ratio"}:  # a share of a count is a count
                return COUNT
            if "ratio" in pair and pair <= {"ratio", "number"}:
                return RATIO
            return NUMBER
        # division
        if b == "money" and a != "money":
            self.error(f"cannot divide {left.describe()} by money", e.span, None)
            return None
        if a == b and a in ("money", "count"):
            return RATIO
        return left if b in ("number", "count", "ratio") else NUMBER

    def _compare(self, e: ast.Compare) -> Type:
        left = self.infer_or_enum_value(e.left, e.right)
        right = self.infer_or_enum_value(e.right, e.left)
        if left is None or right is None:
            return BOOL
        ordered = e.op not in ("==", "!=")
        if {left.kind, right.kind} == {"ratio", "number"}:
            # share > 10: 10% or 1000%? A percentage is compared with a percentage.
            number = e.right if right.kind == "number" else e.left
            self.error("cannot compare a percentage with a plain number", e.span, percent_hint(number))
        elif left.kind in NUMERIC and right.kind in NUMERIC:
            if "number" not in (left.kind, right.kind) and left.kind != right.kind:
                self.error(f"cannot compare {left.describe()} with {right.describe()}", e.span,
                           _money_for_a_count(e) or "both sides of a comparison must be in the same unit")
            for figure, other, t in ((e.right, e.left, left), (e.left, e.right, right)):
                if t.kind == "count" and isinstance(figure, ast.Quantity) and in_wan(figure):
                    self.warn_wan(figure, other)
        elif left.kind != right.kind:
            self.error(f"cannot compare {left.describe()} with {right.describe()}", e.span, None)
        elif ordered and left.kind in ("bool", "enum", "text"):
            self.error(f"'{e.op}' does not order {left.describe()}", e.span, "use '==' or 'in {…}'")
        return BOOL

    def infer_or_enum_value(self, e: ast.Expr, other: ast.Expr) -> Type | None:
        """``kind == association``: a bare value name (or a quoted one) against a set-typed input."""
        if isinstance(e, ast.Name) and self.quoted(e) and self.misread_text(e):
            return None
        if (isinstance(e, ast.Name) and e.scope is None
                and isinstance(other, ast.Name) and not self.quoted(other)):
            other_t = self.peek(other.ident)
            if other_t is not None and other_t.kind == "enum":
                if e.ident in other_t.values:
                    if self.known(e.ident):  # evaluation would read the name, not the value
                        self.error(f"'{e.ident}' is both a value of {other_t.name} and a name defined in the policy",
                                   e.span, f"rename the definition, or test with '{other.ident} in {{{e.ident}}}'")
                        return None
                    return other_t
                guess = self.suggest(e.ident, other_t.values)
                labelled = other_t.labelled(e.ident)
                if labelled is not None and not self.known(e.ident):
                    self.error(f"'{e.ident}' is not one of the values of {other_t.name}", e.span,
                               label_hint(labelled))
                    return None
                if self.quoted(e):
                    values = f"the values are: {', '.join(other_t.values)}"
                    self.error(f"'{e.ident}' is not one of the values of {other_t.name}", e.span,
                               f"did you mean '{guess}'?" if guess else values)
                    return None
                if guess and not self.known(e.ident):
                    # Neither a value nor a typed name, but close to a value: a misspelt value.
                    self.error(f"'{e.ident}' is not one of the values of {other_t.name}", e.span,
                               f"did you mean '{guess}'?")
                    return None
        return self.infer(e)

    def misread_text(self, e: ast.Name) -> bool:
        """A quoted text spelled like an input or a definition would be evaluated as that name."""
        if not self.known(e.ident):
            return False
        self.error(f"the text \"{e.ident}\" would be read as the name '{e.ident}'", e.span,
                   f"test it with 'in {{\"{e.ident}\"}}' instead")
        return True

    def _in_set(self, e: ast.InSet) -> None:
        t = self.infer(e.operand)
        if t is None:
            return
        if t.kind == "text":
            return  # free text: the listed words are the set
        if t.kind != "enum":
            self.error(f"'in {{…}}' tests a choice from a set, but {_subject(e.operand)} is {t.describe()}",
                       e.operand.span, None)
            return
        for value in e.values:
            if value.ident not in t.values:
                guess = self.suggest(value.ident, t.values)
                labelled = t.labelled(value.ident)
                self.error(
                    f"'{value.ident}' is not one of the values of {t.name}",
                    value.span,
                    label_hint(labelled) if labelled else f"did you mean '{guess}'?" if guess
                    else f"the values are: {', '.join(t.values)}",
                )


def in_wan(q: ast.Quantity) -> bool:
    """A plain figure written in 万 or 亿 (5万): in a notice, that is money, whatever the checker infers."""
    return q.unit == "number" and any(m in q.text for m in "万亿")


def _money_for_a_count(e: ast.Compare) -> str | None:
    """``employees >= 5万元``: the hint says what the figure is and how a count is written."""
    for figure, other in ((e.right, e.left), (e.left, e.right)):
        if isinstance(figure, ast.Quantity) and figure.unit == "money" and isinstance(other, ast.Name):
            return (f"{_subject(other)} is a count; {figure.text} is money ({_grouped(figure.value)} 元): "
                    f"write {_plain(figure.value)} if you mean a number of {other.ident}")
    return None


def percent_hint(number: ast.Expr) -> str | None:
    """How to write a plain number meant as a percentage: 10 → 10%; 0.5 → 50% or 0.5%; 5万 is money."""
    if not isinstance(number, ast.Quantity):
        return None
    if in_wan(number):
        digits = number.text.rstrip("万亿 \t")
        return (f"{number.text} is {_grouped(number.value)} (money, in a notice); a percentage is written "
                f"with %: {digits}%")
    plain = _plain(number.value)
    if 0 < number.value < 1:
        return f"write {_plain(number.value * 100)}% (if {plain} is a share) or {plain}%"
    return f"write {plain}%"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _grouped(value: Decimal) -> str:
    """50000 → 50,000: a figure in 万 as the reader checks it."""
    return format(value.normalize(), ",f")


def _subject(e: ast.Expr) -> str:
    return f"'{e.ident}'" if isinstance(e, ast.Name) else "the value"
