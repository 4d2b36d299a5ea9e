"""The command line. Thin: it reads files, calls the API and prints what comes back."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO, cast

import attrs
from rich.console import Console

from . import __version__
from .api import check_source, load_policy
from .decisions import BatchDecision, now_in_shanghai
from .diagnostics import PolicyError, print_diagnostics
from .limits import (
    MAX_DOCUMENT_BYTES,
    MAX_LINE_BYTES,
    MAX_POLICY_BYTES,
    MAX_PROJECTS,
    TooLarge,
    decode_text,
    read_bounded_bytes,
    shorten,
)
from .output import Output, OutputError, Writer, interrupted, remembering_interrupts
from .plan import Plan
from .register import DEFAULT_PATH as DEFAULT_REGISTER
from .register import register_files
from .runtime.money import fmt_plain
from .safe_text import visible

if TYPE_CHECKING:
    from .batch import Tally

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 2, 70
WARNING_CHARS = 400  # a batch warning printed on the terminal; the summary file has it whole


class Terminal(Console):
    """A console for what a command prints. When its reader goes away (``… | head``), rich would exit with
    status 1; it raises :class:`BrokenPipeError` instead, which :func:`main` ends quietly, as for every
    other output (status 0)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def print_text(out: Writer, render: Callable[[Console], object], width: int | None = None) -> None:
    """What ``render`` prints: on a terminal as rich prints it; into a file or a pipe (``width`` columns, else
    rich's 80) without the spaces rich pads a line with to the width — a centred title, a table's heading, a
    list item — which are not the text's, and which diff, editors and version control show as changes."""
    if out.isatty():  # not rich's is_terminal, which FORCE_COLOR=1 makes true of a file too
        render(Terminal(file=cast(TextIO, out), highlight=False))
        return
    console = Terminal(file=io.StringIO(), highlight=False, width=width)
    with console.capture() as captured:
        render(console)
    out.write("".join(line.rstrip(" ") + "\n" for line in captured.get().splitlines()))


class Messages(Console):
    """Standard error. When its reader goes away (``2>&1 | head -1``), the run goes on without it: rich would
    exit there, losing an output file not yet written after a batch was recorded. What is left to say is
    dropped (the console goes quiet), and the exit status is the run's."""

    def on_broken_pipe(self) -> None:
        self.quiet = True


def _stderr() -> Console:
    # soft_wrap: a reason is one line however long the path; rich would otherwise break it at 80 columns
    return Messages(stderr=True, highlight=False, soft_wrap=True)


def _read(path: str, err: Console, limit: int = MAX_POLICY_BYTES, keep_bom: bool = False) -> str | None:
    """A policy (or, with its own limit, an applications document), or None after saying why not.
    ``keep_bom``: a leading byte-order mark stays, for ``fmt`` to write the file back with it."""
    found = _read_hashed(path, err, limit, keep_bom)
    return found[0] if found else None


def _read_hashed(path: str, err: Console, limit: int, keep_bom: bool = False) -> tuple[str, str] | None:
    """A UTF-8 text file and the SHA-256 of its bytes as read, or None after saying why not."""
    try:
        data = _stdin_bytes(limit) if path == "-" else read_bounded_bytes(path, limit)
        return data.decode("utf-8") if keep_bom else decode_text(data), hashlib.sha256(data).hexdigest()
    except TooLarge as exc:
        err.print(f"{path}: cannot read: {exc}", markup=False)
    except UnicodeDecodeError as exc:
        err.print(f"{path}: cannot read: {_not_utf8(exc)}", markup=False)
    except OSError as exc:
        err.print(f"{path}: cannot read: {cannot_open(exc)}", markup=False)
    return None


def cannot_open(exc: OSError) -> str:
    """Why a file cannot be opened, in the same words for a policy, a document and a stream."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "it is a directory"
    return str(exc.strerror or exc)


def document_error(path: str, exc: Exception) -> str:
    """Why a JSON document cannot be read; for one whose second value starts line 2 — JSON Lines, one
    applicant per line, in a file named .json — what to do as well."""
    said = f"{path}: {exc}"
    if str(exc).startswith("not valid JSON: Extra data at line 2, column 1"):
        said += "; one applicant per line is JSON Lines: name the file .jsonl, or give --input-format jsonl"
    return said


def _stdin_bytes(limit: int) -> bytes:
    """Standard input, whole, as a file is read (``-``: a document or policy piped from another program); it
    was opened as a file named '-', which there is none of."""
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"larger than {limit:,} bytes")
    return data


def _not_utf8(exc: UnicodeDecodeError) -> str:
    """Where the first byte that is not UTF-8 stands, as an editor shows it (line, and column in characters)."""
    data, start = exc.object, exc.start
    before = re.split(rb"\r\n?|\n", data[:start].removeprefix(b"\xef\xbb\xbf"))  # lines as the parser counts
    line, column = len(before), len(before[-1].decode("utf-8", "replace")) + 1
    return f"not UTF-8 text at line {line}, column {column} (byte {data[start]:#04x}); save it as UTF-8"


def cmd_check(args: argparse.Namespace) -> int:
    out = Terminal(highlight=False)
    err = _stderr()
    unreadable = checked = 0
    errors = warnings = 0
    for path in args.files:
        source = _read(path, err)
        if source is None:
            unreadable += 1
            continue
        checked += 1
        diagnostics = check_source(source, path)
        print_diagnostics(diagnostics, {path: source}, out)
        errors += sum(d.is_error for d in diagnostics)
        warnings += sum(not d.is_error for d in diagnostics)
    if not checked:
        return EXIT_UNREADABLE
    summary = (f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} "
               f"in {checked} file{'s' * (checked != 1)}")
    if unreadable:
        # The files that were read are summed up all the same; the run still fails (status 2).
        summary += f"; {unreadable} file{'s' * (unreadable != 1)} could not be read"
    failed = errors or (args.strict and warnings)
    ok = not (failed or warnings or unreadable)
    style = "bold red" if failed or unreadable else None
    out.print(f"ok: {summary}" if ok else summary, style=style, markup=False)
    if unreadable:
        return EXIT_UNREADABLE
    return EXIT_ERRORS if failed else EXIT_OK


def cmd_lsp(args: argparse.Namespace) -> int:
    from .lsp import serve

    serve()
    return EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    """Lay policies out canonically: print one, ``--check`` (a diff, exit 1 when any is not), or ``--write``."""
    import difflib

    from .fmt import ChangesMeaning, Unconvertible, format_checked

    err = _stderr()
    if not (args.check or args.write) and len(args.files) > 1:
        err.print("jinjiang-dsl fmt: with several files, give --check or --write", markup=False)
        return EXIT_USAGE
    status, differ = EXIT_OK, []
    for path in args.files:
        read = _read(path, err, keep_bom=True)
        if read is None:
            status = EXIT_UNREADABLE
            continue
        # a leading byte-order mark is no part of the layout: kept as it was, never a difference
        bom = "\ufeff" if read.startswith("\ufeff") else ""
        source = read.removeprefix(bom)
        try:
            formatted = format_checked(source, path, args.keywords)
        except PolicyError as exc:
            print_diagnostics(exc.diagnostics, exc.sources, err)
            err.print(f"{path}: not formatted: fix the syntax first", markup=False)
            status = max(status, EXIT_ERRORS)
            continue
        except Unconvertible as exc:
            err.print(str(exc), markup=False)
            status = max(status, EXIT_ERRORS)
            continue
        except ChangesMeaning as exc:
            err.print(f"jinjiang-dsl: {exc}", markup=False)
            return EXIT_INTERNAL
        if args.check:
            if formatted != source:
                differ.append(path)
                if "\r" in source:  # said once: as a diff, every line of a Windows file would look unchanged
                    sys.stdout.write(f"{path}: its line endings (\\r\\n, \\r) become \\n\n")
                lines = source.replace("\r\n", "\n").replace("\r", "\n").splitlines(True)
                sys.stdout.writelines(difflib.unified_diff(lines, formatted.splitlines(True), f"a/{path}", f"b/{path}"))
        elif args.write:
            if formatted != source:  # as -o writes: whole or not at all, the file's mode kept, a link's target
                with Output(path) as out:
                    out.write(bom + formatted)
                differ.append(path)
        else:
            sys.stdout.write(bom + formatted)
    if args.check and differ:
        err.print(f"{len(differ)} file{'s' * (len(differ) != 1)} not formatted: {', '.join(differ)} "
                  "(jinjiang-dsl fmt --write)", markup=False)
        status = max(status, EXIT_ERRORS)
    elif args.write:
        err.print(f"formatted {len(differ)} file{'s' * (len(differ) != 1)}", markup=False)
    return status


def _load(path: str, err: Console, backend: str = "compiled",
          max_projects: int = MAX_PROJECTS):
    """The checked policy, or None after printing why it cannot be used."""
    if _read(path, err) is None:
        return None
    try:
        return load_policy(path, backend="interpreter" if backend == "interpreter" else "compiled",
                           max_projects=max_projects)
    except PolicyError as exc:
        print_diagnostics(exc.diagnostics, exc.sources, err)
        err.print(f"{path}: the policy has errors; run 'jinjiang-dsl check {path}'", markup=False)
        return False


def input_format(args: argparse.Namespace) -> str:
    if args.input_format:
        return args.input_format
    name = args.applications.lower()
    if name.endswith((".jsonl", ".ndjson")) or name == "-":
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    return "json"


def _read_by(args: argparse.Namespace) -> list[str]:
    """What an eval reads, and so must never write over: the policy, the applications, and the register
    it records in, with SQLite's files beside it (an output over it would replace every decision recorded)."""
    return [args.policy, args.applications] + (register_files(args.register) if args.register else [])


