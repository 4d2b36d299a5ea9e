"""The documented bounds on what a policy or an application may hold (docs/security.md).

Policies and applications come from outside. Every bound here is checked on the text,
before a value is built from it, so no input can make the tool hang or exhaust memory;
going over a bound is a located error, never a crash. The command line can raise the
input bounds (``--max-line-bytes``, ``--max-projects``); the policy bounds are fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")

# ---------------------------------------------------------------- policies

MAX_POLICY_BYTES = 1 << 20
"""A policy source of more than 1 MiB is refused (a notice of twelve measures with examples takes about 50 KB)."""

MAX_SYNTAX_DEPTH = 120
"""How deep the parse tree of a policy may nest before it is even read (parentheses, 非 …)."""

MAX_EXPR_DEPTH = 48
"""How deep one expression may nest, definitions it uses included: ``a and b and c`` is 3 deep."""

MAX_EXPR_NODES = 2000
"""How many names, numbers and operators one expression may hold, definitions it uses included."""

MAX_LITERAL = Decimal(10) ** 15
"""A number written in a policy (100万, 0.01元, 50家) is below 10¹⁵ …"""

MAX_LITERAL_DECIMALS = 6
"""… with at most 6 decimal places (after 万/亿 is applied; 20% is 0.2)."""

MAX_MEASURE_ID = 24
"""A measure id (``1.1``, ``12.3.4``) has at most 24 characters."""

MAX_MEASURE_PARTS = 256
"""A measure has at most 256 requirements, 256 overrides, 256 tiers in a table, 256 cross checks
and 256 definitions: each becomes code in one function, and Python compiles a function whole."""

# ---------------------------------------------------------------- applications

MAX_MONEY = Decimal(10) ** 15
"""Money is below 10¹⁵ 元 (a thousand trillion) …"""

MAX_MONEY_DECIMALS = 20
"""… with at most 20 decimal places that matter (zeros after the last are not counted: 1.000…0 is 1)."""

MAX_COUNT = 10**9
"""A count is a whole number below 10⁹."""

MAX_NUMBER_TEXT = 64
"""A JSON number longer than 64 characters is never converted; it is an input error."""

MAX_LINE_BYTES = 1 << 20
"""Default bound on one JSON Lines line or CSV record (``--max-line-bytes``)."""

MAX_PROJECTS = 1000
"""Default bound on the projects of one applicant (``--max-projects``)."""

MAX_DOCUMENT_BYTES = 16 << 20
"""A JSON document (not a stream) is read, evaluated and explained whole, in about 90 times its
size of memory, so it is bounded: 16 MiB (about 45,000 applicants). Use JSON Lines beyond."""

MAX_PARQUET_COLUMNS = 1000
"""A Parquet file of applications has at most 1,000 columns: a record's are its id, name, projects and the
policy's inputs (the Jinjiang notice has 5), and DuckDB's native path holds about 55 KB a column."""

MAX_ID = 128
"""An applicant's or a project's id has at most 128 characters (a unified social credit code has 18): the
contract says only that it is required and unique, and an id is written into every error, decision and register
row. A longer one is an input error at its path, never cut."""

MAX_NAME = 256
"""An applicant's name has at most 256 characters (a registered enterprise name has a few dozen); a longer
one is an input error at its path, as for an id."""

MAX_NESTING = 64
"""A record (an applicant's object) nests lists and objects at most 64 levels deep; the contract's nest 4 (its
projects' facts). JSON's decoder nests as deep as Python's stack lets it, about a thousand levels, and what
reads a record after it (the register's copy, a replay) walks it again from deeper in the stack."""

MAX_TEXT = 256
"""A fact of a ``text`` input (an industry, a region) has at most 256 characters, as a name: an explanation
quotes it in every sentence about it. A longer one is an input error at its path."""

MAX_SHOWN = 40
"""An input value quoted in an error message is cut to 40 characters."""

MAX_ERRORS = 100
"""The errors one record reports: the first 100, then how many more (one unknown field or column
per value, say, would otherwise make the output many times the input)."""


def capped(errors: list[T], more: Callable[[int], T], uncounted: int = 0) -> list[T]:
    """A record's errors as it reports them: the first :data:`MAX_ERRORS`, then ``more(n)`` saying how many
    more there are. ``uncounted``: errors after ``errors`` that a reader counted without keeping them (a CSV
    applicant of many rows would otherwise hold one per row)."""
    if len(errors) + uncounted <= MAX_ERRORS:
        return errors
    return [*errors[:MAX_ERRORS], more(len(errors) + uncounted - MAX_ERRORS)]


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """Text as an error message quotes it: at most ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text)} characters)"


class TooLarge(ValueError):
    """A file over its size bound; it was not read beyond the bound."""


def read_bounded(path: str, limit: int) -> str:
    """A UTF-8 text file (a leading byte-order mark dropped), read only if it is within ``limit`` bytes.

    Raises :class:`TooLarge`, ``OSError`` or ``UnicodeDecodeError``."""
    return decode_text(read_bounded_bytes(path, limit))


def decode_text(data: bytes) -> str:
    """UTF-8 text, a leading byte-order mark dropped. Raises ``UnicodeDecodeError``."""
    return data.decode("utf-8").removeprefix("\ufeff")


def read_bounded_bytes(path: str, limit: int) -> bytes:
    """A file's bytes, read only if there are at most ``limit`` of them."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"larger than {limit:,} bytes")
    return data
