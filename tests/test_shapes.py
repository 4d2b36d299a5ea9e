"""Every policy in policies/ — the Jinjiang notice and the clause shapes of clause-shapes.md —
checks clean, and its examples decide the same, step for step, on both backends.

The examples themselves run as pytest items (jinjiang_dsl.pytest_plugin); this module adds what
they cannot: no warnings, and the compiled evaluator against the reference interpreter.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from jinjiang_dsl import check_source, load_policy
from jinjiang_dsl.examples import run_all

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").rglob("*.pol"))


def test_the_shapes_are_there() -> None:
    shapes = {p.name.split("_")[0] for p in POLICIES if p.parent.name == "shapes"}
    assert {"s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09", "s10", "s11", "s12", "s14"} <= shapes
    assert any(p.name == "s07_highest_per_applicant.pol" for p in POLICIES)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_policy_checks_clean(path: Path) -> None:
    assert check_source(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_both_backends_decide_every_example_alike(path: Path) -> None:
    compiled = run_all(load_policy(path))
    interpreted = run_all(load_policy(path, backend="interpreter"))
    assert compiled and len(compiled) == len(interpreted)
    for c, i in zip(compiled, interpreted):
        assert c.passed and i.passed, (c.example.title.en, c.failures, i.failures)
        for lang in ("zh", "en"):
            assert c.decision.to_json(lang) == i.decision.to_json(lang), c.example.title.en  # type: ignore[union-attr]
    # untraced, the compiled backend runs the code generated for the whole applicant: the same decisions
    policy = load_policy(path)
    for c in compiled:
        assert c.applicant is not None and c.decision is not None
        untraced = policy.decider(trace=False).applicant(c.applicant)
        assert untraced.to_json("en", trace=False) == c.decision.to_json("en", trace=False), c.example.title.en


AND_POLICY = """policy "且" / "and" {
  issued 2024-01-01
  dated by date
  currency 元
  rounding 0.01元 half_up
}
project {
  date: date "日期" / "date"
  rd: money "研发费用" / "R&D"
  revenue: money "营业收入" / "revenue"
  listed: bool "上市" / "listed"
}
measure 1 "且" / "and" {
  clause 一
  requires rd / revenue >= 3% and listed "占比3%且上市" / "3% and listed"
  amount 20万
}
"""


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
@pytest.mark.parametrize("listed, status, errors", [
    (False, "ok", []),  # the other side of 'and' fails: no quotient is needed
    (True, "error", ["applicants[0].projects[0].revenue: measure 1 divides by revenue, which is 0 here (applicant A, project P1)"]),
])
def test_a_zero_divisor_under_and_matters_only_when_the_other_side_holds(
        backend: str, listed: bool, status: str, errors: list[str], tmp_path: Path) -> None:
    path = tmp_path / "and.pol"
    path.write_text(AND_POLICY, encoding="utf-8")
    record = {"id": "A", "projects": [{"id": "P1", "date": "2024-06-01", "rd": "100", "revenue": "0",
                                       "listed": listed}]}
    decided = load_policy(path, backend=backend).evaluate({"applicants": [record]})
    (applicant,) = decided.to_json("en")["applicants"]
    assert (applicant["status"], applicant["errors"]) == (status, errors)
    if errors:  # 措施 1 以…: "措施 1以营业收入" read as "1以上"-like run-on text
        assert [e.text("zh") for e in decided.applicants[0].errors] == [
            "applicants[0].projects[0].revenue:措施 1 以营业收入为除数,此处为 0(申请人 A,项目 P1)"]
    if status == "ok":
        (award,) = applicant["projects"][0]["awards"]
        assert award["status"] == "not_eligible"


@pytest.mark.parametrize("engine", ["compiled", "interpreter", "duckdb"])
@pytest.mark.parametrize("listed, status", [(False, "ok"), (True, "error")])
def test_a_zero_divisor_in_one_condition_matters_only_when_the_measure_s_other_conditions_hold(
        engine: str, listed: bool, status: str, tmp_path: Path) -> None:
    # a measure's conditions are one 'and': an enterprise that is not a beneficiary, whose revenue is 0,
    # was an input error (losing every other award it had), though no quotient could have changed that
    path = tmp_path / "lines.pol"
    path.write_text(AND_POLICY.replace("  requires rd / revenue >= 3% and listed",
                                       "  beneficiary listed \"上市\" / \"listed\"\n  requires rd / revenue >= 3%"),
                    encoding="utf-8")
    record = {"id": "A", "projects": [{"id": "P1", "date": "2024-06-01", "rd": "100", "revenue": "0",
                                       "listed": listed}]}
    policy = load_policy(path, backend="interpreter" if engine == "interpreter" else "compiled")
    out = policy.run({"applicants": [record]}, trace=engine != "duckdb",
                     **({"engine": "duckdb"} if engine == "duckdb" else {}))[1]
    (applicant,) = out.to_json("en")["applicants"]
    assert applicant["status"] == status, applicant
    if status == "ok":
        (award,) = applicant["projects"][0]["awards"]
        assert award["status"] == "not_eligible"
        if engine != "duckdb":
            assert "Requirement not decided: 3% and listed (revenue divides and is 0 here; another condition is " \
                   "not met, so this does not change the outcome)" in [s["text"] for s in award["trace"]]


ONCE_POLICY = """policy "一次性" / "once" {
  issued 2024-01-01
  dated by date
  currency 元
  rounding 0.01元 half_up
}
project {
  date: date "认定日期" / "date recognised"
  first_recognition: bool "首次认定" / "first recognition"
}
measure 1 "一次性奖励" / "One-off award" {
  clause 一
  requires first_recognition "首次认定" / "first recognition"
  once per applicant
  amount 50万
}
"""


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
def test_once_per_applicant_the_first_claim_by_date_holds_it(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "once.pol"
    path.write_text(ONCE_POLICY, encoding="utf-8")
    record = {"id": "A", "projects": [{"id": "Y2025", "date": "2025-03-01", "first_recognition": True},
                                      {"id": "Y2024", "date": "2024-06-01", "first_recognition": True}]}
    out = load_policy(path, backend=backend).evaluate({"applicants": [record]}).to_json("en")
    (applicant,) = out["applicants"]
    by_id = {p["id"]: p["awards"][0] for p in applicant["projects"]}
    assert by_id["Y2024"]["status"] == "granted" and applicant["total"] == "500000.00"
    assert by_id["Y2025"]["status"] == "not_eligible"
    assert by_id["Y2025"]["trace"][-1]["text"] == ("Once per applicant (one-off): already awarded to project Y2024 "
                                                   "(500,000 yuan)")


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
@pytest.mark.parametrize("investment, parts", [
    ("10000000", [(2024, "400000.00"), (2025, "300000.00"), (2026, "300000.00")]),
    ("1000000.10", [(2024, "40000.00"), (2025, "30000.00"), (2026, "30000.01")]),
])
def test_instalments_are_in_the_output_and_add_up_exactly(backend: str, investment: str,
                                                          parts: list[tuple[int, str]]) -> None:
    policy = load_policy(ROOT / "policies" / "shapes" / "s10_instalments.pol", backend=backend)
    record = {"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "investment": investment}]}
    (award,) = policy.evaluate({"applicants": [record]}).to_json("en")["applicants"][0]["projects"][0]["awards"]
    assert [(i["year"], i["amount"]) for i in award["instalments"]] == parts
    assert sum(Decimal(i["amount"]) for i in award["instalments"]) == Decimal(award["amount"])


def test_instalments_that_do_not_add_up_to_the_whole_are_an_error() -> None:
    source = (ROOT / "policies" / "shapes" / "s10_instalments.pol").read_text(encoding="utf-8")
    wrong = source.replace("paid in instalments 40%, 30%, 30%", "paid in instalments 40%, 30%, 20%")
    (d,) = [d for d in check_source(wrong, "s10.pol") if d.is_error]
    assert (d.message, d.hint) == ("the instalments add up to 90%, not 100%",
                                   "the shares of the award paid each year must add up to the whole award")


S6 = ROOT / "policies" / "shapes" / "s06_cost_sharing.pol"


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
def test_shares_are_in_the_output_and_by_payer_in_the_summary(backend: str) -> None:
    records = [{"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "grant_base": "40000.01"}]},
               {"id": "B", "projects": [{"id": "P1", "date": "2024-05-01", "grant_base": "100000",
                                         "provincial_project": True}]}]
    out = load_policy(S6, backend=backend).evaluate({"applicants": records}).to_json("en")
    a, b = out["applicants"]
    assert a["projects"][0]["awards"][0]["shares"] == [{"payer": "市级财政", "amount": "20000.01"},
                                                       {"payer": "县级财政", "amount": "20000.00"}]
    m1, m2 = b["projects"][0]["awards"]
    assert m2["shares"] == [{"payer": "省级财政", "amount": "40000.00"}, {"payer": "市级财政", "amount": "30000.00"},
                            {"payer": "县级财政", "amount": "30000.00"}]
    assert out["summary"]["by_payer"] == {"市级财政": "100000.01", "县级财政": "100000.00", "省级财政": "40000.00"}
    assert sum(Decimal(v) for v in out["summary"]["by_payer"].values()) == Decimal(out["summary"]["total"])


def test_by_payer_is_in_a_stream_summary_too(tmp_path: Path) -> None:
    import json

    from jinjiang_dsl.cli import main

    src, summary = tmp_path / "in.jsonl", tmp_path / "summary.json"
    src.write_text(json.dumps({"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "grant_base": "40000.01"}]})
                   + "\n", encoding="utf-8")
    assert main(["eval", str(S6), str(src), "-o", str(tmp_path / "out.jsonl"), "--summary", str(summary),
                 "--quiet", "--jobs", "2"]) == 0
    assert json.loads(summary.read_text(encoding="utf-8"))["by_payer"] == {"市级财政": "20000.01", "县级财政": "20000.00"}


@pytest.mark.parametrize("fmt", ["md", "html", "text"])
def test_batch_reports_show_what_each_payer_must_budget(tmp_path: Path, fmt: str) -> None:
    import json

    from jinjiang_dsl.cli import main

    src, out = tmp_path / "in.json", tmp_path / f"out.{fmt}"
    src.write_text(json.dumps({"applicants": [
        {"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "grant_base": "40000.01"}]},
        {"id": "B", "projects": [{"id": "P1", "date": "2024-05-01", "grant_base": "100000", "provincial_project": True}]},
    ]}), encoding="utf-8")
    argv = (["eval", str(S6), str(src), "--format", "text", "--lang", "en", "-o", str(out)] if fmt == "text"
            else ["report", str(S6), str(src), "--format", fmt, "--lang", "en", "-o", str(out)])
    assert main(argv) == 0
    text = out.read_text(encoding="utf-8")
    rows = {"md": ["| 市级财政 | 100,000.01 |", "| 县级财政 | 100,000.00 |", "| 省级财政 | 40,000.00 |"],
            "html": ["Granted by payer", "市级财政", "100,000.01"],
            "text": ["市级财政 │    100,000.01", "省级财政 │        40,000", "total    │    240,000.01"]}[fmt]
    for row in rows:
        assert row in text


def test_shares_for_payers_that_do_not_match_are_an_error() -> None:
    wrong = S6.read_text(encoding="utf-8").replace("shared 4:3:3 by 省级财政, 市级财政, 县级财政",
                                                    "shared 4:3 by 省级财政, 市级财政, 县级财政")
    assert [(d.message, d.hint) for d in check_source(wrong, "s06.pol") if d.is_error] == [
        ("2 shares for 3 payers", "give one share per payer, in the same order: shared 4:3:3 by 省级, 市级, 县级")]


def test_a_category_table_names_listed_values_once() -> None:
    source = (ROOT / "policies" / "shapes" / "s02_by_category.pol").read_text(encoding="utf-8")
    wrong = source.replace("    provincial: 30万\n", "    provincal: 30万\n    national: 50万\n")
    assert [(d.message, d.hint) for d in check_source(wrong, "s02.pol") if d.is_error] == [
        ("'provincal' is not a value of level", "did you mean 'provincial'?"),
        ("'national' is listed twice (first at line 24)", None),
    ]
    on_money = source.replace("amount by level {", "amount by date {")
    assert [d.message for d in check_source(on_money, "s02.pol") if d.is_error] == [
        "an amount by category needs a category ('one of' or text), but this is a date"]


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_policy_covers_its_boundaries_caps_rules_and_categories(path: Path) -> None:
    from jinjiang_dsl.coverage import Coverage

    policy = load_policy(path)
    coverage = Coverage(policy.plan).record_all((o.decision, o.applicant) for o in run_all(policy))
    assert [(i.where, i.what, i.missing) for i in coverage.uncovered()] == []


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_applicants_decide_alike_on_both_backends(path: Path) -> None:
    """The differential test on every policy: applicants drawn by the policy's own strategies (a third
    of the profile's examples per policy) get the same JSON, trace included, from both backends; and
    untraced, the compiled backend's generated whole-applicant code decides as the interpreter's rule
    walk does, and as with the trace."""
    from hypothesis import given, settings

    from jinjiang_dsl.testing import Strategies

    compiled, interpreted = load_policy(path), load_policy(path, backend="interpreter")

    @settings(max_examples=max(10, settings().max_examples // 3))
    @given(Strategies(compiled).document(max_applicants=2))
    def same(document: dict) -> None:
        expected = interpreted.evaluate(document).to_json("en")
        assert compiled.evaluate(document).to_json("en") == expected
        untraced = compiled.evaluate(document, trace=False).to_json("en", trace=False)
        assert untraced == interpreted.evaluate(document, trace=False).to_json("en", trace=False)
        assert untraced == interpreted.evaluate(document).to_json("en", trace=False)

    same()


def test_an_applicant_level_measure_is_listed_under_the_applicant_not_a_project(tmp_path: Path) -> None:
    policy = load_policy(ROOT / "policies" / "shapes" / "s01_applicant_level.pol")
    out = policy.evaluate({"applicants": [
        {"id": "E1", "recognised_on": "2024-05-01", "first_little_giant": True,
         "projects": [{"id": "P1"}]},
        {"id": "E2", "recognised_on": "2024-05-01"},
    ]}).to_json("en")
    first, second = out["applicants"]
    assert [(a["measure"], a["status"], a["amount"]) for a in first["awards"]] == [("1", "granted", "500000.00")]
    assert first["projects"] == [{"id": "P1", "awards": []}] and first["total"] == "500000.00"
    assert "awards" not in second  # it gives none of the measure's facts: not listed, as for a project
    assert out["summary"]["by_measure"] == {"1": "500000.00"}
    missing_date = policy.evaluate({"applicants": [{"id": "E3", "first_little_giant": True}]}).to_json("en")
    assert missing_date["applicants"][0]["errors"] == [
        "applicants[0].recognised_on: missing (the date decides the period and the year) (applicant E3)"]


def test_a_measure_over_the_year_is_one_award_per_year_listing_the_projects_summed() -> None:
    policy = load_policy(ROOT / "policies" / "shapes" / "s13_yearly_sum.pol")
    out = policy.evaluate({"applicants": [{"id": "A", "projects": [
        {"id": "P1", "date": "2024-03-01", "equipment": "6000000"},
        {"id": "P2", "date": "2024-09-01", "equipment": "5000000"},
        {"id": "P3", "date": "2025-01-05", "equipment": "2000000"}]}]}).to_json("en")
    [app] = out["applicants"]
    assert [(a["year"], a["status"], a["amount"]) for a in app["awards"]] == [
        (2024, "granted", "550000.00"), (2025, "not_eligible", "0.00")]
    assert app["awards"][0]["trace"][0]["text"] == (
        "Summed over 2024, equipment investment: P1 6,000,000 + P2 5,000,000 = 11,000,000")
    # a yearly award's cap is its own, not a project's
    assert "Cap not reached: 550,000 ≤ 3,000,000 yuan" in [s["text"] for s in app["awards"][0]["trace"]]
    assert all(p["awards"] == [] for p in app["projects"]) and app["total"] == "550000.00"


@pytest.mark.parametrize("statement, message", [
    ("requires sum of equipment per applicant per year in 1000万以上 and equipment > 0",
     "measure 1 adds equipment up over the year but also reads equipment of a single project"),
    ("requires sum of rating per applicant per year > 0",
     "'sum of' adds up a project input over the year, but 'rating' is an applicant input"),
])
def test_the_checker_keeps_a_measure_over_the_year_to_sums(statement: str, message: str) -> None:
    source = ('policy "t" / "t" {\n  issued 2024-01-01\n  dated by date\n  rounding 0.01元 half_up\n}\n'
              'applicant {\n  rating: count "评级" / "rating"\n}\n'
              'project {\n  date: date "日期" / "date"\n  equipment: money "设备" / "equipment"\n}\n'
              f'measure 1 "m" / "m" {{\n  clause 一\n  {statement}\n  amount 1万\n}}\n')
    assert [d.message for d in check_source(source, "t.pol") if d.is_error] == [message]


def test_coverage_counts_the_figures_a_condition_compares_with(tmp_path: Path) -> None:
    """A requirement's bound (doctors >= 1名) is an edge like a tier's: without the example at exactly 1,
    coverage is not complete, and says which case is missing."""
    from jinjiang_dsl.coverage import Coverage

    source = (ROOT / "policies" / "shapes" / "s09_per_unit.pol").read_text(encoding="utf-8")
    start = source.index('  example "恰好1名"')
    path = tmp_path / "s09.pol"
    path.write_text(source[:start] + source[source.index("  }\n", start) + 4:], encoding="utf-8")
    policy = load_policy(path)
    coverage = Coverage(policy.plan).record_all((o.decision, o.applicant) for o in run_all(policy))
    assert [(i.what, i.missing) for i in coverage.uncovered()] == [
        ("boundary 1 in: at least one doctor hired", ["at"])]


def test_strategies_draw_each_category_row_and_an_unlisted_value(tmp_path: Path) -> None:
    from jinjiang_dsl.testing import Strategies

    source = (ROOT / "policies" / "shapes" / "s02_by_category.pol").read_text(encoding="utf-8")
    start, end = source.index("  level: one of {"), source.index('} "认定级别"')
    path = tmp_path / "text_category.pol"
    path.write_text(source[:start] + "  level: text " + source[end + 2:], encoding="utf-8")
    policy = load_policy(path)
    rows = {value for value, _, _ in policy.plan.measure("1").formula.rows}
    drawn = Strategies(policy).text_values("level")
    assert set(drawn) == rows | {"其他"}


def test_a_project_summed_over_the_year_is_said_to_count_in_the_applicant_s_award(tmp_path: Path) -> None:
    # P1 and P2 feed the year's sum; P3 gives no fact at all: only it "gives the facts of no measure"
    import json

    from jinjiang_dsl.cli import main

    src, out = tmp_path / "in.json", tmp_path / "out.md"
    src.write_text(json.dumps({"applicants": [{"id": "X", "projects": [
        {"id": "P1", "date": "2024-03-01", "equipment": "6000000"}, {"id": "P2", "date": "2024-09-01", "equipment": "5000000"},
        {"id": "P3", "date": "2024-09-01"}]}]}), encoding="utf-8")
    assert main(["explain", str(ROOT / "policies" / "shapes" / "s13_yearly_sum.pol"), str(src), "--lang", "en",
                 "--format", "md", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for pid in ("P1", "P2"):
        assert f"| {pid} | no measure of its own; its figures count in the applicant's own awards |" in text
    assert "| P3 | gives the facts of no measure |" in text


def test_a_year_compared_with_year_of_a_date_is_written_as_a_year_in_english() -> None:
    from jinjiang_dsl.explain.messages import render

    p = load_policy(ROOT / "policies" / "shapes" / "s04_dates.pol")
    texts = [render(s, "en") for o in run_all(p) for g in o.decision.groups() for a in g.awards for s in a.trace]
    assert any("(the year of date signed 2024-12-31) = 2024)" in t for t in texts)
    assert not any("2,024" in t for t in texts)


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
def test_a_value_compared_with_a_choice_is_shown_by_its_label(backend: str, tmp_path: Path) -> None:
    # 'level == national' read "认定级别 省级 ≠ national": the input's value by its label, the other by its name
    path = tmp_path / "labels.pol"
    path.write_text((ROOT / "policies" / "shapes" / "s02_by_category.pol").read_text(encoding="utf-8").replace(
        "  amount by level {", '  when level == national "国家级" / "national": 200万\n  amount by level {'),
        encoding="utf-8")
    record = {"id": "A", "projects": [{"id": "P1", "date": "2024-06-01", "level": "provincial"}]}
    out = load_policy(path, backend=backend).evaluate({"applicants": [record]})
    (award,) = out.to_json("zh")["applicants"][0]["projects"][0]["awards"]
    assert any(s["text"].endswith("(认定级别 省级 ≠ 国家级)") for s in award["trace"]), award["trace"]
    (award,) = out.to_json("en")["applicants"][0]["projects"][0]["awards"]
    assert any(s["text"].endswith("(level of recognition provincial ≠ national)") for s in award["trace"])


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
def test_a_definition_in_an_amount_is_shown_by_its_label_and_figure(backend: str) -> None:
    # S11: amount standard - received; an auditor reads the standard's figure (300,000), worked out first
    policy = load_policy(ROOT / "policies" / "shapes" / "s11_deduction.pol", backend=backend)
    record = {"id": "A", "projects": [{"id": "P1", "date": "2024-05-01", "investment": "2000000", "received": "120000"}]}
    decided = policy.evaluate({"applicants": [record]})
    zh, en = ([t["text"] for a in decided.to_json(lang)["applicants"][0]["projects"][0]["awards"] for t in a["trace"]]
              for lang in ("zh", "en"))
    assert zh[:2] == ["本政策标准:15% × 项目投入 2,000,000 = 300,000 元",
                      "金额:本政策标准 300,000 − 已获上级同类补助 120,000 = 180,000 元"]
    assert en[:2] == ["This policy's standard: 15% × project investment 2,000,000 = 300,000 yuan",
                      "Amount: this policy's standard 300,000 − already received from a higher level for the same "
                      "item 120,000 = 180,000 yuan"]
    (step,) = [t for a in decided.to_json("en")["applicants"][0]["projects"][0]["awards"] for t in a["trace"]
               if t["kind"] == "defined"]
    assert step["value"] == "300000.00"


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
@pytest.mark.parametrize("rd, revenue, figure", [
    ("300000", "10000000", "= 3% ∈"),  # exactly on the bound
    ("299999.99", "10000000", "= 2.9999999% ∉"),  # exact, every place kept: it is below
    ("299999.99", "9999999.67", "≈ 2.999999999% ∉"),  # 2.99999999899…%: never '≈ 3.00%', which would meet it
    ("1", "3", "≈ 33.33% ∈"),  # repeating, far from the bound: two places
])
def test_a_ratio_a_requirement_tests_is_shown_with_its_figure(backend: str, rd: str, revenue: str, figure: str) -> None:
    policy = load_policy(ROOT / "policies" / "shapes" / "s03_ratio_or.pol", backend=backend)
    record = {"id": "A", "projects": [{"id": "P1", "date": "2024-06-01", "rd": rd, "revenue": revenue}]}
    decided = policy.evaluate({"applicants": [record]})
    for lang, divided in (("zh", "年度营业收入"), ("en", "revenue of the year")):
        (award,) = decided.to_json(lang)["applicants"][0]["projects"][0]["awards"]
        (step,) = [t["text"] for t in award["trace"] if t["kind"] == "requirement"]
        assert f"÷ {divided} {format(Decimal(revenue), ',f')} {figure} [3%, ∞)" in step, step
    # a zero divisor, where the other side decides: no figure is made up
    record["projects"][0].update(rd="6000000", revenue="0")
    (award,) = policy.evaluate({"applicants": [record]}).to_json("en")["applicants"][0]["projects"][0]["awards"]
    assert "revenue of the year 0 ∈ [3%, ∞)" in award["trace"][0]["text"]


def test_a_limit_that_is_a_figure_is_shown_once() -> None:
    # S5: 'limit 200万' read "headroom 2,000,000 yuan (2,000,000)"; a limit of facts keeps what it is made of
    policy = load_policy(ROOT / "policies" / "shapes" / "s05_two_limits.pol")
    record = {"id": "A", "contribution": "5000000", "projects": [{"id": "P1", "date": "2024-03-01", "investment": "10000000"}]}
    decided = policy.evaluate({"applicants": [record]})
    zh, en = ([t["text"] for t in decided.to_json(lang)["applicants"][0]["projects"][0]["awards"][0]["trace"]
               if t["kind"] == "limit"] for lang in ("zh", "en"))
    assert zh == ["以财政贡献为上限:可用额度 5,000,000 元(当年对本级财政经济贡献 5,000,000);2024 年度本通知合计 "
                  "1,000,000 元,未超过",
                  "年度奖励总额上限:可用额度 2,000,000 元;2024 年度本通知合计 1,000,000 元,未超过"]
    assert en == ["Capped at the contribution: headroom 5,000,000 yuan (contribution to local finances this year "
                  "5,000,000); 1,000,000 yuan in all in 2024, within it",
                  "Annual total cap: headroom 2,000,000 yuan; 1,000,000 yuan in all in 2024, within it"]
