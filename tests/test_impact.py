"""The budget impact of a change (issue 13, item 5): two versions of a policy on the same applications.
Its figures are the difference of two eval runs, and its first table says what changed in the policy."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from jinjiang_dsl import load_policy
from jinjiang_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
JINJIANG = ROOT / "policies" / "jinjiang_2023.pol"
APPS = ROOT / "examples" / "applications.json"


@pytest.fixture()
def raised(tmp_path: Path) -> Path:
    """The Jinjiang policy with 1.1's rate raised from 20% to 25%."""
    source = JINJIANG.read_text(encoding="utf-8")
    assert "  amount 20% of investment, at most 100万\n" in source
    changed = source.replace("  amount 20% of investment, at most 100万\n", "  amount 25% of investment, at most 100万\n")
    path = tmp_path / "raised.pol"
    path.write_text(changed, encoding="utf-8")
    return path


def evaluated(policy: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{policy.stem}.json"
    assert main(["eval", str(policy), str(APPS), "--no-trace", "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_impact_totals_are_the_difference_of_two_eval_runs(engine: str, raised: Path, tmp_path: Path) -> None:
    out = tmp_path / "impact.json"
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "--engine", engine, "-o", str(out)]) == 0
    impact = json.loads(out.read_text(encoding="utf-8"))
    before, after = evaluated(JINJIANG, tmp_path), evaluated(raised, tmp_path)
    assert impact["engine"] == engine
    assert impact["total"] == {"before": before["summary"]["total"], "after": after["summary"]["total"],
                               "change": str(Decimal(after["summary"]["total"]) - Decimal(before["summary"]["total"]))}
    assert Decimal(impact["total"]["change"]) == Decimal("135000.00")
    for mid, figures in impact["by_measure"].items():
        assert figures["before"] == before["summary"]["by_measure"].get(mid, "0.00")
        assert figures["after"] == after["summary"]["by_measure"].get(mid, "0.00")
    assert sum(Decimal(y["change"]) for y in impact["by_year"].values()) == Decimal(impact["total"]["change"])
    totals = {a["id"]: (Decimal(a["total"]), Decimal(b["total"])) for a, b in zip(before["applicants"], after["applicants"])
              if a["status"] == b["status"] == "ok"}
    assert impact["applicants"] == {"gain": sum(b > a for a, b in totals.values()),
                                    "lose": sum(b < a for a, b in totals.values()),
                                    "same": sum(b == a for a, b in totals.values()), "errors": 3}
    assert sum(band["applicants"] for band in impact["bands"]) == len(totals)
    assert [m["id"] for m in impact["largest"]] == ["E010", "E009"]
    assert impact["largest"][0] == {"id": "E010", "before": "300000.00", "after": "375000.00", "change": "75000.00"}
    assert impact["policy_changes"] == [{"what": "measure 1.1: amount", "old_line": 87, "new_line": 87,
                                         "before": "20% of (software investment + hardware investment)",
                                         "after": "25% of (software investment + hardware investment)",
                                         "before_zh": "(软件系统投入金额 + 硬件设备投入金额)的 20%",
                                         "after_zh": "(软件系统投入金额 + 硬件设备投入金额)的 25%"}]


def test_impact_names_measures_requirements_caps_and_rules_that_changed(tmp_path: Path) -> None:
    source = JINJIANG.read_text(encoding="utf-8")
    changed = (source.replace("cap 50万 per applicant per year, reduce in input order",
                              "cap 60万 per applicant per year, reduce in input order")
               .replace("  amount 15% of quanzhou_recognized_investment, at most 10万",
                        "  amount 15% of quanzhou_recognized_investment, at most 12万"))
    path = tmp_path / "caps.pol"
    path.write_text(changed, encoding="utf-8")
    out = tmp_path / "impact.json"
    assert main(["impact", str(JINJIANG), str(path), str(APPS), "-o", str(out)]) == 0
    changes = json.loads(out.read_text(encoding="utf-8"))["policy_changes"]
    # in English, figures as English writes them (as a limit's are), in Chinese as the notice does
    assert {"what": "measure 1.2: at most", "old_line": 141, "new_line": 141, "before": "100,000", "after": "120,000",
            "before_zh": "10万", "after_zh": "12万"} in changes
    # a measure's own annual cap is one of its parts, on its line, in either language
    assert {"what": "measure 1.2: annual cap", "old_line": 143, "new_line": 143,
            "before": "measure 1.2: cap 500,000 per applicant per year, reduce in input order",
            "after": "measure 1.2: cap 600,000 per applicant per year, reduce in input order",
            "before_zh": "措施 1.2:每个申请人每年最高 50万,按申报顺序核减",
            "after_zh": "措施 1.2:每个申请人每年最高 60万,按申报顺序核减"} in changes
    assert len(changes) == 2


def impact_changes(tmp_path: Path, source: str) -> list[dict[str, Any]]:
    """The policy changes impact reports from the Jinjiang policy to ``source``."""
    path = tmp_path / "changed.pol"
    path.write_text(source, encoding="utf-8")
    out = tmp_path / "impact.json"
    assert main(["impact", str(JINJIANG), str(path), str(APPS), "-o", str(out)]) == 0
    return list(json.loads(out.read_text(encoding="utf-8"))["policy_changes"])


def test_impact_sees_the_rules_change_their_order(tmp_path: Path) -> None:
    """The rules apply in the order written: the same rules in another order decide other amounts."""
    source = JINJIANG.read_text(encoding="utf-8")
    r1, r2 = source.index("rule R1 "), source.index("rule R2 ")
    swapped = source[:r1] + source[r2:source.index("rule R3 ")] + source[r1:r2] + source[source.index("rule R3 "):]
    changes = impact_changes(tmp_path, swapped)
    assert changes == [{"what": "order of the rules", "old_line": None, "new_line": None,
                        "before": "R3 → R1 → R2", "after": "R3 → R2 → R1",
                        "before_zh": "R3 → R1 → R2", "after_zh": "R3 → R2 → R1"}]


def test_impact_sees_a_define_change_where_a_rule_reads_it(tmp_path: Path) -> None:
    source = JINJIANG.read_text(encoding="utf-8")
    assert source.count("define enterprise = kind in {enterprise, provider}") == 1
    found = {c["what"]: c for c in impact_changes(tmp_path, source.replace(
        "define enterprise = kind in {enterprise, provider}", "define enterprise = kind in {enterprise}"))}
    assert "rule R2" in found and "measure 1.1: beneficiary" in found  # R2 applies to an enterprise, as 1.1 does
    assert "applies to an enterprise (providers included) [applicant kind in {enterprise}], reduce" in \
        found["rule R2"]["after"]
    assert "适用于企业(含平台、系统服务商) [" in found["rule R2"]["after_zh"]


def test_impact_reads_header_overrides_and_quotas_with_their_lines(tmp_path: Path) -> None:
    source = JINJIANG.read_text(encoding="utf-8")
    changed = (source.replace("  rounding 0.01元 half_up", "  rounding 1元 down")
               .replace("  in force from 2023-05-01 to 2024-12-31", "  in force from 2023-05-01 to 2025-12-31")
               .replace("    25%, at most 100万", "    30%, at most 100万")
               .replace("  quota 2 per industry per year", "  quota 3 per industry per year"))
    found = {c["what"]: c for c in impact_changes(tmp_path, changed)}
    assert list(found) == ["in force", "rounding", "measure 1.1: when #1", "measure 1.1: quota"]  # R3: not again
    assert found["rounding"] == {"what": "rounding", "old_line": 13, "new_line": 13, "before": "0.01 yuan, half up",
                                 "after": "1 yuan, down", "before_zh": "0.01元, 四舍五入", "after_zh": "1元, 舍去"}
    assert (found["in force"]["old_line"], found["in force"]["after"]) == (9, "2023-05-01 to 2025-12-31")
    when = found["measure 1.1: when #1"]  # the override's rate is of the measure's base, which it keeps
    assert when["old_line"] == 88 and when["after"].endswith(": 30% of (software investment + hardware "
                                                             "investment), at most 1,000,000")
    assert when["after_zh"].endswith("的 30%,最高 100万")
    assert found["measure 1.1: quota"]["old_line"] == 90
    assert found["measure 1.1: quota"]["after_zh"] == "每年每个所属产业 3 个"


def test_impact_writes_the_amounts_of_categories_and_tiers_as_its_language_writes_figures(tmp_path: Path) -> None:
    # S2: a category's amount in English is 400,000, not 40万 (a limit's figures already were); Chinese keeps 40万
    shape = ROOT / "policies" / "shapes" / "s02_by_category.pol"
    source = shape.read_text(encoding="utf-8")
    old, new = tmp_path / "old.pol", tmp_path / "new.pol"
    old.write_text(source[:source.index("  example")] + "}\n", encoding="utf-8")
    new.write_text(old.read_text(encoding="utf-8").replace("provincial: 30万", "provincial: 40万"), encoding="utf-8")
    apps, out = tmp_path / "apps.json", tmp_path / "impact.json"
    apps.write_text('{"applicants": [{"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "level": "provincial"}]}]}',
                    encoding="utf-8")
    assert main(["impact", str(old), str(new), str(apps), "-o", str(out)]) == 0
    (change,) = json.loads(out.read_text(encoding="utf-8"))["policy_changes"]
    assert (change["before"], change["after"]) == ("by level of recognition {national: 1,000,000; provincial: 300,000}",
                                                   "by level of recognition {national: 1,000,000; provincial: 400,000}")
    assert change["after_zh"] == "按认定级别 {国家级: 100万; 省级: 40万}"
    # a tier's boundary words stay the notice's; what it pays is a figure
    tiers = [c for c in impact_changes(tmp_path, JINJIANG.read_text(encoding="utf-8").replace(
        "    50家以上: 30万", "    50家以上: 35万")) if c["what"] == "measure 2.1: amount"]
    assert tiers and "50家以上: 350,000}" in tiers[0]["after"] and "50家以上: 35万}" in tiers[0]["after_zh"]


def test_a_measure_taken_away_is_named_in_the_reports_language(tmp_path: Path) -> None:
    # S7 without measure 6.1: the English page's "Before" read "示范生产线奖励 / Demonstration-line award", the
    # Chinese page the same, and the JSON's before (English) and before_zh (Chinese) both held the two titles
    shape = ROOT / "policies" / "shapes" / "s07_highest_among.pol"
    source = shape.read_text(encoding="utf-8")
    old, new = tmp_path / "old.pol", tmp_path / "new.pol"
    old.write_text(source[:source.index("\nexample ")] + "\n", encoding="utf-8")
    line = source.index("measure 6.1 ")
    new.write_text(source[:line] + source[source.index("measure 6.2 "):source.index("\nexample ")].replace(
        "among 4, 6.1, 6.2", "among 4, 6.2") + "\n", encoding="utf-8")
    apps, out = tmp_path / "apps.json", tmp_path / "impact.json"
    apps.write_text('{"applicants": [{"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "demo_line": true}]}]}',
                    encoding="utf-8")
    assert main(["impact", str(old), str(new), str(apps), "-o", str(out)]) == 0
    removed = next(c for c in json.loads(out.read_text(encoding="utf-8"))["policy_changes"] if c["what"] == "measure 6.1")
    assert (removed["before"], removed["before_zh"], removed["after"]) == ("Demonstration-line award", "示范生产线奖励", "")
    page = tmp_path / "impact.html"
    assert main(["impact", str(old), str(new), str(apps), "--lang", "en", "-o", str(page)]) == 0
    at = source[:line].count("\n") + 1
    assert f"<td>Demonstration-line award</td><td>removed: measure 6.1 Demonstration-line award (line {at} before)</td>" \
        in page.read_text(encoding="utf-8")


def test_impact_on_a_terminal_shows_a_conditions_brackets_and_never_cuts_a_change_short(tmp_path: Path,
                                                                                       capsys: Any) -> None:
    source = JINJIANG.read_text(encoding="utf-8")
    assert "enterprises_started >= 20% of enterprises_diagnosed" in source
    path = tmp_path / "changed.pol"
    path.write_text(source.replace("enterprises_started >= 20% of enterprises_diagnosed",
                                   "enterprises_started >= 30% of enterprises_diagnosed"), encoding="utf-8")
    for lang in ("en", "zh"):
        assert main(["impact", str(JINJIANG), str(path), str(APPS), "--format", "text", "--lang", lang]) == 0
        printed = re.sub(r"\s*│\s*|\s+", "", capsys.readouterr().out)  # the cells' lines joined
        assert "(30%×" in printed and "(20%×" in printed, printed  # the bracketed condition, not taken for a style


def test_impact_as_a_page_and_on_a_terminal(raised: Path, tmp_path: Path, capsys: Any) -> None:
    page = tmp_path / "impact.html"
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "-o", str(page), "--lang", "en"]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http" not in html.split("<svg")[0]
    assert "Budget impact of a policy change" in html and "+135,000.00" in html and html.count("<svg") == 3
    assert "<td>1.1 Manufacturing digital-transformation demonstration project</td>" in html  # not the number alone
    bands = html.split("By size of change")[-1]  # the chart of those that changed: 2 rose by [1万, 10万), in English
    assert ">+[10,000, 100,000)<" in bands and ">−(0, 10,000)<" in bands and "万" not in bands.split("</svg>")[0]
    assert "<title>0</title>" not in bands.split("</svg>")[0]
    assert "<th>Applicant</th>" in html and "<th>id</th>" not in html
    # every figure's unit is said: over the money columns and on the chart of changes' sizes (its bands are yuan);
    # a line number is a figure, kept on one line ("87 /" above "87" read as two numbers)
    assert html.count('<th class="num">Change (yuan)</th>') == 3 and "<title>By size of change (yuan)</title>" in html
    assert '<td class="num">87 / 87</td>' in html and '<th class="num">Line (before / after)</th>' in html  # which is which
    zh = tmp_path / "impact.zh.html"
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "-o", str(zh)]) == 0
    assert "<th>申请人</th>" in zh.read_text(encoding="utf-8")
    assert '<th class="num">调整前(元)</th>' in zh.read_text(encoding="utf-8")
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "--format", "text"]) == 0
    printed = capsys.readouterr().out  # in Chinese throughout, the policy's change as well
    assert "措施 1.1:金额" in printed and "+135,000.00" in printed and "E010" in printed
    assert "┃ id " not in printed and "┃ 申请人 " in printed  # the largest changes' heading is Chinese too
    assert "硬件设备投入金额)的 20%" in printed and "investment" not in printed
    assert "+[1万, 10万)" in printed  # the bands as the notice writes figures
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "--format", "text", "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "Measure 1.1: amount" in printed
    # the versions share their title: named once, not "晋江… → 晋江…"
    assert printed.startswith("Budget impact of a policy change: Jinjiang City: Twelve Measures")
    assert printed.count("Jinjiang City: Twelve Measures") == 1
    # the text has the bands as the page does: no change is "0", the smallest rise (0, 10,000), not [0, 10,000)
    bands = dict(re.findall(r"│\s*([−+]?[\[(][^│]*?|0)\s*│\s*([\d,]+)\s*│", printed))
    assert bands["0"] == "11" and bands["+[10,000, 100,000)"] == "2" and bands["+(0, 10,000)"] == "0" and len(bands) == 9
    assert "Applicants: gain 2, lose 0, same 11, input errors 3" in printed
    # the money columns say their unit as the page's do (the bands' said "(yuan)", the totals' and the largest
    # changes' "Before", "After", "Change" did not)
    assert re.findall(r"┃\s*(Before[^┃]*?)\s*┃\s*(After[^┃]*?)\s*┃\s*(Change[^┃]*?)\s*┃", printed) == [
        ("Before (yuan)", "After (yuan)", "Change (yuan)")] * 2