def cmd_eval(args: argparse.Namespace) -> int:
    err = _stderr()
    Output(args.output, _read_by(args)).check()
    Output(args.summary, [*_read_by(args), args.output or "-"]).check()
    if args.dry_run and args.register is None:
        err.print("jinjiang-dsl eval: --dry-run says what --register would record: give --register too", markup=False)
        return EXIT_USAGE
    policy = _load(args.policy, err, args.backend, args.max_projects)
    if not policy:
        return EXIT_UNREADABLE if policy is None else EXIT_ERRORS
    if args.engine != "python":
        refused = _sql_refusal(args, policy)
        if refused is not None:
            err.print(f"jinjiang-dsl eval: {refused}", markup=False)
            return EXIT_USAGE
        args.no_trace = True  # the SQL query keeps no explanation
    named = args.format is None and output_format(args.output, input_format(args) == "json")
    if named:
        args.format = named
    if input_format(args) == "json":
        if args.format in ("csv", "parquet"):
            asked = f"-o {args.output} (a {args.format} table)" if named else f"--format {args.format}"
            err.print(f"jinjiang-dsl eval: {asked} writes the decisions of a stream (JSON Lines, CSV or "
                      "Parquet applications); a JSON document gives json, jsonl or text", markup=False)
            return EXIT_USAGE
        if args.fail_fast:
            err.print("jinjiang-dsl eval: --fail-fast stops a stream (JSON Lines, CSV or Parquet) at its first error; "
                      "a JSON document is evaluated whole: leave it out", markup=False)
            return EXIT_USAGE
        return eval_document(args, policy, err)
    return eval_stream(args, policy, err)


OUTPUT_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text"}


def output_format(path: str | None, document: bool) -> str | None:
    """The format ``eval -o FILE`` writes when ``--format`` is not given, by the file's name, as explain,
    report and impact choose theirs: a stream's JSON Lines went into ``out.csv`` and ``out.parquet`` as
    they were. None: the default (json for a document, jsonl for a stream; a stream is never text)."""
    found = OUTPUT_SUFFIXES.get(os.path.splitext(path or "")[1].lower())
    return None if found == "text" and not document else found


def _sql_refusal(args: argparse.Namespace, policy) -> str | None:
    """Why ``--engine duckdb`` or ``spark`` cannot run this (what it does not do yet, or cannot here), or None."""
    from .sql.emit import Unsupported, emit

    if args.register is not None:
        return f"--engine {args.engine} does not record in the register; leave out --register, or use the Python engine"
    if args.engine == "spark" and (missing := _spark_missing()) is not None:
        return missing
    try:
        emit(policy.plan)
    except Unsupported as exc:
        return f"the SQL engine cannot decide {args.policy} yet: {exc}; use the Python engine (the default)"
    return None


def _spark_missing() -> str | None:
    from .sql.spark import unavailable

    return unavailable()


def eval_document(args: argparse.Namespace, policy, err: Console) -> int:
    import json

    from .explain.text import print_batch
    from .inputs import DocumentError, read_document

    found = _read_hashed(args.applications, err, MAX_DOCUMENT_BYTES)
    if found is None:
        return EXIT_UNREADABLE
    text, digest = found
    try:
        records = read_document(text)
        if args.register is not None:
            decided = decide_and_record(args, policy, records, digest, err)
            if decided is None:
                return EXIT_UNREADABLE
            batch = decided
        else:
            batch = policy.run(records, trace=not args.no_trace, engine=args.engine)[1]
    except DocumentError as exc:
        err.print(document_error(args.applications, exc), markup=False)
        return EXIT_UNREADABLE
    batch = attrs.evolve(batch, input_sha256=digest, evaluated_at=batch.evaluated_at or now_in_shanghai())
    fmt = args.format or ("text" if sys.stdout.isatty() and not args.output else "json")
    if args.summary:  # the document's own summary, as a stream's --summary writes it
        with Output(args.summary, _read_by(args)) as f:
            f.write(json.dumps(batch.to_json(args.lang, trace=False)["summary"], ensure_ascii=False, indent=2) + "\n")
    with Output(args.output, _read_by(args)) as out:
        if fmt == "text":
            print_text(out, lambda console: print_batch(console, batch, policy.plan, args.lang, trace=not args.no_trace))
        elif fmt == "jsonl":
            from .batch import json_line

            written = batch.to_json(args.lang, trace=not args.no_trace)
            for a in written["applicants"]:
                out.write(json_line(a))
            if not args.quiet:  # the lines hold no summary: said on standard error, as a stream's run says it
                print_stream_summary(err, written["summary"], args.lang, policy.plan)
        else:
            out.write(json.dumps(batch.to_json(args.lang, trace=not args.no_trace), ensure_ascii=False, indent=2)
                      + "\n")
    return EXIT_OK


