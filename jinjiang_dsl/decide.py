"""From per-measure results to decisions: each measure on each project, then the policy's rules.

A project is first looked at by the gates (a validity rule); each measure it lists is computed
and, when eligible, granted at its entitlement — stacking is the default. The rules of the plan
then act on all of the applicant's claims, in the plan's order (:func:`jinjiang_dsl.plan`), and
each may say at the end what a later one did to its outcome.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator
from decimal import Context, Decimal, localcontext
from typing import Any

import attrs

from .decisions import ApplicantDecision, Award, ProjectDecision, Summary
from .inputs import Applicant, Project
from .ir import Measure, Note, measure_key
from .plan import Plan
from .problem import Problem
from .rules import Allocation, Claim, Earlier, Evaluation, Part, Validity, allocation, largest_remainder
from .runtime.money import fmt_plain, percent_text, round_to
from .runtime.outcome import MeasureResult, Undefined
from .runtime.trace import Label, Step, joined

Facts = dict[str, Any]
MeasureFn = Callable[[Facts, Facts, "list[Step] | None"], MeasureResult]
ZERO = Decimal(0)
# Arithmetic is exact: the default context keeps only 28 significant digits, so
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
    """What a backend (compiled or interpreted) provides: one function per measure, and the
    applicant-level figures the rules declare (:attr:`Plan.figures`), by key."""

    name: str
    measures: dict[str, MeasureFn]
    figures: dict[str, Callable[[Facts], Any]]
    # the whole applicant as code generated for the policy (compile/applicant.py), untraced and traced;
    # None: the decider's own walk
    applicant: Callable[[Applicant, Decider], ApplicantDecision] | None = None
    applicant_traced: Callable[[Applicant, Decider], ApplicantDecision] | None = None


class Decider:
    def __init__(self, plan: Plan, backend: Backend, trace: bool = True):
        self.plan = plan
        self.backend = backend
        self.trace = trace
        self.measures = sorted(plan.measures, key=lambda m: measure_key(m.id))
        self.own = tuple(m for m in self.measures if m.level == "applicant")
        self.over_year = tuple(m for m in self.measures if m.level == "year")
        self.gates = [r for r in plan.rules if isinstance(r, Validity)]
        self.acting = [(r, r.own_measure) for r in plan.rules if not r.GATE]  # and the one measure it acts on
        self._listed: dict[frozenset[str], tuple[Measure, ...]] = {}
        self.listed_by: dict[frozenset[str], tuple[tuple[Measure, MeasureFn], ...]] = {}
        self.generated = backend.applicant_traced if trace else backend.applicant
        self.supplies = tuple(s for s in plan.inputs.values() if s.from_register)  # what a register may supply
        self._gated: dict[dt.date | None, tuple[str, tuple[Step, ...]]] = {}
        # The notes a measure's explanation ends with, made once (steps are immutable): its own and the
        # policy's, or, for a referred claim, which has no amount, only its own.
        self.note_steps = {m.id: (self._notes(m, (*m.notes, *plan.policy_notes)), self._notes(m, m.notes))
                           for m in plan.measures}

    def listed(self, given: frozenset[str]) -> tuple[Measure, ...]:
        """The measures a project lists (those whose facts it gives), in measure order; memoised,
        since real batches repeat a few shapes of project many times."""
        found = self._listed.get(given)
        if found is None:
            found = self._listed[given] = tuple(m for m in self.measures if m.level == "project" and m.own_facts & given)
        return found

    def listed_with_functions(self, given: frozenset[str]) -> tuple[tuple[Measure, MeasureFn], ...]:
        """The measures a project lists, each with its function (for the generated code); memoised."""
        found = self.listed_by.get(given)
        if found is None:
            found = self.listed_by[given] = tuple((m, self.backend.measures[m.id]) for m in self.listed(given))
        return found

    def own_claims(self, app: Applicant) -> list[Claim]:
        """The claims of the measures decided on the applicant's own facts (those it gives), each dated by
        the applicant's date, or by its own date input when it names one (``dated by`` in the measure)."""
        listed = tuple(m for m in self.own if m.own_facts & app.given)
        if not any(m.dated_by for m in listed):
            return self.claims(app, listed, {}, -1, "", app.date)
        return [c for m in listed for c in self.claims(
            app, (m,), {}, -1, "", app.measure_dates.get(m.id) if m.dated_by else app.date, dated=m.dated_by)]

    @staticmethod
    def error(app: Applicant, problem: Problem) -> ApplicantDecision:
        return ApplicantDecision(app.id, app.name, "error", ZERO, (), (problem,))

    @staticmethod
    def _notes(m: Measure, notes: tuple[Note, ...]) -> tuple[Step, ...]:
        return tuple(Step(m.rule, "note", {"id": n.id, "text": n.text}) for n in notes)

    def figure(self, key: str, facts: Facts) -> Any:
        return self.backend.figures[key](facts)

    def input_label(self, name: str) -> Label:
        return self.plan.inputs[name].label

    # ------------------------------------------------------------------ one applicant

    def applicant(self, app: Applicant, earlier: tuple[Earlier, ...] | None = None) -> ApplicantDecision:
        with exact():
            return self.decide(app, earlier)

    def applicants(self, apps: Iterable[Applicant], earlier: Callable[[Applicant], tuple[Earlier, ...]] | None = None
                   ) -> Iterator[ApplicantDecision]:
        """Many applicants under one exact decimal context (entering it costs as much as a small measure),
        with Python's cyclic garbage collector paused meanwhile: decisions hold no reference cycles, and
        a collector scanning every decision kept so far took a third of a traced batch
        (docs/performance.md). It runs again as before once the batch is done or dropped."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            with exact():
                for app in apps:
                    yield self.decide(app, earlier(app) if earlier is not None else None)
        finally:
            if collecting:
                gc.enable()

    def decide(self, app: Applicant, earlier: tuple[Earlier, ...] | None = None) -> ApplicantDecision:
        """One applicant, in the caller's decimal context: wrap calls in :func:`exact`. ``earlier``: what
        earlier batches granted it (from the decision register), which the rules that span rounds count;
        None without a register.

        Inputs and policy literals are bounded (jinjiang_dsl.limits), but a formula can still
        multiply them past what exact arithmetic holds; then the applicant is an error, never a
        rounded figure and never a crash of the batch."""
        try:
            return self._decide(app, earlier)
        except Undefined as exc:
            return ApplicantDecision(app.id, app.name, "error", ZERO, (), (self.zero_divisor(app, exc),))
        except ArithmeticError:
            problem = Problem("a figure in this applicant's computation is too large to compute exactly",
                              "该申请人的计算中有数值过大,无法精确计算").of(app.id)
            return ApplicantDecision(app.id, app.name, "error", ZERO, (), (problem,))

    def evaluation(self, app: Applicant, earlier: tuple[Earlier, ...] | None = None) -> Evaluation:
        """What the rules see of this applicant; with a register (``earlier`` not None), the 'from register'
        inputs its record left out, which the register supplies."""
        supplied = tuple((s.name, s.label) for s in self.supplies if s.name not in app.given) \
            if earlier is not None else ()
        return Evaluation(app, self.figure, self.trace, self.input_label, self.plan.rounding_unit, earlier or (),
                          supplied)

    def zero_divisor(self, app: Applicant, exc: Undefined) -> Problem:
        """A division by zero, as the input error it is: located at the input the divisor is made of."""
        project, measure = exc.where or (None, None)
        what = f"measure {measure}" if measure else "a rule across measures"
        what_zh = f"措施 {measure}" if measure else "跨措施规则"
        pid = project.id if project is not None else None
        if not exc.names:
            return Problem(f"{what} divides by zero", f"{what_zh}的计算除数为零").at(
                project.path if project else app.path).of(app.id, pid)
        name = exc.names[0]
        where = project.path if project is not None and self.plan.inputs[name].scope == "project" else app.path
        divisor = joined([self.plan.inputs[n].label for n in exc.names])
        return Problem(f"{what} divides by {divisor.en}, which is 0 here",
                       f"{what_zh}{' ' if measure else ''}以{divisor.zh}为除数,此处为 0"
                       ).at(f"{where}.{name}").of(app.id, pid if where != app.path else None)

    def _decide(self, app: Applicant, earlier: tuple[Earlier, ...] | None = None) -> ApplicantDecision:
        if not app.ok:
            return ApplicantDecision(app.id, app.name, "error", ZERO, (), app.errors)
        if self.generated is not None and not earlier and (earlier is None or not self.supplies):
            # the generated rules know no earlier batches, nor what a register supplies
            return self.generated(app, self)
        own: list[Claim] = []
        if self.own:
            own = self.own_claims(app)
        if self.over_year:
            own += self.yearly(app)
        per_project = [self.claims(app, self.listed(p.given), p.facts, order, p.id, p.date, p)
                       for order, p in enumerate(app.projects)]
        claims = own + [c for found in per_project for c in found] if own else \
            [c for found in per_project for c in found]
        granted = {c.measure.id for c in claims if c.status == "granted"}
        if granted:  # rules act on granted claims only
            problem = self.apply_rules(app, claims, granted, earlier)
            if problem is not None:
                return self.error(app, problem)
        total = sum([c.amount for c in claims if c.status == "granted" and c.amount], ZERO)
        freeze = self.freeze
        projects = tuple([ProjectDecision(p.id, tuple([freeze(c) for c in found]))
                          for p, found in zip(app.projects, per_project)])
        return ApplicantDecision(app.id, app.name, "ok", total, projects, (), tuple([freeze(c) for c in own]))

    def apply_rules(self, app: Applicant, claims: list[Claim], granted: set[str],
                    earlier: tuple[Earlier, ...] | None = None) -> Problem | None:
        """The plan's rules on an applicant's claims, in order (a measure's own rule only when that measure
        was granted); traced, each then says what a later one did to its outcome."""
        ev = self.evaluation(app, earlier)
        for rule, only in self.acting:
            if only is None or only in granted:
                problem = rule.apply(ev, claims)
                if problem is not None:
                    return problem
        if self.trace:  # a measure's own rule that did not act has nothing to say after the others
            for rule, only in self.acting:
                if only is None or only in granted:
                    rule.finish(ev, claims)
        return None

    def freeze(self, c: Claim) -> Award:
        m = c.measure
        shares = self.shares(c) if m.shared else ()
        parts = self.instalments(c) if m.instalments else ()
        return Award(m.id, c.status, c.entitlement, c.amount, tuple(c.steps) if c.steps else (), c.warnings,
                     parts, shares, c.year if m.level == "year" else None)

    def shares(self, c: Claim) -> tuple[tuple[str, Decimal], ...]:
        """资金分担: the granted amount split between the payers by their weights, exact in the policy's
        rounding unit by the largest remainder (equal remainders to the payer listed first)."""
        payers = c.measure.shared
        if not payers or not c.paid():
            return ()
        weights = [Decimal(w) for _, w in payers]
        parts = largest_remainder(weights, c.paid(), self.plan.rounding_unit)
        found = tuple((payer, part) for (payer, _), part in zip(payers, parts))
        if self.trace and len(payers) == 1:  # 全额承担: nothing to split, no table to show
            c.note(Step(c.measure.rule, "shares", {"amount": c.amount, "payer": self.plan.payer(payers[0][0]),
                                                   "variant": "whole"}))
        elif self.trace:
            names = [self.plan.payer(p) for p, _ in payers]  # in English as the policy names them
            table = allocation(c.measure.rule, c.label, str(c.year or ""), "payers",
                               names, weights, c.paid(), parts, self.plan.rounding_unit)
            c.note(Step(c.measure.rule, "shares", {
                "amount": c.amount, "ratio": ":".join(str(w) for _, w in payers),
                "parts": Label("、".join(f"{p.zh} {fmt_plain(x)} 元" for p, (_, x) in zip(names, found)),
                               ", ".join(f"{p.en} {fmt_plain(x)} yuan" for p, (_, x) in zip(names, found))),
                "allocation": table}))
        return found

    def instalments(self, c: Claim) -> tuple[tuple[int, Decimal], ...]:
        """分期拨付: the granted amount paid over the years from the award's own, each share but the last
        rounded to the policy's unit, the last what is left — so the parts add up exactly."""
        shares = c.measure.instalments
        if not shares or not c.paid() or c.date is None:
            return ()
        amount = c.paid()
        unit, mode = self.plan.rounding_unit, self.plan.rounding_mode
        parts = [round_to(amount * s, unit, mode) for s in shares[:-1]]
        parts.append(amount - sum(parts, ZERO))
        found = tuple((c.date.year + i, part) for i, part in enumerate(parts))
        if self.trace:
            rows = tuple(Part(Label(f"{y} 年", str(y)), s, part, amount * s) for (y, part), s in zip(found, shares))
            table = Allocation(c.measure.rule, c.label, str(c.year or ""), "instalments", amount, sum(shares, ZERO),
                               unit, rows)
            c.note(Step(c.measure.rule, "instalments", {
                "amount": amount, "parts": Label("、".join(f"{y} 年 {fmt_plain(p)} 元" for y, p in found),
                                                 ", ".join(f"{fmt_plain(p)} yuan in {y}" for y, p in found)),
                "shares": Label("、".join(percent_text(s) for s in shares),
                                ", ".join(percent_text(s) for s in shares)), "allocation": table}))
        return found

    def in_period(self, date: dt.date | None) -> bool:
        return self.gated(date)[0] != "out_of_period"

    def gated(self, date: dt.date | None) -> tuple[str, tuple[Step, ...]]:
        """What the gates say of a date, and their steps; remembered per date, since a batch has few
        (the memory is bounded: a batch of many different dates starts it afresh now and then)."""
        found = self._gated.get(date)
        if found is None:
            status, steps = "in_force", []
            for gate in self.gates:
                verdict, step = gate.step(date)
                steps.append(step)
                if verdict == "out_of_period":
                    status = verdict
            if len(self._gated) >= 4096:
                self._gated.clear()
            found = self._gated[date] = (status, tuple(steps) if self.trace else ())
        return found

    def yearly(self, app: Applicant) -> list[Claim]:
        """The claims of the measures over the year (S13): for each year, one claim whose facts are the
        sums over the applicant's projects of that year (in period) that give the measure's facts."""
        found: list[Claim] = []
        for m in self.over_year:
            years: dict[int, list[Project]] = {}
            for p in app.projects:
                if p.date is not None and p.given & m.own_facts and self.in_period(p.date):
                    years.setdefault(p.date.year, []).append(p)
            for year, projects in sorted(years.items()):
                sums, lead = {}, []
                for name in sorted(m.own_facts):
                    given = [p for p in projects if p.facts.get(name) is not None]
                    if not given:
                        continue  # not provided by any project of the year: the measure says so
                    sums[name] = sum(p.facts[name] for p in given)
                    lead.append(Step(m.rule, "year_sum", {
                        "year": str(year), "name": name, "label": self.input_label(name), "total": sums[name],
                        "parts": " + ".join(f"{p.id} {fmt_plain(p.facts[name])}" for p in given),
                        "projects": tuple(p.id for p in given)}))
                found += self.claims(app, (m,), sums, -1, "", min(p.date for p in projects if p.date), lead=lead)
        return found

    def claims(self, app: Applicant, measures: tuple[Measure, ...], facts: Facts, order: int, pid: str,
               date: dt.date | None, project: Project | None = None, lead: list[Step] | None = None,
               dated: str | None = None) -> list[Claim]:
        """The claims of a project (or, with ``project`` None, of the applicant itself): the gates, then each
        measure listed, granted at its entitlement when eligible. ``dated``: the input the date is, when it is
        a measure's own, which the gates' steps name."""
        if not measures:
            return []
        status, gate_steps = self.gated(date)
        if dated is not None and date is not None and self.trace:  # the year, and the input it is read from
            label = self.input_label(dated)
            gate_steps = (Step(measures[0].rule, "dated", {"label": label, "date": date, "year": str(date.year)}),
                          *(Step(s.rule, s.kind, {**s.params, "dated": label}) for s in gate_steps))
        claims = []
        for m in measures:
            steps: list[Step] | None = [*gate_steps, *(lead or ())] if self.trace else None
            claim = Claim(m, status, ZERO, ZERO, steps, (), order, pid, date, facts)
            claims.append(claim)
            if status == "out_of_period":
                continue
            try:
                result = self.backend.measures[m.id](app.facts, facts, steps)
            except Undefined as exc:
                exc.where = (project, m.id)
                raise
            claim.warnings = result.warnings
            if result.status == "referred":  # no amount at all, never 0 granted
                claim.status, claim.entitlement, claim.amount = "referred", None, None
            elif result.status == "eligible":
                claim.status, claim.entitlement = "granted", result.entitlement or ZERO
                claim.amount = claim.entitlement
            else:
                claim.status, claim.entitlement = "not_eligible", result.entitlement or ZERO
            if steps is not None:
                steps.extend(self.note_steps[m.id][claim.status == "referred"])
        return claims


