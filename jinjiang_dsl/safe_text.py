"""Text from a policy or an application, made safe to show: on a terminal and in Markdown.

Names, ids, fact values, titles and quotes come from outside. On a terminal an escape
sequence in them could clear the screen, retitle the window or hide text; in Markdown a
newline could start a heading, a backtick close a code span, ``|`` split a table cell, and
``<script>`` pass through to a page. Every renderer passes such text through here
(docs/security.md); the JSON output needs nothing, since JSON escapes control characters.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that reorder what follows them on screen ("Trojan Source"); shown, never obeyed."""

# What Markdown (CommonMark with GFM tables) reads as markup inside a line; a backslash makes
# any of them literal (\< opens no HTML tag, \& no entity, \| splits no table cell).
_MARKDOWN = re.compile(r"[\\`*_\[\]#!|~<>&]")


def visible(text: str) -> str:
    """One line in which every control, format (bidirectional overrides …) and line-breaking
    character is shown as an escape (``\\n``, ``\\x1b``, ``\\u202e``); spaces of any width stay."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or unicodedata.category(ch) == "Zs"
                   else ch.encode("unicode_escape").decode("ascii") for ch in text)


def markdown(text: str) -> str:
    """Literal text inside a Markdown line, a heading or a table cell: it cannot form markup."""
    return _MARKDOWN.sub(lambda m: "\\" + m[0], visible(text))