def test_impact_tells_two_versions_of_one_title_apart_by_file_and_hash(raised: Path, tmp_path: Path,
                                                                        capsys: Any) -> None:
    # a rate change keeps the notice's title: "晋江…" named once said nothing of which file is the old one
    import hashlib

    old_sha, new_sha = (hashlib.sha256(p.read_text(encoding="utf-8").encode("utf-8")).hexdigest()
                        for p in (JINJIANG, raised))
    out = tmp_path / "impact.json"
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "-o", str(out)]) == 0
    found = json.loads(out.read_text(encoding="utf-8"))
    assert found["old"] == found["new"] == "晋江市支持产业数字化转型升级十二条措施"  # the keys as they were
    assert (found["old_file"], found["new_file"], found["old_sha256"], found["new_sha256"]) == (
        str(JINJIANG), str(raised), old_sha, new_sha)
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "--format", "text", "--lang", "en"]) == 0
    printed = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert f"Before: {JINJIANG} · sha256 {old_sha[:12]} After: {raised} · sha256 {new_sha[:12]}" in printed
    page = tmp_path / "impact.html"
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "-o", str(page)]) == 0
    assert (f"<dt>调整前</dt><dd>{JINJIANG} · sha256 {old_sha[:12]}</dd><dt>调整后</dt><dd>{raised} · sha256 "
            f"{new_sha[:12]}</dd>") in page.read_text(encoding="utf-8")
    # titles that differ: each version's own beside its file
    renamed = tmp_path / "renamed.pol"
    renamed.write_text(raised.read_text(encoding="utf-8").replace("十二条措施\" /", "十二条措施(修订)\" /", 1), encoding="utf-8")
    assert main(["impact", str(JINJIANG), str(renamed), str(APPS), "--format", "text"]) == 0
    printed = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert f"调整后: {renamed} · sha256 " in printed and "十二条措施(修订)" in printed.split("调整后:")[1].split("政策改动")[0]


