"""Parsing: source text → :class:`jinjiang_dsl.ast.Policy`, or located diagnostics."""

from __future__ import annotations

from lark.exceptions import UnexpectedInput, VisitError

from ..ast import Policy, Span
from ..diagnostics import Diagnostic, PolicyError, sort_key
from .errors import syntax_diagnostic
from .grammar import parser
from .transform import build_policy

__all__ = ["parse", "parser"]


def parse(source: str, path: str = "<policy>") -> Policy:
    """Parse one policy source. Raises :class:`PolicyError` with every syntax problem found."""
    try:
        tree = parser().parse(source)
        policy, diagnostics = build_policy(tree, path, source)
    except UnexpectedInput as exc:
        raise PolicyError([syntax_diagnostic(exc, parser(), source, path)], {path: source}) from None
    except (RecursionError, VisitError) as exc:
        if isinstance(exc, VisitError) and not isinstance(exc.orig_exc, RecursionError):
            raise
        where = Span(path=path, line=1, column=1, end_line=1, end_column=2)
        msg = "the policy nests expressions too deeply to read"
        raise PolicyError([Diagnostic(severity="error", message=msg, span=where)], {path: source}) from None
    if diagnostics:
        raise PolicyError(sorted(diagnostics, key=sort_key), {path: source})
    return policy
