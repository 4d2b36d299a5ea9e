"""The rules across measures: R1 (highest, not stacked), 1.2's annual cap (I-4), R2 (the annual
limit with the largest-remainder split, I-9), R3 (validity), once a year, the 1.1 quota warning
(I-3), which awards are listed, and the batch summary.

Expected numbers are worked by hand from shared/spec/measures.md; every evaluate() also checks
that the compiled evaluator and the interpreter agree.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from jj_cases import (
    POLICY_PATH,
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
    iiot,
    platform,
    project,
    provider,
    trace_text,
)

MFR_ABOVE = {"manufacturer": True, "above_scale_industrial": True}


def r1_steps(award: dict) -> list[dict]:
    return [s for s in award["trace"] if s["rule"] == "R1" and s["kind"] == "highest"]


# ====================================================================== R1 就高不重复


def test_r1_highest_wins_losers_superseded_naming_the_winner() -> None:
    # One project: 1.1 20% × 1,000,000 = 200,000; 2.2 [100万, 200万) → 100,000; 2.3 > 10万 → 60,000
    p = project(**demo_11("1000000"), mis_software_spend="1000000", cloud_service_fee="100000.01")
    out = evaluate(doc(enterprise(p, **MFR_ABOVE)))
    win, l22, l23 = (find_award(out, m) for m in ("1.1", "2.2", "2.3"))
    assert award_triple(win) == ("granted", "200000.00", "200000.00")
    assert award_triple(l22) == ("superseded", "100000.00", "0.00")
    assert award_triple(l23) == ("superseded", "60000.00", "0.00")
    # the winner's explanation lists each loser with its amount
    [won] = r1_steps(win)
    assert "not stacked: 2.2 (100,000 yuan); 2.3 (60,000 yuan)" in won["text"]
    # each loser names the winner, the winner's amount and its own
    for loser, own in ((l22, "100,000"), (l23, "60,000")):
        [lost] = r1_steps(loser)
        assert "1.1" in lost["text"] and "200,000" in lost["text"] and own in lost["text"]
    assert find_applicant(out, "A1")["total"] == "200000.00"
    assert out["summary"]["by_measure"] == {"1.1": "200000.00"}


def test_r1_winner_lists_a_lower_numbered_loser_at_its_own_amount() -> None:
    # 1.2 (60,000) is decided before 2.2 (300,000) wins: it was listed at 0, its amount read after it lost
    p = project(mis_software_spend="3000000", **g5("400000"))
    out = evaluate(doc(enterprise(p, **MFR_ABOVE)))
    [won] = r1_steps(find_award(out, "2.2"))
    assert "the highest is measure 2.2 (300,000 yuan); not stacked: 1.2 (60,000 yuan)" in won["text"]


def test_r1_the_choice_stands_says_whether_the_reduced_winner_is_still_above_the_loser() -> None:
    # 3.1 wins at 500,000 over 2.3's 30,000; R2 cuts it to 50,000 — still not below 30,000
    p = project(platform_landed=True, platform_it_investment="3000000", leading_enterprise_initiated=True,
                sme_interconnected=True, cloud_service_fee="80000")
    out = evaluate(doc(enterprise(p, fiscal_contribution="50000", **MFR_ABOVE)))
    text = trace_text(find_award(out, "2.3"))
    assert ("the winner, measure 3.1, was reduced to 50,000 yuan (from 500,000 yuan) by the rules applied after it, still not "
            "below this measure's 30,000 yuan") in text
    assert "below this measure's 30,000 yuan, but" not in text


def test_r1_is_per_project_not_across_projects() -> None:
    # 2.2 on P1 and 2.3 on P2: both granted (R1 compares measures of one project only)
    out = evaluate(doc(enterprise(project("P1", mis_software_spend="500000"),
                                  project("P2", cloud_service_fee="60000"), **MFR_ABOVE)))
    assert award_triple(find_award(out, "2.2", "P1")) == ("granted", "50000.00", "50000.00")
    assert award_triple(find_award(out, "2.3", "P2")) == ("granted", "30000.00", "30000.00")
    assert find_applicant(out, "A1")["total"] == "80000.00"


@pytest.mark.parametrize(("facts", "winner", "losers", "amount"), [
    # 1.2 15% × 400,000 = 60,000 ties 2.3 (> 10万) 60,000 → 1.2
    ({**g5("400000"), "cloud_service_fee": "100000.01"}, "1.2", ["2.3"], "60000.00"),
    # 2.2 [50万, 100万) 50,000 ties 3.2 15% × 400,000 = 60,000 capped at 50,000 → 2.2
    ({"mis_software_spend": "500000", **app_32("400000")}, "2.2", ["3.2"], "50000.00"),
    # three-way tie at 100,000: 1.2 (capped), 2.2 [100万, 200万), 3.1 15% × 666,666.66 = 99,999.999 → 100,000.00
    ({**g5("800000"), "mis_software_spend": "1000000", **platform("666666.66")}, "1.2", ["2.2", "3.1"],
     "100000.00"),
])
def test_r1_tie_goes_to_lower_measure_number(facts: dict, winner: str, losers: list[str], amount: str) -> None:
    out = evaluate(doc(enterprise(project(**facts), **MFR_ABOVE)))
    assert award_triple(find_award(out, winner)) == ("granted", amount, amount)
    [won] = r1_steps(find_award(out, winner))
    assert won["kind"] == "highest"
    for m in losers:
        loser = find_award(out, m)
        assert award_triple(loser) == ("superseded", amount, "0.00")
        [lost] = r1_steps(loser)
        assert winner in lost["text"]
    # the tie rule, I-8, is shown
    assert "I-8" in trace_text(find_award(out, losers[0]))


@pytest.mark.parametrize("other", ["300000", "300000.00", "300000.01", "1000000"])
def test_r1_other_policy_award_at_least_best_supersedes_everything(other: str) -> None:
    # 2.2 300万以上 → 300,000; 2.3 → 60,000; other policy ≥ 300,000 → nothing here
    p = project(mis_software_spend="3000000", cloud_service_fee="200000", other_policy_award=other)
    out = evaluate(doc(enterprise(p, **MFR_ABOVE)))
    assert award_triple(find_award(out, "2.2")) == ("superseded", "300000.00", "0.00")
    assert award_triple(find_award(out, "2.3")) == ("superseded", "60000.00", "0.00")
    for m in ("2.2", "2.3"):  # each step states both figures compared: the other award and the best here
        text = r1_steps(find_award(out, m))[0]["text"]
        assert "another policy" in text and f"{Decimal(other).normalize():,f}" in text and "not less than the 300,000 yuan" in text
    assert find_applicant(out, "A1")["total"] == "0.00"
    assert out["summary"]["by_measure"] == {}


def test_r1_other_policy_award_below_best_is_granted_here() -> None:
    # other 299,999.99 < best 300,000 → 2.2 granted, 2.3 superseded by 2.2
    p = project(mis_software_spend="3000000", cloud_service_fee="200000", other_policy_award="299999.99")
    out = evaluate(doc(enterprise(p, **MFR_ABOVE)))
    win = find_award(out, "2.2")
    assert award_triple(win) == ("granted", "300000.00", "300000.00")
    assert any("299,999.99" in s["text"] and "another policy" in s["text"] for s in r1_steps(win))
    assert award_triple(find_award(out, "2.3")) == ("superseded", "60000.00", "0.00")


def test_r1_other_policy_award_with_single_candidate() -> None:
    # 1.2 60,000 alone; other policy 60,000 → superseded; 59,999.99 → granted
    out = evaluate(doc(enterprise(project(**g5("400000"), other_policy_award="60000"))))
    assert award_triple(find_award(out, "1.2")) == ("superseded", "60000.00", "0.00")
    assert "not less than the 60,000 yuan this notice would give" in r1_steps(find_award(out, "1.2"))[0]["text"]
    out = evaluate(doc(enterprise(project(**g5("400000"), other_policy_award="59999.99"))))
    assert award_triple(find_award(out, "1.2")) == ("granted", "60000.00", "60000.00")


def test_r1_referred_and_not_eligible_do_not_compete() -> None:
    # 6.1 referred and 2.3 not eligible (fee 50,000) beside 2.2 granted
    p = project(mis_software_spend="500000", cloud_service_fee="50000", financing_request=True)
    out = evaluate(doc(enterprise(p, **MFR_ABOVE)))
    assert award_triple(find_award(out, "2.2")) == ("granted", "50000.00", "50000.00")
    assert award_triple(find_award(out, "2.3")) == ("not_eligible", "0.00", "0.00")
    assert award_triple(find_award(out, "6.1")) == ("referred", None, None)
    assert r1_steps(find_award(out, "2.2")) == []  # only one candidate: nothing to compare


# ====================================================================== 1.2 annual cap 50万 (I-4)


def test_12_annual_cap_in_input_order_with_partial_and_zero() -> None:
    # 2023, in input order: 100,000 ×4 (15% × 800,000 capped), 60,000 (15% × 400,000) → 460,000;
    # G6 100,000 → only 40,000 left; G7 60,000 → 0. The dates run backwards: input order decides.
    projects = [project(f"G{i}", f"2023-12-{20 - i:02d}", **g5(inv))
                for i, inv in enumerate(["800000", "800000", "800000", "800000", "400000", "800000", "400000"], 1)]
    projects.append(project("G8", "2024-03-01", **g5("800000")))  # another year: a fresh 500,000
    out = evaluate(doc(enterprise(*projects)))
    got = [award_triple(find_award(out, "1.2", f"G{i}")) for i in range(1, 9)]
    assert got == [
        ("granted", "100000.00", "100000.00"),
        ("granted", "100000.00", "100000.00"),
        ("granted", "100000.00", "100000.00"),
        ("granted", "100000.00", "100000.00"),
        ("granted", "60000.00", "60000.00"),
        ("granted", "100000.00", "40000.00"),
        ("granted", "60000.00", "0.00"),
        ("granted", "100000.00", "100000.00"),
    ]
    g6 = trace_text(find_award(out, "1.2", "G6"))
    assert "460,000" in g6 and "100,000" in g6 and "40,000" in g6 and "500,000" in g6
    assert find_applicant(out, "A1")["total"] == "600000.00"  # 500,000 (2023) + 100,000 (2024)
    assert out["summary"]["by_measure"] == {"1.2": "600000.00"}


def test_12_annual_cap_exactly_reached_is_not_reduced() -> None:
    # 5 × 100,000 = 500,000: nothing reduced
    out = evaluate(doc(enterprise(*[project(f"G{i}", **g5("700000")) for i in range(5)])))
    assert all(find_award(out, "1.2", f"G{i}")["amount"] == "100000.00" for i in range(5))
    assert find_applicant(out, "A1")["total"] == "500000.00"
    # the last grant brings the year to the cap: said as reaching it, not as "under it"
    assert ("500,000 yuan in 2023 up to and including this project reaches it exactly; this project is not reduced"
            in trace_text(find_award(out, "1.2", "G4")))
    assert "within the cap" in trace_text(find_award(out, "1.2", "G3"))


def test_12_annual_cap_does_not_revisit_r1_i10() -> None:
    # 5 × 100,000 fill the cap; G6's 1.2 (100,000) beat 2.3 (60,000) in R1, then the cap cuts 1.2 to 0:
    # 2.3 stays superseded (I-10)
    projects = [project(f"G{i}", **g5("700000")) for i in range(1, 6)]
    projects.append(project("G6", **g5("700000"), cloud_service_fee="100000.01"))
    out = evaluate(doc(enterprise(*projects, **MFR_ABOVE)))
    assert award_triple(find_award(out, "1.2", "G6")) == ("granted", "100000.00", "0.00")
    assert award_triple(find_award(out, "2.3", "G6")) == ("superseded", "60000.00", "0.00")
    assert find_applicant(out, "A1")["total"] == "500000.00"


def test_12_annual_cap_is_per_applicant() -> None:
    out = evaluate(doc(enterprise(*[project(f"G{i}", **g5("700000")) for i in range(6)], aid="A1"),
                       enterprise(*[project(f"G{i}", **g5("700000")) for i in range(2)], aid="A2")))
    assert find_applicant(out, "A1")["total"] == "500000.00"
    assert find_applicant(out, "A2")["total"] == "200000.00"


# ====================================================================== R2 annual limit


def test_r2_within_headroom_untouched() -> None:
    # 1.1 200,000 + 2.3 60,000 = 260,000 ≤ 300,000 − 40,000 = 260,000
    out = evaluate(doc(enterprise(project("P1", **demo_11("1000000")), project("P2", cloud_service_fee="100000.01"),
                                  fiscal_contribution="300000", other_municipal_subsidies="40000", **MFR_ABOVE)))
    assert find_award(out, "1.1", "P1")["amount"] == "200000.00"
    assert find_award(out, "2.3", "P2")["amount"] == "60000.00"
    assert "260,000 yuan in all in 2023 reaches it exactly; nothing is reduced" in trace_text(find_award(out, "1.1", "P1"))
    assert find_applicant(out, "A1")["total"] == "260000.00"


def test_r2_over_headroom_pro_rata() -> None:
    # 1.3 500,000 + 2.1 200,000 + 4.1 100,000 = 800,000 > 650,000: × 0.8125 → 406,250 / 162,500 / 81,250
    out = evaluate(doc(provider(project("I1", **iiot("12000000")), project("S1", sme_adopters=20),
                                project("C1", enterprises_diagnosed=20, enterprises_started=4),
                                fiscal_contribution="650000")))
    assert award_triple(find_award(out, "1.3", "I1")) == ("granted", "500000.00", "406250.00")
    assert award_triple(find_award(out, "2.1", "S1")) == ("granted", "200000.00", "162500.00")
    assert award_triple(find_award(out, "4.1", "C1")) == ("granted", "100000.00", "81250.00")
    assert find_applicant(out, "A1")["total"] == "650000.00"


def _r2_case(amounts_inv: list[str], fiscal: str, other: str | None = None) -> dict:
    """A provider with one 1.3 project per investment (5% each, so amount = investment / 20)."""
    facts = {"fiscal_contribution": fiscal}
    if other is not None:
        facts["other_municipal_subsidies"] = other
    projects = [project(f"P{i}", **iiot(inv)) for i, inv in enumerate(amounts_inv, 1)]
    return evaluate(doc(provider(*projects, **facts)))


def _amounts(out: dict, n: int) -> list[str]:
    return [find_award(out, "1.3", f"P{i}")["amount"] for i in range(1, n + 1)]


def test_r2_largest_remainder_ties_go_to_earlier_project() -> None:
    # grants 100, 100, 400 (5% of 2,000 / 2,000 / 8,000), headroom 100:
    # exact shares 16.666…, 16.666…, 66.666…; floors 16.66 + 16.66 + 66.66 = 99.98, 2 fen left;
    # remainders all equal (2/3 fen) → the two earliest projects get them (I-9).
    # Rounding each share half-up would give 16.67 + 16.67 + 66.67 = 100.01 ≠ 100.
    out = _r2_case(["2000", "2000", "8000"], "100")
    assert _amounts(out, 3) == ["16.67", "16.67", "66.66"]
    assert find_applicant(out, "A1")["total"] == "100.00"
    assert [find_award(out, "1.3", f"P{i}")["entitlement"] for i in (1, 2, 3)] == ["100.00", "100.00", "400.00"]


def test_r2_largest_remainder_uneven() -> None:
    # grants 300, 500, 700 (total 1,500), headroom 1,000: exact 200, 333.333…, 466.666…;
    # floors 200.00 + 333.33 + 466.66 = 999.99, 1 fen left → largest remainder (P3, 2/3 fen), not the earliest
    out = _r2_case(["6000", "10000", "14000"], "1000")
    assert _amounts(out, 3) == ["200.00", "333.33", "466.67"]
    assert find_applicant(out, "A1")["total"] == "1000.00"


def test_r2_largest_remainder_four_parts_with_other_subsidies() -> None:
    # grants 1,234.56 / 2,345.67 / 3,456.78 / 4,567.89 (5% of 20×), total 11,604.90 = 1,160,490 fen;
    # headroom 12,345.67 − 9,345.67 = 3,000.00 = 300,000 fen. Share in fen = c × 300,000 / 1,160,490:
    #   123,456 → 31,914.7946 | 234,567 → 60,638.2649 | 345,678 → 89,361.7351 | 456,789 → 118,085.2054
    # floors add to 299,998: 2 fen left → the two largest remainders, P1 (.7946) and P3 (.7351)
    out = _r2_case(["24691.20", "46913.40", "69135.60", "91357.80"], "12345.67", "9345.67")
    assert [find_award(out, "1.3", f"P{i}")["entitlement"] for i in range(1, 5)] == [
        "1234.56", "2345.67", "3456.78", "4567.89"]
    assert _amounts(out, 4) == ["319.15", "606.38", "893.62", "1180.85"]
    assert find_applicant(out, "A1")["total"] == "3000.00"


def test_r2_largest_remainder_picks_by_remainder_then_order() -> None:
    # grants 10.00, 10.00, 10.01 (total 30.01), headroom 10.00 → in fen: 1000·1000/3001 = 333.222…,
    # 333.222…, 1001·1000/3001 = 333.555…; floors 333 + 333 + 333 = 999, 1 fen left → P3 (largest remainder)
    out = _r2_case(["200", "200", "200.20"], "10")
    assert _amounts(out, 3) == ["3.33", "3.33", "3.34"]
    # and with P3 first in input: same shares, the fen still follows the remainder
    out = _r2_case(["200.20", "200", "200"], "10")
    assert _amounts(out, 3) == ["3.34", "3.33", "3.33"]


def test_r2_parts_always_add_up_to_headroom() -> None:
    # seven awkward grants; the split must add up to the headroom exactly, each part within 1 fen of exact
    invs = ["1234.56", "7777.77", "20", "999999.99", "31415.92", "2718.28", "16180.34"]
    headroom = Decimal("12345.67")
    out = _r2_case(invs, str(headroom))
    grants = [Decimal(find_award(out, "1.3", f"P{i}")["entitlement"]) for i in range(1, 8)]
    parts = [Decimal(a) for a in _amounts(out, 7)]
    assert sum(parts) == headroom
    total = sum(grants)
    for g, part in zip(grants, parts):
        exact = g * headroom / total
        assert part - Decimal("0.01") < exact <= part + Decimal("0.01")
    assert find_applicant(out, "A1")["total"] == "12345.67"


def test_r2_sub_fen_headroom_is_rounded_down() -> None:
    # headroom 100.009 → 100.00 (never above the contribution); grants 100 + 400 → 20.00 + 80.00
    out = _r2_case(["2000", "8000"], "100.009")
    assert _amounts(out, 2) == ["20.00", "80.00"]


def test_r2_headroom_never_below_zero() -> None:
    # other subsidies 500 > contribution 100: headroom 0, everything reduced to 0
    out = _r2_case(["2000", "8000"], "100", "500")
    assert _amounts(out, 2) == ["0.00", "0.00"]
    assert [find_award(out, "1.3", p)["entitlement"] for p in ("P1", "P2")] == ["100.00", "400.00"]
    assert find_applicant(out, "A1")["total"] == "0.00"
    assert out["summary"]["total"] == "0.00"
    assert out["summary"]["by_measure"] == {}
    # the negative limit is shown, and that it counts as 0
    step = next(s for s in find_award(out, "1.3", "P1")["trace"] if s["rule"] == "R2")
    assert ("headroom 0 yuan (contribution to municipal finances this year 100 − other municipal subsidies this "
            "year 500 = −400, so 0)") in step["text"]  # a minus sign, as in "100 − 500", not a hyphen
    assert "= -" not in step["text"] and step.get("limit") == "0.00"  # the figures of the JSON are untouched


def test_r2_headroom_zero_contribution() -> None:
    out = _r2_case(["2000"], "0")
    assert _amounts(out, 1) == ["0.00"]


def test_r2_applies_after_the_12_cap() -> None:
    # 1.2: 6 × 100,000 → 500,000 after I-4; R2 headroom 250,000 → each of the 5 full grants 50,000,
    # the sixth (0 after the cap) stays 0
    projects = [project(f"G{i}", **g5("700000")) for i in range(1, 7)]
    out = evaluate(doc(enterprise(*projects, fiscal_contribution="250000")))
    assert [find_award(out, "1.2", f"G{i}")["amount"] for i in range(1, 7)] == ["50000.00"] * 5 + ["0.00"]
    assert find_applicant(out, "A1")["total"] == "250000.00"


@pytest.mark.parametrize("kind", ["association", "college"])
def test_r2_not_applicable_to_association_or_college(kind: str) -> None:
    # association: 5.1 3 × 50,000 = 150,000 despite a fiscal contribution of 0 (not an enterprise);
    # college: 5.2 referred; neither needs a fiscal contribution
    facts = {"qualified_sessions": 3} if kind == "association" else {"college_program": True}
    for extra in ({"fiscal_contribution": "0", "other_municipal_subsidies": "10"}, {}):
        out = evaluate(doc(applicant(kind, project(**facts), **extra)))
        app = find_applicant(out, "A1")
        assert app["status"] == "ok" and app["errors"] == []
        if kind == "association":
            award = find_award(out, "5.1")
            assert award_triple(award) == ("granted", "150000.00", "150000.00")
            assert any(s["rule"] == "R2" and s["text"] == "Enterprise annual cap does not apply: it binds an "
                       "enterprise (providers included) only; this applicant: applicant kind industry association"
                       for s in award["trace"])
            assert app["total"] == "150000.00"
        else:
            assert award_triple(find_award(out, "5.2")) == ("referred", None, None)


def test_r2_missing_fiscal_contribution_with_a_grant_is_an_error_with_path() -> None:
    out = evaluate(doc(
        applicant("association", project(qualified_sessions=1), aid="OK1"),
        applicant("enterprise", project(mis_software_spend="600000"), aid="BAD", manufacturer=True,
                  other_municipal_subsidies="5"),
        enterprise(project(mis_software_spend="600000"), aid="OK2", manufacturer=True),
    ))
    bad = find_applicant(out, "BAD")
    assert bad["status"] == "error" and bad["total"] == "0.00" and bad["projects"] == []
    [error] = bad["errors"]
    assert error.startswith("applicants[1].fiscal_contribution: missing")
    assert find_applicant(out, "OK1")["total"] == "50000.00"
    assert find_applicant(out, "OK2")["total"] == "50000.00"
    assert out["summary"]["errors"] == 1 and out["summary"]["applicants"] == 3
    assert out["summary"]["total"] == "100000.00"


def test_r2_two_calendar_years_capped_separately_i11() -> None:
    # contribution 100,000 each year: 2023 60,000 (2.3) + 50,000 (2.2) = 110,000 → 54,545.45 + 45,454.55
    # (the leftover cent to the larger remainder, .5454 > .4545); 2024 60,000 untouched
    out = evaluate(doc(enterprise(project("P1", "2023-06-01", cloud_service_fee="100000.01"),
                                  project("P2", "2023-07-01", mis_software_spend="600000"),
                                  project("P3", "2024-07-01", cloud_service_fee="100000.01"),
                                  fiscal_contribution="100000", **MFR_ABOVE)))
    assert [find_award(out, "2.3", "P1")["amount"], find_award(out, "2.2", "P2")["amount"],
            find_award(out, "2.3", "P3")["amount"]] == ["54545.45", "45454.55", "60000.00"]
    assert find_applicant(out, "A1")["total"] == "160000.00"


def test_r2_out_of_period_and_referred_do_not_use_headroom() -> None:
    out = evaluate(doc(enterprise(project("P0", "2022-12-31", cloud_service_fee="100000.01"),
                                  project("P1", financing_request=True),
                                  project("P2", cloud_service_fee="100000.01"),
                                  fiscal_contribution="60000", **MFR_ABOVE)))
    assert award_triple(find_award(out, "2.3", "P0")) == ("out_of_period", "0.00", "0.00")
    assert find_award(out, "2.3", "P2")["amount"] == "60000.00"


# ====================================================================== R3 validity


@pytest.mark.parametrize(("date", "status", "period_en", "period_zh"), [
    ("2022-12-31", "out_of_period", "and the by-reference period (2023-01-01 to 2023-04-30): not considered",
     "也不在参照执行期(2023-01-01 至 2023-04-30)内"),
    ("2023-01-01", "granted", "by reference (“参照执行”)", "参照执行"),
    ("2023-04-30", "granted", "by reference (“参照执行”)", "参照执行"),
    ("2023-05-01", "granted", "within the period in force", "在施行期内"),
    ("2024-12-31", "granted", "within the period in force", "在施行期内"),
    ("2025-01-01", "out_of_period", "outside the period in force (2023-05-01 to 2024-12-31)", "不在施行期"),
])
def test_r3_validity_window(date: str, status: str, period_en: str, period_zh: str) -> None:
    document = doc(enterprise(project(date=date, mis_software_spend="2000000"), manufacturer=True))
    out = evaluate(document)
    award = find_award(out, "2.2")
    if status == "granted":
        assert award_triple(award) == ("granted", "200000.00", "200000.00")
    else:
        assert award["status"] == "out_of_period" and award["amount"] == "0.00"
        assert out["summary"]["by_measure"] == {}
    first = award["trace"][0]
    assert first["rule"] == "R3" and date in first["text"] and period_en in first["text"]
    zh = find_award(evaluate(document, "zh"), "2.2")["trace"][0]
    assert period_zh in zh["text"]


def test_r3_by_reference_only_says_so_for_early_dates() -> None:
    out = evaluate(doc(enterprise(project("P1", "2023-05-01", mis_software_spend="500000"),
                                  project("P2", "2023-04-30", cloud_service_fee="60000"), **MFR_ABOVE)), "zh")
    assert "参照执行" not in trace_text(find_award(out, "2.2", "P1"))
    assert "参照执行" in trace_text(find_award(out, "2.3", "P2"))
    # the window named is the by-reference one, said to be before the period in force
    assert "2023-04-30 在正式施行前的参照执行期内(2023-01-01 至 2023-04-30),参照执行。" in trace_text(find_award(out, "2.3", "P2"))


def test_r3_referred_measure_out_of_period() -> None:
    out = evaluate(doc(applicant("college", project(date="2025-01-01", college_program=True))))
    assert find_award(out, "5.2")["status"] == "out_of_period"


# ====================================================================== once per applicant per year (2.1, 4.1)


def test_21_once_per_year_the_highest_claim_holds_the_year() -> None:
    # I-12 (amended): S1 (2023, 20 → 200,000) and S2 (2023, 55 → 300,000): S2 holds 2023, though S1 came
    # first (before the amendment S1 did); S3 (2024, 10 → 100,000) is another year
    out = evaluate(doc(provider(project("S1", "2023-03-01", sme_adopters=20),
                                project("S2", "2023-12-15", sme_adopters=55),
                                project("S3", "2024-01-15", sme_adopters=10))))
    s1 = find_award(out, "2.1", "S1")
    assert s1["status"] == "not_eligible" and s1["amount"] == "0.00"
    assert "in 2023 the year goes to project S2, the highest claim (300,000 yuan)" in trace_text(s1)
    assert award_triple(find_award(out, "2.1", "S2")) == ("granted", "300000.00", "300000.00")
    assert award_triple(find_award(out, "2.1", "S3")) == ("granted", "100000.00", "100000.00")
    assert find_applicant(out, "A1")["total"] == "400000.00"


def test_once_per_year_equal_claims_go_to_the_earlier() -> None:
    out = evaluate(doc(provider(project("S1", "2023-03-01", sme_adopters=20),
                                project("S2", "2023-12-15", sme_adopters=25))))
    assert find_award(out, "2.1", "S1")["status"] == "granted"
    assert find_award(out, "2.1", "S2")["status"] == "not_eligible"


def test_23_is_once_per_enterprise_per_year() -> None:
    # I-12 (amended): "分别给予每家3万元、6万元" — before the amendment both were granted (90,000)
    out = evaluate(doc(enterprise(project("P1", "2023-06-01", cloud_service_fee="60000"),
                                  project("P2", "2023-07-01", cloud_service_fee="100000.01"), **MFR_ABOVE)))
    assert find_award(out, "2.3", "P1")["status"] == "not_eligible"
    assert award_triple(find_award(out, "2.3", "P2")) == ("granted", "60000.00", "60000.00")
    assert find_applicant(out, "A1")["total"] == "60000.00"


def test_once_per_year_is_decided_before_r1() -> None:
    # P1: 2.3 (60,000) alone; P2: 2.2 (300,000) and 2.3 (60,000, the year's highest 2.3 claim but
    # equal to P1's, so the earlier P1 holds it). P2's 2.3 is not eligible before R1 compares P2's claims.
    out = evaluate(doc(enterprise(project("P1", "2023-06-01", cloud_service_fee="100000.01"),
                                  project("P2", "2023-07-01", cloud_service_fee="100000.01",
                                          mis_software_spend="3000000"), **MFR_ABOVE)))
    assert find_award(out, "2.3", "P1")["status"] == "granted"
    p2 = find_award(out, "2.3", "P2")
    assert p2["status"] == "not_eligible" and "P1" in trace_text(p2)
    assert find_award(out, "2.2", "P2")["status"] == "granted"


def test_a_year_held_by_a_claim_r1_then_supersedes_is_disclosed_on_the_claims_it_kept_out() -> None:
    # U1's 2.3 (60,000) holds 2023 and keeps U2's 2.3 (30,000) out; R1 then gives U1 to 2.2 (100,000), so 2.3
    # pays nothing this year. U2's explanation says so, and that the year does not pass to it (I-12, before R1)
    out = evaluate(doc(enterprise(project("U1", "2023-06-01", cloud_service_fee="200000", mis_software_spend="1000000"),
                                  project("U2", "2023-07-01", cloud_service_fee="60000"), **MFR_ABOVE)))
    assert find_award(out, "2.3", "U1")["status"] == "superseded"
    u2 = find_award(out, "2.3", "U2")
    assert award_triple(u2) == ("not_eligible", "30000.00", "0.00")
    assert trace_text(u2).endswith(
        "Once per applicant per year: in 2023 the year goes to project U1, the highest claim (60,000 yuan)\n"
        "Project U1's claim, which holds the year, was then superseded under R1 and is paid nothing; "
        "the year does not pass to another claim")
    zh = find_award(evaluate(doc(enterprise(project("U1", "2023-06-01", cloud_service_fee="200000",
                                                    mis_software_spend="1000000"),
                                            project("U2", "2023-07-01", cloud_service_fee="60000"), **MFR_ABOVE)),
                             lang="zh"), "2.3", "U2")
    assert "项目 U1 的本措施申领享有该年度,其后因 R1 未获享受,未获支付;该年度不再转由其他申领享受" in trace_text(zh)
    # when the holder is paid, nothing more is said
    paid = find_award(evaluate(doc(enterprise(project("U1", "2023-06-01", cloud_service_fee="200000"),
                                              project("U2", "2023-07-01", cloud_service_fee="60000"), **MFR_ABOVE))),
                      "2.3", "U2")
    assert "paid nothing" not in trace_text(paid) and "U1" in trace_text(paid)


def test_21_a_claim_that_pays_nothing_does_not_use_the_year() -> None:
    out = evaluate(doc(provider(project("S1", sme_adopters=5), project("S2", sme_adopters=12))))
    assert find_award(out, "2.1", "S1")["status"] == "not_eligible"
    assert award_triple(find_award(out, "2.1", "S2")) == ("granted", "100000.00", "100000.00")


def test_21_once_per_year_is_per_applicant() -> None:
    out = evaluate(doc(provider(project("S1", sme_adopters=20), aid="A1"),
                       provider(project("S1", sme_adopters=20), aid="A2")))
    assert find_award(out, "2.1", "S1", "A1")["status"] == "granted"
    assert find_award(out, "2.1", "S1", "A2")["status"] == "granted"


def test_41_once_per_year() -> None:
    out = evaluate(doc(provider(project("C1", "2023-02-01", enterprises_diagnosed=20, enterprises_started=4),
                                project("C2", "2023-09-01", enterprises_diagnosed=40, enterprises_started=30),
                                project("C3", "2024-02-01", enterprises_diagnosed=20, enterprises_started=4))))
    assert award_triple(find_award(out, "4.1", "C1")) == ("granted", "100000.00", "100000.00")
    c2 = find_award(out, "4.1", "C2")
    assert c2["status"] == "not_eligible" and "C1" in trace_text(c2)
    assert award_triple(find_award(out, "4.1", "C3")) == ("granted", "100000.00", "100000.00")
    assert find_applicant(out, "A1")["total"] == "200000.00"


def test_once_per_year_does_not_limit_other_measures() -> None:
    # 2.2 is not once-a-year: two projects in 2023 both granted
    out = evaluate(doc(enterprise(project("P1", mis_software_spend="500000"),
                                  project("P2", mis_software_spend="500000"), manufacturer=True)))
    assert find_award(out, "2.2", "P2")["status"] == "granted"


# ====================================================================== 1.1 quota warning (I-3)


def _demo_applicant(aid: str, date: str = "2023-08-01", industry: str = "鞋服") -> dict:
    return enterprise(project("P1", date, **demo_11("1000000", industry=industry)), aid=aid)


def test_11_quota_warning_with_three_selected_in_one_industry_year() -> None:
    out = evaluate(doc(*(_demo_applicant(a) for a in ("A1", "A2", "A3"))))
    # the engine never picks: all three granted
    assert [find_award(out, "1.1", "P1", a)["amount"] for a in ("A1", "A2", "A3")] == ["200000.00"] * 3
    [warning] = out["summary"]["warnings"]
    assert "1.1" in warning and "鞋服" in warning and "2023" in warning
    assert all(f"{a}/P1" in warning for a in ("A1", "A2", "A3"))
    assert "the authority selects, the engine does not" in warning


def test_11_quota_three_projects_of_one_applicant() -> None:
    app = enterprise(*(project(f"P{i}", **demo_11("1000000", industry="纺织")) for i in range(3)))
    out = evaluate(doc(app))
    [warning] = out["summary"]["warnings"]
    assert "纺织" in warning and "A1/P0" in warning and "A1/P2" in warning


@pytest.mark.parametrize("applicants", [
    [("A1", "2023-08-01", "鞋服"), ("A2", "2023-09-01", "鞋服")],  # two: within the quota
    [("A1", "2023-08-01", "鞋服"), ("A2", "2023-09-01", "鞋服"), ("A3", "2024-01-02", "鞋服")],  # 2 + 1 years
    [("A1", "2023-08-01", "鞋服"), ("A2", "2023-09-01", "鞋服"), ("A3", "2023-10-01", "纺织")],  # 2 industries
], ids=["two", "two-years", "two-industries"])
def test_11_quota_no_warning(applicants: list[tuple[str, str, str]]) -> None:
    out = evaluate(doc(*(_demo_applicant(a, d, i) for a, d, i in applicants)))
    assert out["summary"]["warnings"] == []


# ====================================================================== which awards are listed, and how


def test_awards_list_only_measures_whose_facts_appear_in_measure_order() -> None:
    # facts given in a scrambled order: 6.1, 2.3, 1.1 (hardware only), 3.1 (one flag), 1.2 (cross-check fact)
    p = project(financing_request=False, cloud_service_fee="10", hardware_investment="5",
                sme_interconnected=True, quanzhou_approved_subsidy="1")
    out = evaluate(doc(enterprise(p)))
    [proj] = find_applicant(out, "A1")["projects"]
    assert [a["measure"] for a in proj["awards"]] == ["1.1", "1.2", "2.3", "3.1", "6.1"]
    assert all(a["status"] == "not_eligible" for a in proj["awards"])


@pytest.mark.parametrize("facts", [{}, {"other_policy_award": "5"}], ids=["date-only", "other-policy-only"])
def test_project_with_no_measure_facts_has_no_awards(facts: dict) -> None:
    out = evaluate(doc(enterprise(project(**facts))))
    assert find_applicant(out, "A1")["projects"] == [{"id": "P1", "awards": []}]


def test_every_award_has_the_contract_keys() -> None:
    p = project(**demo_11("1000000"), mis_software_spend="1000000", financing_request=True)
    out = evaluate(doc(enterprise(p, manufacturer=True)))
    for award in find_applicant(out, "A1")["projects"][0]["awards"]:
        assert {"measure", "status", "entitlement", "amount", "trace"} <= award.keys()
        assert award["status"] in {"granted", "superseded", "not_eligible", "referred", "out_of_period"}
        assert award["trace"], award
        for step in award["trace"]:
            assert isinstance(step["rule"], str) and step["rule"]
            assert isinstance(step["text"], str) and step["text"]
        if award["status"] != "granted" and award["amount"] is not None:
            assert award["amount"] == "0.00"


# ====================================================================== summary


def test_summary_totals_and_by_measure() -> None:
    out = evaluate(doc(
        enterprise(project("P1", mis_software_spend="1000000"), project("P2", cloud_service_fee="60000"),
                   aid="E1", **MFR_ABOVE),                                    # 2.2 100,000 + 2.3 30,000
        applicant("association", project("T1", qualified_sessions=2), aid="AS"),  # 5.1 100,000
        applicant("enterprise", project("X", date="2023-13-01"), aid="ERR"),  # input error
        applicant("college", project("K1", college_program=True), aid="CO"),  # referred
        provider(project("I1", **iiot("2000000")), project("S1", sme_adopters=10), aid="PR",
                 fiscal_contribution="150000"),                                # 1.3 100,000 + 2.1 100,000 → R2 150,000
        enterprise(project("D1", **demo_11("1000000")), aid="E2"),            # 1.1 200,000
    ))
    s = out["summary"]
    assert s["applicants"] == 6 and s["errors"] == 1
    # PR: 100,000 × 150,000 / 200,000 = 75,000 each
    assert find_award(out, "1.3", "I1", "PR")["amount"] == "75000.00"
    assert find_award(out, "2.1", "S1", "PR")["amount"] == "75000.00"
    assert s["by_measure"] == {"1.1": "200000.00", "1.3": "75000.00", "2.1": "75000.00", "2.2": "100000.00",
                               "2.3": "30000.00", "5.1": "100000.00"}
    assert list(s["by_measure"]) == ["1.1", "1.3", "2.1", "2.2", "2.3", "5.1"]
    assert s["total"] == "580000.00"
    assert sum(Decimal(a["total"]) for a in out["applicants"]) == Decimal("580000.00")
    assert [a["id"] for a in out["applicants"]] == ["E1", "AS", "ERR", "CO", "PR", "E2"]
    assert s["warnings"] == []


def test_applicant_total_is_sum_of_granted_amounts() -> None:
    out = evaluate(doc(enterprise(project("P1", **demo_11("1000000"), mis_software_spend="1000000"),
                                  project("P2", **app_32("100000")), project("P3", financing_request=True),
                                  **MFR_ABOVE)))
    app = find_applicant(out, "A1")
    granted = [Decimal(a["amount"]) for p in app["projects"] for a in p["awards"] if a["status"] == "granted"]
    assert sum(granted) == Decimal(app["total"]) == Decimal("215000")  # 200,000 + 15,000


def test_r2_declared_in_input_order_keeps_earlier_projects_whole() -> None:
    """The policy declares R2's reduction; 'reduce in input order' is honoured, not silently pro rata."""
    from pathlib import Path

    from jinjiang_dsl.api import Policy
    from jinjiang_dsl.check import check
    from jinjiang_dsl.syntax import parse

    path = Path(__file__).resolve().parents[1] / "policies" / "jinjiang_2023.pol"
    source = path.read_text(encoding="utf-8").replace(
        "reduce pro rata by largest remainder, ties in input order", "reduce in input order")
    policy = Policy(check(parse(source, str(path))))
    record = {"id": "A", "kind": "enterprise", "manufacturer": True, "fiscal_contribution": "150000",
              "projects": [{"id": "P1", "date": "2023-06-01", "mis_software_spend": "1000000"},
                           {"id": "P2", "date": "2023-06-02", "mis_software_spend": "1000000"}]}
    d = policy.evaluate_applicant(record)
    amounts = [a.amount for p in d.projects for a in p.awards]
    assert amounts == [Decimal("100000"), Decimal("50000")]
    step = next(s for s in d.projects[1].awards[0].trace if s.kind == "limit")
    assert step.params["variant"] == "reduced_in_order"


