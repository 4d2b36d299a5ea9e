"""Boundary coverage: which edges of the policy its examples exercise, and which they do not.

For every tier boundary: a value just below it, at it, and above it. For every cap: bound and
not bound. For every requirement, beneficiary test and rate override: true and false. For the
rules across measures: each way they can act. The trace of each example's decision says what
happened, so coverage is read from it — no instrumentation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from . import ir
from .decisions import ApplicantDecision
from .inputs import Applicant
from .interpret import Interpreter
from .ir import Measure
from .plan import Plan
from .rules import Rule
from .runtime.intervals import percent_text
from .runtime.money import fmt_compact
from .runtime.outcome import Missing, Undefined

Facts = dict[str, Any]


def _figure(e: ir.Expr) -> bool:
    """A literal figure or day (a bound), not a value of a closed set."""
    return isinstance(e, ir.Const) and e.unit not in ("bool", "word")


def _show(bound: Any, percent: bool) -> str:
    if isinstance(bound, dt.date):
        return bound.isoformat()
    return percent_text(bound) if percent else fmt_compact(bound)

# the cases, and the rules' own items, as a Chinese report words them (``jinjiang-dsl test --lang zh``)
CASES_ZH = {"true": "是", "false": "否", "below": "低于", "at": "等于", "above": "高于", "bound": "封顶",
            "not bound": "未封顶", "within": "未超过", "reduced": "核减", "not applicable": "不适用",
            "holds it": "享有", "another claim holds it": "由其他申领享有", "one winner": "一项胜出", "tie": "并列",
            "other policy higher": "其他政策更高", "other policy lower": "其他政策更低", "in force": "施行期内",
            "by reference": "参照执行", "out of period": "不在期限内", "unlisted": "未列出的值"}
RULES_ZH = {"highest, not stacked": "取最高的一项,不叠加", "limit across measures": "跨措施限额",
            "once per applicant per year": "每个申请人每年一次", "once per applicant": "每个申请人限一次",
            "validity": "施行期限"}


def case_word(case: str, lang: str) -> str:
    """A case as ``test --coverage`` shows it (a category's own value stays as written)."""
    return CASES_ZH.get(case, case) if lang == "zh" else case


@attrs.define
class Item:
    """One thing to cover and the cases it has: e.g. boundary 50万 of 2.2 → below, at, above."""

    where: str  # a measure's clause ("2.2 二(二)") or a rule's id
    what: str  # "boundary 50万"
    wanted: tuple[str, ...]
    seen: set[str] = attrs.field(factory=set)
    zh: str = ""  # what, in Chinese

    def named(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else self.what

    @property
    def missing(self) -> list[str]:
        return [w for w in self.wanted if w not in self.seen]


class Coverage:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.interpreter = Interpreter(plan)
        self._edges: dict[str, list[tuple[str, str, ir.Expr, Any]]] = {}
        self.items: dict[tuple[str, str], Item] = {}
        for m in plan.measures:
            for cond in (*((m.beneficiary,) if m.beneficiary else ()), *m.requirements):
                kind = "beneficiary" if cond is m.beneficiary else "requirement"
                self.add(m.rule, f"{kind}: {cond.label.en}", ("true", "false"),
                         f"{'受益对象' if cond is m.beneficiary else '条件'}:{cond.label.zh}")
            for o in m.overrides:
                self.add(m.rule, f"override: {o.condition.label.en}", ("true", "false"),
                         f"另行规定:{o.condition.label.zh}")
            for cap_text in dict.fromkeys(t for t in (m.cap_text, *(o.cap_text for o in m.overrides)) if t):  # in order
                self.add(m.rule, f"cap {cap_text}", ("bound", "not bound"), f"上限 {cap_text}")
            for _, text in self.boundaries(m.id):
                self.add(m.rule, f"boundary {text}", ("below", "at", "above"), f"边界 {text}")
            for what, zh, operand, bound in self.condition_edges(m):
                never_below = bound == 0 and isinstance(operand, ir.Input) and \
                    plan.inputs[operand.name].kind in ("money", "count", "percent")  # never negative: an error
                self.add(m.rule, what, ("at", "above") if never_below else ("below", "at", "above"), zh)
            if m.formula.kind == "category":
                self.add(m.rule, "category", (*(row[0] for row in m.formula.rows), "unlisted"), "类别")
        self.rules: dict[str, list[Rule]] = {}
        for r in plan.rules:
            self.rules.setdefault(r.id, []).append(r)
            for what, cases in r.coverage():
                cap = what.removeprefix("annual cap ")
                self.add(r.id, what, cases, RULES_ZH.get(what, f"年度上限 {cap}" if cap != what else what))

    def add(self, where: str, what: str, wanted: tuple[str, ...], zh: str = "") -> None:
        self.items[(where, what)] = Item(where, what, wanted, zh=zh)

    def boundaries(self, mid: str) -> list[tuple[Decimal, str]]:
        """The figures a measure's tiers change at, each as the tiers read it (50万, or 3% in a ratio's bands)."""
        f = self.plan.measure(mid).formula
        found: dict[Decimal, str] = {}
        for t in f.tiers:
            iv = t.interval
            found.update((b, _show(b, iv.percent)) for b in (iv.lower, iv.upper) if b is not None)
        if f.kind == "brackets":
            found.pop(Decimal(0), None)  # where the first bracket starts: nothing lies below it
        return sorted(found.items())

    def condition_edges(self, m: Measure) -> list[tuple[str, str, ir.Expr, Any]]:
        """Each figure a condition of the measure compares with (``x in 2000万以上``, ``share >= 50%``,
        ``d in 2025年6月30日前(含)``, definitions included): what coverage calls it (in English and in
        Chinese), the expression compared, the bound (a value, or the expression on the other side)."""
        cached = self._edges.get(m.id)
        if cached is not None:
            return cached
        found: dict[str, tuple[str, str, ir.Expr, Any]] = {}
        conds = [*((m.beneficiary,) if m.beneficiary else ()), *m.requirements, *(o.condition for o in m.overrides)]
        for cond in conds:
            stack: list[ir.Expr] = [cond.expr]
            while stack:
                e = stack.pop()
                bounds: list[tuple[ir.Expr, Any, str]] = []
                if isinstance(e, ir.Within):
                    iv = e.interval
                    bounds = [(e.operand, b, _show(b, iv.percent)) for b in (iv.lower, iv.upper) if b is not None]
                elif isinstance(e, ir.Compare) and e.op not in ("==", "!="):
                    left, right = e.left, e.right
                    if isinstance(right, ir.Const) and _figure(right) and not _figure(left):
                        bounds.append((left, right.value, _show(right.value, right.unit == "percent")))
                    elif isinstance(left, ir.Const) and _figure(left) and not _figure(right):
                        bounds.append((right, left.value, _show(left.value, left.unit == "percent")))
                    elif not _figure(left):  # two figures of the facts: the edge is where they meet
                        bounds.append((left, right, "where both sides meet"))
                for operand, bound, text in bounds:
                    figure = isinstance(bound, (Decimal, dt.date))
                    what = f"boundary {text} in: {cond.label.en}" if figure else f"{text} in: {cond.label.en}"
                    zh = f"{cond.label.zh} 中的边界 {text}" if figure else f"{cond.label.zh} 中两边相等处"
                    found.setdefault(what, (what, zh, operand, bound))
                stack.extend(ir.children(e))
        self._edges[m.id] = list(found.values())
        return self._edges[m.id]

    def see_conditions(self, m: Measure, a: Facts, p: Facts) -> None:
        """Where each compared figure stood against its bound, computed again from the example's facts."""
        for what, _, operand, bound in self.condition_edges(m):
            try:
                value = self.interpreter.ev(operand, a, p)
                if not isinstance(bound, (Decimal, dt.date)):  # where two figures of the facts meet
                    bound = self.interpreter.ev(bound, a, p)
            except (Missing, Undefined, ArithmeticError, TypeError):
                continue  # not provided, or a zero divisor: the requirement step says so
            if value is not None and bound is not None:
                self.see(m.rule, what, "below" if value < bound else "at" if value == bound else "above")

    def see(self, where: str, what: str, case: str) -> None:
        item = self.items.get((where, what))
        if item is not None:
            item.seen.add(case)

    def record(self, decision: ApplicantDecision, app: Applicant | None = None) -> None:
        projects = {p.id: p.facts for p in app.projects} if app is not None else {}
        for p in decision.groups():
            for a in p.awards:
                m = self.plan.measure(a.measure)
                if app is not None and a.status != "out_of_period":
                    facts = projects.get(p.id) if p.id is not None else {
                        s.params["name"]: s.params["total"] for s in a.trace if s.kind == "year_sum"}
                    self.see_conditions(m, app.facts, facts or {})
                for s in a.trace:
                    k, prm = s.kind, s.params
                    if k in ("beneficiary", "requirement"):
                        if prm.get("zero"):
                            continue  # divides by zero: decided neither way
                        self.see(m.rule, f"{k}: {prm['label'].en}", "true" if prm["ok"] else "false")
                    elif k == "override":
                        self.see(m.rule, f"override: {prm['label'].en}", "true" if prm["applies"] else "false")
                    elif k == "cap" and prm.get("cap_text"):
                        self.see(m.rule, f"cap {prm['cap_text']}", "bound" if prm["bound"] else "not bound")
                    elif k == "category":
                        self.see(m.rule, "category", prm["key"])
                    elif k == "category_none":
                        self.see(m.rule, "category", "unlisted")
                    elif k in ("tier", "tier_none", "bracket"):
                        value = Decimal(prm["value"])
                        for b, text in self.boundaries(m.id):
                            case = "below" if value < b else "at" if value == b else "above"
                            self.see(m.rule, f"boundary {text}", case)
                    for rule in self.rules.get(s.rule, ()):
                        seen = rule.covered(s)
                        if seen is not None:
                            self.see(rule.id, *seen)

    def record_all(self, runs: Iterable[tuple[ApplicantDecision | None, Applicant | None]]) -> Coverage:
        """Each decision with the applicant it decided (the facts show where compared figures stood)."""
        for d, app in runs:
            if d is not None:
                self.record(d, app)
        return self

    @property
    def complete(self) -> bool:
        return all(not i.missing for i in self.items.values())

    def uncovered(self) -> list[Item]:
        return [i for i in self.items.values() if i.missing]
