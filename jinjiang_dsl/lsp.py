"""The language server (``jinjiang-dsl lsp``, on pygls): what the checker says, as the drafter types.

Diagnostics (the checker's, with their spans and hints), hover (an input's labels, type and default;
a measure's clause and quote; a rule's), go to definition and find references (inputs, definitions,
measures, rules: the parser's tokens, not the text), completion (keywords, inputs, measure ids, boundary words), an outline of measures,
rules and examples (read from the headers while the text does not parse), formatting through :mod:`jinjiang_dsl.fmt`, and each
example's outcome as a code lens. It speaks the protocol over standard I/O.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

import attrs
from lark import Token, Tree
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import ServerTextPosition, TextDocument

from . import __version__, ast
from .api import Policy
from .check import CheckedPolicy, check
from .diagnostics import Diagnostic, PolicyError, source_lines
from .examples import run_all
from .fmt import ChangesMeaning, format_checked
from .syntax import keyword_table, parse_tree, parser
from .syntax.errors import keywords


class Protocol(LanguageServerProtocol):
    """pygls's protocol, which leaves a request unanswered when its parameters are not the protocol's
    (a negative position, a missing field): the editor waited for it for ever. It is answered with the error."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "jsonrpc" in data and "method" in data and isinstance(data.get("id"), (int, str)):
                self._send_response(data["id"], error=lsp.ResponseError(exc.code, exc.message))
            raise


