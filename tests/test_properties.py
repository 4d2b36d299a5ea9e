"""Properties of the shipped policy, over applications generated from the policy itself."""

from __future__ import annotations

import copy
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jinjiang_dsl import load_policy
from jinjiang_dsl.testing import Strategies, amount_inputs, edges

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"

COMPILED = load_policy(POLICY)
INTERPRETED = load_policy(POLICY, backend="interpreter")
S = Strategies(COMPILED)
PLAN = COMPILED.plan


def caps_of(mid: str) -> list[Decimal]:
    m = PLAN.measure(mid)
    caps = [c.value for c in (m.cap, *(o.cap for o in m.overrides)) if c is not None]  # type: ignore[union-attr]
    if m.formula.kind in ("bands", "thresholds"):
        caps += [t.amount.value for t in m.formula.tiers]  # type: ignore[union-attr]
    return caps


def test_edges_come_from_the_policy() -> None:
    e = edges(PLAN)
    assert {Decimal("499999.99"), Decimal("500000"), Decimal("500000.01")} <= e["mis_software_spend"]
    assert {Decimal(9), Decimal(10), Decimal(11), Decimal(49), Decimal(50), Decimal(51)} <= e["sme_adopters"]
    assert {Decimal("100000"), Decimal("100000.01")} <= e["cloud_service_fee"]
    # 1.1: 100万 at 20% binds from 500万; at 25% from 400万
    assert {Decimal("5000000.00"), Decimal("4000000.00")} <= e["software_investment"]
    assert {Decimal(19), Decimal(20), Decimal(21)} <= e["enterprises_diagnosed"]


@given(S.document())
def test_no_grant_exceeds_its_caps_and_one_measure_per_project(doc: dict[str, Any]) -> None:
    batch = COMPILED.evaluate(doc)
    for d in batch.applicants:
        for p in d.projects:
            granted = [a for a in p.awards if a.status == "granted"]
            assert len(granted) <= 1  # R1
            for a in granted:
                top = max(caps_of(a.measure), default=None)
                if top is not None:
                    assert a.entitlement <= top
                assert a.amount <= a.entitlement
            for a in p.awards:
                assert a.status == "granted" or not a.amount  # only granted awards pay


@given(S.document())
def test_totals_respect_the_annual_limits_and_add_up_exactly(doc: dict[str, Any]) -> None:
    apps, batch = COMPILED.run(doc)
    for app, d in zip(apps, batch.applicants):
        if d.status != "ok":
            continue
        paid = [a.amount for p in d.projects for a in p.awards if a.status == "granted"]
        assert d.total == sum(paid, Decimal(0))
        if app.facts.get("kind") in ("enterprise", "provider") and d.total:
            headroom = max(app.facts["fiscal_contribution"] - app.facts.get("other_municipal_subsidies", 0), 0)
            by_year: dict[int, Decimal] = {}
            for p, pd in zip(app.projects, d.projects):
                for a in pd.awards:
                    if a.status == "granted":
                        by_year[p.date.year] = by_year.get(p.date.year, Decimal(0)) + a.amount
            for _year, total in by_year.items():
                assert total <= headroom
                reduced = any(s.kind == "limit" and s.params.get("variant") == "reduced"
                              for pd in d.projects for a in pd.awards for s in a.trace)
                if reduced and len(by_year) == 1:
                    assert total == headroom.quantize(Decimal("0.01"), rounding="ROUND_DOWN")


@given(S.document())
def test_compiled_and_interpreted_agree(doc: dict[str, Any]) -> None:
    assert COMPILED.evaluate(doc).to_json("en") == INTERPRETED.evaluate(doc).to_json("en")


@given(S.document().filter(lambda d: COMPILED.evaluate(d).summary.errors == 0), st.randoms(use_true_random=False))
def test_evaluation_is_deterministic_and_independent_of_applicant_order(doc: dict[str, Any], rnd: random.Random) -> None:
    first = COMPILED.evaluate(doc).to_json("zh")
    assert COMPILED.evaluate(copy.deepcopy(doc)).to_json("zh") == first
    shuffled = copy.deepcopy(doc)
    rnd.shuffle(shuffled["applicants"])
    again = {a["id"]: a for a in COMPILED.evaluate(shuffled).to_json("zh")["applicants"]}
    for a in first["applicants"]:
        assert again[a["id"]] == a  # (errors name the applicant's index, so valid documents only)
    # projects are NOT shuffled: input order decides 1.2's cap and equal once-per-year claims (I-4, I-12)


