"""The compiled evaluator and the interpreter agree exactly: amounts, statuses and every trace
sentence, in Chinese and in English.

Every evaluate() in test_measures, test_rules and test_inputs already compares the two backends
(see jj_cases.evaluate); this module does it explicitly on the example applications, on every
hand-worked measure case, on a set of rule scenarios and on random applicants (Hypothesis), and
checks the generated Python (``jinjiang-dsl compile --emit python``).
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jj_cases import (
    EXAMPLES_PATH,
    MEASURE_CASES,
    POLICY_PATH,
    Case,
    app_32,
    applicant,
    demo_11,
    doc,
    enterprise,
    evaluate_raw,
    g5,
    iiot,
    platform,
    policy,
    project,
    provider,
    walk,
)

from jinjiang_dsl.compile import generate

# Hypothesis: the profile loaded by tests/conftest.py when there is one; otherwise a modest count.
if settings.get_current_profile_name() != "default":
    PROPERTY = settings(deadline=None)
else:
    PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_backends_agree(document: Any) -> dict[str, Any]:
    for lang in ("en", "zh"):
        compiled = evaluate_raw(document, "compiled", lang)
        interpreted = evaluate_raw(document, "interpreter", lang)
        assert compiled == interpreted, f"backends disagree ({lang})"
    # without the trace too (evaluation then skips the explanation entirely)
    untraced = [policy(b).evaluate(copy.deepcopy(document), trace=False).to_json("en", trace=False)
                for b in ("compiled", "interpreter")]
    assert untraced[0] == untraced[1], "backends disagree (no trace)"
    traced = policy("compiled").evaluate(copy.deepcopy(document)).to_json("en", trace=False)
    assert traced == untraced[0], "skipping the trace changed a decision"
    return evaluate_raw(document, "compiled", "en")


def test_backends_are_what_they_say() -> None:
    assert policy("compiled").backend.name == "compiled"
    assert policy("interpreter").backend.name == "interpreter"
    # the compiled backend decides the whole applicant with the code generated for the policy, traced or not;
    # the interpreter walks the plan's records (the reference)
    generated = policy("compiled").decider(trace=False).generated
    assert generated is not None and generated.__name__ == "decide_applicant"
    traced = policy("compiled").decider(trace=True).generated
    assert traced is not None and traced.__name__ == "decide_applicant_traced"
    assert policy("interpreter").decider(trace=False).generated is None
    assert policy("interpreter").decider(trace=True).generated is None


def test_examples_agree() -> None:
    text = EXAMPLES_PATH.read_text(encoding="utf-8")
    out = assert_backends_agree(text)
    assert len(out["applicants"]) > 10
    # a sanity check that the traces really are compared: there is something to compare
    steps = sum(len(a["trace"]) for app in out["applicants"] for p in app["projects"] for a in p["awards"])
    assert steps > 100


def test_examples_trace_steps_identical_one_by_one() -> None:
    text = EXAMPLES_PATH.read_text(encoding="utf-8")
    for lang in ("zh", "en"):
        c = policy("compiled").evaluate(text).to_json(lang)
        i = policy("interpreter").evaluate(text).to_json(lang)
        for ac, ai in zip(c["applicants"], i["applicants"], strict=True):
            for pc, pi in zip(ac["projects"], ai["projects"], strict=True):
                for wc, wi in zip(pc["awards"], pi["awards"], strict=True):
                    for sc, si in zip(wc["trace"], wi["trace"], strict=True):
                        assert sc == si, (ac["id"], pc["id"], wc["measure"])


@pytest.mark.parametrize("case", MEASURE_CASES, ids=[c.id for c in MEASURE_CASES])
def test_measure_cases_agree(case: Case) -> None:
    assert_backends_agree(case.document())


MFR_ABOVE = {"manufacturer": True, "above_scale_industrial": True}

RULE_SCENARIOS: dict[str, dict[str, Any]] = {
    "r1-three-way": doc(enterprise(project(**demo_11("1000000"), mis_software_spend="1000000",
                                           cloud_service_fee="100000.01"), **MFR_ABOVE)),
    "r1-tie": doc(enterprise(project(**g5("800000"), mis_software_spend="1000000", **platform("666666.66")),
                             **MFR_ABOVE)),
    "r1-other-policy": doc(enterprise(project(mis_software_spend="3000000", cloud_service_fee="200000",
                                              other_policy_award="300000"),
                                      project("P2", mis_software_spend="3000000", other_policy_award="1"),
                                      **MFR_ABOVE)),
    "12-annual-cap": doc(enterprise(*[project(f"G{i}", f"2023-0{i}-01", **g5(v)) for i, v in
                                      enumerate(["800000", "800000", "800000", "800000", "400000", "800000",
                                                 "400000"], 1)],
                                    project("G8", "2024-03-01", **g5("800000")), fiscal_contribution="480000.03")),
    "r2-largest-remainder": doc(provider(*[project(f"P{i}", **iiot(v)) for i, v in
                                           enumerate(["24691.20", "46913.40", "69135.60", "91357.80"], 1)],
                                         fiscal_contribution="12345.67", other_municipal_subsidies="9345.67")),
    "r2-ties": doc(provider(*[project(f"P{i}", **iiot(v)) for i, v in enumerate(["2000", "2000", "8000"], 1)],
                            fiscal_contribution="100")),
    "r2-negative-headroom": doc(provider(project(**iiot("2000")), fiscal_contribution="1",
                                         other_municipal_subsidies="2")),
    "r2-missing": doc(enterprise(project(**app_32("100")), fiscal_contribution=None)),
    "r2-two-years": doc(enterprise(project("P1", "2023-06-01", cloud_service_fee="100000.01"),
                                   project("P2", "2023-07-01", cloud_service_fee="100000.01"),
                                   project("P3", "2024-07-01", cloud_service_fee="100000.01"),
                                   fiscal_contribution="100000", **MFR_ABOVE)),
    "r3-dates": doc(enterprise(*[project(f"D{i}", d, mis_software_spend="2000000") for i, d in enumerate(
        ["2022-12-31", "2023-01-01", "2023-04-30", "2023-05-01", "2024-12-31", "2025-01-01"])], manufacturer=True)),
    "once-a-year": doc(provider(project("S1", "2023-03-01", sme_adopters=20), project("S2", sme_adopters=55),
                                project("S3", "2024-01-15", sme_adopters=10),
                                project("C1", enterprises_diagnosed=20, enterprises_started=4),
                                project("C2", enterprises_diagnosed=21, enterprises_started=5))),
    "quota": doc(*[enterprise(project("P1", **demo_11("1000000")), aid=f"A{i}") for i in range(3)]),
    "referred-and-association": doc(applicant("college", project(college_program=True)),
                                    applicant("association", project(qualified_sessions=3), aid="A2"),
                                    enterprise(project(financing_request=True), aid="A3")),
    "i5": doc(enterprise(project(**g5("400000", quanzhou_approved_subsidy="100000")),
                         project("P2", **g5("800000", quanzhou_approved_subsidy="240000")))),
    "missing-facts": doc(enterprise(project(**demo_11(None, "5")), project("P2", platform_landed=True),
                                    project("P3", quanzhou_5g_demo=True))),
    "errors": doc(enterprise(project(cloud_service_fee="-5"), aid="E1"), "x",
                  provider(project(enterprises_diagnosed=2, enterprises_started=3), aid="E3"),
                  enterprise(project(mis_software_spend="600000"), aid="E4", manufacturer=True)),
}


@pytest.mark.parametrize("name", list(RULE_SCENARIOS))
def test_rule_scenarios_agree(name: str) -> None:
    assert_backends_agree(RULE_SCENARIOS[name])


# ---------------------------------------------------------------------- random applicants (Hypothesis)

MONEY_BOUNDARIES = ["0", "1", "50000", "100000", "250000", "333333.33", "400000", "500000", "666666.67",
                    "1000000", "1666666.67", "2000000", "2500000", "3000000", "4000000", "5000000", "10000000"]
DATES = [dt.date(2023, 5, 1), dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2023, 1, 1),
         dt.date(2023, 4, 30), dt.date(2024, 12, 31), dt.date(2022, 12, 31), dt.date(2025, 1, 1)]
COUNTS = [10, 20, 50, 9, 11, 19, 21, 49, 51, 0, 1, 4, 5]
BOOL_FACTS = ["selected_demo", "completed_in_year", "promotes_adoption", "quanzhou_park_key_project",
              "quanzhou_5g_demo", "quanzhou_iiot_demo", "platform_landed", "leading_enterprise_initiated",
              "sme_interconnected", "industrial_app_recognized", "college_program", "financing_request"]
MONEY_FACTS = ["software_investment", "hardware_investment", "quanzhou_recognized_investment",
               "quanzhou_approved_subsidy", "quanzhou_recognized_it_investment", "mis_software_spend",
               "cloud_service_fee", "platform_it_investment", "prior_year_service_spend", "other_policy_award"]
COUNT_FACTS = ["sme_adopters", "enterprises_diagnosed", "enterprises_started", "qualified_sessions"]


def _places(v: Decimal) -> int:
    if v == v.to_integral_value():
        return 0
    return 1 if (v * 10) == (v * 10).to_integral_value() else 2


@st.composite
def money(draw: st.DrawFn) -> str:
    """Money as a string with 0–2 decimals, mostly just around the policy's boundaries."""
    if draw(st.integers(0, 3)):
        base = Decimal(draw(st.sampled_from(MONEY_BOUNDARIES)))
        v = base + Decimal(draw(st.sampled_from(["-1", "-0.01", "0", "0", "0.01", "1"])))
        v = max(v, Decimal(0))
    else:
        v = Decimal(draw(st.integers(0, 1_200_000_000))) / 100
    places = max(_places(v), draw(st.integers(0, 2)))
    return f"{v:.{places}f}"


