"""Three engines, one answer (issue 13): every policy decided in Python, on DuckDB and on Spark SQL in local
mode, on its examples and on Hypothesis-generated populations, with the same status and amount for every
award, the same shares and instalments, the same error rows."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jinjiang_dsl import load_policy
from jinjiang_dsl.api import EngineName, Policy, policy_from_source
from jinjiang_dsl.cli import main
from jinjiang_dsl.examples import record
from jinjiang_dsl.testing import Strategies

pytest.importorskip("pyspark", reason="the Spark engine is an optional extra: pip install 'jinjiang-dsl[spark]'")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").rglob("*.pol")) + [ROOT / "tests" / "fixtures" / "every_construct.pol"]
JINJIANG = ROOT / "policies" / "jinjiang_2023.pol"
ENGINES: tuple[EngineName, ...] = ("python", "duckdb", "spark")


@pytest.fixture(scope="module", autouse=True)
def spark() -> Iterator[Any]:
    """One local session for the module, which the engine finds (getOrCreate). Tuned for small batches on a
    shared two-core machine: no adaptive re-planning and no whole-stage code generation (compiling Java for
    each stage costs more than it saves on a few hundred rows), one shuffle partition."""
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("jinjiang-dsl tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.log.level", "FATAL").config("spark.sql.shuffle.partitions", "1")
               .config("spark.sql.adaptive.enabled", "false").config("spark.sql.codegen.wholeStage", "false")
               .getOrCreate())
    yield session
    session.stop()


def decided(policy: Policy, document: dict[str, Any]) -> dict[str, list[Any]]:
    """Each engine's applicants, as the contract writes them."""
    return {engine: [a.to_json("zh", trace=False) for a in policy.run(document, trace=False, engine=engine)[1].applicants]
            for engine in ENGINES}


def agree(found: dict[str, list[Any]]) -> list[Any]:
    """The applicants, when the three engines decided each of them alike (compared one by one, so a failure
    shows the applicant that differs)."""
    python = found["python"]
    for engine in ENGINES[1:]:
        assert len(found[engine]) == len(python)
        for mine, theirs in zip(found[engine], python):
            assert (engine, mine) == (engine, theirs)
    return python


def generated(policy: Policy) -> list[dict[str, Any]]:
    """Applicants from many Hypothesis-generated populations (an invalid applicant among some), renamed apart
    so that they make one batch: Spark then runs one query for all of them."""
    strategies = Strategies(policy)
    invalid = st.lists(strategies.invalid_applicant().map(lambda found: found[0]), max_size=1) \
        if strategies.project_measures else st.just([])
    found: list[dict[str, Any]] = []

    @settings(max_examples=settings.default.max_examples, database=None)
    @given(strategies.document(max_applicants=6), invalid)
    def collect(document: dict[str, Any], bad: list[dict[str, Any]]) -> None:
        n = len(found)
        found.extend({**a, "id": f"generated {n}.{i} {a['id']}"} for i, a in enumerate(document["applicants"] + bad))

    collect()
    return found


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_the_three_engines_agree_on_the_examples_and_on_generated_populations(path: Path) -> None:
    # the examples stand at the tiers' and caps' boundaries; the generated populations around every edge the
    # policy has. One batch, so one Spark query per policy.
    policy = load_policy(path)
    examples = [record(policy, e) | {"id": f"example {i}"} for i, e in enumerate(policy.checked.policy.all_examples())]
    applicants = agree(decided(policy, {"applicants": examples + generated(policy)}))
    awards = [award for a in applicants[:len(examples)]
              for award in [*a.get("awards", []), *(x for p in a["projects"] for x in p["awards"])]]
    assert any(award["status"] == "granted" for award in awards)


EXACT = """policy "精确" / "exact" {
  rounding 0.01元 half_even
}
project {
  spend: money "投入" / "spend"
  units: count "数量" / "units"
}
measure 1 "甲" / "A" {
  clause 一
  amount 20% of units * spend, at most 100万
}
"""


def test_a_ratio_in_a_when_line_is_decided_alike_on_the_three_engines() -> None:
    from test_sql import ratio_in_a_when

    when, document = ratio_in_a_when()
    found = agree(decided(policy_from_source(when), document))
    assert [a["status"] for a in found] == ["ok", "ok", "error", "ok", "error", "ok", "ok"]


def test_money_is_exact_on_spark_past_what_a_64_bit_integer_or_a_double_holds() -> None:
    # 20 decimals rounded half-even to the fen, at the cap and just under it; and 20% of 999,999,999 units at
    # ~10^15 each, beyond DECIMAL(38): Spark overflows (ANSI mode), the batch is decided in Python, the
    # applicant with it too
    policy = policy_from_source(EXACT)
    spends = ["0.02500000000000000000", "0.03500000000000000000", "0.02500000000000000001", "5000000", "4999999.99"]
    document = {"applicants": [{"id": f"E{i}", "projects": [{"id": "P1", "spend": spend, "units": 1}]}
                               for i, spend in enumerate(spends)]}
    applicants = agree(decided(policy, document))
    assert [a["total"] for a in applicants] == ["0.00", "0.01", "0.01", "1000000.00", "1000000.00"]
    document["applicants"].append({"id": "HUGE", "projects": [{"id": "P1", "units": 999999999,
                                                               "spend": "999999999999999.99999999999999999999"}]})
    policy = policy_from_source(EXACT.replace(", at most 100万", ""))
    applicants = agree(decided(policy, document))
    assert applicants[-1]["total"] == "199999999800000000000000.00"


def test_eval_engine_spark_writes_what_the_python_engine_writes(tmp_path: Path, capsys: Any) -> None:
    outputs = []
    for engine in ("python", "spark"):
        out = tmp_path / f"{engine}.json"
        assert main(["eval", str(JINJIANG), str(ROOT / "examples" / "applications.json"), "--engine", engine,
                     "--no-trace", "-o", str(out)]) == 0
        decided_there = json.loads(out.read_text(encoding="utf-8"))
        decided_there.pop("evaluated_at")
        outputs.append(decided_there)
    assert outputs[0] == outputs[1]
    assert any(a["status"] == "error" for a in outputs[1]["applicants"])
    assert main(["eval", str(JINJIANG), str(ROOT / "examples" / "applications.json"), "--engine", "spark",
                 "--register", str(tmp_path / "r.sqlite")]) == 2
    assert "--engine spark does not record in the register" in capsys.readouterr().err


def test_a_stream_on_spark_writes_every_line_as_the_python_engine_does(tmp_path: Path) -> None:
    from streams import same_stream

    out_lines = same_stream(tmp_path, "spark", 400, seed=13, broken_share=0.02, bad_at=10)
    assert json.loads(out_lines[10])["errors"] == ["line 11: not valid JSON: Expecting value at column 1"]


def test_without_pyspark_engine_spark_says_what_to_install(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails, as where it is not installed
    apps = ROOT / "examples" / "applications.json"
    assert main(["eval", str(JINJIANG), str(apps), "--engine", "spark"]) == 2
    assert "--engine spark needs pyspark: pip install 'jinjiang-dsl[spark]'" in capsys.readouterr().err
    assert main(["impact", str(JINJIANG), str(JINJIANG), str(apps), "--engine", "spark"]) == 2
    assert "pip install 'jinjiang-dsl[spark]'" in capsys.readouterr().err
