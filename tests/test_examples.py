"""The examples in the shipped policy: they pass, they cover every edge, and they catch a broken clause."""

from __future__ import annotations

from pathlib import Path

import pytest

from jinjiang_dsl.api import Policy
from jinjiang_dsl.check import check
from jinjiang_dsl.cli import main
from jinjiang_dsl.coverage import Coverage
from jinjiang_dsl.examples import run_all
from jinjiang_dsl.syntax import parse

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
SOURCE = POLICY.read_text(encoding="utf-8")


def policy_from(source: str) -> Policy:
    checked = check(parse(source, str(POLICY)))
    assert not checked.errors, checked.errors
    return Policy(checked)


def checker_errors(source: str) -> list[str]:
    return [d.message for d in check(parse(source, str(POLICY))).errors]


def test_every_measure_and_rule_has_examples() -> None:
    p = policy_from(SOURCE).checked.policy
    assert all(m.examples for m in p.measures)
    named = " ".join(e.title.zh for e in p.examples)
    assert all(rule in named for rule in ("R1", "R2", "R3"))


def test_coverage_of_the_shipped_policy_is_complete() -> None:
    policy = policy_from(SOURCE)
    cov = Coverage(policy.plan).record_all((o.decision, o.applicant) for o in run_all(policy))
    assert [f"{i.where} {i.what}: {i.missing}" for i in cov.uncovered()] == []
    assert len(cov.items) >= 45


# One number or boundary word broken at a time, as a drafter might by mistake.
MUTATIONS = [
    ("以上 → 超过 in 2.1", "    20家以上: 20万", "    超过20家: 20万", "2.1"),
    ("20% → 25% in 1.1", "amount 20% of investment, at most 100万", "amount 25% of investment, at most 100万", "1.1"),
    ("1.2 cap 10万 → 12万", "amount 15% of quanzhou_recognized_investment, at most 10万",
     "amount 15% of quanzhou_recognized_investment, at most 12万", "1.2"),
    ("(含) moved in 2.2", "    100万元(含)—200万元: 10万", "    100万元—200万元(含): 10万", "2.2"),
    ("超过 → 以上 in 2.3", "    超过10万元: 6万", "    10万元以上: 6万", "2.3"),
    ("3.1 override cap 50万 → 40万", "    20%, at most 50万", "    20%, at most 40万", "3.1"),
    ("4.1 20家 → 19家", "requires enterprises_diagnosed in 20家以上", "requires enterprises_diagnosed in 19家以上", "4.1"),
    ("5.1 5万 → 4万 a session", "amount 5万元 × qualified_sessions", "amount 4万元 × qualified_sessions", "5.1"),
    ("annual cap 50万 → 60万", "cap 50万 per applicant per year", "cap 60万 per applicant per year", "1.2"),
    ("in force from 05-01 → 05-02", "in force from 2023-05-01 to 2024-12-31", "in force from 2023-05-02 to 2024-12-31",
     None),
]


