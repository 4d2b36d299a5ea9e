"""What a checked policy means, ready to evaluate: the plan both backends share.

The plan resolves what the surface leaves implicit — which inputs a measure owns,
the label of every input, the sentence form of every condition — so that the code
generator and the tree-walking interpreter differ only in how they compute, never
in what they compute or how they explain it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import attrs

from . import ast, ir
from .check import CheckedPolicy
from .check.facts import inputs_of, measure_facts
from .ir import Cond, Formula, InputSpec, Measure, Note, Override, Tier, measure_key
from .rules import AnnualCap, HighestNotStacked, Limit, Once, Rule, Validity
from .rules.validity import length_label
from .runtime.intervals import Interval, from_ast
from .runtime.money import fmt_compact, fmt_plain
from .runtime.trace import Label, Shown

INVERSE: dict[ast.CompareOp, ast.CompareOp] = {">=": "<", "<": ">=", "<=": ">", ">": "<=", "==": "!=", "!=": "=="}


def _from_zero(iv: Interval) -> Interval:
    """A bracket open below ('500万以下') starts at 0: the amounts it splits are never negative, and an
    auditor reads [0, 5,000,000], not (-∞, 5,000,000]. The part in it is the same."""
    return attrs.evolve(iv, lower=Decimal(0), lower_inclusive=True) if iv.lower is None else iv


def negated(e: ast.Expr) -> ast.Expr:
    """What is the case when a condition fails, to show it as a true statement: x 不属于 {…}, 4 < 5,
    d ∉ [a, b]; a failed 'or' is each side failed. A failed 'and' is left as it is (shown with ✗): which
    side failed is not known here, and 'not A or not B' reads worse. A yes/no fact stands as it is: its
    value ('no') already says what is the case."""
    if isinstance(e, ast.InSet):
        return attrs.evolve(e, negated=not e.negated)
    if isinstance(e, ast.Compare):
        return attrs.evolve(e, op=INVERSE[e.op])
    if isinstance(e, ast.BoolOp) and e.op == "or":
        return attrs.evolve(e, op="and", left=negated(e.left), right=negated(e.right))
    if isinstance(e, ast.Not):
        return e.operand
    if isinstance(e, ast.InInterval):
        return ast.Not(operand=e, span=e.span)
    return e
OPS = {
    "+": ("+", "+"), "-": ("−", "−"), "*": ("×", "×"), "/": ("÷", "÷"),
    ">=": ("≥", "≥"), "<=": ("≤", "≤"), ">": (">", ">"), "<": ("<", "<"), "==": ("=", "="), "!=": ("≠", "≠"),
    "and": ("且", "and"), "or": ("或", "or"),
}


def literal(text: str) -> str:
    """Policy text inside a format template: braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


@attrs.frozen(slots=True)
class Plan:
    name: Label
    source_sha256: str
    path: str
    in_force: tuple[dt.date, dt.date] | None
    by_reference: tuple[dt.date, dt.date] | None
    dated_by: str | None
    rounding_unit: Decimal
    rounding_mode: str
    header_lines: dict[str, int]  # the lines of the header's windows, date and rounding ("in force", …), when written
    policy_notes: tuple[Note, ...]  # stated in the header and attached nowhere else: they apply to every amount
    inputs: dict[str, InputSpec]
    assertions: tuple[Cond, ...]
    measures: tuple[Measure, ...]
    by_id: dict[str, Measure]
    rules: tuple[Rule, ...]  # in the order they apply
    figures: tuple[tuple[str, Cond], ...]  # the applicant-level expressions the rules need, by key
    payers: dict[str, Label] = attrs.field(factory=dict)  # each payer's name as written, and as English names it

    def measure(self, mid: str) -> Measure:
        return self.by_id[mid]

    def payer(self, name: str) -> Label:
        """How a report names a payer: as written, and in English as the policy names it (if it does). The
        name as written stays the output's key."""
        return self.payers.get(name) or Label(name, name)


def label_of(b: ast.Bitext | None, fallback: str) -> Label:
    if b is None:
        return Label(fallback, fallback)
    return Label(b.zh, b.en or b.zh)


