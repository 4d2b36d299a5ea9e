"""Decision reports: what they say, in both languages, and counterfactuals checked by re-evaluating."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from jj_cases import enterprise, project

from jinjiang_dsl import load_policy
from jinjiang_dsl.cli import main
from jinjiang_dsl.examples import run_all
from jinjiang_dsl.explain import html, markdown, report
from jinjiang_dsl.explain.counterfactual import Change, changes, with_fact
from jinjiang_dsl.explain.report import money

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
EXAMPLES = ROOT / "examples" / "applications.json"


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


@pytest.fixture(scope="module")
def examples() -> dict[str, Any]:
    return json.loads(EXAMPLES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def evaluated(policy: Any, examples: dict[str, Any]) -> tuple[list[Any], Any]:
    return policy.run(examples)


def record(examples: dict[str, Any], aid: str) -> dict[str, Any]:
    return copy.deepcopy(next(a for a in examples["applicants"] if a["id"] == aid))


def all_changes(policy: Any, evaluated: tuple[list[Any], Any]) -> list[tuple[str, Change]]:
    apps, batch = evaluated
    found = []
    for app, decision in zip(apps, batch.applicants):
        for group in changes(policy.decider(), app, decision).values():
            found += [(decision.id, c) for c in group]
    return found


def reevaluate(policy: Any, examples: dict[str, Any], aid: str, c: Change, value: Any) -> Any:
    rec = record(examples, aid)
    target = rec if c.project is None else next(p for p in rec["projects"] if p["id"] == c.project)
    target[c.field] = value if isinstance(value, int) else str(value)
    return policy.evaluate_applicant(rec)


def award_of(decision: Any, project: str | None, measure: str) -> Any:
    pd = next(p for p in decision.groups() if p.id == project)  # None: the applicant's own awards
    return next(a for a in pd.awards if a.measure == measure)


# ---------------------------------------------------------------------- counterfactuals


def test_the_examples_give_every_kind_of_suggestion(policy: Any, evaluated: Any) -> None:
    kinds = {c.kind for _, c in all_changes(policy, evaluated)}
    assert kinds == {"next_tier", "cap_binds", "cap_bound", "lift_limit"}


def test_every_next_tier_suggestion_is_verified_by_evaluating_again(policy: Any, examples: Any, evaluated: Any) -> None:
    checked = 0
    for aid, c in all_changes(policy, evaluated):
        if c.kind != "next_tier" or c.field is None:
            continue
        decision = reevaluate(policy, examples, aid, c, c.value)
        assert award_of(decision, c.project, c.measure).entitlement == c.expect, (aid, c)
        # and just below the suggested value, that tier is not reached
        below = c.value - 1 if isinstance(c.value, int) else c.value - Decimal("0.01")
        decision = reevaluate(policy, examples, aid, c, below)
        assert award_of(decision, c.project, c.measure).entitlement < c.expect, (aid, c)
        checked += 1
    assert checked >= 3


def test_every_cap_suggestion_is_verified_by_evaluating_again(policy: Any, examples: Any, evaluated: Any) -> None:
    checked = 0
    for aid, c in all_changes(policy, evaluated):
        if c.kind not in ("cap_binds", "cap_bound") or c.field is None:
            continue
        at = award_of(reevaluate(policy, examples, aid, c, c.value), c.project, c.measure)
        below = award_of(reevaluate(policy, examples, aid, c, c.value - Decimal("0.01")), c.project, c.measure)
        # the least base, to the fen, whose entitlement — rounded as the policy rounds — is the cap
        assert at.entitlement == c.expect, (aid, c)
        assert below.entitlement < c.expect, (aid, c)
        checked += 1
    assert checked >= 3


def test_the_cap_threshold_accounts_for_rounding(policy: Any, examples: Any, evaluated: Any) -> None:
    # 3.2 pays 15% up to 50,000: 333,333.30 × 15% = 49,999.995, which rounds half-up to 50,000.00
    c = next(c for aid, c in all_changes(policy, evaluated) if aid == "E005" and c.kind == "cap_bound")
    assert c.value == Decimal("333333.30")
    text = markdown.render(build(policy, evaluated, "E005"), "en")
    # and says that the cap is reached by the rounding: 49,999.995 is not itself the cap
    assert ("from a base of 333,333.30 yuan, 15% already gives 49,999.9950, which rounds to the cap of 50,000 yuan"
            in text)
    zh = markdown.render(build(policy, evaluated, "E005"), "zh")
    assert "已达上限:基数自 333,333.30 元起按 15% 计算为 49,999.9950 元,舍入后即为上限 50,000 元,超出部分不增加补助" in zh
    assert ("计算基数达到 666,666.64 元时,按 15% 计算为 99,999.9960 元,舍入后即达上限 100,000 元"
            in markdown.render(build(policy, evaluated, "E008"), "zh"))


def shape_outcomes() -> list[tuple[Any, Any]]:
    """Every example of every policy in policies/ (the shapes and the Jinjiang notice), decided."""
    found = []
    for path in sorted((ROOT / "policies").rglob("*.pol")):
        p = load_policy(path)
        found += [(p, o) for o in run_all(p) if o.decision is not None and o.decision.status == "ok"]
    return found


def test_every_suggestion_states_what_deciding_the_whole_applicant_again_gives() -> None:
    # Done when (issue 11): every counterfactual, re-evaluated, changes the granted total exactly as stated
    checked = offered = warned = 0
    for p, outcome in shape_outcomes():
        decision, app = outcome.decision, outcome.applicant
        for group in changes(p.decider(), app, decision).values():
            for c in group:
                if c.kind == "cap_bound":  # a statement about the base given, no change to make
                    assert c.effect is None
                    continue
                e = c.effect
                assert e is not None, c
                scope = p.plan.inputs[e.field].scope
                where = c.project if c.set_in is None else c.set_in  # a year's sum: set in one of its projects
                again = p.decider().applicant(with_fact(app, where, e.field, e.value, scope))
                assert again.total == e.total and decision.total == e.total_now, c
                if c.measure is not None:
                    assert award_of(again, c.project, c.measure).amount == e.granted, c
                offered += c.offered
                warned += not c.offered
                assert c.offered == (e.total > e.total_now)
                checked += 1
    assert checked >= 20 and offered >= 5 and warned >= 3, (checked, offered, warned)


def test_a_year_s_sum_short_of_its_requirement_gets_a_suggestion_checked_over_the_whole_chain(tmp_path: Path) -> None:
    # S13: the year's sum is one fen short; the suggestion names the sum needed and the project whose figure moves
    shape = ROOT / "policies" / "shapes" / "s13_yearly_sum.pol"
    p = load_policy(shape)
    apps, batch = p.run({"applicants": [{"id": "X", "projects": [
        {"id": "P1", "date": "2024-03-01", "equipment": "4000000"}, {"id": "P2", "date": "2024-05-01", "equipment": "5999999.99"}]}]})
    (c,) = [c for group in changes(p.decider(), apps[0], batch.applicants[0]).values() for c in group]
    assert (c.kind, c.set_in, c.field, c.value) == ("requirement_at_least", "P2", "equipment", Decimal("6000000.00"))
    assert c.effect is not None and (c.effect.granted, c.effect.total) == (Decimal("500000.00"), Decimal("500000.00"))
    en = markdown.render(report.build(p.decider(), apps, batch), "en")
    assert ("With equipment investment (summed over the year) of at least 10,000,000 (the bound here is 10,000,000), "
            "'the year's equipment investment reaches 10 million' would be met. Decided again with P2's equipment "
            "investment = 6,000,000: this award 500,000 yuan (now 0), the applicant's total 500,000 yuan, 500,000 more") in en


def test_a_year_s_capped_rate_gets_the_base_that_reaches_the_cap_moved_in_a_project() -> None:
    # S13: 5% of the year's 50,000,000 is 2,500,000 under the 3,000,000 cap: the base that reaches it is the
    # year's sum, moved in the last project summed (P2), and decided again
    p = load_policy(ROOT / "policies" / "shapes" / "s13_yearly_sum.pol")
    apps, batch = p.run({"applicants": [{"id": "X", "projects": [
        {"id": "P1", "date": "2024-03-01", "equipment": "30000000"}, {"id": "P2", "date": "2024-04-01", "equipment": "20000000"}]}]})
    (c,) = [c for group in changes(p.decider(), apps[0], batch.applicants[0]).values() for c in group]
    assert (c.kind, c.set_in, c.value, c.params["base"]) == ("cap_binds", "P2", Decimal("29999999.90"),
                                                            Decimal("59999999.90"))
    assert c.effect is not None and c.effect.total == Decimal("3000000.00")


def test_each_year_s_award_of_a_measure_over_the_year_gets_its_own_suggestions() -> None:
    # S13: 2024's sum is a fen short, 2025's is capped: each year's award of measure 1 is told what would change
    # it, not the other year's (a suggestion naming 2024's P2 under the 2025 award, 'now 0' though it pays 300万)
    p = load_policy(ROOT / "policies" / "shapes" / "s13_yearly_sum.pol")
    apps, batch = p.run({"applicants": [{"id": "X", "projects": [
        {"id": "P1", "date": "2024-03-01", "equipment": "5000000"}, {"id": "P2", "date": "2024-09-01", "equipment": "4999999.99"},
        {"id": "P3", "date": "2025-01-01", "equipment": "70000000"}]}]})
    en = markdown.render(report.build(p.decider(), apps, batch), "en")
    y2024, y2025 = (en.split(f"### The applicant itself ({y}) · 1 ")[1].split("\n### ")[0] for y in (2024, 2025))
    assert "Decided again with P2's equipment investment = 5,000,000: this award 500,000 yuan (now 0)" in y2024
    assert "The cap binds" not in y2024
    assert ("The cap binds: from a base of 59,999,999.90 yuan, 5% already gives 2,999,999.9950, which rounds to the "
            "cap of 3,000,000 yuan") in y2025
    assert "P2's equipment investment" not in y2025
    found = {(key, c.kind) for key, group in changes(p.decider(), apps[0], batch.applicants[0]).items() for c in group}
    assert found == {((None, "1", 2024), "requirement_at_least"), ((None, "1", 2025), "cap_bound")}


def test_highest_not_stacked_names_the_winning_measure_as_a_measure_not_a_bare_number() -> None:
    # S7 per applicant: with measure ids 1 and 2, "granted 1 for project P1" read as an amount
    p = load_policy(ROOT / "policies" / "shapes" / "s07_highest_per_applicant.pol")
    apps, batch = p.run({"applicants": [{"id": "X", "projects": [
        {"id": "P1", "date": "2024-03-01", "national_little_giant": True},
        {"id": "P2", "date": "2024-09-01", "provincial_center": True}]}]})
    en = markdown.render(report.build(p.decider(), apps, batch), "en")
    assert "the applicant qualifies for 2 awards in 2024; the highest is measure 1 (500,000 yuan)" in en
    assert "this year the applicant is granted measure 1 for project P1 (500,000 yuan)" in en
    zh = markdown.render(report.build(p.decider(), apps, batch), "zh")
    assert "取最高的措施 1(500,000 元)" in zh and "已由项目 P1 的措施 1(500,000 元)享受" in zh


def test_a_fixed_sum_is_not_written_as_an_equation_of_itself_in_english() -> None:
    # S7's "amount 50万": English said "Amount: 500,000 = 500,000 yuan"; Chinese shows 50万 as the figure it is
    p = load_policy(ROOT / "policies" / "shapes" / "s07_stacking.pol")
    apps, batch = p.run({"applicants": [{"id": "X", "projects": [
        {"id": "P1", "date": "2024-05-01", "national_little_giant": True}]}]})
    en = markdown.render(report.build(p.decider(), apps, batch), "en")
    assert "Amount: a fixed sum of 500,000 yuan" in en and "500,000 = 500,000" not in en
    assert "金额:50万 = 500,000 元" in markdown.render(report.build(p.decider(), apps, batch), "zh")
    # a formula keeps its equation
    p = load_policy(ROOT / "policies" / "shapes" / "s09_per_unit.pol")
    apps, batch = p.run({"applicants": [{"id": "X", "projects": [{"id": "H1", "hired": "2024-03-01", "doctors": 3}]}]})
    assert "Amount: 20,000 × full-time doctors newly hired 3 = 60,000 yuan" in markdown.render(
        report.build(p.decider(), apps, batch), "en")


def test_an_applicant_giving_no_measure_s_facts_is_not_told_about_projects_it_does_not_have() -> None:
    # S1: the measure reads the applicant's own facts and there are no projects; "No project of this applicant
    # gives the facts of any measure" blamed projects
    p = load_policy(ROOT / "policies" / "shapes" / "s01_applicant_level.pol")
    apps, batch = p.run({"applicants": [{"id": "X", "recognised_on": "2024-05-01"}]})
    assert "Neither this applicant nor any of its projects gives the facts of a measure." in markdown.render(
        report.build(p.decider(), apps, batch), "en")
    assert "本申请人及其项目均未提供任何措施所依据的事实。" in html.render(report.build(p.decider(), apps, batch), "zh")


def test_a_measure_s_own_annual_cap_is_named_as_the_measure_s_not_by_a_bare_number() -> None:
    # S5: "kept back by 1: annual cap of 1,000,000 yuan per applicant" and the table "1: annual cap …" read the
    # measure id 1 as a figure
    p = load_policy(ROOT / "policies" / "shapes" / "s05_annual_cap_pro_rata.pol")
    apps, batch = p.run({"applicants": [{"id": "X", "projects": [
        {"id": "C1", "signed": "2024-03-01", "contract": "20000000"}, {"id": "C2", "signed": "2024-06-01", "contract": "20000000"},
        {"id": "C3", "signed": "2024-09-01", "contract": "1000000"}]}]})
    en = markdown.render(report.build(p.decider(), apps, batch), "en")
    assert "the 470,000 yuan more it is entitled to is kept back by \"measure 1's annual cap of 1,000,000 yuan per applicant\"" in en
    assert "**Measure 1's annual cap of 1,000,000 yuan per applicant · 2024: 1,030,000 yuan exceeds" in en
    zh = markdown.render(report.build(p.decider(), apps, batch), "zh")
    assert "不增加:可得增加的 470,000 元因“措施 1 每个申请人年度上限 100万元”而未能给予" in zh
    assert "**措施 1 每个申请人年度上限 100万元 · 2024 年度:" in zh


def test_lifting_one_limit_names_the_next_limit_that_keeps_part_of_the_gain() -> None:
    # s05_two_limits: the contribution (100万) cuts 250万 to 100万; lifting it to 250万 pays 200万, since the
    # fixed 200万 cap (R2) then applies: the suggestion says R2 keeps back 50万
    shape = load_policy(ROOT / "policies" / "shapes" / "s05_two_limits.pol")
    apps, batch = shape.run({"applicants": [{"id": "X", "contribution": "1000000", "projects": [
        {"id": "P1", "date": "2024-03-01", "investment": "15000000"},
        {"id": "P2", "date": "2024-06-01", "investment": "10000000"}]}]})
    en = markdown.render(report.build(shape.decider(), apps, batch), "en")
    assert ("the applicant's total 2,000,000 yuan (now 1,000,000), 1,000,000 more; 500,000 yuan more is kept back "
            'by "R2 Annual total cap"') in en


def test_a_failed_comparison_says_the_bound_and_the_value_it_needs(policy: Any, examples: Any) -> None:
    # 4.1 wants 20% of the diagnosed enterprises to have started: 4 of 21 is short of 4.2, so 5 are needed
    rec = record(examples, "E004")
    c1 = next(p for p in rec["projects"] if p["id"] == "C1")
    c1["enterprises_diagnosed"] = 21
    apps, batch = policy.run({"applicants": [rec]})
    en = markdown.render(report.build(policy.decider(), apps, batch), "en")
    assert "started transformation 4 \\< (20% × enterprises given free diagnosis 21))\n- The bound here is 4.2: " \
           "diagnosed enterprises that started transformation needs to be at least 5" in en
    zh = markdown.render(report.build(policy.decider(), apps, batch), "zh")
    assert "此处界限为 4.2:实质启动数字化转型的企业数至少需要 5" in zh
    assert "若实质启动数字化转型的企业数达到 5(此处界限为 4.2),即满足“20%以上接受诊断企业实质启动转型”" in zh
    # the suggestion is decided again over the whole chain: 4.1 then pays 100,000, which R2 keeps back
    found = [c for group in changes(policy.decider(), apps[0], batch.applicants[0]).values() for c in group
             if c.kind == "requirement_at_least"]
    assert [(c.field, c.value) for c in found] == [("enterprises_started", 5)]
    assert found[0].effect is not None and found[0].effect.gain == 0 and found[0].effect.blocked == Decimal("100000")
    c1["enterprises_started"] = 5
    assert policy.evaluate_applicant(rec).total == batch.applicants[0].total
    c1["enterprises_started"] = 4
    c1["enterprises_diagnosed"] = 20  # 4 ≥ 4.0 holds: nothing is needed
    apps, batch = policy.run({"applicants": [rec]})
    assert "The bound here is" not in markdown.render(report.build(policy.decider(), apps, batch), "en")


def test_an_applicant_with_an_input_error_shows_what_it_would_otherwise_get(policy: Any, evaluated: Any) -> None:
    # E014 says 5 of 4 diagnosed enterprises started: an error, so nothing is granted — but the report says
    # what the record would give with the error set aside, marked as for reference only
    en = markdown.render(build(policy, evaluated, "E014"), "en")
    assert "enterprises started cannot exceed enterprises diagnosed (applicant E014, project C1)" in en
    assert "Setting the input errors aside (values that cannot be read left out, the rest as given)" in en
    # its status says what it is: not "granted" (nothing is), but what would be granted once corrected
    assert ("| C1 | 4.1 Free digital-transformation consulting | would be granted (for reference) | 100,000.00 | "
            "100,000.00 |") in en
    assert "| **Total (for reference only; nothing granted)** | | | | **100,000.00** |" in en
    md_zh = markdown.render(build(policy, evaluated, "E014"), "zh")
    assert "| 可予给予(仅供参考) |" in md_zh and "| 给予 |" not in md_zh and "**合计(仅供参考,不予给予)**" in md_zh
    decision = next(d for d in evaluated[1].applicants if d.id == "E014")
    assert decision.status == "error" and decision.total == 0  # the decision itself is unchanged
    zh = html.render(build(policy, evaluated, "E014"), "zh")
    assert "暂不计输入错误" in zh and "100,000.00" in zh
    # on the page the reference table is set apart (dashed, muted) and its total says it is not granted: in bold,
    # "合计 100,000.00" under a green "给予" read as the applicant's grant to anyone who skipped the caption
    reference = zh.split("暂不计输入错误")[1]
    assert '<table class="summary reference">' in reference and "<td colspan=\"4\">合计(仅供参考,不予给予)</td>" in reference
    assert '<span class="status would_grant">可予给予(仅供参考)</span>' in reference and ">给予<" not in reference
    assert "table.reference" in zh and "Total (for reference only; nothing granted)" in html.render(
        build(policy, evaluated, "E014"), "en")
    # a record that is not an object has no facts to decide: nothing is shown
    apps, batch = policy.run({"applicants": ["not an applicant"]})
    assert "Setting the input errors aside" not in markdown.render(report.build(policy.decider(), apps, batch), "en")


def test_an_applicant_missing_a_fact_a_rule_needs_shows_what_it_would_get_without_that_rule(
        policy: Any, evaluated: Any) -> None:
    # E012 gives no fiscal contribution, which R2 needs since it has a grant: an input error — and, for
    # reference, what it would get were R2 left out (named as such)
    en = markdown.render(build(policy, evaluated, "E012"), "en")
    assert ("Leaving out R2 Enterprise annual cap, which needs a fact the applicant did not give, the applicant would "
            "be entitled to the following. For reference only") in en
    assert ("| P1 | 2.2 Integrated management information systems (ERP/SCM/MES/CRM) | would be granted (for reference) "
            "| 50,000.00 | 50,000.00 |") in en
    decision = next(d for d in evaluated[1].applicants if d.id == "E012")
    assert decision.status == "error" and decision.total == 0
    assert "暂不适用 R2 企业年度补助上限(缺少其所需数据)" in html.render(build(policy, evaluated, "E012"), "zh")


def test_for_reference_a_project_without_a_readable_date_is_not_said_to_be_out_of_period(policy: Any) -> None:
    # P2's date is missing: the period cannot be decided, which is not the same as being outside it (P1, 2022)
    rec = {"id": "Y3", "kind": "enterprise", "manufacturer": True, "fiscal_contribution": "100000", "projects": [
        {"id": "P1", "date": "2022-06-01", "mis_software_spend": "600000"},
        {"id": "P2", "date": "2023-09-31", "mis_software_spend": "600000"}]}
    apps, batch = policy.run({"applicants": [rec]})
    en = markdown.render(report.build(policy.decider(), apps, batch), "en")
    assert "| P1 | 2.2 Integrated management information systems (ERP/SCM/MES/CRM) | out of period |" in en
    assert "| P2 | 2.2 Integrated management information systems (ERP/SCM/MES/CRM) | period undecided (no readable date) |" in en


def test_a_winner_cut_to_nothing_after_r1_is_not_shown_as_granted(policy: Any, examples: Any) -> None:
    # I-10: G8's 1.2 wins R1 over 2.3, then 1.2's annual cap, used up by G1–G6, cuts it to 0
    rec = record(examples, "E003")
    g8 = {**next(p for p in rec["projects"] if p["id"] == "G6"), "id": "G8", "cloud_service_fee": "60000"}
    rec["projects"].append(g8)
    apps, batch = policy.run({"applicants": [rec]})
    award = award_of(batch.applicants[0], "G8", "1.2")
    assert (award.status, award.entitlement, award.amount) == ("granted", Decimal("100000.00"), Decimal("0.00"))
    built = report.build(policy.decider(), apps, batch)
    en = markdown.render(built, "en")
    assert "### G8 · 1.2 5G application demonstration project — granted, but reduced to 0\n" in en
    assert "| G8 | 1.2 5G application demonstration project | granted, but reduced to 0 | 100,000.00 | 0.00 |" in en
    assert "is reduced from 100,000 to 0 yuan" in en and "the choice stands" in en
    page = html.render(built, "zh")
    assert '<section class="award reduced_to_zero">' in page
    assert '<span class="status reduced_to_zero">给予,但经核减为 0</span>' in page


def test_every_allocation_table_can_be_redone_by_hand() -> None:
    # wherever a cap or limit reduces grants, and for payer shares and instalments, the table's figures
    # are enough to redo the split: exact share, floor, remainder, extra unit, granted
    methods = set()
    for p, outcome in shape_outcomes():
        tables = {s.params["allocation"] for g in outcome.decision.groups() for a in g.awards for s in a.trace
                  if s.params.get("allocation") is not None}
        for t in tables:
            methods.add(t.method)
            granted = sum(part.granted for part in t.parts)
            if t.method == "input_order":
                assert granted == min(t.total, t.target)
                continue
            assert granted == t.target, t
            if t.method == "instalments":
                assert all(part.exact == t.target * part.amount for part in t.parts)
                continue
            for part in t.parts:
                exact = part.amount * t.target / t.total
                assert abs(part.exact - exact) <= t.unit / 10_000 / 2
                assert part.floor == (exact / t.unit).to_integral_value(rounding="ROUND_FLOOR") * t.unit
                assert part.remainder == ((exact - part.floor) / t.unit).quantize(Decimal("0.000001"))
                assert part.granted == part.floor + part.extra * t.unit
            given = [part for part in t.parts if part.extra]
            others = [part for part in t.parts if not part.extra]
            assert not given or not others or min(g.remainder for g in given) >= max(o.remainder for o in others)
            # and the report shows it
            text = markdown.render(report.build(p.decider(), [outcome.applicant], attrs.evolve(
                p.evaluate({"applicants": []}), applicants=(outcome.decision,))), "en")
            assert "Allocation tables" in text and f"{money(t.parts[0].granted)} |" in text
    assert methods == {"pro_rata", "input_order", "payers", "instalments"}


def test_a_suggestion_a_rule_across_measures_undoes_is_a_warning_naming_the_rule(policy: Any, evaluated: Any) -> None:
    # E002: 2.3's next tier would pay 60,000, but 1.1 still wins the project (R1): the total stays
    zh = markdown.render(build(policy, evaluated, "E002"), "zh")
    assert ("注意:按年度上云服务费为 100,000.01 重新测算,本项给予 0 元(现为 0 元),申请人合计仍为 750,000.13 元,不增加:"
            "可得增加的 30,000 元因“R1 就高不重复”而未能给予") in zh
    # the award itself stays 0: what is kept back is the rise of its entitlement, not a sum "gained"
    assert ("this award 0 yuan (now 0), but the applicant's total stays 750,000.13 yuan: the 30,000 yuan more it is "
            'entitled to is kept back by "R1 Highest, not stacked"') in markdown.render(build(policy, evaluated, "E002"), "en")
    # E004: S1 at tier 3 would take the year's 2.1 from S2 (I-12) and R2 would cut it to the same headroom:
    # S1 0 → 216,666.67, S2 216,666.67 → 0 — both rules named, and the award's own amount stated
    en = markdown.render(build(policy, evaluated, "E004"), "en")
    assert ("this award 216,666.67 yuan (now 0), but the applicant's total stays 650,000 yuan: the 100,000 yuan "
            'more it is entitled to is kept back by "R2 Enterprise annual cap" and "measure 2.1: once per applicant per year"') in en
    # the rule a raised input lifts is named in quotes, as the rules keeping a gain back are
    assert ("With contribution to municipal finances this year of 900,000 yuan, the 2023 grants (900,000 yuan in all) "
            'would not be reduced by "Enterprise annual cap"') in en
    assert ("若当年对本级财政经济贡献达到 900,000 元,2023 年度补助(合计 900,000 元)不再因“企业年度补助上限”核减"
            in markdown.render(build(policy, evaluated, "E004"), "zh"))
    # and a change that pays states the award and the total, before and after
    assert ("Decided again with contribution to municipal finances this year = 900,000: the applicant's total "
            "900,000 yuan (now 650,000), 250,000 more") in en


def test_the_rules_named_as_keeping_a_gain_back_are_those_that_do(policy: Any) -> None:
    # Five 1.2 projects use up 1.2's annual cap of 50万; G6's 1.2 (60,000) ties its 2.3 and wins R1 (lower
    # measure number). More investment in G6 gains nothing, because of the annual cap alone: R1, which G6's 1.2
    # wins either way, keeps nothing back and is not named
    g = [project(f"G{n}", f"2023-06-0{n}", quanzhou_5g_demo=True, quanzhou_recognized_investment="1000000")
         for n in range(1, 6)]
    g6 = project("G6", "2023-06-06", quanzhou_5g_demo=True, quanzhou_recognized_investment="400000",
                 cloud_service_fee="100000.01")
    evaluated = policy.run({"applicants": [enterprise(*g, g6, aid="X03", above_scale_industrial=True)]})
    text = markdown.render(build(policy, evaluated, "X03"), "en")
    [line] = [t for t in text.splitlines() if "Beware: decided again" in t and "666,666.64" in t]
    assert line.endswith('the 40,000 yuan more it is entitled to is kept back by "measure 1.2\'s annual cap of 500,000 yuan per applicant"'), line


def test_the_r2_suggestion_lifts_the_reduction(policy: Any, examples: Any, evaluated: Any) -> None:
    suggestions = [(aid, c) for aid, c in all_changes(policy, evaluated) if c.kind == "lift_limit"]
    assert [aid for aid, _ in suggestions] == ["E004"]
    aid, c = suggestions[0]
    assert c.value == Decimal("900000")  # I1 500,000 + S2 300,000 (the year's highest 2.1 claim, I-12) + C1 100,000
    lifted = reevaluate(policy, examples, aid, c, c.value)
    assert lifted.total == Decimal("900000.00")
    assert all(a.amount == a.entitlement for p in lifted.projects for a in p.awards if a.status == "granted")
    short = reevaluate(policy, examples, aid, c, c.value - Decimal("0.01"))
    assert short.total == Decimal("899999.99")


# ---------------------------------------------------------------------- what a report says


def build(policy: Any, evaluated: Any, aid: str | None = None, is_batch: bool = False) -> Any:
    apps, batch = evaluated
    return report.build(policy.decider(), apps, batch, only=aid, is_batch=is_batch)


def test_report_header_names_policy_hash_time_and_applicant(policy: Any, evaluated: Any) -> None:
    text = markdown.render(build(policy, evaluated, "E001"), "zh")
    assert "# 补助测算说明" in text
    assert policy.plan.name.zh in text
    assert policy.plan.source_sha256 in text
    assert "测算时间" in text
    assert "申请人 E001 晋江某鞋业有限公司" in text


def test_the_page_breaks_a_hash_only_in_its_middle(policy: Any, evaluated: Any) -> None:
    # a narrow column broke a SHA-256 anywhere, leaving its last digit alone on a line
    page = html.render(build(policy, evaluated, "E001"), "en")
    digest = policy.plan.source_sha256
    assert f'<code class="hash">{digest[:32]}<wbr>{digest[32:]}</code>' in page
    assert "dl.meta code.hash { overflow-wrap: normal; }" in page


def test_an_english_report_names_a_clause_by_the_english_the_policy_gives_it(policy: Any, evaluated: Any) -> None:
    # 'clause "结尾段一" / "closing paragraph 1"': no clause number an English reader can look up otherwise
    en = markdown.render(build(policy, evaluated, "E004"), "en")
    assert "**Clause** closing paragraph 1 (结尾段一)" in en and "**Clause** 二(一)" in en
    zh = markdown.render(build(policy, evaluated, "E004"), "zh")
    assert "**条款** 结尾段一" in zh and "closing paragraph" not in zh
    page = html.render(build(policy, evaluated, "E004"), "en")
    assert "Clause “closing paragraph 1” 「结尾段一」" in page  # quoted on the page: see the test below


def test_a_page_cites_a_clause_in_quotes_so_that_one_named_a_numeral_is_not_read_as_a_dash() -> None:
    # a clause named 一 beside 'Clause' (and after the title's dash) read "Clause —" in a proportional font
    shape = load_policy(ROOT / "policies" / "shapes" / "s11_deduction.pol")
    decided = shape.run({"applicants": [{"id": "A", "projects": [
        {"id": "P1", "date": "2024-05-01", "investment": "2000000", "received": "120000"}]}]})
    report = build(shape, decided, "A")
    assert '<p class="label">条款「一」</p>' in html.render(report, "zh")
    assert '<p class="label">Clause 「一」</p>' in html.render(report, "en")


def test_report_marks_the_matched_tier_row(policy: Any, evaluated: Any) -> None:
    text = markdown.render(build(policy, evaluated, "E004"), "en")
    assert "| **2** | **[20, ∞)** | **20家以上** | **200,000** | **[20, 50)** | **← applies** |" in text


def test_a_tier_table_is_shown_only_where_a_tier_was_looked_up(policy: Any) -> None:
    # P1 is out of the period, Y4 is no manufacturer: neither figure was weighed against the tiers, and a
    # table beside them read as if it had been; P2's was (tier 1), and a figure under the lowest tier too
    rec = {"id": "Y3", "kind": "enterprise", "manufacturer": True, "fiscal_contribution": "100000", "projects": [
        {"id": "P1", "date": "2022-06-01", "mis_software_spend": "600000"},
        {"id": "P2", "date": "2023-09-01", "mis_software_spend": "600000"},
        {"id": "P3", "date": "2023-09-01", "mis_software_spend": "100000"}]}
    other = {"id": "Y4", "kind": "enterprise", "manufacturer": False, "projects": [
        {"id": "P1", "date": "2023-06-01", "mis_software_spend": "600000"}]}
    apps, batch = policy.run({"applicants": [rec, other]})
    built = report.build(policy.decider(), apps, batch)
    shown = {(a.decision.id, r.project): bool(r.tier_rows) for a in built.applicants for r in a.awards}
    assert shown == {("Y3", "P1"): False, ("Y3", "P2"): True, ("Y3", "P3"): True, ("Y4", "P1"): False}
    for lang in ("zh", "en"):
        for text in (markdown.render(built, lang), html.render(built, lang)):
            assert text.count(report.word("tier_table", lang)) == 2


def test_a_thresholds_table_shows_which_values_each_tier_pays(policy: Any, evaluated: Any) -> None:
    # 2.1's thresholds [10, ∞), [20, ∞), [50, ∞) under "Interval" read as overlapping intervals: each row
    # now says the values it pays, up to the next threshold; a bands table is as it was
    en = markdown.render(build(policy, evaluated, "E004"), "en")
    assert "| Tier | Threshold | Notice wording | Pays (yuan) | Values this tier pays (the highest reached) | |" in en
    assert "| 1 | [10, ∞) | 10家以上 | 100,000 | [10, 20) |  |" in en and "| 3 | [50, ∞) | 50家以上 | 300,000 | [50, ∞) |  |" in en
    assert "20 reaches the threshold \\[20, ∞) (\"20家以上\"): tier 2 (the highest reached)" in en
    zh = markdown.render(build(policy, evaluated, "E002"), "zh")  # 超过: the band ends at the next threshold, included
    assert "| **1** | **(5万, ∞)** | **超过5万元** | **30,000** | **(5万, 10万]** | **← 适用** |" in zh
    assert "| 2 | (10万, ∞) | 超过10万元 | 60,000 | (10万, ∞) |  |" in zh
    assert "若年度上云服务费达到 100,000.01(门槛 (10万, ∞)),第 2 档补助 60,000 元" in zh
    page = html.render(build(policy, evaluated, "E002"), "zh")
    assert "<th>门槛</th>" in page and "<th>本档适用区间(取所达最高档)</th>" in page and "<td>(5万, 10万]</td>" in page
    bands = markdown.render(build(policy, evaluated, "E001"), "zh")
    assert "| 档 | 区间 | 通知用语 | 补助(元) | |" in bands and "| 1 | [50万, 100万) | 50万元(含)—100万元 | 50,000 |  |" in bands


def test_why_not_lists_each_unmet_requirement_with_its_value(policy: Any, evaluated: Any) -> None:
    text = markdown.render(build(policy, evaluated, "E011"), "en")
    why = text[text.index("**Why not granted**"):]
    # a failed condition reads as what is the case, not as the condition it fails
    assert "Requirement not met: in one of the nine listed industries ✗ (industry 化工 not in {" in why
    assert "Not a beneficiary: an above-scale industrial enterprise" in why
    zh = markdown.render(build(policy, evaluated, "E011"), "zh")
    assert "所属产业 化工 不属于 {" in zh and "所属产业 化工 属于 {" not in zh


def test_why_not_says_not_provided(policy: Any, evaluated: Any) -> None:
    text = markdown.render(build(policy, evaluated, "E007"), "zh")
    assert "未提供上年度实际服务支出,无法计算金额" in text


def test_r1_comparison_names_winner_and_loser(policy: Any, evaluated: Any) -> None:
    text = markdown.render(build(policy, evaluated, "E001"), "en")
    assert "the highest is measure 1.1 (1,000,000 yuan); not stacked: 2.2 (100,000 yuan)" in text
    assert "measure 1.1 pays 1,000,000 yuan, more than this measure's 100,000 yuan; superseded" in text


ALLOWED_LATIN = re.compile(
    r"jinjiang-dsl|R-[0-9a-f]{12}|SHA-256|sha256|ERP|SCM|MES|CRM|APP|5G|[A-Z]+-?\d+|R\d|I-\d+|J-\d+|P\d|[0-9a-f]{64}|T\d\d:\d\d:\d\d"
)


def test_no_english_in_a_chinese_report(policy: Any, evaluated: Any) -> None:
    apps, batch = evaluated
    ok_ids = [d.id for d in batch.applicants if d.status == "ok"]
    for aid in ok_ids:
        text = markdown.render(build(policy, evaluated, aid), "zh")
        leftover = ALLOWED_LATIN.sub("", text)
        words = re.findall(r"[A-Za-z]{2,}", leftover)
        assert words == [], (aid, words[:10])


def test_no_chinese_in_an_english_report_outside_the_notice_and_the_data(policy: Any, evaluated: Any) -> None:
    apps, batch = evaluated
    for d in batch.applicants:
        if d.status != "ok":
            continue
        text = markdown.render(build(policy, evaluated, d.id), "en")
        # Chinese by nature: the notice quoted (its text, clause numbers, boundary words and the
        # drafter's figures such as 10万 or [100万, 200万)), interpretation I-2 about those words,
        # 参照执行, and the applicant's own data (its name, its industry)
        text = re.sub(r"^(> .*|\*\*Clause\*\* .*|\|.*\|)$", "", text, flags=re.M)
        text = re.sub(r'"[^"]*"|\([^()]*\)|\{[^}]*\}|Interpretation I-2:.*', "", text)
        text = re.sub(r"\d+(\.\d+)?万元?|参照执行", "", text)
        for value in (d.name or "", "化工", "鞋服", "纺织"):
            text = text.replace(value, "")
        cjk = re.findall(r"[\u4e00-\u9fff]+", text)
        assert cjk == [], (d.id, cjk[:10])


def test_chinese_and_english_reports_have_the_same_structure_and_figures(policy: Any, evaluated: Any) -> None:
    for aid in ("E001", "E003", "E004"):
        zh = markdown.render(build(policy, evaluated, aid), "zh")
        en = markdown.render(build(policy, evaluated, aid), "en")
        figures = lambda s: re.findall(r"\d[\d,]*\.\d\d", s)  # noqa: E731
        assert figures(zh) == figures(en)
        assert zh.count("\n1. ") == en.count("\n1. ")


def test_html_is_self_contained(policy: Any, evaluated: Any) -> None:
    page = html.render(build(policy, evaluated, is_batch=True), "zh")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@page { size: A4" in page
    assert "<svg" in page and "<table" in page
    assert 'class="matched"' in page


def test_batch_report_lists_applicants_with_errors(policy: Any, evaluated: Any) -> None:
    page = html.render(build(policy, evaluated, is_batch=True), "en")
    errors = page[page.index("Applicants with input errors"):]
    for aid in ("E012", "E013", "E014"):
        assert f'href="#applicant-{aid}"' in errors
    # E013's three errors are three lines, not one run of code ("…project P1);applicants[14]…")
    e013 = errors[errors.index('href="#applicant-E013"'):errors.index('href="#applicant-E014"')]
    assert e013.count("<li><code>applicants[14].") == 3 and "</code>; <code>" not in errors


def test_html_shows_a_bidirectional_override_from_the_input_and_does_not_obey_it(tmp_path: Path) -> None:
    # a project id "S\u202e1" reversed on the page the rest of each sentence naming it ("…claim (300,000 yuan)"
    # read backwards), and a name ending in U+202E the applicant's heading; the terminal and Markdown show it
    doc = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    e004 = next(a for a in doc["applicants"] if a["id"] == "E004")
    e004["name"] += "\u202e"
    e004["projects"][1]["id"] = "S\u202e1"
    apps, page = tmp_path / "apps.json", tmp_path / "e.html"
    apps.write_text(json.dumps({"applicants": [e004]}, ensure_ascii=False), encoding="utf-8")
    assert main(["explain", str(POLICY), str(apps), "--lang", "en", "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "\u202e" not in text and "<td>S\\u202e1</td>" in text and "晋江某工业互联网平台公司\\u202e (" in text


def test_a_link_to_an_applicant_with_errors_opens_that_record_when_two_share_its_id(tmp_path: Path) -> None:
    # two records with id E012: both sections had id="applicant-E012", and the second's error link opened the first
    doc = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    first, second = (copy.deepcopy(a) for a in doc["applicants"] if a["id"] in ("E012", "E013"))
    second["id"] = "E012"
    apps = tmp_path / "apps.json"
    apps.write_text(json.dumps({"applicants": [first, second]}, ensure_ascii=False), encoding="utf-8")
    page = tmp_path / "r.html"
    assert main(["report", str(POLICY), str(apps), "--lang", "en", "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert re.findall(r'<h2 id="([^"]+)"', text) == ["applicant-E012", "applicant-E012-2"]
    assert re.findall(r'<li><a href="#([^"]+)">E012</a>', text) == ["applicant-E012", "applicant-E012-2"]
    second_link = text.split('href="#applicant-E012-2"')[1].split("</li></ul>")[0]
    assert "softwre_investment" in second_link  # the second record's errors, under the link to it


# ---------------------------------------------------------------------- the commands


def test_explain_command_writes_html(tmp_path: Path) -> None:
    out = tmp_path / "E001.html"
    assert main(["explain", str(POLICY), str(EXAMPLES), "--applicant", "E001", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "补助测算说明" in page and "1,000,000.00" in page


def test_explain_as_text_to_a_file_keeps_every_figure_of_an_allocation_table_whole(tmp_path: Path) -> None:
    out = tmp_path / "E004.txt"
    assert main(["explain", str(POLICY), str(EXAMPLES), "--applicant", "E004", "--format", "text", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "…" not in text  # nothing cut to fit
    assert all(figure in text for figure in ("361,111.111111", "216,666.666667", "72,222.222222"))


@pytest.mark.parametrize("command", ["explain", "report"])
def test_a_text_report_to_a_file_has_no_padding_at_the_ends_of_its_lines(command: str, tmp_path: Path) -> None:
    # rich filled each line to 120 columns: 124 of the 212 lines of E004.txt ended in spaces (a centred title
    # followed by 54 of them), which an auditor's diff and editor show as changes and trailing whitespace
    out = tmp_path / "report.txt"
    assert main([command, str(POLICY), str(EXAMPLES), "--format", "text", "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 100 and [line for line in lines if line.endswith(" ")] == []
    assert lines[0].strip() in ("补助测算说明", "批次测算报告") and "361,111.11" in "\n".join(lines)


def test_explain_as_text_to_a_file_in_colour_keeps_its_width(tmp_path: Path, monkeypatch: Any) -> None:
    # FORCE_COLOR=1 makes rich take any file for a terminal: the file is still written 120 columns wide
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = tmp_path / "E004.txt"
    assert main(["explain", str(POLICY), str(EXAMPLES), "--applicant", "E004", "--format", "text", "-o", str(out)]) == 0
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert "\x1b[" in out.read_text(encoding="utf-8") and max(map(len, lines)) > 100


def test_explain_unknown_applicant_is_an_error(capsys: Any) -> None:
    assert main(["explain", str(POLICY), str(EXAMPLES), "--applicant", "NOPE"]) == 1
    assert "no applicant with id 'NOPE'" in capsys.readouterr().err


def test_report_command_writes_markdown(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    assert main(["report", str(POLICY), str(EXAMPLES), "--lang", "en", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Batch decision report")
    assert "| 1.1 Manufacturing digital-transformation demonstration project | 2,290,000.13 |" in text


def test_a_report_names_the_input_by_hash_the_engine_and_beijing_time(tmp_path: Path) -> None:
    import hashlib

    from jinjiang_dsl import __version__

    page = tmp_path / "E001.md"
    assert main(["explain", str(POLICY), str(EXAMPLES), "--applicant", "E001", "--lang", "en", "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert f"- Input SHA-256: `{hashlib.sha256(EXAMPLES.read_bytes()).hexdigest()}`" in text
    assert f"- Engine version: jinjiang-dsl {__version__}" in text
    assert re.search(r"- Evaluated at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", text)


def test_notes_are_listed_apart_from_the_numbered_computation_and_a_referral_is_no_refusal(
        policy: Any, evaluated: Any) -> None:
    text = markdown.render(build(policy, evaluated, "E004"), "en")
    numbered = [line for line in text.splitlines() if re.match(r"\d+\. ", line)]
    assert numbered and not any("Interpretation I-" in line for line in numbered)
    assert "**Interpretations that apply**" in text and "- Interpretation I-12: Once per applicant per year" in text
    apps, batch = evaluated
    referred = [(d.id, a) for d in batch.applicants for p in d.groups() for a in p.awards if a.status == "referred"]
    assert referred
    for aid, award in referred:
        assert report.why_not(award) == (), (aid, award.measure)


def test_a_project_no_measure_lists_is_still_in_the_report(tmp_path: Path) -> None:
    apps = tmp_path / "idle.json"
    apps.write_text(json.dumps({"applicants": [{"id": "E1", "kind": "enterprise", "fiscal_contribution": "1000000",
                                                "projects": [{"id": "P1", "date": "2023-06-01", "cloud_service_fee": "60000"},
                                                             {"id": "P2", "date": "2023-07-01"}]}]}), encoding="utf-8")
    for fmt, row in (("md", "| P2 | gives the facts of no measure | | | |"),
                     ("html", '<tr><td>P2</td><td colspan="4">gives the facts of no measure</td></tr>')):
        out = tmp_path / f"r.{fmt}"
        assert main(["explain", str(POLICY), str(apps), "--lang", "en", "--format", fmt, "-o", str(out)]) == 0
        assert row in out.read_text(encoding="utf-8")


def test_the_english_batch_chart_has_room_for_its_labels(policy: Any, evaluated: Any) -> None:
    page = html.render(build(policy, evaluated, is_batch=True), "en")
    label = "1.1 Manufacturing digital-transformation demonstration project"
    assert f"<title>{label}</title>{label}</text>" in page  # whole, not cut with "…"
    widths = [int(w) for w in re.findall(r'<svg [^>]*width="(\d+)"', page)]
    assert widths and all(w <= 810 for w in widths)
    # it shrinks to the page when it must, to no less than 90% (its text unreadable on a phone), and scrolls instead
    assert "svg.chart { max-width: 100%; min-width: var(--least); height: auto; }" in page
    assert all(f'width="{w}" height="{h}" style="--least: {int(w) * 9 // 10}px"' in page
               for w, h in re.findall(r'<svg [^>]*width="(\d+)" height="(\d+)"', page))


def test_a_chart_has_room_for_large_figures_beside_its_bars() -> None:
    # a batch's total of 123,456,789,012.34 yuan was drawn past the chart's right edge and cut to "123,456,789,01",
    # a fall of 9,800,000,000 yuan written leftwards over the bar labels: each text now within the chart, none
    # over another on its line
    from jinjiang_dsl.explain.html import _text_width, bar_chart
    from jinjiang_dsl.explain.impact_report import diverging_chart
    for svg in (bar_chart([("1.1 Measure", Decimal("123456789012.34")), ("2", Decimal(5))], "Granted", " yuan"),
                bar_chart([("granted", Decimal(12345678901))], "Awards"),
                diverging_chart([("1.1", Decimal("13500000000.00")), ("1.2", Decimal("-9800000000.00"))], "Change", " 元")):
        width = int(re.search(r'<svg [^>]*width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
        lines: dict[str, list[tuple[float, float]]] = {}
        for x, y, extra, text in re.findall(r'<text x="(-?\d+)" y="(\d+)"([^>]*)>(?:<title>[^<]*</title>)?([^<]*)</text>',
                                            svg):
            size = _text_width(text)
            end = 'text-anchor="end"' in extra
            lines.setdefault(y, []).append((int(x) - size, int(x)) if end else (int(x), int(x) + size))
        assert len(lines) == svg.count("<rect") + 1  # the title's, and each bar's
        for spans in lines.values():
            spans.sort()
            assert spans[0][0] >= 0 and spans[-1][1] <= width, (spans, width)
            assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans


def test_rules_across_measures_are_cited_and_their_steps_tagged(policy: Any, evaluated: Any) -> None:
    text = markdown.render(build(policy, evaluated, "E004"), "zh")
    cited = text.split("### 适用的跨措施规则", 1)[1]
    assert "#### R2 企业年度补助上限\n\n**条款** 结尾段一\n\n> 同一企业每年累计享受的各类本级补助资金总额以该企业当年对本级财政经济贡献为上限。" in cited
    assert "#### R3 施行期限" in cited and "#### R1" not in cited  # R1 had nothing to choose for E004
    assert re.search(r"^\d+\. \\\[R2\\\] 企业年度补助上限:可用额度 650,000 元", text, re.M)
    # and under its citation, each step the rule took, with its figures and the awards it acted on
    assert ("- I1 · 1.3: 企业年度补助上限:可用额度 650,000 元(当年对本级财政经济贡献 650,000 − 当年已享受的其他本级补助 0);"
            "2023 年度本通知合计 900,000 元,超出部分按比例核减:500,000 × 650,000 ÷ 900,000 = 361,111.111111,"
            "按最大余数法分配后为 361,111.11 元") in cited
    assert "- I1 · 1.3、S1 · 2.1、S2 · 2.1、C1 · 4.1: " not in cited  # a step said once per award, dates differ
    assert "解释 I-9" not in cited  # the interpretations are listed with each award
    page = html.render(build(policy, evaluated, "E004"), "en")
    assert "<li><strong>R2 Enterprise annual cap</strong> — Clause “closing paragraph 1” 「结尾段一」<blockquote" in page
    assert "headroom <span class=\"fig\">650,000 yuan</span> (" in page  # a figure and its unit on one line
    page = re.sub(r'<span class="fig">([^<]*)</span>', r"\1", page)
    assert ('<li><span class="who">S2 · 2.1</span>: Enterprise annual cap: headroom 650,000 yuan (contribution to '
            'municipal finances this year 650,000 − other municipal subsidies this year 0); 900,000 yuan in 2023 exceeds '
            'it, so grants are reduced pro rata: 300,000 × 650,000 ÷ 900,000 = 216,666.666667') in page
    assert "<li>[R2] Enterprise annual cap: headroom 650,000 yuan" in page


def test_the_heading_names_the_input_that_gives_the_applicant_s_kind_and_why_not_skips_an_undecided_ratio(
        tmp_path: Path) -> None:
    # in another notice the first 'one of' input may be anything: "A2 某公司 (重新认定)" said nothing;
    # and a condition not decided for a zero divisor is not a reason: the failing beneficiary is
    source = tmp_path / "tech.pol"
    source.write_text("""policy "科技创新" / "Innovation" {
  dated by declared_on
  rounding 0.01元 half_up
}
applicant {
  declared_on: date "申报日期" / "date of the claim"
  hte: one of { first "首次认定" / "first", renewed "重新认定" / "renewed" } "高企认定情况" / "high-tech recognition"
  above_scale: bool "规上企业" / "above scale"
  rd: money "研发费用" / "R&D"
  revenue: money "营业收入" / "revenue"
}
measure 1 "研发补助" / "R&D subsidy" {
  clause 一
  beneficiary above_scale "规上企业" / "above scale"
  requires rd / revenue >= 3% "研发占比3%以上" / "R&D at least 3% of revenue"
  amount 5% of rd
}
""", encoding="utf-8")
    apps = tmp_path / "apps.json"
    apps.write_text(json.dumps({"applicants": [{"id": "A2", "declared_on": "2024-06-01", "hte": "renewed",
                                                "above_scale": False, "rd": "100", "revenue": "0"}]}),
                    encoding="utf-8")
    page = tmp_path / "A2.md"
    assert main(["explain", str(source), str(apps), "--applicant", "A2", "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "## 申请人 A2 (高企认定情况:重新认定)" in text
    why = text[text.index("**未获补助的原因**"):]
    assert "受益对象不符:规上企业" in why and "条件无法判断" not in why


def test_the_tier_table_shows_a_band_whose_amount_the_facts_decide_as_it_reads() -> None:
    # a band paying '10% of rd' had an empty cell, and the matched row's in bold read '****' in text and Markdown
    p = load_policy(ROOT / "policies" / "shapes" / "s03_ratio_bands.pol")
    apps, batch = p.run({"applicants": [{"id": "X", "projects": [
        {"id": "P1", "date": "2024-06-01", "rd": "400000", "revenue": "10000000"}]}]})
    zh = markdown.render(report.build(p.decider(), apps, batch), "zh")
    assert "| **1** | **[3%, 5%)** | **3%(含)至5%** | **10% × 年度研发费用** | **← 适用** |" in zh
    assert "| 2 | [5%, ∞) | 5%(含)以上 | 15% × 年度研发费用 |  |" in zh and "****" not in zh
    en = html.render(report.build(p.decider(), apps, batch), "en")
    assert '<td class="num">10% × R&amp;D spending of the year</td><td>← applies</td>' in en


@pytest.mark.parametrize(("total", "granted"), [(Decimal(100), None), (Decimal(100), Decimal(0)),
                                                 (Decimal(90), None), (Decimal(90), Decimal(0))])
def test_the_rules_that_keep_a_gain_back_are_named_apart_from_the_sentence(total: Decimal, granted: Any) -> None:
    # "可得增加的 100,000 元因R1 就高不重复而未能给予" ran the rule's id into 因; "stays 100 yuan (R1 …)" and
    # "kept back by R2 Enterprise annual cap and measure 2.1: once …" read as one long name
    from jinjiang_dsl.explain.messages import render
    from jinjiang_dsl.rules.base import Effect
    from jinjiang_dsl.runtime.trace import Label
    rules = (Label("R1 就高不重复", "R1 Highest, not stacked"), Label("R2 企业年度补助上限", "R2 Enterprise annual cap"),
             Label("措施 2.1 每个申请人限一次", "measure 2.1: once per applicant"))
    effect = Effect("x", Label("投入", "investment"), Decimal(5), granted, None if granted is None else Decimal(0),
                    total, Decimal(100), Decimal(10), rules)
    [_, step] = Change("next_tier", "1", None, "1", "x", Decimal(5), Decimal(10), {}, effect).steps()
    zh, en = render(step, "zh"), render(step, "en")
    assert "因“R1 就高不重复”、“R2 企业年度补助上限”、“措施 2.1 每个申请人限一次”" in zh, zh
    assert ('"R1 Highest, not stacked", "R2 Enterprise annual cap" and "measure 2.1: once per applicant"') in en, en


def test_the_allocation_notes_say_which_rows_come_first_in_plain_chinese(policy: Any, evaluated: Any) -> None:
    # "前者先得足额" (the former, of two) read wrongly under a table of six grants, as "余数相同者在前者优先" did
    zh = markdown.render(build(policy, evaluated, "E003"), "zh")
    assert "表中排在前面的先得足额,直至用尽 500,000 元。" in zh
    zh = markdown.render(build(policy, evaluated, "E004"), "zh")
    assert "余下 1 分,加给余数最大者,余数相同的,表中排在前面的优先;合计 650,000 元。" in zh


def test_a_ratio_looked_up_by_thresholds_says_threshold_in_both_languages() -> None:
    # a ratio's thresholds (merged from two changes): the step says 达到门槛 / reaches the threshold, and
    # below the lowest the "no tier" step names the lowest threshold, as thresholds on an input do
    from jinjiang_dsl import policy_from_source
    from jinjiang_dsl.explain.messages import render

    source = (ROOT / "policies" / "shapes" / "s03_ratio_bands.pol").read_text(encoding="utf-8")
    head, _ = source.split("  amount bands on rd_share {")
    p = policy_from_source(head + "  amount thresholds on rd_share {\n    3%以上: 10% of rd\n    5%以上: 15% of rd\n  }\n}\n")

    def steps(rd: str) -> list[Any]:
        [app] = p.run({"applicants": [{"id": "X", "projects": [
            {"id": "P1", "date": "2024-06-01", "rd": rd, "revenue": "10000000"}]}]})[1].applicants
        return [s for s in app.projects[0].awards[0].trace if s.kind in ("tier", "tier_none")]

    [reached] = steps("400000")
    assert "4% 达到门槛 [3%, ∞)" in render(reached, "zh") and "reaches the threshold [3%, ∞)" in render(reached, "en")
    [none] = steps("200000")
    assert "最低门槛为 [3%, ∞)" in render(none, "zh") and "the lowest threshold is [3%, ∞)" in render(none, "en")
