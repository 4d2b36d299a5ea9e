"""What generated source is written with: an emitter of indented lines, and named constants.

In the manner of Jinja2's ``CodeGenerator``: literals, labels and intervals become named module
constants, each defined once; policy text enters source only as the ``repr()`` of a constant.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..runtime.intervals import Interval
from ..runtime.trace import Label, Shown


class Emitter:
    """Lines of source at an indentation level."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0

    def __call__(self, line: str = "") -> None:
        self.lines.append("    " * self.level + line if line else "")

    def indent(self) -> Emitter:
        self.level += 1
        return self

    def dedent(self) -> None:
        self.level -= 1

    def __enter__(self) -> Emitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dedent()


class Constants:
    """Module-level constants with readable names, each defined once."""

    def __init__(self) -> None:
        self.by_repr: dict[str, str] = {}
        self.lines: list[str] = []

    def add(self, prefix: str, source: str, comment: str | None = None) -> str:
        if source in self.by_repr:
            return self.by_repr[source]
        name = f"{prefix}{len(self.by_repr)}"
        self.by_repr[source] = name
        self.lines.append(f"{name} = {source}" + (f"  # {comment!r}" if comment else ""))
        return name

    def decimal(self, value: Decimal, comment: str | None = None) -> str:
        return self.add("K", f"Decimal({str(value)!r})", comment)

    def label(self, label: Label | None) -> str:
        if label is None:
            return "None"
        return self.add("L", f"Label({label.zh!r}, {label.en!r})")

    def shown(self, shown: Shown) -> tuple[str, str, str]:
        template = self.label(shown.template)
        names = "(" + "".join(self.label(n) + ", " for n in shown.names) + ")"
        choices = "(" + "".join(self.choices(c) + ", " for c in shown.choices) + ")"
        return template, self.add("N", names), self.add("C", choices) if shown.choices else "()"

    def choices(self, labels: dict[str, Label] | None) -> str:
        if labels is None:
            return "None"
        return "{" + ", ".join(f"{k!r}: {self.label(v)}" for k, v in labels.items()) + "}"

    def interval(self, iv: Interval) -> str:
        return self.add("I", f"Interval({_dec(iv.lower)}, {iv.lower_inclusive}, {_dec(iv.upper)}, "
                             f"{iv.upper_inclusive}, {iv.percent})", str(iv))


def _dec(value: Decimal | dt.date | None) -> str:
    """A bound as source: a Decimal, or a date (whose parts are integers, never text)."""
    if isinstance(value, dt.date):
        return f"date({value.year}, {value.month}, {value.day})"
    return "None" if value is None else f"Decimal({str(value)!r})"