def test_i10_a_winner_reduced_after_r1_says_the_choice_stands() -> None:
    # five 1.2 grants of 100,000 fill the 500,000 annual cap; P6's 1.2 wins R1 over 2.3 (60,000) and is then
    # cut to 0 by the cap: both awards say, in plain words, that R1's choice is not revisited (I-10)
    projects = [project(f"P{i}", f"2023-06-0{i}", **g5("4000000")) for i in range(1, 6)]
    projects.append(project("P6", "2023-06-06", cloud_service_fee="100000.01", **g5("4000000")))
    out = evaluate(doc(enterprise(*projects, fiscal_contribution="1000000", **MFR_ABOVE)))
    winner, loser = find_award(out, "1.2", "P6"), find_award(out, "2.3", "P6")
    assert (winner["status"], winner["amount"], loser["status"]) == ("granted", "0.00", "superseded")
    assert ("Highest, not stacked: the choice stands: after winning, this measure was reduced to 0 yuan (from "
            "100,000 yuan) by the rules applied after it; 2.3 (60,000 yuan), superseded, is not reconsidered"
            ) in trace_text(winner)
    assert ("Highest, not stacked: the choice stands: the winner, measure 1.2, was reduced to 0 yuan (from 100,000 yuan) by "
            "the rules applied after it, below this measure's 60,000 yuan, but this measure is not reconsidered"
            ) in trace_text(loser)
    assert "not reconsidered" not in trace_text(find_award(out, "1.2", "P1"))
    zh = evaluate(doc(enterprise(*projects, fiscal_contribution="1000000", **MFR_ABOVE)), lang="zh")
    assert ("就高不重复的选择不再改变:本措施胜出后经其后的规则核减为 0 元(原可得 100,000 元);未获享受的 2.3(60,000 元)"
            "不再重新比较") in trace_text(find_award(zh, "1.2", "P6"))


