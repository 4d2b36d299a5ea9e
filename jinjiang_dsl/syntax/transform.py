"""Lark parse tree → :mod:`jinjiang_dsl.ast`, with spans, exact literals and statutory intervals.

Problems that the grammar cannot see but the surface can (``100万万``, a date that does
not exist, two ``amount`` lines in one measure) are collected as diagnostics here, so
that one run reports all of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from typing import Any, Literal, NamedTuple, cast

import attrs
from lark import Token, Tree
from lark.tree import Meta

from .. import ast
from ..diagnostics import Diagnostic, source_lines
from ..limits import shorten
from .keyword_table import by_terminal

MAX_WINDOW_MONTHS = 240  # a window longer than 20 years is a typing slip (有效期3年 typed as 300), not a notice
MAGNITUDES = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
COUNT_UNITS = set("家个场次项人名")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}  # what a backslash may stand before in a text
_QUANTITY = re.compile(r"^(?P<num>[0-9,]+(?:\.[0-9]+)?)\s*(?P<mag>(?:\s*[万亿])*)\s*(?P<unit>[元家个场次项人名])?$")

DATE_WORDS_INCLUSIVE = {"及以前", "以前", "及以后", "以后", "起"}


def _date_inclusive(tokens: list[Token]) -> bool:
    """A day bound includes its day when (含) says so, or the word does (以前, 以后, 起)."""
    return any(t.type == "INCL" or str(t) in DATE_WORDS_INCLUSIVE for t in tokens[1:])


# Statutory boundary words: 以上/以下/以内/不少于/不超过 include the number;
# 超过/不满/低于 exclude it.
PREFIX_LOWER_INCLUSIVE = {"不少于", "不低于"}
PREFIX_UPPER_INCLUSIVE = {"不超过", "不高于"}

COMPARE_OPS = {"≥": ">=", "≤": "<=", "≠": "!="}
MUL_OPS = {"×": "*"}


def keyword(token: Token) -> str:
    """A kept keyword as its English word, however it was spelled (``给予`` → ``granted``)."""
    found = by_terminal().get(token.type)
    return found.english if found is not None else str(token)


class _Split(NamedTuple):
    """An expectation's split of an award, shares or instalments, until the expectation takes it."""

    kind: str
    parts: tuple[Any, ...]


class _Highest(NamedTuple):
    """A 'highest not stacked' statement: per project or per applicant, among some measures or all."""

    scope: Literal["project", "applicant"]
    among: tuple[ast.MeasureRef, ...]
    span: ast.Span | None  # the 'among' list, when there is one


class _Limit(NamedTuple):
    """A 'limit … per applicant per year' statement: over every measure's grants, or the listed ones'."""

    expr: Any
    among: tuple[ast.MeasureRef, ...]
    span: ast.Span | None  # the 'among' list, when there is one


class _Stmt:
    """A statement inside a block, tagged with its keyword until the block groups it."""

    __slots__ = ("tag", "value", "span")

    def __init__(self, tag: str, value: Any, span: ast.Span):
        self.tag, self.value, self.span = tag, value, span


