"""A stream written by the Python engine and by another, compared: shared by the SQL engines' tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jinjiang_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
JINJIANG = str(ROOT / "policies" / "jinjiang_2023.pol")


def same_stream(tmp_path: Path, engine: str, n: int, seed: int, broken_share: float, bad_at: int) -> list[str]:
    """``n`` synthetic applicants (some broken, and a line that is not JSON at ``bad_at``) as JSON Lines, decided
    by the Python engine and by ``engine``: the same lines and the same summary, or the test fails. The lines."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    source = tmp_path / "in.jsonl"
    lines = list(synthetic.lines(n, seed=seed, broken_share=broken_share))
    lines.insert(bad_at, "not json at all\n")
    source.write_text("".join(lines), encoding="utf-8")
    written = {}
    for name in ("python", engine):
        out, summary = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.summary.json"
        assert main(["eval", JINJIANG, str(source), "--engine", name, "--no-trace", "--quiet", "-o", str(out),
                     "--summary", str(summary)]) == 0
        written[name] = (out.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8"))
    assert written["python"] == written[engine]
    out_lines = written[engine][0].splitlines()
    assert len(out_lines) == len(lines)  # count in = count out, bad lines included
    return out_lines


def both_engines(tmp_path: Path, source: Path, *options: str, policy: str = JINJIANG) -> list[dict[str, Any]]:
    """``source`` decided by the Python engine and by DuckDB's, written byte for byte alike (or the test fails):
    its output lines."""
    written = []
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.jsonl"
        assert main(["eval", policy, str(source), "-o", str(out), "--quiet", "--no-trace", "--engine", engine,
                     *options]) == 0
        written.append(out.read_bytes())
    assert written[0] == written[1]
    return [json.loads(line) for line in written[0].decode("utf-8").splitlines()]
