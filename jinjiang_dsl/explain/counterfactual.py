"""What would change an amount: computed from the policy and the trace, never written by hand.

- a tier table: the value needed to reach the next tier, and what that tier pays;
- a capped rate: the base from which the cap binds;
- each rule of the plan: its own (a limit across measures: the value of an input of the limit
  that lifts the reduction).

Each suggestion names the input to change (when one input decides) and the value, so it
can be checked by evaluating again with that value — the tests do exactly that.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import attrs

from .. import ir
from ..decide import Decider, exact
from ..decisions import ApplicantDecision, Award
from ..inputs import Applicant
from ..interpret import Interpreter
from ..ir import Formula
from ..plan import Plan
from ..rules import Change, Effect
from ..runtime.intervals import lower_key
from ..runtime.money import round_to
from ..runtime.outcome import Missing, Undefined
from ..runtime.trace import Label

CENT = Decimal("0.01")
ZERO = Decimal(0)
Facts = dict[str, Any]
Key = tuple[str | None, str | None, int | None]  # an award's project, measure and year (a measure over the year)


def _input_of(plan: Plan, e: ir.Expr | None) -> str | None:
    e = _plain(e) if e is not None else None
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
            "interval": iv, "index": tier.index, "pays": pays, "mode": f.kind})
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
    base = reaching(limit, rate, plan.rounding_unit, plan.rounding_mode)
    m = plan.measure(award.measure)
    field = _input_of(plan, m.formula.expr)
    kind = "cap_bound" if cap_step.params["before"] >= limit else "cap_binds"
    product = base * rate  # below the cap when only the policy's rounding lifts it there: say so, with the figure
    return Change(kind, m.rule, project, m.id, field, base, round_to(limit, plan.rounding_unit, plan.rounding_mode), {
        "base": base, "rate": rate_step.params["rate"], "cap": limit,
        "label": m.formula.base.label if m.formula.base else Label("", ""),
        **({"variant": "rounded", "product": product} if product < limit else {})})


def reaching(limit: Decimal, rate: Decimal, unit: Decimal, mode: str) -> Decimal:
    """The smallest base, to the fen, whose entitlement — the rate of it, capped, then rounded as the
    policy rounds — is the cap's: 333,333.33 × 15% = 49,999.9995 already rounds to 50,000.00."""
    goal = round_to(limit, unit, mode)

    def reaches(fen: int) -> bool:
        return round_to(min(fen * CENT * rate, limit), unit, mode) >= goal

    high = int((limit / rate / CENT).to_integral_value(rounding=ROUND_CEILING))  # reaches without rounding
    low = max(int(((limit - unit) / rate / CENT).to_integral_value(rounding=ROUND_FLOOR)), 0)  # a unit short
    while low < high:  # the least fen that reaches, by bisection (few steps, whatever the unit)
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle + 1
    return high * CENT


def _step(value: Decimal, kind: str, up: bool) -> Decimal:
    """The value next to ``value`` an input of this kind can take, above or below it."""
    unit = Decimal(1) if kind == "count" else CENT
    return value + unit if up else value - unit


def _whole(value: Decimal, kind: str, up: bool) -> Decimal:
    """``value`` rounded, towards ``up`` or down, to a value an input of this kind can take."""
    unit = Decimal(1) if kind == "count" else CENT
    return (value / unit).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR) * unit


def needed(plan: Plan, e: ir.Expr, a: Facts, p: Facts) -> tuple[str, str, Any, Decimal] | None:
    """For a comparison of one count or money input with a bound (a figure, or an expression of other
    facts) that does not hold: the input, "at_least" or "at_most", the nearest value that holds, and
    the bound as computed here (``4 < 20% × 21``: 4.2, so at least 5)."""
    operand = _plain(e.operand) if isinstance(e, ir.Within) else None
    if isinstance(e, ir.Within) and isinstance(operand, ir.Input):
        name, iv = operand.name, e.interval
        kind, value = plan.inputs[name].kind, (a if operand.scope == "applicant" else p).get(name)
        if kind not in ("count", "money") or not isinstance(value, (int, Decimal)) or value in iv:
            return None
        if iv.lower is not None and (value < iv.lower or value == iv.lower and not iv.lower_inclusive):
            least = iv.lower if iv.lower_inclusive else _step(iv.lower, kind, True)
            return name, "at_least", least, iv.lower
        if iv.upper is not None:
            most = iv.upper if iv.upper_inclusive else _step(iv.upper, kind, False)
            return name, "at_most", most, iv.upper
        return None
    if not isinstance(e, ir.Compare) or e.op not in (">=", ">", "<=", "<"):
        return None
    op: str = e.op
    side, other = _plain(e.left), e.right
    if not isinstance(side, ir.Input):
        flipped = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}
        op, side, other = flipped[op], _plain(e.right), e.left
    if not isinstance(side, ir.Input) or side.name in {n.name for n in _inputs(other)}:
        return None
    kind = plan.inputs[side.name].kind
    if kind not in ("count", "money"):
        return None
    bound = Interpreter(plan).ev(other, a, p)
    if not isinstance(bound, (int, Decimal)) or isinstance(bound, bool):
        return None
    bound = Decimal(bound)
    up = op in (">=", ">")
    nearest = _whole(bound, kind, up)
    if nearest == bound and op in (">", "<"):
        nearest = _step(bound, kind, up)
    return side.name, "at_least" if up else "at_most", int(nearest) if kind == "count" else nearest, bound


