"""The code generator's second half: the whole applicant, untraced, as straight-line code for one policy.

:func:`decide_applicant` walks an applicant's projects, computes each measure a project lists
(the gates inline, as date comparisons), and then applies the policy's rules in the order the plan
lists them — each rule kind writes its own code (``Rule.emit``), specialised with the rule's
constants, so no rule record is looked at per applicant. It decides exactly as the decider's rule
walk (:mod:`jinjiang_dsl.decide`) without a trace, and the differential tests hold it to that on
every policy; with a trace the decider walks the rule records, which also write the explanation.

What is rare is delegated to the decider (``d``), not generated: measures decided on the
applicant's own facts or over a year, payer shares and instalments.
"""

from __future__ import annotations

from ..ir import measure_key
from ..plan import Plan
from ..rules import Validity
from .source import Constants, Emitter, _dec


class RuleCode:
    """What a rule's ``emit`` writes with: the lines, named constants, and the figure functions.

    In the code a rule writes, ``claims`` is the applicant's list of claims, ``granted`` the ids of
    the measures granted before any rule acted, ``a`` the applicant's facts and ``app`` the applicant;
    a rule that finds an input problem returns ``d.error(app, problem)``."""

    def __init__(self, plan: Plan, out: Emitter, k: Constants):
        self.plan = plan
        self.out = out
        self.k = k
        self.figures = {key: f"figure_{i}" for i, (key, _) in enumerate(plan.figures)}

    def figure(self, key: str) -> str:
        return self.figures[key]

    def by_year(self, keep: str) -> None:
        """``years``: the claims that ``keep`` holds for, by the year of their date."""
        out = self.out
        out("years = {}")
        out("for c in claims:")
        with out.indent():
            out(f"if {keep} and c.date is not None:")
            with out.indent():
                out("years.setdefault(c.date.year, []).append(c)")

    def reduce_each_year(self, target: str, reduction: str) -> None:
        """Each year's claims over ``target`` brought down to it by the declared reduction."""
        out = self.out
        out("for found in years.values():")
        with out.indent():
            out("amounts = [c.amount or ZERO for c in found]")
            out(f"if sum(amounts, ZERO) > {target}:")
            with out.indent():
                out(f"for c, after in zip(found, reduce(amounts, {target}, {reduction!r}, UNIT)):")
                with out.indent():
                    out("c.amount = after")


def emit_applicant(plan: Plan, out: Emitter, k: Constants, trace: bool) -> None:
    """``decide_applicant(app, d)``: one valid applicant's decision, untraced; with ``trace``,
    ``decide_applicant_traced(app, d)``, whose rules are the plan's records, which write the steps."""
    measures = sorted(plan.measures, key=lambda m: measure_key(m.id))
    own = any(m.level == "applicant" for m in measures)
    over_year = any(m.level == "year" for m in measures)
    plain = not any(m.shared or m.instalments or m.level == "year" for m in measures)
    gates = [r for r in plan.rules if isinstance(r, Validity)]
    code = RuleCode(plan, out, k)
    out(f"def decide_applicant{'_traced' if trace else ''}(app, d):")
    with out.indent():
        out(repr(f"The whole applicant under {plan.path}, {'traced' if trace else 'untraced'}: measures, then the "
                 f"rules in plan order."))
        out("a = app.facts")
        out("own = d.own_claims(app)" if own else "own = []")
        if over_year:
            out("own += d.yearly(app)")
        out("claims = list(own)")
        out("granted = {c.measure.id for c in own if c.status == 'granted'}" if own or over_year else "granted = set()")
        out("per_project = []")
        out("listed_by = d.listed_by")
        out("for order, p in enumerate(app.projects):")
        with out.indent():
            out("listed = listed_by.get(p.given)")
            out("if listed is None:")
            with out.indent():
                out("listed = d.listed_with_functions(p.given)")
            out("found = []")
            out("if listed:")
            with out.indent():
                out("f, day = p.facts, p.date")
                if trace:
                    out("status, gate_steps = d.gated(day)")
                else:
                    gate(gates, out, k)
                out("for m, fn in listed:")
                with out.indent():
                    if trace:
                        out("steps = list(gate_steps)")
                    out(f"c = Claim(m, status, ZERO, ZERO, {'steps' if trace else 'None'}, (), order, p.id, day, f)")
                    out("found.append(c)")
                    out("if status == 'out_of_period':")
                    with out.indent():
                        out("continue")
                    out("try:")
                    with out.indent():
                        out(f"r = fn(a, f, {'steps' if trace else 'None'})")
                    out("except Undefined as exc:")
                    with out.indent():
                        out("exc.where = (p, m.id)")
                        out("raise")
                    out("c.warnings = r.warnings")
                    out("if r.status == 'eligible':")
                    with out.indent():
                        out("c.status, c.entitlement = 'granted', r.entitlement or ZERO")
                        out("c.amount = c.entitlement")
                        out("granted.add(m.id)")
                    out("elif r.status == 'referred':")
                    with out.indent():
                        out("c.status, c.entitlement, c.amount = 'referred', None, None")
                    out("else:")
                    with out.indent():
                        out("c.status, c.entitlement = 'not_eligible', r.entitlement or ZERO")
                    if trace:
                        out("steps.extend(d.note_steps[m.id][c.status == 'referred'])")
                out("claims += found")
            out("per_project.append(found)")
        acting = [r for r in plan.rules if not r.GATE]
        if acting and trace:
            out("if granted:  # rules act on granted claims only, each writing its steps")
            with out.indent():
                out("problem = d.apply_rules(app, claims, granted)")
                out("if problem is not None:")
                with out.indent():
                    out("return d.error(app, problem)")
        elif acting:
            out("if granted:  # rules act on granted claims only")
            with out.indent():
                for rule in acting:
                    out(f"# {rule.describe()!r}")
                    rule.emit(code)
        out("total = sum([c.amount for c in claims if c.status == 'granted' and c.amount], ZERO)")
        steps = "tuple(c.steps)" if trace else "()"
        freeze = f"Award(c.measure.id, c.status, c.entitlement, c.amount, {steps}, c.warnings)" if plain else "d.freeze(c)"
        out(f"projects = tuple([ProjectDecision(p.id, tuple([{freeze} for c in found]))")
        out("                   for p, found in zip(app.projects, per_project)])")
        out(f"return ApplicantDecision(app.id, app.name, 'ok', total, projects, (), tuple([{freeze} for c in own]))")


def gate(gates: list[Validity], out: Emitter, k: Constants) -> None:
    """``status``: 'out_of_period' when a validity rule says so of the project's date, else 'in_force'."""
    if not gates:
        out("status = 'in_force'")
        return
    tests = []
    for g in gates:
        windows = [g.in_force, *((g.by_reference,) if g.by_reference else ())]
        inside = " or ".join(f"{k.add('D', _dec(lo))} <= day <= {k.add('D', _dec(hi))}" for lo, hi in windows)
        tests.append(f"({inside})")
    out(f"# validity: {', '.join(g.id for g in gates)!r}")
    out(f"status = 'in_force' if day is not None and {' and '.join(tests)} else 'out_of_period'")
