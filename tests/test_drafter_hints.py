"""Messages a new drafter meets when writing a notice the way it reads, and what they say to write."""

from __future__ import annotations

import pytest

from jinjiang_dsl import check_source

HEAD = '''policy "p" / "p" {
  issued 2023-12-01
  currency 元
  rounding 0.01元 half_up
}
project {
  investment: money "投入" / "investment"
}
measure 1 "m" / "m" {
  clause 一
'''


def found(body: str) -> list[tuple[str, str, str | None]]:
    src = HEAD + body + "\n}\n"
    return [(f"{d.span.line}:{d.span.column}", d.message, d.hint) for d in check_source(src, "p.pol")]


@pytest.mark.parametrize(("body", "word"), [
    ("  amount 20% of investment up to 100万", "up"),
    ("  amount 20% of investment, max 100万", "max"),
    ("  amount 20% of investment, maximum 100万元", "maximum"),
    ("  amount 20% of investment capped at 100万", "capped"),
])
def test_a_cap_written_in_other_words_says_how_a_cap_is_written(body: str, word: str) -> None:
    figure = "100万元" if "元" in body else "100万"
    assert found(body) == [(f"11:{body.index(word) + 1}", f"unexpected '{word}'",
                            f"a cap on the amount is written ', at most {figure}'")]


def test_bands_written_as_thresholds_suggest_thresholds() -> None:
    body = "  amount bands on investment {\n    100万以上: 10万\n    50万以上: 5万\n  }"
    assert found(body) == [(
        "13:5", "tier [50万, ∞) overlaps tier [100万, ∞) (line 12) on [100万, ∞)",
        "rows written 'X以上' each run upward without end: for the highest tier reached write 'thresholds "
        "on …' instead of 'bands on …'; for bands, close each row below the next: '50万(含)至100万'")]


def test_overlapping_closed_bands_keep_their_hint() -> None:
    body = "  amount bands on investment {\n    50万(含)至100万: 5万\n    90万(含)至200万: 10万\n    allow cliff\n  }"
    assert found(body)[0][2] == "bands must not overlap: a value would match two tiers"


@pytest.mark.parametrize(("body", "where"), [
    ("  amount 20% of investment\n  quota 10 per year", "12:20"),
    ("  amount 20% of investment\n  quota 10", "12:11"),
    ("  amount 20% of investment\n  名额 10 每年", "12:8"),
])
def test_a_quota_without_its_group_says_how_a_quota_is_written(body: str, where: str) -> None:
    assert found(body) == [(where, "the quota does not say what it is counted per",
                            "write 'quota 10 per NAME per year', NAME the text or one-of input whose every value "
                            "the quota counts (每个…最多N个)")]


def test_a_quota_with_its_group_but_not_its_year_is_not_told_it_lacks_its_group() -> None:
    assert found("  amount 20% of investment\n  quota 10 per investment\n  once per applicant")[0][1] \
        != "the quota does not say what it is counted per"


@pytest.mark.parametrize("line", ["  limit 100万 per applicant per year", "  rounding 1元 half_up"])
def test_a_statement_on_the_next_line_is_not_taken_for_a_cap(line: str) -> None:
    ((_, _, hint),) = found("  amount 20% of investment\n" + line)
    assert hint is not None and "at most" not in hint


def found_in(block: str) -> list[tuple[str, str, str | None]]:
    src = HEAD.split("measure 1")[0] + block + "\n"
    return [(f"{d.span.line}:{d.span.column}", d.message, d.hint) for d in check_source(src, "p.pol")]


MEASURE = 'measure 1 "m" / "m" {\n  clause 一\n  amount 20% of investment\n@\n}'.replace
RULE = 'measure 1 "m" / "m" {\n  clause 一\n  amount 20% of investment\n}\nrule R1 "r" / "r" {\n  clause 二\n@\n}'.replace


@pytest.mark.parametrize(("block", "message", "hint"), [
    (MEASURE("@", "  validity"), "'validity' is a rule across measures, not a line of a measure",
     "write it in a block of its own: rule R1 \"…\" / \"…\" { clause …  validity }"),
    (MEASURE("@", "  highest not stacked per project per year"),
     "'highest not stacked' is a rule across measures, not a line of a measure",
     "write it in a block of its own: rule R1 \"…\" / \"…\" { clause …  highest not stacked … }"),
    (RULE("@", "  amount 1万"), "'amount' belongs in a measure, not in a rule across measures",
     "write it in the measure it is about: measure 1 \"…\" / \"…\" { clause …  amount … }"),
    (RULE("@", "  in force from 2024-01-01 for 3 years"), "'in force' belongs in the policy header",
     "write it inside policy \"…\" / \"…\" { … }; a rule checks the header's window with 'validity'"),
    (MEASURE("@", "  rounding 1元 half_up"), "'rounding' belongs in the policy header",
     "write it inside policy \"…\" / \"…\" { … }"),
])
def test_a_statement_in_the_wrong_block_says_where_it_belongs(block: str, message: str, hint: str) -> None:
    ((_, got_message, got_hint),) = found_in(block)
    assert (got_message, got_hint) == (message, hint)


@pytest.mark.parametrize(("line", "where"), [
    ("  highest not stacked", "15:22"),
    ("  highest not stacked per project", "15:34"),
    ("  highest not stacked per year", "15:26"),
    ("  就高不重复", "15:8"),
])
def test_highest_not_stacked_without_its_scope_says_both_scopes(line: str, where: str) -> None:
    assert found_in(RULE("@", line)) == [(
        where, "'highest not stacked' does not say what it compares",
        "write 'highest not stacked per project per year' (the highest measure per project) or 'highest not "
        "stacked per applicant per year' (per applicant)")]


@pytest.mark.parametrize(("line", "where"), [("  limit 100万", "15:13"), ("  limit 100万 per year", "15:17")])
def test_a_limit_without_its_scope_says_how_a_limit_is_written(line: str, where: str) -> None:
    assert found_in(RULE("@", line + "\n  reduce pro rata")) == [(
        where, "the limit does not say per what", "write 'limit 100万 per applicant per year'")]
