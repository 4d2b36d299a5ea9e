"""From per-measure results to decisions: validity (R3), highest-not-stacked (R1), annual caps, R2.

The order is the spec's: (1) each measure's entitlement per project; (2) R1 per project;
(3) a measure's annual cap per applicant and year, in input order; (4) R2 per applicant
and year. Step 2 is not revisited after 3 and 4 reduce a grant (I-10).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_DOWN, Context, Decimal, localcontext
from typing import Any

import attrs

from .decisions import ApplicantDecision, Award, ProjectDecision, Summary
from .inputs import Applicant, Problem, Project
from .plan import Measure, Plan, measure_key
from .runtime.money import fmt_plain, round_to
from .runtime.outcome import MeasureResult, Missing, Undefined
from .runtime.trace import Label, Shown, Step

Facts = dict[str, Any]
MeasureFn = Callable[[Facts, Facts, "list[Step] | None"], MeasureResult]
CENT = Decimal("0.01")
ZERO = Decimal(0)
# Arithmetic is exact (I-1): the default context keeps only 28 significant digits, so
# 5% × 1000000.09999999999999999999999999 would round to …005 and then half-up to the wrong
# fen. Evaluation runs in its own context, wide enough for every sum and product of the
# figures the validator accepts (money < 10^15 with at most 20 decimals, counts < 10^9),
# and independent of whatever context the caller has set.
EXACT = Context(prec=100)


def exact() -> Any:
    """The decimal context evaluation runs in."""
    return localcontext(EXACT)


@attrs.frozen(slots=True)
class Backend:
    """What a backend (compiled or interpreted) provides: one function per measure, and rule figures."""

    name: str
    measures: dict[str, MeasureFn]
    r2_applies: Callable[[Facts], bool] | None
    r2_limit: Callable[[Facts], Decimal] | None
    annual_caps: dict[str, Callable[[Facts], Decimal]]


@attrs.define
class _Award:
    """An award while rules are still acting on it."""

    measure: Measure
    status: str
    entitlement: Decimal | None
    amount: Decimal | None
    steps: list[Step] | None
    warnings: tuple[Step, ...]
    order: int  # the project's position in the applicant's input
    project: str = ""
    date: dt.date | None = None  # the project's qualifying date

    def note(self, step: Step) -> None:
        if self.steps is not None:
            self.steps.append(step)


class Decider:
    def __init__(self, plan: Plan, backend: Backend, trace: bool = True):
        self.plan = plan
        self.backend = backend
        self.trace = trace
        self.measures = sorted(plan.measures, key=lambda m: measure_key(m.id))
        self.rank = {m.id: i for i, m in enumerate(self.measures)}
        self.r = plan.rules
        self._listed: dict[frozenset[str], tuple[Measure, ...]] = {}

    def listed(self, given: frozenset[str]) -> tuple[Measure, ...]:
        """The measures a project lists (those whose facts it gives), in measure order; memoised,
        since real batches repeat a few shapes of project many times."""
        found = self._listed.get(given)
        if found is None:
            found = self._listed[given] = tuple(m for m in self.measures if m.own_facts & given)
        return found

    # ------------------------------------------------------------------ validity (R3)

    def period(self, date: dt.date | None) -> tuple[str, tuple[dt.date, dt.date] | None]:
        """Only a policy with a validity rule checks the period; without one nothing is out of period."""
        p = self.plan
        if p.in_force is None or self.r.r3 is None:
            return "in_force", None
        if date is not None and p.in_force[0] <= date <= p.in_force[1]:
            return "in_force", p.in_force
        if date is not None and p.by_reference and p.by_reference[0] <= date <= p.by_reference[1]:
            return "by_reference", p.by_reference
        return "out_of_period", p.in_force

    # ------------------------------------------------------------------ one applicant

    def applicant(self, app: Applicant) -> ApplicantDecision:
        with exact():
            return self.decide(app)

    def applicants(self, apps: Iterable[Applicant]) -> Iterator[ApplicantDecision]:
        """Many applicants under one exact decimal context (entering it costs as much as a small measure)."""
        with exact():
            for app in apps:
                yield self.decide(app)

    def decide(self, app: Applicant) -> ApplicantDecision:
        """One applicant, in the caller's decimal context: wrap calls in :func:`exact`.

        Inputs and policy literals are bounded (jinjiang_dsl.limits), but a formula can still
        multiply them past what exact arithmetic holds; then the applicant is an error, never a
        rounded figure and never a crash of the batch."""
        try:
            return self._decide(app)
        except Undefined as exc:
            problem = self.zero_divisor(app, exc)
            return ApplicantDecision(app.id, app.name, app.facts.get("kind"), "error", Decimal(0), (), (problem,))
        except ArithmeticError:
            problem = Problem("a figure in this applicant's computation is too large to compute exactly",
                              "该申请人的计算中有数值过大,无法精确计算")
            return ApplicantDecision(app.id, app.name, app.facts.get("kind"), "error", Decimal(0), (), (problem,))

    def zero_divisor(self, app: Applicant, exc: Undefined) -> Problem:
        """A division by zero, as the input error it is: located at the input the divisor is made of."""
        project, measure = exc.where or (None, None)
        what = f"measure {measure}" if measure else "a rule across measures"
        what_zh = f"措施 {measure}" if measure else "跨措施规则"
        if not exc.names:
            return Problem(f"{what} divides by zero", f"{what_zh}的计算除数为零").at(project.path if project else app.path)
        name = exc.names[0]
        where = project.path if project is not None and self.plan.inputs[name].scope == "project" else app.path
        divisor = " + ".join(self.plan.inputs[n].label.en for n in exc.names)
        divisor_zh = "、".join(self.plan.inputs[n].label.zh for n in exc.names)
        return Problem(f"{what} divides by {divisor}, which is 0 here", f"{what_zh}以{divisor_zh}为除数,此处为 0"
                       ).at(f"{where}.{name}")

    def _decide(self, app: Applicant) -> ApplicantDecision:
        kind = app.facts.get("kind")
        if not app.ok:
            return ApplicantDecision(app.id, app.name, kind, "error", Decimal(0), (), app.errors)
        per_project = [(project, self.project(app, project, order)) for order, project in enumerate(app.projects)]
        self.once_per_applicant(per_project)
        if self.r.r1 is not None and self.r.r1_scope == "applicant":
            by_year: dict[int | None, list[_Award]] = {}
            for _, awards in per_project:
                for a in awards:
                    by_year.setdefault(a.date.year if a.date else None, []).append(a)
            for awards in by_year.values():
                self.highest_not_stacked(awards, None)
        else:
            for project, awards in per_project:
                other_name = self.r.r1_other_policy
                self.highest_not_stacked(awards, project.facts.get(other_name) if other_name else None)
        self.annual_caps(app, per_project)
        error = self.annual_limit(app, per_project)
        if error:
            return ApplicantDecision(app.id, app.name, kind, "error", Decimal(0), (), (error,))
        if self.trace and self.r.r1 is not None:
            for _, awards in per_project:
                self.disclose_kept_choice(awards)
        total = Decimal(0)
        projects = []
        for p, awards in per_project:
            for a in awards:
                if a.status == "granted" and a.amount:
                    total += a.amount
            projects.append(ProjectDecision(p.id, tuple(self.freeze(a) for a in awards)))
        return ApplicantDecision(app.id, app.name, kind, "ok", total, tuple(projects), ())

    def freeze(self, a: _Award) -> Award:
        shares, parts = self.shares(a), self.instalments(a)
        return Award(a.measure.id, a.status, a.entitlement, a.amount, tuple(a.steps) if a.steps else (), a.warnings,
                     parts, shares)

    def shares(self, a: _Award) -> tuple[tuple[str, Decimal], ...]:
        """资金分担: the granted amount split between the payers by their weights, exact to the fen by
        the largest remainder (equal remainders to the payer listed first)."""
        payers = a.measure.shared
        if not payers or a.status != "granted" or not a.amount:
            return ()
        parts = largest_remainder([Decimal(w) for _, w in payers], a.amount)
        found = tuple((payer, part) for (payer, _), part in zip(payers, parts))
        a.note(Step(a.measure.rule, "shares", {
            "amount": a.amount, "ratio": ":".join(str(w) for _, w in payers),
            "parts": Label("、".join(f"{p} {fmt_plain(x)} 元" for p, x in found),
                           ", ".join(f"{p} {fmt_plain(x)} yuan" for p, x in found))}))
        return found

    def instalments(self, a: _Award) -> tuple[tuple[int, Decimal], ...]:
        """分期拨付: the granted amount paid over the years from the award's own, each share but the last
        rounded half-up to the policy's unit, the last what is left — so the parts add up exactly."""
        shares = a.measure.instalments
        if not shares or a.status != "granted" or not a.amount or a.date is None:
            return ()
        unit, mode = self.plan.rounding_unit, self.plan.rounding_mode
        parts = [round_to(a.amount * s, unit, mode) for s in shares[:-1]]
        parts.append(a.amount - sum(parts, ZERO))
        found = tuple((a.date.year + i, part) for i, part in enumerate(parts))
        a.note(Step(a.measure.rule, "instalments", {
            "amount": a.amount, "parts": Label("、".join(f"{y} 年 {fmt_plain(p)} 元" for y, p in found),
                                               ", ".join(f"{fmt_plain(p)} yuan in {y}" for y, p in found)),
            "shares": "、".join(f"{(s * 100).normalize():f}%" for s in shares)}))
        return found

    def project(self, app: Applicant, project: Project, order: int) -> list[_Award]:
        status, window = self.period(project.date)
        awards = []
        for m in self.listed(project.given):
            steps: list[Step] | None = [] if self.trace else None
            if steps is not None and window is not None:
                steps.append(Step(self.r.r3, "period", {
                    "variant": status, "date": project.date, "start": window[0], "end": window[1]}))
            if status == "out_of_period":
                awards.append(_Award(m, "out_of_period", ZERO, ZERO, steps, (), order))
                continue
            try:
                result = self.backend.measures[m.id](app.facts, project.facts, steps)
            except Undefined as exc:
                exc.where = (project, m.id)
                raise
            if result.status == "referred":  # no amount at all, never 0 granted
                award = _Award(m, "referred", None, None, steps, result.warnings, order)
            else:
                award = _Award(m, result.status, result.entitlement or ZERO, ZERO, steps, result.warnings, order)
            award.project, award.date = project.id, project.date
            if steps is not None:
                notes = m.notes if award.status == "referred" else (*m.notes, *self.plan.policy_notes)
                steps.extend(Step(m.rule, "note", {"id": n.id, "text": n.text}) for n in notes)
            awards.append(award)
        return awards

    # ------------------------------------------------------------------ once per applicant (per year)

    def once_per_applicant(self, per_project: list[tuple[Project, list[_Award]]]) -> None:
        """A measure paid once per applicant per year: of the year's eligible claims, the one with the
        highest entitlement holds the year (equal: the earlier in input order). Paid once per
        applicant (一次性): the first claim by date holds (equal dates: the earlier in input order).
        The others are not eligible. Decided before R1, on the measures' own entitlements; a claim
        that qualifies for nothing takes no turn."""
        claims: dict[tuple[str, int | None], list[_Award]] = {}
        for _, awards in per_project:
            for a in awards:
                once = a.measure.once
                if a.status == "eligible" and once and (once == "ever" or a.date is not None):
                    year = a.date.year if once == "year" and a.date else None
                    claims.setdefault((a.measure.id, year), []).append(a)
        for (_, year), found in claims.items():
            if year is None:
                holder = min(found, key=lambda a: (a.date or dt.date.max, a.order))
            else:
                holder = max(found, key=lambda a: (a.entitlement, -a.order))
            for a in found:
                if a is not holder:
                    a.status = "not_eligible"
                    params = {"project": holder.project, "amount": holder.entitlement}
                    a.note(Step(a.measure.rule, "once", {"variant": "year", "year": str(year), **params}
                                if year is not None else {"variant": "ever", **params}))

    # ------------------------------------------------------------------ R1

    def highest_not_stacked(self, awards: list[_Award], other: Decimal | None) -> None:
        """R1 on the awards that compete (a project's, or an applicant's in a year); ``other`` is an award
        for the same project under another policy, when the rule names one."""
        candidates = [a for a in awards if a.status == "eligible"]
        if not candidates:
            return
        if self.r.r1 is None:  # no R1 declared: every eligible measure is granted
            for a in candidates:
                a.status, a.amount = "granted", a.entitlement
            return
        rule = self.r.r1
        title = self.r.rule_labels[rule]  # the policy's own name for the rule, in both languages
        rank = self.rank
        best = max(candidates, key=lambda a: (a.entitlement, -rank[a.measure.id])) if len(candidates) > 1 \
            else candidates[0]
        if other is not None and other >= best.entitlement:
            for a in candidates:
                a.status, a.amount = "superseded", ZERO
                if a.steps is not None:
                    a.note(Step(rule, "r1", {"title": title, "variant": "other_policy", "other": other,
                                             "best": best.entitlement}))
                    self.r1_notes(a)
            return
        if not self.trace:
            for a in candidates:
                a.status, a.amount = ("granted", a.entitlement) if a is best else ("superseded", ZERO)
            return
        tie = sum(a.entitlement == best.entitlement for a in candidates) > 1
        for a in candidates:
            if a is best:
                a.status, a.amount = "granted", a.entitlement
                if len(candidates) > 1:
                    others = [Label(f"{o.measure.id} {fmt_plain(o.entitlement)} 元", f"{o.measure.id} {fmt_plain(o.entitlement)} yuan")
                              for o in candidates if o is not best]  # type: ignore[arg-type]
                    per = "_applicant" if self.r.r1_scope == "applicant" else ""
                    a.note(Step(rule, "r1", {"title": title, "variant": ("won_tie" if tie else "won") + per,
                                             "count": len(candidates), "measure": best.measure.id,
                                             "amount": best.entitlement, "others": others,
                                             "year": str(a.date.year) if a.date else ""}))
                    self.r1_notes(a)
            else:
                a.status, a.amount = "superseded", ZERO
                same = a.entitlement == best.entitlement
                variant = "lost_applicant" if self.r.r1_scope == "applicant" else "lost_tie" if same else "lost"
                a.note(Step(rule, "r1", {"title": title, "variant": variant, "winner": best.measure.id,
                                         "project": best.project, "winner_amount": best.entitlement,
                                         "amount": a.entitlement}))
                self.r1_notes(a)
            if other is not None and a is best:
                a.note(Step(rule, "r1", {"title": title, "variant": "other_lower", "other": other,
                                         "best": best.entitlement}))

    def disclose_kept_choice(self, awards: list[_Award]) -> None:
        """When a winner of R1 is reduced afterwards, say in plain words that the choice stands and
        the superseded measures are not looked at again — on the winner and on each of them (I-10)."""
        winner = next((a for a in awards if a.status == "granted"), None)
        superseded = [a for a in awards if a.status == "superseded"]
        if winner is None or not superseded or winner.amount is None or winner.entitlement is None \
                or winner.amount >= winner.entitlement:
            return
        rule = self.r.r1 or "R1"
        others = [Label(f"{o.measure.id}({fmt_plain(o.entitlement)} 元)", f"{o.measure.id} ({fmt_plain(o.entitlement)} yuan)")
                  for o in superseded]  # type: ignore[arg-type]
        winner.note(Step(rule, "r1", {"variant": "kept.winner", "amount": winner.amount,
                                      "entitlement": winner.entitlement, "others": others}))
        for a in superseded:
            a.note(Step(rule, "r1", {"variant": "kept.superseded", "winner": winner.measure.id, "amount": winner.amount,
                                     "entitlement": winner.entitlement, "own": a.entitlement}))

    def r1_notes(self, a: _Award) -> None:
        for n in self.r.r1_notes:
            a.note(Step(self.r.r1 or "R1", "note", {"id": n.id, "text": n.text}))

    # ------------------------------------------------------------------ step 3: a measure's annual cap

    def annual_caps(self, app: Applicant, per_project: list[tuple[Project, list[_Award]]]) -> None:
        by_measure_year: dict[tuple[str, int], list[_Award]] = {}
        for project, awards in per_project:
            for a in awards:
                if a.status == "granted" and a.measure.annual_cap is not None and project.date is not None:
                    by_measure_year.setdefault((a.measure.id, project.date.year), []).append(a)
        trace = self.trace
        for (mid, year), granted in by_measure_year.items():
            m = granted[0].measure
            _, _, strategy = m.annual_cap  # type: ignore[misc]
            cap = self.backend.annual_caps[mid](app.facts)
            total = sum((a.amount for a in granted), Decimal(0))  # type: ignore[misc]
            if total <= cap:
                if trace:
                    running = Decimal(0)
                    for a in granted:
                        running += a.amount  # type: ignore[operator]
                        a.note(Step(m.rule, "acap", {"variant": "free", "cap": cap, "year": str(year),
                                                     "total": running}, limit=cap))
                continue
            if strategy == "input_order":
                before = ZERO
                for a, after in zip(granted, in_input_order([a.amount for a in granted], cap)):  # type: ignore[misc]
                    if trace:
                        if after != a.amount:
                            a.note(Step(m.rule, "acap", {"variant": "reduced", "cap": cap, "year": str(year),
                                                         "before": before, "amount": a.amount, "after": after},
                                        value=after, limit=cap))
                        else:
                            a.note(Step(m.rule, "acap", {"variant": "free", "cap": cap, "year": str(year),
                                                         "total": before + after}, limit=cap))
                    before += after
                    a.amount = after
            else:
                shares = largest_remainder([a.amount for a in granted], cap)  # type: ignore[misc]
                for a, after in zip(granted, shares):
                    if trace:
                        a.note(Step(m.rule, "acap", {"variant": "reduced_pro_rata", "cap": cap, "year": str(year),
                                                     "total": total, "amount": a.amount, "after": after},
                                    value=after, limit=cap))
                    a.amount = after

    # ------------------------------------------------------------------ step 4: R2

    def annual_limit(self, app: Applicant, per_project: list[tuple[Project, list[_Award]]]) -> str | None:
        """Apply R2; returns an input error when the figures it needs are missing."""
        b, r = self.backend, self.r
        if r.r2 is None or b.r2_limit is None:
            return None
        granted_by_year: dict[int, list[_Award]] = {}
        for project, awards in per_project:
            for a in awards:
                if a.status == "granted" and a.amount and project.date is not None:
                    granted_by_year.setdefault(project.date.year, []).append(a)
        if not granted_by_year:
            return None
        trace = self.trace
        if b.r2_applies is not None and not b.r2_applies(app.facts):
            if trace:
                kind = app.facts.get("kind")
                spec = self.plan.inputs.get("kind")
                fallback = Label(str(kind), str(kind))
                shown_kind = spec.value_labels.get(kind, fallback) if spec else fallback  # type: ignore[arg-type]
                for granted in granted_by_year.values():
                    for a in granted:
                        a.note(Step(r.r2, "r2", {"variant": "not_applicable", "kind": shown_kind}))
            return None
        try:
            limit = b.r2_limit(app.facts)
        except Missing as exc:
            return Problem(f"missing; it is required for {r.r2} ({r.rule_labels[r.r2].en}) because the applicant "
                           f"has grants", f"缺少;本申请人有补助,{r.r2}({r.rule_labels[r.r2].zh})需要此项"
                           ).at(f"{app.path}.{exc.name}")
        headroom = max(limit, Decimal(0)).quantize(CENT, rounding=ROUND_DOWN)
        limit_shown = None
        if trace:
            assert r.r2_limit is not None
            shown = r.r2_limit.shown
            limit_shown = Shown(shown.template, shown.names, tuple(app.facts.get(n) for n in r.r2_limit.inputs),
                                shown.choices)
        for year, granted in sorted(granted_by_year.items()):
            total = sum((a.amount for a in granted), Decimal(0))  # type: ignore[misc]
            if total <= headroom:
                if trace:
                    for a in granted:
                        a.note(Step(r.r2, "r2", {"variant": "free", "headroom": headroom, "limit": limit_shown,
                                                 "year": str(year), "total": total}, limit=headroom))
                continue
            amounts = [a.amount for a in granted]
            in_order = r.r2_reduction == "input_order"
            shares = in_input_order(amounts, headroom) if in_order else largest_remainder(amounts, headroom)  # type: ignore[arg-type]
            for a, after in zip(granted, shares):
                if trace:
                    exact = a.amount * headroom / total  # type: ignore[operator]
                    a.note(Step(r.r2, "r2", {"variant": "reduced_in_order" if in_order else "reduced",
                                             "headroom": headroom, "limit": limit_shown,
                                             "year": str(year), "total": total, "amount": a.amount,
                                             "share": exact.quantize(Decimal("0.0001")), "after": after},
                                value=after, limit=headroom))
                    for n in r.r2_notes:
                        a.note(Step(r.r2, "note", {"id": n.id, "text": n.text}))
                a.amount = after
        return None