def decide_and_record(args: argparse.Namespace, policy, records: list, digest: str, err: Console
                      ) -> BatchDecision | None:
    """Decide against the register and record the batch (``--register``), or say what would be recorded
    (``--dry-run``): the batch, or None when the register could not be used."""
    from .register import Register, RegisterError

    try:
        with Register(args.register, dry_run=args.dry_run) as register:
            _, batch, done = register.decide(policy, args.policy, records, trace=not args.no_trace,
                                             input_sha256=digest, dry_run=args.dry_run)
    except RegisterError as exc:
        err.print(f"jinjiang-dsl: {exc}", markup=False)
        return None
    say_recorded(args, done, err)
    return batch


def record_stream(args: argparse.Namespace, policy, items, emitted, err: Console) -> bool:
    """A stream decided against the register and recorded (``--register``): whether it went to the end
    (not stopped by ``--fail-fast``). A register that cannot be used raises
    :class:`~jinjiang_dsl.register.RegisterError` through the output, so that none is left."""
    from .register import Register

    with Register(args.register, dry_run=args.dry_run) as register:
        finished, done = register.decide_stream(policy, args.policy, items, emitted, input_format(args),
                                                trace=not args.no_trace, lang=args.lang, dry_run=args.dry_run)
    say_recorded(args, done, err)
    return finished


def say_recorded(args: argparse.Namespace, done, err: Console) -> None:
    verb = "would record" if done.dry_run else "recorded"
    provisional = " (a provisional id: recording gives the batch its own)" if done.dry_run else ""
    err.print(f"register {args.register}: {verb} batch {done.batch_id}{provisional}: {done.decisions} "
              f"decision{'' if done.decisions == 1 else 's'}"
              + (f", superseding {len(done.superseded)} earlier" if done.superseded else ""), markup=False)
    for aid, earlier, new in done.superseded:
        err.print(f"  {aid}: decision {new} supersedes decision {earlier}", markup=False)
    for sha, n in done.other_versions:
        err.print(f"register: counting {n} earlier decision{'' if n == 1 else 's'} of this notice recorded under "
                  f"another version of its source (sha256 {sha[:12]}…)", markup=False)


def eval_stream(args: argparse.Namespace, policy, err: Console) -> int:
    import json

    from . import batch
    from .register import RegisterError
    from .sql.native import OutOfMemory, Unusable

    if args.format in ("text", "json"):
        err.print("jinjiang-dsl eval: a JSON Lines, CSV or Parquet stream gives JSON Lines (--format jsonl), "
                  "or a table (--format csv or parquet)", markup=False)
        return EXIT_USAGE
    if args.format == "parquet" and args.output in (None, "-"):
        err.print("jinjiang-dsl eval: --format parquet writes a file: name it with -o FILE", markup=False)
        return EXIT_USAGE
    try:
        stream, size = batch.open_counted(args.applications)
    except OSError as exc:
        err.print(f"{args.applications}: cannot read: {cannot_open(exc)}", markup=False)
        return EXIT_UNREADABLE
    if input_format(args) == "jsonl" and batch.looks_like_document(stream.peek(1 << 12)):
        err.print(f"{args.applications}: this looks like one JSON document, not JSON Lines (one applicant per "
                  "line): give --input-format json", markup=False)
    if input_format(args) == "parquet":
        unreadable = batch.parquet_problem(args.applications)
        if unreadable is not None:
            stream.close()
            err.print(f"{args.applications}: cannot read: {unreadable}", markup=False)
            return EXIT_UNREADABLE
    try:
        found = _decide_stream(args, policy, err, stream, size)
    except OutOfMemory as exc:  # raised through the output, which is left unwritten
        err.print(f"jinjiang-dsl eval: {exc}", markup=False)
        return EXIT_ERRORS
    except Unusable as exc:  # a memory limit DuckDB cannot read: not started, as impact says it
        err.print(f"jinjiang-dsl eval: {exc}", markup=False)
        return EXIT_USAGE
    except batch.Unreadable as exc:  # so is this
        err.print(f"{args.applications}: cannot read: {exc}", markup=False)
        return EXIT_UNREADABLE
    except RegisterError as exc:  # and this: the batch is not recorded, so no decisions are written either
        left = f"; {args.output} was not written" if args.output not in (None, "-") else ""
        err.print(f"jinjiang-dsl: {exc}{left}", markup=False)
        return EXIT_UNREADABLE
    tally, stopped = found
    summary = batch.summary_json(policy, tally, args.lang)
    if args.summary:
        with Output(args.summary, _read_by(args)) as f:
            f.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    if not args.quiet:
        print_stream_summary(err, summary, args.lang, policy.plan)
    if stopped:
        err.print("stopped at the first error (--fail-fast)", markup=False)
        return EXIT_ERRORS
    return EXIT_OK


def _decide_stream(args: argparse.Namespace, policy, err: Console, stream, size: int | None):
    """A stream decided and written as ``args`` say: its tally and whether it stopped early."""
    from . import batch

    jobs = args.jobs or batch.default_jobs()
    limit = args.max_line_bytes
    output = Output(args.output, _read_by(args))
    progress = _progress(err, size, err.is_terminal and not args.quiet)
    with stream, output as target, progress as advance, _Lines(target, output, args.format) as out:
        fmt = input_format(args)
        on_progress = (lambda n: advance(stream.bytes_read)) if progress.enabled else None
        if args.register is not None:  # one process: each line counts what the lines before it recorded
            emitted = batch.Emitted(out.write, args.fail_fast, on_progress)
            recorded = record_stream(args, policy, file_items(policy, args.applications, fmt, stream, limit),
                                     emitted, err)
            return emitted.tally, not recorded
        return decide_file(policy, args.applications, fmt, stream, out.write, engine=args.engine, jobs=jobs,
                           limit=limit, trace=not args.no_trace, lang=args.lang, fail_fast=args.fail_fast,
                           on_progress=on_progress, on_stage=progress.stage)


def file_items(policy, path: str, fmt: str, stream, limit: int):
    """The applicants of a JSON Lines, CSV or Parquet file, as its reader gives them."""
    from . import batch

    return (batch.read_csv(batch.csv_text(stream), policy, limit) if fmt == "csv"
            else batch.read_parquet(path) if fmt == "parquet" else batch.read_jsonl(stream, limit))


