"""Loading the grammar and building the LALR parser, once per process."""

from __future__ import annotations

import functools
import os
import stat
from importlib import resources
from pathlib import Path

from lark import Lark

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
    """Where the parser tables are cached: a folder only this user can write, or nowhere.

    Lark's own default is a predictable name in the shared temporary folder, and the cache is
    a pickle: another local user could plant one there and run code in our process. So the
    cache lives in the user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``), and is used
    only when that folder belongs to this user and no one else can write to it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "jinjiang-dsl")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder, follow_symlinks=False)
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if not private or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        return None
    return os.path.join(folder, "parser.lark-cache")
