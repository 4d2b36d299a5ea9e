"""The Python API for embedding: read, parse and check a policy."""

from __future__ import annotations

from pathlib import Path

from .check import CheckedPolicy, check
from .diagnostics import Diagnostic, PolicyError
from .syntax import parse


def check_source(source: str, path: str = "<policy>") -> list[Diagnostic]:
    """Every problem in one policy source, syntax or meaning, in source order."""
    try:
        policy = parse(source, path)
    except PolicyError as exc:
        return list(exc.diagnostics)
    return list(check(policy).diagnostics)


def load_policy(path: str | Path, *, strict: bool = False) -> CheckedPolicy:
    """Read and check a ``.pol`` file.

    Raises :class:`PolicyError` when it has errors (or warnings, with ``strict``);
    ``OSError``/``UnicodeDecodeError`` when it cannot be read.
    """
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    checked = check(parse(source, str(path)))
    blocking = checked.diagnostics if strict else checked.errors
    if blocking:
        raise PolicyError(checked.diagnostics, {str(path): source})
    return checked
