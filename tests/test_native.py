"""The DuckDB engine's native path (issue 13): a file decided inside DuckDB writes, byte for byte, the lines
and the summary the Python engine writes — for valid records, for records with one thing wrong, for lines
that are not records at all, across block boundaries, and for Parquet columns of every type."""

from __future__ import annotations

import functools
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinjiang_dsl import batch, load_policy
from jinjiang_dsl.api import Policy
from jinjiang_dsl.cli import main
from jinjiang_dsl.sql import native
from jinjiang_dsl.testing import Strategies

ROOT = Path(__file__).resolve().parents[1]
JINJIANG = ROOT / "policies" / "jinjiang_2023.pol"
POLICIES = sorted((ROOT / "policies").rglob("*.pol")) + [ROOT / "tests" / "fixtures" / "every_construct.pol"]
NATIVE = [p for p in POLICIES if native.refusal(load_policy(p).plan) is None]


def python_run(policy: Policy, data: bytes, limit: int = 1 << 20) -> tuple[str, dict[str, Any]]:
    out: list[str] = []
    tally, _ = batch.run(policy, batch.read_jsonl(io.BytesIO(data), limit), out.append, trace=False)
    return "".join(out), batch.summary_json(policy, tally)


def native_run(policy: Policy, data: bytes, limit: int = 1 << 20) -> tuple[str, dict[str, Any]]:
    out: list[str] = []
    tally = native.run(policy, "jsonl", "zh", out.append, stream=io.BytesIO(data), max_line_bytes=limit)
    return "".join(out), batch.summary_json(policy, tally)