def decide_file(policy, path: str, fmt: str, stream, write: Callable[[str], object], *, engine: str, jobs: int,
                limit: int, trace: bool, lang: str, fail_fast: bool = False,
                on_progress: Callable[[int], None] | None = None,
                on_stage: Callable[[str], None] = lambda name: None) -> tuple[Tally, bool]:
    """A JSON Lines, CSV or Parquet file decided, each output line to ``write``: by DuckDB itself where it
    can (docs/scale.md: no stop at the first error, a policy it writes every output of), else a chunk at a
    time by ``engine``. Its tally, and whether it stopped at the first error."""
    from . import batch
    from .sql.native import refusal

    items = file_items(policy, path, fmt, stream, limit)
    if (engine == "duckdb" and not fail_fast and refusal(policy.plan) is None
            and not (fmt == "parquet" and batch.numbered(batch.parquet_columns(path)))):
        from .sql import native

        return native.run(policy, fmt, lang, write, path=path, stream=stream, items=items, max_line_bytes=limit,
                          on_progress=on_progress, on_stage=on_stage, jobs=jobs), False
    return batch.run(policy, items, write, jobs=jobs, trace=trace, lang=lang, fail_fast=fail_fast,
                     on_progress=on_progress, engine=engine)


def print_stream_summary(err: Console, summary: dict, lang: str, plan: Plan) -> None:
    """The batch summary, figures written as the text explanations write them (1,530,415,229.94), each
    measure with its title after its amount: titles differ in width (and Chinese is two cells a
    character), so the amounts come first, right-aligned, to be read down as a column."""
    zh = lang == "zh"
    yuan = " 元" if zh else " yuan"
    figures = {**summary, "applicants": f"{summary['applicants']:,}", "errors": f"{summary['errors']:,}",
               "total": fmt_plain(Decimal(summary["total"]))}
    err.print(("申请人 {applicants},输入有误 {errors},给予合计 {total} 元" if zh else
               "applicants {applicants}, with input errors {errors}, total granted {total} yuan").format(**figures),
              markup=False)
    rows = [(f"{mid} {visible(plan.measure(mid).title.get(lang))}", amount) for mid, amount in summary["by_measure"].items()]
    payer = "出资方" if zh else "payer"  # a payer's name is no measure's: said, as the text summary's table heads it
    rows += [(f"{payer} {visible(plan.payer(k).get(lang))}", amount) for k, amount in summary.get("by_payer", {}).items()]
    amounts = [fmt_plain(Decimal(amount)) for _, amount in rows]
    width = max(map(len, amounts), default=0)
    for (name, _), amount in zip(rows, amounts):
        err.print(f"  {amount:>{width}}{yuan}  {name}", markup=False)
    for w in summary["warnings"]:  # a quota over a million applicants names thousands of projects: cut short here
        shown = w if len(w) <= WARNING_CHARS else w[:WARNING_CHARS] + (
            f"…(共 {len(w):,} 字,全文见 --summary 文件)" if zh else f"…({len(w):,} characters; all of it in --summary FILE)")
        err.print(("警告: " if zh else "warning: ") + visible(shown), markup=False, style="yellow")


class _Lines:
    """Where a stream's JSON Lines go: the output itself, or, for ``--format csv`` or ``parquet``, a private
    file written again as a table into the output when the run ends well."""

    def __init__(self, target, output: Output, fmt: str | None):
        self.target, self.output, self.fmt = target, output, fmt
        self.folder: tempfile.TemporaryDirectory[str] | None = None
        self.file = None

    def __enter__(self):
        if self.fmt not in ("csv", "parquet"):
            return self.target
        self.folder = tempfile.TemporaryDirectory(prefix="jinjiang-dsl-")
        self.file = open(os.path.join(self.folder.name, "decisions.jsonl"), "w", encoding="utf-8")  # noqa: SIM115
        return self.file

    def __exit__(self, kind, *exc: object) -> None:
        if self.file is None or self.folder is None:
            return
        try:
            self.file.close()
            if kind is None:
                from .tables import write_table

                into = self.output.temp or (os.path.realpath(self.output.path) if self.output.path else None)
                if into is not None:
                    write_table(self.file.name, into, self.fmt or "csv")
                else:  # a CSV table on standard output
                    table = os.path.join(self.folder.name, "decisions.csv")
                    write_table(self.file.name, table, "csv")
                    with open(table, encoding="utf-8", newline="") as f:  # a "\r" in a cell stays one
                        for line in f:
                            self.target.write(line)
        finally:
            self.folder.cleanup()


class _progress:
    """A progress bar on stderr, by bytes read, when stderr is a terminal."""

    def __init__(self, console: Console, total: int | None, enabled: bool):
        self.console, self.total, self.enabled = console, total, enabled
        self.bar = None
        self.task = None

    def __enter__(self):
        if not self.enabled:
            return lambda done: None
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                            TimeRemainingColumn(), console=self.console, transient=True)
        self.bar.start()
        self.task = self.bar.add_task("evaluating", total=self.total)
        return lambda done: self.bar.update(self.task, completed=done)

    def stage(self, name: str) -> None:
        """A stage that reads no more input (DuckDB deciding a file it has read): named, the bar pulsing."""
        if self.bar is not None:
            self.bar.update(self.task, description=name, total=None)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def cmd_explain(args: argparse.Namespace, is_batch: bool = False) -> int:
    from .explain import html, markdown, report
    from .inputs import DocumentError

    err = _stderr()
    Output(args.output, [args.policy, args.applications]).check()
    policy = _load(args.policy, err, max_projects=getattr(args, "max_projects", MAX_PROJECTS))
    if not policy:
        return EXIT_UNREADABLE if policy is None else EXIT_ERRORS
    only = getattr(args, "applicant", None)
    if input_format(args) != "json":
        read = _one_of_file(args, policy, err)
        if isinstance(read, int):
            return read
        apps, batch, digest = read
    else:
        found = _read_hashed(args.applications, err, MAX_DOCUMENT_BYTES)
        if found is None:
            return EXIT_UNREADABLE
        text, digest = found
        try:
            apps, batch = policy.run(text)
        except DocumentError as exc:
            err.print(document_error(args.applications, exc), markup=False)
            return EXIT_UNREADABLE
    batch = attrs.evolve(batch, input_sha256=digest, evaluated_at=now_in_shanghai())
    if only is not None and all(d.id != only for d in batch.applicants):
        ids = ", ".join(shorten(str(d.id)) for d in batch.applicants[:20])  # an id may be of any length
        err.print(visible(f"{args.applications}: no applicant with id {only!r} (ids: {ids})"), markup=False)
        return EXIT_ERRORS
    built = report.build(policy.decider(), apps, batch, only=only, is_batch=is_batch)
    fmt = args.format or ("html" if (args.output or "").endswith(".html") else
                          "md" if args.output and not args.output.endswith(".txt") else "text")
    if fmt == "text":
        from .explain.text import ProseMarkdown

        prose = ProseMarkdown(markdown.render(built, args.lang))
        with Output(args.output, [args.policy, args.applications]) as out:
            # a file or a pipe has no width: 120 columns keep an allocation table's seven figures whole
            print_text(out, lambda console: console.print(prose), width=120)
        return EXIT_OK
    rendered = html.render(built, args.lang) if fmt == "html" else markdown.render(built, args.lang)
    with Output(args.output, [args.policy, args.applications]) as out:
        out.write(rendered)
    return EXIT_OK