def test_impact_counts_thousands_of_applicants_with_separators(raised: Path) -> None:
    from jinjiang_dsl.explain.impact_report import render_html
    from jinjiang_dsl.impact import impact

    found = impact(load_policy(JINJIANG), load_policy(raised), json.loads(APPS.read_text(encoding="utf-8")))
    many = attrs.evolve(found, same=97166, errors=1964)
    assert "不变 97,166 · 输入有误 1,964" in render_html(many, "zh")


def test_impact_asks_which_format_a_file_name_does_not_say(raised: Path, tmp_path: Path, capsys: Any) -> None:
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "-o", str(tmp_path / "impact.md")]) == 2
    assert "which format is" in capsys.readouterr().err and not (tmp_path / "impact.md").exists()
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "-o", str(tmp_path / "impact.txt")]) == 0
    assert "政策改动" in (tmp_path / "impact.txt").read_text(encoding="utf-8")


def test_impact_refuses_what_it_cannot_do_in_one_line(tmp_path: Path, capsys: Any) -> None:
    # with --engine auto it would decide both in Python instead
    source = JINJIANG.read_text(encoding="utf-8")
    divided = tmp_path / "divided.pol"  # a quotient as an amount: the SQL engine does not decide it yet
    divided.write_text(source.replace("  amount 15% of quanzhou_recognized_investment, at most 10万",
                                      "  amount quanzhou_recognized_investment / 5, at most 10万"), encoding="utf-8")
    assert main(["impact", str(JINJIANG), str(divided), str(APPS), "--engine", "duckdb"]) == 2
    assert "the SQL engine cannot decide both versions yet" in capsys.readouterr().err
    assert main(["impact", str(JINJIANG), str(tmp_path / "missing.pol"), str(APPS)]) == 2
    assert "missing.pol" in capsys.readouterr().err


