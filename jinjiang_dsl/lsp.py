"""The language server (``jinjiang-dsl lsp``, on pygls): what the checker says, as the drafter types.

Diagnostics (the checker's, with their spans and hints), hover (an input's labels, type and default;
a measure's clause and quote; a rule's), go to definition and find references (inputs, definitions,
measures), completion (keywords, inputs, measure ids, boundary words), an outline of measures and
rules, formatting through :mod:`jinjiang_dsl.fmt`, and each example's outcome as a code lens. It speaks the protocol over standard I/O.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.workspace import ServerTextPosition, TextDocument

from . import __version__, ast
from .api import check_source, policy_from_source
from .diagnostics import PolicyError
from .examples import run_all
from .fmt import ChangesMeaning, _split, format_checked
from .syntax import parse, parser
from .syntax.errors import keywords

server = LanguageServer("jinjiang-dsl", __version__)
WORD = re.compile(r"[\w.]+")
BOUNDARY_WORDS = ("以上", "及以上", "以下", "以内", "超过", "不满", "(含)", "至")
_trees: dict[str, ast.Policy] = {}  # the last policy of each document that parsed, for hover and definition


class Lines:
    """A document's text and lines as the checker reads them, and the position encoding agreed with the client.

    The checker counts columns in characters (code points); the protocol, in the client's units
    (UTF-16 unless agreed otherwise), where a character beyond the BMP (😀, 𠀀) is two. A leading
    byte-order mark is dropped, as ``jinjiang-dsl check`` drops it, yet stays in the client's line 0.
    Every position the server reads or sends goes through here, so these are never mixed."""

    def __init__(self, document: TextDocument) -> None:
        self.text = document.source.removeprefix("\ufeff")
        self.path = document.path
        self.lines = self.text.split("\n")
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


def diagnostics(document: TextDocument) -> list[lsp.Diagnostic]:
    """The checker's diagnostics, each with its hint."""
    lines = Lines(document)
    found = []
    for d in check_source(lines.text, lines.path):
        message = d.message + (f"\n{d.hint}" if d.hint else "")
        severity = lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning
        found.append(lsp.Diagnostic(lines.range(d.span), message, severity=severity, source="jinjiang-dsl"))
    return found


