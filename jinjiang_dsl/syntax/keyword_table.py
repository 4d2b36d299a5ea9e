"""The keywords' Chinese spellings, read from ``grammar/keywords.tsv``: the grammar's terminals for
them, the English word a kept one stands for, and the conversion table ``fmt --keywords`` uses."""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path

import attrs

TABLE_NAME = "keywords.tsv"
# A Chinese keyword ends where no letter follows (digits may: 上限100万); "joins" keywords end anywhere.
ENDS = r"(?![^\W\d])"


@attrs.frozen
class Keyword:
    """One row of the table: a phrase in both spellings, and the grammar terminal of the Chinese one."""

    terminal: str
    english: str
    chinese: str
    joins: bool  # may be written against the name after it

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.english.split())


def table_text() -> str:
    """The table shipped in the package, or the repository's ``grammar/`` in a source checkout."""
    shipped = resources.files("jinjiang_dsl") / "grammar" / TABLE_NAME
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / TABLE_NAME).read_text(encoding="utf-8")


@functools.cache
def keywords() -> tuple[Keyword, ...]:
    rows = []
    for line in table_text().splitlines():
        if line.strip() and not line.startswith("#"):
            terminal, english, chinese, *flags = line.split("\t")
            rows.append(Keyword(terminal, english, chinese, "joins" in flags))
    return tuple(rows)


def terminal_definitions() -> str:
    """The Lark definitions of the Chinese keyword terminals, appended to the grammar."""
    return "".join(f"{k.terminal}.2: /{re.escape(k.chinese)}{'' if k.joins else ENDS}/\n" for k in keywords())


@functools.cache
def by_terminal() -> dict[str, Keyword]:
    """Each Chinese keyword by its grammar terminal (``ZH_GRANTED`` → 给予, which reads as granted)."""
    return {k.terminal: k for k in keywords()}


@functools.cache
def by_english() -> dict[tuple[str, ...], Keyword]:
    return {k.words: k for k in keywords()}


@functools.cache
def english_words() -> frozenset[str]:
    """Every word that is, or is part of, an English keyword phrase."""
    return frozenset(w for k in keywords() for w in k.words)