def _one_of_file(args: argparse.Namespace, policy, err: Console):
    """``explain --applicant ID`` of a JSON Lines, CSV or Parquet file — a SQL run's input, of any size: the
    first applicant with that id, read and validated as ``eval`` reads it, decided with its explanation, with
    the SHA-256 of the whole file; or the exit status after saying why not."""
    from . import batch

    path, fmt = args.applications, input_format(args)
    command = "report" if args.run is cmd_report else "explain"
    if path == "-":  # read twice: for its SHA-256, which the report gives, and for the applicant
        err.print(f"jinjiang-dsl {command}: name the file the applicants are in, not - (standard input)", markup=False)
        return EXIT_USAGE
    if getattr(args, "applicant", None) is None:
        how = f"explain one applicant of it with jinjiang-dsl explain POLICY {path} --applicant ID"
        err.print(f"jinjiang-dsl report: {path} is a {FORMAT_NAMES[fmt]} file; a batch report is of a JSON document "
                  f"(eval decides a file of any size): {how}" if args.run is cmd_report else
                  f"jinjiang-dsl explain: {path} is a {FORMAT_NAMES[fmt]} file: name the applicant to explain with "
                  "--applicant ID (all of them are explained only from a JSON document)", markup=False)
        return EXIT_USAGE
    try:
        with open(path, "rb") as f:  # the whole file's, as eval's report header gives it
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        unreadable = batch.parquet_problem(path) if fmt == "parquet" else None
        if unreadable is not None:
            err.print(f"{path}: cannot read: {unreadable}", markup=False)
            return EXIT_UNREADABLE
        if fmt == "parquet":  # DuckDB reads only the rows with that id
            app, as_number, unread = batch.find_applicant(policy, batch.read_parquet(path, only_id=args.applicant),
                                                          args.applicant)
        else:
            with batch.open_counted(path)[0] as stream:
                app, as_number, unread = batch.find_applicant(
                    policy, file_items(policy, path, fmt, stream, args.max_line_bytes), args.applicant)
    except OSError as exc:
        err.print(f"{path}: cannot read: {cannot_open(exc)}", markup=False)
        return EXIT_UNREADABLE
    except batch.Unreadable as exc:
        err.print(f"{path}: cannot read: {exc}", markup=False)
        return EXIT_UNREADABLE
    if app is None:
        why = "" if as_number is None else (f" (line {as_number} has the number {args.applicant} as its id; an id "
                                             "is text, so eval reports that line as an input error)")
        if unread and as_number is None:  # it may be in a record that could not be read: say which
            more = f"; {len(unread) - 1:,} more such" if len(unread) > 1 else ""
            why = f" among the records read; one that could not be read may hold it: {unread[0]}{more}"
        err.print(visible(f"{path}: no applicant with id {args.applicant!r}{why}"), markup=False)
        return EXIT_ERRORS
    return [app], policy.decide([app]), digest


FORMAT_NAMES = {"jsonl": "JSON Lines", "csv": "CSV", "parquet": "Parquet"}


def cmd_report(args: argparse.Namespace) -> int:
    return cmd_explain(args, is_batch=True)


def _cases(words: Iterable[str], lang: str) -> str:
    """Coverage cases as ``test --coverage`` lists them, in the run's language."""
    from .coverage import case_word

    return ("、" if lang == "zh" else ", ").join(case_word(w, lang) for w in words)


def cmd_test(args: argparse.Namespace) -> int:
    from rich.table import Table

    from .coverage import Coverage
    from .examples import explanation, run_all

    out, err = Terminal(highlight=False, soft_wrap=True), _stderr()
    passed = failed = not_run = 0
    unreadable = invalid = False
    for path in args.policies:
        policy = _load(path, err)
        if not policy:
            unreadable, invalid = unreadable or policy is None, invalid or policy is False
            not_run += 1
            continue
        outcomes = run_all(policy)
        out.print(f"{path}: {len(outcomes)} example{'' if len(outcomes) == 1 else 's'}", markup=False, style="bold")
        for o in outcomes:
            title = visible(o.example.title.get(args.lang))
            where = f"{o.where} ({o.example.measure})" if o.example.measure else o.where
            if o.passed:
                passed += 1
                if args.verbose:
                    out.print(f"  PASS {where} {title}", markup=False, style="green")
                continue
            failed += 1
            out.print(f"  FAIL {where} {title}", markup=False, style="bold red")
            for f in o.failures:
                out.print(f"    {visible(f.text(args.lang))}", markup=False)
            for line in explanation(policy, o, args.lang):
                out.print(f"      {visible(line)}", markup=False, style="dim")
        if args.coverage:
            cov = Coverage(policy.plan).record_all((o.decision, o.applicant) for o in outcomes)
            zh = args.lang == "zh"
            table = Table(title=f"{path} 的边界覆盖" if zh else f"boundary coverage of {path}")
            for col in (("位置", "内容", "已覆盖", "未覆盖") if zh else ("where", "what", "covered", "missing")):
                table.add_column(col, overflow="fold")  # cut short, a label or a case would be lost
            for item in cov.items.values():
                table.add_row(item.where, visible(item.named(args.lang)),
                              _cases((w for w in item.wanted if w in item.seen), args.lang),
                              _cases(item.missing, args.lang), style="red" if item.missing else None)
            out.print(table)
            gaps = cov.uncovered()
            total = sum(len(i.wanted) for i in cov.items.values())
            covered = total - sum(len(i.missing) for i in gaps)
            missing = "; ".join(f"{i.where} {visible(i.named(args.lang))} ({_cases(i.missing, args.lang)})" for i in gaps)
            if zh:
                out.print(f"覆盖:{total} 种情形中的 {covered} 种;" + ("完整" if not gaps else f"未覆盖:{missing}"),
                          markup=False)
            else:
                out.print(f"coverage: {covered} of {total} cases" + ("; complete" if not gaps else f"; not covered: {missing}"),
                          markup=False)
    summary = f"{passed} passed, {failed} failed"
    if not_run:
        summary += (f"; {not_run} policy not run (its errors are above)" if not_run == 1 else
                    f"; {not_run} policies not run (their errors are above)")
    out.print(summary, markup=False, style="bold red" if failed or not_run else "bold green")
    if unreadable:
        return EXIT_UNREADABLE
    return EXIT_ERRORS if failed or invalid else EXIT_OK


