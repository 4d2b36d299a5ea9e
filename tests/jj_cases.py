"""Shared builders and hand-worked cases for the behaviour tests of the evaluation engine.

Not a test module (pytest does not collect it): test_measures, test_rules, test_inputs and
test_backends import it. Expected numbers are worked out by hand from
shared/spec/measures.md and shared/spec/io-contract.md, never copied from the engine.

Every call of :func:`evaluate` runs the document through BOTH backends (the compiled
evaluator and the interpreter) and asserts that their full JSON, Chinese and English, trace
text included, is identical; it returns the compiled backend's English JSON.
"""

from __future__ import annotations

import copy
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from jinjiang_dsl import load_policy

ROOT = Path(__file__).resolve().parents[1]
POLICY_PATH = ROOT / "policies" / "jinjiang_2023.pol"
EXAMPLES_PATH = ROOT / "examples" / "applications.json"

BACKENDS = ("compiled", "interpreter")
RICH = "100000000"  # a fiscal contribution so large that R2 never binds in single-measure cases
IN_FORCE = "2023-06-01"


@functools.cache
def policy(backend: str = "compiled"):  # type: ignore[no-untyped-def]
    return load_policy(POLICY_PATH, backend=backend)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- builders


def project(pid: str = "P1", date: str | None = IN_FORCE, **facts: Any) -> dict[str, Any]:
    """One project record; ``date=None`` leaves the date out."""
    out: dict[str, Any] = {"id": pid}
    if date is not None:
        out["date"] = date
    out.update(facts)
    return out


def applicant(kind: str | None = "enterprise", *projects: dict[str, Any], aid: str = "A1",
              **facts: Any) -> dict[str, Any]:
    """One applicant record; ``kind=None`` leaves the kind out."""
    out: dict[str, Any] = {"id": aid}
    if kind is not None:
        out["kind"] = kind
    out.update(facts)
    out["projects"] = list(projects)
    return out


def enterprise(*projects: dict[str, Any], aid: str = "A1", **facts: Any) -> dict[str, Any]:
    facts.setdefault("fiscal_contribution", RICH)
    return applicant("enterprise", *projects, aid=aid, **facts)


def provider(*projects: dict[str, Any], aid: str = "A1", **facts: Any) -> dict[str, Any]:
    facts.setdefault("fiscal_contribution", RICH)
    return applicant("provider", *projects, aid=aid, **facts)


def doc(*applicants: dict[str, Any]) -> dict[str, Any]:
    return {"applicants": list(applicants)}


# Facts that make one project qualify for one measure (amount facts passed separately).
def demo_11(software: str | None, hardware: str | None = None, park: bool | None = None,
            industry: str = "鞋服", **extra: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"industry": industry, "selected_demo": True, "completed_in_year": True,
                             "promotes_adoption": True}
    if software is not None:
        facts["software_investment"] = software
    if hardware is not None:
        facts["hardware_investment"] = hardware
    if park is not None:
        facts["quanzhou_park_key_project"] = park
    facts.update(extra)
    return facts


def g5(investment: str | None, **extra: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"quanzhou_5g_demo": True}
    if investment is not None:
        facts["quanzhou_recognized_investment"] = investment
    facts.update(extra)
    return facts


def iiot(investment: str, **extra: Any) -> dict[str, Any]:
    return {"quanzhou_iiot_demo": True, "quanzhou_recognized_it_investment": investment, **extra}


def platform(investment: str, **extra: Any) -> dict[str, Any]:
    return {"platform_landed": True, "platform_it_investment": investment, **extra}


def app_32(spend: str | None, **extra: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"industrial_app_recognized": True}
    if spend is not None:
        facts["prior_year_service_spend"] = spend
    facts.update(extra)
    return facts


# ---------------------------------------------------------------------- evaluation


def evaluate_raw(document: Any, backend: str, lang: str) -> dict[str, Any]:
    return policy(backend).evaluate(copy.deepcopy(document)).to_json(lang)


