"""Each of the twelve measures, one applicant with one project, against hand-worked numbers.

Source of truth: shared/spec/measures.md (the reading of the notice) and io-contract.md. Every
case's id carries its arithmetic; the cases live in jj_cases.MEASURE_CASES so test_backends can
run them through both backends too (evaluate() already compares the backends on every call).
"""

from __future__ import annotations

import pytest
from jj_cases import (
    MEASURE_CASES,
    Case,
    app_32,
    applicant,
    award_triple,
    demo_11,
    doc,
    enterprise,
    evaluate,
    find_applicant,
    find_award,
    g5,
    platform,
    project,
    provider,
    trace_text,
)


@pytest.mark.parametrize("case", MEASURE_CASES, ids=[c.id for c in MEASURE_CASES])
def test_measure_case(case: Case) -> None:
    out = evaluate(case.document())
    award = find_award(out, case.measure)
    assert award_triple(award) == (case.status, case.entitlement, case.amount)
    app = find_applicant(out, "A1")
    granted = case.amount if case.status == "granted" else "0.00"
    assert app["total"] == granted
    assert out["summary"]["total"] == granted
    if case.status == "granted":
        assert out["summary"]["by_measure"] == {case.measure: granted}
    else:
        assert out["summary"]["by_measure"] == {}


