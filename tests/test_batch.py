"""Streaming batches: JSON Lines and CSV in, one JSON line out per input, whatever the number of jobs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jinjiang_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
CSV_FIXTURE = ROOT / "tests" / "fixtures" / "applications.csv"  # rows of every kind, shared with test_register
sys.path.insert(0, str(ROOT / "benchmarks"))

import synthetic  # noqa: E402
from streams import both_engines  # noqa: E402


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 synthetic applicants with malformed lines, blank lines and a duplicate id mixed in."""
    path = tmp_path_factory.mktemp("batch") / "apps.jsonl"
    body = list(synthetic.lines(600, seed=7, broken_share=0.0))
    body.insert(10, '{"id": "broken", "kind": \n')
    body.insert(20, "\n")
    body.insert(30, "[1, 2, 3]\n")
    body.append(body[0])  # the first applicant again: a duplicate id
    path.write_text("".join(body), encoding="utf-8")
    return path


def run(args: list[str]) -> int:
    return main(["eval", str(POLICY), *args, "--quiet"])


def test_every_input_line_gets_exactly_one_output_line_in_order(stream: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert run([str(stream), "--jobs", "1", "-o", str(out)]) == 0
    results = lines_of(out)
    text_lines = stream.read_text(encoding="utf-8").splitlines()
    expected = [n for n, line in enumerate(text_lines, 1) if line.strip()]
    assert [r["line"] for r in results] == expected
    by_line = {r["line"]: r for r in results}
    assert by_line[11]["status"] == "error" and by_line[11]["errors"][0].startswith("line 11: not valid JSON")
    assert by_line[31]["errors"] == ["line 31: $: expected an object, got a list"]
    last = results[-1]
    assert last["status"] == "error" and "duplicate id" in last["errors"][0] and "(also line 1)" in last["errors"][0]


def test_output_is_byte_identical_whatever_the_number_of_jobs(stream: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert run([str(stream), "--jobs", "1", "-o", str(one)]) == 0
    assert run([str(stream), "--jobs", "2", "-o", str(two)]) == 0
    assert one.read_bytes() == two.read_bytes()
    assert run([str(stream), "--jobs", "2", "--no-trace", "-o", str(two)]) == 0
    assert run([str(stream), "--jobs", "1", "--no-trace", "-o", str(one)]) == 0
    assert one.read_bytes() == two.read_bytes()


def test_stream_decisions_match_the_document_evaluation(stream: Path, tmp_path: Path) -> None:
    records = [json.loads(line) for line in stream.read_text(encoding="utf-8").splitlines()[:8]]
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"applicants": records}, ensure_ascii=False), encoding="utf-8")
    short = tmp_path / "short.jsonl"
    short.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    whole, streamed = tmp_path / "whole.json", tmp_path / "streamed.jsonl"
    assert run([str(doc), "--format", "json", "-o", str(whole)]) == 0
    assert run([str(short), "-o", str(streamed)]) == 0
    from_doc = json.loads(whole.read_text(encoding="utf-8"))["applicants"]
    from_stream = lines_of(streamed)
    for a, b in zip(from_doc, from_stream):
        b.pop("line")
        if a["status"] == "ok":
            assert a == b