def in_input_order(amounts: list[Decimal], target: Decimal) -> list[Decimal]:
    """Earlier items keep their full amount until the target is used up (I-4's reading)."""
    left, parts = target, []
    for amount in amounts:
        part = min(amount, max(left, ZERO))
        parts.append(part)
        left -= part
    return parts


def largest_remainder(amounts: list[Decimal], target: Decimal) -> list[Decimal]:
    """Split ``target`` pro rata to ``amounts`` in whole fen, adding up to it exactly.

    Each part is first rounded down; the fen left over go one each to the largest
    remainders, equal remainders to the earlier item (I-9). Integer arithmetic, exact.
    """
    cents = [int((a / CENT).to_integral_value()) for a in amounts]
    total = sum(cents)
    goal = int((target / CENT).to_integral_value(rounding=ROUND_DOWN))
    if total == 0:
        return [Decimal(0) for _ in amounts]
    floors = [c * goal // total for c in cents]
    remainders = [c * goal % total for c in cents]
    left = goal - sum(floors)
    for i in sorted(range(len(cents)), key=lambda i: (-remainders[i], i))[:left]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]


def contribution(plan: Plan, app: Applicant, decision: ApplicantDecision
                 ) -> tuple[dict[str, Decimal], dict[str, Decimal], list[tuple[tuple[str, str, int], str]]]:
    """What one applicant adds to a batch summary: granted amounts by measure and by payer, and its
    quota claims (measure, quota value such as the industry, year) → "applicant/project"."""
    by_measure: dict[str, Decimal] = {}
    by_payer: dict[str, Decimal] = {}
    claims = []
    projects = {p.id: p for p in app.projects}
    for pd in decision.projects:
        for a in pd.awards:
            if a.status == "granted" and a.amount:
                by_measure[a.measure] = by_measure.get(a.measure, Decimal(0)) + a.amount
            for payer, part in a.shares:
                by_payer[payer] = by_payer.get(payer, Decimal(0)) + part
            quota = plan.measure(a.measure).quota
            project = projects.get(pd.id)
            if quota and a.status in ("granted", "superseded") and project and project.date:
                key = (a.measure, str(project.facts.get(quota[1])), project.date.year)
                claims.append((key, f"{decision.id}/{pd.id}"))
    return by_measure, by_payer, claims