@given(S.document())
def test_json_output_round_trips_and_writes_money_with_two_decimals(doc: dict[str, Any]) -> None:
    out = COMPILED.evaluate(doc).to_json("en")
    text = json.dumps(out, ensure_ascii=False)
    assert json.loads(text) == out
    for a in out["applicants"]:
        assert a["total"].count(".") == 1 and len(a["total"].split(".")[1]) == 2
        for p in a["projects"]:
            for award in p["awards"]:
                for key in ("entitlement", "amount"):
                    v = award[key]
                    assert v is None or (isinstance(v, str) and len(v.split(".")[1]) == 2)


@given(S.invalid_applicant(), S.applicant("GOOD"))
def test_invalid_input_is_an_error_for_that_applicant_only(bad: tuple[dict[str, Any], str], good: dict[str, Any]) -> None:
    record, path = bad
    batch = COMPILED.evaluate({"applicants": [good, record]})
    assert [d.id for d in batch.applicants] == ["GOOD", "BAD"]
    assert batch.applicants[0].status == "ok" or batch.applicants[0].errors  # GOOD is evaluated on its own merits
    errors = batch.applicants[1].errors
    assert batch.applicants[1].status == "error"
    assert any(e.startswith(f"applicants[1].{path}") for e in errors), errors


# ---------------------------------------------------------------------- monotonicity

GROWING = [m.id for m in PLAN.measures if amount_inputs(PLAN, m)]


def _bump(doc: dict[str, Any], field: str, delta: Decimal) -> dict[str, Any]:
    bigger = copy.deepcopy(doc)
    project = bigger["applicants"][0]["projects"][0]
    old = project[field]
    project[field] = old + int(delta) if isinstance(old, int) else f"{Decimal(old) + delta:f}"
    return bigger


def test_every_computed_measure_is_checked_for_monotonicity() -> None:
    assert GROWING == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "5.1"]


@pytest.mark.parametrize("mid", GROWING)
@settings(max_examples=30)
@given(data=st.data())
def test_a_larger_base_never_pays_less(mid: str, data: st.DataObject) -> None:
    """No table of this policy declares a cliff, so for every measure more base (or a higher
    looked-up value, or more sessions) never pays less. The checker warns of any cliff a
    drafter writes; one written with 'allow cliff' would be the only place this may fail."""
    m = PLAN.measure(mid)
    field = data.draw(st.sampled_from(amount_inputs(PLAN, m)))
    facts = {n: S.value(n) for n in sorted(m.own_facts) if PLAN.inputs[n].kind != "bool"}
    flags = {n: st.just(True) for n in sorted(m.own_facts) if PLAN.inputs[n].kind == "bool"}
    project = data.draw(st.fixed_dictionaries({"id": st.just("P1"), "date": st.just("2023-06-01"), **facts,
                                               **flags}))
    applicant = data.draw(S.applicant("A1", 1))
    applicant.update(projects=[project], fiscal_contribution="100000000", other_municipal_subsidies="0")
    doc = {"applicants": [applicant]}
    kind = PLAN.inputs[field].kind
    delta = Decimal(data.draw(st.sampled_from(["0.01", "1", "1000", "100000"]) if kind == "money"
                              else st.sampled_from(["1", "5", "30"])))

    def entitlement(d: dict[str, Any]) -> Decimal:
        out = COMPILED.evaluate(d).applicants[0]
        award = next((a for a in out.projects[0].awards if a.measure == mid), None) if out.status == "ok" else None
        return award.entitlement or Decimal(0) if award else Decimal(0)

    assert entitlement(_bump(doc, field, delta)) >= entitlement(doc)


SHAPES = sorted((ROOT / "policies" / "shapes").glob("*.pol"))


@pytest.mark.parametrize("path", SHAPES, ids=lambda p: p.stem)
def test_the_strategies_serve_every_shape_policy(path: Path) -> None:
    # an applicant-level policy (S1) has applicants without projects: a spoiled one, and a project, are still drawn
    strategies = Strategies(load_policy(path))
    policy = strategies.policy

    @settings(max_examples=10, deadline=None)
    @given(strategies.invalid_applicant(), strategies.project("P1"))
    def drawn(bad: tuple[dict[str, Any], str], project: dict[str, Any]) -> None:
        record, where = bad
        [app] = policy.evaluate({"applicants": [record]}).applicants
        assert app.status == "error" and any(e.startswith(f"applicants[0].{where}") for e in app.errors), app.errors
        assert project["id"] == "P1"

    drawn()