def test_impact_s_text_into_a_file_has_no_padding_at_the_ends_of_its_lines(raised: Path, tmp_path: Path) -> None:
    # each table's centred title ended in spaces, as eval's and explain's text did
    out = tmp_path / "impact.txt"
    assert main(["impact", str(JINJIANG), str(raised), str(APPS), "--lang", "en", "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "Largest changes" in lines[-7] and [line for line in lines if line.endswith(" ")] == []


def test_impact_on_a_file_that_cannot_finish_exits_as_eval_does(raised: Path, tmp_path: Path, monkeypatch: Any,
                                                                capsys: Any) -> None:
    # a full disk under the temporary outputs: impact said 2 ("not started"), where eval says 1 for the same
    import errno

    import jinjiang_dsl.impact

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jinjiang_dsl.impact, "impact_of_file", full)
    apps = tmp_path / "apps.jsonl"
    apps.write_text('{"id": "A", "kind": "enterprise"}\n', encoding="utf-8")
    assert main(["impact", str(JINJIANG), str(raised), str(apps), "--format", "json"]) == 1
    assert capsys.readouterr().err == "jinjiang-dsl impact: No space left on device\n"


def test_impact_on_a_file_of_any_size_is_impact_on_the_same_records(raised: Path, tmp_path: Path) -> None:
    # a population too large for a JSON document: JSON Lines, CSV or Parquet, each version decided as eval
    # decides the file, the two outputs compared on disk — the same report as on a document of the records
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    records = list(synthetic.applicants(300, seed=11))
    document, lines, table, parquet = (tmp_path / f"pop.{ext}" for ext in ("json", "jsonl", "csv", "parquet"))
    document.write_text(json.dumps({"applicants": records}, ensure_ascii=False), encoding="utf-8")
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    table.write_text("".join(synthetic.csv_lines(300, seed=11)), encoding="utf-8")
    synthetic.parquet(300, str(parquet), seed=11)

    def reported(path: Path, *engine: str) -> dict[str, Any]:
        out = tmp_path / "impact.json"
        assert main(["impact", str(JINJIANG), str(raised), str(path), "-o", str(out), *engine]) == 0
        return json.loads(out.read_text(encoding="utf-8"))

    expected = reported(document)
    assert expected["applicants"]["gain"] > 0 and expected["applicants"]["errors"] > 0 and expected["largest"]
    assert Decimal(expected["total"]["change"]) > 0 and len(expected["by_year"]) > 1
    for path in (lines, table, parquet):
        assert reported(path) == expected, path
    assert reported(lines, "--engine", "python") == {**expected, "engine": "python"}
    summaries = []
    for policy in (JINJIANG, raised):
        summary = tmp_path / "summary.json"
        assert main(["eval", str(policy), str(parquet), "--engine", "duckdb", "--quiet", "-o", str(tmp_path / "o.jsonl"),
                     "--summary", str(summary)]) == 0
        summaries.append(json.loads(summary.read_text(encoding="utf-8")))
    assert Decimal(expected["total"]["change"]) == Decimal(summaries[1]["total"]) - Decimal(summaries[0]["total"])


SHAPES = ROOT / "policies" / "shapes"


@pytest.mark.parametrize("engine", ["python", "duckdb"])
@pytest.mark.parametrize("form", ["json", "jsonl"])
def test_impact_by_year_counts_each_instalment_in_the_year_it_is_paid(engine: str, form: str, tmp_path: Path) -> None:
    # a budget is drawn by the year money is paid: 40%, 30%, 30% → 50%, 50% leaves the total as it was and
    # moves money between years; a measure without instalments counts in its award's year
    source = SHAPES.joinpath("s10_instalments.pol").read_text(encoding="utf-8")
    source = re.sub(r"  example .*?\n  }\n", "", source, flags=re.S)  # examples of three instalments
    assert "  paid in instalments 40%, 30%, 30%\n" in source
    old, new = tmp_path / "old.pol", tmp_path / "new.pol"
    old.write_text(source, encoding="utf-8")
    new.write_text(source.replace("  paid in instalments 40%, 30%, 30%\n", "  paid in instalments 50%, 50%\n")
                   + '\nmeasure 2 "一次性奖励" / "One-off award" {\n  clause 二\n  amount 1% of investment\n}\n',
                   encoding="utf-8")
    records = [{"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "investment": "10000000"}]},
               {"id": "B", "projects": [{"id": "P1", "date": "2025-03-01", "investment": "2000000"}]}]
    apps = tmp_path / f"apps.{form}"
    apps.write_text(json.dumps({"applicants": records}) if form == "json"
                    else "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "impact.json"
    assert main(["impact", str(old), str(new), str(apps), "--engine", engine, "-o", str(out)]) == 0
    impact = json.loads(out.read_text(encoding="utf-8"))
    # A: 1,000,000 from 2024 (40/30/30 → 50/50), and 100,000 in 2024; B: 200,000 from 2025, and 20,000 in 2025
    assert impact["by_year"] == {
        "2024": {"before": "400000.00", "after": "600000.00", "change": "200000.00"},
        "2025": {"before": "380000.00", "after": "620000.00", "change": "240000.00"},
        "2026": {"before": "360000.00", "after": "100000.00", "change": "-260000.00"},
        "2027": {"before": "60000.00", "after": "0.00", "change": "-60000.00"}}
    totals = []
    for policy in (old, new):
        evaluated = tmp_path / f"{policy.stem}.out.json"
        assert main(["eval", str(policy), str(apps), "--no-trace",
                     "--quiet", "-o", str(evaluated), "--summary", str(tmp_path / "summary.json")]) == 0
        totals.append(Decimal(json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["total"]))
    assert impact["total"] == {"before": "1200000.00", "after": "1320000.00", "change": "120000.00"}
    assert Decimal(impact["total"]["change"]) == totals[1] - totals[0]
    assert sum(Decimal(y["change"]) for y in impact["by_year"].values()) == Decimal(impact["total"]["change"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_impact_writes_its_headings_capitalised_and_one_minus_sign(lang: str, raised: Path, tmp_path: Path,
                                                                    capsys: Any) -> None:
    # lowered back from 25% to 20%: every change a fall, written with the bands' minus sign, not a hyphen
    assert main(["impact", str(raised), str(JINJIANG), str(APPS), "--format", "text", "--lang", lang]) == 0
    printed = capsys.readouterr().out.replace(str(raised), "").replace(str(JINJIANG), "")  # the files' paths
    assert "−135,000.00" in printed and not re.search(r"-\d", printed)
    page = tmp_path / "impact.html"
    assert main(["impact", str(raised), str(JINJIANG), str(APPS), "-o", str(page), "--lang", lang]) == 0
    html = page.read_text(encoding="utf-8")
    assert "(−135,000.00" in html and not re.search(r">-\d|\(-\d", html)
    out = tmp_path / "impact.json"  # the JSON keeps the contract's numbers
    assert main(["impact", str(raised), str(JINJIANG), str(APPS), "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["total"]["change"] == "-135000.00"
    if lang == "en":
        for heading in ("┃ Change ", "┃ Line ", "Before (yuan) ┃", "After (yuan) ┃", "│ Total ", "│ By measure 1.1 ", "│ By year 2023 ",
                        "Applicants: gain 0, lose 2", "By size of change", "Largest changes", "┃ Applicant ",
                        "│ Measure 1.1: amount "):
            assert heading in printed, heading
        for heading in ("<h2>Total</h2>", "<h3>By measure</h3>", "<h3>By year</h3>", "<h2>Applicants</h2>",
                        "<th>Change</th>", '<th class="num">Before (yuan)</th>', "<h3>Largest changes</h3>"):
            assert heading in html, heading


def test_impact_sees_a_tier_s_base_change_where_the_rate_stays() -> None:
    # a band paying '10% of rd' was described as paying '10%': changed to '10% of revenue', the policy was
    # said not to have changed, while the totals moved
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s03_ratio_bands.pol").read_text(encoding="utf-8")
    assert "3%(含)至5%: 10% of rd" in source
    old = policy_from_source(source).plan
    new = policy_from_source(source.replace("3%(含)至5%: 10% of rd", "3%(含)至5%: 10% of revenue")).plan
    (change,) = [c.to_json() for c in policy_changes(old, new)]
    assert change["before_zh"].endswith("分档 {3%(含)至5%: 10% × 年度研发费用; 5%(含)以上: 15% × 年度研发费用}")
    assert change["after"].endswith("{3%(含)至5%: 10% × revenue of the year; 5%(含)以上: 15% × R&D spending of the year}")


def test_impact_sees_a_category_row_s_base_change_where_the_rate_stays() -> None:
    # a category row paying '10% of invest' was described as paying '10%': changed to '10% of spend', the
    # policy was said not to have changed, while the totals moved
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s02_by_category.pol").read_text(encoding="utf-8")
    source = source.replace('  level: one of {', '  invest: money "投资额" / "investment"\n'
                            '  spend: money "支出" / "spending"\n  level: one of {')
    old = source.replace("national: 100万", "national: 10% of invest").replace("provincial: 30万", "provincial: spend")
    new = old.replace("national: 10% of invest", "national: 10% of spend")
    line = old.splitlines().index("    national: 10% of invest") + 1  # the row's, not the table's
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(old).plan, policy_from_source(new).plan)]
    assert (change["what"], change["old_line"], change["new_line"]) == ("measure 1: amount", line, line)
    assert change["before_zh"] == "按认定级别 {国家级: 10% × 投资额; 省级: 支出}"
    assert change["after_zh"] == "按认定级别 {国家级: 10% × 支出; 省级: 支出}"
    assert change["after"] == "by level of recognition {national: 10% × spending; provincial: spending}"


@pytest.mark.parametrize("where", ["policy", "measure"])
def test_impact_sees_a_change_of_the_date_an_award_is_placed_by(where: str) -> None:
    # which date input places an award in a year (and in the windows) moves amounts between years and in
    # or out of force; changed, in the header or in a measure, the policy was said not to have changed
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.explain.impact_report import what
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s01_own_date.pol").read_text(encoding="utf-8")
    source = source.replace("  little_giant: bool", '  listed_on: date "上市日期" / "date listed"\n  little_giant: bool')
    source = source.replace("  investment: money", '  signed_on: date "签约日期" / "date signed"\n  investment: money')
    written, now = (("  dated by completed_on", "  dated by signed_on") if where == "policy"
                    else ("  dated by recognised_on", "  dated by listed_on"))
    line = next(i for i, text in enumerate(source.splitlines(), 1) if text == written)
    new = source.replace(written, now, 1)
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(new).plan)]
    assert (change["old_line"], change["new_line"]) == (line, line)
    if where == "policy":
        assert (change["what"], what(change["what"], "zh")) == ("dated by", "日期口径")
        assert (change["before_zh"], change["after"]) == ("竣工日期 [completed_on]", "date signed [signed_on]")
    else:
        assert (change["what"], what(change["what"], "zh")) == ("measure 2: dated by", "措施 2:日期口径")
        assert (change["before_zh"], change["after"]) == ("认定日期 [recognised_on]", "date listed [listed_on]")


def test_impact_points_at_the_requirement_that_changed() -> None:
    # a measure's requirements are one part of the diff; its line was always the first requirement's, so a
    # change to the second pointed the auditor at a line that had not changed
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    first = '  requires investment > 0 "实施智能化改造" / "carries out a smart retrofit"\n'
    source = (ROOT / "policies" / "shapes" / "s07_highest_among.pol").read_text(encoding="utf-8")
    assert first in source
    source = source.replace(first, first + '  requires investment < 5000万 "投资不满5000万" / "investment under 50 million"\n')
    new = source.replace("investment < 5000万", "investment <= 5000万")
    line = source.splitlines().index('  requires investment < 5000万 "投资不满5000万" / "investment under 50 million"') + 1
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(new).plan)]
    assert (change["what"], change["old_line"], change["new_line"]) == ("measure 4: requirements", line, line)
    assert change["after_zh"].endswith("投资不满5000万 [智能化改造投资额 ≤ 5000万]")


def test_impact_sees_a_change_of_a_cap_the_facts_decide() -> None:
    # a cap that is not a figure ('at most 50% of investment') was described as no cap at all: changed to
    # 60%, the policy was said not to have changed; changed to a figure, it read as a cap added
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s07_highest_among.pol").read_text(encoding="utf-8")
    written = "  amount 10% of investment, at most 100万\n"
    assert written in source
    source = source.replace(written, "  amount 10% of investment, at most 50% of investment\n"
                            '  when little_giant "小巨人" / "little giant": 20%, at most 60% of investment\n')
    line = source.splitlines().index("  amount 10% of investment, at most 50% of investment") + 1
    new = source.replace("at most 50% of investment", "at most 40% of investment").replace(
        "at most 60% of investment", "at most 70% of investment")
    changes = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(new).plan)]
    assert [(c["what"], c["old_line"]) for c in changes] == [("measure 4: at most", line), ("measure 4: when #1", line + 1)]
    assert (changes[0]["before_zh"], changes[0]["after"]) == ("50% × 智能化改造投资额", "40% × investment in smart retrofitting")
    assert changes[1]["after_zh"].endswith("的 20%,最高 70% × 智能化改造投资额")
    figure = source.replace("at most 50% of investment", "at most 100万")
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(figure).plan)]
    assert (change["before_zh"], change["after_zh"]) == ("50% × 智能化改造投资额", "100万")


