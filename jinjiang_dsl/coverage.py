"""Boundary coverage: which edges of the policy its examples exercise, and which they do not.

For every tier boundary: a value just below it, at it, and above it. For every cap: bound and
not bound. For every requirement, beneficiary test and rate override: true and false. For the
rules across measures: each way they can act. The trace of each example's decision says what
happened, so coverage is read from it — no instrumentation.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs

from .decisions import ApplicantDecision
from .plan import Plan
from .rules import Rule
from .runtime.intervals import from_ast
from .runtime.money import fmt_compact

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
        self.items: dict[tuple[str, str], Item] = {}
        for m in plan.measures:
            for cond in (*((m.beneficiary,) if m.beneficiary else ()), *m.requirements):
                kind = "beneficiary" if cond is m.beneficiary else "requirement"
                self.add(m.rule, f"{kind}: {cond.label.en}", ("true", "false"))
            for o in m.overrides:
                self.add(m.rule, f"override: {o.condition.label.en}", ("true", "false"))
            for cap_text in {t for t in (m.cap_text, *(o.cap_text for o in m.overrides)) if t}:
                self.add(m.rule, f"cap {cap_text}", ("bound", "not bound"))
            for b in self.boundaries(m.id):
                self.add(m.rule, f"boundary {fmt_compact(b)}", ("below", "at", "above"))
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
            iv = from_ast(t.interval)
            found.update(b for b in (iv.lower, iv.upper) if b is not None)
        return sorted(found)

    def see(self, where: str, what: str, case: str) -> None:
        item = self.items.get((where, what))
        if item is not None:
            item.seen.add(case)

    def record(self, decision: ApplicantDecision) -> None:
        for p in decision.groups():
            for a in p.awards:
                m = self.plan.measure(a.measure)
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

    def record_all(self, decisions: Iterable[ApplicantDecision | None]) -> Coverage:
        for d in decisions:
            if d is not None:
                self.record(d)
        return self

    @property
    def complete(self) -> bool:
        return all(not i.missing for i in self.items.values())

    def uncovered(self) -> list[Item]:
        return [i for i in self.items.values() if i.missing]
