"""Loading the grammar and building the LALR parser, once per process."""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

from lark import Lark

from ..cache import private_folder
from .keyword_table import terminal_definitions

GRAMMAR_NAME = "policy.lark"


def grammar_text() -> str:
    """The grammar shipped in the package (or the repository's ``grammar/`` in a source checkout),
    with the Chinese keyword terminals its table defines."""
    shipped = resources.files("jinjiang_dsl") / "grammar" / GRAMMAR_NAME
    if shipped.is_file():
        text = shipped.read_text(encoding="utf-8")
    else:
        text = (Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_NAME).read_text(encoding="utf-8")
    return text + "\n// Chinese keywords, from keywords.tsv\n" + terminal_definitions()


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
        cache=cache_file() or False,
    )


def cache_file() -> str | None:
    """Where the parser tables are cached (a pickle): in the private cache folder, or nowhere."""
    folder = private_folder()
    return None if folder is None else os.path.join(folder, "parser.lark-cache")
