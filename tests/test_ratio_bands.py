"""A rate chosen by the band a ratio of two inputs falls in (研发费用占营业收入比重3%(含)至5%的,按研发费用的10%…):
a tier table looked up by ``rd / revenue``, its bands written as the notice writes them, decided alike by the
compiled and interpreted Python and by DuckDB, explained with the ratio's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jinjiang_dsl import check_source, load_policy
from jinjiang_dsl.api import policy_from_source

ROOT = Path(__file__).resolve().parents[1]
SHAPE = ROOT / "policies" / "shapes" / "s03_ratio_bands.pol"

HEADER = """policy "研发投入补助" / "R&D subsidy" {
  issued 2024-01-01
  dated by date
  currency 元
  rounding 0.01元 half_up
}
project {
  date: date "申报日期" / "date"
  rd: money "研发费用" / "R&D spending"
  revenue: money "营业收入" / "revenue"
}
"""

# what a drafter writes, reading the notice
DRAFTED = HEADER + """measure 1 "研发投入补助" / "R&D subsidy" {
  clause 一
  amount bands on rd / revenue {
    3%(含)至5%: 10% of rd
    5%(含)以上: 15% of rd
  }, at most 200万
}
"""


def messages(source: str) -> list[str]:
    return [f"{d.span.line}: {d.severity}: {d.message}" + (f" | {d.hint}" if d.hint else "")
            for d in check_source(source, "t.pol")]


def document(*projects: tuple[str, str]) -> dict[str, Any]:
    return {"applicants": [{"id": f"E{i}", "projects": [{"id": "P1", "date": "2024-06-01", "rd": rd, "revenue": revenue}]}
                           for i, (rd, revenue) in enumerate(projects)]}


def test_a_table_looked_up_by_a_ratio_with_bands_in_percentages_checks_clean() -> None:
    # refused before: '3%(含)至5%' was a syntax error, and a table could look up only money or a count
    assert messages(DRAFTED) == []
    assert messages(DRAFTED.replace("amount bands", "amount thresholds")
                    .replace("3%(含)至5%: 10% of rd", "3%(含)以上: 10% of rd")) == []


def test_the_checker_locates_what_is_wrong_in_a_ratio_s_bands() -> None:
    source = HEADER + """measure 1 "甲" / "a" {
  clause 一
  amount bands on rd / revenue {
    3%(含)至5%(含): 10% of rd
    5%(含)至8%: 15% of rd
    9%以上: 120% of rd
    4以上: 1%
  }
}
measure 2 "乙" / "b" {
  clause 一
  amount brackets on rd / revenue {
    3%以下: 10%
    3%以上: 20%
  }
}
"""
    found = messages(source)
    assert "16: error: tier [5%, 8%) overlaps tier [3%, 5%] (line 15) at 5% " \
           "| bands must not overlap: a value would match two tiers" in found
    assert "17: warning: no tier covers [8%, 9%): values there get nothing " \
           "| close the gap, or write 'allow gap' in the table if the notice means it" in found
    assert any(m.startswith("17: warning: a rate of 120% pays more than its base") for m in found)
    assert "18: error: bound 4 is a plain number, but the value is a percentage | write it as a percentage: 4%" in found
    assert "18: error: a tier's amount is a percentage with no base | write it as a share of a base, e.g. " \
           "'1% of rd'" in found
    assert "23: error: a tier table needs money or a count to look up, but this is a percentage " \
           "| bands or thresholds can look up a percentage; brackets cannot" in found


BOUNDARIES = [("299999.99", "10000000"), ("300000", "10000000"), ("499999.99", "10000000"), ("500000", "10000000"),
              ("500000.01", "10000000"), ("20000000", "500000000"), ("20000000", "100000000"), ("1", "3")]


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
def test_the_band_of_the_ratio_chooses_the_rate_on_both_python_backends_and_on_duckdb(backend: str) -> None:
    policy = policy_from_source(DRAFTED, backend=backend)  # type: ignore[arg-type]
    decided = {}
    for engine in ("python", "duckdb"):
        batch = policy.run(document(*BOUNDARIES), trace=False, engine=engine)[1]  # type: ignore[arg-type]
        decided[engine] = [a.to_json("zh", trace=False) for a in batch.applicants]
    assert decided["python"] == decided["duckdb"]
    assert [a["total"] for a in decided["python"]] == [
        "0.00",  # 2.9999999%: below the first band
        "30000.00",  # exactly 3%: 10%
        "50000.00",  # 4.9999999%: 10% of 499,999.99 = 49,999.999, rounded once
        "75000.00",  # exactly 5%: 15%
        "75000.00",  # 15% of 500,000.01 = 75,000.0015
        "2000000.00",  # 4%: 10% of 20,000,000 reaches the cap exactly
        "2000000.00",  # 20%: 15% of 20,000,000 = 3,000,000, capped
        "0.15",  # 1/3 ≈ 33.33%: 15% of 1
    ]


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_zero_divisor_is_an_input_error_naming_it(engine: str) -> None:
    batch = policy_from_source(DRAFTED).run(document(("100000", "0"), ("300000", "10000000")), trace=False,
                                            engine=engine)[1]  # type: ignore[arg-type]
    first, second = (a.to_json("en", trace=False) for a in batch.applicants)
    assert first["status"] == "error"
    assert first["errors"] == ["applicants[0].projects[0].revenue: measure 1 divides by revenue, which is 0 here "
                               "(applicant E0, project P1)"]
    assert second["total"] == "30000.00"  # the bad applicant stops no one


def test_the_explanation_shows_the_ratio_s_figures_the_band_the_rate_and_the_cap() -> None:
    policy = load_policy(SHAPE)
    batch = policy.run(document(("400000", "10000000"), ("20000000", "100000000"), ("200000", "10000000"),
                                ("1", "3")))[1]
    zh, en = ([[step["text"] for step in a.to_json(lang)["projects"][0]["awards"][0]["trace"]] for a in batch.applicants]
              for lang in ("zh", "en"))
    assert zh[0][:2] == [
        "研发费用占营业收入比重:年度研发费用 400,000 ÷ 年度营业收入 10,000,000 = 4% ∈ [3%, 5%)(“3%(含)至5%”):"
        "第 1 档,补助 40,000 元",
        "第 1 档的金额:10% × 年度研发费用 400,000 = 40,000 元"]
    assert en[0][:2] == [
        "R&D share of revenue: R&D spending of the year 400,000 ÷ revenue of the year 10,000,000 = 4% "
        "∈ [3%, 5%) (\"3%(含)至5%\"): tier 1, pays 40,000 yuan",
        "Tier 1 pays 10% × R&D spending of the year 400,000 = 40,000 yuan"]
    assert "封顶:3,000,000 元超过单个项目上限 2,000,000 元,按上限 2,000,000 元计" in zh[1]
    assert zh[2] == ["研发费用占营业收入比重:年度研发费用 200,000 ÷ 年度营业收入 10,000,000 = 2% 未达到任何档次"
                     "(最低一档为 [3%, 5%)),不予补助"]
    assert en[2] == ["R&D share of revenue: R&D spending of the year 200,000 ÷ revenue of the year 10,000,000 "
                     "= 2% reaches no tier (the lowest is [3%, 5%)): nothing is paid"]
    assert "年度研发费用 1 ÷ 年度营业收入 3 ≈ 33.33% ∈ [5%, ∞)" in zh[3][0]  # a quotient that does not end
    compiled, interpreted = (load_policy(SHAPE, backend=b).run(document(("400000", "10000000")))[1]  # type: ignore[arg-type]
                             for b in ("compiled", "interpreter"))
    assert compiled.applicants[0].to_json("en") == interpreted.applicants[0].to_json("en")


def test_a_bound_in_wan_on_a_ratio_is_said_to_be_money() -> None:
    # the hint read "write it as a percentage: 5万%"
    found = messages(DRAFTED.replace("5%(含)以上: 15% of rd", "5万以上: 15% of rd"))
    assert found[0] == ("16: error: bound 5万 is a plain number, but the value is a percentage | 5万 is 50,000 (money, "
                        "in a notice); a percentage is written with %: 5%")
