"""What would change an amount: computed from the policy and the trace, never written by hand.

- a tier table: the value needed to reach the next tier, and what that tier pays;
- a capped rate: the base from which the cap binds;
- R2: the contribution to municipal finances that would lift the pro-rata reduction.

Each suggestion names the input to change (when one input decides) and the value, so it
can be checked by evaluating again with that value — the tests do exactly that.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from .. import ast
from ..decisions import ApplicantDecision, Award
from ..inputs import Applicant
from ..plan import Formula, Plan
from ..runtime.intervals import from_ast, lower_key
from ..runtime.trace import Label, Step

CENT = Decimal("0.01")


@attrs.frozen(slots=True)
class Change:
    """One suggestion. ``field``/``value``: the input to set (None when a derived base decides)."""

    kind: str  # next_tier | cap_binds | cap_bound | lift_r2
    project: str | None
    measure: str | None
    field: str | None
    value: Any
    expect: Decimal  # what the measure's entitlement (or, for R2, the project's amount) would then be
    params: dict[str, Any]

    def step(self) -> Step:
        return Step(self.measure or "R2", f"change.{self.kind}", self.params, value=self.value)


def _input_of(plan: Plan, e: ast.Expr | None) -> str | None:
    return e.ident if isinstance(e, ast.Name) and e.ident in plan.inputs else None


def _smallest_above(value: Decimal, kind: str) -> Any:
    return value + 1 if kind == "count" else value + CENT


def next_tier(plan: Plan, project: str, award: Award) -> Change | None:
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
    for tier in sorted(f.tiers, key=lambda t: lower_key(from_ast(t.interval))):
        iv = from_ast(tier.interval)
        if iv.lower is None or not isinstance(tier.amount, ast.Quantity) or tier.amount.value <= current:
            continue
        needed = iv.lower if iv.lower_inclusive else _smallest_above(iv.lower, kind)
        if needed <= value:
            continue
        if kind == "count":
            needed = int(needed)
        return Change("next_tier", project, m.id, field, needed, tier.amount.value, {
            "label": f.base.label if f.base else Label(field or "", field or ""), "needed": needed,
            "interval": str(iv), "index": tier.index, "pays": tier.amount.value})
    return None


def cap(plan: Plan, project: str, award: Award) -> Change | None:
    rate_step = next((s for s in award.trace if s.kind == "rate"), None)
    cap_step = next((s for s in award.trace if s.kind == "cap"), None)
    if rate_step is None or cap_step is None:
        return None
    rate = Decimal(str(rate_step.params["rate"]).rstrip("%")) / 100
    limit = cap_step.params["cap"]
    if rate <= 0:
        return None
    base = (limit / rate).quantize(CENT)
    while base * rate < limit:  # the smallest base, to the fen, that reaches the cap
        base += CENT
    m = plan.measure(award.measure)
    field = _input_of(plan, m.formula.expr)
    kind = "cap_bound" if cap_step.params["bound"] else "cap_binds"
    return Change(kind, project, m.id, field, base, limit, {
        "base": base, "rate": rate_step.params["rate"], "cap": limit,
        "label": m.formula.base.label if m.formula.base else Label("", "")})


def lift_r2(app: Applicant, decision: ApplicantDecision) -> list[Change]:
    found: dict[str, Change] = {}
    for p in decision.projects:
        for award in p.awards:
            step = next((s for s in award.trace
                         if s.kind == "r2" and s.params.get("variant") in ("reduced", "reduced_in_order")), None)
            if step is None or step.params["year"] in found:
                continue
            other = app.facts.get("other_municipal_subsidies") or Decimal(0)
            needed = step.params["total"] + other
            found[step.params["year"]] = Change("lift_r2", None, None, "fiscal_contribution", needed,
                                                step.params["total"], {"needed": needed, "year": step.params["year"],
                                                                       "total": step.params["total"]})
    return list(found.values())


def changes(plan: Plan, app: Applicant, decision: ApplicantDecision) -> dict[tuple[str | None, str | None], list[Change]]:
    """Suggestions by (project, measure); R2's are under (None, None)."""
    out: dict[tuple[str | None, str | None], list[Change]] = {}
    for p in decision.projects:
        for award in p.awards:
            if award.status in ("referred", "out_of_period"):
                continue
            for c in (next_tier(plan, p.id, award), cap(plan, p.id, award)):
                if c is not None:
                    out.setdefault((p.id, award.measure), []).append(c)
    for c in lift_r2(app, decision):
        out.setdefault((None, None), []).append(c)
    return out