def test_impact_locates_a_change_of_a_measure_s_once_on_its_line() -> None:
    # 'once per applicant per year' → 'once per applicant' was located on the measure's first line
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s01_own_date.pol").read_text(encoding="utf-8")
    line = source.splitlines().index("  once per applicant per year") + 1
    new = source.replace("\n  once per applicant per year\n", "\n  once per applicant\n")
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(new).plan)]
    assert (change["what"], change["old_line"], change["new_line"]) == ("measure 2: once", line, line)
    assert change["after"] == "once per applicant (measure 2)"


def test_impact_sees_a_change_of_an_input_s_default() -> None:
    # a default stands for what an application leaves out: 'demo_line: bool = false' → '= true' grants the
    # demonstration-line award to every applicant that does not say, and the policy was said not to change
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.explain.impact_report import what
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s07_highest_among.pol").read_text(encoding="utf-8")
    line = next(i for i, text in enumerate(source.splitlines(), 1) if text.startswith("  demo_line: bool = false"))
    new = source.replace("demo_line: bool = false", "demo_line: bool = true")
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(new).plan)]
    assert (change["what"], what(change["what"], "zh"), change["old_line"]) == ("input demo_line", "输入 demo_line", line)
    assert (change["before_zh"], change["after_zh"]) == ("bool,缺省为 否", "bool,缺省为 是")
    assert change["after"] == "bool, yes when left out"
    # a percentage's default as the notice writes it, not as a fraction
    percent = source.replace("  investment: money", '  share: percent = 5% "占比" / "share"\n  investment: money')
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(percent).plan)]
    assert (change["what"], change["before"], change["after"]) == ("input share", "", "percent, 5% when left out")


