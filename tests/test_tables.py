"""Decisions as tables (issue 13): ``eval --format parquet`` keeps the contract's fields, ``--format csv`` has a
row per award; both hold what the JSON Lines hold, money as its exact text, for either engine."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from jinjiang_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
POLICY = str(ROOT / "policies" / "shapes" / "s06_cost_sharing.pol")
JINJIANG = str(ROOT / "policies" / "jinjiang_2023.pol")


def lines_of(tmp_path: Path) -> Path:
    """The example applications as JSON Lines, and a line that is not JSON."""
    src = tmp_path / "in.jsonl"
    apps = json.loads((ROOT / "examples" / "applications.json").read_text(encoding="utf-8"))["applicants"]
    src.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in apps) + "not json\n", encoding="utf-8")
    return src


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_parquet_table_holds_every_line_as_the_json_lines_do(engine: str, tmp_path: Path) -> None:
    src = lines_of(tmp_path)
    jsonl, parquet = tmp_path / "out.jsonl", tmp_path / "out.parquet"
    assert main(["eval", JINJIANG, str(src), "--engine", engine, "--no-trace", "--quiet", "-o", str(jsonl)]) == 0
    assert main(["eval", JINJIANG, str(src), "--engine", engine, "--no-trace", "--quiet", "--format", "parquet",
                 "-o", str(parquet)]) == 0
    expected = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    con = duckdb.connect()
    rows = [json.loads(r[0]) for r in con.execute(f"SELECT to_json(t) FROM '{parquet}' t ORDER BY line").fetchall()]

    def plain(value: Any) -> Any:  # the table has every column on every row: a field not written is null
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if v is not None and k != "trace"}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    assert [plain(r) for r in rows] == [plain(e) for e in expected]
    assert rows[-1]["status"] == "error" and rows[-1]["errors"][0].startswith(f"line {len(rows)}: not valid JSON")


def test_a_csv_table_has_a_row_per_award_and_money_as_text(tmp_path: Path) -> None:
    src = lines_of(tmp_path)
    jsonl, table = tmp_path / "out.jsonl", tmp_path / "out.csv"
    assert main(["eval", JINJIANG, str(src), "--no-trace", "--quiet", "-o", str(jsonl)]) == 0
    assert main(["eval", JINJIANG, str(src), "--no-trace", "--quiet", "--format", "csv", "-o", str(table)]) == 0
    expected = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    awards = [(e["line"], p["id"], a["measure"], a["status"], a["amount"] or "") for e in expected
              for p in e["projects"] for a in p["awards"]]
    assert [(int(r["line"]), r["project"], r["measure"], r["award_status"], r["amount"]) for r in rows
            if r["measure"]] == awards
    assert {int(r["line"]) for r in rows} == {e["line"] for e in expected}  # an applicant without awards too
    error = rows[-1]
    assert error["errors"].startswith(f"line {error['line']}: not valid JSON") and not error["measure"]


def test_a_csv_tables_errors_are_one_per_line_so_that_they_split_back(tmp_path: Path) -> None:
    # errors were joined by "; ", which a message holds itself ("unknown field 'x'; did you mean …"): the list could
    # not be read back. Each is now a line of its cell
    src, table = tmp_path / "in.jsonl", tmp_path / "out.csv"
    src.write_text('{"id": "A", "kind": "enterprise", "fiscal_contributon": "1", "projects": [{"id": "P", '
                   '"date": "2023-06-01", "softwre_investment": "5"}]}\n', encoding="utf-8")
    assert main(["eval", JINJIANG, str(src), "--no-trace", "--quiet", "--format", "csv", "-o", str(table)]) == 0
    [row] = list(csv.DictReader(table.open(encoding="utf-8", newline="")))
    assert row["errors"].split("\n") == [
        "line 1: $.fiscal_contributon: unknown field 'fiscal_contributon'; did you mean 'fiscal_contribution'? "
        "(applicant A)",
        "line 1: $.projects[0].softwre_investment: unknown field 'softwre_investment'; did you mean "
        "'software_investment'? (applicant A, project P)"]


def test_payer_shares_and_parquet_without_a_file_name(tmp_path: Path, capsys: Any) -> None:
    src = tmp_path / "in.jsonl"
    from jinjiang_dsl import load_policy
    from jinjiang_dsl.examples import record

    policy = load_policy(POLICY)
    records = [dict(record(policy, e), id=f"E{i}") for i, e in enumerate(policy.checked.policy.all_examples())]
    src.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records), encoding="utf-8")
    table = tmp_path / "out.csv"
    assert main(["eval", POLICY, str(src), "--quiet", "--format", "csv", "-o", str(table)]) == 0
    shared = [r for r in csv.DictReader(table.open(encoding="utf-8")) if r["shares"]]
    assert shared and all(";" in r["shares"] or " " in r["shares"] for r in shared)
    assert main(["eval", POLICY, str(src), "--quiet", "--format", "parquet"]) == 2
    assert "--format parquet writes a file: name it with -o FILE" in capsys.readouterr().err
    assert main(["eval", POLICY, str(ROOT / "examples" / "applications.json"), "--format", "csv"]) == 2
    said = capsys.readouterr().err  # and names every format a document does give
    assert "writes the decisions of a stream" in said and "a JSON document gives json, jsonl or text" in said
    assert main(["eval", POLICY, str(ROOT / "examples" / "applications.json"), "--format", "jsonl", "--quiet"]) == 0


def test_a_csv_table_on_standard_output_keeps_a_carriage_return_within_a_cell(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the table was copied to standard output with universal newlines: "a\rQ" came out as "a\nQ"
    ids = ["a\rQ", "b\r\nQ", "c\nQ"]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "kind": "enterprise", "projects": []}) + "\n" for i in ids),
                   encoding="utf-8")
    assert main(["eval", JINJIANG, str(src), "--quiet", "--no-trace", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert [r["id"] for r in csv.DictReader(io.StringIO(out, newline=""))] == ids
