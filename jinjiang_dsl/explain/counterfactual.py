"""What would change an amount: computed from the policy and the trace, never written by hand.

- a tier table: the value needed to reach the next tier, and what that tier pays;
- a capped rate: the base from which the cap binds;
- each rule of the plan: its own (a limit across measures: the value of an input of the limit
  that lifts the reduction).

Each suggestion names the input to change (when one input decides) and the value, so it
can be checked by evaluating again with that value — the tests do exactly that.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import ir
from ..decide import Decider, exact
from ..decisions import ApplicantDecision, Award
from ..inputs import Applicant
from ..ir import Formula
from ..plan import Plan
from ..rules import Change
from ..runtime.intervals import lower_key
from ..runtime.trace import Label

CENT = Decimal("0.01")


def _input_of(plan: Plan, e: ir.Expr | None) -> str | None:
    return e.name if isinstance(e, ir.Input) else None


def _smallest_above(value: Decimal, kind: str) -> Any:
    return value + 1 if kind == "count" else value + CENT


def next_tier(plan: Plan, project: str | None, award: Award) -> Change | None:
    m = plan.measure(award.measure)
    f: Formula = m.formula
    if f.kind not in ("bands", "thresholds"):
        return None
    step = next((s for s in award.trace if s.kind in ("tier", "tier_none")), None)
    if step is None:
        return None
    value = step.params["value"]
    current = step.params.get("amount", Decimal(0)) if step.kind == "tier" else Decimal(0)
    field = _input_of(plan, f.expr)
    kind = plan.inputs[field].kind if field else "money"
    for tier in sorted(f.tiers, key=lambda t: lower_key(t.interval)):
        iv = tier.interval
        pays = tier.amount.value if isinstance(tier.amount, ir.Const) else None
        if iv.lower is None or not isinstance(pays, Decimal) or pays <= current:
            continue
        needed = iv.lower if iv.lower_inclusive else _smallest_above(iv.lower, kind)
        if needed <= value:
            continue
        if kind == "count":
            needed = int(needed)
        return Change("next_tier", m.rule, project, m.id, field, needed, pays, {
            "label": f.base.label if f.base else Label(field or "", field or ""), "needed": needed,
            "interval": iv, "index": tier.index, "pays": pays})
    return None


def cap(plan: Plan, project: str | None, award: Award) -> Change | None:
    rate_step = next((s for s in award.trace if s.kind == "rate"), None)
    cap_step = next((s for s in award.trace if s.kind == "cap"), None)
    if rate_step is None or cap_step is None:
        return None
    rate = rate_step.params["fraction"]  # the rate as the policy states it, never read back from text
    limit = cap_step.params["cap"]
    if rate <= 0:
        return None
    base = (limit / rate).quantize(CENT)
    while base * rate < limit:  # the smallest base, to the fen, that reaches the cap
        base += CENT
    m = plan.measure(award.measure)
    field = _input_of(plan, m.formula.expr)
    kind = "cap_bound" if cap_step.params["bound"] else "cap_binds"
    return Change(kind, m.rule, project, m.id, field, base, limit, {
        "base": base, "rate": rate_step.params["rate"], "cap": limit,
        "label": m.formula.base.label if m.formula.base else Label("", "")})


def changes(decider: Decider, app: Applicant, decision: ApplicantDecision
            ) -> dict[tuple[str | None, str | None], list[Change]]:
    """Suggestions by (project, measure); the rules' are under (None, None)."""
    plan = decider.plan
    out: dict[tuple[str | None, str | None], list[Change]] = {}
    for p in decision.groups():
        for award in p.awards:
            if award.status in ("referred", "out_of_period"):
                continue
            for c in (next_tier(plan, p.id, award), cap(plan, p.id, award)):
                if c is not None:
                    out.setdefault((p.id, award.measure), []).append(c)
    ev = decider.evaluation(app)
    with exact():
        for rule in plan.rules:
            for c in rule.changes(ev, decision):
                out.setdefault((None, None), []).append(c)
    return out
