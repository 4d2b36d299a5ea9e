"""Seeded synthetic applicants for the Jinjiang policy: every measure represented, some bad rows.

    python benchmarks/synthetic.py 100000 > /tmp/apps.jsonl
    python benchmarks/synthetic.py 1000000 --parquet /tmp/apps.parquet   # written by DuckDB, in steps
    python benchmarks/synthetic.py 100000 --csv /tmp/apps.csv            # a row per project
"""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from collections.abc import Iterator
from typing import Any

INDUSTRIES = ["纺织", "鞋服", "食品", "建材", "机械", "医疗器械", "电子信息", "晴雨伞", "包装印刷", "化工"]
BOUNDARIES = [0, 49999, 50000, 50001, 100000, 100001, 499999, 500000, 1000000, 2000000, 2999999, 3000000,
              5000000, 12000000]


def money(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return str(rng.choice(BOUNDARIES))
    return f"{rng.randrange(0, 8_000_000)}.{rng.randrange(100):02d}"


def date(rng: random.Random) -> str:
    year = rng.choice([2022, 2023, 2023, 2024, 2024, 2025])
    return f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def project(rng: random.Random, pid: str, kind: str) -> dict[str, Any]:
    p: dict[str, Any] = {"id": pid, "date": date(rng)}
    measure = rng.randrange(12)
    if measure == 0:
        p.update(industry=rng.choice(INDUSTRIES), selected_demo=True, completed_in_year=rng.random() < 0.9,
                 promotes_adoption=True, software_investment=money(rng), hardware_investment=money(rng),
                 quanzhou_park_key_project=rng.random() < 0.3)
    elif measure == 1:
        p.update(quanzhou_5g_demo=True, quanzhou_recognized_investment=money(rng))
        if rng.random() < 0.3:
            p["quanzhou_approved_subsidy"] = money(rng)
    elif measure == 2:
        p.update(quanzhou_iiot_demo=True, quanzhou_recognized_it_investment=money(rng))
    elif measure == 3:
        p.update(sme_adopters=rng.choice([5, 9, 10, 11, 19, 20, 49, 50, 80]))
    elif measure == 4:
        p.update(mis_software_spend=money(rng))
    elif measure == 5:
        p.update(cloud_service_fee=money(rng))
    elif measure == 6:
        p.update(platform_landed=True, platform_it_investment=money(rng),
                 leading_enterprise_initiated=rng.random() < 0.5, sme_interconnected=rng.random() < 0.5)
    elif measure == 7:
        p.update(industrial_app_recognized=True, prior_year_service_spend=money(rng))
    elif measure == 8:
        d = rng.choice([10, 19, 20, 30])
        p.update(enterprises_diagnosed=d, enterprises_started=rng.randrange(0, d + 1))
    elif measure == 9:
        p.update(qualified_sessions=rng.randrange(0, 6))
    elif measure == 10:
        p.update(college_program=True)
    else:
        p.update(financing_request=True)
    if rng.random() < 0.2:  # a second measure on the same project: R1 decides
        p.update(mis_software_spend=money(rng), cloud_service_fee=money(rng))
    if rng.random() < 0.05:
        p["other_policy_award"] = money(rng)
    return p


def applicant(rng: random.Random, i: int, bad_share: float = 0.02) -> dict[str, Any]:
    kind = rng.choice(["enterprise", "enterprise", "enterprise", "provider", "association", "college"])
    a: dict[str, Any] = {"id": f"A{i:07d}", "name": f"企业{i}", "kind": kind,
                         "manufacturer": rng.random() < 0.7, "above_scale_industrial": rng.random() < 0.5,
                         "fiscal_contribution": money(rng)}
    a["projects"] = [project(rng, f"P{j}", kind) for j in range(rng.choice([1, 1, 1, 2, 3]))]
    if rng.random() < bad_share:
        a["projects"][0]["software_investment"] = "-5"
    return a


def applicants(n: int, seed: int = 2023) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for i in range(n):
        yield applicant(rng, i)


def lines(n: int, seed: int = 2023, broken_share: float = 0.001) -> Iterator[str]:
    """JSON Lines, with a share of malformed lines that must come back as errors."""
    rng = random.Random(seed + 1)
    for a in applicants(n, seed):
        if rng.random() < broken_share:
            yield '{"id": "broken", "kind": \n'
        else:
            yield json.dumps(a, ensure_ascii=False) + "\n"


APPLICANT_COLUMNS = ["name", "kind", "manufacturer", "above_scale_industrial", "fiscal_contribution"]
PROJECT_COLUMNS = [
    "date", "industry", "selected_demo", "completed_in_year", "promotes_adoption", "software_investment",
    "hardware_investment", "quanzhou_park_key_project", "quanzhou_5g_demo", "quanzhou_recognized_investment",
    "quanzhou_approved_subsidy", "quanzhou_iiot_demo", "quanzhou_recognized_it_investment", "sme_adopters",
    "mis_software_spend", "cloud_service_fee", "platform_landed", "platform_it_investment",
    "leading_enterprise_initiated", "sme_interconnected", "industrial_app_recognized", "prior_year_service_spend",
    "enterprises_diagnosed", "enterprises_started", "qualified_sessions", "college_program", "financing_request",
    "other_policy_award"]


def csv_lines(n: int, seed: int = 2023) -> Iterator[str]:
    """The same applicants as CSV (docs/batch.md): a row per project, the applicant's columns repeated on each."""
    def cell(value: Any) -> str:
        return "" if value is None else ("true" if value else "false") if isinstance(value, bool) else str(value)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["applicant_id", *APPLICANT_COLUMNS, "project_id", *PROJECT_COLUMNS])
    yield out.getvalue()
    for a in applicants(n, seed):
        out.seek(0)
        out.truncate()
        for p in a["projects"]:
            writer.writerow([a["id"], *(cell(a.get(c)) for c in APPLICANT_COLUMNS), p["id"],
                             *(cell(p.get(c)) for c in PROJECT_COLUMNS)])
        yield out.getvalue()


