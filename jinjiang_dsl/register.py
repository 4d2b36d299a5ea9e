"""The decision register: every decision of a batch, kept in SQLite, hash-chained, for audit and replay.

One file, embedded (Python's ``sqlite3``), in WAL mode. A batch is recorded in one transaction —
all its decisions or none — taken with ``BEGIN IMMEDIATE``, so two processes recording into the
same file are serialised, never interleaved. The schema is versioned (``PRAGMA user_version``)
and brought up to date when a register is opened.

Each decision row carries the SHA-256 of the previous row and of its own content (its awards
included), so ``verify`` finds a row that was changed, deleted or inserted afterwards. Rows are
never updated: a correction is a new decision that names the one it supersedes.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from . import __version__
from .decisions import ApplicantDecision, BatchDecision, now_in_shanghai

if TYPE_CHECKING:
    from .api import Policy
    from .plan import Plan
from .diagnostics import PolicyError
from .inputs import MONEY_TEXT, Applicant, DocumentError, Duplicates, LongNumber, read_document
from .limits import shorten
from .rules import Earlier
from .runtime.money import fmt_money
from .safe_text import visible

DEFAULT_PATH = "decisions.sqlite"
WAIT = 60  # seconds a writer waits for another to finish its batch
MAX_ROWID = 2**63 - 1  # SQLite's largest row number
GENESIS = "0" * 64  # what the first row names as the row before it
NOW = 2**62  # "before" every decision there is: the register as it stands
# a decision's policy, by which a notice is known: its name, whatever version of its source it was decided on
SAME_NOTICE = "JOIN batches b ON b.id = d.batch_id JOIN policies p ON p.sha256 = b.policy_sha256"

# what a batch row's hash covers (schema 3), as SQL computes it through :func:`batch_hash`
BATCH_FIELDS = ("id", "policy_sha256", "input_sha256", "engine_version", "recorded_at", "applicants", "total",
                "traced", "kind")

MIGRATIONS: tuple[str, ...] = (
    # 1: policies stored once by their hash; batches; decisions (one per applicant per batch) and awards
    """
    CREATE TABLE policies (
        sha256 TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        source TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        policy_sha256 TEXT NOT NULL REFERENCES policies(sha256),
        input_sha256 TEXT,
        engine_version TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        applicants INTEGER NOT NULL,
        total TEXT NOT NULL,
        traced INTEGER NOT NULL
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        batch_id TEXT NOT NULL REFERENCES batches(id),
        position INTEGER NOT NULL,
        applicant_id TEXT,
        period TEXT NOT NULL,
        status TEXT NOT NULL,
        total TEXT NOT NULL,
        record TEXT NOT NULL,
        record_sha256 TEXT NOT NULL,
        decision TEXT NOT NULL,
        supersedes INTEGER REFERENCES decisions(id),
        prev_hash TEXT NOT NULL,
        row_hash TEXT NOT NULL
    );
    CREATE INDEX decisions_applicant ON decisions(applicant_id);
    CREATE INDEX decisions_batch ON decisions(batch_id);
    CREATE TABLE awards (
        decision_id INTEGER NOT NULL REFERENCES decisions(id),
        project_id TEXT,
        measure TEXT NOT NULL,
        year INTEGER,
        status TEXT NOT NULL,
        entitlement TEXT,
        amount TEXT,
        shares TEXT NOT NULL,
        trace TEXT NOT NULL
    );
    CREATE INDEX awards_decision ON awards(decision_id);
    """,
    # 2: streams — how a batch was read (json, jsonl, csv), and a line's own input problem (a CSV cell, a
    # line that is not JSON), so that a replay reads each line as it was read
    """
    ALTER TABLE batches ADD COLUMN kind TEXT NOT NULL DEFAULT 'json';
    ALTER TABLE decisions ADD COLUMN input_error TEXT
    """,
    # 3: a batch row under the tamper evidence too — its time, engine, input hash, policy and how many
    # decisions it recorded (so that deleting its last ones shows); batches already there are sealed as
    # they stand when the register is first opened by a version that knows this
    f"""
    ALTER TABLE batches ADD COLUMN row_hash TEXT;
    UPDATE batches SET row_hash = batch_hash({", ".join(BATCH_FIELDS)})
    """,
    # 4: which decision supersedes which, looked up by an index: every round asks, for each applicant, which
    # of its decisions still stand — without it each question scanned every decision (a round of 200
    # applicants against 20,000 recorded decisions: 7 minutes, 0.8 s with it)
    """
    CREATE INDEX IF NOT EXISTS decisions_supersedes ON decisions(supersedes)
    """,
)


REGISTER_TABLES = {"policies", "batches", "decisions", "awards"}
SQLITE_FILES = ("-wal", "-shm", "-journal")  # what SQLite keeps beside a database, by its name

TEXT, INTEGER, TEXT_OR_NULL, INTEGER_OR_NULL = ("text",), ("integer",), ("text", "null"), ("integer", "null")
# what each column holds as SQLite stores it (its storage class, SQL's typeof): a value of another class was put
# there by hand, and reading it as what the column holds would fail or mislead
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "policies": dict.fromkeys(("sha256", "name", "path", "source", "recorded_at"), TEXT),
    "batches": {**dict.fromkeys(("id", "policy_sha256", "engine_version", "recorded_at", "total", "kind", "row_hash"),
                                TEXT), "input_sha256": TEXT_OR_NULL, "applicants": INTEGER, "traced": INTEGER},
    "decisions": {**dict.fromkeys(("batch_id", "period", "status", "total", "record", "record_sha256", "decision",
                                   "prev_hash", "row_hash"), TEXT), "id": INTEGER, "position": INTEGER,
                  "applicant_id": TEXT_OR_NULL, "supersedes": INTEGER_OR_NULL, "input_error": TEXT_OR_NULL},
    "awards": {**dict.fromkeys(("measure", "status", "shares", "trace"), TEXT), "decision_id": INTEGER,
               "project_id": TEXT_OR_NULL, "year": INTEGER_OR_NULL, "entitlement": TEXT_OR_NULL,
               "amount": TEXT_OR_NULL},
    "sqlite_sequence": {"name": TEXT, "seq": INTEGER},  # SQLite's: the numbers issued, which verify reads
}
KINDS = {"text": "text", "integer": "an integer", "real": "a real number", "blob": "a blob", "null": "null"}
NOT_UTF8 = "not UTF-8"  # text whose bytes are not in SQLite's encoding (put there as a blob cast to text)
CODECS = {"UTF-8": "utf-8", "UTF-16le": "utf-16-le", "UTF-16be": "utf-16-be"}  # PRAGMA encoding, as Python names it
T = TypeVar("T")
INDEXES_FROM = 3  # the migrations from this one on add only indexes: a read-only register is read without them


@functools.cache
def own_objects() -> frozenset[tuple[str, str, str, str | None]]:
    """The indexes (SQLite's own for a primary key among them) the register creates, as ``sqlite_master`` lists
    them — (type, name, table, SQL with its spaces collapsed) — found by running the migrations in memory."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db.create_function("batch_hash", len(BATCH_FIELDS), batch_hash, deterministic=True)
        for migration in MIGRATIONS:
            db.executescript(migration)
        return frozenset(_objects(db))
    finally:
        db.close()


def _objects(db: sqlite3.Connection) -> Iterator[tuple[str, str, str, str | None]]:
    """The triggers, views and indexes of a database, as :func:`own_objects` lists them."""
    for kind, name, table, sql in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"
                                             " WHERE type IN ('trigger', 'view', 'index') ORDER BY rowid"):
        yield str(kind), str(name), str(table), " ".join(str(sql).split()) if sql is not None else None


