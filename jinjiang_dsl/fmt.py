"""The formatter: one canonical layout for a policy, keeping every comment, string and word as written.

It works on the text, line by line, knowing only where strings and comments are — so it keeps what
a syntax tree would drop (comments, blank-line paragraphs) and never touches what the notice says.
The layout:

- two spaces of indentation per level of ``{ … }``; a line that starts with ``}`` closes its level;
  a line that goes on the statement above (it starts with ``/``, a quoted label, ``and`` or ``or``,
  or follows a line ending in ``:`` or ``=``, or — in a block, not a list of values — in ``,`` or an
  operator) one level more; a comment line is indented as the code around it;
- no trailing spaces; tabs outside strings become spaces; ``\\r\\n`` becomes ``\\n``;
- at most one blank line in a row, none at the start or end of the file, right after ``{`` or right
  before ``}``; the file ends with one newline;
- outside strings and comments: one space between words; the full-width ``，`` and ``、`` written
  by Chinese input methods become ``, `` and ``：`` becomes ``: `` (the language reads them alike);
  no space before ``,``; two spaces before a comment at the end of a line.

Strings, comments, amounts (``50万元``), boundary words (``20家以上``), the notice's brackets
(``50万元（含）``) and the comma between an interval's bounds (``[5万,8万)``) are kept as written: they
are the policy's words, shown in explanations.
:func:`format_source` is idempotent, and the result parses to the same policy (checked on every
call: a formatted text that would parse differently is refused, never written).

:func:`convert_keywords` (``fmt --keywords zh|en``) respells every keyword by the table of
``grammar/keywords.tsv``, working on the parser's own tokens, so that a name is never taken for a
keyword and nothing but the keywords changes.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
from lark import Token
from lark.exceptions import UnexpectedInput

from . import ast
from .diagnostics import PolicyError
from .syntax import as_read, parse, parser
from .syntax.errors import syntax_diagnostic
from .syntax.keyword_table import Keyword, by_english, by_terminal, english_words

SPACES = re.compile(r" {2,}")
# A comma between the bounds of an interval's notation is kept as written: [5万,8万) and [5万，8万) are the
# drafter's words, shown in explanations as they are.
NOTATION_END = r"(?![^,，、\[\]()（）［］{}]*[)\]）］])"
WIDE_COMMA = re.compile(r"(?:，|(?<![一二三四五六七八九十])、)" + NOTATION_END)  # 一、 opens a clause id, and stays
COMMA_SPACE = re.compile(r",(?![ \n)\]}])(?!(?<=[0-9],)[0-9])" + NOTATION_END)  # not inside 1,000,000


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
GOES_ON = (",", "，", "+", "-", "*", "×", "÷")  # a statement's line that ends so goes on to the next
LIST_OPENS = re.compile(r"(\bone of|\bin|以下之一|属于)\s*\{$")  # a brace that opens a list of values


def _blocks(opened: list[bool], pieces: list[tuple[str, bool]], code: str) -> None:
    """Follow the braces a line opens and closes: True for a block's (the line ends with ``{``), False for a
    list's (``one of {``, ``in {a, b,``, ``project { x: 1,``), where a line ending in a comma is the next
    item, not a statement going on."""
    for piece, is_string in pieces:
        for ch in "" if is_string else piece:
            if ch == "{":
                opened.append(False)
            elif ch == "}" and opened:
                opened.pop()
    if code.endswith("{") and opened and not LIST_OPENS.search(code):
        opened[-1] = True


def format_source(source: str) -> str:
    """The canonical layout of a policy's text (see the module's docstring)."""
    out: list[str] = []
    depth = 0
    previous = ""  # the last line of code, to tell a continuation
    opened: list[bool] = []  # the braces open, innermost last: a block's or a list's
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
        in_block = not opened or opened[-1]
        if code and not closes and (code.startswith(CONTINUES) or previous.endswith((":", "="))
                                    or in_block and previous.endswith(GOES_ON)):
            level += 1  # a label, an English twin, an amount or the rest of a statement on a line of its own
        _blocks(opened, pieces, code)
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


class Unconvertible(Exception):
    """A keyword phrase the conversion cannot rewrite in place (it is broken over lines); the message says where."""


def tokens_of(source: str, path: str) -> list[Token]:
    """The source's tokens as the parser reads them (the contextual lexer tells keywords from names)."""
    tokens: list[Token] = []
    try:
        tokens.extend(parser().parse_interactive(as_read(source)).iter_parse())
    except UnexpectedInput as exc:  # what was read before the failure is kept: its message reads it
        raise PolicyError([syntax_diagnostic(exc, parser(), source, path, tokens)], {path: source}) from None
    return tokens