def parquet(n: int, path: str, seed: int = 2023) -> None:
    """The same applicants as a Parquet file (money as text, dates as DATE, projects a list of structs), written
    by DuckDB from JSON Lines a million at a time, so that memory stays small whatever ``n``."""
    import os
    import tempfile

    import duckdb

    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as folder:
        parts = []
        made = applicants(n, seed)
        for i in range(0, n, 1_000_000):
            part = os.path.join(folder, f"{i}.jsonl")
            with open(part, "w", encoding="utf-8") as f:
                f.writelines(json.dumps(next(made), ensure_ascii=False) + "\n" for _ in range(min(1_000_000, n - i)))
            parts.append(part)
        columns = con.execute(f"DESCRIBE SELECT * FROM read_json({parts!r}, format = 'newline_delimited')").fetchall()
        typed = "{" + ", ".join(f"'{c[0]}': '{c[1]}'" for c in columns) + "}"
        con.execute(f"COPY (SELECT * FROM read_json({parts!r}, format = 'newline_delimited', columns = {typed})) "
                    f"TO '{path}' (FORMAT parquet)")


def main() -> None:
    import argparse

    p = argparse.ArgumentParser(description="Seeded synthetic applicants for the Jinjiang policy (JSON Lines on "
                                            "standard output, or a Parquet or CSV file).")
    p.add_argument("count", type=int, nargs="?", default=1000, help="how many applicants (default 1000)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--parquet", metavar="FILE", help="write a Parquet file (by DuckDB) instead")
    out.add_argument("--csv", metavar="FILE", help="write a CSV file (a row per project) instead")
    args = p.parse_args()
    if args.parquet:
        parquet(args.count, args.parquet)
    elif args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as f:
            f.writelines(csv_lines(args.count))
    else:
        sys.stdout.writelines(lines(args.count))


if __name__ == "__main__":
    main()
