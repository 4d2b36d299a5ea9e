"""Trace records: what an explanation is made of.

A step keeps the figures, not sentences: the sentence is written when the step is
shown, in the reader's language, from the message catalogue. That keeps evaluation
cheap and lets one trace serve a Chinese and an English report alike.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, getcontext
from typing import Any, NamedTuple

import attrs

from .money import WIDE, Percent, fmt_plain, percent_text


@attrs.frozen(slots=True)
class Label:
    """A name in both languages; ``en`` falls back to ``zh``."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


def joined(labels: list[Label]) -> Label:
    """The inputs a divisor is made of, as one name: "研发费用、营业收入" / "R&D + revenue"."""
    return Label("、".join(x.zh for x in labels), " + ".join(x.en for x in labels))


def cited(clause: str, en: str, lang: str) -> str:
    """A clause as a report cites it: in English, the drafter's English name before the notice's words."""
    return f"{en} ({clause})" if lang == "en" and en else clause


class Shown(NamedTuple):
    """An expression as the reader sees it: labels, operators, and optionally the figures.

    ``template`` holds ``{0}``, ``{1}`` … where the inputs go; ``names`` are their
    labels and ``values`` their figures in the same order (None where not provided). A named
    tuple, as :class:`Step` is: a traced applicant shows a few conditions each.
    """

    template: Label
    names: tuple[Label, ...]
    values: tuple[Any, ...] = ()
    choices: tuple[dict[str, Label] | None, ...] = ()  # labels of a closed set's values, per name

    def render(self, lang: str, with_values: bool = True) -> str:
        parts = []
        for i, name in enumerate(self.names):
            label = name.get(lang)
            if with_values and i < len(self.values):
                value = self.values[i]
                if isinstance(value, Ratio):  # the figure of a ratio, after the ratio itself: " = 3%"
                    parts.append(value.read())
                    continue
                labels = self.choices[i] if i < len(self.choices) else None
                shown = labels[value].get(lang) if labels and value in labels else show_value(value, lang)
                parts.append(f"{label} {shown}")
            else:
                parts.append(label)
        return self.template.get(lang).format(*parts)


class Ratio(NamedTuple):
    """The figure of a ratio a condition tests (R&D ÷ revenue ∈ [3%, ∞)), shown beside it as a percentage:
    exactly when its decimal ends (" = 2.9999999%"), else approximately (" ≈ 33.33%") with as many places as
    keep it on its own side of each bound it is compared with — never rounded onto or across one. Its slot
    in a reading has no label: without a figure (a zero divisor, a missing fact, a reading without figures)
    it shows nothing."""

    value: Decimal | None
    exact: bool
    bounds: tuple[Decimal, ...]

    @classmethod
    def of(cls, value: Any, bounds: tuple[Decimal, ...]) -> Ratio:
        """The ratio as evaluation computed it: exact unless its digits fill the context's precision."""
        if not isinstance(value, Decimal) or not value.is_finite():
            return cls(None, True, bounds)
        return cls(value, len(value.as_tuple().digits) < getcontext().prec, bounds)

    def read(self) -> str:
        if self.value is None:
            return ""
        percent = self.value.scaleb(2, WIDE)
        if self.exact and len(percent.normalize(WIDE).as_tuple().digits) <= EXACT_DIGITS:
            return f" = {percent.normalize(WIDE):f}%"
        bounds = [b.scaleb(2, WIDE) for b in self.bounds]
        for places in range(2, WIDE.prec):
            shown = percent.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN, WIDE)
            if all((shown > b) == (percent > b) and (shown < b) == (percent < b) for b in bounds):
                return f" ≈ {shown:f}%"
        return f" ≈ {percent:f}%"  # pragma: no cover - the full figure is always on its side


EXACT_DIGITS = 20  # an exact ratio of more significant digits is shown approximately, as a repeating one is


def show_value(value: Any, lang: str) -> str:
    if value is None:
        return "(未提供)" if lang == "zh" else "(not provided)"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, Percent):
        return percent_text(value)
    if isinstance(value, Decimal):
        return fmt_plain(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Step(NamedTuple):
    """One step of an explanation.

    ``rule`` is the clause or rule (``1.1 一(一)``, ``R1``); ``kind`` picks the sentence
    in the catalogue; ``params`` fill it. ``value``, ``limit``, ``tier`` and ``interval``
    are the figures the output contract names.

    A compact record: a named tuple of the figures (a traced applicant makes about ten, and a frozen
    attrs class costs four times as much to make — docs/performance.md); immutable all the same.
    """

    rule: str
    kind: str
    params: dict[str, Any]
    value: Any = None
    limit: Decimal | None = None
    tier: int | None = None
    interval: str | None = None


def cross_check(rule: str, label: Label, other: Decimal, formula: Decimal) -> Step:
    """A cross check that disagrees with the formula: both figures as exact values, without the trailing
    zeros their arithmetic happened to carry (99,999.999, not 99,999.9990), whichever engine computed them."""
    return Step(rule, "cross_check", {"label": label, "other": other.normalize(WIDE), "formula": formula.normalize(WIDE)})


def bracket_sum(rule: str, steps: list[Step], total: Decimal) -> None:
    """After progressive brackets, the parts added up — when more than one bracket paid — so the sum a
    person checks is written, not left to them (both backends call this with the steps they wrote)."""
    parts = [s.params["amount"] for s in steps if s.kind == "bracket" and s.rule == rule]
    if len(parts) > 1:
        steps.append(Step(rule, "bracket_sum", {"parts": " + ".join(fmt_plain(x) for x in parts), "total": total}))
