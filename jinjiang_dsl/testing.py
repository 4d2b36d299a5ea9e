"""Hypothesis strategies derived from a policy: valid and invalid applications.

Values cluster where the policy itself has edges — each tier boundary (just below, at,
just above), the base at which each cap starts to bind, the ends of the validity
windows — because that is where drafting and compiling mistakes show. Everything is
read from the policy, so the strategies follow it when a drafter changes a number.

    from hypothesis import given
    from jinjiang_dsl import load_policy
    from jinjiang_dsl.testing import Strategies

    s = Strategies(load_policy("policies/jinjiang_2023.pol"))

    @given(s.document())
    def test_never_more_than_the_cap(doc): ...
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # an optional dependency: say which extra brings it
    raise ModuleNotFoundError("jinjiang_dsl.testing needs Hypothesis: pip install 'jinjiang-dsl[test]'",
                              name="hypothesis") from exc

from . import ir
from .api import Policy
from .inputs import convert
from .ir import Measure
from .plan import Plan
from .rules import HighestNotStacked
from .runtime.money import percent_text

CENT = Decimal("0.01")


def _constant(e: ir.Expr | None) -> Decimal | None:
    """A literal figure (an amount, a count, a rate), or None."""
    if isinstance(e, ir.Const) and isinstance(e.value, (Decimal, int)) and not isinstance(e.value, bool):
        return Decimal(e.value)
    return None


def _input_names(e: ir.Expr | None) -> list[str]:
    """The inputs an expression adds up (a base such as software + hardware investment)."""
    if isinstance(e, ir.Input):
        return [e.name]
    if isinstance(e, ir.Arith) and e.op in ("+", "*"):  # a sum, or a per-unit amount: 5万元 × sessions
        return _input_names(e.left) + _input_names(e.right)
    return []


def amount_inputs(plan: Plan, m: Measure) -> list[str]:
    """The inputs a measure's amount grows with: its base, its tier value, its unit count."""
    return _input_names(m.formula.expr)


def edges(plan: Plan) -> dict[str, set[Any]]:
    """For each input, the values where the policy changes its answer (figures, or days)."""
    found: dict[str, set[Any]] = {}

    def add(name: str, value: Any, step: Any) -> None:
        found.setdefault(name, set()).update({value - step, value, value + step})

    for m in plan.measures:
        formulas = [(m.formula, m.cap)] + [(o.formula, o.cap or m.cap) for o in m.overrides]
        for f, cap in formulas:
            names = _input_names(f.expr if f.expr is not None else m.formula.expr)
            if f.kind in ("bands", "thresholds", "brackets"):
                for tier in f.tiers:
                    iv = tier.interval
                    for bound in (iv.lower, iv.upper):
                        if bound is not None:
                            for n in names:
                                add(n, bound, Decimal(1) if plan.inputs[n].kind == "count" else CENT)
            elif f.kind == "rate" and f.rate and (most := _constant(cap)) is not None:
                binds = (most / f.rate).quantize(CENT)
                for n in names:
                    add(n, binds, CENT)
        for cond in (*m.requirements, *((m.beneficiary,) if m.beneficiary else ())):
            _condition_edges(plan, cond.expr, add)
    return {k: {v for v in vs if not isinstance(v, Decimal) or v >= 0} for k, vs in found.items()}


def _condition_edges(plan: Plan, e: ir.Expr, add: Any) -> None:
    if isinstance(e, ir.Within) and isinstance(e.operand, ir.Input):
        for bound in (e.interval.lower, e.interval.upper):
            if bound is not None:
                add(e.operand.name, bound, dt.timedelta(days=1) if isinstance(bound, dt.date) else Decimal(1))
    elif isinstance(e, ir.Compare) and isinstance(e.left, ir.Input):
        value = _constant(e.right)
        if value is not None:
            add(e.left.name, value, Decimal(1) if plan.inputs[e.left.name].kind == "count" else CENT)
    elif isinstance(e, ir.Logic):
        _condition_edges(plan, e.left, add)
        _condition_edges(plan, e.right, add)