def cmd_compile(args: argparse.Namespace) -> int:
    from .compile import generate

    err = _stderr()
    policy = _load(args.policy, err)
    if not policy:
        return EXIT_UNREADABLE if policy is None else EXIT_ERRORS
    if args.emit == "plan":
        sys.stdout.write("".join(visible(line) + "\n" for line in describe_plan(policy.plan)))
    elif args.emit == "schema":
        import json

        from .sql.schema import json_schema

        sys.stdout.write(json.dumps(json_schema(policy.plan), ensure_ascii=False, indent=2) + "\n")
    elif args.emit in ("sql", "spark-sql"):
        from .sql.dialect import DUCKDB, SPARK
        from .sql.emit import Unsupported, emit

        try:
            sys.stdout.write(emit(policy.plan, SPARK if args.emit == "spark-sql" else DUCKDB, bounded=False))
        except Unsupported as exc:
            err.print(f"jinjiang-dsl: the SQL engine cannot decide {args.policy} yet: {exc}", markup=False)
            return EXIT_ERRORS
    else:
        sys.stdout.write(generate(policy.plan))
    return EXIT_OK


def cmd_impact(args: argparse.Namespace) -> int:
    """Two versions of a policy on the same applications: what changes in the policy and in the money."""
    import json

    from .explain.impact_report import print_impact, render_html
    from .impact import impact
    from .inputs import DocumentError, read_document
    from .sql.emit import Unsupported, emit

    err = _stderr()
    Output(args.output, [args.old, args.new, args.applications]).check()
    suffix = os.path.splitext(args.output or "")[1].lower()
    if args.format is None and suffix not in ("", ".html", ".json", ".txt"):
        err.print(f"jinjiang-dsl impact: which format is {args.output}? The report is text, json or html: name it "
                  "with --format, or end the file's name in .txt, .json or .html", markup=False)
        return EXIT_USAGE
    policies = [_load(path, err) for path in (args.old, args.new)]
    if not all(policies):
        return EXIT_UNREADABLE if any(p is None for p in policies) else EXIT_ERRORS
    old, new = policies
    assert old and new
    engine = args.engine
    if engine == "spark" and (missing := _spark_missing()) is not None:
        err.print(f"jinjiang-dsl impact: {missing}", markup=False)
        return EXIT_USAGE
    if engine != "python":
        try:
            emit(old.plan), emit(new.plan)
            engine = "duckdb" if engine == "auto" else engine
        except Unsupported as exc:
            if engine != "auto":
                err.print(f"jinjiang-dsl impact: the SQL engine cannot decide both versions yet: {exc}", markup=False)
                return EXIT_USAGE
            engine = "python"
    if input_format(args) != "json":  # a file of any size: each version decided as eval decides it
        result = _impact_of_file(args, old, new, engine, err)
        if isinstance(result, int):
            return result
    else:
        found = _read_hashed(args.applications, err, MAX_DOCUMENT_BYTES)
        if found is None:
            return EXIT_UNREADABLE
        try:
            records = read_document(found[0])
        except DocumentError as exc:
            err.print(document_error(args.applications, exc), markup=False)
            return EXIT_UNREADABLE
        result = impact(old, new, records, engine, args.top)
    fmt = args.format or ("html" if (args.output or "").endswith(".html") else "text" if (args.output or "").endswith(
        ".txt") or (sys.stdout.isatty() and not args.output) else "json")
    with Output(args.output, [args.old, args.new, args.applications]) as out:
        if fmt == "text":
            print_text(out, lambda console: print_impact(console, result, args.lang))
        elif fmt == "html":
            out.write(render_html(result, args.lang))
        else:
            out.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def _impact_of_file(args: argparse.Namespace, old, new, engine: str, err: Console):
    """:func:`impact.impact_of_file` on a JSON Lines, CSV or Parquet file, or the exit status, said, as ``eval``
    gives it: 2 when the file cannot be read or DuckDB not set up, 1 when a run could not finish (out of memory,
    a full disk)."""
    from . import batch
    from .impact import impact_of_file

    fmt = input_format(args)
    if args.applications == "-":
        err.print("jinjiang-dsl impact: both versions read the applications: name a file, not -", markup=False)
        return EXIT_UNREADABLE
    try:
        batch.open_counted(args.applications)[0].close()
    except OSError as exc:
        err.print(f"{args.applications}: cannot read: {cannot_open(exc)}", markup=False)
        return EXIT_UNREADABLE
    if fmt == "parquet" and (unreadable := batch.parquet_problem(args.applications)) is not None:
        err.print(f"{args.applications}: cannot read: {unreadable}", markup=False)
        return EXIT_UNREADABLE

    def decide(policy, write: Callable[[str], object]) -> Tally:
        stream, _ = batch.open_counted(args.applications)
        with stream:
            return decide_file(policy, args.applications, fmt, stream, write, engine=engine,
                               jobs=args.jobs or batch.default_jobs(), limit=MAX_LINE_BYTES, trace=False,
                               lang=args.lang)[0]

    from .sql.native import OutOfMemory, Unusable

    try:
        return impact_of_file(old, new, decide, engine, args.top)
    except OutOfMemory as exc:
        err.print(f"jinjiang-dsl impact: {exc}", markup=False)
        return EXIT_ERRORS
    except Unusable as exc:  # a memory limit DuckDB cannot read
        err.print(f"jinjiang-dsl impact: {exc}", markup=False)
    except OSError as exc:  # the temporary outputs could not be written (a full disk)
        err.print(f"jinjiang-dsl impact: {exc.strerror or exc}", markup=False)
        return EXIT_ERRORS
    except batch.Unreadable as exc:
        err.print(f"{args.applications}: cannot read: {exc}", markup=False)
    return EXIT_UNREADABLE


def describe_plan(plan: Plan) -> list[str]:
    """The measures and the rules of a plan, in the order they apply."""
    lines = [f"{plan.name.zh} / {plan.name.en}", f"measures: {', '.join(m.id for m in plan.measures)}",
             "rules, in the order they apply:" if plan.rules else "rules: none (awards stack)"]
    own = [f"measure {m.id} by its own {m.dated_by}" for m in plan.measures if m.dated_by]
    if own:  # which date places each award in a year, where measures say their own
        lines.insert(2, f"dated by: {plan.dated_by or '(none)'}; " + ", ".join(own))
    lines += [f"  {i}. {r.id} {r.title.zh} / {r.title.en}: {r.describe()}" for i, r in enumerate(plan.rules, 1)]
    return lines