def test_impact_sees_a_change_of_a_measure_s_earmark() -> None:
    # the funds' condition of use, which the explanation states, changed without the diff saying so
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.explain.impact_report import what
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s07_highest_among.pol").read_text(encoding="utf-8")
    source = source.replace("  amount 80万\n", '  amount 80万\n  earmark "专项用于研发" / "for R&D only"\n')
    line = source.splitlines().index('  earmark "专项用于研发" / "for R&D only"') + 1
    new = source.replace('"专项用于研发" / "for R&D only"', '"专项用于设备购置" / "for equipment only"')
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(new).plan)]
    assert (change["what"], what(change["what"], "zh"), change["old_line"]) == ("measure 5: earmark", "措施 5:资金用途", line)
    assert (change["before_zh"], change["after"]) == ("专项用于研发", "for equipment only")


def test_impact_locates_a_change_of_a_table_on_the_row_that_changed() -> None:
    # a table's change was located on its first line ('amount bands on …'), however many rows it has
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s03_ratio_bands.pol").read_text(encoding="utf-8")
    line = source.splitlines().index("    5%(含)以上: 15% of rd") + 1
    new = source.replace("    5%(含)以上: 15% of rd", "    6%(含)以上: 15% of rd")
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(new).plan)]
    assert (change["what"], change["old_line"], change["new_line"]) == ("measure 1: amount", line, line)
    assert change["after_zh"].endswith("6%(含)以上: 15% × 年度研发费用}")


