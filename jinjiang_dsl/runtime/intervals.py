"""Intervals with statutory boundary kinds: membership, overlap and how they read.

``50万(含)至100万`` is ``[50万, 100万)``; ``超过5万`` is ``(5万, ∞)``. The explanation
shows the notation, so an auditor sees which end is included.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from .. import ast
from .money import fmt_compact, fmt_plain, percent_text

Point = Any  # a Decimal, or a date for a window of days


@attrs.frozen(slots=True)
class Interval:
    lower: Point | None
    lower_inclusive: bool
    upper: Point | None
    upper_inclusive: bool
    percent: bool = False  # its bounds were written as percentages, and read so

    def __contains__(self, value: Point) -> bool:
        if self.lower is not None and (value < self.lower or (value == self.lower and not self.lower_inclusive)):
            return False
        return not (self.upper is not None and (value > self.upper or value == self.upper and not self.upper_inclusive))

    def __str__(self) -> str:
        return self.read("zh")

    def bounds(self) -> tuple[Decimal, ...]:
        """Its finite bounds that are figures (not dates): what a ratio shown beside it must not round across."""
        return tuple(b for b in (self.lower, self.upper) if isinstance(b, Decimal))

    def read(self, lang: str) -> str:
        """As notation; bounds written as the language writes figures (``[100万, 200万)``, in English
        ``[1,000,000, 2,000,000)``), percentages and days alike in both."""
        show = percent_text if self.percent else _show if lang == "zh" else _show_en
        lo = "(-∞" if self.lower is None else ("[" if self.lower_inclusive else "(") + show(self.lower)
        hi = "∞)" if self.upper is None else show(self.upper) + ("]" if self.upper_inclusive else ")")
        return f"{lo}, {hi}"

    def gap_to(self, above: Interval) -> Interval | None:
        """The values strictly between this interval and one above it, if any."""
        if self.upper is None or above.lower is None:
            return None
        if self.upper < above.lower or (
            self.upper == above.lower and not self.upper_inclusive and not above.lower_inclusive
        ):
            return Interval(self.upper, not self.upper_inclusive, above.lower, not above.lower_inclusive,
                            self.percent or above.percent)
        return None

    def show(self, value: Decimal) -> str:
        """One of its figures as its bounds read: 5% in a ratio's bands, 50万 in an amount's."""
        return percent_text(value) if self.percent else fmt_compact(value)


def _show(value: Point) -> str:
    return value.isoformat() if isinstance(value, dt.date) else fmt_compact(value)


def _show_en(value: Point) -> str:
    return value.isoformat() if isinstance(value, dt.date) else fmt_plain(value)


def from_ast(node: ast.Interval) -> Interval:
    lo, hi = node.lower, node.upper
    return Interval(
        lower=lo.value.value if lo and lo.value else None,
        lower_inclusive=bool(lo and lo.inclusive),
        upper=hi.value.value if hi and hi.value else None,
        upper_inclusive=bool(hi and hi.inclusive),
        percent=any(b and isinstance(b.value, ast.Quantity) and b.value.unit == "percent" for b in (lo, hi)),
    )


def is_dates(node: ast.Interval) -> bool:
    """A window of days (2025年6月30日前(含)), not a range of figures."""
    return any(b is not None and isinstance(b.value, ast.DateLit) for b in (node.lower, node.upper))


def part_in(value: Decimal, iv: Interval) -> Decimal:
    """How much of ``value`` lies inside a bracket, counted from its lower end (0 when open):
    the base a progressive rate applies to. The ends' inclusiveness does not matter for a part."""
    low = iv.lower if iv.lower is not None else Decimal(0)
    top = value if iv.upper is None else min(value, iv.upper)
    return max(top - low, Decimal(0))


def lower_key(iv: Interval) -> tuple:
    """Sort key: by lower bound, an inclusive bound before an exclusive one at the same value."""
    if iv.lower is None:
        return (0, Decimal(0), 0)
    return (1, iv.lower, 0 if iv.lower_inclusive else 1)


def intersection(a: Interval, b: Interval) -> Interval | None:
    """The common part of two intervals, or None when they are disjoint."""
    if a.lower is None:
        lo, lo_inc = b.lower, b.lower_inclusive
    elif b.lower is None or a.lower > b.lower:
        lo, lo_inc = a.lower, a.lower_inclusive
    elif b.lower > a.lower:
        lo, lo_inc = b.lower, b.lower_inclusive
    else:
        lo, lo_inc = a.lower, a.lower_inclusive and b.lower_inclusive
    if a.upper is None:
        hi, hi_inc = b.upper, b.upper_inclusive
    elif b.upper is None or a.upper < b.upper:
        hi, hi_inc = a.upper, a.upper_inclusive
    elif b.upper < a.upper:
        hi, hi_inc = b.upper, b.upper_inclusive
    else:
        hi, hi_inc = a.upper, a.upper_inclusive and b.upper_inclusive
    if lo is not None and hi is not None and (lo > hi or (lo == hi and not (lo_inc and hi_inc))):
        return None
    return Interval(lo, lo_inc, hi, hi_inc, a.percent or b.percent)
