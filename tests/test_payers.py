"""Payers of a cost split (shape S6): their English names in every English sentence and table, the output's
keys as the policy writes the names (io-contract), and the header's split as every measure's default."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from jinjiang_dsl import check_source, load_policy
from jinjiang_dsl.cli import main
from jinjiang_dsl.examples import run_all
from jinjiang_dsl.explain import html, markdown, report
from jinjiang_dsl.fmt import convert_keywords, format_source, meaning

ROOT = Path(__file__).resolve().parents[1]
S6_PATH = ROOT / "policies" / "shapes" / "s06_cost_sharing.pol"
S6 = S6_PATH.read_text(encoding="utf-8")  # the header splits 1:1; measure 2 4:3:3
HEADER_SPLIT = "  shared 1:1 by 市级财政, 县级财政\n"
# measure 2 names the payers in English, which holds for the header's split too
NAMED = S6.replace("shared 4:3:3 by 省级财政, 市级财政, 县级财政", 'shared 4:3:3 by 省级财政 / "provincial treasury", '
                   '市级财政 / "city treasury", 县级财政 / "county treasury"', 1)
APPS = {"applicants": [
    {"id": "A1", "projects": [{"id": "P1", "date": "2024-05-01", "grant_base": "40000.01"}]},
    {"id": "A2", "projects": [{"id": "P2", "date": "2024-05-01", "grant_base": "100000", "provincial_project": True}]},
]}


def written(tmp_path: Path, source: str, name: str = "s6.pol") -> Path:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path


def errors(source: str) -> list[tuple[str, str | None, tuple[int, int]]]:
    return [(d.message, d.hint, (d.span.line, d.span.column)) for d in check_source(source, "t.pol") if d.is_error]


def at(source: str, needle: str) -> tuple[int, int]:
    before = source[:source.index(needle)]
    return before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1


# ---------------------------------------------------------------------- the checker


def test_a_payer_named_in_english_once_or_the_same_way_twice_is_clean() -> None:
    assert errors(NAMED) == []
    same = NAMED.replace("市级财政, 县级财政\n", '市级财政 / "city treasury", 县级财政\n', 1)
    assert errors(same) == []


def test_a_payer_given_two_english_names_is_an_error_where_the_second_stands() -> None:
    source = NAMED.replace("市级财政, 县级财政\n", '市级财政 / "municipal finance", 县级财政\n', 1)  # in the header
    assert errors(source) == [(
        "the payer '市级财政' is called \"city treasury\" here but \"municipal finance\" at line 11",
        "give a payer one English name; write it once (市级财政 / \"municipal finance\") and the payer's name "
        "alone elsewhere", at(source, '市级财政 / "city treasury"'))]


@pytest.mark.parametrize("written, before", [
    ('shared 4:3:3 by 省级财政 "provincial treasury", 市级财政, 县级财政', "省级财政"),
    ('requires provincial_project "省级项目" "provincial treasury"', '"省级项目"'),
])
def test_an_english_name_without_its_slash_is_told_where_the_slash_goes(written: str, before: str) -> None:
    line = next(x for x in S6.splitlines() if x.strip().startswith(written.split(" ", 1)[0] + " "))
    source = S6.replace(line, "  " + written, 1)
    assert errors(source) == [("unexpected '\"provincial treasury\"'",
                               f"an English name follows a '/': {before} / \"provincial treasury\"",
                               at(source, '"provincial treasury"'))]


# ---------------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def run(tmp_path_factory: Any) -> Any:
    policy = load_policy(written(tmp_path_factory.mktemp("payers"), NAMED))
    apps, batch = policy.run(APPS)
    return policy, apps, batch


def test_english_explanations_and_reports_name_payers_in_english(run: Any) -> None:
    policy, apps, batch = run
    built = report.build(policy.decider(), apps, batch, is_batch=True)
    en = markdown.render(built, "en")
    assert ("Cost sharing (4:3:3): 100,000 yuan paid by provincial treasury 40,000 yuan, city treasury 30,000 yuan, "
            "county treasury 30,000 yuan") in en
    # named in English in measure 2 only, the payers of the header's split are named so in measure 1 too
    assert "Cost sharing (1:1): 40,000.01 yuan paid by city treasury 20,000.01 yuan, county treasury 20,000 yuan" in en
    assert "| provincial treasury | 40,000.00 |" in en  # what each payer budgets
    assert "| city treasury | 1 | 20,000.005000 | 20,000.00 | 0.500000 | +1 | 20,000.01 |" in en  # the split's table
    assert "财政" not in en.replace(policy.plan.measures[0].quote or "", "").replace(
        policy.plan.measures[1].quote or "", "")  # the notice's words quoted, nothing else
    page = html.render(built, "en")
    assert "provincial treasury" in page and "省级财政" not in page.replace(policy.plan.measures[1].quote or "", "")
    zh = markdown.render(built, "zh")  # Chinese names them as written
    assert "100,000 元由 省级财政 40,000 元、市级财政 30,000 元、县级财政 30,000 元 承担" in zh
    assert "| 省级财政 | 40,000.00 |" in zh


def test_the_json_keys_payers_by_their_names_as_written(run: Any) -> None:
    doc = run[2].to_json(lang="en")
    assert doc["summary"]["by_payer"] == {"市级财政": "100000.01", "县级财政": "100000.00", "省级财政": "40000.00"}
    shares = [a["shares"] for app in doc["applicants"] for p in app["projects"] for a in p["awards"] if a.get("shares")]
    assert shares[-1] == [{"payer": "省级财政", "amount": "40000.00"}, {"payer": "市级财政", "amount": "30000.00"},
                          {"payer": "县级财政", "amount": "30000.00"}]


def test_eval_text_and_its_stream_summary_name_payers_in_english(tmp_path: Path, capsys: Any) -> None:
    policy = written(tmp_path, NAMED)
    apps = tmp_path / "apps.json"
    apps.write_text(json.dumps(APPS), encoding="utf-8")
    assert main(["eval", str(policy), str(apps), "--format", "text", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "provincial treasury" in out and "county treasury" in out and "财政" not in out.split("Summary")[1]
    lines = tmp_path / "apps.jsonl"
    lines.write_text("\n".join(json.dumps(a) for a in APPS["applicants"]) + "\n", encoding="utf-8")
    assert main(["eval", str(policy), str(lines), "--format", "jsonl", "--lang", "en", "-o",
                 str(tmp_path / "out.jsonl"), "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert " yuan  payer provincial treasury\n" in err and "省级财政" not in err


def test_impact_names_payers_in_english_and_keys_its_json_by_name(tmp_path: Path, capsys: Any) -> None:
    old = written(tmp_path, NAMED, "old.pol")
    new = written(tmp_path, NAMED.replace("shared 1:1 by", "shared 3:2 by", 1), "new.pol")
    apps = tmp_path / "apps.json"
    apps.write_text(json.dumps(APPS), encoding="utf-8")
    out = tmp_path / "impact.json"
    assert main(["impact", str(old), str(new), str(apps), "-o", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert list(doc["by_payer"]) == ["县级财政", "市级财政", "省级财政"]
    assert {"what": "measure 1: shared", "old_line": 11, "new_line": 11,
            "before": "1:1 by city treasury, county treasury", "after": "3:2 by city treasury, county treasury",
            "before_zh": "市级财政、县级财政 按 1:1 分担", "after_zh": "市级财政、县级财政 按 3:2 分担"} in doc["policy_changes"]
    assert main(["impact", str(old), str(new), str(apps), "--format", "text", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "By payer city treasury" in text and "By payer 市级财政" not in text
    page = tmp_path / "impact.html"
    assert main(["impact", str(old), str(new), str(apps), "--format", "html", "--lang", "en", "-o", str(page)]) == 0
    assert "<td>county treasury</td>" in page.read_text(encoding="utf-8")
    assert "县级财政" not in page.read_text(encoding="utf-8").replace("县(区)", "")


# ---------------------------------------------------------------------- the language


def test_english_names_format_and_convert_to_chinese_keywords_and_back() -> None:
    assert format_source(NAMED) == NAMED
    chinese = format_source(convert_keywords(NAMED, "zh"))
    assert "  舍入 0.01元 四舍五入\n  分担 1:1 按 市级财政, 县级财政\n}" in chinese
    assert '分担 4:3:3 按 省级财政 / "provincial treasury", 市级财政 / "city treasury"' in chinese
    assert meaning(chinese) == meaning(NAMED)
    assert format_source(convert_keywords(chinese, "en")) == NAMED


# ---------------------------------------------------------------------- the header's split


@pytest.mark.parametrize("engine", ["compiled", "interpreter", "duckdb"])
def test_the_header_s_split_is_every_measure_s_without_its_own(engine: str) -> None:
    policy = load_policy(S6_PATH, backend="interpreter" if engine == "interpreter" else "compiled")
    doc = policy.run(APPS, trace=engine != "duckdb", **({"engine": "duckdb"} if engine == "duckdb" else {}))[1]
    awards = {(app["id"], a["measure"]): a.get("shares") for app in doc.to_json()["applicants"]
              for p in app["projects"] for a in p["awards"]}
    assert awards == {  # measure 1 by the header's 1:1, measure 2 by its own 4:3:3
        ("A1", "1"): [{"payer": "市级财政", "amount": "20000.01"}, {"payer": "县级财政", "amount": "20000.00"}],
        ("A1", "2"): None,
        ("A2", "1"): [{"payer": "市级财政", "amount": "50000.00"}, {"payer": "县级财政", "amount": "50000.00"}],
        ("A2", "2"): [{"payer": "省级财政", "amount": "40000.00"}, {"payer": "市级财政", "amount": "30000.00"},
                      {"payer": "县级财政", "amount": "30000.00"}]}
    assert doc.summary.by_payer == {"市级财政": Decimal("100000.01"), "县级财政": Decimal("100000.00"),
                                    "省级财政": Decimal("40000.00")}


@pytest.mark.parametrize("split, message, hint", [
    ("shared 1:0 by 市级财政, 县级财政", "a payer's share must be at least 1",
     "leave out a payer that pays nothing, or write the ratio the notice gives, e.g. 4:3:3"),
    ("shared 1:1 by 市级财政, 市级财政", "the payer '市级财政' is named twice", "name each payer once, with its share of the ratio"),
])
def test_the_header_s_split_is_checked_where_it_stands(split: str, message: str, hint: str) -> None:
    source = S6.replace(HEADER_SPLIT, f"  {split}\n", 1)
    assert errors(source) == [(message, hint, at(source, split))]


def test_a_second_split_in_the_header_is_an_error() -> None:
    source = S6.replace(HEADER_SPLIT, HEADER_SPLIT + "  shared 2:1 by 市级财政, 县级财政\n", 1)
    assert errors(source) == [("the policy header has a second 'shared'", "keep one; the first one is at line 11",
                               at(source, "shared 2:1"))]


def test_a_header_split_every_measure_replaces_is_warned_of() -> None:
    source = S6.replace("  amount 100% of grant_base\n\n", "  amount 100% of grant_base\n  shared 1:1 by 县级财政, 市级财政\n\n", 1)
    found = [(d.severity, d.message, d.hint, (d.span.line, d.span.column)) for d in check_source(source, "t.pol")]
    assert ("warning", "every measure declares its own split, so the header's 'shared' is used by none",
            "leave it out, or leave out the measures' own 'shared' that split as it does", at(source, HEADER_SPLIT.strip())) in found


def test_an_example_is_held_to_the_header_s_split() -> None:
    source = S6.replace("expect P1 1 granted 4万 shared 市级财政 2万, 县级财政 2万", "expect P1 1 granted 4万 shared 市级财政 4万", 1)
    assert errors(source) == [("measure 1 is shared by 市级财政, 县级财政; the expectation names 市级财政",
                               "name each payer once, in the measure's order", at(source, "expect P1 1 granted 4万"))]


def test_impact_names_every_measure_a_change_of_the_header_s_split_reaches(tmp_path: Path) -> None:
    apps = tmp_path / "apps.json"
    apps.write_text(json.dumps(APPS), encoding="utf-8")
    new = written(tmp_path, S6.replace(HEADER_SPLIT, "  shared 3:2 by 市级财政, 县级财政\n", 1), "new.pol")
    out = tmp_path / "impact.json"
    assert main(["impact", str(S6_PATH), str(new), str(apps), "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["policy_changes"] == [
        {"what": "measure 1: shared", "old_line": 11, "new_line": 11, "before": "1:1 by 市级财政, 县级财政",
         "after": "3:2 by 市级财政, 县级财政", "before_zh": "市级财政、县级财政 按 1:1 分担",
         "after_zh": "市级财政、县级财政 按 3:2 分担"}]


ONE_PAYER = S6.replace("  shared 4:3:3 by 省级财政, 市级财政, 县级财政\n", "  shared 1 by 省级财政 / \"provincial treasury\"\n", 1) \
    .replace('shared 省级财政 4万, 市级财政 3万, 县级财政 3万 explains "省级财政 40,000 元、市级财政 30,000 元、县级财政 30,000 元"',
             'shared 省级财政 10万 explains "资金由 省级财政 全额承担"', 1) \
    .replace("shared 省级财政 0.01元, 市级财政 0元, 县级财政 0元", "shared 省级财政 0.01元", 1)


@pytest.mark.parametrize("engine", ["compiled", "duckdb"])
def test_a_measure_one_payer_pays_in_full_replaces_the_header_s_split(engine: str, tmp_path: Path) -> None:
    assert errors(ONE_PAYER) == []
    policy = load_policy(written(tmp_path, ONE_PAYER))
    assert [r.passed for r in run_all(policy)] == [True] * 4  # its examples expect the one payer's part
    apps, batch = policy.run(APPS, trace=engine != "duckdb", **({"engine": "duckdb"} if engine == "duckdb" else {}))
    award = batch.to_json()["applicants"][1]["projects"][0]["awards"][1]
    assert award["shares"] == [{"payer": "省级财政", "amount": "100000.00"}]
    assert batch.summary.by_payer == {"市级财政": Decimal("70000.01"), "县级财政": Decimal("70000.00"),
                                      "省级财政": Decimal("100000.00")}
    if engine != "duckdb":
        built = report.build(policy.decider(), apps, batch, is_batch=True)
        en, zh = markdown.render(built, "en"), markdown.render(built, "zh")
        assert "6. Paid in full by provincial treasury: 100,000 yuan" in en
        assert "6. 资金由 省级财政 全额承担:100,000 元" in zh
        assert "split 1 " not in en  # no table for a split of one