def jsonl(records: list[Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records).encode("utf-8")


def both_engines(data: Path, folder: Path) -> str:
    """What ``eval --no-trace`` writes of a file on DuckDB's native path, once it is known to be what the
    Python engine writes."""
    written = []
    for engine in ("python", "duckdb"):
        out = folder / f"{engine}.jsonl"
        assert main(["eval", str(JINJIANG), str(data), "--engine", engine, "--no-trace", "--quiet", "-o", str(out)]) == 0
        written.append(out.read_text(encoding="utf-8"))
    assert written[0] == written[1]
    return written[1]


def test_native_decides_every_policy_but_the_finer_than_a_cent_ones() -> None:
    # so that the tests below cannot shrink unnoticed: each policy refused names why
    refused = {p.stem: native.refusal(load_policy(p).plan) for p in POLICIES if p not in NATIVE}
    assert all("finer than a cent" in (why or "") for why in refused.values()), refused
    assert JINJIANG in NATIVE and len(NATIVE) >= len(POLICIES) - 2


@st.composite
def populations(draw: st.DrawFn, policy: Policy) -> list[Any]:
    """Valid applicants, applicants with one thing wrong, and valid ones written otherwise (money as a
    number, a fact given as null, a repeated id): what SQL vouches for and what it hands to Python."""
    s = Strategies(policy)
    records: list[Any] = list(draw(s.document(max_applicants=5))["applicants"])
    for i in range(draw(st.integers(0, 2)) if s.project_measures else 0):
        bad, _ = draw(s.invalid_applicant(f"BAD{i}"))
        records.insert(draw(st.integers(0, len(records))), bad)
    for record in records:
        variant = draw(st.sampled_from(["as is", "as is", "money as a number", "null", "repeated id", "odd id"]))
        projects = record.get("projects") or [{}]
        money = [k for k, v in projects[0].items() if isinstance(v, str) and v.replace(".", "").isdigit()]
        if variant == "money as a number" and money:
            value = Decimal(projects[0][money[0]])
            projects[0][money[0]] = int(value) if value == int(value) else value
        elif variant == "null" and len(projects[0]) > 2:
            projects[0][sorted(projects[0])[-1]] = None
        elif variant == "repeated id":
            record["id"] = records[0].get("id")
        elif variant == "odd id":
            record["id"] = draw(st.sampled_from(["it's", 'say "x"', "a\\b", "\u3000", " ", "é", "tab\there"]))
    return records


@pytest.mark.parametrize("path", NATIVE, ids=lambda p: p.stem)
def test_native_writes_what_the_python_engine_writes(path: Path) -> None:
    policy = load_policy(path)

    @settings(max_examples=max(settings.default.max_examples // 6, 4), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(populations(policy))
    def agree(records: list[Any]) -> None:
        data = jsonl(records)
        assert native_run(policy, data) == python_run(policy, data)

    agree()


def test_a_null_date_is_missing_inside_duckdb_too() -> None:
    # the screen took a date key as given whatever its value: a null date went to the query undated and was
    # granted, where the validator says "missing"; each scope's date, the applicant's and a project's
    shapes = JINJIANG.parent / "shapes"
    for path, record in (
            (shapes / "s01_applicant_level.pol", {"id": "A", "recognised_on": None, "first_little_giant": True}),
            (shapes / "s05_annual_cap.pol", {"id": "A", "projects": [{"id": "P1", "contract": "1000000",
                                                                      "signed": None}]})):
        policy = load_policy(path)
        data = jsonl([record])
        written, _ = native_run(policy, data)
        assert written == python_run(policy, data)[0]
        assert json.loads(written)["status"] == "error" and "missing" in json.loads(written)["errors"][0]


LINES = [
    b"", b"   ", b"\t", b"\xe3\x80\x80", b"\xff\xfe", b"[1, 2]", b"null", b"{}", b"not json",
    b'{"id": "T", "projects": [],}',  # DuckDB would take the trailing comma; Python does not
    b'{"id": "x", "id": "y"}', b'{"id": "N", "fiscal_contribution": NaN}', b'{"id": "U", "spend": "1"}',
    b'{"id": "A", "kind": "enterprise", "manufacturer": true, "above_scale_industrial": true, '
    b'"fiscal_contribution": "1000000", "projects": [{"id": "p", "date": "2023-06-01", "cloud_service_fee": "60000"}]}\r',
    b'{"id": "A", "kind": "enterprise", "projects": []}',  # a repeated id: an error line, also line 15
    b'{"id": "P", "kind": "enterprise", "projects": null}',
    b'{"id": "Q", "kind": "enterprise", "projects": [null, 1]}',
    b'{"id": "R", "kind": "enterprise", "projects": [{"id": "p", "date": "2023-06-01", "cloud_service_fee": 60000}, '
    b'{"id": "p", "date": "2023-06-01"}]}',
    b'{"id": "S", "kind": "enterprise", "projects": [{"id": "p", "date": "0000-01-01", "cloud_service_fee": "1"}]}',
    b'{"id": "V", "kind": "enterprise", "projects": [{"id": "p", "date": "2023-06-01", "enterprises_diagnosed": 3, '
    b'"enterprises_started": 9}]}',  # breaks the policy's input assertion
    b'{"id": "W", "kind": "enterprise", "projects": [{"id": "p", "date": "2023-06-01", "cloud_service_fee": "1.5e3"}]}',
    b'{"id": "X' + b"x" * 300 + b'", "kind": "enterprise"}',  # over the line limit below
    b'{"id": "Y", "kind": "enterprise", "projects": [{"id": "p", "date": "2023-06-01", "cloud_service_fee": "70000"}]}',
    b'{"id": "Z", "kind": "enterprise", "projects": [{"id": "p", "date": "2023-06-01", "date": "2023-06-02"}]}',
    b'{"id": "Z2", "kind": "enterprise", "projects": [{"id": "p", "date": "2023-06-01", "spend": "1"}]}',
]


@pytest.mark.parametrize(("block", "part"), [(native.BLOCK, native.PART), (7, 3), (64, native.PART), (1000, 5)])
def test_lines_of_every_kind_are_written_as_the_python_engine_writes_them(block: int, part: int,
                                                                          monkeypatch: Any) -> None:
    monkeypatch.setattr(native, "BLOCK", block)
    monkeypatch.setattr(native, "PART", part)  # the file decided a few lines at a time: ids repeated across parts
    policy = load_policy(JINJIANG)
    data = b"\xef\xbb\xbf" + b"\n".join(LINES)  # a byte-order mark, and no newline after the last line
    written, summary = native_run(policy, data, limit=200)
    assert (written, summary) == python_run(policy, data, limit=200)
    lines = [json.loads(line) for line in written.splitlines()]
    assert [line["line"] for line in lines] == [n + 1 for n, raw in enumerate(LINES) if n >= 4 or raw.strip(b" \t")
                                                and raw != b"\xe3\x80\x80"]
    by_line = {line["line"]: line for line in lines}
    assert "also line 14" in by_line[15]["errors"][0]
    assert by_line[23]["status"] == "ok" and by_line[22]["errors"][0].startswith("line 22: a line of 334 bytes")
    assert by_line[14]["status"] == "ok" and by_line[14]["total"] == "30000.00"


def test_a_file_of_long_lines_is_decided_in_parts_bounded_by_bytes(monkeypatch: Any) -> None:
    # a part ends at PART_BYTES of text as well as at PART lines, and a line over LONG_LINE is read by Python
    # (DuckDB's JSON functions take many times a long line's size): a file of 1 MB lines once ran DuckDB out
    # of memory. Here both bounds are made small; the bytes are the Python engine's all the same
    monkeypatch.setattr(native, "PART_BYTES", 1000)
    monkeypatch.setattr(native, "BLOCK", 500)  # the reader's unit: a part's bytes are counted a block at a time
    monkeypatch.setattr(native, "LONG_LINE", 150)
    policy = load_policy(JINJIANG)
    data = b"\n".join(LINES[11:] * 3) + b"\n"
    stages: list[str] = []
    out: list[str] = []
    tally = native.run(policy, "jsonl", "zh", out.append, stream=io.BytesIO(data), max_line_bytes=1 << 20,
                       on_stage=stages.append)
    assert ("".join(out), batch.summary_json(policy, tally)) == python_run(policy, data)
    assert stages.count("screening") >= len(data) // 1000 - 1  # parts of about 1,000 bytes
    length = {n: len(line) for n, line in enumerate(data.split(b"\n"), start=1)}
    by_sql = sql_writes(policy, data)
    assert by_sql and all(length[n] <= 150 for n in by_sql)  # the short lines SQL's, the long ones Python's


def test_a_stream_of_long_lines_goes_to_the_workers_in_chunks_bounded_by_bytes(monkeypatch: Any) -> None:
    monkeypatch.setattr(batch, "CHUNK_BYTES", 1000)
    items = [batch.Item(n, text="x" * 300) for n in range(1, 11)]
    assert [len(chunk) for chunk in batch._chunks(items, 1024)] == [4, 4, 2]  # 1,200 bytes reach the bound


def test_a_file_that_is_not_utf8_in_one_block_loses_no_line(monkeypatch: Any) -> None:
    monkeypatch.setattr(native, "BLOCK", 1 << 12)
    policy = load_policy(JINJIANG)
    data = b"\n".join(LINES[11:] * 40 + [b'{"id": "Z\xff"}'] + LINES[11:] * 40) + b"\n"
    assert native_run(policy, data) == python_run(policy, data)


def test_parquet_columns_of_every_type_are_read_as_the_python_reader_reads_them(tmp_path: Path,
                                                                                 monkeypatch: Any) -> None:
    monkeypatch.setattr(native, "PART", 3)  # two parts: the repeated id is found across them
    parquet = tmp_path / "typed.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * FROM (VALUES
        ('A', 'enterprise', CAST('1000000.50' AS DECIMAL(18, 2)), 1.5::DOUBLE, TIMESTAMP '2023-06-01 00:00:00',
         [{{'id': 'p', 'date': DATE '2023-06-01', 'cloud_service_fee': CAST('60000' AS DECIMAL(38, 20)),
           'sme_adopters': 12::BIGINT}}]),
        ('B', 'enterprise', NULL, NULL, NULL,
         [{{'id': 'p', 'date': DATE '2023-06-01', 'cloud_service_fee': CAST('70000.123' AS DECIMAL(38, 20)),
           'sme_adopters': NULL}}, NULL]),
        ('C', 'enterprise', CAST('5' AS DECIMAL(18, 2)), NULL, NULL,
         [{{'id': 'p', 'date': DATE '2023-06-01', 'cloud_service_fee': CAST('-1' AS DECIMAL(38, 20)),
           'sme_adopters': 3::BIGINT}}]),
        ('D', 'provider', CAST('900000' AS DECIMAL(18, 2)), NULL, NULL,
         [{{'id': 'p', 'date': DATE '2023-06-01', 'cloud_service_fee': CAST('120000.5' AS DECIMAL(38, 20)),
           'sme_adopters': 25::BIGINT}}]),
        ('C', 'provider', NULL, NULL, NULL, NULL)
      ) t(id, kind, fiscal_contribution, other_municipal_subsidies, stamp, projects)) TO '{parquet}' (FORMAT parquet)""")
    policy = str(JINJIANG)
    written = []
    for engine in ("python", "duckdb"):
        out, summary = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.summary.json"
        assert main(["eval", policy, str(parquet), "--engine", engine, "--no-trace", "--quiet", "-o", str(out),
                     "--summary", str(summary)]) == 0
        written.append((out.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8")))
    assert written[0] == written[1]
    lines = [json.loads(line) for line in written[1][0].splitlines()]
    # a float, a NULL project, negative money, a repeated id: each as Python says; typed values read as theirs
    assert [line["status"] for line in lines] == ["error", "error", "error", "ok", "error"]
    assert "binary floating-point" in lines[0]["errors"][0]
    assert [(a["measure"], a["status"], a["amount"]) for a in lines[3]["projects"][0]["awards"]] == \
        [("2.1", "granted", "200000.00"), ("2.3", "not_eligible", "0.00")]
    # SQL read D's typed columns itself, and the last row's (its repeated id is found as it is written)
    assert sql_writes(load_policy(JINJIANG), parquet) == {4, 5}


def test_parquet_columns_past_what_the_screen_reads_are_decided_as_python_decides_them(tmp_path: Path) -> None:
    # money past DECIMAL(38, 20)'s digits, typed (DECIMAL(38, 0), DECIMAL(38, 3)): computed for every row, it once
    # stopped the run; projects a list of lists of structs: once taken for a list of structs
    parquet, nested = tmp_path / "huge.parquet", tmp_path / "nested.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * FROM (VALUES
        ('A', 'enterprise', CAST('{"9" * 35}' AS DECIMAL(38, 0)), CAST('1' AS DECIMAL(38, 3))),
        ('B', 'enterprise', CAST('500000' AS DECIMAL(38, 0)), CAST('{"9" * 35}.999' AS DECIMAL(38, 3))),
        ('C', 'enterprise', CAST('500000' AS DECIMAL(38, 0)), CAST('0.5' AS DECIMAL(38, 3)))
      ) t(id, kind, fiscal_contribution, other_municipal_subsidies)) TO '{parquet}' (FORMAT parquet)""")
    con.execute(f"COPY (SELECT 'A' AS id, 'enterprise' AS kind, [[{{'id': 'p', 'date': DATE '2023-06-01'}}]] "
                f"AS projects) TO '{nested}' (FORMAT parquet)")
    for path in (parquet, nested):
        statuses = [json.loads(line)["status"] for line in both_engines(path, tmp_path).splitlines()]
        assert statuses == (["error", "error", "ok"] if path == parquet else ["error"])