def literal_value(kind: str, v: ast.Expr | ast.Quote) -> Any:
    """A literal as written (a default, an example's fact) as the value of an input of that kind."""
    if isinstance(v, ast.Quantity):
        return int(v.value) if kind == "count" and v.value == v.value.to_integral_value() else v.value
    if isinstance(v, (ast.Percent, ast.BoolLit, ast.DateLit)):
        return v.value
    if isinstance(v, ast.Name):
        return v.ident
    if isinstance(v, ast.Quote):
        return v.text
    raise TypeError(v)  # pragma: no cover - the grammar has no other literal forms


def _default_value(decl: ast.InputDecl) -> object:
    if decl.default is None:
        return False if decl.type.kind == "bool" else None
    return literal_value(decl.type.kind, decl.default)


class _Planner:
    def __init__(self, checked: CheckedPolicy):
        self.checked = checked
        self.policy = checked.policy
        self.inputs = {
            d.name: InputSpec(
                name=d.name,
                scope=d.scope,
                kind=d.type.kind,
                values=tuple(v.name for v in d.type.values),
                value_labels={v.name: label_of(v.label, v.name) for v in d.type.values},
                default=_default_value(d),
                label=label_of(d.label, d.name),
                required=d.required,
                from_register=d.from_register is not None,
                line=d.span.line,
            )
            for d in self.policy.inputs
        }
        self.defines = {d.name: d for d in self.policy.defines}
        self.project_inputs = {n for n, i in self.inputs.items() if i.scope == "project"}
        self.applicant_inputs = {n for n, i in self.inputs.items() if i.scope == "applicant"}
        h = self.policy.header
        self.dated = h.dated_by.ident if h and h.dated_by else None
        stated = {n.id: n for n in self.policy.all_notes() if n.text is not None}
        self.notes = {k: Note(k, label_of(n.text, k)) for k, n in stated.items()}

    # ------------------------------------------------------------ showing expressions

    def name_label(self, name: str, local: dict[str, ast.Define]) -> Label:
        if name in self.inputs:
            return self.inputs[name].label
        d = local.get(name) or self.defines.get(name)
        return label_of(d.label if d else None, name)

    def shown(self, e: ast.Expr, local: dict[str, ast.Define], negate: bool = False, by_name: bool = False,
              figure: tuple[Decimal, ...] | None = None, ordered: bool = False,
              ) -> tuple[Shown, tuple[str, ...], tuple[tuple[ast.Expr, tuple[Decimal, ...]], ...]]:
        """The expression as a template for :meth:`str.format`: ``{0}`` … stand for the inputs, and
        every text from the policy has its braces doubled, so that it is shown, never interpreted.
        ``by_name``: a definition it names (below the top) stands for itself, a name like an input.
        A ratio compared with a bound gets a slot after the inputs' for its figure (:class:`Ratio`); the
        ratios are returned with their bounds. ``figure``: the expression is a value a table looks up in
        bands of these bounds, so a ratio gets the slot of its figure at its end too. ``ordered``: each set's
        values once, in the order its input declares them (then by name) rather than as written, so that two
        versions listing a set in another order read the same (``impact`` compares them so)."""
        names: list[str] = []
        ratios: list[tuple[ast.Expr, tuple[Decimal, ...]]] = []
        slots = {"first": -1, "next": 0}  # the first ratio slot (-1: names still being found), the next

        def ratio(e: ast.Expr, bounds: tuple[Decimal, ...]) -> str:
            if not (isinstance(e, ast.BinOp) and e.op == "/") or slots["first"] < 0:
                return ""
            i = slots["next"]
            slots["next"] += 1
            if i == len(ratios):
                ratios.append((e, bounds))
            return "{" + str(slots["first"] + i) + "}"

        def bound(e: ast.Expr) -> tuple[Decimal, ...]:
            return (e.value,) if isinstance(e, (ast.Quantity, ast.Percent)) else ()

        def walk(e: ast.Expr, lang: int) -> str:
            if isinstance(e, ast.Name):
                d = local.get(e.ident) or self.defines.get(e.ident)
                if d is not None and not by_name:  # show what a definition stands for, down to the facts
                    return paren(d.expr, lang)
                if d is None and e.ident not in self.inputs:  # a value of a closed set, as in kind == association
                    return literal(e.ident)
                if e.ident not in names:
                    names.append(e.ident)
                return "{" + str(names.index(e.ident)) + "}"
            if isinstance(e, ast.Quantity):  # as the notice writes it in Chinese; in English, as English does
                return literal(e.text) if lang == 0 else fmt_plain(e.value)
            if isinstance(e, ast.Percent):
                return literal(e.text)
            if isinstance(e, ast.DateLit):
                return e.value.isoformat()
            if isinstance(e, ast.BoolLit):
                return ("是" if e.value else "否") if lang == 0 else ("yes" if e.value else "no")
            if isinstance(e, ast.PercentOf):
                return f"{literal(e.rate.text)} × {paren(e.base, lang)}"
            if isinstance(e, ast.Compare) and isinstance(e.left, ast.YearOf) != isinstance(e.right, ast.YearOf):
                sides = [literal(x.text) if isinstance(x, ast.Quantity) else paren(x, lang) for x in (e.left, e.right)]
                return f"{sides[0]} {OPS[e.op][lang]} {sides[1]}"  # a year is written as it is (2024, not 2,024)
            if isinstance(e, ast.Compare):  # a value of a closed set by its label, as in 'in {…}'; a ratio with its figure
                sides = [(value_label(x, other, lang) or paren(x, lang)) + ratio(x, bound(other))
                         for x, other in ((e.left, e.right), (e.right, e.left))]
                return f"{sides[0]} {OPS[e.op][lang]} {sides[1]}"
            if isinstance(e, (ast.BinOp, ast.BoolOp)):
                return f"{paren(e.left, lang)} {OPS[e.op][lang]} {paren(e.right, lang)}"
            if isinstance(e, ast.Not) and isinstance(e.operand, ast.InInterval):  # a failed window: x ∉ [a, b]
                inside, iv = e.operand, from_ast(e.operand.interval)
                return (f"{walk(inside.operand, lang)}{ratio(inside.operand, iv.bounds())} ∉ "
                        f"{literal(iv.read('en' if lang else 'zh'))}")
            if isinstance(e, ast.Not):
                return ("非 " if lang == 0 else "not ") + paren(e.operand, lang)
            if isinstance(e, ast.YearSum):
                inner = walk(e.operand, lang)
                return f"{inner}(本年度累计)" if lang == 0 else f"{inner} (summed over the year)"
            if isinstance(e, ast.YearOf):
                return f"{paren(e.operand, lang)} 的年份" if lang == 0 else f"the year of {paren(e.operand, lang)}"
            if isinstance(e, ast.InSet):
                sep = "、" if lang == 0 else ", "
                spec = self.inputs.get(e.operand.ident) if isinstance(e.operand, ast.Name) else None
                labels = spec.value_labels if spec else {}
                idents = [v.ident for v in e.values]
                if ordered:
                    rank = {v: i for i, v in enumerate(spec.values if spec else ())}
                    idents = sorted(set(idents), key=lambda v: (rank.get(v, len(rank)), v))
                shown = [literal(labels[v].get("en" if lang else "zh") if v in labels else v) for v in idents]
                values = "{{" + sep.join(shown) + "}}"
                word = ("不属于" if e.negated else "属于") if lang == 0 else ("not in" if e.negated else "in")
                return f"{walk(e.operand, lang)} {word} {values}"
            if isinstance(e, ast.InInterval):
                iv = from_ast(e.interval)
                return f"{walk(e.operand, lang)}{ratio(e.operand, iv.bounds())} ∈ {literal(iv.read('en' if lang else 'zh'))}"
            raise TypeError(e)  # pragma: no cover

        def value_label(value: ast.Expr, other: ast.Expr, lang: int) -> str | None:
            """``value``, a value of the closed set ``other`` is an input of, by its label (``kind == provider``)."""
            spec = self.inputs.get(other.ident) if isinstance(other, ast.Name) else None
            if not isinstance(value, ast.Name) or spec is None or value.ident in self.inputs \
                    or self.definition(value, local) is not None:
                return None
            label = spec.value_labels.get(value.ident)
            return literal(label.get("en" if lang else "zh")) if label else None

        def paren(e: ast.Expr, lang: int) -> str:
            text = walk(e, lang)
            simple = isinstance(e, (ast.Name, ast.Quantity, ast.Percent, ast.DateLit, ast.BoolLit))
            return text if simple else f"({text})"

        top = self.definition(e, local)
        if top is not None:  # a definition at the top reads as what it stands for, unbracketed
            e = top.expr
        if negate:
            e = negated(e)
        walk(e, 0)  # the names first: the ratios' slots come after them
        slots["first"] = len(names)
        def looked_up() -> str:
            return ratio(e, figure) if figure is not None else ""

        zh = walk(e, 0) + looked_up()
        slots["next"] = 0
        en = walk(e, 1) + looked_up()
        labels = tuple(self.name_label(n, local) for n in names) + tuple(Label("", "") for _ in ratios)
        choices = tuple(self.inputs[n].value_labels if n in self.inputs and self.inputs[n].kind == "enum" else None
                        for n in names)
        return Shown(Label(zh, en), labels, choices=choices), tuple(names), tuple(ratios)

    def definition(self, e: ast.Expr, local: dict[str, ast.Define]) -> ast.Define | None:
        if isinstance(e, ast.Name):
            return local.get(e.ident) or self.defines.get(e.ident)
        return None

    def cond(self, e: ast.Expr, label: ast.Bitext | None, local: dict[str, ast.Define],
             figure: tuple[Decimal, ...] | None = None) -> Cond:
        shown, names, ratios = self.shown(e, local, figure=figure)
        d = self.definition(e, local)
        label = label or (d.label if d else None)
        text = label_of(label, "") if label else Label(shown.render("zh", False), shown.render("en", False))
        failed = self.shown(e, local, negate=True)[0].template
        compared = self.shown(e, local, figure=figure, ordered=True)[0].template
        return Cond(expr=self.lower(e, local), label=text, shown=shown, inputs=names, line=e.span.line,
                    failed=failed if failed != shown.template else None,
                    compared=compared if compared != shown.template else None,
                    ratios=tuple((self.lower(x, local), bounds) for x, bounds in ratios))

    def lower(self, e: ast.Expr, local: dict[str, ast.Define]) -> ir.Expr:
        """The expression with its names resolved: an input with its scope, a definition replaced by what
        it stands for (the checker bounds the size of that, definitions expanded), any other name a value
        of a closed set; literals become values, intervals concrete."""
        if isinstance(e, ast.Quantity):
            return ir.Const(e.value, e.text, e.unit)
        if isinstance(e, ast.Percent):
            return ir.Const(e.value, e.text, "percent")
        if isinstance(e, ast.DateLit):
            return ir.Const(e.value, e.value.isoformat(), "date")
        if isinstance(e, ast.BoolLit):
            return ir.Const(e.value, "true" if e.value else "false", "bool")
        if isinstance(e, ast.Name):
            spec = self.inputs.get(e.ident)
            if spec is not None:
                return ir.Input(e.ident, "applicant" if spec.scope == "applicant" else "project")
            d = local.get(e.ident) or self.defines.get(e.ident)
            if d is not None:
                return self.lower(d.expr, local)
            return ir.Const(e.ident, e.ident, "word")
        if isinstance(e, ast.BinOp):
            divisor = inputs_of(e.right, local, self.defines, self.inputs) if e.op == "/" else ()
            return ir.Arith(e.op, self.lower(e.left, local), self.lower(e.right, local), divisor)
        if isinstance(e, ast.PercentOf):
            return ir.Share(e.rate.value, e.rate.text, self.lower(e.base, local))
        if isinstance(e, ast.Compare):
            return ir.Compare(e.op, self.lower(e.left, local), self.lower(e.right, local))
        if isinstance(e, ast.BoolOp):
            return ir.Logic(e.op, self.lower(e.left, local), self.lower(e.right, local))
        if isinstance(e, ast.Not):
            return ir.Not(self.lower(e.operand, local))
        if isinstance(e, ast.YearOf):
            return ir.YearOf(self.lower(e.operand, local))
        if isinstance(e, ast.YearSum):
            return ir.YearSum(ir.Input(e.operand.ident, "project"))
        if isinstance(e, ast.InSet):
            return ir.Member(self.lower(e.operand, local), frozenset(v.ident for v in e.values), e.negated)
        return ir.Within(self.lower(e.operand, local), from_ast(e.interval), e.interval.text)

    # ------------------------------------------------------------ measures

    def operand(self, e: ast.Expr, local: dict[str, ast.Define], figure: tuple[Decimal, ...] | None = None) -> Cond:
        """How a base or a looked-up value reads: a definition shows its label and its parts. ``figure``: the
        bounds of the bands a ratio is looked up in (:meth:`shown`)."""
        d = self.definition(e, local)
        if d is not None:
            return self.cond(d.expr, d.label or ast.Bitext(zh=d.name, en=d.name, span=d.span), local, figure)
        return self.cond(e, None, local, figure)

    def looked_up(self, f: ast.TierTable, tiers: tuple[Tier, ...], local: dict[str, ast.Define]) -> Cond:
        """How the value a table looks up reads. A ratio (研发费用占营业收入比重) reads with its figures and its
        quotient, after its label when a definition names it: "R&D share: R&D 400,000 ÷ revenue 10,000,000 = 4%"."""
        bounds = tuple(sorted({b for t in tiers for b in t.interval.bounds()}))
        base = self.operand(f.on, local, bounds)
        if not base.ratios or self.definition(f.on, local) is None:
            return base
        zh, en = base.shown.template.zh, base.shown.template.en
        template = Label(f"{literal(base.label.zh)}:{zh}", f"{literal(base.label.en)}: {en}")
        return attrs.evolve(base, shown=base.shown._replace(template=template))

    def formula(self, f: ast.Formula, local: dict[str, ast.Define]) -> Formula:
        if isinstance(f, ast.Referred):
            return Formula(kind="referred", reason=label_of(f.reason, "referred") if f.reason else None)
        if isinstance(f, ast.CategoryTable):
            spec = self.inputs.get(f.on.ident)
            labels = spec.value_labels if spec else {}
            rows = tuple((r.value, labels.get(r.value, Label(r.value, r.value)), self.lower(r.amount, local))
                         for r in f.rows)
            readings = tuple(None if isinstance(r.amount, ast.Quantity) else self.operand(r.amount, local)
                             for r in f.rows)
            return Formula(kind="category", expr=self.lower(f.on, local), base=self.operand(f.on, local), rows=rows,
                           row_readings=readings, row_lines=tuple(r.span.line for r in f.rows))
        if isinstance(f, ast.TierTable):
            tiers = tuple(Tier(_from_zero(from_ast(t.interval)) if f.mode == "brackets" else from_ast(t.interval),
                               t.interval.text, self.lower(t.amount, local), i,
                               None if f.mode == "brackets" or isinstance(t.amount, ast.Quantity)
                               else self.operand(t.amount, local))
                          for i, t in enumerate(f.tiers, 1))
            return Formula(kind=f.mode, expr=self.lower(f.on, local), base=self.looked_up(f, tiers, local), tiers=tiers,
                           row_lines=tuple(t.span.line for t in f.tiers))
        e = f.expr
        if isinstance(e, ast.PercentOf):
            return Formula(kind="rate", expr=self.lower(e.base, local), rate=e.rate.value, rate_text=e.rate.text,
                           base=self.operand(e.base, local))
        if isinstance(e, ast.Percent):  # an override that replaces the rate only
            return Formula(kind="rate", rate=e.value, rate_text=e.text)
        base = self.operand(e, local)
        named, keys, _ = self.shown(e, local, by_name=True)
        defined = tuple((k, self.operand(ast.Name(ident=k, scope=None, span=e.span), local)) for k in keys if k not in self.inputs)
        if not defined:
            return Formula(kind="expr", expr=self.lower(e, local), base=base)
        return Formula(kind="expr", expr=self.lower(e, local), base=base, defined=defined, named=named, named_keys=keys)

    def measure(self, m: ast.Measure) -> Measure:
        """A measure reading a project fact is decided per project; one adding project facts up over the
        year, once per applicant and year (S13); one reading only the applicant's facts, once per
        applicant (S1)."""
        local = {d.name: d for d in m.defines}
        own = measure_facts(m, self.defines, self.project_inputs, self.dated)
        summed = measure_facts(m, self.defines, self.project_inputs, self.dated, summed=True)
        clause = m.clause.ref if m.clause else ""
        split = self.policy.split_of(m)  # the header's default resolved here: the engines see one split
        assert m.amount is not None  # the checker requires it
        return Measure(
            id=m.id,
            line=m.span.line,
            amount_line=m.amount.span.line,
            part_lines=tuple((part, span.line) for part, span in (
                ("paid in instalments", m.instalments[0].span if m.instalments else None),
                ("shared", split.span if split else None), ("quota", m.quota.span if m.quota else None),
                ("annual cap", m.annual_cap.span if m.annual_cap else None),
                ("dated by", m.dated_by.span if m.dated_by else None), ("once", m.once_span),
                ("earmark", m.earmark.span if m.earmark else None)) if span is not None),
            rule=f"{m.id} {clause}".strip(),
            title=label_of(m.title, m.id),
            clause=clause,
            clause_en=m.clause.en or "" if m.clause else "",
            quote=m.quote.text if m.quote else None,
            beneficiary=self.cond(m.beneficiary.expr, m.beneficiary.label, local) if m.beneficiary else None,
            requirements=tuple(self.cond(r.expr, r.label, local) for r in m.requirements),
            formula=self.formula(m.amount.formula, local),
            cap=self.lower(m.amount.cap, local) if m.amount.cap else None,
            cap_text=_text(m.amount.cap),
            overrides=tuple(
                Override(self.cond(o.condition, o.label, local), self.formula(o.formula, local),
                         self.lower(o.cap, local) if o.cap else None, _text(o.cap), self.cap_reading(o.cap, local))
                for o in m.overrides
            ),
            cross_checks=tuple(self.cond(c.expr, c.label, local) for c in m.cross_checks),
            own_facts=own or summed or measure_facts(m, self.defines, self.applicant_inputs, self.dated),
            level="project" if own else "year" if summed else "applicant",
            instalments=tuple(p.value for p in m.instalments),
            shared=split.pairs() if split else (),
            quota=(m.quota.count, m.quota.per.ident) if m.quota else None,
            earmark=label_of(m.earmark, "") if m.earmark else None,
            notes=tuple(self.notes[n.id] for n in m.notes if n.id in self.notes),
            dated_by=m.dated_by.ident if m.dated_by else None,
            cap_reading=self.cap_reading(m.amount.cap, local),
        )

    def cap_reading(self, cap: ast.Expr | None, local: dict[str, ast.Define]) -> Cond | None:
        """How a cap the facts decide reads (a figure's is its text, :func:`_text`)."""
        return None if cap is None or _text(cap) is not None else self.operand(cap, local)

    def rules(self, h: ast.Header, measures: tuple[Measure, ...]) -> tuple[Rule, ...]:
        """The rules in the order they apply: the order written, with what measures say of themselves
        placed where it has a meaning — a validity rule first (it decides which projects are looked at);
        a measure's 'once' before every rule across measures (a claim that loses its turn competes with
        nothing); a measure's annual cap on what it was granted, just before the first limit across
        measures (or last, when there is none)."""
        written: list[Rule] = []
        for r in self.policy.rules:
            title, notes = label_of(r.title, r.id), tuple(self.notes[n.id] for n in r.notes if n.id in self.notes)
            clause, quote = r.clause.ref if r.clause else "", r.quote.text if r.quote else None
            clause_en = r.clause.en or "" if r.clause else ""
            lines = tuple((part, span.line) for part, span in (
                (r.kind or "", r.kind_span), ("applies to", r.applies_to.span if r.applies_to else None),
                ("reduce", r.reduction.span if r.reduction else None),
                ("other policy", r.other_policy.span if r.other_policy else None)) if span is not None)
            if r.kind == "highest_not_stacked":
                written.append(HighestNotStacked(r.id, title, notes, clause, quote, r.span.line, clause_en, lines, scope=r.scope,
                                                 other_policy=r.other_policy.ident if r.other_policy else None,
                                                 among=tuple(m.id for m in r.among)))
            elif r.kind == "limit":
                written.append(Limit(r.id, title, notes, clause, quote, r.span.line, clause_en, lines, limit=self.cond(r.limit, None, {}) if r.limit else None,
                                     applies_to=self.cond(r.applies_to, None, {}) if r.applies_to else None,
                                     reduction=r.reduction.strategy if r.reduction else "pro_rata",
                                     among=tuple(m.id for m in r.among)))
            elif r.kind == "validity" and h.in_force is not None:
                assert self.dated is not None  # the checker requires 'dated by' beside an in-force window
                written.append(Validity(r.id, title, notes, clause, quote, r.span.line, clause_en, lines, in_force=(h.in_force.start, h.in_force.end),
                                        by_reference=(h.by_reference.start, h.by_reference.end)
                                        if h.by_reference else None,
                                        dated=self.inputs[self.dated].label,
                                        in_force_length=_length(h.in_force),
                                        by_reference_length=_length(h.by_reference)))
        onces: list[Rule] = []
        caps: list[Rule] = []
        for m, planned in zip(self.policy.measures, measures):
            rule, title = f"{m.id} {m.clause.ref if m.clause else ''}".strip(), label_of(m.title, m.id)
            if m.once:
                onces.append(Once(rule, title, (), line=m.span.line, measure=m.id, per=m.once, applicant_level=planned.level == "applicant"))
            if m.annual_cap:
                local = {d.name: d for d in m.defines}
                caps.append(AnnualCap(rule, title, (), line=m.annual_cap.span.line, measure=m.id,
                                      cap=self.cond(m.annual_cap.amount, None, local),
                                      cap_text=_text(m.annual_cap.amount) or "",
                                      reduction=m.annual_cap.reduction.strategy))
        gates = [r for r in written if r.GATE]
        rest = [r for r in written if not r.GATE]
        first_limit = next((i for i, r in enumerate(rest) if isinstance(r, Limit)), len(rest))
        return (*gates, *onces, *rest[:first_limit], *caps, *rest[first_limit:])

    def policy_notes(self, h: ast.Header) -> tuple[Note, ...]:
        attached = {n.id for m in self.policy.measures for n in m.notes} | {n.id for r in self.policy.rules
                                                                            for n in r.notes}
        return tuple(self.notes[n.id] for n in h.notes if n.text is not None and n.id not in attached)

    def plan(self) -> Plan:
        h = self.policy.header
        assert h is not None  # the checker requires it
        written = [self.measure(m) for m in self.policy.measures]
        ranks = {m.id: i for i, m in enumerate(sorted(written, key=lambda m: measure_key(m.id)))}
        measures = tuple(attrs.evolve(m, rank=ranks[m.id]) for m in written)
        rules = self.rules(h, measures)
        return Plan(
            name=label_of(h.title, "policy"),
            source_sha256=hashlib.sha256(self.policy.source.encode("utf-8")).hexdigest(),
            path=self.policy.path,
            in_force=_window(h.in_force),
            by_reference=_window(h.by_reference),
            dated_by=h.dated_by.ident if h.dated_by else None,
            rounding_unit=h.rounding.unit.value if h.rounding else Decimal("0.01"),
            rounding_mode=h.rounding.mode if h.rounding else "half_up",
            header_lines={what: part.span.line for what, part in (
                ("in force", h.in_force), ("by reference", h.by_reference), ("dated by", h.dated_by),
                ("rounding", h.rounding))
                if part is not None},
            policy_notes=self.policy_notes(h),
            inputs=self.inputs,
            assertions=tuple(self.cond(a.expr, a.label, {}) for a in self.policy.assertions),
            measures=measures,
            by_id={m.id: m for m in measures},
            rules=rules,
            figures=tuple(f for r in rules for f in r.figures()),
            payers=self.payers(),
        )

    def payers(self) -> dict[str, Label]:
        """Every payer a split names, with its English name wherever the policy gives it (the checker
        allows one), else its name as written."""
        found: dict[str, Label] = {}
        for split in self.policy.cost_splits():
            for p in split.payers:
                if p.en or p.name not in found:
                    found[p.name] = Label(p.name, p.en or p.name)
        return found


def _length(w: ast.Window | None) -> Label | None:
    """A window's length as the notice gave it (有效期3年), or None when it gave the last day."""
    return length_label(w.length.count, w.length.unit) if w is not None and w.length is not None else None


def _window(w: ast.Window | None) -> tuple[dt.date, dt.date] | None:
    return (w.start, w.end) if w else None


def _text(e: ast.Expr | None) -> str | None:
    if e is None:
        return None
    if isinstance(e, ast.Quantity):
        return fmt_compact(e.value)
    return None


def build_plan(checked: CheckedPolicy) -> Plan:
    return _Planner(checked).plan()