def test_impact_does_not_call_listing_the_same_measures_in_another_order_a_change() -> None:
    # 'among 4, 6.1, 6.2' → 'among 6.2, 4, 6.1' decides the same, but was reported as a change of the rule;
    # a measure taken out of the list still is one
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "shapes" / "s07_highest_among.pol").read_text(encoding="utf-8")
    assert "among 4, 6.1, 6.2" in source
    reordered = source.replace("among 4, 6.1, 6.2", "among 6.2, 4, 6.1")
    assert policy_changes(policy_from_source(source).plan, policy_from_source(reordered).plan) == []
    fewer = source.replace("among 4, 6.1, 6.2", "among 6.2, 4")
    (change,) = [c.to_json() for c in policy_changes(policy_from_source(source).plan, policy_from_source(fewer).plan)]
    assert change["after"].endswith("among measures 4, 6.2 (the others stack)")


def test_impact_compares_a_set_as_a_set_and_shows_it_as_written() -> None:
    # 'industry in {纺织, 鞋服, …}' → 'industry in {鞋服, 纺织, …}' decides the same, and was reported as a change
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    source = (ROOT / "policies" / "jinjiang_2023.pol").read_text(encoding="utf-8")
    written = "industry in {纺织, 鞋服, 食品"
    line = next(i for i, text in enumerate(source.splitlines(), 1) if written in text)
    old = policy_from_source(source)
    for reordered in ("industry in {鞋服, 纺织, 食品", "industry in {鞋服, 纺织, 纺织, 食品"):
        new = policy_from_source(source.replace(written, reordered))
        assert policy_changes(old.plan, new.plan) == []
        # the explanation keeps the drafter's order
        (cond,) = [c for c in new.plan.by_id["1.1"].requirements if c.line == line]
        assert "{鞋服、纺织" in cond.shown.render("zh", with_values=False)
    kinds = source.replace("kind in {enterprise, provider}", "kind in {provider, enterprise}")
    assert policy_changes(old.plan, policy_from_source(kinds).plan) == []  # a rule's 'applies to' reads it too
    added = policy_from_source(source.replace(written, "industry in {纺织, 鞋服, 化工, 食品"))
    (change,) = [c.to_json() for c in policy_changes(old.plan, added.plan)]
    assert (change["what"], change["old_line"], change["new_line"]) == ("measure 1.1: requirements", line, line)
    assert "{纺织、鞋服、食品" in change["before_zh"] and "{纺织、鞋服、化工、食品" in change["after_zh"]


