"""Compiling a plan to Python: generate source, compile it under its own file name, load it.

As attrs does for its generated methods, the source is registered in ``linecache`` so a
traceback or a debugger shows the generated line, and the generated module sees only
the names in :data:`RUNTIME` — nothing else is importable from generated code.
"""

from __future__ import annotations

import datetime as dt
import linecache
from decimal import Decimal
from collections.abc import Callable
from typing import Any

from ..decide import Backend
from ..plan import Plan
from ..runtime.intervals import Interval
from ..runtime.money import round_to
from ..runtime.outcome import MeasureResult, Missing, Undefined
from ..runtime.trace import Label, Shown, Step
from .codegen import generate

__all__ = ["compiled_backend", "generate"]


def divide(x: Any, y: Any) -> Any:
    if y == 0:
        raise Undefined("division by zero")
    return Decimal(x) / y


RUNTIME: dict[str, Any] = {
    "Decimal": Decimal,
    "date": dt.date,
    "Interval": Interval,
    "Label": Label,
    "Shown": Shown,
    "Step": Step,
    "MeasureResult": MeasureResult,
    "Undefined": Undefined,
    "round_to": round_to,
    "divide": divide,
    "ZERO": Decimal(0),
    "NOT_ELIGIBLE": MeasureResult("not_eligible", None),
    "NOTHING_PAID": MeasureResult("not_eligible", Decimal(0)),
    "REFERRED": MeasureResult("referred", None),
}


def load(plan: Plan) -> dict[str, Any]:
    """Generate, compile and execute the plan's module; its namespace."""
    source = generate(plan)
    filename = f"<jinjiang-dsl {plan.path} {plan.source_sha256[:12]}>"
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(RUNTIME)
    namespace["LABELS"] = {name: spec.label for name, spec in plan.inputs.items()}
    exec(code, namespace)  # noqa: S102 - our own generated source, from a checked policy
    return namespace


def _missing_as_such(fn: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """Rule figures report a missing fact as :class:`Missing`, as the interpreter does."""
    if fn is None:
        return None

    def call(a: Any) -> Any:
        try:
            return fn(a)
        except KeyError as exc:
            raise Missing(exc.args[0]) from None

    return call


def compiled_backend(plan: Plan) -> Backend:
    ns = load(plan)
    caps = {m.id: _missing_as_such(ns["annual_cap_" + m.id.replace(".", "_")]) for m in plan.measures if m.annual_cap}
    return Backend(
        name="compiled",
        measures={m.id: ns["measure_" + m.id.replace(".", "_")] for m in plan.measures},
        r2_applies=_missing_as_such(ns.get("r2_applies")),
        r2_limit=_missing_as_such(ns.get("r2_limit")),
        annual_caps=caps,  # type: ignore[arg-type]
    )