def is_english_keyword(token: Token) -> bool:
    return token.type != "NAME" and token.type.upper() == token.type and str(token) in english_words() \
        and not token.type.lstrip("_").startswith("ZH_")


def convert_keywords(source: str, to: str, path: str = "<policy>") -> str:
    """The source with every keyword spelled in ``to`` ("zh" or "en"); names, strings, comments,
    amounts and layout kept. A run of English keywords is read as the longest phrases of the table
    (``once per applicant per year`` → ``每家每年限一次``); a Chinese keyword is one phrase."""
    chinese = by_terminal()
    edits: list[tuple[int, int, str]] = []
    tokens = tokens_of(source, path)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if to == "en" and token.type in chinese:
            edits.append((_start(token), _end(token), chinese[token.type].english))
        elif to == "zh" and is_english_keyword(token):
            phrase, taken = _longest_phrase(tokens, i)
            if phrase is not None:
                last = tokens[i + taken - 1]
                gap = source[_start(token):_end(last)]
                if "\n" in gap or "#" in gap:
                    raise Unconvertible(f"{path}:{token.line}:{token.column}: the phrase '{phrase.english}' is "
                                        "broken over lines; join it onto one line to convert it")
                edits.append((_start(token), _end(last), phrase.chinese))
                i += taken
                continue
        i += 1
    out, at = [], 0
    for start, end, text in edits:
        before, after = source[at:start], source[end:end + 1]
        # Words are kept apart: 上限100万 → cap 100万, 20%的投资额 → 20% of 投资额; and the other way,
        # noteA-0 → 解释 A-0 (a Chinese keyword followed by a letter would be read as part of a name).
        if before[-1:] and (_joins(before[-1]) if to == "en" else _word(before[-1])):
            text = " " + text
        if after and (_joins(after) if to == "en" else _word(after) and not after.isdigit()):
            text += " "
        out += [before, text]
        at = end
    return "".join(out) + source[at:]


def _start(token: Token) -> int:
    return token.start_pos or 0  # a token read from the source always has its position


def _end(token: Token) -> int:
    return token.end_pos or 0


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _joins(ch: str) -> bool:
    """A character an English word cannot be written against (a letter, a digit, a percent sign)."""
    return ch.isalnum() or ch in "_%％"


def _longest_phrase(tokens: list[Token], i: int) -> tuple[Keyword | None, int]:
    """The table's longest English phrase spelled by the keyword tokens from ``i`` on, and its length."""
    table = by_english()
    longest = max(len(k) for k in table)
    run = []
    for token in tokens[i:i + longest]:
        if not is_english_keyword(token):
            break
        run.append(str(token))
    for n in range(len(run), 0, -1):
        if tuple(run[:n]) in table:
            return table[tuple(run[:n])], n
    return None, 1


def format_checked(source: str, path: str = "<policy>", keywords: str | None = None) -> str:
    """:func:`format_source`, with the keywords first spelled in ``keywords`` ("zh" or "en") if given,
    having checked that the result says the same as the source (raises
    :class:`jinjiang_dsl.diagnostics.PolicyError` when the source does not parse)."""
    before = meaning(source, path)
    formatted = format_source(convert_keywords(source, keywords, path) if keywords else source)
    if formatted != source and meaning(formatted, path) != before:
        raise ChangesMeaning(f"{path}: formatting would change what the policy says; it was left as it is "
                             "(please report this with the file)")
    return formatted