@st.composite
def a_date(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        d = draw(st.sampled_from(DATES)) + dt.timedelta(days=draw(st.sampled_from([-1, 0, 0, 1])))
    else:
        d = draw(st.dates(dt.date(2022, 12, 1), dt.date(2025, 1, 31)))
    return d.isoformat()


MOSTLY = st.sampled_from([True, True, True, False])


def _theme(draw: st.DrawFn, measure: str) -> dict[str, Any]:
    """Facts that make one measure likely to apply (each requirement holds most of the time)."""
    if measure == "1.1":
        f = {"industry": draw(st.sampled_from(["鞋服", "纺织", "食品", "化工"])), "selected_demo": draw(MOSTLY),
             "completed_in_year": draw(MOSTLY), "promotes_adoption": draw(MOSTLY),
             "software_investment": draw(money())}
        if draw(st.booleans()):
            f["hardware_investment"] = draw(money())
        if draw(st.booleans()):
            f["quanzhou_park_key_project"] = draw(st.booleans())
        return f
    if measure == "1.2":
        f = {"quanzhou_5g_demo": draw(MOSTLY), "quanzhou_recognized_investment": draw(money())}
        if draw(st.booleans()):
            f["quanzhou_approved_subsidy"] = draw(money())
        return f
    if measure == "1.3":
        return {"quanzhou_iiot_demo": draw(MOSTLY), "quanzhou_recognized_it_investment": draw(money())}
    if measure == "2.1":
        return {"sme_adopters": draw(st.sampled_from(COUNTS))}
    if measure == "2.2":
        return {"mis_software_spend": draw(money())}
    if measure == "2.3":
        return {"cloud_service_fee": draw(money())}
    if measure == "3.1":
        f = {"platform_landed": draw(MOSTLY), "platform_it_investment": draw(money())}
        for flag in ("leading_enterprise_initiated", "sme_interconnected"):
            if draw(st.booleans()):
                f[flag] = draw(MOSTLY)
        return f
    if measure == "3.2":
        return {"industrial_app_recognized": draw(MOSTLY), "prior_year_service_spend": draw(money())}
    if measure == "4.1":
        diagnosed = draw(st.sampled_from([20, 21, 25, 19, 15, 50, 100]))
        started = draw(st.sampled_from([4, 5, 10, 20, 3, 0, diagnosed, diagnosed + 1]))
        return {"enterprises_diagnosed": diagnosed, "enterprises_started": started}
    if measure == "5.1":
        return {"qualified_sessions": draw(st.sampled_from([0, 1, 3]))}
    if measure == "5.2":
        return {"college_program": draw(MOSTLY)}
    return {"financing_request": draw(MOSTLY)}  # 6.1


MEASURES = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "4.1", "5.1", "5.2", "6.1"]


