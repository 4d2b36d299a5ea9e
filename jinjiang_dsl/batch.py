"""Streaming batch evaluation: JSON Lines or CSV in, JSON Lines out, in input order.

Memory stays flat: input is read in chunks, at most a few chunks are in flight, and
each result is written as soon as its turn comes. With ``jobs > 1`` chunks go to worker
processes (forked, so the compiled policy is shared, not rebuilt); the output is the
same whatever the number of jobs. Every input line (JSONL) or applicant (CSV) gets
exactly one output line: a decision, or an error naming the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import multiprocessing
import os
import re
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any, NamedTuple

import attrs

from .api import Policy
from .decide import Decider, contribution, exact
from .decisions import ApplicantDecision
from .diagnostics import did_you_mean
from .inputs import DECODER, NESTED, STRUCTURAL_APPLICANT, Applicant, lone_surrogate, repeated_id, too_deep
from .limits import MAX_ERRORS, MAX_ID, MAX_LINE_BYTES, MAX_NESTING, MAX_PARQUET_COLUMNS, capped, shorten
from .output import interrupted
from .rules import Earlier

CHUNK = 1024
CHUNK_BYTES = 16 << 20
FIRST_ROWS = 16  # Parquet rows fetched first, before their size is known


@attrs.frozen(slots=True)
class Item:
    """One unit of input: its first line number, and its JSON text or record, or why it could not be read.

    JSON Lines travel as text and are parsed in the worker: parsing is work worth sharing, and
    a string is cheaper to send between processes than the objects it becomes.
    """

    line: int
    record: Any = None
    error: str | None = None
    text: str | None = None
    projects: int | None = None  # a CSV applicant's rows when over the project bound: the record then keeps none
    size: int = 0  # characters of a record's top-level text (a Parquet row's): a chunk of records is bounded by it too


@attrs.define
class Tally:
    """What one output line adds to the batch summary; merged in input order by the parent."""

    applicants: int = 0
    errors: int = 0
    total: Decimal = Decimal(0)
    by_measure: dict[str, Decimal] = attrs.field(factory=dict)
    quota: list[tuple[tuple[str, str, int], str]] = attrs.field(factory=list)
    by_payer: dict[str, Decimal] = attrs.field(factory=dict)
    by_year: dict[str, Decimal] = attrs.field(factory=dict)

    def add(self, result: Result) -> None:
        """Count one output line in (the parent does this for every line, so it stays lean)."""
        self.applicants += 1
        self.errors += result.is_error
        if result.is_error:
            return
        self.total += Decimal(result.total)
        for k, v in result.by_measure:
            self.by_measure[k] = self.by_measure.get(k, Decimal(0)) + Decimal(v)
        for k, v in result.by_payer:
            self.by_payer[k] = self.by_payer.get(k, Decimal(0)) + Decimal(v)
        for k, v in result.by_year:
            self.by_year[k] = self.by_year.get(k, Decimal(0)) + Decimal(v)
        self.quota.extend(result.quota)


class Result(NamedTuple):
    """One output line, already serialised. A plain tuple of strings and numbers: it crosses from
    a worker to the parent for every applicant, and such tuples pickle several times faster than
    records holding decimals."""

    line: int
    applicant_id: Any
    is_error: bool
    text: str
    total: str  # the applicant's granted total
    by_measure: tuple[tuple[str, str], ...]
    quota: tuple[tuple[tuple[str, str, int], str], ...]
    by_payer: tuple[tuple[str, str], ...] = ()
    by_year: tuple[tuple[str, str], ...] = ()


# ---------------------------------------------------------------------- readers

BOM = b"\xef\xbb\xbf"


def read_jsonl(stream: IO[bytes], max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Item]:
    """One applicant per line. Only ``\\n`` ends a line (a ``\\r`` before it is dropped; a lone
    ``\\r`` stays inside its line); a blank line is skipped. Lines are read as bytes and decoded one
    by one, so a bad byte, or a line over ``max_line_bytes`` (never held in memory whole), is
    that line's error and the stream goes on. A byte-order mark opening the file is dropped."""
    n = 0
    while True:
        raw = stream.readline(max_line_bytes + 2)  # the limit, and room for "\r\n"
        if not raw:
            return
        n += 1
        if n == 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        over = len(raw.removesuffix(b"\n").removesuffix(b"\r")) > max_line_bytes
        item = line_item(n, raw, max_line_bytes, len(raw) + _skip_line(stream, raw) if over else len(raw))
        if item is not None:
            yield item


_DOCUMENT = re.compile(rb'\s*(?:[{[]\s*|\{\s*"applicants"\s*:.*)')


def looks_like_document(head: bytes) -> bool:
    """Whether the first bytes of a JSON Lines stream are rather a JSON document's: a first line that is
    only ``{`` or ``[`` (pretty-printed), or one object under ``"applicants"``. Its lines are still each
    reported; this only lets the caller say what to give instead."""
    return _DOCUMENT.fullmatch(head.removeprefix(BOM).split(b"\n", 1)[0]) is not None


