"""Every message `jinjiang-dsl check` can print about a policy is listed in docs/checker.md.

The doc promises the full list, and a drafter looks a message up there; a message added to the
code and not to the doc breaks that promise silently. So this test reads the parse, read and
check stages' source with :mod:`ast`, takes the message and the hint of every diagnostic they
make (``error(…)``, ``warn(…)``, ``report(…)``, ``Diagnostic(…)``, and the phrases passed into a
message, such as ``money(e, "the cap")``), and requires each one's fixed text in the doc.

The doc writes what is filled in as CAPITALS (``'NAME' is not defined``), so texts are not
matched whole: every literal fragment of 6 characters or more (an f-string's text between its
``{…}``, or a string alternative inside them) must occur in the doc, once whitespace, quote
marks and backticks are normalised.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "checker.md"
PACKAGE = ROOT / "jinjiang_dsl"
SOURCES = sorted((PACKAGE / "check").glob("*.py")) + [
    PACKAGE / "syntax" / "__init__.py",  # size and depth limits, a keyword used as a name
    PACKAGE / "syntax" / "errors.py",  # syntax errors, rewritten for a drafter
    PACKAGE / "syntax" / "transform.py",  # the read stage
]
SHORTEST = 6  # a shorter fragment ("'", " in ", "): ") says nothing about the doc

# name of the call → (position of the message, position of the hint); None: not there.
CALLS = {
    "error": (0, 2),
    "warn": (0, 2),
    "report": (1, 3),  # report(severity, message, span, hint)
    "Diagnostic": (None, None),  # Diagnostic(severity=…, message=…, span=…, hint=…)
    "no_effect": (0, 3),  # no_effect(statement, …, hint): "'STATEMENT' has no effect here"
    "money": (1, None),  # money(e, what): "WHAT is a count, not money"
    "formula": (1, None),  # formula(f, what): passed on to money()
    "condition": (1, None),  # condition(c, where): "WHERE needs a yes/no condition, …"
    "expect_bool": (1, None),
}


@attrs.frozen
class Text:
    """A message or a hint: its fixed fragments, and where the code makes it."""

    what: str  # "message" | "hint"
    fragments: tuple[str, ...]
    where: str

    def missing(self, doc: str) -> list[str]:
        return [f for f in self.fragments if normalise(f) not in doc]


def normalise(text: str) -> str:
    """One space for any run of whitespace; ' for every quote mark; no backticks, no escaped '|'."""
    text = re.sub("[\"“”＂‘’]", "'", text.replace("`", "")).replace("\\|", "|")
    return re.sub(r"\s+", " ", text).strip()


class _Strings:
    """The fixed texts an expression can evaluate to, each as its fragments.

    ``None`` when the expression is a parameter of the function it stands in: a wrapper such as
    ``def error(self, message, …)`` passes a message on, it makes none."""

    def __init__(self, module: ast.Module):
        self.module = {t.id: node.value for node in module.body if isinstance(node, ast.Assign)
                       for t in node.targets if isinstance(t, ast.Name)}

    def of(self, e: ast.expr | None, scope: ast.AST) -> list[tuple[str, ...]] | None:
        if e is None or (isinstance(e, ast.Constant) and e.value is None):
            return []
        if isinstance(e, ast.Constant) and isinstance(e.value, str):
            return [(e.value,)]
        if isinstance(e, ast.JoinedStr):
            parts = tuple(v.value for v in e.values if isinstance(v, ast.Constant))
            inner = [(c.value,) for v in e.values if isinstance(v, ast.FormattedValue)
                     for c in ast.walk(v.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            return [parts, *inner]
        if isinstance(e, ast.IfExp):
            return self._all([e.body, e.orelse], scope)
        if isinstance(e, ast.BoolOp):
            return self._all(e.values, scope)
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) and e.value.id in self.module:
            return self._values(self.module[e.value.id], scope)  # TABLE[key]
        if (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == "get"
                and isinstance(e.func.value, ast.Name) and e.func.value.id in self.module):  # TABLE.get(key, default)
            return (self._values(self.module[e.func.value.id], scope) or []) + (self._all(e.args[1:], scope) or [])
        if isinstance(e, ast.Name):
            return self._name(e.id, scope)
        return []  # a call such as percent_hint(d): its text is documented where it is used, by hand

    def _all(self, exprs: list[ast.expr], scope: ast.AST) -> list[tuple[str, ...]] | None:
        found = [self.of(x, scope) for x in exprs]
        return None if all(f is None for f in found) else [t for f in found if f for t in f]

    def _values(self, table: ast.expr, scope: ast.AST, index: int | None = None) -> list[tuple[str, ...]] | None:
        if not isinstance(table, ast.Dict):
            return []
        values = [v.elts[index] if index is not None and isinstance(v, ast.Tuple) else v for v in table.values]
        return self._all(values, scope)

    def _name(self, name: str, scope: ast.AST) -> list[tuple[str, ...]] | None:
        """A variable: what the function assigns to it (``msg = f"…"``; ``message, hint = TABLE[key]``)."""
        found: list[tuple[str, ...]] = []
        for node in ast.walk(scope):
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    found += self.of(node.value, scope) or []
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Subscript):
                    names = [t.id for t in target.elts if isinstance(t, ast.Name)]
                    table = node.value.value
                    if name in names and isinstance(table, ast.Name) and table.id in self.module:
                        found += self._values(self.module[table.id], scope, names.index(name)) or []
        if found:
            return found
        params = {a.arg for a in ast.walk(scope) if isinstance(a, ast.arg)}
        return None if name in params else []