@st.composite
def a_project(draw: st.DrawFn, pid: str) -> dict[str, Any]:
    """One to three measures' facts (so R1 has something to compare), plus a little noise."""
    p: dict[str, Any] = {"id": pid, "date": draw(a_date())}
    for measure in draw(st.lists(st.sampled_from(MEASURES), min_size=1, max_size=3, unique=True)):
        p.update(_theme(draw, measure))
    if not draw(st.integers(0, 3)):
        p["other_policy_award"] = draw(money())
    for name in draw(st.lists(st.sampled_from(BOOL_FACTS), max_size=2, unique=True)):
        p[name] = draw(st.booleans())
    for name in draw(st.lists(st.sampled_from(MONEY_FACTS), max_size=1, unique=True)):
        p[name] = draw(money())
    for name in draw(st.lists(st.sampled_from(COUNT_FACTS), max_size=1, unique=True)):
        p[name] = draw(st.sampled_from(COUNTS) | st.integers(0, 120))
    return p


@st.composite
def an_applicant(draw: st.DrawFn, aid: str) -> dict[str, Any]:
    a: dict[str, Any] = {"id": aid, "kind": draw(st.sampled_from(["enterprise", "provider", "enterprise",
                                                                  "association", "college"]))}
    for name in ("manufacturer", "above_scale_industrial"):
        if draw(MOSTLY):
            a[name] = draw(MOSTLY)
    if draw(st.integers(0, 9)):
        a["fiscal_contribution"] = draw(st.sampled_from(["0", "50000", "100000.01", "333333.33", "1000000",
                                                         "100000000"]) | money())
    if not draw(st.integers(0, 3)):
        a["other_municipal_subsidies"] = draw(money())
    n = draw(st.integers(1, 5))
    a["projects"] = [draw(a_project(f"P{i}")) for i in range(n)]
    return a


