"""A figure in 万 (money, in a notice) set against a count or a percentage: the drafter is told.

`employees >= 5万` parses (5万 is a plain number, and a count may be compared with a number), but a notice
writes money in 万: the checker warns, at the figure, and says what to write for a count. A figure with 元
against a count, or 5万 against a percentage, is an error whose hint says the same; `5万 of employees`
says how a sum per head is written.
"""

from __future__ import annotations

import pytest

from jinjiang_dsl import check_source
from jinjiang_dsl.diagnostics import render_plain

HEAD = '''policy "p" / "p" {
  issued 2023-12-01
  currency 元
  rounding 0.01元 half_up
}
applicant {
  employees: count "员工人数" / "employees"
  share: percent "研发占比" / "R&D share"
  revenue: money "营收" / "revenue"
}
measure 1 "m" / "m" {
  clause 一
  amount 1万 + 0 * revenue + 0 * employees
  requires share >= 0%
'''


def diagnostics(body: str) -> list[tuple[str, str, str, str | None]]:
    """(severity, line:col, message, hint) of each diagnostic of a measure with ``body`` added."""
    src = HEAD + body + "\n}\n"
    return [(d.severity, f"{d.span.line}:{d.span.column}", d.message, d.hint) for d in check_source(src, "p.pol")]


WARNING = ("'employees' is a count, but 5万 reads as money (50,000 元)",
           "write 50000 (or 5万人) if you mean a number of employees")


@pytest.mark.parametrize(("body", "column"), [
    ("  requires employees >= 5万", 25),
    ("  requires 5万 <= employees", 12),
    ("  when employees >= 5万: 2万", 21),
    ("  requires employees in [5万, 10万)", 26),
])
def test_a_count_compared_with_a_figure_in_wan_is_warned_at_the_figure(body: str, column: int) -> None:
    found = diagnostics(body)
    assert found[0] == ("warning", f"15:{column}", *WARNING)


def test_each_bound_in_wan_of_a_tier_on_a_count_is_warned() -> None:
    body = "  when employees >= 1: bands on employees { 5万以上: 1万 }"
    assert diagnostics(body) == [("warning", f"15:{body.index('5万') + 1}", *WARNING)]


def test_the_warning_reads_with_the_line_and_a_caret() -> None:
    src = HEAD + "  requires employees >= 5万\n}\n"
    assert render_plain(check_source(src, "p.pol"), {"p.pol": src}).splitlines() == [
        "p.pol:15:25: warning: 'employees' is a count, but 5万 reads as money (50,000 元)",
        "  15 |   requires employees >= 5万",
        "     |                         ^^^",  # 万 is two cells wide
        "  hint: write 50000 (or 5万人) if you mean a number of employees",
    ]


@pytest.mark.parametrize("body", [
    "  requires employees >= 50",
    "  requires employees >= 50000",
    "  requires employees >= 5万人",
    "  requires revenue >= 5万",
    "  when employees >= 10: 5万 * employees",
])
def test_what_the_notice_means_is_not_warned(body: str) -> None:
    assert diagnostics(body) == []


def test_money_with_yuan_against_a_count_says_what_to_write() -> None:
    assert diagnostics("  requires employees >= 5万元") == [
        ("error", "15:12", "cannot compare a count with money",
         "'employees' is a count; 5万元 is money (50,000 元): write 50000 if you mean a number of employees")]


def test_a_figure_in_wan_against_a_percentage_is_not_told_to_become_50000_percent() -> None:
    assert diagnostics("  requires share >= 5万") == [
        ("error", "15:12", "cannot compare a percentage with a plain number",
         "5万 is 50,000 (money, in a notice); a percentage is written with %: 5%")]


def test_a_sum_of_of_a_count_says_how_a_sum_per_head_is_written() -> None:
    assert diagnostics("  when employees >= 10: 5万 of employees") == [
        ("error", "15:28", "unexpected 'of'",
         "'of' follows a percentage (20% of employees); 5万 for each one is a product: '5万 × employees'")]
