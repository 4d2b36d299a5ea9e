"""A window written by its length (有效期3年): `in force from 2024-01-01 for 3 years`.

The notice counts its first day: 3 years from 2024-01-01 run through 2026-12-31, the day before the
same date 3 years later (or the last day of that month when it has no such date). The checker refuses
a length of 0, a length longer than any notice runs, and a window that gives both its last day and
its length; explanations and `compile --emit plan` show the last day and the length.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jinjiang_dsl import check_source, load_policy
from jinjiang_dsl.cli import main
from jinjiang_dsl.fmt import convert_keywords, format_checked, meaning
from jinjiang_dsl.syntax import parse


def policy(window: str) -> str:
    return f'''policy "示例政策" / "Example policy" {{
  issued 2023-12-01
  {window}
  dated by date
  currency 元
  rounding 0.01元 half_up
}}

project {{
  date: date "认定日期" / "qualifying date"
  investment: money "投入金额" / "investment"
}}

measure 1.1 "示范项目" / "Demonstration project" {{
  clause 一(一)
  amount 20% of investment, at most 100万
}}

rule R3 "施行期限" / "Period of validity" {{
  clause 十二
  validity
}}
'''


def window(src: str) -> tuple[dt.date, dt.date]:
    w = parse(src, "p.pol").header.in_force
    assert w is not None
    return w.start, w.end


@pytest.mark.parametrize(("written", "last"), [
    ("in force from 2024-01-01 for 3 years", dt.date(2026, 12, 31)),
    ("in force from 2023-05-01 for 1 years", dt.date(2024, 4, 30)),
    ("in force from 2024-01-01 for 36 months", dt.date(2026, 12, 31)),
    ("in force from 2024-02-29 for 1 years", dt.date(2025, 2, 28)),  # 2025 has no 02-29: the month's last day
    ("in force from 2024-01-31 for 1 months", dt.date(2024, 2, 29)),
    ("施行期间 自 2024年1月1日 有效期 3 年", dt.date(2026, 12, 31)),
    ("施行期间 自 2024-01-01 有效期 36 个月", dt.date(2026, 12, 31)),
])
def test_a_window_by_its_length_ends_the_day_before_the_same_date_that_many_years_later(written: str,
                                                                                        last: dt.date) -> None:
    src = policy(written)
    assert check_source(src, "p.pol") == []
    assert window(src)[1] == last


def message(src: str) -> tuple[str, str, str | None]:
    (d,) = [d for d in check_source(src, "p.pol") if d.is_error]
    return f"{d.span.line}:{d.span.column}", d.message, d.hint


def test_a_length_of_zero_is_refused_where_it_is_written() -> None:
    where, text, hint = message(policy("in force from 2024-01-01 for 0 years"))
    assert where == "3:28"
    assert text == "a window cannot last 0 years"
    assert hint is not None and "for 3 years" in hint


@pytest.mark.parametrize("length", ["for 21 years", "for 241 months", "for 99999999999999999999 years"])
def test_a_length_longer_than_any_notice_runs_is_refused(length: str) -> None:
    where, text, hint = message(policy(f"in force from 2024-01-01 {length}"))
    assert where == "3:28"
    assert text == f"'{length}' is longer than a notice runs (at most 20 years)"
    assert hint is not None and "to DATE" in hint


def test_a_length_that_would_end_after_the_last_date_there_is_is_refused() -> None:
    where, text, _ = message(policy("in force from 9999-01-01 for 2 years"))
    assert (where, text) == ("3:28", "'for 2 years' from 9999-01-01 would end after 9999-12-31")


def test_a_window_with_both_its_last_day_and_its_length_is_refused() -> None:
    where, text, hint = message(policy("in force from 2024-01-01 to 2026-12-31 for 3 years"))
    assert where == "3:42"
    assert text == "the window gives both its last day ('to 2026-12-31') and its length ('for 3 years')"
    assert hint == "keep one: 'for 3 years' ends on 2026-12-31"


def test_a_window_with_neither_its_last_day_nor_its_length_is_refused() -> None:
    where, text, hint = message(policy("in force from 2024-01-01"))
    assert where == "3:12"
    assert text == "the window has no end"
    assert hint == "write its last day ('to 2026-12-31') or its length ('for 3 years', 有效期3年)"


def test_fmt_keeps_a_length_and_converts_its_keywords_both_ways() -> None:
    src = policy("in force from 2024-01-01 for 3 years")
    assert format_checked(src) == src
    zh = convert_keywords(src, "zh")
    assert "施行期间 自 2024-01-01 有效期 3 年" in zh
    assert meaning(zh, "p.pol") == meaning(src, "p.pol")
    assert convert_keywords(zh, "en") == src
    months = policy("in force from 2024-01-01 for 36 months")
    assert "有效期 36 个月" in convert_keywords(months, "zh")
    assert convert_keywords(convert_keywords(months, "zh"), "en") == months


def test_the_plan_and_the_explanations_show_the_last_day_and_the_length(tmp_path: Any, capsys: Any) -> None:
    path = tmp_path / "p.pol"
    path.write_text(policy("in force from 2024-01-01 for 3 years"), encoding="utf-8")
    assert main(["compile", str(path), "--emit", "plan"]) == 0
    assert "validity: in force 2024-01-01 to 2026-12-31 (3 years)" in capsys.readouterr().out
    p = load_policy(str(path))
    doc = {"applicants": [{"id": "A", "projects": [
        {"id": "in", "date": "2026-12-31", "investment": "100000"},
        {"id": "out", "date": "2027-01-01", "investment": "100000"}]}]}
    texts = {lang: [s["text"] for a in p.evaluate(doc).to_json(lang=lang)["applicants"]
                    for pr in a["projects"] for aw in pr["awards"] for s in aw["trace"] if s["rule"] == "R3"]
             for lang in ("zh", "en")}
    assert texts["en"] == [
        "Qualifying date 2026-12-31 is within the period in force (2024-01-01 to 2026-12-31, 3 years).",
        "Qualifying date 2027-01-01 is outside the period in force (2024-01-01 to 2026-12-31, 3 years): "
        "not considered."]
    assert texts["zh"] == [
        "认定日期 2026-12-31 在施行期内(2024-01-01 至 2026-12-31,有效期3年)。",
        "认定日期 2027-01-01 不在施行期(2024-01-01 至 2026-12-31,有效期3年)内,不予认定。"]


def test_a_window_written_with_its_last_day_reads_as_before() -> None:
    p = load_policy("policies/jinjiang_2023.pol")
    rule = next(r for r in p.plan.rules if r.describe().startswith("validity"))
    assert rule.describe() == "validity: in force 2023-05-01 to 2024-12-31, by reference 2023-01-01 to 2023-04-30"


def test_a_length_in_chinese_numerals_says_to_write_digits() -> None:
    src = policy("施行期间 自 2024-01-01 有效期 三年")
    assert message(src) == ("3:25", "unexpected '三'", "write the number in digits: '有效期 3 年'")


def test_a_fractional_length_says_to_write_whole_months() -> None:
    assert message(policy("in force from 2024-01-01 for 1.5 years")) == (
        "3:32", "'1.5' is not a whole number", "a length is whole years or months: write 'for 18 months'")


def test_a_fractional_quota_is_not_told_to_write_itself() -> None:
    src = policy("in force from 2024-01-01 for 3 years").replace(
        "at most 100万\n", "at most 100万\n  quota 1.5 per date per year\n")
    assert message(src) == ("17:9", "'1.5' is not a whole number", "write a whole number here, e.g. 1 or 2")


def test_in_a_policy_in_chinese_keywords_the_message_quotes_them_in_chinese() -> None:
    src = policy("施行期间 自 2024-01-01 至 2026-12-31 有效期 3 年")
    src = convert_keywords(src, "zh")
    _, text, hint = message(src)
    assert text == "the window gives both its last day ('至 2026-12-31') and its length ('有效期 3 年')"
    assert hint == "keep one: '有效期 3 年' ends on 2026-12-31"


def test_a_length_in_chinese_numerals_keeps_its_unit() -> None:
    assert message(policy("in force from 2024-01-01 for 十二 months"))[2] == "write the number in digits: 'for 12 months'"


def test_a_by_reference_window_by_its_length_is_shown_with_it() -> None:
    src = policy("in force from 2024-05-01 for 3 years\n  by reference from 2024-01-01 for 4 months")
    p = load_policy_source(src)
    (rule,) = p.plan.rules
    assert rule.describe() == ("validity: in force 2024-05-01 to 2027-04-30 (3 years), "
                               "by reference 2024-01-01 to 2024-04-30 (4 months)")
    assert rule.describe("zh") == "有效期:2024-05-01 至 2027-04-30 (3年),参照执行 2024-01-01 至 2024-04-30 (4个月)"
    doc = {"applicants": [{"id": "A", "projects": [{"id": "p", "date": "2024-03-01", "investment": "100"}]}]}
    (step,) = [s for s in p.evaluate(doc).to_json(lang="zh")["applicants"][0]["projects"][0]["awards"][0]["trace"]
               if s["rule"] == "R3"]
    assert step["text"] == "认定日期 2024-03-01 在正式施行前的参照执行期内(2024-01-01 至 2024-04-30,共4个月),参照执行。"


def load_policy_source(src: str) -> Any:
    from jinjiang_dsl.api import Policy
    from jinjiang_dsl.check import check

    checked = check(parse(src, "p.pol"))
    assert not checked.errors, checked.errors
    return Policy(checked)


@pytest.mark.parametrize("numerals", ["十十", "三十十", "一二"])
def test_numerals_that_write_no_number_get_the_general_message(numerals: str) -> None:
    where, text, hint = message(policy(f"施行期间 自 2024-01-01 有效期 {numerals} 年"))
    assert text.startswith("unexpected") and (hint is None or "digits" not in hint)
