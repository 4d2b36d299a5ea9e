"""The Jinjiang rules written by hand in plain Python: the ceiling for a pure-Python evaluator.

Same semantics as the policy (statuses and amounts, no explanations), on the same
validated facts (:class:`jinjiang_dsl.inputs.Applicant`). The benchmark checks that it
agrees with the engine before it times anything.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal(0)
ENTERPRISE = ("enterprise", "provider")
INDUSTRIES = frozenset(["纺织", "鞋服", "食品", "建材", "机械", "医疗器械", "电子信息", "晴雨伞", "包装印刷"])
IN_FORCE = (dt.date(2023, 5, 1), dt.date(2024, 12, 31))
BY_REFERENCE = (dt.date(2023, 1, 1), dt.date(2023, 4, 30))
OWN = {
    "1.1": {"industry", "selected_demo", "completed_in_year", "promotes_adoption", "software_investment",
            "hardware_investment", "quanzhou_park_key_project"},
    "1.2": {"quanzhou_5g_demo", "quanzhou_recognized_investment", "quanzhou_approved_subsidy"},
    "1.3": {"quanzhou_iiot_demo", "quanzhou_recognized_it_investment"},
    "2.1": {"sme_adopters"},
    "2.2": {"mis_software_spend"},
    "2.3": {"cloud_service_fee"},
    "3.1": {"platform_landed", "platform_it_investment", "leading_enterprise_initiated", "sme_interconnected"},
    "3.2": {"industrial_app_recognized", "prior_year_service_spend"},
    "4.1": {"enterprises_diagnosed", "enterprises_started"},
    "5.1": {"qualified_sessions"},
    "5.2": {"college_program"},
    "6.1": {"financing_request"},
}
ORDER = list(OWN)


def r(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def rate(base: Decimal, pct: Decimal, cap: Decimal) -> Decimal:
    return r(min(base * pct, cap))


def measure(mid: str, a: dict[str, Any], p: dict[str, Any]) -> tuple[str, Decimal | None]:
    """(status, entitlement) of one measure for one project; status eligible/not_eligible/referred."""
    ent = a.get("kind") in ENTERPRISE
    try:
        if mid == "1.1":
            ok = ent and p.get("industry") in INDUSTRIES and p["selected_demo"] and p["completed_in_year"] \
                and p["promotes_adoption"]
            if not ok:
                return "not_eligible", None
            base = p["software_investment"] + p["hardware_investment"]
            amount = rate(base, Decimal("0.25") if p["quanzhou_park_key_project"] else Decimal("0.2"),
                          Decimal(1_000_000))
        elif mid == "1.2":
            if not (ent and p["quanzhou_5g_demo"]):
                return "not_eligible", None
            amount = rate(p["quanzhou_recognized_investment"], Decimal("0.15"), Decimal(100_000))
        elif mid == "1.3":
            if not (a.get("kind") == "provider" and p["quanzhou_iiot_demo"]):
                return "not_eligible", None
            amount = rate(p["quanzhou_recognized_it_investment"], Decimal("0.05"), Decimal(500_000))
        elif mid == "2.1":
            if a.get("kind") != "provider":
                return "not_eligible", None
            n = p["sme_adopters"]
            amount = Decimal(300_000 if n >= 50 else 200_000 if n >= 20 else 100_000 if n >= 10 else 0)
        elif mid == "2.2":
            if not (ent and a["manufacturer"]):
                return "not_eligible", None
            v = p["mis_software_spend"]
            amount = Decimal(300_000 if v >= 3_000_000 else 200_000 if v >= 2_000_000 else
                             100_000 if v >= 1_000_000 else 50_000 if v >= 500_000 else 0)
        elif mid == "2.3":
            if not (ent and a["above_scale_industrial"]):
                return "not_eligible", None
            v = p["cloud_service_fee"]
            amount = Decimal(60_000 if v > 100_000 else 30_000 if v > 50_000 else 0)
        elif mid == "3.1":
            if not (ent and p["platform_landed"]):
                return "not_eligible", None
            high = p["leading_enterprise_initiated"] and p["sme_interconnected"]
            amount = rate(p["platform_it_investment"], Decimal("0.2") if high else Decimal("0.15"),
                          Decimal(500_000) if high else Decimal(250_000))
        elif mid == "3.2":
            if not (ent and p["industrial_app_recognized"]):
                return "not_eligible", None
            amount = rate(p["prior_year_service_spend"], Decimal("0.15"), Decimal(50_000))
        elif mid == "4.1":
            d, s = p.get("enterprises_diagnosed"), p.get("enterprises_started")
            if a.get("kind") != "provider" or d is None or d < 20 or s is None or s < Decimal("0.2") * d:
                return "not_eligible", None
            amount = Decimal(100_000)
        elif mid == "5.1":
            if a.get("kind") != "association":
                return "not_eligible", None
            amount = r(Decimal(50_000) * p["qualified_sessions"])
        elif mid == "5.2":  # referred, for colleges only (I-13)
            if a.get("kind") != "college":
                return "not_eligible", None
            return ("referred", None) if p["college_program"] else ("not_eligible", None)
        else:  # 6.1: referred
            return ("referred", None) if p["financing_request"] else ("not_eligible", None)
    except KeyError:
        return "not_eligible", None
    return ("eligible", amount) if amount > 0 else ("not_eligible", ZERO)


def split(amounts: list[Decimal], target: Decimal) -> list[Decimal]:
    cents = [int(x / CENT) for x in amounts]
    total, goal = sum(cents), int((target / CENT).to_integral_value(rounding=ROUND_DOWN))
    floors = [c * goal // total for c in cents]
    rema = [c * goal % total for c in cents]
    for i in sorted(range(len(cents)), key=lambda i: (-rema[i], i))[: goal - sum(floors)]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]


def evaluate(app: Any) -> dict[str, Any]:
    """{project id: {measure: (status, entitlement, amount)}} and the total, as the engine decides."""
    a = app.facts
    out: dict[str, dict[str, list[Any]]] = {}
    for p in app.projects:
        f = p.facts
        awards: dict[str, list[Any]] = {}
        d = p.date
        in_period = IN_FORCE[0] <= d <= IN_FORCE[1] or BY_REFERENCE[0] <= d <= BY_REFERENCE[1]
        for mid in ORDER:
            if not (OWN[mid] & p.given):
                continue
            if not in_period:
                awards[mid] = ["out_of_period", ZERO, ZERO]
                continue
            status, e = measure(mid, a, f)
            awards[mid] = [status, e, None if status == "referred" else ZERO]
        out[p.id] = awards
    # once per applicant per year (I-12): the year's highest claim, equal ones to the earlier project
    holders: dict[tuple[str, int], list[Any]] = {}
    for p in app.projects:
        for mid in ("2.1", "2.3", "4.1"):
            x = out[p.id].get(mid)
            if x and x[0] == "eligible":
                held = holders.setdefault((mid, p.date.year), x)
                if x is not held and x[1] > held[1]:
                    held[0], holders[(mid, p.date.year)] = "not_eligible", x
                elif x is not held:
                    x[0] = "not_eligible"
    for p in app.projects:
        f, awards = p.facts, out[p.id]
        eligible = [m for m, x in awards.items() if x[0] == "eligible"]
        if eligible:
            best = max(eligible, key=lambda m: (awards[m][1], [-int(x) for x in m.split(".")]))
            other = f.get("other_policy_award")
            for m in eligible:
                won = m == best and not (other is not None and other >= awards[best][1])
                awards[m][0] = "granted" if won else "superseded"
                awards[m][2] = awards[m][1] if won else ZERO
    # 1.2's annual cap in input order, then R2, per year
    years: dict[int, list[list[Any]]] = {}
    caps: dict[int, Decimal] = {}
    for p in app.projects:
        x = out[p.id].get("1.2")
        if x and x[0] == "granted":
            left = caps.setdefault(p.date.year, Decimal(500_000))
            x[2] = min(x[2], left)
            caps[p.date.year] = left - x[2]
    if a.get("kind") in ENTERPRISE:
        for p in app.projects:
            for x in out[p.id].values():
                if x[0] == "granted" and x[2]:
                    years.setdefault(p.date.year, []).append(x)
        if years:
            limit = a.get("fiscal_contribution")
            if limit is None:
                return {"error": True}
            head = max(limit - a.get("other_municipal_subsidies", ZERO), ZERO).quantize(CENT, rounding=ROUND_DOWN)
            for granted in years.values():
                if sum(x[2] for x in granted) > head:
                    for x, part in zip(granted, split([x[2] for x in granted], head)):
                        x[2] = part
    total = sum((x[2] for aw in out.values() for x in aw.values() if x[0] == "granted"), ZERO)
    return {"projects": out, "total": total}
