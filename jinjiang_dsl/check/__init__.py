"""The checker: names, types and units, tier tables, dates and the shape of measures and rules.

It never stops at the first problem: a drafter sees every error and warning of a file
in one run, each located in the source.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from decimal import Decimal

import attrs

from .. import ast
from ..diagnostics import Diagnostic, Guesses, Severity, sort_key, source_lines
from ..limits import shorten
from ..runtime.money import percent_text
from ..syntax import parser, respelled
from ..syntax.transform import COUNT_UNITS
from . import tiers
from .examples import check_examples
from .facts import measure_facts
from .size import check_size
from .types import NUMERIC, ExprTyper, Type, is_money_like, label_hint, percent_hint, type_of_decl

# Quoted texts and comments, blanked out when a statement is looked for in the source.
_STRINGS_AND_COMMENTS = re.compile(r'"(?:\\.|[^"\\\n])*"|#[^\n]*')
_GLUE = re.compile(r"([且或非])")

__all__ = ["CheckedPolicy", "Symbol", "check"]


@attrs.frozen(slots=True)
class Symbol:
    """A name a policy can use: an input (of the applicant or the project) or a definition."""

    name: str
    kind: str  # "input" | "define"
    scope: str  # "applicant" | "project" | "policy" | "measure <id>"
    node: ast.InputDecl | ast.Define
    type: Type | None


@attrs.frozen(slots=True)
class CheckedPolicy:
    policy: ast.Policy
    symbols: dict[str, Symbol]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if not d.is_error)

    def input(self, name: str) -> ast.InputDecl | None:
        sym = self.symbols.get(name)
        return sym.node if sym and isinstance(sym.node, ast.InputDecl) else None


def check(policy: ast.Policy) -> CheckedPolicy:
    checker = _Checker(policy)
    checker.run()
    return CheckedPolicy(
        policy=policy,
        symbols=dict(checker.symbols),
        diagnostics=tuple(sorted(respelled(checker.diagnostics, parser(), policy.source) if checker.diagnostics
                                 else (), key=sort_key)),
    )


RECORD_FIELDS = {"id": "the applicant's or the project's id", "name": "the applicant's name",
                 "projects": "the list of projects", "applicant_id": "a CSV row's applicant",
                 "project_id": "a CSV row's project"}
"""Fields of a record (docs/batch.md) that are not facts: an input so named was silently never read, the
record's field read in its place."""