def test_without_a_validity_rule_nothing_is_out_of_period(tmp_path: Path) -> None:
    """The header's window alone checks nothing: a policy checks the period only in a validity rule."""
    source = POLICY_PATH.read_text(encoding="utf-8")
    start = source.index('rule R3 "施行期限"')
    without = source[:start] + source[source.index("}\n", start) + 2:]
    path = tmp_path / "no_validity.pol"
    path.write_text(without, encoding="utf-8")
    from jinjiang_dsl import load_policy

    record = provider(project("S1", "2022-06-01", sme_adopters=20))
    out = load_policy(path).evaluate(doc(record)).to_json("en")
    award = find_award(out, "2.1", "S1")
    assert award["status"] == "granted"
    assert all(step["rule"] != "R3" and "period" not in step["text"] for step in award["trace"])
    assert find_award(evaluate(doc(record)), "2.1", "S1")["status"] == "out_of_period"


ORDERED = '''policy "t" / "t" {
  issued 2024-01-01
  dated by date
  rounding 0.01元 half_up
}
project {
  date: date "日期" / "date"
  a: bool "甲" / "a"
  b: bool "乙" / "b"
}
measure 1 "甲" / "A" {
  clause 一
  requires a
  amount 100万
}
measure 2 "乙" / "B" {
  clause 二
  requires b
  amount 80万
}
'''
HIGHEST = 'rule R{n} "就高" / "Highest" {{\n  clause "三"\n  highest not stacked per project per year\n  ties go to lower measure\n}}\n'
LIMIT = ('rule R{n} "限额" / "Limit" {{\n  clause "四"\n  limit 90万 per applicant per year\n'
         '  reduce pro rata by largest remainder, ties in input order\n}}\n')