# The editor sends the whole text with each change: pygls applies an incremental one to lines split by
# str.splitlines, which also breaks at a form feed or U+2028, where no editor does; past one, an edit landed
# a line off and the server's copy of the text differed from the editor's, unseen.
server = LanguageServer("jinjiang-dsl", __version__, protocol_cls=Protocol,
                        text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
BOUNDARY_WORDS = ("以上", "及以上", "以下", "以内", "超过", "不满", "(含)", "至")
# The parser's tokens that declare a symbol, and those that use one, by the rule they stand in: a NAME
# in a `name` is a use, one in `in {…}`, `kind: enterprise` or a payer of `shared … by` is a value.
DECLARES = {("input_decl", "NAME"), ("define", "NAME"), ("measure", "MEASURE_ID"), ("rule", "RULE_ID")}
USES = {("name", "NAME"), ("fact", "NAME"), ("expect", "MEASURE_ID"), ("among", "MEASURE_ID")}
KINDS = {"NAME": "name", "MEASURE_ID": "measure", "RULE_ID": "rule"}


class Lines:
    """A document's text and lines as the checker reads them, and the position encoding agreed with the client.

    The checker counts columns in characters (code points); the protocol, in the client's units
    (UTF-16 unless agreed otherwise), where a character beyond the BMP (😀, 𠀀) is two. A leading
    byte-order mark is dropped, as ``jinjiang-dsl check`` drops it, yet stays in the client's line 0.
    Every position the server reads or sends goes through here, so these are never mixed."""

    def __init__(self, document: TextDocument) -> None:
        self.text = document.source.removeprefix("\ufeff")
        self.path = document.path
        self.lines = source_lines(self.text)
        self.codec = document.position_codec
        self.bom = self.codec.client_num_units(document.source[:len(document.source) - len(self.text)])

    def position(self, line: int, column: int) -> lsp.Position:
        """A checker line and column (from 1) in the client's units."""
        found = self.codec.position_to_client_units(self.lines, ServerTextPosition(line - 1, column - 1))
        return lsp.Position(found.line, found.character + self.bom) if found.line == 0 else found

    def range(self, span: ast.Span) -> lsp.Range:
        """A checker span (the end column past the last) as a protocol range.

        A span ending on its own line is at least one character wide, so an editor shows it; one ending
        on a later line ends at its own end column, which says nothing of where it started."""
        end_column = span.end_column if span.end_line > span.line else max(span.end_column, span.column + 1)
        return lsp.Range(self.position(span.line, span.column), self.position(max(span.end_line, span.line), end_column))

    def at(self, position: lsp.Position) -> tuple[int, int]:
        """A client's position as the checker's line and column (from 1)."""
        character = max(position.character - self.bom, 0) if position.line == 0 else position.character
        found = self.codec.position_from_client_units(self.lines, lsp.Position(position.line, character))
        return found.line + 1, found.character + 1


def diagnostics(lines: Lines, checked: Iterable[Diagnostic]) -> list[lsp.Diagnostic]:
    """The checker's diagnostics, each with its hint."""
    found = []
    for d in checked:
        message = d.message + (f"\n{d.hint}" if d.hint else "")
        severity = lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning
        found.append(lsp.Diagnostic(lines.range(d.span), message, severity=severity, source="jinjiang-dsl"))
    return found


Symbol = tuple[str, str, str]
"""("name", an input's or a definition's, the id of the measure whose own definition it is or ""),
("measure", an id, "") or ("rule", an id, "")."""


@attrs.frozen
class Occurrence:
    """A token that declares or uses a symbol."""

    symbol: Symbol
    span: ast.Span
    declares: bool


def occurrences(tree: Tree, path: str) -> tuple[Occurrence, ...]:
    """Where each symbol is declared and used, read from the parser's tokens, not the text: so a value
    (`kind: enterprise`), a number (`shared 1:1`) or a keyword written against a name (`20%的` before a name)
    is never taken for a name. A measure's own definition is seen in that measure only, where it
    stands before an input or a top-level definition of its name; an example's fact names an input."""
    found = []
    for item in (c for c in tree.children if isinstance(c, Tree)):
        measure = next((str(t) for t in item.children if isinstance(t, Token) and t.type == "MEASURE_ID"), "") \
            if item.data == "measure" else ""
        own = {str(t) for d in item.children if isinstance(d, Tree) and d.data == "define"
               for t in d.children if isinstance(t, Token) and t.type == "NAME"} if measure else set()
        for node in item.iter_subtrees_topdown():
            for token in node.children:
                if isinstance(token, Token) and ((node.data, token.type) in DECLARES | USES):
                    word = str(token)
                    scope = measure if token.type == "NAME" and node.data != "fact" and word in own else ""
                    span = ast.Span(path=path, line=token.line or 1, column=token.column or 1,
                                    end_line=token.end_line or 1, end_column=token.end_column or 1)
                    found.append(Occurrence((KINDS[token.type], word, scope), span, (node.data, token.type) in DECLARES))
    return tuple(sorted(found, key=lambda o: (o.span.line, o.span.column)))


@attrs.frozen
class Parsed:
    """The last text of a document that parsed: its policy, and where each symbol stands in it."""

    lines: list[str]
    policy: ast.Policy
    occurrences: tuple[Occurrence, ...]

    def now(self, lines: Lines) -> list[Occurrence]:
        """The occurrences where they stand in the document now: while it does not parse, those on the
        lines not changed since it did, moved with them (a line typed in above shifts them down)."""
        if lines.lines == self.lines:
            return list(self.occurrences)
        moved = _moved(self.lines, lines.lines)
        return [attrs.evolve(o, span=attrs.evolve(o.span, line=moved[o.span.line], end_line=moved[o.span.end_line]))
                for o in self.occurrences if o.span.line in moved and o.span.end_line in moved]


MATCHED = 1_000_000  # the most pairs of changed lines compared: difflib compares each with each (0.1 s)


def _moved(before: list[str], after: list[str]) -> dict[int, int]:
    """Each line (from 1) of ``before`` still in ``after``, and its number there. The lines above the first
    change and below the last keep their text; between them, difflib matches lines when the stretch is short
    enough. On the whole of a long document it compared every line with every other of the same text
    (a 1 MiB policy with thousands of blank lines held the server for minutes)."""
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    moved = {n: n for n in range(1, head + 1)} | {len(before) - t: len(after) - t for t in range(tail)}
    changed, typed = before[head:len(before) - tail], after[head:len(after) - tail]
    if len(changed) * len(typed) <= MATCHED:
        matcher = difflib.SequenceMatcher(None, changed, typed, autojunk=False)
        moved |= {head + a + i + 1: head + b + i + 1 for a, b, size in matcher.get_matching_blocks() for i in range(size)}
    return moved


_parsed: dict[str, Parsed] = {}  # the last text of each document that parsed


@attrs.frozen
class Read:
    """The text of a document last parsed: whether it parsed (``_parsed`` then holds it), or its syntax errors."""

    text: str
    parsed: bool
    errors: tuple[Diagnostic, ...] = ()


_read: dict[str, Read] = {}


def _parse(ls: LanguageServer, uri: str) -> tuple[Lines, Read] | None:
    """The document as it stands now, parsed unless this very text already was. A request answers from the
    latest text: the check waits for the typing to pause, and a hover on the line just typed found nothing
    until it ran. Parsing alone is quick (the Jinjiang policy's 38 KB, some 35 ms); the check waits."""
    document = ls.workspace.text_documents.get(unquote(uri))  # as the workspace keys them
    if document is None:
        return None  # not open: the workspace would read the file from disk (unbounded: /dev/zero; or missing)
    lines = Lines(document)
    read = _read.get(uri)
    if read is not None and read.text == lines.text:
        return lines, read
    try:
        tree, policy = parse_tree(lines.text, lines.path)
    except PolicyError as exc:
        read = Read(lines.text, False, tuple(exc.diagnostics))  # the last text that parsed is kept: hover goes on
    else:
        _parsed[uri] = Parsed(lines.lines, policy, occurrences(tree, lines.path))
        read = Read(lines.text, True)
    _read[uri] = read
    return lines, read


def _check(ls: LanguageServer, uri: str) -> tuple[Lines, tuple[Diagnostic, ...], CheckedPolicy | None] | None:
    """The document's diagnostics as it stands now, and the checked policy when it parses (None when not open)."""
    if (parsed := _parse(ls, uri)) is None:
        return None
    lines, read = parsed
    if not read.parsed:
        return lines, read.errors, None
    checked = check(_parsed[uri].policy)
    return lines, checked.diagnostics, checked


def _refresh(ls: LanguageServer, uri: str) -> None:
    if (checked := _check(ls, uri)) is None:
        return
    lines, found, _ = checked
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics(lines, found)))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    _refresh(ls, params.text_document.uri)


