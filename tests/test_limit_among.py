"""A limit over named measures only: `limit 500万 per applicant per year among 4, 6.1, 6.2` (docs/language.md §11).

Only the listed measures' grants count toward the limit and only they are reduced; the others stay whole.
Every engine decides it alike, the explanation, the plan and impact say which measures count, the checker
holds the list to the measures declared (one measure is enough for a limit), the keywords convert both ways,
the language server finds the ids in the list, and earlier batches count only the listed measures' awards.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_lsp import Client, locate, opened, position_of

from jinjiang_dsl import check_source, load_policy
from jinjiang_dsl.api import policy_from_source
from jinjiang_dsl.cli import main
from jinjiang_dsl.fmt import convert_keywords

ROOT = Path(__file__).resolve().parents[1]
SHAPE = ROOT / "policies" / "shapes" / "s05_limit_among.pol"

# 4 (5,000,000), 6.1 (3,000,000) and 6.2 (2,000,000) are listed: 10,000,000 brought down to 5,000,000 pro rata;
# 5 (800,000) is not: it stays whole; in 2025 7.1 and 7.2 (900,000) come down to their own 600,000 in input order
DOCUMENT = {"applicants": [{"id": "A", "projects": [
    {"id": "P1", "date": "2024-03-01", "investment": "60000000", "little_giant": True},
    {"id": "P2", "date": "2024-06-01", "demo_line": True, "demo_workshop": True},
    {"id": "P3", "date": "2025-02-01", "talent": True, "platform": True}]}]}
EXPECTED = {"P1": {"4": ("granted", "2500000.00"), "5": ("granted", "800000.00")},
            "P2": {"6.1": ("granted", "1500000.00"), "6.2": ("granted", "1000000.00")},
            "P3": {"7.1": ("granted", "400000.00"), "7.2": ("granted", "200000.00")}}


def outcome(applicant: dict[str, Any]) -> dict[str, dict[str, tuple[str, str]]]:
    return {p["id"]: {a["measure"]: (a["status"], a["amount"]) for a in p["awards"] if a["status"] != "not_eligible"}
            for p in applicant["projects"]}


@pytest.mark.parametrize("backend, engine", [("compiled", "python"), ("interpreter", "python"),
                                             ("compiled", "duckdb")])
def test_only_the_listed_measures_count_toward_the_limit_and_are_reduced(backend: str, engine: str) -> None:
    policy = load_policy(SHAPE, backend=backend)  # type: ignore[arg-type]
    for trace in (True, False):
        (applicant,) = policy.run(DOCUMENT, trace=trace, engine=engine)[1].applicants  # type: ignore[arg-type]
        decided = applicant.to_json("en", trace=trace)
        assert outcome(decided) == EXPECTED
        assert decided["total"] == "6400000.00"


def test_the_explanation_says_which_measures_count_and_leaves_the_others_alone() -> None:
    (applicant,) = load_policy(SHAPE).run(DOCUMENT)[1].applicants
    steps = {lang: {(p["id"], a["measure"]): [s["text"] for s in a["trace"] if s["rule"] in ("R1", "R2")]
                    for p in applicant.to_json(lang)["projects"] for a in p["awards"]} for lang in ("zh", "en")}
    assert steps["zh"][("P2", "6.2")] == [
        "第四、六条合计上限(限于措施 4、6.1、6.2):可用额度 5,000,000 元;2024 年度所列措施合计 10,000,000 元,"
        "超出部分按比例核减:2,000,000 × 5,000,000 ÷ 10,000,000 = 1,000,000,按最大余数法分配后为 1,000,000 元"]
    assert steps["en"][("P2", "6.2")] == [
        "Cap on measures 4 and 6 (among measures 4, 6.1 and 6.2): headroom 5,000,000 yuan; 10,000,000 yuan in 2024 "
        "exceeds it, so grants are reduced pro rata: 2,000,000 × 5,000,000 ÷ 10,000,000 = 1,000,000, 1,000,000 "
        "yuan after the largest-remainder split"]
    assert steps["zh"][("P3", "7.2")] == [
        "第七条合计上限(限于措施 7.1、7.2):可用额度 600,000 元;2025 年度所列措施合计 900,000 元,超出部分按申报顺序"
        "核减:本项目由 500,000 元核减为 200,000 元"]
    assert steps["zh"][("P1", "5")] == steps["en"][("P1", "5")] == []  # not listed: neither limit touches it
    tables = {s.params["allocation"] for g in applicant.groups() for a in g.awards for s in a.trace
              if s.rule == "R1" and s.params.get("allocation") is not None}
    assert [t.title.en for t in tables] == ["[R1] Cap on measures 4 and 6 (among measures 4, 6.1 and 6.2)"]


ONE_MEASURE = """policy "单项限额" / "one measure's limit" {
  issued 2024-01-01
  dated by date
  currency 元
  rounding 0.01元 half_up
}
applicant {
  contribution: money "财政贡献" / "contribution"
}
project {
  date: date "日期" / "date"
  a: bool = false "甲" / "a"
  b: bool = false "乙" / "b"
}
measure 1 "甲" / "A" {
  clause 一
  requires a "甲" / "a"
  amount 50万
}
measure 2 "乙" / "B" {
  clause 二
  requires b "乙" / "b"
  amount 20万
}
rule R1 "甲类以贡献为限" / "A up to the contribution" {
  clause "第三条"
  limit contribution per applicant per year among 1
  reduce in input order
}
"""


@pytest.mark.parametrize("backend, engine", [("compiled", "python"), ("interpreter", "python"),
                                             ("compiled", "duckdb")])
def test_a_limit_may_list_one_measure(backend: str, engine: str) -> None:
    # unlike highest-not-stacked, one measure is a limit on that measure's grants: the checker lets it stand
    assert [d.message for d in check_source(ONE_MEASURE)] == []
    policy = policy_from_source(ONE_MEASURE, backend=backend)  # type: ignore[arg-type]
    document = {"applicants": [{"id": "A", "contribution": "300000", "projects": [
        {"id": "P1", "date": "2024-03-01", "a": True, "b": True}, {"id": "P2", "date": "2024-09-01", "a": True}]}]}
    (applicant,) = policy.run(document, trace=True, engine=engine)[1].applicants  # type: ignore[arg-type]
    decided = applicant.to_json("en")
    assert outcome(decided) == {"P1": {"1": ("granted", "300000.00"), "2": ("granted", "200000.00")},
                                "P2": {"1": ("granted", "0.00")}}
    if engine == "python":
        (step,) = [s["text"] for s in decided["projects"][1]["awards"][0]["trace"] if s["rule"] == "R1"]
        assert step.startswith("A up to the contribution (measure 1 only): headroom 300,000 yuan (contribution ")


def test_the_plan_and_impact_say_which_measures_count(tmp_path: Path, capsys: Any) -> None:
    assert main(["compile", str(SHAPE), "--emit", "plan"]) == 0
    assert ("R1 第四、六条合计上限 / Cap on measures 4 and 6: limit 5,000,000 per applicant per year among measures 4, "
            "6.1, 6.2 (the others do not count), reduce pro rata by largest remainder") in capsys.readouterr().out
    source = SHAPE.read_text(encoding="utf-8")
    changed = tmp_path / "changed.pol"
    changed.write_text(source.replace("among 4, 6.1, 6.2", "among 4, 6.1"), encoding="utf-8")
    applications, out = tmp_path / "a.json", tmp_path / "impact.json"
    applications.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert main(["impact", str(SHAPE), str(changed), str(applications), "-o", str(out)]) == 0
    impact = json.loads(out.read_text(encoding="utf-8"))
    (rule,) = [c for c in impact["policy_changes"] if c["what"] == "rule R1"]
    assert rule["before"] == ("limit 5,000,000 per applicant per year among measures 4, 6.1, 6.2 (the others do "
                              "not count), reduce pro rata by largest remainder")
    assert rule["after"] == rule["before"].replace("4, 6.1, 6.2", "4, 6.1")
    assert "(限于措施 4、6.1 合计,其他措施不计入)" in rule["after_zh"]


def test_the_chinese_spelling_is_xianyu_and_converts_both_ways() -> None:
    source = SHAPE.read_text(encoding="utf-8")
    chinese = convert_keywords(source, "zh")
    assert "限额 500万 每家每年 限于 4, 6.1, 6.2" in chinese
    assert convert_keywords(chinese, "en") == source
    written = chinese.replace("限于 4, 6.1, 6.2", "限于 4、6.1、6.2")  # as an input method types the list
    assert load_policy(SHAPE).plan.rules == policy_from_source(written, str(SHAPE)).plan.rules


def diagnostics(source: str) -> list[tuple[str, str | None, int, int]]:
    return [(d.message, d.hint, d.span.line, d.span.column) for d in check_source(source)]


def test_the_checker_holds_the_list_to_the_measures_declared() -> None:
    source = SHAPE.read_text(encoding="utf-8")
    line = source.splitlines().index("  limit 500万 per applicant per year among 4, 6.1, 6.2") + 1
    at = len("  limit 500万 per applicant per year among ") + 1
    assert diagnostics(source.replace("among 4, 6.1, 6.2", "among 4, 6.3")) == [
        ("there is no measure 6.3", "did you mean 6.2?", line, at + 3)]
    assert diagnostics(source.replace("among 4, 6.1, 6.2", "among 4, 6.1, 4")) == [
        (f"measure 4 is listed twice in 'among' (first at column {at})", "list measure 4 once", line, at + 8)]


def test_the_language_server_finds_a_measure_in_the_limits_list(tmp_path: Path) -> None:
    source = SHAPE.read_text(encoding="utf-8")
    uri = (tmp_path / "s05.pol").as_uri()
    client = Client()
    try:
        assert [d for d in opened(client, uri, source) if d["severity"] == 1] == []
        listed = position_of(source, "7.1, 7.2\n", 1)
        declared = position_of(source, 'measure 7.1 "', 8)
        assert locate(client, "definition", uri, listed)["range"]["start"] == declared
        refs = [r["range"]["start"] for r in locate(client, "references", uri, declared)]
        assert position_of(source, "7.1, 7.2\n") in refs and declared in refs
    finally:
        client.close()


REGISTERED = """policy "限额与批次" / "a limit across batches" {
  issued 2024-01-01
  dated by date
  currency 元
  rounding 0.01元 half_up
}
project {
  date: date "日期" / "date"
  a: bool = false "甲" / "a"
  b: bool = false "乙" / "b"
  c: bool = false "丙" / "c"
}
measure 1 "甲" / "A" {
  clause 一
  requires a "甲" / "a"
  amount 50万
}
measure 2 "乙" / "B" {
  clause 二
  requires b "乙" / "b"
  amount 20万
}
measure 3 "丙" / "C" {
  clause 三
  requires c "丙" / "c"
  amount 10万
}
rule R1 "甲乙合计上限" / "Cap on A and B" {
  clause "第四条"
  limit 60万 per applicant per year among 1, 2
  reduce in input order
}
"""


def test_rounds_count_only_the_listed_measures_awards_of_earlier_batches(tmp_path: Path) -> None:
    # among 1 and 2, 600,000 a year: measure 3's award of an earlier batch does not use the headroom, so the
    # rounds add up to what one batch of all three pays (counting it, the last round got 300,000)
    from jinjiang_dsl.register import Register

    path = tmp_path / "limit.pol"
    path.write_text(REGISTERED, encoding="utf-8")
    policy = load_policy(path)
    rounds = [{"id": "P1", "date": "2024-03-01", "c": True}, {"id": "P2", "date": "2024-06-01", "b": True},
              {"id": "P3", "date": "2024-09-01", "a": True}]
    with Register(tmp_path / "r.sqlite") as register:
        totals = [register.decide(policy, str(path), [{"id": "E", "projects": [p]}])[1].applicants[0].total
                  for p in rounds]
    assert totals == [Decimal("100000.00"), Decimal("200000.00"), Decimal("400000.00")]
    assert sum(totals) == policy.evaluate_applicant({"id": "E", "projects": rounds}).total  # as one batch
