"""The benchmark: evaluators side by side, the cost of loading the notice, and a batch run end to end.

    python benchmarks/run.py                    # 20,000 applicants: evaluators, and the engines end to end
    python benchmarks/run.py -n 50000 --e2e 1000000
    python benchmarks/run.py --engines 1000000  # the Python and DuckDB engines on a million: JSONL, Parquet, CSV

Prints a Markdown report (the figures in docs/performance.md come from it).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import handwritten  # noqa: E402
import synthetic  # noqa: E402

from jinjiang_dsl import batch, load_policy  # noqa: E402
from jinjiang_dsl.batch import Tally  # noqa: E402
from jinjiang_dsl.check import check  # noqa: E402
from jinjiang_dsl.compile import compiled_backend  # noqa: E402
from jinjiang_dsl.plan import build_plan  # noqa: E402
from jinjiang_dsl.syntax import parse, parser  # noqa: E402

POLICY = ROOT / "policies" / "jinjiang_2023.pol"


def best_of(runs: int, fn: Any) -> float:
    """The fastest of several runs: the least disturbed by whatever else the machine does."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def agree(apps: list[Any], decider: Any) -> int:
    """Check the hand-written function decides as the engine does; returns the awards compared."""
    compared = 0
    for app in apps:
        mine = handwritten.evaluate(app)
        theirs = decider.applicant(app)
        if "error" in mine:
            assert theirs.status == "error", app.id
            continue
        assert mine["total"] == theirs.total, (app.id, mine["total"], theirs.total)
        for pd in theirs.projects:
            for award in pd.awards:
                status, _, amount = mine["projects"][pd.id][award.measure]
                assert (status, amount) == (award.status, award.amount), (app.id, pd.id, award)
                compared += 1
    return compared


def evaluators(n: int, runs: int) -> list[tuple[str, float]]:
    compiled = load_policy(POLICY)
    interpreted = load_policy(POLICY, backend="interpreter")
    apps = [a for a in compiled.read(synthetic.applicants(n)) if a.ok]
    compared = agree(apps, compiled.decider(trace=False))
    print(f"hand-written and compiled agree on {compared:,} awards of {len(apps):,} applicants", file=sys.stderr)
    deciders = {
        "compiled, no trace": compiled.decider(False),
        "compiled, traced": compiled.decider(True),
        "interpreter, no trace": interpreted.decider(False),
        "interpreter, traced": interpreted.decider(True),
    }
    found = [("hand-written Python (baseline)",
              len(apps) / best_of(runs, lambda: [handwritten.evaluate(a) for a in apps]))]
    gc.disable()  # the engine pauses the collector while it decides a batch; the same, for the baseline
    try:
        found.append(("hand-written Python, collector paused",
                      len(apps) / best_of(runs, lambda: [handwritten.evaluate(a) for a in apps])))
    finally:
        gc.enable()
    for name, decider in deciders.items():
        found.append((name, len(apps) / best_of(runs, lambda d=decider: list(d.applicants(apps)))))
    return found


def native_stages(path: Path, fmt: str) -> list[tuple[str, float]]:
    """The DuckDB engine's native path on one file, stage by stage: (stage, seconds)."""
    from jinjiang_dsl.sql import native

    policy = load_policy(POLICY)
    run = native.Native(policy, "zh", 1 << 20)
    stages = ("read", "screen", "decide (the query)", "the Python engine's lines (beside the query, normally)",
              "write")
    found = dict.fromkeys(stages, 0.0)
    tally = Tally()
    try:
        with path.open("rb") as f:
            parts = (run.parquet_parts(str(path)) if fmt == "parquet" else run.jsonl_parts(f, None) if fmt == "jsonl"
                     else run.item_parts(batch.read_csv(batch.csv_text(f), policy), None))
            t = time.perf_counter()
            for _ in parts:
                for name, step in zip(stages, (None, run.screen, run.decide, lambda: python(run),
                                               lambda: run.write(lambda text: None, tally))):
                    if step is not None:
                        step()
                    if step == run.screen:
                        run.start_python()
                    now = time.perf_counter()
                    found[name] += now - t
                    t = now
    finally:
        run.close()
    return list(found.items())


