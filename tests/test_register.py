"""The decision register (issue 12): batches recorded in SQLite, corrections, audit commands, the hash
chain, and durability — a killed process records nothing half, two writers both land."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from jinjiang_dsl.cli import main
from jinjiang_dsl.explain.messages import render
from jinjiang_dsl.register import Register, replay

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
EXAMPLES = ROOT / "examples" / "applications.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def record(capsys: pytest.CaptureFixture[str], register: Path, applications: Path = EXAMPLES, *extra: str) -> str:
    code, _, err = run(capsys, "eval", str(POLICY), str(applications), "--register", str(register), "-o",
                       str(register.parent / "out.json"), *extra)
    assert code == 0, err
    return err


def count(register: Path, table: str = "decisions") -> int:
    with sqlite3.connect(register) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_batch_is_recorded_with_its_input_policy_and_explanations(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "decisions.sqlite"
    err = record(capsys, register)
    applicants = json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"]
    assert "recorded batch B-" in err and f"{len(applicants)} decisions" in err
    with sqlite3.connect(register) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
        (source,) = db.execute("SELECT source FROM policies").fetchone()
        assert source == POLICY.read_text(encoding="utf-8")  # the policy, stored once by its hash
        batch = db.execute("SELECT input_sha256, engine_version, traced FROM batches").fetchone()
        assert len(batch[0]) == 64 and batch[1] and batch[2] == 1
        rec, digest, decision = db.execute(
            "SELECT record, record_sha256, decision FROM decisions WHERE applicant_id = 'E004'").fetchone()
        assert json.loads(rec)["id"] == "E004" and len(digest) == 64
        assert json.loads(decision)["total"] == "650000.00"
        awards = db.execute("SELECT a.project_id, a.measure, a.status, a.amount, a.trace FROM awards a JOIN decisions d"
                            " ON d.id = a.decision_id WHERE d.applicant_id = 'E004' ORDER BY a.rowid").fetchall()
    assert [(p, m, s, a) for p, m, s, a, _ in awards] == [
        ("I1", "1.3", "granted", "361111.11"), ("S1", "2.1", "not_eligible", "0.00"),
        ("S2", "2.1", "granted", "216666.67"), ("C1", "4.1", "granted", "72222.22")]
    assert "R2" in awards[0][4]  # the explanation steps are kept with the award


def test_the_documented_rounds_record_and_correct_e004(tmp_path: Path, capsys: Any) -> None:
    # docs/register.md's workflow, on the rounds shipped in examples/rounds
    register = tmp_path / "decisions.sqlite"
    assert "10 decisions" in record(capsys, register, ROOT / "examples" / "rounds" / "round1.json")
    err = record(capsys, register, ROOT / "examples" / "rounds" / "round2.json")
    assert "7 decisions, superseding 1 earlier" in err and "E004: decision 11 supersedes decision 3" in err


def test_a_record_keeps_its_numbers_exactly_as_given(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "n.json"  # as written: trailing zeros, never read through a binary float
    path.write_text('{"applicants": [{"id": "N1", "kind": "enterprise", "fiscal_contribution": 1200000.50, '
                    '"projects": [{"id": "P1", "date": "2023-08-01", "cloud_service_fee": 60000.10}]}]}',
                    encoding="utf-8")
    register = tmp_path / "r.sqlite"
    record(capsys, register, path)
    with sqlite3.connect(register) as db:
        (rec,) = db.execute("SELECT record FROM decisions").fetchone()
    assert '"cloud_service_fee":60000.10' in rec and '"fiscal_contribution":1200000.50' in rec


DUPLICATED = ('{"id":"E","kind":"enterprise","manufacturer":true,"fiscal_contribution":"100",'
              '"fiscal_contribution":"5000000","projects":[{"id":"P1","date":"2023-08-15",'
              '"mis_software_spend":"600000","mis_software_spend":"1"}]}')


@pytest.mark.parametrize("kind", ["json", "jsonl"])
def test_a_record_with_a_key_given_twice_is_kept_whole_and_replays_identical(tmp_path: Path, capsys: Any,
                                                                             kind: str) -> None:
    # the register kept only the last value of a repeated key, so replay no longer saw the input error
    path = tmp_path / f"dk.{kind}"
    path.write_text(f'{{"applicants":[{DUPLICATED}]}}' if kind == "json" else DUPLICATED + "\n", encoding="utf-8")
    register = tmp_path / "r.sqlite"
    code, _, err = run(capsys, "eval", str(POLICY), str(path), "--register", str(register), "-o",
                       str(tmp_path / "out"), "--quiet")
    assert code == 0, err
    with sqlite3.connect(register) as db:
        (rec,) = db.execute("SELECT record FROM decisions").fetchone()
    assert rec == DUPLICATED  # both values of each key, in the order given
    code, out, _ = run(capsys, "register", "replay", "1", "--register", str(register))
    assert (code, out) == (0, "decision 1: identical\n")
    assert run(capsys, "register", "verify", "--register", str(register))[0] == 0


def test_a_resubmitted_record_supersedes_and_history_shows_both(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    err = record(capsys, register)
    # the three applicants with input errors decide nothing, so they correct nothing: 13, not 16
    assert "superseding 13 earlier" in err and "E004: decision 20 supersedes decision 4" in err
    code, out, _ = run(capsys, "register", "history", "E004", "--register", str(register))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("decision 4  batch B-") and lines[0].endswith("total 650000.00  superseded by 20")
    assert "S2  2.1  granted  entitlement 300000.00  amount 216666.67" in out
    assert any(line.startswith("decision 20  ") and line.endswith("supersedes 4") for line in lines)
    code, _, err = run(capsys, "register", "history", "NOBODY", "--register", str(register))
    assert code == 1 and "no decision for applicant 'NOBODY'" in err


def test_a_record_with_new_projects_only_is_a_new_claim_not_a_correction(tmp_path: Path, capsys: Any) -> None:
    # spring: E1's project S; autumn: the same enterprise claims again for project A — both stand.
    # A third round submits A again (corrected): that one supersedes the autumn decision only.
    def claim(name: str, project: str, adopters: int) -> Path:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"applicants": [{"id": "E1", "kind": "provider", "fiscal_contribution": "900000",
                                                    "projects": [{"id": project, "date": "2023-06-01",
                                                                  "sme_adopters": adopters}]}]}), encoding="utf-8")
        return path

    register = tmp_path / "r.sqlite"
    record(capsys, register, claim("spring", "S", 12))
    assert "superseding" not in record(capsys, register, claim("autumn", "A", 25))
    assert "E1: decision 3 supersedes decision 2" in record(capsys, register, claim("fix", "A", 55))
    history = Register(register).history("E1")
    assert [(h["decision"], h["supersedes"], h["superseded_by"]) for h in history] == [
        (1, None, None), (2, None, 3), (3, 2, None)]


def test_a_later_round_gets_what_is_left_under_the_limit_and_says_which_batch_took_the_rest(
        tmp_path: Path, capsys: Any) -> None:
    # E004's projects in two rounds: in spring I1 (1.3, 500,000) and S2 (2.1, 300,000) exceed the
    # 650,000 contribution and are reduced to it; in autumn C1 (4.1, 100,000) finds nothing left
    e4 = next(a for a in json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"] if a["id"] == "E004")
    spring = dict(e4, projects=[p for p in e4["projects"] if p["id"] in ("I1", "S2")])
    autumn = dict(e4, projects=[p for p in e4["projects"] if p["id"] == "C1"])
    register = tmp_path / "r.sqlite"
    for name, rec in (("spring", spring), ("autumn", autumn)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"applicants": [rec]}, ensure_ascii=False), encoding="utf-8")
        code, _, err = run(capsys, "eval", str(POLICY), str(path), "--register", str(register), "--lang", "en",
                           "-o", str(tmp_path / f"{name}-out.json"))
        assert code == 0, err
    spring_out = json.loads((tmp_path / "spring-out.json").read_text(encoding="utf-8"))["applicants"][0]
    autumn_out = json.loads((tmp_path / "autumn-out.json").read_text(encoding="utf-8"))["applicants"][0]
    assert spring_out["total"] == "650000.00" and autumn_out["total"] == "0.00"
    c1 = autumn_out["projects"][0]["awards"][0]
    assert (c1["measure"], c1["status"], c1["entitlement"], c1["amount"]) == ("4.1", "granted", "100000.00", "0.00")
    texts = [s["text"] for s in c1["trace"]]
    with sqlite3.connect(register) as db:
        (first,) = db.execute("SELECT batch_id FROM decisions ORDER BY id LIMIT 1").fetchone()
    assert (f"R2 Enterprise annual cap: earlier batches already granted 650,000 yuan in 2023 (batch {first} I1 · measure 1.3 "
            f"(2023) 406,250 yuan; batch {first} S2 · measure 2.1 (2023) 243,750 yuan); 650,000 − 650,000 = 0 yuan of the headroom "
            "is left") in texts
    # a replay of the autumn batch sees the register as it stood then: identical
    with sqlite3.connect(register) as db:
        (autumn_batch,) = db.execute("SELECT batch_id FROM decisions ORDER BY id DESC LIMIT 1").fetchone()
    code, out, _ = run(capsys, "register", "replay", autumn_batch, "--register", str(register))
    assert (code, out) == (0, "decision 2: identical\n")
    # and the two rounds grant in all what one batch of both records grants
    assert run(capsys, "eval", str(POLICY), str(EXAMPLES), "-o", str(tmp_path / "one.json"))[0] == 0
    one = next(a for a in json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))["applicants"]
               if a["id"] == "E004")
    assert one["total"] == "650000.00"


@pytest.mark.parametrize("version", ["zh", "newline"])
def test_a_new_version_of_the_same_notice_counts_the_earlier_rounds_grants(tmp_path: Path, capsys: Any,
                                                                            version: str) -> None:
    # the same notice spelled with Chinese keywords, or with one more newline, is the same policy: its
    # annual cap counts what the spring round granted under the other source, and stderr says so once
    autumn_policy = ROOT / "policies" / "jinjiang_2023.zh.pol"
    if version == "newline":
        autumn_policy = tmp_path / "jinjiang_2023.pol"
        autumn_policy.write_text(POLICY.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    e4 = next(a for a in json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"] if a["id"] == "E004")
    register = tmp_path / "r.sqlite"
    errs = []
    for name, policy, projects in (("spring", POLICY, ("I1", "S2")), ("autumn", autumn_policy, ("C1",))):
        path = tmp_path / f"{name}.json"
        rec = dict(e4, projects=[p for p in e4["projects"] if p["id"] in projects])
        path.write_text(json.dumps({"applicants": [rec]}, ensure_ascii=False), encoding="utf-8")
        code, _, err = run(capsys, "eval", str(policy), str(path), "--register", str(register),
                           "-o", str(tmp_path / f"{name}-out.json"))
        assert code == 0, err
        errs.append(err)
    autumn_out = json.loads((tmp_path / "autumn-out.json").read_text(encoding="utf-8"))["applicants"][0]
    assert autumn_out["total"] == "0.00"  # the cap is spent; not 100,000 from a cap restarted at zero
    with sqlite3.connect(register) as db:
        (spring_sha,) = db.execute("SELECT policy_sha256 FROM batches ORDER BY rowid LIMIT 1").fetchone()
        (autumn_batch,) = db.execute("SELECT batch_id FROM decisions ORDER BY id DESC LIMIT 1").fetchone()
    assert "another version" not in errs[0]
    assert [line for line in errs[1].splitlines() if "another version" in line] == [
        f"register: counting 1 earlier decision of this notice recorded under another version of its source "
        f"(sha256 {spring_sha[:12]}…)"]
    code, out, _ = run(capsys, "register", "replay", autumn_batch, "--register", str(register))
    assert (code, out) == (0, "decision 2: identical\n")


def test_a_top_up_over_an_earlier_award_superseded_then_says_it_paid_nothing(tmp_path: Path, capsys: Any) -> None:
    # E002's 2024 cloud fee (2.3, once per applicant per year) lost to another measure of its project in the
    # first round; a higher 2.3 claim later in 2024 tops it up — from 0, and the explanation says why 0
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    e2 = next(a for a in json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"] if a["id"] == "E002")
    later = tmp_path / "later.json"
    later.write_text(json.dumps({"applicants": [dict(e2, projects=[
        {"id": "P2", "date": "2024-06-01", "cloud_service_fee": "150000"}])]}, ensure_ascii=False), encoding="utf-8")
    code, _, err = run(capsys, "eval", str(POLICY), str(later), "--register", str(register), "--lang", "en",
                       "-o", str(tmp_path / "later-out.json"))
    assert code == 0, err
    (batch,) = [b for (b,) in sqlite3.connect(register).execute("SELECT id FROM batches ORDER BY rowid LIMIT 1")]
    award = json.loads((tmp_path / "later-out.json").read_text(encoding="utf-8"))["applicants"][0]["projects"][0]["awards"]
    texts = [s["text"] for a in award for s in a["trace"] if s["kind"] == "once"]
    assert texts == [f"Once per applicant per year: 2024 was taken before by batch {batch} P1 · measure 2.3 (2024) 0 yuan "
                     "(entitled to 30,000 yuan; superseded then by another measure, nothing paid); this claim's 60,000 "
                     "yuan is higher, so it pays the difference: 60,000 − 0 = 60,000 yuan"]


def test_highest_per_applicant_counts_the_award_an_earlier_round_paid(tmp_path: Path) -> None:
    # s07: only the year's highest award is paid an enterprise. Spring: the 200,000 centre award; autumn:
    # the 500,000 little-giant award tops it up by 300,000; a later 200,000 claim is not stacked
    from jinjiang_dsl import load_policy

    path = ROOT / "policies" / "shapes" / "s07_highest_per_applicant.pol"
    policy = load_policy(path)

    def applicant(*projects: dict[str, Any]) -> dict[str, Any]:
        return {"id": "E", "projects": list(projects)}

    centre = {"id": "P1", "date": "2024-03-01", "provincial_center": True}
    giant = {"id": "P2", "date": "2024-09-01", "national_little_giant": True}
    again = {"id": "P3", "date": "2024-11-01", "provincial_center": True}
    with Register(tmp_path / "r.sqlite") as register:
        totals = [register.decide(policy, str(path), [applicant(p)])[1].applicants[0].total
                  for p in (centre, giant, again)]
        _, batch, _ = register.decide(policy, str(path), [applicant(dict(giant, id="P4", date="2025-01-02"))])
    assert totals == [Decimal("200000.00"), Decimal("300000.00"), Decimal("0.00")]
    assert sum(totals) == policy.evaluate_applicant(applicant(centre, giant, again)).total  # as one batch
    assert batch.applicants[0].total == Decimal("500000.00")  # another year: paid in full


def test_a_one_off_award_claimed_again_in_a_later_batch_names_the_earlier_award(tmp_path: Path) -> None:
    # s01's second worked case: recognised in 2024 and paid; the same enterprise claims again in 2025 → 0,
    # naming the 2024 award and its batch
    from jinjiang_dsl import load_policy

    path = ROOT / "policies" / "shapes" / "s01_applicant_level.pol"
    policy = load_policy(path)
    with Register(tmp_path / "r.sqlite") as register:
        _, first, _ = register.decide(policy, str(path), [{"id": "A1", "recognised_on": "2024-05-01",
                                                             "first_little_giant": True}])
        _, again, _ = register.decide(policy, str(path), [{"id": "A1", "recognised_on": "2025-03-01",
                                                             "first_little_giant": True}])
    assert first.applicants[0].total == Decimal("500000.00")
    (award,) = again.applicants[0].awards
    assert (award.status, award.amount, again.applicants[0].total) == ("not_eligible", Decimal("0"), Decimal("0"))
    with sqlite3.connect(tmp_path / "r.sqlite") as db:
        (spring,) = db.execute("SELECT batch_id FROM decisions ORDER BY id LIMIT 1").fetchone()
    assert any(f"already awarded by batch {spring} measure 1 (2024) 500,000 yuan" in render(step, "en")
               for step in award.trace)


def test_rounds_of_highest_per_applicant_grant_what_one_batch_grants(tmp_path_factory: Any) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from jinjiang_dsl import load_policy

    path = ROOT / "policies" / "shapes" / "s07_highest_per_applicant.pol"
    policy = load_policy(path)
    award = st.tuples(st.sampled_from(["national_little_giant", "provincial_center"]),
                      st.sampled_from(["2024-03-01", "2024-09-01", "2025-05-01"]), st.integers(1, 3))

    @settings(max_examples=30, deadline=None)
    @given(st.lists(award, min_size=1, max_size=5))
    def same(awards: list[tuple[str, str, int]]) -> None:
        projects = [({"id": f"P{i}", "date": date, fact: True}, r) for i, (fact, date, r) in enumerate(awards)]
        with Register(tmp_path_factory.mktemp("s07") / "r.sqlite") as register:
            for r in (1, 2, 3):
                batch = [p for p, pr in projects if pr == r]
                if batch:
                    register.decide(policy, str(path), [{"id": "E", "projects": batch}])
            paid = sum((Decimal(a) for (a,) in register.db.execute(
                "SELECT amount FROM awards WHERE status = 'granted'")), Decimal(0))
        ordered = [p for r in (1, 2, 3) for p, pr in projects if pr == r]
        assert paid == policy.evaluate_applicant({"id": "E", "projects": ordered}).total

    same()


def test_the_quota_warning_counts_the_projects_earlier_rounds_selected(tmp_path: Path, capsys: Any) -> None:
    # 1.1: at most 2 selected projects per industry per year. Two in spring, one more in autumn: the
    # autumn batch warns, naming the spring projects and their batch; a correction does not count twice
    def demo(aid: str, pid: str) -> dict[str, Any]:
        return {"id": aid, "kind": "enterprise", "fiscal_contribution": "10000000", "projects": [
            {"id": pid, "date": "2023-08-01", "industry": "鞋服", "selected_demo": True, "completed_in_year": True,
             "promotes_adoption": True, "software_investment": "1000000", "hardware_investment": "0"}]}

    register = tmp_path / "r.sqlite"

    def round_(name: str, *applicants: dict[str, Any]) -> dict[str, Any]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"applicants": list(applicants)}, ensure_ascii=False), encoding="utf-8")
        out = tmp_path / f"{name}-out.json"
        assert run(capsys, "eval", str(POLICY), str(path), "--register", str(register), "--lang", "en",
                   "-o", str(out))[0] == 0
        return json.loads(out.read_text(encoding="utf-8"))["summary"]

    assert round_("spring", demo("A", "P1"), demo("B", "P2"))["warnings"] == []
    assert round_("fix", demo("B", "P2"))["warnings"] == []  # B corrected: still two
    warnings = round_("autumn", demo("C", "P3"))["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith("1.1 quota: 3 selected projects with industry 鞋服 in 2023 (A/P1 (B-")
    assert "C/P3" in warnings[0] and "B/P2 (B-" in warnings[0]
    # a stream counts them too (and C's correction in it counts once)
    stream = tmp_path / "late.jsonl"
    stream.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in (demo("C", "P3"), demo("D", "P4"))),
                      encoding="utf-8")
    summary = tmp_path / "summary.json"
    assert run(capsys, "eval", str(POLICY), str(stream), "--register", str(register), "--lang", "en", "--quiet",
               "-o", str(tmp_path / "late-out.jsonl"), "--summary", str(summary))[0] == 0
    warnings = json.loads(summary.read_text(encoding="utf-8"))["warnings"]
    assert len(warnings) == 1 and "4 selected projects" in warnings[0] and warnings[0].count("C/P3") == 1


def test_a_json_lines_stream_is_recorded_line_by_line_and_replays_identical(tmp_path: Path, capsys: Any) -> None:
    applicants = json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"]
    stream = tmp_path / "apps.jsonl"
    stream.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in applicants)
                      + "{not json\n" + json.dumps(applicants[0], ensure_ascii=False) + "\n", encoding="utf-8")
    register = tmp_path / "r.sqlite"
    out = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "eval", str(POLICY), str(stream), "--register", str(register), "-o", str(out), "--quiet")
    assert code == 0 and f"{len(applicants) + 2} decisions" in err
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[-1]["errors"] == [f"line {len(applicants) + 2}: $.id: duplicate id 'E001' (also line 1) (applicant E001)"]
    with sqlite3.connect(register) as db:
        assert db.execute("SELECT kind FROM batches").fetchone()[0] == "jsonl"
        rows = db.execute("SELECT position, status, record, input_error FROM decisions ORDER BY id").fetchall()
        (batch,) = db.execute("SELECT id FROM batches").fetchone()
    assert [r[0] for r in rows] == list(range(1, len(applicants) + 3))  # the line numbers
    assert rows[-2][1:] == ("error", "null", f"line {len(applicants) + 1}: not valid JSON: Expecting property name "
                                             "enclosed in double quotes at column 2")
    assert rows[-1][1] == "error" and json.loads(rows[-1][2])["id"] == "E001"
    code, out_text, _ = run(capsys, "register", "replay", batch, "--register", str(register))
    assert code == 0 and out_text.count(": identical") == len(applicants) + 2
    # the duplicate line decided nothing, so it corrects nothing: E001's first decision stands
    assert [h["superseded_by"] for h in Register(register).history("E001")] == [None, None]


def test_a_csv_stream_is_recorded_with_each_line_s_own_problem(tmp_path: Path, capsys: Any) -> None:
    csv = tmp_path / "apps.csv"
    csv.write_text((ROOT / "tests" / "fixtures" / "applications.csv").read_text(encoding="utf-8"), encoding="utf-8")
    register = tmp_path / "r.sqlite"
    code, _, err = run(capsys, "eval", str(POLICY), str(csv), "--register", str(register), "-o",
                       str(tmp_path / "out.jsonl"), "--quiet")
    assert code == 0 and "3 decisions" in err
    with sqlite3.connect(register) as db:
        assert db.execute("SELECT kind FROM batches").fetchone()[0] == "csv"
        (batch,) = db.execute("SELECT id FROM batches").fetchone()
        errors = [e for (e,) in db.execute("SELECT input_error FROM decisions ORDER BY id")]
    assert errors == [None, None, "line 5: 4 cells, but the header has 10"]
    code, out_text, _ = run(capsys, "register", "replay", batch, "--register", str(register))
    assert code == 0 and out_text.count(": identical") == 3
    assert run(capsys, "register", "verify", "--register", str(register))[0] == 0


def test_a_schema_1_register_is_migrated_and_its_chain_still_verifies(tmp_path: Path, capsys: Any) -> None:
    from jinjiang_dsl import register as reg

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # a register as the first version wrote it
        db.executescript(reg.MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    with Register(path) as r:
        assert r.version == 4
        # which decisions still stand is found through the index schema 4 adds, not by scanning them all
        plan = r.db.execute("EXPLAIN QUERY PLAN SELECT 1 FROM decisions later WHERE later.supersedes = 1").fetchall()
        assert "decisions_supersedes" in str(plan)
    record(capsys, path)
    assert run(capsys, "register", "verify", "--register", str(path))[0] == 0


def test_a_schema_2_register_s_batches_are_sealed_by_the_migration_and_then_verified(
        tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "old.sqlite"
    record(capsys, path)
    with sqlite3.connect(path) as db:  # as schema 2 left it: batch rows without a hash
        db.execute("ALTER TABLE batches DROP COLUMN row_hash")
        db.execute("DROP INDEX decisions_supersedes")
        db.execute("PRAGMA user_version = 2")
    code, out, _ = run(capsys, "register", "verify", "--register", str(path))
    assert code == 0 and out.endswith("16 decisions checked; the chain is intact\n")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
        db.execute("UPDATE batches SET engine_version = '9.9.9'")
    code, out, _ = run(capsys, "register", "verify", "--register", str(path))
    assert code == 1 and "was changed after it was recorded" in out


OTHER_NOTICE = """policy "另一项本级政策" / "Another municipal notice" {
  issued 2023-01-01
  dated by date
  currency 元
  rounding 0.01元 half_up
}
project {
  date: date "日期" / "date"
  training: bool "培训" / "training"
}
measure 1 "培训补助" / "Training grant" {
  clause 一
  requires training "开展培训" / "gives training"
  amount 30万
}
example "培训" / "training" {
  project P1 { date: 2023-04-01, training: true }
  expect P1 1 granted 30万
}
"""


def test_the_register_supplies_what_other_notices_granted_when_the_record_leaves_it_out(
        tmp_path: Path, capsys: Any) -> None:
    # E1 got 300,000 under another notice in 2023; under Jinjiang, R2's "other municipal subsidies this
    # year" is 'from register': left out, the register supplies it, and the headroom is 1,000,000 − 300,000
    other = tmp_path / "other.pol"
    other.write_text(OTHER_NOTICE, encoding="utf-8")
    register = tmp_path / "r.sqlite"
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"applicants": [{"id": "E1", "projects": [
        {"id": "T1", "date": "2023-04-01", "training": True}]}]}), encoding="utf-8")
    assert run(capsys, "eval", str(other), str(first), "--register", str(register), "-o", str(tmp_path / "o1.json"))[0] == 0
    claim = {"id": "E1", "kind": "provider", "fiscal_contribution": "1000000", "projects": [
        {"id": "S1", "date": "2023-06-01", "sme_adopters": 50}, {"id": "S2", "date": "2024-02-01", "sme_adopters": 50},
        {"id": "Q1", "date": "2023-07-01", "quanzhou_iiot_demo": True, "quanzhou_recognized_it_investment": "10000000"}]}
    second = tmp_path / "second.json"
    second.write_text(json.dumps({"applicants": [claim]}), encoding="utf-8")
    out = tmp_path / "o2.json"
    assert run(capsys, "eval", str(POLICY), str(second), "--register", str(register), "--lang", "en",
               "-o", str(out))[0] == 0
    decided = json.loads(out.read_text(encoding="utf-8"))["applicants"][0]
    amounts = {(p["id"], a["measure"]): a["amount"] for p in decided["projects"] for a in p["awards"]}
    # 2023: 300,000 (2.1) + 500,000 (1.3) = 800,000 over the 700,000 left; 2024: nothing from the other notice
    assert sum(Decimal(amounts[k]) for k in (("S1", "2.1"), ("Q1", "1.3"))) == Decimal("700000.00")
    assert amounts[("S2", "2.1")] == "300000.00"
    texts = [s["text"] for p in decided["projects"] if p["id"] == "S1" for a in p["awards"] for s in a["trace"]]
    assert any(t.startswith("Other municipal subsidies this year (2023) not given: the decision register "
                            "supplies 300,000 yuan, what other policies granted (另一项本级政策 batch B-") for t in texts)
    # given in the record (a correction of the same projects), the figure is the record's
    given = dict(claim, other_municipal_subsidies="0")
    second.write_text(json.dumps({"applicants": [given]}), encoding="utf-8")
    assert run(capsys, "eval", str(POLICY), str(second), "--register", str(register), "-o", str(out))[0] == 0
    assert json.loads(out.read_text(encoding="utf-8"))["applicants"][0]["total"] == "1100000.00"


def test_a_dry_run_records_nothing(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    before = register.read_bytes()
    err = record(capsys, register, EXAMPLES, "--dry-run")
    assert "would record batch" in err and "(a provisional id: recording gives the batch its own)" in err
    assert "superseding 13 earlier" in err
    assert register.read_bytes() == before  # SQLite's empty -wal beside it is a reader's, as any reader's
    assert (tmp_path / "r.sqlite-wal").read_bytes() == b""
    assert count(register) == 16 and count(register, "batches") == 1


@pytest.mark.parametrize("applications", [EXAMPLES, None])
def test_a_dry_run_writes_nothing_to_a_read_only_register_nor_creates_a_new_one(
        tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch, applications: Path | None) -> None:
    # a document and a stream; a read-only register (root ignores file modes: every write to the file is
    # made to fail instead, as SQLite would fail it) and a path where there is none
    stream = jsonl(tmp_path, 20)
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    written = []
    connect = sqlite3.connect

    def watched(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = connect(database, *args, **kwargs)
        if str(database) != ":memory:":
            written.append(database)
        return db

    monkeypatch.setattr(sqlite3, "connect", watched)
    os.chmod(register, 0o444)
    err = record(capsys, register, applications or stream, "--dry-run")
    assert "would record batch" in err and written == [f"{register.resolve().as_uri()}?mode=ro"]
    new = tmp_path / "new.sqlite"
    err = record(capsys, new, applications or stream, "--dry-run")
    assert f"register {new}: would record batch" in err and not new.exists()


@pytest.mark.parametrize("applications", ["document", "stream"])
def test_a_reader_of_stderr_that_goes_away_loses_no_output(tmp_path: Path, applications: str) -> None:
    # `eval … --register R -o OUT 2>&1 | head -1`: the batch is recorded, so OUT must be written too
    register, out = tmp_path / "r.sqlite", tmp_path / "out.json"
    source = EXAMPLES if applications == "document" else jsonl(tmp_path, 20)
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first message
    try:
        code = subprocess.call([sys.executable, "-m", "jinjiang_dsl.cli", "eval", str(POLICY), str(source),
                                "--register", str(register), "-o", str(out)], stderr=write)
    finally:
        os.close(write)
    assert code == 0 and out.exists() and count(register) in (16, 20)


def test_a_dry_run_needs_a_register(capsys: Any) -> None:
    code, _, err = run(capsys, "eval", str(POLICY), str(EXAMPLES), "--dry-run")
    assert (code, err) == (2, "jinjiang-dsl eval: --dry-run says what --register would record: give --register too\n")


def test_replay_says_identical_and_finds_a_changed_decision(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    with sqlite3.connect(register) as db:
        (batch,) = db.execute("SELECT id FROM batches").fetchone()
    code, out, _ = run(capsys, "register", "replay", batch, "--register", str(register))
    assert code == 0 and out.count(": identical") == 16
    code, out, _ = run(capsys, "register", "replay", "4", "--register", str(register))
    assert (code, out) == (0, "decision 4: identical\n")
    with sqlite3.connect(register) as db:  # what the engine decided, edited behind its back
        (stored,) = db.execute("SELECT decision FROM decisions WHERE id = 4").fetchone()
        db.execute("UPDATE decisions SET decision = ? WHERE id = 4", (stored.replace('"total": "650000.00"', '"total": "950000.00"'),))
    code, out, _ = run(capsys, "register", "replay", "4", "--register", str(register))
    assert code == 1 and out.startswith('decision 4: differs: $.total: recorded "950000.00", now "650000.00"')
    code, _, err = run(capsys, "register", "replay", "x1", "--register", str(register))
    assert code == 2 and "neither a decision number nor a batch id" in err


def test_a_batch_recorded_without_explanations_replays_without_them(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register, EXAMPLES, "--no-trace")
    with sqlite3.connect(register) as db:
        (batch, traced) = db.execute("SELECT id, traced FROM batches").fetchone()
        (decision,) = db.execute("SELECT decision FROM decisions WHERE applicant_id = 'E001'").fetchone()
    assert traced == 0 and '"trace"' not in decision
    code, out, _ = run(capsys, "register", "replay", batch, "--register", str(register))
    assert code == 0 and out.count(": identical") == 16


@pytest.mark.parametrize(("tamper", "found"), [
    ("UPDATE decisions SET total = '1.00' WHERE id = 3", ["decision 3: its content was changed after it was recorded"]),
    ("UPDATE awards SET amount = '999.00' WHERE decision_id = 5",
     ["decision 5: its content was changed after it was recorded"]),
    ("DELETE FROM decisions WHERE id = 7", ["decision 8: rows 7–7 are missing (deleted)",
                                           "decision 8: does not follow the row before it (a row was inserted, "
                                           "deleted or changed before it)",
                                           "decision 7: 3 award rows name it, but it is not in the register (its row "
                                           "was deleted, or they were inserted)",
                                           "batch {batch}: recorded 16 decisions; 15 are here (1 deleted)"]),
    ("DELETE FROM decisions WHERE id >= 15", ["decision 15: rows 15–16 are missing (deleted from the end)",
                                             "batch {batch}: recorded 16 decisions; 14 are here (2 deleted)"]),
    ("UPDATE batches SET recorded_at = '2023-01-01T00:00:00+08:00'",
     ["batch {batch}: its row (time, engine, input, policy or totals) was changed after it was recorded"]),
    ("UPDATE batches SET input_sha256 = '00', engine_version = '0.0.1'",
     ["batch {batch}: its row (time, engine, input, policy or totals) was changed after it was recorded"]),
    ("UPDATE batches SET applicants = 14", [  # to hide rows deleted from the end, the count edited too
        "batch {batch}: its row (time, engine, input, policy or totals) was changed after it was recorded",
        "batch {batch}: recorded 14 decisions; 16 are here (2 inserted)"]),
    ("UPDATE policies SET source = source || '# changed' || char(10)",
     ["policy {policy}…: its source was changed after it was recorded (it no longer hashes to its SHA-256)"]),
    ("UPDATE policies SET name = '另一项政策'",
     ["policy {policy}…: its name was changed after it was recorded (its source names "
      "'晋江市支持产业数字化转型升级十二条措施', the row '另一项政策')"]),
    ("UPDATE decisions SET record = replace(record, 'E002', 'E992') WHERE id = 2",
     ["decision 2: its input record was changed", "decision 2: its content was changed after it was recorded"]),
])
def test_verify_catches_a_row_edited_with_sqlite(tmp_path: Path, capsys: Any, tamper: str, found: list[str]) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    code, out, _ = run(capsys, "register", "verify", "--register", str(register))
    assert code == 0 and out.strip().endswith("16 decisions checked; the chain is intact")
    with sqlite3.connect(register) as db:
        batch, policy = db.execute("SELECT id, policy_sha256 FROM batches").fetchone()
        (head,) = db.execute("SELECT row_hash FROM decisions WHERE id = 16").fetchone()
    assert f"last row: decision 16, hash {head}\n" in out  # to be kept where the writers cannot reach
    with sqlite3.connect(register) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute(tamper)
    code, out, _ = run(capsys, "register", "verify", "--register", str(register))
    assert code == 1
    problems = [line for line in out.splitlines()[:-1] if not line.startswith("last row: decision ")]
    assert problems == [f.format(batch=batch, policy=policy[:12]) for f in found]


def test_an_inserted_row_breaks_the_chain(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    with sqlite3.connect(register) as db:  # a copy of the last row, appended with its hashes as they were
        db.execute("INSERT INTO decisions (batch_id, position, applicant_id, period, status, total, record,"
                   " record_sha256, decision, supersedes, prev_hash, row_hash) SELECT batch_id, position, applicant_id,"
                   " period, status, total, record, record_sha256, decision, supersedes, prev_hash, row_hash"
                   " FROM decisions WHERE id = 16")
    code, out, _ = run(capsys, "register", "verify", "--register", str(register))
    assert code == 1 and out.startswith("decision 17: does not follow the row before it")
    assert "recorded 16 decisions; 17 are here (1 inserted)" in out


def test_a_row_inserted_with_a_far_number_is_named_inserted_not_the_numbers_before_it_deleted(
        tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    with sqlite3.connect(register) as db:
        db.execute("INSERT INTO decisions SELECT 999, batch_id, position, applicant_id, period, status, total, record,"
                   " record_sha256, decision, supersedes, prev_hash, row_hash, input_error FROM decisions WHERE id = 4")
    code, out, _ = run(capsys, "register", "verify", "--register", str(register))
    assert code == 1 and out.startswith("decision 999: was inserted: no row is missing, yet its number skips 17–998\n")
    assert "are missing" not in out


def test_export_writes_every_award_as_json_lines_and_csv(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    code, out, _ = run(capsys, "register", "export", "--register", str(register))
    rows = [json.loads(line) for line in out.splitlines()]
    with sqlite3.connect(register) as db:
        bare = db.execute("SELECT count(*) FROM decisions d WHERE NOT EXISTS"
                          " (SELECT 1 FROM awards a WHERE a.decision_id = d.id)").fetchone()[0]
    assert bare == 3  # the examples' three applicants with input errors: one row each, no award
    assert code == 0 and len(rows) == count(register, "awards") + bare
    e4 = [r for r in rows if r["applicant"] == "E004"]
    assert [(r["project"], r["measure"], r["amount"]) for r in e4][-1] == ("C1", "4.1", "72222.22")
    code, out, _ = run(capsys, "register", "export", "--format", "csv", "--register", str(register))
    assert out.splitlines()[0].startswith("decision,batch,recorded_at,policy_sha256")
    assert len(out.splitlines()) == len(rows) + 1
    # a correction: the earlier decision's rows name the one that supersedes it, so that the current
    # decisions are those without, and their amounts sum to what stands
    record(capsys, register)
    code, out, _ = run(capsys, "register", "export", "--register", str(register))
    rows = [json.loads(line) for line in out.splitlines()]
    assert {(r["decision"], r["superseded_by"]) for r in rows if r["applicant"] == "E004"} == {(4, 20), (20, None)}
    current = sum(Decimal(r["amount"] or 0) for r in rows if r["superseded_by"] is None)
    second = sum(Decimal(r["amount"] or 0) for r in rows if r["batch"] == rows[-1]["batch"])
    assert current == second and current * 2 == sum(Decimal(r["amount"] or 0) for r in rows)  # every grant corrected


def test_an_export_without_format_writes_what_its_file_is_named_for(tmp_path: Path, capsys: Any) -> None:
    # 'register export -o decisions.parquet' (or .csv) wrote JSON Lines under that name, which a Parquet
    # reader or a spreadsheet then refused
    import pyarrow.parquet as pq

    register = tmp_path / "r.sqlite"
    record(capsys, register)
    for name in ("decisions.csv", "decisions.parquet", "decisions.jsonl", "decisions.out"):
        assert run(capsys, "register", "export", "-o", str(tmp_path / name), "--register", str(register))[0] == 0
    assert (tmp_path / "decisions.csv").read_text(encoding="utf-8").startswith("decision,batch,recorded_at,")
    assert pq.read_table(tmp_path / "decisions.parquet").column_names[:2] == ["decision", "batch"]
    for name in ("decisions.jsonl", "decisions.out"):
        assert json.loads((tmp_path / name).read_text(encoding="utf-8").splitlines()[0])["decision"] == 1


def test_a_csv_export_keeps_a_carriage_return_inside_its_cell(tmp_path: Path, capsys: Any) -> None:
    # the csv module quotes a cell holding "\n" but not one holding a lone "\r": the row split in two for any reader
    register, src = tmp_path / "r.sqlite", tmp_path / "a.jsonl"
    ids = ["a\rQ", "b\r\nQ", "c\nQ", "plain"]
    src.write_text("".join(json.dumps({"id": i, "kind": "college", "projects": []}) + "\n" for i in ids),
                   encoding="utf-8")
    record(capsys, register, src)
    code, out, _ = run(capsys, "register", "export", "--format", "csv", "--register", str(register))
    assert code == 0 and [r["applicant"] for r in csv.DictReader(io.StringIO(out, newline=""))] == ids


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_into_a_reader_that_goes_away_ends_quietly(tmp_path: Path, capsys: Any, fmt: str) -> None:
    register = tmp_path / "r.sqlite"
    for _ in range(20):  # enough rows that the export outlasts the pipe's buffer
        record(capsys, register)
    process = subprocess.Popen([sys.executable, "-m", "jinjiang_dsl.cli", "register", "export", "--format", fmt,
                                "--register", str(register)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()  # as `| head -1` does
    process.stdout.close()
    assert (process.wait(), process.stderr.read()) == (0, b"")


def test_export_writes_parquet_that_reads_back_exactly(tmp_path: Path, capsys: Any) -> None:
    import pyarrow.parquet as pq

    register = tmp_path / "r.sqlite"
    record(capsys, register)
    target = tmp_path / "decisions.parquet"
    code, _, _ = run(capsys, "register", "export", "--format", "parquet", "-o", str(target), "--register", str(register))
    assert code == 0
    table = pq.read_table(target)
    code, out, _ = run(capsys, "register", "export", "--register", str(register))
    lines = [json.loads(line) for line in out.splitlines()]
    assert table.num_rows == len(lines) and table.column_names[:3] == ["decision", "batch", "recorded_at"]
    rows = table.to_pylist()
    assert [(r["applicant"], r["measure"], r["amount"]) for r in rows] == \
        [(j["applicant"], j["measure"], j["amount"]) for j in lines]  # amounts as text: exact
    code, _, err = run(capsys, "register", "export", "--format", "parquet", "--register", str(register))
    assert code == 2 and "give -o FILE.parquet" in err


def test_register_problems_are_one_line_errors(tmp_path: Path, capsys: Any) -> None:
    not_a_register = tmp_path / "notes.txt"
    not_a_register.write_text("not a database\n" * 100, encoding="utf-8")
    code, _, err = run(capsys, "eval", str(POLICY), str(EXAMPLES), "--register", str(not_a_register), "-o",
                       str(tmp_path / "o.json"))
    assert code == 2 and err.startswith(f"jinjiang-dsl: {not_a_register}: cannot open the register: ")
    assert "Traceback" not in err and len(err.splitlines()) == 1
    for action in (["verify"], ["history", "E004"], ["replay", "1"], ["export", "-o", str(tmp_path / "e.jsonl")]):
        code, _, err = run(capsys, "register", *action, "--register", str(tmp_path / "none.sqlite"))
        assert code == 2 and "no register here" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # neither a register nor an export made
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    code, _, err = run(capsys, "register", "verify", "--register", str(newer))
    assert code == 2 and "written by a newer jinjiang-dsl (schema 99; this one knows 4)" in err


def test_another_program_s_database_is_never_taken_over(tmp_path: Path, capsys: Any) -> None:
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE foo (x)")
    before = foreign.read_bytes()
    for argv in (["eval", str(POLICY), str(EXAMPLES), "-o", str(tmp_path / "o.json")], ["register", "verify"],
                 ["register", "export"], ["register", "history", "E004"]):
        code, out, err = run(capsys, *argv, "--register", str(foreign))
        assert (code, out) == (2, "")
        assert err == f"jinjiang-dsl: {foreign}: an SQLite database that is not a decision register (tables foo); " \
                      "name another file\n"
    assert foreign.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]
    empty = tmp_path / "empty.sqlite"  # an empty file is a new register
    empty.write_bytes(b"")
    record(capsys, empty)
    assert count(empty) == 16


def test_replay_of_a_number_past_sqlite_s_range_finds_nothing(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    for target in ("99999999999999999999999", "0"):
        code, _, err = run(capsys, "register", "replay", target, "--register", str(register))
        assert (code, err) == (1, f"nothing recorded as {target!r} in {register}\n")
    code, _, err = run(capsys, "register", "replay", "٣", "--register", str(register))  # a digit, not ASCII
    assert code == 2 and "neither a decision number nor a batch id" in err


def test_a_register_missing_a_table_is_a_one_line_error(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    with sqlite3.connect(register) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DROP TABLE decisions")
    for action in ("verify", "export"):
        code, _, err = run(capsys, "register", action, "--register", str(register))
        assert (code, err) == (2, f"jinjiang-dsl: {register}: not a usable register: no table decisions\n")


def test_a_full_disk_records_nothing_and_says_so_in_one_line(tmp_path: Path) -> None:
    # SQLite's page limit for this connection stands in for a full disk: the same error, the same path
    from jinjiang_dsl import load_policy
    from jinjiang_dsl.inputs import read_document
    from jinjiang_dsl.register import RegisterError

    policy = load_policy(POLICY)
    records = read_document(EXAMPLES.read_text(encoding="utf-8"))
    with Register(tmp_path / "r.sqlite") as register:
        register.decide(policy, str(POLICY), records[:2])
        pages = register.db.execute("PRAGMA page_count").fetchone()[0]
        register.db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(RegisterError) as caught:
            register.decide(policy, str(POLICY), records)
        assert str(caught.value).startswith(f"{tmp_path / 'r.sqlite'}: the batch was not recorded: ")
        assert "full" in str(caught.value) and "\n" not in str(caught.value)
        checked, problems = register.verify()
    assert (checked, problems) == (2, [])  # the first batch, whole; nothing of the second


def test_a_read_only_register_records_nothing_and_says_so_in_one_line(tmp_path: Path) -> None:
    # the tests run as root, whom file permissions do not stop: SQLite's query_only stands in for them
    from jinjiang_dsl import load_policy
    from jinjiang_dsl.inputs import read_document
    from jinjiang_dsl.register import RegisterError

    policy = load_policy(POLICY)
    records = read_document(EXAMPLES.read_text(encoding="utf-8"))
    with Register(tmp_path / "r.sqlite") as register:
        register.db.execute("PRAGMA query_only = ON")
        with pytest.raises(RegisterError) as caught:
            register.decide(policy, str(POLICY), records)
        assert str(caught.value) == f"{tmp_path / 'r.sqlite'}: the batch was not recorded: attempt to write a readonly database"
        assert register.verify() == (0, [])


def jsonl(tmp_path: Path, n: int) -> Path:
    """A JSON Lines stream of n applicants, copies of the examples with their own ids."""
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"]
    path = tmp_path / "stream.jsonl"
    path.write_text("".join(json.dumps(dict(examples[i % 12], id=f"L{i:05d}"), ensure_ascii=False) + "\n"
                            for i in range(n)), encoding="utf-8")
    return path


@pytest.mark.parametrize("stand_in", ["full", "read-only"])
def test_a_stream_the_register_cannot_take_leaves_no_output_and_says_why(
        tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch, stand_in: str) -> None:
    # the register fills up (SQLite's page limit, a few pages above what it has) or cannot be written
    # (query_only) part-way through a stream: one line naming the reason, and no -o file at all
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    opened = Register.migrate

    def limited(self: Register) -> None:
        opened(self)
        if stand_in == "full":
            pages = self.db.execute("PRAGMA page_count").fetchone()[0]
            self.db.execute(f"PRAGMA max_page_count = {pages + 8}")
        else:
            self.db.execute("PRAGMA query_only = ON")

    monkeypatch.setattr(Register, "migrate", limited)
    out = tmp_path / "stream-out.jsonl"
    code, _, err = run(capsys, "eval", str(POLICY), str(jsonl(tmp_path, 300)), "--register", str(register),
                       "-o", str(out), "--quiet")
    reason = "database or disk is full" if stand_in == "full" else "attempt to write a readonly database"
    assert (code, err) == (2, f"jinjiang-dsl: {register}: the batch was not recorded: {reason}; "
                              f"{out} was not written\n")
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert count(register) == 16


def many(tmp_path: Path, n: int, prefix: str = "K") -> Path:
    """A document of n applicants, each a copy of an example with its own id."""
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"]
    applicants = []
    for i in range(n):
        a = dict(examples[i % 12])
        a["id"] = f"{prefix}{i:05d}"
        applicants.append(a)
    path = tmp_path / f"{prefix}.json"
    path.write_text(json.dumps({"applicants": applicants}, ensure_ascii=False), encoding="utf-8")
    return path


def command(applications: Path, register: Path) -> list[str]:
    return [sys.executable, "-m", "jinjiang_dsl.cli", "eval", str(POLICY), str(applications), "--register",
            str(register), "--no-trace", "-o", os.devnull]


def test_a_killed_batch_records_nothing_half(tmp_path: Path) -> None:
    register = tmp_path / "r.sqlite"
    with Register(register):
        pass
    applications = many(tmp_path, 3000)
    outcomes = set()
    for delay in (0.3, 1.0, 1.6, 2.2):
        process = subprocess.Popen(command(applications, register), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        with Register(register) as r:
            checked, problems = r.verify()
        assert problems == [] and checked % 3000 == 0  # a whole batch or nothing
        outcomes.add(checked)
    assert outcomes  # (which delays land inside the transaction depends on the machine)


def test_two_writers_at_once_both_land_one_after_the_other(tmp_path: Path) -> None:
    register = tmp_path / "r.sqlite"
    first, second = many(tmp_path, 400, "A"), many(tmp_path, 400, "B")
    # and one enterprise claims in both at once: E004's 650,000 limit holds across the two
    e4 = next(a for a in json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"] if a["id"] == "E004")
    for path, projects in ((first, ("I1",)), (second, ("S2", "C1"))):
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["applicants"].append(dict(e4, projects=[p for p in e4["projects"] if p["id"] in projects]))
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    processes = [subprocess.Popen(command(path, register), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for path in (first, second)]
    for p in processes:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Register(register) as r:
        checked, problems = r.verify()
        batches = [row[0] for row in r.db.execute("SELECT batch_id FROM decisions ORDER BY id")]
    assert problems == [] and checked == 802
    assert batches[:401] == [batches[0]] * 401 and batches[401:] == [batches[401]] * 401  # not interleaved
    with sqlite3.connect(register) as db:
        granted = sum(Decimal(a) for (a,) in db.execute(
            "SELECT a.amount FROM awards a JOIN decisions d ON d.id = a.decision_id WHERE d.applicant_id = 'E004'"))
    assert granted == Decimal("650000.00")  # the limit, across both batches, whichever came first


# ---------------------------------------------------------------------- rounds and one batch (Done when)

MEASURE_FACTS = {  # facts that make a project claim one measure, at one of a few amounts
    "2.1": lambda n: {"sme_adopters": [10, 20, 50][n % 3]},
    "2.2": lambda n: {"mis_software_spend": ["600000", "2500000"][n % 2]},
    "2.3": lambda n: {"cloud_service_fee": ["60000", "120000"][n % 2]},
    "1.2": lambda n: {"quanzhou_5g_demo": True, "quanzhou_recognized_investment": ["300000", "800000"][n % 2]},
    "4.1": lambda n: {"enterprises_diagnosed": 25, "enterprises_started": [2, 10][n % 2]},
}


def years_rounds() -> Any:
    """An applicant whose projects arrive in up to three rounds, with the first round's record corrected in
    the second (one fact changed) or not."""
    from hypothesis import strategies as st

    project = st.tuples(st.lists(st.sampled_from(sorted(MEASURE_FACTS)), min_size=1, max_size=2, unique=True),
                        st.integers(0, 5), st.sampled_from(["2023-06-01", "2023-09-01", "2024-03-01"]),
                        st.integers(1, 3))
    return st.tuples(st.lists(project, min_size=1, max_size=6), st.sampled_from(["300000", "900000", "5000000"]),
                     st.booleans(), st.integers(0, 5))


def test_rounds_grant_what_one_batch_of_the_final_records_grants(tmp_path_factory: Any) -> None:
    """Issue 12's Done when: a year decided in three batches, with a correction in the second, gives the
    same per-year totals as one batch of the final records — except a year whose explanation attributes
    the difference to an earlier final grant (a once-per-year measure topped up by a later claim)."""
    from hypothesis import given, settings

    from jinjiang_dsl import load_policy

    policy = load_policy(POLICY)

    @settings(max_examples=40, deadline=None)
    @given(years_rounds())
    def rounds_and_batch(case: Any) -> None:
        projects, contribution, correct, change = case
        applicant = {"id": "E", "kind": "provider", "manufacturer": True, "above_scale_industrial": True,
                     "fiscal_contribution": contribution}
        made = [{"id": f"P{i}", "date": date, **{k: v for m in measures for k, v in MEASURE_FACTS[m](n + i).items()}}
                for i, (measures, n, date, _) in enumerate(projects)]
        rounds = {r: [p for p, (_, _, _, pr) in zip(made, projects) if pr == r] for r in (1, 2, 3)}
        corrected = [dict(p, **MEASURE_FACTS["2.1"](change)) if "sme_adopters" in p else p for p in rounds[1]] \
            if correct and rounds[1] else []
        submitted = [rounds[1], corrected + rounds[2], rounds[3]]
        final = (corrected or rounds[1]) + rounds[2] + rounds[3]
        register_path = tmp_path_factory.mktemp("rounds") / "r.sqlite"
        with Register(register_path) as register:
            for batch_projects in submitted:
                if batch_projects:
                    register.decide(policy, str(POLICY), [dict(applicant, projects=batch_projects)], trace=True)
            for (batch_id,) in register.db.execute("SELECT id FROM batches").fetchall():  # each replays identical
                assert [diff for _, diff in replay(register, batch=batch_id)] == [""]
            rows = register.db.execute(
                "SELECT a.year, a.status, a.amount, a.trace FROM decisions d JOIN awards a ON a.decision_id = d.id"
                " WHERE NOT EXISTS (SELECT 1 FROM decisions later WHERE later.supersedes = d.id)").fetchall()
        in_rounds: dict[int, Decimal] = {}
        attributed: set[int] = set()  # a later claim of a once-per-year measure that an earlier final grant held
        for year, status, amount, trace in rows:
            if status == "granted":
                in_rounds[year] = in_rounds.get(year, Decimal(0)) + Decimal(amount)
            if any(s["kind"] == "once" and "补足差额" in s["text"] for s in json.loads(trace)):
                attributed.add(year)
        one = policy.evaluate_applicant(dict(applicant, projects=final))
        dates = {p["id"]: int(p["date"][:4]) for p in final}
        in_batch: dict[int, Decimal] = {}
        for p in one.projects:
            for a in p.awards:
                if a.status == "granted" and a.amount:
                    in_batch[dates[p.id]] = in_batch.get(dates[p.id], Decimal(0)) + a.amount
        for year in set(in_rounds) | set(in_batch):
            if year not in attributed:
                assert in_rounds.get(year, Decimal(0)) == in_batch.get(year, Decimal(0)), (year, in_rounds, in_batch)

    rounds_and_batch()


def test_no_output_ever_replaces_the_register(tmp_path: Path, capsys: Any) -> None:
    # '-o' (or '--summary') naming the register replaced the database with JSON and said "recorded"
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    before = register.read_bytes()
    stream = tmp_path / "in.jsonl"
    stream.write_text(json.dumps(json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"][0]) + "\n",
                      encoding="utf-8")
    for argv in (["eval", str(POLICY), str(EXAMPLES), "--register", str(register), "-o", str(register)],
                 ["eval", str(POLICY), str(stream), "--register", str(register), "-o", str(tmp_path / "o.jsonl"),
                  "--summary", str(register)],
                 *(["register", "export", "--register", str(register), "--format", fmt, "-o", str(register)]
                   for fmt in ("csv", "jsonl", "parquet")),
                 # SQLite's files beside it: an export written as the -wal file was deleted when the register closed
                 *(["register", "export", "--register", str(register), "-o", f"{register}{suffix}"]
                   for suffix in ("-wal", "-shm", "-journal"))):
        code, _, err = run(capsys, *argv)
        assert code == 2 and f"{argv[-1]}: refusing to overwrite an input of this run" in err, argv
    assert register.read_bytes() == before
    assert run(capsys, "register", "verify", "--register", str(register))[0] == 0


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("applications", ["document", "stream"])
def test_an_output_naming_a_new_register_is_refused_before_anything_is_recorded(
        tmp_path: Path, capsys: Any, suffix: str, applications: str) -> None:
    # '--register NEW -o NEW' recorded the batch, then refused the output (the register did not exist when
    # the output was checked); SQLite's own files beside it would be taken over or deleted by SQLite
    register = tmp_path / "new.sqlite"
    inputs = EXAMPLES if applications == "document" else tmp_path / "in.jsonl"
    if applications == "stream":
        inputs.write_text(json.dumps(json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"][0]) + "\n",
                          encoding="utf-8")
    for option in ("-o", "--summary"):
        if option == "--summary" and applications == "document":
            continue  # a document's summary goes with its decisions
        target = f"{register}{suffix}"
        extra = ["-o", str(tmp_path / "o.jsonl")] if option == "--summary" else []
        code, _, err = run(capsys, "eval", str(POLICY), str(inputs), "--register", str(register), option, target,
                           *extra)
        assert (code, err) == (2, f"jinjiang-dsl: {target}: refusing to overwrite an input of this run; name "
                                  "another output\n")
        assert not os.path.exists(register) and not os.path.exists(target)  # nothing recorded, nothing made


@pytest.mark.parametrize("name", ["", ":memory:", "fifo", "/dev/null", "folder"])
def test_a_register_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path, capsys: Any, name: str) -> None:
    # '' and ':memory:' looped for ever switching to WAL; a FIFO blocked; /dev/null left /dev/null-journal
    path = {"fifo": str(tmp_path / "fifo"), "folder": str(tmp_path)}.get(name, name)
    if name == "fifo":
        os.mkfifo(path)
    for extra in ([], ["--dry-run"]):
        code, _, err = run(capsys, "eval", str(POLICY), str(EXAMPLES), "--register", path, "-o",
                           str(tmp_path / "o.json"), *extra)
        assert code == 2 and "a register is a" in err and len(err.splitlines()) == 1, (name, err)


def test_an_audit_makes_no_register_of_an_empty_file(tmp_path: Path, capsys: Any) -> None:
    empty = tmp_path / "e.sqlite"
    empty.write_bytes(b"")
    for action in (["verify"], ["history", "E004"], ["replay", "1"], ["export"]):
        code, _, err = run(capsys, "register", *action, "--register", str(empty))
        assert code == 2 and "no register here" in err
    assert empty.read_bytes() == b""


@pytest.mark.parametrize("alter, says", [
    ("ALTER TABLE awards DROP COLUMN trace", "the register's tables are not as this version writes them: "
                                             "no such column"),
    ("PRAGMA user_version = -1", "not a usable register: schema version -1"),
])
def test_a_register_altered_by_hand_is_a_one_line_error(tmp_path: Path, capsys: Any, alter: str, says: str) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    with sqlite3.connect(register) as db:
        db.execute(alter)
    code, _, err = run(capsys, "register", "verify", "--register", str(register))
    assert code == 2 and says in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_verify_finds_awards_planted_for_a_decision_not_yet_recorded(tmp_path: Path, capsys: Any) -> None:
    # an award row for decision 99 would have been counted as the next honest decision's
    register = tmp_path / "r.sqlite"
    record(capsys, register)
    with sqlite3.connect(register) as db:
        db.execute("INSERT INTO awards VALUES (99, 'P9', '1.1', 2023, 'granted', '500000.00', '500000.00', '[]', '[]')")
    code, out, _ = run(capsys, "register", "verify", "--register", str(register))
    assert code == 1 and ("decision 99: 1 award rows name it, but it is not in the register (its row was deleted, "
                          "or they were inserted)") in out


BAD_UTF8 = [  # (tamper, where, column): bytes that are not UTF-8, stored as text
    ("UPDATE decisions SET record = CAST(X'7BFF7D' AS TEXT) WHERE id = 3", "decisions row 3", "record"),
    ("UPDATE decisions SET batch_id = CAST(batch_id || X'FF' AS TEXT) WHERE id = 3", "decisions row 3", "batch_id"),
    ("UPDATE batches SET engine_version = CAST(X'FF' AS TEXT)", "batches row 1", "engine_version"),
    ("UPDATE batches SET id = CAST(id || X'C0' AS TEXT)", "batches row 1", "id"),
    ("UPDATE policies SET source = CAST(CAST(source AS BLOB) || X'FF' AS TEXT)", "policies row 1", "source"),
    ("UPDATE awards SET measure = CAST(X'E4B8' AS TEXT) WHERE rowid = 2", "awards row 2", "measure"),
    ("UPDATE decisions SET row_hash = CAST(X'FE' AS TEXT) WHERE id = 10", "decisions row 10", "row_hash"),
]


@pytest.mark.parametrize(("tamper", "action", "code", "says"), [
    ("UPDATE batches SET applicants = 'x'", ["register", "verify"], 1,
     "batches row 1: column applicants holds text, where the register keeps an integer (altered by hand)"),
    ("UPDATE sqlite_sequence SET seq = 'x'", ["register", "verify"], 1,
     "column seq holds text, where the register keeps an integer (altered by hand)"),
    ("UPDATE awards SET entitlement = X'FF' WHERE decision_id = 3", ["register", "verify"], 1,
     "column entitlement holds a blob, where the register keeps text (altered by hand)"),
    ("UPDATE decisions SET record = 'not json' WHERE id = 3", ["register", "replay", "3"], 2,
     "decisions row 3, column record: not valid JSON"),
    ("UPDATE decisions SET record = 'not json' WHERE id = 3", ["register", "replay", "{batch}"], 2,
     "decisions row 3, column record: not valid JSON"),
    ("UPDATE decisions SET decision = 'not json' WHERE id = 3", ["register", "replay", "3"], 2,
     "decisions row 3, column decision: not valid JSON"),
    ("UPDATE policies SET source = ''", ["register", "replay", "3"], 2, "policies row 1, column source: not a policy"),
    # a later round reads what E003 was granted (decision 2), and whether its record corrects it
    ("UPDATE awards SET entitlement = 'x' WHERE decision_id = 2", ["eval", str(POLICY), "{claim}", "-o", "{out}"],
     2, "column entitlement: not an amount"),
    ("UPDATE decisions SET record = 'not json' WHERE id = 2", ["eval", str(POLICY), "{claim}", "-o", "{out}"],
     2, "decisions row 2, column record: not valid JSON"),
    ("UPDATE awards SET shares = 'x' WHERE decision_id = 3", ["register", "export"], 2, "column shares: not valid JSON"),
    ("UPDATE awards SET entitlement = X'FF' WHERE decision_id = 3", ["register", "export"], 2,
     "column entitlement: a blob, where the register keeps text"),
    ("UPDATE awards SET entitlement = X'FF' WHERE decision_id = 3", ["register", "history", "E004"], 2,
     "column entitlement: a blob, where the register keeps text"),
    ("UPDATE decisions SET record = X'FF' WHERE id = 3", ["register", "verify"], 1,
     "decisions row 3: column record holds a blob, where the register keeps text (altered by hand)"),
    ("UPDATE policies SET source = CAST(source AS BLOB)", ["register", "verify"], 1,
     "policies row 1: column source holds a blob, where the register keeps text (altered by hand)"),
    ("UPDATE decisions SET prev_hash = X'00' WHERE id = 4", ["register", "verify"], 1,
     "decisions row 4: column prev_hash holds a blob, where the register keeps text (altered by hand)"),
    # text that is not UTF-8: SQLite's own decoding failed with an unlocated line ('Could not decode to UTF-8
    # column 'record' with text …', the whole policy source over two lines), verify stopped there, and history,
    # export and eval (recording a new batch on top) read past it
    *((tamper, ["register", "verify"], 1, f"{where}: column {column} is not UTF-8 text (altered by hand)")
      for tamper, where, column in BAD_UTF8),
    *((tamper, action, 2, f"{where}, column {column}: not UTF-8 text") for tamper, where, column in BAD_UTF8
      for action in (["register", "history", "E004"], ["register", "export"], ["register", "replay", "3"],
                     ["eval", str(POLICY), "{claim}", "-o", "{out}"])),
])
def test_a_register_tampered_with_is_a_located_line_never_an_internal_error(
        tmp_path: Path, capsys: Any, tamper: str, action: list[str], code: int, says: str) -> None:
    # each of these ended in 'internal error' (exit 70): a value of another type, or text that is not what it held
    register = tmp_path / "r.sqlite"
    record(capsys, register, ROOT / "examples" / "rounds" / "round1.json")
    with sqlite3.connect(register) as db:
        (batch,) = db.execute("SELECT id FROM batches").fetchone()
        db.execute(tamper)
    claim = tmp_path / "claim.json"  # E003's new claim
    claim.write_text('{"applicants": [{"id": "E003", "kind": "enterprise", "manufacturer": true, "fiscal_contribution":'
                     ' "5000000", "projects": [{"id": "P9", "date": "2023-08-15", "mis_software_spend": "600000"}]}]}',
                     encoding="utf-8")
    argv = [a.format(batch=batch, out=tmp_path / "o.json", claim=claim) for a in action]
    found, out, err = run(capsys, *argv, "--register", str(register))
    assert "internal error" not in out + err and "Traceback" not in out + err
    assert found == code, (out, err)
    if code == 1:  # verify names it among the rows not as recorded
        assert says in out.splitlines() or any(line.endswith(says) for line in out.splitlines()), out
    else:  # the audit stops at it, in one line naming the row
        assert err.startswith(f"jinjiang-dsl: {register}: the register was altered by hand: ") and says in err, err
        assert len(err.splitlines()) == 1
        assert count(register, "batches") == 1  # nothing recorded on top of it


def test_verify_names_text_that_is_not_utf8_and_goes_on_checking_the_rest(tmp_path: Path, capsys: Any) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register, ROOT / "examples" / "rounds" / "round1.json")
    with sqlite3.connect(register) as db:
        (batch,) = db.execute("SELECT id FROM batches").fetchone()
        db.execute("UPDATE decisions SET record = CAST(X'7BFF7D' AS TEXT) WHERE id = 3")
        db.execute("UPDATE batches SET engine_version = CAST(X'FF' AS TEXT)")
        db.execute("UPDATE decisions SET total = '1.00' WHERE id = 7")
    code, out, err = run(capsys, "register", "verify", "--register", str(register))
    assert (code, err) == (1, "")
    assert out.splitlines()[:2] == ["batches row 1: column engine_version is not UTF-8 text (altered by hand)",
                                    "decisions row 3: column record is not UTF-8 text (altered by hand)"]
    for found in ("decision 3: its input record was changed", "decision 3: its content was changed after it was "
                  "recorded", "decision 7: its content was changed after it was recorded",
                  f"batch {batch}: its row (time, engine, input, policy or totals) was changed after it was recorded"):
        assert found in out.splitlines()
    assert out.endswith("10 decisions checked; 6 problems\n")


PLANTED = "not one the register creates (added by hand)"


@pytest.mark.parametrize(("plant", "named"), [
    # it rewrote every decision recorded after it, and verify, seeing no row changed, said the chain was intact
    ("CREATE TRIGGER t AFTER INSERT ON decisions BEGIN UPDATE decisions SET total = '0' WHERE id = NEW.id; END",
     f"trigger t (on decisions): {PLANTED}; a trigger can rewrite what is recorded"),
    ("CREATE VIEW v AS SELECT * FROM decisions", f"view v: {PLANTED}"),
    ("CREATE INDEX i ON decisions(total)", f"index i (on decisions): {PLANTED}"),
    ("DROP INDEX decisions_batch; CREATE INDEX decisions_batch ON decisions(total)",  # one of its names
     f"index decisions_batch (on decisions): {PLANTED}"),
])
def test_a_trigger_view_or_index_planted_in_the_register_is_named_and_no_batch_is_recorded_with_it(
        tmp_path: Path, capsys: Any, plant: str, named: str) -> None:
    register = tmp_path / "r.sqlite"
    record(capsys, register, ROOT / "examples" / "rounds" / "round1.json")
    with sqlite3.connect(register) as db:
        db.executescript(plant)
    code, out, err = run(capsys, "register", "verify", "--register", str(register))
    assert (code, err) == (1, "") and out.splitlines()[0] == named
    assert out.endswith("10 decisions checked; 1 problem\n")
    stream = jsonl(tmp_path, 3)
    for applications, extra in ((ROOT / "examples" / "rounds" / "round2.json", []), (stream, []),
                                (stream, ["--dry-run"])):
        out_file = tmp_path / f"refused{applications.suffix}"
        code, _, err = run(capsys, "eval", str(POLICY), str(applications), "--register", str(register),
                           "-o", str(out_file), *extra)
        assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith(f"jinjiang-dsl: {register}: the register was altered by hand: {named.split(':')[0]} "
                              "is not one the register creates: nothing is recorded in it"), err
        assert not out_file.exists()
    assert count(register, "batches") == 1
    code, out, _ = run(capsys, "register", "history", "E004", "--register", str(register))  # reading it is safe
    assert code == 0 and out.startswith("decision 3  batch")


def test_a_register_with_a_planted_trigger_is_not_brought_up_to_date(tmp_path: Path, capsys: Any) -> None:
    # schema 3's migration updates every batch row: a trigger planted in a schema 2 register would run with it
    path = tmp_path / "old.sqlite"
    record(capsys, path)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE batches DROP COLUMN row_hash")
        db.execute("PRAGMA user_version = 2")
        db.execute("CREATE TRIGGER t AFTER UPDATE ON batches BEGIN UPDATE decisions SET total = '0'; END")
    code, out, err = run(capsys, "register", "verify", "--register", str(path))
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert err.startswith(f"jinjiang-dsl: {path}: the register was altered by hand: trigger t (on batches) is not one "
                          "the register creates: nothing is recorded in it"), err
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM decisions WHERE total = '0'").fetchone()[0] == 0


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """The folder made read-only for real: mode 555 stops a user; root, whom permissions do not stop, needs
    chattr +i. Skipped when neither can be staged (checked: a file cannot be made in it)."""
    folder.chmod(0o555)
    chattr = shutil.which("chattr")
    immutable = os.geteuid() == 0 and chattr is not None and \
        subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode == 0
    try:
        try:
            (folder / "probe").touch()
        except OSError:
            yield
        else:
            (folder / "probe").unlink()
            pytest.skip("no way to make a folder read-only here")
    finally:
        if immutable:
            subprocess.run([str(chattr), "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_register_in_a_read_only_folder_can_be_audited(tmp_path: Path, capsys: Any) -> None:
    # in WAL mode, SQLite could not make its -shm file beside it: 'unable to open database file' for every audit
    folder = tmp_path / "ro"
    folder.mkdir()
    register = folder / "r.sqlite"
    record(capsys, register, ROOT / "examples" / "rounds" / "round1.json")
    (folder / "out.json").unlink()
    with read_only_folder(folder):
        for action, says in ((["verify"], "10 decisions checked; the chain is intact"),
                             (["history", "E004"], "decision 3  batch"), (["replay", "3"], "decision 3: identical"),
                             (["export"], '"applicant": "E004"')):
            code, out, err = run(capsys, "register", *action, "--register", str(register))
            assert (code, err) == (0, "") and says in out, (action, err)
        code, _, err = run(capsys, "eval", str(POLICY), str(ROOT / "examples" / "rounds" / "round2.json"),
                           "--register", str(register), "--dry-run", "-o", "/dev/null")
        assert code == 0 and "would record batch" in err and "superseding 1 earlier" in err
        assert sorted(p.name for p in folder.iterdir()) == ["r.sqlite"]  # nothing made beside it


def test_a_read_only_register_whose_log_holds_changes_is_not_read_without_them(tmp_path: Path, capsys: Any) -> None:
    # a register copied while a batch was in its write-ahead log (as a crash leaves it): read without the log
    # it would lack that batch, so it is refused, saying why, rather than audited short
    register = tmp_path / "r.sqlite"
    record(capsys, register, ROOT / "examples" / "rounds" / "round1.json")
    folder = tmp_path / "ro"
    folder.mkdir()
    from jinjiang_dsl import load_policy
    from jinjiang_dsl.inputs import read_document

    round2 = read_document((ROOT / "examples" / "rounds" / "round2.json").read_text(encoding="utf-8"))
    with Register(register) as open_register:  # round 2 recorded, in the log only
        open_register.db.execute("PRAGMA wal_autocheckpoint = 0")
        open_register.decide(load_policy(POLICY), str(POLICY), round2)
        for name in ("r.sqlite", "r.sqlite-wal"):
            shutil.copy(tmp_path / name, folder / name)
    assert (folder / "r.sqlite-wal").stat().st_size > 0
    with read_only_folder(folder):
        code, out, err = run(capsys, "register", "verify", "--register", str(folder / "r.sqlite"))
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert err.startswith(f"jinjiang-dsl: {folder / 'r.sqlite'}: cannot open the register read-only: ")


def test_the_audit_commands_show_an_applicant_s_control_characters_as_escapes(tmp_path: Path, capsys: Any) -> None:
    # 'register history' printed a project's id as it was given: an escape code reached the terminal (its
    # colour, a cleared screen) and a bidirectional override reordered the line
    register, apps = tmp_path / "r.sqlite", tmp_path / "a.json"
    project = {"date": "2023-06-01", "industry": "鞋服", "selected_demo": True, "completed_in_year": True,
               "promotes_adoption": True, "software_investment": "100000"}
    apps.write_text(json.dumps({"applicants": [
        {"id": "C1", "kind": "enterprise", "fiscal_contribution": "1000",
         "projects": [{**project, "id": "P\x1b[2J"}, {**project, "id": "Q\u202eevil"}]}]}), encoding="utf-8")
    record(capsys, register, apps)
    code, out, _ = run(capsys, "register", "history", "C1", "--register", str(register))
    assert code == 0 and "\x1b" not in out and "\u202e" not in out
    assert "  P\\x1b[2J  1.1  granted" in out and "  Q\\u202eevil  1.1  granted" in out
    with sqlite3.connect(register) as db:  # and what verify reports of a row changed by hand
        db.execute("UPDATE awards SET project_id = ? WHERE measure = '1.1'", ["X\x1b]0;owned\x07"])
    code, out, _ = run(capsys, "register", "verify", "--register", str(register))
    assert code == 1 and "\x1b" not in out and "\x07" not in out


COPIES = 40  # 800 records: enough to tell the two apart, few enough to take 4 s, not 15


def test_replaying_a_stream_s_batch_holds_one_decision_at_a_time(tmp_path: Path, capsys: Any) -> None:
    # replay held a stream's whole batch (records, stored decisions and the decisions made again): 100,000
    # lines of the Jinjiang notice took 1.3 GB, now 72 MB
    import tracemalloc

    register, stream = tmp_path / "r.sqlite", tmp_path / "a.jsonl"
    applicants = json.loads(EXAMPLES.read_text(encoding="utf-8"))["applicants"]
    stream.write_text("".join(json.dumps({**a, "id": f"{a['id']}-{n}"}) + "\n"
                              for n in range(COPIES) for a in applicants), encoding="utf-8")
    record(capsys, register, stream)
    with Register(str(register), read_only=True) as opened:
        [(batch,)] = opened.db.execute("SELECT id FROM batches").fetchall()
        tracemalloc.start()
        try:
            found = replay(opened, batch=batch)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert len(found) == COPIES * len(applicants) and not any(diff for _, diff in found)
    assert peak < 8 << 20, f"{peak:,} bytes"  # held whole: 13.6 MB (5.4 MB one at a time)


def test_a_replay_stopped_by_a_tampered_policy_prints_one_line_and_nothing_ignored(tmp_path: Path, capsys: Any) -> None:
    # the batch's rows were read through a generator left open when the stored policy could not be read: closed
    # by the garbage collector after the register, it printed "Exception ignored in: <generator …>" and a traceback
    register = tmp_path / "r.sqlite"
    record(capsys, register, ROOT / "examples" / "rounds" / "round1.json")
    with sqlite3.connect(register) as db:
        db.execute("UPDATE policies SET source = ''")
    done = subprocess.run([sys.executable, "-m", "jinjiang_dsl.cli", "register", "replay", "3", "--register",
                           str(register)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith(f"jinjiang-dsl: {register}: the register was altered by hand: ")
    assert len(done.stderr.splitlines()) == 1, done.stderr