@attrs.define
class BatchTotals:
    """The batch summary, built one applicant at a time (so a stream needs no second pass)."""

    plan: Plan
    applicants: int = 0
    errors: int = 0
    total: Decimal = Decimal(0)
    by_measure: dict[str, Decimal] = attrs.field(factory=dict)
    quota_claims: dict[tuple[str, str, int], list[str]] = attrs.field(factory=dict)
    by_payer: dict[str, Decimal] = attrs.field(factory=dict)

    def add(self, app: Applicant, decision: ApplicantDecision) -> None:
        self.applicants += 1
        self.errors += decision.status == "error"
        self.total += decision.total
        by_measure, by_payer, claims = contribution(self.plan, app, decision)
        for mid, amount in by_measure.items():
            self.by_measure[mid] = self.by_measure.get(mid, Decimal(0)) + amount
        for payer, amount in by_payer.items():
            self.by_payer[payer] = self.by_payer.get(payer, Decimal(0)) + amount
        for key, who in claims:
            self.quota_claims.setdefault(key, []).append(who)

    def summary(self) -> Summary:
        warnings = []
        for (mid, value, year), claims in sorted(self.quota_claims.items()):
            limit = self.plan.measure(mid).quota[0]  # type: ignore[index]
            if len(claims) > limit:
                warnings.append(Label(
                    f"{mid} 名额:{value} 产业 {year} 年度有 {len(claims)} 个入选项目({'、'.join(claims)}),"
                    f"超过每个产业最多 {limit} 个;由主管部门遴选,引擎不代为取舍(I-3)",
                    f"{mid} quota: {value} has {len(claims)} selected projects in {year} ({', '.join(claims)}), "
                    f"more than the {limit} per industry per year; the authority selects, the engine does not (I-3)",
                ))
        return Summary(
            applicants=self.applicants,
            errors=self.errors,
            total=self.total,
            by_measure=dict(sorted(self.by_measure.items(), key=lambda kv: measure_key(kv[0]))),
            warnings=tuple(warnings),
            by_payer=dict(self.by_payer),
        )
