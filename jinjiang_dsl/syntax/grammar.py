"""Loading the grammar and building the LALR parser, once per process."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from lark import Lark

GRAMMAR_NAME = "policy.lark"


def grammar_text() -> str:
    """The grammar shipped in the package, or the repository's ``grammar/`` in a source checkout."""
    shipped = resources.files("jinjiang_dsl") / "grammar" / GRAMMAR_NAME
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    in_repo = Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_NAME
    return in_repo.read_text(encoding="utf-8")


@functools.cache
def parser() -> Lark:
    """The LALR parser. Building its tables takes about half a second, so Lark caches
    them on disk (keyed by the grammar's hash) and later processes load them in milliseconds."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )
