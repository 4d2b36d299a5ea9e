"""The HTML report in a real browser: what a person sees on screen and on A4 paper."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from browser import fonts, overflowing_tables, printed_text, screenshot, sticking_out

from jinjiang_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
EXAMPLES = ROOT / "examples" / "applications.json"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_printed_report_shows_total_matched_tier_and_why_not(tmp_path: Path) -> None:
    page = tmp_path / "E004.html"
    assert main(["explain", str(POLICY), str(EXAMPLES), "--applicant", "E004", "--lang", "en", "-o", str(page)]) == 0
    printed = printed_text(page, tmp_path)
    text = flat(printed)
    assert "Total 650,000.00" in text
    assert re.search(r"2 \[20, ∞\) 20家以上 200,000 \[20, 50\) ← applies", text)
    assert "Once per applicant per year: in 2023 the year goes to project S2, the highest claim (300,000 yuan)" in text
    assert "of 900,000 yuan, the 2023 grants (900,000 yuan in all) would not be reduced by \"Enterprise annual cap\"" in text
    # every printed page: a running header with the report id and the hashes, and its number
    report_id, first = re.search(r"Report id (R-[0-9a-f]{12})", text), re.search(r"page 1 of (\d+)", text)
    assert report_id is not None and first is not None
    pages = int(first.group(1))
    assert pages > 1 and f"page {pages} of {pages}" in text
    policy_sha = hashlib.sha256(POLICY.read_bytes()).hexdigest()[:12]
    assert text.count(f"Report id {report_id.group(1)} · policy {policy_sha} · input ") >= pages
    # in the page's own typeface: the running header and the page numbers were set in the browser's default serif
    assert not [f for f in fonts(tmp_path / "E004.pdf") if "Serif" in f]
    # R2's reduction as a table a person can redo, and the rules across measures cited with their clause
    assert ("[R2] Enterprise annual cap · 2023: 900,000 yuan exceeds 650,000 yuan; reduced pro rata "
            "(largest remainder, in units of fen)") in text
    assert "S2 · 2.1 300,000.00 216,666.666667 216,666.66 0.666667 +1 216,666.67" in text
    assert "I1 · 1.3 500,000.00 361,111.111111 361,111.11 0.111111 361,111.11" in text
    assert "1 fen is left over and goes to the largest remainder" in text
    # printed, the allocation table stays on one page with its caption: a page break left its last row alone
    # on the next page, away from the figures it adds up with
    table = next(flat(p) for p in printed.split("\f") if "[R2] Enterprise annual cap · 2023: 900,000 yuan" in flat(p))
    assert all(row in table for row in ("I1 · 1.3 500,000.00", "S2 · 2.1 300,000.00", "C1 · 4.1 100,000.00"))
    assert "R2 Enterprise annual cap — Clause “closing paragraph 1” 「结尾段一」 同一企业每年累计享受的各类本级补助资金总额以该企业当年对本级财政经济贡献为上限" in text


def test_printed_chinese_report_shows_why_not_lines(tmp_path: Path) -> None:
    page = tmp_path / "E011.html"
    assert main(["explain", str(POLICY), str(EXAMPLES), "--applicant", "E011", "-o", str(page)]) == 0
    text = flat(printed_text(page, tmp_path))
    assert "未获补助的原因" in text
    assert "条件不满足:属于所列九个产业 ✗" in text
    assert "受益对象不符:规上工业企业 ✗" in text
    assert "合计 0.00" in text
    # the running header in the report's language: no English word on a Chinese page
    assert re.search(r"报告编号 R-[0-9a-f]{12} · 政策 [0-9a-f]{12} · 申请数据 [0-9a-f]{12}", text)


def test_printed_report_cites_the_rule_that_chose_between_measures(tmp_path: Path) -> None:
    page = tmp_path / "E001.html"
    assert main(["explain", str(POLICY), str(EXAMPLES), "--applicant", "E001", "-o", str(page)]) == 0
    text = flat(printed_text(page, tmp_path))
    assert "R1 就高不重复 — 条款「结尾段一」 除特别规定外,同一项目同一年度符合本通知中多项扶持政策条款" in text
    assert "[R1] 就高不重复:本项目同时符合 2 项措施,取最高的措施 1.1(1,000,000 元)" in text


def test_batch_report_renders_its_charts(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert main(["report", str(POLICY), str(EXAMPLES), "--lang", "en", "-o", str(page)]) == 0
    text = flat(printed_text(page, tmp_path))
    assert "Granted by measure" in text and "Awards by status" in text
    assert "Applicants with input errors" in text and "E013" in text
    shot = screenshot(page, tmp_path / "report.png")
    assert shot.stat().st_size > 10_000


def test_an_english_allocation_table_fits_the_page_on_screen(tmp_path: Path) -> None:
    # S5 pro rata in English: the heading "Exact share = before × 1,000,000 ÷ 1,030,000" kept on one line pushed
    # the table past the page's column (190 mm) and off a 1200-pixel window
    apps = tmp_path / "apps.json"
    apps.write_text('{"applicants": [{"id": "B1", "projects": ['
                    '{"id": "C1", "signed": "2024-03-01", "contract": "16666666.67"},'
                    '{"id": "C2", "signed": "2024-06-01", "contract": "20000000"},'
                    '{"id": "C3", "signed": "2024-09-01", "contract": "1000000"}]}]}', encoding="utf-8")
    page = tmp_path / "b1.html"
    shape = ROOT / "policies" / "shapes" / "s05_annual_cap_pro_rata.pol"
    assert main(["explain", str(shape), str(apps), "--lang", "en", "-o", str(page)]) == 0
    assert "Exact share = before × 1,000,000 ÷ 1,030,000" in page.read_text(encoding="utf-8")
    assert overflowing_tables(page, tmp_path) == 0


@pytest.mark.parametrize("command", ["report", "impact", "long ids", "impact zh"])
def test_on_a_phone_only_a_wide_table_scrolls_sideways_not_the_page(command: str, tmp_path: Path) -> None:
    # 390 pixels wide: the English summary and allocation tables (537 and 662 pixels) pushed the whole page
    # sideways, the header's hashes stuck out of their column and an input error's JSON path ran off the screen;
    # ids of 150 characters without a space did so even on a desktop (the error list's link, a rule step's project);
    # an id now has at most 128
    page = tmp_path / f"{command}.html"
    if command == "report":
        assert main(["report", str(POLICY), str(EXAMPLES), "--lang", "en", "-o", str(page)]) == 0
    elif command == "long ids":
        doc = json.loads(EXAMPLES.read_text(encoding="utf-8"))
        e004, e013 = (next(a for a in doc["applicants"] if a["id"] == aid) for aid in ("E004", "E013"))
        e004["id"], e004["name"], e004["projects"][1]["id"], e013["id"] = "E" + "0" * 127, "N" * 120, "S" + "1" * 120, "X" * 128
        apps = tmp_path / "apps.json"
        apps.write_text(json.dumps({"applicants": [e004, e013]}), encoding="utf-8")
        assert main(["report", str(POLICY), str(apps), "--lang", "en", "-o", str(page)]) == 0
        assert sticking_out(page, tmp_path, width=1280) == []
    elif command == "impact zh":  # S7 without 6.1: the rule's long texts squeezed "措施 6.1" to a character a line
        source = (ROOT / "policies" / "shapes" / "s07_highest_among.pol").read_text(encoding="utf-8")
        old, new, apps = tmp_path / "old.pol", tmp_path / "new.pol", tmp_path / "apps.json"
        old.write_text(source[:source.index("\nexample ")] + "\n", encoding="utf-8")
        new.write_text(source[:source.index("measure 6.1 ")] + source[source.index("measure 6.2 "):source.index(
            "\nexample ")].replace("among 4, 6.1, 6.2", "among 4, 6.2") + "\n", encoding="utf-8")
        apps.write_text('{"applicants": [{"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "demo_line": true}]}]}',
                        encoding="utf-8")
        assert main(["impact", str(old), str(new), str(apps), "-o", str(page)]) == 0
    else:
        raised = tmp_path / "raised.pol"
        raised.write_text(POLICY.read_text(encoding="utf-8").replace("amount 20% of investment",
                                                                     "amount 25% of investment"), encoding="utf-8")
        assert main(["impact", str(POLICY), str(raised), str(EXAMPLES), "--lang", "en", "-o", str(page)]) == 0
    assert sticking_out(page, tmp_path) == []


def test_printed_impact_keeps_each_table_with_its_chart(tmp_path: Path) -> None:
    # on A4 the table "By year" ended page 1 and its chart "Change · by year" began page 2; in Chinese the
    # heading "申请人" and its counts ended a page, the chart of the sizes of change the next
    raised = tmp_path / "raised.pol"
    raised.write_text(POLICY.read_text(encoding="utf-8").replace("amount 20% of investment", "amount 25% of investment"),
                      encoding="utf-8")
    page = tmp_path / "impact.html"
    assert main(["impact", str(POLICY), str(raised), str(EXAMPLES), "--lang", "en", "-o", str(page)]) == 0
    pages = [flat(p) for p in printed_text(page, tmp_path).split("\f")]
    for heading, chart in (("By measure", "Change · by measure"), ("By year", "Change · by year"),
                           ("Applicants gain 2", "By size of change (yuan)")):
        assert any(heading in p and chart in p for p in pages), (heading, chart)


def test_docs_screenshot_is_current(tmp_path: Path) -> None:
    """docs/report-screenshot.png shows the report of applicant E004; regenerate it with
    `python tests/browser_screenshot.py` when the report changes."""
    assert (ROOT / "docs" / "report-screenshot.png").stat().st_size > 10_000
