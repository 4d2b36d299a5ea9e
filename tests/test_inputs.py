"""Bad input: an error for that applicant only, with its JSON path; everyone else is evaluated.

io-contract.md: "Bad input is an error for that applicant only, reported with the JSON path
(e.g. applicants[3].projects[0].software_investment: negative money -5) and the applicant gets
status error in the output; every other applicant is still evaluated."
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jj_cases import (
    EXAMPLES_PATH,
    POLICY_PATH,
    applicant,
    demo_11,
    doc,
    enterprise,
    evaluate,
    find_applicant,
    find_award,
    g5,
    iiot,
    policy,
    project,
    provider,
    trace_text,
    walk,
)

from jinjiang_dsl.inputs import DocumentError, read_document


def good(aid: str) -> dict[str, Any]:
    """An applicant with one 2.2 grant of 50,000 (spend in [50万, 100万))."""
    return enterprise(project(mis_software_spend="600000"), aid=aid, manufacturer=True)


P = "applicants[1]"
PP = "applicants[1].projects[0]"

BAD_CASES: list[tuple[str, Any, list[str]]] = [
    # ---- wrong types
    ("bool as money (applicant)",
     enterprise(aid="BAD", fiscal_contribution=True),
     [f"{P}.fiscal_contribution: expected money as a string or number, got true"]),
    ("bool as money (project)",
     enterprise(project(**demo_11(False)), aid="BAD"),
     [f"{PP}.software_investment: expected money as a string or number, got false"]),
    ("list as money",
     enterprise(project(cloud_service_fee=["1"]), aid="BAD"),
     [f"{PP}.cloud_service_fee: expected money as a string or number, got a list"]),
    ("string count",
     provider(project(sme_adopters="12"), aid="BAD"),
     [f"{PP}.sme_adopters: expected a whole number, got '12'"]),
    ("fractional count",
     provider(project(sme_adopters=Decimal("12.5")), aid="BAD"),
     [f"{PP}.sme_adopters: expected a whole number, got 12.5"]),
    ("bool count",
     provider(project(sme_adopters=True), aid="BAD"),
     [f"{PP}.sme_adopters: expected a whole number, got true"]),
    ("number as bool (applicant)",
     enterprise(aid="BAD", manufacturer=1),
     [f"{P}.manufacturer: expected true or false, got 1"]),
    ("string as bool (project)",
     enterprise(project(quanzhou_5g_demo="true"), aid="BAD"),
     [f"{PP}.quanzhou_5g_demo: expected true or false, got 'true'"]),
    ("number as text",
     enterprise(project(industry=5), aid="BAD"),
     [f"{PP}.industry: expected text, got 5"]),
    ("money not digits",
     enterprise(project(cloud_service_fee="1e5"), aid="BAD"),
     [f"{PP}.cloud_service_fee: not an amount: '1e5' (write digits 0-9, e.g. \"1200000\" or \"1200000.50\")"]),
    ("money with thousands separator",
     enterprise(project(cloud_service_fee="100,000"), aid="BAD"),
     [f"{PP}.cloud_service_fee: not an amount: '100,000' (write digits 0-9, e.g. \"1200000\" or \"1200000.50\")"]),
    # ---- negative money and counts
    ("negative money string (the contract's example)",
     enterprise(project(**demo_11("100000", "-5")), aid="BAD"),
     [f"{PP}.hardware_investment: negative money -5"]),
    ("negative money number",
     enterprise(project(cloud_service_fee=-5), aid="BAD"),
     [f"{PP}.cloud_service_fee: negative money -5"]),
    ("negative applicant money",
     enterprise(aid="BAD", other_municipal_subsidies="-0.01"),
     [f"{P}.other_municipal_subsidies: negative money -0.01"]),
    ("negative count",
     provider(project(sme_adopters=-1), aid="BAD"),
     [f"{PP}.sme_adopters: negative count -1"]),
    # ---- figures too large or too fine to compute exactly (the engine's limits)
    ("money implausibly large",
     enterprise(project(cloud_service_fee="1000000000000000"), aid="BAD"),
     [f"{PP}.cloud_service_fee: amount 1000000000000000 is implausibly large (money is below 10^15)"]),
    ("money with more than 20 decimals",
     provider(project(**iiot("1000000.09999999999999999999999999")), aid="BAD"),
     [f"{PP}.quanzhou_recognized_it_investment: amount 1000000.09999999999999999999999999 has more than "
      "20 decimal places"]),
    ("count implausibly large",
     applicant("association", project(qualified_sessions=10**30), aid="BAD"),
     [f"{PP}.qualified_sessions: count {10**30} is implausibly large (at most 999,999,999)"]),
    # ---- unknown kind
    ("unknown kind with did-you-mean",
     applicant("enterprize", aid="BAD"),
     [f"{P}.kind: unknown kind 'enterprize'; did you mean 'enterprise'?"]),
    ("unknown kind without a close match",
     applicant("company", aid="BAD"),
     [f"{P}.kind: unknown kind 'company' (one of enterprise, provider, association, college)"]),
    ("kind not a string",
     applicant(3, aid="BAD"),
     [f"{P}.kind: expected one of enterprise, provider, association, college, got 3"]),
    # ---- dates
    ("impossible date",
     enterprise(project(date="2023-02-30"), aid="BAD"),
     [f"{PP}.date: not a date: '2023-02-30' (expected YYYY-MM-DD)"]),
    ("date in another format",
     enterprise(project(date="2023/06/01"), aid="BAD"),
     [f"{PP}.date: not a date: '2023/06/01' (expected YYYY-MM-DD)"]),
    ("date as a number",
     enterprise(project(date=20230601), aid="BAD"),
     [f"{PP}.date: expected a date \"YYYY-MM-DD\", got 20230601"]),
    # ---- duplicate project ids
    ("duplicate project ids",
     enterprise(project("X"), project("X", "2023-07-01"), aid="BAD"),
     [f"{P}.projects[1].id: duplicate project id 'X' (also {P}.projects[0])"]),
    # ---- unknown fields
    ("unknown project field with did-you-mean",
     enterprise(project(sofware_investment="1"), aid="BAD"),
     [f"{PP}.sofware_investment: unknown field 'sofware_investment'; did you mean 'software_investment'?"]),
    ("unknown applicant field with did-you-mean",
     enterprise(aid="BAD", fiscal_contributon="5"),
     [f"{P}.fiscal_contributon: unknown field 'fiscal_contributon'; did you mean 'fiscal_contribution'?"]),
    ("unknown field without a close match",
     enterprise(project(zzzzzz=1), aid="BAD"),
     [f"{PP}.zzzzzz: unknown field 'zzzzzz'"]),
    ("applicant field put in a project",
     enterprise(project(manufacturer=True), aid="BAD"),
     [f"{PP}.manufacturer: unknown field: manufacturer belongs to the applicant, not the project"]),
    ("project field put on the applicant",
     enterprise(aid="BAD", cloud_service_fee="60000"),
     [f"{P}.cloud_service_fee: unknown field: cloud_service_fee belongs to the project, not the applicant"]),
    # ---- enterprises_started > enterprises_diagnosed
    ("started exceeds diagnosed",
     provider(project(enterprises_diagnosed=20, enterprises_started=21), aid="BAD"),
     [f"{PP}.enterprises_started: enterprises started cannot exceed enterprises diagnosed"]),
    # ---- missing required fields
    ("missing applicant id",
     {"kind": "enterprise", "projects": []},
     [f"{P}.id: missing (every applicant needs an id)"]),
    ("empty applicant id",
     {"id": " ", "kind": "enterprise", "projects": []},
     [f"{P}.id: expected a non-empty string, got ' '"]),
    ("applicant id not a string",
     {"id": 7, "kind": "enterprise", "projects": []},
     [f"{P}.id: expected a non-empty string, got 7"]),
    ("missing kind",
     applicant(None, aid="BAD"),
     [f"{P}.kind: missing (one of enterprise, provider, association, college)"]),
    ("missing date",
     enterprise(project(date=None, cloud_service_fee="60000"), aid="BAD"),
     [f"{PP}.date: missing (the date decides the period and the year)"]),
    ("missing project id",
     enterprise({"date": "2023-06-01"}, aid="BAD"),
     [f"{PP}.id: missing (every project needs an id)"]),
    # ---- wrong shapes
    ("applicant is a string", "E002", [f"{P}: expected an object, got a string"]),
    ("applicant is a number", 5, [f"{P}: expected an object, got a number"]),
    ("applicant is a list", [], [f"{P}: expected an object, got a list"]),
    ("applicant is null", None, [f"{P}: expected an object, got null"]),
    ("projects not a list",
     {"id": "BAD", "kind": "enterprise", "projects": {"id": "P1"}},
     [f"{P}.projects: expected a list, got an object"]),
    ("project not an object",
     {"id": "BAD", "kind": "enterprise", "projects": ["P1"]},
     [f"{PP}: expected an object, got a string"]),
    # ---- several problems in one applicant: all reported, in order
    ("several problems",
     enterprise(project(date="2023-09-31", softwre_investment="100000", hardware_investment="-5"), aid="BAD"),
     [f"{PP}.date: not a date: '2023-09-31' (expected YYYY-MM-DD)",
      f"{PP}.softwre_investment: unknown field 'softwre_investment'; did you mean 'software_investment'?",
      f"{PP}.hardware_investment: negative money -5"]),
]


def named(error: str, record: Any) -> str:
    """An error as reported: its path and message, then the ids of the applicant and (for an error inside
    its first project) the project, where the record gives usable ones."""
    def usable(x: Any) -> bool:
        return isinstance(x, str) and bool(x.strip())

    if not isinstance(record, dict):
        return error
    who = [f"applicant {record['id']}"] if usable(record.get("id")) else []
    projects = record.get("projects")
    at = re.match(re.escape(P) + r"\.projects\[(\d+)\]", error)
    project = projects[int(at.group(1))] if at and isinstance(projects, list) else None
    if isinstance(project, dict) and usable(project.get("id")):
        who.append(f"project {project['id']}")
    return f"{error} ({', '.join(who)})" if who else error


@pytest.mark.parametrize(("bad", "errors"), [(b, e) for _, b, e in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_an_error_for_that_applicant_only(bad: Any, errors: list[str]) -> None:
    out = evaluate(doc(good("G0"), bad, good("G2")))
    apps = out["applicants"]
    assert len(apps) == 3  # nobody is missing
    assert apps[0]["id"] == "G0" and apps[2]["id"] == "G2"
    for g in (apps[0], apps[2]):
        assert g["status"] == "ok" and g["errors"] == [] and g["total"] == "50000.00"
    err = apps[1]
    assert err["status"] == "error"
    assert err["errors"] == [named(e, bad) for e in errors]
    assert err["total"] == "0.00" and err["projects"] == []
    assert out["summary"]["applicants"] == 3 and out["summary"]["errors"] == 1
    assert out["summary"]["total"] == "100000.00"
    assert out["summary"]["by_measure"] == {"2.2": "100000.00"}


def test_duplicate_applicant_ids() -> None:
    out = evaluate(doc(good("G0"), good("G0"), good("G2")))
    apps = out["applicants"]
    assert [a["id"] for a in apps] == ["G0", "G0", "G2"]
    assert apps[0]["status"] == "ok" and apps[0]["total"] == "50000.00"
    assert apps[1]["status"] == "error"
    assert apps[1]["errors"] == ["applicants[1].id: duplicate id 'G0' (also applicants[0]) (applicant G0)"]
    assert apps[2]["status"] == "ok"
    assert out["summary"]["errors"] == 1 and out["summary"]["total"] == "100000.00"


def test_error_in_the_middle_of_a_big_batch_keeps_order_and_paths() -> None:
    records = [good(f"G{i}") for i in range(10)]
    records[3] = enterprise(project(cloud_service_fee="-1"), aid="G3")
    records[7] = enterprise(project(date="2023-13-01"), aid="G7")
    out = evaluate(doc(*records))
    assert [a["id"] for a in out["applicants"]] == [f"G{i}" for i in range(10)]
    assert find_applicant(out, "G3")["errors"] == ["applicants[3].projects[0].cloud_service_fee: negative money -1 (applicant G3, project P1)"]
    assert find_applicant(out, "G7")["errors"] == [
        "applicants[7].projects[0].date: not a date: '2023-13-01' (expected YYYY-MM-DD) (applicant G7, project P1)"]
    assert out["summary"]["errors"] == 2 and out["summary"]["total"] == "400000.00"


def test_started_equal_to_diagnosed_is_fine() -> None:
    out = evaluate(doc(provider(project(enterprises_diagnosed=20, enterprises_started=20))))
    assert find_award(out, "4.1")["status"] == "granted"


def test_null_is_not_provided() -> None:
    # null reads as "not provided": a missing fact, not an error
    out = evaluate(doc(enterprise(project(**g5(None), quanzhou_recognized_investment=None))))
    award = find_award(out, "1.2")
    assert award["status"] == "not_eligible" and "project investment recognised by quanzhou" in trace_text(award).lower()


def test_a_null_date_is_a_missing_date_not_a_project_out_of_period() -> None:
    # the date a policy is dated by is required: null is no date, as leaving it out is (it read as given, and the
    # project was decided out of period with no error), for a project's date and for an applicant's
    from jinjiang_dsl import load_policy

    record = enterprise(project(**demo_11("500000")))
    record["projects"][0]["date"] = None
    [bad] = evaluate(doc(record))["applicants"]
    assert bad["status"] == "error" and bad["projects"] == []
    assert bad["errors"] == ["applicants[0].projects[0].date: missing (the date decides the period and the year) "
                             "(applicant A1, project P1)"]
    shape = load_policy(Path(__file__).resolve().parents[1] / "policies" / "shapes" / "s01_applicant_level.pol")
    [by_applicant] = shape.evaluate([{"id": "A", "recognised_on": None, "first_little_giant": True}]
                                    ).to_json("en")["applicants"]
    assert by_applicant["errors"] == ["applicants[0].recognised_on: missing (the date decides the period and the "
                                      "year) (applicant A)"]


# ---------------------------------------------------------------------- exact money


def test_money_is_read_exactly_from_json_numbers_and_strings() -> None:
    records = read_document('{"applicants": [{"id": "A", "kind": "enterprise", "fiscal_contribution": 0.1,'
                            ' "other_municipal_subsidies": "0.1", "projects": []}]}')
    assert records[0]["fiscal_contribution"] == Decimal("0.1")
    assert isinstance(records[0]["fiscal_contribution"], Decimal)
    [app] = list(policy().read(records))
    assert app.ok, app.errors
    for name in ("fiscal_contribution", "other_municipal_subsidies"):
        value = app.facts[name]
        assert isinstance(value, Decimal) and value == Decimal("0.1")
        assert str(value) == "0.1"  # not 0.1000000000000000055511151231257827…


def test_no_float_anywhere_in_the_output() -> None:
    # software 0.1 + hardware 0.2 as JSON numbers: 20% × 0.3 = 0.06 exactly
    text = ('{"applicants": [{"id": "A1", "kind": "enterprise", "fiscal_contribution": 1000000.5, "projects": '
            '[{"id": "P1", "date": "2023-06-01", "industry": "鞋服", "selected_demo": true, '
            '"completed_in_year": true, "promotes_adoption": true, "software_investment": 0.1, '
            '"hardware_investment": 0.2}]}]}')
    for backend in ("compiled", "interpreter"):
        for lang in ("en", "zh"):
            out = policy(backend).evaluate(text).to_json(lang)
            assert not any(isinstance(v, float) for v in walk(out))
            award = out["applicants"][0]["projects"][0]["awards"][0]
            assert (award["entitlement"], award["amount"]) == ("0.06", "0.06")
            base = [s for s in award["trace"] if s["kind"] == "base"][0]
            assert "0.3" in base["text"] and "0.30000000000000004" not in base["text"]
            assert "0.1000000000000000055" not in json.dumps(out, ensure_ascii=False)


def test_python_floats_are_refused_as_money() -> None:
    # Money is never a binary float, not even on the way in: a Python caller passes str or Decimal
    out = evaluate({"applicants": [enterprise(project(**demo_11(0.1, "0.2")))]})
    app = find_applicant(out, "A1")
    assert app["status"] == "error"
    assert app["errors"] == [
        "applicants[0].projects[0].software_investment: 0.1 is a binary floating-point number, "
        "which cannot hold money exactly; give it as a string or a Decimal (applicant A1, project P1)"
    ]


def test_a_float_where_no_money_is_expected_is_refused_for_what_is_expected() -> None:
    # a count, a date, a name: the message says what the field takes, not that money cannot be a float
    out = evaluate({"applicants": [{"id": "A1", "kind": "enterprise", "name": 1.5, "projects": [
        {"id": "P1", "date": 2.0, "sme_adopters": float("nan")}]}]})
    assert find_applicant(out, "A1")["errors"] == [
        "applicants[0].name: expected a string, got 1.5 (applicant A1)",
        'applicants[0].projects[0].date: expected a date "YYYY-MM-DD", got 2.0 (applicant A1, project P1)',
        "applicants[0].projects[0].sme_adopters: expected a whole number, got nan (applicant A1, project P1)",
    ]


def test_the_json_number_minus_zero_is_zero_and_the_text_minus_zero_is_negative() -> None:
    # JSON's -0.0 equals 0 (the schema's "minimum": 0 takes it); the text "-0" was written with a sign
    out = evaluate(doc(enterprise(project(**demo_11("1000000"), hardware_investment=Decimal("-0.0")))))
    assert find_award(out, "1.1")["amount"] == "200000.00"
    [error] = find_applicant(evaluate(doc(enterprise(project(**demo_11("-0"))))), "A1")["errors"]
    assert error.startswith("applicants[0].projects[0].software_investment: negative money -0")


def test_a_zero_written_with_many_places_is_zero() -> None:
    # 0E-25 (a Parquet DECIMAL(38,25) zero) counted 24 decimal places and was refused; 1000 in that column passed
    from jinjiang_dsl.inputs import decimal_places

    assert decimal_places(Decimal("0E-25")) == 0 and decimal_places(Decimal("0.0100")) == 2
    out = evaluate(doc(enterprise(project(**demo_11("1000000"), hardware_investment="0." + "0" * 25))))
    assert find_award(out, "1.1")["amount"] == "200000.00"


def test_money_strings_with_trailing_zeros_and_spaces() -> None:
    out = evaluate(doc(enterprise(project(**demo_11(" 1000000.000 ")))))
    assert find_award(out, "1.1")["amount"] == "200000.00"


@pytest.mark.parametrize("written, problem", [
    ("\t100", "not an amount: '\\t100'"), ("100\n", "not an amount: '100\\n'"),
    ("\u3000100", "not an amount: '\\u3000100'"), ("\u00a0100", "not an amount: '\\xa0100'"),
    ("-0", "negative money -0"), ("-0.00", "negative money -0.00"), (" -5 ", "negative money -5"),
])
def test_money_takes_spaces_around_its_digits_and_nothing_else_unseen(written: str, problem: str) -> None:
    # a tab, a newline, an ideographic or no-break space is not trimmed silently; "-0" is a negative amount
    [error] = find_applicant(evaluate(doc(enterprise(project(**demo_11(written))))), "A1")["errors"]
    assert error.startswith(f"applicants[0].projects[0].software_investment: {problem}"), error


# ---------------------------------------------------------------------- document-level errors


@pytest.mark.parametrize("text", [
    "not json",
    "{",
    '{"applicants": [}',
    '"applicants"',
    "5",
    '{"foo": []}',
    '{"applicants": {"id": "A"}}',
    '{"applicants": "none"}',
    '{"applicants": [], "applicant": [{"id": "B"}]}',  # B was lost unread, with no word
    "",
])
def test_document_errors_raise(text: str) -> None:
    with pytest.raises(DocumentError):
        read_document(text)
    for backend in ("compiled", "interpreter"):
        with pytest.raises(DocumentError):
            policy(backend).evaluate(text)


def test_document_error_messages() -> None:
    with pytest.raises(DocumentError, match="not valid JSON"):
        read_document("not json")
    with pytest.raises(DocumentError, match='no "applicants" list'):
        read_document('{"foo": []}')
    with pytest.raises(DocumentError, match='"applicants" must be a list'):
        read_document('{"applicants": 1}')
    with pytest.raises(DocumentError, match='^unknown key \'applicant\' in the document: it holds only "applicants"$'):
        read_document('{"applicants": [{"id": "A"}], "applicant": [{"id": "B"}]}')


def test_empty_applicants_list_is_fine() -> None:
    out = evaluate({"applicants": []})
    assert out["applicants"] == []
    assert out["summary"]["applicants"] == 0 and out["summary"]["total"] == "0.00"


# ---------------------------------------------------------------------- the command line


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run([sys.executable, "-m", "jinjiang_dsl.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_eval_not_json_exits_2_with_one_line_reason(tmp_path: Path) -> None:
    bad = tmp_path / "applications_that_are_definitely_not_json_at_all_for_this_test.json"
    bad.write_text("this is not json\n", encoding="utf-8")
    result = _cli("eval", str(POLICY_PATH), str(bad), "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(bad) in lines[0] and "not valid JSON" in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_eval_no_applicants_list_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "shape.json"
    bad.write_text('{"people": []}', encoding="utf-8")
    result = _cli("eval", str(POLICY_PATH), str(bad), "--format", "json")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "applicants" in result.stderr


def test_cli_eval_missing_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    result = _cli("eval", str(POLICY_PATH), str(missing), "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert str(missing) in result.stderr and "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_eval_applicant_errors_are_not_a_failure(tmp_path: Path) -> None:
    f = tmp_path / "apps.json"
    f.write_text(json.dumps(doc(good("G0"), enterprise(project(cloud_service_fee="-5"), aid="BAD"))),
                 encoding="utf-8")
    result = _cli("eval", str(POLICY_PATH), str(f), "--format", "json", "--lang", "en")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [a["status"] for a in out["applicants"]] == ["ok", "error"]
    assert out["applicants"][1]["errors"] == ["applicants[1].projects[0].cloud_service_fee: negative money -5 (applicant BAD, project P1)"]
    assert without_run(out) == evaluate(json.loads(f.read_text(encoding="utf-8")))


def test_cli_eval_examples_json_matches_the_api() -> None:
    result = _cli("eval", str(POLICY_PATH), str(EXAMPLES_PATH), "--format", "json", "--lang", "en")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert without_run(out) == policy().evaluate(EXAMPLES_PATH.read_text(encoding="utf-8")).to_json("en")


def without_run(out: dict[str, Any]) -> dict[str, Any]:
    """A CLI document less what only the run knows (the input's hash, the time): the API's document."""
    return {k: v for k, v in out.items() if k not in ("input", "evaluated_at")}


def test_the_cli_document_names_its_input_by_hash_the_engine_and_the_time_in_beijing(tmp_path: Path) -> None:
    import datetime as dt
    import hashlib

    raw = EXAMPLES_PATH.read_bytes()
    result = _cli("eval", str(POLICY_PATH), str(EXAMPLES_PATH), "--format", "json", "--no-trace")
    out = json.loads(result.stdout)
    from jinjiang_dsl import __version__

    assert out["policy"]["engine_version"] == __version__
    assert out["input"] == {"sha256": hashlib.sha256(raw).hexdigest()}
    when = dt.datetime.fromisoformat(out["evaluated_at"])
    assert when.utcoffset() == dt.timedelta(hours=8)
    assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(minutes=5)
    # the hash is of the bytes read: a byte-order mark counts, though the reader drops it
    marked = tmp_path / "bom.json"
    marked.write_bytes(b"\xef\xbb\xbf" + raw)
    out = json.loads(_cli("eval", str(POLICY_PATH), str(marked), "--format", "json", "--no-trace").stdout)
    assert out["input"] == {"sha256": hashlib.sha256(b"\xef\xbb\xbf" + raw).hexdigest()}
    assert not any(isinstance(v, float) for v in walk(out))


def test_required_inputs_of_either_scope_are_located_errors_when_absent_or_null(tmp_path: Path) -> None:
    """'required' after an input's type: a record without it (or with null) is an input error at its path;
    the engine knows no input by name (the Jinjiang policy marks 'kind' required, in its own source)."""
    from jinjiang_dsl import load_policy

    source = (
        'policy "t" / "t" {\n  issued 2024-01-01\n  rounding 0.01元 half_up\n}\n'
        'applicant {\n  level: one of { city "市级" / "city", county "县级" / "county" } required "级别" / "level"\n}\n'
        'project {\n  code: text required "项目编号" / "project code"\n  spend: money "投入" / "spend"\n}\n'
        'measure 1 "奖励" / "award" {\n  clause 一\n  requires level == city\n  amount 10% of spend\n}\n'
    )
    path = tmp_path / "required.pol"
    path.write_text(source, encoding="utf-8")
    policy = load_policy(path)
    out = policy.evaluate({"applicants": [
        {"id": "A", "projects": [{"id": "P", "spend": "100", "code": None}]},
        {"id": "B", "level": "city", "projects": [{"id": "P", "spend": "100", "code": "X-1"}]},
    ]}).to_json("en")
    first, second = out["applicants"]
    assert first["status"] == "error"
    assert first["errors"] == ["applicants[0].level: missing (one of city, county) (applicant A)",
                               "applicants[0].projects[0].code: missing (required) (applicant A, project P)"]
    assert (second["status"], second["total"]) == ("ok", "10.00")
