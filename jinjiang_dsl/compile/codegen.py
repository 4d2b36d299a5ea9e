"""The code generator: a plan → readable Python source, one function per measure.

In the manner of Jinja2's ``CodeGenerator``: source is written through a small emitter;
literals, labels and intervals become named module constants; every function and
every check carries a comment with the ``.pol`` line it came from. The semantics are
those of :mod:`jinjiang_dsl.interpret`; the two are tested against each other.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .. import ir
from ..ir import Cond, Formula, Measure, measure_key
from ..plan import Plan
from ..runtime.intervals import lower_key
from ..runtime.trace import Label
from .applicant import emit_applicant
from .source import Constants, Emitter

PY_COMPARE = {">=": ">=", "<=": "<=", ">": ">", "<": "<", "==": "==", "!=": "!="}


def _ident(mid: str) -> str:
    return "measure_" + mid.replace(".", "_")


class CodeGenerator:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.k = Constants()
        self.out = Emitter()

    # ------------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr) -> str:
        """A Python expression; a missing fact raises KeyError with its name. Policy text enters only as
        the repr() of a constant."""
        if isinstance(e, ir.Const):
            v = e.value
            if isinstance(v, dt.date):
                return self.k.add("D", f"date({v.year}, {v.month}, {v.day})")
            if isinstance(v, (bool, str)):
                return repr(v)
            return self.k.decimal(Decimal(v), e.text)
        if isinstance(e, ir.Input):
            return f"{'a' if e.scope == 'applicant' else 'p'}[{e.name!r}]"
        if isinstance(e, ir.Arith):
            left, right = self.expr(e.left), self.expr(e.right)
            if e.op == "/":
                return f"divide({left}, {right}, {self.k.add('Q', repr(e.divisor))})"
            return f"({left} {e.op} {right})"
        if isinstance(e, ir.Share):
            return f"({self.k.decimal(e.rate, e.text)} * {self.expr(e.base)})"
        if isinstance(e, ir.Compare):
            return f"({self.expr(e.left)} {PY_COMPARE[e.op]} {self.expr(e.right)})"
        if isinstance(e, ir.Logic):
            left, right = self.expr(e.left), self.expr(e.right)
            if "divide(" in left:  # a zero divisor on the left does not matter when the right decides
                return f"{e.op}_({'lambda: ' + left}, lambda: {right})"
            return f"(bool({left}) {e.op} bool({right}))"
        if isinstance(e, ir.YearOf):
            return f"{self.expr(e.operand)}.year"
        if isinstance(e, ir.YearSum):  # the decider gives a year's claim the sums as its facts
            return self.expr(e.input)
        if isinstance(e, ir.Not):
            return f"(not {self.expr(e.operand)})"
        if isinstance(e, ir.Member):
            values = self.k.add("S", "frozenset({" + ", ".join(repr(v) for v in sorted(e.values)) + "})")
            return f"({self.expr(e.operand)} {'not in' if e.negated else 'in'} {values})"
        return f"({self.expr(e.operand)} in {self.k.interval(e.interval)})"

    def step(self, rule: str, kind: str, params: str, extra: str = "") -> None:
        """Emit ``if steps is not None: steps.append(Step(…))``: a trace step, built only when tracing."""
        self.out("if steps is not None:")
        with self.out.indent():
            self.out(f"steps.append(Step({rule}, {kind!r}, {params}{extra}))")

    def shown(self, cond: Cond, holds: str | None = None) -> str:
        """The condition with its figures; with ``holds`` (the name of its truth), worded as what is the
        case: its failed reading when it does not hold."""
        template, names, choices = self.k.shown(cond.shown)
        if holds is not None and cond.failed is not None:
            template = f"({template} if {holds} else {self.k.label(cond.failed)})"
        values = "".join(
            f"{'a' if self.plan.inputs[n].scope == 'applicant' else 'p'}.get({n!r}), " for n in cond.inputs
        )
        for e, bounds in cond.ratios:
            limits = "(" + "".join(f"{self.k.decimal(b)}, " for b in bounds) + ")"
            values += f"ratio(lambda: {self.expr(e)}, {limits}), "
        return f"Shown({template}, {names}, ({values}), {choices})"

    def named(self, f: Formula, rule: str) -> str:
        """:meth:`Interpreter.named`: the amount's reading, each definition it names worked out first (in
        the tracing branch, so an untraced run computes nothing more)."""
        assert f.base is not None
        if f.named is None:
            return self.shown(f.base)
        worth = {}
        for i, (name, cond) in enumerate(f.defined):
            worth[name] = f"defined_{i}"
            self.out(f"defined_{i} = {self.expr(cond.expr)}")
            self.out(f"steps.append(Step({rule}, 'defined', {{'shown': {self.shown(cond)}, "
                     f"'label': {self.k.label(cond.label)}}}, value=defined_{i}))")
        template, names, choices = self.k.shown(f.named)
        values = "".join(f"{worth[n]}, " if n in worth else
                         f"{'a' if self.plan.inputs[n].scope == 'applicant' else 'p'}.get({n!r}), " for n in f.named_keys)
        return f"Shown({template}, {names}, ({values}), {choices})"

    # ------------------------------------------------------------------ module

    def module(self) -> str:
        for m in sorted(self.plan.measures, key=lambda m: measure_key(m.id)):
            self.measure(m)
            self.out()
        self.rule_functions()
        for trace in (False, True):
            emit_applicant(self.plan, self.out, self.k, trace)
            self.out()
        header = [
            f"# Generated by jinjiang-dsl from {self.plan.path!r}",
            f"# source sha256 {self.plan.source_sha256}",  # hex digits
            "# One function per measure: measure_<id>(a, p, steps) -> MeasureResult, where a and p are the",
            "# applicant's and the project's facts and steps collects the explanation (None: no trace).",
            "# A missing fact raises KeyError(name) inside an expression; it is caught where it decides.",
            "# A zero divisor raises Undefined(names of its inputs): the decider makes it an input error.",
            "",
            "# ---- constants",
            *self.k.lines,
            "",
            "",
        ]
        return "\n".join(header + self.out.lines).rstrip() + "\n"

    def test(self, target: str, cond: Cond) -> None:
        """``target = bool(cond)``; a missing fact makes it False and sets ``missing``."""
        out = self.out
        out("try:")
        with out.indent():
            out(f"{target} = bool({self.expr(cond.expr)})")
            out("missing = None")
        out("except KeyError as e:")
        with out.indent():
            out(f"{target}, missing = False, e.args[0]")

    def check(self, kind: str, cond: Cond, rule: str) -> None:
        out = self.out
        out(f"# {kind} (line {cond.line}): {cond.label.en!r}")
        label = self.k.label(cond.label)

        def judged() -> None:
            """The condition decided: a failed one makes the measure not eligible; either way, its step."""
            out("if not c:")
            with out.indent():
                out("eligible = False")
            self.step(rule, kind, f"{{'ok': c, 'label': {label}, 'shown': {self.shown(cond, 'c')}, "
                                  "'missing': LABELS.get(missing)}")

        if "divide(" not in self.expr(cond.expr):
            self.test("c", cond)
            judged()
            return
        # the conditions are one 'and': a zero divisor decides nothing when another condition fails
        out("try:")
        with out.indent():
            self.test("c", cond)
        out("except Undefined as zero:")
        with out.indent():
            out("undecided = undecided or zero")
            self.step(rule, kind, f"{{'ok': False, 'label': {label}, 'shown': {self.shown(cond)}, 'missing': None, "
                                  "'zero': joined([LABELS[n] for n in zero.names])}")
        out("else:")
        with out.indent():
            judged()

    def measure(self, m: Measure) -> None:
        out = self.out
        rule = self.k.add("R", repr(m.rule))
        out(f"def {_ident(m.id)}(a, p, steps):")
        with out.indent():
            out(repr(f"{m.id} {m.title.zh} / {m.title.en}: clause {m.clause} ({self.plan.path}:{m.line})"))  # docstring
            out("eligible = True")
            conditions = [("beneficiary", m.beneficiary)] if m.beneficiary else []
            conditions += [("requirement", cond) for cond in m.requirements]
            divides = any("divide(" in self.expr(cond.expr) for _, cond in conditions)
            if divides:
                out("undecided = None  # the first condition that divides by zero")
            for kind, cond in conditions:
                self.check(kind, cond, rule)
            if divides:
                out("if undecided is not None and eligible:")
                with out.indent():
                    out("raise undecided")
            out("if not eligible:")
            with out.indent():
                out("return NOT_ELIGIBLE")
            if m.formula.kind == "referred":
                self.step(rule, "referred", f"{{'reason': {self.k.label(m.formula.reason)}}}")
                out("return REFERRED")
            else:
                self.amount(m, rule)

    def overrides(self, m: Measure, rule: str) -> None:
        """The first override that holds is taken; later ones are not looked at. Flat, one ``if``
        per override, so that a measure of many overrides nests no deeper than one of two."""
        out = self.out
        for i, o in enumerate(m.overrides):
            out(f"# override (line {o.condition.line}): {o.condition.label.en!r}")
            out("if choice == 0:")  # none taken yet
            with out.indent():
                self.test("applies", o.condition)
                self.step(rule, "override", f"{{'applies': applies, 'label': {self.k.label(o.condition.label)}, "
                                            f"'shown': {self.shown(o.condition, 'applies')}}}")
                out("if applies:")
                with out.indent():
                    out(f"choice, by = {i + 1}, {self.k.label(o.condition.label)}")
                    if o.cap is not None:
                        out(f"cap, cap_text = {self.expr(o.cap)}, {o.cap_text!r}")

    def amount(self, m: Measure, rule: str) -> None:
        out = self.out
        out("try:")
        with out.indent():
            cap = self.expr(m.cap) if m.cap is not None else "None"
            out(f"cap, cap_text = {cap}, {m.cap_text!r}")
            out("choice, by = 0, None")
            self.overrides(m, rule)
            formulas = [m.formula] + [o.formula_over(m.formula) for o in m.overrides]
            if len(formulas) == 1:
                self.formula(m.formula, rule)
            for n, f in enumerate(formulas if len(formulas) > 1 else ()):
                out(f"if choice == {n}:")  # flat, not elif: Python compiles no chain of thousands
                with out.indent():
                    self.formula(f, rule)
            if any(f.kind in ("bands", "thresholds", "category") for f in formulas):
                out("if raw is None:")
                with out.indent():
                    out("return NOTHING_PAID")
            out("amount = raw")
            out("if cap is not None:")
            with out.indent():
                out("amount = raw if raw <= cap else cap")
                self.step(rule, "cap", "{'bound': raw > cap, 'before': raw, 'cap': cap, 'cap_text': cap_text, "
                                       f"'per_project': {m.level == 'project'}}}", ", value=amount, limit=cap")
        out("except KeyError as e:")
        with out.indent():
            self.step(rule, "missing", "{'name': LABELS[e.args[0]]}")
            out("return NOT_ELIGIBLE")
        unit = self.k.decimal(self.plan.rounding_unit, "rounding unit")
        mode = repr(self.plan.rounding_mode)
        out(f"entitlement = round_to(amount, {unit}, {mode})")
        self.step(rule, "round", f"{{'before': amount, 'after': entitlement, 'unit': {unit}, 'mode': {mode}}}",
                  ", value=entitlement")
        out("warnings = ()")
        for c in m.cross_checks:
            out(f"# cross check (line {c.line}): {c.label.en!r}")
            out("try:")
            with out.indent():
                out(f"other = {self.expr(c.expr)}")
                out("if other != raw:")
                with out.indent():
                    out(f"warnings += (cross_check({rule}, {self.k.label(c.label)}, other, raw),)")
            out("except (KeyError, Undefined):")
            with out.indent():
                out("pass")
        out("if entitlement <= 0:")
        with out.indent():
            self.step(rule, "zero", "{'amount': entitlement}")
            out("return MeasureResult('not_eligible', ZERO, warnings)")
        out("if steps is not None:")
        with out.indent():
            if m.earmark:
                out(f"steps.append(Step({rule}, 'earmark', {{'text': {self.k.label(m.earmark)}}}))")
            out(f"steps.append(Step({rule}, 'entitlement', {{'value': entitlement}}, value=entitlement))")
        out("return MeasureResult('eligible', entitlement, warnings)")

    def formula(self, f: Formula, rule: str) -> None:
        """Sets ``raw``: the amount before the cap, or None when a tier table pays nothing."""
        out = self.out
        assert f.expr is not None and f.base is not None
        out(f"value = {self.expr(f.expr)}")
        if f.kind == "rate":
            assert f.rate is not None and f.rate_text is not None
            rate = self.k.decimal(f.rate, f.rate_text)
            out(f"raw = {rate} * value")
            out("if steps is not None:")
            with out.indent():
                out(f"steps.append(Step({rule}, 'base', {{'shown': {self.shown(f.base)}, "
                    f"'label': {self.k.label(f.base.label)}}}, value=value))")
                out(f"steps.append(Step({rule}, 'rate', {{'rate': {f.rate_text!r}, 'fraction': {rate}, 'base': value, "
                    "'by': by}, value=raw))")
            return
        if f.kind == "expr":
            out("raw = value")
            out("if steps is not None:")
            with out.indent():
                out(f"steps.append(Step({rule}, 'formula', {{'shown': {self.named(f, rule)}}}, value=value))")
            return
        if f.kind == "brackets":
            self.brackets(f, rule)
            return
        if f.kind == "category":
            self.category(f, rule)
            return
        tiers = list(f.tiers)
        if f.kind == "thresholds":  # the highest threshold reached wins: test from the top down
            tiers.sort(key=lambda t: lower_key(t.interval), reverse=True)
        # Flat ifs, each guarded by "no tier yet", not an elif chain: the first tier that holds is
        # taken as before, and a table of thousands of tiers still compiles.
        # a ratio looked up reads with its figures (R&D 400,000 ÷ revenue 10,000,000 = 4%)
        ratio = f", 'shown': {self.shown(f.base)}" if f.base.ratios else ""
        out("tier = 0")
        for i, t in enumerate(tiers):
            iv = t.interval
            guard = "tier == 0 and " if i else ""
            out(f"if {guard}value in {self.k.interval(iv)}:  # {t.text!r}")
            with out.indent():
                out(f"tier = {t.index}")
                out(f"raw = {self.expr(t.amount)}")
                out("if steps is not None:")
                with out.indent():
                    out(f"steps.append(Step({rule}, 'tier', {{'mode': {f.kind!r}, "
                        f"'label': {self.k.label(f.base.label)}, 'value': value, 'interval': {self.k.interval(iv)}, "
                        f"'words': {t.text!r}, 'index': {t.index}, 'amount': raw{ratio}}}, value=raw, "
                        f"tier={t.index}, interval={str(iv)!r}))")
                    if t.reading is not None:
                        out(f"steps.append(Step({rule}, 'tier_amount', {{'index': {t.index}, "
                            f"'shown': {self.shown(t.reading)}}}, value=raw))")
        lowest = min((t.interval for t in f.tiers), key=lambda iv: iv.lower or 0)
        out("if tier == 0:")
        with out.indent():
            out("raw = None")
            out("if steps is not None:")
            with out.indent():
                out(f"steps.append(Step({rule}, 'tier_none', {{'mode': {f.kind!r}, "
                    f"'label': {self.k.label(f.base.label)}, 'value': value, 'lowest': {self.k.interval(lowest)}"
                    f"{ratio}}}, value=value))")

    def category(self, f: Formula, rule: str) -> None:
        """An amount chosen by a category: the row of the value, or None (nothing paid) when unlisted."""
        out = self.out
        assert f.base is not None
        label = self.k.label(f.base.label)
        out("raw = None")
        for row_value, row_label, amount in f.rows:
            out(f"if value == {row_value!r}:")
            with out.indent():
                out(f"raw = {self.expr(amount)}")
                self.step(rule, "category", f"{{'label': {label}, 'value': {self.k.label(row_label)}, "
                                            f"'key': {row_value!r}, 'amount': raw}}", ", value=raw")
        listed = Label("、".join(r[1].zh for r in f.rows), ", ".join(r[1].en for r in f.rows))
        spec = self.plan.inputs.get(f.expr.name) if isinstance(f.expr, ir.Input) else None
        names = self.k.add("C", self.k.choices(spec.value_labels if spec else {}))
        out("if raw is None:")
        with out.indent():
            self.step(rule, "category_none", f"{{'label': {label}, 'value': {names}.get(value, value), "
                                             f"'listed': {self.k.label(listed)}}}")

    def brackets(self, f: Formula, rule: str) -> None:
        """Progressive brackets: each row's rate on the part of the value inside it, summed (``raw``)."""
        out = self.out
        assert f.base is not None
        out("raw = ZERO")
        for t in sorted(f.tiers, key=lambda t: lower_key(t.interval)):
            iv = t.interval
            out(f"part = part_in(value, {self.k.interval(iv)})  # {t.text!r}")
            out("if part > 0:")
            with out.indent():
                out(f"rate = {self.expr(t.amount)}")
                out("raw += part * rate")
                self.step(rule, "bracket", f"{{'label': {self.k.label(f.base.label)}, 'value': value, "
                                           f"'interval': {self.k.interval(iv)}, 'words': {t.text!r}, 'part': part, "
                                           f"'rate': {_rate_text(t.amount)}, 'amount': part * rate}}",
                          ", value=part * rate")
        out("if steps is not None:")
        with out.indent():
            out(f"bracket_sum({rule}, steps, raw)")

    # ------------------------------------------------------------------ rules

    def rule_functions(self) -> None:
        """One function per figure the rules declare, by position: keys stay out of the source."""
        out = self.out
        for i, (_, cond) in enumerate(self.plan.figures):
            out(f"def figure_{i}(a):\n    return {self.expr(cond.expr)}")
            out()


def _rate_text(e: ir.Expr) -> str:
    """A bracket's rate as the explanation shows it: as written (10%), or computed as a percentage."""
    return repr(e.text) if isinstance(e, ir.Const) and e.unit == "percent" else "percent_text(rate)"


def generate(plan: Plan) -> str:
    """The Python source of a plan's evaluator (``jinjiang-dsl compile --emit python``)."""
    return CodeGenerator(plan).module()
