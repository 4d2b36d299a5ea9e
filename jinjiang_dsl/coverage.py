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

@attrs.define
class Item:
    """One thing to cover and the cases it has: e.g. boundary 50万 of 2.2 → below, at, above."""

    where: str  # a measure's clause ("2.2 二(二)") or a rule's id
    what: str  # "boundary 50万"
    wanted: tuple[str, ...]
    seen: set[str] = attrs.field(factory=set)

    @property
    def missing(self) -> list[str]:
        return [w for w in self.wanted if w not in self.seen]


class Coverage:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.interpreter = Interpreter(plan)
        self._edges: dict[str, list[tuple[str, ir.Expr, Any]]] = {}
        self.items: dict[tuple[str, str], Item] = {}
        for m in plan.measures:
            for cond in (*((m.beneficiary,) if m.beneficiary else ()), *m.requirements):
                kind = "beneficiary" if cond is m.beneficiary else "requirement"
                self.add(m.rule, f"{kind}: {cond.label.en}", ("true", "false"))
            for o in m.overrides:
                self.add(m.rule, f"override: {o.condition.label.en}", ("true", "false"))
            for cap_text in dict.fromkeys(t for t in (m.cap_text, *(o.cap_text for o in m.overrides)) if t):  # in order
                self.add(m.rule, f"cap {cap_text}", ("bound", "not bound"))
            for b in self.boundaries(m.id):
                self.add(m.rule, f"boundary {fmt_compact(b)}", ("below", "at", "above"))
            for what, operand, bound in self.condition_edges(m):
                never_below = bound == 0 and isinstance(operand, ir.Input) and \
                    plan.inputs[operand.name].kind in ("money", "count", "percent")  # never negative: an error
                self.add(m.rule, what, ("at", "above") if never_below else ("below", "at", "above"))
            if m.formula.kind == "category":
                self.add(m.rule, "category", (*(row[0] for row in m.formula.rows), "unlisted"))
        self.rules: dict[str, list[Rule]] = {}
        for r in plan.rules:
            self.rules.setdefault(r.id, []).append(r)
            for what, cases in r.coverage():
                self.add(r.id, what, cases)

    def add(self, where: str, what: str, wanted: tuple[str, ...]) -> None:
        self.items[(where, what)] = Item(where, what, wanted)

    def boundaries(self, mid: str) -> list[Decimal]:
        f = self.plan.measure(mid).formula
        found: set[Decimal] = set()
        for t in f.tiers:
            iv = t.interval
            found.update(b for b in (iv.lower, iv.upper) if b is not None)
        if f.kind == "brackets":
            found.discard(Decimal(0))  # where the first bracket starts: nothing lies below it
        return sorted(found)

    def condition_edges(self, m: Measure) -> list[tuple[str, ir.Expr, Any]]:
        """Each figure a condition of the measure compares with (``x in 2000万以上``, ``share >= 50%``,
        ``d in 2025年6月30日前(含)``, definitions included): what coverage calls it, the expression
        compared, the bound (a value, or the expression on the other side)."""
        cached = self._edges.get(m.id)
        if cached is not None:
            return cached
        found: dict[str, tuple[str, ir.Expr, Any]] = {}
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
                    what = f"boundary {text} in: {cond.label.en}" if isinstance(bound, (Decimal, dt.date)) else \
                        f"{text} in: {cond.label.en}"
                    found.setdefault(what, (what, operand, bound))
                stack.extend(ir.children(e))
        self._edges[m.id] = list(found.values())
        return self._edges[m.id]

    def see_conditions(self, m: Measure, a: Facts, p: Facts) -> None:
        """Where each compared figure stood against its bound, computed again from the example's facts."""
        for what, operand, bound in self.condition_edges(m):
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
                        for b in self.boundaries(m.id):
                            case = "below" if value < b else "at" if value == b else "above"
                            self.see(m.rule, f"boundary {fmt_compact(b)}", case)
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
