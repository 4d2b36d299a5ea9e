"""A percentage input in an application: "20%" is 0.20, a plain number is the fraction itself, and a plain
number above 1 (20: 20% or 2000%?) is an input error, never a silent 2000% — on both engines, with the value
shown as the notice writes it (20%)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from jinjiang_dsl import batch, load_policy
from jinjiang_dsl.api import Policy
from jinjiang_dsl.sql import native

POLICY = """policy "比例" / "Shares" {
  issued 2024-01-01
  dated by date
}
project { date: date "日期" / "date"  spend: money "投入" / "spend"  share: percent "占比" / "share" }
measure 1 "补助" / "Grant" {
  clause 一
  requires share in 不超过100%
  amount spend × share
}
"""


COMPARED = POLICY.replace("requires share in 不超过100%", "requires share in 10%以上").replace(
    "amount spend × share", "amount 10% of spend")  # a product of two inputs is one the SQL engine refuses


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    path = tmp_path_factory.mktemp("pct") / "pct.pol"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(path)


def decided(policy: Policy, share: Any) -> dict[str, Any]:
    out = policy.evaluate({"applicants": [{"id": "A", "projects": [
        {"id": "P", "date": "2023-06-01", "spend": "1000", "share": share}]}]}).to_json("en")
    return out["applicants"][0]


@pytest.mark.parametrize("share, amount", [
    ("20%", "200.00"), ("20％", "200.00"), ("2.5%", "25.00"), ("100%", "1000.00"), ("0%", "0.00"),
    ("0.2", "200.00"), (1, "1000.00"), ("1", "1000.00"), ("0", "0.00"),
])
def test_a_percentage_with_its_sign_or_as_a_fraction(policy: Policy, share: Any, amount: str) -> None:
    app = decided(policy, share)
    assert app["status"] == "ok", app["errors"]
    assert app["total"] == amount


@pytest.mark.parametrize("share, message", [
    (20, "20 as a percentage is a fraction (0.2 is 20%), so it would be 2000%: write \"20%\" with its sign"),
    ("1.01", "'1.01' as a percentage is a fraction (0.2 is 20%), so it would be 101%: write \"1.01%\" with its sign"),
    ("20 %x", "not a percentage: '20 %x' (write it with its sign, \"20%\", or as a fraction, 0.2)"),
    ("-5%", "negative percentage -5"),
    ("%", "not a percentage: '%' (write it with its sign, \"20%\", or as a fraction, 0.2)"),
    # a number out of bounds is told why, not to write a fraction it wrote
    ("0." + "0" * 20 + "1", "percentage 1E-21 has more than 20 decimal places"),
    ("1" * 16 + "%", "percentage " + "1" * 16 + " is implausibly large (a figure is below 10^15)"),
])
def test_a_plain_number_above_1_or_a_malformed_percentage_is_an_error_at_its_path(
        policy: Policy, share: Any, message: str) -> None:
    app = decided(policy, share)
    assert app["status"] == "error"
    assert app["errors"] == [f"applicants[0].projects[0].share: {message} (applicant A, project P)"]


def test_the_explanation_shows_a_percentage_as_the_notice_writes_it(policy: Policy) -> None:
    app = decided(policy, "0.2")
    text = "\n".join(s["text"] for s in app["projects"][0]["awards"][0]["trace"])
    assert "share 20%" in text and "share 0.2" not in text


def test_both_engines_read_percentages_alike(tmp_path: Any) -> None:
    (tmp_path / "compared.pol").write_text(COMPARED, encoding="utf-8")
    policy = load_policy(tmp_path / "compared.pol")
    shares = ["20%", "20％", "0.2", 0.5, 1, "1", 20, "20", "1.5", "150%", "-1%", "x%", None, "5%", "0.05"]
    data = "".join(json.dumps({"id": f"A{i}", "projects": [{"id": "P", "date": "2023-06-01", "spend": "1000",
                                                            **({} if s is None else {"share": s})}]},
                              ensure_ascii=False) + "\n" for i, s in enumerate(shares)).encode("utf-8")
    python: list[str] = []
    batch.run(policy, batch.read_jsonl(io.BytesIO(data), 1 << 20), python.append, trace=False)
    sql: list[str] = []
    native.run(policy, "jsonl", "en", sql.append, stream=io.BytesIO(data), max_line_bytes=1 << 20)
    assert "".join(sql) == "".join(python)
    lines = [json.loads(line) for line in "".join(python).splitlines()]
    assert [a["total"] for a in lines] == ["100.00"] * 6 + ["0.00"] * 3 + ["100.00"] + ["0.00"] * 5
    assert [a["status"] for a in lines].count("error") == 5  # 20, "20", "1.5", "-1%", "x%"


def test_the_emitted_schema_takes_what_the_reader_takes(policy: Policy) -> None:
    import jsonschema

    from jinjiang_dsl.sql.schema import json_schema

    validator = jsonschema.Draft202012Validator(json_schema(policy.plan))

    def fits(share: Any) -> bool:
        record = {"id": "A", "projects": [{"id": "P", "date": "2023-06-01", "spend": "1000", "share": share}]}
        assert next(iter(policy.read([record]))).ok == (not list(validator.iter_errors(record)))
        return not list(validator.iter_errors(record))

    assert all(fits(s) for s in ("20%", "20％", "150%", "0.2", "1", "1.00", 0, 1, " 20% ", "00.2", "01",
                                 "0.5" + "0" * 25, "20." + "0" * 25 + "%", "1." + "0" * 40))  # zeros after the places
    assert not any(fits(s) for s in (20, "20", "1.5", "1.01", "-1%", "x%", "%", "\t20%", "20%\u3000", "20 %",
                                     "0." + "0" * 20 + "1", "1." + "0" * 63, "2." + "0" * 63 + "%"))  # 21 places; 65 characters