QUIET = 0.2  # seconds without an edit before a document is checked again
_pending: dict[str, asyncio.TimerHandle] = {}  # each document's check waiting for its typing to pause


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    """Checked once the typing pauses, on the last version: a check per keystroke (0.1–0.3 s each) queued
    behind one another and kept every answer waiting (sixty quick edits held a hover 18 s)."""
    uri = params.text_document.uri
    _cancel(uri)
    _pending[uri] = asyncio.get_running_loop().call_later(QUIET, _settled, ls, uri)


def _cancel(uri: str) -> None:
    """The document's check that waits for its typing to pause, if any, called off."""
    waiting = _pending.pop(uri, None)
    if waiting is not None:
        waiting.cancel()


def _settled(ls: LanguageServer, uri: str) -> None:
    del _pending[uri]
    _refresh(ls, uri)


@server.feature(lsp.SHUTDOWN)
def shutdown(ls: LanguageServer, params: None) -> None:
    """No check waiting for a pause in the typing runs after the server has answered that it shuts down."""
    for uri in list(_pending):
        _cancel(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
    """A closed document is not checked again (a check still waiting would read the file on disk, or fail on an
    unsaved buffer), and what the editor showed of it is cleared."""
    uri = params.text_document.uri
    _cancel(uri)
    _parsed.pop(uri, None)
    _read.pop(uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _about(policy: ast.Policy, symbol: Symbol) -> str | None:
    """What to say of a symbol on hover, or None when nothing declares it."""
    kind, word, scope = symbol
    if scope:
        defines = next((m.defines for m in policy.measures if m.id == scope), ())
        return next((_defined(f, f" of measure {scope}") for f in defines if f.name == word), None)
    if kind == "name":
        for d in policy.inputs:
            if d.name == word:
                label = f"{d.label.zh} / {d.label.en or d.label.zh}" if d.label else d.name
                default = " · when left out: its default" if d.default is not None else \
                    " · required" if d.required else ""
                register = " · the decision register may supply it" if d.from_register else ""
                return f"**{label}**\n\n{d.scope} input `{d.name}`: {d.type.kind}{default}{register}"
        for f in policy.defines:
            if f.name == word:
                return _defined(f, "")
    items: list[ast.Measure | ast.Rule] = [*policy.measures] if kind == "measure" else \
        [*policy.rules] if kind == "rule" else []
    for m in items:
        if m.id == word:
            quote = f"\n\n> {m.quote.text}" if m.quote else ""
            clause = f" — clause {m.clause.ref}" if m.clause else ""
            return f"**{kind} {m.id}** {m.title.zh} / {m.title.en or m.title.zh}{clause}{quote}"
    return None


def _defined(define: ast.Define, where: str) -> str:
    """A definition on hover: its name, whose it is, and its labels."""
    label = f" — {define.label.zh} / {define.label.en or define.label.zh}" if define.label else ""
    return f"definition `{define.name}`{where}{label}"


def _symbol_at(ls: LanguageServer, uri: str, position: lsp.Position) -> tuple[Lines, Parsed, Occurrence, list[Occurrence]] | None:
    """The document, its last parse, the symbol's token under the cursor and every symbol's token as they stand now."""
    opened = _parse(ls, uri)
    parsed = _parsed.get(uri)
    if opened is None or parsed is None:
        return None
    lines = opened[0]
    line, column = lines.at(position)
    found = parsed.now(lines)
    here = next((o for o in found if o.span.line == line and o.span.column <= column <= o.span.end_column), None)
    return (lines, parsed, here, found) if here else None


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: LanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    """What a name stands for; or, on a keyword, its spelling in the other language."""
    at = _symbol_at(ls, params.text_document.uri, params.position)
    about = _about(at[1].policy, at[2].symbol) if at else _keyword_at(ls, params.text_document.uri, params.position)
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, about)) if about else None


