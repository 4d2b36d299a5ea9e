"""The formatter: one canonical layout for a policy, keeping every comment, string and word as written.

It works on the text, line by line, knowing only where strings and comments are — so it keeps what
a syntax tree would drop (comments, blank-line paragraphs) and never touches what the notice says.
The layout:

- two spaces of indentation per level of ``{ … }``; a line that starts with ``}`` closes its level;
  a line that goes on the statement above (it starts with ``/``, a quoted label, ``and`` or ``or``,
  or follows a line ending in ``:`` or ``=``) one level more; a comment line is indented as the
  code around it;
- no trailing spaces; tabs outside strings become spaces; ``\\r\\n`` becomes ``\\n``;
- at most one blank line in a row, none at the start or end of the file, right after ``{`` or right
  before ``}``; the file ends with one newline;
- outside strings and comments: one space between words; the full-width ``，`` and ``、`` written
  by Chinese input methods become ``, `` and ``：`` becomes ``: `` (the language reads them alike);
  no space before ``,``; two spaces before a comment at the end of a line.

Strings, comments, amounts (``50万元``), boundary words (``20家以上``) and the notice's brackets
(``50万元（含）``) are kept as written: they are the policy's words, shown in explanations.
:func:`format_source` is idempotent, and the result parses to the same policy (checked on every
call: a formatted text that would parse differently is refused, never written).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from . import ast
from .syntax import parse

SPACES = re.compile(r" {2,}")
WIDE_COMMA = re.compile(r"，|(?<![一二三四五六七八九十])、")  # 一、 opens a clause id, and stays
COMMA_SPACE = re.compile(r",(?![ \n)\]}])(?!(?<=[0-9],)[0-9])")  # not inside 1,000,000


def _split(line: str) -> tuple[list[tuple[str, bool]], str]:
    """A line as pieces of code and strings (``(text, is_string)``), and its comment (or "")."""
    pieces: list[tuple[str, bool]] = []
    code: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            pieces.append(("".join(code), False))
            code = []
            pieces.append((line[i:j + 1], True))
            i = j + 1
            continue
        if ch == "#":
            pieces.append(("".join(code), False))
            return pieces, line[i:]
        code.append(ch)
        i += 1
    pieces.append(("".join(code), False))
    return pieces, ""


def _code(text: str) -> str:
    """Code outside strings: full-width separators as their ASCII twins, one space between words."""
    text = WIDE_COMMA.sub(", ", text.replace("\t", " ").replace("：", ": "))
    text = SPACES.sub(" ", COMMA_SPACE.sub(", ", text))
    return re.sub(r" +,", ",", text)


def _depth_change(pieces: list[tuple[str, bool]]) -> tuple[int, bool]:
    """How a line's braces change the nesting, and whether it starts by closing one."""
    delta = sum(p.count("{") - p.count("}") for p, is_string in pieces if not is_string)
    first = next((p.lstrip() for p, _ in pieces if p.strip()), "")
    return delta, first.startswith("}")


CONTINUES = ("/", '"', "and ", "or ", "且", "或")  # a line that starts so goes on the statement above


def format_source(source: str) -> str:
    """The canonical layout of a policy's text (see the module's docstring)."""
    out: list[str] = []
    depth = 0
    previous = ""  # the last line of code, to tell a continuation
    for raw in source.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        pieces, comment = _split(raw)
        code = "".join(p if is_string else _code(p) for p, is_string in pieces).strip()
        delta, closes = _depth_change(pieces)
        level = max(depth - 1, 0) if closes else depth
        if not code and not comment:
            if out and out[-1] != "" and not out[-1].endswith("{"):
                out.append("")
            depth = max(depth + delta, 0)
            continue
        if closes and out and out[-1] == "":
            out.pop()  # no blank line right before a closing brace
        text = code + ("  " + comment.rstrip() if code and comment else comment.rstrip())
        if code and not closes and (code.startswith(CONTINUES) or previous.endswith((":", "="))):
            level += 1  # a label, an English twin or an amount on a line of its own: one level in
        out.append("  " * level + text)
        depth = max(depth + delta, 0)
        previous = code or previous
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def meaning(source: str, path: str = "<policy>") -> Any:
    """What a policy says, without where it says it: its syntax tree with every position left out."""
    tree = parse(source, path)
    return attrs.asdict(attrs.evolve(tree, source=""), recurse=True,
                        filter=lambda field, value: not isinstance(value, ast.Span))


class ChangesMeaning(Exception):
    """The layout would change what a policy says: never written (a fault of the formatter's: report it)."""


def format_checked(source: str, path: str = "<policy>") -> str:
    """:func:`format_source`, having checked that the result says the same as the source (raises
    :class:`jinjiang_dsl.diagnostics.PolicyError` when the source does not parse)."""
    before = meaning(source, path)
    formatted = format_source(source)
    if formatted != source and meaning(formatted, path) != before:
        raise ChangesMeaning(f"{path}: formatting would change what the policy says; it was left as it is "
                             "(please report this with the file)")
    return formatted
