"""What the SQL engines spell differently. The emitter writes every engine's query from the same plan and
asks its dialect only for these few spellings; the semantics — exact decimals, NULL for a missing fact,
the policy's rounding — are the emitter's, the same for every engine.

The query is generated per dialect rather than transpiled from DuckDB's: its exactness rests on decimal
types the emitter chooses (a product's scale, a 38-digit integer for the pro-rata split) and on functions
whose meaning differs across engines under the same name (``trunc`` truncates a number in DuckDB and a
date in Spark; Spark's ``div`` returns a 64-bit integer that wraps silently past 2^63). A transpiler
maps names and syntax; it cannot know which of these the query relies on.
"""

from __future__ import annotations


class Dialect:
    """DuckDB's spelling: the query ``compile --emit sql`` prints and ``--engine duckdb`` runs."""

    name = "duckdb"

    def type(self, sql_type: str) -> str:
        """A column type as the engine names it."""
        return sql_type

    def array(self, items: list[str]) -> str:
        return "[" + ", ".join(items) + "]"

    def typed_array(self, items: list[str], element: str) -> str:
        return f"CAST({self.array(items)} AS {element}[])"

    def mask(self, column: str, bits: list[tuple[str, int]]) -> str:
        """The names in the list ``column`` as a 64-bit mask: each of ``bits`` (a quoted name and its bit's
        value) or-ed in; 0 for none of them."""
        cases = " ".join(f"WHEN {name} THEN {value}" for name, value in bits)
        return f"COALESCE(list_aggregate(list_transform({column}, lambda x: CASE x {cases} ELSE 0 END), 'bit_or'), 0)"

    def round_half_even(self, value: str, digits: int) -> str:
        return f"round_even({value}, {digits})"

    def truncate(self, value: str, digits: int | None = None) -> str:
        """``value`` cut toward zero to ``digits`` decimals (none: to a whole number)."""
        return f"trunc({value})" if digits is None else f"trunc({value}, {digits})"

    def whole(self, value: str) -> str:
        """A whole number as an integer wide enough for the pro-rata split's products: 128 bits."""
        return f"CAST({value} AS HUGEINT)"

    def floor_div(self, left: str, right: str) -> str:
        """``left // right`` on non-negative whole numbers, exactly."""
        return f"{left} // {right}"

    def all_but_key(self, table: str, columns: list[str]) -> str:
        """Every column of ``table`` but its key ``a_ord`` (``columns``: those others, for engines that must
        list them)."""
        return f"{table}.* EXCLUDE (a_ord)"

    def over(self, spec: str, order: str = "") -> str:
        """A window: the query's named window ``w`` (``spec``), refined by ``order``."""
        return f"(w {order})" if order else "w"

    def windows(self, spec: str) -> str:
        """The ``WINDOW`` clause naming ``w``, after the ``FROM`` that uses it."""
        return f"\n        WINDOW w AS ({spec})"


class Spark(Dialect):
    """Spark SQL (3.5 and 4), run with ANSI mode and without decimal precision loss (:mod:`.spark`): an overflow
    is an error, never a NULL or a rounded figure, and every product keeps the scale the emitter tracks."""

    name = "spark"

    def type(self, sql_type: str) -> str:
        return "STRING" if sql_type == "VARCHAR" else sql_type  # VARCHAR needs a length in Spark

    def array(self, items: list[str]) -> str:
        return "array(" + ", ".join(items) + ")"

    def typed_array(self, items: list[str], element: str) -> str:
        return f"CAST({self.array(items)} AS ARRAY<{element}>)"

    def mask(self, column: str, bits: list[tuple[str, int]]) -> str:
        cases = " ".join(f"WHEN {name} THEN {value}" for name, value in bits)
        return f"aggregate(transform({column}, x -> CASE x {cases} ELSE 0L END), 0L, (a, b) -> a | b)"

    def round_half_even(self, value: str, digits: int) -> str:
        return f"bround({value}, {digits})"

    def truncate(self, value: str, digits: int | None = None) -> str:
        # Spark's trunc is a date function; floor and ceil with a scale keep the decimal type
        d = digits or 0
        return f"CASE WHEN {value} >= 0 THEN floor({value}, {d}) ELSE ceil({value}, {d}) END"

    def whole(self, value: str) -> str:
        return f"CAST({value} AS DECIMAL(38, 0))"  # Spark has no 128-bit integer; 38 digits hold as much

    def floor_div(self, left: str, right: str) -> str:
        # div would return a BIGINT that wraps past 2^63; the remainder taken off first, the quotient is
        # exact, and a quotient too large for its type is an overflow error (ANSI mode), never a wrong figure
        return f"CAST(({left} - {left} % {right}) / {right} AS DECIMAL(38, 0))"

    def all_but_key(self, table: str, columns: list[str]) -> str:
        return ", ".join(f"{table}.{c}" for c in columns)

    def over(self, spec: str, order: str = "") -> str:
        return f"({spec} {order})" if order else f"({spec})"  # Spark cannot refine a named window

    def windows(self, spec: str) -> str:
        return ""


DUCKDB = Dialect()
SPARK = Spark()