@pytest.mark.parametrize("name,old,new,measure", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_breaking_one_number_or_word_fails_an_example(name: str, old: str, new: str, measure: str | None) -> None:
    assert SOURCE.count(old) == 1, old
    errors = checker_errors(SOURCE.replace(old, new))
    if errors:  # caught before any example runs, e.g. bands that now overlap
        return
    mutated = policy_from(SOURCE.replace(old, new))
    failed = [o for o in run_all(mutated) if not o.passed]
    assert failed, f"no example noticed: {name}"
    if measure:  # the failure points at an example of that clause, with the example's location
        assert any(o.example.measure == measure or measure in " ".join(o.failures) for o in failed)
        assert all(o.where.startswith(f"{POLICY}:") for o in failed)


def test_test_command_reports_the_failing_example_and_clause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "policies" / "broken.pol"
    broken.parent.mkdir()
    broken.write_text(SOURCE.replace("    20家以上: 20万", "    超过20家: 20万"), encoding="utf-8")
    assert main(["test", str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {broken}:" in out and "(2.1)" in out
    # what was expected and got, in the language of the run (Chinese by default)
    assert "P1 2.1:预期 给予,金额 200,000 (20万);实际 给予,金额 100,000,可得 100,000" in out
    assert "条款 二(一)" in out
    assert out.rstrip().endswith("passed, 1 failed")
    assert main(["test", str(broken), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "P1 2.1: expected granted, amount 200,000 (20万); got granted, amount 100,000, entitled 100,000" in out
    assert "clause 二(一)" in out


def test_test_command_passes_and_shows_complete_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(POLICY), "--coverage", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "coverage: " in out and "; complete" in out
    assert "│ 1.1 一(一) │ cap 100万" in out and "bound, not bound" in out
    assert out.rstrip().endswith("46 passed, 0 failed")
    # the table in the run's language (Chinese by default): its headings, what is covered and the cases
    assert main(["test", str(POLICY), "--coverage"]) == 0
    out = capsys.readouterr().out
    assert "的边界覆盖" in out and "│ 1.1 一(一) │ 上限 100万" in out and "封顶、未封顶" in out
    assert "覆盖:113 种情形中的 113 种;完整" in out and "bound" not in out


SHAPES = ROOT / "policies" / "shapes"


@pytest.mark.parametrize("shape, old, new, failure", [
    ("s06_cost_sharing.pol", "shared 市级财政 2万, 县级财政 2万", "shared 市级财政 2万, 县级财政 3万",
     "line 27: P1 1: expected shared 市级财政 20,000 (2万), 县级财政 30,000 (3万); got 市级财政 20,000, 县级财政 20,000"),
    ("s10_instalments.pol", "paid in instalments 4万, 3万, 30,000.01元", "paid in instalments 4万, 30,000.01元, 3万",
     "line 28: P1 1: expected paid in instalments 40,000 (4万), 30,000.01 (30,000.01元), 30,000 (3万); "
     "got 2024 40,000, 2025 30,000, 2026 30,000.01"),
])
def test_an_example_checks_each_payer_s_share_and_each_instalment(shape: str, old: str, new: str, failure: str) -> None:
    source = (SHAPES / shape).read_text(encoding="utf-8")
    assert all(o.passed for o in run_all(policy_from(source)))
    assert old in source
    failed = [f for o in run_all(policy_from(source.replace(old, new))) for f in o.failures]
    assert failed == [failure]


@pytest.mark.parametrize("shape, old, new, message", [
    ("s06_cost_sharing.pol", "shared 市级财政 2万, 县级财政 2万", "shared 县级财政 2万, 市级财政 2万",
     "measure 1 is shared by 市级财政, 县级财政; the expectation names 县级财政, 市级财政"),
    ("s10_instalments.pol", "paid in instalments 40万, 30万, 30万", "paid in instalments 40万, 60万",
     "measure 1 is paid in 3 instalments; the expectation lists 2"),
    ("s10_instalments.pol", "paid in instalments 40万, 30万, 30万", "shared 市级财政 100万",
     "measure 1 is not shared between payers"),
    ("s06_cost_sharing.pol", "shared 市级财政 2万, 县级财政 2万", "paid in instalments 2万, 2万",
     "measure 1 is not paid in instalments"),
])
def test_an_expected_split_must_be_one_the_measure_declares(shape: str, old: str, new: str, message: str) -> None:
    source = (SHAPES / shape).read_text(encoding="utf-8")
    assert old in source
    assert checker_errors(source.replace(old, new)) == [message]


def test_pytest_runs_the_examples_of_a_policy_named_on_its_command_line(tmp_path: Path) -> None:
    # outside a policies/ folder, a .pol file named on the command line is collected (it was "not found");
    # one a run only meets in a folder it walks (a fixture, say) is left alone
    import subprocess
    import sys

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "draft.pol").write_text((ROOT / "policies" / "shapes" / "s09_per_unit.pol").read_text(encoding="utf-8"),
                                    encoding="utf-8")
    (mine / "fixture.pol").write_text("not a policy", encoding="utf-8")

    def pytest(target: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                               "jinjiang_dsl.pytest_plugin", str(target), "--rootdir", str(tmp_path)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=120)

    named = pytest(mine / "draft.pol")
    assert named.returncode == 0 and "5 passed" in named.stdout, named.stdout + named.stderr
    walked = pytest(mine)
    assert walked.returncode == 5, walked.stdout  # no tests collected: neither file is in a policies folder


def test_coverage_asks_nothing_below_zero_of_an_input_that_is_never_negative() -> None:
    # 'requires 投入 > 0' on money: a value below 0 is an input error, so no example can cover it
    from jinjiang_dsl.api import policy_from_source

    source = (ROOT / "policies" / "shapes" / "s09_per_unit.pol").read_text(encoding="utf-8")
    policy = policy_from_source(source.replace("  amount 2万 × doctors", "  requires doctors > 0\n  amount 2万 × doctors"))
    [item] = [i for i in Coverage(policy.plan).items.values() if i.what.startswith("boundary 0 in")]
    assert item.wanted == ("at", "above")


def test_an_example_s_project_is_not_given_the_applicant_s_date() -> None:
    # dated by an applicant input, an example's project was given that input as a fact of its own,
    # and every such example failed with "unknown field: declared_on belongs to the applicant"
    from jinjiang_dsl.api import policy_from_source

    policy = policy_from_source("""
policy "示例" / "Example" {
  in force from 2024-01-01 to 2026-12-31
  dated by declared_on
  rounding 0.01元 half_up
}
applicant { declared_on: date "申报日期" / "date of the claim" }
project { doctors: count "新引进博士人数" / "doctors hired" }
measure 1 "人才奖励" / "Talent award" {
  clause 一
  amount 5万 × doctors
  example "两名博士" / "two doctors" {
    applicant { declared_on: 2024-06-01 }
    project H1 { doctors: 2 }
    expect H1 granted 10万
  }
}
""")
    [result] = run_all(policy)
    assert result.passed, result.failures


def test_an_expectation_naming_a_measure_s_number_without_its_item_suggests_each_item() -> None:
    old = "expect P1 3.1 granted 187,500元 entitled 25万"
    assert old in SOURCE
    [error] = check(parse(SOURCE.replace(old, old.replace("3.1", "3")), str(POLICY))).errors
    assert (error.message, error.hint) == ("there is no measure 3", "did you mean 3.1 or 3.2?")


def test_test_command_counts_a_policy_it_could_not_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a policy with errors runs no example: the summary said '0 passed, 0 failed' in green, as if all was well
    bad = tmp_path / "bad.pol"
    bad.write_text('policy "x" / "x" {\n  issued\n}\n', encoding="utf-8")
    assert main(["test", str(bad)]) == 1
    assert capsys.readouterr().out.strip() == "0 passed, 0 failed; 1 policy not run (its errors are above)"
    shape = Path(__file__).parent.parent / "policies" / "shapes" / "s01_applicant_level.pol"
    assert main(["test", str(bad), str(shape), str(bad)]) == 1
    assert capsys.readouterr().out.rstrip().endswith("2 passed, 0 failed; 2 policies not run (their errors are above)")


def test_coverage_names_the_bounds_of_a_ratio_s_bands_as_percentages() -> None:
    # the bounds of 'bands on rd / revenue { 3%(含)至5%: … }' were listed as 'boundary 0.03', '边界 0.05'
    from jinjiang_dsl import load_policy

    policy = load_policy(ROOT / "policies" / "shapes" / "s03_ratio_bands.pol")
    cov = Coverage(policy.plan).record_all((o.decision, o.applicant) for o in run_all(policy))
    tiers = [(i.what, i.zh) for i in cov.items.values() if i.what.startswith("boundary")]
    assert tiers == [("boundary 3%", "边界 3%"), ("boundary 5%", "边界 5%")]
    assert cov.complete
