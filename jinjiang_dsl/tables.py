"""Decisions as tables: the JSON Lines output of a stream written again as Parquet or CSV, by DuckDB.

Parquet keeps the contract's fields and their nesting (an applicant per row, its projects and awards as
lists of structs); CSV has a row per award (an applicant without awards: one row, its award columns
empty; its warnings and errors a line each within the cell, since a sentence may hold "; "). Money stays the
contract's exact text ("1000000.00") in both: a reader converts it as it likes, never through a binary float on
our side.

A CSV cell that a spreadsheet would read as a formula — an applicant's id ``=HYPERLINK(…)``, a policy's
payer ``@SUM(…)`` — is written with a ``'`` before it (OWASP's advice against CSV injection), and so is
one that already starts with ``'``, so that dropping one leading ``'`` always gives the value back.
"""

from __future__ import annotations

from .sql.emit import literal

FORMULA_STARTS = "=+-@'\t\r"  # a first character a spreadsheet acts on (or our own quote)


def spreadsheet_cell(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows and never evaluates."""
    return "'" + text if text[:1] and text[0] in FORMULA_STARTS else text


def _cell(expr: str) -> str:
    """The SQL of :func:`spreadsheet_cell` applied to the text ``expr``."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    return f"CASE WHEN left({expr}, 1) IN ({starts}) THEN chr(39) || {expr} ELSE {expr} END"


AWARD = ("STRUCT(measure VARCHAR, \"year\" BIGINT, status VARCHAR, entitlement VARCHAR, amount VARCHAR, "
         "shares STRUCT(payer VARCHAR, amount VARCHAR)[], instalments STRUCT(\"year\" BIGINT, amount VARCHAR)[], "
         "warnings VARCHAR[], trace JSON)")
COLUMNS = {"line": "BIGINT", "id": "VARCHAR", "status": "VARCHAR", "total": "VARCHAR", "awards": f"{AWARD}[]",
           "projects": f"STRUCT(id VARCHAR, awards {AWARD}[])[]", "errors": "VARCHAR[]"}

FLAT = """
WITH a AS ({source}),
groups AS (
  SELECT line, 0 AS g, CAST(NULL AS VARCHAR) AS project, awards AS aw FROM a
  UNION ALL
  SELECT line, generate_subscripts(projects, 1) AS g, unnest(projects).id, unnest(projects).awards FROM a),
awarded AS (SELECT line, g, project, generate_subscripts(aw, 1) AS i, unnest(aw) AS w FROM groups)
SELECT a.line, {id} AS id, a.status, a.total, {project} AS project, {measure} AS measure, r.w."year",
  r.w.status AS award_status, r.w.entitlement, r.w.amount,
  {shares} AS shares,
  array_to_string(list_transform(r.w.instalments, lambda s: s."year" || ' ' || s.amount), '; ') AS instalments,
  {warnings} AS warnings, {errors} AS errors
FROM a LEFT JOIN awarded r USING (line)
ORDER BY a.line, r.g, r.i"""
# the cells a spreadsheet could take for formulas, each given by spreadsheet_cell's SQL
CELLS = {
    "id": _cell("a.id"), "project": _cell("r.project"), "measure": _cell("r.w.measure"),
    "shares": _cell("array_to_string(list_transform(r.w.shares, lambda s: s.payer || ' ' || s.amount), '; ')"),
    "warnings": _cell("array_to_string(r.w.warnings, chr(10))"),
    "errors": _cell("NULLIF(array_to_string(a.errors, chr(10)), '')"),
}


def write_table(lines: str, target: str, fmt: str) -> None:
    """The JSON Lines file ``lines`` (as ``eval`` writes it) written to ``target`` as "parquet" or "csv"."""
    import duckdb

    struct = "{" + ", ".join(f"{literal(name)}: {literal(kind)}" for name, kind in COLUMNS.items()) + "}"
    source = f"SELECT * FROM read_json({literal(lines)}, format = 'newline_delimited', columns = {struct})"
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if fmt == "parquet":
            con.execute(f"COPY ({source} ORDER BY line) TO {literal(target)} (FORMAT parquet)")
        else:
            con.execute(f"COPY ({FLAT.format(source=source, **CELLS)}) TO {literal(target)} (FORMAT csv, HEADER true)")
    finally:
        con.close()
