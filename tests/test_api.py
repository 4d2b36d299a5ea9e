"""The Python API as a developer embedding the engine meets it (docs/api.md): what it exports, what
it accepts, and that a user's type checker sees its type hints."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"

USER_SCRIPT = f"""\
from decimal import Decimal

from jinjiang_dsl import PolicyError, load_policy


def total(path: str) -> Decimal:
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        raise SystemExit(str(exc)) from exc
    return policy.evaluate({{"applicants": []}}).summary.total


def first_id(path: str) -> str | None:
    return load_policy(path).evaluate({{"applicants": [{{"id": "A"}}]}}).applicants[0].id


print(total({str(POLICY)!r}), first_id({str(POLICY)!r}))
"""


def test_the_package_ships_the_pep_561_marker():
    """Without ``py.typed`` a user's mypy skips the package ('missing library stubs or py.typed
    marker') and every value it returns is ``Any``."""
    assert (resources.files("jinjiang_dsl") / "py.typed").is_file()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_a_user_script_passes_mypy_strict(tmp_path):
    """A script outside the repository, as a developer writes one, type-checks under ``--strict``:
    the package's hints reach it (money comes back as ``Decimal``, an applicant's id as ``str | None``, not
    ``Any``)."""
    script = tmp_path / "user.py"
    script.write_text(USER_SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.devnull, "user.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


SMALL = """\
policy "示例" / "Example" {
  issued 2023-04-23
  in force from 2023-05-01 to 2024-12-31
  dated by date
  currency 元
  rounding 0.01元 half_up
}
project {
  date: date "日期" / "date"
  investment: money "投入" / "investment"
}
measure 1.1 "示范" / "Demo" {
  clause 一(一)
  amount 20% of investment, at most 100万
}
"""


def test_a_policy_loads_from_its_text_through_the_package():
    """A draft held in memory (an editor, a web form, a test) is loaded without writing a file, by the
    name the package exports; its errors name the path given."""
    from jinjiang_dsl import PolicyError, policy_from_source

    policy = policy_from_source(SMALL, "draft.pol")
    decision = policy.evaluate_applicant({"id": "A", "projects": [
        {"id": "P", "date": "2023-06-01", "investment": "1000000.05"}]})
    assert str(decision.total) == "200000.01"
    with pytest.raises(PolicyError) as caught:
        policy_from_source(SMALL.replace("100万", "100万万"), "draft.pol")
    assert str(caught.value).startswith("draft.pol:14:")


def test_a_python_date_is_read_as_its_text_is():
    """A program holds dates as ``datetime.date``; the record it passes is decided as the same record with
    the date as text (as a ``Decimal`` is read as money), on every backend and engine. A ``datetime``
    has a time of day the policy cannot read: an error for that applicant, saying so."""
    import datetime as dt

    from jinjiang_dsl import load_policy

    def record(date: object) -> dict[str, object]:
        return {"id": "A", "kind": "enterprise", "above_scale_industrial": True, "fiscal_contribution": "1000000",
                "projects": [{"id": "P", "date": date, "cloud_service_fee": "60000"}]}

    for backend in ("compiled", "interpreter"):
        policy = load_policy(POLICY, backend=backend)
        as_date = policy.evaluate({"applicants": [record(dt.date(2023, 6, 1))]})
        assert as_date == policy.evaluate({"applicants": [record("2023-06-01")]})
        assert str(as_date.summary.total) == "30000.00"
    _, on_duckdb = policy.run({"applicants": [record(dt.date(2023, 6, 1))]}, engine="duckdb")
    assert on_duckdb.summary == as_date.summary
    wrong = policy.evaluate_applicant(record(dt.datetime(2023, 6, 1, 9, 30)))
    assert wrong.errors == ("applicants[0].projects[0].date: expected a date, got a datetime "
                            "('2023-06-01T09:30:00'): give the date alone (applicant A, project P)",)


def test_a_document_given_as_bytes_is_read_as_its_text():
    """A file read in binary or a request's body is decided as the same text; bytes that are not UTF-8 are
    a DocumentError saying where (they were refused as 'expected an object with "applicants"')."""
    from jinjiang_dsl import DocumentError, load_policy

    policy = load_policy(POLICY)
    data = (ROOT / "examples" / "applications.json").read_bytes()
    assert policy.evaluate(b"\xef\xbb\xbf" + data) == policy.evaluate(data.decode("utf-8"))
    with pytest.raises(DocumentError, match=r"^not UTF-8 text \(byte 17 is 0xff\)$"):
        policy.evaluate(b'{"applicants": [\xff]}')


@pytest.mark.parametrize("engine", ["Python", "sqlite", "", None])
def test_an_unknown_engine_is_refused_not_taken_for_duckdb(engine):
    """``engine="Python"`` decided on DuckDB, without explanations, and said nothing; as ``backend`` is, an
    engine name is checked."""
    from jinjiang_dsl import load_policy

    policy = load_policy(POLICY)
    with pytest.raises(ValueError, match=r"^unknown engine .*; choose one of python, duckdb, spark$"):
        policy.run({"applicants": []}, engine=engine)


@pytest.mark.parametrize("lang", ["EN", "fr", None])
def test_an_unknown_language_is_refused_not_answered_in_chinese(lang):
    """``to_json(lang="EN")`` wrote every sentence in Chinese and said nothing; the output and a step's
    sentence take only the languages the catalogue has."""
    from jinjiang_dsl import load_policy
    from jinjiang_dsl.explain.messages import render

    batch = load_policy(POLICY).evaluate((ROOT / "examples" / "applications.json").read_bytes())
    award = batch.applicants[0].projects[0].awards[0]
    for write in (lambda: batch.to_json(lang=lang), lambda: batch.to_json(lang=lang, trace=False),
                  lambda: batch.summary.to_json(lang), lambda: render(award.trace[0], lang)):
        with pytest.raises(ValueError, match=r"^unknown language .*; choose one of zh, en$"):
            write()
    assert batch.to_json(lang="en")["applicants"][0]["projects"][0]["awards"][0]["trace"][0]["text"].startswith("Qualifying")


def test_the_strategies_without_hypothesis_say_which_extra_to_install():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "try:\n    import jinjiang_dsl.testing\nexcept ModuleNotFoundError as exc:\n    print(exc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout == "jinjiang_dsl.testing needs Hypothesis: pip install 'jinjiang-dsl[test]'\n", done.stderr


def test_half_of_a_surrogate_pair_in_a_policy_text_is_a_located_error():
    # a Python str may hold "\ud800", which no UTF-8 file does: policy_from_source raised UnicodeEncodeError
    # from hashing the policy's text, a traceback for an API caller
    from jinjiang_dsl import PolicyError, policy_from_source

    source = (ROOT / "policies" / "jinjiang_2023.pol").read_text(encoding="utf-8")
    broken = source.replace("中小企业应用平台", "中小\ud800企业应用平台", 1)
    line = broken[:broken.index("\ud800")].count("\n") + 1
    column = broken.index("\ud800") - broken.rindex("\n", 0, broken.index("\ud800"))
    with pytest.raises(PolicyError) as raised:
        policy_from_source(broken, "p.pol")
    [d] = raised.value.diagnostics
    assert (d.span.line, d.span.column) == (line, column)
    assert d.message == "U+D800 is half of a surrogate pair, not a character"
    assert d.hint == "delete it, or type the character it was half of"