@st.composite
def a_batch(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    return {"applicants": [draw(an_applicant(f"A{i}")) for i in range(n)]}


@PROPERTY
@given(a_batch())
def test_random_applicants_backends_agree(batch: dict[str, Any]) -> None:
    out = assert_backends_agree(batch)
    check_invariants(batch, out)


def check_invariants(batch: dict[str, Any], out: dict[str, Any]) -> None:
    """What the spec guarantees whatever the input (the numbers themselves are in test_measures)."""
    assert not any(isinstance(v, float) for v in walk(out))
    total = Decimal(0)
    for record, app in zip(batch["applicants"], out["applicants"], strict=True):
        assert app["id"] == record["id"]
        if app["status"] == "error":
            assert app["errors"] and app["total"] == "0.00"
            continue
        dates = {p["id"]: p["date"][:4] for p in record["projects"]}
        granted = Decimal(0)
        by_year: dict[str, Decimal] = {}
        g12_by_year: dict[str, Decimal] = {}
        for proj in app["projects"]:
            measures = [a["measure"] for a in proj["awards"]]
            assert measures == sorted(measures, key=lambda m: tuple(map(int, m.split("."))))
            assert len(set(measures)) == len(measures)
            winners = [a for a in proj["awards"] if a["status"] == "granted"]
            assert len(winners) <= 1  # R1: never stacked
            for a in proj["awards"]:
                if a["status"] == "referred":
                    assert a["amount"] is None and a["entitlement"] is None
                    continue
                amount = Decimal(a["amount"])
                assert amount >= 0 and len(a["amount"].split(".")[1]) == 2
                if a["status"] != "granted":
                    assert amount == 0
                    continue
                assert amount <= Decimal(a["entitlement"])
                granted += amount
                year = dates[proj["id"]]
                by_year[year] = by_year.get(year, Decimal(0)) + amount
                if a["measure"] == "1.2":
                    g12_by_year[year] = g12_by_year.get(year, Decimal(0)) + amount
        assert Decimal(app["total"]) == granted
        total += granted
        assert all(v <= 500000 for v in g12_by_year.values())  # 1.2's annual cap
        if record["kind"] in ("enterprise", "provider") and granted:
            headroom = max(Decimal(record["fiscal_contribution"])
                           - Decimal(record.get("other_municipal_subsidies", "0")), Decimal(0))
            assert all(v <= headroom for v in by_year.values())  # R2
    assert Decimal(out["summary"]["total"]) == total
    assert out["summary"]["applicants"] == len(batch["applicants"])


# ---------------------------------------------------------------------- the generated source


def _compile_cli() -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run([sys.executable, "-m", "jinjiang_dsl.cli", "compile", str(POLICY_PATH), "--emit", "python"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_compile_emit_python_is_deterministic() -> None:
    first, second = _compile_cli(), _compile_cli()
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "def measure_1_1(" in first.stdout
    for mid in ("1_2", "1_3", "2_1", "2_2", "2_3", "3_1", "3_2", "4_1", "5_1", "5_2", "6_1"):
        assert f"def measure_{mid}(" in first.stdout
    assert first.stdout == second.stdout
    compile(first.stdout, "<generated>", "exec")  # it is valid Python
    # the CLI prints what the API generates, and generating again in this process gives the same
    assert first.stdout == generate(policy().plan) == generate(policy("interpreter").plan)


def test_compiled_backend_runs_the_generated_functions() -> None:
    ns_fn = policy("compiled").backend.measures["1.1"]
    assert ns_fn.__name__ == "measure_1_1"
    assert ns_fn.__code__.co_filename.startswith("<jinjiang-dsl ")


# ---------------------------------------------------------------------- the one-applicant API


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
def test_evaluate_applicant_matches_the_batch(backend: str) -> None:
    record = enterprise(project("P1", **demo_11("1000000"), mis_software_spend="1000000"),
                        project("P2", cloud_service_fee="100000.01"), manufacturer=True, above_scale_industrial=True,
                        fiscal_contribution="250000")
    one = policy(backend).evaluate_applicant(copy.deepcopy(record)).to_json("zh")
    assert one == evaluate_raw(doc(record), backend, "zh")["applicants"][0]
    assert one["total"] == "250000.00"  # 200,000 + 60,000 = 260,000 > 250,000: R2
    bad = policy(backend).evaluate_applicant(enterprise(project(cloud_service_fee="-1")), index=3)
    assert bad.status == "error"
    assert bad.errors == ("applicants[3].projects[0].cloud_service_fee: negative money -1 (applicant A1, project P1)",)


def test_a_batch_pauses_the_cyclic_collector_and_restores_it() -> None:
    """Decider.applicants pauses gc while it decides (decisions hold no cycles) and leaves it as it found it:
    on when it was on, whether the batch is read to the end or dropped half-way; off when it was off."""
    import gc

    from jinjiang_dsl import load_policy

    policy = load_policy(Path(__file__).resolve().parents[1] / "policies" / "jinjiang_2023.pol")
    apps = list(policy.read([{"id": f"A{i}", "kind": "association", "projects": [
        {"id": "P1", "date": "2023-06-01", "qualified_sessions": 1}]} for i in range(3)]))
    decider = policy.decider()
    assert gc.isenabled()
    batch = decider.applicants(apps)
    next(batch)
    assert not gc.isenabled()
    assert [d.total for d in batch] == [Decimal("50000")] * 2
    assert gc.isenabled()
    dropped = decider.applicants(apps)
    next(dropped)
    del dropped
    assert gc.isenabled()
    gc.disable()
    try:
        list(decider.applicants(apps))
        assert not gc.isenabled()
    finally:
        gc.enable()
