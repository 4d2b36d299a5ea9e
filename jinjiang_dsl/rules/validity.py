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
    # A window the notice gives by its length (有效期3年) shows it beside its last day, which was reckoned from it.
    in_force_length: Label | None = None
    by_reference_length: Label | None = None

    KIND: ClassVar[str] = "period"
    GATE: ClassVar[bool] = True
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {
        "period.in_force": (
            "{dated} {date} 在施行期内({start} 至 {end}{length})。",
            "{dated} {date} is within the period in force ({start} to {end}{length}).",
        ),
        "period.by_reference": (
            "{dated} {date} 在正式施行前的参照执行期内({start} 至 {end}{length}),参照执行。",
            "{dated} {date} is in the by-reference window ({start} to {end}{length}), before the period in force: applied "
            "by reference (“参照执行”).",
        ),
        "period.out_of_period": (
            "{dated} {date} 不在施行期({start} 至 {end}{length})内,也不在参照执行期({ref_start} 至 {ref_end}{ref_length})内,"
            "不予认定。",
            "{dated} {date} is outside the period in force ({start} to {end}{length}) and the by-reference period "
            "({ref_start} to {ref_end}{ref_length}): not considered.",
        ),
        "period.out_of_period_only": (
            "{dated} {date} 不在施行期({start} 至 {end}{length})内,不予认定。",
            "{dated} {date} is outside the period in force ({start} to {end}{length}): not considered.",
        ),
    }

    def describe(self, lang: str = "en") -> str:
        in_force = f"{self.in_force[0]} {'至' if lang == 'zh' else 'to'} {self.in_force[1]}"
        in_force += _aside(self.in_force_length, lang)
        if self.by_reference is not None:
            ref = f"{self.by_reference[0]} {'至' if lang == 'zh' else 'to'} {self.by_reference[1]}"
            ref += _aside(self.by_reference_length, lang)
        if lang == "zh":
            return f"有效期:{in_force}" + (f",参照执行 {ref}" if self.by_reference else "")
        return f"validity: in force {in_force}" + (f", by reference {ref}" if self.by_reference else "")

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
        length = _beside(self.by_reference_length, "共") if status == "by_reference" \
            else _beside(self.in_force_length, "有效期")
        params = {"variant": variant, "dated": self.dated, "date": date, "start": window[0], "end": window[1],
                  "length": length}
        if self.by_reference is not None:
            params |= {"ref_start": self.by_reference[0], "ref_end": self.by_reference[1],
                       "ref_length": _beside(self.by_reference_length, "共")}
        return status, Step(self.id, self.KIND, params)

    def coverage(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        cases = ("in force", "by reference", "out of period") if self.by_reference else ("in force", "out of period")
        return (("validity", cases),)

    def covered(self, step: Step) -> tuple[str, str] | None:
        return "validity", step.params["variant"].removesuffix("_only").replace("_", " ")


def length_label(count: int, unit: str) -> Label:
    """A window's length as the explanation says it: 3年 / 3 years."""
    return Label(f"{count}{'年' if unit == 'years' else '个月'}", f"{count} {unit}")


def _beside(length: Label | None, zh_word: str) -> Label:
    """What follows a window's last day in a sentence: its length, when the notice gave one (有效期3年 for
    the period in force, as notices say it; 共4个月 for a by-reference window)."""
    return Label(f",{zh_word}{length.zh}", f", {length.en}") if length else Label("", "")


def _aside(length: Label | None, lang: str) -> str:
    """A window's length after its last day in the plan's summary: ' (3 years)'."""
    return f" ({length.get(lang)})" if length else ""