def register_files(path: str) -> list[str]:
    """A register and SQLite's files beside it: an output must name none of them (over the register it would
    replace every decision; SQLite takes over or deletes the others, with what was written there)."""
    return [path, *(path + suffix for suffix in SQLITE_FILES)]


class RegisterError(Exception):
    """A register that cannot be opened, written or read: one line for the user."""


class Damaged(RegisterError):
    """A stored value that is not what the register writes there (a register altered by hand), named by its
    table, row and column: what reads it stops there in one line instead of failing inside, or reading it as
    something else."""

    def __init__(self, path: str, table: str, row: object, column: str, what: str):
        super().__init__(f"{path}: the register was altered by hand: {table} row {row}, column {column}: {what} "
                         "(register verify checks every row)")


def amount_of(text: object) -> Decimal:
    """An amount as the register keeps it (digits, as ``fmt_money`` writes it), or ValueError: ``Decimal`` alone
    would take 'NaN' or '1e999' put there by hand."""
    if not isinstance(text, str) or not MONEY_TEXT.fullmatch(text):
        raise ValueError(f"not an amount: {shorten(repr(text))}")
    return Decimal(text)


def canonical(value: Any) -> str:
    """A record as compact JSON, the same text for the same record: no spaces, numbers exactly as read
    (never through a float), members in the order given — not sorted, since the order is part of what
    was decided (input errors are reported in it), and a replay must see the record as it was: a key given
    twice keeps both its values, since reading it again must find the same error."""
    if isinstance(value, dict):
        members = value.pairs if isinstance(value, Duplicates) else value.items()
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{canonical(v)}" for k, v in members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, LongNumber):
        return value.text
    return json.dumps(value, ensure_ascii=False)


