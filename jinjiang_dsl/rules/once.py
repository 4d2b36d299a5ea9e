"""Once per applicant (一次性), or once per applicant per year: which claim holds the measure.

A measure's own clause, so it acts before every rule across measures: a claim that loses its
turn is not eligible and competes with nothing. Per year, the highest entitlement holds the year
(equal: the earlier in input order); once ever, the first claim by date (equal: the earlier in
input order). A claim that qualifies for nothing takes no turn.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Literal

import attrs

from ..problem import Problem
from ..runtime.money import fmt_plain
from ..runtime.trace import Label, Step
from .base import ZERO, Claim, Evaluation, Rule, held

if TYPE_CHECKING:
    from ..compile.applicant import RuleCode

WHAT = {"year": "once per applicant per year", "ever": "once per applicant"}


def first_dated(c: Claim) -> tuple[dt.date, int]:
    """Once ever: the first claim by date holds it (equal: the earlier in input order)."""
    return c.date or dt.date.max, c.order


def highest_entitled(c: Claim) -> tuple[Decimal, int]:
    """Once a year: the highest entitlement holds the year (equal: the earlier in input order)."""
    return c.entitlement or ZERO, -c.order


@attrs.frozen(slots=True)
class Once(Rule):
    measure: str = ""
    per: Literal["year", "ever"] = "year"
    applicant_level: bool = False  # decided on the applicant's facts: one claim per record, never a second

    KIND: ClassVar[str] = "once"
    WITHHOLDING: ClassVar[frozenset[str]] = frozenset({"year", "ever", "earlier_year", "earlier_ever"})
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {
        "once.year": ("本措施每个申请人每年限一次:{year} 年度由可得金额最高的项目 {project}({amount} 元)享受",
                      "Once per applicant per year: in {year} the year goes to project {project}, the highest "
                      "claim ({amount} yuan)"),
        "once.ever": ("本措施每个申请人限享受一次(一次性):已由项目 {project}({amount} 元)享受",
                      "Once per applicant (one-off): already awarded to project {project} ({amount} yuan)"),
        "once.earlier_year": ("本措施每个申请人每年限一次:{year} 年度已由此前的 {earlier} 享受(可得 {held} 元,"
                              "不低于本项的 {entitlement} 元),本项不再给予",
                              "Once per applicant per year: {year} was already taken by {earlier} (entitled to "
                              "{held} yuan, not less than this claim's {entitlement} yuan); nothing more here"),
        "once.earlier_ever": ("本措施每个申请人限享受一次:已由此前的 {earlier} 享受(可得 {held} 元,不低于本项的 "
                              "{entitlement} 元),本项不再给予",
                              "Once per applicant: already awarded by {earlier} (entitled to {held} yuan, not less "
                              "than this claim's {entitlement} yuan); nothing more here"),
        "once.top_up": ("{taken} {earlier} 享受(可得 {held} 元,{then});本项可得 {entitlement} 元更高,补足差额:"
                        "{entitlement} − {paid} = {amount} 元",
                        "{taken} {earlier} (entitled to {held} yuan; {then}); this claim's {entitlement} yuan is "
                        "higher, so it pays the difference: {entitlement} − {paid} = {amount} yuan"),
        "once.top_up_final": ("{taken} {earlier} 享受(可得 {held} 元,{then});本项可得 {entitlement} 元更高,补足差额:"
                              "{entitlement} − {paid} = {amount} 元。该批次中项目 {project} 的 {others} 当时因本措施胜出"
                              "而未获享受,已为终局,不再重新比较",
                              "{taken} {earlier} (entitled to {held} yuan; {then}); this claim's {entitlement} yuan is "
                              "higher, so it pays the difference: {entitlement} − {paid} = {amount} yuan. In that "
                              "batch, {others} of project {project} was superseded by it; that grant is final and is "
                              "not compared again"),
        "once.holder_lost_year": ("项目 {project} 的本措施申领享有该年度,其后{fate};该年度不再转由其他申领享受",
                                  "Project {project}'s claim, which holds the year, was then {fate}; the year does "
                                  "not pass to another claim"),
        "once.holder_lost_ever": ("项目 {project} 的本措施申领已享有本措施,其后{fate};不再转由其他申领享受",
                                  "Project {project}'s claim, which holds the measure, was then {fate}; it does not "
                                  "pass to another claim"),
    }

    @property
    def own_measure(self) -> str | None:
        return self.measure

    def name(self) -> Label:
        if self.per == "year":  # "measure 1", not a bare "1:", which reads as a figure
            return Label(f"措施 {self.measure} 每个申请人每年限一次", f"measure {self.measure}: once per applicant per year")
        return Label(f"措施 {self.measure} 每个申请人限一次", f"measure {self.measure}: once per applicant")

    def describe(self, lang: str = "en") -> str:
        if lang == "zh":
            return f"{'每个申请人每年一次' if self.per == 'year' else '每个申请人限一次'}(措施 {self.measure})"
        return f"{WHAT[self.per]} (measure {self.measure})"

    def apply(self, ev: Evaluation, claims: list[Claim]) -> Problem | None:
        turns: dict[int | None, list[Claim]] = {}
        for c in claims:
            if c.measure.id == self.measure and c.status == "granted" and (self.per == "ever" or c.date):
                turns.setdefault(c.year if self.per == "year" else None, []).append(c)
        for year, found in turns.items():
            holder = min(found, key=first_dated) if year is None else max(found, key=highest_entitled)
            if ev.earlier and not self.after_earlier(ev, year, found, holder):
                continue
            for c in found:
                if c is not holder:
                    c.status, c.amount = "not_eligible", ZERO
                    params = {"variant": self.per, "project": holder.project, "amount": holder.entitlement}
                    c.note(Step(self.id, self.KIND, {**params, "year": str(year)} if year else params))
        return None

    def finish(self, ev: Evaluation, claims: list[Claim]) -> None:
        """A claim that holds the turn but is then superseded, or reduced to nothing, by a later rule: the claims
        it kept out say that the turn is not given to another (it was decided before those rules)."""
        for c in claims:
            if c.measure.id != self.measure:  # only this measure's claims take or lose its turn
                continue
            turn = next((s for s in c.steps or () if s.kind == self.KIND and s.rule == self.id
                         and s.params.get("variant") == self.per), None)
            if turn is None:
                continue
            holder = next((h for h in claims if h.measure.id == self.measure and h.project == turn.params["project"]
                           and (self.per == "ever" or h.year == c.year)), None)
            if holder is None or (holder.status == "granted" and holder.amount):
                continue
            fate = Label(f"因 {holder.taken_by} 未获享受,未获支付", f"superseded under {holder.taken_by} and is paid "
                         "nothing") if holder.status == "superseded" else \
                Label("经其后的规则核减为 0 元", "reduced to 0 by the rules applied after it")
            c.note(Step(self.id, self.KIND, {"variant": f"holder_lost_{self.per}", "project": holder.project,
                                             "fate": fate}))

    def after_earlier(self, ev: Evaluation, year: int | None, found: list[Claim], holder: Claim) -> bool:
        """With earlier batches: the turn they took stands unless ``holder``, the highest claim now, is
        higher, which then pays the difference from what they paid (a top-up). False when the earlier
        turn stands: then none of ``found`` is eligible, and each says so."""
        took = [e for e in ev.earlier if e.measure == self.measure and not e.policy
                and e.status in ("granted", "superseded") and (self.per == "ever" or e.year == year)]
        if not took:
            return True
        first, paid = held(took)
        entitlement = holder.entitlement or ZERO
        common = {"year": str(year or ""), "earlier": first.label, "held": first.entitlement, "paid": paid,
                  "entitlement": entitlement}
        if entitlement <= first.entitlement:
            for c in found:
                c.status, c.amount = "not_eligible", ZERO
                c.note(Step(self.id, self.KIND, {"variant": f"earlier_{self.per}", **common,
                                                 "entitlement": c.entitlement or ZERO}))
            return False
        holder.held, holder.amount = paid, entitlement - paid
        others = [m for e in took for m in e.superseded]
        variant = "top_up_final" if others else "top_up"
        taken = Label(f"本措施每个申请人每年限一次:{year} 年度已由此前的", f"Once per applicant per year: {year} was "
                      "taken before by") if self.per == "year" else \
            Label("本措施每个申请人限一次:已由此前的", "Once per applicant: it was taken before by")
        # what the earlier turn paid, said as it was: an award superseded then (highest-not-stacked) paid nothing
        then = Label(f"已付 {fmt_plain(paid)} 元", f"{fmt_plain(paid)} yuan paid") if paid else \
            Label("当时被其他措施取代,未付", "superseded then by another measure, nothing paid") \
            if all(e.status == "superseded" for e in took) else Label("未付", "nothing paid")
        holder.note(Step(self.id, self.KIND, {"variant": variant, **common, "amount": holder.amount, "taken": taken,
                                              "then": then, "project": first.project or "", "others": "、".join(others)},
                         value=holder.amount))
        return True

    def emit(self, code: RuleCode) -> None:
        out = code.out
        out(f"if {self.measure!r} in granted:")
        with out.indent():
            out("turns = {}")
            out("for c in claims:")
            with out.indent():
                dated = "" if self.per == "ever" else " and c.date is not None"
                out(f"if c.status == 'granted' and c.measure.id == {self.measure!r}{dated}:")
                with out.indent():
                    out(f"turns.setdefault({'None' if self.per == 'ever' else 'c.date.year'}, []).append(c)")
            out("for found in turns.values():")
            with out.indent():
                out("if len(found) > 1:")
                with out.indent():
                    out(f"holder = {'min(found, key=first_dated)' if self.per == 'ever' else 'max(found, key=highest_entitled)'}")
                    out("for c in found:")
                    with out.indent():
                        out("if c is not holder:")
                        with out.indent():
                            out("c.status, c.amount = 'not_eligible', ZERO")

    def coverage(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        cases = ("holds it",) if self.applicant_level else ("holds it", "another claim holds it")
        return ((WHAT[self.per], cases),)

    def covered(self, step: Step) -> tuple[str, str] | None:
        if step.kind == self.KIND:
            return WHAT[self.per], "another claim holds it"
        if step.kind == "entitlement":
            return WHAT[self.per], "holds it"
        return None