def _call_name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    if position is not None and position < len(call.args):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _calls(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.Call]]:
    """Every call, with the function it stands in (the module, outside any)."""
    def walk(node: ast.AST, scope: ast.AST) -> Iterator[tuple[ast.AST, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else scope
            if isinstance(child, ast.Call):
                yield inner, child
            yield from walk(child, inner)
    yield from walk(tree, tree)


def diagnostic_texts() -> tuple[list[Text], list[str]]:
    """Every message and hint the stages make, and the calls whose message the test cannot read."""
    texts: list[Text] = []
    unreadable: list[str] = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        strings = _Strings(tree)
        for scope, call in _calls(tree):
            name = _call_name(call)
            if name not in CALLS:
                continue
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            message_at, hint_at = CALLS[name]
            for what, position, keyword in (("message", message_at, "message"), ("hint", hint_at, "hint")):
                e = _argument(call, position, keyword)
                if e is None:
                    continue
                found = strings.of(e, scope)
                if found is None:
                    continue  # a wrapper passing its parameter on
                if not found and what == "message":
                    unreadable.append(f"{where}: {ast.unparse(e)}")
                for fragments in found:
                    kept = tuple(f for f in (normalise(x) for x in fragments) if len(f) >= SHORTEST)
                    if kept:
                        texts.append(Text(what, kept, where))
    return texts, unreadable


def test_the_test_finds_the_messages():
    """A sanity check on the extraction itself: known messages of each stage are found."""
    texts, unreadable = diagnostic_texts()
    assert not unreadable, "messages this test cannot read (extend _Strings):\n" + "\n".join(unreadable)
    fragments = {f for t in texts for f in t.fragments}
    for known in ("is not defined", "shares for", "is listed twice (first at line",  # check, read
                  "missing '}': this '{' is never closed",  # parse
                  "this expression nests more than", "the part of the value above",
                  "is a keyword, so it cannot be a name"):
        assert any(known in f for f in fragments), known
    assert len(texts) > 150


def test_every_message_is_in_the_doc():
    doc = normalise(DOC.read_text(encoding="utf-8"))
    texts, _ = diagnostic_texts()
    missing = [f"  {t.where}: {t.what} fragment(s) {t.missing(doc)}" for t in texts if t.missing(doc)]
    assert not missing, (
        f"{len(missing)} diagnostic text(s) not in {DOC.relative_to(ROOT)}: add them to the table of their "
        "subject (CAPITALS for the variable parts)\n" + "\n".join(missing))


def test_tables_keep_their_columns():
    """A row with a stray '|' (or one too few) breaks the table it stands in."""
    header = None
    bad = []
    for number, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("|"):
            header = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line))  # GitHub splits cells at a '|' in `code` too
        if header is None:
            header = cells
        elif cells != header:
            bad.append(f"line {number}: {cells - 1} columns, the header has {header - 1}")
    assert not bad, "\n".join(bad)