def shown(text: str) -> str:
    """Text read with :meth:`Register.tolerant` as it can be printed: bytes that were not UTF-8 as ``\\xff``."""
    return visible(text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


def sha256(text: object) -> str:
    """The SHA-256 of a text. A stored value of another type (put there by hand: verify names it) hashes as its
    ``repr``, so that verify goes on to check the rest."""
    return hashlib.sha256((text if isinstance(text, str) else repr(text)).encode("utf-8", "surrogatepass")).hexdigest()


@attrs.frozen(slots=True)
class Recorded:
    """What recording a batch did (or, in a dry run, would do)."""

    batch_id: str
    decisions: int
    superseded: tuple[tuple[str, int, int], ...]  # (applicant id, earlier decision id, new decision id)
    dry_run: bool
    other_versions: tuple[tuple[str, int], ...] = ()  # (source SHA-256, decisions standing) of the same notice


@attrs.frozen(slots=True)
class Problem:
    """A row ``verify`` finds not as it was recorded: where (``decision 7``, ``batch B-…``, ``policy …``), what."""

    where: str
    what: str


def batch_hash(*fields: Any) -> str:
    """A batch row's hash (an SQL function of the register's connection, so that recording, the migration
    and ``verify`` compute it from the row as SQLite stores it)."""
    return sha256(json.dumps(list(fields), ensure_ascii=False, default=repr))  # a blob put there by hand: its repr


class Register:
    """A register file. ``Register(path)`` opens (creating or migrating) it; ``Register(path, dry_run=True)``
    works on a copy of it in memory (an empty one when there is no file), so that a dry run writes nothing —
    not even a new file, a migration or WAL mode — and can be read-only. ``read_only=True`` (the audits): where
    SQLite cannot open it as usual (a read-only folder), it is read through a read-only connection."""

    def __init__(self, path: str | Path, dry_run: bool = False, read_only: bool = False):
        self.path = str(path)
        if self.path in ("", ":memory:") or self.path.startswith("file:"):
            raise RegisterError(f"{self.path or repr(self.path)}: a register is a file: name one (the default is "
                                f"{DEFAULT_PATH})")
        if os.path.exists(self.path) and not os.path.isfile(self.path):
            raise RegisterError(f"{self.path}: a register is a regular file, and this is not one")
        try:
            self.db = self._copy() if dry_run else sqlite3.connect(self.path, timeout=WAIT, isolation_level=None)
            try:
                self._open(wal=not dry_run)
            except sqlite3.OperationalError as exc:
                if not read_only or exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_CANTOPEN:  # its primary code
                    raise
                self.db.close()  # SQLite cannot make its files beside it (a read-only folder): read the file alone
                self.db = self._read_only()
                self._open(wal=False)
        except sqlite3.DatabaseError as exc:
            raise RegisterError(f"{self.path}: cannot open the register: {exc}") from None

    def _open(self, wal: bool) -> None:
        """Make the connection the register's: its settings and hash function, a check that the file is a
        register, WAL mode when it may write, and the schema brought up to date."""
        self.db.execute(f"PRAGMA busy_timeout = {WAIT * 1000}")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.create_function("batch_hash", len(BATCH_FIELDS), batch_hash, deterministic=True)
        self._is_a_register()
        if wal:
            self._wal()
        self.migrate()

    def _copy(self) -> sqlite3.Connection:
        """The register as it stands, copied into memory from a read-only connection (SQLite's backup)."""
        memory = sqlite3.connect(":memory:", isolation_level=None)
        if os.path.exists(self.path):
            source = self._read_only()
            try:
                source.backup(memory)
            finally:
                source.close()
        return memory

    def _read_only(self) -> sqlite3.Connection:
        """The register for reading only: ``mode=ro``, or, where SQLite cannot make the files it keeps beside
        a register in WAL mode (a read-only folder or medium), ``immutable=1``, which reads the file alone
        — so only when no write-ahead log beside it holds changes not yet in the file (they would be missed)."""
        uri = Path(self.path).resolve().as_uri()
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=WAIT, isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_CANTOPEN:
                raise
        log = self.path + "-wal"
        if os.path.exists(log) and os.path.getsize(log) > 0:
            raise RegisterError(f"{self.path}: cannot open the register read-only: its write-ahead log {log} holds "
                                "changes not yet in it, which SQLite folds in only where it can write: open it once "
                                "with write access to its folder")
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)

    def _is_a_register(self) -> None:
        """Refuse, before writing anything, a file that is not a register: another program's database (tables,
        no register schema) is never taken over, and a register missing a table cannot be read."""
        self.db.execute("BEGIN")  # the version and the tables as one snapshot: another process may be migrating
        try:
            version = self.version
            tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            self.db.execute("COMMIT")
        if version < 0:
            raise RegisterError(f"{self.path}: not a usable register: schema version {version}")
        if version == 0 and tables:
            raise RegisterError(f"{self.path}: an SQLite database that is not a decision register (tables "
                                f"{', '.join(sorted(tables)[:5])}); name another file")
        missing = sorted(REGISTER_TABLES - tables)
        if 0 < version <= len(MIGRATIONS) and missing:
            raise RegisterError(f"{self.path}: not a usable register: no table {', '.join(missing)}")

    def _wal(self) -> None:
        """WAL mode (it stays with the file). Switching needs the file to itself, and SQLite does not wait for
        that as it waits for a write: while another process records a batch, wait here, up to ``WAIT``."""
        deadline = time.monotonic() + WAIT
        while self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                if "readonly" in str(exc):
                    return  # a read-only file is audited as it is; recording in it fails, saying why
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            if time.monotonic() > deadline:
                raise RegisterError(f"{self.path}: cannot keep the register in WAL mode")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Bring the schema to the newest version, one migration per transaction."""
        if self.version > len(MIGRATIONS):
            raise RegisterError(f"{self.path}: written by a newer jinjiang-dsl (schema {self.version}; "
                                f"this one knows {len(MIGRATIONS)})")
        while self.version < len(MIGRATIONS):
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc):
                    raise
                if self.version >= INDEXES_FROM:
                    return  # only an index is missing: a read-only register is read without it
                raise RegisterError(f"{self.path}: a register of schema {self.version} is brought up to date once "
                                    "when it is opened, which needs write access to it") from None
            step = self.version  # read again under the lock: another process may have migrated meanwhile
            if step >= len(MIGRATIONS):
                self.db.execute("COMMIT")
                break
            try:
                self.unplanted()  # a trigger would run with the migration's writes
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {step + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ stored values

    def misstored(self) -> Iterator[tuple[str, int, str, str]]:
        """Every stored value of another storage class than the register writes in its column — (table, row,
        column, the class found) — in one pass over each table (the SQL is built from :data:`COLUMNS` only);
        then every text whose bytes are not UTF-8 (:data:`NOT_UTF8`), which SQLite stores as given and Python
        cannot read (``Could not decode to UTF-8 column …``, naming no row)."""
        for table, columns in COLUMNS.items():
            found = ", ".join(f"typeof({name})" for name in columns)
            wrong = " OR ".join(f"typeof({name}) NOT IN ({', '.join(repr(k) for k in kinds)})"
                                for name, kinds in columns.items())
            for row, *kinds in self.db.execute(f"SELECT rowid, {found} FROM {table} WHERE {wrong} ORDER BY rowid"):
                yield from ((table, row, name, kind) for name, kind in zip(columns, kinds)
                            if kind not in columns[name])
            yield from self._not_utf8(table, [name for name, kinds in columns.items() if "text" in kinds])

    def _not_utf8(self, table: str, columns: list[str]) -> Iterator[tuple[str, int, str, str]]:
        """The texts of a table's columns whose bytes are not text in the register's encoding: each row's texts
        read as bytes (CAST … AS BLOB: SQLite gives them as stored) joined by a NUL, which ends any character
        begun before it, and decoded here at once; a row that does not decode is read again column by column."""
        codec = CODECS.get(str(self.db.execute("PRAGMA encoding").fetchone()[0]), "utf-8")
        texts = [f"CASE typeof({name}) WHEN 'text' THEN {name} ELSE '' END" for name in columns]
        for row, joined in self.db.execute(f"SELECT rowid, CAST({' || char(0) || '.join(texts)} AS BLOB) FROM {table}"
                                           " ORDER BY rowid"):
            try:
                bytes(joined or b"").decode(codec)
            except UnicodeDecodeError:
                values = self.db.execute(f"SELECT {', '.join(f'CAST({text} AS BLOB)' for text in texts)} FROM {table}"
                                         " WHERE rowid = ?", (row,)).fetchone()
                yield from ((table, row, name, NOT_UTF8) for name, value in zip(columns, values)
                            if not _decodes(value, codec))

    def planted(self) -> Iterator[str]:
        """Each trigger, view or index in the file that the register does not create (by its name and SQL):
        ``trigger t (on decisions)``. A trigger runs with every write — it could rewrite what is recorded, or
        what a migration seals — so a register with one is never written; a view or index is named too."""
        own = own_objects()
        for kind, name, table, sql in _objects(self.db):
            if (kind, name, table, sql) not in own:
                yield shown(f"{kind} {name}" + ("" if kind == "view" else f" (on {table})"))

    def unplanted(self) -> None:
        """Refuse to write a register holding a trigger, view or index it does not create (:meth:`planted`)."""
        for found in self.planted():
            raise RegisterError(f"{self.path}: the register was altered by hand: {found} is not one the register "
                                "creates: nothing is recorded in it (register verify checks every row)")

    def intact(self) -> None:
        """Stop at the first value of another type than its column holds, or text that is not UTF-8
        (:class:`Damaged`): what reads the register (a new batch, history, replay, export) takes each value as
        what its column holds."""
        for table, row, column, kind in self.misstored():
            raise Damaged(self.path, table, row, column, "not UTF-8 text" if kind == NOT_UTF8 else
                          f"{KINDS[kind]}, where the register keeps {KINDS[COLUMNS[table][column][0]]}")

    @contextlib.contextmanager
    def tolerant(self) -> Iterator[None]:
        """Text that is not UTF-8 read as it is (its bad bytes as surrogates, :func:`shown` prints them), not
        as the error SQLite's decoding raises: verify hashes and compares it, and goes on."""
        self.db.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
        try:
            yield
        finally:
            self.db.text_factory = str

    def stored(self, read: Callable[[Any], T], value: Any, table: str, row: object, column: str) -> T:
        """A stored value read as what it holds (JSON, an amount, a record, a policy); one that cannot be was
        altered by hand: :class:`Damaged`, naming where it is."""
        try:
            return read(value)
        except PolicyError as exc:
            raise Damaged(self.path, table, row, column, "not a policy that compiles ("
                          f"{exc.diagnostics[0].message if exc.diagnostics else 'no policy'})") from None
        except (ValueError, RecursionError, DocumentError) as exc:  # json's JSONDecodeError is a ValueError
            what = f"not valid JSON: {exc}" if isinstance(exc, (json.JSONDecodeError, RecursionError)) else str(exc)
            raise Damaged(self.path, table, row, column, visible(shorten(what, 200))) from None

    # ------------------------------------------------------------------ recording

    @contextlib.contextmanager
    def transaction(self, dry_run: bool = False) -> Iterator[None]:
        """A batch's one transaction, taken before anything is read (so two writers are serialised): all of
        it or none, and none on a dry run; a database error is the user's one line."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.db.execute("ROLLBACK" if dry_run else "COMMIT")
            except BaseException:
                if self.db.in_transaction:  # SQLite ends it itself on some errors (a full disk)
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise RegisterError(f"{self.path}: the batch was not recorded: {exc}") from None

    def decide(self, policy: Policy, path: str, records: list[Any], trace: bool = True, input_sha256: str | None = None,
               dry_run: bool = False) -> tuple[list[Applicant], BatchDecision, Recorded]:
        """Decide a batch against the register and record it, in one transaction: each applicant's rules
        that span rounds count what earlier batches granted it under the same policy (its decisions that
        no later one supersedes, less the one this record corrects), and no other writer can record in
        between. ``dry_run``: decide and say what would be recorded, writing nothing."""
        name = policy.plan.name.zh
        with self.transaction(dry_run):
            self.intact()
            self.unplanted()
            apps, batch = policy.run(
                records, trace, earlier=lambda app: self.earlier(name, app),
                selected_before=lambda apps: self.selected(policy.plan, {self._corrected(name, a) for a in apps}))
            batch = attrs.evolve(batch, input_sha256=input_sha256, evaluated_at=now_in_shanghai())
            done = self._record(policy.checked.policy.source, path, records, apps, batch, trace, dry_run)
        return apps, batch, done

    def decide_stream(self, policy: Policy, path: str, items: Iterable[Any], emitted: Any, kind: str,
                      trace: bool = True, lang: str = "zh", input_sha256: str | None = None, dry_run: bool = False
                      ) -> tuple[bool, Recorded]:
        """A JSON Lines or CSV stream decided against the register and recorded as it goes, in one
        transaction (in this process: each line counts what the lines before it recorded). Each output line
        is written through ``emitted`` (:class:`jinjiang_dsl.batch.Emitted`). (finished, what was recorded)"""
        from .batch import decide_stream

        name = policy.plan.name.zh
        with self.transaction(dry_run):
            self.intact()
            self.unplanted()
            writer = self.writer(name, policy.plan.source_sha256, policy.checked.policy.source, path,
                                 input_sha256, trace, kind)

            def keep(item: Any, app: Applicant | None, content: dict[str, Any],
                     decision: ApplicantDecision | None) -> None:
                record = canonical(item.record) if item.record is not None else "null"
                writer.add(item.line, record, app, content, decision, item.error)

            before = list(self.selections(policy.plan))  # earlier rounds' quota selections, as they stood
            finished = decide_stream(policy, items, emitted, trace, lang,
                                     lambda app: self.earlier(name, app), keep)
            done = writer.finish(emitted.tally.total, dry_run)
            corrected = {earlier for _, earlier, _ in done.superseded}
            emitted.tally.quota[:0] = [(key, who) for did, key, who in before if did not in corrected]
        return finished, done

    def earlier(self, name: str, app: Applicant, before: int = NOW) -> tuple[Earlier, ...]:
        """What earlier batches granted this applicant under the policy — any version of its source, since a
        notice is known by its name (:meth:`other_versions`): the awards of its decisions that no later one
        supersedes, except the one this record corrects (its grants are decided again) — as the register
        stood before decision ``before`` (a replay sees what the batch saw); and what other notices granted."""
        if not isinstance(app.id, str):
            return ()
        corrected = self._corrected(name, app, before)
        rows = self.db.execute(
            "SELECT d.batch_id, d.id, a.project_id, a.measure, a.year, a.status, a.entitlement, a.amount, a.rowid"
            f" FROM decisions d {SAME_NOTICE} JOIN awards a ON a.decision_id = d.id"
            " WHERE p.name = ? AND d.applicant_id = ? AND d.id IS NOT ? AND d.id < ?"
            " AND NOT EXISTS (SELECT 1 FROM decisions later WHERE later.supersedes = d.id AND later.id < ?)"
            " AND a.status IN ('granted', 'superseded') ORDER BY d.id, a.rowid",
            (name, app.id, corrected, before, before)).fetchall()
        superseded: dict[tuple[int, str | None], list[str]] = {}
        for _, did, project, measure, _, status, *_ in rows:
            if status == "superseded":
                superseded.setdefault((did, project), []).append(measure)
        own = tuple(Earlier(bid, did, project, measure, year, status, *self.figures(entitlement, amount, row),
                            tuple(superseded.get((did, project), ())) if status == "granted" else ())
                    for bid, did, project, measure, year, status, entitlement, amount, row in rows)
        return own + self.other_policies(name, app.id, before)

    def other_policies(self, name: str, applicant: str, before: int = NOW) -> tuple[Earlier, ...]:
        """What other notices granted the applicant (policies of another name than ``name``: a new version of
        the same notice is not another), from their decisions that stand — what a 'from register' input sums."""
        rows = self.db.execute(
            "SELECT p.name, d.batch_id, d.id, a.project_id, a.measure, a.year, a.entitlement, a.amount, a.rowid"
            " FROM decisions d JOIN batches b ON b.id = d.batch_id JOIN policies p ON p.sha256 = b.policy_sha256"
            " JOIN awards a ON a.decision_id = d.id"
            " WHERE p.name <> ? AND d.applicant_id = ? AND d.id < ?"
            " AND NOT EXISTS (SELECT 1 FROM decisions later WHERE later.supersedes = d.id AND later.id < ?)"
            " AND a.status = 'granted' AND a.amount <> '0.00' ORDER BY d.id, a.rowid",
            (name, applicant, before, before)).fetchall()
        return tuple(Earlier(bid, did, project, measure, year, "granted", *self.figures(entitlement, amount, row),
                             policy=name) for name, bid, did, project, measure, year, entitlement, amount, row in rows)

    def figures(self, entitlement: str | None, amount: str | None, row: int) -> tuple[Decimal, Decimal]:
        """An award row's entitlement and amount as numbers (none: 0)."""
        return (self.stored(lambda text: amount_of(text or "0"), entitlement, "awards", row, "entitlement"),
                self.stored(lambda text: amount_of(text or "0"), amount, "awards", row, "amount"))

    def selected(self, plan: Plan, corrected: set[int | None]) -> dict[tuple[str, str, int], list[str]]:
        """The projects earlier batches selected under each quota of the policy — (measure, the value the
        quota counts per, year) → "applicant/project (batch)" — from the decisions that stand (none that a
        later one supersedes, nor those this batch corrects)."""
        found: dict[tuple[str, str, int], list[str]] = {}
        for did, key, who in self.selections(plan):
            if did not in corrected:
                found.setdefault(key, []).append(who)
        return found

    def selections(self, plan: Plan) -> Iterator[tuple[int, tuple[str, str, int], str]]:
        """Each project earlier batches selected under a quota of the policy, with its decision: (decision id,
        (measure, the value the quota counts per, year), "applicant/project (batch)")."""
        quotas = {m.id: m.quota[1] for m in plan.measures if m.quota}
        if not quotas:
            return
        for did, bid, aid, record, project, measure, year in self.db.execute(
                "SELECT d.id, d.batch_id, d.applicant_id, d.record, a.project_id, a.measure, a.year FROM decisions d"
                f" {SAME_NOTICE} JOIN awards a ON a.decision_id = d.id"
                " WHERE p.name = ? AND a.status IN ('granted', 'superseded') AND a.project_id IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM decisions later WHERE later.supersedes = d.id) ORDER BY d.id, a.rowid",
                (plan.name.zh,)):
            if measure not in quotas or year is None:
                continue
            facts = next((p for p in self.stored(projects_of, record, "decisions", did, "record")
                          if p.get("id") == project), {})
            yield int(did), (measure, str(facts.get(quotas[measure])), int(year)), f"{aid}/{project} ({bid})"

    def _record(self, source: str, path: str, records: list[Any], apps: list[Applicant], batch: BatchDecision,
                traced: bool, dry_run: bool) -> Recorded:
        writer = self.writer(batch.policy_name, batch.source_sha256, source, path, batch.input_sha256, traced, "json")
        for position, (raw, app, decision) in enumerate(zip(records, apps, batch.applicants)):
            writer.add(position, canonical(raw), app, decision.to_json("zh", trace=traced), decision)
        return writer.finish(batch.summary.total, dry_run)

    def writer(self, policy_name: str, policy_sha: str, source: str, path: str, input_sha256: str | None,
               traced: bool, kind: str) -> BatchWriter:
        """A batch being recorded, decision by decision (inside the caller's transaction)."""
        return BatchWriter(self, policy_name, policy_sha, source, path, input_sha256, traced, kind)

    def other_versions(self, name: str, source_sha: str) -> list[tuple[str, int]]:
        """Other versions of this notice's source (same name: a new spelling, a fixed typo) and how many of
        their decisions stand: a batch counts their grants as its own, and says so, since the user may not
        expect it."""
        return [(str(sha), int(n)) for sha, n in self.db.execute(
            f"SELECT p.sha256, count(*) FROM decisions d {SAME_NOTICE} WHERE p.name = ? AND p.sha256 <> ?"
            " AND d.status = 'ok' AND NOT EXISTS (SELECT 1 FROM decisions later WHERE later.supersedes = d.id)"
            " GROUP BY p.sha256 ORDER BY min(d.id)", (name, source_sha))]

    def _last_hash(self) -> str:
        found = self.db.execute("SELECT row_hash FROM decisions ORDER BY id DESC LIMIT 1").fetchone()
        return str(found[0]) if found else GENESIS

    def _corrected(self, name: str, app: Applicant, before: int = NOW) -> int | None:
        """The decision a record corrects: the applicant's latest decision under the same notice, not yet
        superseded, whose record has a project of this one (a project submitted again), or, for records
        without projects, the same period. A record with new projects only is a new claim, not a
        correction: a spring claim and an autumn claim are both kept."""
        if not isinstance(app.id, str):
            return None
        applicant, period = app.id, ",".join(str(y) for y in years(app))
        ids = {p.id for p in app.projects}
        for did, record, earlier_period in self.db.execute(
                f"SELECT d.id, d.record, d.period FROM decisions d {SAME_NOTICE}"
                " WHERE p.name = ? AND d.applicant_id = ? AND d.id < ? AND d.status = 'ok'"
                " AND NOT EXISTS (SELECT 1 FROM decisions later WHERE later.supersedes = d.id AND later.id < ?)"
                " ORDER BY d.id DESC", (name, applicant, before, before)):
            projects = self.stored(project_ids, record, "decisions", did, "record")
            if ids & projects or not ids and not projects and earlier_period == period:
                return int(did)
        return None

    # ------------------------------------------------------------------ reading

    def history(self, applicant: str) -> list[dict[str, Any]]:
        """Every decision for an applicant, in the order recorded, with its batch and awards."""
        self.intact()
        rows = self.db.execute(
            "SELECT d.id, d.batch_id, b.recorded_at, b.policy_sha256, b.engine_version, d.period, d.status,"
            " d.total, d.supersedes, (SELECT later.id FROM decisions later WHERE later.supersedes = d.id)"
            " FROM decisions d JOIN batches b ON b.id = d.batch_id WHERE d.applicant_id = ? ORDER BY d.id",
            (applicant,)).fetchall()
        found = []
        for (did, bid, at, psha, engine, period, status, total, supersedes, superseded_by) in rows:
            awards = self.db.execute("SELECT project_id, measure, status, entitlement, amount FROM awards"
                                     " WHERE decision_id = ? ORDER BY rowid", (did,)).fetchall()
            found.append({"decision": did, "batch": bid, "recorded_at": at, "policy_sha256": psha,
                          "engine_version": engine, "period": period, "status": status, "total": total,
                          "supersedes": supersedes, "superseded_by": superseded_by,
                          "awards": [{"project": p, "measure": m, "status": s, "entitlement": e, "amount": a}
                                     for p, m, s, e, a in awards]})
        return found

    def decisions(self, batch: str) -> Iterator[tuple[int, str, str]]:
        """(decision id, record, decision JSON) of a batch's decisions, when its batch and policy are there."""
        yield from self.db.execute(
            "SELECT d.id, d.record, d.decision FROM decisions d JOIN batches b ON b.id = d.batch_id"
            " JOIN policies p ON p.sha256 = b.policy_sha256 WHERE d.batch_id = ? ORDER BY d.id", (batch,))

    def verify(self) -> tuple[int, list[Problem]]:
        """Every value of another type than its column holds (or text that is not UTF-8), then walk the chain,
        then the batches and the policies: (decisions checked, each row not as recorded — changed, deleted or
        inserted). A value of another type is compared and hashed as it is, never read as what it stood for."""
        with self.tolerant():
            count, problems = self._verify()
        return count, [Problem(shown(p.where), shown(p.what)) for p in problems]

    def _verify(self) -> tuple[int, list[Problem]]:
        problems = [Problem(found, "not one the register creates (added by hand)"
                            + ("; a trigger can rewrite what is recorded" if found.startswith("trigger ") else ""))
                    for found in self.planted()]
        problems += [Problem(f"{table} row {row}", f"column {column} is not UTF-8 text (altered by hand)"
                             if kind == NOT_UTF8 else f"column {column} holds {KINDS[kind]}, where the register keeps "
                                                      f"{KINDS[COLUMNS[table][column][0]]} (altered by hand)")
                     for table, row, column, kind in self.misstored()]
        present = dict(self.db.execute("SELECT batch_id, count(*) FROM decisions GROUP BY batch_id").fetchall())
        # the batch hash computed here, not by SQL's batch_hash, whose arguments SQLite's decoding would refuse
        batches = [(bid, applicants, row_hash, batch_hash(bid, *fields), policy_sha)
                   for bid, applicants, row_hash, policy_sha, *fields in self.db.execute(
                       f"SELECT id, applicants, row_hash, policy_sha256, {', '.join(BATCH_FIELDS[1:])} FROM batches"
                       " ORDER BY rowid")]
        # a gap in the numbers is rows deleted only when a batch misses rows; else the row after it was inserted
        deleted = any(isinstance(recorded, int) and recorded > present.get(bid, 0) for bid, recorded, *_ in batches)
        prev, expected_id, count = GENESIS, None, 0
        for row in self.db.execute(
                "SELECT id, batch_id, position, applicant_id, period, status, total, record, record_sha256,"
                " decision, supersedes, prev_hash, row_hash, input_error FROM decisions ORDER BY id"):
            did, *content, prev_hash, row_hash, input_error = row
            count += 1
            where = f"decision {did}"
            if expected_id is not None and did != expected_id:
                problems.append(Problem(where, f"rows {expected_id}–{did - 1} are missing (deleted)" if deleted else
                                        f"was inserted: no row is missing, yet its number skips {expected_id}–{did - 1}"))
            awards = [tuple(a) for a in self.db.execute(
                "SELECT project_id, measure, year, status, entitlement, amount, shares, trace FROM awards"
                " WHERE decision_id = ? ORDER BY rowid", (did,))]
            if prev_hash != prev:
                problems.append(Problem(where, "does not follow the row before it (a row was inserted, deleted "
                                               "or changed before it)"))
            if sha256(content[6]) != content[7]:
                problems.append(Problem(where, "its input record was changed"))
            if sha256(f"{prev_hash}{canonical_row(hashed(tuple(content), input_error), awards)}") != row_hash:
                problems.append(Problem(where, "its content was changed after it was recorded"))
            prev, expected_id = row_hash, did + 1
        issued = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'decisions'"
                                 " AND typeof(seq) = 'integer'").fetchone()
        if issued is not None and int(issued[0]) >= (expected_id or 1):
            first = expected_id or 1
            problems.append(Problem(f"decision {first}", f"rows {first}–{issued[0]} are missing (deleted from the end)"))
        problems += [Problem(f"decision {did}", f"{n} award rows name it, but it is not in the register (its row "
                                                f"was deleted, or they were inserted)")
                     for did, n in self.db.execute("SELECT decision_id, count(*) FROM awards WHERE decision_id NOT IN"
                                                   " (SELECT id FROM decisions) GROUP BY decision_id")]
        return count, problems + self._verify_batches(batches, present) + self._verify_policies()

    def last_row(self) -> tuple[int, str] | None:
        """The last decision's number and hash: kept apart, it shows rows later cut from the end."""
        with self.tolerant():
            found = self.db.execute("SELECT id, row_hash FROM decisions ORDER BY id DESC LIMIT 1").fetchone()
        return (int(found[0]), shown(str(found[1]))) if found else None

    def _verify_batches(self, batches: list[tuple[Any, ...]], present: dict[str, int]) -> list[Problem]:
        """Each batch row as recorded (its hash), with as many decisions as it recorded; no decision without
        its batch."""
        problems = []
        policies = {sha for (sha,) in self.db.execute("SELECT sha256 FROM policies")}
        for bid, recorded, stored, computed, policy_sha in batches:
            where = f"batch {bid}"
            if stored != computed:
                problems.append(Problem(where, "its row (time, engine, input, policy or totals) was changed after it "
                                               "was recorded"))
            found = present.get(bid, 0)
            if isinstance(recorded, int) and found != recorded:  # a count of another type is named as such
                problems.append(Problem(where, f"recorded {recorded} decisions; {found} are here ("
                                        + (f"{recorded - found} deleted)" if found < recorded else
                                           f"{found - recorded} inserted)")))
            if policy_sha not in policies:
                problems.append(Problem(where, f"its policy {str(policy_sha)[:12]}… is not in the register (deleted)"))
        known = {bid for bid, *_ in batches}
        problems += [Problem(f"batch {bid}", f"its {n} decisions are here, its row is not (deleted)")
                     for bid, n in present.items() if bid not in known]
        return problems

    def _verify_policies(self) -> list[Problem]:
        """Each policy's source still hashes to its key, and its name is the one its header gives (batches
        count earlier grants by that name)."""
        from .api import policy_from_source
        from .diagnostics import PolicyError

        problems = []
        for sha, name, path, source in self.db.execute("SELECT sha256, name, path, source FROM policies ORDER BY rowid"):
            where = f"policy {str(sha)[:12]}…"
            if not isinstance(source, str) or sha256(source) != sha or not _decodes(source, "utf-8"):
                problems.append(Problem(where, "its source was changed after it was recorded (it no longer hashes to "
                                               "its SHA-256)"))
                continue
            try:
                named = policy_from_source(source, str(path)).plan.name.zh
            except PolicyError:
                named = None
            if named != name:
                problems.append(Problem(where, f"its name was changed after it was recorded (its source names "
                                               f"{named!r}, the row {name!r})"))
        return problems