def line_item(n: int, raw: bytes, max_line_bytes: int, size: int) -> Item | None:
    """Line ``n`` of JSON Lines (``raw``: its bytes and the newline ending it, or their first part when the
    line is over the limit; ``size``: the whole line's) as an item — its text, or why it cannot be read — or
    None for a blank line. The one reading of a line both JSON Lines readers share."""
    body = raw.removesuffix(b"\n").removesuffix(b"\r")
    if len(body) > max_line_bytes:
        return Item(n, error=f"line {n}: a line of {size:,} bytes; at most {max_line_bytes:,} are read "
                             f"(--max-line-bytes)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Item(n, error=f"line {n}: not UTF-8 text (byte {exc.start + 1} of the line is {body[exc.start]:#04x})")
    return Item(n, text=text) if text.strip() else None


def _skip_line(stream: IO[bytes], read: bytes) -> int:
    """Read past the rest of an overlong line, keeping none of it; the bytes skipped."""
    skipped = 0
    while not read.endswith(b"\n"):
        read = stream.readline(1 << 16)
        if not read:
            break
        skipped += len(read)
    return skipped


def parse_line(item: Item) -> Item:
    """A JSON Lines item with its record, or with the reason the line is not JSON."""
    text = item.text or ""
    try:
        record = DECODER.decode(text)
    except json.JSONDecodeError as exc:
        return Item(item.line, error=f"line {item.line}: not valid JSON: {exc.msg.removesuffix(' at')} at column "
                                     f"{exc.colno}")
    except RecursionError:
        return Item(item.line, error=f"line {item.line}: not valid JSON: nested too deeply")
    if too_deep(text, record):
        return Item(item.line, error=f"line {item.line}: {NESTED}")
    half = lone_surrogate(text, record)
    if half is not None:
        return Item(item.line, error=f"line {item.line}: not valid JSON: {half}")
    return Item(item.line, record=record)


def _bytes(text: str) -> int:
    """A CSV text's size in the file (a byte that is not UTF-8 is one character, and one byte)."""
    return len(text.encode("utf-8", "surrogateescape"))


class _Lines:
    """The physical lines of a text stream, for :func:`csv.reader`, and the records they make none longer than
    ``limit`` bytes as UTF-8 (as a JSON Lines line is measured; a quoted cell's line breaks are the record's):
    the rest of a longer one is read past, keeping none of it, to where the csv module ends that record (a line
    break outside quotes, a line it refuses, the end of the file), and remembered, so that the record becomes
    an error and memory stays bounded. The csv module is handed an empty line in its place, or a closing quote
    to end the quoted cell it is in. :meth:`begin` is called before each record is read."""

    def __init__(self, stream: IO[str], limit: int):
        self.stream, self.limit = stream, limit
        self.number = 0
        self.first = 1  # the first line of the record being read
        self.held = 0  # the bytes of its lines before the one being read
        self.last = ""  # the line read last, to tell a blank line from a row of empty cells
        self.overlong: deque[tuple[int, int, int]] = deque()  # (first line, last line, bytes)
        self.part = 1 << 16  # the characters read at once past the bound

    def __iter__(self) -> _Lines:
        return self

    def begin(self) -> int:
        """A record begins on the next line, whose number is returned."""
        self.first = self.number + 1
        return self.first

    def __next__(self) -> str:
        line = self.stream.readline(self.limit + 2)
        if not line:
            raise StopIteration
        self.number += 1
        going_on = self.number > self.first  # a line of a record begun above, whose line break was in quotes
        self.held = self.held + _bytes(self.last) if going_on else 0
        if self.held + len(line) * 4 > self.limit \
                and self.held + _bytes(line.removesuffix("\n").removesuffix("\r")) > self.limit:
            self._skip(line, _QUOTED if going_on else _START)  # a character is at most 4 bytes: most lines are
            line = '"\n' if going_on else "\n"                 # never encoded to be measured
        self.last = line
        return line

    def _skip(self, line: str, state: int) -> None:
        """Read past the rest of a record over the bound, ``line`` its first part not yet handed on (read in
        ``state``), keeping none of it: each part is scanned as the csv module would read it."""
        size = self.held + _bytes(line)
        while True:
            if state != _LAST:
                state = _scan(line, state)
            if state == _LAST and line.endswith("\n"):
                break  # the end of the record's last line
            part = self.stream.readline(self.part)
            if not part:
                break
            if line.endswith("\n"):
                self.number += 1
            size += _bytes(part)
            line = part
        self.overlong.append((self.first, self.number, size))

    def overlong_up_to(self, line: int) -> list[str]:
        """The overlong records up to ``line`` not yet reported, as problems."""
        found = []
        while self.overlong and self.overlong[0][0] <= line:
            first, last, size = self.overlong.popleft()
            what = f"a record of {size:,} bytes over lines {first}–{last}" if last > first else f"a line of {size:,} bytes"
            found.append(f"line {first}: {what}; at most {self.limit:,} are read (--max-line-bytes)")
        return found


# The csv module's states (strict, its default dialect) as :func:`_scan` follows them: in a quoted cell, just
# after a quote in one, at a cell's start, in an unquoted cell; and the record's last line reached — a line break
# outside quotes, or a character the csv module refuses there (a lone \r, a character after a closing quote),
# whose error drops the rest of the line.
_QUOTED, _QUOTE, _START, _FIELD, _LAST = range(5)
_QUOTES = re.compile('"+')
_UNQUOTED = re.compile(',"|[\r\n]')  # what changes the state outside quotes: a quote opening a cell, a line break


def _scan(text: str, state: int) -> int:
    """The state after ``text`` (a line, or a part of one) read from ``state``, as the csv module reads it."""
    i, n = 0, len(text)
    while i < n:
        if state == _QUOTED:
            run = _QUOTES.search(text, i)
            if run is None:
                return _QUOTED
            i = run.end()
            if (i - run.start()) % 2:  # each "" is a quote in the cell; one left over ends it
                state = _QUOTE
        elif state == _QUOTE:
            state = {'"': _QUOTED, ",": _START}.get(text[i], _LAST)
            i += 1
        elif state == _START and text[i] == '"':
            state, i = _QUOTED, i + 1
        else:  # at a cell's start (not a quote) or in an unquoted cell, where a quote is a character
            found = _UNQUOTED.search(text, i)
            if found is None:
                return _START if text.endswith(",") else _FIELD
            i = found.end()
            state = _QUOTED if found.group() == ',"' else _LAST
        if state == _LAST:
            return state
    return state


class Unreadable(Exception):
    """A Parquet file found broken past its footer (a value that is not UTF-8, a corrupt page): the file is
    refused as one whose footer is broken is, by its path and DuckDB's reason; a file's output is left
    unwritten."""


def read_parquet(path: str, rows_at_once: int = 4096, only_id: str | None = None) -> Iterator[Item]:
    """One applicant per row of a Parquet file, read by DuckDB a few thousand rows at a time (fewer when their text
    is long: :func:`fetched`): the columns
    as the record's fields (``projects`` a list of structs), a NULL as a field not given, a date column as
    its ``YYYY-MM-DD`` text and a DECIMAL as its exact value — then validated as any record is (a DOUBLE
    column is refused as money, as a binary float always is). An item's number is its row, from 1.
    ``only_id``: only the rows whose id reads as that text (DuckDB skips the others unread)."""
    import duckdb

    con = duckdb.connect()
    try:
        columns = parquet_columns(path)
        if only_id is not None and ("id" not in columns or not only_id.isascii() and not _utf8(only_id)):
            return  # a Parquet file's text is UTF-8: an id that is not has no row
        if only_id is None or numbered(columns):  # a column of that name: every row, each tested in Python
            cursor = con.execute("SELECT *, NULL FROM read_parquet(?)", [path])
        else:
            cursor = con.execute("SELECT * EXCLUDE (file_row_number), file_row_number + 1 FROM read_parquet(?, "
                                 "file_row_number = true) WHERE TRY_CAST(id AS VARCHAR) = ? ORDER BY file_row_number",
                                 [path, only_id])
        names = parquet_names(path, [d[0] for d in cursor.description][:-1])
        n = 0
        for rows in fetched(cursor, rows_at_once):
            for row in rows:
                n = row[-1] or n + 1
                yield parquet_item(n, dict(zip(names, row)))
    except duckdb.Error as exc:
        raise Unreadable(parquet_fault(exc)) from None
    finally:
        con.close()


def fetched(cursor: Any, at_most: int) -> Iterator[list[tuple[Any, ...]]]:
    """A cursor's rows, a fetch at a time: :data:`FIRST_ROWS`, then as many as hold about :data:`CHUNK_BYTES` of
    text at the size the last fetch's rows had, and at most ``at_most``. A fixed number of rows held the whole of a
    Parquet file of 1 MB ids at once (100 rows: 682 MB with the Python engine, 1.76 GB with DuckDB's)."""
    at_once = FIRST_ROWS
    while rows := cursor.fetchmany(at_once):
        yield rows
        held = sum([len(value) for row in rows for value in row if isinstance(value, str)])
        at_once = max(1, min(at_most, len(rows) * CHUNK_BYTES // max(held, 1)))


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def numbered(columns: Iterable[str]) -> bool:
    """Whether a Parquet file of these columns has one named as DuckDB's own row number (``file_row_number``,
    in any case), which then cannot number its rows: such a file is read row by row, in order, by Python."""
    return any(name.lower() == "file_row_number" for name in columns)


def parquet_columns(path: str) -> list[str]:
    """A Parquet file's column names as DuckDB reads them (its footer is read, not its rows)."""
    import duckdb

    con = duckdb.connect()
    try:
        return [name for (name, *_) in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()]
    finally:
        con.close()


def parquet_names(path: str, read: list[str]) -> list[str]:
    """The file's own names of the columns DuckDB read as ``read`` (in their order): DuckDB renames a name
    written twice in two cases (``id`` and ``ID`` become ``id`` and ``ID_1``), and an error must name the
    column the file has. ``read`` as it is when the schema does not say."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute("SELECT name, COALESCE(num_children, 0) FROM parquet_schema(?)", [path]).fetchall()
    except duckdb.Error:
        return read
    finally:
        con.close()
    names, pending = [], 0  # the root's children, each followed by its subtree (``pending`` nodes of it left)
    for name, children in rows[1:]:
        if pending == 0:
            names.append(name)
        else:
            pending -= 1
        pending += children
    renamed = len(names) == len(read) and all(n == r or r.startswith(f"{n}_") for n, r in zip(names, read))
    return names if renamed else read


def parquet_problem(path: str) -> str | None:
    """Why a file cannot be read as Parquet (its footer is read, not its rows), or None. A file of more columns
    than :data:`MAX_PARQUET_COLUMNS` is refused: DuckDB's native path took 55 KB of memory a column for each
    part (20,000 columns and one row ran out of its 1 GB), and a record of them is no applicant's."""
    if path == "-":  # DuckDB looked for a file named '-' and said 'No files found that match the pattern'
        return "Parquet is read from a file, footer first, not from standard input: name the file"
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchall()
        root = con.execute("SELECT num_children FROM parquet_schema(?) LIMIT 1", [path]).fetchone()
    except duckdb.Error as exc:
        return parquet_fault(exc)
    finally:
        con.close()
    return too_many_columns(root[0] if root and root[0] else 0)


def too_many_columns(columns: int) -> str | None:
    """Why a Parquet file of so many columns is refused, or None."""
    if columns <= MAX_PARQUET_COLUMNS:
        return None
    return (f"{columns:,} columns, more than the {MAX_PARQUET_COLUMNS:,} a Parquet file of applications may have "
            "(an applicant's are its id, name, projects and the policy's inputs)")


def parquet_fault(exc: Exception) -> str:
    """DuckDB's reason a Parquet file cannot be read, as both engines say it."""
    return "not a Parquet file DuckDB can read (" + str(exc).splitlines()[0] + ")"


def parquet_item(n: int, row: dict[str, Any]) -> Item:
    """Row ``n`` of a Parquet file as the item both engines decide: its record, or, when it nests lists and structs
    deeper than :data:`MAX_NESTING`, the error a JSON Lines line nesting so deep is (DuckDB reads ~245 levels)."""
    try:
        return Item(n, record=record_of(row), size=sum([len(v) for v in row.values() if isinstance(v, str)]))
    except _Nested:
        return Item(n, error=f"line {n}: {NESTED}")


class _Nested(Exception):
    """A Parquet value nested past :data:`MAX_NESTING`."""


def record_of(value: Any, depth: int = 1) -> Any:
    """A Parquet row's value (at ``depth``: the row is 1) as JSON would give it: NULL fields left out, dates as
    their text. Raises :class:`_Nested` for a list or struct deeper than :data:`MAX_NESTING`, as JSON's is."""
    if isinstance(value, (dict, list)) and depth > MAX_NESTING:
        raise _Nested
    if isinstance(value, dict):
        return {k: record_of(v, depth + 1) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [record_of(v, depth + 1) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def read_csv(stream: IO[str], policy: Policy, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Item]:
    """One project per row, applicant columns repeated; consecutive rows of one applicant id group.

    Columns: ``applicant_id``, ``name``, the applicant inputs, ``project_id``, the project
    inputs (docs/batch.md). An empty cell is "not given". A record is named by its first line; one over
    ``max_line_bytes`` (its lines together) is read past unkept, an error at its first line.
    Nothing is chosen silently: a column named twice in the header, and rows of one applicant
    that disagree on an applicant column, are that applicant's errors. ``stream`` decodes with
    ``errors="surrogateescape"``, so that a bad byte is the error of the record it stands in.
    """
    inputs = policy.plan.inputs
    lines = _Lines(stream, max_line_bytes)
    csv.field_size_limit(max_line_bytes + 2)  # never reached: a record is bounded (+2: a \r\n a quoted cell ends in)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield Item(1, error=f"line 1: not valid CSV: {_fault(exc)}" + _through(1, lines.number))
        return
    if lines.number > 1:  # a quote in the header never closed, or closed lines later
        yield Item(1, error=f"line 1: the header runs over lines 1–{lines.number} (a quote left open?)")
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    header_problems = lines.overlong_up_to(lines.number) + _header_problems(header)
    group = _Group(inputs, header_problems, policy.validator.max_projects)
    while True:
        start = lines.begin()  # lines are numbered by the reader's lines: a record skipped counts all it took
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield from group.flush()
            yield Item(start, error=f"line {start}: not valid CSV: {_fault(exc)}" + _through(start, lines.number))
            continue
        problems = lines.overlong_up_to(lines.number)
        joined = "".join(row)  # the row's cells tested at once: most rows are ASCII, and most cells empty
        if not joined.isascii() and BAD_BYTE.search(joined):
            problems.append(f"line {start}: not UTF-8 text")
        if not problems and not joined.strip():
            if lines.number == start and not lines.last.strip():
                continue  # a blank line, as in JSON Lines
            problems.append(f"line {start}: an empty row: every cell is empty")  # not blank: a row lost
        if len(row) != len(header) and not problems:  # with what is wrong with the header (too long to read?)
            problems += header_problems + [f"line {start}: {len(row)} cells, but the header has {len(header)}"]
        if problems:
            yield from group.flush()
            yield Item(start, error=APART.join(problems))
            continue
        done = group.add(start, {h: c for h, c in zip(header, row) if c and not c.isspace()})
        if done is not None:  # the applicant before this row's, complete
            yield done
    yield from group.flush()


def _fault(exc: csv.Error) -> str:
    """Why a record is not CSV, in the file's terms: the csv module calls a lone ``\\r`` (its lines end only at
    ``\\n``) a "new-line character" and suggests opening the file another way, which a user cannot do."""
    reason = str(exc)
    if reason.startswith("new-line character seen in unquoted field"):
        return "a carriage return (\\r) within the line, outside quotes (only \\n ends a line; quote a cell that holds a \\r)"
    return reason


def _through(start: int, end: int) -> str:
    """Which lines a CSV error covers, when it is more than one: none of them is read as data."""
    return f" (lines {start}–{end})" if end > start else ""


def _header_problems(header: list[str]) -> list[str]:
    first: dict[str, int] = {}
    problems = []
    for i, name in enumerate(header, 1):
        if name in first:
            problems.append(f"line 1: column {i} '{shorten(name)}' repeats column {first[name]}; "
                            "which one holds the value is unclear")
        else:
            first[name] = i
    return problems


# The problems of one CSV record or row, kept apart in its Item's error text (which the register stores as it is):
# each is an error of its own in the output. None holds a line break: a cell is quoted by repr, a name is one line.
APART = "\n"
BAD_BYTE = re.compile("[\udc80-\udcff]")  # a byte that was not UTF-8, as surrogateescape decodes it


class _Group:
    """The rows of one applicant, gathered into one record — in bounded memory, whatever its number of rows:
    past ``max_projects`` rows (which the validator refuses unread) they are counted, not kept, and past
    :data:`MAX_ERRORS` problems (which are not listed) so are those."""

    def __init__(self, inputs: dict[str, Any], header_problems: list[str], max_projects: int):
        self.inputs = inputs
        self.header_problems = header_problems
        self.max_projects = max_projects
        self.applicant_columns = {"name", *(k for k, spec in inputs.items() if spec.scope == "applicant")}
        self.record: dict[str, Any] | None = None
        self.first: dict[str, str] = {}  # the applicant columns of the applicant's first row
        self.line = 0
        self.rows = 0
        self.problems: list[str] = []
        self.uncounted = 0  # problems past the first MAX_ERRORS, counted only
        self.unknown_columns: dict[str, bool] = {}  # a column the policy does not declare: of the applicant?

    def add(self, line: int, cells: dict[str, str]) -> Item | None:
        """A row added: to its applicant's record, or as a new applicant's, completing the one before (which
        is returned; a plain return, not a generator: this runs once per row)."""
        done = None
        aid = cells.get("applicant_id")
        mine = {k: c.strip(" ") for k, c in cells.items() if k in self.applicant_columns}
        if self.record is None or aid != self.record.get("id"):
            done = self.take()
            self.record, self.first, self.line, self.rows = {"id": aid, "projects": []}, mine, line, 0
            self.problems, self.uncounted = [], 0
            for key, cell in mine.items():
                self.record[key] = cell if key == "name" else _cell(self.inputs[key].kind, cell)
        elif mine != self.first:
            for key in sorted(mine.keys() | self.first.keys()):
                if mine.get(key) != self.first.get(key):
                    self.problem(f"line {line}: $.{key}: column '{key}' is {_quote(mine.get(key))} here but "
                                 f"{_quote(self.first.get(key))} on line {self.line}, the applicant's first row")
        project: dict[str, Any] = {}
        for key, cell in cells.items():
            if key == "project_id":
                project["id"] = cell
            elif key == "applicant_id" or key in self.applicant_columns:
                continue
            elif key in self.inputs:
                project[key] = _cell(self.inputs[key].kind, cell)
            elif key in STRUCTURAL_APPLICANT:  # an id or projects of its own would replace the record's
                self.problem(f"line {line}: unknown column '{key}' (a CSV file has applicant_id and project_id, "
                             "and a row per project)")
            else:  # the validator says it is unknown as for JSON: at its path, with the ids and a "did you mean"
                (self.record if self.of_applicant(key) else project)[key] = cell
        if not project:  # no project cell filled: a row of the applicant's own facts (an applicant-level measure)
            return done
        self.rows += 1
        if self.rows <= self.max_projects:
            self.record["projects"].append(project)
        else:  # over the bound: the validator reads no project of this applicant, so none is kept
            self.record["projects"].clear()
        return done

    def of_applicant(self, column: str) -> bool:
        """Whether an unknown column looks like a misspelt applicant column (else it is read as a project's);
        decided once per column, as the header names it."""
        if column not in self.unknown_columns:
            guess = did_you_mean(column, [*self.inputs, "name"])
            self.unknown_columns[column] = guess in self.applicant_columns
        return self.unknown_columns[column]

    def problem(self, text: str) -> None:
        """A problem with the record: kept while it is among the first listed, else only counted."""
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(text)
        else:
            self.uncounted += 1

    def flush(self) -> Iterator[Item]:
        done = self.take()
        if done is not None:
            yield done

    def take(self) -> Item | None:
        """The record gathered so far, as an item (None: there is none), and the group emptied."""
        done = None
        if self.record is not None:
            problems = capped(self.header_problems + self.problems,
                              lambda more: f"{more:,} more problems with this record (the first {MAX_ERRORS} are listed)",
                              self.uncounted)
            aid = self.record.get("id")
            whose = f" (applicant {shorten(aid)})" if isinstance(aid, str) and aid.strip() else ""
            done = Item(self.line, record=self.record, error=APART.join(p + whose for p in problems) or None,
                        projects=self.rows if self.rows > self.max_projects else None)
        self.record = None
        return done


def _quote(cell: str | None) -> str:
    return "empty" if cell is None else repr(shorten(cell))


def _cell(kind: str, cell: str) -> Any:
    """A CSV cell as the JSON value the validator expects; what does not convert is left as text,
    so the validator reports it with its path. Only the digits 0-9 make a count. The spaces a spreadsheet
    leaves around a value are dropped, and nothing else: a tab or a no-break space is said, not trimmed."""
    cell = cell.strip(" ")
    if kind == "bool":
        return {"true": True, "false": False}.get(cell.lower(), cell)
    if kind == "count":  # a minus is read, so that -1 is a negative count, as in JSON ("-0" stays text, refused)
        digits = cell.removeprefix("-")
        return int(cell) if ASCII_DIGITS.fullmatch(digits) and len(cell) <= 18 and (
            digits == cell or int(digits) > 0) else cell
    return cell


ASCII_DIGITS = re.compile(r"[0-9]+")


# ---------------------------------------------------------------------- evaluation

_POLICY: Policy | None = None  # set in the parent before forking; workers inherit it
_TRACE = True
_LANG = "zh"
_ENGINE = "python"
SQL_CHUNK = 16_384  # the SQL engine decides a chunk per query: large enough to pay for it, bounded all the same


def evaluate_items(items: list[Item]) -> list[Result]:
    """Evaluate a chunk; runs in a worker process or in the parent."""
    assert _POLICY is not None
    policy = _POLICY
    if _ENGINE != "python":
        return _evaluate_by_sql(policy, items)
    decider = policy.decider(_TRACE)
    with exact():
        return [_evaluate_safely(policy, decider, item) for item in items]


def _evaluate_by_sql(policy: Policy, items: list[Item]) -> list[Result]:
    """A chunk decided by the policy's SQL query on DuckDB or Spark: each line read and validated as for the
    Python engine, the valid applicants decided in one query, every line written as the Python engine writes it."""
    from . import sql

    read = [_read_safely(policy, item) for item in items]
    apps = [app for _, app, _ in read if app is not None]
    try:
        decisions = iter(sql.decide(_ENGINE, policy, apps))
    except Exception as exc:  # noqa: BLE001 - the chunk's lines are reported, never lost
        return [failed or _internal_error(item, exc, "the SQL engine") for item, _, failed in read]
    results = []
    for item, app, failed in read:
        if app is None:  # not JSON, or a fault of ours reading it: its own error line
            assert failed is not None
            results.append(failed)
        else:
            results.append(result_of(policy, item, app, next(decisions))[0])
    return results


def _read_safely(policy: Policy, item: Item) -> tuple[Item, Applicant | None, Result | None]:
    try:
        return read_item(policy, item)
    except Exception as exc:  # noqa: BLE001 - as decide_safely: the line's own error, never the batch's end
        return item, None, _internal_error(item, exc)


def _internal_error(item: Item, exc: Exception, where: str = "") -> Result:
    return error_result(item.line, None, [f"line {item.line}: internal error while evaluating this line"
                                           f"{' in ' + where if where else ''} ({type(exc).__name__}); please report it"])


def _evaluate_safely(policy: Policy, decider: Decider, item: Item) -> Result:
    return decide_safely(policy, decider, item)[0]


def decide_safely(policy: Policy, decider: Decider, item: Item,
                  earlier: Callable[[Applicant], tuple[Earlier, ...]] | None = None
                  ) -> tuple[Result, Item, Applicant | None, ApplicantDecision | None]:
    """One item (see :func:`decide_item`); whatever goes wrong with it is its own error line, never the
    batch's end.

    The validator and the decider report every input problem they know of; this is the last
    line of defence, so that even a fault of ours loses no line and names the one it hit."""
    try:
        return decide_item(policy, decider, item, earlier)
    except Exception as exc:  # noqa: BLE001 - reported on the line, with its type, for a bug report
        return _internal_error(item, exc), item, None, None


def decide_item(policy: Policy, decider: Decider, item: Item,
                earlier: Callable[[Applicant], tuple[Earlier, ...]] | None = None
                ) -> tuple[Result, Item, Applicant | None, ApplicantDecision | None]:
    """One item: its output line, the item as parsed, and the applicant and decision when it has them;
    ``earlier``: what earlier batches granted an applicant (the decision register's)."""
    item, app, failed = read_item(policy, item)
    if app is None:
        assert failed is not None
        return failed, item, None, None
    return result_of(policy, item, app, decider.decide(app, earlier(app) if earlier is not None else None))


def read_item(policy: Policy, item: Item) -> tuple[Item, Applicant | None, Result | None]:
    """One line parsed and validated: the item, and its applicant, or the error line when it is not JSON."""
    if item.text is not None:
        item = parse_line(item)
    if item.error is not None and item.record is None:
        return item, None, error_result(item.line, None, item.error.split(APART))
    app = policy.validator.applicant(item.record, item.line, f"line {item.line}: $", item.projects)
    if item.error is not None:
        app = attrs.evolve(app, errors=(*app.errors, *item.error.split(APART)))
    return item, app, None


def find_applicant(policy: Policy, items: Iterable[Item], wanted: str
                   ) -> tuple[Applicant | None, int | None, list[str]]:
    """The first applicant of a file whose id is ``wanted``, read and validated as ``eval`` reads it (its
    errors located by its line), or None — and then the first line whose id is that, written as a number
    (``eval`` reports its id as an error), or None, and the errors of the records that could not be read
    (too long, not UTF-8, not JSON or CSV) and may hold it. Only the records with that id are validated: a
    JSON Lines line is parsed only when it holds the id as written or an escape that may spell it."""
    as_number = None
    unread: list[str] = []
    for item in items:
        if interrupted():
            raise KeyboardInterrupt
        if item.text is not None:
            if wanted not in item.text and "\\" not in item.text:
                continue
            item = parse_line(item)
        if item.record is None and item.error is not None:
            unread.append(item.error)
        if not isinstance(item.record, dict):
            continue
        found = item.record.get("id")
        if found == wanted:
            return read_item(policy, item)[1], None, unread
        if as_number is None and isinstance(found, (int, float, Decimal)) and not isinstance(found, bool) \
                and str(found) == wanted:
            as_number = item.line
    return None, as_number, unread


def result_of(policy: Policy, item: Item, app: Applicant, decision: ApplicantDecision
              ) -> tuple[Result, Item, Applicant, ApplicantDecision]:
    """A decided line as it is written, with what it adds to the batch's summary."""
    by_measure, by_payer, quotas, by_year = contribution(policy.plan, app, decision)
    output = {"line": item.line, **decision.to_json(_LANG, trace=_TRACE)}
    return (Result(item.line, app.id, decision.status == "error", json_line(output), str(decision.total),
                   tuple((k, str(v)) for k, v in by_measure.items()), tuple(quotas),
                   tuple((k, str(v)) for k, v in by_payer.items()),
                   tuple((k, str(v)) for k, v in by_year.items())), item, app, decision)


# Characters JSON may leave raw but that other readers take for line breaks (str.splitlines,
# JavaScript): escaped, so that one output line is one line for every reader.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_line(output: dict[str, Any]) -> str:
    """One JSON Lines line: compact, Chinese kept readable, nothing any reader splits."""
    return json_text(output) + "\n"


def json_text(value: Any) -> str:
    """A value as :func:`json_line` writes it within a line."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if text.isascii() else text.translate(_LINE_BREAKS)


def error_result(line: int, applicant_id: Any, errors: list[str]) -> Result:
    output = {"line": line, "id": applicant_id, "status": "error", "total": "0.00", "projects": [],
              "errors": errors}
    return Result(line, applicant_id, True, json_line(output), "0", (), ())


def kept_id(aid: Any) -> Any:
    """An applicant id as the check for repeated ids keeps it, or None. An id over :data:`MAX_ID` makes every line
    it stands on an error, so no line repeats it as a valid one: it is not kept (a stream of 1 MB ids once held
    them all: 464 MB for 300 lines)."""
    return None if isinstance(aid, str) and len(aid) > MAX_ID else aid


def _chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """The stream in lists of ``size``, or of :data:`CHUNK_BYTES` of JSON text or a record's text (a file of long
    lines or a Parquet file of long ids goes in short lists: each worker and the parent hold one); none after a
    Ctrl-C, even one whose exception a finalizer lost."""
    chunk: list[Item] = []
    held = 0
    for item in items:
        chunk.append(item)
        held += len(item.text or "") + item.size
        if len(chunk) >= size or held >= CHUNK_BYTES:
            if interrupted():
                raise KeyboardInterrupt
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def use(policy: Policy, trace: bool, lang: str, engine: str = "python") -> None:
    """What :func:`evaluate_items` and :func:`result_of` decide and write with (in a worker, inherited)."""
    global _POLICY, _TRACE, _LANG, _ENGINE
    _POLICY, _TRACE, _LANG, _ENGINE = policy, trace, lang, engine


def run(
    policy: Policy,
    items: Iterable[Item],
    write: Callable[[str], object],
    *,
    jobs: int = 1,
    trace: bool = True,
    lang: str = "zh",
    fail_fast: bool = False,
    on_progress: Callable[[int], None] | None = None,
    engine: str = "python",
) -> tuple[Tally, bool]:
    """Evaluate a stream and write one JSON line per result, in input order.

    Returns the batch tally and whether it stopped early (``fail_fast`` on an error).
    Duplicate applicant ids are found here, across the whole stream, in input order.
    ``engine="duckdb"`` or ``"spark"``: each chunk decided by the policy's SQL query, in this process (the
    engine runs its own threads), chunks of :data:`SQL_CHUNK` lines.
    """
    use(policy, trace, lang, engine)
    out = Emitted(write, fail_fast, on_progress)
    workers = Workers(jobs) if jobs > 1 and engine == "python" else None
    try:
        for results in decided(_chunks(items, CHUNK if engine == "python" else SQL_CHUNK), workers):
            for result in results:
                if not out.emit(result):
                    return out.tally, True
    finally:
        if workers is not None:
            workers.stop()  # on Ctrl-C, a write error or an early stop too: the workers go at once
    return out.tally, False


def decided(chunks: Iterable[list[Item]], workers: Workers | None) -> Iterator[list[Result]]:
    """Each chunk's results, in input order: by the ``workers`` (chunk i to worker i mod n, each holding
    at most one), or in this process when there are none."""
    if workers is None:
        yield from map(evaluate_items, chunks)
        return
    n = len(workers.pipes)
    pending: deque[int] = deque()  # the workers holding a chunk, in input order
    for i, chunk in enumerate(chunks):
        if len(pending) == n:  # the worker this chunk goes to has one: take its result first
            yield workers.receive(pending.popleft())
        workers.send(i % n, chunk)
        pending.append(i % n)
    while pending:
        yield workers.receive(pending.popleft())


def decide_stream(policy: Policy, items: Iterable[Item], emitted: Emitted, trace: bool, lang: str,
                  earlier: Callable[[Applicant], tuple[Earlier, ...]] | None,
                  keep: Callable[[Item, Applicant | None, dict[str, Any], ApplicantDecision | None], None]) -> bool:
    """A stream decided in this process, line by line, against what earlier batches granted (``earlier``),
    each line written as :func:`run` writes it and then handed to ``keep`` with what it decided — the
    output as the contract writes it in Chinese (or, for an error line, as written). False when stopped."""
    use(policy, trace, lang)
    decider = policy.decider(trace)
    with exact():
        for item in items:
            result, parsed, app, decision = decide_safely(policy, decider, item, earlier)
            going = emitted.emit(result)
            if emitted.last is result and decision is not None:
                content = {"line": item.line, **decision.to_json("zh", trace=trace)}
            else:  # an error line, or made one here (a repeated id): as written
                content, decision = json.loads((emitted.last or result).text), None
            keep(parsed, app, content, decision)
            if not going:
                return False
    return True


class Emitted:
    """The output lines of a stream as they are written, in input order: a repeated applicant id is found
    here (across the whole stream) and its line made an error; the tally counts each line in."""

    def __init__(self, write: Callable[[str], object], fail_fast: bool = False,
                 on_progress: Callable[[int], None] | None = None):
        self.write, self.fail_fast, self.on_progress = write, fail_fast, on_progress
        self.tally = Tally()
        self.seen: dict[Any, int] = {}
        self.stopped = False
        self.last: Result | None = None  # the line as written (after the duplicate check)

    def emit(self, result: Result) -> bool:
        """Write one line; False when the stream should stop (``fail_fast`` and an error)."""
        aid = kept_id(result.applicant_id)
        if aid is not None:
            first = self.seen.setdefault(aid, result.line)
            if first != result.line and not result.is_error:
                result = error_result(result.line, result.applicant_id,
                                      [repeated_id(result.line, result.applicant_id, first)])
        self.last = result
        self.write(result.text)
        self.tally.add(result)
        if self.on_progress:
            self.on_progress(1)
        if self.fail_fast and result.is_error:
            self.stopped = True
        return not self.stopped


class Workers:
    """Worker processes, each fed over a pipe of its own: chunk i goes to worker i mod n and its result
    is read back in the same order, so the output keeps the input's order. Each worker holds at most
    one chunk, so neither side ever waits on a full pipe the other is not reading.

    Nothing is shared between them — no queue, no lock — so a Ctrl-C at any moment stops the run: the
    parent kills the workers and waits for nothing they could have held. (multiprocessing.Pool's
    terminate() can wait forever for its task queue's lock, held by an idle worker.)"""

    def __init__(self, n: int):
        ctx = multiprocessing.get_context("fork")
        self.processes: list[Any] = []
        self.pipes: list[Any] = []
        # Workers are born with Ctrl-C blocked and ignore it from their first line; in the parent it
        # is held back only while they are forked, so a Ctrl-C then still stops the run.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for _ in range(n):
                mine, theirs = ctx.Pipe()
                process = ctx.Process(target=_serve, args=(theirs,), daemon=True)
                process.start()
                theirs.close()
                self.processes.append(process)
                self.pipes.append(mine)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def send(self, worker: int, chunk: list[Item]) -> None:
        self.pipes[worker].send(chunk)

    def receive(self, worker: int) -> list[Result]:
        try:
            results: list[Result] = self.pipes[worker].recv()
        except EOFError:
            raise RuntimeError(f"worker {worker} stopped unexpectedly") from None
        return results

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
        for process, pipe in zip(self.processes, self.pipes):
            process.join()
            pipe.close()


def _serve(pipe: Any) -> None:
    """A worker: evaluate each chunk it is sent, and send the results back. Ctrl-C is the parent's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    while True:
        try:
            chunk = pipe.recv()
        except EOFError:
            return  # the parent has gone
        pipe.send(evaluate_items(chunk))


def summary_json(policy: Policy, tally: Tally, lang: str = "zh") -> dict[str, Any]:
    claims: dict[tuple[str, str, int], list[str]] = {}
    for key, who in tally.quota:
        claims.setdefault(key, []).append(who)
    from .decide import BatchTotals

    totals = BatchTotals(policy.plan, tally.applicants, tally.errors, tally.total,
                         dict(tally.by_measure), claims, dict(tally.by_payer))
    return totals.summary().to_json(lang)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read, for the progress bar."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n

    def close(self) -> None:
        if self.raw is not sys.stdin.buffer:
            self.raw.close()
        super().close()


class Counted(io.BufferedReader):
    """A buffered binary stream over a :class:`CountingReader`; ``bytes_read`` says how far it has got."""

    def __init__(self, counter: CountingReader):
        super().__init__(counter)
        self.counter = counter

    @property
    def bytes_read(self) -> int:
        return self.counter.bytes_read


def open_counted(path: str) -> tuple[Counted, int | None]:
    """A file (or standard input for ``-``) as bytes, with its size when it has one."""
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed by the caller
    size = None if path == "-" else os.fstat(raw.fileno()).st_size
    return Counted(CountingReader(raw)), size


def csv_text(stream: IO[bytes]) -> IO[str]:
    """CSV text over a byte stream: a byte that is not UTF-8 becomes a lone surrogate, which
    :func:`read_csv` reports as the error of the record it stands in. Only ``\\n`` ends a line, as in
    JSON Lines, so that a line's number is the one an editor shows: a lone ``\\r`` stays inside it (part of a
    quoted cell; outside quotes, its line's error)."""
    return io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="\n")