def evaluate(document: Any, lang: str = "en") -> dict[str, Any]:
    """The batch JSON (compiled backend), after checking the interpreter gives the same, in zh and en."""
    results = {}
    for lg in ("en", "zh"):
        compiled = evaluate_raw(document, "compiled", lg)
        interpreted = evaluate_raw(document, "interpreter", lg)
        assert compiled == interpreted, f"backends disagree ({lg})"
        results[lg] = compiled
    return results[lang]


def find_applicant(out: dict[str, Any], aid: str) -> dict[str, Any]:
    found = [a for a in out["applicants"] if a["id"] == aid]
    assert len(found) == 1, f"applicant {aid!r}: {len(found)} in the output"
    return found[0]


def find_award(out: dict[str, Any], measure: str, pid: str = "P1", aid: str = "A1") -> dict[str, Any]:
    app = find_applicant(out, aid)
    assert app["status"] == "ok", app["errors"]
    [proj] = [p for p in app["projects"] if p["id"] == pid]
    found = [a for a in proj["awards"] if a["measure"] == measure]
    assert len(found) == 1, f"{aid}/{pid}: measure {measure} listed {len(found)} times: {proj['awards']}"
    return found[0]


def trace_text(award: dict[str, Any]) -> str:
    return "\n".join(step["text"] for step in award["trace"])


def award_triple(award: dict[str, Any]) -> tuple[str, str | None, str | None]:
    return award["status"], award["entitlement"], award["amount"]


def walk(value: Any):  # type: ignore[no-untyped-def]
    """Every scalar in a JSON value."""
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)
    else:
        yield value


# ---------------------------------------------------------------------- hand-worked single-measure cases


class Case(NamedTuple):
    """One applicant with one project; what the spec says the award for ``measure`` must be."""

    id: str  # the arithmetic, in words
    applicant: dict[str, Any]
    measure: str
    status: str
    entitlement: str | None
    amount: str | None

    def document(self) -> dict[str, Any]:
        return doc(self.applicant)


def _ent(pf: dict[str, Any], **af: Any) -> dict[str, Any]:
    return enterprise(project(**pf), **af)


def _prov(pf: dict[str, Any], **af: Any) -> dict[str, Any]:
    return provider(project(**pf), **af)


def _granted(x: str) -> tuple[str, str, str]:
    return ("granted", x, x)


NE_NONE = ("not_eligible", "0.00", "0.00")  # a requirement or the beneficiary fails: entitlement 0
NE_ZERO = ("not_eligible", "0.00", "0.00")  # computed, but no tier reached / amount 0
REFERRED = ("referred", None, None)

MFR = {"manufacturer": True}
ABOVE = {"above_scale_industrial": True}