SWEPT = ["VARCHAR", "BIGINT", "UBIGINT", "DECIMAL(38, 0)", "DECIMAL(38, 3)", "DECIMAL(4, 2)", "DOUBLE", "BOOLEAN",
         "DATE", "TIMESTAMP", "BLOB", "INTEGER[]", "STRUCT(a INTEGER)", "MAP(VARCHAR, INTEGER)", "UUID", "INTERVAL"]
SWEPT_VALUES = ["9" * 35, "-" + "9" * 35, "1", "0", "1.5", "2023-06-01", "true", "化工", "enterprise", "[1]", "{'a': 1}",
                "00000000-0000-0000-0000-000000000001", "1 day"]


@pytest.mark.parametrize("column", SWEPT)
def test_parquet_inputs_of_any_type_and_value_are_decided_as_python_decides_them(column: str, tmp_path: Path) -> None:
    # every input of the policy a column of one type, each row a value cast to it (NULL where it does not
    # cast): whatever the screen reads typed or sends to Python, the bytes are Python's and nothing stops
    plan = jinjiang().plan
    dated = plan.dated_by
    values = [f"TRY_CAST({native.literal(v)} AS {column})" for v in SWEPT_VALUES]
    applicant = [n for n, spec in plan.inputs.items() if spec.scope == "applicant" and n != "kind"]
    project = [n for n, spec in plan.inputs.items() if spec.scope == "project" and n != dated]
    rows = [f"SELECT 'R{i}' AS id, 'enterprise' AS kind, "
            + "".join(f"{v} AS {native.ident(n)}, " for n in applicant)
            + f"[{{'id': 'p', {native.literal(dated)}: DATE '2023-06-01', "
            + ", ".join(f"{native.literal(n)}: {v}" for n in project) + "}] AS projects"
            for i, v in enumerate(values)]
    parquet = tmp_path / "swept.parquet"
    duckdb.execute(f"COPY ({' UNION ALL '.join(rows)}) TO '{parquet}' (FORMAT parquet)")
    assert len(both_engines(parquet, tmp_path).splitlines()) == len(SWEPT_VALUES)


