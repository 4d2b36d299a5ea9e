"""The DuckDB engine's native path: a JSON Lines, Parquet or CSV file decided inside DuckDB, each line as the
Python engine decides it, without a Python object per applicant.

DuckDB reads the file (JSON Lines handed over in blocks of whole lines, Parquet scanned; a CSV file's
records, which the CSV reader makes, handed over as JSON text), screens every
record in SQL and decides the records it vouches for with the policy's query; their output lines are
written by SQL too. The screen is a strict subset of the validator: a record passes only when every
field has a plain form that SQL and Python provably read alike (money as ``"1200000.50"`` or a whole
number, counts as whole numbers, dates as ``YYYY-MM-DD``, ids of plain characters, known keys given
once, the input assertions kept). Every other line — not JSON, invalid, or merely written another way —
is read, validated and decided by the Python engine, so its message is the validator's own, word for
word; so is an applicant whose awards carry what only the decider writes (payer shares, instalments, a
zero divisor, a fact a rule needs). Cross-check warnings SQL writes itself, worded from the same message
catalogue. A Parquet row's typed columns are screened as they are: by their value where its type says all
(a BOOLEAN yes/no, a BIGINT count, money as text of digits), any other written as the JSON the Python reader
would see and screened as a JSON Lines value is. Repeated ids are found over the whole file,
as the stream writer finds them. The output is byte for byte the Python engine's (tests/test_native.py).

A file is decided a part at a time (:data:`PART` lines), and DuckDB spills to a private temporary folder
beyond its memory limit, so no file's size decides the memory a run takes.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile
import uuid
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from .. import batch
from ..batch import BOM, Item, Result, Tally, line_item
from ..explain.messages import render
from ..inputs import FAST_DATE, FAST_MONEY, STRUCTURAL_APPLICANT, STRUCTURAL_PROJECT, repeated_id
from ..ir import InputSpec
from ..limits import MAX_COUNT, MAX_ID, MAX_MONEY, MAX_MONEY_DECIMALS, MAX_NAME, MAX_TEXT
from ..output import interrupted
from ..plan import Plan
from ..runtime.trace import Step
from .dialect import DUCKDB
from .emit import (
    COLUMN_PREFIX,
    COLUMN_TYPES,
    MASK_BITS,
    Emitter,
    Unsupported,
    emit,
    ident,
    literal,
    number,
    table_columns,
)

if TYPE_CHECKING:
    from ..api import Policy

BLOCK = 8 << 20  # bytes of JSON Lines handed to DuckDB at once
OUT_LINES = 16_384  # output lines handed back from DuckDB at once
PYTHON_ROWS = 2048  # lines handed to the Python engine at once
FETCH_BYTES = batch.CHUNK_BYTES  # and at most about this much of their text (a line of a 1 MB id is 1 MB out)
RAW_ROWS = 16_384  # rows handed to DuckDB as Python lists at once (a list of 262,144 strings takes twice as long)
PART = 262_144  # lines decided at once: memory holds one part's tables (smaller parts measured slower)
PART_BYTES = 128 << 20  # and at most about this much text: a file of long lines is decided in smaller parts
LONG_LINE = 64 << 10  # a longer line is read by Python: DuckDB's JSON functions take ~15x a long line's size
MEMORY_LIMIT = os.environ.get("JINJIANG_DSL_MEMORY_LIMIT", "1GB")  # DuckDB's; the Python side holds a block
SAFE_ID = f"[ !#-&(-\\[\\]-~\u4e00-\u9fff]{{1,{MAX_ID}}}"  # written as they are by JSON and repr(): no quote, no backslash
DECIDED = "a_ord, p_ord, measure, k, year, status, entitlement, amount, raw, checks, problem, zero, p_date"
INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
PLAIN_TYPES = ("VARCHAR", "BOOLEAN", *INTEGERS)  # Parquet columns JSON writes as the Python reader reads them


class Unusable(Exception):
    """DuckDB cannot decide the file as it is set up: the message says why, and what to do."""


class OutOfMemory(Unusable):
    """DuckDB could not finish within its memory limit, even spilling to disk: the message says what to do."""


def refusal(plan: Plan) -> str | None:
    """Why the native path cannot decide this policy (the chunked SQL engine then does), or None."""
    try:
        emit(plan)
        for cond in plan.assertions:
            Emitter(plan).expr(cond.expr)
    except Unsupported as exc:
        return str(exc)
    if Emitter(plan).digits() > 2:
        return "amounts finer than a cent are written by the Python engine"
    return None


def run(policy: Policy, fmt: str, lang: str, write: Callable[[str], object], *, path: str = "",
        stream: IO[bytes] | None = None, items: Iterator[Item] | None = None, max_line_bytes: int = 0,
        on_progress: Callable[[int], None] | None = None, on_stage: Callable[[str], None] = lambda name: None,
        jobs: int = 1) -> Tally:
    """A whole file decided natively (``fmt``: "jsonl", read from ``stream``; "parquet", from ``path``; "csv",
    the records :func:`batch.read_csv` made of it, ``items``), every line written in order; the batch's tally.
    ``on_progress``: bytes read; ``on_stage``: each stage after; ``jobs``: processes for the lines the Python
    engine decides (forked before DuckDB starts its threads)."""
    import duckdb

    batch.use(policy, False, lang)
    workers = batch.Workers(jobs) if jobs > 1 else None
    try:
        native = Native(policy, lang, max_line_bytes, workers)
    except Unusable:
        if workers is not None:
            workers.stop()
        raise
    try:
        return _run(native, fmt, write, path, stream, items, on_progress, on_stage)
    except duckdb.InvalidInputException as exc:
        if native.parquet is None or "Parquet file" not in str(exc):
            raise
        raise batch.Unreadable(batch.parquet_fault(exc)) from None  # read past its footer, and found broken
    except duckdb.InternalException as exc:  # DuckDB's reader failing on the file (lists nested 245 deep): the
        if native.parquet is None:  # Python engine's reader says so of any error of DuckDB's, and so does this
            raise
        raise batch.Unreadable(batch.parquet_fault(exc)) from None
    except duckdb.OutOfMemoryException:
        raise OutOfMemory(f"DuckDB ran out of memory within its limit of {MEMORY_LIMIT}, even spilling to disk; "
                          "raise it (JINJIANG_DSL_MEMORY_LIMIT=4GB), or decide this file with --engine python") from None
    except Exception:
        if interrupted():  # a Ctrl-C during a query reaches us as DuckDB's "Query interrupted"
            raise KeyboardInterrupt from None
        raise
    finally:
        native.close()
        if workers is not None:
            workers.stop()


def _run(native: Native, fmt: str, write: Callable[[str], object], path: str, stream: IO[bytes] | None,
         items: Iterator[Item] | None, on_progress: Callable[[int], None] | None,
         on_stage: Callable[[str], None]) -> Tally:
    """The stages of :func:`run`, a part of the file at a time (so that memory holds one part's tables)."""
    tally = Tally()
    if fmt == "parquet":
        parts = native.parquet_parts(path)
    elif fmt == "csv":
        assert items is not None
        parts = native.item_parts(items, on_progress)
    else:
        assert stream is not None
        parts = native.jsonl_parts(stream, on_progress)
    try:
        for _ in parts:
            on_stage("screening")
            native.screen()
            on_stage("deciding")
            # the lines SQL does not vouch for are decided by Python while DuckDB runs the query (it lets go of
            # the interpreter meanwhile); those the query hands back to Python after it, then
            native.start_python()
            with ThreadPoolExecutor(1) as pool:
                early = pool.submit(native.decide_python, "clean")
                try:
                    native.decide()
                finally:
                    early.result()
            native.decide_python("simple")
            on_stage("writing")
            native.write(write, tally)
            on_stage("reading")
    finally:  # a part read ahead is finished, and its reader let go, before the database is closed
        parts.close()
    return tally


class Native:
    """One file's run: an in-memory DuckDB database (spilling to a private folder), filled a part at a time,
    each part screened, decided and written before the next."""

    def __init__(self, policy: Policy, lang: str, max_line_bytes: int, workers: batch.Workers | None = None):
        import duckdb

        self.policy, self.plan, self.lang, self.max_line_bytes = policy, policy.plan, lang, max_line_bytes
        self.workers = workers
        self.folder = tempfile.TemporaryDirectory(prefix="jinjiang-dsl-")
        try:
            self.con = duckdb.connect(config={
                "temp_directory": os.path.join(self.folder.name, "spill"),  # beyond the memory limit, tables go here
                "memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False})  # every result is ordered by line
        except duckdb.Error as exc:  # the one setting a user gives it
            self.folder.cleanup()
            raise Unusable(f"JINJIANG_DSL_MEMORY_LIMIT={MEMORY_LIMIT!r} is not a memory limit DuckDB takes "
                           f"({str(exc).split(': ', 1)[-1]}); write it as 1GB, 4GB or 500MB") from None
        self.con.execute("SET enable_progress_bar = false")  # it would print into the output; the CLI has its own
        self.query = emit(self.plan, columns=DECIDED)  # once for the run, whatever its number of parts
        self.warnings = _warnings(self.plan, lang)
        self.parquet: str | None = None
        self.aside: dict[int, Item] | None = None  # a CSV file's records that came with the reader's error
        self.columns: dict[str, str] = {}  # a Parquet file's columns and their types
        self.names: list[str] = []  # and their names as the file writes them (DuckDB renames one written twice)
        self.project_columns: dict[str, str] | None = None  # the fields of its projects, a list of structs
        self.part = (0, 0)  # the lines [from, to) of the part being decided
        # across parts: the first line of every applicant id written, to find a repeated one
        self.con.execute("CREATE TABLE firsts (aid VARCHAR, first BIGINT)")
        self.con.execute("CREATE TABLE measures (measure VARCHAR, mj VARCHAR, by_year BOOLEAN, python BOOLEAN, "
                         "quota VARCHAR)")
        for m in self.plan.measures:
            per = m.quota[1] if m.quota else None
            native_quota = per is None or _quota_value(self.plan, per) is not None
            self.con.execute("INSERT INTO measures VALUES (?, ?, ?, ?, ?)",
                             [m.id, json.dumps(m.id, ensure_ascii=False), m.level == "year",
                              bool(m.shared or m.instalments) or not native_quota, per if native_quota else None])

    def close(self) -> None:
        self.con.close()
        self.folder.cleanup()

    # ------------------------------------------------------------------ reading

    def jsonl_parts(self, stream: IO[bytes], on_progress: Callable[[int], None] | None) -> Generator[None, None, None]:
        """The file's lines into ``raw(line, t, last, error)``, a part of at least :data:`PART` lines at a time
        (it is yielded; the next one is read meanwhile, in a thread, on a cursor of its own, into ``raw_next``,
        while DuckDB decides this one), by :class:`_JsonlReader`."""
        reader = _JsonlReader(stream, self.max_line_bytes, self.con.cursor())
        try:
            with ThreadPoolExecutor(1) as pool:
                ahead = pool.submit(reader.part)
                while True:
                    start, end, read, last = ahead.result()
                    self.con.execute("DROP TABLE IF EXISTS raw; ALTER TABLE raw_next RENAME TO raw")
                    if not last:
                        ahead = pool.submit(reader.part)
                    if on_progress is not None:
                        on_progress(read)
                    if end > start:
                        self.part = (start + 1, end + 1)
                        yield None
                    if last:
                        return
        finally:
            reader.con.close()

    def item_parts(self, items: Iterator[Item], on_progress: Callable[[int], None] | None) -> Generator[None, None, None]:
        """Records another reader made — a CSV file's, each an applicant of consecutive rows named by its first
        line — into ``raw`` as their JSON text, :data:`PART` at a time; the next part is read (in a thread)
        while DuckDB decides this one. A record that came with the reader's own error (an unknown column, rows
        that disagree, a line that is not CSV), or over the project bound, is kept aside as it came, for the
        Python engine to decide as the stream does."""
        with ThreadPoolExecutor(1) as reader:
            ahead = reader.submit(_records, items)
            while True:
                lines, texts, self.aside, more = ahead.result()
                if more:
                    ahead = reader.submit(_records, items)
                _new_raw(self.con, "raw")
                _raw_rows(self.con, "raw", lines, texts)
                if on_progress is not None:
                    on_progress(0)
                if lines:
                    self.part = (lines[0], lines[-1] + 1)
                    yield None
                if not more:
                    return

    def parquet_parts(self, path: str) -> Generator[None, None, None]:
        """The rows' numbers in ``raw``, :data:`PART` rows at a time (each part yielded, then the next read:
        DuckDB reads only the row groups it needs), numbered from 1 as :func:`read_parquet` numbers them; the
        screen reads the part's typed columns themselves."""
        self.parquet = path
        self.con.execute(f"CREATE VIEW source AS SELECT * FROM read_parquet({literal(path)}, file_row_number = true)")
        self.columns = {name: kind for name, kind in
                        self.con.execute("SELECT column_name, column_type FROM (DESCRIBE source)").fetchall()
                        if name != "file_row_number"}
        if (wide := batch.too_many_columns(len(self.columns))) is not None:
            raise batch.Unreadable(wide)  # refused before any part is read (the command line refuses it sooner)
        self.names = batch.parquet_names(path, list(self.columns))  # as the file names them, for Python's records
        kind = self.columns.get("projects", "")
        if kind.startswith("STRUCT(") and kind.endswith(")[]"):  # a list of structs (not a list of lists)
            self.project_columns = dict(self.con.execute(
                "SELECT column_name, column_type FROM (DESCRIBE SELECT unnest(p) FROM "
                "(SELECT unnest(projects) AS p FROM source))").fetchall())
        rows = (self.con.execute("SELECT count(*) FROM source").fetchone() or (0,))[0]
        for start in range(0, rows, PART):
            if interrupted():
                raise KeyboardInterrupt
            self.part = (start + 1, min(start + PART, rows) + 1)
            self.con.execute("CREATE OR REPLACE TABLE raw AS SELECT file_row_number + 1 AS line FROM source "
                             f"WHERE file_row_number >= {start} AND file_row_number < {start + PART}")
            yield None

    # ------------------------------------------------------------------ screening

    def screen(self) -> None:
        """The query's tables ``applicant`` and ``project``, of the records SQL vouches for (``clean``)."""
        plan = self.plan
        a_inputs = {n: s for n, s in plan.inputs.items() if s.scope == "applicant"}
        p_inputs = {n: s for n, s in plan.inputs.items() if s.scope == "project"}
        projects_ok, project_rows = self._parsed(a_inputs, p_inputs)
        dated = plan.dated_by
        a_types, p_types = self.columns, self.project_columns or {}  # a Parquet file's types ({}: JSON text)
        a_clean, a_values = _facts(a_inputs, "s", a_types)
        a_id, aid = _id("s.id", _typed("text", a_types.get("id", "")))
        # a name's JSON text is at least 2 longer than the name (its quotes, then any escape): one over is Python's
        named = (f"length(s.name) <= {MAX_NAME}" if _typed("text", a_types.get("name", ""))
                 else f"(left(CAST(s.name AS VARCHAR), 1) = '\"' AND length(CAST(s.name AS VARCHAR)) <= {MAX_NAME + 2})")
        checks = [
            "is_object", "known", a_id, f"(s.name IS NULL OR {named})",
            f"(NOT list_contains(keys, 'projects') OR {projects_ok})", *a_clean,
        ]
        if dated in a_inputs:  # given, and not null: a null date is no date (the validator's "missing")
            checks.append(f"s.{ident(dated)} IS NOT NULL")
        for m in plan.measures:  # a measure's own date, when the record claims the measure (gives a fact of it)
            if m.dated_by and m.own_facts:
                claimed = ", ".join(literal(n) for n in sorted(m.own_facts))
                checks.append(f"(s.{ident(m.dated_by)} IS NOT NULL OR NOT list_has_any(keys, [{claimed}]))")
        a_date = a_values[dated] if dated in a_inputs else "CAST(NULL AS DATE)"
        self.con.execute(
            f"CREATE OR REPLACE TABLE a_screen AS SELECT line, COALESCE({' AND '.join(checks)}, FALSE) AS clean, "
            f"{aid} AS aid, {a_date} AS a_date, keys AS a_given"
            + "".join(f", {v} AS {ident(COLUMN_PREFIX + n)}" for n, v in a_values.items()) + " FROM parsed")
        p_clean, p_values = _facts(p_inputs, "q", p_types)
        own = dated if dated in p_inputs else None
        p_id, pid = _id("q.id", _typed("text", p_types.get("id", "")))
        p_checks = ["p_object", "p_known", p_id, *p_clean]
        if own is not None:
            p_checks.append(f"q.{ident(own)} IS NOT NULL")
        self.con.execute(
            f"CREATE OR REPLACE TABLE p_screen AS SELECT line, p_ord, COALESCE({' AND '.join(p_checks)}, FALSE) AS clean, "
            f"{pid} AS pid, {p_values[own] if own is not None else 'a.a_date'} AS p_date, pkeys AS given"
            + "".join(f", {v} AS {ident(COLUMN_PREFIX + n)}" for n, v in p_values.items())
            + f" FROM ({project_rows})"
            + ("" if own is not None else " JOIN a_screen a USING (line)"))  # the applicant's date, for its projects
        self.con.execute(
            "CREATE OR REPLACE TABLE clean AS SELECT line FROM a_screen WHERE clean EXCEPT SELECT line FROM p_screen "
            "GROUP BY line HAVING NOT bool_and(clean) OR count(pid) <> count(DISTINCT pid)" + self._broken())
        # the query's tables as views of the screened rows, the columns it reads: a copy cost more than it saved
        for table, screened in (("applicant", "a_screen"), ("project", "p_screen")):
            columns = ", ".join(ident(name) for name, _ in table_columns(plan, table)[1:])
            self.con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT line AS a_ord, {columns} "
                             f"FROM {screened} SEMI JOIN clean USING (line)")

    def _parsed(self, a_inputs: dict[str, InputSpec], p_inputs: dict[str, InputSpec]) -> tuple[str, str]:
        """``parsed``: each record of the part as its keys (those given), whether it is an object, whether its
        keys are known and each given once (``known``), and ``s``, a struct of each key the screen reads. Then
        the test that its projects are a list the validator takes, and the query of its projects: ``line, p_ord,
        p_object, p_known, pkeys, q`` (as ``s``).

        A JSON Lines line is parsed by DuckDB (a line over the limit or :data:`LONG_LINE`, or with a trailing
        comma DuckDB would take and Python would not, or with an escape that may be half of a surrogate pair,
        is not), each key's value its JSON text. A Parquet row's keys are its columns that
        are not NULL — each given once, so known when no unknown column has a value; each value is read typed
        where :func:`_typed` says, else written as the JSON the Python reader would see (a type the screen does
        not read, as an object no check passes)."""
        a_shape, p_shape = ["id", "name", *a_inputs], ["id", *p_inputs]
        a_known, p_known = [*STRUCTURAL_APPLICANT, *a_inputs], [*STRUCTURAL_PROJECT, *p_inputs]
        max_projects = self.policy.validator.max_projects
        if self.parquet is None:
            limit = min(self.max_line_bytes or LONG_LINE, LONG_LINE)
            self.con.execute(
                "CREATE OR REPLACE TABLE parsed AS SELECT line, json_keys(j) AS keys, left(ltrim(t, ' \t\r\n'), 1) = '{' "
                f"AS is_object, {_known_once('keys', a_known)} AS known, from_json(j, {literal(_shape([*a_shape, 'projects']))}) AS s FROM (SELECT line, t, "
                f"CASE WHEN strlen(t) - CAST(suffix(t, chr(13)) AS INTEGER) <= {limit} AND NOT "
                "regexp_matches(t, ',\\s*[\\]}]|\\\\u[dD][89a-fA-F]') THEN TRY_CAST(t AS JSON) END AS j FROM raw)")
            return (f"(left(CAST(s.projects AS VARCHAR), 1) = '[' AND json_array_length(s.projects) <= {max_projects})",
                    f"SELECT line, p_ord, left(CAST(p AS VARCHAR), 1) = '{{' AS p_object, json_keys(p) AS pkeys, "
                    f"{_known_once('pkeys', p_known)} AS p_known, "
                    f"from_json(p, {literal(_shape(p_shape))}) AS q FROM (SELECT line, unnest(ps) AS p, "
                    "generate_subscripts(ps, 1) - 1 AS p_ord FROM (SELECT line, from_json(s.projects, '[\"JSON\"]') "
                    "AS ps FROM parsed WHERE left(CAST(s.projects AS VARCHAR), 1) = '['))")
        start, end = self.part
        fields = self.project_columns
        self.con.execute(  # a view: the applicants' columns and the projects are each scanned where they are read
            f"CREATE OR REPLACE VIEW parsed AS SELECT file_row_number + 1 AS line, "
            f"{_keys(self.columns, '')} AS keys, TRUE AS is_object, {_unknown_null(self.columns, a_known, '')} AS known, "
            f"{_struct(a_shape, self.columns, '', self.plan, 'applicant')} AS s, "
            f"{'projects' if fields is not None else 'NULL'} AS ps FROM source "
            f"WHERE file_row_number >= {start - 1} AND file_row_number < {end - 1}")
        if fields is None:  # not a list of objects: the line's error is the Python reader's
            return "FALSE", ("SELECT 0 AS line, 0 AS p_ord, FALSE AS p_object, FALSE AS p_known, CAST([] AS VARCHAR[]) AS pkeys, "
                             f"{_struct(p_shape, {}, 'p.', self.plan, 'project')} AS q WHERE FALSE")
        return (f"len(ps) <= {max_projects}",
                f"SELECT line, p_ord, p IS NOT NULL AS p_object, {_keys(fields, 'p.')} AS pkeys, "
                f"{_unknown_null(fields, p_known, 'p.')} AS p_known, "
                f"{_struct(p_shape, fields, 'p.', self.plan, 'project')} AS q FROM (SELECT line, unnest(ps) AS p, "
                "generate_subscripts(ps, 1) - 1 AS p_ord FROM parsed WHERE ps IS NOT NULL)")

    def _broken(self) -> str:
        """The lines with a project that breaks an input assertion (the validator says which), as EXCEPT."""
        tests = []
        emitter = Emitter(self.plan)
        for cond in self.plan.assertions:
            e = emitter.expr(cond.expr)
            given = " AND ".join(f"{ident(COLUMN_PREFIX + n)} IS NOT NULL" for n in cond.inputs) or "TRUE"
            tests.append(f"({given} AND {e.ok} AND {e.zero} IS NULL AND NOT {e.val})")
        if not tests:
            return ""
        return (" EXCEPT SELECT line FROM p_screen JOIN a_screen USING (line) "
                f"WHERE COALESCE({' OR '.join(tests)}, TRUE)")

    # ------------------------------------------------------------------ deciding and writing

    def decide(self) -> None:
        """``decided``: every award of the clean records; ``simple``: the applicants SQL writes itself."""
        import duckdb

        query = self.query
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE decided AS {query}")
        except (duckdb.OutOfRangeException, duckdb.ConversionException):
            # a figure past DECIMAL(38) (sql/engine.py): the Python engine, which computes to 100 digits,
            # decides every line — the same decisions, exactly — rather than one applicant stopping the file
            self.con.execute(f"CREATE OR REPLACE TABLE decided AS SELECT * FROM ({query}) WHERE FALSE")
            self.con.execute("DELETE FROM clean")
        self.con.execute(
            "CREATE OR REPLACE TABLE simple AS SELECT line FROM clean EXCEPT SELECT a_ord FROM decided JOIN measures "
            "USING (measure) WHERE problem IS NOT NULL OR zero IS NOT NULL OR python")

    def write(self, write: Callable[[str], object], tally: Tally) -> None:
        """The part's lines in order — SQL's, and the Python engine's — written, and counted into ``tally``. An
        id already seen, on an earlier line of this part or of an earlier one, makes its line an error, as the
        stream writer words it."""
        self.con.execute("CREATE OR REPLACE TABLE here AS SELECT line, aid, FALSE AS is_error FROM simple "
                         "JOIN a_screen USING (line) UNION ALL SELECT line, aid, is_error FROM python WHERE aid IS NOT NULL")
        repeated = self.con.execute(
            "SELECT h.line, h.aid, COALESCE(f.first, m.first), h.line IN (SELECT line FROM simple) FROM here h "
            "JOIN (SELECT aid, min(line) AS first FROM here GROUP BY aid) m USING (aid) LEFT JOIN firsts f USING (aid) "
            "WHERE COALESCE(f.first, m.first) < h.line AND NOT h.is_error").fetchall()
        self.con.execute("INSERT INTO firsts SELECT aid, min(line) FROM here ANTI JOIN firsts USING (aid) GROUP BY aid")
        for line, aid, first, by_sql in repeated:
            error = batch.error_result(line, aid, [repeated_id(line, aid, first)])
            self.con.execute("DELETE FROM python WHERE line = ?", [line])
            self._store(self.con, [error])
            if by_sql:
                self.con.execute("DELETE FROM simple WHERE line = ?", [line])
        self._tally(tally)
        for text in self._lines():
            write(text)

    def start_python(self) -> None:
        """The table of the Python engine's lines: each as written, and what it adds to the summary."""
        self.con.execute("CREATE OR REPLACE TABLE python (line BIGINT, aid VARCHAR, is_error BOOLEAN, text VARCHAR, "
                         "total VARCHAR, by_measure VARCHAR, quota VARCHAR, by_payer VARCHAR, by_year VARCHAR)")

    def decide_python(self, table: str) -> None:
        """The lines not in ``table`` (``clean`` or ``simple``), and not decided already, read as the Python
        reader reads them — a JSON Lines line as its bytes, a Parquet row as its record — decided by the Python
        engine (in the worker processes, when there are) and stored, a slice at a time (:func:`_sliced`): memory
        stays bounded whatever their number and length. On cursors of its own: it runs in a thread while the query does."""
        con = self.con.cursor()
        try:
            todo = f"todo_{table}"
            if self.parquet is not None:  # the rows themselves
                start, end = self.part  # the part's row groups only
                con.execute(f"CREATE OR REPLACE TABLE {todo} AS SELECT *, file_row_number + 1 AS line_ FROM source WHERE "
                            f"file_row_number >= {start - 1} AND file_row_number < {end - 1} AND "
                            f"file_row_number + 1 IN (SELECT line FROM raw ANTI JOIN {table} USING (line) "
                            "ANTI JOIN python USING (line))")
                cursor = con.execute(f"SELECT * EXCLUDE (file_row_number) FROM {todo} ORDER BY line_")
                names = [*self.names, "line_"]
                fetched = batch.fetched(cursor, PYTHON_ROWS)  # fewer rows at once when their text is long
            else:
                # the lines' numbers, not a second copy of their text (raw is not changed while the part is decided),
                # their text fetched a slice at a time: never all of it sorted at once
                con.execute(f"CREATE OR REPLACE TABLE {todo} AS SELECT line FROM raw ANTI JOIN {table} USING (line) "
                            "ANTI JOIN python USING (line)")
                rows = f"(SELECT line, t, last, error FROM raw SEMI JOIN {todo} USING (line))"
                names = ["line", "t", "last", "error"]
                fetched = _sliced(con, rows, "t", PYTHON_ROWS)

            def chunks() -> Iterator[list[Item]]:
                for rows in fetched:
                    if interrupted():
                        raise KeyboardInterrupt
                    yield [item for item in (self._item(names, row) for row in rows) if item is not None]

            batch.use(self.policy, False, self.lang)
            store = self.con.cursor()
            try:
                for results in batch.decided(chunks(), self.workers):
                    self._store(store, results)
            finally:
                store.close()
        finally:
            con.close()

    def _item(self, names: list[str], row: tuple[Any, ...]) -> Item | None:
        """A line as the Python reader has it (None: a blank line, which has no output)."""
        if self.parquet is not None:
            return batch.parquet_item(row[-1], dict(zip(names[:-1], row[:-1])))
        line, text, last, error = row
        if self.aside is not None:  # a CSV file's record: as the reader made it
            return self.aside.get(line) or Item(line, record=json.loads(text))
        if error is not None:
            return Item(line, error=error)
        raw = text.encode("utf-8") + (b"" if last else b"\n")
        return line_item(line, raw, self.max_line_bytes, len(raw))

    @staticmethod
    def _store(con: Any, results: list[Result]) -> None:
        if results:
            con.execute("INSERT INTO python SELECT * FROM (SELECT unnest($1::BIGINT[]) AS line, unnest($2::VARCHAR[]), "
                        "unnest($3::BOOLEAN[]), unnest($4::VARCHAR[]), unnest($5::VARCHAR[]), unnest($6::VARCHAR[]), "
                        "unnest($7::VARCHAR[]), unnest($8::VARCHAR[]), unnest($9::VARCHAR[]))",
                        [[r.line for r in results],
                         [batch.kept_id(r.applicant_id) if isinstance(r.applicant_id, str) else None for r in results],
                         [r.is_error for r in results], [r.text for r in results], [r.total for r in results],
                         [json.dumps(r.by_measure) for r in results], [json.dumps(r.quota) for r in results],
                         [json.dumps(r.by_payer) for r in results], [json.dumps(r.by_year) for r in results]])

    def _lines(self) -> Iterator[str]:
        """Every output line in order — SQL's, written as :func:`batch.json_line` writes the contract, and the
        Python engine's, read where the Python engine stored them, not copied — many lines to a string, a range
        of lines at a time (:func:`_sliced`: a sorted scan per range, a third less than an ordered ``string_agg``
        per range)."""
        award = ("'{\"measure\":' || mj || CASE WHEN by_year THEN ',\"year\":' || year ELSE '' END || "
                 f"',\"status\":\"' || status || '\",\"entitlement\":' || {_money('entitlement')} || "
                 f"',\"amount\":' || {_money('amount')} || CASE WHEN w <> '' THEN ',\"warnings\":[' || w || ']' "
                 "ELSE '' END || '}'")
        # a project's awards, each a piece: the first opens the project, the last closes it; a project with
        # none is a piece of its own. Joined by commas in the order of (project, claim), the pieces are the
        # applicant's projects: one sorted list per applicant, not one per project and another per applicant
        piece = ("CASE WHEN aw.k IS NULL THEN '{\"id\":\"' || q.pid || '\",\"awards\":[]}' ELSE CASE WHEN aw.k = e.first "
                 "THEN '{\"id\":\"' || q.pid || '\",\"awards\":[' ELSE '' END || aw.t || CASE WHEN aw.k = e.last THEN "
                 "']}' ELSE '' END END")
        steps = {  # one table at a time, each spilling to disk if it must: never the whole output at once
            "aw": f"SELECT a_ord, p_ord, k, {award} AS t, CASE WHEN status = 'granted' THEN amount END AS granted "
                  f"FROM (SELECT *, {self.warnings} AS w FROM decided WHERE a_ord IN (SELECT line FROM simple)) "
                  "JOIN measures USING (measure)",
            "own": f"SELECT a_ord, {_joined(['k'], 't')} AS t FROM aw WHERE p_ord < 0 GROUP BY a_ord",
            "ends": "SELECT a_ord, p_ord, min(k) AS first, max(k) AS last FROM aw WHERE p_ord >= 0 GROUP BY a_ord, p_ord",
            "pj": f"SELECT q.line AS a_ord, {_joined(['q.p_ord', 'aw.k'], piece)} AS t FROM p_screen q LEFT JOIN aw "
                  "ON aw.a_ord = q.line AND aw.p_ord = q.p_ord LEFT JOIN ends e ON e.a_ord = q.line AND e.p_ord = q.p_ord "
                  "WHERE q.line IN (SELECT line FROM simple) GROUP BY q.line",
            "tot": "SELECT a_ord, SUM(granted) AS total FROM aw GROUP BY a_ord",
            "written": f"""SELECT s.line, '{{"line":' || s.line || ',"id":"' || a.aid || '","status":"ok","total":' ||
    {_money('COALESCE(tot.total, 0)')} || CASE WHEN own.t IS NOT NULL THEN ',"awards":[' || own.t || ']' ELSE '' END
    || ',"projects":[' || COALESCE(pj.t, '') || '],"errors":[]}}' || chr(10) AS text
  FROM simple s JOIN a_screen a USING (line) LEFT JOIN own ON own.a_ord = s.line LEFT JOIN pj ON pj.a_ord = s.line
  LEFT JOIN tot ON tot.a_ord = s.line""",
        }
        for name, query in steps.items():
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {query}")
        self.con.execute("DROP TABLE aw; DROP TABLE own; DROP TABLE ends; DROP TABLE pj; DROP TABLE tot")
        lines = "(SELECT line, text FROM written UNION ALL SELECT line, text FROM python)"  # the Python engine's not copied
        for rows in _sliced(self.con, lines, "text", OUT_LINES):  # in line order, a slice at a time, joined into one string
            if interrupted():
                raise KeyboardInterrupt
            yield "".join([row[1] for row in rows])

    def _tally(self, tally: Tally) -> None:
        """The part counted into the batch summary: SQL's sums over its lines, the Python engine's lines counted
        in one by one, the quota claims in line order as the stream writer collects them."""
        python = self.con.cursor()
        try:
            cursor = python.execute("SELECT line, aid, is_error, total, by_measure, quota, by_payer, by_year FROM "
                                    "python ORDER BY line")  # not the text: the tally does not read it
            quota: list[tuple[int, Any]] = []
            while rows := cursor.fetchmany(4096):
                for line, aid, is_error, total, by_measure, claims, by_payer, by_year in rows:
                    result = Result(line, aid, is_error, "", total, tuple(map(tuple, json.loads(by_measure))),
                                    (), tuple(map(tuple, json.loads(by_payer))), tuple(map(tuple, json.loads(by_year))))
                    tally.add(result)
                    if not is_error:
                        quota += [(line, ((c[0][0], c[0][1], c[0][2]), c[1])) for c in json.loads(claims)]
        finally:
            python.close()
        counted = self.con.execute("SELECT count(*) FROM simple").fetchone()
        tally.applicants += counted[0] if counted else 0
        for mid, year, amount in self.con.execute(  # by measure, and by year (its claim's, as Python dates it)
                "SELECT measure, COALESCE(CAST(year AS VARCHAR), '—'), SUM(amount) FROM decided WHERE a_ord IN "
                "(SELECT line FROM simple) AND status = 'granted' AND amount <> 0 GROUP BY measure, year").fetchall():
            tally.by_measure[mid] = tally.by_measure.get(mid, Decimal(0)) + amount
            tally.by_year[year] = tally.by_year.get(year, Decimal(0)) + amount
            tally.total += amount
        by_sql = self.con.execute(
            f"SELECT d.a_ord, d.measure, {self._quota_values()}, year(d.p_date), a.aid || '/' || q.pid "
            "FROM decided d JOIN measures m USING (measure) JOIN p_screen q ON q.line = d.a_ord AND q.p_ord = d.p_ord "
            "JOIN a_screen a ON a.line = d.a_ord WHERE d.a_ord IN (SELECT line FROM simple) AND m.quota IS NOT NULL "
            "AND d.status IN ('granted', 'superseded') AND d.p_date IS NOT NULL ORDER BY d.a_ord, d.k").fetchall()
        claims = heapq.merge(((line, ((mid, value, year), who)) for line, mid, value, year, who in by_sql), quota,
                             key=lambda x: x[0])
        tally.quota += [c for _, c in claims]

    def _quota_values(self) -> str:
        """The value each quota counts per, as ``str()`` of the project's fact gives it."""
        cases = {m.quota[1]: _quota_value(self.plan, m.quota[1], "q.") for m in self.plan.measures if m.quota}
        shown = [f"WHEN {literal(per)} THEN {sql}" for per, sql in cases.items() if sql is not None]
        return "CASE m.quota " + " ".join(shown) + " END" if shown else "NULL"


# ---------------------------------------------------------------------- reading


class _JsonlReader:
    """A JSON Lines stream read a part at a time into ``raw_next``, in blocks of whole lines numbered as
    :func:`read_jsonl` numbers them (``last``: the file's last line, with no newline). A block that is not
    UTF-8, and a line over the limit that a block cannot hold, are read by :func:`line_item` (``error``: why
    a line cannot be read)."""

    def __init__(self, stream: IO[bytes], limit: int, con: Any):
        self.stream, self.limit, self.con = stream, limit, con
        self.n, self.rest, self.first = 0, b"", True

    def part(self) -> tuple[int, int, int, bool]:
        """The next part of at least :data:`PART` lines, or :data:`PART_BYTES` bytes: the last line before it, its
        last line, the bytes read, and whether it ends the stream."""
        _new_raw(self.con, "raw_next")
        start, read, last = self.n, 0, False
        while self.n - start < PART and read < PART_BYTES:
            if interrupted():
                raise KeyboardInterrupt
            block = self.stream.read(BLOCK)
            read += len(block)
            data = self.rest + block
            if self.first and data.startswith(BOM):
                data = data[len(BOM):]
            self.first = False
            end = data.rfind(b"\n") + 1 if block else len(data)
            if end == 0 and len(data) > self.limit + 2:  # a line over the limit: the rest of it is skipped unread
                self.n += 1
                self._items([line_item(self.n, data[:self.limit + 2], self.limit,
                                       len(data) + _skip_line(self.stream))])
                self.rest = b""
                continue
            whole, self.rest = data[:end], data[end:]
            if whole:
                self._block(whole, ended=whole.endswith(b"\n"))
            if not block:
                last = True
                break
        return start, self.n, read, last

    def _block(self, whole: bytes, ended: bool) -> None:
        """The lines after line ``n`` (``ended``: whether the last one ends with a newline)."""
        n, count = self.n, whole.count(b"\n") + (0 if ended else 1)
        self.n += count
        try:
            text = whole.decode("utf-8")
        except UnicodeDecodeError:  # each line for itself: a bad byte is its line's error
            lines = whole.split(b"\n")[:count]
            raws = [raw + (b"\n" if i < count - 1 or ended else b"") for i, raw in enumerate(lines)]
            self._items([line_item(n + i + 1, raw, self.limit, len(raw)) for i, raw in enumerate(raws)],
                        last=None if ended else n + count)
            return
        self.con.execute(
            "INSERT INTO raw_next SELECT $1 + i, t, i = $2 AND NOT $3, NULL FROM (SELECT unnest(l) AS t, "
            "generate_subscripts(l, 1) AS i FROM (SELECT string_split($4, chr(10)) AS l)) WHERE i <= $2",
            [n, count, ended, text])

    def _items(self, items: list[Item | None], last: int | None = None) -> None:
        """Lines the Python reader has read: their text, or why they cannot be read."""
        found = [item for item in items if item is not None]
        if found:
            _raw_rows(self.con, "raw_next", [i.line for i in found], [i.text for i in found],
                      [i.line == last for i in found], [i.error for i in found])


def _new_raw(con: Any, table: str) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {table} (line BIGINT, t VARCHAR, last BOOLEAN, error VARCHAR)")


def _raw_rows(con: Any, table: str, lines: list[int], texts: list[str | None], lasts: list[bool] | None = None,
              errors: list[str | None] | None = None) -> None:
    """Rows into ``table`` (``raw`` or ``raw_next``), from Python's lists (``lasts``, ``errors``: all false, all
    NULL when not given), a slice at a time: DuckDB takes in long lists of strings slower than short ones."""
    lasts = lasts or [False] * len(lines)
    errors = errors or [None] * len(lines)
    for i in range(0, len(lines), RAW_ROWS):
        con.execute(f"INSERT INTO {table} SELECT unnest($1::BIGINT[]), unnest($2::VARCHAR[]), unnest($3::BOOLEAN[]), "
                    "unnest($4::VARCHAR[])", [lines[i:i + RAW_ROWS], texts[i:i + RAW_ROWS], lasts[i:i + RAW_ROWS],
                                              errors[i:i + RAW_ROWS]])


def _sliced(con: Any, rows: str, text: str, at_most: int) -> Iterator[list[tuple[Any, ...]]]:
    """The ``rows`` (a query with a ``line`` column) in line order, a slice at a time: at most ``at_most`` rows and
    about :data:`FETCH_BYTES` of their ``text`` (one row past it). Each slice is its own query of a range of lines,
    so neither DuckDB's sort nor Python holds more than a slice of the text: 2,048 error lines quoting 1 MB ids once
    took 2 GB. A slice's number is the text before a row over the bytes plus the rows before it over their number:
    both grow with the line, so a slice is a range of lines where neither changes."""
    ranges = con.execute(
        f"SELECT min(line), max(line) FROM (SELECT line, (sum(size) OVER w - size) // {FETCH_BYTES} + (row_number() "
        f"OVER w - 1) // {at_most} AS slice FROM (SELECT line, COALESCE(strlen({text}), 0) AS size FROM {rows}) "
        "WINDOW w AS (ORDER BY line)) GROUP BY slice ORDER BY slice").fetchall()
    for first, last in ranges:
        yield con.execute(f"SELECT * FROM {rows} WHERE line BETWEEN $1 AND $2 ORDER BY line", [first, last]).fetchall()


RECORD_TEXT = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"))  # a reader's tree


def _records(items: Iterator[Item]) -> tuple[list[int], list[str | None], dict[int, Item], bool]:
    """The next :data:`PART` records, or :data:`PART_BYTES` of their text: their lines, their JSON text (None:
    set aside), those set aside (with the reader's error: they may hold a bad byte, which is no UTF-8 text; or
    over the project bound, their rows counted but not kept), and whether more may follow."""
    lines: list[int] = []
    texts: list[str | None] = []
    aside: dict[int, Item] = {}
    size = 0
    for item in items:
        if interrupted():
            raise KeyboardInterrupt
        lines.append(item.line)
        if item.error is not None or item.record is None or item.projects is not None:
            aside[item.line] = item
            texts.append(None)
            size += len(item.error or "")
        else:
            text = RECORD_TEXT.encode(item.record)
            texts.append(text)
            size += len(text)
        if len(lines) == PART or size >= PART_BYTES:
            return lines, texts, aside, True
    return lines, texts, aside, False


def _skip_line(stream: IO[bytes]) -> int:
    """Read past the rest of a line, keeping none of it; the bytes read (its newline included)."""
    skipped = 0
    while True:
        piece = stream.readline(1 << 16)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped


# ---------------------------------------------------------------------- SQL pieces


def _json_value(name: str, kind: str, value: str, plan: Plan, scope: str) -> str:
    """A Parquet value as the JSON the Python reader would see (NULL: not given)."""
    spec = plan.inputs.get(name)
    money = spec is not None and spec.scope == scope and spec.kind in ("money", "percent")
    if money and kind.startswith("DECIMAL"):
        written = f"to_json(CAST({value} AS VARCHAR))"  # its exact digits, as the validator reads a Decimal
    elif kind in PLAIN_TYPES:
        written = f"to_json({value})"
    elif kind == "DATE":  # the Python reader gives its isoformat(): years 1 to 9999
        written = f"CASE WHEN year({value}) BETWEEN 1 AND 9999 THEN to_json({value}) ELSE CAST('{{}}' AS JSON) END"
    else:
        written = "CAST('{}' AS JSON)"  # read otherwise by Python (a float, a time, a list): an object no check passes
    return f"CASE WHEN {value} IS NOT NULL THEN {written} END"


def _keys(columns: dict[str, str], prefix: str) -> str:
    """The names of a Parquet row's (or struct's) columns that are not NULL: the keys of its record."""
    named = ", ".join(f"CASE WHEN {prefix}{ident(name)} IS NOT NULL THEN {literal(name)} END" for name in columns)
    return f"list_filter([{named}], lambda x: x IS NOT NULL)" if columns else "CAST([] AS VARCHAR[])"


def _unknown_null(columns: dict[str, str], names: list[str], prefix: str) -> str:
    """Whether a Parquet row (or struct) gives no column but those named: its keys are its columns that are not
    NULL, each once, so this is :func:`_known_once` of them."""
    unknown = [f"{prefix}{ident(name)} IS NULL" for name in columns if name not in names]
    return " AND ".join(unknown) or "TRUE"


def _struct(names: list[str], columns: dict[str, str], prefix: str, plan: Plan, scope: str) -> str:
    """The struct of each named key: its typed value where :func:`_typed` reads it so, else its JSON (NULL where
    the row has no such column)."""
    values = []
    for name in names:
        value = prefix + ident(name)
        if name not in columns:
            values.append(f"{ident(name)} := CAST(NULL AS JSON)")
        elif _typed(_kind(plan, name, scope), columns[name]):
            values.append(f"{ident(name)} := {value}")
        else:
            values.append(f"{ident(name)} := " + _json_value(name, columns[name], value, plan, scope))
    return f"struct_pack({', '.join(values)})"


def _kind(plan: Plan, name: str, scope: str) -> str:
    """The kind of value a key holds: an input's kind, or ``text`` (an id, a name)."""
    spec = plan.inputs.get(name)
    return spec.kind if spec is not None and spec.scope == scope else "text"


def _typed(kind: str, column: str) -> bool:
    """Whether a Parquet column of this type is screened by its typed value (:func:`_typed_fact`) rather than
    through the JSON the Python reader would see — the same rule in a second form, held to the first by
    ``test_the_typed_screen_is_the_json_screen``."""
    if column == "VARCHAR":
        return kind in ("money", "percent", "enum", "text")
    if column in INTEGERS:
        return kind in ("money", "percent", "count")
    if column.startswith("DECIMAL("):
        return kind in ("money", "percent") and int(column[:-1].split(",")[1]) <= MAX_MONEY_DECIMALS
    return (kind, column) in (("bool", "BOOLEAN"), ("date", "DATE"))


def _typed_fact(spec: InputSpec, column: str, v: str) -> tuple[str, str]:
    """The test and the value of :func:`_facts` for a typed value: what the JSON form decides of the JSON the
    Python reader would see of it, decided from the value itself."""
    if spec.kind in ("money", "percent"):
        value = f"TRY_CAST({v} AS {COLUMN_TYPES[spec.kind]})"
        if column == "VARCHAR":
            return f"regexp_full_match({v}, {literal(FAST_MONEY.pattern)}){_fraction(spec, value)}", value
        # TRY_CAST: the value is computed for every row, and one past the money type's digits must not fail
        return f"({v} >= 0 AND {v} < {int(MAX_MONEY)}){_fraction(spec, value)}", value
    if spec.kind == "count":
        return f"({v} >= 0 AND {v} < {MAX_COUNT})", f"TRY_CAST({v} AS {COLUMN_TYPES['count']})"
    if spec.kind == "date":
        return f"year({v}) BETWEEN 1 AND 9999", v
    if spec.kind == "enum":
        return f"{v} IN ({', '.join(literal(x) for x in spec.values)})", v
    if spec.kind == "text":
        return f"length({v}) <= {MAX_TEXT}", v
    return "TRUE", v


def _fraction(spec: InputSpec, value: str) -> str:
    """A percentage written as a plain number is a fraction, at most 1 (20 would be 2000%: an input error, which
    the Python reader words); one written "20%" is the Python reader's too."""
    return f" AND {value} <= 1" if spec.kind == "percent" else ""


def _shape(names: list[str]) -> str:
    """A from_json structure reading each named key as JSON (the value as written, whatever its type)."""
    return json.dumps(dict.fromkeys(names, "JSON"), ensure_ascii=False)


def _known_once(column: str, names: list[str]) -> str:
    """Whether every key in the list ``column`` is one of ``names``, each given once: a bit per name, or-ed
    together, sets as many bits as the list has keys (an unknown key sets none, a repeated one no new one).
    One pass over the keys, where testing each condition by a list function took two."""
    known = list(dict.fromkeys(names))
    words = [known[i:i + MASK_BITS] for i in range(0, len(known), MASK_BITS)]
    counts = [f"bit_count({DUCKDB.mask(column, [(literal(n), 1 << j) for j, n in enumerate(word)])})" for word in words]
    return f"({' + '.join(counts) or '0'}) = len({column})"


def _id(value: str, typed: bool) -> tuple[str, str]:
    """The test that an id is one the validator accepts and JSON and repr() write as they are, and the id: from
    its JSON text (a string in quotes) or from a typed text column."""
    if typed:
        return f"(regexp_full_match({value}, {literal(SAFE_ID)}) AND trim({value}, ' ') <> '')", value
    text = f"CAST({value} AS VARCHAR)"
    return (f"(regexp_full_match({text}, {literal(chr(34) + SAFE_ID + chr(34))}) AND trim({text}, ' \"') <> '')",
            f"trim({text}, '\"')")


def _facts(inputs: dict[str, InputSpec], record: str, columns: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """For each input of a scope: the test that its value has a form SQL reads as Python does (or is not
    given), and its value as the query's column (the default when not given). A Parquet column :func:`_typed`
    reads (``columns``: the file's types) is tested by its value, any other value by its JSON text."""
    clean, values = [], {}
    for name, spec in inputs.items():
        v = f"{record}.{ident(name)}"
        typed = name in columns and _typed(spec.kind, columns[name])
        test, value = _typed_fact(spec, columns[name], v) if typed else _json_fact(spec, v)
        clean.append(f"({v} IS NOT NULL AND {test})" if spec.required else f"({v} IS NULL OR ({test}))")
        values[name] = (f"CASE WHEN {v} IS NOT NULL THEN {value} END" if spec.default is None
                        else f"COALESCE(CASE WHEN {v} IS NOT NULL THEN {value} END, {_default(spec)})")
    return clean, values


def _json_fact(spec: InputSpec, v: str) -> tuple[str, str]:
    """The test and the value of a JSON text as DuckDB writes it back (a string's characters unescaped where
    they can be, a whole number's digits exact, a fraction as a binary float — so never taken as money)."""
    r = f"CAST({v} AS VARCHAR)"
    if spec.kind in ("money", "percent"):
        pattern = f'"{FAST_MONEY.pattern}"|[0-9]{{1,15}}'  # a string of digits, or a whole number
        value = f"TRY_CAST(trim({r}, '\"') AS {COLUMN_TYPES[spec.kind]})"  # only a clean line's value is read
        return f"regexp_full_match({r}, {literal(pattern)}){_fraction(spec, value)}", value
    if spec.kind == "count":
        return (f"regexp_full_match({r}, '[0-9]{{1,18}}') AND TRY_CAST({r} AS BIGINT) < {MAX_COUNT}",
                f"TRY_CAST({r} AS {COLUMN_TYPES['count']})")
    if spec.kind == "bool":
        return f"{r} IN ('true', 'false')", f"{r} = 'true'"
    if spec.kind == "date":
        day = f"substr({r}, 2, 10)"
        return (f"regexp_full_match({r}, {literal(chr(34) + FAST_DATE.pattern + chr(34))}) AND {day} >= '0001' "
                f"AND TRY_CAST({day} AS DATE) IS NOT NULL", f"TRY_CAST({day} AS DATE)")
    if spec.kind == "enum":
        written = {json.dumps(x, ensure_ascii=False): x for x in spec.values}
        return (f"{r} IN ({', '.join(literal(w) for w in written)})",
                f"CASE {r} " + " ".join(f"WHEN {literal(w)} THEN {literal(x)}" for w, x in written.items()) + " END")
    return f"(left({r}, 1) = '\"' AND length({r}) <= {MAX_TEXT + 2})", f"({v}->>'$')"  # a longer one: Python's


def _default(spec: InputSpec) -> str:
    """A default value in the column's type."""
    d: Any = spec.default
    if isinstance(d, bool):
        return "TRUE" if d else "FALSE"
    if isinstance(d, (int, Decimal)):
        return f"CAST({number(d).val} AS {COLUMN_TYPES[spec.kind]})"
    if hasattr(d, "isoformat"):
        return f"DATE {literal(d.isoformat())}"
    return literal(str(d))


def _quota_value(plan: Plan, name: str, prefix: str = "") -> str | None:
    """SQL for ``str(project.facts.get(name))`` (None where only Python writes it so)."""
    spec = plan.inputs.get(name)
    if spec is None or spec.scope != "project":
        return "'None'"
    column = prefix + ident(COLUMN_PREFIX + name)
    if spec.kind in ("text", "enum"):
        return f"COALESCE({column}, 'None')"
    if spec.kind == "bool":
        return f"CASE WHEN {column} THEN 'True' WHEN NOT {column} THEN 'False' ELSE 'None' END"
    return None


def _warnings(plan: Plan, lang: str) -> str:
    """SQL for an award's warnings as its JSON list's items ('' for none): each cross check whose figure
    differs from the formula's, worded as the Python engine words it (the figures as :func:`fmt_plain`
    writes them, the rest of the sentence JSON text made here)."""
    other, formula = f"{uuid.uuid4().hex}o", f"{uuid.uuid4().hex}f"  # stand-ins, found only where put
    cases = []
    for m in plan.measures:
        items = []
        for i, check in enumerate(m.cross_checks, start=1):
            sentence = render(Step("", "cross_check", {"label": check.label, "other": other, "formula": formula}), lang)
            text = (literal(batch.json_text(sentence)).replace(other, f"' || {_plain(f'checks[{i}]')} || '")
                    .replace(formula, f"' || {_plain('raw')} || '"))
            items.append(f"CASE WHEN checks[{i}] <> raw THEN {text} END")
        if items:
            cases.append(f"WHEN {literal(m.id)} THEN concat_ws(',', {', '.join(items)})")
    return f"CASE measure {' '.join(cases)} ELSE '' END" if cases else "''"


def _plain(value: str) -> str:
    """A decimal as :func:`fmt_plain` writes it normalized: ``1,234,567``, ``1,234.5``."""
    fraction = f"rtrim(split_part(CAST({value} AS VARCHAR), '.', 2), '0')"
    return (f"CASE WHEN {value} < 0 THEN '-' ELSE '' END || format('{{:,}}', CAST(abs(trunc({value})) AS HUGEINT)) "
            f"|| CASE WHEN {fraction} <> '' THEN '.' || {fraction} ELSE '' END")


def _joined(order: list[str], text: str) -> str:
    """The aggregate of a group's ``text`` joined by commas in the order of ``order`` (expressions, together
    unique in the group): a list sorted after it is gathered, which costs DuckDB half as much as an ordered
    ``string_agg``."""
    keys = "".join(f"o{i} := {key}, " for i, key in enumerate(order))
    return f"array_to_string(list_transform(list_sort(list(struct_pack({keys}t := {text}))), lambda x: x.t), ',')"


def _money(value: str) -> str:
    """Money as the contract writes it: a string with two decimals (amounts are rounded to a cent or
    coarser, so this only writes them), or null."""
    return f"CASE WHEN {value} IS NULL THEN 'null' ELSE '\"' || CAST(CAST({value} AS DECIMAL(38, 2)) AS VARCHAR) || '\"' END"

