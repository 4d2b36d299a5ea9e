"""Decisions as tables: the JSON Lines output of a stream written again as Parquet or CSV, by DuckDB.

Parquet keeps the contract's fields and their nesting (an applicant per row, its projects and awards as
lists of structs); CSV has a row per award (an applicant without awards: one row, its award columns
empty; its warnings and errors a line each within the cell, since a sentence may hold "; "). Money stays the contract's exact text ("1000000.00") in both: a reader converts it as it likes,
never through a binary float on our side.
"""

from __future__ import annotations

from .sql.emit import literal

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
SELECT a.line, a.id, a.status, a.total, r.project, r.w.measure, r.w."year", r.w.status AS award_status,
  r.w.entitlement, r.w.amount,
  array_to_string(list_transform(r.w.shares, lambda s: s.payer || ' ' || s.amount), '; ') AS shares,
  array_to_string(list_transform(r.w.instalments, lambda s: s."year" || ' ' || s.amount), '; ') AS instalments,
  array_to_string(r.w.warnings, chr(10)) AS warnings, NULLIF(array_to_string(a.errors, chr(10)), '') AS errors
FROM a LEFT JOIN awarded r USING (line)
ORDER BY a.line, r.g, r.i"""


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
            con.execute(f"COPY ({FLAT.format(source=source)}) TO {literal(target)} (FORMAT csv, HEADER true)")
    finally:
        con.close()
