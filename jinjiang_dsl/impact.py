"""The budget impact of a change: two versions of a policy run on the same applicants, and what differs.

What a finance bureau asks before a rate goes from 20% to 25%: the change in total cost, by measure,
by payer and by year; how many applicants gain, lose or stay, and by how much; the largest individual
changes; and, first, what changed in the policy itself (which measures, requirements, amounts, caps
and rules), with line numbers. Both runs are ordinary batches (either engine), so every figure here
is the difference of two ``eval`` runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs

from .api import EngineName, Policy
from .decisions import BatchDecision
from .inputs import Applicant
from .ir import Cond, Formula, Measure, measure_key
from .plan import Plan
from .runtime.money import fmt_compact, fmt_money

ZERO = Decimal(0)
# The bands of a change per applicant, in yuan: (lower, upper] below zero, [lower, upper) above.
BANDS = (Decimal(10_000), Decimal(100_000), Decimal(1_000_000))


@attrs.frozen
class Change:
    """One difference between the two policies: what, where (its line in each), before and after."""

    what: str
    old_line: int | None
    new_line: int | None
    before: str
    after: str

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Mover:
    id: Any
    before: Decimal
    after: Decimal

    @property
    def delta(self) -> Decimal:
        return self.after - self.before


@attrs.frozen
class Impact:
    old_name: str
    new_name: str
    engine: str
    changes: tuple[Change, ...]
    total: tuple[Decimal, Decimal]
    by_measure: dict[str, tuple[Decimal, Decimal]]
    by_payer: dict[str, tuple[Decimal, Decimal]]
    by_year: dict[str, tuple[Decimal, Decimal]]
    gain: int
    lose: int
    same: int
    errors: int  # applicants with an input error under either version
    bands: tuple[tuple[str, int], ...]
    largest: tuple[Mover, ...]

    def to_json(self) -> dict[str, Any]:
        def pair(before: Decimal, after: Decimal) -> dict[str, str]:
            return {"before": fmt_money(before), "after": fmt_money(after), "change": fmt_money(after - before)}

        return {
            "old": self.old_name, "new": self.new_name, "engine": self.engine,
            "policy_changes": [c.to_json() for c in self.changes],
            "total": pair(*self.total),
            "by_measure": {k: pair(*v) for k, v in self.by_measure.items()},
            "by_payer": {k: pair(*v) for k, v in self.by_payer.items()},
            "by_year": {k: pair(*v) for k, v in self.by_year.items()},
            "applicants": {"gain": self.gain, "lose": self.lose, "same": self.same, "errors": self.errors},
            "bands": [{"band": band, "applicants": n} for band, n in self.bands],
            "largest": [{"id": m.id, **pair(m.before, m.after)} for m in self.largest],
        }


def impact(old: Policy, new: Policy, document: Any, engine: EngineName = "python", top: int = 10) -> Impact:
    """Run both versions on the same applications and compare them."""
    apps, before = old.run(document, trace=False, engine=engine)
    _, after = new.run(document, trace=False, engine=engine)
    changes = policy_changes(old.plan, new.plan, amount_lines(old), amount_lines(new))
    return compare(old.plan, new.plan, changes, apps, before, after, engine, top)


def amount_lines(policy: Policy) -> dict[str, int]:
    """The line of each measure's ``amount`` statement (the plan keeps the measure's line only)."""
    return {m.id: m.amount.span.line for m in policy.checked.policy.measures if m.amount is not None}


def compare(old: Plan, new: Plan, changes: list[Change], apps: list[Applicant], before: BatchDecision,
            after: BatchDecision, engine: str, top: int = 10) -> Impact:
    movers, errors = [], 0
    for a, b in zip(before.applicants, after.applicants):
        if a.status == "error" or b.status == "error":
            errors += 1
        else:
            movers.append(Mover(a.id, a.total, b.total))
    return Impact(
        old_name=old.name.zh, new_name=new.name.zh, engine=engine, changes=tuple(changes),
        total=(before.summary.total, after.summary.total),
        by_measure=_pairs(before.summary.by_measure, after.summary.by_measure, measure_key),
        by_payer=_pairs(before.summary.by_payer, after.summary.by_payer, str),
        by_year=_pairs(_by_year(apps, before), _by_year(apps, after), str),
        gain=sum(m.delta > 0 for m in movers), lose=sum(m.delta < 0 for m in movers),
        same=sum(m.delta == 0 for m in movers), errors=errors,
        bands=_bands(movers),
        largest=tuple(sorted((m for m in movers if m.delta), key=lambda m: (-abs(m.delta), str(m.id)))[:top]),
    )


def _pairs(before: dict[str, Decimal], after: dict[str, Decimal], key: Any) -> dict[str, tuple[Decimal, Decimal]]:
    return {k: (before.get(k, ZERO), after.get(k, ZERO)) for k in sorted(set(before) | set(after), key=key)}


def _by_year(apps: list[Applicant], batch: BatchDecision) -> dict[str, Decimal]:
    """Granted amounts by the year of their project's date (an award over a year, by that year)."""
    found: dict[str, Decimal] = {}
    for app, decision in zip(apps, batch.applicants):
        dates = {p.id: p.date for p in app.projects}
        for group in decision.groups():
            for award in group.awards:
                if award.status == "granted" and award.amount:
                    date = dates.get(group.id) if group.id is not None else app.date
                    year = str(award.year or (date.year if date else "—"))
                    found[year] = found.get(year, ZERO) + award.amount
    return found