def test_summary_file(stream: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    assert run([str(stream), "--jobs", "2", "--no-trace", "-o", str(tmp_path / "o.jsonl"), "--summary", str(summary)]) == 0
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["applicants"] == 603
    assert s["errors"] >= 3
    assert s["total"] == f"{sum(__import__('decimal').Decimal(v) for v in s['by_measure'].values()):.2f}"


def test_fail_fast_stops_at_the_first_error(stream: Path, tmp_path: Path) -> None:
    out = tmp_path / "ff.jsonl"
    assert run([str(stream), "--jobs", "1", "--fail-fast", "-o", str(out)]) == 1
    results = lines_of(out)
    assert results[-1]["status"] == "error"
    assert all(r["status"] == "ok" for r in results[:-1])


def test_csv_one_project_per_row(tmp_path: Path) -> None:
    csv = tmp_path / "apps.csv"
    # two rows of E1, a bad boolean for E2, a short row for E3 (tests/fixtures/applications.csv), then E4
    csv.write_text(CSV_FIXTURE.read_text(encoding="utf-8") + "E4,丁,enterprise,true,false,1000000,P1,2023-06-01,3000000,\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run([str(csv), "-o", str(out)]) == 0
    results = lines_of(out)
    assert [(r["line"], r["id"], r["status"]) for r in results] == [
        (2, "E1", "ok"), (4, "E2", "error"), (5, None, "error"), (6, "E4", "ok")]
    assert results[0]["total"] == "160000.00"
    assert results[1]["errors"] == ["line 4: $.manufacturer: expected true or false, got 'maybe' (applicant E2)"]
    assert results[2]["errors"] == ["line 5: 4 cells, but the header has 10"]


def test_standard_input_and_no_progress_bar_when_piped(tmp_path: Path) -> None:
    record = json.dumps(next(iter(synthetic.applicants(1, seed=3))), ensure_ascii=False)
    done = subprocess.run([sys.executable, "-m", "jinjiang_dsl.cli", "eval", str(POLICY), "-", "--no-trace"],
                          input=record + "\n", capture_output=True, text=True, check=True)
    assert len(done.stdout.splitlines()) == 1
    assert json.loads(done.stdout)["line"] == 1
    assert "\x1b[" not in done.stderr  # no progress bar, no colour: stderr is not a terminal
    assert "applicants 1" in done.stderr or "申请人 1" in done.stderr


def test_text_output_is_refused_for_a_stream(stream: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([str(stream), "--format", "text"]) == 2
    assert "JSON Lines" in capsys.readouterr().err


def test_a_csv_cell_loses_the_spaces_around_it_and_nothing_else(tmp_path: Path) -> None:
    # a tab, a no-break or an ideographic space around a cell was dropped unseen (str.strip), so the same
    # value was read in a CSV file and refused in JSON; only spaces are dropped, as in a JSON money string
    header = CSV_FIXTURE.read_text(encoding="utf-8").splitlines()[0]
    rows = ["E1,甲,enterprise,true,false,1000000,P1,2023-06-01, 3000000 ,",
            "E2,乙,enterprise,true,false,1000000,P1,2023-06-01,\t3000000,",
            "E3,丙,enterprise,true,false,\u30001000000,P1,2023-06-01,3000000,",
            "E4,丁,enterprise\u00a0,true,false,1000000,P1,2023-06-01,3000000,"]
    csv = tmp_path / "apps.csv"
    csv.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    results = both_engines(tmp_path, csv)
    assert [r["status"] for r in results] == ["ok", "error", "error", "error"]
    assert "not an amount: '\\t3000000'" in results[1]["errors"][0]


def test_an_unknown_csv_column_is_an_unknown_field_with_its_path_ids_and_a_guess(tmp_path: Path) -> None:
    # the contract: an unknown field is an error with a "did you mean", the ids and the JSON path; a CSV column
    # said only "line 2: unknown column 'softwre_investment'". A column that looks like an applicant's is one
    csv = tmp_path / "apps.csv"
    csv.write_text("applicant_id,kind,fiscal_contributon,project_id,date,softwre_investment,colour\n"
                   "A,enterprise,100,P1,2023-06-01,5,red\nA,enterprise,100,P2,2023-06-01,,\n", encoding="utf-8")
    [result] = both_engines(tmp_path, csv)
    assert result["errors"] == [
        "line 2: $.fiscal_contributon: unknown field 'fiscal_contributon'; did you mean 'fiscal_contribution'? "
        "(applicant A)",
        "line 2: $.projects[0].softwre_investment: unknown field 'softwre_investment'; did you mean "
        "'software_investment'? (applicant A, project P1)",
        "line 2: $.projects[0].colour: unknown field 'colour' (applicant A, project P1)"]
    # a column "id" or "projects" is not taken for the record's own: it would replace the applicant's id
    csv.write_text("applicant_id,kind,project_id,date,id\nA,enterprise,P1,2023-06-01,X\n", encoding="utf-8")
    out = tmp_path / "ids.jsonl"
    assert run([str(csv), "--no-trace", "-o", str(out)]) == 0
    assert [(r["id"], r["errors"]) for r in lines_of(out)] == [("A", [
        "line 2: unknown column 'id' (a CSV file has applicant_id and project_id, and a row per project) "
        "(applicant A)"])]


def test_a_csv_row_without_a_project_is_the_applicants_own_as_in_json(tmp_path: Path) -> None:
    # an applicant-level policy (shape S1) needs no project, but a CSV row without one was "projects[0].id:
    # missing" on every row: the CSV file could not say what the JSON document says. And "-1" in a count
    # column was "expected a whole number" where JSON says "negative count -1"
    shape = str(Path(__file__).resolve().parents[1] / "policies" / "shapes" / "s01_applicant_level.pol")
    table, document = tmp_path / "apps.csv", tmp_path / "apps.jsonl"
    table.write_text("applicant_id,recognised_on,first_little_giant\nA,2024-05-01,true\nB,2024-05-01,false\n",
                     encoding="utf-8")
    document.write_text('{"id": "A", "recognised_on": "2024-05-01", "first_little_giant": true}\n'
                        '{"id": "B", "recognised_on": "2024-05-01", "first_little_giant": false}\n', encoding="utf-8")
    written = []
    for source in (table, document):
        for engine in ("python", "duckdb"):
            out = tmp_path / f"{engine}.jsonl"
            assert main(["eval", shape, str(source), "--no-trace", "--quiet", "--engine", engine, "-o", str(out)]) == 0
            written.append([{k: v for k, v in r.items() if k != "line"} for r in lines_of(out)])
    assert all(w == written[0] for w in written)  # the same decisions, lines apart (a CSV file has a header)
    a, b = written[0]
    assert (a["status"], a["total"], a["awards"][0]["status"], b["awards"][0]["status"]) == (
        "ok", "500000.00", "granted", "not_eligible")
    counts = tmp_path / "counts.csv"
    counts.write_text("applicant_id,kind,project_id,date,sme_adopters\nA,enterprise,P1,2023-06-01,-1\n"
                      "B,enterprise,P1,2023-06-01,-0\n", encoding="utf-8")
    out = tmp_path / "counts.jsonl"
    assert run([str(counts), "--no-trace", "-o", str(out)]) == 0
    assert [r["errors"] for r in lines_of(out)] == [
        ["line 2: $.projects[0].sme_adopters: negative count -1 (applicant A, project P1)"],
        ["line 3: $.projects[0].sme_adopters: expected a whole number, got '-0' (applicant B, project P1)"]]


def test_a_repeated_id_in_a_stream_is_located_and_named_as_in_a_document(tmp_path: Path) -> None:
    # the contract: every error carries its JSON path and the applicant's id; a stream's repeated id said
    # "line 3: duplicate id 'A' (also line 1)", with no path, where a document says "applicants[2].id: …"
    stream = tmp_path / "apps.jsonl"
    stream.write_text('{"id": "A", "kind": "enterprise"}\n{"id": "B", "kind": "enterprise"}\n'
                      '{"id": "A", "kind": "enterprise"}\n', encoding="utf-8")
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.jsonl"
        assert run([str(stream), "--no-trace", "--engine", engine, "-o", str(out)]) == 0
        assert lines_of(out)[2]["errors"] == ["line 3: $.id: duplicate id 'A' (also line 1) (applicant A)"], engine


def test_the_summary_on_standard_error_reads_as_the_text_summary_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # it wrote "给予合计 1530415229.94 元" and "1.1: 648493823.50": now with separators and each measure's title
    stream = tmp_path / "apps.jsonl"
    stream.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in synthetic.applicants(300, seed=5)),
                      encoding="utf-8")
    assert main(["eval", str(POLICY), str(stream), "--no-trace", "-o", str(tmp_path / "o.jsonl")]) == 0
    err = capsys.readouterr().err
    total = re.search(r"给予合计 ([0-9,.]+) 元", err)
    assert total and "," in total.group(1), err
    assert re.search(r"\n +[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)? 元  1\.1 制造业数字化转型示范项目\n", err), err


def test_the_summary_s_amounts_stand_in_one_column_whatever_the_titles_widths(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "  1.1 制造业数字化转型示范项目: 648,493,823.50 元" over "  2.3 上云:  45,366,426.19 元": each amount
    # began where its title (of its own width, Chinese two cells a character) ended, so no column could be read
    stream = tmp_path / "apps.jsonl"
    stream.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in synthetic.applicants(300, seed=5)),
                      encoding="utf-8")
    for lang, unit in (("zh", " 元"), ("en", " yuan")):
        assert main(["eval", str(POLICY), str(stream), "--no-trace", "--lang", lang, "-o", str(tmp_path / "o.jsonl")]) == 0
        rows = [line for line in capsys.readouterr().err.splitlines() if line.startswith("  ")]
        assert len(rows) >= 8, rows
        assert len({line.index(unit) for line in rows}) == 1, rows



