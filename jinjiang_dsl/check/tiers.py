"""Tier tables: overlaps are errors; gaps and cliffs are warnings unless the drafter allows them.

A *cliff* is a point where one more yuan (or one more enterprise) pays less.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from .. import ast
from ..diagnostics import Severity
from ..runtime.intervals import Interval, from_ast, intersection, lower_key

Report = Callable[[Severity, str, ast.Span, str | None], None]


def constant(e: ast.Expr) -> Decimal | None:
    return e.value if isinstance(e, ast.Quantity) else None


def written(e: ast.Expr) -> str:
    """An amount as the drafter wrote it (cliffs are only found between constant amounts)."""
    return e.text if isinstance(e, (ast.Quantity, ast.Percent)) else "?"


def check_table(table: ast.TierTable, report: Report, on: str | None = None) -> None:
    """``on`` is the kind of value the table looks up (``money``, ``count``), when known."""
    if not table.tiers:
        report("error", f"the {table.mode} table has no tiers", table.span, "add a line such as '10家以上: 10万'")
        return
    if table.mode == "bands":
        _check_bands(table, report, on)
    elif table.mode == "brackets":
        _check_brackets(table, report)
    else:
        _check_thresholds(table, report)


def is_empty(iv: Interval) -> bool:
    """No value lies in it: the ends are reversed, or equal with one end excluded."""
    if iv.lower is None or iv.upper is None:
        return False
    return iv.lower > iv.upper or (iv.lower == iv.upper and not (iv.lower_inclusive and iv.upper_inclusive))


def reversed_ends(iv: Interval) -> bool:
    return iv.lower is not None and iv.upper is not None and iv.lower > iv.upper


def _top_tier(upper: ast.Bound | None, on: str | None) -> str:
    """An open-ended row that starts where the top band ends: '300万以上', '超过50家'."""
    if upper is None or upper.value is None:  # pragma: no cover - only called for a bounded top band
        return "300万以上"
    q = upper.value
    assert isinstance(q, ast.Quantity)  # the checker keeps windows of days out of tier tables
    text = q.text + ("家" if on == "count" and q.unit == "number" else "")
    return f"超过{text}" if upper.inclusive else f"{text}以上"


def _check_bands(table: ast.TierTable, report: Report, on: str | None = None) -> None:
    tiers = []
    for t in table.tiers:
        iv = from_ast(t.interval)
        if is_empty(iv):
            hint = "write the smaller bound first" if reversed_ends(iv) else "include both ends, or widen it"
            report("error", f"tier {iv} is empty: no value lies in it", t.interval.span, hint)
            continue
        tiers.append((iv, t))
    if not tiers:
        return
    ordered = sorted(tiers, key=lambda pair: lower_key(pair[0]))
    _check_overlaps(ordered, report)
    for (a, ta), (b, tb) in zip(ordered, ordered[1:]):
        gap = a.gap_to(b)
        if gap is not None and intersection(a, b) is None and not table.allow_gap:
            report(
                "warning",
                f"no tier covers {gap}: values there get nothing",
                tb.interval.span,
                "close the gap, or write 'allow gap' in the table if the notice means it",
            )
        pay_a, pay_b = constant(ta.amount), constant(tb.amount)
        if pay_a is not None and pay_b is not None and pay_b < pay_a and not table.allow_cliff:
            report(
                "warning",
                f"cliff: tier {b} pays {written(tb.amount)} but the tier below it pays {written(ta.amount)}",
                tb.span,
                "a larger value would get less; write 'allow cliff' if the notice means it",
            )
    top, top_tier = ordered[-1]
    pay = constant(top_tier.amount)
    if top.upper is not None and pay and pay > 0 and not table.allow_cliff:
        report(
            "warning",
            f"cliff: values above {top} get nothing, less than the {written(top_tier.amount)} this tier pays",
            top_tier.span,
            f"add a top tier such as '{_top_tier(top_tier.interval.upper, on)}', or write 'allow cliff'",
        )


def _check_overlaps(ordered: list[tuple[Interval, ast.Tier]], report: Report) -> None:
    """Each band that overlaps a band below it, once, in one sweep up the sorted bands: a table
    of thousands of bands, all overlapping, gives one error per band, not one per pair."""
    reach: tuple[Interval, ast.Tier] | None = None  # the band below that reaches highest
    found = []
    for band in ordered:
        if reach is not None and intersection(reach[0], band[0]) is not None:
            found.append(sorted((reach, band), key=lambda pair: (pair[1].span.line, pair[1].span.column)))
        if reach is None or upper_key(band[0]) > upper_key(reach[0]):
            reach = band
    for (a, ta), (b, tb) in sorted(found, key=lambda pair: (pair[1][1].span.line, pair[1][1].span.column)):
        common = intersection(a, b)
        assert common is not None
        where = f"at {common.show(common.lower)}" if common.lower is not None and common.lower == common.upper \
            else f"on {common}"
        report(
            "error",
            f"tier {b} overlaps tier {a} (line {ta.span.line}) {where}",
            tb.interval.span,
            _thresholds_hint(a, b) or "bands must not overlap: a value would match two tiers",
        )


def _thresholds_hint(a: Interval, b: Interval) -> str | None:
    """Two rows that both run upward without end (100万以上, 50万以上) read as thresholds: say so."""
    if a.upper is not None or b.upper is not None or a.lower is None or b.lower is None:
        return None
    low, high = sorted((a.lower, b.lower))
    return ("rows written 'X以上' each run upward without end: for the highest tier reached write 'thresholds "
            f"on …' instead of 'bands on …'; for bands, close each row below the next: "
            f"'{a.show(low)}(含)至{a.show(high)}'")


def upper_key(iv: Interval) -> tuple:
    """Sort key: by upper bound, an open top above everything, an inclusive end above an exclusive one."""
    if iv.upper is None:
        return (1, Decimal(0), 0)
    return (0, iv.upper, 1 if iv.upper_inclusive else 0)


def _check_brackets(table: ast.TierTable, report: Report) -> None:
    """Progressive brackets follow one another from 0 with no gap and no overlap; where one ends
    the next begins (whichever includes the shared end: a part has no width there)."""
    ordered = sorted(((from_ast(t.interval), t) for t in table.tiers), key=lambda pair: lower_key(pair[0]))
    first, first_tier = ordered[0]
    if first.lower not in (None, Decimal(0)):
        report("error", f"the first bracket starts at {first.show(first.lower)}, so the part below it has no rate",
               first_tier.interval.span, "start it at 0, or write it as 'X以下'")
    for (a, ta), (b, tb) in zip(ordered, ordered[1:]):
        if a.upper is None or b.lower is None or a.upper != b.lower:
            where = "overlaps" if a.upper is None or b.lower is None or b.lower < a.upper else "leaves a gap after"
            report("error", f"bracket {b} {where} bracket {a} (line {ta.span.line})", tb.interval.span,
                   "each bracket begins where the one below it ends")
    top, top_tier = ordered[-1]
    if top.upper is not None:
        report("warning", f"the part of the value above {top.show(top.upper)} has no rate", top_tier.interval.span,
               f"add a top bracket such as '{top.show(top.upper)}以上', if the notice has one")


def _check_thresholds(table: ast.TierTable, report: Report) -> None:
    seen: dict[tuple, ast.Tier] = {}
    valid: list[tuple[Interval, ast.Tier]] = []
    for tier in table.tiers:
        iv = from_ast(tier.interval)
        if iv.upper is not None or iv.lower is None:
            report(
                "error",
                f"a threshold is a lower bound such as '10家以上' or '超过5万', not '{tier.interval.text}'",
                tier.interval.span,
                "use 'bands on …' for a table of intervals",
            )
            continue
        key = lower_key(iv)
        if key in seen:
            report("error", f"threshold {iv} appears twice (first at line {seen[key].span.line})",
                   tier.interval.span, None)
            continue
        seen[key] = tier
        valid.append((iv, tier))
    ordered = sorted(valid, key=lambda pair: lower_key(pair[0]))
    for (a, ta), (b, tb) in zip(ordered, ordered[1:]):
        pay_a, pay_b = constant(ta.amount), constant(tb.amount)
        if pay_a is not None and pay_b is not None and pay_b < pay_a and not table.allow_cliff:
            report(
                "warning",
                f"cliff: reaching {b} pays {written(tb.amount)}, less than {written(ta.amount)} for {a}",
                tb.span,
                "the highest threshold reached wins; write 'allow cliff' if the notice means it",
            )
