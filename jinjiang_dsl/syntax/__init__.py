"""Parsing: source text → :class:`jinjiang_dsl.ast.Policy`, or located diagnostics."""

from __future__ import annotations

from lark import Tree
from lark.exceptions import UnexpectedInput

from ..ast import Policy, Span
from ..diagnostics import Diagnostic, PolicyError, sort_key
from .errors import syntax_diagnostic
from .grammar import parser
from ..limits import MAX_EXPR_DEPTH, MAX_POLICY_BYTES, MAX_SYNTAX_DEPTH
from .transform import build_policy

__all__ = ["parse", "parser"]


def parse(source: str, path: str = "<policy>") -> Policy:
    """Parse one policy source. Raises :class:`PolicyError` with every syntax problem found.

    Bounded work: a source over :data:`MAX_POLICY_BYTES` is refused unread, and a parse tree
    nested deeper than :data:`MAX_SYNTAX_DEPTH` is reported where it gets too deep, before
    the recursive tree walk could run out of stack."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_POLICY_BYTES:
        msg = f"the policy is {size:,} bytes; a policy may have at most {MAX_POLICY_BYTES:,}"
        raise PolicyError([Diagnostic(severity="error", message=msg, span=_at(path, 1, 1))], {path: source})
    try:
        tree = parser().parse(source)
    except UnexpectedInput as exc:
        raise PolicyError([syntax_diagnostic(exc, parser(), source, path)], {path: source}) from None
    deep = _too_deep(tree)
    if deep is not None:
        msg = f"this nests more than {MAX_SYNTAX_DEPTH} levels deep (an expression may nest at most {MAX_EXPR_DEPTH})"
        hint = "split the expression: several 'requires' lines, or 'define' a part of it as a name"
        where = _at(path, deep.meta.line, deep.meta.column) if not deep.meta.empty else _at(path, 1, 1)
        raise PolicyError([Diagnostic(severity="error", message=msg, span=where, hint=hint)], {path: source})
    policy, diagnostics = build_policy(tree, path, source)
    if diagnostics:
        raise PolicyError(sorted(diagnostics, key=sort_key), {path: source})
    return policy


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