def _refresh(ls: LanguageServer, uri: str) -> None:
    document = ls.workspace.get_text_document(uri)
    # keep the last tree that parsed: hover and definition go on working while a line is half typed
    with contextlib.suppress(PolicyError):
        _trees[uri] = parse(Lines(document).text, document.path)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics(document)))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    _refresh(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    _refresh(ls, params.text_document.uri)


def _code(line: str) -> Iterator[tuple[int, str]]:
    """The pieces of a line outside strings and comments, each with the column it starts at."""
    column = 0
    for piece, is_string in _split(line)[0]:
        if not is_string:
            yield column, piece
        column += len(piece)


def word_at(lines: Lines, position: lsp.Position) -> str | None:
    """The name or measure id under the cursor, outside strings and comments."""
    line, character = lines.at(position)
    if line > len(lines.lines):
        return None
    for column, piece in _code(lines.lines[line - 1]):
        for m in WORD.finditer(piece):
            if m.start() <= character - 1 - column <= m.end():
                return m.group().strip(".")
    return None


def _declaration(tree: ast.Policy, word: str) -> tuple[ast.Span, str] | None:
    """Where a name or measure id is declared, and what to say of it on hover."""
    for d in tree.inputs:
        if d.name == word:
            label = f"{d.label.zh} / {d.label.en or d.label.zh}" if d.label else d.name
            default = " · when left out: its default" if d.default is not None else \
                " · required" if d.required else ""
            register = " · the decision register may supply it" if d.from_register else ""
            return d.name_span, f"**{label}**\n\n{d.scope} input `{d.name}`: {d.type.kind}{default}{register}"
    for f in tree.defines:
        if f.name == word:
            return f.span, f"definition `{f.name}`"
    items: list[ast.Measure | ast.Rule] = [*tree.measures, *tree.rules]
    for m in items:
        if m.id == word:
            what = "measure" if isinstance(m, ast.Measure) else "rule"
            quote = f"\n\n> {m.quote.text}" if m.quote else ""
            clause = f" — clause {m.clause.ref}" if m.clause else ""
            return m.span, f"**{what} {m.id}** {m.title.zh} / {m.title.en or m.title.zh}{clause}{quote}"
    return None


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: LanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    word = word_at(Lines(document), params.position)
    tree = _trees.get(params.text_document.uri)
    found = _declaration(tree, word) if word and tree else None
    if found is None:
        return None
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, found[1]))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: LanguageServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    word = word_at(Lines(document), params.position)
    tree = _trees.get(params.text_document.uri)
    found = _declaration(tree, word) if word and tree else None
    return lsp.Location(params.text_document.uri, Lines(document).range(found[0])) if found else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(ls: LanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    """Every place the name under the cursor stands, outside strings and comments."""
    lines = Lines(ls.workspace.get_text_document(params.text_document.uri))
    word = word_at(lines, params.position)
    if not word:
        return []
    whole = re.compile(rf"(?<![\w.]){re.escape(word)}(?![\w])")
    return [lsp.Location(params.text_document.uri, lines.range(ast.Span(
                path="", line=n, column=column + m.start() + 1, end_line=n, end_column=column + m.end() + 1)))
            for n, line in enumerate(lines.lines, 1) for column, piece in _code(line)
            for m in whole.finditer(piece)]


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION)
def completion(ls: LanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    tree = _trees.get(params.text_document.uri)
    items = [lsp.CompletionItem(k, kind=lsp.CompletionItemKind.Keyword) for k in sorted(set(keywords(parser())))]
    items += [lsp.CompletionItem(w, kind=lsp.CompletionItemKind.Operator, detail="boundary word")
              for w in BOUNDARY_WORDS]
    if tree is not None:
        items += [lsp.CompletionItem(d.name, kind=lsp.CompletionItemKind.Variable,
                                     detail=f"{d.label.zh} / {d.label.en or d.label.zh}" if d.label else None)
                  for d in tree.inputs]
        items += [lsp.CompletionItem(m.id, kind=lsp.CompletionItemKind.Function, detail=m.title.zh)
                  for m in tree.measures]
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def symbols(ls: LanguageServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    """The outline: measures and rules, in the order written."""
    tree = _trees.get(params.text_document.uri)
    if tree is None:
        return []
    lines = Lines(ls.workspace.get_text_document(params.text_document.uri))
    found = []
    for m in tree.measures:
        r = lines.range(m.span)
        found.append(lsp.DocumentSymbol(f"{m.id} {m.title.zh}", lsp.SymbolKind.Function, r, r))
    for rule in tree.rules:
        r = lines.range(rule.span)
        found.append(lsp.DocumentSymbol(f"{rule.id} {rule.title.zh}", lsp.SymbolKind.Event, r, r))
    return found


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
def code_lens(ls: LanguageServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    """Each example run, its outcome above it: "✓ example passes", or the first expectation it misses."""
    lines = Lines(ls.workspace.get_text_document(params.text_document.uri))
    try:
        policy = policy_from_source(lines.text, lines.path)
    except PolicyError:
        return []  # the diagnostics say why; examples run again once the policy checks
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

    As ``fmt --write`` does, a byte-order mark is dropped with any other edit and is no edit alone."""
    lines = Lines(ls.workspace.get_text_document(params.text_document.uri))
    try:
        formatted = format_checked(lines.text, lines.path)
    except (PolicyError, ChangesMeaning):
        return []
    if formatted == lines.text:
        return []
    end = len(lines.lines)
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), lsp.Position(end, 0)), formatted)]


def serve() -> None:
    """Speak the protocol over standard input and output until the client says exit."""
    server.start_io()
