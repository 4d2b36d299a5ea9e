"""The fuzz suite for hostile input (docs/security.md): policies, documents, streams, CSV, the API.

Properties, each over inputs drawn to be nasty (quotes, backslashes, newlines, triple quotes,
``\\N{…}``, control and bidirectional characters, huge and odd numbers, bad bytes):

- policy text changes only the constants of the generated code, never its shape, and no code
  of its own runs (a sentinel stays untouched); what ``check`` accepts, ``eval`` evaluates;
- a document, a stream or a CSV file never raises: one output line per input line, in order,
  the same bytes whatever the number of jobs; the Python API returns a decision for anything.

Every example has a deadline, so a hang is a failure. Example counts follow the Hypothesis
profile (``ci`` by default, ``HYPOTHESIS_PROFILE=thorough`` for more).
"""

from __future__ import annotations

import ast as pyast
import io
import json
from contextlib import redirect_stderr
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinjiang_dsl import load_policy
from jinjiang_dsl.api import check_source
from jinjiang_dsl.cli import main
from jinjiang_dsl.compile import generate
from jinjiang_dsl.decide import exact

ROOT = Path(__file__).resolve().parents[1]
JINJIANG = ROOT / "policies" / "jinjiang_2023.pol"
DEADLINE = timedelta(seconds=20)
SENTINEL: list[str] = []  # the payloads below try to append to it; it must stay empty

PAYLOADS = [
    '"""', "'''", '"', "'", "\\", "\\\\", "\n", "\r", "\r\n", "\x00", "\x1b[2J", "\u2028", "\u2029", "\u202e",
    "\u2066", "\t", "#", "{", "}", "{0}", "%s", "\\N{DIGIT ONE}", "\\x41", "\\u0041",
    '"""+__import__("tests.test_hostile").SENTINEL.append("pwned")+"""',
    "'''+__import__('tests.test_hostile').SENTINEL.append('pwned')+'''",
    "\nimport tests.test_hostile as t; t.SENTINEL.append('pwned')\n",
    "'); SENTINEL.append('pwned'); ('", "\\\n", "*/", "-->", "<script>", "|", "`",
]
hostile_text = st.lists(st.sampled_from(PAYLOADS) | st.text(max_size=4), min_size=1, max_size=6).map("".join)
FILE_NAMES = ['q"uote', "new\nline", 'tri"""ple', "back\\slash", "ok", "sp ace", "中文", "\u202eevil", "a'b"]


def quoted(text: str) -> str:
    # a line break, \n or a lone \r (which ends a line too, as in an editor), is written as the \n escape
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\\n").replace("\r", "\\n") \
        .replace("\n", "\\n") + '"'


def policy_source(s: list[str]) -> str:
    """A policy whose every text (title, clause, quote, labels, notes, set values, example title) is s[i]."""
    q = [quoted(t) for t in s]
    return f"""policy {q[0]} / {q[1]} {{
  issued 2023-04-23
  in force from 2023-05-01 to 2024-12-31
  dated by date
  currency 元
  rounding 0.01元 half_up
  note I-1 {q[2]} / {q[3]}
}}
applicant {{
  kind: one of {{ e {q[4]} / {q[5]}, f {q[6]} }} {q[7]} / {q[8]}
}}
project {{
  date: date {q[9]} / {q[10]}
  spend: money {q[11]} / {q[12]}
  n: count {q[13]}
  sector: text {q[14]}
}}
define base = spend + 0元 {q[15]} / {q[16]}
measure 1.1 {q[17]} / {q[18]} {{
  clause {q[19]}
  quote {q[20]}
  beneficiary kind in {{e}} {q[21]} / {q[22]}
  requires n >= 1 {q[23]} / {q[24]}
  requires sector in {{{q[25]}, "x"}} {q[26]}
  amount 20% of base, at most 100万
  when n >= 10 {q[27]} / {q[28]}: 30%, at most 100万
  note I-1
  example {q[29]} / {q[30]} {{
    applicant {{ kind: e }}
    project {{ spend: 100元, n: 2, sector: "x" }}
    expect granted 20元
  }}
}}
"""


def benign(n: int) -> list[str]:
    return [f"text{i}" for i in range(n)]


def shape(source: str) -> str:
    """The generated module with every constant blanked: what policy text must never change."""
    tree = pyast.parse(source)
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Constant) and isinstance(node.value, str):
            node.value = ""
    return pyast.dump(tree, include_attributes=False)


APPLICATION = {"applicants": [
    {"id": "A", "kind": "e", "projects": [{"id": "P", "date": "2023-06-01", "spend": "100", "n": 2, "sector": "x"},
                                          {"id": "Q", "date": "2023-06-01", "spend": "100", "n": 12, "sector": "x"}]}]}