def python(run: Any) -> None:
    run.decide_python("clean")
    run.decide_python("simple")


PEAK = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); " \
       "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"


def engines(n: int, jobs: int) -> list[tuple[str, str, float, float]]:
    """``eval`` end to end on the same n applicants, JSON Lines, Parquet and CSV, each engine: (input, engine,
    seconds, peak MB of the largest process). Every run must write the same bytes (CSV's lines are numbered
    by its rows: the same bytes from either engine)."""
    found, outputs, csv_outputs = [], set(), set()
    with tempfile.TemporaryDirectory() as tmp:
        lines, parquet, table = Path(tmp) / "in.jsonl", Path(tmp) / "in.parquet", Path(tmp) / "in.csv"
        with lines.open("w", encoding="utf-8") as f:
            f.writelines(synthetic.lines(n, broken_share=0.0))
        synthetic.parquet(n, str(parquet))
        with table.open("w", encoding="utf-8", newline="") as f:
            f.writelines(synthetic.csv_lines(n))
        for source in (lines, parquet, table):
            for engine in ("python", "duckdb"):
                out = Path(tmp) / f"out.{engine}.jsonl"
                cmd = [sys.executable, "-m", "jinjiang_dsl.cli", "eval", str(POLICY), str(source), "--no-trace",
                       "--quiet", "--engine", engine, "--jobs", str(jobs), "-o", str(out)]
                t = time.perf_counter()
                peak = subprocess.run([sys.executable, "-c", PEAK, *cmd], check=True, capture_output=True, text=True)
                seconds = time.perf_counter() - t
                (csv_outputs if source == table else outputs).add(out.read_bytes())
                found.append((source.suffix[1:], engine, seconds, int(peak.stdout) / 1024))
        assert len(outputs) == len(csv_outputs) == 1, "the engines wrote different output"
        stages = native_stages(lines, "jsonl"), native_stages(parquet, "parquet"), native_stages(table, "csv")
        copies = floor(parquet, lines, Path(tmp))
    print("| stage of the native path | JSON Lines s | Parquet s | CSV s |\n|---|---:|---:|---:|")
    for (name, a), (_, b), (_, c) in zip(*stages):
        print(f"| {name} | {a:.2f} | {b:.2f} | {c:.2f} |")
    print("\nThe floor — DuckDB copying the same files, unchanged, deciding nothing (both cores, no order "
          "kept, best of 2):", "; ".join(f"{name} {s:.2f} s ({n / s:,.0f}/s)" for name, s in copies))
    return found


def floor(parquet: Path, lines: Path, tmp: Path) -> list[tuple[str, float]]:
    """What reading every applicant of a file and writing each one out costs, with nothing decided: DuckDB
    copying the Parquet file as it is to Parquet and to JSON Lines, and the JSON Lines file to JSON Lines
    (what was copied, best seconds). No engine that reads and writes every applicant goes faster on this
    machine."""
    import duckdb

    con = duckdb.connect(config={"preserve_insertion_order": False})
    cases = (("Parquet to Parquet", f"read_parquet('{parquet}')", "parquet"),
             ("Parquet to JSON Lines", f"read_parquet('{parquet}')", "json"),
             ("JSON Lines to JSON Lines", f"read_json('{lines}', format = 'newline_delimited')", "json"))
    try:
        return [(name, best_of(2, lambda source=source, fmt=fmt: con.execute(
            f"COPY (SELECT * FROM {source}) TO '{tmp / ('copy.' + fmt)}' (FORMAT {fmt})"))) for name, source, fmt in cases]
    finally:
        con.close()


