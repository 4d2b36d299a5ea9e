"""就高不重复 between named measures only: `highest not stacked … among 4, 6.1, 6.2` (docs/language.md §11).

Only the listed measures' claims compete; the others stack. Every engine decides it alike, the checker
holds the list to the measures declared, the explanation and the plan say which measures compete, the
Chinese spelling is `限于`, and the language server finds the measure ids in the list.
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
from jinjiang_dsl.diagnostics import render_plain
from jinjiang_dsl.fmt import convert_keywords

ROOT = Path(__file__).resolve().parents[1]
SHAPE = ROOT / "policies" / "shapes" / "s07_highest_among.pol"
JINJIANG = ROOT / "policies" / "jinjiang_2023.pol"

# P1: 4 pays 200,000 and 6.2 300,000 (listed: 4 superseded); 5 pays 800,000, more, but is not listed: it stacks
DOCUMENT = {"applicants": [{"id": "A", "projects": [
    {"id": "P1", "date": "2024-05-01", "investment": "2000000", "demo_workshop": True, "little_giant": True},
    {"id": "P2", "date": "2024-06-01", "demo_line": True, "demo_workshop": True}]}]}
EXPECTED = {"P1": {"4": ("superseded", "0.00"), "5": ("granted", "800000.00"), "6.2": ("granted", "300000.00")},
            "P2": {"6.1": ("granted", "500000.00"), "6.2": ("superseded", "0.00")}}


def outcome(applicant: dict[str, Any]) -> dict[str, dict[str, tuple[str, str]]]:
    return {p["id"]: {a["measure"]: (a["status"], a["amount"]) for a in p["awards"]} for p in applicant["projects"]}


@pytest.mark.parametrize("backend, engine", [("compiled", "python"), ("interpreter", "python"),
                                             ("compiled", "duckdb")])
def test_only_the_listed_measures_compete_the_others_stack(backend: str, engine: str) -> None:
    policy = load_policy(SHAPE, backend=backend)  # type: ignore[arg-type]
    for trace in (True, False):
        (applicant,) = policy.run(DOCUMENT, trace=trace, engine=engine)[1].applicants  # type: ignore[arg-type]
        decided = applicant.to_json("en", trace=trace)
        assert outcome(decided) == EXPECTED
        assert decided["total"] == "1600000.00"


PER_APPLICANT = """policy "申请人就高" / "per applicant" {
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
rule R1 "就高不重复" / "Highest, not stacked" {
  clause "第四条"
  highest not stacked per applicant per year among 1, 2
  ties go to lower measure
}
"""


@pytest.mark.parametrize("backend, engine", [("compiled", "python"), ("interpreter", "python"),
                                             ("compiled", "duckdb")])
def test_per_applicant_among_lets_the_listed_awards_of_a_year_compete(backend: str, engine: str) -> None:
    policy = policy_from_source(PER_APPLICANT, backend=backend)  # type: ignore[arg-type]
    document = {"applicants": [{"id": "A", "projects": [
        {"id": "P1", "date": "2024-03-01", "a": True},
        {"id": "P2", "date": "2024-09-01", "b": True, "c": True}]}]}
    (applicant,) = policy.run(document, trace=False, engine=engine)[1].applicants  # type: ignore[arg-type]
    assert outcome(applicant.to_json("en", trace=False)) == {
        "P1": {"1": ("granted", "500000.00")},
        "P2": {"2": ("superseded", "0.00"), "3": ("granted", "100000.00")}}


def test_the_explanation_says_which_measures_compete_and_names_the_winner() -> None:
    (applicant,) = load_policy(SHAPE).run(DOCUMENT)[1].applicants
    steps = {lang: {(p["id"], a["measure"]): [s["text"] for s in a["trace"] if s["rule"] == "R1"]
                    for p in applicant.to_json(lang)["projects"] for a in p["awards"]} for lang in ("zh", "en")}
    assert steps["en"][("P1", "4")] == ["Highest, not stacked (among measures 4, 6.1 and 6.2): measure 6.2 pays "
                                        "300,000 yuan, more than this measure's 200,000 yuan; superseded"]
    assert steps["zh"][("P1", "4")] == ["就高不重复(限于措施 4、6.1、6.2 之间):措施 6.2 可得 300,000 元,"
                                        "高于本措施的 200,000 元,本措施不重复享受"]
    assert steps["en"][("P1", "6.2")] == ["Highest, not stacked (among measures 4, 6.1 and 6.2): the project "
                                          "qualifies under 2 measures; the highest is measure 6.2 (300,000 yuan); "
                                          "not stacked: 4 (200,000 yuan)"]
    assert steps["zh"][("P1", "5")] == steps["en"][("P1", "5")] == []  # not listed: the rule does not touch it


def test_the_plan_and_impact_say_which_measures_compete(tmp_path: Path, capsys: Any) -> None:
    assert main(["compile", str(SHAPE), "--emit", "plan"]) == 0
    assert "R1 就高不重复 / Highest, not stacked: highest not stacked per project per year among measures 4, 6.1, " \
           "6.2 (the others stack)" in capsys.readouterr().out
    source = JINJIANG.read_text(encoding="utf-8")
    assert source.count("  highest not stacked per project per year\n") == 1
    changed = tmp_path / "among.pol"
    changed.write_text(source.replace("  highest not stacked per project per year\n",
                                      "  highest not stacked per project per year among 1.1, 1.2\n"), encoding="utf-8")
    out = tmp_path / "impact.json"
    assert main(["impact", str(JINJIANG), str(changed), str(ROOT / "examples" / "applications.json"),
                 "-o", str(out)]) == 0
    (rule,) = [c for c in json.loads(out.read_text(encoding="utf-8"))["policy_changes"] if c["what"] == "rule R1"]
    assert rule["after"] == rule["before"].replace("per year", "per year among measures 1.1, 1.2 (the others stack)")
    assert "(限于措施 1.1、1.2 之间,其他措施叠加)" in rule["after_zh"]


def test_the_chinese_spelling_is_xianyu_and_converts_both_ways() -> None:
    source = SHAPE.read_text(encoding="utf-8")
    chinese = convert_keywords(source, "zh")
    assert "就高不重复 每项目每年 限于 4, 6.1, 6.2" in chinese
    assert convert_keywords(chinese, "en") == source
    written = chinese.replace("限于 4, 6.1, 6.2", "限于 4、6.1、6.2")  # as an input method types the list
    assert load_policy(SHAPE).plan.rules == policy_from_source(written, str(SHAPE)).plan.rules


def rule_with(among: str) -> str:
    return SHAPE.read_text(encoding="utf-8").replace("among 4, 6.1, 6.2", among)


def diagnostics(source: str) -> list[tuple[str, str | None, int, int, int]]:
    return [(d.message, d.hint, d.span.line, d.span.column, d.span.end_column) for d in check_source(source)]


def test_the_checker_holds_the_list_to_the_measures_declared() -> None:
    line = SHAPE.read_text(encoding="utf-8").splitlines().index(
        "  highest not stacked per project per year among 4, 6.1, 6.2") + 1
    at = len("  highest not stacked per project per year among ") + 1
    assert diagnostics(rule_with("among 4, 6.3")) == [("there is no measure 6.3", "did you mean 6.2?", line, at + 3, at + 6)]
    assert diagnostics(rule_with("among 4, 9")) == [
        ("there is no measure 9", "the measures are 4, 5, 6.1, 6.2", line, at + 3, at + 4)]
    assert diagnostics(rule_with("among 4, 6.1, 4")) == [
        (f"measure 4 is listed twice in 'among' (first at column {at})", "list measure 4 once", line, at + 8, at + 9)]
    assert diagnostics(rule_with("among 6.1")) == [
        ("rule R1 lets only measure 6.1 compete: with nothing to compete with, it does nothing",
         "list at least two measures, e.g. 'among 1, 2', or leave out 'among' for all to compete", line, at - 6, at + 3)]
    source = rule_with("among 4, 6.3")
    rendered = render_plain(check_source(source, "s07.pol"), {"s07.pol": source})
    assert f"s07.pol:{line}:{at + 3}: error: there is no measure 6.3" in rendered
    assert " " * (at + 2) + "^^^" in rendered


def test_the_language_server_finds_a_measure_in_the_list(tmp_path: Path) -> None:
    source = SHAPE.read_text(encoding="utf-8")
    uri = (tmp_path / "s07.pol").as_uri()
    client = Client()
    try:
        assert [d for d in opened(client, uri, source) if d["severity"] == 1] == []
        listed = position_of(source, "6.1, 6.2\n", 1)
        declared = position_of(source, 'measure 6.1 "', 8)
        assert locate(client, "definition", uri, listed)["range"]["start"] == declared
        refs = [r["range"]["start"] for r in locate(client, "references", uri, declared)]
        assert position_of(source, "6.1, 6.2\n") in refs and declared in refs
        assert "measure 6.1" in locate(client, "hover", uri, listed)["contents"]["value"]
    finally:
        client.close()


def test_rounds_count_only_the_listed_measures_awards_of_earlier_batches(tmp_path: Path) -> None:
    # per applicant, among 1 and 2: measure 3's award of an earlier batch does not compete, so measure 2 is then
    # paid in full (not topped up over it); measure 1 later tops measure 2 up — what one batch of all three pays
    from jinjiang_dsl.register import Register

    path = tmp_path / "among.pol"
    path.write_text(PER_APPLICANT, encoding="utf-8")
    policy = load_policy(path)
    rounds = [{"id": "P1", "date": "2024-03-01", "c": True}, {"id": "P2", "date": "2024-06-01", "b": True},
              {"id": "P3", "date": "2024-09-01", "a": True}]
    with Register(tmp_path / "r.sqlite") as register:
        totals = [register.decide(policy, str(path), [{"id": "E", "projects": [p]}])[1].applicants[0].total
                  for p in rounds]
    assert totals == [Decimal("100000.00"), Decimal("200000.00"), Decimal("300000.00")]
    assert sum(totals) == policy.evaluate_applicant({"id": "E", "projects": rounds}).total  # as one batch
