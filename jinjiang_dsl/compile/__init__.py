"""Compiling a plan to Python: generate source, compile it under its own file name, load it.

As attrs does for its generated methods, the source is registered in ``linecache`` so a
traceback or a debugger shows the generated line. The generated module sees only the
names in :data:`RUNTIME` and the few pure builtins in :data:`BUILTINS`: no ``__import__``,
``open`` or ``eval``. That is the second line of defence; the first is the generator,
which puts text from a policy into source only as ``repr()`` of a constant (docs/security.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.util
import linecache
import marshal
import os
import tempfile
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from types import CodeType
from typing import Any

from ..cache import private_folder
from ..decide import Backend
from ..decisions import ApplicantDecision, Award, ProjectDecision
from ..plan import Plan
from ..rules import Claim
from ..rules.base import reduce
from ..rules.highest import highest_first
from ..rules.once import first_dated, highest_entitled
from ..runtime.intervals import Interval, part_in, percent_text
from ..runtime.money import round_to
from ..runtime.outcome import MeasureResult, Missing, Undefined
from ..runtime.trace import Label, Ratio, Shown, Step, bracket_sum, cross_check, joined
from .codegen import generate

__all__ = ["compiled_backend", "generate"]

MAX_CACHED_CODES = 32  # compiled policies kept in the cache folder, the newest
MAX_CACHED_SOURCE = 1 << 21  # generated source above 2 MiB is compiled each time, never cached


def divide(x: Any, y: Any, divisor: tuple[str, ...]) -> Any:
    """``x / y``; a zero ``y`` is an input problem, named by the inputs it is made of."""
    if y == 0:
        raise Undefined(divisor)
    return Decimal(x) / y


def or_(left: Callable[[], Any], right: Callable[[], Any]) -> bool:
    """``left or right`` where ``left`` may divide by zero: then ``right`` alone can make it hold."""
    try:
        return bool(left()) or bool(right())
    except Undefined:
        if bool(right()):
            return True
        raise


def and_(left: Callable[[], Any], right: Callable[[], Any]) -> bool:
    """``left and right`` where ``left`` may divide by zero: then ``right`` alone can make it fail."""
    try:
        return bool(left()) and bool(right())
    except Undefined:
        if not bool(right()):
            return False
        raise


def ratio(figure: Callable[[], Any], bounds: tuple[Decimal, ...]) -> Ratio:
    """A ratio's figure for its reading (:meth:`Interpreter.ratio`): none where a fact is missing (the
    generated code's KeyError) or the divisor is 0."""
    try:
        return Ratio.of(figure(), bounds)
    except (KeyError, Undefined):
        return Ratio.of(None, bounds)


RUNTIME: dict[str, Any] = {
    "Decimal": Decimal,
    "date": dt.date,
    "Interval": Interval,
    "Label": Label,
    "Shown": Shown,
    "Step": Step,
    "cross_check": cross_check,
    "bracket_sum": bracket_sum,
    "joined": joined,
    "MeasureResult": MeasureResult,
    "Undefined": Undefined,
    "round_to": round_to,
    "divide": divide,
    "ratio": ratio,
    "part_in": part_in,
    "percent_text": percent_text,
    "or_": or_,
    "and_": and_,
    "ZERO": Decimal(0),
    "NOT_ELIGIBLE": MeasureResult("not_eligible", None),
    "NOTHING_PAID": MeasureResult("not_eligible", Decimal(0)),
    "REFERRED": MeasureResult("referred", None),
    # the whole applicant (compile/applicant.py)
    "Claim": Claim,
    "Award": Award,
    "ProjectDecision": ProjectDecision,
    "ApplicantDecision": ApplicantDecision,
    "reduce": reduce,
    "ROUND_DOWN": ROUND_DOWN,
    "highest_first": highest_first,
    "first_dated": first_dated,
    "highest_entitled": highest_entitled,
}


BUILTINS: dict[str, Any] = {"bool": bool, "frozenset": frozenset, "KeyError": KeyError,
                            # the whole applicant's loops (compile/applicant.py): pure functions of their arguments
                            "enumerate": enumerate, "id": id, "len": len, "list": list, "max": max, "min": min,
                            "set": set, "sum": sum, "tuple": tuple, "zip": zip}