def _plain(e: ir.Expr) -> ir.Expr:
    """A year's sum of an input reads, in a year's claim, as the input itself (its facts are the sums)."""
    return e.input if isinstance(e, ir.YearSum) else e


def _inputs(e: ir.Expr) -> list[ir.Input]:
    found, stack = [], [e]
    while stack:
        x = stack.pop()
        if isinstance(x, ir.Input):
            found.append(x)
        stack.extend(ir.children(x))
    return found


def requirement(plan: Plan, app: Applicant, project: str | None, award: Award) -> Change | None:
    """A measure refused on one requirement that compares a figure with a bound: the value that meets it."""
    m = plan.measure(award.measure)
    if award.status != "not_eligible":
        return None
    a, p = ((app.facts, {name: summed["total"] for name, summed in award.year_sums().items()})  # a year's facts
            if m.level == "year" else _facts(app, project))
    interpreter = Interpreter(plan)
    try:
        with exact():
            failing = [c for c in ((m.beneficiary,) if m.beneficiary else ()) + m.requirements
                       if not interpreter.ev(c.expr, a, p)]
            if len(failing) != 1:
                return None  # meeting one would not be enough
            found = needed(plan, failing[0].expr, a, p)
    except (Missing, Undefined, ArithmeticError):
        return None
    if found is None:
        return None
    name, way, value, bound = found
    spec = plan.inputs[name]
    params = {"label": spec.label, "needed": value, "bound": bound, "requirement": failing[0].label}
    if m.level == "year":  # the year's sum is what must reach the bound (a project of it is moved: in_a_project)
        params["label"] = Label(f"{spec.label.zh}(本年度累计)", f"{spec.label.en} (summed over the year)")
    return Change(f"requirement_{way}", m.rule, project, m.id, name, value, None, params)


def in_a_project(app: Applicant, award: Award, c: Change) -> Change | None:
    """A change of a year's sum (an award over the year) made where it can be: the sum moved by the
    difference in the last project summed, whose own figure is then what is set. Other changes as they are."""
    sums = award.year_sums()
    if not sums or c.field is None:
        return c
    if c.field not in sums:
        return None
    last = sums[c.field]["projects"][-1]
    own = next(q.facts[c.field] for q in app.projects if q.id == last)
    moved = own + (c.value - sums[c.field]["total"])
    return attrs.evolve(c, value=moved, set_in=last) if moved >= 0 else None


def changes(decider: Decider, app: Applicant, decision: ApplicantDecision
            ) -> dict[Key, list[Change]]:
    """Suggestions by (project, measure, year) — the year tells apart an applicant's awards of one measure over
    the year; None for the others —, the rules' under (None, None, None). Each carries what deciding the whole
    applicant again with it gives (:func:`evaluated_again`); one that cannot be decided again (an input error
    would follow) is not offered."""
    plan = decider.plan
    found: list[tuple[Key, Change]] = []
    for p in decision.groups():
        for award in p.awards:
            if award.status in ("referred", "out_of_period"):
                continue
            for c in (next_tier(plan, p.id, award), cap(plan, p.id, award), requirement(plan, app, p.id, award)):
                if c is not None and c.kind != "cap_bound":
                    c = in_a_project(app, award, c)
                if c is not None:
                    found.append(((p.id, award.measure, award.year), attrs.evolve(c, year=award.year)))
    ev = decider.evaluation(app)
    with exact():
        for rule in plan.rules:
            found += [((None, None, None), c) for c in rule.changes(ev, decision)]
    out: dict[Key, list[Change]] = {}
    for key, c in found:
        again = c if c.kind == "cap_bound" else evaluated_again(decider, app, decision, c)
        if again is not None:
            out.setdefault(key, []).append(again)
    return out


def _facts(app: Applicant, project: str | None) -> tuple[Facts, Facts]:
    p = next((p for p in app.projects if p.id == project), None) if project is not None else None
    return app.facts, p.facts if p is not None else {}