def test_impact_locates_a_change_of_a_rule_on_the_statement_that_changed(tmp_path: Path, capsys: Any) -> None:
    # a rule's limit, 'among', reduction or 'applies to' changed was located on the rule's first line
    from jinjiang_dsl.api import policy_from_source
    from jinjiang_dsl.impact import policy_changes

    def located(name: str, old: str, new: str) -> tuple[str, int | None, int | None]:
        source = (ROOT / "policies" / "shapes" / name).read_text(encoding="utf-8")
        line = source.splitlines().index(old) + 1
        (change,) = policy_changes(policy_from_source(source).plan,
                                   policy_from_source(source.replace(f"\n{old}\n", f"\n{new}\n")).plan)
        assert (change.old_line, change.new_line) == (line, line), (old, change)
        return change.what, change.old_line, change.new_line

    limit = "  limit 500万 per applicant per year among 4, 6.1, 6.2"
    assert located("s05_limit_among.pol", limit, limit.replace("500万", "400万"))[0] == "rule R1"
    assert located("s05_limit_among.pol", limit, limit.replace(", 6.2", ""))[0] == "rule R1"
    assert located("s05_limit_among.pol", "  reduce in input order", "  reduce pro rata")[0] == "rule R2"
    highest = "  highest not stacked per project per year among 4, 6.1, 6.2"
    assert located("s07_highest_among.pol", highest, highest.replace(", 6.2", ""))[0] == "rule R1"
    # in the JSON and on a terminal, for the Jinjiang policy's R2
    source = JINJIANG.read_text(encoding="utf-8")
    written = "  reduce pro rata by largest remainder, ties in input order"
    lines = source.splitlines()
    line = lines.index(written, lines.index("  applies to enterprise")) + 1  # R2's, not R1's
    (change,) = impact_changes(tmp_path, "\n".join(lines[:line - 1] + ["  reduce in input order"] + lines[line:]))
    assert (change["what"], change["old_line"], change["new_line"]) == ("rule R2", line, line)
    path = tmp_path / "changed.pol"
    assert main(["impact", str(JINJIANG), str(path), str(APPS), "--format", "text", "--lang", "en"]) == 0
    assert f"│ {line}/{line} " in capsys.readouterr().out


def test_a_rule_removed_or_added_says_so_with_its_name_and_line(tmp_path: Path, capsys: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # the Jinjiang policy without R1: its 'After' read a bare '—', as a part left empty does
    monkeypatch.setenv("COLUMNS", "300")  # the terminal's table not folded
    source = JINJIANG.read_text(encoding="utf-8")
    start = source.index('rule R1 "就高不重复"')
    line = source[:start].count("\n") + 1
    without = tmp_path / "without.pol"
    without.write_text(source[:start] + source[source.index("rule R2 "):], encoding="utf-8")
    (change,) = impact_changes(tmp_path, without.read_text(encoding="utf-8"))
    assert (change["what"], change["old_line"], change["new_line"], change["after"]) == ("rule R1", line, None, "")
    for old, new, lang, said in ((JINJIANG, without, "en", f"removed: rule R1 Highest, not stacked (line {line} before)"),
                                 (JINJIANG, without, "zh", f"已删除:规则 R1 就高不重复(调整前第 {line} 行)"),
                                 (without, JINJIANG, "en", f"added: rule R1 Highest, not stacked (line {line} after)"),
                                 (without, JINJIANG, "zh", f"新增:规则 R1 就高不重复(调整后第 {line} 行)")):
        page = tmp_path / f"{lang}.html"
        assert main(["impact", str(old), str(new), str(APPS), "--lang", lang, "-o", str(page)]) == 0
        assert f"<td>{said}</td>" in page.read_text(encoding="utf-8")
        assert main(["impact", str(old), str(new), str(APPS), "--lang", lang, "--format", "text"]) == 0
        assert f"│ {said} " in capsys.readouterr().out