@pytest.mark.parametrize("first, second, granted", [
    (HIGHEST, LIMIT, {"1": "900000.00", "2": "0.00"}),  # choose 100万, then cap it at 90万
    (LIMIT, HIGHEST, {"1": "500000.00", "2": "0.00"}),  # cap 180万 to 90万 (50万 + 40万), then choose 50万
])
def test_rules_apply_in_the_order_the_policy_writes_them(first: str, second: str, granted: dict,
                                                          tmp_path: Path) -> None:
    from jinjiang_dsl import load_policy

    path = tmp_path / "ordered.pol"
    path.write_text(ORDERED + first.format(n=1) + second.format(n=2), encoding="utf-8")
    out = load_policy(path).evaluate({"applicants": [
        {"id": "A", "projects": [{"id": "P", "date": "2024-05-01", "a": True, "b": True}]}]}).to_json("en")
    [project] = out["applicants"][0]["projects"]
    assert {a["measure"]: a["amount"] for a in project["awards"]} == granted


def test_a_limit_that_needs_a_figure_the_applicant_does_not_give_is_its_input_error() -> None:
    record = enterprise(project("P1", cloud_service_fee="100000"), aid="E9", above_scale_industrial=True)
    del record["fiscal_contribution"]
    out = evaluate(doc(record))
    app = find_applicant(out, "E9")
    assert (app["status"], app["total"]) == ("error", "0.00")
    assert app["errors"] == ["applicants[0].fiscal_contribution: missing; it is required for R2 (Enterprise annual "
                             "cap) because the applicant has grants (applicant E9)"]
