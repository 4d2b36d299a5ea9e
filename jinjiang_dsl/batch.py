"""Streaming batch evaluation: JSON Lines or CSV in, JSON Lines out, in input order.

Memory stays flat: input is read in chunks, at most a few chunks are in flight, and
each result is written as soon as its turn comes. With ``jobs > 1`` chunks go to worker
processes (forked, so the compiled policy is shared, not rebuilt); the output is the
same whatever the number of jobs. Every input line (JSONL) or applicant (CSV) gets
exactly one output line: a decision, or an error naming the line.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any, NamedTuple

import attrs

from .api import Policy
from .decide import Decider, contribution, exact

CHUNK = 1024
DECODER = json.JSONDecoder(parse_float=Decimal)  # built once: numbers read exactly, never as floats


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


@attrs.define
class Tally:
    """What one output line adds to the batch summary; merged in input order by the parent."""

    applicants: int = 0
    errors: int = 0
    total: Decimal = Decimal(0)
    by_measure: dict[str, Decimal] = attrs.field(factory=dict)
    quota: list[tuple[tuple[str, str, int], str]] = attrs.field(factory=list)

    def add(self, result: Result) -> None:
        """Count one output line in (the parent does this for every line, so it stays lean)."""
        self.applicants += 1
        self.errors += result.is_error
        if result.is_error:
            return
        self.total += Decimal(result.total)
        for k, v in result.by_measure:
            self.by_measure[k] = self.by_measure.get(k, Decimal(0)) + Decimal(v)
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


# ---------------------------------------------------------------------- readers


def read_jsonl(stream: IO[str]) -> Iterator[Item]:
    """One applicant per line; a blank line is skipped."""
    for n, text in enumerate(stream, 1):
        if text.strip():
            yield Item(n, text=text)


def parse_line(item: Item) -> Item:
    """A JSON Lines item with its record, or with the reason the line is not JSON."""
    try:
        return Item(item.line, record=DECODER.decode(item.text))  # type: ignore[arg-type]
    except json.JSONDecodeError as exc:
        return Item(item.line, error=f"line {item.line}: not valid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Item(item.line, error=f"line {item.line}: not valid JSON: nested too deeply")


def read_csv(stream: IO[str], policy: Policy) -> Iterator[Item]:
    """One project per row, applicant columns repeated; consecutive rows of one applicant id group.

    Columns: ``applicant_id``, ``name``, the applicant inputs, ``project_id``, the project
    inputs (docs/batch.md). An empty cell is "not given".
    """
    inputs = policy.plan.inputs
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield Item(1, error=f"line 1: not valid CSV: {exc}")
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    current: dict[str, Any] | None = None
    first_line = 0
    problems: list[str] = []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if current is not None:
                yield _csv_item(first_line, current, problems)
                current, problems = None, []
            yield Item(line, error=f"line {line}: not valid CSV: {exc}")
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            if current is not None:
                yield _csv_item(first_line, current, problems)
                current, problems = None, []
            yield Item(line, error=f"line {line}: {len(row)} cells, but the header has {len(header)}")
            continue
        cells = {h: c for h, c in zip(header, row) if c.strip() != ""}
        aid = cells.get("applicant_id")
        if current is None or aid != current.get("id"):
            if current is not None:
                yield _csv_item(first_line, current, problems)
            current, problems, first_line = {"id": aid, "projects": []}, [], line
            for key, cell in cells.items():
                if key == "name":
                    current["name"] = cell
                elif key in inputs and inputs[key].scope == "applicant":
                    current[key] = _cell(inputs[key].kind, cell)
        project: dict[str, Any] = {}
        for key, cell in cells.items():
            if key == "project_id":
                project["id"] = cell
            elif key in ("applicant_id", "name"):
                continue
            elif key in inputs:
                if inputs[key].scope == "project":
                    project[key] = _cell(inputs[key].kind, cell)
            else:
                problems.append(f"line {line}: unknown column '{key}'")
        current["projects"].append(project)
    if current is not None:
        yield _csv_item(first_line, current, problems)


def _csv_item(line: int, record: dict[str, Any], problems: list[str]) -> Item:
    if problems:
        return Item(line, record=record, error="; ".join(problems))
    return Item(line, record=record)


def _cell(kind: str, cell: str) -> Any:
    """A CSV cell as the JSON value the validator expects; what does not convert is left as text,
    so the validator reports it with its path."""
    cell = cell.strip()
    if kind == "bool":
        return {"true": True, "false": False}.get(cell.lower(), cell)
    if kind == "count":
        return int(cell) if cell.isdigit() else cell
    return cell


# ---------------------------------------------------------------------- evaluation

_POLICY: Policy | None = None  # set in the parent before forking; workers inherit it
_TRACE = True
_LANG = "zh"


def evaluate_items(items: list[Item]) -> list[Result]:
    """Evaluate a chunk; runs in a worker process or in the parent."""
    assert _POLICY is not None
    policy = _POLICY
    decider = policy.decider(_TRACE)
    with exact():
        return [_evaluate(policy, decider, item) for item in items]


def _evaluate(policy: Policy, decider: Decider, item: Item) -> Result:
    if item.text is not None:
        item = parse_line(item)
    if item.error is not None and item.record is None:
        return _error_result(item.line, None, [item.error])
    app = policy.validator.applicant(item.record, item.line, f"line {item.line}: $")
    if item.error is not None:
        app = attrs.evolve(app, errors=(*app.errors, item.error))
    decision = decider.decide(app)
    by_measure, quotas = contribution(policy.plan, app, decision)
    output = {"line": item.line, **decision.to_json(_LANG, trace=_TRACE)}
    return Result(item.line, app.id, decision.status == "error", _dumps(output), str(decision.total),
                  tuple((k, str(v)) for k, v in by_measure.items()), tuple(quotas))


def _dumps(output: dict[str, Any]) -> str:
    return json.dumps(output, ensure_ascii=False, separators=(",", ":")) + "\n"


def _error_result(line: int, applicant_id: Any, errors: list[str]) -> Result:
    output = {"line": line, "id": applicant_id, "status": "error", "total": "0.00", "projects": [],
              "errors": errors}
    return Result(line, applicant_id, True, _dumps(output), "0", (), ())


def _chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(
    policy: Policy,
    items: Iterable[Item],
    write: Callable[[str], None],
    *,
    jobs: int = 1,
    trace: bool = True,
    lang: str = "zh",
    fail_fast: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[Tally, bool]:
    """Evaluate a stream and write one JSON line per result, in input order.

    Returns the batch tally and whether it stopped early (``fail_fast`` on an error).
    Duplicate applicant ids are found here, across the whole stream, in input order.
    """
    global _POLICY, _TRACE, _LANG
    _POLICY, _TRACE, _LANG = policy, trace, lang
    tally = Tally()
    seen: dict[Any, int] = {}
    stopped = False

    def emit(result: Result) -> bool:
        nonlocal stopped
        if result.applicant_id is not None:
            first = seen.setdefault(result.applicant_id, result.line)
            if first != result.line and not result.is_error:
                result = _error_result(result.line, result.applicant_id,
                                       [f"line {result.line}: duplicate id {result.applicant_id!r} "
                                        f"(also line {first})"])
        write(result.text)
        tally.add(result)
        if on_progress:
            on_progress(1)
        if fail_fast and result.is_error:
            stopped = True
        return not stopped

    if jobs <= 1:
        for chunk in _chunks(items, CHUNK):
            for result in evaluate_items(chunk):
                if not emit(result):
                    return tally, True
        return tally, False

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs) as pool:
        pending: deque[Any] = deque()
        for chunk in _chunks(items, CHUNK):
            pending.append(pool.apply_async(evaluate_items, (chunk,)))
            while len(pending) >= jobs * 2:
                for result in pending.popleft().get():
                    if not emit(result):
                        pool.terminate()
                        return tally, True
        while pending:
            for result in pending.popleft().get():
                if not emit(result):
                    pool.terminate()
                    return tally, True
    return tally, stopped


def summary_json(policy: Policy, tally: Tally, lang: str = "zh") -> dict[str, Any]:
    claims: dict[tuple[str, str, int], list[str]] = {}
    for key, who in tally.quota:
        claims.setdefault(key, []).append(who)
    from .decide import BatchTotals

    totals = BatchTotals(policy.plan, tally.applicants, tally.errors, tally.total,
                         dict(tally.by_measure), claims)
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


class CountedText(io.TextIOWrapper):
    """UTF-8 text over a :class:`CountingReader`; ``bytes_read`` says how far it has got."""

    @property
    def bytes_read(self) -> int:
        return self.buffer.raw.bytes_read  # type: ignore[attr-defined]


def open_counted(path: str) -> tuple[CountedText, int | None]:
    """A file (or standard input for ``-``) as text, with its size when it has one."""
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed by the caller
    size = None if path == "-" else os.fstat(raw.fileno()).st_size
    text = CountedText(io.BufferedReader(CountingReader(raw)), encoding="utf-8", newline="")
    return text, size