@settings(deadline=DEADLINE, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=st.lists(hostile_text, min_size=31, max_size=31), name=st.sampled_from(FILE_NAMES))
def test_policy_text_only_ever_changes_constants(texts: list[str], name: str, tmp_path: Path) -> None:
    # Distinct texts stay distinct, as the benign texts they are compared with are.
    texts = [f"{t}{i}" for i, t in enumerate(texts)]
    texts[25] = texts[25].replace("\n", " ")  # a set value is one line of text in the output
    path = tmp_path / f"{name}.pol"
    path.write_text(policy_source(texts), encoding="utf-8")
    reference = tmp_path / "reference.pol"
    reference.write_text(policy_source(benign(31)), encoding="utf-8")
    policy = load_policy(path)  # checked: a hostile text is still just a text
    assert shape(generate(policy.plan)) == shape(generate(load_policy(reference).plan))
    compiled = policy.evaluate(APPLICATION).to_json("en")
    interpreted = load_policy(path, backend="interpreter").evaluate(APPLICATION).to_json("en")
    assert compiled == interpreted
    assert [a["total"] for a in compiled["applicants"]] == ["50.00"]  # 20 (20%) + 30 (30%, n >= 10)
    assert SENTINEL == []


# ---------------------------------------------------------------- what check accepts, eval evaluates

SMALL = policy_source(benign(31))
FRAGMENTS = ["(", ")", " and ", " or ", "not ", " + ", " * ", " / ", "n", "spend", "base", "0", "1万", "20%",
             "100万", "以上", "不超过", "1" * 30, "١", "１", "\n", '"', "{", "}"]


@st.composite
def near_miss(draw: st.DrawFn) -> str:
    """The small policy with a few hostile fragments spliced in: often still valid, often deep or odd."""
    source = SMALL
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(source)))
        piece = draw(st.sampled_from(FRAGMENTS) | hostile_text)
        source = source[:at] + piece * draw(st.sampled_from([1, 2, 60, 300])) + source[at:]
    return source


def test_the_policy_mutated_below_is_clean_and_evaluates(tmp_path: Path) -> None:
    """The base of the near misses: about one in ten of them stays valid and is evaluated."""
    assert [d for d in check_source(SMALL, "p.pol") if d.is_error] == []
    path = tmp_path / "p.pol"
    path.write_text(SMALL, encoding="utf-8")
    assert load_policy(path).evaluate(APPLICATION).applicants[0].total == Decimal("50.00")


@settings(deadline=DEADLINE)
@given(source=near_miss())
def test_what_check_accepts_eval_evaluates(source: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    diagnostics = check_source(source, "p.pol")
    if any(d.is_error for d in diagnostics):
        return
    path = tmp_path_factory.mktemp("p") / "p.pol"
    path.write_text(source, encoding="utf-8")
    for backend in ("compiled", "interpreter"):
        batch = load_policy(path, backend=backend).evaluate(APPLICATION)  # type: ignore[arg-type]
        assert len(batch.applicants) == 1
    assert SENTINEL == []


# ---------------------------------------------------------------- the Python API and documents

odd_numbers = st.one_of(
    st.integers(), st.integers(min_value=10**17, max_value=10**60),  # 10**5000: tests/test_security.py
    st.decimals(allow_nan=True, allow_infinity=True), st.sampled_from([Decimal("sNaN"), Decimal("-0"),
                                                                       Decimal("1E+999999999"), Decimal("1E-999999")]),
    st.floats(), st.booleans(),
)
odd_strings = st.one_of(hostile_text, st.sampled_from(["１００", "١٠٠", "1e5", " 12 ", "1." + "0" * 5000, "", "2023-02-30",
                                                       "2023-06-01", "enterprise", "e", "true"]))
scalars = st.one_of(st.none(), odd_numbers, odd_strings, st.binary(max_size=4))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.one_of(odd_strings, st.integers()), inner, max_size=4), max_leaves=12)
FIELDS = ["id", "name", "kind", "projects", "date", "spend", "n", "sector", "fiscal_contribution", "sme_adopters",
          "other_municipal_subsidies", "industry", "software_investment"]
projects = st.lists(st.dictionaries(st.sampled_from(FIELDS) | odd_strings, values, max_size=6), max_size=4)
records = st.one_of(values, st.fixed_dictionaries({"id": odd_strings, "projects": projects},
                                                  optional={f: values for f in FIELDS[1:] if f != "projects"}))


@pytest.fixture(scope="module")
def jinjiang() -> Any:
    return load_policy(JINJIANG)


@settings(deadline=DEADLINE, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(records, max_size=5))
def test_the_api_decides_anything_without_raising(jinjiang: Any, batch: list[Any]) -> None:
    decisions = jinjiang.evaluate({"applicants": batch}).applicants
    assert len(decisions) == len(batch)
    for record, decision in zip(batch, decisions):
        assert decision.status in ("ok", "error")
        if not isinstance(record, dict):
            assert decision.status == "error"
    with exact():
        json.dumps(jinjiang.evaluate({"applicants": batch}).to_json("zh"))
    # the SQL engine decides the same records alike, and never raises either
    python = [d.to_json("zh", trace=False) for d in jinjiang.run({"applicants": batch}, trace=False)[1].applicants]
    sql = [d.to_json("zh", trace=False) for d in jinjiang.run({"applicants": batch}, trace=False, engine="duckdb")[1].applicants]
    assert sql == python