def _bands(movers: list[Mover]) -> tuple[tuple[str, int], ...]:
    """How many applicants changed by how much: losses and gains in bands of 1万, 10万, 100万 yuan."""
    lows: list[Decimal] = [ZERO, *BANDS]
    edges: list[Decimal | None] = [*BANDS, None]
    spans = [f"[{fmt_compact(lo)}, {fmt_compact(hi) if hi is not None else '∞'})" for lo, hi in zip(lows, edges)]
    counts = dict.fromkeys([f"−{s}" for s in reversed(spans)] + ["0"] + [f"+{s}" for s in spans], 0)
    for m in movers:
        if m.delta == 0:
            counts["0"] += 1
            continue
        i = next(i for i, high in enumerate(edges) if high is None or abs(m.delta) < high)
        counts[("−" if m.delta < 0 else "+") + spans[i]] += 1
    return tuple(counts.items())


# ---------------------------------------------------------------------- what changed in the policy


def _cond(c: Cond | None) -> str:
    return "" if c is None else f"{c.label.en} [{c.shown.template.en.format(*(n.en for n in c.shown.names))}]"


def _formula(f: Formula) -> str:
    base = f.base.shown.template.en.format(*(n.en for n in f.base.shown.names)) if f.base else ""
    if f.kind == "rate":
        return f"{f.rate_text} of {base}"
    if f.kind in ("bands", "thresholds", "brackets"):
        rows = "; ".join(f"{t.text}: {_expr_text(t.amount)}" for t in f.tiers)
        return f"{f.kind} on {base} {{{rows}}}"
    if f.kind == "category":
        return f"by {base} {{" + "; ".join(f"{v}: {_expr_text(a)}" for v, _, a in f.rows) + "}"
    if f.kind == "referred":
        return "referred"
    return base


def _expr_text(e: Any) -> str:
    return getattr(e, "text", None) or type(e).__name__


def _measure_parts(m: Measure, amount_line: int) -> Iterator[tuple[str, str, int]]:
    """Each part of a measure as text, with the line it is written on (the measure's, when it has none)."""
    yield "title", f"{m.title.zh} / {m.title.en}", m.line
    yield "beneficiary", _cond(m.beneficiary), m.beneficiary.line if m.beneficiary else m.line
    yield "requirements", "; ".join(_cond(c) for c in m.requirements), \
        m.requirements[0].line if m.requirements else m.line
    yield "amount", _formula(m.formula), amount_line
    yield "at most", m.cap_text or "", amount_line
    for i, o in enumerate(m.overrides, 1):
        yield f"when #{i}", f"{_cond(o.condition)}: {_formula(o.formula)}" + \
            (f", at most {o.cap_text}" if o.cap_text else ""), o.condition.line
    yield "cross checks", "; ".join(_cond(c) for c in m.cross_checks), \
        m.cross_checks[0].line if m.cross_checks else m.line
    yield "paid in instalments", ", ".join(f"{(s * 100).normalize():f}%" for s in m.instalments), m.line
    yield "shared", ":".join(str(w) for _, w in m.shared) + \
        (" by " + ", ".join(p for p, _ in m.shared) if m.shared else ""), m.line
    yield "quota", f"{m.quota[0]} per {m.quota[1]} per year" if m.quota else "", m.line


def policy_changes(old: Plan, new: Plan, old_lines: dict[str, int] | None = None,
                   new_lines: dict[str, int] | None = None) -> list[Change]:
    """What differs between two versions of a policy, in the order a reader meets it: the header, each
    measure (in measure order), each rule across measures (in the order they apply)."""
    changes: list[Change] = []
    header: tuple[tuple[str, object, object], ...] = (
        ("in force", old.in_force, new.in_force), ("by reference", old.by_reference, new.by_reference),
        ("rounding", (old.rounding_unit, old.rounding_mode), (new.rounding_unit, new.rounding_mode)))
    for what, was, now in header:
        if was != now:
            changes.append(Change(what, None, None, _show(was), _show(now)))
    ids = sorted(set(old.by_id) | set(new.by_id), key=measure_key)
    for mid in ids:
        a, b = old.by_id.get(mid), new.by_id.get(mid)
        if a is None or b is None:
            m = b or a
            assert m is not None
            changes.append(Change(f"measure {mid}", a.line if a else None, b.line if b else None,
                                  "" if a is None else f"{m.title.zh} / {m.title.en}",
                                  "" if b is None else f"{m.title.zh} / {m.title.en}"))
            continue
        parts = zip(_measure_parts(a, (old_lines or {}).get(mid, a.line)),
                    _measure_parts(b, (new_lines or {}).get(mid, b.line)))
        for (part, before, old_line), (_, after, new_line) in parts:
            if before != after:
                changes.append(Change(f"measure {mid}: {part}", old_line, new_line, before, after))
    rules_a = {r.id: r.describe() for r in old.rules}
    rules_b = {r.id: r.describe() for r in new.rules}
    for rid in list(rules_a) + [r for r in rules_b if r not in rules_a]:
        if rules_a.get(rid) != rules_b.get(rid):
            changes.append(Change(f"rule {rid}", None, None, rules_a.get(rid, ""), rules_b.get(rid, "")))
    return changes


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return " — ".join(str(v) for v in value)
    return str(value)