_C: list[tuple[str, dict[str, Any], str, tuple[str, str | None, str | None]]] = [
    # ---- 1.1: 20% (25% for a Quanzhou park key project) of software + hardware, cap 100万 per project
    ("1.1 20% 4,999,999.99 -> 999,999.998 -> rounds to 1,000,000.00 (cap not bound)",
     _ent(demo_11("4999999.99")), "1.1", _granted("1000000.00")),
    ("1.1 20% 4,999,999.95 -> 999,999.99",
     _ent(demo_11("4999999.95")), "1.1", _granted("999999.99")),
    ("1.1 20% 5,000,000 -> exactly the 1,000,000 cap",
     _ent(demo_11("5000000")), "1.1", _granted("1000000.00")),
    ("1.1 20% 5,000,001 -> 1,000,000.20 capped at 1,000,000",
     _ent(demo_11("5000001")), "1.1", _granted("1000000.00")),
    ("1.1 20% software 3,000,000 + hardware 2,000,000 = 5,000,000 -> 1,000,000",
     _ent(demo_11("3000000", "2000000", park=False)), "1.1", _granted("1000000.00")),
    ("1.1 20% software 1,000,000 + hardware 500,000 = 1,500,000 -> 300,000",
     _ent(demo_11("1000000", "500000")), "1.1", _granted("300000.00")),
    ("1.1 20% software only 800,000 (hardware defaults to 0) -> 160,000",
     _ent(demo_11("800000")), "1.1", _granted("160000.00")),
    ("1.1 25% park 3,999,999.96 -> 999,999.99",
     _ent(demo_11("3999999.96", park=True)), "1.1", _granted("999999.99")),
    ("1.1 25% park 3,999,999.99 -> 999,999.9975 -> rounds to 1,000,000.00",
     _ent(demo_11("3999999.99", park=True)), "1.1", _granted("1000000.00")),
    ("1.1 25% park 4,000,000 -> exactly the 1,000,000 cap",
     _ent(demo_11("4000000", park=True)), "1.1", _granted("1000000.00")),
    ("1.1 25% park 4,000,001 -> 1,000,000.25 capped at 1,000,000",
     _ent(demo_11("4000001", park=True)), "1.1", _granted("1000000.00")),
    ("1.1 25% park 5,000,000 -> 1,250,000 capped at 1,000,000",
     _ent(demo_11("5000000", park=True)), "1.1", _granted("1000000.00")),
    ("1.1 25% park 1,000,000 -> 250,000",
     _ent(demo_11("1000000", park=True)), "1.1", _granted("250000.00")),
    ("1.1 25% park 2,000,000 + 1,000,000.50 = 3,000,000.50 -> 750,000.125 -> 750,000.13 (half-up)",
     _ent(demo_11("2000000", "1000000.50", park=True)), "1.1", _granted("750000.13")),
    ("1.1 provider is an enterprise: 20% of 1,000,000 -> 200,000",
     _prov(demo_11("1000000")), "1.1", _granted("200000.00")),
    ("1.1 industry 化工 not listed -> not eligible",
     _ent(demo_11("1000000", industry="化工")), "1.1", NE_NONE),
    ("1.1 not selected -> not eligible",
     _ent(demo_11("1000000", selected_demo=False)), "1.1", NE_NONE),
    ("1.1 not completed in the year -> not eligible",
     _ent(demo_11("1000000", completed_in_year=False)), "1.1", NE_NONE),
    ("1.1 does not promote adoption -> not eligible",
     _ent(demo_11("1000000", promotes_adoption=False)), "1.1", NE_NONE),
    ("1.1 association is not an enterprise -> not eligible",
     applicant("association", project(**demo_11("1000000"))), "1.1", NE_NONE),
    ("1.1 college is not an enterprise -> not eligible",
     applicant("college", project(**demo_11("1000000"))), "1.1", NE_NONE),
    # ---- 1.2: 15% of recognised investment, cap 10万 per project
    ("1.2 15% 666,666 -> 99,999.90",
     _ent(g5("666666")), "1.2", _granted("99999.90")),
    ("1.2 15% 666,666.66 -> 99,999.999 -> rounds to 100,000.00 (cap not bound)",
     _ent(g5("666666.66")), "1.2", _granted("100000.00")),
    ("1.2 15% 666,666.67 -> 100,000.0005 capped at 100,000",
     _ent(g5("666666.67")), "1.2", _granted("100000.00")),
    ("1.2 15% 800,000 -> 120,000 capped at 100,000",
     _ent(g5("800000")), "1.2", _granted("100000.00")),
    ("1.2 15% 400,000 -> 60,000",
     _ent(g5("400000")), "1.2", _granted("60000.00")),
    ("1.2 provider is an enterprise: 15% of 400,000 -> 60,000",
     _prov(g5("400000")), "1.2", _granted("60000.00")),
    ("1.2 not rated by Quanzhou -> not eligible",
     _ent({"quanzhou_5g_demo": False, "quanzhou_recognized_investment": "400000"}), "1.2", NE_NONE),
    ("1.2 association is not an enterprise -> not eligible",
     applicant("association", project(**g5("400000"))), "1.2", NE_NONE),
    # ---- 1.3: provider only; 5% of recognised IT investment, cap 50万 per project
    ("1.3 5% 2,000,000 -> 100,000",
     _prov(iiot("2000000")), "1.3", _granted("100000.00")),
    ("1.3 5% 9,999,999.80 -> 499,999.99",
     _prov(iiot("9999999.80")), "1.3", _granted("499999.99")),
    ("1.3 5% 9,999,999.99 -> 499,999.9995 -> rounds to 500,000.00",
     _prov(iiot("9999999.99")), "1.3", _granted("500000.00")),
    ("1.3 5% 10,000,000 -> exactly the 500,000 cap",
     _prov(iiot("10000000")), "1.3", _granted("500000.00")),
    ("1.3 5% 10,000,001 -> 500,000.05 capped at 500,000",
     _prov(iiot("10000001")), "1.3", _granted("500000.00")),
    ("1.3 5% 12,000,000 -> 600,000 capped at 500,000",
     _prov(iiot("12000000")), "1.3", _granted("500000.00")),
    ("1.3 enterprise (not a provider) -> not eligible",
     _ent(iiot("2000000")), "1.3", NE_NONE),
    ("1.3 association -> not eligible",
     applicant("association", project(**iiot("2000000"))), "1.3", NE_NONE),
    ("1.3 not recognised by Quanzhou -> not eligible",
     _prov({"quanzhou_iiot_demo": False, "quanzhou_recognized_it_investment": "2000000"}), "1.3", NE_NONE),
]