class Strategies:
    """Strategies for one policy. Every value is a JSON value, as an application file holds it."""

    def __init__(self, policy: Policy, max_money: Decimal = Decimal(20_000_000)):
        self.policy = policy
        self.plan = policy.plan
        self.edges = edges(self.plan)
        self.max_money = max_money
        self.dated_by = self.plan.dated_by

    # ------------------------------------------------------------------ values

    def money(self, name: str | None = None) -> st.SearchStrategy[str]:
        near = sorted(self.edges.get(name or "", ()))
        random = st.decimals(min_value=0, max_value=self.max_money, places=2, allow_nan=False,
                             allow_infinity=False)
        options = [random, st.sampled_from([Decimal(0), Decimal(1)])]
        if near:
            options.insert(0, st.sampled_from(near))
        return st.one_of(*options).map(lambda d: f"{d:f}")

    def percent(self, name: str) -> st.SearchStrategy[str]:
        """A percentage as an application writes it: with its sign ("20%"), or as the fraction ("0.2") when it
        is at most 1 (a plain number above 1 is an input error)."""
        near = sorted(self.edges.get(name, ()))
        options = [st.decimals(min_value=0, max_value=2, places=4, allow_nan=False, allow_infinity=False),
                   st.sampled_from([Decimal(0), Decimal(1)])]
        if near:
            options.insert(0, st.sampled_from(near))
        return st.one_of(*options).flatmap(
            lambda d: st.sampled_from([percent_text(d)] if d > 1 else [f"{d:f}", percent_text(d)]))

    def count(self, name: str | None = None) -> st.SearchStrategy[int]:
        near = sorted(int(v) for v in self.edges.get(name or "", ()) if v == v.to_integral_value())
        options = [st.integers(0, 200)]
        if near:
            options.insert(0, st.sampled_from(near))
        return st.one_of(*options)

    def date(self, name: str | None = None) -> st.SearchStrategy[str]:
        points: list[dt.date] = sorted(v for v in self.edges.get(name or "", ()) if isinstance(v, dt.date))
        for window in (self.plan.in_force, self.plan.by_reference):
            if window:
                for d in window:
                    points += [d - dt.timedelta(days=1), d, d + dt.timedelta(days=1)]
        lo = min(points, default=dt.date(2023, 1, 1)) - dt.timedelta(days=30)
        hi = max(points, default=dt.date(2024, 12, 31)) + dt.timedelta(days=30)
        options = [st.dates(min_value=lo, max_value=hi)]
        if points:
            options.insert(0, st.sampled_from(points))
        return st.one_of(*options).map(lambda d: d.isoformat())

    def value(self, name: str) -> st.SearchStrategy[Any]:
        spec = self.plan.inputs[name]
        if spec.kind == "bool":
            return st.booleans()
        if spec.kind == "percent":
            return self.percent(name)
        if spec.kind == "money":
            return self.money(name)
        if spec.kind == "count":
            return self.count(name)
        if spec.kind == "date":
            return self.date(name)
        if spec.kind == "enum":
            return st.sampled_from(spec.values)
        return st.sampled_from(self.text_values(name) or ["其他"])

    def text_values(self, name: str) -> list[str]:
        """Words the policy tests a text input against (``category in {甲类, …}``) or chooses an amount by
        (``amount by level { national: … }``), and one it does not."""
        words: set[str] = set()
        for m in self.plan.measures:
            for cond in m.requirements:
                e = cond.expr
                if isinstance(e, ir.Member) and isinstance(e.operand, ir.Input) and e.operand.name == name:
                    words.update(e.values)
            for f in (m.formula, *(o.formula for o in m.overrides)):
                if f.kind == "category" and isinstance(f.expr, ir.Input) and f.expr.name == name:
                    words.update(value for value, _, _ in f.rows)
        return sorted(words) + ["其他"] if words else []

    # ------------------------------------------------------------------ records

    def facts_of(self, names: frozenset[str] | set[str]) -> st.SearchStrategy[dict[str, Any]]:
        """Some of the given facts (each present or not), with values."""
        return st.fixed_dictionaries({}, optional={n: self.value(n) for n in sorted(names)})

    def project(self, pid: str = "P1", measures: int = 2) -> st.SearchStrategy[dict[str, Any]]:
        """A project giving the facts of one or more measures, so that a highest-not-stacked rule has something to compare."""
        def build(chosen: list[Measure]) -> st.SearchStrategy[dict[str, Any]]:
            names = set().union(*(m.own_facts for m in chosen))
            required = {n: self.value(n) for n in sorted(names) if self.plan.inputs[n].kind != "bool"}
            flags = {n: st.booleans() for n in sorted(names) if self.plan.inputs[n].kind == "bool"}
            base = st.fixed_dictionaries({"id": st.just(pid), **required},
                                         optional={**flags, **self._rule_facts()})
            if self.dated_by and self.plan.inputs[self.dated_by].scope == "project":
                base = st.tuples(base, self.date(self.dated_by)).map(lambda t: {**t[0], self.dated_by: t[1]})
            return base.filter(self.keeps_assertions)

        if not self.project_measures:  # every measure decided on the applicant's facts: a project of none
            return build([])
        return st.lists(st.sampled_from(self.project_measures), min_size=1, max_size=measures,
                        unique_by=lambda m: m.id).flatmap(build)

    @property
    def project_measures(self) -> list[Measure]:
        """The measures whose facts a project gives: its own, and those summed over the year (the others
        are decided on the applicant's facts)."""
        return [m for m in self.plan.measures if m.level != "applicant"]

    def keeps_assertions(self, project: dict[str, Any]) -> bool:
        """A valid project also keeps the policy's input assertions (started <= diagnosed)."""
        facts = {}
        for name, raw in project.items():
            spec = self.plan.inputs.get(name)
            if spec is not None:
                facts[name] = convert(spec, raw)[0]
        return not self.policy.validator.assertions({}, {k: v for k, v in facts.items() if v is not None})

    def _rule_facts(self) -> dict[str, st.SearchStrategy[Any]]:
        names = [r.other_policy for r in self.plan.rules if isinstance(r, HighestNotStacked) and r.other_policy]
        return {name: self.money(name) for name in names}

    def applicant(self, aid: str = "A1", max_projects: int = 3) -> st.SearchStrategy[dict[str, Any]]:
        names = [n for n, s in self.plan.inputs.items() if s.scope == "applicant"]
        fields = {n: self.value(n) for n in names}
        fewest = 1 if self.project_measures else 0
        projects = st.integers(fewest, max_projects if fewest else 0).flatmap(
            lambda k: st.tuples(*(self.project(f"P{i + 1}") for i in range(k))).map(list))
        return st.tuples(st.fixed_dictionaries(fields), projects).map(
            lambda t: {"id": aid, **t[0], "projects": t[1]})

    def document(self, max_applicants: int = 4) -> st.SearchStrategy[dict[str, Any]]:
        return st.integers(1, max_applicants).flatmap(
            lambda n: st.tuples(*(self.applicant(f"A{i + 1}") for i in range(n))).map(
                lambda apps: {"applicants": list(apps)}))

    # ------------------------------------------------------------------ invalid records

    def invalid_applicant(self, aid: str = "BAD") -> st.SearchStrategy[tuple[dict[str, Any], str]]:
        """A valid applicant with exactly one thing wrong, and the JSON path the error must name."""
        projects = bool(self.project_measures)  # else an applicant has none, and only its own facts are spoiled
        money_fields = [n for n, s in self.plan.inputs.items() if s.kind == "money" and s.scope == "project"
                        and projects]
        count_fields = [n for n, s in self.plan.inputs.items() if s.kind == "count" and s.scope == "project"
                        and projects]
        enum_fields = [n for n, s in self.plan.inputs.items() if s.kind == "enum" and s.scope == "applicant"]
        dated = self.dated_by is not None and (projects or self.plan.inputs[self.dated_by].scope == "applicant")

        def spoil(app: dict[str, Any], how: str, field: str) -> tuple[dict[str, Any], str]:
            project = app["projects"][0] if app["projects"] else {}
            if how == "negative money":
                project[field] = "-5"
            elif how == "money as bool":
                project[field] = True
            elif how == "negative count":
                project[field] = -1
            elif how == "count as text":
                project[field] = "twelve"
            elif how == "unknown field":
                project[field + "x"] = "1"
                return app, f"projects[0].{field}x"
            elif how == "bad date" and self.dated_by:
                if self.plan.inputs[self.dated_by].scope == "applicant":
                    app[self.dated_by] = "2023-02-30"
                    return app, self.dated_by
                project[self.dated_by] = "2023-02-30"
                return app, f"projects[0].{self.dated_by}"
            elif how == "unknown value":
                app[field] = "nonsense"
                return app, field
            return app, f"projects[0].{field}"

        hows = [("negative money", money_fields), ("money as bool", money_fields), ("negative count", count_fields),
                ("count as text", count_fields), ("unknown field", money_fields), ("bad date", ["date"] if dated else []),
                ("unknown value", enum_fields)]
        hows = [(h, fs) for h, fs in hows if fs]
        return st.tuples(self.applicant(aid, 1), st.sampled_from(hows)).flatmap(
            lambda t: st.sampled_from(t[1][1]).map(lambda f: spoil(t[0], t[1][0], f)))