class BatchWriter:
    """One batch's rows, written as its decisions come (a stream need not be held whole), each chained to the
    row before it; the batch's totals are set when it is finished."""

    def __init__(self, register: Register, policy_name: str, policy_sha: str, source: str, path: str,
                 input_sha256: str | None, traced: bool, kind: str):
        self.register, self.policy_name = register, policy_name
        self.other_versions = tuple(register.other_versions(policy_name, policy_sha))
        when = now_in_shanghai().isoformat()
        self.batch_id = "B-" + sha256("|".join((policy_sha, input_sha256 or "", when, str(time.time_ns()))))[:12]
        db = register.db
        db.execute("INSERT OR IGNORE INTO policies VALUES (?, ?, ?, ?, ?)", (policy_sha, policy_name, path, source, when))
        db.execute("INSERT INTO batches (id, policy_sha256, input_sha256, engine_version, recorded_at, applicants, total,"
                   " traced, kind) VALUES (?, ?, ?, ?, ?, 0, '0.00', ?, ?)",
                   (self.batch_id, policy_sha, input_sha256, __version__, when, int(traced), kind))
        self.prev = register._last_hash()
        self.count = 0
        self.superseded: list[tuple[str, int, int]] = []

    def add(self, position: int, record: str, app: Applicant | None, content: dict[str, Any],
            decision: ApplicantDecision | None, input_error: str | None = None) -> None:
        """One decision: the record as read (JSON text), the applicant and decision when there are (a line that
        is not JSON has neither), and the output as the contract writes it."""
        aid = app.id if app is not None and isinstance(app.id, str) else None
        period = ",".join(str(y) for y in years(app)) if app is not None else ""
        text = json.dumps(content, ensure_ascii=False, sort_keys=True)
        status = decision.status if decision is not None else str(content.get("status", "error"))
        # only a decision corrects one: a record with input errors decides nothing, and the earlier one stands
        corrects = self.register._corrected(self.policy_name, app) if app is not None and status == "ok" else None
        total = fmt_money(decision.total) if decision is not None else fmt_money(Decimal(str(content.get("total", 0))))
        row = (self.batch_id, position, aid, period, status, total, record, sha256(record), text, corrects)
        awards = list(award_rows(app, decision)) if app is not None and decision is not None and status == "ok" else []
        row_hash = sha256(self.prev + canonical_row(hashed(row, input_error), awards))
        cur = self.register.db.execute(
            "INSERT INTO decisions (batch_id, position, applicant_id, period, status, total, record, record_sha256,"
            " decision, supersedes, prev_hash, row_hash, input_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row, self.prev, row_hash, input_error))
        new_id = int(cur.lastrowid or 0)
        self.register.db.executemany("INSERT INTO awards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [(new_id, *a) for a in awards])
        if corrects is not None:
            self.superseded.append((aid or "", corrects, new_id))
        self.prev, self.count = row_hash, self.count + 1

    def finish(self, total: Decimal, dry_run: bool) -> Recorded:
        self.register.db.execute("UPDATE batches SET applicants = ?, total = ? WHERE id = ?",
                                 (self.count, fmt_money(total), self.batch_id))
        self.register.db.execute(f"UPDATE batches SET row_hash = batch_hash({', '.join(BATCH_FIELDS)}) WHERE id = ?",
                                 (self.batch_id,))
        return Recorded(self.batch_id, self.count, tuple(self.superseded), dry_run, self.other_versions)


def replay(register: Register, batch: str | None = None, decision: int | None = None
           ) -> list[tuple[int, str]]:
    """Decide recorded decisions again with the stored policy and input: (decision id, "" when identical,
    else what differs). A decision is decided again within its whole batch, as it was recorded (an
    error such as a repeated id depends on the other records)."""
    from .api import policy_from_source

    register.intact()  # before anything is read: a batch id that is not UTF-8 could not even be looked up
    if decision is not None:
        if not 0 < decision <= MAX_ROWID:  # no such row; SQLite could not even be asked (an OverflowError)
            return []
        found = register.db.execute("SELECT batch_id FROM decisions WHERE id = ?", (decision,)).fetchone()
        if found is None:
            return []
        batch = str(found[0])
    if batch is None:
        return []
    head = next(register.decisions(batch=batch), None)  # its first row only: nothing left open if a read fails
    if head is None:
        return []
    policy_row, path, source, traced, kind = register.db.execute(
        "SELECT p.rowid, p.path, p.source, b.traced, b.kind FROM batches b JOIN policies p"
        " ON p.sha256 = b.policy_sha256 WHERE b.id = ?", (batch,)).fetchone()
    policy = register.stored(lambda text: policy_from_source(text, path), source, "policies", policy_row, "source")
    first = head[0]  # the register as the batch saw it: what earlier batches had granted by then

    def earlier(app: Applicant) -> tuple[Earlier, ...]:
        return register.earlier(policy.plan.name.zh, app, before=first)

    out: list[tuple[int, str]] = []

    def compare(did: int, stored: Any, content: dict[str, Any]) -> None:
        if decision is not None and did != decision:
            return
        was = register.stored(json.loads, stored, "decisions", did, "decision")
        is_now = json.loads(json.dumps(content, ensure_ascii=False, sort_keys=True))
        out.append((did, "" if is_now == was else difference(was, is_now)))

    if kind == "json":  # a document, decided whole as it was (it is bounded: limits.MAX_DOCUMENT_BYTES)
        recorded = list(register.decisions(batch=batch))
        records = [register.stored(one_record, record, "decisions", did, "record") for did, record, _ in recorded]
        _, again = policy.run(records, trace=bool(traced), earlier=earlier)
        for (did, _, stored), app in zip(recorded, again.applicants):
            compare(did, stored, app.to_json("zh", trace=bool(traced)))
        return out
    # a stream: each line read again as it was read, and decided as a stream decides it, one at a time (a
    # batch of 100,000 lines held whole took 1.3 GB)
    from .batch import Emitted, Item, decide_stream

    pending: collections.deque[tuple[int, Any]] = collections.deque()

    def items() -> Iterator[Item]:
        for did, record, stored, error, position in register.db.execute(
                "SELECT id, record, decision, input_error, position FROM decisions WHERE batch_id = ? ORDER BY id",
                (batch,)):
            pending.append((did, stored))
            yield Item(position, record=register.stored(one_record, record, "decisions", did, "record"), error=error)

    decide_stream(policy, items(), Emitted(lambda _: None), bool(traced), "zh", earlier,
                  lambda item, app, content, decided: compare(*pending.popleft(), content))
    return out


def difference(was: Any, now: Any, where: str = "$") -> str:
    """The first place two decisions differ, as a path and the two values."""
    if isinstance(was, dict) and isinstance(now, dict):
        for key in sorted(set(was) | set(now)):
            if was.get(key) != now.get(key):
                return difference(was.get(key), now.get(key), f"{where}.{key}")
    if isinstance(was, list) and isinstance(now, list) and len(was) == len(now):
        for i, (a, b) in enumerate(zip(was, now)):
            if a != b:
                return difference(a, b, f"{where}[{i}]")
    return f"{where}: recorded {json.dumps(was, ensure_ascii=False)[:200]}, now {json.dumps(now, ensure_ascii=False)[:200]}"


EXPORT_FIELDS = ("decision", "batch", "recorded_at", "policy_sha256", "engine_version", "applicant", "period",
                 "decision_status", "decision_total", "supersedes", "superseded_by", "project", "measure", "year", "status",
                 "entitlement", "amount", "shares", "row_hash")


def export_parquet(register: Register, path: str) -> None:
    """The export as one Parquet file (Apache Arrow writes it; ``pip install 'jinjiang-dsl[parquet]'``).
    Every column is text, as the register keeps figures: exact, never a binary float."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise RegisterError("Parquet export needs Apache Arrow: pip install 'jinjiang-dsl[parquet]'") from None
    columns: dict[str, list[Any]] = {name: [] for name in EXPORT_FIELDS}
    with contextlib.closing(_export_rows(register)) as rows:
        for row in rows:
            for name, value in zip(EXPORT_FIELDS, row):
                columns[name].append(None if value is None else str(value))
    pq.write_table(pa.table({name: pa.array(values, type=pa.string()) for name, values in columns.items()}), path)


def _export_rows(register: Register) -> Generator[tuple[Any, ...], None, None]:
    """The export's rows, their payer shares as stored — JSON, which JSON Lines writes as such: text put there by
    hand that is not stops the export, naming its row."""
    register.intact()
    for *row, shares, row_hash, award in register.db.execute(
            "SELECT d.id, d.batch_id, b.recorded_at, b.policy_sha256, b.engine_version, d.applicant_id, d.period,"
            " d.status, d.total, d.supersedes, (SELECT later.id FROM decisions later WHERE later.supersedes = d.id),"
            " a.project_id, a.measure, a.year, a.status, a.entitlement, a.amount,"
            " a.shares, d.row_hash, a.rowid FROM decisions d JOIN batches b ON b.id = d.batch_id"
            " LEFT JOIN awards a ON a.decision_id = d.id ORDER BY d.id, a.rowid"):
        if shares is not None:
            register.stored(json.loads, shares, "awards", award, "shares")
        yield (*row, shares, row_hash)


def export(register: Register, write: Any, fmt: str) -> None:
    """Every award of every decision, one row each (a decision without awards as one row), in order. The
    rows are closed here, even when ``write`` fails (a reader gone: ``| head``), not later by the garbage
    collector once the register is closed, which Python would report as an ignored exception."""
    with contextlib.closing(_export_rows(register)) as rows:
        _export(rows, write, fmt)


def _export(rows: Iterator[tuple[Any, ...]], write: Any, fmt: str) -> None:
    import csv
    import io

    from .tables import spreadsheet_cell

    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        # the csv module quotes a cell holding the line terminator, "\n", but not one holding a lone "\r",
        # which every reader takes for a line break: a row with one is quoted whole
        quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(EXPORT_FIELDS)
        write(buffer.getvalue())
        for row in rows:
            buffer.seek(0)
            buffer.truncate()
            cells = ["" if v is None else spreadsheet_cell(v) if isinstance(v, str) else v for v in row]
            (quoted if any(isinstance(v, str) and "\r" in v for v in cells) else writer).writerow(cells)
            write(buffer.getvalue())
        return
    for row in rows:
        item = dict(zip(EXPORT_FIELDS, row))
        item["shares"] = json.loads(item["shares"]) if item["shares"] else None
        write(json.dumps(item, ensure_ascii=False) + "\n")


def _decodes(value: bytes | str | None, codec: str) -> bool:
    """Whether stored text is text: its bytes (a ``bytes``) decode, or a ``str`` read with
    :meth:`Register.tolerant` holds no byte that did not."""
    try:
        if isinstance(value, str):
            value.encode("utf-8")
        elif value is not None:
            value.decode(codec)
    except UnicodeError:
        return False
    return True


def one_record(text: str) -> Any:
    """A stored record read again as evaluation read it (repeated keys, long numbers); ValueError (or
    :class:`DocumentError`) for text that is not one JSON value."""
    found = read_document(f"[{text}]")
    if len(found) != 1:
        raise ValueError(f"not one JSON value but {len(found)}")
    return found[0]


def projects_of(record: str) -> list[dict[str, Any]]:
    """The projects of a stored record (JSON text; ValueError when it is not)."""
    found = json.loads(record)
    projects = found.get("projects") if isinstance(found, dict) else None
    return [p for p in projects if isinstance(p, dict)] if isinstance(projects, list) else []


def project_ids(record: str) -> set[str]:
    """The project ids of a stored record."""
    return {p["id"] for p in projects_of(record) if isinstance(p.get("id"), str)}


def years(app: Applicant) -> list[int]:
    """The years an applicant's record covers (its projects' dates, or its own, and those of the measures it
    claims that are dated by their own): the decision's period."""
    dates = [p.date for p in app.projects if p.date is not None] + ([app.date] if app.date else []) \
        + list(app.measure_dates.values())
    return sorted({d.year for d in dates})


def award_rows(app: Applicant, decision: ApplicantDecision) -> Iterator[tuple[Any, ...]]:
    """Each award of a decision as a row: project, measure, year, status, figures, payer shares, trace."""
    dated = {p.id: p.date for p in app.projects}
    for p in decision.groups():
        for a in p.awards:
            day = dated.get(p.id) if p.id is not None else app.measure_dates.get(a.measure, app.date)
            out = a.to_json("zh")
            year = a.year if a.year is not None else day.year if day is not None else None
            yield (p.id, a.measure, year, a.status, out.get("entitlement"), out.get("amount"),
                   json.dumps(out.get("shares", []), ensure_ascii=False, sort_keys=True),
                   json.dumps(out.get("trace", []), ensure_ascii=False, sort_keys=True))


def hashed(row: tuple[Any, ...], input_error: str | None) -> tuple[Any, ...]:
    """The fields a row's hash covers: a line's own input problem too, when it has one (rows of schema 1
    have none, and keep their hashes)."""
    return row if input_error is None else (*row, input_error)


def canonical_row(row: tuple[Any, ...], awards: list[tuple[Any, ...]]) -> str:
    """What a row's hash covers: its fields and its awards, as JSON."""
    return json.dumps([list(row), [list(a) for a in awards]], ensure_ascii=False, sort_keys=True, default=str)
