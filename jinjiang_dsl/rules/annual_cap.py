"""A measure's cap per applicant per year: what one measure pays one applicant in a year.

It acts on what the measure was granted, after the rules that choose between measures and
before the limits across measures (see :mod:`jinjiang_dsl.plan` for where it is placed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import attrs

from ..ir import Cond
from ..problem import Problem
from ..runtime.trace import Label, Step
from .base import REDUCE, REDUCE_ZH, ZERO, Claim, Evaluation, Rule, allocation, by_year, reduce

if TYPE_CHECKING:
    from ..compile.applicant import RuleCode


@attrs.frozen(slots=True)
class AnnualCap(Rule):
    measure: str = ""
    cap: Cond | None = None
    cap_text: str = ""
    reduction: str = "pro_rata"  # pro_rata | input_order

    KIND: ClassVar[str] = "annual_cap"
    WITHHOLDING: ClassVar[frozenset[str]] = frozenset({"reduced", "reduced_pro_rata"})
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {
        "annual_cap.free": ("本措施每个申请人年度上限 {cap} 元:{year} 年度本措施累计至本项目 {total} 元,未超过",
                            "Annual cap of this measure per applicant {cap} yuan: {total} yuan in {year} up to and "
                            "including this project, within the cap"),
        "annual_cap.free.reached": ("本措施每个申请人年度上限 {cap} 元:{year} 年度本措施累计至本项目 {total} 元,恰好达到上限,"
                                    "本项目不核减",
                                    "Annual cap of this measure per applicant {cap} yuan: {total} yuan in {year} up to "
                                    "and including this project reaches it exactly; this project is not reduced"),
        "annual_cap.reduced": ("本措施每个申请人年度上限 {cap} 元:{year} 年度此前项目已得 {before} 元,本项目按申报顺序由 "
                               "{amount} 元核减为 {after} 元",
                               "Annual cap of this measure per applicant {cap} yuan: earlier projects in {year} "
                               "already have {before} yuan; in input order this project is reduced from {amount} to "
                               "{after} yuan"),
        "annual_cap.reduced_pro_rata": ("本措施每个申请人年度上限 {cap} 元:{year} 年度本措施合计 {total} 元,按比例由 "
                                        "{amount} 元核减为 {after} 元",
                                        "Annual cap of this measure per applicant {cap} yuan: {total} yuan in {year}; "
                                        "reduced pro rata from {amount} to {after} yuan"),
    }

    @property
    def key(self) -> str:
        return f"{self.id} cap"

    def figures(self) -> tuple[tuple[str, Cond], ...]:
        return ((self.key, self.cap),) if self.cap else ()

    @property
    def own_measure(self) -> str | None:
        return self.measure

    def name(self) -> Label:
        zh, en = (self.cap.shown.render("zh", False), self.cap.shown.render("en", False)) if self.cap else ("", "")
        # "measure 1", not a bare "1:", which reads as a figure when measures are numbered 1, 2 …
        return Label(f"措施 {self.measure} 每个申请人年度上限 {zh}元",
                     f"measure {self.measure}'s annual cap of {en} yuan per applicant")

    def describe(self, lang: str = "en") -> str:
        # the cap as the language writes figures (100万, 1,000,000), as a limit's is
        cap = self.cap.shown.render(lang, False) if self.cap else self.cap_text
        if lang == "zh":
            return f"措施 {self.measure}:每个申请人每年最高 {cap},{REDUCE_ZH[self.reduction]}"
        return f"measure {self.measure}: cap {cap} per applicant per year, reduce {REDUCE[self.reduction]}"

    def apply(self, ev: Evaluation, claims: list[Claim]) -> Problem | None:
        years = by_year(claims, lambda c: c.measure.id == self.measure and c.status == "granted")
        if not years:
            return None
        for year, granted in years.items():
            uses = self.cap.inputs if self.cap else ()
            whole: Decimal = ev.figure(self.key, ev.facts_in(year, uses, granted, self.id))
            cap = self.left(ev, granted, whole, year)
            amounts = [c.amount or ZERO for c in granted]
            total = sum(amounts, ZERO)
            if total <= cap:
                running = ZERO
                for c, amount in zip(granted, amounts):
                    running += amount
                    self.step(ev, c, "free", cap, year, total=running, reached=running == cap)
                continue
            before = ZERO
            reduced = reduce(amounts, cap, self.reduction, ev.unit)
            table = allocation(self.id, self.name(), str(year), self.reduction, [c.label for c in granted], amounts,
                               cap, reduced, ev.unit) if ev.trace else None
            for c, amount, after in zip(granted, amounts, reduced):
                if self.reduction != "input_order":
                    self.step(ev, c, "reduced_pro_rata", cap, year, total=total, amount=amount, after=after,
                              allocation=table)
                elif after != amount:
                    self.step(ev, c, "reduced", cap, year, before=before, amount=amount, after=after, allocation=table)
                else:
                    self.step(ev, c, "free", cap, year, total=before + after, allocation=table,
                              reached=before + after == cap)
                before += after
                c.amount = after
        return None

    def left(self, ev: Evaluation, granted: list[Claim], cap: Decimal, year: int) -> Decimal:
        """The cap less what earlier batches paid under this measure in the year, each cited on the claims."""
        paid, found = ev.paid_before(year, self.measure)
        if not found:
            return cap
        left = max(cap - paid, ZERO)
        if ev.trace:
            step = Step(self.id, "earlier", {"variant": "cap", "name": self.name(), "year": str(year), "whole": cap,
                                             "paid": paid, "left": left, "earlier": [e.label for e in found]})
            for c in granted:
                c.note(step)
        return left

    def emit(self, code: RuleCode) -> None:
        out = code.out
        out(f"if {self.measure!r} in granted:")
        with out.indent():
            code.by_year(f"c.status == 'granted' and c.measure.id == {self.measure!r}")
            out("if years:")
            with out.indent():
                out(f"cap = {code.figure(self.key)}(a)")
                code.reduce_each_year("cap", self.reduction)

    def step(self, ev: Evaluation, c: Claim, variant: str, cap: Decimal, year: int, **params: object) -> None:
        if ev.trace:
            after = params.get("after")
            c.note(Step(self.id, self.KIND, {"variant": variant, "cap": cap, "year": str(year), **params},
                        value=after if variant != "free" else None, limit=cap))

    def coverage(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return ((f"annual cap {self.cap_text}", ("within", "reduced")),)

    def covered(self, step: Step) -> tuple[str, str] | None:
        if step.kind != self.KIND:
            return None
        return f"annual cap {self.cap_text}", "within" if step.params["variant"] == "free" else "reduced"