# ---- 2.1: provider only; thresholds on SME adopters: 10家以上 10万, 20家以上 20万, 50家以上 30万
for n, expected in [(0, NE_ZERO), (9, NE_ZERO), (10, _granted("100000.00")), (11, _granted("100000.00")),
                    (19, _granted("100000.00")), (20, _granted("200000.00")), (21, _granted("200000.00")),
                    (49, _granted("200000.00")), (50, _granted("300000.00")), (51, _granted("300000.00")),
                    (1000, _granted("300000.00"))]:
    _C.append((f"2.1 {n} adopters", _prov({"sme_adopters": n}), "2.1", expected))
_C += [
    ("2.1 enterprise (not a provider), 20 adopters -> not eligible",
     _ent({"sme_adopters": 20}), "2.1", NE_NONE),
    ("2.1 association, 20 adopters -> not eligible",
     applicant("association", project(sme_adopters=20)), "2.1", NE_NONE),
]

# ---- 2.2: manufacturing enterprise; bands on MIS software spend, X(含)—Y = [X, Y)
for spend, expected in [("0", NE_ZERO), ("499999.99", NE_ZERO), ("500000", "50000.00"),
                        ("500000.01", "50000.00"), ("999999.99", "50000.00"), ("1000000", "100000.00"),
                        ("1000000.01", "100000.00"), ("1999999.99", "100000.00"), ("2000000", "200000.00"),
                        ("2999999.99", "200000.00"), ("3000000", "300000.00"), ("3000000.01", "300000.00"),
                        ("50000000", "300000.00")]:
    exp = expected if isinstance(expected, tuple) else _granted(expected)
    _C.append((f"2.2 spend {spend}", _ent({"mis_software_spend": spend}, **MFR), "2.2", exp))
_C += [
    ("2.2 not a manufacturer -> not eligible",
     _ent({"mis_software_spend": "1000000"}), "2.2", NE_NONE),
    ("2.2 manufacturer false -> not eligible",
     _ent({"mis_software_spend": "1000000"}, manufacturer=False), "2.2", NE_NONE),
    ("2.2 provider that manufactures is a manufacturing enterprise -> 100,000",
     _prov({"mis_software_spend": "1000000"}, **MFR), "2.2", _granted("100000.00")),
    ("2.2 association with manufacturer true is still not an enterprise -> not eligible",
     applicant("association", project(mis_software_spend="1000000"), **MFR), "2.2", NE_NONE),
]

# ---- 2.3: above-scale industrial enterprise; 超过5万 3万, 超过10万 6万 (exclusive)
for fee, expected in [("0", NE_ZERO), ("49999.99", NE_ZERO), ("50000", NE_ZERO), ("50000.00", NE_ZERO),
                      ("50000.01", "30000.00"), ("99999.99", "30000.00"), ("100000", "30000.00"),
                      ("100000.01", "60000.00"), ("1000000", "60000.00")]:
    exp = expected if isinstance(expected, tuple) else _granted(expected)
    _C.append((f"2.3 fee {fee}", _ent({"cloud_service_fee": fee}, **ABOVE), "2.3", exp))
