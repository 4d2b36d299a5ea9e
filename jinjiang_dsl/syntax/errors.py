"""Syntax errors a drafter can act on: what was expected, in words, and the likely fix."""

from __future__ import annotations

import re

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..ast import Span
from ..diagnostics import Diagnostic, did_you_mean

# How a terminal is named in a message; keywords are shown as themselves.
TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": 'a quoted text "…"',
    "QUANTITY": "a number such as 100万 or 10家",
    "PERCENT": "a percentage such as 20%",
    "DATE": "a date such as 2023-05-01",
    "INT": "a whole number",
    "MEASURE_ID": "a measure number such as 1.1",
    "RULE_ID": "a rule id such as R1",
    "NOTE_ID": "a note id such as I-1",
    "CLAUSE": "a clause reference such as 一(一)",
    "SUFFIX_LOWER": "以上",
    "SUFFIX_UPPER": "以下 or 以内",
    "PREFIX_LOWER": "超过 or 不少于",
    "PREFIX_UPPER": "不满 or 不超过",
    "INCL": "(含)",
    "_RANGE": "至 or —",
    "OPEN_BRACKET": "'[' or '('",
    "CLOSE_BRACKET": "']' or ')'",
    "COMP_OP": "a comparison (>=, >, …)",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'×' or '/'",
    "_LBRACE": "'{'",
    "_RBRACE": "'}'",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "_COLON": "':'",
    "_COMMA": "','",
    "INFINITY": "∞",
    "$END": "the end of the file",
}

BLOCK_KEYWORDS = {"MEASURE", "RULE", "POLICY", "DEFINE", "NOTE", "APPLICANT", "PROJECT"}


def _keyword(parser: Lark, name: str) -> str | None:
    """The literal text of a keyword terminal (``REQUIRES`` → ``requires``), else None."""
    for term in parser.terminals:
        if term.name == name and term.pattern.type == "str":
            return term.pattern.value
    return None


def describe(parser: Lark, name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    word = _keyword(parser, name)
    return f"'{word}'" if word else name.lower()


def _expected_list(parser: Lark, expected: set[str]) -> str:
    words = sorted({describe(parser, e) for e in expected if not e.startswith("__")})
    if len(words) > 6:
        words = words[:6] + ["…"]
    return ", ".join(words)


def _span_at(path: str, line: int, column: int, width: int = 1) -> Span:
    return Span(path=path, line=line, column=column, end_line=line, end_column=column + max(width, 1))


def _unclosed_brace(source: str) -> tuple[int, int] | None:
    """Line and column of the last '{' that is never closed (strings and comments skipped)."""
    stack: list[tuple[int, int]] = []
    for lineno, line in enumerate(source.splitlines(), 1):
        code = re.sub(r'"(\\.|[^"\\])*"', lambda m: " " * len(m.group()), line)
        code = code.split("#", 1)[0]
        for col, ch in enumerate(code, 1):
            if ch in "{｛":
                stack.append((lineno, col))
            elif ch in "}｝" and stack:
                stack.pop()
    return stack[-1] if stack else None


def syntax_diagnostic(exc: UnexpectedInput, parser: Lark, source: str, path: str) -> Diagnostic:
    """One friendly diagnostic for a Lark error."""
    unclosed = _unclosed_brace(source)

    if isinstance(exc, UnexpectedCharacters):
        ch = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else ""
        span = _span_at(path, exc.line, exc.column)
        hint = None
        if ch == '"':
            hint = "a quoted text is not closed: add the closing '\"'"
        elif ch in "%％":
            hint = "a percentage is written right after its number, e.g. 20%"
        elif exc.allowed:
            hint = f"expected {_expected_list(parser, exc.allowed)}"
        return Diagnostic(severity="error", message=f"unexpected character {ch!r}", span=span, hint=hint)

    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        lines = source.splitlines() or [""]
        last = len(lines)
        if unclosed:
            line, col = unclosed
            return Diagnostic(
                severity="error",
                message="missing '}': this '{' is never closed",
                span=_span_at(path, line, col),
                hint="add '}' where the block ends",
            )
        expected = getattr(exc, "expected", None) or set()
        return Diagnostic(
            severity="error",
            message="the file ends in the middle of a statement",
            span=_span_at(path, last, len(lines[-1]) + 1),
            hint=f"expected {_expected_list(parser, set(expected))}" if expected else None,
        )

    assert isinstance(exc, UnexpectedToken)
    token: Token = exc.token
    expected = set(exc.expected)
    span = Span(
        path=path,
        line=token.line or 1,
        column=token.column or 1,
        end_line=token.end_line or token.line or 1,
        end_column=token.end_column or (token.column or 1) + 1,
    )
    text = str(token)

    if unclosed and token.type in BLOCK_KEYWORDS and "_RBRACE" in expected:
        line, col = unclosed
        return Diagnostic(
            severity="error",
            message=f"missing '}}' before '{text}'",
            span=span,
            hint=f"the '{{' at line {line}, column {col} is not closed",
        )

    if token.type == "NAME" or _keyword(parser, token.type):
        keywords = [w for e in expected if (w := _keyword(parser, e))]
        guess = did_you_mean(text, keywords)
        if guess and guess != text:
            return Diagnostic(
                severity="error",
                message=f"unknown word '{text}'",
                span=span,
                hint=f"did you mean '{guess}'?",
            )

    if token.type == "PERCENT" and "QUANTITY" in expected and "PERCENT" not in expected:
        return Diagnostic(
            severity="error",
            message=f"a percentage '{text}' cannot stand here",
            span=span,
            hint="a tier bound is an amount or a count, e.g. 50万 or 10家",
        )

    return Diagnostic(
        severity="error",
        message=f"unexpected '{text}'",
        span=span,
        hint=f"expected {_expected_list(parser, expected)}",
    )