def cmd_register(args: argparse.Namespace) -> int:
    """The register's audit commands: history, replay, verify, export."""
    from .register import Register, RegisterError

    err = _stderr()
    if not _exists(args.register):
        err.print(f"jinjiang-dsl: {args.register}: no register here (record one with eval --register)", markup=False)
        return EXIT_UNREADABLE
    try:
        with Register(args.register, read_only=True) as register:
            return REGISTER_ACTIONS[args.action](register, args, err)
    except RegisterError as exc:
        err.print(f"jinjiang-dsl: {exc}", markup=False)
        return EXIT_UNREADABLE
    except sqlite3.Error as exc:  # a table or column altered by hand: its schema is not what it says
        err.print(f"jinjiang-dsl: {args.register}: the register's tables are not as this version writes them: "
                  f"{exc}", markup=False)
        return EXIT_UNREADABLE


def _exists(path: str) -> bool:
    """A register to audit: a file with something in it (an audit never makes one, not even in an empty file)."""
    return os.path.isfile(path) and os.path.getsize(path) > 0


def register_history(register, args: argparse.Namespace, err: Console) -> int:
    rows = register.history(args.applicant)
    if not rows:
        err.print(f"no decision for applicant {visible(args.applicant)!r} in {args.register}", markup=False)
        return EXIT_ERRORS
    out = Terminal(highlight=False, soft_wrap=True)
    for r in rows:  # every line through visible(): a project id is an applicant's text (an escape code, say)
        links = (f"  supersedes {r['supersedes']}" if r["supersedes"] else "") + \
                (f"  superseded by {r['superseded_by']}" if r["superseded_by"] else "")
        out.print(visible(f"decision {r['decision']}  batch {r['batch']}  {r['recorded_at']}  "
                          f"period {r['period'] or '-'}  {r['status']}  total {r['total']}{links}"), markup=False)
        out.print(visible(f"  policy {r['policy_sha256'][:12]}  engine {r['engine_version']}"), markup=False)
        for a in r["awards"]:
            out.print(visible(f"  {a['project'] or '(applicant)'}  {a['measure']}  {a['status']}  "
                              f"entitlement {a['entitlement'] or '-'}  amount {a['amount'] or '-'}"), markup=False)
    return EXIT_OK


def register_replay(register, args: argparse.Namespace, err: Console) -> int:
    from .register import replay

    target = args.target
    found = replay(register, batch=target) if target.startswith("B-") else \
        replay(register, decision=int(target)) if target.isascii() and target.isdigit() else None
    if found is None:
        err.print(f"jinjiang-dsl: {visible(target)!r} is neither a decision number nor a batch id (B-…)", markup=False)
        return EXIT_USAGE
    if not found:
        err.print(f"nothing recorded as {visible(target)!r} in {args.register}", markup=False)
        return EXIT_ERRORS
    out = Terminal(highlight=False, soft_wrap=True)
    differ = [(did, diff) for did, diff in found if diff]
    for did, diff in found:
        out.print(visible(f"decision {did}: " + ("identical" if not diff else f"differs: {diff}")), markup=False)
    return EXIT_ERRORS if differ else EXIT_OK


