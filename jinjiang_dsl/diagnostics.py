"""Located problems and how they are shown: ``file:line:col: error: message``, the line, a caret.

Every stage reports through :class:`Diagnostic`; nothing else reaches a user.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from .ast import Span
from .safe_text import BIDI_CONTROLS, visible

Severity = Literal["error", "warning"]


def printable(text: str) -> str:
    """Source text quoted in a message: one line, nothing that moves a terminal's cursor."""
    return visible(text)


def _printable_or_none(text: str | None) -> str | None:
    return None if text is None else printable(text)


@attrs.frozen(slots=True, kw_only=True)
class Diagnostic:
    severity: Severity
    message: str = attrs.field(converter=printable)
    span: Span
    hint: str | None = attrs.field(default=None, converter=_printable_or_none)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class PolicyError(Exception):
    """Raised when a policy cannot be used: carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = tuple(diagnostics)
        self.sources = sources or {}
        super().__init__(render_plain(self.diagnostics, self.sources))


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate, if one is close enough to be a likely typo.

    Two-character names (投入, typed 投人 by an input method) are one character off at 0.5.
    """
    if len(word) > 64:  # no typo of a name is that long, and comparing costs time in its length
        return None
    cutoff = 0.5 if len(word) <= 2 else 0.6
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return matches[0] if matches else None


GUESS_BUDGET = 1_000_000
"""How many names one run of the checker compares words with to suggest a spelling (a few seconds' work)."""


class Guesses:
    """:func:`did_you_mean` within a budget of comparisons, shared by one run of the checker. A suggestion
    compares a word with every name, so a policy of thousands of unknown names among thousands of definitions
    took time in their product (4,000 of each: a minute; a 1 MiB policy, hours). Past the budget, the errors
    are still reported, without a suggestion."""

    def __init__(self, budget: int = GUESS_BUDGET) -> None:
        self.left = budget

    def __call__(self, word: str, candidates: Iterable[str]) -> str | None:
        candidates = list(candidates)
        if len(candidates) > self.left:
            self.left = 0
            return None
        self.left -= len(candidates)
        return did_you_mean(word, candidates)


def _caret_line(line: str, span: Span) -> tuple[str, str]:
    """Padding and carets under the span, measured in terminal cells (CJK is two wide)."""
    start = max(span.column - 1, 0)
    end = max(span.end_column - 1, start + 1) if span.end_line == span.line else len(line.rstrip())
    end = max(min(end, len(line)), start + 1)
    pad = "".join("\t" if ch == "\t" else " " * cell_len(ch) for ch in line[:start])
    width = max(cell_len(line[start:end]), 1)
    return pad, "^" * width


SHOWN_LINE = 160
"""The characters of a source line a diagnostic shows around its span: a policy written on one line of 1 MiB
printed all of it under each of its warnings (3,000 unused inputs on a 68 KB line made 305 MB)."""


def _excerpt(line: str, span: Span) -> tuple[str, Span]:
    """The part of a long line around the span, '…' where it is cut, and the span's columns in that part."""
    if len(line) <= SHOWN_LINE:
        return line, span
    start = max(span.column - 1, 0)
    end = max(span.end_column - 1, start + 1) if span.end_line == span.line else len(line)
    left = max(min(start - SHOWN_LINE // 4, len(line) - SHOWN_LINE), 0)
    right = left + SHOWN_LINE
    head, tail = "…" if left else "", "…" if right < len(line) else ""
    shift = len(head) - left
    shown = attrs.evolve(span, end_line=span.line, column=start + 1 + shift,
                         end_column=min(end, right) + 1 + shift)
    return head + line[left:right] + tail, shown


def source_lines(text: str) -> list[str]:
    """Lines as the parser counts them: split at ``\n``, ``\r\n`` or a lone ``\r`` (an old Mac file, which editors
    show as lines too); a form feed or U+2028 is not a line break."""
    return re.split(r"\r\n?|\n", text)


def _source_line(sources: dict[str, str], span: Span, split: dict[str, list[str]]) -> str | None:
    """The line a span starts on. ``split`` keeps each source's lines once split: splitting the whole file for
    every diagnostic made a policy of 30,000 unused inputs print its warnings for more than 5 minutes."""
    text = sources.get(span.path)
    if text is None:
        return None
    if span.path not in split:
        split[span.path] = source_lines(text)
    lines = split[span.path]
    if 1 <= span.line <= len(lines):
        return lines[span.line - 1]
    return None


def render_text(diagnostic: Diagnostic, sources: dict[str, str], split: dict[str, list[str]] | None = None) -> Text:
    """One diagnostic as styled text; ``str()`` of it is the plain form. ``split``: the sources' lines, split as
    they are first needed, shared by the diagnostics of one listing."""
    style = "bold red" if diagnostic.is_error else "bold yellow"
    out = Text()
    out.append(f"{visible(str(diagnostic.span))}: ", style="bold")
    out.append(f"{diagnostic.severity}:", style=style)
    out.append(f" {diagnostic.message}\n", style="bold")
    line = _source_line(sources, diagnostic.span, {} if split is None else split)
    if line is not None:
        line, span = _excerpt(line, diagnostic.span)
        pad, carets = _caret_line(line, span)
        gutter = f"{diagnostic.span.line:>4} | "
        out.append(gutter, style="blue")
        # Control characters take no cell, so dropping them leaves the carets where they are; nor
        # do the bidirectional controls, which would make the line read otherwise than it is.
        out.append("".join(ch for ch in line if ch == "\t" or (unicodedata.category(ch) != "Cc"
                                                                  and ch not in BIDI_CONTROLS)) + "\n")
        out.append(" " * (len(gutter) - 2) + "| ", style="blue")
        out.append(pad)
        out.append(carets + "\n", style=style)
    if diagnostic.hint:
        out.append("  hint: ", style="bold cyan")
        out.append(diagnostic.hint + "\n")
    return out


def render_plain(diagnostics: Iterable[Diagnostic], sources: dict[str, str]) -> str:
    split: dict[str, list[str]] = {}
    return "\n".join(str(render_text(d, sources, split)) for d in diagnostics)


def print_diagnostics(diagnostics: Iterable[Diagnostic], sources: dict[str, str], console: Console) -> None:
    """Colour on a terminal, plain text when piped (rich decides). Plain text is written as it is: rich's
    printing of each piece, for nothing, took as long as parsing a 1 MiB policy of 40,000 warnings."""
    split: dict[str, list[str]] = {}
    plain = console.color_system is None and not console.record
    for d in diagnostics:
        text = render_text(d, sources, split)
        if not plain:
            console.print(text, soft_wrap=True, highlight=False)
        elif not console.quiet:
            text.expand_tabs(console.tab_size)  # as rich prints it: the carets' tab and the line's alike
            try:
                console.file.write(f"{text}\n")
            except BrokenPipeError:
                console.on_broken_pipe()  # what rich does when its reader goes away


def sort_key(d: Diagnostic) -> tuple[str, int, int, int]:
    return (d.span.path, d.span.line, d.span.column, 0 if d.is_error else 1)