@settings(max_examples=max(settings.default.max_examples // 6, 4), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=populations(load_policy(JINJIANG)))
def test_a_parquet_file_of_generated_records_is_decided_as_python_decides_it(records: list[Any],
                                                                             tmp_path_factory: Any) -> None:
    folder = tmp_path_factory.mktemp("pq")
    lines, parquet = folder / "in.jsonl", folder / "in.parquet"
    lines.write_bytes(jsonl([r for r in records if isinstance(r, dict)]))
    con = duckdb.connect()  # whatever types DuckDB makes of them: each read as the Python reader reads it
    con.execute(f"COPY (SELECT * FROM read_json('{lines}', format = 'newline_delimited')) TO '{parquet}' "
                "(FORMAT parquet)")
    both_engines(parquet, folder)


def sql_writes(policy: Policy, data: bytes | Path, limit: int = 1 << 20) -> set[int]:
    """The lines SQL decides and writes itself (the others are the Python engine's): of JSON Lines, or of a
    Parquet or CSV file."""
    run = native.Native(policy, "zh", limit)
    found: set[int] = set()
    try:
        if isinstance(data, bytes):
            parts = run.jsonl_parts(io.BytesIO(data), None)
        elif data.suffix == ".csv":
            parts = run.item_parts(batch.read_csv(batch.csv_text(io.BytesIO(data.read_bytes())), policy, limit), None)
        else:
            parts = run.parquet_parts(str(data))
        for _ in parts:
            run.screen()
            run.decide()
            found |= {line for (line,) in run.con.execute("SELECT line FROM simple").fetchall()}
        return found
    finally:
        run.close()


def test_sql_writes_the_plain_lines_and_python_the_others(monkeypatch: Any) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    policy = load_policy(JINJIANG)
    data = "".join(synthetic.lines(2000, seed=5)).encode("utf-8")
    assert len(sql_writes(policy, data)) > 0.97 * 2000  # the synthetic population: ~2% invalid
    # line 5 is not UTF-8: read by Python, and the valid lines of its block screened by SQL all the same
    assert sql_writes(policy, b"\n".join(LINES), limit=200) == {14, 15, 23}  # 15 repeats 14's id: made an error
    monkeypatch.setattr(native, "BLOCK", 64)
    assert sql_writes(policy, b"\n".join(LINES), limit=200) == {14, 15, 23}


TYPES = {  # Parquet types a column of each kind of input may have that the screen reads typed
    "money": ["VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "HUGEINT", "UBIGINT", "DECIMAL(18, 2)", "DECIMAL(38, 20)",
              "DECIMAL(18, 0)", "DECIMAL(38, 3)"],
    "count": ["BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"],
    "bool": ["BOOLEAN"], "date": ["DATE"], "enum": ["VARCHAR"], "text": ["VARCHAR"],
}
UNTYPED = [("money", "DECIMAL(38, 21)")]  # read through its JSON: 21 places are more than money takes
EDGES = ["1200000.50", "0", "-1", "-0", "0.00", "999999999999999", "999999999999999.99", "1000000000000000",
         "999999999", "1000000000", "99999999999999999999", "9" * 35, "-" + "9" * 35, "0." + "1" * 20, "0." + "1" * 21, "1e3", " 1", "00012",
         "0001-01-01", "0000-06-01", "9999-12-31", "10000-01-01", "2023-02-29", "2024-02-29", " ", "", 'x"y',
         "a\\b", "化工", "\u2028", "enterprise", "provider"]


@functools.cache
def jinjiang() -> Policy:
    return load_policy(JINJIANG)


@settings(max_examples=3, deadline=None)
@pytest.mark.parametrize("kind, column", [(k, c) for k, cs in TYPES.items() for c in cs] + UNTYPED)
@given(texts=st.lists(st.one_of(st.integers(-10, 10**20).map(str), st.decimals(0, 10**16, places=4).map(str),
                                st.dates().map(str), st.text(max_size=4)), max_size=20))
def test_the_typed_screen_is_the_json_screen(kind: str, column: str, texts: list[str]) -> None:
    # a Parquet value the screen reads typed passes exactly when the JSON the Python reader would see of it
    # passes, and is read as the same value: the second form of the rule (native._typed_fact) held to the
    # first, which the tests above hold to the Python reader; a column it does not read typed would not be.
    # Each value is computed for every row, passing or not, as the screen computes it: it must never fail
    policy = jinjiang()
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS x", [EDGES + texts])
    if kind == "text":  # an id: the only text the screen tests
        name, typed, json_form = "id", native._id("v", True), native._id("j", False)
    else:
        name = next(n for n, spec in policy.plan.inputs.items() if spec.kind == kind)
        spec = policy.plan.inputs[name]
        typed, json_form = native._typed_fact(spec, column, "v"), native._json_fact(spec, "j")
    scope = policy.plan.inputs[name].scope if name in policy.plan.inputs else "project"
    j = native._json_value(name, column, "v", policy.plan, scope)
    rows = con.execute(f"""SELECT x, v, COALESCE({typed[0]}, FALSE), COALESCE({json_form[0]}, FALSE),
        {typed[1]}, {json_form[1]}
        FROM (SELECT *, {j} AS j FROM (SELECT x, TRY_CAST(x AS {column}) AS v FROM t) WHERE v IS NOT NULL)""").fetchall()
    differ = [(x, v) for x, v, passes, json_passes, value, json_value in rows
              if (passes, value if passes else None) != (json_passes, json_value if json_passes else None)]
    assert native._typed(kind, column) == (not differ), differ


def test_parquet_column_names_reach_the_query_only_quoted(tmp_path: Path) -> None:
    parquet = tmp_path / "names.parquet"
    evil = 'x"); DROP TABLE raw; --\'\\'
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'A' AS id, 'enterprise' AS kind, 1 AS "{evil.replace('"', '""')}",
        [{{'id': 'p', 'date': DATE '2023-06-01', '{evil.replace("'", "''")}': 2}}] AS projects
        UNION ALL SELECT 'B', 'enterprise', NULL, [{{'id': 'p', 'date': DATE '2023-06-01', '{evil.replace("'", "''")}': NULL}}])
        TO '{parquet}' (FORMAT parquet)""")
    first, second = (json.loads(line) for line in both_engines(parquet, tmp_path).splitlines())
    assert first["status"] == "error" and "unknown field" in first["errors"][0]
    assert second["status"] == "ok"  # a NULL is a field not given, whatever its name


def test_explain_re_evaluates_any_applicant_of_a_native_run_and_agrees() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    policy = load_policy(JINJIANG)
    lines = list(synthetic.lines(300, seed=8))
    written, _ = native_run(policy, "".join(lines).encode("utf-8"))
    checked = 0
    for out in map(json.loads, written.splitlines()):
        if out["status"] != "ok":
            continue
        record = json.loads(lines[out["line"] - 1])
        explained = policy.run({"applicants": [record]})[1].applicants[0]  # with its explanation
        mine = explained.to_json("zh", trace=False)
        assert {k: v for k, v in out.items() if k != "line"} == mine
        assert all(a.trace for p in explained.projects for a in p.awards)  # every figure explained
        checked += 1
    assert checked > 250


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_the_explain_command_explains_an_applicant_of_a_native_runs_file_and_agrees(fmt: str, tmp_path: Path,
                                                                                    capsys: Any) -> None:
    """``explain FILE --applicant ID`` on the very file a DuckDB run decided (of any size: read as a stream):
    its report's table has every award of the run's line, with the same status and amounts."""
    import re
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    data = tmp_path / f"in.{fmt}"
    if fmt == "parquet":
        synthetic.parquet(120, str(data), seed=3)
    else:
        data.write_text("".join(synthetic.csv_lines(120, seed=3) if fmt == "csv" else synthetic.lines(120, seed=3)),
                        encoding="utf-8")
    run = tmp_path / "run.jsonl"
    assert main(["eval", str(JINJIANG), str(data), "--engine", "duckdb", "--quiet", "-o", str(run)]) == 0
    decided = [line for line in map(json.loads, run.read_text(encoding="utf-8").splitlines()) if line["status"] == "ok"]
    explained = 0
    for line in decided[::9]:
        page = tmp_path / "explained.md"
        assert main(["explain", str(JINJIANG), str(data), "--applicant", line["id"], "--lang", "en", "-o", str(page)]) == 0
        rows = re.findall(r"^\| (\S+) \| (\S+) [^|]*\| ([a-z ]+) \| ([\d,.—]+) \| ([\d,.—]+) \|$",
                          page.read_text(encoding="utf-8"), flags=re.M)
        expected = [(p["id"], a["measure"], a["status"].replace("_", " "), shown(a["entitlement"]), shown(a["amount"]))
                    for p in line["projects"] for a in p["awards"]]
        assert rows == expected and expected
        assert f"**{Decimal(line['total']):,.2f}**" in page.read_text(encoding="utf-8")
        explained += 1
    assert explained >= 10
    assert main(["explain", str(JINJIANG), str(data), "--applicant", "NOBODY"]) == 1
    assert main(["explain", str(JINJIANG), str(data)]) == 2
    assert main(["report", str(JINJIANG), str(data), "-o", str(tmp_path / "r.html")]) == 2
    assert main(["explain", str(JINJIANG), "-", "--applicant", decided[0]["id"]]) == 2
    said = capsys.readouterr().err
    assert f"{data}: no applicant with id 'NOBODY'" in said
    assert "name the applicant to explain with --applicant ID" in said
    assert f"jinjiang-dsl explain POLICY {data} --applicant ID" in said and "Traceback" not in said
    assert "jinjiang-dsl explain: name the file the applicants are in, not - (standard input)" in said
    assert main(["explain", str(JINJIANG), str(data), "--applicant", "\udcffA"]) == 1  # not UTF-8: in no file
    assert "no applicant with id" in capsys.readouterr().err


def test_explain_reads_a_file_within_the_limits_the_eval_run_was_given(tmp_path: Path, capsys: Any) -> None:
    """A run with raised limits decides a long line and many projects; explain, given the same limits, explains
    those applicants — not, for a line too long at the default, a later one with the same id."""
    project = {"id": "P", "date": "2023-06-01", "software_investment": "100000"}
    data = tmp_path / "in.jsonl"
    long = json.dumps({"id": "LONG", "kind": "enterprise", "projects": [project]})[:-1] + " " * 1_500_000 + "}"
    data.write_text("".join(line + "\n" for line in (  # a line of 1.5 MB, mostly JSON's blanks: every text is bounded
        long, json.dumps({"id": "MANY", "kind": "enterprise", "projects": [dict(project, id=f"P{i}") for i in range(1200)]}),
        json.dumps({"id": "LONG", "kind": "enterprise", "projects": []}))), encoding="utf-8")
    limits = ["--max-line-bytes", "4000000", "--max-projects", "2000"]
    run = tmp_path / "run.jsonl"
    assert main(["eval", str(JINJIANG), str(data), "--engine", "duckdb", "--quiet", "-o", str(run), *limits]) == 0
    first, many, _ = map(json.loads, run.read_text(encoding="utf-8").splitlines())
    assert first["status"] == many["status"] == "ok"
    for line, applicant in ((first, "LONG"), (many, "MANY")):
        page = tmp_path / "page.txt"  # a .txt is text, as a terminal shows it
        assert main(["explain", str(JINJIANG), str(data), "--applicant", applicant, "--lang", "en", "-o", str(page),
                     *limits]) == 0
        shown = page.read_text(encoding="utf-8")
        assert "# " not in shown and f"Applicant {applicant}" in shown
        assert f"{Decimal(line['total']):,.2f}" in shown and "Input errors" not in shown
    assert main(["explain", str(JINJIANG), str(data), "--applicant", "MANY", "--lang", "en", "--format", "md"]) == 0
    assert "1,200 projects; an applicant may have at most 1,000" in capsys.readouterr().out  # the default, as eval


def test_explain_of_an_id_only_in_records_it_could_not_read_names_them(tmp_path: Path, capsys: Any) -> None:
    """"no applicant with id 'LONG'" said nothing of the line too long to read that held it."""
    long = json.dumps({"id": "LONG", "kind": "enterprise", "name": "x" * 1_100_000, "projects": []}) + "\n"
    data, table = tmp_path / "in.jsonl", tmp_path / "in.csv"
    data.write_text(long + '{"id": "LONG", oops}\n{"id": "OTHER", "kind": "enterprise"}\n', encoding="utf-8")
    assert main(["explain", str(JINJIANG), str(data), "--applicant", "LONG"]) == 1
    assert capsys.readouterr().err == (
        f"{data}: no applicant with id 'LONG' among the records read; one that could not be read may hold it: "
        f"line 1: a line of {len(long):,} bytes; at most 1,048,576 are read (--max-line-bytes); 1 more such\n")
    table.write_text('applicant_id,kind,project_id,date\n"LONG,enterprise,p,2023-06-01\n', encoding="utf-8")
    assert main(["explain", str(JINJIANG), str(table), "--applicant", "LONG"]) == 1
    assert capsys.readouterr().err == (f"{table}: no applicant with id 'LONG' among the records read; one that could "
                                       "not be read may hold it: line 2: not valid CSV: unexpected end of data\n")


@pytest.mark.parametrize("column", ["file_row_number", "File_Row_Number", "name"])
def test_a_parquet_column_named_as_duckdbs_row_number_is_an_unknown_field_not_a_crash(column: str, tmp_path: Path,
                                                                                       capsys: Any) -> None:
    """DuckDB numbers a Parquet file's rows in a column ``file_row_number``, and will not when the file has
    one: such a file is decided row by row (the same bytes as the Python engine), and explain finds its
    applicants by their row, as it finds them in any other file (an input error names the row)."""
    data = tmp_path / "in.parquet"
    extra = "" if column == "name" else f", i AS {column}"
    duckdb.connect().execute(f"""COPY (SELECT 'A' || i AS id, 'enterprise' AS kind{extra}, [{{'id': 'P',
        'date': DATE '2023-05-01', 'software_investment': CASE WHEN i = 3 THEN 'x' ELSE '100' END}}] AS projects
        FROM range(1, 6) t(i)) TO '{data}' (FORMAT parquet)""")
    third = json.loads(both_engines(data, tmp_path).splitlines()[2])
    assert third["line"] == 3 and third["status"] == "error"
    page = tmp_path / "page.md"
    assert main(["explain", str(JINJIANG), str(data), "--applicant", "A3", "--lang", "en", "-o", str(page)]) == 0
    assert "line 3: $.projects\\[0\\].software\\_investment: not an amount: 'x'" in page.read_text(encoding="utf-8")
    assert "Traceback" not in capsys.readouterr().err


def test_a_parquet_column_named_twice_in_two_cases_is_named_as_the_file_names_it(tmp_path: Path) -> None:
    """DuckDB reads columns ``id`` and ``ID`` as ``id`` and ``ID_1``; the error names ``ID``, the file's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["A", "B"], "ID": ["x", None], "kind": ["enterprise", "enterprise"]}), data)
    first, second = (json.loads(line) for line in both_engines(data, tmp_path).splitlines())
    assert first["errors"] == ["line 1: $.ID: unknown field 'ID' (applicant A)"]
    assert second["status"] == "ok"  # a NULL is a field not given


def shown(money: str | None) -> str:
    """Money of the contract as a report's table shows it."""
    return "—" if money is None else f"{Decimal(money):,.2f}"


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_explain_of_an_id_written_as_a_number_says_where_and_why_it_is_not_one(fmt: str, tmp_path: Path,
                                                                              capsys: Any) -> None:
    data = tmp_path / f"in.{fmt}"
    if fmt == "parquet":
        duckdb.connect().execute(f"COPY (SELECT i AS id, 'enterprise' AS kind FROM range(1, 5) t(i)) TO '{data}'")
    else:
        data.write_text('{"id": "1", "kind": "enterprise"}\n{"id": 3, "kind": "enterprise"}\n', encoding="utf-8")
    assert main(["explain", str(JINJIANG), str(data), "--applicant", "3"]) == 1
    line = 3 if fmt == "parquet" else 2
    assert (f"no applicant with id '3' (line {line} has the number 3 as its id; an id is text, so eval reports that "
            "line as an input error)") in capsys.readouterr().err


def test_explain_of_a_json_lines_file_finds_an_id_however_written_and_takes_the_first(tmp_path: Path) -> None:
    """An id spelled with an escape is the same id; of two applicants with one id, eval decides the first
    and reports the second as repeated, and explain explains the first."""
    data = tmp_path / "in.jsonl"
    data.write_text('{"id": "A\\u0042", "kind": "provider", "projects": []}\n'
                    '{"id": "AB", "kind": "enterprise", "projects": []}\n', encoding="utf-8")
    page = tmp_path / "page.md"
    assert main(["explain", str(JINJIANG), str(data), "--applicant", "AB", "--lang", "en", "-o", str(page)]) == 0
    assert "## Applicant AB (applicant kind: platform or system service provider)" in page.read_text(encoding="utf-8")


def test_a_figure_past_decimal_38_in_a_file_is_decided_by_python_and_stops_no_one() -> None:
    from test_sql import EXACT

    from jinjiang_dsl.api import policy_from_source

    overflowing = EXACT.replace('  industry: text "产业" / "industry"\n', '  industry: text "产业" / "industry"\n'
                                '  units: count "数量" / "units"\n').replace(
        "amount 20% of spend, at most 100万", "amount 20% of units * spend")
    policy = policy_from_source(overflowing)
    data = jsonl([{"id": "E1", "projects": [{"id": "P1", "industry": "纺织", "units": 999999999,
                                            "spend": "999999999999999.99999999999999999999"}]},
                  {"id": "E2", "projects": [{"id": "P1", "industry": "纺织", "units": 2, "spend": "100"}]}])
    written, summary = native_run(policy, data)
    assert (written, summary) == python_run(policy, data)
    assert [json.loads(line)["total"] for line in written.splitlines()] == ["199999999800000000000000.00", "40.00"]


def test_out_of_memory_is_a_reason_and_no_output(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(synthetic.lines(3000, seed=3)), encoding="utf-8")
    monkeypatch.setattr(native, "MEMORY_LIMIT", "4MB")  # as JINJIANG_DSL_MEMORY_LIMIT=4MB would
    assert main(["eval", str(JINJIANG), str(src), "--engine", "duckdb", "--no-trace", "--quiet", "-o", str(out)]) == 1
    assert "DuckDB ran out of memory within its limit of 4MB" in capsys.readouterr().err
    assert not out.exists()
    raised = tmp_path / "raised.pol"  # impact on a file decides it as eval does, and says so as well
    raised.write_text(JINJIANG.read_text(encoding="utf-8").replace("amount 20% of investment", "amount 25% of investment"),
                      encoding="utf-8")
    # with eval's status: 1, the run could not finish (impact said 2, as if it had not started)
    assert main(["impact", str(JINJIANG), str(raised), str(src), "--format", "json", "-o", str(out)]) == 1
    assert "jinjiang-dsl impact: DuckDB ran out of memory within its limit of 4MB" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("command", ["eval", "impact"])
def test_a_memory_limit_duckdb_cannot_read_is_a_reason_not_a_crash(command: str, tmp_path: Path, monkeypatch: Any,
                                                                   capsys: Any) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.json"
    src.write_text('{"id": "A", "kind": "enterprise", "projects": []}\n', encoding="utf-8")
    monkeypatch.setattr(native, "MEMORY_LIMIT", "lots")  # as JINJIANG_DSL_MEMORY_LIMIT=lots would
    args = ["eval", str(JINJIANG), str(src), "--engine", "duckdb"] if command == "eval" else \
        ["impact", str(JINJIANG), str(JINJIANG), str(src), "--format", "json"]
    # not started, 2, for both (eval said 1, as if it had run out of memory)
    assert main([*args, "-o", str(out)]) == 2
    said = capsys.readouterr().err
    assert f"jinjiang-dsl {command}: JINJIANG_DSL_MEMORY_LIMIT='lots' is not a memory limit DuckDB takes" in said
    assert "write it as 1GB" in said and "internal error" not in said and not out.exists()


def test_a_long_batch_warning_is_cut_short_on_the_terminal_and_whole_in_the_summary(tmp_path: Path,
                                                                                      capsys: Any) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    src, summary = tmp_path / "in.jsonl", tmp_path / "summary.json"
    src.write_text("".join(synthetic.lines(20_000, seed=4)), encoding="utf-8")
    assert main(["eval", str(JINJIANG), str(src), "--engine", "duckdb", "--no-trace", "-o", str(tmp_path / "o.jsonl"),
                 "--summary", str(summary)]) == 0
    printed = [line for line in capsys.readouterr().err.splitlines() if line.startswith("警告")]
    whole = json.loads(summary.read_text(encoding="utf-8"))["warnings"]
    assert len(printed) == len(whole) and any(len(w) > 400 for w in whole)
    for line, w in zip(printed, whole):
        assert len(line) < 460 and (line == "警告: " + w or line.endswith("全文见 --summary 文件)"))


CROSS_CHECKED = """policy "核对" / "checks" {
  rounding 0.01元 half_up
}
project {
  spend: money "投入" / "spend"
  approved: money "核定" / "approved"
  deducted: money "扣减" / "deducted"
}
measure 1 "甲" / "A" {
  clause 一
  amount 15% of spend, at most 10万
  cross check 50% of approved "核定的50%\\"引号\u2028" / "half of \\"approved\\" \\\\ "
  cross check approved - deducted "核定减扣减" / "approved less deducted"
}
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cross_check_warnings_are_written_by_sql_as_python_words_them(tmp_path: Path, lang: str) -> None:
    # figures whole, with a fraction, negative, and equal to the formula's (no warning); labels with a quote,
    # a backslash and a line separator, which JSON and the line writer escape
    policy = tmp_path / "checks.pol"
    policy.write_text(CROSS_CHECKED, encoding="utf-8")
    rows = [("1000000", "300000", "0"), ("400000.5", "12345.678", "20000"), ("40", "12", "12"), ("100", "60", "1")]
    data = "".join(json.dumps({"id": f"A{i}", "projects": [{"id": "P", "spend": s, "approved": a, "deducted": d}]})
                   + "\n" for i, (s, a, d) in enumerate(rows)).encode("utf-8")
    assert sql_writes(load_policy(policy), data) == {1, 2, 3, 4}
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    written = []
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.jsonl"
        assert main(["eval", str(policy), str(source), "--engine", engine, "--no-trace", "--quiet", "--lang", lang,
                     "-o", str(out)]) == 0
        written.append(out.read_text(encoding="utf-8"))
    assert written[0] == written[1]
    warnings = [line["projects"][0]["awards"][0].get("warnings", []) for line in map(json.loads, written[1].splitlines())]
    assert [len(w) for w in warnings] == [1, 2, 1, 2]  # 50% of 300,000 and of 12 are the formula's own figures
    assert "-7,654.322" in warnings[1][1] and "60,000.075" in warnings[1][1] and "6,172.839" in warnings[1][0]
    assert ("\\u2028" if lang == "zh" else '\\"approved\\" \\\\') in written[1]  # escaped in the line


def test_a_csv_file_is_decided_natively_as_python_decides_it(tmp_path: Path, monkeypatch: Any) -> None:
    # the CSV reader makes each applicant's record; SQL screens, decides and writes the plain ones. Here with the
    # reader's own errors beside them: rows that disagree, a bad byte, a record over two lines, a quote never
    # closed, a blank line, an id seen again later — and parts of 100 records, read ahead while DuckDB decides
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    monkeypatch.setattr(native, "PART", 100)
    rows = "".join(synthetic.csv_lines(300, seed=7)).splitlines(keepends=True)
    rows[10] = rows[10].replace(",provider,", ",enterprise,", 1)  # disagrees with its applicant's first row, or not
    rows[20] = rows[20].replace("企业", "企\udcff业", 1)  # a byte that is not UTF-8
    rows[30] = rows[30].replace(",企业", ',"企\n业"', 1)  # a name over two lines
    rows[40] = "\n"
    rows.append(rows[5])  # an id seen again, not next to its first rows
    rows.append('A9,"never closed\n')
    source = tmp_path / "in.csv"
    source.write_bytes("".join(rows).encode("utf-8", "surrogateescape"))
    written = []
    for engine in ("python", "duckdb"):
        out, summary = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.summary.json"
        assert main(["eval", str(JINJIANG), str(source), "--engine", engine, "--no-trace", "--quiet", "-o", str(out),
                     "--summary", str(summary)]) == 0
        written.append((out.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8")))
    assert written[0] == written[1]
    lines = [json.loads(line) for line in written[1][0].splitlines()]
    assert len(lines) >= 300 and lines[-1]["status"] == "error" and "not valid CSV" in lines[-1]["errors"][0]
    assert any("not UTF-8" in e for line in lines for e in line["errors"])
    assert any("duplicate id" in e for line in lines for e in line["errors"])
    assert len(sql_writes(load_policy(JINJIANG), source)) > 0.9 * 300