class ToAst:
    """One instance per source file: it knows the path, and collects diagnostics."""

    def __init__(self, path: str, source: str):
        self.path = path
        self.source_lines = source_lines(source)
        self.diagnostics: list[Diagnostic] = []

    def transform(self, tree: Tree) -> Any:
        """Bottom-up: each rule's method gets the node's position and its transformed children.

        A plain recursive walk: Lark's Transformer with ``v_args`` rebuilds a method wrapper at
        every node, which was half the time it took to read a policy.
        """
        children = [self.transform(c) if isinstance(c, Tree) else c for c in tree.children]
        return getattr(self, tree.data)(tree.meta, children)

    # ------------------------------------------------------------ helpers

    def span(self, meta: Meta | Token) -> ast.Span:
        return ast.Span(  # every token and tree the parser builds is positioned (propagate_positions)
            path=self.path,
            line=meta.line or 1,
            column=meta.column or 1,
            end_line=meta.end_line or meta.line or 1,
            end_column=meta.end_column or (meta.column or 1) + 1,
        )

    def error(self, message: str, where: Meta | Token | ast.Span, hint: str | None = None) -> None:
        span = where if isinstance(where, ast.Span) else self.span(where)
        self.diagnostics.append(Diagnostic(severity="error", message=message, span=span, hint=hint))

    def string(self, token: Token) -> str:
        """The text a quoted token stands for. An escape the language does not define (``\\u4e2d``,
        ``C:\\Users``) is an error at its backslash, never its backslash dropped unseen."""
        def unescape(m: re.Match[str]) -> str:
            if m.group(1) in _ESCAPES:
                return _ESCAPES[m.group(1)]
            column = (token.column or 1) + 1 + m.start()  # the token's quote, then the body
            line = token.line or 1
            self.error(f"unknown escape '{shorten(m.group())}' in a text",
                       ast.Span(path=self.path, line=line, column=column, end_line=line, end_column=column + 2),
                       hint='write \\\\ for a backslash; a text knows \\" \\\\ \\n and \\t')
            return m.group()
        return re.sub(r"\\(.)", unescape, str(token)[1:-1])

    def quantity_of(self, token: Token) -> ast.Quantity:
        text = str(token)
        span = self.span(token)
        m = _QUANTITY.match(text)
        assert m, text  # the terminal's own pattern guarantees the shape
        value = Decimal(m["num"].replace(",", ""))
        mags = [c for c in m["mag"] if c in MAGNITUDES]
        if len(mags) > 1:
            if len(set(mags)) == 1:
                self.error(
                    f"{mags[0]} written {'twice' if len(mags) == 2 else f'{len(mags)} times'} in '{shorten(text)}'",
                    span,
                    hint=f"write '{shorten(m['num'])}{mags[0]}{m['unit'] or ''}'",
                )
            else:
                self.error(f"'{shorten(text)}' mixes {' and '.join(dict.fromkeys(mags))}; use one magnitude", span)
        for mag in mags[:1]:
            value *= MAGNITUDES[mag]
        unit = m["unit"]
        kind: ast.UnitKind = "money" if unit == "元" else "count" if unit in COUNT_UNITS else "number"
        return ast.Quantity(value=value, unit=kind, text=text, span=span)

    def percent_of_token(self, token: Token) -> ast.Percent:
        digits = str(token).rstrip("%％").strip()
        return ast.Percent(value=Decimal(digits) / 100, text=str(token), span=self.span(token))

    def date_of(self, token: Token) -> ast.DateLit:
        text = str(token)
        chinese = re.fullmatch(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日", text)
        try:
            value = dt.date(*(int(x) for x in chinese.groups())) if chinese else dt.date.fromisoformat(text)
        except ValueError:
            # The terminal guarantees the shape YYYY-MM-DD, so the day itself is what is wrong.
            shaped = chinese is not None or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) is not None
            hint = "that day does not exist" if shaped else "dates are written YYYY-MM-DD, e.g. 2023-05-01"
            self.error(f"'{token}' is not a date", token, hint=hint)
            value = dt.date(1, 1, 1)
        return ast.DateLit(value=value, span=self.span(token))

    def bitext_opt(self, children: list[Any]) -> ast.Bitext | None:
        return next((c for c in children if isinstance(c, ast.Bitext)), None)

    # ------------------------------------------------------------ top level

    def start(self, meta: Meta, items: list[Any]) -> list[Any]:
        return items

    def bitext(self, meta: Meta, children: list[Token]) -> ast.Bitext:
        zh = self.string(children[0])
        en = self.string(children[1]) if len(children) > 1 else None
        return ast.Bitext(zh=zh, en=en, span=self.span(meta))

    def note(self, meta: Meta, children: list[Any]) -> ast.Note:
        text = children[1] if len(children) > 1 else None
        return ast.Note(id=str(children[0]), text=text, span=self.span(meta))

    def clause_stmt(self, meta: Meta, children: list[Token]) -> _Stmt:
        tok = children[0]
        ref = self.string(tok) if tok.type == "STRING" else str(tok)
        en = self.string(children[1]) if len(children) > 1 else None
        return _Stmt("clause", ast.Clause(ref=ref, span=self.span(meta), en=en), self.span(meta))

    def quote_stmt(self, meta: Meta, children: list[Token]) -> _Stmt:
        return _Stmt("quote", ast.Quote(text=self.string(children[0]), span=self.span(meta)), self.span(meta))

    def _group(self, stmts: list[Any], owner: str, repeatable: set[str]) -> dict[str, Any]:
        """Group a block's statements by tag; a second non-repeatable one is an error."""
        grouped: dict[str, Any] = {tag: [] for tag in repeatable}
        for stmt in stmts:
            if isinstance(stmt, ast.Reduction):
                stmt = _Stmt("reduce", stmt, stmt.span)
            if isinstance(stmt, ast.Note):
                grouped.setdefault("note", []).append(stmt)
            elif isinstance(stmt, ast.Define):
                grouped.setdefault("define", []).append(stmt)
            elif isinstance(stmt, ast.Example):
                grouped.setdefault("example", []).append(stmt)
            elif stmt.tag in repeatable:
                grouped[stmt.tag].append(stmt.value)
            elif stmt.tag in grouped:
                self.error(f"{owner} has a second '{stmt.tag.replace('_', ' ')}'", stmt.span,
                           hint="keep one; the first one is at "
                           f"line {grouped[stmt.tag + '@'].line}")
            else:
                grouped[stmt.tag] = stmt.value
                grouped[stmt.tag + "@"] = stmt.span
        return grouped

    # ------------------------------------------------------------ header

    def header(self, meta: Meta, children: list[Any]) -> ast.Header:
        title, *stmts = children
        g = self._group(stmts, "the policy header", set())
        return ast.Header(
            title=title,
            issued=g.get("issued"),
            in_force=g.get("in force"),
            by_reference=g.get("by reference"),
            dated_by=g.get("dated by"),
            currency=g.get("currency"),
            currency_span=g.get("currency@"),
            shared=g.get("shared"),
            rounding=g.get("rounding"),
            clause=g.get("clause"),
            quote=g.get("quote"),
            notes=tuple(g.get("note", ())),
            span=self.span(meta),
        )

    def issued(self, meta: Meta, children: list[Token]) -> _Stmt:
        return _Stmt("issued", self.date_of(children[0]), self.span(meta))

    def window(self, meta: Meta, children: list[Any]) -> ast.Window:
        dates = [self.date_of(c).value for c in children if isinstance(c, Token) and c.type == "DATE"]
        length = next((c for c in children if isinstance(c, ast.Length)), None)
        start, end = dates[0], dates[1] if len(dates) > 1 else None
        if length is None and end is None:
            example = last_day(start, 3, "years") or start
            self.error("the window has no end", meta,
                       hint=f"write its last day ('to {example}') or its length ('for 3 years', 有效期3年)")
        elif length is not None:
            reckoned = self.length_end(start, length)
            if end is not None:
                self.error(f"the window gives both its last day ('to {end}') and its length "
                           f"('for {length.count} {length.unit}')", length.span,
                           hint=f"keep one: 'for {length.count} {length.unit}' ends on {reckoned or '?'}")
            end = end or reckoned
        return ast.Window(start=start, end=end or start, span=self.span(meta), length=length)

    def length(self, meta: Meta, children: list[Token]) -> ast.Length:
        count, unit = children
        english = by_terminal()[unit.type].english if unit.type in by_terminal() else str(unit)
        return ast.Length(count=int(count), unit=cast(Literal["years", "months"], english), span=self.span(meta))

    def length_end(self, start: dt.date, length: ast.Length) -> dt.date | None:
        """The last day of a window written by its length, or None (and an error where it is written)."""
        written = f"for {length.count} {length.unit}"
        months = length.count * (12 if length.unit == "years" else 1)
        if months == 0:
            self.error(f"a window cannot last 0 {length.unit}", length.span,
                       hint="write the notice's length: 有效期3年 is 'for 3 years'")
        elif months > MAX_WINDOW_MONTHS:
            self.error(f"'{written}' is longer than a notice runs (at most {MAX_WINDOW_MONTHS // 12} years)",
                       length.span, hint="check the number; a longer window is written with its last day: "
                       "'to DATE'")
        elif (end := last_day(start, length.count, length.unit)) is None:
            self.error(f"'{written}' from {start} would end after {dt.date.max}", length.span)
        else:
            return end
        return None

    def in_force(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("in force", children[0], self.span(meta))

    def by_reference(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("by reference", children[0], self.span(meta))

    def dated_by(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("dated by", children[0], self.span(meta))

    def currency(self, meta: Meta, children: list[Token]) -> _Stmt:
        return _Stmt("currency", str(children[0]), self.span(meta))

    def rounding(self, meta: Meta, children: list[Token]) -> _Stmt:
        unit = self.quantity_of(children[0])
        mode = cast(ast.RoundingMode, keyword(children[1]))  # the grammar admits only the four modes
        return _Stmt("rounding", ast.Rounding(unit=unit, mode=mode, span=self.span(meta)), self.span(meta))

    # ------------------------------------------------------------ inputs

    def inputs(self, meta: Meta, children: list[Any]) -> tuple[str, list[Any]]:
        scope: Literal["applicant", "project"] = "applicant" if keyword(children[0]) == "applicant" else "project"
        decls = [attrs.evolve(c, scope=scope) if isinstance(c, ast.InputDecl) else c for c in children[1:]]
        return ("inputs", decls)

    def input_decl(self, meta: Meta, children: list[Any]) -> ast.InputDecl:
        name_tok, type_ref, *rest = children
        default = next((c.value for c in rest if isinstance(c, _Stmt) and c.tag == "default"), None)
        required = next((c for c in rest if isinstance(c, _Stmt) and c.tag == "required"), None)
        supplied = next((c for c in rest if isinstance(c, _Stmt) and c.tag == "from_register"), None)
        if default is not None and required is not None:
            self.error(f"input '{name_tok}' has a default, so it cannot be required", required.span,
                       hint="keep one: a default stands in when the fact is left out; 'required' refuses that")
        return ast.InputDecl(
            scope="project",  # set by the enclosing block
            name=str(name_tok),
            type=type_ref,
            default=default,
            required=required is not None and default is None,
            label=self.bitext_opt(rest),
            span=self.span(meta),
            name_span=self.span(name_tok),
            from_register=supplied.span if supplied is not None else None,
        )

    def default(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("default", children[0], self.span(meta))

    def required(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("required", True, self.span(meta))

    def from_register(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("from_register", True, self.span(meta))

    def simple_type(self, meta: Meta, children: list[Token]) -> ast.TypeRef:
        return ast.TypeRef(kind=cast(ast.TypeKind, keyword(children[0])), values=(), span=self.span(meta))

    def enum_type(self, meta: Meta, children: list[Any]) -> ast.TypeRef:
        return ast.TypeRef(kind="enum", values=tuple(children), span=self.span(meta))

    def enum_value(self, meta: Meta, children: list[Any]) -> ast.EnumValue:
        return ast.EnumValue(name=str(children[0]), label=self.bitext_opt(children[1:]), span=self.span(meta))

    def assertion(self, meta: Meta, children: list[Any]) -> ast.Condition:
        return ast.Condition(expr=children[0], label=self.bitext_opt(children[1:]), span=self.span(meta))

    def define(self, meta: Meta, children: list[Any]) -> ast.Define:
        name_tok, expr, *rest = children
        return ast.Define(
            name=str(name_tok),
            expr=expr,
            label=self.bitext_opt(rest),
            span=self.span(meta),
            name_span=self.span(name_tok),
        )

    # ------------------------------------------------------------ measures

    def measure(self, meta: Meta, children: list[Any]) -> ast.Measure:
        id_tok, title, *stmts = children
        owner = f"measure {id_tok}"
        g = self._group(stmts, owner, {"requires", "when", "cross check"})
        return ast.Measure(
            id=str(id_tok),
            title=title,
            clause=g.get("clause"),
            quote=g.get("quote"),
            beneficiary=g.get("beneficiary"),
            requirements=tuple(g["requires"]),
            defines=tuple(g.get("define", ())),
            amount=g.get("amount"),
            overrides=tuple(g["when"]),
            cross_checks=tuple(g["cross check"]),
            quota=g.get("quota"),
            annual_cap=g.get("cap"),
            earmark=g.get("earmark"),
            once=g.get("once"),
            once_span=g.get("once@"),
            instalments=g.get("instalments", ()),
            shared=g.get("shared"),
            dated_by=g.get("dated by"),
            notes=tuple(g.get("note", ())),
            examples=tuple(attrs.evolve(e, measure=str(id_tok)) for e in g.get("example", ())),
            span=self.span(meta),
        )

    def beneficiary(self, meta: Meta, children: list[Any]) -> _Stmt:
        cond = ast.Condition(expr=children[0], label=self.bitext_opt(children[1:]), span=self.span(meta))
        return _Stmt("beneficiary", cond, self.span(meta))

    def requirement(self, meta: Meta, children: list[Any]) -> _Stmt:
        cond = ast.Condition(expr=children[0], label=self.bitext_opt(children[1:]), span=self.span(meta))
        return _Stmt("requires", cond, self.span(meta))

    def amount(self, meta: Meta, children: list[Any]) -> _Stmt:
        formula = children[0]
        cap = children[1] if len(children) > 1 else None
        return _Stmt("amount", ast.Amount(formula=formula, cap=cap, span=self.span(meta)), self.span(meta))

    def override(self, meta: Meta, children: list[Any]) -> _Stmt:
        condition, *rest = children
        label = self.bitext_opt(rest)
        rest = [c for c in rest if not isinstance(c, ast.Bitext)]
        formula = rest[0]
        cap = rest[1] if len(rest) > 1 else None
        value = ast.Override(condition=condition, label=label, formula=formula, cap=cap, span=self.span(meta))
        return _Stmt("when", value, self.span(meta))

    def cross_check(self, meta: Meta, children: list[Any]) -> _Stmt:
        value = ast.CrossCheck(expr=children[0], label=self.bitext_opt(children[1:]), span=self.span(meta))
        return _Stmt("cross check", value, self.span(meta))

    def quota(self, meta: Meta, children: list[Any]) -> _Stmt:
        value = ast.Quota(count=int(children[0]), per=children[1], span=self.span(meta))
        return _Stmt("quota", value, self.span(meta))

    def annual_cap(self, meta: Meta, children: list[Any]) -> _Stmt:
        value = ast.AnnualCap(amount=children[0], reduction=children[1], span=self.span(meta))
        return _Stmt("cap", value, self.span(meta))

    def earmark(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("earmark", children[0], self.span(meta))

    def once_per_year(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("once", "year", self.span(meta))

    def shared(self, meta: Meta, children: list[Any]) -> _Stmt:
        """``shared 4:3:3 by 省级, 市级, 县级``: the weights, then the payers, paired in order."""
        weights = [int(t) for t in children if isinstance(t, Token)]  # payers come back as ast.Payer
        payers = [c for c in children if not isinstance(c, Token)]
        if len(weights) != len(payers):
            self.error(f"{len(weights)} shares for {len(payers)} payers", meta,
                       "give one share per payer, in the same order: shared 4:3:3 by 省级, 市级, 县级")
        n = min(len(weights), len(payers))
        split = ast.CostSplit(payers=tuple(payers[:n]), weights=tuple(weights[:n]), span=self.span(meta))
        return _Stmt("shared", split, self.span(meta))

    def payer(self, meta: Meta, c: list[Token]) -> str:
        return self.string(c[0]) if c[0].type == "STRING" else str(c[0])

    def named_payer(self, meta: Meta, c: list[Any]) -> ast.Payer:
        """``市级财政 / "city treasury"``: the payer's name (from payer()), and its English name if given."""
        return ast.Payer(name=c[0], en=self.string(c[1]) if len(c) > 1 else None, span=self.span(meta))

    def instalments(self, meta: Meta, children: list[Token]) -> _Stmt:
        return _Stmt("instalments", tuple(self.percent_of_token(t) for t in children), self.span(meta))

    def once_ever(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("once", "ever", self.span(meta))

    def cap(self, meta: Meta, children: list[Any]) -> Any:
        return children[-1]

    def expr_formula(self, meta: Meta, children: list[Any]) -> ast.ExprFormula:
        return ast.ExprFormula(expr=children[0], span=self.span(meta))

    def referred(self, meta: Meta, children: list[Any]) -> ast.Referred:
        return ast.Referred(reason=self.bitext_opt(children), span=self.span(meta))

    def tier_table(self, meta: Meta, children: list[Any]) -> ast.TierTable:
        mode_tok, on, *stmts = children
        tiers = tuple(s for s in stmts if isinstance(s, ast.Tier))
        allowances = {s.value for s in stmts if isinstance(s, _Stmt)}
        return ast.TierTable(
            mode=cast(ast.TierMode, keyword(mode_tok)),  # the grammar admits only the table keywords
            on=on,
            tiers=tiers,
            allow_gap="gap" in allowances,
            allow_cliff="cliff" in allowances,
            span=self.span(meta),
        )

    def category_table(self, meta: Meta, children: list[Any]) -> ast.CategoryTable:
        return ast.CategoryTable(on=children[0], rows=tuple(children[1:]), span=self.span(meta))

    def category_row(self, meta: Meta, children: list[Any]) -> ast.CategoryRow:
        value = self.string(children[0]) if children[0].type == "STRING" else str(children[0])
        return ast.CategoryRow(value=value, amount=children[1], span=self.span(meta))

    def tier(self, meta: Meta, children: list[Any]) -> ast.Tier:
        return ast.Tier(interval=children[0], amount=children[1], span=self.span(meta))

    def allowance(self, meta: Meta, children: list[Token]) -> _Stmt:
        return _Stmt("allow", keyword(children[0]), self.span(meta))

    # ------------------------------------------------------------ examples

    def example(self, meta: Meta, children: list[Any]) -> ast.Example:
        title, *stmts = children
        applicant: list[ast.Fact] = []
        projects: list[ast.ExampleProject] = []
        expectations: list[ast.Expectation] = []
        for s in stmts:
            if isinstance(s, ast.ExampleProject):
                projects.append(s)
            elif isinstance(s, ast.Expectation):
                expectations.append(s)
            else:
                if applicant:
                    self.error("this example states the applicant twice", s[1],
                               hint="put all the applicant's facts in one 'applicant { … }'")
                applicant = list(s[0])
        return ast.Example(title=title, applicant=tuple(applicant), projects=tuple(projects),
                           expectations=tuple(expectations), measure=None, span=self.span(meta))

    def example_applicant(self, meta: Meta, children: list[Any]) -> tuple[list[ast.Fact], ast.Span]:
        return children[1], self.span(meta)

    def example_project(self, meta: Meta, children: list[Any]) -> ast.ExampleProject:
        pid = str(children[1]) if len(children) > 2 else "P1"
        return ast.ExampleProject(id=pid, facts=tuple(children[-1]), span=self.span(meta))

    def facts(self, meta: Meta, children: list[Any]) -> list[ast.Fact]:
        return children

    def fact(self, meta: Meta, children: list[Any]) -> ast.Fact:
        return ast.Fact(name=str(children[0]), value=children[1], span=self.span(meta),
                        name_span=self.span(children[0]))

    def word(self, meta: Meta, c: list[Token]) -> ast.Name:
        return ast.Name(ident=str(c[0]), scope=None, span=self.span(meta))

    def text(self, meta: Meta, c: list[Token]) -> ast.Quote:
        return ast.Quote(text=self.string(c[0]), span=self.span(meta))

    def status(self, meta: Meta, c: list[Token]) -> str:
        return keyword(c[0])

    def expect_shares(self, meta: Meta, c: list[Any]) -> _Split:
        """``shared 市级财政 2万, 县级财政 2万``: each payer with its part (payers come back as str)."""
        payers = [x for x in c if not isinstance(x, Token)]
        return _Split("shares", tuple(zip(payers, (self.quantity_of(t) for t in c if isinstance(t, Token)))))

    def expect_instalments(self, meta: Meta, c: list[Token]) -> _Split:
        return _Split("instalments", tuple(self.quantity_of(t) for t in c))

    def expect(self, meta: Meta, c: list[Any]) -> ast.Expectation:
        project = measure = phrase = None
        amount = entitled = None
        status = None
        after_entitled = False
        splits: dict[str, tuple[Any, ...]] = {}
        for item in c:
            if isinstance(item, _Split):
                splits[item.kind] = item.parts
            elif isinstance(item, str) and not isinstance(item, Token):
                status = item
            elif item.type == "NAME":
                project = str(item)
            elif item.type == "MEASURE_ID":
                measure = str(item)
            elif keyword(item) == "entitled":
                after_entitled = True
            elif item.type == "QUANTITY":
                if after_entitled:
                    entitled = self.quantity_of(item)
                else:
                    amount = self.quantity_of(item)
            elif item.type == "STRING":
                phrase = self.string(item)
        return ast.Expectation(kind="award", project=project, measure=measure, status=status, amount=amount,
                               entitled=entitled, phrase=phrase, span=self.span(meta),
                               shares=splits.get("shares", ()), instalments=splits.get("instalments", ()))

    def expect_total(self, meta: Meta, c: list[Token]) -> ast.Expectation:
        return ast.Expectation(kind="total", project=None, measure=None, status=None,
                               amount=self.quantity_of(c[0]), entitled=None, phrase=None, span=self.span(meta))

    def expect_error(self, meta: Meta, c: list[Token]) -> ast.Expectation:
        return ast.Expectation(kind="error", project=None, measure=None, status=None, amount=None, entitled=None,
                               phrase=self.string(c[0]) if c else None, span=self.span(meta))

    # ------------------------------------------------------------ rules

    def rule(self, meta: Meta, children: list[Any]) -> ast.Rule:
        id_tok, title, *stmts = children
        g = self._group(stmts, f"rule {id_tok}", set())
        kinds = [k for k in ("highest_not_stacked", "limit", "validity") if k in g]
        highest = g.get("highest_not_stacked", _Highest("project", (), None))
        limit = g.get("limit", _Limit(None, (), None))
        listed = limit if kinds[:1] == ["limit"] else highest  # the statement whose 'among' the rule reads
        for extra in kinds[1:]:
            first, second = kinds[0].replace("_", " "), extra.replace("_", " ")
            self.error(f"rule {id_tok} mixes '{first}' and '{second}'", g[extra + "@"],
                       hint="each rule states one thing; split it into two rules")
        return ast.Rule(
            id=str(id_tok),
            title=title,
            clause=g.get("clause"),
            quote=g.get("quote"),
            kind=kinds[0] if kinds else None,
            applies_to=g.get("applies_to"),
            ties_to_lower_measure="ties" in g,
            scope=highest.scope,
            other_policy=g.get("other_policy"),
            limit=limit.expr,
            reduction=g.get("reduce"),
            notes=tuple(g.get("note", ())),
            span=self.span(meta),
            among=listed.among,
            among_span=listed.span,
            kind_span=g.get(kinds[0] + "@") if kinds else None,
        )

    def applies_to(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("applies_to", children[0], self.span(meta))

    def highest_per_project(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("highest_not_stacked", _Highest("project", *(children or [((), None)])[0]), self.span(meta))

    def highest_per_applicant(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("highest_not_stacked", _Highest("applicant", *(children or [((), None)])[0]), self.span(meta))

    def among(self, meta: Meta, children: list[Token]) -> tuple[tuple[ast.MeasureRef, ...], ast.Span]:
        """The measures a rule is about, each located (the checker points at one that does not exist)."""
        return tuple(ast.MeasureRef(id=str(t), span=self.span(t)) for t in children), self.span(meta)

    def ties_to_lower_measure(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("ties", True, self.span(meta))

    def other_policy(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("other_policy", children[0], self.span(meta))

    def limit(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("limit", _Limit(children[0], *(children[1:] or [((), None)])[0]), self.span(meta))

    def validity(self, meta: Meta, children: list[Any]) -> _Stmt:
        return _Stmt("validity", True, self.span(meta))

    def reduce_in_order(self, meta: Meta, children: list[Any]) -> ast.Reduction:
        return ast.Reduction(strategy="input_order", span=self.span(meta))

    def reduce_pro_rata(self, meta: Meta, children: list[Any]) -> ast.Reduction:
        return ast.Reduction(strategy="pro_rata", span=self.span(meta))

    # ------------------------------------------------------------ intervals

    def _bound(self, token: Token, inclusive: bool) -> ast.Bound:
        """A bound's number; a percentage (3%以上) is kept as its fraction, with the unit 'percent'."""
        if token.type == "DATE":
            return ast.Bound(value=self.date_of(token), inclusive=inclusive)
        if token.type == "PERCENT":
            p = self.percent_of_token(token)
            return ast.Bound(value=ast.Quantity(value=p.value, unit="percent", text=p.text, span=p.span),
                             inclusive=inclusive)
        return ast.Bound(value=self.quantity_of(token), inclusive=inclusive)

    def _interval(self, meta: Meta, lower: ast.Bound | None, upper: ast.Bound | None) -> ast.Interval:
        span = self.span(meta)
        return ast.Interval(lower=lower, upper=upper, text=self.text_of(span), span=span)

    def text_of(self, span: ast.Span) -> str:
        """The source text under a span; the interval keeps the drafter's own words."""
        lines = self.source_lines[span.line - 1 : span.end_line]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][span.column - 1 : span.end_column - 1]
        return " ".join([lines[0][span.column - 1 :], *lines[1:-1], lines[-1][: span.end_column - 1]])

    def suffix_lower(self, meta: Meta, c: list[Token]) -> ast.Interval:
        return self._interval(meta, self._bound(c[0], True), None)

    def prefix_lower(self, meta: Meta, c: list[Token]) -> ast.Interval:
        return self._interval(meta, self._bound(c[1], str(c[0]) in PREFIX_LOWER_INCLUSIVE), None)

    def suffix_upper(self, meta: Meta, c: list[Token]) -> ast.Interval:
        return self._interval(meta, None, self._bound(c[0], True))

    def prefix_upper(self, meta: Meta, c: list[Token]) -> ast.Interval:
        return self._interval(meta, None, self._bound(c[1], str(c[0]) in PREFIX_UPPER_INCLUSIVE))

    def between(self, meta: Meta, c: list[ast.Interval]) -> ast.Interval:
        lower = next((i.lower for i in c if i.lower), None)
        upper = next((i.upper for i in c if i.upper), None)
        return self._interval(meta, lower, upper)

    def range_incl(self, meta: Meta, c: list[Token]) -> ast.Interval:
        # X(含)至Y is [X, Y); X(含)至Y(含) is [X, Y].
        return self._interval(meta, self._bound(c[0], True), self._bound(c[2], len(c) > 3))

    def range_upper_incl(self, meta: Meta, c: list[Token]) -> ast.Interval:
        return self._interval(meta, self._bound(c[0], False), self._bound(c[1], True))

    def range_bare(self, meta: Meta, c: list[Token]) -> ast.Interval:
        lo, hi = str(c[0]), str(c[1])
        self.error(
            f"'{lo}…{hi}' does not say which end is included",
            meta,
            hint=f"write '{lo}(含)至{hi}' for [{lo}, {hi}), or use interval notation such as [{lo}, {hi})",
        )
        return self._interval(meta, self._bound(c[0], True), self._bound(c[1], False))

    def date_before(self, meta: Meta, c: list[Token]) -> ast.Interval:
        return self._interval(meta, None, self._bound(c[0], _date_inclusive(c)))

    def date_after(self, meta: Meta, c: list[Token]) -> ast.Interval:
        return self._interval(meta, self._bound(c[0], _date_inclusive(c)), None)

    def date_range(self, meta: Meta, c: list[Token]) -> ast.Interval:
        # 自X至Y: both days count, as in the notices' own windows (有效期至2024年12月31日止).
        return self._interval(meta, self._bound(c[0], True), self._bound(c[1], True))

    def notation(self, meta: Meta, c: list[Token]) -> ast.Interval:
        opener, lo, hi, closer = c[0], c[1], c[-2], c[-1]
        lower = None if lo.type in ("INFINITY", "NEG_INFINITY") else self._bound(lo, str(opener) in "[［")
        upper = None if hi.type in ("INFINITY", "NEG_INFINITY") else self._bound(hi, str(closer) in "]］")
        if lo.type == "INFINITY":
            self.error("an interval cannot start at ∞", lo, hint="write -∞ for no lower end: (-∞, X], or 不超过X")
        if hi.type == "NEG_INFINITY":
            self.error("an interval cannot end at -∞", hi, hint="write ∞ for no upper end: [X, ∞), or X以上")
        return self._interval(meta, lower, upper)

    # ------------------------------------------------------------ expressions

    def or_(self, meta: Meta, c: list[Any]) -> ast.BoolOp:
        return ast.BoolOp(op="or", left=c[0], right=c[-1], span=self.span(meta))

    def and_(self, meta: Meta, c: list[Any]) -> ast.BoolOp:
        return ast.BoolOp(op="and", left=c[0], right=c[-1], span=self.span(meta))

    def year_of(self, meta: Meta, c: list[Any]) -> ast.YearOf:
        return ast.YearOf(operand=c[-1], span=self.span(meta))

    def year_sum(self, meta: Meta, c: list[Any]) -> ast.YearSum:
        return ast.YearSum(operand=c[-1], span=self.span(meta))

    def not_(self, meta: Meta, c: list[Any]) -> ast.Not:
        return ast.Not(operand=c[-1], span=self.span(meta))

    def compare(self, meta: Meta, c: list[Any]) -> ast.Compare:
        op = cast(ast.CompareOp, COMPARE_OPS.get(str(c[1]), str(c[1])))  # the grammar admits only these
        return ast.Compare(op=op, left=c[0], right=c[2], span=self.span(meta))

    def _names(self, tokens: list[Token]) -> tuple[ast.Name, ...]:
        """The values of ``in {…}``: words, or quoted texts (``"5G"``) kept as their text."""
        return tuple(
            ast.Name(ident=self.string(t) if t.type == "STRING" else str(t), scope=None, span=self.span(t))
            for t in tokens
        )

    def in_set(self, meta: Meta, c: list[Any]) -> ast.InSet:
        return ast.InSet(operand=c[0], values=self._names(c[1:]), negated=False, span=self.span(meta))

    def not_in_set(self, meta: Meta, c: list[Any]) -> ast.InSet:
        return ast.InSet(operand=c[0], values=self._names(c[1:]), negated=True, span=self.span(meta))

    def in_interval(self, meta: Meta, c: list[Any]) -> ast.InInterval:
        return ast.InInterval(operand=c[0], interval=c[1], span=self.span(meta))

    def percent_of(self, meta: Meta, c: list[Any]) -> ast.PercentOf:
        return ast.PercentOf(rate=self.percent_of_token(c[0]), base=c[1], span=self.span(meta))

    def binop(self, meta: Meta, c: list[Any]) -> ast.BinOp:
        op = cast(ast.ArithOp, MUL_OPS.get(str(c[1]), str(c[1])))  # the grammar admits only these
        return ast.BinOp(op=op, left=c[0], right=c[2], span=self.span(meta))

    def quantity(self, meta: Meta, c: list[Token]) -> ast.Quantity:
        return self.quantity_of(c[0])

    def percent(self, meta: Meta, c: list[Token]) -> ast.Percent:
        return self.percent_of_token(c[0])

    def date(self, meta: Meta, c: list[Token]) -> ast.DateLit:
        return self.date_of(c[0])

    def boolean(self, meta: Meta, c: list[Token]) -> ast.BoolLit:
        return ast.BoolLit(value=keyword(c[0]) == "true", span=self.span(meta))

    def text_value(self, meta: Meta, c: list[Token]) -> ast.Name:
        """A quoted text in an expression (``category == "甲类"``): a Name whose span starts at its quote."""
        return ast.Name(ident=self.string(c[0]), scope=None, span=self.span(c[0]))

    def name(self, meta: Meta, c: list[Token]) -> ast.Name:
        scope = keyword(c[0]) if len(c) > 1 else None
        return ast.Name(ident=str(c[-1]), scope=scope, span=self.span(meta))


def build_policy(tree: Tree, path: str, source: str) -> tuple[ast.Policy, list[Diagnostic]]:
    """Transform a parse tree; returns the policy and the diagnostics found on the way."""
    t = ToAst(path, source)
    items = t.transform(tree)
    headers = [i for i in items if isinstance(i, ast.Header)]
    for extra in headers[1:]:
        t.error("a second policy header", extra.span, hint=f"the first is at line {headers[0].span.line}")
    inputs: list[ast.InputDecl] = []
    assertions: list[ast.Condition] = []
    for item in items:
        if isinstance(item, tuple) and item[0] == "inputs":
            for decl in item[1]:
                (inputs if isinstance(decl, ast.InputDecl) else assertions).append(decl)
    policy = ast.Policy(
        path=path,
        source=source,
        header=headers[0] if headers else None,
        inputs=tuple(inputs),
        assertions=tuple(assertions),
        defines=tuple(i for i in items if isinstance(i, ast.Define)),
        measures=tuple(i for i in items if isinstance(i, ast.Measure)),
        rules=tuple(i for i in items if isinstance(i, ast.Rule)),
        notes=tuple(i for i in items if isinstance(i, ast.Note)),
        examples=tuple(i for i in items if isinstance(i, ast.Example)),
    )
    return policy, t.diagnostics


def last_day(start: dt.date, count: int, unit: str) -> dt.date | None:
    """The last day of a window of ``count`` years or months from ``start``, its first day included (有效期3年
    from 2024-01-01 runs through 2026-12-31): the day before the same date that many years or months later,
    or that month's last day when it has no such date (2024-02-29 for 1 years ends 2025-02-28). None past
    the last date there is."""
    months = start.year * 12 + start.month - 1 + count * (12 if unit == "years" else 1)
    year, month = divmod(months, 12)
    if year > dt.MAXYEAR:
        return None
    days = calendar.monthrange(year, month + 1)[1]
    if start.day > days:
        return dt.date(year, month + 1, days)
    return dt.date(year, month + 1, start.day) - dt.timedelta(days=1)