def test_every_measure_has_cases() -> None:
    measures = {c.measure for c in MEASURE_CASES}
    assert measures == {"1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "4.1", "5.1", "5.2", "6.1"}
    granted = {c.measure for c in MEASURE_CASES if c.status == "granted"}
    assert granted == measures - {"5.2", "6.1"}


# ---------------------------------------------------------------------- explanations of the amounts


def test_cap_binding_is_explained() -> None:
    # 20% of 5,000,001 = 1,000,000.2 > 1,000,000: the trace says the cap binds
    award = find_award(evaluate(doc(enterprise(project(**demo_11("5000001"))))), "1.1")
    text = trace_text(award)
    assert "1,000,000.2 yuan exceeds the per-project cap of 1,000,000 yuan; the cap binds" in text
    cap = [s for s in award["trace"] if s["kind"] == "cap"][0]
    assert cap["limit"] == "1000000.00" and cap["value"] == "1000000.00"


def test_cap_not_binding_is_explained() -> None:
    # just below, at and above the cap: not reached, reached exactly (not "not reached"), bound
    below = find_award(evaluate(doc(enterprise(project(**demo_11("4999999.95"))))), "1.1")
    assert "Per-project cap not reached: 999,999.990 ≤ 1,000,000 yuan" in trace_text(below)
    at = find_award(evaluate(doc(enterprise(project(**demo_11("5000000"))))), "1.1")
    assert "The per-project cap is reached exactly: 1,000,000 = 1,000,000 yuan" in trace_text(at)
    above = find_award(evaluate(doc(enterprise(project(**demo_11("5000000.05"))))), "1.1")
    assert "Cap: 1,000,000.010 yuan exceeds the per-project cap of 1,000,000 yuan; the cap binds" in trace_text(above)


def test_trace_figures_before_rounding_are_written_exactly() -> None:
    # 3,000,000.50 × 25% = 750,000.125: the JSON step carries that figure, not a second (half-even) rounding of it;
    # only the declared rounding step writes 750,000.13
    award = find_award(evaluate(doc(enterprise(project(**demo_11("3000000.50", park=True))))), "1.1")
    values = {s["kind"]: s["value"] for s in award["trace"] if "value" in s}
    assert values["rate"] == "750000.125" and values["cap"] == "750000.125"
    assert values["round"] == "750000.13" == award["amount"]
    # 0.025 × 20% = 0.005: neither figure written as 0.02 or 0.00
    small = find_award(evaluate(doc(enterprise(project(**demo_11("0.025"))))), "1.1")
    figures = {s["kind"]: s["value"] for s in small["trace"] if "value" in s}
    assert figures["base"] == "0.025" and figures["rate"] == "0.005" and figures["round"] == "0.01"


def test_the_rounding_step_names_the_unit_of_its_result_in_english_as_in_chinese() -> None:
    # "按 0.01 元四舍五入:750,000.1250 → 750,000.13 元" was "Rounded half-up to 0.01 yuan: 750,000.1250 → 750,000.13"
    award = find_award(evaluate(doc(enterprise(project(**demo_11("3000000.50", park=True))))), "1.1")
    assert "Rounded half-up to 0.01 yuan: 750,000.1250 → 750,000.13 yuan" in trace_text(award).splitlines()


def test_higher_rate_explained_for_park_key_project() -> None:
    award = find_award(evaluate(doc(enterprise(project(**demo_11("1000000", park=True))))), "1.1")
    text = trace_text(award)
    assert "Provision for this case applies: Quanzhou park standardisation key project ✓" in text
    assert "Rate 25% (because: Quanzhou park standardisation key project): 1,000,000 × 25% = 250,000" in text


def test_31_both_conditions_named_in_explanation() -> None:
    both = find_award(evaluate(doc(enterprise(project(**platform(
        "3000000", leading_enterprise_initiated=True, sme_interconnected=True))))), "3.1")
    assert "Provision for this case applies: initiated by a leading enterprise and interconnected with SMEs ✓" in trace_text(both)
    assert "600,000 yuan exceeds the per-project cap of 500,000 yuan" in trace_text(both)
    one = find_award(evaluate(doc(enterprise(project(**platform("3000000", sme_interconnected=True))))), "3.1")
    assert "Provision for this case does not apply" in trace_text(one)
    # with the facts it read, as for a requirement: which part failed can be seen
    assert "interconnected with SMEs ✗ (initiated by a leading enterprise no and " in trace_text(one)
    assert "450,000 yuan exceeds the per-project cap of 250,000 yuan" in trace_text(one)


@pytest.mark.parametrize(("value", "words", "interval", "in_english", "tier"), [
    ("500000", "50万元(含)—100万元", "[50万, 100万)", "[500,000, 1,000,000)", 1),
    ("999999.99", "50万元(含)—100万元", "[50万, 100万)", "[500,000, 1,000,000)", 1),
    ("1000000", "100万元(含)—200万元", "[100万, 200万)", "[1,000,000, 2,000,000)", 2),
    ("3000000", "300万元以上", "[300万, ∞)", "[3,000,000, ∞)", 4),
])
def test_22_tier_and_boundary_kind_in_trace(value: str, words: str, interval: str, in_english: str,
                                            tier: int) -> None:
    document = doc(enterprise(project(mis_software_spend=value), manufacturer=True))
    [step] = [s for s in find_award(evaluate(document), "2.2")["trace"] if s["kind"] == "tier"]
    assert step["tier"] == tier
    assert step["interval"] == interval  # the contract's field: the notice's own notation
    # the sentence writes figures as its language does; the notice's words stay quoted as they are
    assert f"∈ {in_english}" in step["text"] and words in step["text"]
    [zh] = [s for s in find_award(evaluate(document, "zh"), "2.2")["trace"] if s["kind"] == "tier"]
    assert f"∈ {interval}" in zh["text"]


def test_23_exclusive_boundary_in_trace() -> None:
    award = find_award(evaluate(doc(enterprise(project(cloud_service_fee="100000"), above_scale_industrial=True))),
                       "2.3")
    [step] = [s for s in award["trace"] if s["kind"] == "tier"]
    assert step["interval"] == "(5万, ∞)" and step["tier"] == 1
    nothing = find_award(evaluate(doc(enterprise(project(cloud_service_fee="50000"), above_scale_industrial=True))),
                         "2.3")
    assert "reaches no tier" in trace_text(nothing)


def test_21_earmark_shown() -> None:
    award = find_award(evaluate(doc(provider(project(sme_adopters=50)))), "2.1")
    [step] = [s for s in award["trace"] if s["kind"] == "earmark"]
    assert "earmarked for platform system development" in step["text"]
    zh = find_award(evaluate(doc(provider(project(sme_adopters=50))), "zh"), "2.1")
    [step] = [s for s in zh["trace"] if s["kind"] == "earmark"]
    assert "专项用于补助工业互联网平台系统开发投入" in step["text"]


# ---------------------------------------------------------------------- missing facts: not eligible, named


def test_11_a_project_of_hardware_alone_is_paid_on_its_hardware() -> None:
    # J-3: the base is software + hardware ("软件系统、硬件设备投入金额"); the one not given counts 0
    award = find_award(evaluate(doc(enterprise(project(**demo_11(None, "2000000"))))), "1.1")
    assert award_triple(award) == ("granted", "400000.00", "400000.00")
    assert "J-3" in trace_text(award)
    neither = find_award(evaluate(doc(enterprise(project(**demo_11(None))))), "1.1")
    assert award_triple(neither) == ("not_eligible", "0.00", "0.00")
    assert "The amount comes to 0 yuan: nothing is granted" in trace_text(neither)


@pytest.mark.parametrize(("app", "measure", "named_en", "named_zh"), [
    # industry missing: the first requirement fails for want of it
    (enterprise(project(selected_demo=True, completed_in_year=True, promotes_adoption=True,
                        software_investment="1000000")), "1.1", "industry", "所属产业"),
    (enterprise(project(**g5(None))), "1.2", "project investment recognised by Quanzhou", "泉州市认定的项目投入"),
    (provider(project(quanzhou_iiot_demo=True)), "1.3", "IT investment recognised by Quanzhou",
     "泉州市认定的信息化相关软硬件投资额"),
    (enterprise(project(platform_landed=True)), "3.1", "platform IT investment", "平台信息化相关软硬件投资额"),
    (enterprise(project(**app_32(None))), "3.2", "service spending in the prior year", "上年度实际服务支出"),
    (provider(project(enterprises_diagnosed=25)), "4.1", "diagnosed enterprises that started transformation",
     "实质启动数字化转型的企业数"),
    (provider(project(enterprises_started=5)), "4.1", "enterprises given free diagnosis",
     "提供公益诊断咨询服务的企业数"),
    (enterprise(project(quanzhou_approved_subsidy="100000", quanzhou_5g_demo=True)),
     "1.2", "project investment recognised by Quanzhou", "泉州市认定的项目投入"),
])
def test_missing_fact_is_not_eligible_and_named(app: dict, measure: str, named_en: str, named_zh: str) -> None:
    out = evaluate(doc(app))
    award = find_award(out, measure)
    assert award["status"] == "not_eligible"
    assert award["amount"] == "0.00"
    assert find_applicant(out, "A1")["errors"] == []  # not an input error
    text = trace_text(award)
    assert named_en.lower() in text.lower() and "not provided" in text  # a sentence opens with a capital
    zh = trace_text(find_award(evaluate(doc(app), "zh"), measure))
    assert named_zh in zh and "未提供" in zh


def test_missing_fiscal_figures_do_not_matter_without_grants() -> None:
    # No grant, so R2 needs no fiscal_contribution: not an error
    out = evaluate(doc(applicant("enterprise", project(mis_software_spend="100"), manufacturer=True)))
    app = find_applicant(out, "A1")
    assert app["status"] == "ok" and app["errors"] == []


# ---------------------------------------------------------------------- I-5: the 1.2 cross-check


def test_i5_warning_when_figures_differ() -> None:
    # 15% × 400,000 = 60,000; 50% × 100,000 = 50,000: warning naming both; the investment decides
    award = find_award(evaluate(doc(enterprise(project(**g5("400000", quanzhou_approved_subsidy="100000"))))), "1.2")
    assert (award["status"], award["entitlement"], award["amount"]) == ("granted", "60000.00", "60000.00")
    [warning] = award["warnings"]
    assert "50,000" in warning and "60,000" in warning
    assert warning == ("Cross-check differs: 50% of the subsidy approved by Quanzhou is 50,000 yuan, the formula "
                       "gives 60,000 yuan before any cap; the formula decides")
    document = doc(enterprise(project(**g5("400000", quanzhou_approved_subsidy="100000"))))
    [zh] = find_award(evaluate(document, "zh"), "1.2")["warnings"]
    assert "50,000" in zh and "60,000" in zh


def test_i5_warning_compares_before_the_cap() -> None:
    # 15% × 800,000 = 120,000 (capped to 100,000); 50% × 200,000 = 100,000 ≠ 120,000 → warning
    award = find_award(evaluate(doc(enterprise(project(**g5("800000", quanzhou_approved_subsidy="200000"))))), "1.2")
    assert award["amount"] == "100000.00"
    [warning] = award["warnings"]
    assert "is 100,000 yuan, the formula gives 120,000 yuan before any cap; the formula decides" in warning


@pytest.mark.parametrize("subsidy", [None, "120000", "120000.00"])
def test_i5_no_warning_when_figures_agree_or_subsidy_absent(subsidy: str | None) -> None:
    # 15% × 400,000 = 60,000 = 50% × 120,000: nothing to warn about; no subsidy given: nothing to compare
    extra = {} if subsidy is None else {"quanzhou_approved_subsidy": subsidy}
    award = find_award(evaluate(doc(enterprise(project(**g5("400000", **extra))))), "1.2")
    assert award["amount"] == "60000.00"
    assert "warnings" not in award or award["warnings"] == []


def test_i5_warning_kept_when_r2_reduces_the_amount() -> None:
    # The award carries its warning even when R2 reduces its amount (fiscal 30,000 < 60,000)
    out = evaluate(doc(enterprise(project(**g5("400000", quanzhou_approved_subsidy="100000")),
                                  fiscal_contribution="30000")))
    award = find_award(out, "1.2")
    assert (award["entitlement"], award["amount"]) == ("60000.00", "30000.00")
    assert len(award["warnings"]) == 1


# ---------------------------------------------------------------------- output shape for one measure


def test_money_strings_have_two_decimals() -> None:
    out = evaluate(doc(enterprise(project(**demo_11("1234567.891")))))  # 20% = 246,913.5782 → 246,913.58
    award = find_award(out, "1.1")
    assert award_triple(award) == ("granted", "246913.58", "246913.58")
    assert out["summary"]["total"] == "246913.58"


def test_beneficiary_failure_is_explained() -> None:
    award = find_award(evaluate(doc(enterprise(project(sme_adopters=50)))), "2.1")
    assert "Not a beneficiary" in trace_text(award)
    assert "enterprise" in trace_text(award)


def test_fiscal_figure_defaults() -> None:
    # other_municipal_subsidies defaults to 0: headroom = fiscal_contribution
    out = evaluate(doc(enterprise(project(**app_32("100000")), fiscal_contribution="15000")))
    assert find_award(out, "3.2")["amount"] == "15000.00"


def test_i5_compares_exactly_beyond_28_digits() -> None:
    # 15% × 333,333,333,333,333.3333333333333333333 = 49,999,999,999,999.999999999999999999995 (35 digits)
    # 50% × 99,999,999,999,999.99999999999999999998 = 49,999,999,999,999.99999999999999999999
    # They differ in the 35th digit: a warning (I-5). In 28-digit arithmetic both would read
    # 50,000,000,000,000 and the warning would be lost. The per-project cap makes it 100,000.
    project_facts = g5("333333333333333.3333333333333333333",
                       quanzhou_approved_subsidy="99999999999999.99999999999999999998")
    award = find_award(evaluate(doc(enterprise(project(**project_facts)))), "1.2")
    assert award_triple(award) == ("granted", "100000.00", "100000.00")
    [warning] = award["warnings"]
    assert "is 49,999,999,999,999.99999999999999999999" in warning  # written …990: 50% carries a digit
    assert "gives 49,999,999,999,999.999999999999999999995 yuan" in warning

