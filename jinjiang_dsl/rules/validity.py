"""A validity rule (施行期限, 参照执行): which projects are looked at, by their date.

A gate: it decides before any measure is computed, wherever it is written. Without a validity
rule nothing is ever out of period, whatever windows the header declares.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import attrs

from ..runtime.trace import Label, Step
from .base import Rule

Window = tuple[dt.date, dt.date]


@attrs.frozen(slots=True)
class Validity(Rule):
    in_force: Window = (dt.date.min, dt.date.max)
    by_reference: Window | None = None
    dated: Label = Label("项目日期", "Project date")  # the input that dates a claim, as the policy names it

    KIND: ClassVar[str] = "period"
    GATE: ClassVar[bool] = True
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {
        "period.in_force": (
            "{dated} {date} 在施行期内({start} 至 {end})。",
            "{dated} {date} is within the period in force ({start} to {end}).",
        ),
        "period.by_reference": (
            "{dated} {date} 在正式施行前的参照执行期内({start} 至 {end}),参照执行。",
            "{dated} {date} is in the by-reference window ({start} to {end}), before the period in force: applied "
            "by reference (“参照执行”).",
        ),
        "period.out_of_period": (
            "{dated} {date} 不在施行期({start} 至 {end})内,也不在参照执行期({ref_start} 至 {ref_end})内,不予认定。",
            "{dated} {date} is outside the period in force ({start} to {end}) and the by-reference period "
            "({ref_start} to {ref_end}): not considered.",
        ),
        "period.out_of_period_only": (
            "{dated} {date} 不在施行期({start} 至 {end})内,不予认定。",
            "{dated} {date} is outside the period in force ({start} to {end}): not considered.",
        ),
    }

    def describe(self, lang: str = "en") -> str:
        if lang == "zh":
            found = f"有效期:{self.in_force[0]} 至 {self.in_force[1]}"
            return found + (f",参照执行 {self.by_reference[0]} 至 {self.by_reference[1]}" if self.by_reference else "")
        found = f"validity: in force {self.in_force[0]} to {self.in_force[1]}"
        return found + (f", by reference {self.by_reference[0]} to {self.by_reference[1]}" if self.by_reference else "")

    def period(self, date: dt.date | None) -> tuple[str, Window]:
        """in_force | by_reference | out_of_period, and the window that decided it."""
        if date is not None and self.in_force[0] <= date <= self.in_force[1]:
            return "in_force", self.in_force
        if date is not None and self.by_reference and self.by_reference[0] <= date <= self.by_reference[1]:
            return "by_reference", self.by_reference
        return "out_of_period", self.in_force

    def step(self, date: dt.date | None) -> tuple[str, Step]:
        status, window = self.period(date)
        variant = "out_of_period_only" if status == "out_of_period" and self.by_reference is None else status
        params = {"variant": variant, "dated": self.dated, "date": date, "start": window[0], "end": window[1]}
        if self.by_reference is not None:
            params |= {"ref_start": self.by_reference[0], "ref_end": self.by_reference[1]}
        return status, Step(self.id, self.KIND, params)

    def coverage(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        cases = ("in force", "by reference", "out of period") if self.by_reference else ("in force", "out of period")
        return (("validity", cases),)

    def covered(self, step: Step) -> tuple[str, str] | None:
        return "validity", step.params["variant"].removesuffix("_only").replace("_", " ")