def one_input(plan: Plan, app: Applicant, c: Change) -> tuple[str, Any] | None:
    """The input to set, and its value, for a change of a measure's base or looked-up value: the input
    itself, or, when the value is derived from several inputs, one of them moved by the difference —
    kept only when computing the value again gives exactly what the change needs."""
    if c.field is not None:
        return c.field, c.value
    if c.measure is None:
        return None
    f = plan.measure(c.measure).formula
    expr = f.expr
    if expr is None or f.base is None:
        return None
    a, p = _facts(app, c.project)
    interpreter = Interpreter(plan)
    try:
        with exact():
            now = interpreter.ev(expr, a, p)
            for name in f.base.inputs:
                spec = plan.inputs[name]
                facts = a if spec.scope == "applicant" else p
                value = facts.get(name)
                if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
                    continue
                moved = value + (c.value - now)
                if spec.kind == "count" and moved != int(moved) or moved < 0:
                    continue
                moved = int(moved) if spec.kind == "count" else moved
                changed = {**facts, name: moved}
                again = interpreter.ev(expr, *((changed, p) if facts is a else (a, changed)))
                if again == c.value:
                    return name, moved
    except (Missing, Undefined, ArithmeticError):
        return None
    return None


def with_fact(app: Applicant, project: str | None, name: str, value: Any, scope: str) -> Applicant:
    """The applicant with one fact set: an applicant fact, or a fact of the named project."""
    if scope == "applicant":
        return attrs.evolve(app, facts={**app.facts, name: value})
    return attrs.evolve(app, projects=tuple(
        attrs.evolve(p, facts={**p.facts, name: value}) if p.id == project else p for p in app.projects))


def _award(decision: ApplicantDecision, c: Change) -> Award | None:
    """The award a change is about: its project's, of its measure, and of its year for a measure over the year."""
    for p in decision.groups():
        if p.id == c.project:
            return next((a for a in p.awards if a.measure == c.measure and a.year == c.year), None)
    return None


def _kept(decision: ApplicantDecision) -> dict[Key, Decimal]:
    """What each award of a decision does not pay of its entitlement."""
    return {(p.id, a.measure, a.year): (a.entitlement or ZERO) - (a.amount or ZERO)
            for p in decision.groups() for a in p.awards}


def blocking(plan: Plan, now: ApplicantDecision, again: ApplicantDecision, c: Change) -> tuple[Label, ...]:
    """The rules across measures that took the gain: those that, after the change, keep back part of the
    changed award's entitlement, or more of another award's than before it (a year moved to the changed
    claim, a limit shared with it); for a rule's own change, every other rule that still keeps part back."""
    named = {r.id: r for r in plan.rules if not r.GATE}
    before = _kept(now)
    found: dict[str, Label] = {}
    for p in again.groups():
        for a in p.awards:
            kept = (a.entitlement or ZERO) - (a.amount or ZERO)
            mine = (p.id, a.measure, a.year) == (c.project, c.measure, c.year) or c.measure is None
            if mine and kept > 0 or kept > before.get((p.id, a.measure, a.year), ZERO):
                for s in a.trace:
                    if s.rule in named and named[s.rule].withholds(s) and (c.measure is not None or s.rule != c.rule):
                        found.setdefault(s.rule, named[s.rule].name())
    return tuple(found.values())


def evaluated_again(decider: Decider, app: Applicant, decision: ApplicantDecision, c: Change) -> Change | None:
    """The change with its :class:`Effect`: the whole applicant decided again with the change made —
    the measure, then every rule across measures — and compared with its decision now."""
    plan = decider.plan
    found = one_input(plan, app, c)
    if found is None:
        return None
    name, value = found
    spec = plan.inputs[name]
    where = c.project if c.set_in is None else c.set_in
    again = decider.applicant(with_fact(app, where, name, value, spec.scope))
    if again.status != "ok":
        return None
    before, after = _award(decision, c), _award(again, c)
    if c.measure is not None:
        expect = c.expect if c.expect is not None else after.entitlement or ZERO if after is not None else ZERO
        promised = expect - (before.entitlement or ZERO if before is not None else ZERO)  # the entitlement's rise
    elif c.expect is not None and "granted" in c.params:  # a limit lifted: the year's grants, now and lifted
        promised = c.expect - c.params["granted"]
    else:
        promised = again.total - decision.total
    gain = again.total - decision.total
    blocked = max(promised - gain, ZERO)
    rules = blocking(plan, decision, again, c) if blocked > 0 or gain <= 0 else ()
    if gain <= 0 and not rules:
        return None  # the measure itself still pays nothing more (a condition it fails): nothing to say
    label = spec.label if c.set_in is None else Label(f"{c.set_in} 的{spec.label.zh}", f"{c.set_in}'s {spec.label.en}")
    effect = Effect(name, label, value,
                    None if c.measure is None else (after.amount or ZERO) if after is not None else ZERO,
                    None if c.measure is None else (before.amount or ZERO) if before is not None else ZERO,
                    again.total, decision.total, blocked, rules)
    return attrs.evolve(c, effect=effect)