class _Checker:
    def __init__(self, policy: ast.Policy):
        self.policy = policy
        self.diagnostics: list[Diagnostic] = []
        self.symbols: dict[str, Symbol] = {}
        self.local: dict[str, Symbol] = {}
        self.used: set[str] = set()
        self.resolving: list[str] = []
        self.typed: set[int] = set()  # definitions already typed (ids of their nodes), even when that failed
        self.lines = source_lines(policy.source)
        h = policy.header
        self.dated_by = h.dated_by.ident if h and h.dated_by else None
        self.project_facts = {d.name for d in policy.inputs if d.scope == "project"}
        self.applicant_facts = {d.name for d in policy.inputs if d.scope == "applicant"}
        self.policy_defines = {d.name: d for d in policy.defines}
        self._code: str | None = None
        self._starts: list[int] = []
        self.suggest = Guesses()  # one budget for every spelling this run suggests
        self.typer = ExprTyper(self.lookup, self.peek, self.error, self.warn,
                               known=lambda name: name in self.local or name in self.symbols,
                               quoted=self.quoted, scope=self.scope_of, suggest=self.suggest)

    def reads(self, m: ast.Measure, names: set[str], summed: bool = False) -> frozenset[str]:
        """The facts among ``names`` a measure reads (or, ``summed``, adds up over the year)."""
        return measure_facts(m, self.policy_defines, names, self.dated_by, summed)

    def scope_of(self, name: str) -> str | None:
        """'applicant' or 'project' for an input, 'define' for a definition, None when unknown."""
        if name in self.local:
            return "define"
        sym = self.symbols.get(name)
        if sym is None:
            return None
        return sym.node.scope if isinstance(sym.node, ast.InputDecl) else "define"

    # ------------------------------------------------------------------ reporting

    def report(self, severity: Severity, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(severity=severity, message=message, span=span, hint=hint))

    def error(self, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.report("error", message, span, hint)

    def warn(self, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.report("warning", message, span, hint)

    # ------------------------------------------------------------------ the source

    def quoted(self, name: ast.Name) -> bool:
        """A quoted text (``"纺织"``) read as a Name: its span starts at the quote."""
        line = self.lines[name.span.line - 1] if 1 <= name.span.line <= len(self.lines) else ""
        return line[name.span.column - 1 : name.span.column] == '"'

    def find(self, pattern: str, within: ast.Span) -> ast.Span | None:
        """Where a statement's words stand inside a node, quoted texts and comments skipped.

        The AST keeps no span for flag-like statements (``ties go to lower measure``, ``allow gap``).
        """
        if self._code is None:
            self._code = _STRINGS_AND_COMMENTS.sub(lambda m: " " * len(m.group()), self.policy.source)
            lengths = (len(line) + 1 for line in self.policy.source.split("\n"))
            self._starts = list(itertools.accumulate(lengths, initial=0))
        starts = self._starts

        def offset(line: int, column: int) -> int:
            return starts[line - 1] + column - 1

        def place(pos: int) -> tuple[int, int]:
            line = bisect.bisect_right(starts, pos)
            return line, pos - starts[line - 1] + 1

        m = re.compile(pattern).search(self._code, offset(within.line, within.column),
                                       offset(within.end_line, within.end_column))
        if m is None:
            return None
        (line, column), (end_line, end_column) = place(m.start()), place(m.end())
        return ast.Span(path=within.path, line=line, column=column, end_line=end_line, end_column=end_column)

    def no_effect(self, statement: str, pattern: str, within: ast.Span, hint: str,
                  end: ast.Span | None = None) -> None:
        """A statement the grammar allows here but that nothing reads: a warning at the statement."""
        found = self.find(pattern, within)
        span = within if found is None else found
        if found is not None and end is not None:
            span = attrs.evolve(found, end_line=end.end_line, end_column=end.end_column)
        self.warn(f"'{statement}' has no effect here", span, hint)

    # ------------------------------------------------------------------ names

    def declare(self, sym: Symbol, span: ast.Span, table: dict[str, Symbol]) -> None:
        first = self.symbols.get(sym.name) or table.get(sym.name)
        if first is not None:
            self.error(
                f"'{sym.name}' is already declared (line {first.node.span.line})",
                span,
                "each input and definition needs its own name",
            )
            return
        table[sym.name] = sym

    def lookup(self, name: ast.Name) -> Type | None:
        sym = self.local.get(name.ident) or self.symbols.get(name.ident)
        if sym is None:
            candidates = [*self.symbols, *self.local]
            guess = self.suggest(name.ident, candidates)
            hint = self.glued(name.ident) or self.enum_value(name.ident) or (
                f"did you mean '{guess}'?" if guess else _per_unit(name.ident)
                or "declare it as an input of the applicant or the project")
            self.error(f"'{name.ident}' is not defined", name.span, hint)
            return None
        if name.scope and (sym.kind != "input" or sym.scope != name.scope):
            self.error(f"'{name.ident}' is not an input of the {name.scope}", name.span,
                       f"it is an input of the {sym.scope}" if sym.kind == "input" else None)
        self.used.add(sym.name)
        if sym.type is None and isinstance(sym.node, ast.Define) and id(sym.node) not in self.typed:
            return self.resolve_define(sym)
        return sym.type

    def enum_value(self, ident: str) -> str | None:
        """``beneficiary enterprise`` beside ``kind: one of {enterprise, …}``: a value (or its label) written
        alone, as the notice says "企业", is no name; it is compared with its input."""
        for sym in (*self.local.values(), *self.symbols.values()):
            t = sym.type
            if sym.kind == "input" and t is not None and t.kind == "enum":
                value = ident if ident in t.values else t.labelled(ident)
                if value is not None:
                    return (f"'{value}' is a value of the input '{sym.name}': write '{sym.name} == {value}', "
                            f"or define a name for it: 'define {value} = {sym.name} in {{{value}}}'")
        return None

    def glued(self, ident: str) -> str | None:
        """``ok且manufacturer``: 且, 或, 非 are word characters, so they glue names into one."""
        parts = [p for p in _GLUE.split(ident) if p]
        ops = list(dict.fromkeys(p for p in parts if _GLUE.fullmatch(p)))
        if not ops or not any(p in self.local or p in self.symbols for p in parts):
            return None
        return f"put spaces around {' and '.join(ops)}: '{' '.join(parts)}'"

    def peek(self, name: str) -> Type | None:
        """A symbol's type without marking it used or reporting anything."""
        sym = self.local.get(name) or self.symbols.get(name)
        return sym.type if sym else None

    def resolve_define(self, sym: Symbol) -> Type | None:
        """Type a definition on first use, so definitions may appear in any order."""
        if sym.name in self.resolving:
            chain = " → ".join([*self.resolving[self.resolving.index(sym.name):], sym.name])
            self.error(f"'{sym.name}' is defined in terms of itself ({chain})", sym.node.span)
            return None
        self.resolving.append(sym.name)
        try:
            assert isinstance(sym.node, ast.Define)  # only definitions are resolved lazily
            t = self.typer.infer(sym.node.expr)
        finally:
            self.resolving.pop()
        self.typed.add(id(sym.node))  # a definition in error is reported once, not at every use
        resolved = attrs.evolve(sym, type=t)
        table = self.local if sym.name in self.local else self.symbols
        table[sym.name] = resolved
        return t

    # ------------------------------------------------------------------ run

    def run(self) -> None:
        p = self.policy
        if not check_size(p, self.report):
            return  # later checks walk expressions recursively: first bring them within bounds
        for decl in p.inputs:
            if decl.name in RECORD_FIELDS:  # the record's own field: the input could never be given
                self.error(f"'{decl.name}' is a field every applicant record has ({RECORD_FIELDS[decl.name]}), so "
                           "no input can be named so", decl.name_span, f"choose another name, e.g. {decl.name}_value")
            sym = Symbol(decl.name, "input", decl.scope, decl, type_of_decl(decl))
            self.declare(sym, decl.name_span, self.symbols)
        for d in p.defines:
            self.declare(Symbol(d.name, "define", "policy", d, None), d.name_span, self.symbols)
        self.check_inputs()
        for d in p.defines:
            self.lookup_define(d)
        self.check_header()
        self.check_measures()
        self.check_payers()
        self.check_rules()
        self.check_notes()
        wrong = [d.span.line for d in self.diagnostics if d.is_error]
        own = {m.id for m in self.policy.measures if not self.reads(m, self.project_facts)
               and (self.reads(m, self.project_facts, summed=True) or self.reads(m, self.applicant_facts))
               # a misspelt fact would make it look applicant-level, and its examples all wrong
               and not any(m.span.line <= line <= m.span.end_line for line in wrong)}
        if not any(d.is_error for d in self.diagnostics):  # a misspelt fact would make a measure look applicant-level
            self.check_undated({m.id for m in self.policy.measures if m.id in own
                                and not self.reads(m, self.project_facts, summed=True)})
        check_examples(self.policy, self.report, own, self.suggest)
        self.check_unused()

    def check_undated(self, applicant_level: set[str]) -> None:
        """A measure decided on the applicant's own facts has no project, so in a policy dated by a project
        input it has no date: whatever places an award in a year or a period cannot place it — refused,
        rather than the award silently counted in no year (or always out of period)."""
        if not applicant_level or self.dated_by is None or self.scope_of(self.dated_by) != "project":
            return
        rules = [f"rule {r.id} ({what})" for r in self.policy.rules if (what := _places_in_a_year(r))]
        for m in self.policy.measures:
            if m.id not in applicant_level or m.dated_by is not None:  # dated by its own date
                continue
            needs = [what for what, present in (
                ("its instalments by year", bool(m.instalments)), ("its annual cap", m.annual_cap is not None),
                ("'once per applicant per year'", m.once == "year"), ("its quota per year", m.quota is not None))
                if present] + rules
            if needs:
                head = ast.Span(path=m.span.path, line=m.span.line, column=m.span.column,
                                end_line=m.span.line, end_column=m.span.column + len("measure"))
                self.error(f"measure {m.id} is decided on the applicant's own facts, so it has no project and no "
                           f"date, but the policy is dated by the project input '{self.dated_by}': "
                           f"{', '.join(needs)} cannot place its award in a year", head,
                           f"give the measure its own date: 'dated by <an applicant date input>' in measure {m.id} "
                           "(or date the policy by an applicant input, or make the measure read a fact of a project)")

    def lookup_define(self, d: ast.Define) -> None:
        sym = self.local.get(d.name) or self.symbols.get(d.name)
        if sym is not None and sym.node is d and sym.type is None and id(d) not in self.typed:
            self.resolve_define(sym)

    def condition(self, cond: ast.Condition | None, where: str) -> None:
        if cond is not None:
            self.typer.expect_bool(cond.expr, where)

    def money(self, e: ast.Expr | None, what: str) -> Type | None:
        """An amount or cap: money, or a plain number read as money."""
        if e is None:
            return None
        t = self.typer.infer(e)
        if t is None or is_money_like(t):
            return t
        if t.kind == "ratio" and isinstance(e, ast.PercentOf):
            self.error(f"{what} is a percentage, not money", e.span,
                       f"a share of a percentage is a percentage: take it of an amount, "
                       f"e.g. '{e.rate.text} of investment'")
        elif t.kind == "ratio":
            self.error(f"{what} is a percentage with no base", e.span,
                       f"write it as a share of a base, e.g. '{_text(e)} of investment'")
        elif t.kind == "count":
            self.error(f"{what} is a count, not money", e.span, _COUNT_HINTS.get(
                what, "multiply it by an amount, e.g. '5万元 × sessions'"))
        else:
            self.error(f"{what} must be money, but this is {t.describe()}", e.span)
        return None

    # ------------------------------------------------------------------ inputs and header

    def check_inputs(self) -> None:
        for decl in self.policy.inputs:
            t = type_of_decl(decl)
            if decl.label is None:
                self.warn(f"input '{decl.name}' has no label", decl.name_span,
                          'add "中文" / "English" so explanations can name it')
            elif decl.label.en is None:
                self.warn(f"input '{decl.name}' has no English label", decl.label.span,
                          'write the label as "中文" / "English"')
            if decl.type.kind == "enum":
                seen: set[str] = set()
                for v in decl.type.values:
                    if v.name in seen:
                        self.error(f"'{v.name}' appears twice in the values of {decl.name}", v.span)
                    seen.add(v.name)
            if decl.default is not None:
                self.check_default(decl, t)
            if decl.from_register is not None and (decl.scope != "applicant" or decl.type.kind != "money"):
                self.error(f"'from register' supplies an applicant's money (what other policies granted it in the "
                           f"year); {decl.name} is {'a project input' if decl.scope != 'applicant' else 'not money'}",
                           decl.from_register, "declare it in the applicant block as money, or drop 'from register'")
        for a in self.policy.assertions:
            self.condition(a, "'assert'")

    def check_default(self, decl: ast.InputDecl, t: Type) -> None:
        d = decl.default
        assert d is not None
        if t.kind == "enum":
            if not (isinstance(d, ast.Name) and d.ident in t.values):
                self.error(f"the default of {decl.name} must be one of its values", d.span,
                           f"the values are: {', '.join(t.values)}")
            return
        got = self.typer.infer(d)
        if got is None:
            return
        if t.kind == "ratio" and got.kind == "number":  # = 20: 20% or 2000%?
            self.error(f"the default of {decl.name} is {got.describe()}, but the input is {t.describe()}",
                       d.span, percent_hint(d))
            return
        if got.kind == t.kind or (got.kind == "number" and t.kind in NUMERIC):
            if t.kind == "count" and isinstance(d, ast.Quantity) and d.value != d.value.to_integral_value():
                self.error(f"a count cannot default to {d.text}", d.span, "counts are whole numbers")
            return
        self.error(f"the default of {decl.name} is {got.describe()}, but the input is {t.describe()}", d.span)

    def check_header(self) -> None:
        h = self.policy.header
        if h is None:
            first = ast.Span(path=self.policy.path, line=1, column=1, end_line=1, end_column=2)
            self.error("the policy has no header", first,
                       'start the file with: policy "名称" / "Name" { issued … in force from … to … }')
            return
        if h.title.en is None:
            self.warn("the policy has no English name", h.title.span, 'write it as "中文" / "English"')
        for w in (h.in_force, h.by_reference):
            if w is not None and w.start > w.end:
                self.error(f"the window starts {w.start} after it ends {w.end}", w.span)
        if h.in_force and h.by_reference:
            f, r = h.in_force, h.by_reference
            if r.end >= f.start and r.start <= f.end:
                self.error("the by-reference window overlaps the in-force window", r.span,
                           "a date is either in force or applied by reference, not both")
            elif (f.start - r.end).days > 1:
                gap_from, gap_to = r.end + dt.timedelta(days=1), f.start - dt.timedelta(days=1)
                what = f"{gap_from} is" if gap_from == gap_to else f"dates from {gap_from} to {gap_to} are"
                self.warn(f"{what} neither in force nor by reference", r.span)
        if h.dated_by is not None:
            t = self.typer.infer(h.dated_by)
            if t is not None and t.kind != "date":
                self.error(f"'dated by' needs a date input, but '{h.dated_by.ident}' is {t.describe()}",
                           h.dated_by.span)
        elif h.in_force is not None:
            self.error("the policy has an in-force window but no 'dated by' input", h.in_force.span,
                       "add 'dated by date', where date is the project's qualifying date")
        if h.currency is not None and h.currency not in ("元", "CNY"):
            self.error(f"currency '{h.currency}' is not supported", h.currency_span or h.span,
                       "write: currency 元")
        if h.shared is not None:
            self.cost_split(h.shared)
            if self.policy.measures and all(m.shared for m in self.policy.measures):
                self.warn("every measure declares its own split, so the header's 'shared' is used by none",
                          h.shared.span, "leave it out, or leave out the measures' own 'shared' that split as it does")
        if h.rounding is None:
            self.warn("the policy declares no rounding", h.span, "add: rounding 0.01元 half_up")
        else:
            unit = h.rounding.unit
            if unit.unit == "count" or unit.value <= 0:
                self.error(f"rounding unit {unit.text} must be a positive amount of money", unit.span)

    # ------------------------------------------------------------------ measures

    def check_measures(self) -> None:
        seen: dict[str, ast.Measure] = {}
        for m in self.policy.measures:
            if m.id in seen:
                self.error(f"measure {m.id} is declared twice (first at line {seen[m.id].span.line})", m.span)
            seen[m.id] = m
            self.check_measure(m)

    def check_measure(self, m: ast.Measure) -> None:
        errors_before = sum(d.is_error for d in self.diagnostics)
        head = ast.Span(path=m.span.path, line=m.span.line, column=m.span.column,
                        end_line=m.span.line, end_column=m.span.column + len("measure"))
        if m.clause is None:
            self.error(f"measure {m.id} cites no clause of the notice", head,
                       "add a line such as: clause 一(一)")
        if m.title.en is None:
            self.warn(f"measure {m.id} has no English title", m.title.span, 'write it as "中文" / "English"')
        self.local = {}
        for d in m.defines:
            self.declare(Symbol(d.name, "define", f"measure {m.id}", d, None), d.name_span, self.local)
        for d in m.defines:
            self.lookup_define(d)
        self.condition(m.beneficiary, "'beneficiary'")
        for r in m.requirements:
            self.condition(r, "'requires'")
        if m.amount is None:
            self.error(f"measure {m.id} has no amount", head,
                       "add a line such as: amount 20% of investment, at most 100万")
        if m.amount is not None:
            self.formula(m.amount.formula, f"the amount of measure {m.id}")
            self.money(m.amount.cap, "the cap")
        is_rate = m.amount is not None and _is_rate(m.amount.formula)
        for o in m.overrides:
            self.typer.expect_bool(o.condition, "'when'")
            bare = _bare_percent(o.formula)
            if bare is not None:
                if not is_rate:
                    self.error("this override gives a rate, but the amount has no base to apply it to",
                               o.formula.span, "give a full amount here, or make the amount '20% of <base>'")
                self.rates_over_whole(bare, rate=True)
            else:
                self.formula(o.formula, "the override amount")
            self.money(o.cap, "the cap")
        for c in m.cross_checks:
            self.money(c.expr, "the cross-check")
        if m.quota is not None:
            t = self.typer.infer(m.quota.per)
            if t is not None and t.kind not in ("enum", "text"):
                self.error(f"a quota is counted per value of a set, but '{m.quota.per.ident}' is {t.describe()}",
                           m.quota.per.span)
            if m.quota.count < 1:
                self.error("a quota of 0 grants nothing", m.quota.span)
        if m.annual_cap is not None:
            self.money(m.annual_cap.amount, "the annual cap")
        if m.shared is not None:
            self.cost_split(m.shared)
        if m.instalments:
            total = sum((p.value for p in m.instalments), Decimal(0))
            if total != 1:
                self.error(f"the instalments add up to {percent_text(total)}, not 100%", m.instalments[0].span,
                           "the shares of the award paid each year must add up to the whole award")
        for what, span in (("instalments by year", m.instalments[0].span if m.instalments else None),
                           ("an annual cap", m.annual_cap.span if m.annual_cap else None),
                           ("'once per applicant per year'", m.span if m.once == "year" else None),
                           ("a quota per year", m.quota.span if m.quota else None)):
            if span is not None and self.dated_by is None and m.dated_by is None:
                self.error(f"measure {m.id} has {what}, but the policy says no date decides the year", span,
                           "add 'dated by <a date input>' to the policy header; without it this would never apply")
        for sym in self.local.values():
            if sym.name not in self.used:
                self.warn(f"definition '{sym.name}' is never used", sym.node.name_span, "remove it")
        self.local = {}
        plain, summed = self.reads(m, self.project_facts), self.reads(m, self.project_facts, summed=True)
        if plain and summed:
            self.error(f"measure {m.id} adds {', '.join(sorted(summed))} up over the year but also reads "
                       f"{', '.join(sorted(plain))} of a single project", head,
                       "a measure over the year is decided once per applicant and year, with no one project: "
                       "sum that fact too, or make two measures")
        if summed and self.dated_by is None:
            self.error(f"measure {m.id} adds facts up over the year, but the policy says no date decides the year",
                       head, "add 'dated by <a date input>' to the policy header")
        if m.dated_by is not None:
            self.own_date(m, m.dated_by, "project" if plain else "year" if summed else "applicant")
        reads_nothing = not (plain or summed or self.reads(m, self.applicant_facts))
        if reads_nothing and errors_before == sum(d.is_error for d in self.diagnostics):  # errors first
            self.warn(f"measure {m.id} reads no fact of the applicant or of a project, so nothing lists it: it is "
                      "never evaluated", head, "a project (or the applicant) lists the measures whose facts it "
                      "gives; name a fact in a requirement or in the amount")

    def own_date(self, m: ast.Measure, dated: ast.Name, level: str) -> None:
        """A measure's own 'dated by': an applicant's date, on a measure decided on the applicant's own facts
        (a project's award takes its project's date, a year's the year it sums)."""
        t = self.typer.infer(dated)
        scope = self.scope_of(dated.ident)
        if t is not None and t.kind != "date":
            self.error(f"'dated by' needs a date input, but '{dated.ident}' is {t.describe()}", dated.span)
        elif t is not None and scope != "applicant":
            self.error(f"measure {m.id} is dated by '{dated.ident}', which is not an input of the applicant",
                       dated.span, "a measure's own date is the applicant's: declare it in the applicant block"
                       + ("; a project's date is the header's 'dated by'" if scope == "project" else ""))
        elif level != "applicant":
            reads, by = ("reads a fact of a project", "its project's date") if level == "project" \
                else ("adds project facts up over the year", "the year it sums")
            self.error(f"measure {m.id} {reads}, so its award is dated by {by}; 'dated by {dated.ident}' is for a "
                       "measure decided on the applicant's own facts",
                       dated.span, "remove this line; the policy header's 'dated by' dates each project")

    def cost_split(self, split: ast.CostSplit) -> None:
        """A split's own mistakes: a payer paying nothing, a payer named twice."""
        if any(w < 1 for w in split.weights):
            self.error("a payer's share must be at least 1", split.span,
                       "leave out a payer that pays nothing, or write the ratio the notice gives, e.g. 4:3:3")
        names = [p.name for p in split.payers]
        if len(set(names)) != len(names):
            twice = next(p for i, p in enumerate(names) if p in names[:i])
            self.error(f"the payer '{twice}' is named twice", split.span,
                       "name each payer once, with its share of the ratio")

    def check_payers(self) -> None:
        """A payer has one English name in a policy: every English report names it the same way. It may be
        given once and used wherever the payer is named."""
        first: dict[str, ast.Payer] = {}
        for split in self.policy.cost_splits():
            for p in split.payers:
                if not p.en:
                    continue
                was = first.setdefault(p.name, p)
                if was.en != p.en:
                    name, en, other = shorten(p.name), shorten(p.en), shorten(was.en or "")
                    self.error(f"the payer '{name}' is called \"{en}\" here but \"{other}\" at line "
                               f"{was.span.line}", p.span, f"give a payer one English name; write it once "
                               f"({name} / \"{other}\") and the payer's name alone elsewhere")

    def rates_over_whole(self, e: ast.Expr, rate: bool = False) -> None:
        """Warn of a rate above 100% in what a measure pays: a share of a base rarely exceeds it, so
        120% is likelier a slip for 12% or 20% than the notice's word. ``rate``: e is a rate itself (a
        bracket's, an override's), applied to a base the formula names elsewhere."""
        for p in [e] if rate and isinstance(e, ast.Percent) else _rates_paid(e):
            if p.value > 1:
                self.warn(f"a rate of {p.text} pays more than its base", p.span, "check the figure against the "
                          "notice: a share of a base is at most 100% of it, unless the notice says more")

    def formula(self, f: ast.Formula, what: str) -> None:
        if isinstance(f, ast.ExprFormula):
            self.money(f.expr, what)
            self.rates_over_whole(f.expr)
        elif isinstance(f, ast.CategoryTable):
            self.category_table(f)
        elif isinstance(f, ast.TierTable):
            on = self.typer.infer(f.on)
            # bands and thresholds may look up a percentage (研发费用占营业收入比重3%(含)至5%的, rd / revenue);
            # brackets split what they look up into parts paid at rates, so it must be money or a count
            keys = ("money", "count", "number") if f.mode == "brackets" else ("money", "count", "number", "ratio")
            if on is not None and on.kind not in keys:
                self.error(f"a tier table needs money or a count to look up, but this is {on.describe()}", f.on.span,
                           "bands or thresholds can look up a percentage; brackets cannot"
                           if on.kind == "ratio" else None)
            for tier in f.tiers:
                if on is not None and on.kind in ("money", "count", "ratio"):
                    self.typer.check_bounds(tier.interval, on, f.on)
                self.rates_over_whole(tier.amount, rate=f.mode == "brackets")
                if f.mode != "brackets":
                    self.tier_amount(tier.amount, f.on)
                    continue
                rate = self.typer.infer(tier.amount)
                if rate is not None and rate.kind != "ratio":
                    self.error(f"a bracket's rate is a percentage, but this is {rate.describe()}", tier.amount.span,
                               "write the rate the notice gives the part, e.g. 10%")
            tiers.check_table(f, self.report, on.kind if on is not None else None)
            if f.mode == "thresholds" and f.allow_gap:
                self.no_effect("allow gap", r"\ballow\s+gap\b", f.span,
                               "thresholds leave no gaps: each one holds from its bound upward")

    def tier_amount(self, amount: ast.Expr, on: ast.Expr) -> None:
        """A band pays an amount. A rate alone (按研发费用的10%) needs the base the notice applies it to; for a
        ratio looked up (rd / revenue) that is most often its numerator, which the hint names."""
        base = on.left if isinstance(on, ast.BinOp) and on.op == "/" else on
        if isinstance(amount, ast.Percent) and isinstance(base, ast.Name):
            sym = self.symbols.get(base.ident)  # a money input is a base; its errors are the table's to say
            if sym is not None and sym.type is not None and sym.type.kind == "money":
                self.error("a tier's amount is a percentage with no base", amount.span,
                           f"write it as a share of a base, e.g. '{amount.text} of {base.ident}'")
                return
        self.money(amount, "a tier's amount")

    def category_table(self, f: ast.CategoryTable) -> None:
        """Rows keyed by the values of a category: each a value it can take, once, with an amount."""
        on = self.typer.infer(f.on)
        if on is not None and on.kind not in ("enum", "text"):
            self.error(f"an amount by category needs a category ('one of' or text), but this is {on.describe()}",
                       f.on.span)
        decl = self.symbols.get(f.on.ident)
        values = [v.name for v in decl.node.type.values] if decl and isinstance(decl.node, ast.InputDecl) else []
        seen: dict[str, ast.CategoryRow] = {}
        for row in f.rows:
            if row.value in seen:
                self.error(f"'{row.value}' is listed twice (first at line {seen[row.value].span.line})", row.span)
            seen.setdefault(row.value, row)
            if values and row.value not in values:
                guess = self.suggest(row.value, values)
                labelled = on.labelled(row.value) if on is not None else None
                self.error(f"'{row.value}' is not a value of {f.on.ident}", row.span,
                           label_hint(labelled) if labelled else f"did you mean '{guess}'?" if guess
                           else f"one of {', '.join(values)}")
            self.money(row.amount, "a category's amount")
            self.rates_over_whole(row.amount)
        if not f.rows:
            self.error("the category table has no rows", f.span, "add a line such as 'national: 100万'")

    # ------------------------------------------------------------------ rules

    def check_rules(self) -> None:
        seen: dict[str, ast.Rule] = {}
        validity: ast.Rule | None = None
        h = self.policy.header
        for r in self.policy.rules:
            if r.id in seen:
                self.error(f"rule {r.id} is declared twice (first at line {seen[r.id].span.line})", r.span)
            elif r.kind == "validity" and validity is not None:
                self.warn(f"rule {r.id} repeats the validity rule {validity.id} (line {validity.span.line}): both "
                          "read the header's windows, so it changes nothing", r.title.span, f"remove it, or {validity.id}")
            elif r.kind == "validity":
                validity = r
            seen[r.id] = r
            if r.clause is None:
                self.error(f"rule {r.id} cites no clause of the notice", r.title.span, "add a line: clause \"…\"")
            if r.kind is None:
                self.error(f"rule {r.id} says nothing", r.title.span,
                           "add 'highest not stacked per project per year', 'limit … per applicant per year' "
                           "or 'validity'")
            if r.applies_to is not None:
                self.typer.expect_bool(r.applies_to, "'applies to'")
            if r.kind == "highest_not_stacked" and not r.ties_to_lower_measure:
                self.error(f"rule {r.id} does not say how a tie is broken", r.title.span,
                           "add: ties go to lower measure")
            if r.kind == "limit":
                self.money(r.limit, "the limit")
                if r.reduction is None:
                    self.error(f"rule {r.id} sets a limit but not how grants are reduced to it", r.title.span,
                               "add: reduce pro rata by largest remainder  (or: reduce in input order)")
            if r.other_policy is not None and r.scope == "applicant":
                self.error("'other policy' names an award for the same project; it cannot stand in a rule "
                           "per applicant", r.other_policy.span, "use 'highest not stacked per project per year'")
            if r.other_policy is not None:
                t = self.typer.infer(r.other_policy)
                if t is not None and not is_money_like(t):
                    self.error(f"'other policy' needs a money input, but this is {t.describe()}",
                               r.other_policy.span)
            self.check_among(r)
            if r.kind == "validity" and (h is None or h.in_force is None):
                self.error(f"rule {r.id} checks validity, but the header has no in-force window", r.title.span)
            if r.kind == "limit" and (h is None or h.dated_by is None):
                self.error(f"rule {r.id} sets a limit per year, but the policy says no date decides the year",
                           r.title.span, "add 'dated by <a date input>' to the policy header")
            self.check_rule_statements(r)

    def check_among(self, r: ast.Rule) -> None:
        """The measures 'among' lists: each declared, each once; at least two for highest-not-stacked (one competes
        with nothing), while a limit over one measure is a limit on that measure's grants among the rules."""
        measures = [m.id for m in self.policy.measures]
        seen: dict[str, ast.MeasureRef] = {}
        for ref in r.among:
            if ref.id in seen:
                self.error(f"measure {ref.id} is listed twice in 'among' (first at column {seen[ref.id].span.column})",
                           ref.span, f"list measure {ref.id} once")
            elif ref.id not in measures:
                guess = self.suggest(ref.id, measures)
                self.error(f"there is no measure {ref.id}", ref.span,
                           f"did you mean {guess}?" if guess else f"the measures are {', '.join(measures) or 'none'}")
            seen.setdefault(ref.id, ref)
        if r.among_span is not None and len(seen) < 2 and r.kind == "highest_not_stacked":
            self.error(f"rule {r.id} lets only measure {r.among[0].id} compete: with nothing to compete with, "
                       "it does nothing", r.among_span,
                       "list at least two measures, e.g. 'among 1, 2', or leave out 'among' for all to compete")

    def check_rule_statements(self, r: ast.Rule) -> None:
        """Statements that only one kind of rule reads are a warning in the others."""
        if r.kind is None:
            return  # 'says nothing' is reported already
        r1 = "it belongs in a 'highest not stacked per project per year' rule"
        r2 = "it belongs in a 'limit … per applicant per year' rule"
        if r.kind != "highest_not_stacked":
            if r.ties_to_lower_measure:
                self.no_effect("ties go to lower measure", r"\bties\s+go\s+to\s+lower\s+measure\b",
                               r.span, r1)
            if r.other_policy is not None:
                self.no_effect("other policy", r"\bother\s+policy\b", r.span, r1, end=r.other_policy.span)
        if r.kind != "limit":
            if r.applies_to is not None:
                self.no_effect("applies to", r"\bapplies\s+to\b", r.span, r2, end=r.applies_to.span)
            if r.reduction is not None:
                self.warn("'reduce' has no effect here", r.reduction.span, r2)

    # ------------------------------------------------------------------ notes and usage

    def check_notes(self) -> None:
        stated: dict[str, ast.Note] = {}
        # In source order, so that "first" is the first a reader meets, wherever it stands.
        notes = sorted(self.policy.all_notes(), key=lambda n: (n.span.line, n.span.column))
        for n in notes:
            if n.text is None:
                continue
            if n.id in stated:
                self.error(f"note {n.id} is stated twice (first at line {stated[n.id].span.line})", n.span,
                           f"state it once; elsewhere write 'note {n.id}' alone to attach it")
                continue
            stated[n.id] = n
            if n.text.en is None:
                self.warn(f"note {n.id} has no English text", n.text.span, 'write it as "中文" / "English"')
        for n in notes:
            if n.text is None and n.id not in stated:
                # No "did you mean": note ids differ by one digit by design (I-2, I-3).
                self.error(f"note {n.id} is attached here but never stated", n.span,
                           f'state it once: note {n.id} "中文" / "English"')

    def check_unused(self) -> None:
        for sym in self.symbols.values():
            if sym.name not in self.used:
                what = "input" if sym.kind == "input" else "definition"
                self.warn(f"{what} '{sym.name}' is never used", sym.node.name_span,
                          "remove it, or use it in a measure")


# A cap or a limit that is a count: the per-unit hint ("5万元 × sessions") does not fit there.
_COUNT_HINTS = {
    "the cap": "a cap is an amount of money, e.g. 100万",
    "the annual cap": "a cap is an amount of money, e.g. 100万",
    "the limit": "a limit is an amount of money, e.g. 100万",
}


def _places_in_a_year(r: ast.Rule) -> str | None:
    """What a rule that places each award in a year (or a period) is, as the checker names it; else None."""
    if r.kind == "highest_not_stacked":
        return "highest not stacked per applicant per year" if r.scope == "applicant" else None
    return {"validity": "validity", "limit": "a limit per year"}.get(r.kind or "")


def _is_rate(f: ast.Formula) -> bool:
    return isinstance(f, ast.ExprFormula) and isinstance(f.expr, ast.PercentOf)


def _rates_paid(e: ast.Expr) -> Iterator[ast.Percent]:
    """The rates an amount applies to a base: ``20% of spend``, ``spend × 20%``."""
    if isinstance(e, ast.PercentOf):
        yield e.rate
    if isinstance(e, ast.BinOp) and e.op == "*":
        yield from (side for side in (e.left, e.right) if isinstance(side, ast.Percent))
    for child in ast.children(e):
        yield from _rates_paid(child)


def _bare_percent(f: ast.Formula) -> ast.Percent | None:
    """The rate an override gives alone (``when …: 25%``), for the amount's base; else None."""
    return f.expr if isinstance(f, ast.ExprFormula) and isinstance(f.expr, ast.Percent) else None


def _text(e: ast.Expr) -> str:
    return e.text if isinstance(e, ast.Percent) else "20%"


def _per_unit(ident: str) -> str | None:
    """``5万/人`` or ``每人5万``, as a notice writes a sum per person: the unit read as a name."""
    unit = ident[1] if ident[:1] == "每" and ident[2:3].isdigit() else ident
    if unit not in COUNT_UNITS:
        return None
    return (f"'{unit}' is a unit, not an input: a sum per {unit} is the sum times a count input, "
            f"'AMOUNT × COUNT' (5万元/{unit} → 5万 × doctors)")
