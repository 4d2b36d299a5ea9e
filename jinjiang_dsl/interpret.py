"""The tree-walking interpreter: evaluates the plan directly, node by node.

It is the reference the compiled evaluator is tested against (they must agree on
every input, amounts, statuses and trace steps), and it is short enough to read
against the language reference.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import ir
from .decide import Backend
from .ir import Cond, Formula, Measure
from .plan import Plan
from .runtime.intervals import lower_key, part_in, percent_text
from .runtime.money import round_to
from .runtime.outcome import MeasureResult, Missing, Undefined
from .runtime.trace import Label, Ratio, Shown, Step, bracket_sum, cross_check, joined

Facts = dict[str, Any]


class Interpreter:
    """Evaluates measures and rule expressions of one plan."""

    def __init__(self, plan: Plan):
        self.plan = plan

    # ------------------------------------------------------------------ expressions

    def ev(self, e: ir.Expr, a: Facts, p: Facts) -> Any:
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.Input):
            facts = a if e.scope == "applicant" else p
            if e.name in facts:
                return facts[e.name]
            raise Missing(e.name)
        if isinstance(e, ir.Arith):
            x, y = self.ev(e.left, a, p), self.ev(e.right, a, p)
            if e.op == "+":
                return x + y
            if e.op == "-":
                return x - y
            if e.op == "*":
                return x * y
            if y == 0:
                raise Undefined(e.divisor)
            return Decimal(x) / y
        if isinstance(e, ir.Share):
            return e.rate * self.ev(e.base, a, p)
        if isinstance(e, ir.Compare):
            return COMPARE[e.op](self.ev(e.left, a, p), self.ev(e.right, a, p))
        if isinstance(e, ir.Logic):
            # A zero divisor on one side does not matter when the other side decides: `x or y` holds
            # when y does, `x and y` fails when y does (clause-shapes.md, S3); else it is raised.
            decides = e.op == "or"
            try:
                left = bool(self.ev(e.left, a, p))
            except Undefined:
                if bool(self.ev(e.right, a, p)) == decides:
                    return decides
                raise
            if left == decides:
                return decides
            return bool(self.ev(e.right, a, p))
        if isinstance(e, ir.YearOf):
            return self.ev(e.operand, a, p).year
        if isinstance(e, ir.YearSum):  # the decider gives a year's claim the sums as its facts
            return self.ev(e.input, a, p)
        if isinstance(e, ir.Not):
            return not self.ev(e.operand, a, p)
        if isinstance(e, ir.Member):
            inside = self.ev(e.operand, a, p) in e.values
            return not inside if e.negated else inside
        return self.ev(e.operand, a, p) in e.interval

    def shown(self, cond: Cond, a: Facts, p: Facts, holds: bool = True) -> Shown:
        """The condition's reading with the figures filled in (None where not provided), worded as what is
        the case: its failed reading when it does not hold."""
        values = tuple((a if self.plan.inputs[n].scope == "applicant" else p).get(n) for n in cond.inputs)
        values += tuple(self.ratio(e, bounds, a, p) for e, bounds in cond.ratios)
        template = cond.shown.template if holds or cond.failed is None else cond.failed
        return Shown(template, cond.shown.names, values, cond.shown.choices)

    def ratio(self, e: ir.Expr, bounds: tuple[Decimal, ...], a: Facts, p: Facts) -> Ratio:
        """A ratio's figure for its reading; none where a fact is missing or the divisor is 0."""
        try:
            return Ratio.of(self.ev(e, a, p), bounds)
        except (Missing, Undefined):
            return Ratio.of(None, bounds)

    def named(self, rule: str, f: Formula, a: Facts, p: Facts, steps: list[Step]) -> Shown:
        """An amount's reading with its figures, each definition it names by its label and figure, the
        definition's own working out written first."""
        assert f.base is not None
        if f.named is None:
            return self.shown(f.base, a, p)
        worth = {}
        for name, cond in f.defined:
            worth[name] = self.ev(cond.expr, a, p)
            steps.append(Step(rule, "defined", {"shown": self.shown(cond, a, p), "label": cond.label},
                              value=worth[name]))
        values = tuple(worth[n] if n in worth else (a if self.plan.inputs[n].scope == "applicant" else p).get(n)
                       for n in f.named_keys)
        return Shown(f.named.template, f.named.names, values, f.named.choices)

    def holds(self, cond: Cond, a: Facts, p: Facts) -> tuple[bool, str | None]:
        """Whether a condition holds, and the first fact it needed that was missing."""
        try:
            return bool(self.ev(cond.expr, a, p)), None
        except Missing as exc:
            return False, exc.name

    # ------------------------------------------------------------------ one measure

    def measure(self, m: Measure) -> Callable[[Facts, Facts, list[Step] | None], MeasureResult]:
        def run(a: Facts, p: Facts, steps: list[Step] | None) -> MeasureResult:
            return self.run_measure(m, a, p, steps)

        return run

    def run_measure(self, m: Measure, a: Facts, p: Facts, steps: list[Step] | None) -> MeasureResult:
        rule = m.rule
        eligible = True
        checks = ([("beneficiary", m.beneficiary)] if m.beneficiary else []) + [
            ("requirement", r) for r in m.requirements
        ]
        undecided: Undefined | None = None  # the first condition that divides by zero
        for kind, cond in checks:
            try:
                ok, missing = self.holds(cond, a, p)
            except Undefined as exc:
                undecided = undecided or exc
                if steps is not None:
                    steps.append(Step(rule, kind, {
                        "ok": False, "label": cond.label, "shown": self.shown(cond, a, p), "missing": None,
                        "zero": joined([self.plan.inputs[n].label for n in exc.names])}))
                continue
            eligible = eligible and ok
            if steps is not None:
                steps.append(Step(rule, kind, {
                    "ok": ok,
                    "label": cond.label,
                    "shown": self.shown(cond, a, p, ok),
                    "missing": self.plan.inputs[missing].label if missing else None,
                }))
        # The conditions are one 'and': a zero divisor decides nothing when another condition fails.
        if undecided is not None and eligible:
            raise undecided
        if not eligible:
            return MeasureResult("not_eligible", None)
        if m.formula.kind == "referred":
            if steps is not None:
                steps.append(Step(rule, "referred", {"reason": m.formula.reason}))
            return MeasureResult("referred", None)

        formula, cap, cap_text, by = m.formula, m.cap, m.cap_text, None
        for o in m.overrides:
            applies, _ = self.holds(o.condition, a, p)
            if steps is not None:
                steps.append(Step(rule, "override", {
                    "applies": applies,
                    "label": o.condition.label,
                    "shown": self.shown(o.condition, a, p, applies),
                }))
            if applies:
                by = o.condition.label
                if o.formula.kind == "rate" and o.formula.expr is None:
                    formula = Formula(kind="rate", expr=formula.expr, rate=o.formula.rate,
                                      rate_text=o.formula.rate_text, base=formula.base)
                else:
                    formula = o.formula
                if o.cap is not None:
                    cap, cap_text = o.cap, o.cap_text
                break
        try:
            limit = self.ev(cap, a, p) if cap is not None else None
            raw = self.compute(m, formula, by, a, p, steps)
            if raw is None:
                return MeasureResult("not_eligible", Decimal(0))
            amount = raw
            if limit is not None:
                amount = min(raw, limit)
                if steps is not None:
                    steps.append(Step(rule, "cap", {"bound": raw > limit, "before": raw, "cap": limit,
                                                    "cap_text": cap_text, "per_project": m.level == "project"},
                                      value=amount, limit=limit))
        except Missing as exc:
            if steps is not None:
                steps.append(Step(rule, "missing", {"name": self.plan.inputs[exc.name].label}))
            return MeasureResult("not_eligible", None)
        entitlement = round_to(amount, self.plan.rounding_unit, self.plan.rounding_mode)
        if steps is not None:
            steps.append(Step(rule, "round", {"before": amount, "after": entitlement,
                                              "unit": self.plan.rounding_unit, "mode": self.plan.rounding_mode},
                              value=entitlement))
        warnings = tuple(self.cross_checks(m, raw, a, p))
        if entitlement <= 0:
            if steps is not None:
                steps.append(Step(rule, "zero", {"amount": entitlement}))
            return MeasureResult("not_eligible", Decimal(0), warnings)
        if steps is not None:
            if m.earmark:
                steps.append(Step(rule, "earmark", {"text": m.earmark}))
            steps.append(Step(rule, "entitlement", {"value": entitlement}, value=entitlement))
        return MeasureResult("eligible", entitlement, warnings)

    def compute(self, m: Measure, f: Formula, by: Any, a: Facts, p: Facts, steps: list[Step] | None) -> Decimal | None:
        """The amount before the cap; None when a tier table pays nothing for the value."""
        rule = m.rule
        assert f.expr is not None and f.base is not None
        value = self.ev(f.expr, a, p)
        if f.kind == "rate":
            assert f.rate is not None
            result: Decimal = f.rate * value
            if steps is not None:
                steps.append(Step(rule, "base", {"shown": self.shown(f.base, a, p),
                                                 "label": f.base.label}, value=value))
                steps.append(Step(rule, "rate", {"rate": f.rate_text, "fraction": f.rate, "base": value, "by": by},
                                  value=result))
            return result
        if f.kind == "expr":
            if steps is not None:
                steps.append(Step(rule, "formula", {"shown": self.named(rule, f, a, p, steps)}, value=value))
            computed: Decimal = value
            return computed
        if f.kind == "category":
            for row_value, row_label, amount in f.rows:
                if value == row_value:
                    pay: Decimal = self.ev(amount, a, p)
                    if steps is not None:
                        steps.append(Step(rule, "category", {"label": f.base.label, "value": row_label,
                                                             "key": row_value, "amount": pay}, value=pay))
                    return pay
            if steps is not None:
                spec = self.plan.inputs.get(f.expr.name) if isinstance(f.expr, ir.Input) else None
                shown = spec.value_labels.get(value, value) if spec else value
                steps.append(Step(rule, "category_none", {"label": f.base.label, "value": shown,
                                                          "listed": Label("、".join(r[1].zh for r in f.rows),
                                                                          ", ".join(r[1].en for r in f.rows))}))
            return None
        if f.kind == "brackets":
            total = Decimal(0)
            for t in sorted(f.tiers, key=lambda t: lower_key(t.interval)):
                iv = t.interval
                part = part_in(value, iv)
                if part > 0:
                    rate = self.ev(t.amount, a, p)
                    total += part * rate
                    if steps is not None:
                        steps.append(Step(rule, "bracket", {"label": f.base.label, "value": value, "interval": iv,
                                                            "words": t.text, "part": part,
                                                            "rate": t.amount.text if isinstance(t.amount, ir.Const)
                                                            and t.amount.unit == "percent" else percent_text(rate),
                                                            "amount": part * rate}, value=part * rate))
            if steps is not None:
                bracket_sum(rule, steps, total)
            return total
        tier = self.pick_tier(f, value)
        # a ratio looked up reads with its figures (R&D 400,000 ÷ revenue 10,000,000 = 4%)
        ratio = {"shown": self.shown(f.base, a, p)} if steps is not None and f.base.ratios else {}
        if tier is None:
            if steps is not None:
                lowest = min((t.interval for t in f.tiers), key=lambda iv: iv.lower or 0)
                steps.append(Step(rule, "tier_none", {"mode": f.kind, "label": f.base.label, "value": value,
                                                      "lowest": lowest, **ratio}, value=value))
            return None
        paid: Decimal = self.ev(tier.amount, a, p)
        if steps is not None:
            interval = str(tier.interval)
            steps.append(Step(rule, "tier", {"mode": f.kind, "label": f.base.label, "value": value,
                                             "interval": tier.interval, "words": tier.text,
                                             "index": tier.index, "amount": paid, **ratio},
                              value=paid, tier=tier.index, interval=interval))
            if tier.reading is not None:
                steps.append(Step(rule, "tier_amount", {"index": tier.index, "shown": self.shown(tier.reading, a, p)},
                                  value=paid))
        return paid

    def pick_tier(self, f: Formula, value: Any) -> Any:
        matching = [t for t in f.tiers if value in t.interval]
        if f.kind == "bands" or not matching:
            return matching[0] if matching else None
        # thresholds: the highest one reached wins
        return max(matching, key=lambda t: (t.interval.lower, not t.interval.lower_inclusive))

    def cross_checks(self, m: Measure, raw: Decimal, a: Facts, p: Facts) -> list[Step]:
        found = []
        for c in m.cross_checks:
            try:
                other = self.ev(c.expr, a, p)
            except (Missing, Undefined):
                continue
            if other != raw:
                found.append(cross_check(m.rule, c.label, other, raw))
        return found


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda x, y: x >= y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    "<": lambda x, y: x < y,
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
}


