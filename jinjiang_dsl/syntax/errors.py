"""Syntax errors a drafter can act on: what was expected, in words, and the likely fix."""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import re
import unicodedata
from decimal import Decimal

import attrs
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..ast import Span
from ..diagnostics import Diagnostic, did_you_mean, source_lines
from ..limits import shorten
from . import keyword_table

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

# Keywords that start an item or a block: met while a '{' is open, its '}' is likely missing.
BLOCK_WORDS = frozenset({"measure", "rule", "policy", "define", "note", "applicant", "project", "example"})


def _keyword(parser: Lark, name: str) -> str | None:
    """The text of a keyword terminal, in its spelling (``REQUIRES`` → ``requires``, ``_ZH_REQUIRES`` → ``条件``),
    else None."""
    chinese = _chinese_spelling(name)
    if chinese is not None:
        return chinese
    return _string_terminals(parser).get(name)


@functools.cache
def _string_terminals(parser: Lark) -> dict[str, str]:
    """Each terminal spelled by a fixed text, by name: looked up for every token of a policy, where a
    search of the grammar's terminals each time took a 1 MiB policy's check 5 s."""
    return {term.name: term.pattern.value for term in parser.terminals if term.pattern.type == "str"}


WORD = re.compile(r"[^\W\d]\w*")


def _word_keyword(parser: Lark, name: str) -> str | None:
    """The text of a keyword spelled like a word (``limit``, ``条件``), else None: punctuation such as
    '=' or '.' is a terminal of the grammar too, but no name could be spelled like it."""
    word = _keyword(parser, name)
    return word if word is not None and WORD.fullmatch(word) else None


def _starts_block(parser: Lark, name: str) -> bool:
    """Whether a terminal is a keyword of BLOCK_WORDS, in either spelling (``example``, ``例子``)."""
    found = keyword_table.by_terminal().get(name)
    return (found.english if found is not None else _keyword(parser, name)) in BLOCK_WORDS


def _chinese_spelling(name: str) -> str | None:
    found = keyword_table.by_terminal().get(name)
    return found.chinese if found is not None else None


def _spelling(parser: Lark, name: str) -> str | None:
    """"zh" or "en" for a keyword terminal spelled like a word, else None (a name, a number, a bracket)."""
    if _chinese_spelling(name) is not None:
        return "zh"
    return "en" if _keyword(parser, name) in keyword_table.english_words() else None


def written_in_chinese(parser: Lark, tokens: list[Token]) -> bool:
    """Whether the keyword read last was spelled in Chinese: messages then name keywords so."""
    return next((s == "zh" for t in reversed(tokens) if (s := _spelling(parser, t.type))), False)