def contribution(plan: Plan, app: Applicant, decision: ApplicantDecision
                 ) -> tuple[dict[str, Decimal], dict[str, Decimal], list[tuple[tuple[str, str, int], str]],
                            dict[str, Decimal]]:
    """What one applicant adds to a batch summary: granted amounts by measure and by payer, its quota
    claims (measure, the value the quota counts per, year) → "applicant/project", and granted amounts by
    year paid (an award paid in instalments by each instalment's year, as a budget is drawn; an award over
    a year by that year, any other by its project's date or the applicant's; "—" for none), which the
    budget impact of a change reports."""
    by_measure: dict[str, Decimal] = {}
    by_payer: dict[str, Decimal] = {}
    by_year: dict[str, Decimal] = {}
    claims = []
    projects = {p.id: p for p in app.projects}
    for pd in decision.groups():
        for a in pd.awards:
            if a.status == "granted" and a.amount:
                by_measure[a.measure] = by_measure.get(a.measure, Decimal(0)) + a.amount
                dated = app.measure_dates.get(a.measure, app.date) if pd.id is None \
                    else getattr(projects.get(pd.id), "date", None)
                year = str(a.year or (dated.year if dated else "—"))
                for paid, part in a.instalments or ((year, a.amount),):
                    by_year[str(paid)] = by_year.get(str(paid), Decimal(0)) + part
            for payer, part in a.shares:
                by_payer[payer] = by_payer.get(payer, Decimal(0)) + part
            quota = plan.measure(a.measure).quota
            project = projects.get(pd.id) if pd.id is not None else None
            if quota and a.status in ("granted", "superseded") and project and project.date:
                key = (a.measure, str(project.facts.get(quota[1])), project.date.year)
                claims.append((key, f"{decision.id}/{pd.id}"))
    return by_measure, by_payer, claims, by_year


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
        by_measure, by_payer, claims, _ = contribution(self.plan, app, decision)
        for mid, amount in by_measure.items():
            self.by_measure[mid] = self.by_measure.get(mid, Decimal(0)) + amount
        for payer, amount in by_payer.items():
            self.by_payer[payer] = self.by_payer.get(payer, Decimal(0)) + amount
        for key, who in claims:
            self.quota_claims.setdefault(key, []).append(who)

    def summary(self) -> Summary:
        warnings = []
        for (mid, value, year), claims in sorted(self.quota_claims.items()):
            limit, per = self.plan.measure(mid).quota or (0, "")
            if len(claims) > limit:
                spec = self.plan.inputs[per]
                shown = spec.value_labels.get(value, Label(value, value))
                warnings.append(Label(
                    f"{mid} 名额:{spec.label.zh}为{shown.zh}的 {year} 年度有 {len(claims)} 个入选项目"
                    f"({'、'.join(claims)}),超过每个{spec.label.zh}最多 {limit} 个;由主管部门遴选,引擎不代为取舍",
                    f"{mid} quota: {len(claims)} selected projects with {spec.label.en} {shown.en} in {year} "
                    f"({', '.join(claims)}), more than the {limit} per {spec.label.en} per year; the authority "
                    f"selects, the engine does not",
                ))
        return Summary(
            applicants=self.applicants,
            errors=self.errors,
            total=self.total,
            by_measure=dict(sorted(self.by_measure.items(), key=lambda kv: measure_key(kv[0]))),
            warnings=tuple(warnings),
            by_payer=dict(self.by_payer),
        )