# ---------------------------------------------------------------- streams

def json_line(record: Any) -> bytes:
    return json.dumps(record, default=str, ensure_ascii=False).encode("utf-8", "surrogatepass")


line_bytes = st.one_of(
    records.map(json_line),
    st.binary(max_size=40),
    st.sampled_from([b"", b"   ", b"\xef\xbb\xbf{}", b'{"id": "A",\r"projects": []}', b'{"id": "x", "id": "y"}',
                     b'{"id": "B", "projects": [{"id": "p", "sme_adopters": 1e999999999}]}',
                     b'{"id": "C", "fiscal_contribution": ' + b"9" * 5000 + b"}", b"\xff\xfe", b"[1, 2]", b"null",
                     b'{"id": "D", "kind": "enterprise", "projects": [{"id": "p", "date": "2023-06-01", '
                     b'"cloud_service_fee": "60000"}], "fiscal_contribution": "1000000"}']),
)


def same_whatever_the_jobs(src: Path, engines: tuple[str, ...] = ("python",)) -> bytes:
    """The output of a stream with one and with two worker processes, and on each engine asked for (without
    explanations, which only the Python engine writes): it must be the same bytes."""
    outputs = []
    for jobs in ("1", "2"):
        out, err = src.with_name(f"out{jobs}.jsonl"), io.StringIO()
        with redirect_stderr(err):
            status = main(["eval", str(JINJIANG), str(src), "-o", str(out), "--jobs", jobs, "--quiet"])
        assert status == 0, err.getvalue()
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    untraced = []
    for engine in engines:
        out = src.with_name(f"out.{engine}.jsonl")
        assert main(["eval", str(JINJIANG), str(src), "-o", str(out), "--engine", engine, "--no-trace", "--quiet"]) == 0
        untraced.append(out.read_bytes())
    assert all(o == untraced[0] for o in untraced)
    return outputs[0]


@settings(deadline=DEADLINE, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          max_examples=max(5, settings().max_examples // 4))
@given(lines=st.lists(line_bytes, max_size=12), ending=st.sampled_from([b"\n", b"\r\n"]))
def test_a_stream_loses_no_line_whatever_it_holds(lines: list[bytes], ending: bytes,
                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    lines = [line.replace(b"\n", b" ") for line in lines]
    folder = tmp_path_factory.mktemp("s")
    src = folder / "in.jsonl"
    src.write_bytes(ending.join(lines) + (ending if lines else b""))
    results = [json.loads(line) for line in same_whatever_the_jobs(src, ("python", "duckdb")).decode("utf-8").splitlines()]
    def blank(n: int, line: bytes) -> bool:
        body = line[3:] if n == 0 and line.startswith(b"\xef\xbb\xbf") else line
        try:
            return not body.decode("utf-8").strip()
        except UnicodeDecodeError:
            return False
    expected = [n + 1 for n, line in enumerate(lines) if not blank(n, line)]
    assert [r["line"] for r in results] == expected
    for r in results:
        assert r["status"] in ("ok", "error")
        assert r["status"] == "ok" or all(e.startswith(f"line {r['line']}") for e in r["errors"])


csv_cells = st.one_of(odd_strings, st.sampled_from(["A", "B", "enterprise", "provider", "2023-06-01", "60000", "12",
                                                     "①", "²", "true", '"', '"a\nb"', "a,b"]))
CSV_COLUMNS = ["applicant_id", "kind", "fiscal_contribution", "project_id", "date", "cloud_service_fee",
               "sme_adopters", "name"]


@settings(deadline=DEADLINE, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          max_examples=max(5, settings().max_examples // 4))
@given(header=st.lists(st.sampled_from(CSV_COLUMNS) | odd_strings, min_size=1, max_size=7),
       rows=st.lists(st.lists(csv_cells, max_size=8), max_size=8), bad_byte=st.booleans())
def test_a_csv_file_loses_no_applicant_whatever_it_holds(header: list[str], rows: list[list[str]], bad_byte: bool,
                                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("c")
    src = folder / "in.csv"
    text = "\n".join(",".join(cells) for cells in [header, *rows]) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    src.write_bytes(data.replace(b"60000", b"6\xff0000") if bad_byte else data)
    numbers = [json.loads(line)["line"] for line in same_whatever_the_jobs(src, ("python", "duckdb")).decode("utf-8").splitlines()]
    assert numbers == sorted(set(numbers))  # one output per record, named by its first line, in order
    if any(any(cell.strip() for cell in row) for row in rows):
        assert numbers  # data rows are never swallowed without a word, not even by an unclosed quote