_C += [
    ("2.3 not above-scale -> not eligible",
     _ent({"cloud_service_fee": "100000.01"}), "2.3", NE_NONE),
    ("2.3 above_scale false -> not eligible",
     _ent({"cloud_service_fee": "100000.01"}, above_scale_industrial=False), "2.3", NE_NONE),
    ("2.3 above-scale provider is an enterprise -> 60,000",
     _prov({"cloud_service_fee": "100000.01"}, **ABOVE), "2.3", _granted("60000.00")),
    ("2.3 above-scale college is not an enterprise -> not eligible",
     applicant("college", project(cloud_service_fee="100000.01"), **ABOVE), "2.3", NE_NONE),
]

_C += [
    # ---- 3.1: 15% of platform IT investment, cap 25万; leading AND interconnected: 20%, cap 50万
    ("3.1 15% 1,000,000 -> 150,000",
     _ent(platform("1000000")), "3.1", _granted("150000.00")),
    ("3.1 15% 1,666,666.66 -> 249,999.999 -> rounds to 250,000.00",
     _ent(platform("1666666.66")), "3.1", _granted("250000.00")),
    ("3.1 15% 1,666,666.67 -> 250,000.0005 capped at 250,000",
     _ent(platform("1666666.67")), "3.1", _granted("250000.00")),
    ("3.1 15% 2,500,000 -> 375,000 capped at 250,000",
     _ent(platform("2500000")), "3.1", _granted("250000.00")),
    ("3.1 both: 20% 1,000,000 -> 200,000",
     _ent(platform("1000000", leading_enterprise_initiated=True, sme_interconnected=True)),
     "3.1", _granted("200000.00")),
    ("3.1 both: 20% 2,000,000 -> 400,000 (above the 25万 base cap, below 50万)",
     _ent(platform("2000000", leading_enterprise_initiated=True, sme_interconnected=True)),
     "3.1", _granted("400000.00")),
    ("3.1 both: 20% 2,499,999.99 -> 499,999.998 -> rounds to 500,000.00",
     _ent(platform("2499999.99", leading_enterprise_initiated=True, sme_interconnected=True)),
     "3.1", _granted("500000.00")),
    ("3.1 both: 20% 2,500,000 -> exactly the 500,000 cap",
     _ent(platform("2500000", leading_enterprise_initiated=True, sme_interconnected=True)),
     "3.1", _granted("500000.00")),
    ("3.1 both: 20% 2,500,001 -> 500,000.20 capped at 500,000",
     _ent(platform("2500001", leading_enterprise_initiated=True, sme_interconnected=True)),
     "3.1", _granted("500000.00")),
    ("3.1 both: 20% 3,000,000 -> 600,000 capped at 500,000",
     _ent(platform("3000000", leading_enterprise_initiated=True, sme_interconnected=True)),
     "3.1", _granted("500000.00")),
    ("3.1 only leading: 15% 2,000,000 -> 300,000 capped at 250,000",
     _ent(platform("2000000", leading_enterprise_initiated=True)), "3.1", _granted("250000.00")),
    ("3.1 only interconnected: 15% 2,000,000 -> 300,000 capped at 250,000",
     _ent(platform("2000000", sme_interconnected=True)), "3.1", _granted("250000.00")),
    ("3.1 leading, interconnected false: 15% 1,000,000 -> 150,000",
     _ent(platform("1000000", leading_enterprise_initiated=True, sme_interconnected=False)),
     "3.1", _granted("150000.00")),
    ("3.1 platform not landed -> not eligible",
     _ent({"platform_landed": False, "platform_it_investment": "1000000"}), "3.1", NE_NONE),
    ("3.1 association -> not eligible",
     applicant("association", project(**platform("1000000"))), "3.1", NE_NONE),
    # ---- 3.2: 15% of prior-year service spend, cap 5万
    ("3.2 15% 100,000 -> 15,000",
     _ent(app_32("100000")), "3.2", _granted("15000.00")),
    ("3.2 15% 333,333.20 -> 49,999.98",
     _ent(app_32("333333.20")), "3.2", _granted("49999.98")),
    ("3.2 15% 333,333.33 -> 49,999.9995 -> rounds to 50,000.00",
     _ent(app_32("333333.33")), "3.2", _granted("50000.00")),
    ("3.2 15% 333,333.34 -> 50,000.001 capped at 50,000",
     _ent(app_32("333333.34")), "3.2", _granted("50000.00")),
    ("3.2 15% 400,000 -> 60,000 capped at 50,000",
     _ent(app_32("400000")), "3.2", _granted("50000.00")),
    ("3.2 app not recognised -> not eligible",
     _ent({"industrial_app_recognized": False, "prior_year_service_spend": "100000"}), "3.2", NE_NONE),
    ("3.2 college -> not eligible",
     applicant("college", project(**app_32("100000"))), "3.2", NE_NONE),
    # ---- 4.1: provider only; diagnosed 20家以上 and started >= 20% of diagnosed; 10万 lump sum
    ("4.1 diagnosed 19, started 19 -> not eligible (fewer than 20)",
     _prov({"enterprises_diagnosed": 19, "enterprises_started": 19}), "4.1", NE_NONE),
    ("4.1 diagnosed 20, started 4 = exactly 20% -> 100,000",
     _prov({"enterprises_diagnosed": 20, "enterprises_started": 4}), "4.1", _granted("100000.00")),
    ("4.1 diagnosed 20, started 3 = 15% -> not eligible",
     _prov({"enterprises_diagnosed": 20, "enterprises_started": 3}), "4.1", NE_NONE),
    ("4.1 diagnosed 20, started 0 -> not eligible",
     _prov({"enterprises_diagnosed": 20, "enterprises_started": 0}), "4.1", NE_NONE),
    ("4.1 diagnosed 20, started 20 -> 100,000",
     _prov({"enterprises_diagnosed": 20, "enterprises_started": 20}), "4.1", _granted("100000.00")),
    ("4.1 diagnosed 21, started 4 < 4.2 (just below 20%) -> not eligible",
     _prov({"enterprises_diagnosed": 21, "enterprises_started": 4}), "4.1", NE_NONE),
    ("4.1 diagnosed 21, started 5 >= 4.2 -> 100,000",
     _prov({"enterprises_diagnosed": 21, "enterprises_started": 5}), "4.1", _granted("100000.00")),
    ("4.1 diagnosed 25, started 5 = exactly 20% -> 100,000",
     _prov({"enterprises_diagnosed": 25, "enterprises_started": 5}), "4.1", _granted("100000.00")),
    ("4.1 diagnosed 100, started 19 (19%) -> not eligible",
     _prov({"enterprises_diagnosed": 100, "enterprises_started": 19}), "4.1", NE_NONE),
    ("4.1 diagnosed 100, started 20 (20%) -> 100,000",
     _prov({"enterprises_diagnosed": 100, "enterprises_started": 20}), "4.1", _granted("100000.00")),
    ("4.1 enterprise (not a provider) -> not eligible",
     _ent({"enterprises_diagnosed": 20, "enterprises_started": 4}), "4.1", NE_NONE),
    ("4.1 association -> not eligible",
     applicant("association", project(enterprises_diagnosed=20, enterprises_started=4)), "4.1", NE_NONE),
    # ---- 5.1: association only; 5万 per qualified session
    ("5.1 association, 0 sessions -> 0: not eligible",
     applicant("association", project(qualified_sessions=0)), "5.1", NE_ZERO),
    ("5.1 association, 1 session -> 50,000",
     applicant("association", project(qualified_sessions=1)), "5.1", _granted("50000.00")),
    ("5.1 association, 3 sessions -> 150,000",
     applicant("association", project(qualified_sessions=3)), "5.1", _granted("150000.00")),
    ("5.1 association, 25 sessions -> 1,250,000 (no cap)",
     applicant("association", project(qualified_sessions=25)), "5.1", _granted("1250000.00")),
    ("5.1 enterprise -> not eligible",
     _ent({"qualified_sessions": 3}), "5.1", NE_NONE),
    ("5.1 college -> not eligible",
     applicant("college", project(qualified_sessions=3)), "5.1", NE_NONE),
    # ---- 5.2 and 6.1: no formula, referred
    ("5.2 college programme -> referred, no amount",
     applicant("college", project(college_program=True)), "5.2", REFERRED),
    ("5.2 college_program false -> not eligible",
     applicant("college", project(college_program=False)), "5.2", NE_NONE),
    ("6.1 financing request -> referred, no amount",
     _ent({"financing_request": True}), "6.1", REFERRED),
    ("6.1 financing request by an association -> referred",
     applicant("association", project(financing_request=True)), "6.1", REFERRED),
    ("6.1 financing_request false -> not eligible",
     _ent({"financing_request": False}), "6.1", NE_NONE),
    # ---- rounding half-up to 0.01, once, at the end of the measure (I-1)
    ("round 1.1 20% of 100,000.025 = 20,000.005 exactly -> 20,000.01 (half-up)",
     _ent(demo_11("100000.025")), "1.1", _granted("20000.01")),
    ("round 1.1 20% of 100,000.024999 = 20,000.0049998 -> 20,000.00",
     _ent(demo_11("100000.024999")), "1.1", _granted("20000.00")),
    ("round 1.1 20% of (0.01 + 0.015) = 0.005 exactly -> 0.01",
     _ent(demo_11("0.01", "0.015")), "1.1", _granted("0.01")),
    ("round 1.1 20% of 0.0249 = 0.00498 -> 0.00: amount 0, not eligible",
     _ent(demo_11("0.0249")), "1.1", NE_ZERO),
    ("round 1.3 5% of 100,000.1 = 5,000.005 exactly -> 5,000.01 (half-even would give 5,000.00)",
     _prov(iiot("100000.1")), "1.3", _granted("5000.01")),
    ("round 1.3 5% of 100,000.0999999999 = 5,000.004999999995 -> 5,000.00",
     _prov(iiot("100000.0999999999")), "1.3", _granted("5000.00")),
    ("round 1.3 5% of 9,999,999.89999999999999999999 = 499,999.9949999999999999999995 (28 digits) "
     "-> 499,999.99",
     _prov(iiot("9999999.89999999999999999999")), "1.3", _granted("499999.99")),
    ("round 1.3 5% of 9,999,999.9 = 499,999.995 exactly -> 500,000.00 (half-up, cap not bound)",
     _prov(iiot("9999999.9")), "1.3", _granted("500000.00")),
    ("round 1.2 15% of 100,000.03 = 15,000.0045 -> 15,000.00",
     _ent(g5("100000.03")), "1.2", _granted("15000.00")),
    ("round 1.2 15% of 100,000.04 = 15,000.006 -> 15,000.01",
     _ent(g5("100000.04")), "1.2", _granted("15000.01")),
    ("round 3.2 15% of 33,333.37 = 5,000.0055 -> 5,000.01",
     _ent(app_32("33333.37")), "3.2", _granted("5000.01")),
    ("round 3.1 15% of 0.03 = 0.0045 -> 0.00: amount 0, not eligible",
     _ent(platform("0.03")), "3.1", NE_ZERO),
    ("round 3.1 15% of 0.1 = 0.015 exactly -> 0.02",
     _ent(platform("0.1")), "3.1", _granted("0.02")),
    ("round 3.1 20% of 0.075 = 0.015 exactly -> 0.02",
     _ent(platform("0.075", leading_enterprise_initiated=True, sme_interconnected=True)),
     "3.1", _granted("0.02")),
    ("round 1.1 money as a JSON-style number string with many zeros 1000000.000 -> 200,000",
     _ent(demo_11("1000000.000")), "1.1", _granted("200000.00")),
]

MEASURE_CASES: list[Case] = [
    Case(cid, app, measure, *expected) for cid, app, measure, expected in _C
]

assert len({c.id for c in MEASURE_CASES}) == len(MEASURE_CASES), "case ids must be unique"
assert all(isinstance(Decimal(c.amount), Decimal) for c in MEASURE_CASES if c.amount is not None)