def describe(parser: Lark, name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    word = _keyword(parser, name)
    return f"'{word}'" if word else name.lower()


def _expected_list(parser: Lark, expected: set[str], chinese: bool = False) -> str:
    """What could stand here, keywords in the drafter's spelling (the other spelling's are left out)."""
    spelled = {e for e in expected if _spelling(parser, e) in (None, "zh" if chinese else "en")}
    words = sorted({describe(parser, e) for e in (spelled or expected) if not e.startswith("__")})
    if len(words) > 6:
        words = words[:6] + ["…"]
    return ", ".join(words)


def _span_at(path: str, line: int, column: int, width: int = 1) -> Span:
    return Span(path=path, line=line, column=column, end_line=line, end_column=column + max(width, 1))


def _unclosed_brace(source: str) -> tuple[int, int] | None:
    """Line and column of the last '{' that is never closed (strings and comments skipped)."""
    stack: list[tuple[int, int]] = []
    for lineno, line in enumerate(source_lines(source), 1):
        code = re.sub(r'"(\\.|[^"\\])*"', lambda m: " " * len(m.group()), line)
        code = code.split("#", 1)[0]
        for col, ch in enumerate(code, 1):
            if ch in "{｛":
                stack.append((lineno, col))
            elif ch in "}｝" and stack:
                stack.pop()
    return stack[-1] if stack else None


def keywords(parser: Lark) -> list[str]:
    """Every keyword of the language that is spelled like a word: the English (``measure``, ``requires``)
    and the Chinese (``措施``, ``条件``, ``最高``)."""
    return [
        t.pattern.value
        for t in parser.terminals
        if t.pattern.type == "str" and WORD.fullmatch(t.pattern.value)
    ] + [k.chinese for k in keyword_table.keywords()]


def _tokens_until(parser: Lark, source: str, limit: int | None = None) -> list[Token]:
    """The tokens read before the parse failed, the offending one last when it was read; at most ``limit``."""
    tokens: list[Token] = []
    with contextlib.suppress(UnexpectedInput):  # keeps what was read before a failure
        tokens.extend(itertools.islice(parser.parse_interactive(source).iter_parse(), limit))
    return tokens


SPELLING_TOKENS = 20_000
"""The tokens a policy's keyword spelling is judged on: the twelve measures of a notice, with their examples,
are about 3,300; reading all of a 1 MiB policy's again took seconds."""

LAST_TOKENS = 256
"""The tokens read last that a syntax error's message looks back over (besides the first
:data:`SPELLING_TOKENS`): its own statement's, which the likely fix is read from."""


def parse_keeping_tokens(parser: Lark, source: str) -> tuple[Tree, list[Token]]:
    """Lark's parse, keeping the first :data:`SPELLING_TOKENS` tokens it reads.

    On a syntax error raises :class:`SyntaxFailure`, holding those and the last :data:`LAST_TOKENS`
    read: what a message needs, so that it never reads the policy a second time (a 1 MiB policy failing
    at its end took as long again, 2.5 s)."""
    reading = parser.parse_interactive(source)
    state = reading.parser_state
    tokens = reading.lexer_thread.lex(state)
    head: list[Token] = []
    tail: collections.deque[Token] = collections.deque(maxlen=LAST_TOKENS)
    feed, keep, keep_last = state.feed_token, head.append, tail.append  # once, not once a token
    try:
        for token in itertools.islice(tokens, SPELLING_TOKENS):
            keep(token)  # before it is fed, as the parse fails on it
            feed(token)
        for token in tokens:
            keep_last(token)
            feed(token)
        last = tail[-1] if tail else head[-1] if head else None
        end = Token.new_borrow_pos("$END", "", last) if last is not None else Token("$END", "", 0, 1, 1)
        return state.feed_token(end, True), head
    except UnexpectedInput as exc:
        raise SyntaxFailure(exc, head, [*head, *tail]) from None


class SyntaxFailure(Exception):
    """A parse that failed: Lark's error, the policy's first tokens (its keyword spelling is judged on
    them) and the tokens read before the failure, the offending one last when it was read (only the
    first :data:`SPELLING_TOKENS` and the last :data:`LAST_TOKENS` of them)."""

    def __init__(self, error: UnexpectedInput, head: list[Token], read: list[Token]) -> None:
        super().__init__(error)
        self.error, self.head, self.read = error, head, read


def _glued_keyword(parser: Lark, source: str, path: str, tokens: list[Token]) -> Diagnostic | None:
    """A keyword run into more letters (``amounts``, ``notes``, ``rulex``).

    Where no name may stand, the lexer reads the keyword and leaves the rest as another
    word, so the error lands on the leftover. Report the whole word instead.
    """
    words = keywords(parser)
    pairs = list(itertools.pairwise(tokens[-3:]))
    for a, b in reversed(pairs):
        kw = _keyword(parser, a.type)
        if kw is None or kw not in words or a.end_pos != b.start_pos:
            continue
        rest = re.match(r"\w+", source[b.start_pos :])
        if rest is None:
            continue
        word = kw + rest.group()
        if word in words:
            continue
        guess = did_you_mean(word, words) or kw
        return Diagnostic(
            severity="error",
            message=f"unknown word '{word}'",
            span=_span_at(path, a.line or 1, a.column or 1, len(word)),
            hint=f"did you mean '{guess}'?",
        )
    return None


def _unbalanced_quotes(line: str) -> bool:
    """A '"' left over once the line's quoted texts are taken out: a text closed too early or not at all."""
    code = re.sub(r"\\.", "", line)
    code = re.sub(r'"(\\.|[^"\\])*"', "", code)
    return '"' in code.split("#", 1)[0]


CURLY_QUOTES = "“”＂"
# Both ends of a range have one unit: 10万(含)至20% mixes an amount with a percentage.
RANGE_ENDS = "both ends of a range are amounts or counts (50万(含)至100万, 10家以上), or both percentages (3%(含)至5%)"


def _unbracketed_share(source: str, tokens: list[Token], token: Token) -> str | None:
    """``1万 + 20% of b``: a share on the right of '+' or '×' needs brackets. Returns '20% of b'."""
    if str(token) != "of" or len(tokens) < 2 or tokens[-1].start_pos != token.start_pos:
        return None
    percent = tokens[-2]
    if percent.type != "PERCENT":
        return None
    base = re.match(r"[ \t]*((?:applicant\.|project\.)?\w+)", source[token.end_pos :])
    rate = re.sub(r"\s+", "", str(percent))
    return f"{rate} of {base.group(1) if base else '…'}"


def _invisible(ch: str) -> tuple[str, str] | None:
    """A character that shows as a space or as nothing on the printed line — an input method's full-width space,
    a no-break or zero-width one pasted in: its code point and name, and what to do (None: any other)."""
    if ch and ch not in " \t\r\n" and (ch.isspace() or unicodedata.category(ch) == "Cf"):
        named = f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".strip()
        return named, "write a plain space" if ch.isspace() else "delete it"
    return None


def _look_alike(word: str, guess: str) -> str:
    """Why a word that prints like a keyword is not it: its first letter from another script (Cyrillic 'а')."""
    if not guess.isascii():
        return ""
    odd = next((ch for ch in word if not ch.isascii() and ch.isalpha()), None)
    if odd is None:
        return ""
    return f" '{odd}' is U+{ord(odd):04X} {unicodedata.name(odd, '')}, not a Latin letter"


def _misspelt_status(parser: Lark, tokens: list[Token], expected: set[str]) -> tuple[Token, str] | None:
    """``expect grantd 20万``: a status (or ``total``, ``error``) typed wrong reads as the project's id (and 20
    as a measure number), so the parse fails a word or a line later. Returns the word and the one it is close to."""
    if not {"GRANTED", "ZH_GRANTED"} & expected:
        return None
    start = next((i for i in range(len(tokens) - 1, -1, -1) if tokens[i].type in ("EXPECT", "_ZH_EXPECT")), None)
    if start is None or start + 2 >= len(tokens) or tokens[start + 1].type != "NAME":
        return None  # the word right after 'expect', unless it is the one the parse stopped at
    word = tokens[start + 1]
    forms = ["total", "error"] if tokens[start].type == "EXPECT" else []  # 'expect totl 100万' reads the same way
    guess = did_you_mean(str(word), [w for e in expected if (w := _word_keyword(parser, e))] + forms)
    return (word, guess) if guess else None


def _sharing_a_phrase(word: str, expected: set[str]) -> list[keyword_table.Keyword]:
    """The Chinese keywords that may stand here and share two characters in a row with a Chinese word not
    a keyword (一次性 and 每家限一次): a notice's own wording, where the language spells it otherwise."""
    if word.isascii():
        return []
    pairs = {word[i:i + 2] for i in range(len(word) - 1)}
    return sorted((k for e in expected if (k := keyword_table.by_terminal().get(e)) is not None
                   and any(p in k.chinese for p in pairs)), key=lambda k: k.english)


CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


def _chinese_number(text: str) -> int | None:
    """The number a run of Chinese numerals at the start of ``text`` writes (三 → 3, 十二 → 12, 三十六 → 36)."""
    run = re.match(r"[零一二两三四五六七八九十]+", text)
    if run is None:
        return None
    tens, _, ones = run.group().partition("十")
    if "十" not in run.group():
        return CHINESE_DIGITS[tens] if len(tens) == 1 else None
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (CHINESE_DIGITS[tens] if tens else 1) * 10 + (CHINESE_DIGITS[ones] if ones else 0)


def _fraction_of_a_whole_number(source: str, path: str, tokens: list[Token], token: Token,
                                before: Token | None) -> Diagnostic | None:
    """``for 1.5 years``, ``quota 1.5``: a fraction where the grammar reads a whole number (INT)."""
    if before is None or before.type != "INT" or before.end_pos != token.start_pos:
        return None
    fraction = re.match(r"[0-9]+", source[token.end_pos or 0:])
    if fraction is None:
        return None
    number = f"{before}.{fraction.group()}"
    span = _span_at(path, before.line or 1, before.column or 1, len(number))
    unit = source[(token.end_pos or 0) + len(fraction.group()):].split(None, 1)[:1]
    months = Decimal(number) * 12
    keyword = tokens[-3] if len(tokens) >= 3 else None
    if keyword is not None and keyword.type in ("FOR", "_ZH_FOR") and unit and unit[0] in ("years", "年") \
            and months == months.to_integral_value():
        spelled = f"{keyword} {int(months)} {'个月' if unit[0] == '年' else 'months'}"
        hint = f"a length is whole years or months: write '{spelled}'"
    else:
        hint = "write a whole number here, e.g. 1 or 2"
    return Diagnostic(severity="error", message=f"'{number}' is not a whole number", span=span, hint=hint)


def _cap_in_other_words(parser: Lark, source: str, token: Token, expected: set[str]) -> str | None:
    """The figure of a cap written in words the language does not read ('up to 100万', 'max 100万')
    where 'at most' may stand, or None."""
    if not {"AT", "_ZH_AT_MOST"} & expected or token.type not in ("NAME", "UP") or token.start_pos is None:
        return None
    if "\n" in source[:token.start_pos].rstrip(" \t")[-1:]:
        return None  # a word that starts a line starts a statement: 'limit 100万 …' misplaced, not a cap
    rest = source[token.end_pos or 0:].split("\n", 1)[0]
    figure = re.match(r"(?:[ \t]+(?:to|at))?[ \t]*(" + parser.get_terminal("QUANTITY").pattern.to_regexp() + ")", rest)
    return figure.group(1) if figure else None


def _unfinished_quota(tokens: list[Token]) -> int | None:
    """Where a quota statement starts, when the parse failed in it before naming its group ('quota 10',
    'quota 10 per year'); None elsewhere."""
    for i in range(len(tokens) - 1, max(len(tokens) - 6, -1), -1):
        if tokens[i].type in ("QUOTA", "_ZH_QUOTA"):
            rest = [str(t) for t in tokens[i + 2:-1]]
            written = i + 1 < len(tokens) and tokens[i + 1].type == "INT"
            return i if written and rest in ([], ["per"], ["per", "year"]) else None
    return None


# The statements that stand in one kind of block only, by the terminal that starts them (English and
# Chinese), with the phrase a message names them by.
HEADER_ONLY = {"ISSUED": "issued", "DATED": "dated by", "CURRENCY": "currency", "ROUNDING": "rounding",
               "BY": "by reference", "IN": "in force"}
RULE_ONLY = {"VALIDITY": "validity", "HIGHEST": "highest not stacked", "LIMIT": "limit", "APPLIES": "applies to",
             "OTHER": "other policy", "TIES": "ties go to lower measure"}
MEASURE_ONLY = {"AMOUNT": "amount", "REQUIRES": "requires", "BENEFICIARY": "beneficiary", "QUOTA": "quota",
                "CAP": "cap", "WHEN": "when", "EARMARK": "earmark", "ONCE": "once per applicant",
                "PAID": "paid in instalments", "CROSS": "cross check"}
_SECOND_WORD = {"BY": "reference", "IN": "force"}  # 'by' and 'in' start those statements only when followed so


def _misplaced_statement(token: Token, source: str, span: Span) -> Diagnostic | None:
    """A statement written in a block it does not belong to: 'validity' in a measure, 'amount' in a rule,
    'in force' outside the header. None for any other unexpected token."""
    if re.match(r"[ \t]*[:：=]", source[token.end_pos or 0:]):
        return None  # 'limit: money' names an input: the keyword-as-a-name message says so
    kind = token.type.removeprefix("_ZH_").split("_")[0]
    chinese = keyword_table.by_terminal().get(token.type)
    if kind in _SECOND_WORD and chinese is None:
        following = re.match(r"[ \t]+(\w+)", source[token.end_pos or 0:])
        if following is None or following.group(1) != _SECOND_WORD[kind]:
            return None
    where = next((where for table, where in ((HEADER_ONLY, "header"), (RULE_ONLY, "rule"), (MEASURE_ONLY, "measure"))
                  if kind in table and (chinese is None or chinese.english.startswith(table[kind].split()[0]))), None)
    if where is None:
        return None
    phrase = chinese.chinese if chinese is not None else {**HEADER_ONLY, **RULE_ONLY, **MEASURE_ONLY}[kind]
    if where == "header":
        return Diagnostic(severity="error", message=f"'{phrase}' belongs in the policy header", span=span,
                          hint='write it inside policy "…" / "…" { … }'
                          + ("; a rule checks the header's window with 'validity'" if kind == "IN" else ""))
    if where == "rule":
        return Diagnostic(severity="error", message=f"'{phrase}' is a rule across measures, not a line of a measure",
                          span=span, hint=f'write it in a block of its own: rule R1 "…" / "…" {{ clause …  {phrase}'
                          + (" … }" if kind != "VALIDITY" else " }"))
    return Diagnostic(severity="error", message=f"'{phrase}' belongs in a measure, not in a rule across measures",
                      span=span, hint=f'write it in the measure it is about: measure 1 "…" / "…" {{ clause …  {phrase} … }}')


def _unscoped_rule(tokens: list[Token], token: Token) -> tuple[str, str] | None:
    """('highest', '') or ('limit', its figure) when the parse failed before the rule said its scope
    ('per applicant per year'); None elsewhere."""
    done = tokens[:-1] if tokens and tokens[-1].start_pos == token.start_pos else tokens
    words = [str(t) for t in done[-3:]]
    for n in range(min(len(words), 3), -1, -1):
        head, tail = done[:len(done) - n], words[len(words) - n:]
        if tail not in ([], ["per"], ["per", "year"], ["per", "project"], ["per", "applicant"]):
            continue
        if head and head[-1].type in ("STACKED", "_ZH_HIGHEST_NOT_STACKED"):
            return "highest", ""
        if len(head) >= 2 and head[-1].type == "QUANTITY" and head[-2].type in ("LIMIT", "_ZH_LIMIT"):
            return "limit", str(head[-1])
    return None


def _decimal_number(parser: Lark, source: str, tokens: list[Token], token: Token) -> str | None:
    """``200000.`` or ``.5万``: a decimal point missing a digit on one side. Returns the number as it
    should be written (``200000``, ``0.5万``), or None where the '.' is not part of a number."""
    before = tokens[-2] if len(tokens) >= 2 and tokens[-1].start_pos == token.start_pos else None
    digits = str(before) if before is not None and before.end_pos == token.start_pos else ""
    after = source[token.end_pos or 0 :]
    digit_follows = after[:1].isascii() and after[:1].isdigit()
    if not re.search(r"[0-9]$", digits) and not digit_follows:
        return None
    written = (digits or "0") + ("." if digit_follows else "") + after
    number = re.match(parser.get_terminal("QUANTITY").pattern.to_regexp(), written)
    return number.group() if number else None


def syntax_diagnostic(exc: UnexpectedInput, parser: Lark, source: str, path: str, read: list[Token]) -> Diagnostic:
    """One friendly diagnostic for a Lark error; ``read``: the tokens read before it (see :class:`SyntaxFailure`)."""
    unclosed = _unclosed_brace(source)
    lines = source_lines(source)
    tokens: list[Token] = []

    if not isinstance(exc, UnexpectedEOF):
        tokens = list(read)
        if isinstance(exc, UnexpectedToken) and exc.token.type != "$END" and (
                not tokens or tokens[-1].start_pos != exc.token.start_pos):
            tokens.append(exc.token)  # read by the lexer's fallback, never handed to the parser
        glued = _glued_keyword(parser, source, path, tokens)
        if glued is not None:
            return glued

    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        ch = source[pos] if pos < len(source) else ""
        span = _span_at(path, exc.line, exc.column)
        hint = None
        invisible = _invisible(ch)
        if invisible is not None:
            return Diagnostic(severity="error", message=f"invisible character {invisible[0]}", span=span,
                              hint=invisible[1])
        number = re.search(r"\d+(\.\d+)?[ \t]*$", source[:pos]) if ch in "%％" else None
        if ch == '"':
            hint = "a quoted text is not closed: add the closing '\"'"
        elif ch in CURLY_QUOTES:
            hint = 'use straight quotes "…" around texts'  # “…” may stand inside a text, not around it
        elif number is not None:
            # "20%" where only an amount or a count may stand (a tier bound, a quota).
            text = number.group().strip() + ch
            start = exc.column - (pos - number.start())
            bound_words = {"SUFFIX_LOWER", "SUFFIX_UPPER", "INCL", "_RANGE"}
            return Diagnostic(
                severity="error",
                message=f"a percentage '{text}' cannot stand here",
                span=_span_at(path, exc.line, start, exc.column + 1 - start),
                hint=RANGE_ENDS
                if bound_words & set(exc.allowed or ())
                else "write the number without '%'",
            )
        elif ch in "%％":
            hint = "a percentage is written right after its number, e.g. 20%"
        elif ch.isdigit():  # a digit, but not 0-9: full-width, Arabic-Indic, superscript …
            hint = "numbers are written with the digits 0-9" + (
                f": write '{unicodedata.digit(ch)}'" if unicodedata.digit(ch, None) is not None else "")
        elif exc.allowed:
            hint = f"expected {_expected_list(parser, exc.allowed, written_in_chinese(parser, tokens))}"
        return Diagnostic(severity="error", message=f"unexpected character {ch!r}", span=span, hint=hint)

    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        last = len(lines)
        while last > 1 and not lines[last - 1].strip():
            last -= 1  # point at the end of the last line with text, not at blank lines after it
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
            span=_span_at(path, last, len(lines[last - 1]) + 1),
            hint=f"expected {_expected_list(parser, set(expected), written_in_chinese(parser, tokens))}" if expected else None,
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

    after = source[token.end_pos] if token.end_pos is not None and token.end_pos < len(source) else ""
    invisible = _invisible(after)
    if invisible is not None:  # 'amo\u200bunt': the word stops at a character the printed line does not show
        return Diagnostic(severity="error", message=f"invisible character {invisible[0]}",
                          span=_span_at(path, token.end_line or 1, token.end_column or 1), hint=invisible[1])

    open_here = _unclosed_brace(source[: token.start_pos]) if _starts_block(parser, token.type) else None
    if open_here and "_RBRACE" in expected:  # the innermost block open here, not the file's last: examples nest
        line, col = open_here
        return Diagnostic(
            severity="error",
            message=f"missing '}}' before '{text}'",
            span=span,
            hint=f"the '{{' at line {line}, column {col} is not closed",
        )

    if "PER" in expected and len(tokens) >= 3 and (
            [str(t) for t in tokens[-4:-2]] == ["sum", "of"] or tokens[-3].type == "_ZH_SUM_OF"):
        summed, sum_of = str(tokens[-2]), "sum of" if tokens[-3].type == "OF" else str(tokens[-3])
        per_year = "per applicant per year" if sum_of == "sum of" else _keyword(parser, "_ZH_PER_APPLICANT_PER_YEAR")
        return Diagnostic(severity="error", message=f"'{sum_of} {summed}' does not say over what it adds up",
                          span=span, hint=f"write: {sum_of} {summed} {per_year}")

    share = _unbracketed_share(source, tokens, token)
    if share is not None:
        return Diagnostic(severity="error", message=f"unexpected '{text}'", span=span,
                          hint=f"put a share of a base in brackets: ({share})")

    before = tokens[-2] if len(tokens) >= 2 and tokens[-1].start_pos == token.start_pos else None
    if text in ("of", _keyword(parser, "_ZH_OF")) and before is not None and before.type == "QUANTITY":
        # '5万 of employees': 'of' takes a share of a base; a sum per head is a product
        base = re.match(r"[ \t]*((?:applicant\.|project\.)?\w+)", source[token.end_pos or 0:])
        name, gap = base.group(1) if base else "…", "" if text != "of" else " "  # 20%的投资额 joins
        return Diagnostic(severity="error", message=f"unexpected '{text}'", span=span,
                          hint=f"'{text}' follows a percentage (20%{gap}{text}{gap}{name}); {before} for each one "
                               f"is a product: '{before} × {name}'")
    cap = _cap_in_other_words(parser, source, token, expected)
    if cap is not None:  # 'up to 100万', 'max 100万', 'capped at 100万': the notice's 最高 in other words
        return Diagnostic(severity="error", message=f"unexpected '{text}'", span=span,
                          hint=f"a cap on the amount is written ', at most {cap}'")
    if "REDUCE" in expected and expected <= {"REDUCE", "_COMMA", "_ZH_REDUCE_IN_ORDER", "_ZH_REDUCE_PRO_RATA"}:
        # 'cap 50万 per applicant per year' and a line break: the parse fails only at the next statement
        where = _span_at(path, before.end_line or 1, before.end_column or 1) if before is not None else span
        return Diagnostic(severity="error", message="the annual cap does not say how grants over it are reduced",
                          span=where, hint="end the line with ', reduce in input order' (or ', reduce pro rata')")

    if token.type in ("AMONG", "_ZH_AMONG") and not {"AMONG", "_ZH_AMONG"} & expected:
        return Diagnostic(severity="error", message=f"'{text}' cannot stand here", span=span,
                          hint="'among' ends a rule's 'highest not stacked … per year' or 'limit … per applicant "
                               "per year' line, listing the measures the rule is about")

    quota = _unfinished_quota(tokens) if text != "." else None  # 'quota 1.5' is a fraction, said below
    if quota is not None:  # 'quota 10 per year', 'quota 10': a notice's 每个…最多N个 needs its group
        end = tokens[-2] if tokens[-1].start_pos == token.start_pos else tokens[-1]
        return Diagnostic(severity="error", message="the quota does not say what it is counted per",
                          span=_span_at(path, end.end_line or 1, end.end_column or 1),
                          hint=f"write 'quota {tokens[quota + 1]} per NAME per year', NAME the text or one-of input "
                               "whose every value the quota counts (每个…最多N个)")

    scoped = _unscoped_rule(tokens, token)
    if scoped is not None:  # 'highest not stacked', 'limit 100万 per year': the rule's scope is missing
        end = tokens[-2] if tokens[-1].start_pos == token.start_pos else tokens[-1]
        where = _span_at(path, end.end_line or 1, end.end_column or 1)
        if scoped[0] == "limit":
            return Diagnostic(severity="error", message="the limit does not say per what", span=where,
                              hint=f"write 'limit {scoped[1]} per applicant per year'")
        return Diagnostic(severity="error", message="'highest not stacked' does not say what it compares", span=where,
                          hint="write 'highest not stacked per project per year' (the highest measure per project) "
                               "or 'highest not stacked per applicant per year' (per applicant)")

    once = next((i for i in range(len(tokens) - 2, -1, -1) if tokens[i].type not in ("PER", "APPLICANT")), None)
    if once is not None and tokens[once].type == "ONCE" and before is not None and expected <= {"PER", "APPLICANT", "YEAR"}:
        # 'once' (or 'once per') and a line break: the parse fails only at the next statement
        return Diagnostic(severity="error", message="'once' does not say over what period",
                          span=_span_at(path, before.end_line or 1, before.end_column or 1),
                          hint="write 'once per applicant' (one grant ever) or 'once per applicant per year'")

    if (token.type == "PER" or text == _keyword(parser, "_ZH_PER_APPLICANT_PER_YEAR")) and "CAP" in expected \
            and before is not None and before.type == "QUANTITY":
        # 'amount …, at most 50万 per applicant per year': the notice's 每家企业每年最高50万元
        return Diagnostic(severity="error", message=f"unexpected '{text}'", span=span,
                          hint=f"a cap per applicant per year is a line of its own: 'cap {before} per applicant "
                               "per year' followed by ', reduce in input order'; 'at most' caps each project alone")

    if token.type == "NAME" and before is not None and before.type == "PERCENT" and "OF" not in expected:
        # 'amount 5% rd_expense': the share of a base needs its 'of'
        return Diagnostic(severity="error", message=f"unexpected '{text}'", span=span,
                          hint=f"a share of a base is written with 'of': '{before} of {text}'")

    run_on = max((w for e in expected if (w := _chinese_spelling(e)) and text.startswith(w) and text != w),
                 key=len, default=None) if token.type == "NAME" else None
    if run_on is not None:  # 条件是否制造业: the keyword ends only where no letter follows
        return Diagnostic(severity="error", message=f"unknown word '{text}'", span=span,
                          hint=f"a keyword is followed by a space before a name: '{run_on} {text[len(run_on):]}'")

    status = _misspelt_status(parser, tokens, expected)
    if status is not None:
        word, intended = status
        return Diagnostic(severity="error", message=f"unknown word '{word}'", span=_span_at(
            path, word.line or 1, word.column or 1, len(word)), hint=f"did you mean '{intended}'?")

    if token.type == "NAME" or _word_keyword(parser, token.type):
        keywords = [w for e in expected if (w := _keyword(parser, e))]
        guess = did_you_mean(text, keywords)
        if guess and guess != text:
            return Diagnostic(
                severity="error",
                message=f"unknown word '{text}'",
                span=span,
                hint=f"did you mean '{guess}'?{_look_alike(text, guess)}",
            )

    near = _sharing_a_phrase(text, expected) if token.type == "NAME" else []
    if near:  # '一次性' where a statement may start: the notice's word for a keyword written otherwise
        chinese = written_in_chinese(parser, tokens)
        said = " or ".join(f"'{k.chinese}' ({k.english})" if chinese else f"'{k.english}' ({k.chinese})" for k in near)
        return Diagnostic(severity="error", message=f"unknown word '{text}'", span=span, hint=f"did you mean {said}?")

    misplaced = _misplaced_statement(token, source, span)
    if misplaced is not None:
        return misplaced

    if _word_keyword(parser, token.type) and "NAME" in expected:
        return Diagnostic(
            severity="error",
            message=f"'{text}' is a keyword, so it cannot be a name",
            span=span,
            hint="choose another name",
        )

    if text == "=" and "COMP_OP" in expected:
        turned = after if after in "<>" and after else ""  # '=<' and '=>' written for '<=' and '>='
        return Diagnostic(severity="error", message="unexpected '='", span=span,
                          hint=f"did you mean '{turned}='?" if turned else "did you mean '=='?")

    whole = _fraction_of_a_whole_number(source, path, tokens, token, before) if text == "." else None
    if whole is not None:
        return whole
    if "INT" in expected and (digits := _chinese_number(source[token.start_pos or 0:])) is not None:
        # 有效期三年, as the notice writes it: the language reads digits
        rest = re.sub(r"^[零一二两三四五六七八九十]+\s*", "", source[token.start_pos or 0:])
        months = rest.startswith(("个月", "months"))
        unit = "" if before is None or before.type not in ("FOR", "_ZH_FOR") else (
            (" 个月" if months else " 年") if str(before) == "有效期" else (" months" if months else " years"))
        return Diagnostic(severity="error", message=f"unexpected '{text}'", span=span,
                          hint=f"write the number in digits: '{before} {digits}{unit}'" if unit
                          else f"write the number in digits: {digits}")
    decimal = _decimal_number(parser, source, tokens, token) if text == "." else None
    if decimal is not None:
        return Diagnostic(severity="error", message="unexpected '.'", span=span,
                          hint=f"a decimal point needs a digit on each side: write '{decimal}'")

    if token.type == "STRING" and "SLASH" in expected and before is not None and not (
            1 <= span.line <= len(lines) and _unbalanced_quotes(lines[span.line - 1])):
        # '"省级项目" "a provincial project"', '省级财政 "provincial treasury"': the English after its '/'
        return Diagnostic(severity="error", message=f"unexpected '{shorten(text)}'", span=span,
                          hint=f"an English name follows a '/': {shorten(str(before))} / {shorten(text)}")

    if token.type == "PERCENT" and "QUANTITY" in expected and "PERCENT" not in expected:
        return Diagnostic(
            severity="error",
            message=f"a percentage '{text}' cannot stand here",
            span=span,
            hint=RANGE_ENDS,
        )

    hint = f"expected {_expected_list(parser, expected, written_in_chinese(parser, tokens))}"
    if 1 <= span.line <= len(lines) and _unbalanced_quotes(lines[span.line - 1]):
        hint = "a quoted text on this line is not closed where it should be: check its '\"' marks"
    return Diagnostic(
        severity="error",
        message=f"unexpected '{text}'",
        span=span,
        hint=hint,
    )


QUOTED = re.compile(r"'([^'\n]+)'")


def respelled(diagnostics: list[Diagnostic], parser: Lark, source: str,
              head: list[Token] | None = None) -> list[Diagnostic]:
    """The diagnostics with the keywords they quote spelled as the policy mostly spells its own:
    ``'once per applicant per year'`` reads ``'每家每年限一次'`` in a policy written in Chinese keywords.
    ``head``: the policy's first tokens, when its parse kept them (otherwise they are read again)."""
    chinese = [attrs.evolve(d, message=_in_chinese(d.message), hint=_in_chinese(d.hint) if d.hint else d.hint)
               for d in diagnostics]
    if chinese == diagnostics:
        return diagnostics  # no keyword quoted: the policy is not read again (a 1 MiB one takes seconds)
    tokens = _tokens_until(parser, source, SPELLING_TOKENS) if head is None else head[:SPELLING_TOKENS]
    spellings = [_spelling(parser, t.type) for t in tokens]
    return chinese if spellings.count("zh") > spellings.count("en") else diagnostics


def _in_chinese(text: str) -> str:
    """Every quoted run of keywords in ``text`` in its Chinese spelling; other quoted words (names) kept."""
    table = keyword_table.by_english()
    longest = max(len(k) for k in table)

    def quoted(match: re.Match[str]) -> str:
        words = match.group(1).split(" ")
        out, i = [], 0
        while i < len(words):
            for n in range(min(longest, len(words) - i), 0, -1):
                phrase = table.get(tuple(words[i:i + n]))
                if phrase is not None and phrase.english != "date":  # the one keyword a name may be
                    out.append(phrase.chinese)
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return f"'{' '.join(out)}'"

    return QUOTED.sub(quoted, text)
