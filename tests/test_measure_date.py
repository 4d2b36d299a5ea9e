"""A measure's own date (``dated by NAME`` in a measure): an award on the applicant's own facts, in a policy
dated by each project's date, placed in the year of an applicant input (policies/shapes/s01_own_date.pol).

Before, such a measure had no date: the checker refused it whenever its year mattered (a validity window,
'once per applicant per year', a limit per year), and the drafter had no way to write the notice."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinjiang_dsl import batch, load_policy
from jinjiang_dsl.cli import describe_plan
from jinjiang_dsl.fmt import convert_keywords, format_source
from jinjiang_dsl.lsp import occurrences
from jinjiang_dsl.sql import native
from jinjiang_dsl.sql.schema import json_schema
from jinjiang_dsl.syntax import parse, parse_tree

ROOT = Path(__file__).resolve().parents[1]
SHAPE = ROOT / "policies" / "shapes" / "s01_own_date.pol"
PROJECT = {"id": "P1", "completed_on": "2024-03-01", "investment": "10000000"}
APPLICANTS = [
    {"id": "same year", "recognised_on": "2024-05-01", "little_giant": True, "projects": [PROJECT]},
    {"id": "next year", "recognised_on": "2025-02-01", "little_giant": True, "projects": [PROJECT]},
    {"id": "before", "recognised_on": "2023-06-01", "little_giant": True, "projects": [PROJECT]},
    {"id": "undated", "little_giant": True, "projects": [PROJECT]},
    {"id": "null date", "recognised_on": None, "little_giant": True, "projects": [PROJECT]},
    {"id": "not claimed", "projects": [PROJECT]},
]


def decided(backend: str = "compiled", lang: str = "zh", trace: bool = True) -> dict[str, dict[str, Any]]:
    policy = load_policy(SHAPE, backend=backend)
    result = policy.run({"applicants": APPLICANTS}, trace=trace)[1]
    return {a.id: a.to_json(lang, trace=trace) for a in result.applicants}


def own_award(decision: dict[str, Any]) -> dict[str, Any]:
    [award] = decision["awards"]
    return award


def test_the_award_is_placed_in_the_year_of_its_own_date() -> None:
    zh = decided()
    # 2024: the limit of 120万 a year binds the award and the 2024 project together (50万 + 100万, pro rata)
    assert (own_award(zh["same year"])["amount"], zh["same year"]["projects"][0]["awards"][0]["amount"]) == \
        ("400000.00", "800000.00")
    # 2025: a year of its own, nothing to share the limit with
    assert (own_award(zh["next year"])["amount"], zh["next year"]["total"]) == ("500000.00", "1500000.00")
    # before the period in force: its own date, not the project's, decides
    assert own_award(zh["before"])["status"] == "out_of_period"
    assert zh["not claimed"]["status"] == "ok" and "awards" not in zh["not claimed"]


def test_the_explanation_says_the_year_and_the_input_it_comes_from() -> None:
    for lang, year, period in (
            ("zh", "依认定日期 2024-05-01 计入 2024 年度", "认定日期 2024-05-01 在施行期内"),
            ("en", "Placed in the year 2024 by its date of recognition, 2024-05-01",
             "Date of recognition 2024-05-01 is within the period in force")):
        texts = [s["text"] for s in own_award(decided(lang=lang)["same year"])["trace"]]
        assert texts[0] == year and texts[1].startswith(period), texts


def test_a_claim_without_its_date_is_an_input_error_at_its_json_path() -> None:
    zh = decided()
    for aid, index in (("undated", 3), ("null date", 4)):
        assert zh[aid]["status"] == "error"
        assert zh[aid]["errors"] == [f"applicants[{index}].recognised_on: missing (measure 2 is claimed: the date "
                                     f"decides its period and year) (applicant {aid})"]


def test_both_python_backends_and_duckdb_decide_alike() -> None:
    compiled, interpreted = decided(), decided("interpreter")
    assert compiled == interpreted
    assert decided(trace=False) == decided("interpreter", trace=False)  # the code generated for the whole applicant
    policy = load_policy(SHAPE)
    sql = policy.run({"applicants": APPLICANTS}, trace=False, engine="duckdb")[1]
    assert {a.id: a.to_json("zh", trace=False) for a in sql.applicants} == decided(trace=False)


def test_duckdbs_native_path_sends_an_undated_claim_to_the_validator() -> None:
    # the screen vouched for a record whatever its measure's own date: a claim without it reached the query
    policy = load_policy(SHAPE)
    data = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in APPLICANTS).encode("utf-8")
    python: list[str] = []
    batch.run(policy, batch.read_jsonl(io.BytesIO(data), 1 << 20), python.append, trace=False)
    sql: list[str] = []
    native.run(policy, "jsonl", "zh", sql.append, stream=io.BytesIO(data), max_line_bytes=1 << 20)
    assert "".join(sql) == "".join(python)
    assert [json.loads(line)["status"] for line in "".join(sql).splitlines()] == ["ok"] * 3 + ["error"] * 2 + ["ok"]


def test_the_schema_asks_for_the_date_of_a_claimed_measure() -> None:
    schema = json_schema(load_policy(SHAPE).plan)
    assert schema["dependentSchemas"]["little_giant"]["required"] == ["recognised_on"]
    assert "recognised_on" not in schema["required"]


def test_the_plan_says_which_date_places_each_award() -> None:
    assert "dated by: completed_on; measure 2 by its own recognised_on" in describe_plan(load_policy(SHAPE).plan)


def test_the_line_formats_and_converts_to_chinese_and_back() -> None:
    source = SHAPE.read_text(encoding="utf-8")
    assert format_source(source) == source
    chinese = convert_keywords(source, "zh")
    assert "  日期依据 recognised_on\n" in chinese
    assert parse(chinese, "zh.pol").measures[1].dated_by.ident == "recognised_on"  # type: ignore[union-attr]
    assert convert_keywords(chinese, "en") == source


def test_the_language_server_sees_the_date_named_as_a_use_of_the_input() -> None:
    source = SHAPE.read_text(encoding="utf-8")
    line = source[:source.index("  dated by recognised_on")].count("\n") + 1
    uses = [o for o in occurrences(parse_tree(source)[0], "s.pol") if o.symbol[1] == "recognised_on" and not o.declares]
    assert line in [o.span.line for o in uses]


def test_the_register_keeps_the_year_of_its_own_date_for_later_batches(tmp_path: Path) -> None:
    # the limit of 120万 a year counts what earlier batches granted in that year: the award of a first batch
    # must be stored in the year of its own date (it was stored in no year, and a 2024 project then took
    # the whole 100万 beside it)
    from jinjiang_dsl.register import Register

    policy = load_policy(SHAPE)
    with Register(tmp_path / "r.sqlite") as register:
        _, first, _ = register.decide(policy, str(SHAPE), [{"id": "A1", "little_giant": True,
                                                           "recognised_on": "2024-05-01"}])
        _, second, _ = register.decide(policy, str(SHAPE), [{"id": "A1", "projects": [PROJECT]}])
    assert (first.applicants[0].total, second.applicants[0].total) == (Decimal("500000.00"), Decimal("700000.00"))