def interpreted_backend(plan: Plan) -> Backend:
    """The interpreter as a backend for :class:`jinjiang_dsl.decide.Decider`."""
    it = Interpreter(plan)
    return Backend(
        name="interpreter",
        measures={m.id: it.measure(m) for m in plan.measures},
        figures={key: _figure(it, cond.expr) for key, cond in plan.figures},
    )


def _figure(it: Interpreter, e: ir.Expr) -> Callable[[Facts], Any]:
    """An applicant-level figure a rule declared (a limit, an annual cap)."""
    return lambda a: it.ev(e, a, {})


def assertion_checker(plan: Plan) -> Callable[[Facts, Facts], list[tuple[Label, tuple[str, ...]]]]:
    """Input assertions (``assert started <= diagnosed``): the ones a project's facts break."""
    it = Interpreter(plan)

    def failed(a: Facts, p: Facts) -> list[tuple[Label, tuple[str, ...]]]:
        out = []
        for cond in plan.assertions:
            if not all(n in (a if plan.inputs[n].scope == "applicant" else p) for n in cond.inputs):
                continue  # an assertion about facts not given says nothing
            try:
                ok = bool(it.ev(cond.expr, a, p))
            except (Missing, Undefined):
                continue  # an assertion about facts not given says nothing
            if not ok:
                out.append((cond.label, cond.inputs))
        return out

    return failed