def load_time(runs: int) -> tuple[float, float, float]:
    """(parser tables loaded from Lark's cache; parse + check + plan + compile of the notice loaded
    before, its code read from the cache; the same the first time, compiled and cached), seconds."""
    source = POLICY.read_text(encoding="utf-8")
    code = "import time; t=time.perf_counter(); from jinjiang_dsl.syntax import parser; parser(); " \
           "print(time.perf_counter()-t)"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warm Lark's cache
    tables = min(float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                      text=True).stdout) for _ in range(3))
    parser()

    def load() -> None:
        compiled_backend(build_plan(check(parse(source, str(POLICY)))))

    load()
    seen = best_of(runs, load)
    with tempfile.TemporaryDirectory() as tmp:
        folders = iter(range(runs))

        def first() -> None:  # a cache folder of its own each time: nothing compiled before
            os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, str(next(folders)))
            load()

        saved = dict(os.environ)
        try:
            first_time = best_of(runs, first)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return tables, seen, first_time


def end_to_end(n: int, jobs: int) -> tuple[float, float, int]:
    """JSON Lines → JSON Lines with --no-trace: (seconds, peak MB of the largest process, lines out)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w", encoding="utf-8") as f:
            f.writelines(synthetic.lines(n))
        cmd = [sys.executable, "-m", "jinjiang_dsl.cli", "eval", str(POLICY), str(src), "--no-trace",
               "--quiet", "--jobs", str(jobs), "-o", str(out)]
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        seconds = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with out.open(encoding="utf-8") as f:
            lines = sum(1 for _ in f)
    return seconds, peak, lines


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, {platform.system()} {platform.machine()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=20_000, help="synthetic applicants for the evaluator comparison")
    ap.add_argument("--runs", type=int, default=3, help="runs per case; the fastest counts")
    ap.add_argument("--e2e", type=int, default=0, metavar="N", help="also run N applicants JSONL → JSONL")
    ap.add_argument("--jobs", type=int, default=0, help="--jobs for the end-to-end run (default: all cores)")
    ap.add_argument("--engines", type=int, default=20_000, metavar="N",
                    help="applicants for the engines end to end, JSON Lines, Parquet and CSV (default 20,000; 0: skip)")
    args = ap.parse_args()

    print(f"Machine: {machine()}\n")
    rows = evaluators(args.n, args.runs)
    base = rows[0][1]
    print(f"Evaluators, {args.n:,} synthetic applicants (validated beforehand; best of {args.runs}):\n")
    print("| evaluator | applicants/s | ratio to hand-written |\n|---|---:|---:|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f} |")
    jobs = args.jobs or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    if args.engines:
        print(f"\nThe engines end to end, {args.engines:,} applicants, eval --no-trace --jobs {jobs} "
              "(the same bytes out from every run):\n")
        rows = engines(args.engines, jobs)
        print("\n| input | engine | seconds | applicants/s | peak MB |\n|---|---|---:|---:|---:|")
        for source, engine, seconds, peak in rows:
            print(f"| {source} | {engine} | {seconds:.1f} | {args.engines / seconds:,.0f} | {peak:.0f} |")
        for source in ("jsonl", "parquet", "csv"):
            python, duck = (next(r[2] for r in rows if r[:2] == (source, e)) for e in ("python", "duckdb"))
            print(f"\nDuckDB over Python on {source}: {python / duck:.1f}×")
    tables, seen, first_time = load_time(max(args.runs, 5))
    print(f"\nLoading the notice: parser tables from Lark's cache {tables * 1000:.0f} ms (once per process); "
          f"parse + check + plan + compile {seen * 1000:.1f} ms (its code cached), "
          f"{first_time * 1000:.1f} ms the first time (compiled)\n")
    if args.e2e:
        seconds, peak, lines = end_to_end(args.e2e, jobs)
        print(f"End to end, {args.e2e:,} applicants JSONL → JSONL, --no-trace, --jobs {jobs}: {seconds:.1f} s "
              f"({args.e2e / seconds:,.0f}/s), peak memory {peak:.0f} MB per process, {lines:,} lines out")


if __name__ == "__main__":
    main()