def register_verify(register, args: argparse.Namespace, err: Console) -> int:
    count, problems = register.verify()
    out = Terminal(highlight=False, soft_wrap=True)
    for p in problems:
        out.print(visible(f"{p.where}: {p.what}"), markup=False)
    last = register.last_row()
    if last is not None:  # to note where the writers cannot reach: rows cut from the end show against it
        out.print(f"last row: decision {last[0]}, hash {last[1]}", markup=False)
    out.print(f"{args.register}: {count} decisions checked; " + ("the chain is intact" if not problems
              else f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"), markup=False)
    return EXIT_ERRORS if problems else EXIT_OK


def register_export(register, args: argparse.Namespace, err: Console) -> int:
    from .register import export, export_parquet

    output = Output(args.output, register_files(args.register))  # never over the register or SQLite's files
    output.check()
    if args.format is None:  # by -o's name, as eval's tables: a .parquet of JSON Lines would be no Parquet
        args.format = {"csv": "csv", "parquet": "parquet"}.get(output_format(args.output, False) or "", "jsonl")
    if args.format == "parquet":
        if not args.output or args.output == "-" or not output.regular:
            err.print("jinjiang-dsl register export: Parquet is a binary file that is written whole: give -o "
                      "FILE.parquet", markup=False)
            return EXIT_USAGE
        with output:  # written to the output's temporary file, renamed into place only once whole
            assert output.temp is not None
            try:
                export_parquet(register, output.temp)
            except OSError as exc:
                raise OutputError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
        return EXIT_OK
    with output as out:
        export(register, out.write, args.format)
    return EXIT_OK


REGISTER_ACTIONS = {"history": register_history, "replay": register_replay, "verify": register_verify,
                    "export": register_export}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jinjiang-dsl",
        description="Rules as code for subsidy policy: check, evaluate and explain .pol policies.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("check", help="check policy files and report every problem with its location")
    p.add_argument("files", nargs="+", metavar="FILE", help=".pol files to check")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("eval", help="evaluate applications and explain every amount")
    p.add_argument("policy", metavar="POLICY", help="the .pol file")
    p.add_argument("applications", metavar="APPLICATIONS",
                   help="applications: a JSON document, JSON Lines (.jsonl), CSV (.csv) or Parquet (.parquet); "
                        "- for stdin (JSON Lines)")
    p.add_argument("--input-format", choices=["json", "jsonl", "csv", "parquet"],
                   help="how to read APPLICATIONS (default: by its extension)")
    p.add_argument("--format", choices=["text", "json", "jsonl", "csv", "parquet"],
                   help="text (default on a terminal), json (default when piped) or jsonl; streams give jsonl, "
                        "or a table: csv (a row per award) or parquet (the contract's fields; needs -o FILE); "
                        "with -o, by its name: .csv, .parquet, .jsonl, .txt (a document's text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the decisions to FILE instead of stdout")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of explanations (default zh)")
    p.add_argument("--no-trace", action="store_true", help="skip explanations (faster, for budget runs)")
    p.add_argument("--backend", choices=["compiled", "interpreter"], default="compiled",
                   help="evaluate with the generated code (default) or the reference interpreter")
    p.add_argument("--jobs", type=_positive, metavar="N", help="worker processes for streams (default: all cores)")
    p.add_argument("--fail-fast", action="store_true", help="stop a stream at the first applicant with an error")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary on stderr")
    p.add_argument("--summary", metavar="FILE", help="write the batch summary (JSON) to FILE")
    _limits(p)
    p.add_argument("--register", nargs="?", const=DEFAULT_REGISTER, metavar="PATH",
                   help=f"record every decision in the decision register (default file {DEFAULT_REGISTER})")
    p.add_argument("--dry-run", action="store_true", help="with --register: say what would be recorded, record nothing")
    p.add_argument("--engine", choices=["python", "duckdb", "spark"], default="python",
                   help="decide in Python (default, with explanations) or by the policy's SQL query on DuckDB or "
                        "on Spark SQL (no explanations; docs/scale.md)")
    p.set_defaults(run=cmd_eval)

    for name, run, summary in (
        ("explain", cmd_explain, "a decision report per applicant: why, why not, what would change it"),
        ("report", cmd_report, "a batch report: totals by measure and status, errors, every applicant"),
    ):
        p = sub.add_parser(name, help=summary)
        p.add_argument("policy", metavar="POLICY", help="the .pol file")
        if name == "explain":
            p.add_argument("applications", metavar="APPLICATIONS",
                           help="applications: a JSON document, or a JSON Lines, CSV or Parquet file of any size "
                                "with --applicant")
            p.add_argument("--applicant", metavar="ID", help="only this applicant (the first with this id)")
            _limits(p, " (as the eval run being explained read it)")
            p.add_argument("--input-format", choices=["json", "jsonl", "csv", "parquet"],
                           help="how to read APPLICATIONS (default: by its extension)")
        else:  # a batch report holds every applicant's explanation at once: of a bounded JSON document only
            p.add_argument("applications", metavar="APPLICATIONS", help="applications: a JSON document")
            p.add_argument("--input-format", choices=["json"],
                           help="read APPLICATIONS as a JSON document whatever its name (a .jsonl, .csv or "
                                ".parquet file is refused, saying how to explain one of its applicants)")
        p.add_argument("--lang", choices=["zh", "en"], default="zh", help="report language (default zh)")
        p.add_argument("--format", choices=["text", "md", "html"],
                       help="text (terminal), md or html (default: by -o's extension, else text)")
        p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (e.g. report.html)")
        p.set_defaults(run=run)

    p = sub.add_parser("test", help="run the examples written in policies; --coverage lists untested edges")
    p.add_argument("policies", nargs="+", metavar="POLICY", help=".pol files")
    p.add_argument("--coverage", action="store_true", help="list every boundary, cap, override and requirement "
                   "with the cases the examples exercise")
    p.add_argument("--lang", choices=["zh", "en"], default="zh",
                   help="language of titles, what a failing example expected and got, and explanations (default zh)")
    p.add_argument("-v", "--verbose", action="store_true", help="also list the examples that pass")
    p.set_defaults(run=cmd_test)

    p = sub.add_parser("fmt", help="lay policy files out canonically, keeping every comment and word")
    p.add_argument("files", nargs="+", metavar="FILE", help=".pol files")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="print a diff and exit 1 when a file is not formatted")
    mode.add_argument("--write", action="store_true", help="rewrite the files in place (atomically)")
    p.add_argument("--keywords", choices=["zh", "en"],
                   help="spell every keyword in Chinese (zh) or English (en); names, texts and comments are kept")
    p.set_defaults(run=cmd_fmt)

    p = sub.add_parser("lsp", help="the language server, over standard input and output (for an editor)")
    p.set_defaults(run=cmd_lsp)

    p = sub.add_parser("register", help="the decision register: history, replay, verify, export")
    reg = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = reg.add_parser("history", help="every decision for an applicant, in order, with its batch and awards")
    q.add_argument("applicant", metavar="ID", help="the applicant's id")
    q = reg.add_parser("replay", help="decide a recorded decision (or a whole batch) again and compare")
    q.add_argument("target", metavar="DECISION|BATCH", help="a decision number, or a batch id (B-…)")
    reg.add_parser("verify", help="check every row against the hash chain")
    q = reg.add_parser("export", help="every decision with its awards, as JSON Lines, CSV or Parquet")
    q.add_argument("--format", choices=["jsonl", "csv", "parquet"],
                   help="output format (default: by -o's name, .csv or .parquet, else jsonl; parquet needs the "
                        "'parquet' extra)")
    q.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    for q in reg.choices.values():
        q.add_argument("--register", default=DEFAULT_REGISTER, metavar="PATH",
                       help=f"the register file (default {DEFAULT_REGISTER})")
    p.set_defaults(run=cmd_register)

    p = sub.add_parser("impact", help="the budget impact of a change: two versions of a policy on the same applications")
    p.add_argument("old", metavar="OLD", help="the policy as it is (.pol)")
    p.add_argument("new", metavar="NEW", help="the policy as it would be (.pol)")
    p.add_argument("applications", metavar="APPLICATIONS",
                   help="applications: a JSON document, or a file of any size: JSON Lines (.jsonl), CSV (.csv) "
                        "or Parquet (.parquet)")
    p.add_argument("--input-format", choices=["json", "jsonl", "csv", "parquet"],
                   help="how to read APPLICATIONS (default: by its extension)")
    p.add_argument("--jobs", type=_positive, metavar="N", help="worker processes for a file (default: all cores)")
    p.add_argument("--engine", choices=["auto", "python", "duckdb", "spark"], default="auto",
                   help="auto (default): DuckDB when it decides both versions, else Python")
    p.add_argument("--format", choices=["text", "json", "html"],
                   help="text (default on a terminal), json, or html (default for -o FILE.html)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the report (default zh)")
    p.add_argument("--top", type=_positive, default=10, metavar="N", help="the N largest changes (default 10)")
    p.set_defaults(run=cmd_impact)

    p = sub.add_parser("compile", help="show what a policy compiles to: its Python, its SQL (DuckDB or Spark), the JSON Schema of its records, its plan")
    p.add_argument("policy", metavar="POLICY", help="the .pol file")
    p.add_argument("--emit", choices=["python", "sql", "spark-sql", "schema", "plan"], default="python",
                   help="what to emit: the generated Python (default), the SQL query the DuckDB engine runs, the "
                        "same in Spark SQL's dialect, the JSON Schema of an applicant record, or the plan's "
                        "measures and rules in order")
    p.set_defaults(run=cmd_compile)
    return parser


def _limits(p: argparse.ArgumentParser, why: str = "") -> None:
    """The bounds a file is read within: eval's, and explain's of the same file."""
    p.add_argument("--max-line-bytes", type=_positive, default=MAX_LINE_BYTES, metavar="N",
                   help=f"longest JSON Lines line or CSV record (all its lines) read; a longer one is an error line "
                        f"(default {MAX_LINE_BYTES:,}){why}")
    p.add_argument("--max-projects", type=_positive, default=MAX_PROJECTS, metavar="N",
                   help=f"most projects one applicant may have; more is an input error (default {MAX_PROJECTS:,}){why}")


def _positive(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with remembering_interrupts():
            status: int = args.run(args)
            if interrupted():  # pressed, but its exception was lost in a finalizer
                raise KeyboardInterrupt
        return status
    except OutputError as exc:
        _stderr().print(f"jinjiang-dsl: {exc}", markup=False)
        return exc.status
    except KeyboardInterrupt:
        output = getattr(args, "output", None)
        left = f"; {output} was not written" if output and output != "-" else ""
        _stderr().print(f"jinjiang-dsl: interrupted{left}", markup=False)
        return 130
    except BrokenPipeError:  # the reader went away (e.g. piped into head): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # the last line of defence: never a traceback
        _stderr().print(f"jinjiang-dsl: internal error: {type(exc).__name__}: {exc}", markup=False)
        _stderr().print("please report this with the input that caused it", markup=False)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