def test_the_summary_names_a_payer_s_total_as_a_payer_s_not_as_a_measure_s(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "  20,000.01 元  市级财政" under "  40,000.01 元  1 市县分担": a payer's share read as one more measure
    stream = tmp_path / "apps.jsonl"
    stream.write_text('{"id": "X", "projects": [{"id": "P1", "date": "2024-05-01", "grant_base": "40000.01"}]}\n',
                      encoding="utf-8")
    shape = Path(__file__).resolve().parents[1] / "policies" / "shapes" / "s06_cost_sharing.pol"
    for lang, words in (("zh", ("元  1 市县分担", "元  出资方 市级财政", "元  出资方 县级财政")),
                        ("en", ("yuan  1 Shared by city and county", "yuan  payer 市级财政", "yuan  payer 县级财政"))):
        assert main(["eval", str(shape), str(stream), "--lang", lang, "-o", str(tmp_path / "o.jsonl")]) == 0
        rows = [line for line in capsys.readouterr().err.splitlines() if line.startswith("  ")]
        assert [row.strip().split(" ", 1)[1] for row in rows] == list(words), rows


def test_the_english_summary_says_what_its_errors_are_as_the_chinese_and_the_text_summary_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "applicants 3, errors 1": 输入有误 in Chinese, "with input errors" under eval --format text; an analyst
    # read "errors" as the run's own
    stream = tmp_path / "apps.jsonl"
    stream.write_text('{"id": "A", "kind": "enterprise"}\n{"id": "B", "kind": "nobody"}\n{"id": "C", "kind": "college"}\n',
                      encoding="utf-8")
    assert main(["eval", str(POLICY), str(stream), "--no-trace", "--lang", "en", "-o", str(tmp_path / "o.jsonl")]) == 0
    assert capsys.readouterr().err.startswith("applicants 3, with input errors 1, total granted 0 yuan\n")