def load(plan: Plan) -> dict[str, Any]:
    """Generate, compile and execute the plan's module; its namespace."""
    source = generate(plan)
    filename = f"<jinjiang-dsl {plan.source_sha256[:12]}>"
    lines = source.splitlines(True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    namespace = dict(RUNTIME, __builtins__=BUILTINS)
    namespace["LABELS"] = {name: spec.label for name, spec in plan.inputs.items()}
    namespace["RULES"] = {r.id: r for r in plan.rules}
    namespace["UNIT"] = plan.rounding_unit
    for code in _compiled(source, lines, filename):
        exec(code, namespace)  # noqa: S102 - our own generated source: policy text only as repr() constants
    return namespace


def _compiled(source: str, lines: list[str], filename: str) -> list[CodeType]:
    """The module's code, piece by piece: from the private cache when this same source was compiled
    before by this Python (as ``.pyc`` files spare recompiling a module), else compiled and cached.

    Compiling is most of the time it takes to load a policy (about 10 ms of 50 for the notice);
    reading the cached code, a fraction of a millisecond. The key is a hash of the generated
    source, the file name and Python's bytecode version, so a changed policy or a changed
    generator is a new entry; a cache entry that does not read back is compiled again."""
    folder = private_folder() if len(source) <= MAX_CACHED_SOURCE else None
    key = hashlib.sha256(importlib.util.MAGIC_NUMBER + filename.encode() + source.encode("utf-8", "surrogatepass"))
    path = None if folder is None else os.path.join(folder, f"code-{key.hexdigest()}.marshal")
    if path is not None:
        try:
            with open(path, "rb") as f:
                cached = marshal.load(f)
            if isinstance(cached, list) and all(isinstance(c, CodeType) for c in cached):
                return cached
        except (OSError, EOFError, ValueError, TypeError):
            pass
    # Blank lines first, so that line numbers in a traceback are the module's own.
    codes = [compile("\n" * start + "".join(lines[start:end]), filename, "exec") for start, end in _pieces(lines)]
    if path is not None:
        _store(path, marshal.dumps(codes))
    return codes


def _store(path: str, data: bytes) -> None:
    """Write a cache entry whole (another process may be reading it) and keep the newest
    :data:`MAX_CACHED_CODES` entries, so the folder stays small whatever policies are loaded."""
    folder = os.path.dirname(path)
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".code-")
    except OSError:
        return  # a cache that cannot be written is only slower
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
        entries = sorted((e for e in os.scandir(folder) if e.name.startswith("code-") and e.name.endswith(".marshal")),
                         key=lambda e: e.stat().st_mtime, reverse=True)
        for old in entries[MAX_CACHED_CODES:]:
            os.unlink(old.path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _pieces(lines: list[str], size: int = 2000) -> list[tuple[int, int]]:
    """Line ranges of whole top-level statements, about ``size`` lines each.

    Compiling a policy of thousands of measures as one module takes a gigabyte; in pieces,
    memory stays that of one piece."""
    pieces, start = [], 0
    for i, line in enumerate(lines):
        if i - start >= size and line[:1] not in ("", " ", "\n", "#"):
            pieces.append((start, i))
            start = i
    return [*pieces, (start, len(lines))]


def _missing_as_such(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Rule figures report a missing fact as :class:`Missing`, as the interpreter does."""

    def call(a: Any) -> Any:
        try:
            return fn(a)
        except KeyError as exc:
            raise Missing(exc.args[0]) from None

    return call


def compiled_backend(plan: Plan) -> Backend:
    ns = load(plan)
    return Backend(
        name="compiled",
        measures={m.id: ns["measure_" + m.id.replace(".", "_")] for m in plan.measures},
        figures={key: _missing_as_such(ns[f"figure_{i}"]) for i, (key, _) in enumerate(plan.figures)},
        applicant=ns["decide_applicant"],
        applicant_traced=ns["decide_applicant_traced"],
    )