QUOTED = re.compile(r'"(?:\\.|[^"\\\n])*"|#.*')  # a text or a comment: no keyword inside


@functools.cache
def _keyword_spellings() -> tuple[tuple[re.Pattern[str], keyword_table.Keyword], ...]:
    """Each keyword's two spellings as they stand in a line: an English phrase's words apart, not inside a
    longer word; a Chinese one ending where the grammar ends it (before no letter, unless it joins a name)."""
    found = []
    for k in keyword_table.keywords():
        english = r"[ \t]+".join(re.escape(w) for w in k.words)
        found.append((re.compile(rf"(?<!\w){english}(?!\w)"), k))
        found.append((re.compile(rf"(?<![^\W\d]){re.escape(k.chinese)}{'' if k.joins else keyword_table.ENDS}"), k))
    return tuple(found)


def _keyword_at(ls: LanguageServer, uri: str, position: lsp.Position) -> str | None:
    """The keyword phrase under the cursor (the longest that holds it), outside texts and comments."""
    document = ls.workspace.text_documents.get(unquote(uri))
    if document is None:
        return None
    lines = Lines(document)
    line, column = lines.at(position)
    if line > len(lines.lines):
        return None
    text = lines.lines[line - 1]
    if any(q.start() + 1 < column <= q.end() for q in QUOTED.finditer(text)):
        return None
    held = [(m.end() - m.start(), k, m.group()) for pattern, k in _keyword_spellings() for m in pattern.finditer(text)
            if m.start() < column <= m.end() + 1]
    if not held:
        return None
    _, keyword, written = max(held, key=lambda h: h[0])
    language, other = ("中文", keyword.chinese) if written.isascii() else ("English", keyword.english)
    return f"keyword `{written}` — {language}: `{other}`"


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: LanguageServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    at = _symbol_at(ls, params.text_document.uri, params.position)
    if at is None:
        return None
    lines, _, here, found = at
    declared = next((o for o in found if o.declares and o.symbol == here.symbol), None)
    return lsp.Location(params.text_document.uri, lines.range(declared.span)) if declared else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(ls: LanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    """Every token that declares or uses the symbol under the cursor."""
    at = _symbol_at(ls, params.text_document.uri, params.position)
    if at is None:
        return []
    lines, _, here, found = at
    return [lsp.Location(params.text_document.uri, lines.range(o.span)) for o in found
            if o.symbol == here.symbol and (params.context.include_declaration or not o.declares)]


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION)
def completion(ls: LanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    """Keywords, boundary words, inputs, definitions and measure ids; only the measure ids where nothing else
    may stand (an 'among' list, an 'expect' line), from the last text that parsed (the line being typed
    seldom does)."""
    uri = params.text_document.uri
    parsed = _parsed.get(uri)
    policy = parsed.policy if parsed is not None else None
    measures = [lsp.CompletionItem(m.id, kind=lsp.CompletionItemKind.Function, detail=m.title.zh)
                for m in (policy.measures if policy else ())]
    document = ls.workspace.text_documents.get(unquote(uri))
    if document is not None:
        lines = Lines(document)
        line, column = lines.at(params.position)
        if line <= len(lines.lines) and _measure_ids_only().search(lines.lines[line - 1][:column - 1]):
            return lsp.CompletionList(is_incomplete=False, items=measures)
    items = [lsp.CompletionItem(k, kind=lsp.CompletionItemKind.Keyword) for k in sorted(set(keywords(parser())))]
    items += [lsp.CompletionItem(w, kind=lsp.CompletionItemKind.Operator, detail="boundary word")
              for w in BOUNDARY_WORDS]
    if policy is not None:
        items += [lsp.CompletionItem(d.name, kind=lsp.CompletionItemKind.Variable,
                                     detail=f"{d.label.zh} / {d.label.en or d.label.zh}" if d.label else None)
                  for d in policy.inputs]
        defines = {f.name: f for f in (*policy.defines, *(f for m in policy.measures for f in m.defines))}
        items += [lsp.CompletionItem(f.name, kind=lsp.CompletionItemKind.Constant, detail=_defined(f, ""))
                  for f in defines.values() if f.name not in {d.name for d in policy.inputs}]
    return lsp.CompletionList(is_incomplete=False, items=items + measures)


@functools.cache
def _measure_ids_only() -> re.Pattern[str]:
    """The text before the cursor where only a measure id may follow: in a rule's 'among' list, or after
    'expect' (and the example's project name; not 'expect total' or 'expect error'), in either spelling."""
    spelled = {k.english: re.escape(k.chinese) for k in keyword_table.keywords()}
    word = r"(?<![^\W\d])"  # a keyword starts where no letter stands before it
    among = rf"{word}(?:among|{spelled['among']})[ \t]*(?:[0-9.]+[ \t]*[,，、][ \t]*)*"
    expect = rf"{word}(?:expect|{spelled['expect']})[ \t]+(?:(?!(?:total|error)[ \t])[^\W\d]\w*[ \t]+)?"
    return re.compile(rf"(?:{among}|{expect})[0-9.]*$")


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def symbols(ls: LanguageServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    """The outline: measures (their examples within), rules and examples, in the order written. While the
    document does not parse, it is read from the headers as they stand now: the last parse's outline would
    sit on lines that moved since, and miss the measure being typed."""
    if (opened := _parse(ls, params.text_document.uri)) is None:
        return []
    lines, read = opened
    if not read.parsed:
        return [outlined(lines, item) for item in scanned(lines.lines)]
    policy = _parsed[params.text_document.uri].policy
    items = [Outlined(SYMBOL_KINDS["measure"], _named(m.id, m.title.zh, "measure"), m.span,
                      tuple(Outlined(SYMBOL_KINDS["example"], _named("", e.title.zh, "example"), e.span)
                            for e in m.examples))
             for m in policy.measures]
    items += [Outlined(SYMBOL_KINDS["rule"], _named(r.id, r.title.zh, "rule"), r.span) for r in policy.rules]
    items += [Outlined(SYMBOL_KINDS["example"], _named("", e.title.zh, "example"), e.span) for e in policy.examples]
    return [outlined(lines, item) for item in sorted(items, key=lambda i: (i.span.line, i.span.column))]


SYMBOL_KINDS = {"measure": lsp.SymbolKind.Function, "rule": lsp.SymbolKind.Event, "example": lsp.SymbolKind.Object}


@attrs.frozen
class Outlined:
    """A measure, a rule or an example as the outline shows it."""

    kind: lsp.SymbolKind
    name: str
    span: ast.Span
    children: tuple[Outlined, ...] = ()


def _named(identifier: str, title: str, kind: str) -> str:
    """An outline entry's name: its id and title, or its kind when both are empty (an editor refuses an empty name)."""
    return " ".join(w for w in (identifier, title) if w) or kind


def outlined(lines: Lines, item: Outlined) -> lsp.DocumentSymbol:
    """An outline entry as the protocol sends it, its span in the client's units."""
    where = lines.range(item.span)
    return lsp.DocumentSymbol(item.name, item.kind, where, where, children=[outlined(lines, c) for c in item.children])


@functools.cache
def _headers() -> re.Pattern[str]:
    """A line that opens a measure, a rule or an example (in either spelling), with its id and title: the title
    may be half typed (no closing quote yet). A keyword cannot be a name, so no other line starts so."""
    spelled = {k.english: re.escape(k.chinese) for k in keyword_table.keywords()}
    title = r'(?:[ \t]*"(?P<title>(?:\\.|[^"\\\n])*)"?)?'
    return re.compile(
        rf"[ \t]*(?:(?P<measure>measure|{spelled['measure']})(?![^\W\d])[ \t]*(?P<measure_id>[0-9]+(?:\.[0-9]+)*)"
        rf"|(?P<rule>rule|{spelled['rule']})(?![^\W\d])[ \t]*(?P<rule_id>R[0-9]+)"
        rf"|(?P<example>example|{spelled['example']})(?![^\W\d])){title}")


BRACES = re.compile(r'"(?:\\.|[^"\\\n])*"|#.*|(?P<open>[{｛])|(?P<close>[}｝])')
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}  # the language's escapes; another stays as written


def scanned(lines: list[str]) -> list[Outlined]:
    """The outline of a document that does not parse, read line by line: each measure, rule or example from
    its header to the brace that closes it (texts and comments skipped), or, left open, to its last line
    before the next header. An example lies in the measure whose lines hold it."""
    found = []
    headers = [(number, m) for number, line in enumerate(lines) if (m := _headers().match(line))]
    next_any = next_outer = len(lines)  # the next header's line, and the next measure's or rule's
    for number, header in reversed(headers):
        kind = next(k for k in SYMBOL_KINDS if header.group(k))
        title = re.sub(r"\\(.)", lambda e: ESCAPES.get(e.group(1), e.group()), header.group("title") or "")
        end_line, end_column = _closed(lines, number, header.start(kind), next_any if kind == "example" else next_outer)
        span = ast.Span(path="", line=number + 1, column=header.start(kind) + 1, end_line=end_line, end_column=end_column)
        found.append(Outlined(SYMBOL_KINDS[kind], _named(header.group(f"{kind}_id") if kind != "example" else "",
                                                         title, kind), span))
        next_any = number
        next_outer = next_outer if kind == "example" else number
    found.reverse()
    outline: list[Outlined] = []
    for item in found:
        parent = outline[-1] if outline else None
        if item.kind == SYMBOL_KINDS["example"] and parent is not None and parent.kind == SYMBOL_KINDS["measure"] \
                and item.span.line <= parent.span.end_line:
            outline[-1] = attrs.evolve(parent, children=(*parent.children, item))
        else:
            outline.append(item)
    return outline


def _closed(lines: list[str], first: int, column: int, before: int) -> tuple[int, int]:
    """Where the item whose header starts at ``first``, ``column`` ends (a line and the column past it, from 1):
    after the brace that closes its first one, else at the end of its last non-blank line before ``before``."""
    depth = 0
    for number in range(first, before):
        for m in BRACES.finditer(lines[number], column if number == first else 0):
            if m.group("open"):
                depth += 1
            elif m.group("close") and depth:
                depth -= 1
                if not depth:
                    return number + 1, m.end() + 1
    last = next((n for n in range(before - 1, first, -1) if lines[n].strip()), first)
    return last + 1, len(lines[last].rstrip()) + 1


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
def code_lens(ls: LanguageServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    """Each example run, its outcome above it: "✓ example passes", or the first expectation it misses."""
    found = _check(ls, params.text_document.uri)
    checked = found[2] if found else None
    if checked is None or checked.errors:
        return []  # the diagnostics say why; examples run again once the policy checks
    policy = Policy(checked)
    lenses = []
    for outcome in run_all(policy):
        span = outcome.example.span
        title = "✓ example passes" if outcome.passed else f"✗ {outcome.failures[0]}"
        where = lsp.Range(lsp.Position(span.line - 1, 0), lsp.Position(span.line - 1, 0))
        lenses.append(lsp.CodeLens(where, lsp.Command(title, "")))
    return lenses


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: LanguageServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
    """The whole document laid out by ``jinjiang-dsl fmt`` (nothing while it has a syntax error).

    As ``fmt --write`` does, a leading byte-order mark is kept: the edit starts after it."""
    if (opened := _parse(ls, params.text_document.uri)) is None or not opened[1].parsed:
        return []
    lines = opened[0]
    try:
        formatted = format_checked(lines.text, lines.path)
    except (PolicyError, ChangesMeaning):
        return []
    if formatted == lines.text:
        return []
    end = len(lines.lines)
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, lines.bom), lsp.Position(end, 0)), formatted)]


def serve() -> None:
    """Speak the protocol over standard input and output until the client says exit."""
    server.start_io()
