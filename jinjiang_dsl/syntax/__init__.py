"""Parsing: source text → :class:`jinjiang_dsl.ast.Policy`, or located diagnostics."""

from __future__ import annotations

import functools
import re

from lark import Tree

from ..ast import Policy, Span
from ..diagnostics import Diagnostic, PolicyError, sort_key
from ..limits import MAX_EXPR_DEPTH, MAX_POLICY_BYTES, MAX_SYNTAX_DEPTH
from . import keyword_table
from .errors import SyntaxFailure, keywords, parse_keeping_tokens, respelled, syntax_diagnostic
from .grammar import parser
from .transform import build_policy

__all__ = ["parse", "parse_tree", "parser", "respelled"]


def parse(source: str, path: str = "<policy>") -> Policy:
    """Parse one policy source. Raises :class:`PolicyError` with every syntax problem found."""
    return parse_tree(source, path)[1]


def parse_tree(source: str, path: str = "<policy>") -> tuple[Tree, Policy]:
    """The policy and the parser's tree it was built from, whose tokens the language server reads.

    Bounded work: a source over :data:`MAX_POLICY_BYTES` is refused unread, and a parse tree
    nested deeper than :data:`MAX_SYNTAX_DEPTH` is reported where it gets too deep, before
    the recursive tree walk could run out of stack."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_POLICY_BYTES:
        msg = f"the policy is {size:,} bytes; a policy may have at most {MAX_POLICY_BYTES:,}"
        raise PolicyError([Diagnostic(severity="error", message=msg, span=_at(path, 1, 1))], {path: source})
    half = _LONE_SURROGATE.search(source)
    if half is not None:  # no file read as UTF-8 holds one; a str from Python or JSON ("\ud800") may
        read = as_read(source)
        span = _at(path, read.count("\n", 0, half.start()) + 1, half.start() - read.rfind("\n", 0, half.start()))
        raise PolicyError([Diagnostic(severity="error", span=span, hint="delete it, or type the character it was half of",
                                      message=f"U+{ord(half.group()):04X} is half of a surrogate pair, not a character")],
                          {path: source})
    return _parse(as_read(source), path)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a pair in a str is one character: what is left is alone


def as_read(source: str) -> str:
    """The source as the parser reads it: a lone \\r ends a line, as in an editor (and a comment with it).
    The length is kept, so that positions in it are positions in the source."""
    return re.sub(r"\r(?!\n)", "\n", source)


def _parse(source: str, path: str) -> tuple[Tree, Policy]:
    """Every error comes with its keywords spelled as the policy spells its own (:func:`respelled`),
    judged on the tokens the parse kept: the policy is read once, whatever fails."""
    taken = _keyword_as_name(source, path)
    if taken is not None:
        raise PolicyError(respelled([taken], parser(), source), {path: source})
    try:
        tree, head = parse_keeping_tokens(parser(), source)
    except SyntaxFailure as failure:
        found = syntax_diagnostic(failure.error, parser(), source, path, failure.read)
        raise PolicyError(respelled([found], parser(), source, failure.head), {path: source}) from None
    deep = _too_deep(tree)
    if deep is not None:
        msg = f"this nests more than {MAX_SYNTAX_DEPTH} levels deep (an expression may nest at most {MAX_EXPR_DEPTH})"
        hint = "split the expression: several 'requires' lines, or 'define' a part of it as a name"
        where = _at(path, deep.meta.line, deep.meta.column) if not deep.meta.empty else _at(path, 1, 1)
        found = Diagnostic(severity="error", message=msg, span=where, hint=hint)
        raise PolicyError(respelled([found], parser(), source, head), {path: source})
    policy, diagnostics = build_policy(tree, path, source)
    if diagnostics:
        raise PolicyError(respelled(sorted(diagnostics, key=sort_key), parser(), source, head), {path: source})
    return tree, policy


@functools.cache
def _declarations() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], str]:
    """Where names are declared: an inputs block's opening (``applicant {``), a line in it
    (``  name: type``), a definition (``define name =``), the keywords in either spelling; and
    the Chinese spelling of ``date``, which a name may be as well (``日期: 日期``)."""
    spelled = {k.english: re.escape(k.chinese) for k in keyword_table.keywords()}
    define = f"(?:define|{spelled['define']})"
    block = re.compile(rf"^(?:applicant|project|{spelled['applicant']}|{spelled['project']})[ \t]*[{{｛]")
    declaration = re.compile(rf"^[ \t]*(?:{define}[ \t]+)?([^\W\d]\w*)[ \t]*[:=：]")
    return block, declaration, re.compile(rf"^[ \t]*{define}[ \t]+([^\W\d]\w*)"), spelled["date"]


def _keyword_as_name(source: str, path: str) -> Diagnostic | None:
    """An input or definition named like a keyword, located at its declaration. The parser reads a word
    as a keyword only where one may stand, so such a name would pass in one place and fail in another
    (after a label, inside an expression); it is refused outright, the same everywhere. ``date`` (日期) is
    the one keyword a name may be (``date: date``, the qualifying date)."""
    block, declaration, define, date = _declarations()
    reserved = set(keywords(parser())) - {"date", date}
    inside = False
    for number, line in enumerate(source.splitlines(), 1):
        if block.match(line):
            inside = True
            continue
        if line.startswith(("}", "｝")):
            inside = False
        found = (declaration if inside else define).match(line)
        if found is not None and found.group(1) in reserved:
            word, column = found.group(1), found.start(1) + 1
            return Diagnostic(severity="error", message=f"'{word}' is a keyword, so it cannot be a name",
                              span=Span(path=path, line=number, column=column, end_line=number,
                                        end_column=column + len(word)),
                              hint=f"choose another name, e.g. {word}_value (docs/language.md §13 lists the keywords)")
    return None


def _too_deep(tree: Tree) -> Tree | None:
    """The first subtree (in source order) standing deeper than the bound, found without recursion."""
    stack: list[tuple[Tree, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_SYNTAX_DEPTH:
            return node
        stack.extend((c, depth + 1) for c in reversed(node.children) if isinstance(c, Tree))
    return None


def _at(path: str, line: int, column: int) -> Span:
    return Span(path=path, line=line, column=column, end_line=line, end_column=column + 1)
